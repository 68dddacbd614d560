// SPDX-License-Identifier: MIT
'use strict';
// Per-backend derived keys (docs/derived-keys.md) and the printable-ASCII
// request target of signed requests (RFC 9421 section 2.2), on loopback:
//
//   - Apache with "SecureHeadersSignKey dk hkdf-sha256 MASTER" signs each
//     request with the key derived for its backend; a backend holding the
//     key that `openssl kdf ... HKDF` derives (the command the docs give)
//     verifies it with the package as a plain hmac-sha256 key; the master
//     itself, or another backend's key, does not;
//   - a unix-socket backend reached through RewriteRule [P] is named
//     "unix:" and its path;
//   - apachectl configtest refuses derived keys where the module cannot
//     name the backend when it signs (mod_proxy_http2 targets, balancer
//     members on unix sockets), and bad master files;
//   - a request whose query (or "nocanon" path) holds bytes outside
//     printable ASCII reaches the backend percent-encoded when it is
//     signed, and the signature covers what the backend reads.
//
// Between hosts (a captured request, a backend signing for another):
// tests/derived-keys-hosts.test.js.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');
const secureHeaders = require('../node');
const sig = require('./lib/signature');
const { ensureNpmDeps } = require('./lib/npm');

const INTEROP_SKIP = ensureNpmDeps(sig.INTEROP);

const SALT = 'mod_secure_headers derived key v1';

// The documented command: the key file of one backend from the master.
function opensslDerive(masterFile, identity, outFile) {
  const hex = fs.readFileSync(masterFile).toString('hex');
  execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${hex}`,
    '-kdfopt', `salt:${SALT}`, '-kdfopt', `info:${identity}`, '-binary', '-out', outFile, 'HKDF']);
  fs.chmodSync(outFile, 0o600);
  return fs.readFileSync(outFile);
}

// A backend that believes only what the package verifies with the keys it
// holds; answers what it concluded and the target it received.
function verifyingBackend(keys, listenArgs) {
  const options = { keys: {}, authority: false };
  for (const [id, key] of Object.entries(keys)) options.keys[id] = { alg: 'hmac-sha256', key };
  const server = http.createServer((req, res) => {
    let out;
    try {
      const info = secureHeaders.read(req, options);
      out = { ok: true, signed: info.signed, keyid: info.keyid, clientAddress: info.clientAddress };
    } catch (e) {
      if (!(e instanceof secureHeaders.SecureHeadersError)) throw e;
      out = { ok: false, code: e.code };
    }
    out.url = Buffer.from(req.url, 'latin1').toString('latin1');
    out.urlHex = Buffer.from(req.url, 'latin1').toString('hex');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out));
  });
  return new Promise((resolve) => server.listen(...listenArgs, () => resolve(server)));
}

async function get(port, target) {
  const bytes = Buffer.concat([Buffer.from('GET '), Buffer.from(target, 'latin1'),
    Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')]);
  const text = await h.raw(port, bytes, { encoding: 'latin1' });
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)[1]);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  let json = null;
  try { json = JSON.parse(body); } catch (_) { /* not ours */ }
  return { status, json, text };
}

describe('derived keys on loopback', () => {
  let dir; let master; let ap; let servers = []; let ports = {}; let sock; let keyFiles = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-derive-'));
    fs.chmodSync(dir, 0o755);
    master = path.join(dir, 'master.key');
    fs.writeFileSync(master, Buffer.from([...Array(48).keys()].map((i) => (i * 37 + 11) & 255)), { mode: 0o600 });
    ports.a = await h.freePort();
    ports.b = await h.freePort();
    sock = path.join(dir, 'app.sock');
    // Each backend holds only its own key, made by the documented command.
    const kA = opensslDerive(master, `http://127.0.0.1:${ports.a}`, keyFiles.a = path.join(dir, 'a.key'));
    const kB = opensslDerive(master, `http://127.0.0.1:${ports.b}`, keyFiles.b = path.join(dir, 'b.key'));
    const kS = opensslDerive(master, `unix:${sock}`, keyFiles.s = path.join(dir, 's.key'));
    servers = [
      await verifyingBackend({ dk: kA }, [ports.a, '127.0.0.1']),
      await verifyingBackend({ dk: kB }, [ports.b, '127.0.0.1']),
      await verifyingBackend({ dk: kS }, [sock]),
    ];
    fs.chmodSync(sock, 0o777);
    ap = await h.startApache({
      modules: ['rewrite', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'],
      vars: { MASTER: master, PA: ports.a, PB: ports.b, SOCK: sock },
      body: `
SecureHeadersSignKey dk hkdf-sha256 \${MASTER}
ProxyPass /a/ http://127.0.0.1:\${PA}/a/
ProxyPass /A/ http://127.0.0.1:\${PA}/A/
ProxyPass /b/ http://127.0.0.1:\${PB}/b/
RewriteEngine On
RewriteRule ^/s/(.*)$ unix:\${SOCK}|http://localhost/s/$1 [P]
ProxyPass /nc/ http://127.0.0.1:\${PA}/nc/ nocanon
ProxyPass /wrong/ http://127.0.0.1:\${PB}/wrong/
<Proxy balancer://one>
  BalancerMember http://127.0.0.1:\${PA}
</Proxy>
ProxyPass /bal/ balancer://one/bal/
<Location /unsigned/>
  SecureHeadersSignKey None
  ProxyPass http://127.0.0.1:\${PA}/unsigned/
</Location>
<Location /plain/>
  SecureHeadersSignKey dk hmac-sha256 \${AKEY}
  ProxyPass http://127.0.0.1:\${PA}/plain/
</Location>`.replace('${AKEY}', keyFiles.a),
    });
  });

  after(async () => {
    if (ap) await ap.stop();
    for (const s of servers) s.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the openssl kdf command and the package derive the same key', () => {
    const m = fs.readFileSync(master);
    for (const [k, id] of [['a', `http://127.0.0.1:${ports.a}`], ['s', `unix:${sock}`]]) {
      assert.deepEqual(secureHeaders.deriveKey(m, id), fs.readFileSync(keyFiles[k]));
    }
    assert.deepEqual(secureHeaders.deriveKey(m, `http://127.0.0.1:${ports.a}/a/x?y`), fs.readFileSync(keyFiles.a));
  });

  test('each backend verifies requests signed for it with its own derived key (alg hmac-sha256)', async () => {
    for (const [p, want] of [['/a/x', 'a'], ['/b/x', 'b'], ['/s/x', 's']]) {
      const r = await get(ap.port, p);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.json.ok, r.json.signed, r.json.keyid], [true, true, 'dk'], `${want}: ${r.text}`);
    }
    // The signature says alg="hmac-sha256", the key id is the configured one.
    const echo = await h.startBackend();
    const ap2 = await h.startApache({ vars: { MASTER: master, BE: echo.url },
      body: 'SecureHeadersSignKey dk hkdf-sha256 ${MASTER}\nProxyPass /e/ ${BE}/e/' });
    try {
      const r = await h.request(ap2.port, { path: '/e/x' });
      const input = r.json.headers['signature-input'];
      assert.match(input, /;keyid="dk";alg="hmac-sha256";tag="mod_secure_headers"$/);
    } finally {
      await ap2.stop();
      await echo.close();
    }
  });

  test('a request signed for one backend does not verify with another backend\'s key, nor with the master', async () => {
    // /wrong/ goes to backend b, which holds b's key: fine. Backend a's key
    // and the master refuse what was signed for b.
    const ok = await get(ap.port, '/wrong/x');
    assert.equal(ok.json.ok, true, ok.text);
    const m = fs.readFileSync(master);
    const kA = fs.readFileSync(keyFiles.a);
    const other = await verifyingBackend({ dk: kA }, [0, '127.0.0.1']);
    const withMaster = await verifyingBackend({ dk: m }, [0, '127.0.0.1']);
    const ap2 = await h.startApache({
      vars: { MASTER: master, PO: other.address().port, PM: withMaster.address().port },
      body: 'SecureHeadersSignKey dk hkdf-sha256 ${MASTER}\nProxyPass /o/ http://127.0.0.1:${PO}/o/\n'
        + 'ProxyPass /m/ http://127.0.0.1:${PM}/m/',
    });
    try {
      for (const p of ['/o/x', '/m/x']) {
        const r = await get(ap2.port, p);
        assert.equal(r.status, 200);
        assert.deepEqual([r.json.ok, r.json.code], [false, 'SIGNATURE_INVALID'], r.text);
      }
    } finally {
      await ap2.stop();
      other.close();
      withMaster.close();
    }
  });

  test('a query with raw bytes >= 0x80 reaches the backend percent-encoded, and the signature covers it', async () => {
    const r = await get(ap.port, '/a/q?name=caf\xc3\xa9&x=\xff&ok=%41');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ok, true, r.text);
    assert.equal(r.json.url, '/a/q?name=caf%C3%A9&x=%FF&ok=%41');
    // Behind a balancer, which rebuilds the URL for its member after the fixups.
    const bal = await get(ap.port, '/bal/q?name=caf\xc3\xa9');
    assert.deepEqual([bal.status, bal.json.ok, bal.json.signed, bal.json.url], [200, true, true, '/bal/q?name=caf%C3%A9'], bal.text);
    // With a plain key too: it is signing that asks for it, not the derivation.
    const p = await get(ap.port, '/plain/q?name=\xe9');
    assert.deepEqual([p.json.ok, p.json.url], [true, '/plain/q?name=%E9'], p.text);
  });

  test('a "nocanon" path with raw bytes reaches the backend percent-encoded, and the signature covers it', async () => {
    const r = await get(ap.port, '/nc/caf\xc3\xa9?q=\xe9');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.json.ok, r.json.url], [true, '/nc/caf%C3%A9?q=%E9'], r.text);
  });

  test('an independent RFC 9421 verifier (http-message-signatures) takes the derived key as a plain hmac-sha256 key, raw query bytes included',
    INTEROP_SKIP ? { skip: INTEROP_SKIP } : {}, async () => {
      const echo = await h.startBackend();
      const ap2 = await h.startApache({ vars: { MASTER: master, BE: echo.url },
        body: 'SecureHeadersSignKey dk hkdf-sha256 ${MASTER}\nProxyPass /e/ ${BE}/e/' });
      try {
        const text = await h.raw(ap2.port, Buffer.from('GET /e/q?n=caf\xc3\xa9&x=\xff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1'));
        assert.match(text, /^HTTP\/1\.1 200 /);
        const got = echo.requests.at(-1);
        assert.equal(got.url, '/e/q?n=caf%C3%A9&x=%FF');
        const m = fs.readFileSync(master);
        const own = secureHeaders.deriveKey(m, echo.url);
        assert.equal(await sig.verifyWithLibrary(got, { dk: { alg: 'hmac-sha256', key: own } }), true);
        const other = secureHeaders.deriveKey(m, `http://127.0.0.1:${ports.b}`);
        for (const key of [other, m]) {
          assert.equal(await sig.verifyWithLibrary(got, { dk: { alg: 'hmac-sha256', key } }).catch((e) => e), false);
        }
      } finally {
        await ap2.stop();
        await echo.close();
      }
    });

  test('an unsigned scope forwards the query as received (nothing signed, nothing changed)', async () => {
    // A raw listener: Node's own parser answers 400 to such a target.
    const lines = [];
    const rawBackend = net.createServer((c) => {
      c.once('data', (d) => {
        lines.push(d.toString('latin1').split('\r\n')[0]);
        c.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      });
    });
    await new Promise((r) => rawBackend.listen(0, '127.0.0.1', r));
    const ap2 = await h.startApache({ vars: { MASTER: master, PR: rawBackend.address().port },
      body: 'SecureHeadersSignKey dk hkdf-sha256 ${MASTER}\nProxyPass /r/ http://127.0.0.1:${PR}/r/\n'
        + '<Location /u/>\n  SecureHeadersSignKey None\n  ProxyPass http://127.0.0.1:${PR}/u/\n</Location>' });
    try {
      for (const p of ['/u/q?name=caf\xc3\xa9', '/r/q?name=caf\xc3\xa9']) assert.equal((await get(ap2.port, p)).status, 200);
      assert.deepEqual(lines, ['GET /u/q?name=caf\xc3\xa9 HTTP/1.1', 'GET /r/q?name=caf%C3%A9 HTTP/1.1']);
    } finally {
      await ap2.stop();
      rawBackend.close();
    }
  });

  test('case and the default port do not change the backend\'s identity (one key for http://127.0.0.1:P and HTTP://127.0.0.1:P)', () => {
    const m = fs.readFileSync(master);
    assert.deepEqual(secureHeaders.deriveKey(m, `HTTP://127.0.0.1:${ports.a}/`), fs.readFileSync(keyFiles.a));
    assert.deepEqual(secureHeaders.deriveKey(m, 'http://Backend.Example/'), secureHeaders.deriveKey(m, 'http://backend.example:80'));
    assert.deepEqual(secureHeaders.deriveKey(m, 'ws://backend:3000/x'), secureHeaders.deriveKey(m, 'http://backend:3000'));
  });
});

describe('derived keys: apachectl configtest', () => {
  let dir; let master;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-derive-conf-'));
    fs.chmodSync(dir, 0o755);
    master = path.join(dir, 'master.key');
    fs.writeFileSync(master, Buffer.alloc(32, 7), { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const sign = () => `SecureHeadersSignKey dk hkdf-sha256 ${master}`;

  test('passes: http, https and ws targets, balanced or not', async () => {
    const r = await h.configtest(`${sign()}
<Proxy balancer://apps>
  BalancerMember http://10.0.0.5:3000
  BalancerMember https://10.0.0.6:3443
</Proxy>
ProxyPass /app/ balancer://apps/
ProxyPass /ws/ ws://10.0.0.7:3000/`, { modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'] });
    assert.equal(r.code, 0, r.output);
  });

  const refused = [
    ['an h2c balancer member', `<Proxy balancer://h2apps>\n  BalancerMember h2c://10.0.0.5:3000\n</Proxy>\nProxyPass /app/ balancer://h2apps/`,
      /cannot sign for member h2c:\/\/10\.0\.0\.5:3000 of balancer:\/\/h2apps with a derived key: mod_proxy_http2/],
    ['a direct h2c target', 'ProxyPass /app/ h2c://10.0.0.5:3000/', /cannot sign for h2c:\/\/10\.0\.0\.5:3000\/? with a derived key: mod_proxy_http2/],
    ['a balancer member on a unix socket', `<Proxy balancer://sock>\n  BalancerMember unix:/run/a.sock|http://localhost\n</Proxy>\nProxyPass /app/ balancer://sock/`,
      /cannot sign for member .* of balancer:\/\/sock with a derived key: a balancer member on a unix socket/],
    ['a ProxyPass unix socket', 'ProxyPass /app/ unix:/run/a.sock|http://localhost/',
      /cannot sign for .* with a derived key: mod_proxy keeps a ProxyPass unix socket in its worker/],
  ];
  for (const [what, body, msg] of refused) {
    test(`refused: derived keys with ${what}, and the message says what to do`, async () => {
      const r = await h.configtest(`${sign()}\n${body}`, { modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_http2'] });
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, msg);
      assert.match(r.output, /Sign this scope with a key of its own/);
      // The same targets with a plain key pass: only derivation needs the member.
      const plainKey = path.join(dir, 'plain.key');
      fs.writeFileSync(plainKey, Buffer.alloc(32, 9), { mode: 0o600 });
      const ok = await h.configtest(`SecureHeadersSignKey k hmac-sha256 ${plainKey}\n${body}`,
        { modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_http2'] });
      assert.equal(ok.code, 0, ok.output);
    });
  }

  test('refused: an unknown algorithm names hkdf-sha256 among the choices', async () => {
    const r = await h.configtest(`SecureHeadersSignKey dk hkdf-sha512 ${master}`);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /SecureHeadersSignKey: unknown algorithm 'hkdf-sha512': use hmac-sha256, ed25519 or ecdsa-p256-sha256, or hkdf-sha256 with a master secret for per-backend keys \(docs\/derived-keys.md\)/);
  });

  test('refused: a master of 31 bytes, one readable by others, one that is missing', async () => {
    const short = path.join(dir, 'short.key');
    fs.writeFileSync(short, Buffer.alloc(31, 1), { mode: 0o600 });
    const open = path.join(dir, 'open.key');
    fs.writeFileSync(open, Buffer.alloc(32, 1), { mode: 0o644 });
    fs.chmodSync(open, 0o644);
    for (const [file, msg] of [[short, /at least 32 bytes, this one 31 \(make one with: openssl rand -out FILE 32\)/],
      [open, /master key file .*open\.key is readable by group or others \(mode 0644\): make it readable by its owner only \(chmod 600\)/],
      [path.join(dir, 'none.key'), /cannot read master key file/]]) {
      const r = await h.configtest(`SecureHeadersSignKey dk hkdf-sha256 ${file}`);
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /SecureHeadersSignKey/);
      assert.match(r.output, msg);
    }
  });
});
