'use strict';
// End-to-end test harness for mod_secure_headers.
// Node.js built-ins only. Used with `node --test tests/`.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const crypto = require('node:crypto');
const { Duplex } = require('node:stream');
const { spawn, spawnSync, execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');
// SHTEST_MODULE: another build of the module (make test-asan builds one).
const MODULE_PATH = process.env.SHTEST_MODULE || path.join(REPO, '.libs', 'mod_secure_headers.so');
// Which httpd: Debian's by default. SHTEST_APACHE names another httpd
// binary (make test-httpd-versions: one built from source); its shared
// modules are in SHTEST_MODULES_DIR, by default <HTTPD_ROOT>/modules as
// `make install` lays them out. Debian's mods-available/*.load files are
// read only for Debian's module directory.
const DEBIAN_APACHE = '/usr/sbin/apache2';
const DEBIAN_MODULES_DIR = '/usr/lib/apache2/modules';
const APACHE_BIN = process.env.SHTEST_APACHE || DEBIAN_APACHE;
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

// ---------------------------------------------------------------------------
// Backend: echo server (HTTP + WebSocket)
// ---------------------------------------------------------------------------
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function wsFrame(payload, opcode = 0x1) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  let hdr;
  if (data.length < 126) {
    hdr = Buffer.from([0x80 | opcode, data.length]);
  } else if (data.length < 65536) {
    hdr = Buffer.alloc(4);
    hdr[0] = 0x80 | opcode; hdr[1] = 126; hdr.writeUInt16BE(data.length, 2);
  } else {
    hdr = Buffer.alloc(10);
    hdr[0] = 0x80 | opcode; hdr[1] = 127; hdr.writeBigUInt64BE(BigInt(data.length), 2);
  }
  return Buffer.concat([hdr, data]);
}

function makeEcho(req, body) {
  return {
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    rawHeaders: req.rawHeaders.slice(),
    headers: Object.assign({}, req.headers),
    trailers: (req.rawTrailers || []).slice(),
    body: body.toString('base64'),
    remotePort: req.socket.remotePort,
    remoteAddress: req.socket.remoteAddress,
  };
}

// An echo backend on host (a free port), or on a unix socket (socketPath),
// over TLS with the test certificate when tls is set. Its url is what
// ProxyPass takes: http(s)://host:port, or unix:/path|http://localhost.
function startBackend({ host = '127.0.0.1', keepAliveTimeout = 60000, tls: useTls = false, socketPath } = {}) {
  const requests = [];
  const upgraded = new Set();
  const options = { maxHeaderSize: 16384, keepAlive: true };
  if (useTls) {
    const { certPath, keyPath } = ensureCert();
    Object.assign(options, { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) });
  }
  const server = (useTls ? https : http).createServer(options);
  server.keepAliveTimeout = keepAliveTimeout;
  server.headersTimeout = Math.max(keepAliveTimeout + 1000, 60000);

  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', async () => {
      const echo = makeEcho(req, Buffer.concat(chunks));
      requests.push(echo);
      const p = (req.url || '').split('?')[0];
      let status = 200;
      const m = /(?:^|\/)status\/(\d{3})(?:\/|$)/.exec(p);
      if (m) {
        const s = Number(m[1]);
        if (s >= 200 && s <= 599) status = s;
      }
      if (/(?:^|\/)slow(?:\/|$)/.test(p)) await sleep(200);
      if (res.destroyed) return;
      const payload = Buffer.from(JSON.stringify(echo), 'utf8');
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', payload.length);
      res.end(payload);
    });
  });

  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => {});
    const echo = makeEcho(req, head && head.length ? head : Buffer.alloc(0));
    requests.push(echo);
    const key = req.headers['sec-websocket-key'] || '';
    const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      '\r\n');
    socket.write(wsFrame(JSON.stringify(echo), 0x1));
    socket.end(wsFrame(Buffer.from([0x03, 0xe8]), 0x8)); // close 1000
  });

  // No 'clientError' listener: node's default answers 400 / 431 (header
  // overflow) exactly as a real Node.js application would.

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath ? { path: socketPath } : { port: 0, host }, () => {
      server.removeListener('error', reject);
      const port = socketPath ? undefined : server.address().port;
      resolve({
        host,
        port,
        url: socketPath ? `unix:${socketPath}|http://localhost`
          : `${useTls ? 'https' : 'http'}://${urlHost(host)}:${port}`,
        requests,
        server,
        close() {
          return new Promise((res) => {
            for (const s of upgraded) s.destroy();
            server.close(() => res());
            if (server.closeAllConnections) server.closeAllConnections();
          });
        },
      });
    });
  });
}

// A cleartext HTTP/2 (h2c) echo backend, for ProxyPass h2c:// (mod_proxy_http2).
function startH2cBackend() {
  return new Promise((resolve) => {
    const requests = [];
    const server = http2.createServer();
    server.on('sessionError', () => {});
    server.on('stream', (stream, headers, flags, rawHeaders) => {
      const chunks = [];
      stream.on('error', () => {});
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const echo = {
          method: headers[':method'], url: headers[':path'], authority: headers[':authority'],
          httpVersion: '2.0', rawHeaders: rawHeaders.slice(), headers: Object.assign({}, headers),
          body: Buffer.concat(chunks).toString('base64'),
        };
        requests.push(echo);
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify(echo));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `h2c://127.0.0.1:${server.address().port}`, requests,
        close: () => new Promise((r) => { server.close(() => r()); }),
      });
    });
  });
}

// ---------------------------------------------------------------------------
// TLS certificate (self-signed, generated once per process)
// ---------------------------------------------------------------------------
let certCache = null;
function ensureCert() {
  if (certCache) return certCache;
  const dir = mkTemp('shtest-cert-');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
    '-keyout', keyPath, '-out', certPath,
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:FALSE',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.chmodSync(dir, 0o755);
  certCache = { certPath, keyPath };
  return certCache;
}

// ---------------------------------------------------------------------------
// The httpd under test: what it is, which modules it has, where its files
// are. Asked of the binary itself (-V, -l) and of its module directory, once.
// ---------------------------------------------------------------------------
let httpdCache = null;
function httpd() {
  if (httpdCache) return httpdCache;
  // -V reads a configuration to name the MPM; /dev/null keeps it from
  // reading the default one (it then fails, after printing everything).
  const v = spawnSync(APACHE_BIN, ['-V', '-f', '/dev/null'], { encoding: 'utf8', env: apacheEnv() });
  if (v.error) throw new Error(`cannot run ${APACHE_BIN}: ${v.error.message} (set SHTEST_APACHE)`);
  const out = v.stdout || '';
  const define = (name) => { const m = new RegExp(`-D ${name}="([^"]*)"`).exec(out); return m ? m[1] : null; };
  const ver = /Server version:\s*Apache\/(\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!ver) throw new Error(`${APACHE_BIN} -V printed no version:\n${out}${v.stderr || ''}`);
  const mmn = /Module Magic Number:\s*(\d+):(\d+)/.exec(out);
  const root = define('HTTPD_ROOT') || '/';
  const l = spawnSync(APACHE_BIN, ['-l'], { encoding: 'utf8', env: apacheEnv() });
  // "Compiled in modules:" then one source file a line: mod_unixd.c, event.c
  const builtin = new Set((l.stdout || '').split('\n').map((x) => x.trim()).filter((x) => /\.c$/.test(x)));
  const modulesDir = process.env.SHTEST_MODULES_DIR
    || (APACHE_BIN === DEBIAN_APACHE ? DEBIAN_MODULES_DIR : path.join(root, 'modules'));
  let shared = new Set();
  try {
    shared = new Set(fs.readdirSync(modulesDir).filter((f) => /^mod_.*\.so$/.test(f)).map((f) => f.slice(4, -3)));
  } catch (_) { /* no such directory: no shared modules */ }
  const typesRel = define('AP_TYPES_CONFIG_FILE') || 'conf/mime.types';
  const ownTypes = path.isAbsolute(typesRel) ? typesRel : path.join(root, typesRel);
  httpdCache = {
    bin: APACHE_BIN,
    isDebian: APACHE_BIN === DEBIAN_APACHE && modulesDir === DEBIAN_MODULES_DIR,
    version: ver.slice(1, 4).join('.'),
    versionParts: ver.slice(1, 4).map(Number),
    mmn: mmn ? { major: Number(mmn[1]), minor: Number(mmn[2]) } : null,
    root,
    modulesDir,
    builtin,
    shared,
    // The httpd's own mime.types (conf/mime.types of a source build), else
    // the system's (Debian's apache2 points at a file it does not ship).
    mimeTypes: process.env.SHTEST_MIME_TYPES || [ownTypes, '/etc/mime.types'].find((f) => fs.existsSync(f)) || ownTypes,
    // The httpd's own MPM if it has one built in, else this shared one.
    mpm: process.env.SHTEST_MPM || 'event',
    mpmBuiltin: [...builtin].find((f) => /^(event|worker|prefork)\.c$/.test(f)) || null,
    user: process.env.SHTEST_USER || (systemHas('/etc/passwd', 'www-data') ? 'www-data' : 'daemon'),
    group: process.env.SHTEST_GROUP || (systemHas('/etc/group', 'www-data') ? 'www-data' : 'daemon'),
  };
  return httpdCache;
}

function systemHas(file, name) {
  try { return fs.readFileSync(file, 'utf8').split('\n').some((l) => l.split(':')[0] === name); } catch (_) { return false; }
}

// Is the httpd under test at least version "2.4.54"?
function httpdAtLeast(version) {
  const want = version.split('.').map(Number);
  const have = httpd().versionParts;
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

// Does the httpd under test have module `name` ('proxy_http2', 'mpm_event'),
// compiled in (httpd -l) or as mod_<name>.so in its module directory?
function hasModule(name) {
  const info = httpd();
  const builtinName = /^mpm_/.test(name) ? `${name.slice(4)}.c` : `mod_${name}.c`;
  return info.builtin.has(builtinName) || info.shared.has(name);
}

// The modules of `names` this httpd lacks.
function missingModules(names) {
  return names.filter((n) => !/\s/.test(n) && !hasModule(n));
}

// node:test options that skip a test or suite, with the reason, on an httpd
// that lacks one of `names`: { skip: '...' } or {}.
function needModules(names) {
  const missing = missingModules(names);
  return missing.length
    ? { skip: `httpd ${httpd().version} (${APACHE_BIN}) has no ${missing.map((n) => `mod_${n}`).join(', ')}` }
    : {};
}

// Runs only where the httpd is at least `version`; `why` says what is new.
function needVersion(version, why) {
  return httpdAtLeast(version) ? {} : { skip: `httpd ${httpd().version} is older than ${version}: ${why}` };
}

// The ProxyPass line that tunnels WebSocket handshakes under `prefix` to
// `url` (http://...): mod_proxy_http's upgrade=websocket since 2.4.47,
// mod_proxy_wstunnel's ws:// scheme before (load proxy_wstunnel for both;
// 2.4.47's mod_proxy_wstunnel hands ws:// to mod_proxy_http).
function websocketProxyPass(prefix, url) {
  return httpdAtLeast('2.4.47') ? `ProxyPass ${prefix} ${url} upgrade=websocket`
    : `ProxyPass ${prefix} ${url.replace(/^http/i, 'ws')}`;
}

// The upgrade headers the backend gets after all others on such a tunnel.
function websocketFraming() {
  return httpdAtLeast('2.4.47') ? [['Connection', 'Upgrade'], ['Upgrade', 'websocket']]
    : [['Upgrade', 'WebSocket'], ['Connection', 'Upgrade']];
}

// ---------------------------------------------------------------------------
// Apache configuration
// ---------------------------------------------------------------------------
const BASE_MODULES = ['authz_core', 'authz_host', 'unixd', 'mime', 'log_config',
  'proxy', 'proxy_http', 'setenvif', 'env', 'headers'];

// LoadModule line(s) for a short module name ('rewrite', 'proxy_wstunnel'):
// Debian's mods-available/<name>.load when testing Debian's httpd, else
// mod_<name>.so of the httpd's module directory; nothing for a module
// compiled in. A module the httpd lacks is an error naming it (tests that
// need one check needModules() first and skip). Each line is guarded with
// <IfModule !x_module> so duplicates are harmless.
function loadModuleLine(name) {
  if (/\s/.test(name)) return name; // already a full LoadModule line
  const info = httpd();
  if (!hasModule(name)) {
    throw new Error(`httpd ${info.version} (${APACHE_BIN}) has no module ${name}: neither compiled in (-l) ` +
      `nor ${path.join(info.modulesDir, `mod_${name}.so`)} (set SHTEST_MODULES_DIR)`);
  }
  if (info.builtin.has(`mod_${name}.c`)) return '';
  let lines = [];
  if (info.isDebian) {
    try {
      const txt = fs.readFileSync(path.join('/etc/apache2/mods-available', `${name}.load`), 'utf8');
      lines = txt.split('\n').map((l) => l.trim()).filter((l) => /^LoadModule\s/i.test(l));
    } catch (_) { /* fall through */ }
  }
  if (!lines.length) lines = [`LoadModule ${name}_module ${info.modulesDir}/mod_${name}.so`];
  return lines.map((l) => {
    const sym = l.split(/\s+/)[1];
    return `<IfModule !${sym}>\n  ${l}\n</IfModule>`;
  }).join('\n');
}

// The modules startApache(opts) loads, in order.
function modulesFor({ modules = [], tls: useTls = false, h2 = false } = {}) {
  const want = [...mpmModules(), ...BASE_MODULES];
  if (useTls || h2) want.push('ssl', 'socache_shmcb');
  if (h2) want.push('http2');
  const mods = [];
  for (const m of [...want, ...modules]) if (!mods.includes(m)) mods.push(m);
  return mods;
}

// node:test options for a suite that starts Apache with `opts`: skipped,
// with the reason, on an httpd that lacks a module it would load.
function needFor(opts) {
  return needModules(modulesFor(opts));
}

// The MPM: none to load when the httpd has one compiled in.
function mpmModules() {
  const info = httpd();
  return info.mpmBuiltin ? [] : [`mpm_${info.mpm}`];
}

function tlsVhost(inner = '') {
  return `<VirtualHost 127.0.0.1:\${TLSPORT}>\n SSLEngine on\n SSLCertificateFile \${CERT}\n` +
    ` SSLCertificateKeyFile \${KEY}\n ${inner}\n</VirtualHost>`;
}

function substitute(text, vars) {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name) =>
    (Object.prototype.hasOwnProperty.call(vars, name) && vars[name] !== undefined) ? String(vars[name]) : m);
}

async function prepareConfig(opts = {}) {
  const {
    body = '', loadSecureHeaders = true, tls: useTls = false, ipv6 = false,
    h2 = false, extraGlobal = '', vars = {}, modulePath = MODULE_PATH,
  } = opts;
  const dir = mkTemp('shtest-');
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'htdocs'));
  fs.writeFileSync(path.join(dir, 'htdocs', 'index.html'), 'static index\n');
  fs.writeFileSync(path.join(dir, 'htdocs', 'static.txt'), 'static file\n');

  const port = await freePort('127.0.0.1');
  const tlsPort = (useTls || h2) ? await freePort('127.0.0.1') : undefined;
  const port6 = ipv6 ? await freePort('::1') : undefined;

  // Keep proxy + proxy_* together; secure_headers goes after the mod_proxy lines.
  const loadLines = modulesFor(opts).map(loadModuleLine);
  if (loadSecureHeaders) loadLines.push(`LoadModule secure_headers_module ${modulePath}`);

  let cert = {};
  if (useTls || h2) cert = ensureCert();

  const allVars = Object.assign({
    PORT: port, TLSPORT: tlsPort, PORT6: port6, DIR: dir,
    CERT: cert.certPath, KEY: cert.keyPath, MODULE_PATH: modulePath,
  }, vars);

  const listen = [`Listen 127.0.0.1:${port}`];
  if (ipv6) listen.push(`Listen [::1]:${port6}`);
  if (tlsPort) listen.push(`Listen 127.0.0.1:${tlsPort}`);

  const conf = [
    `# generated by tests/lib/harness.js`,
    `ServerRoot "${dir}"`,
    `PidFile "${dir}/httpd.pid"`,
    `DefaultRuntimeDir "${dir}"`,
    `Mutex file:${dir} default`,
    ...loadLines,
    IS_ROOT ? `User ${httpd().user}\nGroup ${httpd().group}` : '',
    `ServerName 127.0.0.1`,
    `ErrorLog "${dir}/error_log"`,
    `LogLevel warn`,
    `LogFormat "%h %l %u %t \\"%r\\" %>s %b pid=%P" shtest`,
    `CustomLog "${dir}/access_log" shtest`,
    `TypesConfig ${httpd().mimeTypes}`,
    `DocumentRoot "${dir}/htdocs"`,
    `KeepAlive On`,
    `MaxKeepAliveRequests 100`,
    `KeepAliveTimeout 5`,
    `Timeout 20`,
    `StartServers 1`,
    `ServerLimit 4`,
    `ThreadsPerChild 16`,
    `MaxRequestWorkers 64`,
    `MinSpareThreads 16`,
    `MaxSpareThreads 64`,
    (useTls || h2) ? `SSLSessionCache "shmcb:${dir}/ssl_scache(512000)"` : '',
    h2 ? 'Protocols h2 http/1.1' : '',
    ...listen,
    extraGlobal,
    '',
    '# ---- caller body ----',
    body,
    '',
  ].filter((l) => l !== '').join('\n');

  const text = substitute(conf, allVars);
  const confPath = path.join(dir, 'httpd.conf');
  fs.writeFileSync(confPath, text);
  return { dir, confPath, port, tlsPort, port6, certPath: cert.certPath, keyPath: cert.keyPath };
}

function apacheEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('APACHE_')) env[k] = v;
  }
  env.LANG = 'C';
  env.LC_ALL = 'C';
  // `make test-asan`: the sanitizer runtime must be loaded before the
  // instrumented module, and only into Apache, not into node.
  if (process.env.SHTEST_APACHE_PRELOAD) env.LD_PRELOAD = process.env.SHTEST_APACHE_PRELOAD;
  return env;
}

function readOr(file, dflt = '') {
  try { return fs.readFileSync(file, 'utf8'); } catch (_) { return dflt; }
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

const READY_RE = /AH00489:|resuming normal operations/g;
function countReady(text) { return (text.match(READY_RE) || []).length; }

async function startApacheOnce(opts) {
  const cfg = await prepareConfig(opts);
  const { dir, confPath } = cfg;
  const outFd = fs.openSync(path.join(dir, 'stderr'), 'a');
  // `make test-valgrind`: SHTEST_APACHE_WRAPPER="valgrind ..." runs a
  // single-process Apache (-X) under the wrapper.
  const wrapper = (process.env.SHTEST_APACHE_WRAPPER || '').split(/\s+/).filter(Boolean);
  // opts.netns: Apache runs in that network namespace (tests/lib/netns.js);
  // `ip netns exec` execs it, so the pid is Apache's own.
  const cmd = [...(opts.netns ? ['ip', 'netns', 'exec', opts.netns] : []),
    ...(wrapper.length ? [...wrapper, APACHE_BIN, '-f', confPath, '-X'] : [APACHE_BIN, '-f', confPath, '-DFOREGROUND'])];
  const child = spawn(cmd[0], cmd.slice(1), {
    env: apacheEnv(), stdio: ['ignore', outFd, outFd], detached: true,
  });
  fs.closeSync(outFd);
  child.unref();
  const pid = child.pid;
  liveApaches.add(pid);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => { exited = { code, signal }; liveApaches.delete(pid); resolve(exited); });
    child.once('error', (err) => { exited = { code: -1, signal: null, error: err }; liveApaches.delete(pid); resolve(exited); });
  });

  const errorLog = () => readOr(path.join(dir, 'error_log'));
  const accessLog = () => readOr(path.join(dir, 'access_log'));
  const stderr = () => readOr(path.join(dir, 'stderr'));
  const diag = (what) => `${what}\n--- apache stderr ---\n${stderr()}\n--- error_log ---\n${errorLog()}\n--- httpd.conf ---\n${readOr(confPath)}`;

  // In a namespace its listeners are out of this process's reach: it is
  // ready when it says so in its log.
  const endpoints = opts.netns ? [] : [['127.0.0.1', cfg.port]];
  if (cfg.tlsPort && !opts.netns) endpoints.push(['127.0.0.1', cfg.tlsPort]);
  if (cfg.port6 && !opts.netns) endpoints.push(['::1', cfg.port6]);
  if (opts.netns) endpoints.ready = () => countReady(errorLog()) > 0;

  const deadline = Date.now() + (opts.startTimeout || (wrapper.length ? 60000 : 10000));
  const pending = new Set(endpoints.map((e) => e.join('|')));
  if (endpoints.ready) pending.add('log');
  while (pending.size) {
    if (exited) {
      const err = new Error(diag(`apache exited during startup (${JSON.stringify(exited)})`));
      err.addressInUse = /Address already in use/i.test(stderr() + errorLog());
      err.dir = dir;
      throw err;
    }
    if (Date.now() > deadline) {
      try { process.kill(-pid, 'SIGKILL'); } catch (_) { /* ignore */ }
      await Promise.race([exitPromise, sleepUnref(2000)]);
      throw new Error(diag('apache did not start listening within timeout'));
    }
    for (const key of [...pending]) {
      if (key === 'log') {
        if (endpoints.ready()) pending.delete(key);
        continue;
      }
      const [h, p] = key.split('|');
      if (await canConnect(h, Number(p))) pending.delete(key);
    }
    if (pending.size) await sleep(50);
  }
  // Wait (briefly) for the "resuming normal operations" notice so the error
  // log has its startup lines before tests inspect it.
  const d2 = Date.now() + 3000;
  while (!countReady(errorLog()) && Date.now() < d2 && !exited) await sleep(25);

  let stopping = null;
  const ap = {
    dir,
    confPath,
    port: cfg.port,
    tlsPort: cfg.tlsPort,
    port6: cfg.port6,
    certPath: cfg.certPath,
    keyPath: cfg.keyPath,
    pid,
    errorLog,
    accessLog,
    stderr,
    get exited() { return exited; },
    async stop() {
      if (stopping) return stopping;
      // Apache is an unref'd child and the waits below use unref'd timers:
      // keep the event loop alive until it is gone, or an after() hook that
      // awaits stop() with nothing else pending is cancelled by node:test.
      const keepAlive = setInterval(() => {}, 1000);
      stopping = (async () => {
        if (!exited) {
          try { process.kill(pid, 'SIGTERM'); } catch (_) { /* ignore */ }
          const r = await Promise.race([exitPromise, sleepUnref(5000 * SLOWDOWN).then(() => null)]);
          if (!r) {
            try { process.kill(-pid, 'SIGKILL'); } catch (_) { /* ignore */ }
            await Promise.race([exitPromise, sleepUnref(2000)]);
          }
        }
        // Reap any stray children of the group.
        try { process.kill(-pid, 'SIGKILL'); } catch (_) { /* ignore */ }
        liveApaches.delete(pid);
        return exited;
      })().finally(() => clearInterval(keepAlive));
      return stopping;
    },
    async reload({ timeout = 10000 } = {}) {
      if (exited) throw new Error(diag('reload: apache is not running'));
      const before = countReady(errorLog());
      const oldKids = new Set(childPids(pid));
      const out = await runCmd(APACHE_BIN, ['-k', 'graceful', '-f', confPath]);
      if (out.code !== 0) throw new Error(diag(`apache2 -k graceful failed (${out.code}): ${out.output}`));
      const dl = Date.now() + timeout;
      while (countReady(errorLog()) <= before) {
        if (exited) throw new Error(diag(`apache exited during graceful restart (${JSON.stringify(exited)})`));
        if (Date.now() > dl) throw new Error(diag('graceful restart did not complete within timeout'));
        await sleep(25);
      }
      // The parent spawns the new generation's children in its (1 s)
      // maintenance loop; wait for one so the next request is not delayed.
      while (!childPids(pid).some((c) => !oldKids.has(c))) {
        if (exited) throw new Error(diag(`apache exited during graceful restart (${JSON.stringify(exited)})`));
        if (Date.now() > dl) break;
        await sleep(25);
      }
      await sleep(50);
      // make sure listeners are still there
      for (const [h, p] of endpoints) {
        if (!(await canConnect(h, p, 1000))) throw new Error(diag(`not listening on ${h}:${p} after reload`));
      }
    },
  };
  return ap;
}

async function startApache(opts = {}) {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startApacheOnce(opts);
    } catch (err) {
      lastErr = err;
      if (!err.addressInUse) throw err;
    }
  }
  throw lastErr;
}

function runCmd(cmd, args, { timeout = 20000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: apacheEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const t = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (err) => { clearTimeout(t); resolve({ code: -1, output: output + String(err) }); });
    child.on('close', (code) => { clearTimeout(t); resolve({ code, output }); });
  });
}

// Runs `apache2 -t -f conf` on a config generated exactly like startApache().
async function configtest(body = '', opts = {}) {
  const cfg = await prepareConfig(Object.assign({}, opts, { body }));
  const r = await runCmd(APACHE_BIN, ['-t', '-f', cfg.confPath]);
  return { code: r.code, output: r.output, dir: cfg.dir, confPath: cfg.confPath };
}

// ---------------------------------------------------------------------------
// HTTP/1.x raw client
// ---------------------------------------------------------------------------
function connect({ port, host = '127.0.0.1', tls: useTls = false, servername }) {
  if (useTls) {
    const o = { host, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    if (servername) o.servername = servername;
    return tls.connect(o);
  }
  return net.connect({ host, port });
}

function headerPairs(headers) {
  // Returns an array of entries: [name, value] or a raw string line.
  const out = [];
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (const h of headers) {
      if (typeof h === 'string') out.push(h);
      else out.push([String(h[0]), h[1]]);
    }
  } else {
    for (const [k, v] of Object.entries(headers)) {
      if (Array.isArray(v)) for (const x of v) out.push([k, x]);
      else out.push([k, v]);
    }
  }
  return out;
}

function hasHeader(pairs, name) {
  const n = name.toLowerCase();
  return pairs.some((p) => Array.isArray(p) && p[0].toLowerCase() === n);
}

// Build request bytes. `headers`: object ({name: value | [values]}) or array
// of [name, value] pairs or raw header-line strings (written verbatim, e.g.
// for obs-fold continuation lines). Host (and Content-Length when a body is
// given, Connection: close unless keepAlive) are added when absent, unless
// `autoHeaders: false`.
function buildRequest({ method = 'GET', path: p = '/', headers = {}, body, host = '127.0.0.1', port,
  version = 'HTTP/1.1', autoHeaders = true, keepAlive = false }) {
  const pairs = headerPairs(headers);
  const bodyBuf = body === undefined || body === null ? null
    : (Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8'));
  if (autoHeaders) {
    if (!hasHeader(pairs, 'host') && version !== 'HTTP/1.0') pairs.unshift(['Host', `${urlHost(host)}:${port}`]);
    if (bodyBuf && !hasHeader(pairs, 'content-length') && !hasHeader(pairs, 'transfer-encoding')) {
      pairs.push(['Content-Length', String(bodyBuf.length)]);
    }
    if (!keepAlive && !hasHeader(pairs, 'connection')) pairs.push(['Connection', 'close']);
    if (keepAlive && version === 'HTTP/1.0' && !hasHeader(pairs, 'connection')) pairs.push(['Connection', 'keep-alive']);
  }
  let head = `${method} ${p} ${version}\r\n`;
  for (const h of pairs) head += typeof h === 'string' ? `${h}\r\n` : `${h[0]}: ${h[1]}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'latin1');
  return bodyBuf ? Buffer.concat([headBuf, bodyBuf]) : headBuf;
}

// Incremental HTTP/1.x response parser over a buffer.
// Returns null if more data is needed; {response, consumed} otherwise.
function tryParseResponse(buf, { method = 'GET', ended = false } = {}) {
  let off = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (headEnd < 0) {
      if (ended) throw new Error(`connection closed before complete response headers: ${JSON.stringify(buf.slice(off).toString('latin1').slice(0, 500))}`);
      return null;
    }
    const headText = buf.slice(off, headEnd).toString('latin1');
    const lines = headText.split('\r\n');
    const statusLine = lines.shift();
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const status = Number(m[2]);
    const rawHeaders = [];
    const headers = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      rawHeaders.push(name, value);
      const ln = name.toLowerCase();
      if (ln === 'set-cookie') (headers[ln] = headers[ln] || []).push(value);
      else if (ln in headers) headers[ln] += `, ${value}`;
      else headers[ln] = value;
    }
    let pos = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) { off = pos; continue; } // skip interim
    const base = { httpVersion: m[1], status, statusText: m[3] || '', headers, rawHeaders, statusLine };
    const finish = (bodyBuf, end, trailers = []) => {
      const text = bodyBuf.toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch (_) { json = null; }
      return { response: Object.assign(base, { body: text, bodyBuffer: bodyBuf, json, trailers }), consumed: end };
    };
    if (method === 'HEAD' || status === 204 || status === 304 || status === 101) {
      return finish(Buffer.alloc(0), pos);
    }
    const te = (headers['transfer-encoding'] || '').toLowerCase();
    if (te.includes('chunked')) {
      const parts = [];
      for (;;) {
        const le = buf.indexOf('\r\n', pos, 'latin1');
        if (le < 0) { if (ended) throw new Error('connection closed inside chunked body'); return null; }
        const size = parseInt(buf.slice(pos, le).toString('latin1').split(';')[0].trim(), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        pos = le + 2;
        if (size === 0) {
          // trailers until empty line
          const trailers = [];
          for (;;) {
            const te2 = buf.indexOf('\r\n', pos, 'latin1');
            if (te2 < 0) { if (ended) throw new Error('connection closed inside trailers'); return null; }
            const line = buf.slice(pos, te2).toString('latin1');
            pos = te2 + 2;
            if (line === '') break;
            const i = line.indexOf(':');
            trailers.push(line.slice(0, i).trim(), line.slice(i + 1).trim());
          }
          return finish(Buffer.concat(parts), pos, trailers);
        }
        if (buf.length < pos + size + 2) { if (ended) throw new Error('connection closed inside chunk'); return null; }
        parts.push(buf.slice(pos, pos + size));
        pos += size + 2;
      }
    }
    if (headers['content-length'] !== undefined) {
      const n = Number(String(headers['content-length']).split(',')[0].trim());
      if (buf.length < pos + n) { if (ended) throw new Error('connection closed before full content-length body'); return null; }
      return finish(buf.slice(pos, pos + n), pos + n);
    }
    // delimited by connection close
    if (!ended) return null;
    return finish(buf.slice(pos), buf.length);
  }
}

// A socket + buffer reading successive responses.
class Conn {
  constructor(opts) {
    this.timeout = opts.timeout || 10000 * SLOWDOWN;
    this.sock = connect(opts);
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.waiter = null;
    this.sock.setTimeout(this.timeout);
    this.sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this._wake(); });
    this.sock.on('end', () => { this.ended = true; this._wake(); });
    this.sock.on('close', () => { this.ended = true; this._wake(); });
    this.sock.on('error', (e) => { this.error = e; this._wake(); });
    this.sock.on('timeout', () => { this.error = new Error(`socket timeout after ${this.timeout} ms; received so far: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}`); this._wake(); });
    this.ready = new Promise((resolve, reject) => {
      this.sock.once(opts.tls ? 'secureConnect' : 'connect', resolve);
      this.sock.once('error', reject);
    });
  }
  _wake() { if (this.waiter) { const w = this.waiter; this.waiter = null; w(); } }
  write(bytes) { this.sock.write(bytes); }
  async readResponse(method = 'GET') {
    for (;;) {
      let r = null;
      r = tryParseResponse(this.buf, { method, ended: this.ended });
      if (r) { this.buf = this.buf.slice(r.consumed); return r.response; }
      if (this.error) throw this.error;
      if (this.ended) throw new Error('connection closed');
      await new Promise((res) => { this.waiter = res; });
    }
  }
  close() { this.sock.destroy(); }
}

async function request(port, opts = {}) {
  const o = Object.assign({ host: '127.0.0.1' }, opts, { port });
  const c = new Conn(o);
  try {
    await c.ready;
    c.write(buildRequest(o));
    return await c.readResponse(o.method || 'GET');
  } finally {
    c.close();
  }
}

function request10(port, opts = {}) {
  return request(port, Object.assign({}, opts, { version: 'HTTP/1.0' }));
}

// Several requests, sequentially, on ONE connection. Each element is an
// options object as for request(); Connection: close is NOT added (except
// to a last request if `closeLast` is true).
async function keepAlive(port, requests, { host = '127.0.0.1', tls: useTls = false, timeout = 10000 * SLOWDOWN } = {}) {
  const c = new Conn({ port, host, tls: useTls, timeout });
  const out = [];
  try {
    await c.ready;
    for (const r of requests) {
      const o = Object.assign({ host, keepAlive: true }, r, { port });
      c.write(buildRequest(o));
      const resp = await c.readResponse(o.method || 'GET');
      resp.localPort = c.sock.localPort;
      out.push(resp);
    }
    return out;
  } finally {
    c.close();
  }
}

// Write raw bytes, return everything received until the server closes or
// `timeout` ms pass (no error on timeout). `end: true` half-closes after writing.
// `bytes` may be a string (latin1), Buffer, or array of those written with
// `gap` ms between them.
function raw(port, bytes, { tls: useTls = false, host = '127.0.0.1', timeout = 3000 * SLOWDOWN, end = false, gap = 0, encoding = 'utf8' } = {}) {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host, tls: useTls });
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString(encoding));
    };
    const timer = setTimeout(finish, timeout);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return finish();
      if (!done) { done = true; clearTimeout(timer); sock.destroy(); reject(e); }
    });
    sock.once(useTls ? 'secureConnect' : 'connect', async () => {
      const list = Array.isArray(bytes) ? bytes : [bytes];
      for (let i = 0; i < list.length; i++) {
        if (done) return;
        const b = Buffer.isBuffer(list[i]) ? list[i] : Buffer.from(String(list[i]), 'latin1');
        sock.write(b);
        if (gap && i < list.length - 1) await sleep(gap);
      }
      if (end && !done) sock.end();
    });
  });
}

// Parse all HTTP responses out of a raw response string (e.g. from raw()).
function parseResponses(text, { method = 'GET' } = {}) {
  let buf = Buffer.from(text, 'utf8');
  const out = [];
  while (buf.length) {
    const r = tryParseResponse(buf, { method, ended: true });
    out.push(r.response);
    buf = buf.slice(r.consumed);
  }
  return out;
}

// ---------------------------------------------------------------------------
// HTTP/2 client (TLS, via node:http2)
// ---------------------------------------------------------------------------
// Whether a TLS client sends SNI for an IP address depends on its version
// (node 18's http2.connect sends "127.0.0.1", node 20's sends none), and
// mod_ssl then sets SSL_TLS_SNI. Expectations follow what the client put in
// its ClientHello, read from the bytes it wrote.

// host_name of the server_name extension of the ClientHello at the start of
// `buf`: a string, null when the ClientHello has none, undefined while more
// bytes are needed.
function clientHelloSni(buf) {
  // Handshake bytes from consecutive TLS records (type 22).
  const parts = [];
  let off = 0;
  while (off + 5 <= buf.length) {
    if (buf[off] !== 22) {
      if (off === 0) throw new Error(`not a TLS handshake record: type ${buf[off]}`);
      break; // what follows the handshake records (ChangeCipherSpec, ...)
    }
    const len = buf.readUInt16BE(off + 3);
    if (off + 5 + len > buf.length) break;
    parts.push(buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  const hs = Buffer.concat(parts);
  if (hs.length < 4) return undefined;
  if (hs[0] !== 1) throw new Error(`first handshake message is type ${hs[0]}, not ClientHello`);
  const end = 4 + hs.readUIntBE(1, 3);
  if (hs.length < end) return undefined;
  let p = 4 + 2 + 32; // client_version, random
  p += 1 + hs[p]; // session_id
  p += 2 + hs.readUInt16BE(p); // cipher_suites
  p += 1 + hs[p]; // compression_methods
  if (p >= end) return null; // no extensions
  const extEnd = p + 2 + hs.readUInt16BE(p);
  for (p += 2; p + 4 <= extEnd;) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    if (type === 0) {
      // server_name_list: name_type 0 (host_name), length, name
      const q = p + 4 + 2;
      if (hs[q] !== 0) throw new Error(`server_name of type ${hs[q]}`);
      return hs.subarray(q + 3, q + 3 + hs.readUInt16BE(q + 1)).toString('latin1');
    }
    p += 4 + len;
  }
  return null;
}

// A Duplex over a TCP connection that hands each chunk written to `onWrite`
// (tls.connect over a net.Socket writes from C++, out of JavaScript's sight).
function recordingSocket(port, host, onWrite) {
  const raw = net.connect({ port, host });
  const d = new Duplex({
    write(chunk, enc, cb) { onWrite(chunk); raw.write(chunk, cb); },
    read() { raw.resume(); },
    final(cb) { raw.end(); cb(); },
    destroy(err, cb) { raw.destroy(); cb(err); },
  });
  raw.on('data', (c) => { if (!d.push(c)) raw.pause(); });
  raw.on('end', () => d.push(null));
  raw.on('error', (e) => d.destroy(e));
  return d;
}

// http2.connect() exactly as node does it (its own TLS options, its own
// choice of servername), with the bytes of the connection recorded:
// session.sni() is the server_name the ClientHello carried, or null.
function h2connect(authority, options = {}) {
  let hello = Buffer.alloc(0);
  let sni;
  const tlsConnect = tls.connect;
  // http2.connect calls tls.connect(port, host, options) before it returns.
  tls.connect = function recordedConnect(port, host, opts) {
    const socket = recordingSocket(port, host, (chunk) => {
      if (sni !== undefined) return;
      hello = Buffer.concat([hello, chunk]);
      sni = clientHelloSni(hello);
    });
    return tlsConnect.call(tls, Object.assign({}, opts, { port, host, socket }));
  };
  let session;
  try {
    session = http2.connect(authority, options);
  } finally {
    tls.connect = tlsConnect;
  }
  session.sni = () => {
    if (sni === undefined) throw new Error(`no complete ClientHello recorded (${hello.length} bytes)`);
    // What OpenSSL says it sent must be what the bytes say.
    const reported = session.socket && session.socket.servername ? session.socket.servername : null;
    if (reported !== sni) throw new Error(`ClientHello server_name ${JSON.stringify(sni)}, TLS socket says ${JSON.stringify(reported)}`);
    return sni;
  };
  return session;
}

// The variables mod_ssl puts first in a TLS request's environment: HTTPS,
// then SSL_TLS_SNI when the client sent a server_name.
function tlsEnv(sni) {
  return sni ? [['HTTPS', 'on'], ['SSL_TLS_SNI', sni]] : [['HTTPS', 'on']];
}

function h2request(port, { path: p = '/', headers = {}, method = 'GET', body, host = '127.0.0.1', timeout = 10000 * SLOWDOWN } = {}) {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://${urlHost(host)}:${port}`, { rejectUnauthorized: false });
    let settled = false;
    let timer = null;
    const fail = (e) => { clearTimeout(timer); if (!settled) { settled = true; session.destroy(); reject(e); } };
    timer = setTimeout(() => fail(new Error(`h2 timeout after ${timeout} ms`)), timeout);
    session.on('error', fail);
    const reqHeaders = Object.assign({ ':method': method, ':path': p }, headers);
    let stream;
    try {
      stream = session.request(reqHeaders, { endStream: body === undefined });
    } catch (e) { clearTimeout(timer); fail(e); return; }
    stream.on('error', (e) => { clearTimeout(timer); fail(e); });
    let respHeaders = null;
    const chunks = [];
    stream.on('response', (h) => { respHeaders = h; });
    stream.on('data', (d) => chunks.push(d));
    stream.on('end', () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      let sni;
      try { sni = session.sni(); } catch (e) { session.destroy(); reject(e); return; }
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch (_) { json = null; }
      const h = Object.assign({}, respHeaders || {});
      resolve({ status: h[':status'], headers: h, body: text, json, alpnProtocol: session.alpnProtocol, sni });
    });
    if (body !== undefined) stream.end(Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8'));
  });
}

// ---------------------------------------------------------------------------
// WebSocket client (handshake + first text frame)
// ---------------------------------------------------------------------------
function parseFrames(buf) {
  const frames = [];
  let pos = 0;
  while (pos + 2 <= buf.length) {
    const b0 = buf[pos]; const b1 = buf[pos + 1];
    let len = b1 & 0x7f; let p = pos + 2;
    if (len === 126) { if (p + 2 > buf.length) break; len = buf.readUInt16BE(p); p += 2; } else if (len === 127) { if (p + 8 > buf.length) break; len = Number(buf.readBigUInt64BE(p)); p += 8; }
    const masked = (b1 & 0x80) !== 0;
    let mask = null;
    if (masked) { if (p + 4 > buf.length) break; mask = buf.slice(p, p + 4); p += 4; }
    if (p + len > buf.length) break;
    let payload = Buffer.from(buf.slice(p, p + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    pos = p + len;
  }
  return { frames, consumed: pos };
}

function websocket(port, p = '/', headers = {}, { host = '127.0.0.1', tls: useTls = false, timeout = 10000 * SLOWDOWN } = {}) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const pairs = headerPairs(headers);
    const base = [];
    if (!hasHeader(pairs, 'host')) base.push(['Host', `${urlHost(host)}:${port}`]);
    if (!hasHeader(pairs, 'upgrade')) base.push(['Upgrade', 'websocket']);
    if (!hasHeader(pairs, 'connection')) base.push(['Connection', 'Upgrade']);
    if (!hasHeader(pairs, 'sec-websocket-key')) base.push(['Sec-WebSocket-Key', key]);
    if (!hasHeader(pairs, 'sec-websocket-version')) base.push(['Sec-WebSocket-Version', '13']);
    const all = [...base, ...pairs];
    let head = `GET ${p} HTTP/1.1\r\n`;
    for (const h of all) head += typeof h === 'string' ? `${h}\r\n` : `${h[0]}: ${h[1]}\r\n`;
    head += '\r\n';

    const sock = connect({ port, host, tls: useTls });
    let buf = Buffer.alloc(0);
    let resp = null;
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`websocket timeout; got ${JSON.stringify(buf.toString('latin1').slice(0, 500))}`)), timeout);
    const check = (ended) => {
      try {
        if (!resp) {
          const r = tryParseResponse(buf, { method: 'GET', ended });
          if (!r) return;
          resp = r.response;
          buf = buf.slice(r.consumed);
          if (resp.status !== 101) {
            return finish(null, { status: resp.status, headers: resp.headers, rawHeaders: resp.rawHeaders, body: resp.body, json: resp.json, frameText: null, frames: [] });
          }
        }
        const { frames } = parseFrames(buf);
        const text = frames.find((f) => f.opcode === 0x1);
        if (text || ended) {
          const expectAccept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
          const frameText = text ? text.payload.toString('utf8') : null;
          let json = null;
          try { json = frameText ? JSON.parse(frameText) : null; } catch (_) { json = null; }
          finish(null, {
            status: resp.status, headers: resp.headers, rawHeaders: resp.rawHeaders,
            acceptOk: resp.headers['sec-websocket-accept'] === expectAccept,
            frameText, json, frames,
          });
        }
      } catch (e) { finish(e); }
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); check(false); });
    sock.on('end', () => check(true));
    sock.on('close', () => check(true));
    sock.on('error', (e) => { if (resp) check(true); else finish(e); });
    sock.once(useTls ? 'secureConnect' : 'connect', () => sock.write(Buffer.from(head, 'latin1')));
  });
}

// ---------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------
// [name, value] for every rawHeaders entry of an echo whose name starts with "!~".
function secureHeaders(echo) {
  const out = [];
  const rh = (echo && echo.rawHeaders) || [];
  for (let i = 0; i + 1 < rh.length; i += 2) {
    if (rh[i].startsWith('!~')) out.push([rh[i], rh[i + 1]]);
  }
  return out;
}

// base64 of "name\0value\0..." -> [[name, value], ...]
function decodeEnvvars(b64) {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length === 0) return [];
  const pieces = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) { pieces.push(buf.slice(start, i)); start = i + 1; }
  }
  if (start !== buf.length) throw new Error(`envvars: data after last NUL: ${JSON.stringify(buf.slice(start).toString('utf8'))}`);
  if (pieces.length % 2 !== 0) throw new Error(`envvars: odd number of NUL-terminated pieces (${pieces.length})`);
  const out = [];
  for (let i = 0; i < pieces.length; i += 2) out.push([pieces[i].toString('utf8'), pieces[i + 1].toString('utf8')]);
  return out;
}

// Decoded !~Passenger-Envvars of an echo (first occurrence, case-insensitive
// name match), or null when absent.
function envvarsOf(echo) {
  const h = secureHeaders(echo).find(([n]) => n.toLowerCase() === '!~passenger-envvars');
  return h ? decodeEnvvars(h[1]) : null;
}

// base64("name\0value\0..."): what the module must send for these pairs.
function encodeEnvvars(pairs) {
  return Buffer.concat(pairs.flatMap(([k, v]) => [
    Buffer.from(k, 'utf8'), Buffer.from([0]), Buffer.from(v, 'utf8'), Buffer.from([0]),
  ])).toString('base64');
}

// All values of header `name` (case-insensitive) in an echo's raw headers.
function rawValues(echo, name) {
  const out = [];
  const rh = echo.rawHeaders;
  for (let i = 0; i + 1 < rh.length; i += 2) if (rh[i].toLowerCase() === name.toLowerCase()) out.push(rh[i + 1]);
  return out;
}

module.exports = {
  REPO,
  MODULE_PATH,
  APACHE_BIN,
  IS_ROOT,
  SLOWDOWN,
  httpd,
  httpdAtLeast,
  hasModule,
  missingModules,
  needModules,
  needFor,
  needVersion,
  websocketProxyPass,
  websocketFraming,
  freePort,
  startBackend,
  startH2cBackend,
  startApache,
  configtest,
  tlsVhost,
  ensureCert,
  request,
  request10,
  raw,
  keepAlive,
  h2request,
  h2connect,
  clientHelloSni,
  tlsEnv,
  websocket,
  parseResponses,
  buildRequest,
  secureHeaders,
  decodeEnvvars,
  encodeEnvvars,
  rawValues,
  childPids,
  envvarsOf,
  sleep,
};
