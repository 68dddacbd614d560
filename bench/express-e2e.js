// SPDX-License-Identifier: MIT
'use strict';
// End-to-end cost of passenger-secure-headers: an Express app behind Apache
// with mod_secure_headers and the package (unsigned; hmac-sha256; hmac with
// a derived key, docs/derived-keys.md; ed25519), against the same app with
// Express's own 'trust proxy' behind Apache without the module, all in one
// run, in alternating rounds. Per setup: throughput (wrk) and server CPU
// per request on each side (utime + stime from /proc/<pid>/stat of the
// node backend, and of Apache's processes, before and after each round).
//
//   node bench/express-e2e.js
//   E2E_ROUNDS=3 E2E_DURATION=5 E2E_CONNECTIONS=16 E2E_SETUPS=T,U,H,D,E E2E_PIN=1
//
// Two more setups split the signed setups' difference (E2E_SETUPS=T,U,S,N,H):
// S, Apache signs and the app reads unsigned (what the two headers cost to
// carry and parse); N, hmac-sha256 without the replay cache.
//
// Bounded: ROUNDS x setups x DURATION seconds of load, plus start-up.
// Needs wrk; installs tests/express-app's locked Express (tests/lib/npm.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const h = require('../tests/lib/harness');
const { ensureNpmDeps } = require('../tests/lib/npm');
const secureHeaders = require('../node');

const ROUNDS = Number(process.env.E2E_ROUNDS || 3);
const DURATION = Number(process.env.E2E_DURATION || 5);
const CONNS = Number(process.env.E2E_CONNECTIONS || 16);
const ONLY = (process.env.E2E_SETUPS || 'T,U,H,D,E').split(',');
// E2E_PIN=1: node on the second core, alone; Apache and wrk on the first.
// Node then is the bottleneck of every setup (it needs 120-330 µs a
// request, Apache and wrk together about 70), and none of the three
// competes with another for a core, which otherwise moves whole rounds by
// 10-20% on this 2-core machine.
const PIN = process.env.E2E_PIN === '1';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const log = (s) => process.stderr.write(`${s}\n`);
const median = (a) => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };

function ticks(pids) {
  let t = 0;
  for (const pid of pids) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch (_) { /* exited */ }
  }
  return t;
}

// The node process's main thread alone (where the JavaScript runs); the
// rest of its CPU is V8's and libuv's helper threads (concurrent marking,
// compilation).
function mainTicks(pid) {
  return ticks([`${pid}/task/${pid}`]);
}

function pin(cpu, pid) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset: ${r.stderr || r.error}`);
}

function startApp(cfg) {
  return new Promise((resolve, reject) => {
    const argv = [path.join(__dirname, 'express-e2e-app.js'), JSON.stringify(cfg)];
    const child = spawn(PIN ? 'taskset' : process.execPath, PIN ? ['-c', '1', process.execPath, ...argv] : argv,
      { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ child, port: JSON.parse(String(d)).port }));
    child.once('exit', (code) => reject(new Error(`express-e2e-app exited ${code}`)));
  });
}

function wrk(port) {
  const args = ['-t1', `-c${CONNS}`, `-d${DURATION}s`, `http://127.0.0.1:${port}/e2e?x=1`];
  const r = spawnSync(PIN ? 'taskset' : 'wrk', PIN ? ['-c', '0', 'wrk', ...args] : args,
    { encoding: 'utf8', timeout: (DURATION + 30) * 1000 });
  const m = /Requests\/sec:\s*([\d.]+)/.exec(r.stdout || '');
  const total = /(\d+) requests in/.exec(r.stdout || '');
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(r.stdout || '');
  if (!m || !total) throw new Error(`wrk: ${r.stdout}${r.stderr}`);
  return { rps: Number(m[1]), requests: Number(total[1]), non2xx: non2xx ? Number(non2xx[1]) : 0 };
}

async function main() {
  if (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error) throw new Error('wrk is not installed');
  const skip = ensureNpmDeps(path.join(__dirname, '..', 'tests', 'express-app'));
  if (skip) throw new Error(skip);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-e2e-'));
  fs.chmodSync(dir, 0o755);
  const write = (name, data) => { const p = path.join(dir, name); fs.writeFileSync(p, data, { mode: 0o600 }); return p; };
  const hmac = crypto.randomBytes(32);
  const master = crypto.randomBytes(32);
  const ed = crypto.generateKeyPairSync('ed25519');
  const files = {
    hmac: write('hmac.key', hmac), master: write('master.key', master),
    ed: write('ed.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    edPub: write('ed.pub', ed.publicKey.export({ type: 'spki', format: 'pem' })),
  };
  const defs = {
    T: { label: 'Express trust proxy, Apache without the module', app: { mode: 'trust' }, module: false },
    U: { label: 'package, unsigned', app: { mode: 'package' }, sign: '' },
    S: { label: 'package, unsigned; Apache signs (hmac-sha256), the app does not verify', app: { mode: 'package' },
      sign: `SecureHeadersSignKey e2e hmac-sha256 ${files.hmac}` },
    N: { label: 'package, hmac-sha256, no replay cache', app: { mode: 'package', replay: false, keys: { e2e: { alg: 'hmac-sha256', file: files.hmac } } },
      sign: `SecureHeadersSignKey e2e hmac-sha256 ${files.hmac}` },
    H: { label: 'package, hmac-sha256', app: { mode: 'package', keys: { e2e: { alg: 'hmac-sha256', file: files.hmac } } },
      sign: `SecureHeadersSignKey e2e hmac-sha256 ${files.hmac}` },
    D: { label: 'package, hmac-sha256 derived (hkdf-sha256)', derived: true, sign: `SecureHeadersSignKey e2e hkdf-sha256 ${files.master}` },
    E: { label: 'package, ed25519', app: { mode: 'package', keys: { e2e: { alg: 'ed25519', file: files.edPub } } },
      sign: `SecureHeadersSignKey e2e ed25519 ${files.ed}` },
  };
  const setups = [];
  try {
    for (const key of ONLY) {
      const d = defs[key];
      if (!d) throw new Error(`E2E_SETUPS: unknown setup ${key}`);
      let app;
      if (d.derived) {
        // The backend holds only the key derived for its own URL, so its
        // port is chosen first.
        const port = await h.freePort();
        const key = secureHeaders.deriveKey(master, `http://127.0.0.1:${port}`).toString('hex');
        app = await startApp({ mode: 'package', port, keys: { e2e: { alg: 'hmac-sha256', hex: key } } });
      } else {
        app = await startApp(d.app);
      }
      const ap = await h.startApache({
        loadSecureHeaders: d.module !== false,
        body: `${d.sign || ''}\nProxyPass / http://127.0.0.1:${app.port}/\nLogLevel error\nCustomLog /dev/null shtest`,
      });
      if (PIN) for (const pid of [ap.pid, ...h.childPids(ap.pid)]) pin(0, pid);
      const s = { key, label: d.label, app, ap, rounds: [] };
      setups.push(s);
      // Each must answer 200 with the client's address before it is timed.
      const r = await h.request(ap.port, { path: '/e2e?x=1' });
      if (r.status !== 200 || !r.json || r.json.ip !== '127.0.0.1') throw new Error(`${key}: ${r.status} ${r.body}`);
    }
    log(`# wrk -t1 -c${CONNS} -d${DURATION}s, ${ROUNDS} rounds over ${setups.map((s) => s.key).join(' ')} (alternating order)`);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...setups].reverse() : setups;
      for (const s of order) {
        const apPids = [s.ap.pid, ...h.childPids(s.ap.pid)];
        const n0 = ticks([s.app.child.pid]);
        const m0 = mainTicks(s.app.child.pid);
        const a0 = ticks(apPids);
        const w = wrk(s.ap.port);
        const n1 = ticks([s.app.child.pid]);
        const m1 = mainTicks(s.app.child.pid);
        const a1 = ticks([s.ap.pid, ...h.childPids(s.ap.pid)]);
        const reqs = w.requests || 1;
        const us = (t) => (t / CLK_TCK) * 1e6 / reqs;
        s.rounds.push({ rps: w.rps, non2xx: w.non2xx, nodeUs: us(n1 - n0), mainUs: us(m1 - m0), apacheUs: us(a1 - a0) });
        log(`#   round ${round + 1} ${s.key}: ${w.rps.toFixed(0)} req/s, node ${s.rounds.at(-1).nodeUs.toFixed(1)} µs/req, ` +
          `apache ${s.rounds.at(-1).apacheUs.toFixed(1)} µs/req${w.non2xx ? `, ${w.non2xx} non-2xx` : ''}`);
      }
    }
  } finally {
    for (const s of setups) { await s.ap.stop(); s.app.child.kill('SIGTERM'); }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const T = setups.find((s) => s.key === 'T');
  const base = T ? median(T.rounds.map((r) => r.rps)) : null;
  const la = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out = [];
  out.push(`Express behind Apache, ${ROUNDS} rounds of wrk -t1 -c${CONNS} -d${DURATION}s each, medians${PIN ? '; node pinned to core 1, Apache and wrk to core 0' : ''}; load average at the end ${la}`);
  out.push('');
  out.push('| setup | req/s | vs trust proxy | paired ratio | node CPU µs/req | of it, main thread | Apache CPU µs/req | non-2xx |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of setups) {
    const rps = median(s.rounds.map((r) => r.rps));
    const paired = T ? median(s.rounds.map((r, i) => r.rps / T.rounds[i].rps)) : null;
    out.push(`| ${s.key}: ${s.label} | ${rps.toFixed(0)} | ${base ? (rps / base).toFixed(3) : '-'}x | ${paired ? paired.toFixed(3) : '-'}x | ` +
      `${median(s.rounds.map((r) => r.nodeUs)).toFixed(1)} | ${median(s.rounds.map((r) => r.mainUs)).toFixed(1)} | ` +
      `${median(s.rounds.map((r) => r.apacheUs)).toFixed(1)} | ${s.rounds.reduce((a, r) => a + r.non2xx, 0)} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => { log(`express-e2e: ${e.stack || e}`); process.exitCode = 1; });
