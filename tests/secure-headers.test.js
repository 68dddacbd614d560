'use strict';
// End-to-end coverage of mod_secure_headers' core contract (SPEC.md points
// 1-4): real apache2 with the built module in front of the Node echo
// backend (tests/lib/harness.js).
//
//   node --test tests/secure-headers.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const crypto = require('node:crypto');
const h = require('./lib/harness');

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const SECURE_ORDER = ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars'];

const { encodeEnvvars } = h;

/** rawHeaders of an echo as [name, value] pairs. */
function rawPairs(echo) {
  const out = [];
  for (let i = 0; i + 1 < echo.rawHeaders.length; i += 2) out.push([echo.rawHeaders[i], echo.rawHeaders[i + 1]]);
  return out;
}

/** The secure headers a request should carry: [[name, value], ...]. */
function expectedSecure({ proto = false, addr = '127.0.0.1', env }) {
  const out = [];
  if (proto) out.push(['!~Passenger-Proto', 'https']);
  if (addr) out.push(['!~Passenger-Client-Address', addr]);
  if (env !== undefined && env !== null) out.push(['!~Passenger-Envvars', encodeEnvvars(env)]);
  return out;
}

/**
 * Asserts that `echo` (what the backend received) carries exactly the
 * module's secure headers: each once, in SPEC order, with exact values
 * (Envvars compared as the exact base64 string, i.e. byte-exact and in
 * order), as the last headers of the request except for what mod_proxy_http
 * itself writes after its header table (`trailing`: Connection, Upgrade,
 * the Content-Length of a spooled body).
 */
function assertSecure(echo, { proto = false, addr = '127.0.0.1', env, trailing = [['Connection', 'Keep-Alive']] }) {
  const want = expectedSecure({ proto, addr, env });
  const got = h.secureHeaders(echo);
  if (env) {
    const dec = h.envvarsOf(echo);
    assert.deepEqual(dec, env, 'decoded !~Passenger-Envvars');
  }
  assert.deepEqual(got, want, 'the !~ headers the backend received');
  const pairs = rawPairs(echo);
  assert.deepEqual(pairs.slice(pairs.length - want.length - trailing.length), [...want, ...trailing],
    'secure headers come last (only mod_proxy_http\'s own framing headers after them)');
}

/** Runs fn() and returns the requests the backend(s) received meanwhile. */
async function received(backends, fn) {
  const list = Array.isArray(backends) ? backends : [backends];
  const before = list.map((b) => b.requests.length);
  const result = await fn();
  const got = list.map((b, i) => b.requests.slice(before[i]));
  return { result, got: Array.isArray(backends) ? got : got[0] };
}

/** One proxied request; asserts 200 and exactly one backend request, returns that echo. */
async function proxied(be, port, opts) {
  const { result: r, got } = await received(be, () => h.request(port, opts));
  assert.equal(r.status, 200, `${opts.path} -> ${r.status}: ${r.body.slice(0, 300)}`);
  assert.equal(got.length, 1, `backend received ${got.length} requests for ${opts.path}`);
  assert.deepEqual(got[0], r.json, 'the response is the echo of the one backend request');
  return got[0];
}

/** HTTP/1.1 over TLS, returning the response and what node negotiated. */
function tlsRequest(port, { path: p = '/', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const chunks = [];
    let info = null;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('tls request timeout')); }, 10000 * h.SLOWDOWN);
    sock.once('secureConnect', () => {
      info = {
        protocol: sock.getProtocol(),
        cipher: sock.getCipher(),
        cert: sock.getPeerX509Certificate ? sock.getPeerX509Certificate() : null,
      };
      sock.write(h.buildRequest({ path: p, headers, port }));
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      try {
        const [response] = h.parseResponses(Buffer.concat(chunks).toString('utf8'));
        resolve(Object.assign({ response }, info));
      } catch (e) { reject(e); }
    });
  });
}

/**
 * h.startApache() with extra listeners: picks free ports for `names` into
 * `ports` (the config sees them as ${NAME}) and starts again with new ones
 * if one was taken in the meantime (other test files run in parallel).
 */
async function startApacheWithPorts(ports, names, makeOpts) {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const n of names) ports[n] = await h.freePort();
    try {
      return await h.startApache(makeOpts());
    } catch (err) {
      lastErr = err;
      if (!err.addressInUse) throw err;
    }
  }
  throw lastErr;
}

/** Lines of an error log written by this module (any level). */
function moduleLines(text) {
  return text.split('\n').filter((l) => l.includes('[secure_headers:'));
}

function readLog(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch (_) { return ''; }
}

/**
 * A <VirtualHost> block. Everything each describe() configures lives in
 * vhosts: the main server's ProxyPass, SetEnv, SetEnvIf and RemoteIP*
 * settings would otherwise be inherited by every vhost (mod_proxy even puts
 * the main server's ProxyPass rules *before* the vhost's own).
 */
function vhost(addrs, lines, { listen = false } = {}) {
  const list = Array.isArray(addrs) ? addrs : [addrs];
  return [
    ...(listen ? list.map((a) => `Listen ${a}`) : []),
    `<VirtualHost ${list.join(' ')}>`,
    // else the name comes from a reverse lookup of the address
    ' ServerName 127.0.0.1',
    ...lines.map((l) => ` ${l}`),
    '</VirtualHost>',
  ].join('\n');
}

const SPEC_LINES = [
  'SetEnv FOO bar',
  'SetEnv EMPTY ""',
  'SetEnvIf User-Agent special UA_SPECIAL=yes',
  'RewriteEngine on',
  'RewriteRule ^/rw/(.*)$ /target/$1 [PT,E=RWVAR:$1]',
  'ProxyPass / ${BACKEND}/',
];

// ---------------------------------------------------------------------------
// 1. SPEC reference scenarios, HTTP versions, TLS, HTTP/2, IPv6
// ---------------------------------------------------------------------------
describe('SPEC reference scenarios and protocols', h.needFor({ tls: true, h2: true, modules: ['rewrite'] }), () => {
  let be; let ap; const P = {};

  before(async () => {
    be = await h.startBackend();
    ap = await startApacheWithPorts(P, ['TLS2PORT'], () => ({
      tls: true,
      h2: true,
      ipv6: true,
      modules: ['rewrite'],
      vars: Object.assign({ BACKEND: be.url }, P),
      body: [
        // plain HTTP on PORT and on the IPv6 listener
        vhost(['127.0.0.1:${PORT}', '[::1]:${PORT6}'], SPEC_LINES),
        // TLS (h2 and http/1.1), no StdEnvVars
        h.tlsVhost(SPEC_LINES.join('\n ')),
        vhost('127.0.0.1:${TLS2PORT}', [
          'SSLEngine on',
          'SSLCertificateFile ${CERT}',
          'SSLCertificateKeyFile ${KEY}',
          'SSLOptions +StdEnvVars',
          'SetEnv FOO bar',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
      ].join('\n'),
    }));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('GET / with User-Agent "special agent": the reference headers, exact', async () => {
    const echo = await proxied(be, ap.port, { path: '/', headers: { 'User-Agent': 'special agent' } });
    assert.equal(echo.url, '/');
    assertSecure(echo, {
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/'],
        ['SCRIPT_URI', `http://127.0.0.1:${ap.port}/`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('GET /rw/abc?q=1: RewriteRule [PT,E=RWVAR:$1] reaches the backend', async () => {
    const echo = await proxied(be, ap.port, { path: '/rw/abc?q=1' });
    assert.equal(echo.url, '/target/abc?q=1');
    assertSecure(echo, {
      env: [
        ['SCRIPT_URL', '/rw/abc'],
        ['SCRIPT_URI', `http://127.0.0.1:${ap.port}/rw/abc`],
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
    const echo = await proxied(be, ap.tlsPort, {
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
        ['SCRIPT_URI', `https://127.0.0.1:${ap.tlsPort}/order`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
        ['HTTPS', 'on'],
      ],
    });
  });

  test('HTTP/1.0 request (with and without Host)', async () => {
    // Without a Host header httpd builds SCRIPT_URI from the vhost's
    // ServerName (127.0.0.1, no port given): the scheme's default port.
    const noHost = await received(be, () => h.request10(ap.port, { path: '/ten?x=1', headers: { 'User-Agent': 'special agent' } }));
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
    const withHost = await received(be, () => h.request10(ap.port, { path: '/ten', headers: { Host: `127.0.0.1:${ap.port}` } }));
    assert.equal(withHost.result.status, 200);
    assert.equal(withHost.got.length, 1);
    assertSecure(withHost.got[0], {
      env: [
        ['SCRIPT_URL', '/ten'],
        ['SCRIPT_URI', `http://127.0.0.1:${ap.port}/ten`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('HTTP/1.1 POST with a chunked body', async () => {
    const echo = await proxied(be, ap.port, {
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
        ['SCRIPT_URI', `http://127.0.0.1:${ap.port}/post`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });

  test('HTTP/2 over TLS (mod_http2)', async () => {
    const { result: r, got } = await received(be, () => h.h2request(ap.tlsPort, {
      path: '/h2?z=9', headers: { 'user-agent': 'special agent' },
    }));
    assert.equal(r.alpnProtocol, 'h2');
    assert.equal(r.status, 200);
    assert.equal(got.length, 1);
    const echo = got[0];
    assert.equal(echo.url, '/h2?z=9');
    // Names compared without case (HTTP/2 on the client side), values exact,
    // each exactly once and in SPEC order.
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
      ['SCRIPT_URI', `https://127.0.0.1:${ap.tlsPort}/h2`],
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
    const { result: r, got } = await received(be, () => h.h2request(ap.tlsPort, {
      path: '/h2spoof', headers: { '!~passenger-client-address': '6.6.6.6' },
    }));
    assert.equal(r.status, 400);
    assert.equal(r.json, null);
    assert.equal(got.length, 0);
  });

  test('TLS without StdEnvVars: !~Passenger-Proto first; mod_ssl adds only HTTPS=on', async () => {
    const echo = await proxied(be, ap.tlsPort, { tls: true, path: '/', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, {
      proto: true,
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/'],
        ['SCRIPT_URI', `https://127.0.0.1:${ap.tlsPort}/`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
        ['HTTPS', 'on'],
      ],
    });
    assert.ok(!h.envvarsOf(echo).some(([k]) => k.startsWith('SSL_')), 'no SSL_* without +StdEnvVars');
  });

  test('TLS with SSLOptions +StdEnvVars: SSL_* values match what the client negotiated', async () => {
    const n = be.requests.length;
    const t = await tlsRequest(P.TLS2PORT, { path: '/std' });
    assert.equal(t.response.status, 200, t.response.body);
    assert.equal(be.requests.length, n + 1);
    const echo = be.requests.at(-1);
    assert.equal(echo.url, '/std');
    const env = h.envvarsOf(echo);
    const get = (k) => { const e = env.find(([n2]) => n2 === k); return e ? e[1] : undefined; };

    // What the client knows independently of Apache:
    const cert = new crypto.X509Certificate(fs.readFileSync(ap.certPath));
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
    const echo = await proxied(be, ap.port6, { host: '::1', path: '/v6', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, {
      addr: '::1',
      env: [
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/v6'],
        ['SCRIPT_URI', `http://[::1]:${ap.port6}/v6`],
        ['FOO', 'bar'],
        ['EMPTY', ''],
      ],
    });
  });
});

// ---------------------------------------------------------------------------
// 2. mod_remoteip decides !~Passenger-Client-Address
// ---------------------------------------------------------------------------
describe('mod_remoteip', h.needFor({ modules: ['remoteip'] }), () => {
  let be; let ap; const P = {};

  before(async () => {
    be = await h.startBackend();
    ap = await startApacheWithPorts(P, ['XFF_INTERNAL', 'XFF_TRUSTED'], () => ({
      modules: ['remoteip'],
      vars: Object.assign({ BACKEND: be.url }, P),
      body: [
        // X-Real-IP set by an internal proxy
        vhost('127.0.0.1:${PORT}', [
          'RemoteIPHeader X-Real-IP',
          'RemoteIPInternalProxy 127.0.0.1',
          'SetEnv FOO bar',
          'ProxyPass / ${BACKEND}/',
        ]),
        vhost('127.0.0.1:${XFF_INTERNAL}', [
          'RemoteIPHeader X-Forwarded-For',
          'RemoteIPInternalProxy 127.0.0.1 10.0.0.1',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
        vhost('127.0.0.1:${XFF_TRUSTED}', [
          'RemoteIPHeader X-Forwarded-For',
          'RemoteIPTrustedProxy 127.0.0.1 10.0.0.1 198.51.100.1',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
      ].join('\n'),
    }));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('RemoteIPHeader X-Real-IP + RemoteIPInternalProxy 127.0.0.1 -> 203.0.113.9', async () => {
    const echo = await proxied(be, ap.port, { path: '/rip', headers: { 'X-Real-IP': '203.0.113.9' } });
    assertSecure(echo, { addr: '203.0.113.9', env: [['FOO', 'bar']] });
    assert.equal(echo.headers['x-real-ip'], undefined, 'mod_remoteip consumed X-Real-IP');
    const plain = await proxied(be, ap.port, { path: '/rip' });
    assertSecure(plain, { addr: '127.0.0.1', env: [['FOO', 'bar']] });
  });

  test('proxy chain: X-Forwarded-For "203.0.113.7, 10.0.0.1" through internal proxies -> 203.0.113.7', async () => {
    const echo = await proxied(be, P.XFF_INTERNAL, { path: '/chain', headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' } });
    assertSecure(echo, { addr: '203.0.113.7', env: null });
    // mod_remoteip consumed the whole header; mod_proxy then added the verdict
    assert.equal(echo.headers['x-forwarded-for'], '203.0.113.7');
  });

  test('an untrusted hop stops the walk: it becomes the client address', async () => {
    const echo = await proxied(be, P.XFF_INTERNAL, {
      path: '/chain', headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.2, 10.0.0.1' },
    });
    assertSecure(echo, { addr: '198.51.100.2', env: null });
    // the part left of the untrusted hop stays in the header for the app
    assert.equal(echo.headers['x-forwarded-for'], '203.0.113.7, 198.51.100.2');
  });

  test('RemoteIPTrustedProxy: a public chain is walked; a private address in the header stops it', async () => {
    // 127.0.0.1 (the connection) and 198.51.100.1 are trusted proxies.
    const pub = await proxied(be, P.XFF_TRUSTED, { path: '/t', headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.1' } });
    assertSecure(pub, { addr: '203.0.113.7', env: null });
    // httpd: addresses from private ranges presented by a *trusted* (not
    // internal) proxy are never accepted as the client, even when listed in
    // RemoteIPTrustedProxy: the walk stops at once and the connection's
    // address stays the client's.
    const priv = await proxied(be, P.XFF_TRUSTED, { path: '/t', headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' } });
    assertSecure(priv, { addr: '127.0.0.1', env: null });
    assert.equal(priv.headers['x-forwarded-for'], '203.0.113.7, 10.0.0.1, 127.0.0.1');
  });
});

// ---------------------------------------------------------------------------
// 3. Environment directives: SetEnv / UnsetEnv / SetEnvIf, vhost and
//    <Location>; encoding details (empty env, SCRIPT_NAME, UTF-8, duplicates)
// ---------------------------------------------------------------------------
describe('environment directives and encoding', () => {
  let be; let ap; const P = {};

  before(async () => {
    be = await h.startBackend();
    const vh = (port, lines) => vhost(`127.0.0.1:\${${port}}`, [...lines, 'ProxyPass / ${BACKEND}/'], { listen: true });
    ap = await startApacheWithPorts(P, ['EMPTYENV', 'ONLYSKIPPED', 'SKIPCASE', 'BYTES', 'DUPS'], () => ({
      vars: Object.assign({ BACKEND: be.url }, P),
      body: [
        // vhost-level and location-level environment
        vhost('127.0.0.1:${PORT}', [
          'SetEnv V1 vhost',
          'SetEnv V2 vhost',
          'SetEnvIf User-Agent special UA_SPECIAL=yes',
          '<Location /loc>',
          ' SetEnv L1 loc',
          ' SetEnv V1 override',
          ' UnsetEnv V2',
          ' SetEnvIf User-Agent special LOCIF=1',
          '</Location>',
          'ProxyPass / ${BACKEND}/',
        ]),
        vh('EMPTYENV', []),
        vh('ONLYSKIPPED', ['SetEnv SCRIPT_NAME x', 'SetEnv PATH_INFO y']),
        // SetEnvIf and mod_env keep separate tables that are appended, so the
        // environment holds SCRIPT_NAME *and* script_name.
        vh('SKIPCASE', [
          'SetEnvIf Request_URI ^ SCRIPT_NAME=upper PATH_INFO=upper',
          'SetEnv script_name lower',
          'SetEnv path_info p',
          'SetEnv Script_Name2 q',
          'SetEnv AFTER 1',
        ]),
        vh('BYTES', ['SetEnv UTF8 "héllo →"', 'SetEnv EMPTY ""', 'SetEnv SPACES "a b  c "', 'SetEnv QUOTE "say \\"hi\\""']),
        vh('DUPS', ['SetEnvIf User-Agent special FOO=fromsetenvif', 'SetEnv FOO bar']),
      ].join('\n'),
    }));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('vhost level: SetEnvIf then SetEnv, in that order', async () => {
    const echo = await proxied(be, ap.port, { path: '/other', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['UA_SPECIAL', 'yes'], ['V1', 'vhost'], ['V2', 'vhost']] });
  });

  test('<Location> level: SetEnv overrides in place, adds after, UnsetEnv removes the vhost SetEnv', async () => {
    const echo = await proxied(be, ap.port, { path: '/loc/x', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['UA_SPECIAL', 'yes'], ['LOCIF', '1'], ['V1', 'override'], ['L1', 'loc']] });
    const noUa = await proxied(be, ap.port, { path: '/loc/x', headers: { 'User-Agent': 'other' } });
    assertSecure(noUa, { env: [['V1', 'override'], ['L1', 'loc']] });
  });

  test('empty environment: no !~Passenger-Envvars header at all', async () => {
    const echo = await proxied(be, P.EMPTYENV, { path: '/e?x', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: null });
    assert.equal(echo.headers['!~passenger-envvars'], undefined);
  });

  test('environment holding only SCRIPT_NAME/PATH_INFO: Envvars present with an empty value', async () => {
    const echo = await proxied(be, P.ONLYSKIPPED, { path: '/s' });
    assert.deepEqual(h.secureHeaders(echo), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', ''],
    ]);
    assert.deepEqual(rawPairs(echo).slice(-3), [
      ['!~Passenger-Client-Address', '127.0.0.1'], ['!~Passenger-Envvars', ''], ['Connection', 'Keep-Alive'],
    ]);
    assert.equal(echo.url, '/s', 'the backend URL is not affected by SCRIPT_NAME/PATH_INFO');
  });

  test('SCRIPT_NAME/PATH_INFO left out (case-sensitive): script_name, path_info kept', async () => {
    const echo = await proxied(be, P.SKIPCASE, { path: '/some/path' });
    assertSecure(echo, {
      env: [['script_name', 'lower'], ['path_info', 'p'], ['Script_Name2', 'q'], ['AFTER', '1']],
    });
  });

  test('UTF-8, empty, spaces and quotes are byte-exact', async () => {
    const echo = await proxied(be, P.BYTES, { path: '/' });
    const env = [['UTF8', 'héllo →'], ['EMPTY', ''], ['SPACES', 'a b  c '], ['QUOTE', 'say "hi"']];
    assertSecure(echo, { env });
    const b64 = h.secureHeaders(echo).at(-1)[1];
    assert.ok(Buffer.from(b64, 'base64').equals(Buffer.from('UTF8\0h\xc3\xa9llo \xe2\x86\x92\0EMPTY\0\0SPACES\0a b  c \0QUOTE\0say "hi"\0', 'latin1')));
    assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, 'standard alphabet, padded, no line breaks');
  });

  test('duplicate names are kept, in table order (SetEnvIf FOO + SetEnv FOO)', async () => {
    const echo = await proxied(be, P.DUPS, { path: '/', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['FOO', 'fromsetenvif'], ['FOO', 'bar']] });
    const other = await proxied(be, P.DUPS, { path: '/', headers: { 'User-Agent': 'other' } });
    assertSecure(other, { env: [['FOO', 'bar']] });
  });
});

// ---------------------------------------------------------------------------
// 4. Every way mod_proxy forwards a request
// ---------------------------------------------------------------------------
const FORMS_MODULES = ['rewrite', 'remoteip', 'include', 'dir', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_wstunnel'];
describe('proxy forms, internal redirects, subrequests, keep-alive', h.needFor({ tls: true, modules: FORMS_MODULES }), () => {
  let be; let beA; let beB; let bews; let bewss; let ap;

  before(async () => {
    be = await h.startBackend();
    beA = await h.startBackend();
    beB = await h.startBackend();
    bews = await h.startBackend();
    bewss = await h.startBackend();
    ap = await h.startApache({
      tls: true,
      modules: FORMS_MODULES,
      vars: { BACKEND: be.url, BACKEND_A: beA.url, BACKEND_B: beB.url },
      body: [
        vhost('127.0.0.1:${PORT}', [
          'SetEnv FOO bar',
          'SetEnvIf User-Agent special UA_SPECIAL=yes',
          'RemoteIPHeader X-Real-IP',
          'RemoteIPInternalProxy 127.0.0.1',
          'RewriteEngine on',
          'RewriteRule ^/srv/(.*)$ ${BACKEND}/s/$1 [P,E=SRV:$1]',
          'RewriteRule ^/pt/(.*)$ /proxied/$1 [PT,E=PTV:$1]',
          '<Directory "${DIR}/htdocs">',
          ' RewriteEngine on',
          ' RewriteRule ^dir/(.*)$ ${BACKEND}/d/$1 [P,E=DIRV:$1]',
          ' Options +Includes',
          '</Directory>',
          '<Directory "${DIR}/htdocs/idx">',
          ' DirectoryIndex /proxied/index',
          '</Directory>',
          'AddOutputFilter INCLUDES .shtml',
          'ProxyPassMatch ^/m/(\\d+)$ ${BACKEND}/match/$1',
          '<Location /x>',
          ' SetEnv LOCX 1',
          ' ProxyPass ${BACKEND}/y',
          '</Location>',
          '<Location /sh>',
          ' SetHandler "proxy:${BACKEND}"',
          '</Location>',
          '<Proxy balancer://pair>',
          ' BalancerMember ${BACKEND_A}',
          ' BalancerMember ${BACKEND_B}',
          '</Proxy>',
          'ProxyPass /bal/ balancer://pair/',
          h.websocketProxyPass('/ws/', `${bews.url}/`),
          'ProxyPass /eo/ ${BACKEND}/eo/',
          '<Location /eo/>',
          ' ProxyErrorOverride On',
          ' SetEnv EO only-first',
          '</Location>',
          'ProxyPass /proxied/ ${BACKEND}/p/',
          'ErrorDocument 404 /proxied/err',
          '<Location /opheader>',
          ' RequestHeader set "!~Operator" "set-by-config"',
          '</Location>',
        ]),
        h.tlsVhost(`SetEnv FOO bar\n ${h.websocketProxyPass('/ws/', `${bewss.url}/`)}`),
      ].join('\n'),
    });
    fs.mkdirSync(path.join(ap.dir, 'htdocs', 'idx'));
    fs.writeFileSync(path.join(ap.dir, 'htdocs', 'inc.shtml'), 'A<!--#include virtual="/proxied/sub?x=1" -->B\n');
  });

  after(async () => {
    if (ap) await ap.stop();
    for (const b of [be, beA, beB, bews, bewss]) if (b) await b.close();
  });

  const uri = (p) => `http://127.0.0.1:${ap.port}${p}`;

  test('RewriteRule [P] in server context', async () => {
    const echo = await proxied(be, ap.port, { path: '/srv/a?b=1', headers: { 'User-Agent': 'special agent' } });
    assert.equal(echo.url, '/s/a?b=1');
    // No ProxyPass worker matches this URL: mod_proxy uses its default
    // worker and marks the request proxy-nokeepalive (in the environment,
    // before the module reads it)
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/srv/a'], ['SCRIPT_URI', uri('/srv/a')], ['SRV', 'a'], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('RewriteRule [P] in directory context (<Directory> without .htaccess)', async () => {
    const echo = await proxied(be, ap.port, { path: '/dir/q?b=2' });
    assert.equal(echo.url, '/d/q?b=2');
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['SCRIPT_URL', '/dir/q'], ['SCRIPT_URI', uri('/dir/q')], ['DIRV', 'q'], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('ProxyPassMatch', async () => {
    const echo = await proxied(be, ap.port, { path: '/m/42?c' });
    assert.equal(echo.url, '/match/42?c');
    // a ProxyPassMatch worker whose URL has "$1" is not reused: Connection:
    // close. Before 2.4.47 no worker matched such a URL: the default
    // worker served it, and said so in the environment (proxy-nokeepalive).
    const env = [['SCRIPT_URL', '/m/42'], ['SCRIPT_URI', uri('/m/42')], ['FOO', 'bar']];
    if (!h.httpdAtLeast('2.4.47')) env.push(['proxy-nokeepalive', '1']);
    assertSecure(echo, { trailing: [['Connection', 'close']], env });
  });

  test('<Location /x> ProxyPass ${BACKEND}/y </Location>', async () => {
    const echo = await proxied(be, ap.port, { path: '/x/zz?c' });
    assert.equal(echo.url, '/y/zz?c');
    assertSecure(echo, { env: [['SCRIPT_URL', '/x/zz'], ['SCRIPT_URI', uri('/x/zz')], ['FOO', 'bar'], ['LOCX', '1']] });
  });

  test('SetHandler "proxy:${BACKEND}" in a <Location>', async () => {
    const echo = await proxied(be, ap.port, { path: '/sh?z=1' });
    // mod_proxy's handler form appends r->filename to the handler's URL,
    // and since 2.4.60 (which canonicalizes it) the query string
    assert.equal(echo.url, `${path.join(ap.dir, 'htdocs', 'sh')}${h.httpdAtLeast('2.4.60') ? '?z=1' : ''}`);
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['SCRIPT_URL', '/sh'], ['SCRIPT_URI', uri('/sh')], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('balancer:// with two members: both are used, every request carries the headers', async () => {
    const seen = { [beA.url]: 0, [beB.url]: 0 };
    for (let i = 0; i < 6; i++) {
      const { result: r, got } = await received([beA, beB], () => h.request(ap.port, { path: `/bal/b${i}`, headers: { 'X-Real-IP': `203.0.113.${i + 1}` } }));
      assert.equal(r.status, 200);
      const all = [...got[0], ...got[1]];
      assert.equal(all.length, 1, 'exactly one member received the request');
      const member = got[0].length ? beA : beB;
      seen[member.url]++;
      assert.equal(all[0].url, `/b${i}`);
      assertSecure(all[0], {
        addr: `203.0.113.${i + 1}`,
        env: [
          ['SCRIPT_URL', `/bal/b${i}`],
          ['SCRIPT_URI', uri(`/bal/b${i}`)],
          ['FOO', 'bar'],
          ['BALANCER_NAME', 'balancer://pair'],
          ['BALANCER_WORKER_NAME', member.url],
          ['BALANCER_WORKER_ROUTE', ''],
        ],
      });
    }
    assert.ok(seen[beA.url] >= 1 && seen[beB.url] >= 1, `both members used: ${JSON.stringify(seen)}`);
  });

  // upgrade=websocket, or ws:// through mod_proxy_wstunnel before 2.4.47
  test('WebSocket upgrade (upgrade=websocket), plain and over TLS', async () => {
    const plain = await received(bews, () => h.websocket(ap.port, '/ws/chat?room=1', { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.50' }));
    assert.equal(plain.result.status, 101);
    assert.ok(plain.result.acceptOk);
    assert.equal(plain.got.length, 1);
    assert.deepEqual(plain.got[0], plain.result.json);
    assert.equal(plain.got[0].url, '/chat?room=1');
    assertSecure(plain.got[0], {
      addr: '203.0.113.50',
      trailing: h.websocketFraming(),
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/ws/chat'], ['SCRIPT_URI', uri('/ws/chat')], ['FOO', 'bar']],
    });

    const secure = await received(bewss, () => h.websocket(ap.tlsPort, '/ws/s', {}, { tls: true }));
    assert.equal(secure.result.status, 101);
    assert.ok(secure.result.acceptOk);
    assert.equal(secure.got.length, 1);
    assert.equal(secure.got[0].url, '/s');
    assertSecure(secure.got[0], {
      proto: true,
      trailing: h.websocketFraming(),
      env: [['FOO', 'bar'], ['HTTPS', 'on']],
    });
  });

  test('internal redirect: ErrorDocument 404 to a proxied path', async () => {
    const { result: r, got } = await received(be, () => h.request(ap.port, {
      path: '/missing.html', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.5' },
    }));
    // httpd passes on the status of the proxied error document (200 here)
    assert.equal(r.status, 200);
    assert.equal(got.length, 1, 'one backend request');
    assert.equal(got[0].url, '/p/err');
    assertSecure(got[0], {
      addr: '203.0.113.5',
      env: [
        ['REDIRECT_UA_SPECIAL', 'yes'],
        ['REDIRECT_SCRIPT_URL', '/missing.html'],
        ['REDIRECT_SCRIPT_URI', uri('/missing.html')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        // mod_rewrite gives a redirected request the original SCRIPT_URL
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/missing.html'],
        ['SCRIPT_URI', uri('/missing.html')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect after a proxied request (ProxyErrorOverride + ErrorDocument): fresh headers for each', async () => {
    // The first request was proxied (and got its secure headers); its 404 is
    // replaced by an ErrorDocument that is proxied too. The redirected
    // request must carry one set computed for itself, not the first one's.
    const { result: r, got } = await received(be, () => h.request(ap.port, {
      path: '/eo/status/404?q', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.9' },
    }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 2);
    assert.deepEqual(got.map((e) => e.url), ['/eo/status/404?q', '/p/err']);
    assertSecure(got[0], {
      addr: '203.0.113.9',
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/eo/status/404'], ['SCRIPT_URI', uri('/eo/status/404')], ['FOO', 'bar'], ['EO', 'only-first']],
    });
    assertSecure(got[1], {
      addr: '203.0.113.9',
      env: [
        ['REDIRECT_UA_SPECIAL', 'yes'],
        ['REDIRECT_SCRIPT_URL', '/eo/status/404'],
        ['REDIRECT_SCRIPT_URI', uri('/eo/status/404')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_EO', 'only-first'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/eo/status/404'],
        ['SCRIPT_URI', uri('/eo/status/404')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect of a request that a server rule gave a "!~" header: the redirect is served, the header stripped', async () => {
    // RequestHeader (a fixup) puts "!~Operator" into the original request's
    // headers; ap_internal_redirect() hands those headers to the ErrorDocument
    // request. That header came from the server, not the client: mod_proxy's
    // fixup strips it, so the backend must see only the module's headers.
    const { result: r, got } = await received(be, () => h.request(ap.port, { path: '/opheader/missing.html' }));
    assert.equal(got.length, 1, 'the proxied ErrorDocument was fetched');
    assert.equal(r.status, 200);
    assert.equal(got[0].url, '/p/err');
    assertSecure(got[0], {
      env: [
        ['REDIRECT_SCRIPT_URL', '/opheader/missing.html'],
        ['REDIRECT_SCRIPT_URI', uri('/opheader/missing.html')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        ['SCRIPT_URL', '/opheader/missing.html'],
        ['SCRIPT_URI', uri('/opheader/missing.html')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect: DirectoryIndex pointing at a proxied URL', async () => {
    const { result: r, got } = await received(be, () => h.request(ap.port, { path: '/idx/', headers: { 'X-Real-IP': '203.0.113.6' } }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 1);
    assert.equal(got[0].url, '/p/index');
    // mod_dir's fast redirect appends the original request's environment to
    // the subrequest's (which started as a copy of it): httpd's own
    // duplication, passed on in table order. The subrequest's SCRIPT_URI has
    // no port (its parsed URI carries none).
    assertSecure(got[0], {
      addr: '203.0.113.6',
      env: [
        ['SCRIPT_URL', '/idx/'],
        ['SCRIPT_URI', 'http://127.0.0.1/idx/'],
        ['FOO', 'bar'],
        ['FOO', 'bar'],
        ['SCRIPT_URL', '/idx/'],
        ['SCRIPT_URI', uri('/idx/')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('RewriteRule [PT] to a proxied path', async () => {
    const echo = await proxied(be, ap.port, { path: '/pt/a?b', headers: { 'X-Real-IP': '203.0.113.7' } });
    assert.equal(echo.url, '/p/a?b');
    assertSecure(echo, {
      addr: '203.0.113.7',
      env: [['SCRIPT_URL', '/pt/a'], ['SCRIPT_URI', uri('/pt/a')], ['PTV', 'a'], ['FOO', 'bar']],
    });
  });

  test('subrequest: mod_include <!--#include virtual="/proxied/sub" -->', async () => {
    const { result: r, got } = await received(be, () => h.request(ap.port, {
      path: '/inc.shtml', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.8' },
    }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 1, 'only the subrequest reaches the backend');
    const sub = got[0];
    assert.equal(sub.url, '/p/sub?x=1');
    assert.ok(r.body.startsWith('A{') && r.body.endsWith('}B\n'), 'the echo is included in the page');
    assert.deepEqual(JSON.parse(r.body.slice(1, -2)), sub);
    // The subrequest inherits the page's environment, to which mod_include
    // has added the CGI variables; then its own hooks run: mod_rewrite sets
    // SCRIPT_URL/SCRIPT_URI again *in place* (a subrequest keeps the main
    // request's SCRIPT_URL), mod_env appends FOO once more.
    const env = h.envvarsOf(sub);
    const remotePort = (env.find(([k]) => k === 'REMOTE_PORT') || [])[1];
    assert.match(remotePort, /^\d+$/);
    const docroot = path.join(ap.dir, 'htdocs');
    const expectedEnv = [
      ['UA_SPECIAL', 'yes'],
      ['SCRIPT_URL', '/inc.shtml'],
      // rewritten by the subrequest, whose parsed URI has no port (and
      // ServerName none): the scheme's default port, so none is shown
      ['SCRIPT_URI', 'http://127.0.0.1/inc.shtml'],
      ['FOO', 'bar'],
      ['HTTP_HOST', `127.0.0.1:${ap.port}`],
      ['HTTP_USER_AGENT', 'special agent'],
      ['HTTP_CONNECTION', 'close'],
      ['PATH', process.env.PATH],
      // httpd passes its own LD_LIBRARY_PATH on; a wrapper (valgrind, for
      // make test-valgrind) sets one of its own.
      ...(process.env.SHTEST_APACHE_WRAPPER
        ? env.filter(([k]) => k === 'LD_LIBRARY_PATH')
        : process.env.LD_LIBRARY_PATH ? [['LD_LIBRARY_PATH', process.env.LD_LIBRARY_PATH]] : []),
      ['SERVER_SIGNATURE', ''],
      ['SERVER_SOFTWARE', r.headers.server],
      ['SERVER_NAME', '127.0.0.1'],
      ['SERVER_ADDR', '127.0.0.1'],
      ['SERVER_PORT', String(ap.port)],
      ['REMOTE_ADDR', '203.0.113.8'],
      ['DOCUMENT_ROOT', docroot],
      ['REQUEST_SCHEME', 'http'],
      ['CONTEXT_PREFIX', ''],
      ['CONTEXT_DOCUMENT_ROOT', docroot],
      ['SERVER_ADMIN', '[no address given]'],
      ['SCRIPT_FILENAME', path.join(docroot, 'inc.shtml')],
      ['REMOTE_PORT', remotePort],
      ['GATEWAY_INTERFACE', 'CGI/1.1'],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['REQUEST_METHOD', 'GET'],
      ['QUERY_STRING', ''],
      ['REQUEST_URI', '/inc.shtml'],
      ['DATE_LOCAL', ''],
      ['DATE_GMT', ''],
      ['LAST_MODIFIED', ''],
      ['DOCUMENT_URI', '/inc.shtml'],
      ['DOCUMENT_ARGS', ''],
      ['USER_NAME', ''],
      ['DOCUMENT_NAME', 'inc.shtml'],
      ['FOO', 'bar'],
    ];
    assertSecure(sub, { addr: '203.0.113.8', trailing: [['Connection', 'close']], env: expectedEnv });
  });

  test('keep-alive: each request on one client connection carries its own values', async () => {
    const { result: rs, got } = await received(be, () => h.keepAlive(ap.port, [
      { path: '/proxied/k1', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.1' } },
      { path: '/proxied/k2', headers: { 'User-Agent': 'other', 'X-Real-IP': '203.0.113.2' } },
      { path: '/proxied/k3', headers: { 'User-Agent': 'special agent' } },
      { path: '/proxied/k4', headers: { 'User-Agent': 'other', 'X-Real-IP': '203.0.113.4' } },
    ]));
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(new Set(rs.map((r) => r.localPort)).size, 1, 'one client connection');
    assert.equal(got.length, 4);
    assert.deepEqual(got.map((e) => e.url), ['/p/k1', '/p/k2', '/p/k3', '/p/k4']);
    const env = (p, special) => [
      ...(special ? [['UA_SPECIAL', 'yes']] : []),
      ['SCRIPT_URL', `/proxied/${p}`], ['SCRIPT_URI', uri(`/proxied/${p}`)], ['FOO', 'bar'],
    ];
    assertSecure(got[0], { addr: '203.0.113.1', env: env('k1', true) });
    assertSecure(got[1], { addr: '203.0.113.2', env: env('k2', false) });
    assertSecure(got[2], { addr: '127.0.0.1', env: env('k3', true) });
    assertSecure(got[3], { addr: '203.0.113.4', env: env('k4', false) });
  });
});

// ---------------------------------------------------------------------------
// 5. SecureHeaders Off / On
// ---------------------------------------------------------------------------
describe('SecureHeaders Off', () => {
  let be; let ap; const P = {};

  before(async () => {
    be = await h.startBackend();
    ap = await startApacheWithPorts(P, ['VHOSTOFF'], () => ({
      vars: Object.assign({ BACKEND: be.url }, P),
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
    }));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('SecureHeaders Off in a <Location>: nothing added there, other locations unaffected', async () => {
    const off = await proxied(be, ap.port, { path: '/off/1' });
    assert.equal(off.url, '/off/1');
    assert.deepEqual(h.secureHeaders(off), []);
    const on = await proxied(be, ap.port, { path: '/on/1' });
    assertSecure(on, { env: [['FOO', 'bar']] });
  });

  test('spoofed requests to the Off location still get 400 and never reach the backend', async () => {
    for (const name of ['!~Passenger-Client-Address', '!~Passenger-Envvars', '!~passenger-proto']) {
      const { result: r, got } = await received(be, () => h.request(ap.port, { path: '/off/spoof', headers: [[name, 'forged']] }));
      assert.equal(r.status, 400, name);
      assert.equal(r.json, null);
      assert.equal(got.length, 0, `${name}: backend not reached`);
    }
  });

  test('SecureHeaders Off for a vhost, On in one of its locations', async () => {
    const a = await proxied(be, P.VHOSTOFF, { path: '/a/1' });
    assert.deepEqual(h.secureHeaders(a), []);
    const b = await proxied(be, P.VHOSTOFF, { path: '/b/1' });
    assertSecure(b, { env: [['FOO', 'bar']] });
    const spoof = await received(be, () => h.request(P.VHOSTOFF, { path: '/a/1', headers: [['!~Passenger-Client-Address', '6.6.6.6']] }));
    assert.equal(spoof.result.status, 400);
    assert.equal(spoof.got.length, 0);
  });
});

// ---------------------------------------------------------------------------
// 6. Requests that are not proxied (static files, forward proxy)
// ---------------------------------------------------------------------------
describe('requests that are not reverse-proxied are left alone', () => {
  let be; let ap; const P = {};

  before(async () => {
    be = await h.startBackend();
    ap = await startApacheWithPorts(P, ['FWD'], () => ({
      vars: Object.assign({ BACKEND: be.url }, P),
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
    }));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('static file: the module adds no !~ request header', async () => {
    const { result: r, got } = await received(be, () => h.request(ap.port, { path: '/static.txt' }));
    assert.equal(r.status, 200);
    assert.equal(r.body, 'static file\n');
    assert.equal(got.length, 0);
    assert.equal(r.headers['x-saw-probe'], 'probe-value', 'control: the echo sees !~ request headers');
    assert.equal(r.headers['x-saw-client-address'], '');
    assert.equal(r.headers['x-saw-envvars'], '');
    assert.equal(r.headers['x-saw-proto'], '');
    // ... while a proxied request in the same server does get them
    const echo = await proxied(be, ap.port, { path: '/app/x' });
    assertSecure(echo, { env: [['FOO', 'bar']] });
  });

  test('forward proxy (ProxyRequests On): the backend gets no secure headers', async () => {
    const fwd = await received(be, () => h.request(P.FWD, {
      path: `http://127.0.0.1:${be.port}/fwd?q=1`, headers: { Host: `127.0.0.1:${be.port}` },
    }));
    assert.equal(fwd.result.status, 200, fwd.result.body);
    assert.equal(fwd.got.length, 1);
    assert.equal(fwd.got[0].url, '/fwd?q=1');
    assert.deepEqual(h.secureHeaders(fwd.got[0]), []);
    assert.deepEqual(rawPairs(fwd.got[0]).map(([n]) => n), ['Host', 'Connection']);
    // control: a reverse-proxied request in the same vhost gets all three
    const rev = await proxied(be, P.FWD, { path: '/rev/1' });
    assertSecure(rev, { proto: true, env: [['HTTPS', 'on'], ['FOO', 'bar']] });
    // and a forged header sent to the forward proxy is refused
    const spoof = await received(be, () => h.request(P.FWD, {
      path: `http://127.0.0.1:${be.port}/fwd`, headers: [['Host', `127.0.0.1:${be.port}`], ['!~Passenger-Proto', 'https']],
    }));
    assert.equal(spoof.result.status, 400);
    assert.equal(spoof.got.length, 0);
  });
});

// ---------------------------------------------------------------------------
// 7. Rejection basics and logging
// ---------------------------------------------------------------------------
describe('rejection and logging', () => {
  let be; let ap; const P = {};
  let infoLog; let warnLog; let debugLog;

  before(async () => {
    be = await h.startBackend();
    ap = await startApacheWithPorts(P, ['INFO', 'DEBUG'], () => ({
      vars: Object.assign({ BACKEND: be.url }, P),
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
    }));
    infoLog = () => readLog(path.join(ap.dir, 'info_log'));
    warnLog = () => readLog(path.join(ap.dir, 'warn_log'));
    debugLog = () => readLog(path.join(ap.dir, 'debug_log'));
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  test('!~Passenger-Client-Address: 6.6.6.6 -> 400, backend not reached', async () => {
    for (const port of [ap.port, P.INFO]) {
      const { result: r, got } = await received(be, () => h.request(port, {
        path: '/spoof', headers: [['User-Agent', 'x'], ['!~Passenger-Client-Address', '6.6.6.6']],
      }));
      assert.equal(r.status, 400);
      assert.equal(r.json, null, 'Apache answered, not the backend');
      assert.match(r.body, /400 Bad Request/);
      assert.equal(got.length, 0);
    }
  });

  test('look-alikes X!~Foo, ~!Foo, !Foo -> 200 and passed on unchanged', async () => {
    const echo = await proxied(be, ap.port, { path: '/look', headers: [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']] });
    const pairs = rawPairs(echo);
    for (const want of [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']]) {
      assert.equal(pairs.filter(([n, v]) => n === want[0] && v === want[1]).length, 1, `${want[0]} passed on`);
    }
    assertSecure(echo, { env: [['FOO', 'bar']] });
  });

  test('a rejection is logged once (warn, then info within the second): client address and header name, never the value', async () => {
    const before0 = moduleLines(infoLog()).length;
    for (let i = 0; i < 3; i++) {
      const r = await h.request(P.INFO, { path: `/spoof${i}`, headers: [[`!~Passenger-Envvars`, `forged-value-${i}`]] });
      assert.equal(r.status, 400);
    }
    const r = await h.request(P.INFO, { path: '/spoof', headers: [['!~Some-Other', 'forged-other-value']] });
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
    const r = await h.request(ap.port, { path: '/spoof', headers: [['!~Passenger-Proto', 'forged-warn-value']] });
    assert.equal(r.status, 400);
    const r2 = await h.request10(ap.port, { path: '/spoof', headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.equal(r2.status, 400);
    const lines = moduleLines(warnLog());
    assert.ok(lines.length >= 1, 'the first refusal of the second is a warning');
    assert.ok(lines.length <= 1 + Math.ceil((Date.now() - t0) / 1000), lines.join('\n'));
    for (const l of lines) {
      assert.match(l, /\[secure_headers:warn\] .*refused request with client-supplied header "!~Passenger-(Proto|Client-Address)"/);
    }
    assert.doesNotMatch(warnLog(), /forged-warn-value|6\.6\.6\.6/);
    assert.deepEqual(moduleLines(ap.errorLog()), []);
  });

  test('LogLevel secure_headers:debug: which headers were added and their sizes, never the values', async () => {
    const before0 = debugLog().length;
    const echo = await proxied(be, P.DEBUG, { path: '/dbg' });
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
