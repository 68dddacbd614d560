// SPDX-License-Identifier: MIT
'use strict';
// Refusing a forged "!~" header, and what the module logs: a refusal at info
// (client address and header name, never the value), nothing at the default
// warn, names and sizes of what it added at debug.
// Real apache2 with the built module in front of the Node echo backend
// (tests/lib/harness.js); the contract is docs/wire-format.md.
//
//   node --test tests/secure-headers-logging.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test. Each
// group's Apache is checked after the group: a line at warn or worse that
// the group does not declare fails it (tests/lib/log.js).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness');
const { rawPairs, assertSecure, proxied, received, moduleLines, vhost } = require('./lib/secure-headers');

const { encodeEnvvars } = h;

// ---------------------------------------------------------------------------
// Rejection basics and logging
// ---------------------------------------------------------------------------
describe('rejection and logging', () => {
  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL], // the forged headers sent on purpose are refused with a warning
    backends: { be: {} },
    ports: ['INFO', 'DEBUG'],
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: [
        // default LogLevel (warn), its own error log
        vhost('127.0.0.1:${PORT}', [
          'ErrorLog "${DIR}/warn_log"',
          'SetEnv FOO bar',
          'ProxyPass / ${BACKEND}/',
        ]),
        vhost('127.0.0.1:${INFO}', [
          'ErrorLog "${DIR}/info_log"',
          'LogLevel warn secure_headers:info',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
        vhost('127.0.0.1:${DEBUG}', [
          'ErrorLog "${DIR}/debug_log"',
          'LogLevel warn secure_headers:debug',
          'SetEnv SECRET s3cr3t-value-xyz',
          'SetEnv OTHER "another secret"',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
      ].join('\n'),
    }),
  });
  const infoLog = () => h.readLog(path.join(fx.ap.dir, 'info_log'));
  const warnLog = () => h.readLog(path.join(fx.ap.dir, 'warn_log'));
  const debugLog = () => h.readLog(path.join(fx.ap.dir, 'debug_log'));

  test('!~Passenger-Client-Address: 6.6.6.6 -> 400, backend not reached', async () => {
    for (const port of [fx.ap.port, fx.ports.INFO]) {
      const { result: r, got } = await received(fx.be, () => h.request(port, {
        path: '/spoof', headers: [['User-Agent', 'x'], ['!~Passenger-Client-Address', '6.6.6.6']],
      }));
      assert.equal(r.status, 400);
      assert.equal(r.json, null, 'Apache answered, not the backend');
      assert.match(r.body, /400 Bad Request/);
      assert.equal(got.length, 0);
    }
  });

  test('look-alikes X!~Foo, ~!Foo, !Foo -> 200 and passed on unchanged', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/look', headers: [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']] });
    const pairs = rawPairs(echo);
    for (const want of [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']]) {
      assert.equal(pairs.filter(([n, v]) => n === want[0] && v === want[1]).length, 1, `${want[0]} passed on`);
    }
    assertSecure(echo, { env: [['FOO', 'bar']] });
  });

  test('a rejection is logged once (warn, then info within the second): client address and header name, never the value', async () => {
    const before0 = moduleLines(infoLog()).length;
    for (let i = 0; i < 3; i++) {
      const r = await h.request(fx.ports.INFO, { path: `/spoof${i}`, headers: [[`!~Passenger-Envvars`, `forged-value-${i}`]] });
      assert.equal(r.status, 400);
    }
    const r = await h.request(fx.ports.INFO, { path: '/spoof', headers: [['!~Some-Other', 'forged-other-value']] });
    assert.equal(r.status, 400);
    const lines = moduleLines(infoLog()).slice(before0);
    assert.equal(lines.length, 4, `one line per rejected request:\n${lines.join('\n')}`);
    for (const l of lines.slice(0, 3)) {
      assert.match(l, /\[secure_headers:(warn|info)\]/);
      assert.match(l, /\[client 127\.0\.0\.1:\d+\]/);
      assert.ok(l.includes('!~Passenger-Envvars'), l);
    }
    assert.ok(lines[3].includes('!~Some-Other'), lines[3]);
    const log = infoLog();
    assert.doesNotMatch(log, /forged-|6\.6\.6\.6/, 'the header value is never logged');
  });

  test('logged at the default LogLevel warn, at most once a second per kind: name, never the value', async () => {
    // Start in a fresh second: the rate limit is per process and kind, and
    // the tests before used this kind's slot.
    await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000)));
    const t0 = Date.now();
    const r = await h.request(fx.ap.port, { path: '/spoof', headers: [['!~Passenger-Proto', 'forged-warn-value']] });
    assert.equal(r.status, 400);
    const r2 = await h.request10(fx.ap.port, { path: '/spoof', headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.equal(r2.status, 400);
    const lines = moduleLines(warnLog());
    assert.ok(lines.length >= 1, 'the first refusal of the second is a warning');
    assert.ok(lines.length <= 1 + Math.ceil((Date.now() - t0) / 1000), lines.join('\n'));
    for (const l of lines) {
      assert.match(l, /\[secure_headers:warn\] .*refused request with client-supplied header "!~Passenger-(Proto|Client-Address)"/);
    }
    assert.doesNotMatch(warnLog(), /forged-warn-value|6\.6\.6\.6/);
    assert.deepEqual(moduleLines(fx.ap.errorLog()), []);
  });

  test('LogLevel secure_headers:debug: which headers were added and their sizes, never the values', async () => {
    const before0 = debugLog().length;
    const echo = await proxied(fx.be, fx.ports.DEBUG, { path: '/dbg' });
    const env = [['SECRET', 's3cr3t-value-xyz'], ['OTHER', 'another secret']];
    assertSecure(echo, { env });
    const b64 = encodeEnvvars(env);
    const added = debugLog().slice(before0).split('\n').filter((l) => /\[secure_headers:debug\]/.test(l));
    assert.equal(added.length, 1, `one debug line per proxied request:\n${added.join('\n')}`);
    // names and sizes: 9 bytes of "127.0.0.1", the base64's length
    assert.match(added[0], /!~Passenger-Client-Address\D+9\D/);
    assert.match(added[0], new RegExp(`!~Passenger-Envvars\\D+${b64.length}\\D`));
    assert.ok(!added[0].includes('!~Passenger-Proto'), 'no Proto header was added (plain HTTP)');
    const all = debugLog();
    assert.ok(!all.includes(b64), 'the Envvars base64 value is not logged');
    assert.doesNotMatch(all, /s3cr3t-value-xyz|another secret/, 'no environment values');
  });
});
