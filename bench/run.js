// SPDX-License-Identifier: MIT
'use strict';
// Benchmark for mod_secure_headers. Run it as `bench/run` (see bench/README.md).
//
// (a) Instructions per proxied request, counted with callgrind on
//     `apache2 -X` (mpm_prefork), side by side in one run for (a) mod_proxy
//     alone, (b) mod_proxy + the two mod_headers lines operators write today
//     instead of the module (client address and scheme), (c) mod_proxy +
//     mod_secure_headers; one request per connection and on one keep-alive
//     connection; environments small (5 SetEnv), tls (SSLEngine + SSLOptions
//     +StdEnvVars) and big (40 SetEnv of 150 bytes). Each figure is
//     (Ir(n2) - Ir(n1)) / (n2 - n1) over two sessions of n1 and n2 requests:
//     start-up, warm-up and shutdown cancel out. Printed: what (b) and (c)
//     add, the ratio (c)/(b), the module's hooks' share of the request, the
//     big environment's instructions per byte, and a profile of where every
//     added instruction goes (saved in bench/out/).
// (b) Throughput with wrk: Apache + mod_proxy (A), Apache + mod_proxy +
//     mod_secure_headers (B), both to the same Node.js backend, and Apache +
//     Passenger 6 running the same Node.js code (C), in alternating rounds;
//     per-round req/s, medians, ratios B/A and B/C.
// Signing (docs/signing.md, bench/signing.js): (c) plus
//     SecureHeadersSignKey for each algorithm under callgrind (what it adds
//     over (c), where it goes, no key parsing or algorithm fetch per
//     request), the unsigned module against signed ones under wrk, and the
//     signing path's native time (bench/sign_bench.c) next to `openssl
//     speed`.
//
// BENCH_QUICK=1 for a 1-2 minute run; the other knobs are listed in
// bench/README.md. Node built-ins only.

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const tls = require('tls');
const http = require('http');
const { spawn, spawnSync } = require('child_process');
const { passengerRuntimeConf } = require('../tests/lib/passenger');
const signing = require('./signing');

const REPO = path.resolve(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const SO = process.env.BENCH_SO ? path.resolve(process.env.BENCH_SO) : path.join(REPO, '.libs', 'mod_secure_headers.so');
const BACKEND_JS = path.join(__dirname, 'backend.js');
const APACHE = process.env.BENCH_APACHE || '/usr/sbin/apache2';
const MODDIR = '/usr/lib/apache2/modules';
const PASSENGER_SO = path.join(MODDIR, 'mod_passenger.so');
const PASSENGER_ROOT = '/usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini';
const NODE = process.execPath;
const MARK = 'SH_BENCH_MARK';
const SETUP = 'SH_BENCH_SETUP';
const WWW = (() => {
  const r = spawnSync('id', ['www-data'], { encoding: 'utf8' });
  const u = /uid=(\d+)/.exec(r.stdout || '');
  const g = /gid=(\d+)/.exec(r.stdout || '');
  return { uid: u ? Number(u[1]) : 33, gid: g ? Number(g[1]) : 33 };
})();

const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = process.env.BENCH_ONLY || '';
// BENCH_ONLY=callgrind, wrk or sign (the native signing microbenchmark), or
// several, comma-separated; unset: all of them. wrk-sign: only the signed
// against unsigned throughput of wrk (BENCH_WRK_SIGN's algorithms).
const PHASES = new Set(ONLY ? ONLY.split(',') : ['callgrind', 'wrk', 'sign']);
const ENVS = (process.env.BENCH_ENVS || 'small,tls,big,static').split(',').filter(Boolean);
const N1 = Number(process.env.BENCH_N1 || (QUICK ? 100 : 200));
const N2 = Number(process.env.BENCH_N2 || (QUICK ? 600 : 2200));
const REPEAT = Number(process.env.BENCH_REPEAT || (QUICK ? 1 : 2));
const ROUNDS = Number(process.env.BENCH_ROUNDS || (QUICK ? 3 : 7));
const DURATION = Number(process.env.BENCH_DURATION || (QUICK ? 3 : 8));
const CONNS = Number(process.env.BENCH_CONNECTIONS || 32);
const THREADS = Number(process.env.BENCH_THREADS || 2);
const KEEP = process.env.BENCH_KEEP === '1';
// Throughput: BENCH_PIN=1 puts the server side (Apache, the backend,
// Passenger) on one half of the CPUs and wrk on the other. Off by default:
// on two cores that squeezes Apache and the backend onto one, where the
// backend's parsing of the extra header bytes competes with Apache itself
// (measured: B/A 0.86x-0.99x pinned against 0.99x-1.04x unpinned).
const NCPU = os.cpus().length;
const PIN = process.env.BENCH_PIN === '1' && NCPU >= 2;
const SERVER_CPUS = `0-${Math.max(0, Math.floor(NCPU / 2) - 1)}`;
const CLIENT_CPUS = `${Math.floor(NCPU / 2)}-${NCPU - 1}`;
const pinned = (cpus, cmd, args) => (PIN && cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args]);
const VALGRIND_ARGS = (process.env.BENCH_VALGRIND_ARGS || '').split(/\s+/).filter(Boolean);
// glibc copies and clears blocks of more than a few KiB with "rep movsb" /
// "rep stosb". Valgrind counts every byte such an instruction moves as one
// instruction executed, so an 8 KiB header copy in mod_proxy would weigh
// 8,000+ "instructions" while the CPU does it in a few hundred cycles. The
// callgrind sessions (with and without the module alike) therefore make
// glibc use its vector loops; BENCH_REP_MOVSB=1 keeps glibc's default.
const REP_MOVSB = process.env.BENCH_REP_MOVSB === '1';
const NO_REP_TUNABLES = 'glibc.cpu.x86_rep_movsb_threshold=4294967295:glibc.cpu.x86_rep_stosb_threshold=4294967295';

// The targets (docs/performance.md): the module adds no more than the
// mod_headers lines it replaces
// (aim: 0.8 of them); its own hooks stay within 1% of the request.
const TARGET_RATIO = 1.0;
const AIM_RATIO = 0.8;
const TARGET_HOOKS_SHARE = 1.0; // % of the request's instructions (a)
const TARGET_BIG_IPB = 3; // instructions per byte of serialised environment
const TARGET_VS_PROXY = 0.99;
const TARGET_VS_PASSENGER = 2.5;

// Debian 12's default set of enabled modules, plus mod_proxy: the request
// "without the module" is what a stock Debian Apache does for a proxied one.
const BASE_MODULES = ['access_compat', 'alias', 'auth_basic', 'authn_core', 'authn_file',
  'authz_core', 'authz_host', 'authz_user', 'autoindex', 'deflate', 'dir', 'env', 'filter', 'mime',
  'negotiation', 'reqtimeout', 'setenvif', 'status', 'proxy', 'proxy_http'];

// What operators write today without the module to tell an application the
// client's address and the scheme (spoofable: a client can send the same
// names; and no environment). mod_headers is not in Debian's default set, so
// this configuration also loads it.
const HEADERS_CONF = [
  'RequestHeader set X-Client-Address "expr=%{REMOTE_ADDR}"',
  'RequestHeader set X-Proto "expr=%{REQUEST_SCHEME}"',
];
const HEADER_NAMES = ['X-Client-Address', 'X-Proto'];

const SMALL_ENV = [
  ['APP_ENV', 'production'],
  ['APP_NAME', 'bench-app'],
  ['DEPLOY_REGION', 'eu-west-1'],
  ['FEATURE_FLAGS', 'search,checkout,beta-ui'],
  ['RELEASE', '2024.11.24-1'],
];
function bigEnv() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  const vars = [];
  for (let i = 1; i <= 40; i++) {
    let v = '';
    for (let k = 0; v.length < 150; k++) v += alphabet[(i * 7 + k * 13) % alphabet.length];
    vars.push([`BIG_VAR_${String(i).padStart(2, '0')}`, v]);
  }
  return vars;
}
const ENV_DESC = {
  small: `${SMALL_ENV.length} SetEnv variables, plain HTTP`,
  tls: `TLS (SSLEngine, SSLOptions +StdEnvVars) + the ${SMALL_ENV.length} SetEnv variables`,
  big: '40 SetEnv variables of 150 bytes, plain HTTP',
  static: `not proxied: a 3-byte file, the same ${SMALL_ENV.length} SetEnv variables`,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// For Promise.race timeouts: does not keep the process alive by itself.
const sleepUnref = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const fmt = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? 'n/a'
  : Number(n).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

// ------------------------------------------------------------ bookkeeping

const children = new Set(); // ChildProcess objects we started
let TMP = null;

function cleanupSync() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    }
  }
  if (TMP) for (const pid of markedPids(TMP)) { try { process.kill(pid, 'SIGKILL'); } catch (_) { /* gone */ } }
  if (TMP && !KEEP) { try { fs.rmSync(TMP, { recursive: true, force: true }); } catch (_) { /* ignore */ } }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { cleanupSync(); process.exit(128 + (os.constants.signals[sig] || 0)); });
}

/** Processes carrying our marker in their environment: Passenger's watchdog,
 *  core and app, which Apache (started by us) spawned. */
function markedPids(dir) {
  const needle = Buffer.from(`${MARK}=${dir}\0`);
  const pids = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try { if (fs.readFileSync(`/proc/${e}/environ`).includes(needle)) pids.push(Number(e)); } catch (_) { /* gone */ }
  }
  return pids;
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function stopChild(child, timeoutMs = 60000) {
  if (child.exitCode === null && child.signalCode === null) {
    try { process.kill(child.pid, 'SIGTERM'); } catch (_) { /* gone */ }
    const done = await Promise.race([exited(child).then(() => true), sleepUnref(timeoutMs).then(() => false)]);
    if (!done) {
      try { process.kill(child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
      await exited(child);
    }
  }
  children.delete(child);
}

const usedPorts = new Set();
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => {
        if (usedPorts.has(port)) resolve(freePort());
        else { usedPorts.add(port); resolve(port); }
      });
    });
  });
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return r;
}

// ------------------------------------------------------------ set-up

function build() {
  if (process.env.BENCH_SO) {
    if (!fs.existsSync(SO)) throw new Error(`BENCH_SO: ${SO} not found`);
    log(`# using ${SO} (BENCH_SO), not building`);
    return;
  }
  log('# building the module: make -f Makefile.apxs');
  const r = run('make', ['-f', 'Makefile.apxs'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`make failed:\n${r.stdout}\n${r.stderr}`);
  if (!fs.existsSync(SO)) throw new Error(`${SO} missing after make`);
}

function makeCert(dir) {
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  const r = run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1']);
  if (r.status !== 0) throw new Error('openssl failed: ' + r.stderr);
  fs.chmodSync(key, 0o644);
  return { key, crt };
}

async function startBackend(tag, cpus = null, delayMs = 0) {
  const port = await freePort();
  const out = fs.openSync(path.join(TMP, `backend-${tag}.log`), 'a');
  const child = spawn(...pinned(cpus, NODE, [BACKEND_JS, String(port), String(delayMs)]), {
    stdio: ['ignore', 'pipe', out], env: { ...process.env, [MARK]: TMP, [SETUP]: `backend-${tag}` },
  });
  fs.closeSync(out);
  children.add(child);
  await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('backend did not start')), 10000);
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('listening')) { clearTimeout(t); resolve(); }
    });
    child.once('exit', (c) => { clearTimeout(t); reject(new Error(`backend exited ${c}`)); });
  });
  child.stdout.resume();
  return { port, child };
}

function getJSON(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { b += d; });
      res.on('end', () => { try { resolve(JSON.parse(b)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

function loadModules(names) {
  return names.map((m) => `LoadModule ${m}_module ${MODDIR}/mod_${m}.so`).join('\n');
}

/** httpd.conf for one Apache instance.
 *  kind: 'proxy' (ProxyPass to backendPort) or 'passenger'. */
function apacheConf(dir, { port, kind: kindAsked = 'proxy', backendPort, env = 'small', withModule, withHeaders, mpmTuning, cert, mpm = 'event', sign = null }) {
  let kind = kindAsked;
  const mods = [`mpm_${mpm}`, ...BASE_MODULES];
  if (env === 'tls') mods.push('ssl');
  if (withHeaders) mods.push('headers');
  const vars = env === 'big' ? bigEnv() : SMALL_ENV;
  if (env === 'static') kind = 'static';
  const setenv = vars.map(([k, v]) => `  SetEnv ${k} "${v}"`).join('\n');
  const tlsLines = env === 'tls' ? `  SSLEngine on
  SSLCertificateFile ${cert.crt}
  SSLCertificateKeyFile ${cert.key}
  SSLOptions +StdEnvVars` : '';
  // 40 x 150 bytes encode to about 8.6 KB, past the default 8192-byte
  // SecureHeadersEnvMaxSize: raise it so that the whole environment is sent.
  const shLines = withModule ? `  <IfModule secure_headers_module>
    SecureHeadersEnvMaxSize 65536${sign ? `\n    ${signing.signKeyLine(sign)}` : ''}
  </IfModule>` : '';
  const headersLines = withHeaders ? HEADERS_CONF.map((l) => `  ${l}`).join('\n') : '';
  let target;
  if (kind === 'proxy') {
    target = `  ProxyPass / http://127.0.0.1:${backendPort}/`;
  } else if (kind === 'static') {
    // What the module costs a request it does not proxy: its
    // post_read_request check and its fixups hook declining.
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true, mode: 0o755 });
    // The same ETag and Last-Modified in every session: a fixed mtime, and
    // no inode in the ETag (its hex digits varied the formatting work).
    fs.writeFileSync(path.join(dir, 'www', 'bench'), 'ok\n');
    fs.utimesSync(path.join(dir, 'www', 'bench'), 1700000000, 1700000000);
    target = `  DocumentRoot ${dir}/www
  FileETag MTime Size
  <Directory ${dir}/www>
    Require all granted
  </Directory>`;
  } else {
    target = `  DocumentRoot ${dir}/app/public
  PassengerAppRoot ${dir}/app
  PassengerAppType node
  PassengerStartupFile app.js
  <Directory ${dir}/app/public>
    Require all granted
  </Directory>`;
  }
  const passengerGlobal = kind === 'passenger' ? `LoadModule passenger_module ${PASSENGER_SO}
${passengerRuntimeConf(dir, NODE)}
# One Node.js process, as behind mod_proxy: Passenger sends Node apps any
# number of concurrent requests, so it has no reason to start more.
PassengerMaxPoolSize 1
PassengerMinInstances 1
` : '';
  const conf = `# generated by bench/run.js
ServerRoot ${dir}
DefaultRuntimeDir ${dir}/run
PidFile ${dir}/run/httpd.pid
Mutex file:${dir}/run default
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
User www-data
Group www-data
ErrorLog ${dir}/logs/error.log
LogLevel warn
Timeout 300
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
${mpmTuning ? `StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0` : ''}
${loadModules(mods)}
${withModule ? `LoadModule secure_headers_module ${SO}` : ''}
${passengerGlobal}
TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog ${dir}/logs/access.log combined
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<VirtualHost 127.0.0.1:${port}>
  ServerName 127.0.0.1
${tlsLines}
${setenv}
${shLines}
${headersLines}
${target}
</VirtualHost>
`;
  const file = path.join(dir, 'httpd.conf');
  fs.writeFileSync(file, conf);
  return file;
}

function mkInstanceDir(name) {
  const dir = path.join(TMP, name);
  for (const d of ['run', 'logs']) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  return dir;
}

// ------------------------------------------------------------ a minimal keep-alive client
// One connection, one request at a time, Content-Length bodies. Written here
// rather than with http.Agent so the very socket that detects that Apache
// listens is the one used: no probe connections that would differ between
// sessions.

async function connectWhenListening(port, useTls, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const sock = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => { s.destroy(); resolve(null); });
    });
    if (sock) {
      sock.setNoDelay(true);
      if (!useTls) return new Conn(sock);
      const t = tls.connect({ socket: sock, rejectUnauthorized: false });
      await new Promise((resolve, reject) => {
        t.once('secureConnect', resolve);
        t.once('error', reject);
      });
      return new Conn(t);
    }
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await sleep(100);
  }
}

class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.pending = null;
    this.closed = false;
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.tryParse(); });
    const fail = (e) => {
      this.closed = true;
      if (this.pending) { const p = this.pending; this.pending = null; p.reject(e || new Error('connection closed')); }
    };
    sock.on('error', fail);
    this.closedP = new Promise((resolve) => sock.once('close', resolve));
    sock.on('close', () => fail());
  }

  tryParse() {
    if (!this.pending) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m || !cl) {
      const p = this.pending; this.pending = null;
      p.reject(new Error(`unexpected response: ${head.slice(0, 300)}`));
      return;
    }
    const total = end + 4 + Number(cl[1]);
    if (this.buf.length < total) return;
    const body = this.buf.subarray(end + 4, total).toString('utf8');
    this.buf = this.buf.subarray(total);
    const p = this.pending; this.pending = null;
    p.resolve({ status: Number(m[1]), head, body });
  }

  /** One request; with close, "Connection: close", resolved once the
   *  response is in and the server has closed the connection (so the next
   *  connection never overlaps this one's teardown). */
  request(p, { timeoutMs = 120000, close = false } = {}) {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const res = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`request ${p} timed out`)), timeoutMs);
      this.pending = {
        resolve: (r) => { clearTimeout(t); resolve(r); },
        reject: (e) => { clearTimeout(t); reject(e); },
      };
      this.sock.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sh-bench/1\r\nAccept: */*\r\n` +
        `${close ? 'Connection: close\r\n' : ''}\r\n`);
    });
    if (!close) return res;
    return res.then(async (r) => {
      const t = sleepUnref(timeoutMs).then(() => { throw new Error(`request ${p}: connection not closed`); });
      await Promise.race([this.closedP, t]);
      return r;
    });
  }

  async close() {
    if (this.closed) return;
    await new Promise((resolve) => { this.sock.once('close', resolve); this.sock.end(); setTimeout(() => { this.sock.destroy(); }, 5000).unref(); });
  }
}

// ------------------------------------------------------------ (a) callgrind

// The configurations compared, each in its own Apache against the same
// backend process.
const SETUPS = {
  none: { label: '(a) mod_proxy alone', short: '(a) none', withModule: false, withHeaders: false },
  headers: { label: '(b) mod_proxy + the mod_headers lines', short: '(b) mod_headers', withModule: false, withHeaders: true },
  module: { label: '(c) mod_proxy + mod_secure_headers', short: '(c) module', withModule: true, withHeaders: false },
};
// (c) signing every request (SecureHeadersSignKey), one per algorithm of
// BENCH_SIGN (default all three; empty: none). Their keys are generated
// into the run's temporary directory.
const SIGN_SETUPS = signing.algorithms(process.env.BENCH_SIGN).map((a) => `sign-${a}`);
for (const k of SIGN_SETUPS) {
  const a = k.slice(5);
  SETUPS[k] = { label: `(c) + SecureHeadersSignKey ${signing.ALGS[a].conf || signing.ALGS[a].alg}`, short: `(c) + ${a}`, withModule: true, withHeaders: false, sign: a };
}
// The objects whose functions are each configuration's own (BENCH_SO may
// name the module's file otherwise).
const SETUP_OBJ = { module: `[${path.basename(SO)}]`, headers: '[mod_headers.so]' };
// Connection modes: "close", a new connection per request ("Connection:
// close"), as the figures in docs/performance.md were taken; "keepalive", every
// request on one connection.
const MODE_DESC = { close: 'one request per connection', keepalive: 'one keep-alive connection' };
const MODES = (process.env.BENCH_MODES || 'close,keepalive').split(',').filter((m) => MODE_DESC[m]);
// The mod_headers lines send no environment, so they are compared on the
// small one only. TLS runs on one keep-alive connection (a handshake per
// request under callgrind would take minutes and measure OpenSSL).
const PLAN = {
  small: { setups: ['none', 'headers', 'module', ...SIGN_SETUPS], modes: MODES },
  tls: { setups: ['none', 'module'], modes: MODES.filter((m) => m === 'keepalive') },
  big: { setups: ['none', 'module'], modes: MODES.filter((m) => m === 'keepalive') },
  static: { setups: ['none', 'module'], modes: MODES.filter((m) => m === 'keepalive') },
};
// prefork: one process, one thread, so nothing in a session depends on how
// threads hand connections to each other (under mpm_event, one request per
// connection, runs of the same configuration differed by ±40 instructions
// per request; under prefork by ±20, and by ±3 with the settle delays
// below). The module's and mod_headers' code paths are the same under every
// MPM. BENCH_MPM=event for Debian's default.
const CG_MPM = process.env.BENCH_MPM || 'prefork';
// Races that no configuration controls, taken out: the client sends each
// request, on a new connection, and the backend each answer, SETTLE_MS
// after Apache could first read them, so Apache's first read always finds
// nothing and it waits in poll(). On one keep-alive connection the client
// sends a request only after the last answer; a proxied request keeps
// Apache busy long enough after its answer that the next one is always
// there when it reads, but a static file does not, so there the client
// waits too.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS || 2);
// BENCH_SETUPS=module: (a) and (c) only, e.g. to measure a variant of the
// module (BENCH_SO) against a previous run's (b).
// The signed setups (sign-hmac, ...) are measured against (c), which they
// bring along.
if (process.env.BENCH_SETUPS) {
  const only = new Set(['none', ...process.env.BENCH_SETUPS.split(',')]);
  if ([...only].some((x) => x.startsWith('sign-'))) only.add('module');
  for (const env of Object.keys(PLAN)) PLAN[env].setups = PLAN[env].setups.filter((x) => only.has(x));
}
const ONE_MODE = MODES.length === 1 ? MODES[0] : null;
if (ONE_MODE === 'close') { PLAN.tls.modes = []; PLAN.big.modes = ['close']; PLAN.static.modes = ['close']; }

function callgrindTotal(file) {
  const text = fs.readFileSync(file, 'utf8');
  let m = /^totals:\s*(\d+)/m.exec(text) || /^summary:\s*(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

function cgEnv(repMovsb = REP_MOVSB) {
  const env = { ...process.env, [MARK]: TMP };
  if (!repMovsb) env.GLIBC_TUNABLES = [process.env.GLIBC_TUNABLES, NO_REP_TUNABLES].filter(Boolean).join(':');
  return env;
}

/** One valgrind session: Apache -X under callgrind, n requests (on one
 *  keep-alive connection, or each on its own), then a clean stop. Returns
 *  { ir, file, stats }. */
async function callgrindSession({ env, setup, mode, n, backend, cert, cgDir, rep = 0, repMovsb = REP_MOVSB }) {
  const tag = `${env}-${mode}-${setup}-${n}-r${rep + 1}${repMovsb !== REP_MOVSB ? '-repmovsb' : ''}`;
  const dir = mkInstanceDir(`cg-${tag}`);
  const port = await freePort();
  const { withModule, withHeaders, sign } = SETUPS[setup];
  const conf = apacheConf(dir, { port, backendPort: backend.port, env, withModule, withHeaders, cert, mpm: CG_MPM, sign });
  const file = path.join(cgDir, `callgrind.${tag}.out`);
  // Callgrind creates the file as root at start and writes it at exit, after
  // Apache has switched to www-data: give it to www-data beforehand.
  fs.writeFileSync(file, '');
  fs.chownSync(file, WWW.uid, WWW.gid);
  const stdio = fs.openSync(path.join(dir, 'logs', 'valgrind.log'), 'a');
  const child = spawn('valgrind', ['--tool=callgrind', '--vgdb=no', `--callgrind-out-file=${file}`, ...VALGRIND_ARGS,
    APACHE, '-X', '-f', conf], { stdio: ['ignore', stdio, stdio], env: cgEnv(repMovsb), detached: true });
  fs.closeSync(stdio);
  children.add(child);
  const useTls = env === 'tls';
  const close = mode === 'close';
  let conn;
  try {
    conn = await connectWhenListening(port, useTls, 120000);
    for (let i = 0; i < n; i++) {
      if (close && i > 0) conn = await connectWhenListening(port, useTls, 10000);
      if ((close || env === 'static') && SETTLE_MS) await sleep(SETTLE_MS);
      const r = await conn.request('/bench', { close });
      if (r.status !== 200) throw new Error(`${tag}: request ${i} answered ${r.status}`);
    }
  } catch (e) {
    await stopChild(child);
    const logs = ['valgrind.log', 'error.log'].map((f) => { try { return fs.readFileSync(path.join(dir, 'logs', f), 'utf8'); } catch (_) { return ''; } }).join('\n');
    throw new Error(`${tag}: ${e.message}\n${logs.slice(-3000)}`);
  }
  const stats = await getJSON(backend.port, '/__stats');
  await conn.close();
  await sleep(300); // let Apache see the close before it is stopped
  await stopChild(child, 120000);
  if (!fs.existsSync(file)) throw new Error(`${tag}: callgrind wrote no ${file}`);
  return { ir: callgrindTotal(file), file, stats };
}

/** Parses a callgrind output file into
 *  - fns: Map("function [object]" -> { self, incl, entry }): self cost; self
 *    plus the inclusive cost of every call made from it (recursive calls to
 *    itself left out); and "entry", the inclusive cost of the calls made to
 *    it from another object (for a module: its hooks, whatever they are
 *    called);
 *  - edges: Map("caller [object]\0callee [object]" -> inclusive cost of
 *    those calls);
 *  - calls: Map("caller [object]\0callee [object]" -> how many calls).
 *  Inlined code counts for the function it was inlined into.
 *  (callgrind_annotate --inclusive=yes splits a function by the source file
 *  of its inlined lines; this does not.) */
function parseCallgrind(file) {
  const text = fs.readFileSync(file, 'utf8');
  const obNames = new Map();
  const fnNames = new Map();
  const name = (map, rest) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(rest);
    if (!m) return rest;
    if (m[2] !== undefined) { map.set(m[1], m[2]); return m[2]; }
    return map.get(m[1]);
  };
  const fns = new Map();
  const edges = new Map();
  const calls = new Map();
  let ncalls = 0;
  const entry = (k) => { let e = fns.get(k); if (!e) { e = { self: 0, incl: 0, entry: 0 }; fns.set(k, e); } return e; };
  let ob = '';
  let fn = '';
  let cfn = '';
  let cob = null;
  let key = '';
  let inCall = false;
  let npos = 1; // position columns before the cost ("line", or "instr line")
  for (const line of text.split('\n')) {
    const c = line.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      const cost = Number(line.split(' ')[npos]) || 0;
      const e = entry(key);
      if (inCall) {
        const calleeOb = cob === null ? ob : cob;
        const calleeKey = `${cfn} [${path.basename(calleeOb)}]`;
        if (cfn !== fn) e.incl += cost;
        if (calleeOb !== ob) entry(calleeKey).entry += cost;
        const ek = `${key}\0${calleeKey}`;
        edges.set(ek, (edges.get(ek) || 0) + cost);
        calls.set(ek, (calls.get(ek) || 0) + ncalls);
        inCall = false;
        cob = null;
      } else {
        e.self += cost;
        e.incl += cost;
      }
      continue;
    }
    if (line.startsWith('positions:')) { npos = line.slice(10).trim().split(/\s+/).length; continue; }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const k = line.slice(0, eq);
    const rest = line.slice(eq + 1);
    if (k === 'ob') { ob = name(obNames, rest); key = `${fn} [${path.basename(ob)}]`; }
    else if (k === 'fn') { fn = name(fnNames, rest); key = `${fn} [${path.basename(ob)}]`; cob = null; }
    else if (k === 'cob') cob = name(obNames, rest);
    else if (k === 'cfn') cfn = name(fnNames, rest);
    else if (k === 'calls') { inCall = true; ncalls = Number(rest.split(' ')[0]) || 0; }
  }
  return { fns, edges, calls };
}

/** Per-request cost of each function and call edge: (cost in the n2
 *  session - cost in the n1 session) / (n2 - n1). */
function perRequest(file1, file2, dn) {
  const a = parseCallgrind(file1);
  const b = parseCallgrind(file2);
  const zero = { self: 0, incl: 0, entry: 0 };
  const fns = new Map();
  for (const k of new Set([...a.fns.keys(), ...b.fns.keys()])) {
    const x = a.fns.get(k) || zero;
    const y = b.fns.get(k) || zero;
    fns.set(k, { self: (y.self - x.self) / dn, incl: (y.incl - x.incl) / dn, entry: (y.entry - x.entry) / dn });
  }
  const edges = new Map();
  for (const k of new Set([...a.edges.keys(), ...b.edges.keys()])) {
    edges.set(k, ((b.edges.get(k) || 0) - (a.edges.get(k) || 0)) / dn);
  }
  // Calls by edge: per request, and the n2 session's own count (start-up
  // included).
  const calls = new Map();
  for (const k of new Set([...a.calls.keys(), ...b.calls.keys()])) {
    calls.set(k, { perRequest: ((b.calls.get(k) || 0) - (a.calls.get(k) || 0)) / dn, session: b.calls.get(k) || 0 });
  }
  return { fns, edges, calls };
}

const bare = (k) => k.replace(/ \[[^\]]*\]$/, '');

/** Where the instructions a configuration adds to (a) go, per request. */
function profileOf(setup, w, o) {
  const obj = SETUP_OBJ[setup];
  const get = (m, k, f) => ((m.fns.get(k) || {})[f] || 0);
  const prof = { obj };
  // The module's own functions, self and inclusive.
  prof.functions = [...w.fns.entries()]
    .filter(([k, v]) => k.endsWith(obj) && Math.abs(v.incl) >= 0.5)
    .map(([k, v]) => ({ fn: bare(k), self: v.self, incl: v.incl }))
    .sort((a, b) => b.incl - a.incl);
  // What httpd and mod_proxy call in it (its hooks), inclusive.
  // Named with their callers, since Debian's own modules are stripped.
  const callers = new Map();
  for (const [k, ir] of w.edges) {
    const [caller, callee] = k.split('\0');
    if (callee.endsWith(obj) && !caller.endsWith(obj) && ir >= 0.5) {
      callers.set(callee, [...(callers.get(callee) || []), bare(caller)]);
    }
  }
  prof.hooks = [...w.fns.entries()]
    .filter(([k, v]) => k.endsWith(obj) && Math.abs(v.entry) >= 0.5)
    .map(([k, v]) => ({ fn: bare(k), from: callers.get(k) || [], ir: v.entry }))
    .sort((a, b) => b.ir - a.ir);
  prof.insideHooks = prof.hooks.reduce((a, h) => a + h.ir, 0);
  prof.selfInObject = prof.functions.reduce((a, f) => a + f.self, 0);
  // What its functions call outside it, inclusive, by callee: with the
  // self costs above, the whole of the hooks' cost.
  const called = new Map();
  for (const [k, ir] of w.edges) {
    const [caller, callee] = k.split('\0');
    if (caller.endsWith(obj) && !callee.endsWith(obj)) called.set(callee, (called.get(callee) || 0) + ir);
  }
  prof.calledFromHooks = [...called.entries()].filter(([, ir]) => Math.abs(ir) >= 0.5)
    .map(([fn, ir]) => {
      // Leaf: calls nothing (or next to nothing: apr_palloc now and then
      // asks the allocator for a block) in the whole session.
      const incl = get(w, fn, 'incl');
      return { fn, ir, leaf: incl - get(w, fn, 'self') <= 0.05 * Math.abs(incl) };
    })
    .sort((a, b) => b.ir - a.ir);
  const dIncl = (k) => get(w, k, 'incl') - get(o, k, 'incl');
  // mod_proxy's request serialisation, minus the proxy fixups it calls.
  prof.proxySteps = [
    ['ap_proxy_create_hdrbrgd [mod_proxy.so]: copy, clean and format the headers (without proxy_run_fixups)',
      dIncl('ap_proxy_create_hdrbrgd [mod_proxy.so]') - dIncl('proxy_run_fixups [mod_proxy.so]')],
    ['proxy_run_fixups [mod_proxy.so]: hook dispatch and the proxy fixups', dIncl('proxy_run_fixups [mod_proxy.so]')],
    ['ap_proxy_pass_brigade [mod_proxy.so]: sending the request to the backend', dIncl('ap_proxy_pass_brigade [mod_proxy.so]')],
    ['ap_run_post_read_request [apache2] (with post_read_request hooks)', dIncl('ap_run_post_read_request [apache2]')],
    ['ap_run_fixups [apache2] (with fixups hooks)', dIncl('ap_run_fixups [apache2]')],
  ].map(([fn, ir]) => ({ fn, ir }));
  // Self cost by function, with minus without; the part of it that the
  // hooks incurred themselves (their own functions, and what the functions
  // they call cost when called from them) taken out, so that what is left
  // is outside the hooks. Exact for leaf functions; for the others (which
  // the module's few, apr_table_addn growing a table, hardly are) what they
  // call in turn stays in its own row. Shown for the module only:
  // mod_headers' expressions run deep into httpd.
  const inHook = new Map();
  for (const f of prof.calledFromHooks) inHook.set(f.fn, f.ir);
  prof.nonLeafCalls = prof.calledFromHooks.filter((f) => !f.leaf).map((f) => f.fn);
  prof.selfDelta = [...new Set([...w.fns.keys(), ...o.fns.keys()])]
    .map((k) => {
      const d = get(w, k, 'self') - get(o, k, 'self');
      const inside = k.endsWith(obj) ? d : (inHook.get(k) || 0);
      return { fn: k, ir: d, inside, outside: d - inside };
    })
    .filter((x) => Math.abs(x.ir) >= 1)
    .sort((a, b) => Math.abs(b.ir) - Math.abs(a.ir));
  prof.outsideByFunction = prof.selfDelta.filter((x) => Math.abs(x.outside) >= 1)
    .map((x) => ({ fn: x.fn, ir: x.outside }))
    .sort((a, b) => Math.abs(b.ir) - Math.abs(a.ir));
  return prof;
}

function annotate(tag, file) {
  // For people: callgrind_annotate's views of a session.
  for (const [k, inc] of [['self', false], ['inclusive', true]]) {
    const r = run('callgrind_annotate', ['--auto=no', '--threshold=99.9', ...(inc ? ['--inclusive=yes'] : []), file]);
    if (r.status === 0) fs.writeFileSync(path.join(OUT, `callgrind_annotate.${tag}.${k}.txt`), r.stdout);
  }
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const halfSpread = (a) => (a.length > 1 ? (Math.max(...a) - Math.min(...a)) / 2 : null);

/** Measures one environment in one connection mode: every configuration of
 *  its plan, REPEAT times, in the order (a) (b) (c) each time. */
async function measure(env, mode, ctx) {
  const { setups } = PLAN[env];
  const dn = N2 - N1;
  const reps = [];
  for (let rep = 0; rep < REPEAT; rep++) {
    const s = {};
    for (const setup of setups) {
      const pair = {};
      for (const n of [N1, N2]) {
        const t0 = Date.now();
        pair[n] = await callgrindSession({ env, setup, mode, n, rep, ...ctx });
        log(`#   ${env}, ${mode}, ${SETUPS[setup].short.padEnd(15)} ${String(n).padStart(4)} requests` +
          `${REPEAT > 1 ? ` (#${rep + 1})` : ''}: Ir ${fmt(pair[n].ir)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      s[setup] = { perRequest: (pair[N2].ir - pair[N1].ir) / dn, first: pair[N1], second: pair[N2] };
    }
    reps.push(s);
  }
  const res = { env, mode, desc: ENV_DESC[env], modeDesc: MODE_DESC[mode], setups: {} };
  for (const setup of setups) {
    const per = reps.map((s) => s[setup].perRequest);
    const added = reps.map((s) => s[setup].perRequest - s.none.perRequest);
    res.setups[setup] = { perRequest: mean(per), perRequestRuns: per, added: mean(added), addedRuns: added, noise: halfSpread(added) };
  }
  const s0 = reps[0];
  const got = (setup) => s0[setup].second.stats;
  // What reached the backend: the secure headers with (c) (signed or not)
  // only, the two mod_headers ones with (b) only; the module's signature,
  // of the setup's algorithm and verified, with the signed setups only.
  // (Nothing is proxied in "static".)
  for (const setup of env === 'static' ? [] : setups) {
    const st = got(setup);
    const secure = st.secure.map((h) => h.name);
    const plain = HEADER_NAMES.filter((h) => st.names.includes(h.toLowerCase()));
    if (SETUPS[setup].withModule !== (secure.length > 0)) throw new Error(`${env} ${mode} ${setup}: secure headers ${secure.join(', ') || 'none'}`);
    if ((setup === 'headers') !== (plain.length === HEADER_NAMES.length)) throw new Error(`${env} ${mode} ${setup}: mod_headers lines ${plain.join(', ') || 'none'}`);
    res.setups[setup].headers = SETUPS[setup].withModule ? st.secure.map((h) => `${h.name} (${h.length} B)`) : plain;
    const sig = signing.checkSignature(st, SETUPS[setup].sign, `${env} ${mode} ${setup}`);
    if (sig) {
      res.setups[setup].signature = sig;
      res.setups[setup].headers.push(`Signature-Input (${sig.inputLength} B)`, `Signature (${sig.signatureLength} B)`);
    }
  }
  const ev = env === 'static' ? null : got('module').envvars;
  res.envRawBytes = ev ? ev.rawBytes : 0;
  res.envEncodedBytes = ev ? ev.encodedBytes : 0;
  res.envVariables = ev ? ev.variables : 0;
  res.envNames = ev ? ev.names : [];
  const m = res.setups.module;
  res.ipb = res.envRawBytes ? m.added / res.envRawBytes : null;
  if (res.setups.headers) {
    const ratios = reps.map((s) => (s.module.perRequest - s.none.perRequest) / (s.headers.perRequest - s.none.perRequest));
    res.ratio = m.added / res.setups.headers.added;
    res.ratioRuns = ratios;
  }
  // Profiles from the first repetition's sessions; the signed setups'
  // against (c), in res.signing.
  const o = perRequest(s0.none.first.file, s0.none.second.file, dn);
  res.profiles = {};
  let wModule = null;
  for (const setup of setups.filter((x) => x !== 'none' && !SETUPS[x].sign)) {
    const w = perRequest(s0[setup].first.file, s0[setup].second.file, dn);
    res.profiles[setup] = profileOf(setup, w, o);
    if (setup === 'module') wModule = w;
    annotate(`${env}.${mode}.${setup}`, s0[setup].second.file);
  }
  const signed = setups.filter((x) => SETUPS[x].sign);
  if (signed.length) {
    res.signing = {};
    for (const setup of signed) {
      const w = perRequest(s0[setup].first.file, s0[setup].second.file, dn);
      const over = reps.map((x) => x[setup].perRequest - x.module.perRequest);
      res.signing[setup] = {
        alg: SETUPS[setup].sign, label: SETUPS[setup].label, overModule: mean(over), overModuleRuns: over,
        noise: halfSpread(over), overNone: res.setups[setup].added, perRequest: res.setups[setup].perRequest,
        signature: res.setups[setup].signature,
        profile: signing.profile(w, wModule, { moduleObj: SETUP_OBJ.module, firstOverModule: over[0] }),
        sessionLabel: `${N1}/${N2}`,
      };
      annotate(`${env}.${mode}.${setup}`, s0[setup].second.file);
    }
  }
  res.hooksSharePct = res.profiles.module.insideHooks / res.setups.none.perRequest * 100;
  res.addedSharePct = m.added / res.setups.none.perRequest * 100;
  for (const setup of setups) {
    for (const f of [s0[setup].first.file, s0[setup].second.file]) fs.copyFileSync(f, path.join(OUT, path.basename(f)));
  }
  return res;
}

async function runCallgrind() {
  const cgDir = path.join(TMP, 'callgrind');
  fs.mkdirSync(cgDir, { recursive: true });
  fs.chmodSync(cgDir, 0o1777); // Apache writes it after switching to www-data
  const cert = makeCert(TMP);
  const backend = await startBackend('callgrind', null, SETTLE_MS);
  const ctx = { backend, cert, cgDir };
  const results = [];
  const dn = N2 - N1;
  try {
    for (const env of ENVS) {
      for (const mode of PLAN[env].modes) results.push(await measure(env, mode, ctx));
    }
    // The big environment once more with glibc's own memcpy strategy, to
    // show what valgrind's per-byte count of "rep movsb" does to the figure.
    const big = results.find((r) => r.env === 'big');
    if (big && !REP_MOVSB && !QUICK) {
      const ir = {};
      for (const setup of ['none', 'module']) {
        for (const n of [N1, N2]) {
          const r = await callgrindSession({ env: 'big', setup, mode: big.mode, n, repMovsb: true, ...ctx });
          log(`#   big, ${big.mode}, ${SETUPS[setup].short.padEnd(15)} ${String(n).padStart(4)} requests, glibc default memcpy: Ir ${fmt(r.ir)}`);
          ir[`${setup}${n}`] = r.ir;
        }
      }
      const delta = ((ir[`module${N2}`] - ir[`module${N1}`]) - (ir[`none${N2}`] - ir[`none${N1}`])) / dn;
      big.glibcDefault = { delta, ipb: delta / big.envRawBytes };
    }
  } finally {
    await stopChild(backend.child);
  }
  return results;
}

// ------------------------------------------------------------ (b) wrk

async function startApache(name, opts) {
  const dir = mkInstanceDir(name);
  const port = await freePort();
  if (opts.kind === 'passenger') {
    for (const d of ['app/public', 'passenger/registry', 'passenger/buffer', 'passenger/spawn']) {
      fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
    }
    fs.copyFileSync(BACKEND_JS, path.join(dir, 'app', 'app.js'));
    fs.chmodSync(path.join(dir, 'app', 'app.js'), 0o644);
  }
  const conf = apacheConf(dir, { port, mpmTuning: true, ...opts });
  const stdio = fs.openSync(path.join(dir, 'logs', 'stdout.log'), 'a');
  const child = spawn(...pinned(SERVER_CPUS, APACHE, ['-f', conf, '-DFOREGROUND']), {
    stdio: ['ignore', stdio, stdio], env: { ...process.env, [MARK]: TMP, [SETUP]: name, LANG: 'C.UTF-8' }, detached: true,
  });
  fs.closeSync(stdio);
  children.add(child);
  const deadline = Date.now() + 60000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const conn = await connectWhenListening(port, false, 1000);
      const r = await conn.request('/bench', { timeoutMs: 30000 });
      await conn.close();
      if (r.status === 200) return { name, port, dir, child };
      last = `status ${r.status}`;
    } catch (e) { last = e.message; }
    await sleep(300);
  }
  const logs = ['error.log', 'stdout.log', 'passenger.log'].map((f) => { try { return fs.readFileSync(path.join(dir, 'logs', f), 'utf8'); } catch (_) { return ''; } }).join('\n');
  throw new Error(`${name} did not answer (${last}):\n${logs.slice(-3000)}`);
}

function wrk(port, seconds) {
  const r = run(...pinned(CLIENT_CPUS, 'wrk', [`-t${THREADS}`, `-c${CONNS}`, `-d${seconds}s`, `http://127.0.0.1:${port}/bench`]));
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}${r.stdout}`);
  const m = /Requests\/sec:\s*([\d.]+)/.exec(r.stdout);
  if (!m) throw new Error(`no Requests/sec in wrk output:\n${r.stdout}`);
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(r.stdout);
  const errs = /Socket errors:([^\n]*)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  return { rps: Number(m[1]), requests: total ? Number(total[1]) : 0, non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: errs ? errs[1].trim() : '', out: r.stdout };
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds (user + system) used so far by the processes of the given
 *  setups: those carrying SH_BENCH_SETUP=<name> (Apache and its children,
 *  Passenger's agents) or running from the setup's directory (Passenger's
 *  Node.js app). Exited processes are not counted. */
function cpuSeconds(names) {
  const needles = names.map((n) => Buffer.from(`${SETUP}=${n}\0`));
  const dirs = names.map((n) => Buffer.from(path.join(TMP, n) + '/'));
  let ticks = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const env = fs.readFileSync(`/proc/${e}/environ`);
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`);
      if (!needles.some((n) => env.includes(n)) && !dirs.some((d) => cmd.includes(d))) continue;
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch (_) { /* gone */ }
  }
  return ticks / CLK_TCK;
}

/** Other work on the machine makes throughput figures noisy: say so. */
function loadNote() {
  const la = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  return { loadavg: la, busy: la[0] > 0.5 };
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };

/** wrk against each setup in turn, ROUNDS rounds in the order given, then
 *  reversed, ...; per-round req/s and server CPU per request (the Apache
 *  instance, and the backend unless the setup has none of its own) into
 *  res.setups, in the order given. */
function wrkRounds(setups, res, backendTag) {
  log(`# wrk -t${THREADS} -c${CONNS} -d${DURATION}s, ${ROUNDS} rounds; warm-up 2 s each`);
  for (const s of setups) {
    wrk(s.port, 2);
    s.rps = [];
    s.cpuUs = [];
    s.webUs = [];
    s.appUs = [];
    s.bad = 0;
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...setups].reverse() : setups;
    const line = [];
    for (const s of order) {
      const web0 = cpuSeconds([s.name]);
      const app0 = s.noBackend ? 0 : cpuSeconds([backendTag]);
      const w = wrk(s.port, DURATION);
      const web = cpuSeconds([s.name]) - web0;
      const app = s.noBackend ? 0 : cpuSeconds([backendTag]) - app0;
      s.rps.push(w.rps);
      if (w.requests) {
        s.cpuUs.push((web + app) / w.requests * 1e6);
        s.webUs.push(web / w.requests * 1e6);
        s.appUs.push(app / w.requests * 1e6);
      }
      s.bad += w.non2xx;
      if (w.errors) res.notes.push(`${s.key} round ${round + 1}: socket errors ${w.errors}`);
      line.push(`${s.key} ${fmt(w.rps)}`);
    }
    log(`#   round ${round + 1}: ${line.join(', ')} req/s`);
  }
  for (const s of setups) {
    res.setups.push({ key: s.key, label: s.label, rps: s.rps, median: median(s.rps), non2xx: s.bad,
      cpuUs: s.cpuUs, cpuMedian: s.cpuUs.length ? median(s.cpuUs) : null,
      webMedian: s.webUs.length ? median(s.webUs) : null, appMedian: s.appUs.length ? median(s.appUs) : null });
    if (s.bad) res.notes.push(`${s.key}: ${s.bad} non-2xx responses`);
  }
}

async function runWrk() {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error || !/wrk/.test(r.stdout + r.stderr)) {
    log('# wrk not installed (apt-get install wrk): throughput skipped');
    return null;
  }
  const res = { setups: [], notes: [] };
  res.load = loadNote();
  const backend = await startBackend('wrk', SERVER_CPUS);
  const setups = [];
  try {
    setups.push({ key: 'A', label: 'Apache + mod_proxy', ...(await startApache('wrk-A', { backendPort: backend.port, withModule: false })) });
    setups.push({ key: 'B', label: 'Apache + mod_proxy + mod_secure_headers', ...(await startApache('wrk-B', { backendPort: backend.port, withModule: true })) });
    // The module's headers must reach the backend through B.
    const c = await connectWhenListening(setups[1].port, false, 1000);
    await c.request('/bench'); await c.close();
    const st = await getJSON(backend.port, '/__stats');
    if (!st.secure.length) throw new Error('B: no secure headers reached the backend');
    res.secureHeadersB = st.secure.map((h) => h.name);
    const whyNot = !fs.existsSync(PASSENGER_SO) ? `${PASSENGER_SO} not installed`
      : !fs.existsSync(PASSENGER_ROOT) ? `${PASSENGER_ROOT} missing`
        : process.getuid() !== 0 ? 'Passenger setup needs root' : null;
    if (whyNot) {
      res.notes.push(`Passenger skipped: ${whyNot}`);
    } else {
      try {
        setups.push({ key: 'C', label: 'Apache + Passenger 6', noBackend: true, ...(await startApache('wrk-C', { kind: 'passenger', withModule: false })) });
      } catch (e) {
        res.notes.push(`Passenger skipped: ${e.message.split('\n')[0]}`);
        log(e.message);
      }
    }
    // A B C, then C B A: no setup always runs first or last, and B always
    // runs right next to A and to C, for paired per-round ratios.
    wrkRounds(setups, res, 'backend-wrk');
  } finally {
    for (const s of setups) await stopChild(s.child);
    await stopChild(backend.child);
    // Passenger's watchdog takes its core and the app down; make sure.
    for (let i = 0; i < 50 && markedPids(TMP).length; i++) await sleep(100);
    for (const pid of markedPids(TMP)) { try { process.kill(pid, 'SIGKILL'); } catch (_) { /* gone */ } }
  }
  const get = (k) => res.setups.find((s) => s.key === k);
  res.ratioBA = get('B').median / get('A').median;
  res.ratioBC = get('C') ? get('B').median / get('C').median : null;
  const paired = (x, y) => (get(x) && get(y) ? median(get(x).rps.map((v, i) => v / get(y).rps[i])) : null);
  res.pairedBA = paired('B', 'A');
  res.pairedBC = paired('B', 'C');
  res.cpuRatioBA = get('A').cpuMedian ? get('B').cpuMedian / get('A').cpuMedian : null;
  res.cpuRatioCB = get('C') && get('B').cpuMedian ? get('C').cpuMedian / get('B').cpuMedian : null;
  return res;
}

/** Throughput signed against unsigned (docs/signing.md): the module
 *  unsigned (U) and signing with each algorithm of BENCH_WRK_SIGN (default
 *  hmac and ed25519: H, E; ecdsa: S) to one backend, in alternating rounds
 *  with U in the middle (H U E, E U H, ...), so that it runs right next to
 *  each. The signature of each signed setup is checked before. */
async function runWrkSign() {
  const algs = signing.algorithms(process.env.BENCH_WRK_SIGN, ['hmac', 'ed25519']);
  if (!algs.length) return null;
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error || !/wrk/.test(r.stdout + r.stderr)) return null;
  const res = { setups: [], notes: [], algs };
  res.load = loadNote();
  const backend = await startBackend('wrk-sign', SERVER_CPUS);
  const setups = [];
  const KEY = { hmac: 'H', ed25519: 'E', ecdsa: 'S', derived: 'D' };
  try {
    const unsigned = { key: 'U', label: 'Apache + mod_proxy + mod_secure_headers, unsigned', alg: null,
      ...(await startApache('wrk-U', { backendPort: backend.port, withModule: true })) };
    const signed = [];
    for (const a of algs) {
      signed.push({ key: KEY[a], label: `the same + SecureHeadersSignKey ${signing.ALGS[a].conf || signing.ALGS[a].alg}`, alg: a,
        ...(await startApache(`wrk-${KEY[a]}`, { backendPort: backend.port, withModule: true, sign: a })) });
    }
    setups.push(signed[0], unsigned, ...signed.slice(1));
    for (const s of setups) {
      const c = await connectWhenListening(s.port, false, 1000);
      await c.request('/bench'); await c.close();
      const st = await getJSON(backend.port, '/__stats');
      if (!st.secure.length) throw new Error(`${s.key}: no secure headers reached the backend`);
      s.signature = signing.checkSignature(st, s.alg, `wrk ${s.key}`);
    }
    wrkRounds(setups, res, 'backend-wrk-sign');
  } finally {
    for (const s of setups) await stopChild(s.child);
    await stopChild(backend.child);
  }
  const get = (k) => res.setups.find((s) => s.key === k);
  const u = get('U');
  res.ratios = algs.map((a) => {
    const s = get(KEY[a]);
    return { alg: a, key: s.key, ratio: s.median / u.median, paired: median(s.rps.map((v, i) => v / u.rps[i])),
      cpuRatio: u.cpuMedian && s.cpuMedian ? s.cpuMedian / u.cpuMedian : null,
      cpuAddedUs: u.cpuMedian && s.cpuMedian ? s.cpuMedian - u.cpuMedian : null };
  });
  res.loadAfter = loadNote();
  return res;
}

// ------------------------------------------------------------ report

function moduleVersion() {
  if (process.env.BENCH_SO) return '';
  const head = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO });
  const dirty = run('git', ['status', '--porcelain', '--', ':(glob)*.c', 'include', 'Makefile.apxs', 'units.mk'], { cwd: REPO });
  if (head.status !== 0) return '';
  return `, built from ${head.stdout.trim()}${dirty.stdout.trim() ? ' with uncommitted changes to its sources' : ''}`;
}

function report(cg, wk, sg = {}) {
  const L = [];
  const p = (s = '') => L.push(s);
  const ok = (b) => (b === null || b === undefined ? 'n/a' : b ? 'met' : '**NOT met**');
  p('# mod_secure_headers benchmark');
  p();
  p(`${new Date().toISOString()}, ${os.cpus().length} CPU(s) ${os.cpus()[0] ? os.cpus()[0].model : ''}, ` +
    `${run(APACHE, ['-v']).stdout.split('\n')[0].replace('Server version: ', '')}, node ${process.version}` +
    `${QUICK ? ', BENCH_QUICK=1' : ''}`);
  p(`Module: ${SO}${moduleVersion()}`);
  if (cg && cg.length) {
    const pm = (x, noise) => `${fmt(x)}${noise !== null && noise !== undefined ? ` ± ${fmt(noise)}` : ''}`;
    p();
    p(`## Instructions per proxied request (callgrind, apache2 -X, mpm_${CG_MPM}; (Ir(${N2}) - Ir(${N1})) / ${N2 - N1} requests)`);
    p();
    p('Configurations, each its own Apache proxying to the same Node.js backend (a fixed 3-byte answer):');
    p();
    for (const k of Object.keys(SETUPS)) p(`- ${SETUPS[k].label}`);
    p();
    for (const l of HEADERS_CONF) p(`    ${l}`);
    p();
    p('(b) loads mod_headers, which Debian does not enable by default; it sends the client address and the scheme, ' +
      'spoofable (a client can send the same names) and without the environment.');
    p();
    p('| environment | connection | (a) request | (b) added | (c) added | (c) / (b) | (c): module\'s hooks | hooks / (a) request | env bytes raw / base64 (vars) | (c) instr / env byte |');
    p('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of cg) {
      const b = r.setups.headers;
      const c = r.setups.module;
      p(`| ${r.env}: ${r.desc} | ${r.modeDesc} | ${fmt(r.setups.none.perRequest)} | ${b ? pm(b.added, b.noise) : '-'} | ` +
        `${pm(c.added, c.noise)} | ${r.ratio !== undefined ? `**${fmt(r.ratio, 3)}**` : '-'} | ${fmt(r.profiles.module.insideHooks)} | ` +
        `${fmt(r.hooksSharePct, 2)}% | ${r.envRawBytes ? `${fmt(r.envRawBytes)} / ${fmt(r.envEncodedBytes)} (${r.envVariables})` : "-"} | ${r.ipb === null ? 'n/a' : fmt(r.ipb, 2)} |`);
    }
    p();
    if (REPEAT > 1) {
      p(`Each figure is the mean of ${REPEAT} independent runs of every configuration (same binaries, same configuration, same requests); ` +
        '± is half their spread. The runs one by one:');
      p();
      for (const r of cg) {
        const parts = Object.keys(r.setups).map((k) => `${SETUPS[k].short} ${r.setups[k].perRequestRuns.map((x) => fmt(x)).join(' / ')}` +
          (k === 'none' ? '' : ` (added ${r.setups[k].addedRuns.map((x) => fmt(x)).join(' / ')})`));
        p(`- ${r.env}, ${r.modeDesc}: ${parts.join('; ')}${r.ratioRuns ? `; (c)/(b) ${r.ratioRuns.map((x) => fmt(x, 3)).join(' / ')}` : ''}`);
      }
      p();
    }
    p(REP_MOVSB ? 'glibc\'s default memcpy/memset (rep movsb/stosb for large blocks, which valgrind counts per byte).'
      : 'glibc made to copy and clear large blocks with vector loops instead of rep movsb/stosb, which valgrind counts ' +
        'as one instruction per byte (GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=...; BENCH_REP_MOVSB=1 to keep glibc\'s default).');
    const big = cg.find((r) => r.glibcDefault);
    if (big) {
      p(`With glibc's default (rep movsb counted per byte), big: ${fmt(big.glibcDefault.delta)} added per request, ` +
        `${fmt(big.glibcDefault.ipb, 2)} per env byte: mod_proxy's copy of the 8.6 KB header value weighs in byte by byte.`);
    }
    p();
    p('Headers that reached the backend: ' + cg.filter((r) => r.env !== 'static').map((r) => `${r.env} (${r.mode}): ` +
      Object.keys(r.setups).filter((k) => k !== 'none').map((k) => `${SETUPS[k].short} ${r.setups[k].headers.join(', ')}`).join('; ')).join('. ') +
      '. (a): neither.');
    p();
    p('## Where the added instructions go (callgrind profile, per request, first run)');
    for (const r of cg) {
      for (const setup of Object.keys(r.profiles)) {
        const pr = r.profiles[setup];
        const added = r.setups[setup].added;
        const first = r.setups[setup].addedRuns[0];
        const steps = Object.fromEntries(pr.proxySteps.map((x) => [x.fn.split(' ')[0], x.ir]));
        const hdr = steps.ap_proxy_create_hdrbrgd;
        const pass = steps.ap_proxy_pass_brigade;
        p();
        p(`### ${r.env}, ${r.modeDesc}, ${SETUPS[setup].label}: ${fmt(first)} added (this run; mean ${fmt(added)})`);
        p();
        p('| where | Ir / request |');
        p('|---|---:|');
        for (const h of pr.hooks) p(`| hook ${h.fn}${h.from.length ? ` (from ${h.from.join(', ')})` : ''}, inclusive | ${fmt(h.ir)} |`);
        p(`| **the ${pr.obj.slice(1, -1)} hooks, together** | **${fmt(pr.insideHooks)}** |`);
        p(`| mod_proxy formatting the headers (ap_proxy_create_hdrbrgd without the proxy fixups) | ${fmt(hdr)} |`);
        p(`| mod_proxy sending them (ap_proxy_pass_brigade) | ${fmt(pass)} |`);
        p(`| everything else | ${fmt(first - pr.insideHooks - hdr - pass)} |`);
        p();
        p(`Inside the hooks: ${fmt(pr.selfInObject)} in ${pr.obj.slice(1, -1)}'s own code, the rest in what it calls:`);
        p();
        p('| function | self | inclusive |');
        p('|---|---:|---:|');
        for (const f of pr.functions.slice(0, 20)) p(`| ${f.fn} | ${fmt(f.self)} | ${fmt(f.incl)} |`);
        p();
        p('| called from the hooks (inclusive) | Ir / request |');
        p('|---|---:|');
        for (const f of pr.calledFromHooks.slice(0, 20)) p(`| ${f.fn}${f.leaf ? '' : ' (and what it calls)'} | ${fmt(f.ir)} |`);
        p();
        if (setup === 'module') {
          p('Outside the hooks, by function (self cost with minus without, less what the hooks spent in it; top 20); ' +
            'with the tables above, every instruction added:');
          p();
          p('| function [object] | Ir / request |');
          p('|---|---:|');
          let rest = first - pr.insideHooks;
          for (const f of pr.outsideByFunction.slice(0, 20)) { p(`| ${f.fn} | ${fmt(f.ir)} |`); rest -= f.ir; }
          p(`| (all other functions) | ${fmt(rest)} |`);
        } else {
          p('Self cost by function, with minus without, hooks included (top 20):');
          p();
          p('| function [object] | Ir / request |');
          p('|---|---:|');
          for (const f of pr.selfDelta.slice(0, 20)) p(`| ${f.fn} | ${fmt(f.ir)} |`);
        }
      }
    }
  }
  if (wk) {
    p();
    p(`## Throughput (wrk -t${THREADS} -c${CONNS} -d${DURATION}s, ${ROUNDS} alternating rounds, mpm_event, same Node.js backend code)`);
    p();
    p(PIN ? `Servers (Apache, Node.js backend, Passenger and its app) pinned to CPU ${SERVER_CPUS}, wrk to CPU ${CLIENT_CPUS} (BENCH_PIN=1).`
      : 'No CPU pinning.');
    p(`Load average before the runs: ${wk.load.loadavg.join(' ')}${wk.load.busy ? ' -- **the machine was busy: other work skews these figures**' : ''}.`);
    p();
    p(`| setup | ${wk.setups[0].rps.map((_, i) => `round ${i + 1}`).join(' | ')} | median req/s |`);
    p(`|---|${wk.setups[0].rps.map(() => '---:').join('|')}|---:|`);
    for (const s of wk.setups) p(`| ${s.key}: ${s.label} | ${s.rps.map((x) => fmt(x)).join(' | ')} | ${fmt(s.median)} |`);
    p();
    p(`Ratio of medians: B/A = ${fmt(wk.ratioBA, 3)}x${wk.ratioBC !== null ? `, B/C = ${fmt(wk.ratioBC, 2)}x` : ''}. ` +
      `Median of the per-round ratios (B ran right next to A and C each round): B/A = ${fmt(wk.pairedBA, 3)}x` +
      `${wk.pairedBC !== null ? `, B/C = ${fmt(wk.pairedBC, 2)}x` : ''}.`);
    p();
    p('Server-side CPU time per request (user + system of Apache and its children, and of the backend: the Node.js process ' +
      'for A and B, Passenger\'s agents and its Node.js app for C), median of the rounds; less disturbed by other work than req/s:');
    p();
    p('| setup | CPU µs / request, per round | median | of which Apache | of which Node.js backend |');
    p('|---|---|---:|---:|---:|');
    for (const s of wk.setups) {
      p(`| ${s.key} | ${s.cpuUs.map((x) => fmt(x, 1)).join(', ')} | ${fmt(s.cpuMedian, 1)} | ` +
        `${s.key === 'C' ? 'n/a' : fmt(s.webMedian, 1)} | ${s.key === 'C' ? 'n/a' : fmt(s.appMedian, 1)} |`);
    }
    p();
    p(`B/A CPU per request = ${fmt(wk.cpuRatioBA, 3)}x${wk.cpuRatioCB !== null ? `; C/B = ${fmt(wk.cpuRatioCB, 2)}x` : ''}`);
    for (const n of wk.notes) p(`- ${n}`);
  }
  const signCtx = { cg, wrk: sg.wrk, native: sg.native, fmt, ok, N1, N2, THREADS, CONNS, DURATION, ROUNDS, PIN };
  for (const l of signing.reportSection(signCtx)) p(l);
  p();
  p('## Summary');
  p();
  p('| figure | measured | target | |');
  p('|---|---:|---:|---|');
  if (cg && cg.length) {
    const at = (env, mode) => cg.find((r) => r.env === env && (!mode || r.mode === mode));
    for (const r of cg.filter((x) => x.ratio !== undefined)) {
      p(`| small env, ${r.modeDesc}: (c) / (b), added instructions | ${fmt(r.ratio, 3)} (${fmt(r.setups.module.added)} / ${fmt(r.setups.headers.added)}) | ` +
        `<= ${TARGET_RATIO} (aim ${AIM_RATIO}) | ${ok(r.ratio <= TARGET_RATIO)}${r.ratio <= AIM_RATIO ? ', aim met' : ''} |`);
    }
    for (const r of cg.filter((x) => x.env === 'small')) {
      p(`| small env, ${r.modeDesc}: module's hooks / request | ${fmt(r.hooksSharePct, 2)}% (${fmt(r.profiles.module.insideHooks)} / ${fmt(r.setups.none.perRequest)}) | ` +
        `<= ${TARGET_HOOKS_SHARE}% | ${ok(r.hooksSharePct <= TARGET_HOOKS_SHARE)} |`);
    }
    const st = at('static');
    if (st) p(`| not proxied: the module's hooks / request | ${fmt(st.profiles.module.insideHooks)} (${fmt(st.hooksSharePct, 2)}%) | - | |`);
    const tls = at('tls');
    if (tls) p(`| TLS +StdEnvVars: instructions added / request | ${fmt(tls.setups.module.added)} (${fmt(tls.addedSharePct, 2)}%), ${fmt(tls.ipb, 2)} / env byte | - | |`);
    const big = at('big');
    if (big) p(`| big env: instructions / byte of serialised env | ${fmt(big.ipb, 2)} (${fmt(big.setups.module.added)} / ${fmt(big.envRawBytes)} B) | <= ${TARGET_BIG_IPB} | ${ok(big.ipb <= TARGET_BIG_IPB)} |`);
  }
  if (wk) {
    p(`| throughput B/A (module vs mod_proxy alone) | ${fmt(wk.ratioBA, 3)}x | >= ${TARGET_VS_PROXY}x | ${ok(wk.ratioBA >= TARGET_VS_PROXY)} |`);
    if (wk.cpuRatioBA !== null) p(`| server CPU per request B/A (for information) | ${fmt(wk.cpuRatioBA, 3)}x | - | |`);
    p(`| throughput B/C (module vs Passenger) | ${wk.ratioBC === null ? 'skipped' : `${fmt(wk.ratioBC, 2)}x`} | >= ${TARGET_VS_PASSENGER}x | ${wk.ratioBC === null ? 'n/a (Passenger not run)' : ok(wk.ratioBC >= TARGET_VS_PASSENGER)} |`);
  }
  for (const l of signing.summaryRows(signCtx)) p(l);
  return L.join('\n') + '\n';
}

// ------------------------------------------------------------ main

async function main() {
  if (process.getuid && process.getuid() !== 0) log('# warning: not root; Apache (User www-data) and Passenger need root');
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (/^(callgrind|summary|results|profile)/.test(f)) fs.rmSync(path.join(OUT, f), { force: true });
  build();
  TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-'));
  fs.chmodSync(TMP, 0o755);
  if (SIGN_SETUPS.length || PHASES.has('wrk') || PHASES.has('wrk-sign')) signing.makeKeys(TMP);
  const t0 = Date.now();
  let cg = null;
  let wk = null;
  const sg = {};
  if (PHASES.has('sign')) {
    // First, while nothing of ours runs: it waits for a quiet machine.
    log('# signing: native time of the signing path (bench/sign_bench.c) and openssl speed');
    sg.native = await signing.runNative({ repo: REPO, tmp: TMP, log, run, quick: QUICK });
  }
  if (PHASES.has('callgrind')) {
    log(`# (a) callgrind: ${ENVS.join(', ')}; sessions of ${N1} and ${N2} requests`);
    cg = await runCallgrind();
  }
  if (PHASES.has('wrk') || PHASES.has('wrk-sign')) {
    if (PHASES.has('wrk')) {
      log('# (b) throughput');
      wk = await runWrk();
    }
    if (signing.algorithms(process.env.BENCH_WRK_SIGN, ['hmac', 'ed25519']).length) {
      log('# (b) throughput, signed against unsigned');
      sg.wrk = await runWrkSign();
    }
  }
  const text = report(cg, wk, sg);
  fs.writeFileSync(path.join(OUT, 'summary.md'), text);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ callgrind: cg, wrk: wk, signing: sg }, null, 2));
  process.stdout.write(text);
  log(`# done in ${((Date.now() - t0) / 1000).toFixed(0)} s; details in ${path.relative(process.cwd(), OUT) || OUT}/`);
}

if (require.main === module) main().catch((e) => { log(`bench: ${e.stack || e}`); process.exitCode = 1; });
module.exports = { parseCallgrind, perRequest };
