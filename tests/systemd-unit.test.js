// SPDX-License-Identifier: MIT
'use strict';
// conf-examples/systemd/node-app.service, the unit docs/passenger-migration.md
// gives for the Node.js app: systemd-analyze accepts it, and its settings,
// carried out as systemd would (the user and group, the runtime directory
// and its mode, the umask, the environment, the working directory), give a
// socket that Apache's children can reach and other users cannot, through
// which the app gets its secure headers. (systemd itself is not PID 1 in a
// test machine: the unit is run by reading it, not by systemctl.)
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const h = require('./lib/harness');

const DIR = path.join(h.REPO, 'conf-examples', 'systemd');
const UNIT = path.join(DIR, 'node-app.service');

function parseUnit(text) {
  const out = {};
  let section = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^\[(\w+)\]$/.exec(line);
    if (m) { section = m[1]; out[section] = out[section] || {}; continue; }
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    (out[section][k] = out[section][k] || []).push(v);
  }
  return out;
}

const unit = parseUnit(fs.readFileSync(UNIT, 'utf8'));
const svc = unit.Service;
const one = (k) => { assert.equal(svc[k].length, 1, k); return svc[k][0]; };

function idOf(flag, name) {
  const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

// The node the unit names, as systemd would run it; where the machine has
// none there, this one (with what it needs to load: make test-node18's
// node finds libnode through LD_LIBRARY_PATH).
const NODE_BIN = fs.existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
function nodeEnv(env) {
  const out = Object.assign({ PATH: process.env.PATH }, env);
  if (NODE_BIN === process.execPath && process.env.LD_LIBRARY_PATH) out.LD_LIBRARY_PATH = process.env.LD_LIBRARY_PATH;
  return out;
}

const SKIP = !h.IS_ROOT ? { skip: 'needs root (runs the app as the unit\'s user)' }
  : (spawnSync('systemd-analyze', ['--version']).status !== 0 ? { skip: 'no systemd-analyze' } : {});

describe('the systemd unit for the Node.js app on a unix socket', SKIP, () => {
  let top; let app; let ap; let sock; let appOut = '';

  before(async () => {
    const user = one('User');
    if (idOf('-u', user) === null) {
      const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const uid = idOf('-u', user);
    const gid = Number(spawnSync('getent', ['group', one('Group')], { encoding: 'utf8' }).stdout.split(':')[2]);
    assert.ok(Number.isInteger(uid) && Number.isInteger(gid));
    assert.equal(one('Group'), h.httpd().group, 'the socket group must be the one Apache\'s children run as');

    // /run and /srv of the unit, under a scratch root.
    top = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-systemd-'));
    fs.chmodSync(top, 0o755);
    const root = (p) => path.join(top, p);
    const runDir = root(path.join('run', one('RuntimeDirectory')));
    fs.mkdirSync(runDir, { recursive: true });
    fs.chmodSync(path.dirname(runDir), 0o755);
    const work = root(one('WorkingDirectory'));
    fs.mkdirSync(path.join(work, 'node_modules'), { recursive: true });
    fs.copyFileSync(path.join(DIR, 'server.js'), path.join(work, 'server.js'));
    // The package as npm would install it (the checkout may be 0700).
    fs.cpSync(path.join(h.REPO, 'node'), path.join(work, 'node_modules', 'passenger-secure-headers'), {
      recursive: true, filter: (p) => !p.includes(`${path.sep}tests`),
    });
    spawnSync('chmod', ['-R', 'a+rX', top]);
    fs.chmodSync(runDir, parseInt(one('RuntimeDirectoryMode'), 8));
    fs.chownSync(runDir, uid, gid);

    const env = { PATH: process.env.PATH };
    for (const e of svc.Environment) {
      const i = e.indexOf('=');
      env[e.slice(0, i)] = e.slice(i + 1).replace(/^\/run\//, `${top}/run/`);
    }
    sock = env.SOCKET;
    assert.equal(path.dirname(sock), runDir);
    const [bin, ...args] = one('ExecStart').split(/\s+/);
    assert.equal(bin, '/usr/bin/node');
    const old = process.umask(parseInt(one('UMask'), 8));
    try {
      app = spawn(NODE_BIN, args, { cwd: work, env: nodeEnv(env), uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      process.umask(old);
    }
    app.stdout.on('data', (d) => { appOut += d; });
    app.stderr.on('data', (d) => { appOut += d; });
    for (let i = 0; i < 100 && !/listening/.test(appOut); i++) await h.sleep(50);
    assert.match(appOut, /listening on /);

    const site = fs.readFileSync(path.join(DIR, 'node-app.conf'), 'utf8')
      .replace('<VirtualHost *:80>', '<VirtualHost *:${PORT}>')
      .split('/run/node-app/app.sock').join(sock);
    ap = await h.startApache({ body: site });
  });

  after(async () => {
    if (ap) await ap.stop();
    if (app) app.kill();
    if (top) fs.rmSync(top, { recursive: true, force: true });
  });

  test('systemd-analyze verify accepts the unit', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /not safe|Unknown|Failed|Invalid/i, r.stderr);
  });

  test('the socket is the app user\'s, group Apache\'s, mode 0660, in a 0750 directory', () => {
    const st = fs.statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, idOf('-u', one('User')));
    assert.equal(fs.statSync(path.dirname(sock)).mode & 0o777, 0o750);
  });

  test('through Apache, the app gets the secure headers', async () => {
    const r = await h.request(ap.port, { path: '/whoami' });
    assert.equal(r.status, 200, r.body);
    const j = JSON.parse(r.body);
    assert.equal(j.clientAddress, '127.0.0.1');
    assert.equal(j.protocol, 'http');
    assert.equal(j.env.APP_ENV, 'production');
  });

  test('a forged header through Apache is refused, and another local user cannot reach the socket', async () => {
    const f = await h.request(ap.port, { path: '/', headers: { '!~Passenger-Client-Address': '6.6.6.6' } });
    assert.equal(f.status, 400);
    // "nobody" is neither the app's user nor in Apache's group.
    const r = spawnSync(NODE_BIN, ['-e', `
      const s = require('net').connect(${JSON.stringify(sock)});
      s.on('connect', () => { console.log('connected'); process.exit(0); });
      s.on('error', (e) => { console.log(e.code); process.exit(0); });`],
    { encoding: 'utf8', env: nodeEnv({}), uid: idOf('-u', 'nobody'), gid: idOf('-g', 'nobody') });
    assert.equal(r.stdout.trim(), 'EACCES', r.stderr);
  });
});
