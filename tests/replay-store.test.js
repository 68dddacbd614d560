// SPDX-License-Identifier: MIT
'use strict';
// The package's shared replay store, redisReplayCache(), against a real
// redis-server started here (own port on 127.0.0.1, own directory), with
// the clients users run: node-redis 4 and 5 (`redis`) and ioredis, pinned
// by tests/stores/package-lock.json. See docs/replay.md.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const { createRequire } = require('node:module');
const { ensureNpmDeps } = require('./lib/npm');
const { startRedis, redisVersion, rawCommand } = require('./lib/redis');
const { sign } = require('../node/tests/signer');
const secureHeaders = require('../node');

const STORES = path.join(__dirname, 'stores');
const FRAMEWORKS = path.join(__dirname, 'frameworks');
const SKIP_REASON = ensureNpmDeps(STORES) || ensureNpmDeps(FRAMEWORKS);
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const need = createRequire(path.join(STORES, 'package.json'));
const needFw = createRequire(path.join(FRAMEWORKS, 'package.json'));

const SECRET = crypto.randomBytes(32);
const KEYS = { k1: { alg: 'hmac-sha256', key: SECRET } };
const CLIENTS = ['redis4', 'redis5', 'ioredis'];

// A connected client of the kind named; opts go to the client as users
// would write them.
async function connect(kind, opts) {
  if (kind === 'ioredis') {
    const Redis = need('ioredis');
    const c = new Redis(Object.assign({ lazyConnect: true, maxRetriesPerRequest: 1 }, opts));
    c.on('error', () => {});
    await c.connect();
    return { c, close: () => c.disconnect() };
  }
  const c = need(kind).createClient(opts);
  c.on('error', () => {});
  await c.connect();
  return { c, close: () => c.disconnect() };
}
function nodeRedisOpts(server, extra = {}) {
  return Object.assign({ socket: { host: server.host, port: server.port, reconnectStrategy: () => 100 } }, extra);
}
function ioredisOpts(server, extra = {}) {
  return Object.assign({ host: server.host, port: server.port, retryStrategy: () => 100 }, extra);
}
const optsFor = (kind, server, extra) => (kind === 'ioredis' ? ioredisOpts(server, extra) : nodeRedisOpts(server, extra));

function signed(host, target = '/', lifetime = 60, created) {
  const headers = [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.7']];
  const s = sign({ method: 'GET', target, host, headers }, { keyid: 'k1', alg: 'hmac-sha256', key: SECRET, lifetime, created });
  return { host, target, headers: [...headers, ['Signature-Input', s.signatureInput], ['Signature', s.signature]], nonce: /nonce="([^"]+)"/.exec(s.params)[1] };
}
function fakeReq(r) {
  return { method: 'GET', url: r.target, rawHeaders: [['Host', r.host], ...r.headers].flat(), headers: {}, socket: { remoteAddress: '127.0.0.1' } };
}
const verdict = (r, options) => secureHeaders.readAsync(fakeReq(r), options).then(() => 'ok', (e) => e.code || String(e));

test('redis-server on this machine supports SET ... EXAT (Redis >= 6.2)', () => {
  const v = redisVersion();
  assert.ok(v && (v[0] > 6 || (v[0] === 6 && v[1] >= 2)), `redis-server ${v} is older than 6.2`);
});

describe('redisReplayCache options', SKIP, () => {
  let server; let c4;
  before(async () => {
    server = await startRedis();
    c4 = await connect('redis4', nodeRedisOpts(server));
  });
  after(async () => { if (c4) await c4.close(); if (server) await server.stop(); });

  test('refuses what is not a known client, unknown options and bad values (TypeError)', async () => {
    const io = await connect('ioredis', ioredisOpts(server));
    try {
      assert.equal(secureHeaders.redisReplayCache(c4.c).dialect, 'node-redis');
      assert.equal(secureHeaders.redisReplayCache(io.c).dialect, 'ioredis');
      for (const bad of [undefined, null, 42, 'redis://x', {}, { set() {} }, { set() {}, isOpen: true, status: 'ready', isCluster: false }]) {
        assert.throws(() => secureHeaders.redisReplayCache(bad), TypeError, String(bad));
      }
      assert.throws(() => secureHeaders.redisReplayCache(c4.c, { prefx: 'a' }), { name: 'TypeError', message: /unknown option "prefx"/ });
      for (const prefix of ['', 'a b', 'a\r\nFLUSHALL', 'é', 42, 'x'.repeat(201)]) {
        assert.throws(() => secureHeaders.redisReplayCache(c4.c, { prefix }), TypeError, JSON.stringify(prefix));
      }
      for (const timeout of [0, -1, 1.5, '250', 60001, NaN]) {
        assert.throws(() => secureHeaders.redisReplayCache(c4.c, { timeout }), TypeError, String(timeout));
      }
      assert.throws(() => secureHeaders.redisReplayCache(c4.c, []), TypeError);
      const s = secureHeaders.redisReplayCache(c4.c);
      assert.deepEqual([s.prefix, s.timeout], ['secure-headers:replay', 250]);
    } finally { await io.close(); }
  });
});

describe('redisReplayCache with each client', SKIP, () => {
  let server;
  before(async () => { server = await startRedis(); });
  after(async () => { if (server) await server.stop(); });

  for (const kind of CLIENTS) {
    test(`${kind}: one SET key 1 EXAT n NX, OK then nil, expiry at retainUntil exactly`, async () => {
      const { c, close } = await connect(kind, optsFor(kind, server));
      // MONITOR on a connection of our own shows the command as the server got it.
      const mon = require('node:net').connect({ host: server.host, port: server.port });
      let seen = '';
      mon.on('data', (d) => { seen += d.toString('latin1'); });
      mon.write('MONITOR\r\n');
      await new Promise((r) => setTimeout(r, 100));
      try {
        const store = secureHeaders.redisReplayCache(c, { prefix: `t:${kind}` });
        const at = Math.floor(Date.now() / 1000) + 120;
        assert.equal(await store.remember('k1', 'nonce-abcdefghijklmnop', at + 0.4, at - 120), true);
        assert.equal(await store.remember('k1', 'nonce-abcdefghijklmnop', at + 0.4, at - 120), false);
        assert.equal(await store.remember('k2', 'nonce-abcdefghijklmnop', at, at - 120), true, 'another keyid is another key');
        await new Promise((r) => setTimeout(r, 100));
        const sets = seen.split('\r\n').filter((l) => / "SET" /i.test(l)).map((l) => l.replace(/^\+[\d.]+ \[[^\]]*\] /, ''));
        assert.deepEqual(sets, [
          `"set" "t:${kind}:k1:nonce-abcdefghijklmnop" "1" "EXAT" "${at + 1}" "NX"`,
          `"set" "t:${kind}:k1:nonce-abcdefghijklmnop" "1" "EXAT" "${at + 1}" "NX"`,
          `"set" "t:${kind}:k2:nonce-abcdefghijklmnop" "1" "EXAT" "${at}" "NX"`,
        ].map((l) => l.replace(/^"set"/, kind === 'ioredis' ? '"set"' : '"SET"')), seen);
        assert.equal(await rawCommand(server, ['EXPIRETIME', `t:${kind}:k1:nonce-abcdefghijklmnop`]), `:${at + 1}\r\n`);
        assert.ok(!/"GET"/i.test(seen), 'never GET');
      } finally {
        mon.destroy();
        await close();
      }
    });
  }

  test('a unix socket (node-redis socket.path, ioredis path)', async () => {
    const local = await startRedis({ unixsocket: true });
    try {
      for (const kind of CLIENTS) {
        const { c, close } = await connect(kind, kind === 'ioredis' ? { path: local.socket } : { socket: { path: local.socket } });
        try {
          const options = { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(c) };
          const req = signed('app.test');
          assert.equal(await verdict(req, options), 'ok', kind);
          assert.equal(await verdict(req, options), 'REPLAYED', kind);
        } finally { await close(); }
      }
      assert.equal(await rawCommand(local, ['DBSIZE']), ':3\r\n');
    } finally { await local.stop(); }
  });

  test('keyids and nonces with CR, LF, spaces and colons are one key each, never a command', async () => {
    const { c, close } = await connect('redis5', nodeRedisOpts(server));
    const io = await connect('ioredis', ioredisOpts(server));
    try {
      for (const [label, client] of [['a', c], ['b', io.c]]) {
        const store = secureHeaders.redisReplayCache(client, { prefix: `inj${label}` });
        const at = Math.floor(Date.now() / 1000) + 60;
        assert.equal(await store.remember('x\r\nSET injected 1\r\n', 'n n\r\nFLUSHALL\r\n', at), true);
        assert.equal(await store.remember('a:b', 'c', at), true);
        assert.equal(await store.remember('a', 'b:c', at), true, '"a:b"+"c" and "a"+"b:c" are two keys');
        assert.equal(await rawCommand(server, ['EXISTS', 'injected']), ':0\r\n');
        assert.equal(await rawCommand(server, ['EXISTS', `inj${label}:x\r\nSET injected 1\r\n:n n\r\nFLUSHALL\r\n`]), ':1\r\n');
        assert.equal(await rawCommand(server, ['EXISTS', `inj${label}:a%3Ab:c`, `inj${label}:a:b:c`]), ':2\r\n');
      }
    } finally { await close(); await io.close(); }
  });

  test('expiry: the key is gone once retainUntil has passed, and only then', async () => {
    const { c, close } = await connect('ioredis', ioredisOpts(server));
    try {
      const store = secureHeaders.redisReplayCache(c, { prefix: 'exp' });
      const at = Math.floor(Date.now() / 1000) + 2;
      assert.equal(await store.remember('k1', 'expiring-nonce-0001', at), true);
      assert.equal(await store.remember('k1', 'expiring-nonce-0001', at), false);
      // Redis deletes a key lazily on access once its EXAT has passed.
      const deadline = Date.now() + 6000;
      while (Date.now() < deadline && (await rawCommand(server, ['EXISTS', 'exp:k1:expiring-nonce-0001'])) === ':1\r\n') {
        assert.ok(Date.now() / 1000 < at + 0.5, 'the key outlived retainUntil');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(Date.now() / 1000 >= at - 0.1, 'the key went before retainUntil');
      assert.equal(await rawCommand(server, ['EXISTS', 'exp:k1:expiring-nonce-0001']), ':0\r\n');
    } finally { await close(); }
  });

  test('read(): a signature that has expired is refused before the store is asked', async () => {
    const { c, close } = await connect('redis4', nodeRedisOpts(server));
    try {
      const options = { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(c, { prefix: 'old' }) };
      const r = signed('app.test', '/', 10, Math.floor(Date.now() / 1000) - 100);
      assert.equal(await verdict(r, options), 'SIGNATURE_EXPIRED');
      assert.equal(await rawCommand(server, ['KEYS', 'old:*']), '*0\r\n');
    } finally { await close(); }
  });
});

describe('two processes race the same nonces', SKIP, () => {
  let server;
  before(async () => { server = await startRedis(); });
  after(async () => { if (server) await server.stop(); });

  test('1,000 races (node-redis 5 against ioredis, then node-redis 4 against node-redis 5): exactly one wins each', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-race-'));
    try {
      for (const pair of [['redis5', 'ioredis'], ['redis4', 'redis5']]) {
        const requests = Array.from({ length: 1000 }, (_, i) => signed('app.test', `/r/${i}`));
        const procs = pair.map((client, i) => {
          const file = path.join(dir, `${i}.json`);
          fs.writeFileSync(file, JSON.stringify({ client, url: server.url, secret: SECRET.toString('hex'), requests }));
          const p = spawn(process.execPath, [path.join(STORES, 'race.js'), file], { stdio: ['pipe', 'pipe', 'pipe'] });
          let out = ''; let err = '';
          p.stdout.on('data', (d) => { out += d; });
          p.stderr.on('data', (d) => { err += d; });
          const ready = new Promise((resolve) => { const iv = setInterval(() => { if (out.includes('ready\n')) { clearInterval(iv); resolve(); } }, 10); });
          const done = new Promise((resolve, reject) => {
            const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
            p.on('close', (code) => {
              clearTimeout(timer);
              if (code !== 0) reject(new Error(`race.js ${client}: exit ${code}\n${err}`));
              else resolve(JSON.parse(out.trim().split('\n').pop()));
            });
          });
          return { p, ready, done };
        });
        await Promise.all(procs.map((x) => x.ready));
        for (const x of procs) x.p.stdin.end('go\n');
        const [a, b] = await Promise.all(procs.map((x) => x.done));
        let winsA = 0;
        for (let i = 0; i < requests.length; i++) {
          const pairVerdicts = [a[i], b[i]].sort();
          assert.deepEqual(pairVerdicts, ['REPLAYED', 'ok'], `request ${i}: ${a[i]} / ${b[i]}`);
          if (a[i] === 'ok') winsA++;
        }
        t.diagnostic(`${pair.join(' vs ')}: ${winsA} / ${1000 - winsA} wins`);
      }
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});

// An Express app (tests/stores' express 5) on loopback with the store.
function startApp(store, { onReject } = {}) {
  const express = need('express');
  const app = express();
  app.use(secureHeaders.express({ keys: KEYS, authority: 'app.test', replayCache: store, onReject }));
  app.get('/*path', (req, res) => res.type('text/plain').send(`ok ${req.ip} ${req.protocol}\n`));
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
}
function send(port, r) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: r.target, headers: [['Host', r.host], ...r.headers].flat(), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('the middleware with the store: the store down mid-load', SKIP, () => {
  for (const kind of ['redis5', 'ioredis', 'redis4']) {
    test(`${kind}: 503 STORE_FAILED while Redis is paused, then killed; nothing accepted twice; recovery when it returns`, async (t) => {
      // AOF with fsync always: the nonces survive the restart (docs/replay.md).
      let server = await startRedis({ persist: true });
      const { c, close } = await connect(kind, optsFor(kind, server, kind === 'ioredis' ? { enableOfflineQueue: false } : { disableOfflineQueue: true }));
      const codes = [];
      const app = await startApp(secureHeaders.redisReplayCache(c, { timeout: 200 }), { onReject: (e) => codes.push(e.code) });
      const port = app.address().port;
      const accepted = [];
      const counts = {};
      const run = async (n, phase) => {
        const list = Array.from({ length: n }, (_, i) => signed('app.test', `/${phase}/${i}`));
        let next = 0;
        await Promise.all(Array.from({ length: 8 }, async () => {
          while (next < list.length) {
            const r = list[next++];
            const res = await send(port, r);
            const key = `${phase} ${res.status}`;
            counts[key] = (counts[key] || 0) + 1;
            if (res.status === 200) {
              assert.equal(res.body, 'ok 203.0.113.7 https\n');
              accepted.push(r);
            } else {
              assert.equal(res.status, 503, `${phase}: ${res.status} ${res.body}`);
              assert.equal(res.body, 'Service Unavailable\n');
            }
          }
        }));
      };
      try {
        await run(200, 'up');
        assert.equal(counts['up 200'], 200);
        server.pause();
        const t0 = Date.now();
        await run(40, 'paused');
        t.diagnostic(`40 requests with Redis paused answered in ${Date.now() - t0} ms`);
        assert.equal(counts['paused 503'], 40, JSON.stringify(counts));
        server.resume();
        await run(100, 'resumed');
        await server.kill();
        await run(40, 'down');
        assert.equal(counts['down 503'], 40, JSON.stringify(counts));
        server = await server.restart();
        const deadline = Date.now() + 10000;
        let ok = false;
        while (!ok && Date.now() < deadline) {
          ok = (await send(port, signed('app.test', '/probe'))).status === 200;
          if (!ok) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(ok, 'no recovery within 10 s of Redis returning');
        await run(200, 'back');
        assert.equal(counts['back 200'], 200, JSON.stringify(counts));
        assert.ok(codes.every((code) => code === 'STORE_FAILED'), codes.join());
        // Every request accepted in the run, sent again: all refused.
        for (const r of accepted) {
          const res = await send(port, r);
          assert.equal(res.status, 403, `replay of ${r.target} after the outage: ${res.status}`);
        }
        assert.equal(codes.filter((code) => code === 'REPLAYED').length, accepted.length);
        t.diagnostic(JSON.stringify(counts));
      } finally {
        app.close();
        await close();
        await server.stop();
        fs.rmSync(server.dir, { recursive: true, force: true });
      }
    });
  }
});

describe('AUTH and TLS are the client\'s, passed through', SKIP, () => {
  test('requirepass, and an ACL user allowed SET on the prefix only', async () => {
    const server = await startRedis({
      args: ['--requirepass', 'default-secret',
        '--user', 'replay', 'on', '>replay-secret', '~secure-headers:replay:*', '-@all', '+set', '+@connection'],
    });
    try {
      const r = () => signed('app.test');
      for (const kind of CLIENTS) {
        const good = kind === 'ioredis'
          // ioredis's ready check sends INFO, which this user may not run.
          ? ioredisOpts(server, { username: 'replay', password: 'replay-secret', enableReadyCheck: false })
          : nodeRedisOpts(server, { username: 'replay', password: 'replay-secret' });
        const { c, close } = await connect(kind, good);
        try {
          const options = { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(c) };
          const req = r();
          assert.equal(await verdict(req, options), 'ok', kind);
          assert.equal(await verdict(req, options), 'REPLAYED', kind);
          // The ACL user may write nowhere else: a store under another prefix fails closed.
          const other = { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(c, { prefix: 'elsewhere' }) };
          assert.equal(await verdict(r(), other), 'STORE_FAILED', kind);
        } finally { await close(); }
        const pw = kind === 'ioredis' ? ioredisOpts(server, { password: 'default-secret' }) : nodeRedisOpts(server, { password: 'default-secret' });
        const d = await connect(kind, pw);
        try {
          assert.equal(await verdict(r(), { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(d.c) }), 'ok', `${kind} requirepass`);
        } finally { await d.close(); }
      }
      // Without credentials, node-redis connects and every command fails: closed.
      const anon = need('redis5').createClient(nodeRedisOpts(server));
      anon.on('error', () => {});
      await anon.connect();
      try {
        assert.equal(await verdict(r(), { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(anon) }), 'STORE_FAILED');
      } finally { await anon.disconnect(); }
    } finally { await server.stop(); }
  });

  test('TLS: the client\'s own TLS options; a client that does not trust the server fails closed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-redis-tls-'));
    const o = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test redis CA']);
    o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
    o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext']);
    const tls = { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key'), ca: path.join(dir, 'ca.pem') };
    const server = await startRedis({ tls });
    const ca = fs.readFileSync(tls.ca);
    try {
      for (const kind of CLIENTS) {
        const opts = kind === 'ioredis'
          ? ioredisOpts(server, { tls: { ca } })
          : { socket: { host: server.host, port: server.port, tls: true, ca, reconnectStrategy: false } };
        const { c, close } = await connect(kind, opts);
        try {
          const options = { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(c) };
          const req = signed('app.test');
          assert.equal(await verdict(req, options), 'ok', kind);
          assert.equal(await verdict(req, options), 'REPLAYED', kind);
        } finally { await close(); }
      }
      // A client that does not trust the server's certificate never connects:
      // the command waits in its queue, the store times out.
      const distrust = need('redis5').createClient({ socket: { host: server.host, port: server.port, tls: true, reconnectStrategy: () => 100 } });
      distrust.on('error', () => {});
      distrust.connect().catch(() => {});
      try {
        assert.equal(await verdict(signed('app.test'), { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(distrust, { timeout: 300 }) }), 'STORE_FAILED');
      } finally { await distrust.disconnect().catch(() => {}); }
      // Plain TCP to the TLS port: ioredis never gets an answer, the store times out.
      const Redis = need('ioredis');
      const plain = new Redis(ioredisOpts(server, { lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: 1 }));
      plain.on('error', () => {});
      plain.connect().catch(() => {});
      try {
        const t0 = Date.now();
        assert.equal(await verdict(signed('app.test'), { keys: KEYS, authority: false, replayCache: secureHeaders.redisReplayCache(plain, { timeout: 300 }) }), 'STORE_FAILED');
        assert.ok(Date.now() - t0 < 2000, `bounded wait: ${Date.now() - t0} ms`);
      } finally { plain.disconnect(); }
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(server.dir, { recursive: true, force: true });
    }
  });
});

describe('every framework: a store that does not answer is a 503, not a 403', SKIP, () => {
  let server; let io; const apps = {}; const rejects = [];
  before(async () => {
    server = await startRedis();
    io = await connect('ioredis', ioredisOpts(server, { enableOfflineQueue: false }));
    const opts = { keys: KEYS, authority: 'app.test', replayCache: secureHeaders.redisReplayCache(io.c, { timeout: 100 }), onReject: (e) => rejects.push(e.code) };
    const listen = (s) => new Promise((resolve) => { s.listen(0, '127.0.0.1', () => resolve(s.address().port)); });
    for (const fw of ['express4', 'express5']) {
      const app = needFw(fw)();
      app.use(secureHeaders.express(opts));
      app.use((req, res) => res.type('text/plain').send(`ok ${req.ip}\n`));
      const s = http.createServer(app);
      apps[fw] = { port: await listen(s), close: () => s.close() };
    }
    const f = needFw('fastify')();
    await f.register(secureHeaders.fastify, opts);
    f.get('/*', (request, reply) => reply.type('text/plain').send(`ok ${request.ip}\n`));
    await f.listen({ port: 0, host: '127.0.0.1' });
    apps.fastify = { port: f.server.address().port, close: () => f.close() };
    const Koa = needFw('koa');
    const k = new Koa();
    k.use(secureHeaders.koa(opts));
    k.use((ctx) => { ctx.type = 'text/plain'; ctx.body = `ok ${ctx.request.ip}\n`; });
    const ks = http.createServer(k.callback());
    apps.koa = { port: await listen(ks), close: () => ks.close() };
  });
  after(async () => {
    for (const a of Object.values(apps)) await a.close();
    if (io) await io.close();
    if (server) await server.stop();
  });

  for (const fw of ['express4', 'express5', 'fastify', 'koa']) {
    test(`${fw}: 200, a replay 403, Redis paused 503 STORE_FAILED (the route never runs), Redis back 200`, async () => {
      const port = apps[fw].port;
      const r = signed('app.test', '/x');
      let res = await send(port, r);
      assert.deepEqual([res.status, res.body], [200, 'ok 203.0.113.7\n']);
      res = await send(port, r);
      assert.deepEqual([res.status, res.body], [403, 'Forbidden\n']);
      assert.equal(rejects.pop(), 'REPLAYED');
      server.pause();
      try {
        res = await send(port, signed('app.test', '/y'));
        assert.deepEqual([res.status, res.body], [503, 'Service Unavailable\n']);
        assert.equal(rejects.pop(), 'STORE_FAILED');
      } finally { server.resume(); }
      res = await send(port, signed('app.test', '/z'));
      assert.deepEqual([res.status, res.body], [200, 'ok 203.0.113.7\n']);
    });
  }
});
