// SPDX-License-Identifier: MIT
'use strict';
// A real memcached for tests (Debian's package), started by the test on a
// port of its own and stopped by its pid; and the two commands a test needs
// to look into it. In a network namespace when given a LAN (tests/lib/netns.js).
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

const live = new Set();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch (_) { /* gone */ } } });

// null when memcached can be run here, otherwise why not (a skip reason).
function available() {
  const r = spawnSync('memcached', ['-V'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'memcached is not installed (apt-get install memcached)' : null;
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// -M: an error instead of evicting a key early when memory is full, as
// docs/replay-apache.md asks of a replay store; -U 0: no UDP.
function args(host, port) {
  const a = ['-l', host, '-p', String(port), '-U', '0', '-M', '-m', '16', '-t', '2'];
  if (typeof process.getuid === 'function' && process.getuid() === 0) a.push('-u', 'nobody');
  return a;
}

async function startMemcached({ host = '127.0.0.1', port, lan, hostName } = {}) {
  const child = lan ? lan.spawn(hostName, 'memcached', args(host, port), { stdio: 'ignore' })
    : spawn('memcached', args(host, port), { stdio: 'ignore' });
  live.add(child);
  let exited = false;
  const exit = new Promise((r) => child.once('exit', () => { exited = true; live.delete(child); r(); }));
  // In a namespace the port is out of reach from here: memcached is ready
  // when it stays up briefly (the test's first request retries anyway).
  const deadline = Date.now() + 5000;
  if (lan) await new Promise((r) => setTimeout(r, 300));
  else {
    while (!(await canConnect(host, port))) {
      if (exited || Date.now() > deadline) throw new Error(`memcached on ${host}:${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (exited) throw new Error(`memcached on ${host}:${port} exited at start`);
  return {
    host, port, pid: child.pid,
    async stop() {
      if (!exited) { child.kill('SIGTERM'); await Promise.race([exit, new Promise((r) => setTimeout(r, 3000))]); }
      if (!exited) { child.kill('SIGKILL'); await exit; }
    },
  };
}

// One command, its reply up to "END\r\n" or the first line for others.
function command(port, text, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = '';
    s.setTimeout(3000, () => { s.destroy(); reject(new Error('memcached: no reply')); });
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (/^(VALUE[^]*)?END\r\n$/.test(buf) || (!/^VALUE|^END/.test(buf) && buf.endsWith('\r\n'))) {
        s.end();
        resolve(buf);
      }
    });
    s.on('error', reject);
    s.write(text);
  });
}

module.exports = { available, startMemcached, command };
