// SPDX-License-Identifier: MIT
'use strict';
// Test hosts in Linux network namespaces: each host is a namespace with one
// interface (eth0) on a private LAN, a bridge in a namespace of its own, so
// that nothing of this touches the machine's own network. Addresses come
// from 10.200.0.0/13 (IPv4) and fd53:4853::/48 (IPv6), picked per test
// process, and exist only inside these namespaces. Everything is removed
// when the LAN is destroyed or the process exits. Needs root and iproute2.
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const TAG = `sh${process.pid % 100000}`;
const NET4 = `10.${200 + (process.pid % 8)}.${(process.pid >> 3) % 250}`;
const NET6 = `fd53:4853:${(process.pid % 65536).toString(16)}`;
const live = new Set();

function available() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (ip netns)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `ip netns is not usable: ${r.error || r.stderr}`;
  return null;
}

function ip(...args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function removeNamespace(ns) {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout || '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch (_) { /* gone */ }
  }
  spawnSync('ip', ['netns', 'del', ns]);
  live.delete(ns);
}

process.on('exit', () => { for (const ns of [...live]) removeNamespace(ns); });

// hosts: names, in order; host i gets NET4.(i+1) and NET6::(i+1).
function createLan(names) {
  const lan = `${TAG}-lan`;
  const hosts = {};
  try {
    ip('netns', 'add', lan);
    live.add(lan);
    ip('-n', lan, 'link', 'set', 'lo', 'up');
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    names.forEach((name, i) => {
      const ns = `${TAG}-${name}`;
      const n = i + 1;
      ip('netns', 'add', ns);
      live.add(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', lan, 'link', 'add', `p${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', lan, 'link', 'set', `p${n}`, 'master', 'br0', 'up');
      ip('-n', ns, 'addr', 'add', `${NET4}.${n}/24`, 'dev', 'eth0');
      ip('-n', ns, 'addr', 'add', `${NET6}::${n}/64`, 'dev', 'eth0', 'nodad');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      hosts[name] = { ns, ip: `${NET4}.${n}`, ip6: `${NET6}::${n}` };
    });
  } catch (e) {
    for (const ns of [...live]) removeNamespace(ns);
    throw e;
  }
  return {
    hosts,
    // A child process in host "name"'s namespace.
    spawn(name, cmd, args, opts = {}) {
      return spawn('ip', ['netns', 'exec', hosts[name].ns, cmd, ...args], opts);
    },
    destroy() {
      for (const h of Object.values(hosts)) removeNamespace(h.ns);
      removeNamespace(lan);
    },
  };
}

// Runs a node script in host "name" and resolves with the JSON it prints
// last; rejects when it exits non-zero or prints none.
function runNode(lan, name, script, args = [], { timeout = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = lan.spawn(name, process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(last));
      } catch (e) {
        reject(new Error(`${path.basename(script)} in ${name}: ${e.message}\n${out}\n${err}`));
      }
    });
  });
}

// A long-running node server in host "name" that prints one JSON line when
// it listens ({ listening: ... }) and one per event after that.
function startNode(lan, name, script, args = []) {
  return new Promise((resolve, reject) => {
    const child = lan.spawn(name, process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events = [];
    let buf = '';
    let err = '';
    let ready = false;
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line);
        if (!ready && msg.listening) {
          ready = true;
          resolve({
            info: msg, events, child,
            stop: () => new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
          });
        } else {
          events.push(msg);
        }
      }
    });
    child.on('exit', (code) => { if (!ready) reject(new Error(`${script} exited ${code}: ${err}`)); });
  });
}

module.exports = { available, createLan, runNode, startNode, NET4, NET6 };
