'use strict';
// Bun and Deno from npm (tests/runtimes/, pinned by its package-lock.json):
// @oven/bun-linux-x64 and @deno/linux-x64-glibc carry the binaries in the
// packages themselves; nothing is fetched from anywhere else. The `deno`
// package's postinstall only points its bin at that binary (npm may skip
// it), so the binary is run from its platform package directly.
//
//   const R = require('./lib/runtimes');
//   const skip = R.install();   // null, or why these tests cannot run
//   R.bun(), R.deno()           // { name, version, command: [file, ...args], env }
//   R.hono(sc)                  // links Hono into a tests/lib/frameworks.js scratch app

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureNpmDeps } = require('./npm');

const DIR = path.resolve(__dirname, '..', 'runtimes');
const NM = path.join(DIR, 'node_modules');

function install() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the pinned Bun and Deno packages are linux-x64 ones (this is ${process.platform}-${process.arch})`;
  return ensureNpmDeps(DIR);
}

function versionOf(file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.status} ${r.stderr}${r.error || ''}`);
  return r.stdout.trim().split('\n')[0];
}

let denoDir = null;
function bun() {
  const file = path.join(NM, '@oven', 'bun-linux-x64', 'bin', 'bun');
  return { name: 'bun', version: `bun ${versionOf(file, ['--version'])}`, command: [file], env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', DO_NOT_TRACK: '1' } };
}

function deno() {
  const file = path.join(NM, '@deno', 'linux-x64-glibc', 'deno');
  if (!denoDir) {
    denoDir = fs.mkdtempSync(path.join(os.tmpdir(), `psh-deno-${process.pid}-`));
    process.on('exit', () => { try { fs.rmSync(denoDir, { recursive: true, force: true }); } catch (_) { /* gone */ } });
  }
  // node_modules as npm laid it out (no download), no lockfile written, every permission the apps need.
  return {
    name: 'deno',
    version: versionOf(file, ['--version']),
    command: [file, 'run', '--allow-all', '--no-lock', '--node-modules-dir=manual', '--no-prompt'],
    test: [file, 'test', '--allow-all', '--no-lock', '--node-modules-dir=manual', '--no-prompt'],
    file,
    env: { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  };
}

/** Links Hono and @hono/node-server into a scratch app of tests/lib/frameworks.js. */
function hono(sc) {
  const nm = path.join(sc.appDir, 'node_modules');
  fs.symlinkSync(path.join(NM, 'hono'), path.join(nm, 'hono'));
  fs.symlinkSync(path.join(NM, '@hono'), path.join(nm, '@hono'));
}

function versions() {
  const v = (n) => JSON.parse(fs.readFileSync(path.join(NM, n, 'package.json'), 'utf8')).version;
  return { hono: v('hono'), '@hono/node-server': v('@hono/node-server') };
}

module.exports = { install, bun, deno, hono, versions, DIR };
