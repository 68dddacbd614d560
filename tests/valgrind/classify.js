// SPDX-License-Identifier: MIT
'use strict';
// Reads the memcheck logs of `make test-valgrind` (one per apache2 -X) and
// sorts every report with a stack into:
//   module     a frame in mod_secure_headers.so or one of its sh_* functions: fails the target
//   exit-h2    the known crash of a one-process (-X) Apache that stops with
//              an HTTP/2 connection open (see KNOWN below): reported only
//   stopped    the SIGTERM the harness sent, where it found the process
//   other      anything else: fails the target, as it might still be ours
// A log without valgrind's ERROR SUMMARY (Apache killed before memcheck
// could finish) fails too: its errors would go unseen.
//
//   node tests/valgrind/classify.js DIR [--expect-exit-h2]
// Exit status 0: nothing; 3: only exit-h2 reports; 1: something that fails.
// --expect-exit-h2: the control run, without the module, must show exit-h2.

const fs = require('node:fs');
const path = require('node:path');

// In one-process mode httpd destroys its global pool from an atexit()
// handler (os/unix/unixd.c, ap_terminate). mpm_event has by then destroyed
// pchild, and with it mod_http2's worker pool (h2_workers.c, own allocator,
// memory returned to the system), but connection pools are children of
// pconf (event.c: apr_pool_create_ex(&ptrans, pconf, ...)), so an HTTP/2
// session still open is cleaned up only now: its pre-cleanup
// (h2_session.c, session_pool_cleanup) reaches into the freed worker memory
// and the process dies with SIGSEGV. Only -X does this (a real child exits
// without ap_terminate), and it happens without mod_secure_headers loaded.
const KNOWN = {
  name: 'exit-h2',
  what: 'mod_http2 session cleanup from httpd\'s -X exit handler (ap_terminate) after pchild is gone',
  match: (frames) => frames.some((f) => /__run_exit_handlers/.test(f)) &&
    frames.some((f) => /apr_pool_destroy/.test(f)) &&
    frames.some((f) => /mod_http2\.so/.test(f)),
};

const MODULE_FRAME = /mod_secure_headers|\bsh_[a-z0-9_]+\b/;

// The reports of one log: [{ title, frames: [...], text }].
function reports(text) {
  const out = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const m = /^==\d+== (.*)$/.exec(line);
    if (!m) continue;
    const body = m[1];
    if (body.trim() === '') { if (cur) out.push(cur); cur = null; continue; }
    if (/^\s+(at|by) 0x/.test(body)) {
      if (cur) { cur.frames.push(body.trim()); cur.text.push(body); }
      continue;
    }
    if (!/^\s/.test(body)) {
      if (cur) out.push(cur);
      cur = { title: body, frames: [], text: [body] };
    } else if (cur) cur.text.push(body);
  }
  if (cur) out.push(cur);
  return out.filter((r) => r.frames.length > 0);
}

// The harness stops Apache with SIGTERM; memcheck reports where it was if
// the process dies of it (httpd -X does, when the signal finds it between
// configuration passes). Not an error.
const STOPPED = /^Process terminating with default action of signal (1|2|9|15) /;

function classify(r) {
  if (STOPPED.test(r.title)) return 'stopped';
  if (r.frames.some((f) => MODULE_FRAME.test(f))) return 'module';
  if (KNOWN.match(r.frames)) return KNOWN.name;
  return 'other';
}

function main() {
  const dir = process.argv[2];
  const expectKnown = process.argv.includes('--expect-exit-h2');
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('memcheck.')).sort();
  const count = { module: 0, other: 0, [KNOWN.name]: 0, incomplete: 0, clean: 0, stopped: 0 };
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const cmd = (/Command: (.*)/.exec(text) || [])[1] || '?';
    if (!/ERROR SUMMARY:/.test(text)) {
      count.incomplete++;
      console.log(`${f}: INCOMPLETE (no ERROR SUMMARY: killed before memcheck finished) ${cmd}`);
      continue;
    }
    const rs = reports(text);
    if (!rs.some((r) => classify(r) !== 'stopped')) { count.clean++; }
    if (!rs.length) continue;
    const kinds = rs.map(classify);
    for (const k of kinds) count[k]++;
    const serious = kinds.some((k) => k !== KNOWN.name && k !== 'stopped');
    console.log(`${f}: ${kinds.join(', ')} (${cmd})`);
    if (serious || process.env.VG_VERBOSE) {
      rs.forEach((r, i) => console.log(`  [${kinds[i]}]\n    ${r.text.join('\n    ')}`));
    } else {
      for (const k of new Set(kinds)) {
        console.log(k === 'stopped' ? `  ${rs.find((r) => classify(r) === k).title.trim()}: the harness's stop`
          : `  ${KNOWN.what}`);
      }
    }
  }
  console.log(`memcheck: ${files.length} logs, ${count.clean} clean, ${count[KNOWN.name]} ${KNOWN.name} reports ` +
    `(known, not the module), ${count.module} with a module frame, ${count.other} other, ${count.incomplete} incomplete`);
  if (expectKnown) {
    if (!count[KNOWN.name]) { console.log('control: the exit-h2 crash did not show without the module'); process.exit(1); }
    console.log(`control: without mod_secure_headers loaded, the same ${KNOWN.name} crash (${count[KNOWN.name]} reports)`);
    return;
  }
  if (count.module || count.other || count.incomplete) process.exit(1);
  if (count[KNOWN.name]) process.exit(3);
}

if (require.main === module) main();
module.exports = { reports, classify, KNOWN };
