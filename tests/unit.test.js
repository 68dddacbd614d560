'use strict';
// Unit tests of the httpd-free code (sh_core.c): builds tests/unit/test_core.c
// against APR and turns each of its TAP lines into a test here.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'tests/unit/test_core.bin');

function pkg(flag) {
  return execFileSync('pkg-config', [flag, 'apr-1', 'apr-util-1'], { encoding: 'utf8' })
    .trim().split(/\s+/).filter(Boolean);
}

execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-O2', '-g', '-I' + path.join(REPO, 'include'),
  ...pkg('--cflags'), path.join(REPO, 'tests/unit/test_core.c'), path.join(REPO, 'sh_core.c'),
  ...pkg('--libs'), '-o', BIN], { stdio: 'inherit' });
const run = spawnSync(BIN, { encoding: 'utf8' });
const lines = run.stdout.split('\n').filter((l) => /^(not )?ok \d+ - /.test(l));

test('unit test binary ran every check and exited 0', () => {
  assert.ok(lines.length >= 50, `only ${lines.length} checks ran:\n${run.stdout}${run.stderr}`);
  assert.equal(run.status, 0, run.stdout);
});

for (const line of lines) {
  const m = /^(not )?ok \d+ - (.*)$/.exec(line);
  test(`core: ${m[2]}`, () => assert.ok(!m[1], line));
}
