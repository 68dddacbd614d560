// SPDX-License-Identifier: MIT
'use strict';
// The reference scenarios of mod_secure_headers' contract over every protocol:
// HTTP/1.0, HTTP/1.1 (chunked bodies), HTTP/2, TLS with and without
// +StdEnvVars, IPv6.
// Real apache2 with the built module in front of the Node echo backend
// (tests/lib/harness.js); the contract is docs/wire-format.md.
//
//   node --test tests/secure-headers-protocols.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test. Each
// group's Apache is checked after the group: a line at warn or worse that
// the group does not declare fails it (tests/lib/log.js).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const { SECURE_ORDER, REFERENCE_LINES, rawPairs, assertSecure, proxied, received, tlsRequest, vhost } = require('./lib/secure-headers');

const { encodeEnvvars } = h;

describe('reference scenarios and protocols', h.needFor({ tls: true, h2: true, modules: ['rewrite'] }), () => {
  const fx = h.useApache({
    backends: { be: {} },
    ports: ['TLS2PORT'],
    apache: ({ be }) => ({
      tls: true,
      h2: true,
      ipv6: true,
      modules: ['rewrite'],
      vars: { BACKEND: be.url },
      body: [
        // plain HTTP on PORT and on the IPv6 listener
        vhost(['127.0.0.1:${PORT}', '[::1]:${PORT6}'], REFERENCE_LINES),
        // TLS (h2 and http/1.1), no StdEnvVars
        h.tlsVhost(REFERENCE_LINES.join('\n ')),
        vhost('127.0.0.1:${TLS2PORT}', [
          'SSLEngine on',
          'SSLCertificateFile ${CERT}',
          'SSLCertificateKeyFile ${KEY}',
          'SSLOptions +StdEnvVars',
          'SetEnv FOO bar',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
      ].join('\n'),
    }),
    // mod_ssl at start-up: the TLS2PORT vhost's ServerName 127.0.0.1 is
    // neither the certificate's CN nor a DNS name of it (mod_ssl does not
    // count its IP address SAN).
    allow: [/\[ssl:warn\] .*AH01909: 127\.0\.0\.1:\d+:0 server certificate does NOT include an ID which matches the server name$/,
      h.CLIENT_REFUSAL],
  });

  test('GET / with User-Agent "special agent": the reference headers, exact', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/', headers: { 'User-Agent': 'special agent' } });
    assert.equal(echo.url, '/');
    assertSecure(echo, {
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/'],
        ['SCRIPT_URI', `http://127.0.0.1:${fx.ap.port}/`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('GET /rw/abc?q=1: RewriteRule [PT,E=RWVAR:$1] reaches the backend', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/rw/abc?q=1' });
    assert.equal(echo.url, '/target/abc?q=1');
    assertSecure(echo, {
      env: [
        ['SCRIPT_URL', '/rw/abc'],
        ['SCRIPT_URI', `http://127.0.0.1:${fx.ap.port}/rw/abc`],
        ['RWVAR', 'abc'],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('secure headers come last, in the order Proto, Client-Address, Envvars, each once', async () => {
    // Client headers that sort before and after the secure ones, plus the
    // proxy's own X-Forwarded-*: nothing may come between or after them but
    // mod_proxy_http's own Connection header.
    const echo = await proxied(fx.be, fx.ap.tlsPort, {
      tls: true,
      path: '/order',
      headers: [['A-First', '1'], ['Z-Last', '2'], ['User-Agent', 'special agent']],
    });
    const pairs = rawPairs(echo);
    const names = pairs.map(([n]) => n);
    assert.deepEqual(names.slice(-4), [...SECURE_ORDER, 'Connection']);
    for (const n of SECURE_ORDER) {
      assert.equal(names.filter((x) => x.toLowerCase() === n.toLowerCase()).length, 1, `${n} exactly once`);
    }
    // the client's headers (and mod_proxy's X-Forwarded-*) all come before them
    for (const n of ['A-First', 'Z-Last', 'User-Agent', 'X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Server']) {
      assert.ok(names.indexOf(n) >= 0 && names.indexOf(n) < names.indexOf('!~Passenger-Proto'), `${n} before the secure headers`);
    }
    assertSecure(echo, {
      proto: true,
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/order'],
        ['SCRIPT_URI', `https://127.0.0.1:${fx.ap.tlsPort}/order`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
        ['HTTPS', 'on'],
      ],
    });
  });

  test('HTTP/1.0 request (with and without Host)', async () => {
    // Without a Host header httpd builds SCRIPT_URI from the vhost's
    // ServerName (127.0.0.1, no port given): the scheme's default port.
    const noHost = await received(fx.be, () => h.request10(fx.ap.port, { path: '/ten?x=1', headers: { 'User-Agent': 'special agent' } }));
    assert.equal(noHost.result.status, 200);
    assert.equal(noHost.got.length, 1);
    assert.equal(noHost.got[0].url, '/ten?x=1');
    assertSecure(noHost.got[0], {
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/ten'],
        ['SCRIPT_URI', 'http://127.0.0.1/ten'],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
    const withHost = await received(fx.be, () => h.request10(fx.ap.port, { path: '/ten', headers: { Host: `127.0.0.1:${fx.ap.port}` } }));
    assert.equal(withHost.result.status, 200);
    assert.equal(withHost.got.length, 1);
    assertSecure(withHost.got[0], {
      env: [
        ['SCRIPT_URL', '/ten'],
        ['SCRIPT_URI', `http://127.0.0.1:${fx.ap.port}/ten`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('HTTP/1.1 POST with a chunked body', async () => {
    const echo = await proxied(fx.be, fx.ap.port, {
      method: 'POST',
      path: '/post?y=2',
      headers: [['Transfer-Encoding', 'chunked'], ['Content-Type', 'text/plain']],
      body: '5\r\nhello\r\n0\r\n\r\n',
    });
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/post?y=2');
    assert.equal(Buffer.from(echo.body, 'base64').toString(), 'hello');
    // mod_proxy_http spooled the small chunked body and sends its length
    // after the header table, like its Connection header; before 2.4.40
    // it wrote Connection first and the length when it had spooled.
    const framing = [['Content-Length', '5'], ['Connection', 'Keep-Alive']];
    assertSecure(echo, {
      trailing: h.httpdAtLeast('2.4.40') ? framing : framing.reverse(),
      env: [
        ['SCRIPT_URL', '/post'],
        ['SCRIPT_URI', `http://127.0.0.1:${fx.ap.port}/post`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('HTTP/2 over TLS (mod_http2)', async () => {
    const { result: r, got } = await received(fx.be, () => h.h2request(fx.ap.tlsPort, {
      path: '/h2?z=9', headers: { 'user-agent': 'special agent' },
    }));
    assert.equal(r.alpnProtocol, 'h2');
    assert.equal(r.status, 200);
    assert.equal(got.length, 1);
    const echo = got[0];
    assert.equal(echo.url, '/h2?z=9');
    // Names compared without case (HTTP/2 on the client side), values exact,
    // each exactly once and in the order of docs/wire-format.md.
    const sec = h.secureHeaders(echo).map(([n, v]) => [n.toLowerCase(), v]);
    assert.deepEqual(sec.map(([n]) => n), SECURE_ORDER.map((n) => n.toLowerCase()));
    assert.deepEqual(sec[0], ['!~passenger-proto', 'https']);
    assert.deepEqual(sec[1], ['!~passenger-client-address', '127.0.0.1']);
    // mod_http2 adds its own variables in its fixup; H2_STREAM_TAG is
    // "<child number>-<connection id>-<stream id>" since mod_http2 2.0
    // (httpd 2.4.55), "<connection id>-<stream id>" before.
    const env = h.decodeEnvvars(sec[2][1]);
    const tag = env.find(([k]) => k === 'H2_STREAM_TAG');
    assert.ok(tag, 'H2_STREAM_TAG present');
    assert.match(tag[1], h.httpdAtLeast('2.4.55') ? /^\d+-\d+-1$/ : /^\d+-1$/);
    const expectedEnv = [
      ['UA_SPECIAL', 'yes'],
      ['SCRIPT_URL', '/h2'],
      ['SCRIPT_URI', `https://127.0.0.1:${fx.ap.tlsPort}/h2`],
      ['FOO', 'bar'],
      ['EMPTY', ''],
      // HTTPS, and SSL_TLS_SNI when the client sent a server_name
      ...h.tlsEnv(r.sni),
      ['HTTP2', 'on'],
      ['H2PUSH', 'on'],
      ['H2_PUSH', 'on'],
      ['H2_PUSHED', ''],
      ['H2_PUSHED_ON', ''],
      ['H2_STREAM_ID', '1'],
      ['H2_STREAM_TAG', tag[1]],
    ];
    assert.deepEqual(env, expectedEnv);
    assert.equal(sec[2][1], encodeEnvvars(expectedEnv));
    // the secure headers are the last ones but for mod_proxy's Connection
    const names = rawPairs(echo).map(([n]) => n.toLowerCase());
    assert.deepEqual(names.slice(-4), [...SECURE_ORDER.map((n) => n.toLowerCase()), 'connection']);
  });

  test('HTTP/2: a spoofed !~ header is refused with 400 and never reaches the backend', async () => {
    const { result: r, got } = await received(fx.be, () => h.h2request(fx.ap.tlsPort, {
      path: '/h2spoof', headers: { '!~passenger-client-address': '6.6.6.6' },
    }));
    assert.equal(r.status, 400);
    assert.equal(r.json, null);
    assert.equal(got.length, 0);
  });

  test('TLS without StdEnvVars: !~Passenger-Proto first; mod_ssl adds only HTTPS=on', async () => {
    const echo = await proxied(fx.be, fx.ap.tlsPort, { tls: true, path: '/', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, {
      proto: true,
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/'],
        ['SCRIPT_URI', `https://127.0.0.1:${fx.ap.tlsPort}/`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
        ['HTTPS', 'on'],
      ],
    });
    assert.ok(!h.envvarsOf(echo).some(([k]) => k.startsWith('SSL_')), 'no SSL_* without +StdEnvVars');
  });

  test('TLS with SSLOptions +StdEnvVars: SSL_* values match what the client negotiated', async () => {
    const n = fx.be.requests.length;
    const t = await tlsRequest(fx.ports.TLS2PORT, { path: '/std' });
    assert.equal(t.response.status, 200, t.response.body);
    assert.equal(fx.be.requests.length, n + 1);
    const echo = fx.be.requests.at(-1);
    assert.equal(echo.url, '/std');
    const env = h.envvarsOf(echo);
    const get = (k) => { const e = env.find(([n2]) => n2 === k); return e ? e[1] : undefined; };

    // What the client knows independently of Apache:
    const cert = new crypto.X509Certificate(fs.readFileSync(fx.ap.certPath));
    const server = t.response.headers.server; // "Apache/2.4.x (Debian) OpenSSL/x.y.z"
    const apacheVersion = /Apache\/(\S+)/.exec(server)[1];
    const openssl = /(OpenSSL\/\S+)/.exec(server)[1];
    const cipherName = t.cipher.standardName || t.cipher.name;
    const m = /AES_(\d+)|CHACHA20/.exec(cipherName);
    const keyBits = m && m[1] ? m[1] : '256';
    const cn = /CN=([^,\n]+)/.exec(cert.subject)[1];
    const sessionId = get('SSL_SESSION_ID');
    assert.match(sessionId, /^[0-9a-f]{64}$/);

    const expectedEnv = [
      ['FOO', 'bar'],
      ['HTTPS', 'on'],
      ['SSL_SERVER_S_DN_CN', cn],
      ['SSL_SERVER_I_DN_CN', cn], // self-signed
      ['SSL_SERVER_SAN_DNS_0', cn], // only DNS names are exported, not the IP SANs
      ['SSL_VERSION_INTERFACE', `mod_ssl/${apacheVersion}`],
      ['SSL_VERSION_LIBRARY', openssl],
      ['SSL_PROTOCOL', t.protocol],
      ['SSL_SECURE_RENEG', 'true'],
      ['SSL_COMPRESS_METHOD', 'NULL'],
      ['SSL_CIPHER', t.cipher.name],
      ['SSL_CIPHER_EXPORT', 'false'],
      ['SSL_CIPHER_USEKEYSIZE', keyBits],
      ['SSL_CIPHER_ALGKEYSIZE', keyBits],
      ['SSL_CLIENT_VERIFY', 'NONE'],
      ['SSL_SERVER_M_VERSION', '3'],
      ['SSL_SERVER_M_SERIAL', cert.serialNumber.toUpperCase()],
      ['SSL_SERVER_V_START', cert.validFrom],
      ['SSL_SERVER_V_END', cert.validTo],
      ['SSL_SERVER_S_DN', `CN=${cn}`],
      ['SSL_SERVER_I_DN', `CN=${cn}`],
      ['SSL_SERVER_A_KEY', 'rsaEncryption'],
      ['SSL_SERVER_A_SIG', 'sha256WithRSAEncryption'],
      ['SSL_SESSION_ID', sessionId],
      ['SSL_SESSION_RESUMED', 'Initial'],
    ];
    assert.equal(t.protocol, 'TLSv1.3', 'sanity: node negotiated TLS 1.3');
    assert.ok(t.cert && t.cert.serialNumber.toUpperCase() === cert.serialNumber.toUpperCase(), 'client saw the harness certificate');
    assertSecure(echo, { proto: true, env: expectedEnv });
  });

  test('IPv6 loopback listener: !~Passenger-Client-Address is ::1', async () => {
    const echo = await proxied(fx.be, fx.ap.port6, { host: '::1', path: '/v6', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, {
      addr: '::1',
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/v6'],
        ['SCRIPT_URI', `http://[::1]:${fx.ap.port6}/v6`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });
});
