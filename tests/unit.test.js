// SPDX-License-Identifier: MIT
'use strict';
// Unit tests of the httpd-free units: builds tests/unit/test_core.c (secure
// header names, the environment, base64) and tests/unit/test_sig.c (keys,
// nonces, structured fields, the signature base, the replay cache, with
// RFC 9421's own test vectors) and tests/unit/test_memcache.c (the
// memcached replay store: server lists, keys, replies) with the unit line of units.mk
// (`make -f Makefile.apxs unit`, the line the fuzzers and the Debian package
// build with too) and turns each of their TAP lines into a test here.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');

const SUITES = [
  { name: 'core', source: 'test_core.c', minimum: 50 },
  { name: 'sig', source: 'test_sig.c', minimum: 80 },
  { name: 'derive', source: 'test_derive.c', minimum: 50 },
  { name: 'memcache', source: 'test_memcache.c', minimum: 40 },
];

execFileSync(process.env.MAKE || 'make', ['-s', '-f', 'Makefile.apxs', 'unit'], { cwd: REPO, stdio: 'inherit' });

for (const suite of SUITES) {
  const bin = path.join(REPO, 'tests/unit', suite.source.replace(/\.c$/, '.bin'));
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
