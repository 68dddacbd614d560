// SPDX-License-Identifier: MIT
'use strict';
// Requests that ride on another: pipelining, request smuggling (Content-Length
// with chunked, doubled Transfer-Encoding or Content-Length), "!~" lines in a
// body, and keep-alive reuse of a connection.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-smuggling.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const {
  ENV, FORGED_IP, refusalsSince, assertModuleHeaders, attempt, rawResponses, assertRefused, session,
  CLIENT_APACHE, clientAttacks,
} = require('./lib/attacks');

describe('client attacks: pipelining, smuggling, keep-alive', h.needFor(CLIENT_APACHE), () => {
  const base = clientAttacks();
  const fx = h.useApache(Object.assign(base, {
    // httpd before 2.4.54 (2.4.37 here) logs at error when a client's body
    // ends before its declared length while mod_proxy_http prefetches it
    // (the truncated and smuggled bodies these tests send); later releases
    // log it below warn.
    allow: [...base.allow, /\[proxy_http:error\] .*AH01095: prefetch request body failed to 127\.0\.0\.1:\d+ \(127\.0\.0\.1\) from 127\.0\.0\.1 \(\)$/],
  }));
  const tryReq = (opts) => attempt(fx.ap, fx.be, () => h.request(fx.ap.port, opts));
  const tryRaw = (bytes, opts) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes, opts));

  // --- pipelining and smuggling -------------------------------------------

  // Attack: a valid request and a forged one in one TCP write (the forged one riding on the first's checks).
  test('pipelined: valid then forged in one write -> 200 (true values), 400 + close; third never served', async () => {
    const out = await tryRaw('GET /app/p1 HTTP/1.1\r\nHost: x\r\n\r\n' +
      `GET /app/p2 HTTP/1.1\r\nHost: x\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n` +
      'GET /app/p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(out.res.responses.map((r) => r.status), [200, 400]);
    assert.equal(out.res.responses[1].headers.connection, 'close');
    assert.deepEqual(out.seen.map((e) => e.url), ['/p1']);
    assert.deepEqual(out.refusals, ['!~Passenger-Client-Address']);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
    assert.deepEqual(out.res.responses[0].json, out.seen[0]);
  });

  // Attack: a forged request first, then a valid one in the same write: after the 400 httpd closes.
  test('pipelined: forged then valid in one write -> a single 400, connection closed, backend untouched', async () => {
    const out = await tryRaw('GET /app/p1 HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\nGET /app/p2 HTTP/1.1\r\nHost: x\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
    assert.equal(out.res.responses[0].headers.connection, 'close');
  });

  // Attack: CL.TE smuggling: Content-Length covers a second request (with a "!~" header) that the
  // chunked body ends before. httpd goes by Transfer-Encoding and closes after the response
  // (since 2.4.44). Older ones keep the connection and read the smuggled bytes as the next
  // request, which carries a "!~" header: the module refuses it, so it reaches no backend either.
  test('smuggling (Content-Length + chunked) with a "!~" request in the body -> one 200, close; smuggled request never parsed', async () => {
    const smuggled = 'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n';
    const body = `0\r\n\r\n${smuggled}`;
    const out = await tryRaw(`POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    if (h.httpdAtLeast('2.4.44')) {
      assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
      assert.equal(out.res.responses[0].headers.connection, 'close');
      assert.deepEqual(out.refusals, []);
    } else {
      assert.deepEqual(out.res.responses.map((r) => r.status), [200, 400]);
      assert.equal(out.res.responses[1].headers.connection, 'close');
      assert.deepEqual(out.refusals, ['!~Passenger-Proto']);
    }
    assert.deepEqual(out.seen.map((e) => e.url), ['/s']);
    assert.equal(out.seen[0].body, '');
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: TE.TE obfuscation ("chunked" then "identity") to desync, smuggled "!~" request behind.
  test('smuggling with two Transfer-Encoding headers -> 400 by httpd, backend untouched', async () => {
    const out = await tryRaw('POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n' +
      'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: two Content-Length headers (0 and the smuggled request's length).
  test('smuggling with two Content-Length headers -> 400 by httpd, backend untouched', async () => {
    const smuggled = 'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n';
    const out = await tryRaw(`POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    assertRefused(out, { by: 'httpd' });
  });

  // Not a header: "!~" lines inside a request body are body bytes, forwarded verbatim.
  test('"!~" header lines inside a POST body are forwarded as body, headers carry the true values', async () => {
    const body = `GET / HTTP/1.1\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`;
    const out = await tryReq({ method: 'POST', path: '/app/body', body });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString('latin1'), body);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // --- keep-alive reuse ----------------------------------------------------

  // Attack: earn trust with a valid first request, forge on the second one of the same connection.
  test('keep-alive: valid request, then a forged one on the same connection -> 200, then 400 and closed', async () => {
    const n = fx.be.requests.length;
    const off = fx.ap.errorLog().length;
    const s = session(fx.ap.port);
    try {
      await s.ready;
      s.write(`GET /app/k1 HTTP/1.1\r\nHost: 127.0.0.1:${fx.ap.port}\r\nUser-Agent: agent-one\r\n\r\n`);
      const [r1] = await s.responses(1);
      assert.equal(r1.status, 200);
      assert.notEqual(r1.headers.connection, 'close');
      assert.ok(!s.closed, 'the first response keeps the connection open');
      s.write(`GET /app/k2 HTTP/1.1\r\nHost: 127.0.0.1:${fx.ap.port}\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
      const rs = await s.responses(2);
      assert.deepEqual(rs.map((r) => r.status), [200, 400]);
      assert.equal(rs[1].headers.connection, 'close');
      await s.waitClosed();
    } finally { s.destroy(); }
    assert.deepEqual(fx.be.requests.slice(n).map((e) => e.url), ['/k1']);
    assertModuleHeaders(fx.be.requests[n], { env: [['UA', 'one'], ['FOO', 'bar']], forged: [FORGED_IP] });
    assert.deepEqual(refusalsSince(fx.ap, off), ['!~Passenger-Client-Address']);
  });

  // Attack: forged first request on a keep-alive connection: no second chance on it.
  test('keep-alive: forged first request -> 400 and the connection is closed', async () => {
    const n = fx.be.requests.length;
    const s = session(fx.ap.port);
    try {
      await s.ready;
      s.write(`GET /app/k1 HTTP/1.1\r\nHost: 127.0.0.1:${fx.ap.port}\r\n!~Passenger-Proto: https\r\n\r\n`);
      const rs = await s.responses(1);
      assert.deepEqual(rs.map((r) => r.status), [400]);
      assert.equal(rs[0].headers.connection, 'close');
      await s.waitClosed();
    } finally { s.destroy(); }
    assert.equal(fx.be.requests.length, n);
  });

  // Attack: values leaking from one request to the next on a reused connection (client and backend side).
  test('keep-alive: each request on one connection gets its own environment (SetEnvIf by User-Agent)', async () => {
    const n = fx.be.requests.length;
    const rs = await h.keepAlive(fx.ap.port, [
      { path: '/app/k1', headers: { 'User-Agent': 'agent-one' } },
      { path: '/app/k2', headers: { 'User-Agent': 'agent-two' } },
      { path: '/app/k3', headers: { 'User-Agent': 'nobody', Connection: 'close' } },
    ]);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    assert.equal(new Set(rs.map((r) => r.localPort)).size, 1);
    const seen = fx.be.requests.slice(n);
    assert.deepEqual(seen.map((e) => e.url), ['/k1', '/k2', '/k3']);
    assertModuleHeaders(seen[0], { env: [['UA', 'one'], ['FOO', 'bar']] });
    assertModuleHeaders(seen[1], { env: [['UA', 'two'], ['FOO', 'bar']] });
    assertModuleHeaders(seen[2], { env: [['FOO', 'bar']] });
  });
});
