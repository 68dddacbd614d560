// SPDX-License-Identifier: MIT
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

/**
 * Copies tests/runtimes/nest into the scratch app, links NestJS there, and
 * compiles it with tsc --strict. Returns the entry file to run.
 */
function nest(sc) {
  const nm = path.join(sc.appDir, 'node_modules');
  for (const n of ['@nestjs', 'reflect-metadata', 'rxjs']) {
    if (!fs.existsSync(path.join(nm, n))) fs.symlinkSync(path.join(NM, n), path.join(nm, n));
  }
  const dir = path.join(sc.appDir, 'nest');
  fs.mkdirSync(dir);
  for (const f of ['app.ts', 'tsconfig.json', 'package.json']) fs.copyFileSync(path.join(DIR, 'nest', f), path.join(dir, f));
  const r = spawnSync(process.execPath, [path.join(NM, 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', timeout: 180000 });
  if (r.status !== 0) throw new Error(`tsc -p ${dir}: ${r.status}\n${r.stdout}${r.stderr}`);
  return path.join(dir, 'app.js');
}

function versions() {
  const v = (n) => JSON.parse(fs.readFileSync(path.join(NM, n, 'package.json'), 'utf8')).version;
  return { hono: v('hono'), '@hono/node-server': v('@hono/node-server'), '@nestjs/core': v('@nestjs/core'), typescript: v('typescript') };
}

module.exports = { install, bun, deno, hono, nest, versions, DIR };
