// SPDX-License-Identifier: MIT
'use strict';
// Where the module acts: SecureHeaders Off/On by vhost and <Location>, and
// requests that are not reverse-proxied (static files, a forward proxy).
// Real apache2 with the built module in front of the Node echo backend
// (tests/lib/harness.js); the contract is docs/wire-format.md.
//
//   node --test tests/secure-headers-scope.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test. Each
// group's Apache is checked after the group: a line at warn or worse that
// the group does not declare fails it (tests/lib/log.js).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const { rawPairs, assertSecure, proxied, received, vhost } = require('./lib/secure-headers');

// ---------------------------------------------------------------------------
// SecureHeaders Off / On
// ---------------------------------------------------------------------------
describe('SecureHeaders Off', () => {
  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL], // the forged headers sent on purpose are refused with a warning
    backends: { be: {} },
    ports: ['VHOSTOFF'],
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: [
        vhost('127.0.0.1:${PORT}', [
          'SetEnv FOO bar',
          'ProxyPass /on/ ${BACKEND}/on/',
          'ProxyPass /off/ ${BACKEND}/off/',
          '<Location /off/>',
          ' SecureHeaders Off',
          '</Location>',
        ]),
        vhost('127.0.0.1:${VHOSTOFF}', [
          'SecureHeaders Off',
          'SetEnv FOO bar',
          'ProxyPass /a/ ${BACKEND}/a/',
          'ProxyPass /b/ ${BACKEND}/b/',
          '<Location /b/>',
          ' SecureHeaders On',
          '</Location>',
        ], { listen: true }),
      ].join('\n'),
    }),
  });

  test('SecureHeaders Off in a <Location>: nothing added there, other locations unaffected', async () => {
    const off = await proxied(fx.be, fx.ap.port, { path: '/off/1' });
    assert.equal(off.url, '/off/1');
    assert.deepEqual(h.secureHeaders(off), []);
    const on = await proxied(fx.be, fx.ap.port, { path: '/on/1' });
    assertSecure(on, { env: [['FOO', 'bar']] });
  });

  test('spoofed requests to the Off location still get 400 and never reach the backend', async () => {
    for (const name of ['!~Passenger-Client-Address', '!~Passenger-Envvars', '!~passenger-proto']) {
      const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, { path: '/off/spoof', headers: [[name, 'forged']] }));
      assert.equal(r.status, 400, name);
      assert.equal(r.json, null);
      assert.equal(got.length, 0, `${name}: backend not reached`);
    }
  });

  test('SecureHeaders Off for a vhost, On in one of its locations', async () => {
    const a = await proxied(fx.be, fx.ports.VHOSTOFF, { path: '/a/1' });
    assert.deepEqual(h.secureHeaders(a), []);
    const b = await proxied(fx.be, fx.ports.VHOSTOFF, { path: '/b/1' });
    assertSecure(b, { env: [['FOO', 'bar']] });
    const spoof = await received(fx.be, () => h.request(fx.ports.VHOSTOFF, { path: '/a/1', headers: [['!~Passenger-Client-Address', '6.6.6.6']] }));
    assert.equal(spoof.result.status, 400);
    assert.equal(spoof.got.length, 0);
  });
});

// ---------------------------------------------------------------------------
// Requests that are not proxied (static files, forward proxy)
// ---------------------------------------------------------------------------
describe('requests that are not reverse-proxied are left alone', () => {
  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL], // the forged headers sent on purpose are refused with a warning
    backends: { be: {} },
    ports: ['FWD'],
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: [
        vhost('127.0.0.1:${PORT}', [
          'SetEnv FOO bar',
          // mod_headers has no request-header format tag ("%{X}i" in a Header
          // value is its idle-workers tag, printing "i=NN"), so the request
          // header is echoed with an expression. The RequestHeader'd "!~Probe"
          // shows the echo does see "!~" request headers.
          '<Location /static.txt>',
          ' RequestHeader set "!~Probe" "probe-value"',
          ' Header always set X-Saw-Probe "expr=%{req:!~Probe}"',
          ' Header always set X-Saw-Client-Address "expr=%{req:!~Passenger-Client-Address}"',
          ' Header always set X-Saw-Envvars "expr=%{req:!~Passenger-Envvars}"',
          ' Header always set X-Saw-Proto "expr=%{req:!~Passenger-Proto}"',
          '</Location>',
          'ProxyPass /app/ ${BACKEND}/',
        ]),
        vhost('127.0.0.1:${FWD}', [
          'ProxyRequests On',
          'SetEnv FOO bar',
          'SetEnvIf Request_URI . HTTPS=on',
          'ProxyPass /rev/ ${BACKEND}/rev/',
        ], { listen: true }),
      ].join('\n'),
    }),
  });

  test('static file: the module adds no !~ request header', async () => {
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, { path: '/static.txt' }));
    assert.equal(r.status, 200);
    assert.equal(r.body, 'static file\n');
    assert.equal(got.length, 0);
    assert.equal(r.headers['x-saw-probe'], 'probe-value', 'control: the echo sees !~ request headers');
    assert.equal(r.headers['x-saw-client-address'], '');
    assert.equal(r.headers['x-saw-envvars'], '');
    assert.equal(r.headers['x-saw-proto'], '');
    // ... while a proxied request in the same server does get them
    const echo = await proxied(fx.be, fx.ap.port, { path: '/app/x' });
    assertSecure(echo, { env: [['FOO', 'bar']] });
  });

  test('forward proxy (ProxyRequests On): the backend gets no secure headers', async () => {
    const fwd = await received(fx.be, () => h.request(fx.ports.FWD, {
      path: `http://127.0.0.1:${fx.be.port}/fwd?q=1`, headers: { Host: `127.0.0.1:${fx.be.port}` },
    }));
    assert.equal(fwd.result.status, 200, fwd.result.body);
    assert.equal(fwd.got.length, 1);
    assert.equal(fwd.got[0].url, '/fwd?q=1');
    assert.deepEqual(h.secureHeaders(fwd.got[0]), []);
    assert.deepEqual(rawPairs(fwd.got[0]).map(([n]) => n), ['Host', 'Connection']);
    // control: a reverse-proxied request in the same vhost gets all three
    const rev = await proxied(fx.be, fx.ports.FWD, { path: '/rev/1' });
    assertSecure(rev, { proto: true, env: [['HTTPS', 'on'], ['FOO', 'bar']] });
    // and a forged header sent to the forward proxy is refused
    const spoof = await received(fx.be, () => h.request(fx.ports.FWD, {
      path: `http://127.0.0.1:${fx.be.port}/fwd`, headers: [['Host', `127.0.0.1:${fx.be.port}`], ['!~Passenger-Proto', 'https']],
    }));
    assert.equal(spoof.result.status, 400);
    assert.equal(spoof.got.length, 0);
  });
});
