// SPDX-License-Identifier: MIT
'use strict';
// The Debian package on this machine's own Apache: builds the .deb (or takes
// SHTEST_DEB), installs it with dpkg, enables it with a2enmod next to
// mod_proxy, starts the system Apache (apache2ctl, /etc/apache2) in front of
// a Node.js app on loopback, checks the secure headers and a forged one, then
// stops Apache, purges the package and checks that nothing of it is left.
//
// It changes the machine, so it is not a *.test.js file of the suite that
// ./run-tests runs: `make -f Makefile.apxs test-deb` runs it, under a
// machine-wide lock. Whatever happens, the finally block puts the Apache
// configuration (mods-enabled, conf-enabled, a2enmod's state in
// /var/lib/apache2) back as it found it and stops the Apache it started.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('../lib/harness');

const PKG = 'libapache2-mod-secure-headers';
const ETC = '/etc/apache2';
const STATE = '/var/lib/apache2';
const MODULE_SO = '/usr/lib/apache2/modules/mod_secure_headers.so';
const SNIPPET = `shtest-deb-${process.pid}`;
const SNIPPET_PATH = path.join(ETC, 'conf-available', `${SNIPPET}.conf`);

function env() {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('APACHE_')) e[k] = v;
  return Object.assign(e, { LANG: 'C', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' });
}

function run(cmd, args, { timeout = 120000 } = {}) {
  const r = spawnSync(cmd, args, { env: env(), encoding: 'utf8', timeout });
  return { code: r.status, output: `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}` };
}

function must(cmd, args, opts) {
  const r = run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed (${r.code}):\n${r.output}`);
  return r.output;
}

function have(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).code === 0;
}

// dpkg refuses at once when another process holds its lock (other apt and
// dpkg runs on a shared machine): wait for it, boundedly.
async function dpkg(args) {
  const deadline = Date.now() + 600000;
  for (;;) {
    const r = run('dpkg', args, { timeout: 300000 });
    if (r.code === 0) return r.output;
    if (!/lock/i.test(r.output) || Date.now() > deadline) {
      assert.fail(`dpkg ${args.join(' ')} failed (${r.code}):\n${r.output}`);
    }
    await h.sleep(2000);
  }
}

function installed(pkg) {
  const r = run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return r.code === 0 && / installed$/.test(r.output.trim());
}

// Everything a2enmod/a2enconf change: the links in *-enabled and the
// markers in /var/lib/apache2 (enabled_by_admin, disabled_by_maint, ...).
function walk(dir, out = new Map()) {
  let names = [];
  try { names = fs.readdirSync(dir); } catch (_) { return out; }
  for (const n of names) {
    const p = path.join(dir, n);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) { out.set(p, { dir: true }); walk(p, out); } else if (st.isSymbolicLink()) out.set(p, { link: fs.readlinkSync(p) });
    else out.set(p, { data: fs.readFileSync(p) });
  }
  return out;
}

function snapshot() {
  const m = new Map();
  for (const d of [`${ETC}/mods-enabled`, `${ETC}/conf-enabled`, `${ETC}/sites-enabled`, STATE]) walk(d, m);
  return m;
}

function exists(p) {
  try { fs.lstatSync(p); return true; } catch (_) { return false; }
}

function restore(before) {
  const now = snapshot();
  for (const p of [...now.keys()].sort().reverse()) {
    if (!before.has(p)) fs.rmSync(p, { recursive: true, force: true });
  }
  for (const [p, e] of [...before.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (exists(p)) {
      const cur = fs.lstatSync(p);
      if (e.link !== undefined && cur.isSymbolicLink() && fs.readlinkSync(p) === e.link) continue;
      if (e.data !== undefined && cur.isFile() && fs.readFileSync(p).equals(e.data)) continue;
      if (e.dir && cur.isDirectory()) continue;
      fs.rmSync(p, { recursive: true, force: true });
    }
    if (e.dir) fs.mkdirSync(p, { recursive: true });
    else if (e.link !== undefined) fs.symlinkSync(e.link, p);
    else fs.writeFileSync(p, e.data);
  }
}

// The system Apache's pid, from the pid file apache2ctl uses, when alive.
function systemApachePid() {
  const out = run('sh', ['-c', `. ${ETC}/envvars && echo "$APACHE_PID_FILE"`]).output.trim();
  const pidFile = out || '/var/run/apache2/apache2.pid';
  let pid = 0;
  try { pid = Number(fs.readFileSync(pidFile, 'utf8').trim()); } catch (_) { return 0; }
  if (!pid) return 0;
  try { process.kill(pid, 0); } catch (_) { return 0; }
  try {
    if (!/\/(apache2|httpd)$/.test(fs.readlinkSync(`/proc/${pid}/exe`))) return 0;
  } catch (_) { return 0; }
  return pid;
}

// Apache listens before it writes its pid file (Passenger's start-up sits
// in between): wait for the pid, boundedly, once it has been started.
async function waitSystemApachePid(ms) {
  const deadline = Date.now() + ms;
  while (!systemApachePid() && Date.now() < deadline) await h.sleep(100);
  return systemApachePid();
}

async function stopSystemApache() {
  const pid = await waitSystemApachePid(30000);
  if (!pid) return;
  run('apache2ctl', ['stop']);
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch (_) { return; }
    await h.sleep(100);
  }
  try { process.kill(pid, 'SIGKILL'); } catch (_) { /* gone */ }
}

function portFree(port, host) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function waitListening(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await h.sleep(100);
  }
  return false;
}

function moduleList() {
  return must('apache2ctl', ['-M']).split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

function leftovers() {
  const found = [];
  for (const d of ['mods-available', 'mods-enabled']) {
    for (const n of fs.readdirSync(path.join(ETC, d))) if (n.startsWith('secure_headers.')) found.push(path.join(ETC, d, n));
  }
  for (const [p] of walk(STATE)) if (path.basename(p) === 'secure_headers') found.push(p);
  return found;
}

async function skipReason() {
  if (!h.IS_ROOT) return 'needs root: it installs the package into this machine\'s Apache';
  const tools = ['apache2ctl', 'a2enmod', 'dpkg'];
  if (!process.env.SHTEST_DEB) tools.push('dpkg-buildpackage', 'dh', 'dh_apache2');
  for (const c of tools) {
    if (!have(c)) return `${c} not found (apt-get install dpkg-dev debhelper apache2 apache2-dev)`;
  }
  if (installed(PKG)) return `${PKG} is installed already; the test would remove it`;
  for (const f of [MODULE_SO, `${ETC}/mods-available/secure_headers.load`, `${ETC}/mods-available/secure_headers.conf`]) {
    if (fs.existsSync(f)) return `${f} exists (installed by hand?); the test would replace it`;
  }
  if (systemApachePid()) return 'the machine\'s Apache is running; the test starts and stops it itself';
  if (!(await portFree(80, '::')) || !(await portFree(80, '0.0.0.0'))) return 'port 80, where the system configuration listens, is taken';
  return null;
}

function buildDeb() {
  if (process.env.SHTEST_DEB) return path.resolve(process.env.SHTEST_DEB);
  const out = must(path.join(h.REPO, 'scripts', 'build-deb'), [], { timeout: 600000 });
  return out.trim().split('\n').pop();
}

test('Debian package: install, a2enmod, serve through the system Apache, purge', async (t) => {
  const reason = await skipReason();
  if (reason) { t.skip(reason); return; }

  const deb = buildDeb();
  assert.ok(fs.existsSync(deb), `no package at ${deb}`);
  const before = snapshot();
  const backend = await h.startBackend();
  const port = await h.freePort();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-deb-'));
  const errorLog = path.join(logDir, 'error.log');
  let files = [];
  let started = false;
  try {
    t.diagnostic(`dpkg -i ${deb}`);
    await dpkg(['-i', deb]);
    assert.ok(installed(PKG), `${PKG} not installed after dpkg -i`);
    files = must('dpkg-query', ['-L', PKG]).split('\n').filter((f) => f && !fs.statSync(f).isDirectory());
    for (const f of [MODULE_SO, `${ETC}/mods-available/secure_headers.load`, `${ETC}/mods-available/secure_headers.conf`]) {
      assert.ok(files.includes(f), `${f} not in the package: ${files.join(' ')}`);
    }
    // The maintainer script enabled it already; a2enmod is what an operator
    // runs, and must agree.
    assert.ok(fs.existsSync(`${ETC}/mods-enabled/secure_headers.load`), 'postinst did not enable the module');
    must('a2enmod', ['-q', 'proxy', 'proxy_http', 'secure_headers']);

    fs.writeFileSync(SNIPPET_PATH, [
      '# tests/system/debian-package.js; removed by the test',
      `Listen 127.0.0.1:${port}`,
      `<VirtualHost 127.0.0.1:${port}>`,
      '    ServerName 127.0.0.1',
      // Passenger, when enabled on the machine, refuses "!~" headers too:
      // the module's own log line tells who did.
      `    ErrorLog ${errorLog}`,
      '    LogLevel warn secure_headers:info',
      `    SetEnv SHTEST_DEB_PID ${process.pid}`,
      '    SetEnv SHTEST_DEB_UTF8 "h\u00e9 \u2603"',
      // The system's own configuration may add variables of its own: the
      // expectation is exact for these two.
      '    SecureHeadersEnvInclude SHTEST_DEB_*',
      `    ProxyPass / ${backend.url}/`,
      '</VirtualHost>',
      '',
    ].join('\n'));
    must('a2enconf', ['-q', SNIPPET]);
    must('apache2ctl', ['configtest']);
    assert.ok(moduleList().includes('secure_headers_module'), 'apache2ctl -M does not list secure_headers_module');

    t.diagnostic('apache2ctl start');
    started = true;
    must('apache2ctl', ['start']);
    assert.ok(await waitListening(port, 30000), `the system Apache is not listening on ${port}`);
    const apachePid = await waitSystemApachePid(30000);
    assert.ok(apachePid, 'no system Apache process behind its pid file');

    const ok = await h.request(port, { path: '/deb?x=1' });
    assert.equal(ok.status, 200, ok.body);
    const echo = backend.requests.at(-1);
    assert.equal(echo.url, '/deb?x=1');
    assert.deepEqual(h.secureHeaders(echo), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', h.encodeEnvvars([['SHTEST_DEB_PID', String(process.pid)], ['SHTEST_DEB_UTF8', 'h\u00e9 \u2603']])],
    ]);

    const seen = backend.requests.length;
    const forged = await h.request(port, { path: '/forged', headers: { '!~Passenger-Client-Address': '6.6.6.6' } });
    assert.equal(forged.status, 400);
    assert.equal(backend.requests.length, seen, 'the forged request reached the app');
    // A warning at the default LogLevel (the first of its kind in a second).
    const refusals = fs.readFileSync(errorLog, 'utf8').split('\n').filter((l) => l.includes('[secure_headers:warn]'));
    assert.equal(refusals.length, 1, `the module's refusal in ${errorLog}: ${refusals.join('\n')}`);
    assert.match(refusals[0], /refused request with client-supplied header "!~Passenger-Client-Address"/);
    assert.ok(!refusals[0].includes('6.6.6.6'), 'the forged value is logged');

    t.diagnostic('apache2ctl stop');
    await stopSystemApache();
    assert.throws(() => process.kill(apachePid, 0), `the system Apache (${apachePid}) is still running`);
    assert.ok(!(await waitListening(port, 200)), `something still listens on ${port}`);
    started = false;

    must('a2disconf', ['-q', SNIPPET]);
    fs.rmSync(SNIPPET_PATH);
    t.diagnostic(`dpkg --purge ${PKG}`);
    await dpkg(['--purge', PKG]);

    assert.ok(!installed(PKG), `${PKG} still installed`);
    assert.deepEqual(files.filter((f) => fs.existsSync(f)), [], 'files of the package left behind');
    assert.deepEqual(leftovers(), [], 'secure_headers left in the Apache configuration');
    assert.ok(!fs.existsSync(SNIPPET_PATH) && !fs.existsSync(`${ETC}/conf-enabled/${SNIPPET}.conf`), 'the test\'s snippet is left');
    restore(before); // proxy and proxy_http as they were
    assert.ok(!moduleList().includes('secure_headers_module'), 'apache2ctl -M still lists secure_headers_module');
  } finally {
    if (started) await stopSystemApache();
    fs.rmSync(SNIPPET_PATH, { force: true });
    if (installed(PKG) || run('dpkg-query', ['-W', PKG]).code === 0) await dpkg(['--purge', PKG]).catch(() => {});
    restore(before);
    await backend.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
  assert.deepEqual([...snapshot().keys()].sort(), [...before.keys()].sort(), 'the Apache configuration is not as before');
});
