// SPDX-License-Identifier: MIT
'use strict';
// Forged "!~" headers by name: spelling and case, look-alikes, HTTP/1.0 and
// 0.9, absolute-form, TLS; and client headers that claim TLS or an address
// (HTTPS, X-Forwarded-Proto, X-Real-IP, X-Forwarded-For) over plain HTTP.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-names.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const {
  ENV, FORGED_IP, get, pairsOf, assertModuleHeaders, attempt, rawResponses, assertRefused,
  CLIENT_APACHE, clientAttacks,
} = require('./lib/attacks');

const { encodeEnvvars } = h;

describe('client attacks: names, request forms, claims', h.needFor(CLIENT_APACHE), () => {
  const fx = h.useApache(clientAttacks());
  const tryReq = (opts) => attempt(fx.ap, fx.be, () => h.request(fx.ap.port, opts));
  const tryRaw = (bytes, opts) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes, opts));

  // --- header names: spelling and case -----------------------------------

  // Attack: forge the client address with the exact canonical name.
  test('"!~Passenger-Client-Address: 6.6.6.6" -> 400 by the module, backend untouched', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
  });

  // Attack: same name in lower case (the table is case-insensitive; the check must be too).
  test('"!~passenger-client-address" (lower case) -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~passenger-client-address', FORGED_IP]] });
    assertRefused(out, { name: '!~passenger-client-address', forged: [FORGED_IP] });
  });

  // Attack: upper-case Proto to fake HTTPS.
  test('"!~PASSENGER-PROTO: https" (upper case) -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~PASSENGER-PROTO', 'https']] });
    assertRefused(out, { name: '!~PASSENGER-PROTO' });
  });

  // Attack: the bare prefix (Passenger's password slot).
  test('bare "!~" header -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~', 'guess-the-password']] });
    assertRefused(out, { name: '!~', forged: ['guess-the-password'] });
  });

  // Attack: a well-formed, crafted Envvars value (HTTPS=on, REMOTE_USER=admin).
  test('"!~Passenger-Envvars" with crafted base64 -> 400', async () => {
    const crafted = encodeEnvvars([['HTTPS', 'on'], ['REMOTE_USER', 'admin']]);
    const out = await tryReq({ path: '/app/a', headers: [['X-Before', '1'], ['!~Passenger-Envvars', crafted]] });
    assertRefused(out, { name: '!~Passenger-Envvars', forged: [crafted] });
  });

  // Attack: a "!~" name the module does not itself send (the whole namespace is reserved).
  test('"!~Anything-Else" -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Anything-Else', 'x']] });
    assertRefused(out, { name: '!~Anything-Else' });
  });

  // Attack: the same secure header twice, second copy in another case (hoping one survives a de-dup).
  test('"!~Passenger-Proto" twice, second copy lower case -> 400 (first one named)', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Passenger-Proto', 'https'], ['!~passenger-proto', 'https']] });
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Not an attack: look-alike names are ordinary headers and pass unchanged.
  test('look-alikes "X!~Foo", "~!Foo", "!Foo" pass unchanged next to the module headers', async () => {
    const out = await tryReq({ path: '/app/look', headers: [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.deepEqual(out.refusals, []);
    const raw = pairsOf(out.seen[0].rawHeaders);
    assert.deepEqual(raw.filter(([n]) => ['X!~Foo', '~!Foo', '!Foo'].includes(n)), [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']]);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: "! ~Foo" -- a space splitting the prefix. httpd refuses the name itself.
  test('"! ~Foo" (space inside the name) -> 400 by httpd before the module', async () => {
    const out = await tryRaw(get('/app/a', '! ~Foo: v\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // --- protocol versions and forms ----------------------------------------

  // Attack: HTTP/1.0 with Host.
  test('HTTP/1.0 with Host and a "!~" header -> 400', async () => {
    const out = await tryRaw(`GET /app/a HTTP/1.0\r\nHost: x\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    assert.equal(out.res.responses[0].headers.connection, 'close');
  });

  // Attack: HTTP/1.0 without Host (served by the default server).
  test('HTTP/1.0 without Host and a "!~" header -> 400; without the header it is proxied with true values', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.0\r\n!~Passenger-Proto: https\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
    const ok = await tryRaw('GET /app/ten HTTP/1.0\r\nX!~Foo: 1\r\n\r\n');
    assert.deepEqual(ok.res.responses.map((r) => r.status), [200]);
    assert.equal(ok.seen.length, 1);
    assert.equal(ok.seen[0].url, '/ten');
    assertModuleHeaders(ok.seen[0], { env: ENV });
  });

  // Attack: HTTP/0.9 has no headers, so a "!~" line after the request line is never parsed as one.
  test('HTTP/0.9 request line followed by a "!~" line: not a header, backend gets the true values', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.raw(fx.ap.port, `GET /app/nine\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`));
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].url, '/nine');
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
    // HTTP/0.9: the body alone, no status line.
    assert.deepEqual(JSON.parse(out.res), out.seen[0]);
  });

  // Attack: absolute-form request target (as sent to a forward proxy).
  test('absolute-form request-target with a "!~" header -> 400', async () => {
    const out = await tryRaw(`GET http://127.0.0.1:${fx.ap.port}/app/a HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n`);
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: TLS (HTTP/1.1), where a forged Proto would look most plausible.
  test('TLS HTTP/1.1 with "!~Passenger-Proto: http" -> 400', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.request(fx.ap.tlsPort, { tls: true, path: '/app/a', headers: [['!~Passenger-Proto', 'http']] }));
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // --- environment-driven -------------------------------------------------

  // Attack: client headers that look like TLS (HTTPS, X-Forwarded-Proto, X-Forwarded-Ssl) over plain HTTP.
  test('"HTTPS: on", "X-Forwarded-Proto: https", "X-Forwarded-Ssl: on" over plain HTTP -> no Proto header', async () => {
    const out = await tryReq({ path: '/app/tlslike', headers: [['HTTPS', 'on'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'on']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: false, env: ENV });
    // They arrive as the ordinary headers they are.
    assert.equal(out.seen[0].headers.https, 'on');
    assert.equal(out.seen[0].headers['x-forwarded-proto'], 'https');
  });

  // Operator's trust decision: SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on (behind a TLS terminator).
  // Any client can then claim https on this location -- that is what the operator configured.
  test('SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on configured -> Proto appears (operator\'s choice); absent without the header', async () => {
    const out = await tryReq({ path: '/xfp/a', headers: [['X-Forwarded-Proto', 'https']] });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { proto: true, env: [['HTTPS', 'on'], ['FOO', 'bar']] });
    const plain = await tryReq({ path: '/xfp/b', headers: [['X-Forwarded-Proto', 'http']] });
    assertModuleHeaders(plain.seen[0], { proto: false, env: [['FOO', 'bar']] });
  });

  // Attack: X-Real-IP / X-Forwarded-For when mod_remoteip is not configured.
  test('"X-Real-IP: 6.6.6.6" and "X-Forwarded-For: 6.6.6.6" without mod_remoteip -> Client-Address stays 127.0.0.1', async () => {
    const out = await tryReq({ path: '/app/rip', headers: [['X-Real-IP', FORGED_IP], ['X-Forwarded-For', FORGED_IP]] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    const secure = h.secureHeaders(out.seen[0]);
    assert.deepEqual(secure, [['!~Passenger-Client-Address', '127.0.0.1'], ['!~Passenger-Envvars', encodeEnvvars(ENV)]]);
    // mod_proxy appends the real address to the client's X-Forwarded-For: not a secure header.
    assert.equal(out.seen[0].headers['x-forwarded-for'], `${FORGED_IP}, 127.0.0.1`);
  });

  // Attack: a location where the module adds nothing -- forged headers must still be refused there.
  test('SecureHeaders Off location: forged header still 400; valid request carries no "!~" header at all', async () => {
    const out = await tryReq({ path: '/off/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    const ok = await tryReq({ path: '/off/b' });
    assert.equal(ok.res.status, 200);
    assert.equal(ok.seen.length, 1);
    assert.equal(ok.seen[0].url, '/off/b');
    assert.deepEqual(h.secureHeaders(ok.seen[0]), []);
  });
});
