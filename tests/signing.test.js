// SPDX-License-Identifier: MIT
'use strict';
// Signing (docs/signing.md): RFC 9421 signatures made by Apache over the secure headers,
// end to end through real apache2 to real Node.js backends, on every path a
// proxied request takes. Each signature is checked against docs/wire-format.md's exact
// format and verified by an independent implementation (the npm package
// http-message-signatures, pinned in tests/interop/), and shown to fail
// once anything it covers changes.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const http2 = require('node:http2');
const h = require('./lib/harness');
const sig = require('./lib/signature');
const { ensureNpmDeps } = require('./lib/npm');

const SKIP_REASON = ensureNpmDeps(sig.INTEROP);
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-keys-'));
fs.chmodSync(keyDir, 0o755);
process.on('exit', () => fs.rmSync(keyDir, { recursive: true, force: true }));
const KEYS = sig.keyFiles(keyDir);
const ALL_KEYS = {
  'srv-hmac': KEYS.hmac,
  'loc-ed': KEYS.ed25519,
  'loc-ec': KEYS.ecdsa,
};

const now = () => Math.floor(Date.now() / 1000);

// Verifies the module's signature on an echo three ways: the format of docs/wire-format.md, the
// components expected, and the independent library; then shows that the
// library refuses the same request with one covered value changed.
async function assertSigned(echo, { keyid, alg, lifetime = 60, xforwarded = false, tls = false, t0, t1 }) {
  const s = sig.moduleSignature(echo);
  assert.equal(s.keyid, keyid);
  assert.equal(s.alg, alg);
  assert.deepEqual(s.components, sig.expectedComponents(echo, { xforwarded }));
  assert.equal(s.expires - s.created, lifetime);
  if (t0 !== undefined) assert.ok(s.created >= t0 - 1 && s.created <= t1 + 1, `created ${s.created} not in [${t0}, ${t1}]`);
  assert.equal(await sig.verifyWithLibrary(echo, ALL_KEYS, { tls }), true);
  const forged = JSON.parse(JSON.stringify(echo));
  const i = forged.rawHeaders.findIndex((n) => n.toLowerCase() === '!~passenger-client-address');
  forged.rawHeaders[i + 1] = '203.0.113.66';
  const verdict = await sig.verifyWithLibrary(forged, ALL_KEYS, { tls }).catch((e) => e);
  assert.equal(verdict, false, 'a changed client address must not verify');
  return s;
}

describe('signed secure headers on every proxy path', SKIP, () => {
  let be; let beTls; let beUnix; let beA; let beB; let h2c; let ap; let sockDir;

  before(async () => {
    sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-sock-'));
    fs.chmodSync(sockDir, 0o777);
    be = await h.startBackend();
    beTls = await h.startBackend({ tls: true });
    beUnix = await h.startBackend({ socketPath: path.join(sockDir, 'app.sock') });
    fs.chmodSync(path.join(sockDir, 'app.sock'), 0o777);
    beA = await h.startBackend();
    beB = await h.startBackend();
    h2c = await h.startH2cBackend();
    ap = await h.startApache({
      tls: true,
      h2: true,
      modules: ['rewrite', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_wstunnel', 'proxy_http2'],
      vars: {
        BE: be.url, BETLS: beTls.url, BEUNIX: beUnix.url, BEA: beA.url, BEB: beB.url, H2C: h2c.url,
        WS: `ws://127.0.0.1:${be.port}`, HMAC: KEYS.hmac.file, ED: KEYS.ed25519.file, EC: KEYS.ecdsa.file,
      },
      body: `
SetEnv FOO bar
SSLProxyEngine On
SSLProxyVerify none
SSLProxyCheckPeerName off
SSLProxyCheckPeerCN off
SecureHeadersSignKey srv-hmac hmac-sha256 \${HMAC}
ProxyPass /plain/ \${BE}/plain/
ProxyPass /tls/ \${BETLS}/tls/
ProxyPass /unix/ \${BEUNIX}/unix/
ProxyPass /h2c/ \${H2C}/h2c/
ProxyPass /ws/ \${WS}/ws/
<Proxy balancer://pair>
  BalancerMember \${BEA}
  BalancerMember \${BEB}
</Proxy>
ProxyPass /bal/ balancer://pair/
<Location /ed/>
  SecureHeadersSignKey loc-ed ed25519 \${ED}
  ProxyPass \${BE}/ed/
</Location>
<Location /ec/>
  SecureHeadersSignKey loc-ec ecdsa-p256-sha256 \${EC}
  SecureHeadersXForwarded On
  ProxyPass \${BE}/ec/
</Location>
<Location /keep/>
  ProxyPreserveHost On
  ProxyPass \${BE}/kept/
</Location>
<Location /short/>
  SecureHeadersSignLifetime 7
  ProxyPass \${BE}/short/
</Location>
<Location /unsigned/>
  SecureHeadersSignKey None
  ProxyPass \${BE}/unsigned/
</Location>
<Location /off/>
  SecureHeaders Off
  ProxyPass \${BE}/off/
</Location>
RewriteEngine on
RewriteRule ^/rw/(.*)$ \${BE}/rewritten/$1 [P]
<Directory "\${DIR}/htdocs/d">
  RewriteEngine on
  RewriteRule ^(.*)$ \${BE}/dir/$1 [P]
</Directory>
ErrorDocument 404 /plain/notfound
${h.tlsVhost('SecureHeadersSignKey srv-hmac hmac-sha256 ${HMAC}\n ProxyPass /plain/ ${BE}/plain/')}
`,
    });
    fs.mkdirSync(path.join(ap.dir, 'htdocs', 'd'));
  });
  after(async () => {
    if (ap) await ap.stop();
    for (const b of [be, beTls, beUnix, beA, beB, h2c]) if (b) await b.close();
    if (sockDir) fs.rmSync(sockDir, { recursive: true, force: true });
  });

  async function viaApache(p, opts = {}) {
    const t0 = now();
    const r = await h.request(opts.tls ? ap.tlsPort : ap.port, Object.assign({ path: p }, opts));
    assert.equal(r.status, 200, r.body);
    return { echo: r.json, t0, t1: now() };
  }

  test('ProxyPass to http: hmac-sha256, server-wide key, the documented format, verified independently', async () => {
    const { echo, t0, t1 } = await viaApache('/plain/a?x=1&y=%20z');
    const s = await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256', t0, t1 });
    assert.deepEqual(s.components, ['@method', '@authority', '@path', '@query',
      '!~passenger-client-address', '!~passenger-envvars']);
    assert.equal(echo.url, '/plain/a?x=1&y=%20z');
  });

  test('a location key wins: ed25519 over the same components', async () => {
    const { echo, t0, t1 } = await viaApache('/ed/b');
    await assertSigned(echo, { keyid: 'loc-ed', alg: 'ed25519', t0, t1 });
  });

  test('ecdsa-p256-sha256 with SecureHeadersXForwarded On also covers X-Forwarded-*', async () => {
    const { echo, t0, t1 } = await viaApache('/ec/c', {
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
    });
    const s = await assertSigned(echo, { keyid: 'loc-ec', alg: 'ecdsa-p256-sha256', xforwarded: true, t0, t1 });
    assert.equal(s.signature.length, 64, 'r||s, not DER');
    assert.deepEqual(h.rawValues(echo, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(h.rawValues(echo, 'x-forwarded-host'), [`127.0.0.1:${ap.port}`]);
  });

  test('over TLS the signature covers !~Passenger-Proto', async () => {
    const { echo, t0, t1 } = await viaApache('/plain/t', { tls: true });
    const s = await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256', t0, t1 });
    assert.equal(s.components[4], '!~passenger-proto');
  });

  test('HTTP/2 from the client, HTTP/1.1 to the backend: signed the same way', async () => {
    const r = await h.h2request(ap.tlsPort, { path: '/plain/h2' });
    assert.equal(r.status, 200);
    const s = await assertSigned(r.json, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.equal(s.components[4], '!~passenger-proto');
  });

  test('an https backend: @authority as the TLS backend normalises it', async () => {
    const { echo } = await viaApache('/tls/d');
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256', tls: true });
    assert.equal(h.rawValues(echo, 'host')[0], `127.0.0.1:${beTls.port}`);
  });

  test('a unix-socket backend: @authority is the URL\'s "localhost"', async () => {
    const { echo } = await viaApache('/unix/e');
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.deepEqual(h.rawValues(echo, 'host'), ['localhost']);
  });

  test('an h2c backend (mod_proxy_http2): signed over :authority and :path', async () => {
    const n = h2c.requests.length;
    const r = await h.request(ap.port, { path: '/h2c/f?q=2' });
    assert.equal(r.status, 200, r.body);
    assert.equal(h2c.requests.length, n + 1);
    await assertSigned(r.json, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.equal(r.json.url, '/h2c/f?q=2');
  });

  test('balancer:// members: each request signed for the member that got it', async () => {
    const got = new Set();
    for (let i = 0; i < 4; i++) {
      const { echo } = await viaApache(`/bal/m${i}`);
      await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
      got.add(h.rawValues(echo, 'host')[0]);
    }
    assert.deepEqual([...got].sort(), [`127.0.0.1:${beA.port}`, `127.0.0.1:${beB.port}`].sort());
  });

  test('a WebSocket upgrade (ws://) is signed', async () => {
    const r = await h.websocket(ap.port, '/ws/live');
    assert.equal(r.status, 101);
    await assertSigned(r.json, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.equal(r.json.url, '/ws/live');
  });

  test('RewriteRule [P] in server and directory context: @path is the mapped one', async () => {
    let { echo } = await viaApache('/rw/abc?k=v');
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.equal(echo.url, '/rewritten/abc?k=v');
    ({ echo } = await viaApache('/d/inner'));
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.match(echo.url, /^\/dir\//);
  });

  test('an internal redirect (ErrorDocument to a proxied URL) is signed for its own target', async () => {
    const r = await h.request(ap.port, { path: '/no/such/file' });
    assert.ok(r.json, r.body);
    await assertSigned(r.json, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.equal(r.json.url, '/plain/notfound');
  });

  test('ProxyPreserveHost On: @authority is the client\'s Host, normalised', async () => {
    const { echo } = await viaApache('/keep/g', { headers: { Host: `Mixed.Example.TEST:${ap.port}` } });
    assert.deepEqual(h.rawValues(echo, 'host'), [`Mixed.Example.TEST:${ap.port}`]);
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    const { echo: e80 } = await viaApache('/keep/g80', { headers: { Host: 'Name.Example:80' } });
    await assertSigned(e80, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
  });

  test('SecureHeadersSignLifetime 7: expires is created + 7', async () => {
    const { echo } = await viaApache('/short/h');
    await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256', lifetime: 7 });
  });

  test('SecureHeadersSignKey None: secure headers, no signature; SecureHeaders Off: neither', async () => {
    let { echo } = await viaApache('/unsigned/i');
    assert.equal(h.secureHeaders(echo).length, 2);
    assert.deepEqual(h.rawValues(echo, 'signature-input'), []);
    assert.deepEqual(h.rawValues(echo, 'signature'), []);
    ({ echo } = await viaApache('/off/j'));
    assert.deepEqual(h.secureHeaders(echo), []);
    assert.deepEqual(h.rawValues(echo, 'signature-input'), []);
  });

  test('keep-alive: every request on one connection gets its own created, nonce and signature', async () => {
    const out = await h.keepAlive(ap.port, [{ path: '/plain/k1' }, { path: '/plain/k2' }, { path: '/plain/k3' }]);
    const nonces = new Set();
    for (const r of out) {
      assert.equal(r.status, 200);
      const s = await assertSigned(r.json, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
      nonces.add(s.nonce);
    }
    assert.equal(nonces.size, 3);
    assert.equal(new Set(out.map((r) => r.localPort)).size, 1, 'one client connection');
  });

  test('300 requests, 16 at a time: 300 different nonces, all verifying', async () => {
    const nonces = new Set();
    const work = Array.from({ length: 300 }, (_, i) => i);
    const deadline = Date.now() + 60000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (work.length && Date.now() < deadline) {
        const i = work.pop();
        const r = await h.request(ap.port, { path: `/plain/n${i}` });
        assert.equal(r.status, 200);
        const s = sig.moduleSignature(r.json);
        assert.equal(await sig.verifyWithLibrary(r.json, ALL_KEYS), true);
        nonces.add(s.nonce);
      }
    }));
    assert.equal(nonces.size, 300);
  });

  test('a client\'s own signatures (other labels) pass untouched and are not covered', async () => {
    const theirs = 'sig1=("@method" "@authority");created=1618884473;keyid="client-key"';
    const theirSig = 'sig1=:dGhlaXJzaWduYXR1cmU=:';
    const { echo } = await viaApache('/plain/client-signed', {
      headers: { 'Signature-Input': theirs, Signature: theirSig },
    });
    assert.deepEqual(h.rawValues(echo, 'signature-input'), [theirs, sig.moduleSignature(echo).input]);
    assert.equal(h.rawValues(echo, 'signature')[0], theirSig);
    const s = await assertSigned(echo, { keyid: 'srv-hmac', alg: 'hmac-sha256' });
    assert.ok(!s.components.includes('signature') && !s.components.includes('signature-input'));
  });
});

describe('a client cannot bring its own secure-headers signature', SKIP, () => {
  let be; let ap;
  before(async () => {
    be = await h.startBackend();
    ap = await h.startApache({
      tls: true, h2: true, vars: { BE: be.url, HMAC: KEYS.hmac.file },
      body: 'SecureHeadersSignKey srv-hmac hmac-sha256 ${HMAC}\nProxyPass / ${BE}/\nLogLevel secure_headers:info\n' +
        h.tlsVhost('ProxyPass / ${BE}/'),
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  const forged = [
    ['Signature-Input with a secure-headers member', [['Signature-Input', 'secure-headers=("@method");created=1;keyid="k"']]],
    ['Signature with a secure-headers member', [['Signature', 'secure-headers=:AAAA:']]],
    ['the member after a client\'s own', [['Signature', 'sig1=:AAAA:, secure-headers=:AAAA:']]],
    ['a second Signature line carrying it', [['Signature', 'sig1=:AAAA:'], ['Signature', 'secure-headers=:AAAA:']]],
    ['lower-case header name', [['signature-input', 'secure-headers=("@path")']]],
    ['a malformed dictionary that names it', [['Signature-Input', 'keyId="x" secure-headers=("@path")']]],
    ['capitals in the label (no dictionary; named all the same)', [['Signature', 'Secure-Headers=:AAAA:']]],
    ['a whole copy of a real signature from another request', null],
  ];

  for (const [what, headers] of forged) {
    test(`${what} -> 400, the backend never sees it`, async () => {
      let hdrs = headers;
      if (!hdrs) {
        const ok = await h.request(ap.port, { path: '/donor' });
        hdrs = [['Signature-Input', h.rawValues(ok.json, 'signature-input')[0]],
          ['Signature', h.rawValues(ok.json, 'signature')[0]]];
      }
      const n = be.requests.length;
      const mark = ap.errorLog().length;
      const r = await h.request(ap.port, { path: '/x', headers: hdrs });
      assert.equal(r.status, 400);
      assert.equal(be.requests.length, n);
      // A real signature looks like a misconfigured chain: that one is a
      // (rate-limited) warning naming the directive.
      assert.match(ap.errorLog().slice(mark), headers
        ? /\[secure_headers:(warn|info)\] .*refused request with client-supplied header "secure-headers signature"/
        : /\[secure_headers:(warn|info)\] .*refused request from 127\.0\.0\.1 carrying another server's secure headers .*SecureHeadersUpstream key=srv-hmac/);
    });
  }

  test('HTTP/2: a signature-input secure-headers member -> 400', async () => {
    const n = be.requests.length;
    const r = await h.h2request(ap.tlsPort, { path: '/x', headers: { 'signature-input': 'secure-headers=("@method")' } });
    assert.equal(r.status, 400);
    assert.equal(be.requests.length, n);
  });

  test('look-alike labels are other labels: secure-headers2, x-secure-headers pass', async () => {
    const r = await h.request(ap.port, {
      path: '/y', headers: { Signature: 'secure-headers2=:AAAA:, x-secure-headers=:AAAA:' },
    });
    assert.equal(r.status, 200);
    assert.equal(h.rawValues(r.json, 'signature')[0], 'secure-headers2=:AAAA:, x-secure-headers=:AAAA:');
  });
});

describe('configtest: SecureHeadersSignKey and SecureHeadersSignLifetime', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-badkeys-'));
  fs.chmodSync(dir, 0o755);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name, data, mode = 0o600) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data, { mode });
    fs.chmodSync(p, mode);
    return p;
  };

  const cases = () => [
    ['a missing file', `SecureHeadersSignKey k hmac-sha256 ${dir}/nope.key`, /SecureHeadersSignKey: cannot read key file .*nope\.key: No such file/],
    ['a directory', `SecureHeadersSignKey k hmac-sha256 ${dir}`, /SecureHeadersSignKey: key file .* is not a regular file/],
    ['an hmac key readable by others', `SecureHeadersSignKey k hmac-sha256 ${file('open.key', Buffer.alloc(32, 1), 0o644)}`,
      /SecureHeadersSignKey: key file .*open\.key is readable by group or others \(mode 0644\)/],
    ['a private key readable by its group', `SecureHeadersSignKey k ed25519 ${file('group.pem', fs.readFileSync(KEYS.ed25519.file), 0o640)}`,
      /SecureHeadersSignKey: key file .*group\.pem is readable by group or others \(mode 0640\)/],
    ['an hmac key of 31 bytes', `SecureHeadersSignKey k hmac-sha256 ${file('short.key', Buffer.alloc(31, 1))}`,
      /SecureHeadersSignKey: key file .*short\.key \(hmac-sha256\): an hmac-sha256 key must be at least 32 bytes, this one has 31/],
    ['an Ed25519 key for ecdsa-p256-sha256', `SecureHeadersSignKey k ecdsa-p256-sha256 ${KEYS.ed25519.file}`,
      /SecureHeadersSignKey: .*\(ecdsa-p256-sha256\): the key's type is ED25519, not ECDSA P-256/],
    ['an EC key for ed25519', `SecureHeadersSignKey k ed25519 ${KEYS.ecdsa.file}`,
      /SecureHeadersSignKey: .*\(ed25519\): the key's type is EC, not Ed25519/],
    ['a public key to sign with', `SecureHeadersSignKey k ed25519 ${file('pub.pem', fs.readFileSync(KEYS.ed25519.pub))}`,
      /SecureHeadersSignKey: .*: the file holds no PEM private key/],
    ['an unknown algorithm', `SecureHeadersSignKey k rsa-pss-sha512 ${KEYS.hmac.file}`,
      /SecureHeadersSignKey: unknown algorithm 'rsa-pss-sha512': use hmac-sha256, ed25519 or ecdsa-p256-sha256/],
    ['a key id with a quote', `SecureHeadersSignKey a"b hmac-sha256 ${KEYS.hmac.file}`,
      /SecureHeadersSignKey: key id 'a"b': a key id may hold printable ASCII only, without double quotes or backslashes$/m],
    ['two arguments', `SecureHeadersSignKey k hmac-sha256`, /SecureHeadersSignKey takes one or three arguments/],
    ['one argument that is not None', 'SecureHeadersSignKey k', /SecureHeadersSignKey: 'k': give a key id, an algorithm and a key file, or None/],
    ['a lifetime of 0', 'SecureHeadersSignLifetime 0', /SecureHeadersSignLifetime: '0' is not a number of seconds from 1 to 86400/],
    ['a lifetime past a day', 'SecureHeadersSignLifetime 86401', /SecureHeadersSignLifetime: '86401' is not a number of seconds/],
    ['a lifetime that is no number', 'SecureHeadersSignLifetime 1m', /SecureHeadersSignLifetime: '1m' is not a number of seconds/],
  ];

  test('every bad value fails configtest with a message naming the directive', async () => {
    for (const [what, line, re] of cases()) {
      const r = await h.configtest(line);
      assert.notEqual(r.code, 0, `${what}: configtest passed:\n${r.output}`);
      assert.match(r.output, re, what);
    }
  });

  test('the good ones pass: each algorithm, None, a lifetime, in a Location', async () => {
    const r = await h.configtest(`SecureHeadersSignKey a hmac-sha256 ${KEYS.hmac.file}
SecureHeadersSignLifetime 30
<Location /e/>
  SecureHeadersSignKey b ed25519 ${KEYS.ed25519.file}
</Location>
<Location /c/>
  SecureHeadersSignKey c ecdsa-p256-sha256 ${KEYS.ecdsa.file}
  SecureHeadersSignLifetime 86400
</Location>
<Location /n/>
  SecureHeadersSignKey None
</Location>`);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Syntax OK/);
  });
});
