// SPDX-License-Identifier: MIT
'use strict';
// Test-only npm dependencies, each set in its own directory with a
// package-lock.json: installed with `npm ci` when node_modules does not
// match the lock. A test file skips (with the reason) only when npm cannot
// reach its registry; any other failure is an error.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b|request to \S+ failed/;

function installedVersion(dir, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch (_) {
    return null;
  }
}

// null when every package of dir's lock is installed at its locked
// version (installing them if needed), or a reason to skip.
function ensureNpmDeps(dir) {
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
  const wanted = Object.entries(lock.packages)
    .filter(([k]) => k.startsWith('node_modules/') && !k.slice(13).includes('node_modules/'))
    .map(([k, v]) => [k.slice(13), v.version]);
  if (wanted.every(([name, version]) => installedVersion(dir, name) === version)) return null;
  let r; let out;
  for (let attempt = 0; attempt < 2; attempt++) { // once more after a half-finished install
    r = spawnSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--prefer-offline'],
      { encoding: 'utf8', timeout: 300000 });
    out = `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}`;
    if (r.status === 0) return null;
    if (NETWORK_ERROR.test(out)) break;
  }
  if (NETWORK_ERROR.test(out)) {
    return `test dependencies in ${path.relative(process.cwd(), dir)} are not installed and npm ` +
      `cannot reach its registry: ${out.match(NETWORK_ERROR)[0]}`;
  }
  throw new Error(`npm ci --prefix ${dir} failed (${r.status}):\n${out}`);
}

module.exports = { ensureNpmDeps };
