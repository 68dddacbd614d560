// SPDX-License-Identifier: MIT
'use strict';
// SecureHeadersReplayStore (docs/replay-apache.md): several inner Apaches
// that answer to one name, behind an L4 balancer, trust an edge by its
// signature and share one replay store, a real memcached started here.
//
//   client ── edge (signs) ── lb 127.0.0.1:SP (TCP, records) ──┬── inner A 127.0.0.2:SP
//                                                              └── inner B 127.0.0.3:SP
//   inner C 127.0.0.4:SP: the same, with the default store (this server's
//   shared memory): the control, which a request captured at A does get into.
//
// A captured request replayed to the other inner, the same nonce sent to
// both at once, memcached stopped, restarted (and so empty) and one that
// never answers, and expiry; two memcached servers, one of them stopped.
// The multi-host version is
// tests/replay-store-apache-multihost.test.js.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const memcached = require('./lib/memcached');

const { startMemcached, command } = memcached;
const SKIP_REASON = memcached.available();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-storekeys-'));
fs.chmodSync(keyDir, 0o755);
process.on('exit', () => fs.rmSync(keyDir, { recursive: true, force: true }));
const ed = crypto.generateKeyPairSync('ed25519');
const EDGEKEY = path.join(keyDir, 'edge.pem');
const EDGEPUB = path.join(keyDir, 'edge.pub');
fs.writeFileSync(EDGEKEY, ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
fs.writeFileSync(EDGEPUB, ed.publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });

const PREFIX = 'shtest:';
const INNERS = { a: '127.0.0.2', b: '127.0.0.3', c: '127.0.0.4' };

// The L4 balancer: a TCP relay on 127.0.0.1:port to inner A, B (in turn, or
// one of them) or to nobody ("capture": it answers 200 itself), recording
// each connection's request bytes as an attacker on that network would.
function startLb(port, inners = INNERS) {
  const lb = { mode: 'rr', seen: [], turn: 0 };
  const server = net.createServer((client) => {
    const entry = { bytes: Buffer.alloc(0) };
    lb.seen.push(entry);
    if (lb.mode === 'capture') {
      client.on('data', (d) => {
        entry.bytes = Buffer.concat([entry.bytes, d]);
        if (entry.bytes.includes('\r\n\r\n')) client.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      });
      client.on('error', () => {});
      return;
    }
    entry.target = lb.mode === 'rr' ? (lb.turn++ % 2 ? 'b' : 'a') : lb.mode;
    const up = net.connect({ host: inners[entry.target], port });
    client.on('data', (d) => { entry.bytes = Buffer.concat([entry.bytes, d]); up.write(d); });
    client.on('end', () => up.end());
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    up.pipe(client);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    lb.close = () => new Promise((r) => server.close(() => r()));
    resolve(lb);
  }));
}

// A "memcached" that accepts connections and never answers.
function startSilent() {
  const socks = new Set();
  const server = net.createServer((s) => { socks.add(s); s.on('error', () => {}); s.on('close', () => socks.delete(s)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); server.close(() => r()); }),
  })));
}

// What these groups provoke at warn, and nothing else (tests/lib/log.js):
// the store's failures, and refusals of replays, which look like another
// server's requests.
const ALLOW = [
  /\[secure_headers:warn\] .*SecureHeadersReplayStore memcache:[^ ]+: memcached [^ ]+ failed: /,
  /\[secure_headers:warn\] .*refused request from 127\.0\.0\.1 carrying another server's secure headers \("secure-headers signature"\): its signature by key 'edge-key' was refused: (it was seen before: a replay|it has expired)/,
];

async function stopAndCheck(aps) {
  const errors = [];
  for (const [name, ap] of Object.entries(aps)) {
    if (!ap) continue;
    await ap.stop();
    try { h.assertNoUnexpectedErrors(h.errorLogFiles(ap.dir), ALLOW, name === 'edge' ? 'the edge' : `inner ${name}`); } catch (e) { errors.push(e.message); }
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

const status = (text) => Number((/^HTTP\/1\.1 (\d{3}) /.exec(text) || [])[1]);

function nonceOf(bytes) {
  const m = /^Signature-Input: secure-headers=.*;nonce="([^"]+)"/m.exec(bytes);
  assert.ok(m, `no signature in:\n${bytes}`);
  return m[1];
}

function storeKey(keyid, nonce) {
  return PREFIX + crypto.createHash('sha256').update(Buffer.concat([Buffer.from(keyid), Buffer.from([0]), Buffer.from(nonce)])).digest('hex');
}

// [pid, second] of every store warning in an error log.
function storeWarnings(log) {
  const out = [];
  for (const line of log.split('\n')) {
    if (!/\[secure_headers:warn\].*SecureHeadersReplayStore memcache:/.test(line)) continue;
    const m = /^\[\w+ (\w+ \d+ [\d:]+)\.\d+ (\d+)\] .*\[pid (\d+)/.exec(line);
    assert.ok(m, line);
    out.push([m[3], `${m[1]} ${m[2]}`]);
  }
  return out;
}

describe('SecureHeadersReplayStore memcache: two inner servers under one name', SKIP, () => {
  let app; let mc; let mcPort; let sp; let lb; let silent; const inner = {}; let edge;

  const innerConf = (name, store) => `
Listen ${INNERS[name]}:\${SP}
SecureHeadersUpstreamKey edge-key ed25519 \${EDGEPUB}
SecureHeadersUpstream key=edge-key
${store}
ProxyPass / \${APP}/${name}/`;

  before(async () => {
    app = await h.startBackend();
    mcPort = await h.freePort();
    mc = await startMemcached({ port: mcPort });
    sp = await h.freePort();
    silent = await startSilent();
    const store = `SecureHeadersReplayStore memcache:127.0.0.1:${mcPort} timeout=300 prefix=${PREFIX}`;
    const vars = { SP: sp, EDGEPUB, APP: app.url };
    inner.a = await h.startApache({ vars, body: innerConf('a', store) });
    inner.b = await h.startApache({ vars, body: innerConf('b', store) });
    inner.c = await h.startApache({ vars, body: innerConf('c', '') });
    // D: its store never answers; reached straight from the edge.
    inner.d = await h.startApache({ vars, body: innerConf('d', `SecureHeadersReplayStore memcache:127.0.0.1:${silent.port} timeout=300ms`).replace(/^Listen .*$/m, '') });
    lb = await startLb(sp);
    edge = await h.startApache({
      vars: { EDGEKEY, SP: sp, DPORT: inner.d.port },
      body: `
SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}
SetEnv proxy-nokeepalive 1
ProxyPass /app/ http://127.0.0.1:\${SP}/app/
<Location /short/>
  SecureHeadersSignLifetime 2
  ProxyPass http://127.0.0.1:\${SP}/short/
</Location>
ProxyPass /hole/ http://127.0.0.1:\${DPORT}/hole/`,
    });
  });
  after(async () => {
    try {
      await stopAndCheck({ edge, ...inner });
    } finally {
      if (lb) await lb.close();
      if (silent) await silent.close();
      if (mc) await mc.stop();
      if (app) await app.close();
    }
  });

  // Through the edge and the balancer to "target"; the relayed bytes too.
  async function viaEdge(target, p = '/app/x') {
    lb.mode = target;
    const n = lb.seen.length;
    const r = await h.request(edge.port, { path: p });
    assert.equal(lb.seen.length, n + 1);
    return { r, bytes: lb.seen[n].bytes.toString('latin1') };
  }

  // A memcached's memory begins when it is first used: until the skew
  // (5 s) has passed, nothing it holds proves a signature was never seen.
  async function untilAccepted(target, seconds = 15) {
    const deadline = Date.now() + seconds * 1000;
    const statuses = [];
    for (;;) {
      const { r } = await viaEdge(target, `/app/warm${statuses.length}`);
      statuses.push(r.status);
      if (r.status === 200) return statuses;
      assert.equal(r.status, 503, r.body);
      assert.ok(Date.now() < deadline, `not accepted within ${seconds} s: ${statuses}`);
      await h.sleep(500);
    }
  }

  test('a memcached used for the first time: refused with 503 while it cannot vouch (5 s), then accepted', async () => {
    const { r } = await viaEdge('a', '/app/first');
    assert.equal(r.status, 503, r.body);
    assert.match(inner.a.errorLog(), /\[secure_headers:warn\] .*SecureHeadersReplayStore memcache:127\.0\.0\.1:\d+: memcached 127\.0\.0\.1:\d+ failed: its memory begins at \d+ \(memcached started, or was first used, then\)/);
    const statuses = await untilAccepted('a');
    assert.ok(statuses.length > 1 && statuses.length < 20, String(statuses));
    await untilAccepted('b', 3);
  });

  test('through the balancer: both inners accept the edge\'s requests, the app sees the client', async () => {
    lb.mode = 'rr';
    const served = new Set();
    for (let i = 0; i < 6; i++) {
      const r = await h.request(edge.port, { path: `/app/rr${i}` });
      assert.equal(r.status, 200, r.body);
      served.add(r.json.url.split('/')[1]);
      assert.deepEqual(h.rawValues(r.json, '!~passenger-client-address'), ['127.0.0.1']);
    }
    assert.deepEqual([...served].sort(), ['a', 'b']);
  });

  test('a request captured on its way to A, replayed to B and to A: 400 from both; the control C (shared memory) takes it', async () => {
    const { r, bytes } = await viaEdge('a', '/app/captured');
    assert.equal(r.status, 200, r.body);
    const n = app.requests.length;
    for (const host of [INNERS.b, INNERS.a]) {
      const again = await h.raw(sp, bytes, { host, end: true });
      assert.equal(status(again), 400, again);
    }
    assert.equal(app.requests.length, n, 'no replay reached the application');
    assert.match(inner.b.errorLog(), /its signature by key 'edge-key' was refused: it was seen before: a replay/);
    const control = await h.raw(sp, bytes, { host: INNERS.c, end: true });
    assert.equal(status(control), 200, 'without the shared store the other inner is fooled');
  });

  test('the store holds the nonce under prefix + SHA-256(keyid NUL nonce), until expires + skew', async () => {
    const { r, bytes } = await viaEdge('a', '/short/e');
    assert.equal(r.status, 200, r.body);
    const key = storeKey('edge-key', nonceOf(bytes));
    assert.match(await command(mcPort, `get ${key}\r\n`), new RegExp(`^VALUE ${key} 0 1\r\n1\r\nEND\r\n$`));
    // lifetime 2 s + skew 5 s, and memcached's whole seconds.
    await h.sleep(10000);
    assert.equal(await command(mcPort, `get ${key}\r\n`), 'END\r\n');
    const late = await h.raw(sp, bytes, { host: INNERS.b, end: true });
    assert.equal(status(late), 400, 'gone from the store, and refused as expired');
    assert.match(inner.b.errorLog(), /was refused: it has expired/);
  });

  test('races: the same captured request sent to A and B at once, 40 rounds: exactly one accepted each round', async () => {
    const rounds = 40;
    let accepted = 0;
    for (let i = 0; i < rounds; i++) {
      const { bytes } = await viaEdge('capture', `/app/race${i}`);
      const both = await Promise.all([INNERS.a, INNERS.b].map((host) => h.raw(sp, bytes, { host, end: true })));
      const s = both.map(status).sort();
      assert.deepEqual(s, [200, 400], `round ${i}: ${s}`);
      accepted++;
    }
    assert.equal(accepted, rounds);
  });

  test('a store that never answers: 503 within the timeout (300 ms), never a hang', async () => {
    const t0 = Date.now();
    const r = await h.request(edge.port, { path: '/hole/x' });
    assert.equal(r.status, 503, r.body);
    assert.ok(Date.now() - t0 < 2500, `${Date.now() - t0} ms`);
    assert.match(inner.d.errorLog(), /SecureHeadersReplayStore memcache:127\.0\.0\.1:\d+: memcached 127\.0\.0\.1:\d+ failed: read: no answer within the timeout; refused a signed request from upstream server 127\.0\.0\.1 with 503/);
  });

  test('memcached stopped: every signed request refused with 503, the app reached by none, warned at most once a second per process; back when it returns', async () => {
    const { r: r0, bytes: before } = await viaEdge('a', '/app/before-restart');
    assert.equal(r0.status, 200, r0.body);
    await mc.stop();
    const n = app.requests.length;
    const statuses = {};
    const t0 = Date.now();
    let count = 0;
    while (Date.now() - t0 < 3000 && count < 400) {
      lb.mode = 'rr';
      const batch = await Promise.all(Array.from({ length: 4 }, (_, i) => h.request(edge.port, { path: `/app/down${count + i}` })));
      for (const r of batch) statuses[r.status] = (statuses[r.status] || 0) + 1;
      count += batch.length;
    }
    assert.deepEqual(Object.keys(statuses), ['503'], JSON.stringify(statuses));
    assert.equal(app.requests.length, n);
    for (const name of ['a', 'b']) {
      const warned = storeWarnings(inner[name].errorLog());
      assert.ok(warned.length >= 1, `${name}: no warning`);
      const seen = new Set();
      for (const [pid, second] of warned) {
        assert.ok(!seen.has(`${pid} ${second}`), `${name}: two warnings in one second from pid ${pid}`);
        seen.add(`${pid} ${second}`);
      }
      assert.ok(warned.length < count / 4, `${name}: ${warned.length} warnings for ${count} refusals`);
    }
    assert.match(inner.a.errorLog(), /memcached 127\.0\.0\.1:\d+ failed: (connect: Connection refused|it failed less than a second ago)/);

    // It returns empty: the request captured before is still refused by
    // the other inner (the store cannot vouch for it), the new ones pass.
    mc = await startMemcached({ port: mcPort });
    const replay = await h.raw(sp, before, { host: INNERS.b, end: true });
    assert.equal(status(replay), 503, replay);
    await untilAccepted('b');
    const late = await h.raw(sp, before, { host: INNERS.b, end: true });
    assert.notEqual(status(late), 200, late);
  });
});

describe('SecureHeadersReplayStore memcache with two memcached servers: shared out, never a spare', SKIP, () => {
  const PAIR = { a: '127.0.0.5', b: '127.0.0.6' };
  let app; let m1; let m2; let sp; let lb; const inner = {}; let edge;

  before(async () => {
    app = await h.startBackend();
    m1 = await startMemcached({ port: await h.freePort() });
    m2 = await startMemcached({ port: await h.freePort() });
    sp = await h.freePort();
    for (const name of ['a', 'b']) {
      inner[name] = await h.startApache({
        vars: { SP: sp, EDGEPUB, APP: app.url },
        body: `Listen ${PAIR[name]}:\${SP}
SecureHeadersUpstreamKey edge-key ed25519 \${EDGEPUB}
SecureHeadersUpstream key=edge-key
SecureHeadersReplayStore memcache:127.0.0.1:${m1.port},127.0.0.1:${m2.port} prefix=${PREFIX}
ProxyPass / \${APP}/${name}/`,
      });
    }
    lb = await startLb(sp, PAIR);
    edge = await h.startApache({
      vars: { EDGEKEY, SP: sp },
      body: `SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}
SetEnv proxy-nokeepalive 1
ProxyPass /app/ http://127.0.0.1:\${SP}/app/`,
    });
  });
  after(async () => {
    try {
      await stopAndCheck({ edge, ...inner });
    } finally {
      if (lb) await lb.close();
      for (const m of [m1, m2]) if (m) await m.stop();
      if (app) await app.close();
    }
  });

  test('each nonce on one server; that server stopped, a request captured at A and replayed to B is refused (503), not accepted by the other server', async () => {
    // Both servers past their first 5 s, with requests to both inners.
    const deadline = Date.now() + 20000;
    let ok = 0;
    lb.mode = 'rr';
    for (let i = 0; ok < 12; i++) {
      const r = await h.request(edge.port, { path: `/app/w${i}` });
      if (r.status === 200) ok++;
      else assert.equal(r.status, 503, r.body);
      assert.ok(Date.now() < deadline, 'the store never accepted 12 requests');
      if (r.status !== 200) await h.sleep(300);
    }
    // Captured on the way to A; on exactly one of the two servers.
    lb.mode = 'a';
    const holders = { [m1.port]: 0, [m2.port]: 0 };
    let bytes; let key;
    for (let i = 0; i < 20; i++) {
      const n = lb.seen.length;
      const r = await h.request(edge.port, { path: `/app/c${i}` });
      assert.equal(r.status, 200, r.body);
      bytes = lb.seen[n].bytes.toString('latin1');
      key = storeKey('edge-key', nonceOf(bytes));
      const on = [];
      for (const m of [m1, m2]) if ((await command(m.port, `get ${key}\r\n`)).startsWith('VALUE ')) on.push(m.port);
      assert.equal(on.length, 1, `${key} on ${on.length} servers`);
      holders[on[0]]++;
    }
    assert.ok(holders[m1.port] > 0 && holders[m2.port] > 0, `all keys on one server: ${JSON.stringify(holders)}`);
    // The last one's server goes away.
    const holder = (await command(m1.port, `get ${key}\r\n`)).startsWith('VALUE ') ? m1 : m2;
    await holder.stop();
    const replay = await h.raw(sp, bytes, { host: PAIR.b, end: true });
    assert.equal(status(replay), 503, replay);
    // New requests: those whose nonce is on the live server pass, the
    // others get 503; none is anything else.
    lb.mode = 'rr';
    const seen = {};
    for (let i = 0; i < 30; i++) {
      const r = await h.request(edge.port, { path: `/app/half${i}` });
      seen[r.status] = (seen[r.status] || 0) + 1;
    }
    assert.deepEqual(Object.keys(seen).sort(), ['200', '503'], JSON.stringify(seen));
  });
});

describe('configtest: SecureHeadersReplayStore', () => {
  test('bad values fail, naming the directive, the value and the fix', async () => {
    const cases = [
      ['SecureHeadersReplayStore redis:127.0.0.1:6379', /SecureHeadersReplayStore: 'redis:127\.0\.0\.1:6379' is not a store this module knows: use shm \(this server's shared memory, the default\) or memcache:host:port/],
      ['SecureHeadersReplayStore memcache:', /SecureHeadersReplayStore: 'memcache:': no host:port; write memcache:host:port\[,host:port\.\.\.\], e\.g\. memcache:10\.0\.0\.5:11211/],
      ['SecureHeadersReplayStore memcache:10.0.0.5', /'memcache:10\.0\.0\.5': '10\.0\.0\.5': the port is missing \(memcached's is usually 11211\)/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:99999', /'10\.0\.0\.5:99999': the port is not a number from 1 to 65535/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:11211,', /no host:port/],
      ['SecureHeadersReplayStore memcache:::1:11211', /'::1:11211': an IPv6 address is written \[address\]:port/],
      ['SecureHeadersReplayStore memcache:cache/1:11211', /'cache\/1:11211': the host holds a character no host name or address has/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:11211 timeout=0', /SecureHeadersReplayStore: timeout '0' is not a time from 1ms to 60s/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:11211 timeout=fast', /timeout 'fast' is not a time/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:11211 "prefix=a b"', /'prefix=a b': memcached keys hold no spaces/],
      ['SecureHeadersReplayStore memcache:10.0.0.5:11211 colour=red', /SecureHeadersReplayStore: unknown option 'colour=red': memcache takes timeout=ms and prefix=text/],
      ['SecureHeadersReplayStore shm timeout=1', /SecureHeadersReplayStore shm: 'timeout=1': shm takes no options/],
      ['SecureHeadersReplayStore', /SecureHeadersReplayStore needs a store/],
      ['<VirtualHost 127.0.0.1:${PORT}>\nSecureHeadersReplayStore shm\n</VirtualHost>', /SecureHeadersReplayStore cannot occur within <VirtualHost> section/],
    ];
    for (const [line, re] of cases) {
      const r = await h.configtest(line);
      assert.notEqual(r.code, 0, `${line}: configtest passed`);
      assert.match(r.output, re, line);
    }
  });

  test('good ones pass: shm, several servers, IPv6, names, options', async () => {
    for (const line of ['SecureHeadersReplayStore shm', 'SecureHeadersReplayStore SHM',
      'SecureHeadersReplayStore memcache:10.0.0.5:11211,[::1]:11212,cache.example:11211 timeout=2s prefix=app1:',
      'SecureHeadersReplayStore memcache:127.0.0.1:11211 timeout=250ms']) {
      const r = await h.configtest(line);
      assert.equal(r.code, 0, `${line}: ${r.output}`);
    }
  });
});
