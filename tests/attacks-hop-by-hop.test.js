// SPDX-License-Identifier: MIT
'use strict';
// Hop-by-hop machinery against the secure headers: Connection naming them,
// Keep-Alive, Upgrade, TE, Proxy-Connection, Expect, Transfer-Encoding with
// Content-Length, and the WebSocket upgrade.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-hop-by-hop.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const {
  ENV, FORGED_IP, get, refusalsSince, assertModuleHeaders, attempt, rawResponses, assertRefused,
  CLIENT_APACHE, clientAttacks,
} = require('./lib/attacks');

describe('client attacks: hop-by-hop and upgrade', h.needFor(CLIENT_APACHE), () => {
  const fx = h.useApache(clientAttacks());
  const tryReq = (opts) => attempt(fx.ap, fx.be, () => h.request(fx.ap.port, opts));
  const tryRaw = (bytes, opts) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes, opts));

  // --- WebSocket upgrade ---------------------------------------------------

  // Attack: a forged header on a WebSocket handshake (the tunnel would carry it to the backend).
  test('WebSocket upgrade with "!~Passenger-Client-Address" -> 400, no 101, backend untouched', async () => {
    const n = fx.ws.requests.length;
    const off = fx.ap.errorLog().length;
    const w = await h.websocket(fx.ap.port, '/ws/chat', { '!~Passenger-Client-Address': FORGED_IP });
    assert.equal(w.status, 400);
    assert.equal(fx.ws.requests.length, n);
    assert.deepEqual(refusalsSince(fx.ap, off), ['!~Passenger-Client-Address']);
  });

  // Attack: Sec-WebSocket-Protocol / Connection tricks on an otherwise valid upgrade: the tunnelled
  // handshake still carries exactly the module's set.
  test('WebSocket upgrade with "Sec-WebSocket-Protocol: !~Passenger-Proto" -> 101, one set of true values', async () => {
    const n = fx.ws.requests.length;
    const w = await h.websocket(fx.ap.port, '/ws/chat?room=1', { 'Sec-WebSocket-Protocol': '!~Passenger-Proto', 'X-Real-IP': FORGED_IP });
    assert.equal(w.status, 101);
    assert.ok(w.acceptOk);
    assert.equal(fx.ws.requests.length, n + 1);
    assert.equal(w.json.url, '/chat?room=1');
    assertModuleHeaders(fx.ws.requests.at(-1), { env: ENV });
    assert.deepEqual(w.json.rawHeaders, fx.ws.requests.at(-1).rawHeaders);
  });

  // --- hop-by-hop machinery ------------------------------------------------

  // Attack: name a secure header in Connection so a proxy drops it as hop-by-hop.
  test('"Connection: !~Passenger-Client-Address" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: !~Passenger-Client-Address\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: the same in a list after "close".
  test('"Connection: close, !~Passenger-Envvars" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close, !~Passenger-Envvars\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: list without spaces, and a second Connection header (httpd merges them).
  test('"Connection: close,!~Passenger-Client-Address" and a second Connection header naming "!~Passenger-Proto" -> 400 each', async () => {
    const a = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close,!~Passenger-Client-Address\r\n\r\n');
    assertRefused(a, { name: 'Connection' });
    const b = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: !~Passenger-Proto\r\n\r\n');
    assertRefused(b, { name: 'Connection' });
  });

  // Attack: quoted / semicolon-joined tokens the module's Connection check does not read as names.
  // mod_proxy does split "close;X" into two names, but removes them before the module adds its
  // headers (since 2.4.54; on older httpd the module does that removal first, sh_clear_connection):
  // the backend still gets every secure header.
  test('"Connection: \\"!~Passenger-Client-Address\\"" and "Connection: close;!~..." pass; all secure headers still arrive', async () => {
    for (const conn of ['"!~Passenger-Client-Address"', 'close;!~Passenger-Client-Address']) {
      const out = await tryReq({ path: '/app/q', headers: [['Connection', conn]] });
      assert.equal(out.res.status, 200, conn);
      assert.deepEqual(out.refusals, []);
      assert.equal(out.seen.length, 1);
      assertModuleHeaders(out.seen[0], { env: ENV });
    }
  });

  // Attack: Keep-Alive header carrying a "!~" token (hop-by-hop, dropped by mod_proxy).
  test('"Connection: keep-alive" + "Keep-Alive: !~x" -> 200, nothing of it forwarded', async () => {
    const out = await tryReq({ path: '/app/ka', headers: [['Connection', 'keep-alive'], ['Keep-Alive', '!~x']] });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers['keep-alive'], undefined);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: ['!~x'] });
  });

  // Attack: Upgrade naming a secure header (on a non-WebSocket route).
  test('"Upgrade: !~Passenger-Proto" (with and without Connection: Upgrade) -> 200, no Upgrade, no Proto', async () => {
    for (const conn of ['close', 'Upgrade, close']) {
      const out = await tryRaw(get('/app/up', `Upgrade: !~Passenger-Proto\r\n`).replace('Connection: close', `Connection: ${conn}`));
      assert.deepEqual(out.res.responses.map((r) => r.status), [200], conn);
      assert.equal(out.seen.length, 1);
      assert.equal(out.seen[0].headers.upgrade, undefined);
      assertModuleHeaders(out.seen[0], { env: ENV });
    }
  });

  // Attack: TE naming a "!~" token.
  test('"TE: trailers, !~x" -> 200, TE not forwarded', async () => {
    const out = await tryRaw(get('/app/te', 'TE: trailers, !~x\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers.te, undefined);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: ['!~x'] });
  });

  // Attack: Proxy-Connection naming a secure header.
  test('"Proxy-Connection: !~Passenger-Proto" -> 200, not forwarded, no Proto', async () => {
    const out = await tryRaw(get('/app/pc', 'Proxy-Connection: !~Passenger-Proto\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers['proxy-connection'], undefined);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: Expect: 100-continue with a "!~" header: the client must not even be invited to send the body.
  test('"Expect: 100-continue" + "!~" header -> 400 without "100 Continue"', async () => {
    const out = await tryRaw(`POST /app/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
    assert.ok(!out.res.text.includes('100 Continue'), out.res.text);
    assert.match(out.res.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
  });

  // Attack: ambiguous framing (Transfer-Encoding + Content-Length) together with a "!~" header.
  test('"Transfer-Encoding: chunked" + "Content-Length" + "!~" header -> 400 by the module', async () => {
    const out = await tryRaw('POST /app/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });
});
