// SPDX-License-Identifier: MIT
'use strict';
// Soak run for mod_secure_headers. Run it as `bench/soak`.
//
// Not a test: it drives a real Apache (mpm_event, several child processes)
// with the module in front of the harness's Node echo backend, prints
// figures, and exits 1 when an invariant breaks:
//
//   - SOAK_REQUESTS requests (default 100000) from SOAK_CONCURRENCY (64)
//     concurrent clients over keep-alive connections, about 80% valid and
//     20% spoofed (a client "!~" header), in a seeded pseudo-random order;
//   - every valid request: 200, and the backend's echo shows this request's
//     own path and User-Agent, exactly the secure headers
//     [!~Passenger-Client-Address: 127.0.0.1, !~Passenger-Envvars] and an
//     environment with UA=soak-<i> (per-request value: no cross-talk between
//     requests sharing a keep-alive connection) and SOAK=yes, once each;
//   - every spoofed request: 400, and no spoofed request (path /s/...) and no
//     forged value reaches the backend;
//   - two `apache2 -k graceful` restarts (at about 33% and 66%) while the
//     load goes on, with no failed answer;
//   - Apache's memory (VmRSS of the parent and its children, sampled every
//     second) flat after warm-up: growth from the 20% mark to the end is
//     reported, and above SOAK_RSS_MAX_GROWTH_KB (default 4096) it counts
//     as a broken invariant.
//
// Retry policy: a request that fails with ECONNRESET/EPIPE on a REUSED
// keep-alive socket before any response byte is the well-known keep-alive
// race (the server closed an idle connection just as the client sent on
// it); HTTP clients retry those, so it is retried once, on a new
// connection, and counted apart ("retries"). Any other error, any
// unexpected status or body, or a second failure is a failure.
//
// Environment: SOAK_REQUESTS, SOAK_CONCURRENCY, SOAK_SEED, SOAK_SPOOF_PCT
// (default 20), SOAK_RESTARTS (default 2), SOAK_RSS_MAX_GROWTH_KB,
// SOAK_TIMEOUT_MS (per request, default 30000), SHTEST_KEEP=1 (keep the
// temporary ServerRoot, see tests/lib/harness.js).
// Node built-ins only.

const fs = require('node:fs');
const http = require('node:http');
const h = require('../tests/lib/harness');

const N = intEnv('SOAK_REQUESTS', 100000);
const CONC = intEnv('SOAK_CONCURRENCY', 64);
const SEED = intEnv('SOAK_SEED', 12345);
const SPOOF_PCT = intEnv('SOAK_SPOOF_PCT', 20);
const RESTARTS = intEnv('SOAK_RESTARTS', 2);
const RSS_MAX_GROWTH_KB = intEnv('SOAK_RSS_MAX_GROWTH_KB', 4096);
const TIMEOUT_MS = intEnv('SOAK_TIMEOUT_MS', 30000);
const MAX_FAILURE_DETAILS = 20;

function intEnv(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

// Seeded PRNG (mulberry32) so a run can be replayed with SOAK_SEED.
function mulberry32(a) {
  return function next() {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPOOFS = [
  ['!~Passenger-Client-Address', '6.6.6.6'],
  ['!~passenger-envvars', 'x'],
  ['!~Passenger-Proto', 'https'],
];

// Apache: the harness's config (mpm_event) plus a worker pool large enough
// for CONC concurrent clients, with headroom in ServerLimit so the new
// generation can start while the old one finishes its requests during a
// graceful restart. These MPM directives come after the harness's and win.
function apacheBody(threads) {
  const procs = Math.max(2, Math.ceil(CONC / threads) + 1);
  return `
StartServers ${procs}
ServerLimit ${procs * 3}
ThreadsPerChild ${threads}
MaxRequestWorkers ${procs * threads}
MinSpareThreads 8
MaxSpareThreads ${procs * threads}
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName 127.0.0.1
  SetEnv SOAK yes
  SetEnvIf User-Agent (.*) UA=$1
  ProxyPass / \${BACKEND}/
</VirtualHost>
`;
}

// --- memory sampling -------------------------------------------------------
const { childPids } = h;

function statusField(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (_) { return null; } // exited between listing and reading
}

function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (_) { return null; }
}

function sampleMemory(parent) {
  const pids = [parent, ...childPids(parent)];
  let rss = 0; let pss = 0; let procs = 0; let pssOk = true;
  for (const p of pids) {
    const r = statusField(p, 'VmRSS');
    if (r === null) continue;
    rss += r; procs++;
    const q = pssKb(p);
    if (q === null) pssOk = false; else pss += q;
  }
  return { rss, pss: pssOk ? pss : null, procs, parentRss: statusField(parent, 'VmRSS') };
}

function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mb = (kb) => (kb === null || Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
const signedMb = (kb) => `${kb >= 0 ? '+' : ''}${(kb / 1024).toFixed(1)} MB`;

// --- main ------------------------------------------------------------------
async function main() {
  if (!fs.existsSync(h.MODULE_PATH)) throw new Error(`module not built: ${h.MODULE_PATH}`);
  const threads = 32;
  const backend = await h.startBackend();
  const ap = await h.startApache({ body: apacheBody(threads), vars: { BACKEND: backend.url } });
  const port = ap.port;

  // Backend-side invariants, seen on the raw request as the backend got it.
  const seenValid = new Uint8Array(N);
  const be = { total: 0, spoofPath: 0, forged: 0, other: 0, forgedExamples: [] };
  backend.server.on('request', (req) => {
    be.total++;
    const p = req.url || '';
    let m;
    if (p.startsWith('/s/')) be.spoofPath++;
    else if ((m = /^\/v\/(\d+)$/.exec(p)) && Number(m[1]) < N) { if (seenValid[Number(m[1])] < 255) seenValid[Number(m[1])]++; } else be.other++;
    const rh = req.rawHeaders;
    for (let i = 0; i + 1 < rh.length; i += 2) {
      const n = rh[i].toLowerCase();
      if (rh[i + 1].includes('6.6.6.6') || n === '!~passenger-proto' ||
          (n === '!~passenger-envvars' && rh[i + 1] === 'x')) {
        be.forged++;
        if (be.forgedExamples.length < 5) be.forgedExamples.push(`${p}: ${rh[i]}: ${rh[i + 1]}`);
      }
    }
  });

  const usedSockets = new WeakSet();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONC, maxFreeSockets: CONC });

  const st = {
    started: 0, done: 0, validOk: 0, spoofOk: 0, validSent: 0, spoofSent: 0,
    failures: 0, retries: 0, retryCodes: {}, failureKinds: {}, failureDetails: [],
  };
  const restarts = []; // {at, t0, t1, error}
  const events = []; // {t, kind: 'retry'|'failure'}

  function fail(kind, detail) {
    st.failures++;
    st.failureKinds[kind] = (st.failureKinds[kind] || 0) + 1;
    events.push({ t: Date.now(), kind: 'failure' });
    if (st.failureDetails.length < MAX_FAILURE_DETAILS) st.failureDetails.push(`${kind}: ${detail}`);
  }

  // One attempt. Resolves {status, body} or {error, reused, bytes}.
  // "reused": the socket had already carried a request. Node's own
  // req.reusedSocket is not enough: it stays false when the agent hands a
  // freed keep-alive socket straight to a queued request, which is what
  // happens all the time with as many busy clients as sockets.
  // "bytes": response bytes read on this socket for this request.
  function attempt(path, headers, fresh = false) {
    return new Promise((resolve) => {
      let settled = false;
      let sock = null; let reused = false; let bytes0 = 0;
      const bytes = () => (sock ? sock.bytesRead - bytes0 : 0);
      const done = (v) => { if (!settled) { settled = true; resolve(v); } };
      const req = http.request({ agent: fresh ? false : agent, host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => done({ error: e, reused, bytes: bytes() }));
        res.on('aborted', () => done({ error: Object.assign(new Error('response aborted'), { code: 'ABORTED' }), reused, bytes: bytes() }));
      });
      req.on('socket', (s) => {
        sock = s;
        reused = usedSockets.has(s) || req.reusedSocket;
        usedSockets.add(s);
        bytes0 = s.bytesRead;
      });
      req.setTimeout(TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS} ms`), { code: 'TIMEOUT' })));
      req.on('error', (e) => done({ error: e, reused, bytes: bytes() }));
      req.end();
    });
  }

  async function send(path, headers) {
    const r = await attempt(path, headers);
    if (r.error && r.reused && r.bytes === 0 && (r.error.code === 'ECONNRESET' || r.error.code === 'EPIPE')) {
      st.retries++;
      st.retryCodes[r.error.code] = (st.retryCodes[r.error.code] || 0) + 1;
      events.push({ t: Date.now(), kind: 'retry' });
      // On a new connection: the other idle sockets of the pool may be
      // about to be closed by the same dying child.
      const r2 = await attempt(path, headers, true);
      r2.retried = true;
      r2.firstError = r.error.code;
      return r2;
    }
    return r;
  }

  function checkValid(i, r) {
    if (r.status !== 200) return `status ${r.status}, body ${JSON.stringify(r.body.slice(0, 200))}`;
    let echo;
    try { echo = JSON.parse(r.body); } catch (_) { return `body is not the echo: ${JSON.stringify(r.body.slice(0, 200))}`; }
    if (echo.url !== `/v/${i}`) return `echo url ${JSON.stringify(echo.url)} (cross-talk?)`;
    if (echo.headers['user-agent'] !== `soak-${i}`) return `echo user-agent ${JSON.stringify(echo.headers['user-agent'])}`;
    const sh = h.secureHeaders(echo);
    const names = sh.map(([n]) => n).join(',');
    if (names !== '!~Passenger-Client-Address,!~Passenger-Envvars') return `secure headers ${JSON.stringify(sh)}`;
    if (sh[0][1] !== '127.0.0.1') return `client address ${JSON.stringify(sh[0][1])}`;
    let env;
    try { env = h.decodeEnvvars(sh[1][1]); } catch (e) { return `envvars undecodable: ${e.message}`; }
    const ua = env.filter(([n]) => n === 'UA');
    const soak = env.filter(([n]) => n === 'SOAK');
    if (ua.length !== 1 || ua[0][1] !== `soak-${i}`) return `UA in envvars ${JSON.stringify(ua)} (expected soak-${i})`;
    if (soak.length !== 1 || soak[0][1] !== 'yes') return `SOAK in envvars ${JSON.stringify(soak)}`;
    return null;
  }

  // Plan: the same seed gives the same sequence of valid/spoofed requests.
  const rnd = mulberry32(SEED);
  const plan = new Uint8Array(N); // 0 valid, 1..3 spoof variant
  let spoofIdx = 0;
  for (let i = 0; i < N; i++) plan[i] = rnd() * 100 < SPOOF_PCT ? 1 + (spoofIdx++ % SPOOFS.length) : 0;

  const restartMarks = [];
  for (let k = 1; k <= RESTARTS; k++) restartMarks.push(Math.floor((N * k) / (RESTARTS + 1)));
  const warmMark = Math.floor(N * 0.2);

  // Memory sampler. A sample is "transient" while a graceful restart is
  // under way and for SETTLE_MS after it (old children finishing, new ones
  // being spawned by the parent's once-a-second maintenance); "gen" is the
  // number of restarts completed before it.
  const SETTLE_MS = 2000;
  const samples = []; // {t, done, rss, pss, procs, parentRss, gen, transient}
  const takeSample = () => {
    const now = Date.now();
    const transient = restarts.some((r) => r.t1 === null || now < r.t1 + SETTLE_MS);
    const gen = restarts.filter((r) => r.t1 !== null && now >= r.t1).length;
    const s = Object.assign({ t: now, done: st.done, gen, transient }, sampleMemory(ap.pid));
    samples.push(s);
    if (backend.requests.length > 1000) backend.requests.length = 0; // the harness keeps every echo
    return s;
  };

  console.log(`soak: ${N} requests, concurrency ${CONC}, ~${SPOOF_PCT}% spoofed, seed ${SEED}, ` +
    `${RESTARTS} graceful restart(s) at ${restartMarks.join(', ')}; apache pid ${ap.pid}, ` +
    `port ${port}, backend ${backend.url}, ServerRoot ${ap.dir}`);
  const mem0 = takeSample();
  console.log(`memory at start: ${mb(mem0.rss)} RSS over ${mem0.procs} processes (PSS ${mb(mem0.pss)})`);

  const sampler = setInterval(takeSample, 1000);
  let lastProgress = 0;
  const progressStep = Math.max(1, Math.floor(N / 10));
  const t0 = Date.now();
  const restartPromises = [];

  function maybeRestart() {
    while (restarts.length < restartMarks.length && st.started >= restartMarks[restarts.length]) {
      const rec = { at: st.started, t0: Date.now(), t1: null, error: null,
        parentBefore: statusField(ap.pid, 'VmRSS'), parentAfter: null };
      restarts.push(rec);
      console.log(`  graceful restart #${restarts.length} at request ${rec.at} ...`);
      restartPromises.push(ap.reload({ timeout: 30000 }).then(() => {
        rec.t1 = Date.now();
        rec.parentAfter = statusField(ap.pid, 'VmRSS');
        console.log(`  graceful restart #${restarts.indexOf(rec) + 1} done in ${rec.t1 - rec.t0} ms`);
      }, (e) => {
        rec.t1 = Date.now();
        rec.error = e;
        fail('restart', e.message.split('\n')[0]);
      }));
    }
  }

  async function worker() {
    for (;;) {
      if (st.started >= N) return;
      const i = st.started++;
      maybeRestart();
      const kind = plan[i];
      if (kind === 0) {
        st.validSent++;
        const r = await send(`/v/${i}`, { 'User-Agent': `soak-${i}` });
        if (r.error) fail(r.retried ? 'valid: failed again after retry' : 'valid: error', `#${i} ${r.error.code || ''} ${r.error.message} (reused socket: ${r.reused}, response bytes: ${r.bytes})`);
        else {
          const bad = checkValid(i, r);
          if (bad) fail('valid: wrong answer', `#${i} ${bad}`); else st.validOk++;
        }
      } else {
        st.spoofSent++;
        const [n, v] = SPOOFS[kind - 1];
        const r = await send(`/s/${i}`, { 'User-Agent': `soak-${i}`, [n]: v });
        if (r.error) fail(r.retried ? 'spoofed: failed again after retry' : 'spoofed: error', `#${i} ${r.error.code || ''} ${r.error.message} (reused socket: ${r.reused}, response bytes: ${r.bytes})`);
        else if (r.status !== 400) fail('spoofed: wrong status', `#${i} ${n}: status ${r.status}`);
        else st.spoofOk++;
      }
      st.done++;
      if (st.done - lastProgress >= progressStep || st.done === N) {
        lastProgress = st.done;
        const s = samples[samples.length - 1];
        const el = (Date.now() - t0) / 1000;
        console.log(`  ${String(st.done).padStart(String(N).length)}/${N}  ${(st.done / el).toFixed(0)} req/s  ` +
          `failures ${st.failures}  retries ${st.retries}  apache RSS ${mb(s.rss)} (${s.procs} processes${s.transient ? ', graceful restart under way' : ''})`);
      }
    }
  }

  await Promise.all(Array.from({ length: CONC }, worker));
  const elapsed = (Date.now() - t0) / 1000;
  await Promise.all(restartPromises);
  clearInterval(sampler);
  const memEnd = takeSample();
  agent.destroy();

  // Let late backend events (none expected) arrive before judging.
  await h.sleep(200);

  // ---- figures ------------------------------------------------------------
  const rssList = samples.map((s) => s.rss);
  const post = samples.filter((s) => s.done >= warmMark && !s.transient);
  // The 20% mark: the first steady sample at or after it (memEnd if none).
  const warm = post.find((s) => s !== memEnd) || memEnd;
  const growthKb = memEnd.rss - warm.rss;
  const pssGrowthKb = (memEnd.pss !== null && warm.pss !== null) ? memEnd.pss - warm.pss : null;
  // Each generation of children between restarts: a per-request leak in a
  // child shows as growth over the requests that generation served (the
  // 20%-to-end figure compares different generations).
  const gens = [];
  for (let g = 0; g <= restarts.length; g++) {
    // Each generation warms up too (new children start small): skip its
    // first 10% of the run's requests (the first generation: the first 20%).
    const from = g === 0 ? warmMark : restarts[g - 1].at + Math.floor(N * 0.1);
    const ss = samples.filter((x) => x.gen === g && !x.transient && x.done >= from && x.done > 0);
    if (ss.length < 2) { gens.push({ g, n: ss.length }); continue; }
    const a = ss[0]; const b = ss[ss.length - 1];
    gens.push({ g, n: ss.length, a, b, growth: b.rss - a.rss, reqs: b.done - a.done });
  }

  let missing = 0; let dup = 0;
  for (let i = 0; i < N; i++) {
    if (plan[i] === 0) { if (seenValid[i] === 0) missing++; else if (seenValid[i] > 1) dup++; } else if (seenValid[i]) dup++;
  }

  const aroundRestart = restarts.map((r) => {
    const lo = r.t0 - 2000; const hi = (r.t1 || r.t0) + 2000;
    const ev = events.filter((e) => e.t >= lo && e.t <= hi);
    return { retries: ev.filter((e) => e.kind === 'retry').length, failures: ev.filter((e) => e.kind === 'failure').length };
  });

  const errLog = ap.errorLog();
  const errLines = errLog.split('\n').filter((l) => /\[[a-z_]*:(error|crit|alert|emerg)\]/.test(l));

  console.log('');
  console.log('==== soak summary ====');
  console.log(`requests:            ${st.done} of ${N} (valid ${st.validSent}, spoofed ${st.spoofSent}), concurrency ${CONC}`);
  console.log(`valid ok (200+hdrs): ${st.validOk}`);
  console.log(`spoofed -> 400:      ${st.spoofOk}`);
  console.log(`failures:            ${st.failures}${st.failures ? '  ' + JSON.stringify(st.failureKinds) : ''}`);
  console.log(`retries (keep-alive race, reused socket, before any byte): ${st.retries}${st.retries ? '  ' + JSON.stringify(st.retryCodes) : ''}`);
  console.log(`elapsed:             ${elapsed.toFixed(1)} s, ${(st.done / elapsed).toFixed(0)} requests/s`);
  console.log(`backend saw:         ${be.total} requests; valid paths missing ${missing}, duplicated ${dup}; ` +
    `spoofed paths ${be.spoofPath}; forged values ${be.forged}; other ${be.other}`);
  console.log(`graceful restarts:   ${restarts.filter((r) => !r.error).length} of ${RESTARTS} done` +
    restarts.map((r, k) => `\n  #${k + 1} at request ${r.at}: ${r.error ? 'FAILED' : `${r.t1 - r.t0} ms`}, ` +
      `within +-2 s: ${aroundRestart[k].failures} failures, ${aroundRestart[k].retries} retries; ` +
      `parent RSS ${mb(r.parentBefore)} -> ${mb(r.parentAfter)}`).join(''));
  console.log(`apache RSS (VmRSS, parent + children, ${samples.length} samples, 1/s):`);
  console.log(`  first ${mb(rssList[0])}  median ${mb(median(rssList))}  max ${mb(Math.max(...rssList))}  last ${mb(memEnd.rss)}`);
  console.log(`  at 20% mark (request ${warm.done}): ${mb(warm.rss)} over ${warm.procs} processes; at end: ${mb(memEnd.rss)} over ${memEnd.procs} processes`);
  console.log(`  growth 20% mark -> end: ${signedMb(growthKb)}` +
    (pssGrowthKb !== null ? ` (PSS ${mb(warm.pss)} -> ${mb(memEnd.pss)}, ${signedMb(pssGrowthKb)})` : '') +
    `; limit ${signedMb(RSS_MAX_GROWTH_KB)}`);
  if (post.length) {
    console.log(`  after warm-up: min ${mb(Math.min(...post.map((s) => s.rss)))}  median ${mb(median(post.map((s) => s.rss)))}  max ${mb(Math.max(...post.map((s) => s.rss)))}`);
  }
  for (const x of gens) {
    const label = x.g === 0 ? (RESTARTS ? 'children before restart 1 (from the 20% mark)' : 'children (from the 20% mark)') : `children after restart ${x.g} (after 10% more as warm-up)`;
    if (!x.a) { console.log(`  ${label}: ${x.n} steady sample(s), too few to judge`); continue; }
    console.log(`  ${label}: requests ${x.a.done} -> ${x.b.done}: ${mb(x.a.rss)} (${x.a.procs} processes) -> ` +
      `${mb(x.b.rss)} (${x.b.procs} processes), ${signedMb(x.growth)}` +
      (x.reqs > 0 ? `, ${(x.growth * 1024 / x.reqs).toFixed(1)} bytes/request` : ''));
  }
  console.log(`  parent alone: ${mb(mem0.parentRss)} at start -> ${mb(memEnd.parentRss)} at end`);
  console.log(`apache error_log:    ${errLines.length} lines at level error or above`);
  for (const l of errLines.slice(0, 10)) console.log(`  ${l}`);

  // ---- invariants -----------------------------------------------------------
  const broken = [];
  if (st.done !== N) broken.push(`only ${st.done} of ${N} requests done`);
  if (st.failures) broken.push(`${st.failures} failed answers`);
  if (st.validOk + st.spoofOk !== N) broken.push(`valid ok + spoofed 400 = ${st.validOk + st.spoofOk}, not ${N}`);
  if (be.spoofPath) broken.push(`${be.spoofPath} spoofed requests reached the backend`);
  if (be.forged) broken.push(`${be.forged} forged values reached the backend: ${be.forgedExamples.join('; ')}`);
  if (be.other) broken.push(`${be.other} requests with unexpected paths reached the backend`);
  if (missing) broken.push(`${missing} valid requests never reached the backend`);
  if (dup) broken.push(`${dup} requests reached the backend more than once`);
  if (restarts.length !== RESTARTS || restarts.some((r) => r.error)) broken.push('graceful restarts did not all complete');
  if (growthKb > RSS_MAX_GROWTH_KB) broken.push(`apache RSS grew ${signedMb(growthKb)} after warm-up (limit ${signedMb(RSS_MAX_GROWTH_KB)})`);
  for (const x of gens) {
    if (x.a && x.growth > RSS_MAX_GROWTH_KB) broken.push(`apache RSS grew ${signedMb(x.growth)} within generation ${x.g} (limit ${signedMb(RSS_MAX_GROWTH_KB)})`);
  }
  if (ap.exited) broken.push(`apache exited: ${JSON.stringify(ap.exited)}`);

  await ap.stop();
  await backend.close();

  if (st.failureDetails.length) {
    console.log(`first failures (${st.failureDetails.length} of ${st.failures}):`);
    for (const d of st.failureDetails) console.log(`  ${d}`);
  }
  if (broken.length) {
    console.log('INVARIANTS BROKEN:');
    for (const b of broken) console.log(`  - ${b}`);
    process.exitCode = 1;
  } else {
    console.log(`memory flat (growth ${signedMb(growthKb)} <= ${signedMb(RSS_MAX_GROWTH_KB)}); all invariants hold`);
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1); // the harness's exit handler kills Apache; the backend would keep us alive
});
