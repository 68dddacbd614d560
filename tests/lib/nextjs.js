// SPDX-License-Identifier: MIT
'use strict';
// Next.js (tests/nextjs/, pinned by its package-lock.json) building and
// serving the test app of tests/nextjs/app with the package (node/, its
// published files) as a dependency. `next build` is slow on a small
// machine: the build is kept in .build-nextjs/ (git-ignored) and reused
// while the app, the package and the lockfile are unchanged (a hash of
// them is the stamp).
//
//   const N = require('./lib/nextjs');
//   const skip = N.install();          // null, or why it cannot run
//   const dir = N.build();             // the built app
//   const app = await N.start(dir, { port, options });  // { port, url, rejects, stop() }

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { ensureNpmDeps } = require('./npm');

const REPO = path.resolve(__dirname, '..', '..');
const DIR = path.join(REPO, 'tests', 'nextjs');
const NM = path.join(DIR, 'node_modules');
const CACHE = path.join(REPO, '.build-nextjs');
const PKG_FILES = ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'package.json', 'lib'];

function install() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 9)) return `Next.js 16 needs Node.js 20.9 or later (this is ${process.version})`;
  return ensureNpmDeps(DIR);
}

function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p)); else out.push(p);
  }
  return out.sort();
}

function stamp() {
  const h = crypto.createHash('sha256');
  const files = [...filesUnder(path.join(DIR, 'app')), path.join(DIR, 'package-lock.json'), path.join(__filename)];
  for (const f of PKG_FILES) {
    const p = path.join(REPO, 'node', f);
    if (fs.statSync(p).isDirectory()) files.push(...filesUnder(p)); else files.push(p);
  }
  for (const f of files) h.update(path.relative(REPO, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return h.digest('hex');
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyDir(path.join(from, e.name), path.join(to, e.name));
    else fs.copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}

/** The built app's directory, built now unless the cached build is current. */
function build() {
  const want = stamp();
  const app = path.join(CACHE, 'app');
  const stampFile = path.join(CACHE, 'stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === want && fs.existsSync(path.join(app, '.next', 'BUILD_ID'))) return app;
  fs.rmSync(CACHE, { recursive: true, force: true });
  copyDir(path.join(DIR, 'app'), app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'secure-headers-next-app', private: true }));
  // Turbopack reads only files under its root: the repository holds both
  // the app and tests/nextjs/node_modules, which node_modules links to.
  fs.writeFileSync(path.join(app, 'next.config.mjs'), `export default { turbopack: { root: ${JSON.stringify(REPO)} } };\n`);
  const nm = path.join(app, 'node_modules');
  fs.mkdirSync(nm);
  for (const n of fs.readdirSync(NM)) if (n !== '.package-lock.json') fs.symlinkSync(path.join(NM, n), path.join(nm, n));
  const pkg = path.join(nm, 'passenger-secure-headers');
  for (const f of PKG_FILES) {
    const p = path.join(REPO, 'node', f);
    if (fs.statSync(p).isDirectory()) copyDir(p, path.join(pkg, f)); else { fs.mkdirSync(pkg, { recursive: true }); fs.copyFileSync(p, path.join(pkg, f)); }
  }
  const r = spawnSync(process.execPath, [path.join(NM, 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: app, encoding: 'utf8', timeout: 900000, env: Object.assign({}, process.env, { NEXT_TELEMETRY_DISABLED: '1' }),
  });
  if (r.status !== 0) throw new Error(`next build (in ${app}) failed (${r.status}):\n${r.stdout}${r.stderr}${r.error || ''}`);
  fs.writeFileSync(stampFile, want);
  return app;
}

/** next start on 127.0.0.1:port with the package options in PSH_OPTIONS. */
function start(app, { port, options = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(NM, 'next', 'dist', 'bin', 'next'), 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.assign({}, process.env, { NEXT_TELEMETRY_DISABLED: '1', PSH_OPTIONS: JSON.stringify(options) }),
    });
    let out = ''; let err = ''; let ready = false;
    const rejects = [];
    const stop = () => new Promise((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
    });
    const timer = setTimeout(() => { stop(); reject(new Error(`next start did not get ready: ${out}${err}`)); }, 60000);
    child.stderr.on('data', (d) => { err += d; });
    child.once('exit', (code) => { if (!ready) { clearTimeout(timer); reject(new Error(`next start exited (${code}): ${out}${err}`)); } });
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('{')) {
          try { const m = JSON.parse(line); if (m.reject) rejects.push(m.reject); } catch (_) { /* not ours */ }
        }
        if (!ready && /Ready in/.test(line)) {
          ready = true;
          clearTimeout(timer);
          resolve({ port, url: `http://127.0.0.1:${port}`, rejects, stderr: () => err, stop });
        }
      }
    });
  });
}

function version() {
  return JSON.parse(fs.readFileSync(path.join(NM, 'next', 'package.json'), 'utf8')).version;
}

module.exports = { install, build, start, version, DIR, CACHE };
