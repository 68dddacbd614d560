// SPDX-License-Identifier: MIT
'use strict';
// An Express app as users deploy it behind Apache's balancer: node:cluster
// (what PM2's cluster mode runs) with `workers` workers, verifying the
// edge's signatures, nonces in the shared Redis store
// (tests/replay-multihost.test.js). argv[2] is JSON: { name, host, port,
// workers, keys: { keyid: { alg, file } }, authority, redis: { client:
// 'redis5' | 'redis4' | 'ioredis', url }, events }.
//
// Every worker listens on the shared port and on port + 100 + its number
// (so that an attacker can reach each worker in turn), and reports one
// JSON line per request ({ event: 'request', worker, url, rawHeaders,
// status, code }) on stdout, or appended to the file `events` when given.
//
// Run with node, its own primary prints { listening } once every worker
// listens; SIGUSR2 to it: a rolling restart (one worker replaced at a
// time, as `pm2 reload` does), then { event: 'reloaded', pids }.
// Run by PM2 in cluster mode (NODE_APP_INSTANCE set), PM2 is the primary:
// each worker reports { event: 'worker-listening', worker, pid } and
// tells PM2 'ready' (wait_ready), and leaves on SIGINT (pm2 reload).
const cluster = require('node:cluster');
const fs = require('node:fs');
const path = require('node:path');

// PM2 hands its cluster workers its own argv: the configuration comes in
// CLUSTER_APP_CONFIG there.
const cfg = JSON.parse(process.env.CLUSTER_APP_CONFIG || process.argv[2]);
const out = cfg.events
  ? (o) => fs.appendFileSync(cfg.events, `${JSON.stringify(o)}\n`) // one write(2) per line, O_APPEND
  : (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const underPm2 = process.env.NODE_APP_INSTANCE !== undefined;

if (cluster.isPrimary && !underPm2) {
  const slots = new Map(); // slot number -> worker
  const fork = (slot) => new Promise((resolve) => {
    const w = cluster.fork({ SLOT: String(slot) });
    slots.set(slot, w);
    let ready = 0;
    w.on('message', (m) => { if (m === 'listening' && ++ready === 1) resolve(w); });
  });
  (async () => {
    await Promise.all(Array.from({ length: cfg.workers }, (_, i) => fork(i + 1)));
    out({ listening: `${cfg.host}:${cfg.port}`, pids: [...slots.values()].map((w) => w.process.pid) });
  })();
  process.on('SIGUSR2', async () => {
    for (const slot of [...slots.keys()].sort()) {
      const old = slots.get(slot);
      // The new worker first, then the old one leaves: the port is always served.
      await fork(slot);
      // disconnect(): the primary stops handing it connections, it closes
      // its servers, finishes the requests it has, and exits.
      await new Promise((resolve) => {
        old.once('exit', resolve);
        old.disconnect();
      });
    }
    out({ event: 'reloaded', pids: [...slots.values()].map((w) => w.process.pid) });
  });
  process.on('SIGTERM', () => {
    for (const w of slots.values()) w.process.kill('SIGKILL');
    process.exit(0);
  });
} else {
  const need = require('node:module').createRequire(path.join(__dirname, 'package.json'));
  const express = need('express');
  const secureHeaders = require(path.join(__dirname, '..', '..', 'node'));
  const slot = underPm2 ? Number(process.env.NODE_APP_INSTANCE) + 1 : Number(process.env.SLOT);
  (async () => {
    let client;
    if (cfg.redis.client === 'ioredis') {
      const Redis = need('ioredis');
      client = new Redis(cfg.redis.url, { lazyConnect: true, enableOfflineQueue: false });
      client.on('error', () => {});
      await client.connect();
    } else {
      client = need(cfg.redis.client).createClient({ url: cfg.redis.url, disableOfflineQueue: true });
      client.on('error', () => {});
      await client.connect();
    }
    const keys = {};
    for (const [keyid, k] of Object.entries(cfg.keys)) keys[keyid] = { alg: k.alg, key: fs.readFileSync(k.file) };
    const app = express();
    app.use((req, res, next) => {
      res.on('finish', () => out({
        event: 'request', backend: cfg.name, worker: slot, pid: process.pid, url: req.originalUrl,
        rawHeaders: req.rawHeaders, status: res.statusCode, code: req.refusedCode || null,
      }));
      next();
    });
    app.use(secureHeaders.express({
      keys, authority: cfg.authority,
      // 2 s, not the default 250 ms: this test shares two CPUs with a whole
      // suite, where a starved redis-server can take longer than 250 ms
      // (then the answer is 503, by design; tests/replay-store.test.js
      // covers that). Here only replays may be refused.
      replayCache: secureHeaders.redisReplayCache(client, { timeout: 2000 }),
      onReject: (err, req) => { req.refusedCode = err.code; },
    }));
    app.get('/*path', (req, res) => res.json({
      ok: true, backend: cfg.name, worker: slot, clientAddress: req.ip, protocol: req.protocol,
      signed: req.secureHeaders.signed, keyid: req.secureHeaders.keyid,
    }));
    const servers = [];
    let listening = 0;
    for (const port of [cfg.port, cfg.port + 100 + slot]) {
      servers.push(app.listen(port, cfg.host, () => {
        if (++listening < 2) return;
        if (underPm2) {
          out({ event: 'worker-listening', worker: slot, pid: process.pid });
          process.send('ready');
        } else {
          process.send('listening');
        }
      }));
    }
    const leave = () => {
      setTimeout(() => process.exit(0), 5000).unref();
      Promise.resolve(client.quit()).catch(() => {}).finally(() => process.exit(0));
    };
    if (underPm2) {
      // pm2 reload: the new instance is ready; close the servers (node:cluster
      // then hands this worker no more connections), answer what is in
      // flight, and leave.
      process.on('SIGINT', () => {
        let open = servers.length;
        for (const srv of servers) srv.close(() => { if (--open === 0) leave(); });
      });
      return;
    }
    // After the primary's disconnect(): the servers are closed and their
    // requests answered; the Redis connection is all that is left.
    cluster.worker.on('disconnect', leave);
  })().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
}
