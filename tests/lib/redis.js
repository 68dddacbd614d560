// SPDX-License-Identifier: MIT
'use strict';
// A real redis-server for one test: its own port (or unix socket) on
// loopback, its own directory, no persistence unless asked, stopped by
// PID. Debian's redis-server (scripts/ensure-deps test installs it).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const { freePort } = require('./harness');

function redisVersion() {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error) throw new Error(`redis-server is not installed (scripts/ensure-deps test installs it): ${r.error.message}`);
  const m = /v=(\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
  return m ? m.slice(1).map(Number) : null;
}

// Waits until something accepts on host:port (or a unix socket path).
function waitListening(target, timeoutMs = 10000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(target);
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() - t0 > timeoutMs) reject(new Error(`redis-server did not listen on ${JSON.stringify(target)}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * opts: { port (default: a free one), host ('127.0.0.1'), unixsocket
 * (true: in dir), args: [extra redis-server arguments], persist: AOF with
 * appendfsync always, dir (reuse, to restart with the same data; stop()
 * removes the directory only when it made it), tls: { cert, key, ca }
 * (then the TLS port is `port`, plain TCP off), netns: a network
 * namespace to run in (tests/lib/netns.js; host is then that host's
 * address, and `port` is needed) }.
 */
async function startRedis(opts = {}) {
  const host = opts.host || '127.0.0.1';
  const port = opts.port || await freePort(host);
  if (opts.netns && !opts.port) throw new Error('startRedis: give the port with netns');
  const dir = opts.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'sh-redis-'));
  const owned = opts.dir ? !!opts.owned : true; // stop() removes a directory made here
  const args = ['--bind', host, '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'no',
    '--logfile', path.join(dir, 'redis.log')];
  if (opts.persist) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  if (opts.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert,
      '--tls-key-file', opts.tls.key, '--tls-ca-cert-file', opts.tls.ca, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  const socket = opts.unixsocket ? path.join(dir, 'redis.sock') : null;
  if (socket) args.push('--unixsocket', socket, '--unixsocketperm', '700');
  args.push(...(opts.args || []));
  fs.writeFileSync(path.join(dir, 'redis.log'), '');
  // `ip netns exec` execs redis-server: the pid is the server's own.
  const proc = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, 'redis-server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try {
    await Promise.race([
      opts.netns ? waitLog(dir, /Ready to accept connections/) : waitListening(socket ? { path: socket } : { host, port }),
      exited.then((code) => { throw new Error(`redis-server exited (${code}): ${out}${readLog(dir)}`); }),
    ]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const server = {
    host, port, dir, socket, pid: proc.pid, proc,
    url: `redis://${host}:${port}`,
    log: () => readLog(dir),
    // SIGSTOP / SIGCONT: a server that accepts nothing and answers nothing.
    pause() { process.kill(proc.pid, 'SIGSTOP'); },
    resume() { process.kill(proc.pid, 'SIGCONT'); },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      try { process.kill(proc.pid, 'SIGCONT'); } catch (_) { /* gone */ }
      proc.kill('SIGKILL');
      await exited;
    },
    // The same server again: port, directory and arguments.
    restart() { return startRedis(Object.assign({}, opts, { port, dir, owned })); },
    async stop() {
      await server.kill();
      if (owned) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function waitLog(dir, re, timeoutMs = 10000) {
  const t0 = Date.now();
  while (!re.test(readLog(dir))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`redis-server: no ${re} in its log`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readLog(dir) {
  try { return fs.readFileSync(path.join(dir, 'redis.log'), 'utf8'); } catch (_) { return ''; }
}

// One command over RESP on a fresh connection, for assertions that must
// not depend on the clients under test. Resolves with the raw reply text.
function rawCommand(server, args) {
  return new Promise((resolve, reject) => {
    const s = server.socket ? net.connect({ path: server.socket }) : net.connect({ host: server.host, port: server.port });
    let buf = '';
    s.setTimeout(5000, () => { s.destroy(); reject(new Error('redis raw command timed out')); });
    s.on('error', reject);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (complete(buf)) { s.end(); resolve(buf); }
    });
    s.write(args.map((a) => Buffer.from(String(a), 'latin1'))
      .reduce((acc, b) => `${acc}$${b.length}\r\n${b.toString('latin1')}\r\n`, `*${args.length}\r\n`), 'latin1');
  });
}

// Enough RESP2 to tell when one reply (simple, error, integer, bulk, or an
// array of those) is complete.
function complete(buf) {
  function one(i) {
    const e = buf.indexOf('\r\n', i);
    if (e < 0) return -1;
    const t = buf[i];
    const n = Number(buf.slice(i + 1, e));
    if (t === '$') return n < 0 ? e + 2 : (buf.length >= e + 2 + n + 2 ? e + 2 + n + 2 : -1);
    if (t === '*') {
      let j = e + 2;
      for (let k = 0; k < n; k++) { j = one(j); if (j < 0) return -1; }
      return j;
    }
    return e + 2;
  }
  return one(0) >= 0;
}

module.exports = { startRedis, redisVersion, rawCommand, waitListening };
