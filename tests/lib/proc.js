// SPDX-License-Identifier: MIT
'use strict';
// Processes, ports and temp dirs of a test process: what the harness starts
// is recorded here and removed when the process exits, even when a test
// forgot to stop it. Node.js built-ins only.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const KEEP = !!process.env.SHTEST_KEEP; // keep temp dirs for debugging
// Under a wrapper (valgrind) Apache answers many times slower, its first
// requests most: the clients' default timeouts stretch by this factor.
const SLOWDOWN = process.env.SHTEST_APACHE_WRAPPER ? 6 : 1;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Like sleep() but does not keep the process alive (for Promise.race timeouts).
const sleepUnref = (ms) => new Promise((r) => setTimeout(r, ms).unref());

// ---------------------------------------------------------------------------
// Cleanup bookkeeping: apache process groups and temp dirs are removed when
// the test process exits, even if a test forgot to stop() them.
// ---------------------------------------------------------------------------
const liveApaches = new Set(); // pids (process group leaders)
const tempDirs = new Set();

function killAllSync() {
  for (const pid of liveApaches) {
    try { process.kill(-pid, 'SIGKILL'); } catch (_) { /* gone */ }
  }
  liveApaches.clear();
  if (!KEEP) {
    for (const d of tempDirs) {
      try { fs.rmSync(d, { recursive: true, force: true }); } catch (_) { /* ignore */ }
    }
    tempDirs.clear();
  }
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAllSync(); process.exit(128 + (os.constants.signals[sig] || 0)); });
}

function mkTemp(prefix = 'shtest-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function urlHost(host) {
  return net.isIPv6(host) ? `[${host}]` : host;
}

// Is there a TCP listener on host:port? (checked by connecting)
function canConnect(host, port, timeout = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeout, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// Child pids of `pid` (via /proc; falls back to scanning /proc/*/stat).
function childPids(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch (_) {
    const out = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) out.push(Number(d));
      } catch (_) { /* raced */ }
    }
    return out;
  }
}

// An Apache (process group leader) to SIGKILL, with its group, at exit;
// forgotten again once it is stopped.
function trackProcessGroup(pid) { liveApaches.add(pid); }
function untrackProcessGroup(pid) { liveApaches.delete(pid); }

module.exports = {
  IS_ROOT,
  KEEP,
  SLOWDOWN,
  sleep,
  sleepUnref,
  mkTemp,
  freePort,
  urlHost,
  canConnect,
  childPids,
  trackProcessGroup,
  untrackProcessGroup,
};
