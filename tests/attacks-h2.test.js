// SPDX-License-Identifier: MIT
'use strict';
// Forged "!~" headers over HTTP/2: lower-case names, a header block spread
// over CONTINUATION frames, request trailers.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-h2.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const {
  FORGED_IP, pairsOf, assertModuleHeaders, attempt, h2Env, CLIENT_APACHE,
  clientAttacks,
} = require('./lib/attacks');

describe('client attacks: HTTP/2', h.needFor(CLIENT_APACHE), () => {
  const fx = h.useApache(clientAttacks());

  // Attack: HTTP/2, where header names are always lower case.
  test('HTTP/2 "!~passenger-proto" -> 400, backend untouched', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.h2request(fx.ap.tlsPort, { path: '/app/a', headers: { '!~passenger-proto': 'http' } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 400);
    assert.deepEqual(out.seen, []);
    // mod_http2 hands the name over re-cased ("!~passenger-Proto"); any case is refused.
    assert.deepEqual(out.refusals.map((n) => n.toLowerCase()), ['!~passenger-proto']);
  });

  // Attack: HTTP/2 header block of ~40 KB (HEADERS + CONTINUATION frames) with the "!~" header last,
  // hoping the check only sees the first frame's headers.
  test('HTTP/2 huge header block (CONTINUATION frames), "!~" header last -> 400; same block without it is proxied whole', async () => {
    const bigHeaders = {};
    for (let i = 0; i < 10; i++) bigHeaders[`x-big-${i}`] = `${i}abcdefghijklmnopqrstuvwxyz`.repeat(150); // 10 x ~4 KB
    const nBig = fx.big.requests.length;
    const out = await attempt(fx.ap, fx.be, () => h.h2request(fx.ap.tlsPort, { path: '/big/a', headers: Object.assign({}, bigHeaders, { '!~passenger-client-address': FORGED_IP }) }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 400);
    assert.equal(fx.big.requests.length, nBig, 'the big backend must not see the request');
    assert.deepEqual(out.refusals.map((n) => n.toLowerCase()), ['!~passenger-client-address']);
    assert.ok(!out.log.includes(FORGED_IP));
    // Control: httpd takes the whole block (so the check above did see every frame).
    const ctl = await h.h2request(fx.ap.tlsPort, { path: '/big/ctl', headers: bigHeaders });
    assert.equal(ctl.status, 200);
    assert.equal(fx.big.requests.length, nBig + 1);
    const echo = fx.big.requests.at(-1);
    const raw = pairsOf(echo.rawHeaders);
    for (const [k, v] of Object.entries(bigHeaders)) assert.deepEqual(raw.filter(([n]) => n.toLowerCase() === k).map(([, x]) => x), [v], k);
    assert.deepEqual(h.secureHeaders(echo).map(([n]) => n), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(h.secureHeaders(echo)[1][1], '127.0.0.1');
  });

  // Attack: HTTP/2 request trailers carrying "!~passenger-client-address" (small body).
  test('HTTP/2 POST with a "!~passenger-client-address" trailer (small body): backend sees true values only', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.h2request(fx.ap.tlsPort, { method: 'POST', path: '/app/h2t', body: 'hello', trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'hello');
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP] });
  });

  // Attack: the same with a body > 16 KB, streamed to the backend.
  test('HTTP/2 POST with a "!~passenger-client-address" trailer (40 KB body, streamed): backend sees true values only', async () => {
    const body = 'q'.repeat(40000);
    const out = await attempt(fx.ap, fx.be, () => h.h2request(fx.ap.tlsPort, { method: 'POST', path: '/app/h2tbig', body, trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), body);
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP] });
  });
});
