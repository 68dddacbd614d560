// SPDX-License-Identifier: MIT
'use strict';
// Forged "!~" headers hidden by HTTP/1.1 syntax: chunked trailers
// (MergeTrailers off), obs-fold, whitespace around names, control bytes and
// NULs, bare LF and CR line endings, over-long names and values; and the same
// under HttpProtocolOptions Unsafe, where the module must refuse what httpd lets
// through.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-syntax.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const {
  ENV, FORGED_IP, get, pairsOf, assertModuleHeaders, attempt, rawResponses, assertRefused,
  CLIENT_APACHE, clientAttacks,
} = require('./lib/attacks');

describe('client attacks: header syntax', h.needFor(CLIENT_APACHE), () => {
  const fx = h.useApache(clientAttacks());
  const tryRaw = (bytes, opts) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes, opts));

  // --- chunked trailers (MergeTrailers off, the default) ------------------

  const chunked = (p, size, trailerLines) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
    `${size.toString(16)}\r\n${'b'.repeat(size)}\r\n0\r\n${trailerLines}\r\n`;

  // Attack: "!~Passenger-Client-Address" as a chunked trailer, small (prefetched) body.
  test('chunked trailer "!~Passenger-Client-Address" (MergeTrailers off, 5-byte body) -> passes with true values', async () => {
    const out = await tryRaw(chunked('/app/tr', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'bbbbb');
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // Attack: the same, body > 16 KB (streamed chunked to the backend).
  test('chunked trailer "!~Passenger-Client-Address" (MergeTrailers off, 40 KB body) -> passes with true values', async () => {
    const out = await tryRaw(chunked('/app/trbig', 40000, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').length, 40000);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // --- line folding and odd whitespace / bytes ----------------------------

  // Attack: a "!~" header hidden as an obs-fold continuation of another header.
  test('obs-fold: "X-A: a\\r\\n !~Passenger-Proto: https" folds into X-A\'s value; no Proto header', async () => {
    const out = await tryRaw(get('/app/fold', 'X-A: a\r\n !~Passenger-Proto: https\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    // httpd joins the continuation with a space: it is text in X-A's value, not a header.
    assert.deepEqual(pairsOf(out.seen[0].rawHeaders).filter(([n]) => n === 'X-A'), [['X-A', 'a !~Passenger-Proto: https']]);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: obs-fold continuing a "!~" header (value split over two lines).
  test('obs-fold continuing a "!~" header -> 400 by the module', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: https\r\n more\r\n'));
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: obs-fold hiding a "!~" token in Connection ("close" + continuation).
  test('obs-fold continuing Connection with "!~Passenger-Client-Address" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n !~Passenger-Client-Address\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: whitespace before the colon (some parsers strip it and keep the name).
  test('"!~Passenger-Proto : https" (space before colon) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto : https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: tab before the colon.
  test('"!~Passenger-Proto\\t: https" (tab before colon) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto\t: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: leading whitespace on the first header line (continuation of the request line?).
  test('leading whitespace on the first header line " !~Passenger-Proto" -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\n !~Passenger-Proto: https\r\nHost: x\r\nConnection: close\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: a control byte inside the name, hoping for a name that later "normalizes" to "!~...".
  test('"!~Passenger\\x01-Proto" (control byte in name) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x01-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: NUL in the name (C string truncation).
  test('"!~Passenger\\x00-Proto" (NUL in name) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x00-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: NUL before the prefix, so a C-string view of the name is empty.
  test('"X\\x00!~Passenger-Proto" (NUL before the prefix) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', 'X\x00!~Passenger-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: control byte in a "!~" header's value (httpd's strict parser answers first).
  test('"!~Passenger-Proto: ht\\x01tps" (control byte in value) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: ht\x01tps\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: bare LF line endings throughout.
  test('bare LF line endings with a "!~" header -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\nHost: x\n!~Passenger-Proto: https\nConnection: close\n\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: a single bare LF ending only the "!~" line (header smuggled into the previous line for CRLF-only parsers).
  test('bare LF ending only the "!~" line -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nX-A: 1\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: CR-only line endings: httpd never finds the end of the request line.
  test('CR-only line endings -> no response at all when the client half-closes; backend untouched', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.raw(fx.ap.port, 'GET /app/a HTTP/1.1\rHost: x\r!~Passenger-Proto: https\rConnection: close\r\r', { end: true, encoding: 'latin1' }));
    assert.equal(out.res, '');
    assert.deepEqual(out.seen, []);
    assert.deepEqual(out.refusals, []);
  });

  // Attack: an 8000-character "!~" name (log flooding, buffer sizes). The module logs 128 bytes of it.
  test('8000-character "!~" name -> 400 by the module, logged name cut to 128 bytes', async () => {
    const name = `!~${'A'.repeat(7998)}`;
    const out = await tryRaw(get('/app/a', `${name}: v\r\n`));
    assertRefused(out, { name: name.slice(0, 128) });
  });

  // Attack: a "!~" name past LimitRequestFieldSize: httpd's own limit answers first.
  test('9000-character "!~" name -> 400 by httpd (field size limit)', async () => {
    const out = await tryRaw(get('/app/a', `!~${'A'.repeat(9000)}: v\r\n`));
    assertRefused(out, { by: 'httpd' });
    assert.match(out.res.responses[0].body, /Size of a request header field exceeds server limit/);
  });

  // Attack: an 8000-character value (the value must never reach the log).
  test('"!~Passenger-Proto" with an 8000-character value -> 400, value not logged', async () => {
    const value = `https${'v'.repeat(7995)}`;
    const out = await tryRaw(get('/app/a', `!~Passenger-Proto: ${value}\r\n`));
    assertRefused(out, { name: '!~Passenger-Proto', forged: ['vvvvvvvvvvvvvvvv'] });
  });
});

// ---------------------------------------------------------------------------
// HttpProtocolOptions Unsafe: httpd's lenient parser lets control bytes and
// bare LFs through, so the module is what must refuse them.
// ---------------------------------------------------------------------------
describe('HttpProtocolOptions Unsafe', () => {
  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL], // the forged headers sent on purpose are refused with a warning
    backends: { be: {} },
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: ['HttpProtocolOptions Unsafe', 'LogLevel warn secure_headers:info', 'SetEnv FOO bar', 'ProxyPass /app/ ${BACKEND}/'].join('\n'),
    }),
  });

  const tryRaw = (bytes) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes));

  // Attack: control byte in a "!~" name, accepted by the lenient parser. The log escapes it.
  test('Unsafe: "!~Passenger\\x01-Proto" -> 400 by the module, name logged escaped', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x01-Proto: https\r\n'));
    assertRefused(out, { name: '!~Passenger\\\\x01-Proto' });
  });

  // Attack: control byte in a "!~" value; control: the same byte in an ordinary header passes here.
  // (Node itself would refuse \x01 in a header value, so the control is a static file.)
  test('Unsafe: "!~Passenger-Proto: ht\\x01tps" -> 400 by the module (httpd accepts \\x01 in an ordinary header here)', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: ht\x01tps\r\n'));
    assertRefused(out, { name: '!~Passenger-Proto' });
    const ok = await tryRaw(get('/static.txt', 'X-A: ht\x01tps\r\n'));
    assert.deepEqual(ok.res.responses.map((r) => r.status), [200]);
    assert.equal(ok.res.responses[0].body, 'static file\n');
    assert.deepEqual(ok.refusals, []);
  });

  // Attack: bare LF line endings throughout.
  test('Unsafe: bare LF line endings with a "!~" header -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\nHost: x\n!~Passenger-Proto: https\nConnection: close\n\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: a bare LF inside an ordinary header line, the "!~" header after it.
  test('Unsafe: "X-A: 1\\n!~Passenger-Proto: https" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nX-A: 1\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: Connection tokens separated by bytes that mod_proxy's list parser counts as space
  // (\v, \f) or by a bare CR, which the module's token check does not split on: httpd refuses
  // these lines itself even here.
  test('Unsafe: "Connection: close<\\v|\\f|\\r>!~Passenger-Client-Address" -> 400 by httpd', async () => {
    for (const sep of ['\x0b', '\x0c', '\r']) {
      const out = await tryRaw(`GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close${sep}!~Passenger-Client-Address\r\n\r\n`);
      assertRefused(out, { by: 'httpd' });
    }
  });

  // Attack: the whitespace / NUL / space-in-name tricks, which httpd refuses even when lenient.
  test('Unsafe: space or tab before colon, leading whitespace, NUL, "! ~Foo" -> still 400 by httpd', async () => {
    const vectors = [
      get('/app/a', '!~Passenger-Proto : https\r\n'),
      get('/app/a', '!~Passenger-Proto\t: https\r\n'),
      'GET /app/a HTTP/1.1\r\n !~Passenger-Proto: https\r\nHost: x\r\nConnection: close\r\n\r\n',
      get('/app/a', '!~Passenger\x00-Proto: https\r\n'),
      get('/app/a', 'X\x00!~Passenger-Proto: https\r\n'),
      get('/app/a', '! ~Foo: v\r\n'),
    ];
    for (const v of vectors) {
      const out = await tryRaw(v);
      assertRefused(out, { by: 'httpd' });
    }
  });
});
