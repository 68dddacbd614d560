// SPDX-License-Identifier: MIT
'use strict';
// ./run-demo: whatever signal stops it (Ctrl-C's SIGINT, a service
// manager's SIGTERM, a closed terminal's SIGHUP), sent to the PID it was
// started as, stops Apache and the demo app with it and keeps Apache's logs.
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');
const h = require('./lib/harness');

const KEEP_DIR = path.join(h.REPO, '.build-demo');

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

async function gone(pid, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await h.sleep(50);
  }
  return !alive(pid);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// Starts ./run-demo; resolves once it says it is running, with its PIDs.
function startDemo() {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(h.REPO, 'run-demo'), [], {
      cwd: h.REPO, stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { NODE: process.execPath }),
    });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`run-demo did not start:\n${out}`)); }, 60000);
    const onData = (d) => {
      out += d;
      const m = /Processes: demo (\d+), Apache (\d+), app (\d+)/.exec(out);
      if (m && /Running;/.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out, demo: Number(m[1]), apache: Number(m[2]), app: Number(m[3]),
          port: Number(/Apache (\d+) \(HTTP\)/.exec(out)[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`run-demo exited (${code || sig}):\n${out}`)); });
  });
}

describe('run-demo stops everything it started', () => {
  const started = [];
  // A failed test must not leave a demo behind.
  after(() => {
    for (const d of started) for (const pid of [d.demo, d.app, d.apache]) { try { process.kill(pid, 'SIGKILL'); } catch (_) { /* gone */ } }
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    test(`${sig} to the PID run-demo was started as`, async () => {
      const d = await startDemo();
      started.push(d);
      // run-demo execs the demo's node: the PID the caller holds is the demo.
      assert.equal(d.demo, d.child.pid);
      assert.ok(alive(d.apache) && alive(d.app));
      const exited = new Promise((r) => d.child.once('exit', (code, s) => r({ code, s })));
      process.kill(d.child.pid, sig);
      const { code } = await Promise.race([exited,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`run-demo still running 20 s after ${sig}:\n${d.out()}`)), 20000).unref())]);
      assert.equal(code, 0, d.out());
      assert.ok(await gone(d.app), `the demo app (${d.app}) is still running after ${sig}`);
      assert.ok(await gone(d.apache), `Apache (${d.apache}) is still running after ${sig}`);
      assert.equal(await canConnect(d.port), false, 'Apache still answers');
      assert.match(d.out(), new RegExp(`Stopped\\. Apache's configuration and logs: ${KEEP_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const log = fs.readFileSync(path.join(KEEP_DIR, 'access_log'), 'utf8');
      assert.match(log, /"GET \/hello HTTP\/1\.1" 200/);
    });
  }
});
