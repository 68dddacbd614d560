#!/usr/bin/env node
// SPDX-License-Identifier: MIT
'use strict';
// What the shared replay store costs (docs/replay.md): signed requests
// through Express 5 with passenger-secure-headers, the nonces kept in the
// in-memory cache, in Redis through node-redis 5, or in Redis through
// ioredis, side by side in one run, each app in a process of its own on
// loopback, redis-server started here (its own port and directory, no
// persistence). Reports throughput, its ratio to the in-memory cache
// (median of the per-round ratios), latency under load and one request at
// a time (what the store adds to each), and the server's CPU time per
// request (what dominates; its ratio is the throughput ratio of a
// CPU-bound server, and moves less than req/s when the machine is shared).
//
//   node bench/replay-store.js              # about 60 s
//   BENCH_ROUNDS=2 BENCH_SECONDS=2 node bench/replay-store.js
//
// Rounds alternate the variants (memory, node-redis, ioredis, memory, ...)
// so that a neighbour's load falls on all of them alike; each round runs
// BENCH_SECONDS with BENCH_CONCURRENCY keep-alive connections from one
// client process that signs each request (ed25519, a fresh nonce) as
// mod_secure_headers would. Bounded: rounds x variants x seconds.
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { createRequire } = require('node:module');

const REPO = path.join(__dirname, '..');
const STORES = path.join(REPO, 'tests', 'stores');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const SECONDS = Number(process.env.BENCH_SECONDS || 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 16);
const TARGET = 0.9;
const VARIANTS = ['memory', 'redis5', 'ioredis'];

// ------------------------------------------------------------ the app
if (process.argv[2] === '--app') {
  const cfg = JSON.parse(process.argv[3]);
  const need = createRequire(path.join(STORES, 'package.json'));
  const express = need('express');
  const secureHeaders = require(path.join(REPO, 'node'));
  (async () => {
    let replayCache = secureHeaders.createMemoryReplayCache();
    if (cfg.variant === 'redis5') {
      const c = need('redis5').createClient({ url: cfg.url, disableOfflineQueue: true });
      c.on('error', () => {});
      await c.connect();
      replayCache = secureHeaders.redisReplayCache(c);
    } else if (cfg.variant === 'ioredis') {
      const Redis = need('ioredis');
      const c = new Redis(cfg.url, { lazyConnect: true, enableOfflineQueue: false });
      c.on('error', () => {});
      await c.connect();
      replayCache = secureHeaders.redisReplayCache(c);
    }
    const app = express();
    app.set('etag', false);
    app.use(secureHeaders.express({ keys: { edge: { alg: 'ed25519', key: cfg.pub } }, authority: 'app.test', replayCache }));
    app.get('/*path', (req, res) => res.type('text/plain').send(req.ip));
    const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    process.on('message', (m) => {
      if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
    });
  })().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
  return;
}

// ------------------------------------------------------------ the client
if (process.argv[2] === '--client') {
  const { sign } = require(path.join(REPO, 'node', 'tests', 'signer'));
  const cfg = JSON.parse(process.argv[3]);
  const key = crypto.createPrivateKey(cfg.priv);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const headers = [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9']];
  function once(port) {
    const s = sign({ method: 'GET', target: '/b', host: 'app.test', headers }, { keyid: 'edge', alg: 'ed25519', key });
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/b', agent, headers: [
        'Host', 'app.test', ...headers.flat(), 'Signature-Input', s.signatureInput, 'Signature', s.signature] }, (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1000]));
      });
      req.on('error', reject);
      req.end();
    });
  }
  process.on('message', async ({ port, seconds, concurrency }) => {
    const lat = [];
    let bad = 0;
    const statuses = {};
    const t0 = Date.now();
    const deadline = t0 + seconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const [status, us] = await once(port);
        if (status !== 200) bad++;
        statuses[status] = (statuses[status] || 0) + 1;
        lat.push(us);
      }
    }));
    const elapsed = (Date.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    process.send({ n: lat.length, bad, statuses, rps: lat.length / elapsed, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)] });
  });
  return;
}

// ------------------------------------------------------------ the run
const { ensureNpmDeps } = require(path.join(REPO, 'tests', 'lib', 'npm'));
const { startRedis } = require(path.join(REPO, 'tests', 'lib', 'redis'));

function child(args) {
  const p = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting = null;
  p.on('message', (m) => { const w = waiting; waiting = null; if (w) w.resolve(m); });
  p.on('exit', (code) => { if (waiting) waiting.reject(new Error(`${args[0]} exited ${code}`)); });
  const next = () => new Promise((resolve, reject) => { waiting = { resolve, reject }; });
  return { p, next, ask: (m) => { p.send(m); return next(); } };
}

(async () => {
  const skip = ensureNpmDeps(STORES);
  if (skip) throw new Error(skip);
  const k = crypto.generateKeyPairSync('ed25519');
  const pub = k.publicKey.export({ type: 'spki', format: 'pem' });
  const priv = k.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const redis = await startRedis();
  const procs = [];
  try {
    const apps = {};
    for (const variant of VARIANTS) {
      const a = child(['--app', JSON.stringify({ variant, url: redis.url, pub })]);
      procs.push(a.p);
      apps[variant] = { a, port: (await a.next()).port, runs: [], cpuUs: 0 };
    }
    const client = child(['--client', JSON.stringify({ priv })]);
    procs.push(client.p);
    // Warm-up: JIT, connections, Redis's first keys.
    for (const v of VARIANTS) await client.ask({ port: apps[v].port, seconds: 1, concurrency: CONCURRENCY });
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of (round % 2 ? [...VARIANTS].reverse() : VARIANTS)) {
        const before = (await apps[v].a.ask('cpu')).cpu;
        const r = await client.ask({ port: apps[v].port, seconds: SECONDS, concurrency: CONCURRENCY });
        const after = (await apps[v].a.ask('cpu')).cpu;
        r.cpuPerReq = (after.user + after.system - before.user - before.system) / r.n;
        apps[v].runs.push(r);
        // Latency of one request at a time: what the store adds to each.
        apps[v].serial = (apps[v].serial || []).concat([(await client.ask({ port: apps[v].port, seconds: 1, concurrency: 1 })).p50]);
      }
    }
    // The store's own round trip: remember(), one at a time, node-redis 5, this process.
    const need = createRequire(path.join(STORES, 'package.json'));
    const c = need('redis5').createClient({ url: redis.url });
    c.on('error', () => {});
    await c.connect();
    const store = require(path.join(REPO, 'node')).redisReplayCache(c, { prefix: 'rtt' });
    const rtt = [];
    const until = Math.floor(Date.now() / 1000) + 60;
    for (let i = 0; i < 4000; i++) {
      const t0 = process.hrtime.bigint();
      await store.remember('edge', `n${i}`, until);
      rtt.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    await c.quit();
    rtt.sort((a, b) => a - b);
    const sum = (v, f) => apps[v].runs.reduce((s, r) => s + f(r), 0);
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
    const stats = {};
    for (const v of VARIANTS) {
      const runs = apps[v].runs;
      stats[v] = {
        requests: sum(v, (r) => r.n), refused: sum(v, (r) => r.bad),
        statuses: apps[v].runs.reduce((o, r) => { for (const [k, n] of Object.entries(r.statuses)) o[k] = (o[k] || 0) + n; return o; }, {}),
        rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)),
        cpu: median(runs.map((r) => r.cpuPerReq)),
        serial: median(apps[v].serial),
        // Per round: this variant's throughput over the in-memory cache's in the same round.
        ratios: runs.map((r, i) => r.rps / apps.memory.runs[i].rps),
      };
    }
    const m = stats.memory;
    const lines = [
      `# Replay store cost: Express 5, ed25519 signatures, ${CONCURRENCY} keep-alive connections, ${ROUNDS} rounds x ${SECONDS} s per variant (medians)`,
      '',
      '| store | req/s | ratio to memory (rounds) | p50 µs | p99 µs | one at a time p50 µs | added µs | server CPU µs/req | CPU ratio | refused |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
    const names = { memory: 'in-memory cache', redis5: 'Redis, node-redis 5', ioredis: 'Redis, ioredis' };
    for (const v of VARIANTS) {
      const s = stats[v];
      lines.push(`| ${names[v]} | ${s.rps.toFixed(0)} | ${median(s.ratios).toFixed(3)} (${s.ratios.map((x) => x.toFixed(2)).join(' ')}) | ` +
        `${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} | ${s.serial.toFixed(0)} | ${(s.serial - m.serial).toFixed(0)} | ${s.cpu.toFixed(1)} | ` +
        `${(m.cpu / s.cpu).toFixed(3)} | ${s.refused} |`);
    }
    lines.push('', `One remember() (SET NX EXAT) at a time, node-redis 5, loopback: p50 ${rtt[2000].toFixed(0)} µs, p99 ${rtt[3960].toFixed(0)} µs.`);
    const worst = Math.min(median(stats.redis5.ratios), median(stats.ioredis.ratios));
    lines.push(`Target: throughput >= ${TARGET}x the in-memory cache: ${worst >= TARGET ? 'met' : 'NOT met'} (lowest ${worst.toFixed(3)}x).`);
    lines.push(`Server CPU per request added by the store: node-redis ${(stats.redis5.cpu - m.cpu).toFixed(1)} µs, ioredis ${(stats.ioredis.cpu - m.cpu).toFixed(1)} µs, of ${m.cpu.toFixed(1)} µs with the in-memory cache.`);
    lines.push('CPU ratio: the in-memory cache\'s server CPU per request over this one\'s, the throughput ratio of a server that is CPU-bound ' +
      '(less sensitive than req/s to other load on the machine).');
    lines.push(`Load average when done: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${require('node:os').cpus().length} CPUs).`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const bad = VARIANTS.reduce((n, v) => n + stats[v].refused, 0);
    if (bad) {
      process.stdout.write(`Not 200: ${VARIANTS.map((v) => `${v} ${JSON.stringify(stats[v].statuses)}`).join(', ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await redis.stop();
    fs.rmSync(redis.dir, { recursive: true, force: true });
  }
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
