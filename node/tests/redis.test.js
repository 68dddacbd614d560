// SPDX-License-Identifier: MIT
'use strict';
// redisReplayCache's own logic: options, the key, how each client is
// called and how its answers are read, the timeout. The clients here are
// stand-ins that record their calls (the package has no dependencies);
// the store against a real redis-server, with node-redis 4 and 5 and
// ioredis, is tests/replay-store.test.js at the repository's root.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { redisReplayCache, readAsync } = require('..');
const { fakeReq } = require('./helpers');
const { sign } = require('./signer');

// node-redis: a boolean isOpen; ioredis: a string status and a boolean isCluster.
function nodeRedis(reply) {
  const calls = [];
  return { calls, isOpen: true, set(...args) { calls.push(args); return typeof reply === 'function' ? reply(...args) : reply; } };
}
function ioredis(reply) {
  const calls = [];
  return { calls, status: 'ready', isCluster: false, set(...args) { calls.push(args); return typeof reply === 'function' ? reply(...args) : reply; } };
}

test('node-redis: set(key, "1", { NX: true, EXAT }) with EXAT rounded up; OK is new, null a replay', async () => {
  const c = nodeRedis(Promise.resolve('OK'));
  const s = redisReplayCache(c);
  assert.equal(s.dialect, 'node-redis');
  assert.equal(await s.remember('edge', 'nonce-1', 1700000065.2, 1700000000), true);
  assert.deepEqual(c.calls, [['secure-headers:replay:edge:nonce-1', '1', { NX: true, EXAT: 1700000066 }]]);
  assert.equal(await redisReplayCache(nodeRedis(Promise.resolve(null))).remember('edge', 'n', 1), false);
});

test('ioredis: set(key, "1", "EXAT", n, "NX")', async () => {
  const c = ioredis(Promise.resolve('OK'));
  const s = redisReplayCache(c, { prefix: 'app1' });
  assert.equal(s.dialect, 'ioredis');
  assert.equal(await s.remember('edge', 'nonce-2', 1700000065), true);
  assert.deepEqual(c.calls, [['app1:edge:nonce-2', '1', 'EXAT', 1700000065, 'NX']]);
});

test('a keyid with ":" or "%" is escaped, so that two (keyid, nonce) pairs never share a key', async () => {
  const c = ioredis(Promise.resolve('OK'));
  const s = redisReplayCache(c);
  await s.remember('a:b', 'c', 1);
  await s.remember('a', 'b:c', 1);
  await s.remember('50%:x', 'y', 1);
  assert.deepEqual(c.calls.map((a) => a[0]), ['secure-headers:replay:a%3Ab:c', 'secure-headers:replay:a:b:c', 'secure-headers:replay:50%25%3Ax:y']);
});

test('fails closed: an error, a rejection, an unexpected reply, no answer within timeout', async () => {
  const cases = [
    [nodeRedis(() => { throw new Error('ClientClosedError'); }), /ClientClosedError/],
    [nodeRedis(() => Promise.reject(new Error('NOPERM'))), /NOPERM/],
    [ioredis(Promise.resolve('QUEUED')), /"QUEUED", not OK or nil/],
    [ioredis(Promise.resolve(1)), /1, not OK or nil/],
    [nodeRedis(new Promise(() => {})), /did not answer within 30 ms/],
  ];
  // The store's timer does not hold the process open (an app's sockets do): this does.
  const alive = setInterval(() => {}, 1000);
  try {
    for (const [c, re] of cases) {
      await assert.rejects(redisReplayCache(c, { timeout: 30 }).remember('k', 'n', 1), re);
    }
  } finally { clearInterval(alive); }
});

// Node's loop runs due timers, then polls I/O, then setImmediate callbacks,
// which is what lets an answer that arrived during a stall win. Bun's loop
// runs the timeout first there: the store then fails closed (503), which is
// safe, only less tolerant of a stalled process.
test('an answer already received when the event loop comes back from a long stall is not a timeout', { skip: process.versions.bun ? 'Bun orders timers and I/O otherwise (fails closed after a stall)' : false }, async () => {
  // The answer comes from another process (an echo over a pipe, as Redis
  // answers over a socket) and lands while this thread is busy for longer
  // than the timeout: when the loop turns again, the timer is due and the
  // answer is waiting to be read.
  const echo = spawn(process.execPath, ['-e', "process.stdin.on('data', (d) => process.stdout.write(d))"], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const ask = () => new Promise((resolve) => { echo.stdout.once('data', () => resolve('OK')); echo.stdin.write('x'); });
    assert.equal(await ask(), 'OK', 'the echo is up');
    const s = redisReplayCache(nodeRedis(ask), { timeout: 20 });
    const p = s.remember('k', 'stalled', 1);
    const t0 = Date.now();
    while (Date.now() - t0 < 1000) { /* a stalled event loop (long: the echo must get a CPU meanwhile) */ }
    assert.equal(await p, true);
  } finally { echo.kill(); }
});

test('options are checked: unknown names, bad values, unknown clients (TypeError)', () => {
  const c = nodeRedis('OK');
  assert.throws(() => redisReplayCache(c, { timout: 100 }), { name: 'TypeError', message: /unknown option "timout" \(known: prefix, timeout\)/ });
  for (const prefix of ['', 'a b', 'a\r\nb', 'é', 7, 'x'.repeat(201)]) assert.throws(() => redisReplayCache(c, { prefix }), TypeError);
  for (const timeout of [0, -5, 2.5, '250', 60001, Infinity]) assert.throws(() => redisReplayCache(c, { timeout }), TypeError);
  for (const opts of [null, [], 'x']) assert.throws(() => redisReplayCache(c, opts), TypeError);
  for (const client of [undefined, null, {}, { set() {} }, { isOpen: true }, { set() {}, isOpen: true, status: 'ready', isCluster: false }]) {
    assert.throws(() => redisReplayCache(client), TypeError);
  }
  const s = redisReplayCache(c);
  assert.deepEqual([s.prefix, s.timeout], ['secure-headers:replay', 250]);
  assert.ok(Object.isFrozen(s));
});

test('through readAsync(): a replay is REPLAYED, a failing store STORE_FAILED', async () => {
  const key = Buffer.alloc(32, 7);
  const keys = { k1: { alg: 'hmac-sha256', key } };
  const headers = [['!~Passenger-Proto', 'https']];
  const req = () => {
    const s = sign({ method: 'GET', target: '/', host: 'app.test', headers }, { keyid: 'k1', alg: 'hmac-sha256', key });
    return fakeReq({ host: 'app.test', headers: [...headers, ['Signature-Input', s.signatureInput], ['Signature', s.signature]] });
  };
  const seen = new Set();
  const store = redisReplayCache(ioredis((k) => Promise.resolve(seen.has(k) ? null : (seen.add(k), 'OK'))));
  const r = req();
  assert.equal((await readAsync(r, { keys, authority: false, replayCache: store })).signed, true);
  const copy = Object.assign({}, r); // the same bytes again, another request object
  await assert.rejects(readAsync(copy, { keys, authority: false, replayCache: store }), { code: 'REPLAYED' });
  const down = redisReplayCache(nodeRedis(() => Promise.reject(new Error('ECONNREFUSED'))));
  await assert.rejects(readAsync(req(), { keys, authority: false, replayCache: down }), { code: 'STORE_FAILED', message: /ECONNREFUSED/ });
});
