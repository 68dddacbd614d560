#!/usr/bin/env node
// SPDX-License-Identifier: MIT
'use strict';
// What SecureHeadersReplayStore memcache costs against the default shared
// memory (docs/replay-apache.md), side by side in one run: an edge that
// signs, two inner servers that verify (one remembering nonces in its
// shared memory, one in a memcached on loopback), the same Node.js app
// behind both. wrk through the edge, the two routes in turn, ROUNDS rounds.
//
//   node bench/replay-store-apache.js        (root or not; needs wrk and memcached)
//
// BENCH_SECONDS (default 5) and BENCH_ROUNDS (default 3) change the run.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('../tests/lib/harness');
const { startMemcached } = require('../tests/lib/memcached');

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);

// Asynchronous: the app answers from this very process.
function runWrk(args) {
  return new Promise((resolve) => {
    const c = spawn('wrk', args);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function wrk(port, p, seconds) {
  const r = await runWrk(['-t2', '-c8', `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}${p}`]);
  if (r.status !== 0) throw new Error(`wrk: ${r.stderr}${r.stdout}`);
  const rps = Number((/Requests\/sec:\s+([\d.]+)/.exec(r.stdout) || [])[1]);
  const non2xx = Number((/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout) || [0, 0])[1]);
  const lat = /Latency\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const ms = lat ? Number(lat[1]) * { us: 0.001, ms: 1, s: 1000 }[lat[2]] : NaN;
  if (process.env.BENCH_DEBUG) console.log(r.stdout);
  if (non2xx) throw new Error(`${non2xx} responses were not 2xx on ${p}`);
  return { rps, ms };
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shbench-store-'));
  fs.chmodSync(dir, 0o755);
  const ed = crypto.generateKeyPairSync('ed25519');
  const EDGEKEY = path.join(dir, 'edge.pem');
  const EDGEPUB = path.join(dir, 'edge.pub');
  fs.writeFileSync(EDGEKEY, ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(EDGEPUB, ed.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  const app = await h.startBackend();
  const mc = await startMemcached({ port: await h.freePort() });
  const started = [];
  try {
    const inner = async (store) => {
      const ap = await h.startApache({
        vars: { EDGEPUB, APP: app.url },
        body: `SecureHeadersUpstreamKey edge-key ed25519 \${EDGEPUB}\nSecureHeadersUpstream key=edge-key\n${store}\nProxyPass / \${APP}/`,
      });
      started.push(ap);
      return ap;
    };
    const shm = await inner('');
    const memc = await inner(`SecureHeadersReplayStore memcache:127.0.0.1:${mc.port}`);
    const edge = await h.startApache({
      vars: { EDGEKEY },
      body: `SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}\nProxyPass /shm/ http://127.0.0.1:${shm.port}/\nProxyPass /memcache/ http://127.0.0.1:${memc.port}/`,
    });
    started.push(edge);
    // The store's first 5 s refuse (docs/replay-apache.md): wait them out.
    for (let i = 0; ; i++) {
      const r = await h.request(edge.port, { path: `/memcache/warm${i}` });
      if (r.status === 200) break;
      if (i > 60) throw new Error(`memcache route: ${r.status}`);
      await h.sleep(250);
    }
    for (const p of ['/shm/x', '/memcache/x']) await wrk(edge.port, p, 2);
    const res = { shm: [], memcache: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 ? ['memcache', 'shm'] : ['shm', 'memcache']) {
        res[name].push(await wrk(edge.port, `/${name}/x`, SECONDS));
      }
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const rps = { shm: median(res.shm.map((r) => r.rps)), memcache: median(res.memcache.map((r) => r.rps)) };
    const ms = { shm: median(res.shm.map((r) => r.ms)), memcache: median(res.memcache.map((r) => r.ms)) };
    console.log(`# edge (ed25519) -> inner -> app, wrk -t2 -c8 -d${SECONDS}s, ${ROUNDS} rounds, medians; ${os.cpus().length} CPUs`);
    console.log(`| inner's store | req/s | mean latency |\n|---|---|---|`);
    console.log(`| shm (default) | ${rps.shm.toFixed(0)} | ${ms.shm.toFixed(2)} ms |`);
    console.log(`| memcache (loopback) | ${rps.memcache.toFixed(0)} | ${ms.memcache.toFixed(2)} ms |`);
    console.log(`throughput ratio memcache/shm: ${(rps.memcache / rps.shm).toFixed(3)}; added latency: ${(ms.memcache - ms.shm).toFixed(3)} ms`);
  } finally {
    for (const ap of started) await ap.stop();
    await mc.stop();
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
