// SPDX-License-Identifier: MIT
'use strict';
// The httpd under test: which binary, its version, the modules it has
// (compiled in or shared), the LoadModule lines a test configuration needs,
// and node:test skip options for an httpd that lacks what a suite needs.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

// Which httpd: Debian's by default. SHTEST_APACHE names another httpd
// binary (make test-httpd-versions: one built from source); its shared
// modules are in SHTEST_MODULES_DIR, by default <HTTPD_ROOT>/modules as
// `make install` lays them out. Debian's mods-available/*.load files are
// read only for Debian's module directory.
const DEBIAN_APACHE = '/usr/sbin/apache2';
const DEBIAN_MODULES_DIR = '/usr/lib/apache2/modules';
const APACHE_BIN = process.env.SHTEST_APACHE || DEBIAN_APACHE;

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

module.exports = {
  APACHE_BIN,
  apacheEnv,
  httpd,
  httpdAtLeast,
  hasModule,
  missingModules,
  needModules,
  needVersion,
  needFor,
  modulesFor,
  loadModuleLine,
  websocketProxyPass,
  websocketFraming,
};
