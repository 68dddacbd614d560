// SPDX-License-Identifier: MIT
'use strict';
// SecureHeadersReplayStore across hosts, in network namespaces that this
// file creates and removes (tests/lib/netns.js); docs/replay-apache.md.
//
//   client ── edge (Apache, signs; balancer://, ProxyPreserveHost On) ──┬── inner1 (Apache) ── app on its loopback
//                    └─ /tap/ ── out (a wiretap, relays to inner1) ──────┤
//                                                                        └── inner2 (Apache) ── app on its loopback
//   mc: memcached, the store both inners share; both answer to app.example.
//   out: the attacker, who sends what it recorded to inner1 and inner2,
//        before and after inner1 is stopped and started again.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const netns = require('./lib/netns');
const memcached = require('./lib/memcached');

const { startMemcached } = memcached;
const SKIP_REASON = netns.available() || memcached.available();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const HERE = path.join(__dirname, 'netns');
const NAME = 'app.example';

describe('inner Apaches on two hosts, one name, one memcached', SKIP, () => {
  let lan; let hosts; let dir; let mc; let edge; let tap; const inner = {}; const apps = {};
  const captured = [];

  const client = (name, spec, opts) => netns.runNode(lan, name, path.join(HERE, 'client.js'), [JSON.stringify(spec)], opts);
  const edgeReq = (p) => ({ host: hosts.edge.ip, port: 80, path: p, hostHeader: NAME });

  function innerConf(name) {
    return `
SecureHeadersReplayStore memcache:${hosts.mc.ip}:11211 timeout=500
Listen ${hosts[name].ip}:80
<VirtualHost ${hosts[name].ip}:80>
  ServerName ${NAME}
  SecureHeadersUpstreamKey edge-key ed25519 \${EDGEPUB}
  SecureHeadersUpstream key=edge-key
  SecureHeadersSignKey inner-key hmac-sha256 \${INNERKEY}
  ProxyPass / http://127.0.0.1:4000/
</VirtualHost>`;
  }
  const startInner = (name, vars) => h.startApache({ netns: hosts[name].ns, vars, body: innerConf(name) });

  let vars;
  before(async () => {
    lan = netns.createLan(['client', 'edge', 'inner1', 'inner2', 'mc', 'out']);
    hosts = lan.hosts;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-storehosts-'));
    fs.chmodSync(dir, 0o755);
    const ed = crypto.generateKeyPairSync('ed25519');
    const write = (n, data, mode) => { const p = path.join(dir, n); fs.writeFileSync(p, data, { mode }); return p; };
    const EDGEKEY = write('edge.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
    const EDGEPUB = write('edge.pub', ed.publicKey.export({ type: 'spki', format: 'pem' }), 0o644);
    const INNERKEY = write('inner.key', crypto.randomBytes(32), 0o600);
    vars = { EDGEPUB, INNERKEY };

    mc = await startMemcached({ lan, hostName: 'mc', host: hosts.mc.ip, port: 11211 });
    for (const name of ['inner1', 'inner2']) {
      apps[name] = await netns.startNode(lan, name, path.join(HERE, 'backend.js'), [JSON.stringify({
        name, host: '127.0.0.1', port: 4000, authority: '127.0.0.1:4000',
        keys: { 'inner-key': { alg: 'hmac-sha256', file: INNERKEY } },
      })]);
      inner[name] = await startInner(name, vars);
    }
    tap = await netns.startNode(lan, 'out', path.join(HERE, 'relay.js'), [JSON.stringify({
      host: hosts.out.ip, port: 9000, target: { host: hosts.inner1.ip, port: 80 } })]);
    edge = await h.startApache({
      netns: hosts.edge.ns,
      modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'],
      vars: { EDGEKEY },
      body: `
Listen ${hosts.edge.ip}:80
<VirtualHost ${hosts.edge.ip}:80>
  ServerName ${NAME}
  SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}
  ProxyPreserveHost On
  <Proxy balancer://inners>
    BalancerMember http://${hosts.inner1.ip}:80
    BalancerMember http://${hosts.inner2.ip}:80
  </Proxy>
  ProxyPass /app/ balancer://inners/app/
  <Location /tap/>
    SetEnv proxy-nokeepalive 1
    ProxyPass http://${hosts.out.ip}:9000/tap/
  </Location>
</VirtualHost>`,
    });
  });

  // What the group provokes at warn (tests/lib/log.js): the store's first
  // seconds, and the attacker's replays, which look like another server's.
  const allow = () => [
    /\[secure_headers:warn\] .*SecureHeadersReplayStore memcache:[^ ]+: memcached [^ ]+ failed: its memory begins at /,
    new RegExp(`\\[secure_headers:warn\\] .*refused request from ${hosts.out.ip.replace(/\./g, '\\.')} carrying another server's secure headers .*: it was seen before: a replay`),
  ];

  after(async () => {
    const errors = [];
    for (const [name, ap] of Object.entries({ edge, ...inner })) {
      if (!ap) continue;
      await ap.stop();
      try { h.assertNoUnexpectedErrors(h.errorLogFiles(ap.dir), allow(), name); } catch (e) { errors.push(e.message); }
    }
    for (const n of [tap, ...Object.values(apps)]) if (n) await n.stop();
    if (mc) await mc.stop();
    if (lan) lan.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(errors.join('\n'));
  });

  test('a memcached used for the first time: 503 until it can vouch (5 s), then both inners serve', async () => {
    const deadline = Date.now() + 20000;
    let r;
    const seen = [];
    for (;;) {
      r = (await client('client', { requests: [edgeReq(`/app/warm${seen.length}`)] })).results[0];
      seen.push(r.status);
      if (r.status === 200) break;
      assert.equal(r.status, 503, JSON.stringify(r));
      assert.ok(Date.now() < deadline, String(seen));
      await h.sleep(500);
    }
    const results = (await client('client', { requests: Array.from({ length: 6 }, (_, i) => edgeReq(`/app/r${i}`)) })).results;
    const served = new Set();
    for (const x of results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      assert.equal(x.json.signed, true);
      assert.equal(x.json.keyid, 'inner-key');
      assert.equal(x.json.clientAddress, hosts.client.ip);
      served.add(x.json.backend);
    }
    assert.deepEqual([...served].sort(), ['inner1', 'inner2']);
  });

  test('requests captured on their way to inner1, replayed by another host to inner1 and inner2: 0 accepted', async () => {
    for (let i = 0; i < 5; i++) {
      const n = tap.events.length;
      const r = (await client('client', { requests: [edgeReq(`/tap/c${i}`)] })).results[0];
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal(r.json.backend, 'inner1');
      assert.equal(tap.events.length, n + 1);
      captured.push(tap.events[n].bytes);
    }
    const replays = [];
    for (const bytes of captured) {
      for (const target of [hosts.inner1.ip, hosts.inner2.ip]) replays.push({ host: target, port: 80, raw: bytes });
    }
    const results = (await client('out', { requests: replays })).results;
    assert.deepEqual(results.map((x) => x.status), replays.map(() => 400), JSON.stringify(results));
    assert.match(inner.inner2.errorLog(), /its signature by key 'edge-key' was refused: it was seen before: a replay/);
  });

  test('inner1 stopped and started again (a new shared memory): the same replays, 0 accepted', async () => {
    await inner.inner1.stop();
    inner.inner1 = await startInner('inner1', vars);
    const replays = [];
    for (const bytes of captured) {
      for (const target of [hosts.inner1.ip, hosts.inner2.ip]) replays.push({ host: target, port: 80, raw: bytes });
    }
    const results = (await client('out', { requests: replays })).results;
    assert.deepEqual(results.map((x) => x.status), replays.map(() => 400), JSON.stringify(results));
    assert.match(inner.inner1.errorLog(), /it was seen before: a replay/);
  });

  test('bounded load through the edge: none of the requests that should pass is refused', async () => {
    const out = await client('client', {
      load: { host: hosts.edge.ip, port: 80, path: '/app/load', hostHeader: NAME, count: 600, concurrency: 8, seconds: 15 },
    }, { timeout: 60000 });
    assert.deepEqual(out.failures, [], JSON.stringify(out.statuses));
    assert.ok(out.done >= 100, `only ${out.done} requests`);
    assert.deepEqual(Object.keys(out.statuses), ['200']);
  });
});
