// SPDX-License-Identifier: MIT
'use strict';
// Reference harness: run Apache httpd 2.4 + Phusion Passenger 6 (Debian's
// libapache2-mod-passenger) in a private temp ServerRoot, serving a tiny
// Node.js app that echoes what it receives, so tests can observe exactly which
// `!~Passenger-*` secure headers Passenger hands to a Node.js application.
//
//   const { startPassenger, get, passengerSecureHeaders, decodeEnvvars } =
//     require('./lib/passenger');
//   const srv = await startPassenger({ body: 'SetEnv FOO bar', tls: true });
//   const r = await get(srv.port, '/', [['User-Agent', 'x']]);
//   passengerSecureHeaders(r.json)  // [['!~Passenger-Client-Address','127.0.0.1'], ...]
//   await srv.stop();
//
// Only node built-ins. Needs root (Passenger's watchdog runs as root, Apache
// children as www-data, the app as nobody).

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const tls = require('tls');
const { spawn, spawnSync } = require('child_process');

// The httpd the suite tests (SHTEST_APACHE, SHTEST_MODULES_DIR of
// tests/lib/harness.js) unless SHPASS_* name one. Passenger is packaged for
// Debian's httpd only (its User, TypesConfig and module names below are
// Debian's): with another httpd the reference is unavailable and skips.
const DEBIAN_APACHE = '/usr/sbin/apache2';
const APACHE = process.env.SHPASS_APACHE || process.env.SHTEST_APACHE || DEBIAN_APACHE;
const MODDIR = process.env.SHPASS_MODDIR || process.env.SHTEST_MODULES_DIR || '/usr/lib/apache2/modules';
const PASSENGER_SO = path.join(MODDIR, 'mod_passenger.so');
const PASSENGER_ROOT = '/usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini';
const MARK_VAR = 'SHPASS_MARK';

// App that answers every request with what it received.
const APP_JS = `'use strict';
const http = require('http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      rawHeaders: req.rawHeaders,
      headers: req.headers,
    });
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
}).listen(3000);
`;

/** Why the Passenger reference cannot run here, or null when it can. */
function passengerUnavailable() {
  if (!fs.existsSync(APACHE)) return `${APACHE} not installed`;
  if (!process.env.SHPASS_APACHE && APACHE !== DEBIAN_APACHE) {
    return `Passenger (libapache2-mod-passenger) exists only for Debian's httpd, not for ${APACHE}`;
  }
  if (!fs.existsSync(PASSENGER_SO)) return `${PASSENGER_SO} not installed (apt-get install libapache2-mod-passenger)`;
  if (!fs.existsSync(PASSENGER_ROOT)) return `${PASSENGER_ROOT} missing`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root';
  if (!whichNode()) return 'node not found';
  return null;
}

function whichNode() {
  for (const p of ['/usr/bin/node', '/usr/local/bin/node', process.execPath]) {
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch (_) { /* next */ }
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Turn a module spec into a LoadModule line guarded against built-ins/duplicates.
 *  'remoteip' | 'remoteip_module' | 'mod_remoteip' | a full 'LoadModule ...' line. */
function loadModuleLine(spec) {
  if (/^\s*LoadModule\s/i.test(spec)) return spec.trim();
  let name = String(spec).trim().replace(/^mod_/, '').replace(/_module$/, '').replace(/\.so$/, '');
  return `<IfModule !mod_${name}.c>\n  LoadModule ${name}_module ${MODDIR}/mod_${name}.so\n</IfModule>`;
}

function makeCert(dir) {
  const key = path.join(dir, 'tls', 'key.pem');
  const crt = path.join(dir, 'tls', 'cert.pem');
  fs.mkdirSync(path.join(dir, 'tls'), { recursive: true });
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:FALSE'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('openssl failed: ' + r.stderr);
  return { key, crt };
}

function vhostBlock(dir, port, body, extra) {
  body = String(body).split('{{DIR}}').join(dir).split('{{PORT}}').join(String(port));
  return `<VirtualHost 127.0.0.1:${port}>
  ServerName 127.0.0.1
  DocumentRoot ${dir}/app/public
  PassengerAppRoot ${dir}/app
  PassengerAppType node
  PassengerStartupFile app.js
${extra}
  # ---- caller body ----
${body}
  # ---- end caller body ----
</VirtualHost>
`;
}

function writeConfig(dir, { port, tlsPort, body, modules, cert, logLevel, nodejs }) {
  const mods = ['mpm_event', 'authz_core', 'unixd', 'mime', 'log_config', 'setenvif', 'env', 'rewrite'];
  if (tlsPort) mods.push('socache_shmcb', 'ssl');
  const sslGlobal = tlsPort ? `SSLSessionCache shmcb:${dir}/run/ssl_scache(512000)` : '';
  for (const m of modules) if (!mods.includes(m)) mods.push(m);
  const conf = `# generated by tests/lib/passenger.js
ServerRoot ${dir}
DefaultRuntimeDir ${dir}/run
PidFile ${dir}/run/httpd.pid
Mutex file:${dir}/run default
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
${tlsPort ? `Listen 127.0.0.1:${tlsPort}` : ''}
User www-data
Group www-data
ErrorLog ${dir}/logs/error.log
LogLevel ${logLevel}
Timeout 60
KeepAlive On
StartServers 1
ServerLimit 2
ThreadsPerChild 10
MaxRequestWorkers 20

${mods.map(loadModuleLine).join('\n')}
LoadModule passenger_module ${PASSENGER_SO}

TypesConfig /etc/mime.types
${sslGlobal}
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog ${dir}/logs/access.log common

<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory ${dir}/app/public>
  AllowOverride None
  Require all granted
</Directory>

${passengerRuntimeConf(dir, nodejs)}
PassengerMaxPoolSize 2
PassengerMinInstances 0
PassengerFriendlyErrorPages on

${vhostBlock(dir, port, body, '')}
${tlsPort ? vhostBlock(dir, tlsPort, body,
    `  SSLEngine on\n  SSLCertificateFile ${cert.crt}\n  SSLCertificateKeyFile ${cert.key}`) : ''}
`;
  const file = path.join(dir, 'httpd.conf');
  fs.writeFileSync(file, conf, 'utf8');
  return file;
}

// ---------------------------------------------------------------- processes

/** Passenger's server-wide directives for an instance living in `dir`:
 *  every file it writes stays inside, and the app runs as nobody. Shared
 *  with bench/run.js so both start Passenger the same way. */
function passengerRuntimeConf(dir, nodejs) {
  return `PassengerRoot ${PASSENGER_ROOT}
PassengerDefaultRuby /usr/bin/ruby
PassengerNodejs ${nodejs}
PassengerInstanceRegistryDir ${dir}/passenger/registry
PassengerDataBufferDir ${dir}/passenger/buffer
PassengerSpawnDir ${dir}/passenger/spawn
PassengerLogFile ${dir}/logs/passenger.log
PassengerDisableSecurityUpdateCheck on
PassengerDisableAnonymousTelemetry on
# The app (owned by root) is run as this unprivileged user (user switching on).
PassengerUserSwitching on
PassengerDefaultUser nobody
PassengerDefaultGroup nogroup`;
}

/** pids of processes (other than us) carrying our marker or the dir in their cmdline. */
function markedPids(dir) {
  const pids = [];
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch (_) { return pids; }
  const needle = Buffer.from(`${MARK_VAR}=${dir}\0`);
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`);
      if (env.includes(needle)) { pids.push(pid); continue; }
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`);
      if (cmd.includes(Buffer.from(dir + '/')) || cmd.includes(Buffer.from(dir + '\0'))) pids.push(pid);
    } catch (_) { /* gone or unreadable */ }
  }
  // zombies already reaped by nobody are harmless; drop them
  return pids.filter((p) => {
    try { return !/\)\s+Z\s/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8')); } catch (_) { return false; }
  });
}

/** pgrep -f DIR (as the brief asks us to verify with). */
function pgrepDir(dir) {
  const r = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
}

const live = new Set(); // instances to clean up on exit

process.on('exit', () => {
  for (const inst of live) {
    try { process.kill(inst.child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    for (const p of markedPids(inst.dir)) { try { process.kill(p, 'SIGKILL'); } catch (_) { /* gone */ } }
  }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- raw client

/**
 * Minimal raw HTTP/1.1 GET over a fresh socket; header names are sent exactly
 * as given. headers: array of [name, value] pairs (or a flat [n, v, n, v] list).
 * opts: { tls, method, body, timeout, host, raw } — `raw` sends that exact
 * request text instead of building one.
 * Resolves { status, statusLine, headers (raw pairs), body (string), json }.
 */
function get(port, reqPath = '/', headers = [], opts = {}) {
  const pairs = [];
  if (headers.length && !Array.isArray(headers[0])) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
  } else {
    for (const h of headers) pairs.push(h);
  }
  const has = (n) => pairs.some(([k]) => String(k).toLowerCase() === n);
  const method = opts.method || 'GET';
  let head = `${method} ${reqPath} HTTP/1.1\r\n`;
  if (!has('host')) head += `Host: ${opts.host || `127.0.0.1:${port}`}\r\n`;
  for (const [k, v] of pairs) head += `${k}: ${v}\r\n`;
  const bodyBuf = opts.body != null ? Buffer.from(opts.body) : null;
  if (bodyBuf && !has('content-length') && !has('transfer-encoding')) head += `Content-Length: ${bodyBuf.length}\r\n`;
  if (!has('connection')) head += 'Connection: close\r\n';
  head += '\r\n';
  const payload = opts.raw != null ? Buffer.from(opts.raw)
    : (bodyBuf ? Buffer.concat([Buffer.from(head, 'utf8'), bodyBuf]) : Buffer.from(head, 'utf8'));

  return new Promise((resolve, reject) => {
    const chunks = [];
    let done = false;
    const sock = opts.tls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: undefined })
      : net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => finish(new Error(`timeout on ${method} ${reqPath}`)), opts.timeout || 30000);
    function finish(err) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) return reject(err);
      try { resolve(parseResponse(Buffer.concat(chunks))); } catch (e) { reject(e); }
    }
    sock.on(opts.tls ? 'secureConnect' : 'connect', () => sock.write(payload));
    sock.on('data', (c) => {
      chunks.push(c);
      const buf = Buffer.concat(chunks);
      if (responseComplete(buf)) finish();
    });
    sock.on('end', () => finish());
    sock.on('error', (e) => finish(chunks.length ? null : e));
  });
}

function splitHead(buf) {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return null;
  const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
  const statusLine = lines.shift();
  const headers = lines.map((l) => { const c = l.indexOf(':'); return [l.slice(0, c), l.slice(c + 1).trim()]; });
  return { statusLine, headers, rest: buf.subarray(i + 4) };
}

function hdr(headers, name) {
  const h = headers.find(([k]) => k.toLowerCase() === name);
  return h ? h[1] : undefined;
}

function dechunk(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const e = buf.indexOf('\r\n', pos);
    if (e < 0) return null;
    const size = parseInt(buf.subarray(pos, e).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(out);
    if (buf.length < e + 2 + size + 2) return null;
    out.push(buf.subarray(e + 2, e + 2 + size));
    pos = e + 2 + size + 2;
  }
}

function responseComplete(buf) {
  const h = splitHead(buf);
  if (!h) return false;
  const cl = hdr(h.headers, 'content-length');
  if (cl !== undefined) return h.rest.length >= Number(cl);
  if (/chunked/i.test(hdr(h.headers, 'transfer-encoding') || '')) return dechunk(h.rest) !== null;
  return false; // read until close
}

function parseResponse(buf) {
  const h = splitHead(buf);
  if (!h) throw new Error('incomplete HTTP response: ' + JSON.stringify(buf.toString('latin1').slice(0, 200)));
  let body = h.rest;
  const cl = hdr(h.headers, 'content-length');
  if (cl !== undefined) body = body.subarray(0, Number(cl));
  else if (/chunked/i.test(hdr(h.headers, 'transfer-encoding') || '')) body = dechunk(body) || body;
  const text = body.toString('utf8');
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  const status = Number(h.statusLine.split(' ')[1]);
  return { status, statusLine: h.statusLine, headers: h.headers, body: text, json };
}

// ---------------------------------------------------------------- helpers

/** [name, value] for every rawHeaders entry whose name starts with `!~`, in order. */
function passengerSecureHeaders(json) {
  const raw = (json && json.rawHeaders) || [];
  const out = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].startsWith('!~')) out.push([raw[i], raw[i + 1]]);
  return out;
}

/** Decode a `!~Passenger-Envvars` value: base64 of `name\0value\0...` → [[name, value], ...]. */
function decodeEnvvars(b64) {
  const buf = Buffer.from(b64 || '', 'base64');
  const parts = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) { parts.push(buf.subarray(start, i).toString('utf8')); start = i + 1; }
  }
  if (start < buf.length) parts.push(buf.subarray(start).toString('utf8'));
  const pairs = [];
  for (let i = 0; i < parts.length; i += 2) pairs.push([parts[i], parts[i + 1] === undefined ? '' : parts[i + 1]]);
  return pairs;
}

// ---------------------------------------------------------------- start/stop

/**
 * Start Apache + Passenger serving the echo app.
 * opts: { body = '', modules = [], tls = false, logLevel = 'info', keep = false, appJs }
 *   body     text placed inside the <VirtualHost> (both vhosts when tls);
 *            `{{DIR}}` becomes the temp ServerRoot, `{{PORT}}` that vhost's port
 *   modules  extra modules: 'remoteip', 'headers', ... or full LoadModule lines
 *   keep     keep the temp dir after stop() (also: env SHPASS_KEEP=1)
 *   appJs    the app's app.js instead of the echo app (it must listen once;
 *            Passenger takes over that listen call)
 * Resolves { port, tlsPort, dir, conf, stop(), errorLog(), passengerLog(), accessLog() }.
 */
async function startPassenger({ body = '', modules = [], tls: withTls = false, logLevel = 'info', keep = false, appJs = APP_JS } = {}) {
  const why = passengerUnavailable();
  if (why) throw new Error('Passenger reference unavailable: ' + why);
  keep = keep || !!process.env.SHPASS_KEEP;

  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const inst = await startOnce({ body, modules, withTls, logLevel, keep, appJs });
    if (inst.ok) return inst.api;
    lastErr = inst.error;
    if (!inst.retry) break;
  }
  throw lastErr;
}

async function startOnce({ body, modules, withTls, logLevel, keep, appJs }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shpass-'));
  fs.chmodSync(dir, 0o755); // www-data (apache children) and nobody (app) must traverse it
  for (const d of ['app/public', 'run', 'logs', 'passenger/registry', 'passenger/buffer', 'passenger/spawn']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  }
  fs.writeFileSync(path.join(dir, 'app', 'app.js'), appJs);
  const port = await freePort();
  let tlsPort = null;
  if (withTls) { do { tlsPort = await freePort(); } while (tlsPort === port); }
  const cert = withTls ? makeCert(dir) : null;
  const conf = writeConfig(dir, { port, tlsPort, body, modules, cert, logLevel, nodejs: whichNode() });

  const stdio = fs.openSync(path.join(dir, 'logs', 'stdout.log'), 'a');
  const child = spawn(APACHE, ['-f', conf, '-DFOREGROUND'], {
    env: { ...process.env, [MARK_VAR]: dir, LANG: 'C.UTF-8' },
    stdio: ['ignore', stdio, stdio],
    detached: true,
  });
  fs.closeSync(stdio);
  let exited = null;
  const exitP = new Promise((r) => child.on('exit', (code, sig) => { exited = { code, sig }; r(exited); }));
  const inst = { child, dir };
  live.add(inst);

  const readLog = (name) => { try { return fs.readFileSync(path.join(dir, 'logs', name), 'utf8'); } catch (_) { return ''; } };
  let cached = null;
  const logs = () => cached || { error: readLog('error.log') + readLog('stdout.log'), passenger: readLog('passenger.log'), access: readLog('access.log') };

  let stopped = null;
  async function stop() {
    if (stopped) return stopped;
    stopped = (async () => {
      if (!exited) { try { process.kill(child.pid, 'SIGTERM'); } catch (_) { /* gone */ } }
      await Promise.race([exitP, sleep(15000)]);
      if (!exited) { try { process.kill(child.pid, 'SIGKILL'); } catch (_) { /* gone */ } await Promise.race([exitP, sleep(3000)]); }
      // Passenger's watchdog shuts the core and the app down; give it a moment, then force.
      let left = [];
      for (let i = 0; i < 50; i++) {
        left = [...new Set([...markedPids(dir), ...pgrepDir(dir)])];
        if (!left.length) break;
        if (i === 30) for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch (_) { /* gone */ } }
        await sleep(100);
      }
      cached = logs();
      live.delete(inst);
      if (left.length) throw new Error(`processes left running after stop: ${left.join(' ')}`);
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      return { leftover: left };
    })();
    return stopped;
  }

  const api = {
    port, tlsPort, dir, conf,
    stop,
    errorLog: () => logs().error,
    passengerLog: () => logs().passenger,
    accessLog: () => logs().access,
  };

  // Wait until Passenger answers HTTP (the first request spawns the app).
  const deadline = Date.now() + 30000;
  let answered = null;
  let lastErr = null;
  while (Date.now() < deadline && !exited) {
    try {
      const r = await get(port, '/', [['User-Agent', 'shpass-warmup']], { timeout: Math.max(1000, deadline - Date.now()) });
      answered = r;
      if (r.status < 500) break;
    } catch (e) { lastErr = e; }
    await sleep(200);
  }
  if (!answered || answered.status >= 500) {
    const text = logs().error + '\n' + logs().passenger;
    await stop().catch(() => {});
    const busy = /Address already in use|could not bind/i.test(text);
    // Debian's Apache + mod_passenger has been seen to die of SIGSEGV while
    // starting, before it answered any request (once, in a CI run):
    // the reference itself, not the code under test, so it gets another try.
    const crashedAtStart = !answered && exited && exited.sig !== null;
    const err = new Error(`Passenger reference did not answer (${exited ? `apache exited ${JSON.stringify(exited)}` : answered ? `status ${answered.status}` : lastErr}):\n${text.slice(-4000)}`);
    if (crashedAtStart) process.stderr.write(`# Passenger reference: apache exited ${JSON.stringify(exited)} while starting; trying again\n`);
    return { ok: false, retry: busy || crashedAtStart, error: err };
  }
  if (withTls) {
    // make sure the TLS vhost answers too
    await get(tlsPort, '/', [['User-Agent', 'shpass-warmup']], { tls: true });
  }
  return { ok: true, api };
}

module.exports = {
  startPassenger,
  get,
  passengerSecureHeaders,
  decodeEnvvars,
  passengerUnavailable,
  passengerRuntimeConf,
  PASSENGER_SO,
};
