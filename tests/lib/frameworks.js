// SPDX-License-Identifier: MIT
'use strict';
// The Node.js package (node/) as its users get it: `npm pack` of node/,
// installed with npm into a scratch application next to the real
// frameworks of tests/frameworks/ (pinned by its package-lock.json,
// installed with `npm ci`), and the test app of tests/frameworks/app/
// started with a chosen framework, entry point (CommonJS or ESM) and
// package options.
//
//   const F = require('./lib/frameworks');
//   const skip = F.install();            // null, or why it cannot run
//   const scratch = F.scratch();         // { dir, appDir, tarball, bin }
//   const app = await F.startApp(scratch, { framework: 'koa', esm: true, options: {...} });
//   ... app.url, app.rejects ...; await app.stop();

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { ensureNpmDeps } = require('./npm');

const REPO = path.resolve(__dirname, '..', '..');
const FW_DIR = path.join(REPO, 'tests', 'frameworks');
const PKG_DIR = path.join(REPO, 'node');

/** null when tests/frameworks/node_modules matches its lockfile (installing it if needed), else a skip reason. */
function install() {
  return ensureNpmDeps(FW_DIR);
}

const scratches = new Set();
process.on('exit', () => {
  if (process.env.SHTEST_KEEP) return;
  for (const d of scratches) { try { fs.rmSync(d, { recursive: true, force: true }); } catch (_) { /* gone */ } }
});

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed (${r.status}):\n${r.stdout}${r.stderr}${r.error || ''}`);
  return r.stdout;
}

/**
 * npm pack node/ and npm install the tarball into a scratch app; the
 * frameworks resolve from a copy of tests/frameworks/node_modules, the
 * scratch directory's parent node_modules. Readable by everyone, wherever
 * the checkout is (Passenger runs apps as nobody).
 */
function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `psh-scratch-${process.pid}-`));
  scratches.add(dir);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], PKG_DIR));
  const tarball = path.join(dir, packed[0].filename);
  const appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir);
  for (const f of fs.readdirSync(path.join(FW_DIR, 'app'))) fs.copyFileSync(path.join(FW_DIR, 'app', f), path.join(appDir, f));
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  // A copy, not a link: the checkout may be readable by its owner only
  // (cloned under /root, or into a mktemp -d), and Passenger's app runs as
  // nobody. cp -a keeps node_modules/.bin's relative links.
  run('cp', ['-a', path.join(FW_DIR, 'node_modules'), path.join(dir, 'node_modules')], dir);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save', tarball], appDir);
  run('chmod', ['-R', 'a+rX', dir], dir);
  return { dir, appDir, tarball, packed: packed[0], bin: path.join(FW_DIR, 'node_modules', '.bin') };
}

/**
 * Starts tests/frameworks/app with { framework, esm, options, trust } under
 * `runtime`: null for this node, or { name, command: [file, ...args] }
 * (Bun, Deno: see tests/lib/runtimes.js); `entry` another app file
 * (tests/runtimes/nest). Resolves { port, url, rejects,
 * lines, stop() }.
 */
function startApp(sc, { framework, esm = false, options = {}, trust = false, port = 0, runtime = null, entry = null }) {
  return new Promise((resolve, reject) => {
    if (!entry) entry = path.join(sc.appDir, esm ? 'server.mjs' : 'server.cjs');
    const [file, ...args] = runtime ? runtime.command : [process.execPath];
    const child = spawn(file, [...args, entry], {
      cwd: sc.appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: Object.assign({}, process.env, runtime ? runtime.env : {}, {
        PSH_FRAMEWORK: framework, PSH_OPTIONS: JSON.stringify(options), PSH_TRUST: trust ? '1' : '0', PSH_PORT: String(port),
      }),
    });
    let out = '';
    let err = '';
    const rejects = [];
    let app = null;
    child.stderr.on('data', (d) => { err += d; });
    child.once('error', reject);
    child.once('exit', (code) => { if (!app) reject(new Error(`${framework} app exited (${code}): ${err}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        let msg;
        try { msg = JSON.parse(line); } catch (_) { continue; }
        if (msg.reject) rejects.push(msg.reject);
        if (msg.port && !app) {
          app = {
            port: msg.port,
            url: `http://127.0.0.1:${msg.port}`,
            framework,
            esm,
            rejects,
            stderr: () => err,
            stop() {
              return new Promise((res) => {
                if (child.exitCode !== null) return res();
                child.once('exit', () => res());
                child.kill('SIGTERM');
              });
            },
          };
          resolve(app);
        }
      }
    });
  });
}

module.exports = { install, scratch, startApp, FW_DIR, PKG_DIR };
