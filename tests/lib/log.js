// SPDX-License-Identifier: MIT
'use strict';
// Apache's error log: reading it, and the check that fails a group of tests
// when Apache logged something the group did not expect.
//
// A line fails the check when its level is warn or worse (warn, error, crit,
// alert, emerg), or when it says that a child process died of a signal
// (AH00052, which httpd logs at notice: a crash must never pass unnoticed),
// unless one of the group's allow-list regexes matches it. Each test group
// declares the lines it provokes on purpose, as precisely as it can.
//
// Two lines are httpd's own and pass when they come within a second of the
// parent's "AH00491: caught SIGTERM, shutting down":
//  - AH00052, a child that dies of a signal: mpm_event's child crashes in
//    apr_os_sock_get when it is told to stop while it is still starting;
//    tests stop Apache quickly, and an Apache without this module does the
//    same (about one stop in 40 here);
//  - mpm_event's "(9)Bad file descriptor: AH00468: error closing socket":
//    the same stop, where close_worker_sockets() closes a connection a
//    worker thread has just closed (httpd 2.4.37's event.c,
//    abort_socket_nonblocking; later releases close them otherwise).
// A crash of the module at other times is still caught, and at exit by the
// ASan and valgrind runs.

const fs = require('node:fs');
const path = require('node:path');

const LEVELS = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug',
  'trace1', 'trace2', 'trace3', 'trace4', 'trace5', 'trace6', 'trace7', 'trace8'];
const FAILING_LEVELS = new Set(['emerg', 'alert', 'crit', 'error', 'warn']);

// "[Mon Dec 07 05:33:41.725550 2026] [ssl:warn] [pid 9129:tid 9129] AH01909: ..."
// (the module part is absent for messages of the core before modules load).
const LINE_RE = /^\[[^\]]*\] \[(?:([A-Za-z0-9_.-]+):)?([a-z0-9]+)\] /;
// A child process that ended on a signal: "AH00052: child pid 123 exit signal Segmentation fault (11)".
const CHILD_SIGNAL_RE = /\bAH00052: child pid \d+ exit signal /;
const STOPPING_RE = /\bAH00491: caught SIGTERM, shutting down/;
const STOP_CLOSE_RE = /\[mpm_event:error\] .*\(9\)Bad file descriptor: AH00468: error closing socket$/;
// "[Mon Dec 07 06:33:23.517696 2026]" in seconds (the day and time suffice:
// a test's log spans minutes).
const STAMP_RE = /^\[\w{3} \w{3} (\d\d) (\d\d):(\d\d):(\d\d(?:\.\d+)?) \d{4}\]/;

function stampOf(line) {
  const m = STAMP_RE.exec(line);
  return m ? ((Number(m[1]) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4]) : null;
}

function readLog(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch (_) { return ''; }
}

// { module, level } of an error-log line, or null when it is not one.
function parseErrorLogLine(line) {
  const m = LINE_RE.exec(line);
  if (!m || !LEVELS.includes(m[2])) return null;
  return { module: m[1] || null, level: m[2] };
}

function checkAllow(allow) {
  if (!Array.isArray(allow) || !allow.every((re) => re instanceof RegExp)) {
    throw new TypeError('allow: an array of RegExp (one for each error-log line the group expects)');
  }
  // A /g or /y regex keeps lastIndex between test() calls and would skip lines.
  return allow.map((re) => (re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re));
}

// The lines of error-log `text` that fail the check: at warn or worse, or
// AH00052, and matched by none of `allow`.
function unexpectedErrorLines(text, allow = []) {
  const res = checkAllow(allow);
  const out = [];
  const lines = String(text).split('\n');
  const stops = lines.filter((l) => STOPPING_RE.test(l)).map(stampOf).filter((t) => t !== null);
  const atStop = (line) => {
    const t = stampOf(line);
    return t !== null && stops.some((s) => Math.abs(s - t) <= 1);
  };
  for (const line of lines) {
    const p = parseErrorLogLine(line);
    if (!p) continue;
    const crashed = CHILD_SIGNAL_RE.test(line);
    if (!FAILING_LEVELS.has(p.level) && !crashed) continue;
    if (crashed && !FAILING_LEVELS.has(p.level) && atStop(line)) continue;
    if (STOP_CLOSE_RE.test(line) && atStop(line)) continue;
    if (res.some((re) => re.test(line))) continue;
    out.push(line);
  }
  return out;
}

// The error logs of an Apache ServerRoot `dir`: error_log and every other
// "*_log" or "*.log" file directly in it (tests give vhosts their own
// ErrorLog there), access_log excepted, and "stderr" (what Apache logs
// before its ErrorLog is open, configuration warnings among it); then
// `extra` paths.
function errorLogFiles(dir, extra = []) {
  let names = [];
  try { names = fs.readdirSync(dir); } catch (_) { /* no dir: no logs */ }
  const files = names
    .filter((n) => n === 'stderr' || (n !== 'access_log' && (/_log$/.test(n) || /\.log$/.test(n))))
    .sort((a, b) => (a === 'error_log' ? -1 : b === 'error_log' ? 1 : a.localeCompare(b)))
    .map((n) => path.join(dir, n))
    .filter((f) => { try { return fs.statSync(f).isFile(); } catch (_) { return false; } });
  return [...files, ...extra];
}

// Throws an Error naming every unexpected line of the `files`, by file; the
// message says where the allow-list goes. `what` names the group.
function assertNoUnexpectedErrors(files, allow = [], what = 'this group') {
  const bad = [];
  for (const f of files) {
    const lines = unexpectedErrorLines(readLog(f), allow);
    if (lines.length) bad.push(`--- ${f}\n${lines.join('\n')}`);
  }
  if (bad.length) {
    throw new Error(`Apache logged lines at warn or worse that ${what} does not expect ` +
      `(add a precise regex to its useApache({ allow }) list only if the test provokes them):\n${bad.join('\n')}`);
  }
}

// The warning the module logs when it refuses a client's "!~" header or
// secure-headers signature member, the first of each kind in a second
// (docs/operations.md): a group that sends them on purpose allows it.
const CLIENT_REFUSAL = /\[secure_headers:warn\] (?:\[pid [^\]]*\] )?(?:\[(?:client|remote) [^\]]*\] )?refused request with client-supplied header "/;

module.exports = {
  CLIENT_REFUSAL,
  readLog,
  parseErrorLogLine,
  unexpectedErrorLines,
  errorLogFiles,
  assertNoUnexpectedErrors,
};
