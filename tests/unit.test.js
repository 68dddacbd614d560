'use strict';
// Unit tests of the httpd-free code: builds tests/unit/test_core.c (sh_core.c,
// against APR), tests/unit/test_sig.c (sh_sig.c, against APR and
// libcrypto, with RFC 9421's own test vectors) and tests/unit/test_memcache.c
// (sh_memcache.c, the memcached replay store) and turns each of their TAP
// lines into a test here.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');

function pkg(flag) {
  return execFileSync('pkg-config', [flag, 'apr-1', 'apr-util-1', 'libcrypto'], { encoding: 'utf8' })
    .trim().split(/\s+/).filter(Boolean);
}

const SUITES = [
  { name: 'core', source: 'test_core.c', minimum: 50 },
  { name: 'sig', source: 'test_sig.c', minimum: 80 },
  { name: 'memcache', source: 'test_memcache.c', minimum: 40, sources: ['sh_memcache.c'] },
];

for (const suite of SUITES) {
  const bin = path.join(REPO, 'tests/unit', suite.source.replace(/\.c$/, '.bin'));
  execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-O2', '-g', '-I' + path.join(REPO, 'include'),
    ...pkg('--cflags'), path.join(REPO, 'tests/unit', suite.source), path.join(REPO, 'sh_core.c'),
    path.join(REPO, 'sh_sig.c'), ...(suite.sources || []).map((f) => path.join(REPO, f)),
    ...pkg('--libs'), '-o', bin], { stdio: 'inherit' });
  const run = spawnSync(bin, { encoding: 'utf8' });
  const lines = run.stdout.split('\n').filter((l) => /^(not )?ok \d+ - /.test(l));

  test(`${suite.name} unit test binary ran every check and exited 0`, () => {
    assert.ok(lines.length >= suite.minimum, `only ${lines.length} checks ran:\n${run.stdout}${run.stderr}`);
    assert.equal(run.status, 0, run.stdout);
  });

  for (const line of lines) {
    const m = /^(not )?ok \d+ - (.*)$/.exec(line);
    test(`${suite.name}: ${m[2]}`, () => assert.ok(!m[1], line));
  }
}
