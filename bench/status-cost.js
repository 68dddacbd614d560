#!/usr/bin/env node
// SPDX-License-Identifier: MIT
'use strict';
// What the module's counters and request note cost a proxied request, in
// instructions (callgrind), with mod_status loaded and without it:
//
//   node bench/status-cost.js            # N=1000 requests a session
//
// Apache runs as `valgrind --tool=callgrind apache2 -X` (one process); the
// figures are callgrind's inclusive cost (--toggle-collect) of
// sh_report_sent (the counters and the note of a proxied request: it runs
// once per request) and of sh_report_refused (those of a refused request),
// divided by the requests sent. docs/operations.md quotes them.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('../tests/lib/harness');

const N = Number(process.env.N || 1000);

// Callgrind collects only inside `fn` (--toggle-collect): its totals are
// fn's inclusive cost over the session.
function collected(file) {
  const text = fs.readFileSync(file, 'utf8');
  const m = /^totals:\s*(\d+)/m.exec(text) || /^summary:\s*(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

async function session(withStatus, forged, fn) {
  // Apache drops to its User before callgrind writes the file at exit.
  const dir = fs.mkdtempSync('/tmp/shbench-status-');
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'callgrind.out');
  // Callgrind creates the file at start, as root, and writes it at exit.
  fs.writeFileSync(out, '');
  if (h.IS_ROOT) {
    const user = h.httpd().user;
    const ids = (o) => Number(execFileSync('id', [o, user], { encoding: 'utf8' }).trim());
    fs.chownSync(out, ids('-u'), ids('-g'));
  }
  process.env.SHTEST_APACHE_WRAPPER = `valgrind --tool=callgrind --vgdb=no --toggle-collect=${fn} --callgrind-out-file=${out}`;
  const be = await h.startBackend();
  const ap = await h.startApache({ modules: withStatus ? ['status'] : [], vars: { BE: be.url }, body: 'ProxyPass /app/ ${BE}/app/\n' });
  for (let i = 0; i < N; i++) {
    const r = await h.request(ap.port, forged ? { path: '/app/x', headers: { '!~X': '1' } } : { path: '/app/x' });
    if (r.status !== (forged ? 400 : 200)) throw new Error(`status ${r.status}`);
  }
  // Callgrind writes its file as Apache exits: give it the time.
  process.kill(ap.pid, 'SIGTERM');
  for (let i = 0; i < 600 && !ap.exited; i++) await h.sleep(100);
  await ap.stop();
  await be.close();
  delete process.env.SHTEST_APACHE_WRAPPER;
  return out;
}

(async () => {
  const rows = [];
  for (const withStatus of [false, true]) {
    const sent = collected(await session(withStatus, false, 'sh_report_sent')) / N;
    const refused = collected(await session(withStatus, true, 'sh_report_refused')) / N;
    rows.push({ mod_status: withStatus ? 'loaded' : 'not loaded', N,
      'sh_report_sent (counters + note) / proxied request': sent.toFixed(1),
      'sh_report_refused (counter + note) / refused request': refused.toFixed(1) });
  }
  console.table(rows);
  const k1 = 'sh_report_sent (counters + note) / proxied request';
  const k2 = 'sh_report_refused (counter + note) / refused request';
  console.log(`counting with mod_status: ${(rows[1][k1] - rows[0][k1]).toFixed(1)} instructions a proxied request, ` +
    `${(rows[1][k2] - rows[0][k2]).toFixed(1)} a refused one (loaded minus not loaded)`);
})().catch((e) => { console.error(e); process.exit(1); });
