#!/usr/bin/env node
// SPDX-License-Identifier: MIT
'use strict';
// What the package costs the app, per request, side by side with what the
// app would run without it (docs/performance.md):
//
//   read() unsigned                 vs  proxy-addr (Express's `trust proxy`)
//   read() hmac-sha256, no replay   vs  createHmac over the same base + proxy-addr
//   read() ed25519                  vs  crypto.verify alone + proxy-addr
//   read() ecdsa-p256-sha256        vs  crypto.verify alone + proxy-addr
//
// The requests are real http.IncomingMessage objects: the bytes mod_proxy
// sends (3 secure headers, 5 environment variables; signed ones as
// mod_secure_headers signs them, by node/tests/signer.js) parsed by
// node:http's own server and parser, one connection, pipelined. Their
// `headers` object is built before timing: an app builds it anyway, and
// proxy-addr reads it where read() reads rawHeaders.
//
// Each round times each contender on fresh request objects (read() keeps a
// verdict per request), the contenders taking turns in blocks of 100
// requests, each charged the process's CPU time (not wall time: other load
// on the machine does not count); the table gives the median of the rounds
// (5, or BENCH_ROUNDS), the ratio of the medians, and the median of each
// round's own ratio ("paired": the two contenders of one round ran under the
// same neighbours). Bounded: about 4 s a round per row.
//
//   node bench/node-read.js
//   BENCH_ROUNDS=11 BENCH_ROWS=hmac node bench/node-read.js
//   BENCH_BASELINE=/path/to/an/older/node node bench/node-read.js   # adds a "before" column
//
// proxy-addr is a bench-only dependency (bench/node-read/package-lock.json),
// installed by `npm ci` the first time.

// One thread for the garbage collector too: its work is then charged to the
// contender whose allocations caused it, not to whichever one runs while a
// helper thread happens to.
if (!process.execArgv.includes('--single-threaded-gc')) {
  const r = require('node:child_process').spawnSync(process.execPath, ['--single-threaded-gc', ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status === null ? 1 : r.status);
}

const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { Duplex } = require('node:stream');
const v8 = require('node:v8');
const vm = require('node:vm');
const { ensureNpmDeps } = require('../tests/lib/npm');

const deps = path.join(__dirname, 'node-read');
const skip = ensureNpmDeps(deps);
if (skip) { console.error(skip); process.exit(2); }
const proxyaddr = require(path.join(deps, 'node_modules', 'proxy-addr'));

const pkg = require('../node');
const baseline = process.env.BENCH_BASELINE ? require(path.resolve(process.env.BENCH_BASELINE)) : null;
const { sign, testKeys } = require('../node/tests/signer');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc'); // a collection before each round, not inside one

const AUTHORITY = 'backend.internal:3000';
// 5 variables, as bench/run's SetEnv lines give Apache.
const envOf = (vars) => Buffer.from(vars.map((s) => `${s}\0`).join(''), 'utf8').toString('base64');
const ENV = envOf(['APP_ENV', 'production', 'APP_TIER', 'web', 'APP_REGION', 'eu-west-1', 'APP_RELEASE', '2026.12.1', 'APP_FEATURES', 'search,checkout,beta-ui']);
const SECURE = [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', ENV]];
// What mod_proxy_http adds and a browser sends, around the secure headers.
const BEFORE = [
  ['Host', AUTHORITY],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'en-US,en;q=0.5'],
  ['Accept-Encoding', 'gzip, deflate, br, zstd'],
];
const AFTER = [
  ['X-Forwarded-For', '203.0.113.9'],
  ['X-Forwarded-Host', 'www.example.com'],
  ['X-Forwarded-Server', 'www.example.com'],
  ['Connection', 'Keep-Alive'],
];
const TARGET = '/app/items?id=42&sort=asc';

// Express: app.set('trust proxy', 'loopback') compiles once; req.ip is
// proxyaddr(req, trust) on every request.
const trust = proxyaddr.compile('loopback');

function bytesOf(headers) {
  return Buffer.from(`GET ${TARGET} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1');
}

// n requests -> n IncomingMessage, through node:http's server and parser.
function capture(raws) {
  return new Promise((resolve, reject) => {
    const out = [];
    const server = http.createServer((req, res) => {
      void req.headers; // built by any app; proxy-addr reads it
      out.push(req);
      res.end();
      if (out.length === raws.length) resolve(out);
    });
    server.on('clientError', reject);
    const sock = new Duplex({ read() {}, write(chunk, enc, cb) { cb(); } });
    sock.remoteAddress = '127.0.0.1'; // Apache, on loopback
    sock.remotePort = 41000;
    server.emit('connection', sock);
    for (let i = 0; i < raws.length; i += 256) sock.push(Buffer.concat(raws.slice(i, i + 256)));
  });
}

const K = testKeys();
const FLOOR = {
  'hmac-sha256': (key) => (base, sig) => {
    const mac = crypto.createHmac('sha256', key).update(base).digest();
    return mac.length === sig.length && crypto.timingSafeEqual(mac, sig);
  },
  ed25519: (key) => (base, sig) => crypto.verify(null, base, key, sig),
  'ecdsa-p256-sha256': (key) => (base, sig) => crypto.verify('sha256', base, { key, dsaEncoding: 'ieee-p1363' }, sig),
};

// Signed requests: each its own nonce, as Apache signs them.
function signedRaws(alg, n) {
  const k = K[alg];
  const out = [];
  const floors = [];
  for (let i = 0; i < n; i++) {
    const s = sign({ method: 'GET', target: TARGET, host: AUTHORITY, headers: SECURE }, { keyid: 'edge-1', alg, key: k.private, lifetime: 300 });
    out.push(bytesOf([...BEFORE, ...SECURE, ...AFTER, ['Signature-Input', s.signatureInput], ['Signature', s.signature]]));
    floors.push({ base: Buffer.from(s.base, 'latin1'), sig: Buffer.from(s.signature.slice(s.signature.indexOf(':') + 1, -1), 'base64') });
  }
  return { raws: out, floors };
}

// Each contender is charged the CPU time of the process while it runs
// (getrusage: user + system), not wall time, so that what else the machine
// runs does not count; and the contenders take turns in blocks of BLOCK
// requests, so that what does count (caches, clock speed) hits them alike.
const BLOCK = 100;
function cpu() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
function timeInTurns(contenders, n, first) {
  const total = contenders.map(() => 0);
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    for (let j = 0; j < contenders.length; j++) {
      const w = (j + first + start / BLOCK) % contenders.length;
      const { fn, items } = contenders[w];
      const t0 = cpu();
      for (let i = start; i < end; i++) fn(items[i], i);
      total[w] += cpu() - t0;
    }
  }
  return total.map((t) => t / n); // µs per request
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rows() {
  const list = [];
  const unsignedOpts = {};
  const baseUnsigned = {};
  list.push({
    name: 'read() unsigned (3 secure headers, 5 env vars)', yard: 'proxy-addr', target: 1.5, n: 5000,
    make: async (n) => ({ reqs: await capture(Array.from({ length: n }, () => bytesOf([...BEFORE, ...SECURE, ...AFTER]))) }),
    read: (req) => { const r = pkg.read(req, unsignedOpts); if (!r.trusted) throw new Error('not trusted'); },
    before: baseline && ((req) => baseline.read(req, baseUnsigned)),
    floor: (req) => proxyaddr(req, trust),
  });
  // For information: an environment that differs on every request (a
  // sixth variable, mod_unique_id's UNIQUE_ID), which read() decodes each
  // time (it keeps the last one decoded).
  let uid = 0;
  list.push({
    name: 'read() unsigned, the environment different on every request', yard: 'proxy-addr', target: null, n: 5000,
    make: async (n) => ({
      reqs: await capture(Array.from({ length: n }, () => {
        const env = envOf(['APP_ENV', 'production', 'APP_TIER', 'web', 'APP_REGION', 'eu-west-1', 'APP_RELEASE', '2026.12.1',
          'APP_FEATURES', 'search,checkout,beta-ui', 'UNIQUE_ID', crypto.createHash('sha1').update(String(uid++)).digest('base64url').slice(0, 24)]);
        return bytesOf([...BEFORE, ...SECURE.slice(0, 2), ['!~Passenger-Envvars', env], ...AFTER]);
      })),
    }),
    read: (req) => { const r = pkg.read(req, unsignedOpts); if (!r.trusted) throw new Error('not trusted'); },
    before: baseline && ((req) => baseline.read(req, baseUnsigned)),
    floor: (req) => proxyaddr(req, trust),
  });
  for (const [alg, n, target] of [['hmac-sha256', 5000, 1.5], ['ed25519', 1500, 1.1], ['ecdsa-p256-sha256', 1500, 1.1]]) {
    const keys = { 'edge-1': { alg, key: K[alg].public } };
    const opts = { keys, authority: AUTHORITY, replayCache: false };
    const baseOpts = { keys, authority: AUTHORITY, replayCache: false };
    const verify = FLOOR[alg](K[alg].public);
    let floors;
    list.push({
      name: `read() ${alg}, replay cache off`, yard: `${alg === 'hmac-sha256' ? 'createHmac' : 'crypto.verify'} + proxy-addr`, target, n,
      make: async (count) => {
        const s = signedRaws(alg, count);
        floors = s.floors;
        return { reqs: await capture(s.raws) };
      },
      read: (req) => { if (!pkg.read(req, opts).signed) throw new Error('not signed'); },
      before: baseline && ((req) => baseline.read(req, baseOpts)),
      floor: (req, i) => { proxyaddr(req, trust); if (!verify(floors[i].base, floors[i].sig)) throw new Error('floor: bad signature'); },
    });
  }
  // For information: the default in-memory replay cache on top of hmac.
  {
    const alg = 'hmac-sha256';
    const keys = { 'edge-1': { alg, key: K[alg].public } };
    let opts; let floors;
    const verify = FLOOR[alg](K[alg].public);
    list.push({
      name: 'read() hmac-sha256, in-memory replay cache', yard: 'createHmac + proxy-addr', target: null, n: 5000,
      make: async (count) => {
        opts = { keys, authority: AUTHORITY, replayCache: pkg.createMemoryReplayCache() };
        const s = signedRaws(alg, count);
        floors = s.floors;
        return { reqs: await capture(s.raws) };
      },
      read: (req) => { if (!pkg.read(req, opts).signed) throw new Error('not signed'); },
      before: null,
      floor: (req, i) => { proxyaddr(req, trust); if (!verify(floors[i].base, floors[i].sig)) throw new Error('floor: bad signature'); },
    });
  }
  return list;
}

async function main() {
  const results = [];
  const only = process.env.BENCH_ROWS ? new RegExp(process.env.BENCH_ROWS) : null;
  for (const row of rows()) {
    if (only && !only.test(row.name)) continue;
    const deadline = Date.now() + 4000 * (ROUNDS + 1); // bounded, whatever the machine
    const t = { read: [], before: [], floor: [] };
    for (let round = -1; round < ROUNDS && Date.now() < deadline; round++) {
      // Fresh objects for each contender that keeps per-request state.
      const a = await row.make(row.n);
      const b = row.before ? await row.make(row.n) : null;
      const who = b ? ['read', 'before', 'floor'] : ['read', 'floor'];
      gc();
      const times = timeInTurns(who.map((w) => ({ fn: row[w], items: w === 'before' ? b.reqs : a.reqs })), row.n, round + 1);
      const got = {};
      who.forEach((w, i) => { got[w] = times[i]; });
      if (round < 0) continue; // warm-up
      for (const k of Object.keys(got)) t[k].push(got[k]);
    }
    const paired = median(t.read.map((r, i) => r / t.floor[i]));
    results.push({ row, read: median(t.read), before: t.before.length ? median(t.before) : null, floor: median(t.floor), paired, rounds: t.read.length });
  }
  const f = (x) => x.toFixed(2);
  console.log(`node ${process.version}, ${results[0].rounds} rounds, medians, µs per request${baseline ? `; before: ${process.env.BENCH_BASELINE}` : ''}\n`);
  console.log(`| per request | ${baseline ? 'before | ' : ''}read() | yardstick | yardstick µs | ${baseline ? 'before ratio | ' : ''}ratio | paired | target |`);
  console.log(`|---|${baseline ? '---:|' : ''}---:|---|---:|${baseline ? '---:|' : ''}---:|---:|---:|`);
  for (const r of results) {
    const cells = [r.row.name];
    if (baseline) cells.push(r.before === null ? '' : f(r.before));
    cells.push(f(r.read), r.row.yard, f(r.floor));
    if (baseline) cells.push(r.before === null ? '' : `${f(r.before / r.floor)}x`);
    cells.push(`${f(r.read / r.floor)}x`, `${f(r.paired)}x`, r.row.target ? `≤ ${r.row.target}x` : '');
    console.log(`| ${cells.join(' | ')} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
