// SPDX-License-Identifier: MIT
'use strict';
// Replay protection as users deploy (docs/replay.md), in network namespaces
// that this file creates and removes (tests/lib/netns.js):
//
//   client ── edge (Apache, signs; balancer://, ProxyPreserveHost On) ──┬── b1: Express, 2 cluster workers
//                                                                      └── b2: Express, 2 cluster workers
//   redis: one redis-server, the nonce store both hosts share (b1 through node-redis 5, b2 through ioredis)
//   out: an attacker who has every signed request the backends received and
//        sends each one again to every worker of every host
//
// Both hosts answer to one name (app.test) and pin it as their authority,
// so the pin cannot tell them apart: only the shared store stops a request
// accepted by one worker from being accepted by another. Run twice: the
// workers under node:cluster with the app's own primary, and under PM2's
// cluster mode (pm2-runtime, `pm2 reload` for the rolling restart).
const { describe, test, before, after } = require('node:test');
const { spawn, spawnSync } = require('node:child_process');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const netns = require('./lib/netns');
const { ensureNpmDeps } = require('./lib/npm');
const { startRedis } = require('./lib/redis');

const STORES = path.join(__dirname, 'stores');
const SKIP_REASON = netns.available() || ensureNpmDeps(STORES);
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const CLIENT_JS = path.join(__dirname, 'netns', 'client.js');
const NAME = 'app.test';

// The bytes a wiretap between the edge and the backends would have caught:
// the request line and every header as the app received them.
function rawOf(e) {
  let raw = `GET ${e.url} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < e.rawHeaders.length; i += 2) {
    if (!/^connection$/i.test(e.rawHeaders[i])) raw += `${e.rawHeaders[i]}: ${e.rawHeaders[i + 1]}\r\n`;
  }
  return `${raw}Connection: close\r\n\r\n`;
}

// The apps of one host under PM2: pm2-runtime (PM2 in the foreground) with
// its own PM2_HOME, started in the host's namespace; the workers append
// their lines to a file.
async function startPm2(lan, name, cfg, dir) {
  const home = path.join(dir, `pm2-${name}`);
  fs.mkdirSync(home, { recursive: true });
  const events = path.join(dir, `events-${name}.jsonl`);
  fs.writeFileSync(events, '');
  const eco = path.join(dir, `ecosystem-${name}.json`);
  fs.writeFileSync(eco, JSON.stringify({ apps: [{
    name: `app-${name}`, script: path.join(STORES, 'cluster-app.js'), env: { CLUSTER_APP_CONFIG: JSON.stringify({ ...cfg, events }) },
    exec_mode: 'cluster', instances: cfg.workers, wait_ready: true, listen_timeout: 10000, kill_timeout: 6000,
    autorestart: false,
  }] }));
  const pm2Bin = path.join(STORES, 'node_modules', 'pm2', 'bin');
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' };
  const child = lan.spawn(name, process.execPath, [path.join(pm2Bin, 'pm2-runtime'), 'start', eco], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  // Read as it grows: only the complete lines added since the last look.
  const seen = [];
  let offset = 0;
  const read = () => {
    const buf = fs.readFileSync(events);
    const end = buf.lastIndexOf(0x0a) + 1;
    if (end > offset) {
      for (const l of buf.subarray(offset, end).toString('utf8').split('\n')) if (l) seen.push(JSON.parse(l));
      offset = end;
    }
    return seen;
  };
  const live = () => {
    const bySlot = {};
    for (const e of read()) if (e.event === 'worker-listening') bySlot[e.worker] = e.pid;
    return bySlot;
  };
  const t0 = Date.now();
  while (Object.keys(live()).length < cfg.workers) {
    if (Date.now() - t0 > 30000 || child.exitCode !== null) throw new Error(`pm2-runtime on ${name}: workers did not listen\n${log}`);
    await h.sleep(100);
  }
  return {
    kind: 'pm2',
    get events() { return read(); },
    pids: () => Object.values(live()),
    async rollingRestart() {
      const r = spawnSync(process.execPath, [path.join(pm2Bin, 'pm2'), 'reload', `app-${name}`], { env, encoding: 'utf8', timeout: 60000 });
      if (r.status !== 0) throw new Error(`pm2 reload app-${name}: ${r.status}\n${r.stdout}${r.stderr}`);
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10000).unref();
    }),
  };
}

// The apps of one host under node:cluster, the app its own primary.
async function startCluster(lan, name, cfg) {
  const a = await netns.startNode(lan, name, path.join(STORES, 'cluster-app.js'), [JSON.stringify(cfg)]);
  return {
    kind: 'node:cluster',
    get events() { return a.events; },
    pids: () => {
      const r = a.events.filter((e) => e.event === 'reloaded').pop();
      return r ? r.pids : a.info.pids;
    },
    async rollingRestart() {
      const n = a.events.length;
      a.child.kill('SIGUSR2');
      const t0 = Date.now();
      while (!a.events.slice(n).some((e) => e.event === 'reloaded')) {
        if (Date.now() - t0 > 60000) throw new Error('rolling restart did not finish in 60 s');
        await h.sleep(50);
      }
    },
    stop: () => a.stop(),
  };
}

for (const runtime of ['node:cluster', 'pm2']) describe(`replay across workers, hosts and a rolling restart (shared Redis store; ${runtime})`, SKIP, () => {
  let lan; let hosts; let dir; let redis; let edge; const apps = {};

  const run = (name, spec, timeout) => netns.runNode(lan, name, CLIENT_JS, [JSON.stringify(spec)], { timeout });
  const viaEdge = (p) => ({ host: hosts.edge.ip, port: 80, path: p, hostHeader: NAME });
  const accepted = () => Object.values(apps).flatMap((a) => a.events.filter((e) => e.event === 'request' && e.status === 200));
  // The requests accepted since mark(), on any host.
  let marks = null;
  const mark = () => { marks = Object.values(apps).map((a) => a.events.filter((e) => e.event === 'request' && e.status === 200).length); };
  const acceptedSince = () => Object.values(apps).flatMap((a, i) => a.events.filter((e) => e.event === 'request' && e.status === 200).slice(marks[i]));
  // Every worker's own port, and each host's shared port twice (round robin).
  const targets = () => ['b1', 'b2'].flatMap((b) => [3000, 3000, 3101, 3102].map((port) => ({ host: hosts[b].ip, port })));

  const requestEvents = () => Object.values(apps).reduce((n, a) => n + a.events.filter((e) => e.event === 'request').length, 0);
  // Until the apps have logged `n` requests (their lines come just after the answers).
  async function settle(n) {
    const t0 = Date.now();
    while (requestEvents() < n && Date.now() - t0 < 5000) await h.sleep(20);
  }

  async function replayAll(captured) {
    mark();
    const n0 = requestEvents();
    const results = [];
    // A few captures per attacker run: the requests travel on its command line.
    for (let i = 0; i < captured.length; i += 8) {
      const requests = [];
      for (const e of captured.slice(i, i + 8)) for (const t of targets()) requests.push({ ...t, raw: rawOf(e), halfClose: false });
      results.push(...(await run('out', { requests }, 120000)).results);
    }
    await settle(n0 + results.length);
    // Each host's lines only grow: what was accepted since is what comes after.
    const newlyAccepted = acceptedSince();
    return { results, newlyAccepted };
  }

  before(async () => {
    lan = netns.createLan(['client', 'edge', 'b1', 'b2', 'redis', 'out']);
    hosts = lan.hosts;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-replay-'));
    fs.chmodSync(dir, 0o755);
    const k = crypto.generateKeyPairSync('ed25519');
    const priv = path.join(dir, 'edge.pem');
    const pub = path.join(dir, 'edge.pub');
    fs.writeFileSync(priv, k.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(pub, k.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });

    redis = await startRedis({ netns: hosts.redis.ns, host: hosts.redis.ip, port: 6379 });
    const app = (name, client) => {
      const cfg = {
        name, host: hosts[name].ip, port: 3000, workers: 2, authority: NAME,
        keys: { edge: { alg: 'ed25519', file: pub } },
        redis: { client, url: `redis://${hosts.redis.ip}:6379` },
      };
      return runtime === 'pm2' ? startPm2(lan, name, cfg, dir) : startCluster(lan, name, cfg);
    };
    apps.b1 = await app('b1', 'redis5');
    apps.b2 = await app('b2', 'ioredis');

    edge = await h.startApache({
      netns: hosts.edge.ns,
      modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'],
      vars: { KEY: priv },
      body: `
Listen ${hosts.edge.ip}:80
<VirtualHost ${hosts.edge.ip}:80>
  ServerName ${NAME}
  SecureHeadersSignKey edge ed25519 \${KEY}
  ProxyPreserveHost On
  # a connection per request, so that node:cluster spreads them over the workers
  SetEnv proxy-nokeepalive 1
  <Proxy balancer://apps>
    BalancerMember http://${hosts.b1.ip}:3000
    BalancerMember http://${hosts.b2.ip}:3000
  </Proxy>
  ProxyPass / balancer://apps/
</VirtualHost>`,
    });
  });

  after(async () => {
    if (edge) await edge.stop();
    for (const a of Object.values(apps)) await a.stop();
    if (redis) await redis.stop();
    if (lan) lan.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('through Apache: every worker of both hosts verifies and serves, nonces land in the one store', async () => {
    const n0 = requestEvents();
    const { results } = await run('client', { requests: Array.from({ length: 16 }, (_, i) => viaEdge(`/warm/${i}`)) });
    await settle(n0 + 16);
    const seen = new Set();
    for (const r of results) {
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal(r.json.signed, true);
      assert.equal(r.json.keyid, 'edge');
      assert.equal(r.json.clientAddress, hosts.client.ip);
      seen.add(`${r.json.backend}/${r.json.worker}`);
    }
    assert.deepEqual([...seen].sort(), ['b1/1', 'b1/2', 'b2/1', 'b2/2']);
  });

  test('every captured request sent again to every worker of every host: 0 accepted', async () => {
    const captured = accepted();
    assert.equal(captured.length, 16);
    const { results, newlyAccepted } = await replayAll(captured);
    assert.deepEqual(newlyAccepted.map((e) => `${e.backend}/${e.worker} ${e.url}`), []);
    assert.equal(results.length, captured.length * 8);
    for (const r of results) assert.equal(r.status, 403, JSON.stringify(r));
    const refusals = Object.values(apps).flatMap((a) => a.events.filter((e) => e.event === 'request' && e.status === 403));
    assert.equal(refusals.length, results.length);
    assert.ok(refusals.every((e) => e.code === 'REPLAYED'), JSON.stringify(refusals.map((e) => e.code)));
    const workers = new Set(refusals.map((e) => `${e.backend}/${e.worker}`));
    assert.deepEqual([...workers].sort(), ['b1/1', 'b1/2', 'b2/1', 'b2/2']);
  });

  test('a rolling restart of both hosts under load through Apache: 0 refused that should pass; then every capture replayed: 0 accepted', async (t) => {
    const pidsBefore = Object.values(apps).flatMap((a) => a.pids());
    const stopFile = path.join(dir, `stop-load-${runtime.replace(/\W/g, '')}`);
    const load = run('client', {
      // Until a second after the restarts (stopFile), at most 60 s and 50,000
      // requests; a request may wait for a worker that is being replaced (30 s).
      load: { host: hosts.edge.ip, port: 80, path: '/load', hostHeader: NAME, count: 50000, concurrency: 8, seconds: 60, stopFile, timeout: 30000 },
    }, 120000);
    let loadEnded = false;
    load.finally(() => { loadEnded = true; }).catch(() => {});
    await h.sleep(1000);
    for (const a of [apps.b1, apps.b2]) await a.rollingRestart();
    assert.ok(!loadEnded, 'the load must outlast the restarts');
    await h.sleep(1000);
    fs.writeFileSync(stopFile, '');
    const out = await load;
    // A refusal (403, or 503 from the store) would be the package's doing:
    // none. A worker being replaced can drop a connection node:cluster had
    // just handed it (502 "Error reading from remote server", or a client
    // timeout), once in thousands: the restart's, not the verification's;
    // a handful at most, and said.
    const refused = out.failures.filter((f) => f.status === 403 || f.status === 503);
    const dropped = out.failures.filter((f) => !refused.includes(f));
    assert.deepEqual(refused, [], JSON.stringify(out.statuses));
    assert.ok(dropped.every((f) => f.status === 502 || f.error === 'timeout'), JSON.stringify(dropped));
    assert.ok(dropped.length <= Math.max(2, out.done / 1000), JSON.stringify(out.statuses));
    if (dropped.length) t.diagnostic(`connections dropped by a worker being replaced: ${dropped.length} of ${out.done}`);
    assert.ok(out.done >= 200, `only ${out.done} requests`);
    const pidsAfter = Object.values(apps).flatMap((a) => a.pids());
    assert.equal(pidsAfter.length, 4);
    assert.equal(pidsAfter.filter((p) => pidsBefore.includes(p)).length, 0, 'every worker was replaced');
    // Requests from before the restart, from during it, from after it.
    const { results } = await run('client', { requests: Array.from({ length: 8 }, (_, i) => viaEdge(`/after/${i}`)) });
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r));
    const all = accepted();
    const sample = [...all.filter((e) => e.url.startsWith('/warm/')), ...all.filter((e) => e.url === '/load').slice(-40),
      ...all.filter((e) => e.url.startsWith('/after/'))];
    const { results: replays, newlyAccepted } = await replayAll(sample);
    assert.deepEqual(newlyAccepted.map((e) => `${e.backend}/${e.worker} ${e.url}`), []);
    for (const r of replays) assert.equal(r.status, 403, JSON.stringify(r));
    t.diagnostic(`load through Apache across the rolling restart: ${JSON.stringify(out.statuses)}; replays refused: ${replays.length}`);
  });
});
