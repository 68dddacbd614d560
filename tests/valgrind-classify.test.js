// SPDX-License-Identifier: MIT
'use strict';
// tests/valgrind/classify.js, which decides `make test-valgrind`, on
// memcheck logs written out here: a module frame fails, the known exit-time
// mod_http2 crash does not, anything else fails.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { reports, classify } = require('./valgrind/classify');

const P = '==4242== ';
const log = (...blocks) => [
  `${P}Memcheck, a memory error detector`, `${P}Command: /usr/sbin/apache2 -f /tmp/x/httpd.conf -X`, `${P}`,
  ...blocks.flatMap((b) => [...b.map((l) => P + l), P]),
  `${P}ERROR SUMMARY: ${blocks.length} errors from ${blocks.length} contexts (suppressed: 0 from 0)`, '',
].join('\n');

const EXIT_H2 = [
  'Invalid read of size 8',
  '   at 0x561EF6D: ??? (in /usr/lib/apache2/modules/mod_http2.so)',
  '   by 0x494859D: apr_pool_destroy (in /usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2)',
  '   by 0x18E8B9: ??? (in /usr/sbin/apache2)',
  '   by 0x49A155C: __run_exit_handlers (exit.c:116)',
  '   by 0x49A1699: exit (exit.c:146)',
  ' Address 0x5891148 is not stack\'d, malloc\'d or (recently) free\'d',
];
const IN_MODULE = [
  'Conditional jump or move depends on uninitialised value(s)',
  '   at 0x4C2A1B0: ??? (in /repo/.libs/mod_secure_headers.so)',
  '   by 0x18E8B9: ap_run_post_read_request (in /usr/sbin/apache2)',
];
const STOPPED = [
  'Process terminating with default action of signal 15 (SIGTERM)',
  '   at 0x4A5B00F: open (open64.c:41)',
  '   by 0x4943E6E: apr_file_open (in /usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2)',
];
const ELSEWHERE = [
  'Invalid write of size 1',
  '   at 0x4848F00: memcpy (vg_replace_strmem.c:1035)',
  '   by 0x4947001: apr_pstrcat (in /usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2)',
];

function run(text, ...args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-vg-'));
  try {
    if (text !== null) fs.writeFileSync(path.join(dir, 'memcheck.4242'), text);
    const r = spawnSync(process.execPath, [path.join(__dirname, 'valgrind', 'classify.js'), dir, ...args], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

test('each report is read with its frames and classified', () => {
  const rs = reports(log(EXIT_H2, IN_MODULE, ELSEWHERE, STOPPED));
  assert.deepEqual(rs.map((r) => r.title), [EXIT_H2[0], IN_MODULE[0], ELSEWHERE[0], STOPPED[0]]);
  assert.deepEqual(rs.map((r) => r.frames.length), [5, 2, 2, 2]);
  assert.deepEqual(rs.map(classify), ['exit-h2', 'module', 'other', 'stopped']);
});

test('exit status: clean 0, only the known crash 3, a module frame or anything else 1', () => {
  assert.equal(run(log()).code, 0);
  assert.equal(run(log(EXIT_H2)).code, 3);
  const m = run(log(EXIT_H2, IN_MODULE));
  assert.equal(m.code, 1);
  assert.match(m.out, /1 with a module frame/);
  assert.equal(run(log(ELSEWHERE)).code, 1);
  assert.equal(run(log(STOPPED)).code, 0);
});

test('a log without ERROR SUMMARY (apache killed under memcheck) fails', () => {
  const r = run(`${P}Memcheck, a memory error detector\n${P}Command: /usr/sbin/apache2 -X\n`);
  assert.equal(r.code, 1);
  assert.match(r.out, /INCOMPLETE/);
});

test('--expect-exit-h2: the control passes only when the crash is there', () => {
  assert.equal(run(log(EXIT_H2), '--expect-exit-h2').code, 0);
  assert.equal(run(log(), '--expect-exit-h2').code, 1);
});
