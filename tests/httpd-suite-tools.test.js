// SPDX-License-Identifier: MIT
'use strict';
// The measuring instrument of `make -f Makefile.apxs test-httpd-suite`
// (tests/httpd-suite/): tap-run.pl must record every subtest of a test file
// as the file printed it, including the ones it never printed, and
// compare.pl must count exactly the differences that hold in both runs of
// each configuration. Needs perl only (no Apache, no Apache::Test).

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIR = path.join(__dirname, 'httpd-suite');
const TAP_RUN = path.join(DIR, 'tap-run.pl');
const COMPARE = path.join(DIR, 'compare.pl');

function write(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, mode ? { mode } : undefined);
}

// The F lines carry the wall time in field 7; everything else is exact.
function recorded(tsv) {
  return fs.readFileSync(tsv, 'utf8').replace(/\n$/, '').split('\n').map((line) => {
    const f = line.split('\t');
    if (f[0] === 'F') f[6] = 'SECS';
    return f.join('\t');
  });
}

describe('tap-run.pl', () => {
  let top;
  before(() => {
    top = fs.mkdtempSync(path.join(os.tmpdir(), `shtest-taprun-${process.pid}-`));
    // Stands in for HttpdSuite::ApxsCache, which needs Apache::Test.
    write(path.join(top, 'lib/HttpdSuite/ApxsCache.pm'), 'package HttpdSuite::ApxsCache; 1;\n');
    // t/TEST -start, as tap-run.pl calls it when the server is gone.
    write(path.join(top, 't/TEST'),
      `#!/bin/sh\necho "$@" >>t/restarts\necho ${process.pid} >t/logs/httpd.pid\n`, 0o755);
    write(path.join(top, 't/a.t'), [
      'print "1..5\\n";',
      'print "# testing : the first check\\n# expected: 200\\n# received: 200\\n";',
      'print "ok 1\\n";',
      'print "not ok 2 - a described failure\\n";',
      'print "ok 3 # skip no such module\\n";',
      'print "not ok 4 # TODO not yet\\n";',
      'print "# testing : unused, no test follows in this file\\n";',
      'print "# testing : fifth\\tcheck\\n";',
      'print STDERR "noise on stderr\\n";',
      'print "ok 5\\n";',
    ].join('\n'));
    write(path.join(top, 't/b.t'), 'print "1..0 # skip cannot find module \'mod_foo\'\\n";\n');
    write(path.join(top, 't/c.t'), 'print "1..5\\nok 1\\nok 2\\n"; die "gone\\n";\n');
    write(path.join(top, 't/d.t'), '$| = 1; print "1..2\\nok 1\\n"; sleep 60;\n');
    fs.mkdirSync(path.join(top, 't/logs'));
  });
  after(() => fs.rmSync(top, { recursive: true, force: true }));

  test('every subtest, its state and description; missing, skipped files, timeouts, restarts', () => {
    // A pid that is certainly gone: the server "died" before the first file.
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    fs.writeFileSync(path.join(top, 't/logs/httpd.pid'), `${gone}\n`);
    const r = spawnSync('perl', [TAP_RUN, '--out', 'r.tsv', '--raw', 'raw', '--lib', 'lib',
      '--timeout', '2', 't/a.t', 't/b.t', 't/c.t', 't/d.t'], { cwd: top, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(recorded(path.join(top, 'r.tsv')), [
      'F\tt/a.t\t5\t\t0\t0\tSECS\tserver was not running before this file; restarted',
      'T\tt/a.t\t1\tok\tthe first check',
      'T\tt/a.t\t2\tnot ok\ta described failure',
      'T\tt/a.t\t3\tskip\t',
      'T\tt/a.t\t4\tnot ok (todo)\t',
      'T\tt/a.t\t5\tok\tunused, no test follows in this file',
      "F\tt/b.t\t0\tcannot find module 'mod_foo'\t0\t0\tSECS\t",
      'F\tt/c.t\t5\t\t255\t0\tSECS\tBad plan.  You planned 5 tests but ran 2.',
      'T\tt/c.t\t1\tok\t',
      'T\tt/c.t\t2\tok\t',
      'T\tt/c.t\t3\tmissing\t',
      'T\tt/c.t\t4\tmissing\t',
      'T\tt/c.t\t5\tmissing\t',
      'F\tt/d.t\t2\t\t124\t1\tSECS\tBad plan.  You planned 2 tests but ran 1.',
      'T\tt/d.t\t1\tok\t',
      'T\tt/d.t\t2\tmissing\t',
    ]);
    assert.equal(fs.readFileSync(path.join(top, 't/restarts'), 'utf8'), '-start\n');
    assert.equal(fs.readFileSync(path.join(top, 'raw/t/a.t.err'), 'utf8'), 'noise on stderr\n');
    assert.match(fs.readFileSync(path.join(top, 'raw/t/c.t.err'), 'utf8'), /^gone$/m);
    assert.ok(fs.readFileSync(path.join(top, 'raw/t/a.t.tap'), 'utf8').startsWith('1..5\n'));
  });
});

describe('compare.pl', () => {
  let dir;
  const F = (file, planned, skip = '', exit = 0) => `F\t${file}\t${planned}\t${skip}\t${exit}\t0\t1.0\t`;
  const T = (file, n, state, desc = '') => `T\t${file}\t${n}\t${state}\t${desc}`;
  const tsv = (name, lines) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };
  const compare = (args) => spawnSync('perl', [COMPARE, ...args], { encoding: 'utf8' });

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `shtest-compare-${process.pid}-`));
    const f1 = (s2, s3, s4, s5) => [F('t/f1.t', 5), T('t/f1.t', 1, 'ok', 'same'),
      T('t/f1.t', 2, s2, 'proxied'), T('t/f1.t', 3, s3), T('t/f1.t', 4, s4, 'flaky a'),
      T('t/f1.t', 5, s5, 'flaky b')];
    const f2 = (ran) => (ran ? [F('t/f2.t', 2), T('t/f2.t', 1, 'ok'), T('t/f2.t', 2, 'ok')]
      : [F('t/f2.t', 0, 'cannot find module')]);
    const f3 = (s) => [F('t/f3.t', 1), T('t/f3.t', 1, s)];
    const f4 = (exit) => [F('t/f4.t', 1, '', exit), T('t/f4.t', 1, 'ok')];
    const f5 = [F('t/f5.t', 1), T('t/f5.t', 1, 'ok')];
    tsv('without.tsv', [...f1('ok', 'not ok', 'ok', 'ok'), ...f2(true), ...f3('ok'), ...f4(0), ...f5]);
    tsv('with.tsv', [...f1('not ok', 'ok', 'not ok', 'missing'), ...f2(false), ...f3('not ok'), ...f4(255), ...f5]);
    // Only the files that differed run again.
    tsv('without-again.tsv', [...f1('ok', 'not ok', 'not ok', 'ok'), ...f2(true), ...f4(0)]);
    tsv('with-again.tsv', [...f1('not ok', 'ok', 'not ok', 'ok'), ...f2(false), ...f4(255)]);
    fs.writeFileSync(path.join(dir, 'known'), '# evidence\nt/f3.t *   # seen both ways\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--list-differing names the files of the first pair that differ, in run order', () => {
    const r = compare(['--without', `${dir}/without.tsv`, '--with', `${dir}/with.tsv`, '--list-differing']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 't/f1.t\nt/f2.t\nt/f3.t\nt/f4.t\n');
  });

  test('counts what holds in both runs of each configuration; flaky and known flaky apart', () => {
    const r = compare(['--without', `${dir}/without.tsv`, '--with', `${dir}/with.tsv`,
      '--without-again', `${dir}/without-again.tsv`, '--with-again', `${dir}/with-again.tsv`,
      '--known-flaky', `${dir}/known`]);
    assert.equal(r.status, 1, r.stderr);
    const rows = (section) => {
      const lines = r.stdout.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`== ${section}`));
      const j = lines.findIndex((l, k) => k > i && l.startsWith('=='));
      return lines.slice(i + 1, j).map((l) => l.trim().split(/\s{2,}/));
    };
    assert.deepEqual(rows('httpd-suite'), [
      ['file', 'test', 'description', 'without', 'with'],
      ['t/f1.t', '2', 'proxied', 'ok', 'not ok'],
      ['t/f1.t', '3', 'not ok', 'ok'],
      ['t/f2.t', '1', 'ok', 'skipped (whole file)'],
      ['t/f2.t', '2', 'ok', 'skipped (whole file)'],
    ]);
    assert.deepEqual(rows('files that end'), [['t/f4.t', 'exit', 'without: 0', 'with: 255']]);
    assert.deepEqual(rows('flaky'), [
      ['file', 'test', 'description', 'without', 'with', 'without again', 'with again'],
      ['t/f1.t', '4', 'flaky a', 'ok', 'not ok', 'not ok', 'not ok'],
      ['t/f1.t', '5', 'flaky b', 'ok', 'missing', 'ok', 'ok'],
      ['t/f3.t', '1', 'ok', 'not ok'],
    ]);
    assert.match(r.stdout, /^t\/f1\.t +2 of 5 subtests differ \(1 worse, 1 better\)$/m);
    assert.match(r.stdout, /^t\/f2\.t +2 of 2 subtests differ \(2 changed\)$/m);
    assert.ok(r.stdout.trimEnd().endsWith('httpd-suite: 4 subtests in 3 files differ with the module'
      + ' (1 worse, 1 better, 2 changed), 1 file ending differently; 3 flaky not counted;'
      + ' 10 subtests in 5 files compared'), r.stdout);
  });

  test('identical runs: nothing differs, exit 0', () => {
    const r = compare(['--without', `${dir}/without.tsv`, '--with', `${dir}/without.tsv`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^== httpd-suite: subtests whose result differs.*\n\(none\)$/m);
    assert.ok(r.stdout.trimEnd().endsWith('httpd-suite: 0 subtests in 0 files differ with the module'
      + ' (0 worse, 0 better, 0 changed); 0 flaky not counted; 10 subtests in 5 files compared'));
  });
});
