// SPDX-License-Identifier: MIT
'use strict';
// read() on request objects shaped like node:http's, unsigned and signed
// (tests/signer.js signs as mod_secure_headers does).
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { read, readAsync, SecureHeadersError, codes, createMemoryReplayCache } = require('..');
const { sign, testKeys } = require('./signer');
const { fakeReq } = require('./helpers');

const ENV = Buffer.from('FOO\0bar\0EMPTY\0\0UTF8\0h\u00e9llo\u2192\0FOO\0second\0', 'utf8').toString('base64');
const isCode = (code) => (e) => e instanceof SecureHeadersError && e.code === code && e.statusCode === 403;

describe('unsigned (no keys)', () => {
  test('the !~ headers are believed; Envvars decoded as bytes, NUL split, UTF-8', () => {
    const r = read(fakeReq({
      host: 'Example.COM:8080',
      headers: [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', ENV],
        ['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'http']],
    }));
    assert.equal(r.clientAddress, '203.0.113.9');
    assert.equal(r.protocol, 'https');
    assert.equal(r.host, 'Example.COM:8080', 'the Host header as Apache forwarded it');
    assert.equal(r.hostname, 'Example.COM');
    assert.deepEqual(r.envList, [['FOO', 'bar'], ['EMPTY', ''], ['UTF8', 'h\u00e9llo\u2192'], ['FOO', 'second']]);
    assert.equal(Object.getPrototypeOf(r.env), null);
    assert.deepEqual({ ...r.env }, { FOO: 'bar', EMPTY: '', UTF8: 'h\u00e9llo\u2192' });
    assert.equal(r.signed, false);
    assert.equal(r.keyid, null);
    assert.equal(r.trusted, true);
  });

  test('no !~ headers: the socket\'s facts; strict refuses', () => {
    const req = fakeReq({ remoteAddress: '::1', encrypted: true, headers: [['X-Forwarded-For', '6.6.6.6']] });
    const r = read(req);
    assert.deepEqual([r.clientAddress, r.protocol, r.trusted, r.envList.length], ['::1', 'https', false, 0]);
    assert.throws(() => read(fakeReq(), { strict: true }), isCode('NO_SECURE_HEADERS'));
  });

  test('Proto absent means http even on a TLS socket; an IPv6 client; Envvars present but empty', () => {
    const r = read(fakeReq({ encrypted: true, headers: [['!~Passenger-Client-Address', '2001:db8::7'], ['!~Passenger-Envvars', '']] }));
    assert.deepEqual([r.protocol, r.clientAddress, r.envList], ['http', '2001:db8::7', []]);
  });

  test('xForwarded: true takes the host from X-Forwarded-Host (one value only)', () => {
    const hs = [['!~Passenger-Client-Address', '127.0.0.1'], ['X-Forwarded-Host', 'app.example:8443']];
    const r = read(fakeReq({ headers: hs }), { xForwarded: true });
    assert.deepEqual([r.host, r.hostname], ['app.example:8443', 'app.example']);
    assert.throws(() => read(fakeReq({ headers: [hs[0], ['X-Forwarded-Host', 'evil, app.example']] }), { xForwarded: true }), isCode('HEADER_MALFORMED'));
  });

  test('IPv6 literal hosts keep their brackets in hostname', () => {
    const r = read(fakeReq({ host: '[::1]:8080', headers: [['!~Passenger-Client-Address', '::1']] }));
    assert.deepEqual([r.host, r.hostname], ['[::1]:8080', '[::1]']);
  });

  test('malformed or repeated secure headers are refused', () => {
    for (const headers of [
      [['!~Passenger-Client-Address', 'not-an-ip']],
      [['!~Passenger-Client-Address', '1.2.3.4'], ['!~passenger-client-address', '5.6.7.8']],
      [['!~Passenger-Envvars', 'Rk9PAGJhcgA']], // no padding
      [['!~Passenger-Envvars', 'Rk9P AGJhcgA=']],
      [['!~Passenger-Envvars', Buffer.from('FOO\0bar').toString('base64')]], // no final NUL
      [['!~Passenger-Envvars', Buffer.from('FOO\0').toString('base64')]], // name without value
    ]) {
      assert.throws(() => read(fakeReq({ headers })), isCode('HEADER_MALFORMED'), JSON.stringify(headers));
    }
  });

  test('the result is frozen and read() twice gives the same object', () => {
    const req = fakeReq({ headers: [['!~Passenger-Client-Address', '127.0.0.1']] });
    const r = read(req);
    assert.equal(read(req), r);
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.env) && Object.isFrozen(r.envList));
  });
});

describe('signed', () => {
  const K = testKeys();
  const keysFor = (k, id = 'edge-1') => ({ [id]: { alg: k.alg, key: k.public } });
  // The verifier's clock: a little ahead of this process's start, so that
  // signatures "made now" are newer than the in-memory replay cache.
  const NOW = Math.floor(Date.now() / 1000) + 100;
  const clock = { now: () => NOW * 1000 };

  // A request as Apache forwards it, signed with key k.
  function apacheReq(k, over = {}) {
    const headers = over.headers || [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', ENV]];
    const host = over.host || 'backend.internal:3000';
    const url = over.url || '/a/b?x=1&y';
    const s = sign({ method: over.method || 'GET', target: url, host, headers }, Object.assign({ keyid: 'edge-1', alg: k.alg, key: k.private, created: NOW - 1 }, over.sign || {}));
    const extra = over.mutate ? over.mutate(s) : [['Signature-Input', s.signatureInput], ['Signature', s.signature]];
    return { req: fakeReq({ method: over.reqMethod || over.method || 'GET', url: over.reqUrl || url, host: over.reqHost || host, headers: [...headers, ...(over.more || []), ...extra] }), s };
  }

  for (const name of Object.keys(K)) {
    test(`${name}: a request signed like the module's is accepted; facts from the signed headers`, () => {
      const opts = Object.assign({ keys: keysFor(K[name]), authority: 'backend.internal:3000' }, clock);
      const { req } = apacheReq(K[name]);
      const r = read(req, opts);
      assert.deepEqual([r.signed, r.keyid, r.clientAddress, r.protocol, r.host], [true, 'edge-1', '203.0.113.9', 'https', 'backend.internal:3000']);
      assert.equal(r.env.UTF8, 'h\u00e9llo\u2192');
    });
  }

  const k = K.ed25519;
  const opts = () => Object.assign({ keys: keysFor(k), authority: false }, clock);
  const refuses = (code, over, o = opts()) => {
    const { req } = apacheReq(k, over);
    assert.throws(() => read(req, o), isCode(code));
  };

  test('key rotation: several keyids; an unknown one is refused', () => {
    const other = crypto.generateKeyPairSync('ed25519');
    const o = Object.assign({ keys: { old: { alg: 'ed25519', key: other.publicKey }, 'edge-1': { alg: 'ed25519', key: k.public } }, authority: false }, clock);
    assert.equal(read(apacheReq(k).req, o).keyid, 'edge-1');
    refuses('UNKNOWN_KEY', { sign: { keyid: 'nope' } });
  });

  test('alg pinned per key: a signature whose alg differs is refused', () => {
    refuses('ALG_MISMATCH', { sign: { alg: 'hmac-sha256', key: Buffer.alloc(32, 1) } });
    // the alg name changed in the input but the signature made with ed25519
    refuses('ALG_MISMATCH', { mutate: (s) => [['Signature-Input', s.signatureInput.replace('alg="ed25519"', 'alg="ecdsa-p256-sha256"')], ['Signature', s.signature]] });
  });

  test('created and expires with the clock skew', () => {
    const at = (created, expires, skew) => {
      const { req } = apacheReq(k, { sign: { created, expires } });
      return read(req, Object.assign(opts(), skew === undefined ? {} : { clockSkew: skew }));
    };
    assert.equal(at(NOW + 5, NOW + 65).signed, true, 'created 5 s ahead: within the default skew');
    assert.throws(() => at(NOW + 6, NOW + 66), isCode('SIGNATURE_NOT_YET_VALID'));
    assert.equal(at(NOW - 65, NOW - 5).signed, true, 'expired 5 s ago: within the skew');
    assert.throws(() => at(NOW - 66, NOW - 6), isCode('SIGNATURE_EXPIRED'));
    assert.throws(() => at(NOW - 61, NOW - 1, 0), isCode('SIGNATURE_EXPIRED'));
    assert.throws(() => at(NOW, NOW + 3601), isCode('LIFETIME_TOO_LONG'));
    assert.throws(() => at(NOW, NOW - 1), isCode('SIGNATURE_MALFORMED'));
  });

  test('replay: the same signed request twice is refused the second time; per keyid', () => {
    const o = opts();
    const { req, s } = apacheReq(k);
    read(req, o);
    const again = fakeReq({ url: '/a/b?x=1&y', host: 'backend.internal:3000', headers: [...Array.from({ length: req.rawHeaders.length / 2 }, (_, i) => [req.rawHeaders[2 * i], req.rawHeaders[2 * i + 1]]).slice(1)] });
    assert.throws(() => read(again, o), isCode('REPLAYED'));
    assert.ok(s.signature);
    // replayCache: false turns it off
    const o2 = Object.assign(opts(), { replayCache: false });
    read(req, o2);
    const again2 = fakeReq({ url: '/a/b?x=1&y', host: 'backend.internal:3000', headers: Array.from({ length: req.rawHeaders.length / 2 }, (_, i) => [req.rawHeaders[2 * i], req.rawHeaders[2 * i + 1]]).slice(1) });
    assert.equal(read(again2, o2).signed, true);
  });

  test('the default replay cache is one per process: fresh options objects cannot replay, the same request is not its own replay', () => {
    const { req } = apacheReq(k);
    assert.equal(read(req, opts()).signed, true);
    assert.equal(read(req, opts()).signed, true, 'the same request object, other options: not a replay');
    const pairs = Array.from({ length: req.rawHeaders.length / 2 }, (_, i) => [req.rawHeaders[2 * i], req.rawHeaders[2 * i + 1]]).slice(1);
    const again = fakeReq({ url: '/a/b?x=1&y', host: 'backend.internal:3000', headers: pairs });
    assert.throws(() => read(again, opts()), isCode('REPLAYED'), 'another request with the same signature, another options object');
  });

  test('the same request is not its own replay when its prototype changes between two reads (as in Express and its sub-apps)', () => {
    const http = require('node:http');
    const o = opts();
    // node's own request object, then one as Express leaves it, then back
    const { req } = apacheReq(k);
    Object.setPrototypeOf(req, http.IncomingMessage.prototype);
    const first = read(req, o);
    const appRequest = Object.create(http.IncomingMessage.prototype);
    Object.setPrototypeOf(req, appRequest);
    assert.equal(read(req, o), first, 'the verdict kept under node\'s prototype is found under another');
    // and the other way: first read with a replaced prototype
    const { req: req2 } = apacheReq(k);
    Object.setPrototypeOf(req2, appRequest);
    const second = read(req2, o);
    Object.setPrototypeOf(req2, http.IncomingMessage.prototype);
    assert.equal(read(req2, o), second, 'the verdict kept beside the request is found after the prototype is node\'s again');
    assert.equal(read(req2, opts()).signed, true, 'other options, the same request: its accepted nonce is found too');
  });

  test('tag, nonce and every parameter are required', () => {
    refuses('TAG_MISMATCH', { sign: { tag: 'other' } });
    const p = (params) => ({ sign: { params } });
    refuses('TAG_MISMATCH', p(`;created=${NOW};expires=${NOW + 60};nonce="abcdefghijklmnopqrstuv";keyid="edge-1";alg="ed25519"`));
    refuses('SIGNATURE_MALFORMED', p(`;created=${NOW};expires=${NOW + 60};keyid="edge-1";alg="ed25519";tag="mod_secure_headers"`));
    refuses('SIGNATURE_MALFORMED', p(`;expires=${NOW + 60};nonce="abcdefghijklmnopqrstuv";keyid="edge-1";alg="ed25519";tag="mod_secure_headers"`));
    refuses('SIGNATURE_MALFORMED', p(`;created=${NOW};expires=${NOW + 60};nonce="short";keyid="edge-1";alg="ed25519";tag="mod_secure_headers"`));
    refuses('SIGNATURE_MALFORMED', p(`;created="${NOW}";expires=${NOW + 60};nonce="abcdefghijklmnopqrstuv";keyid="edge-1";alg="ed25519";tag="mod_secure_headers"`));
    refuses('SIGNATURE_MALFORMED', p(`;created=${NOW};created=${NOW};expires=${NOW + 60};nonce="abcdefghijklmnopqrstuv";keyid="edge-1";alg="ed25519";tag="mod_secure_headers"`));
    // order of the parameters does not matter
    const { req } = apacheReq(k, p(`;tag="mod_secure_headers";alg="ed25519";keyid="edge-1";nonce="abcdefghijklmnopqrstuv";expires=${NOW + 60};created=${NOW}`));
    assert.equal(read(req, opts()).signed, true);
  });

  test('required components and every !~ header present must be covered', () => {
    for (const drop of ['@method', '@authority', '@path', '@query']) {
      const components = ['@method', '@authority', '@path', '@query', '!~passenger-proto', '!~passenger-client-address', '!~passenger-envvars'].filter((c) => c !== drop);
      refuses('COMPONENT_NOT_COVERED', { sign: { components } });
    }
    refuses('UNCOVERED_HEADER', { sign: { components: ['@method', '@authority', '@path', '@query', '!~passenger-client-address', '!~passenger-envvars'] } });
    // an extra !~ header added after signing
    refuses('UNCOVERED_HEADER', { more: [['!~Passenger-Extra', 'x']] });
    // a covered header that is missing from the request
    const { req } = apacheReq(k, { sign: { components: ['@method', '@authority', '@path', '@query', '!~passenger-proto', '!~passenger-client-address', '!~passenger-envvars', 'x-custom'] } });
    assert.throws(() => read(req, opts()), isCode('COMPONENT_MISSING'));
  });

  test('a changed method, path, query, host or secure header breaks the signature', () => {
    refuses('SIGNATURE_INVALID', { reqMethod: 'POST' });
    refuses('SIGNATURE_INVALID', { reqUrl: '/a/c?x=1&y' });
    refuses('SIGNATURE_INVALID', { reqUrl: '/a/b?x=2&y' });
    refuses('SIGNATURE_INVALID', { reqHost: 'backend.internal:3001' });
    const { req } = apacheReq(k);
    const i = req.rawHeaders.indexOf('203.0.113.9');
    req.rawHeaders[i] = '203.0.113.10';
    assert.throws(() => read(req, opts()), isCode('SIGNATURE_INVALID'));
  });

  test('@authority: lower-cased host, default port of the backend connection dropped', () => {
    const { req } = apacheReq(k, { host: 'Backend.Internal:80' });
    assert.equal(read(req, opts()).host, 'Backend.Internal:80');
    const { req: r2 } = apacheReq(k, { host: 'backend.internal', reqHost: 'backend.internal:80' });
    assert.equal(read(r2, opts()).signed, true);
  });

  test('authority pinning: a request signed for another balancer member is refused', () => {
    const o = Object.assign(opts(), { authority: ['member-2.internal:3000', 'BACKEND.internal:3000'] });
    assert.equal(read(apacheReq(k).req, o).signed, true);
    refuses('AUTHORITY_MISMATCH', {}, Object.assign(opts(), { authority: 'member-2.internal:3000' }));
  });

  test('X-Forwarded-* covered: host from X-Forwarded-Host; xForwarded requires them covered', () => {
    const headers = [['!~Passenger-Client-Address', '203.0.113.9'], ['X-Forwarded-Proto', 'http'], ['X-Forwarded-Host', 'www.example:8080'], ['X-Forwarded-For', '203.0.113.9']];
    const { req } = apacheReq(k, { headers });
    const r = read(req, Object.assign(opts(), { xForwarded: true }));
    assert.deepEqual([r.host, r.hostname, r.protocol], ['www.example:8080', 'www.example', 'http']);
    refuses('COMPONENT_NOT_COVERED', {}, Object.assign(opts(), { xForwarded: true }));
    refuses('COMPONENT_NOT_COVERED', { headers, sign: { components: ['@method', '@authority', '@path', '@query', '!~passenger-client-address', 'x-forwarded-host'] } });
  });

  test('strict (the default with keys): no signature, or no secure headers, is refused', () => {
    assert.throws(() => read(fakeReq({ headers: [['!~Passenger-Client-Address', '6.6.6.6']] }), opts()), isCode('SIGNATURE_MISSING'));
    assert.throws(() => read(fakeReq(), opts()), isCode('NO_SECURE_HEADERS'));
    refuses('SIGNATURE_INVALID', { mutate: (s) => [['Signature-Input', s.signatureInput], ['Signature', 'secure-headers=:' + Buffer.alloc(64).toString('base64') + ':']] });
    refuses('SIGNATURE_MALFORMED', { mutate: (s) => [['Signature-Input', s.signatureInput]] });
    refuses('SIGNATURE_MALFORMED', { mutate: (s) => [['Signature-Input', s.signatureInput + ', ' + s.signatureInput], ['Signature', s.signature]] });
  });

  test('strict: false: an unproven request gets the socket\'s facts and the error', () => {
    const o = Object.assign(opts(), { strict: false });
    const r = read(fakeReq({ remoteAddress: '10.1.1.1', headers: [['!~Passenger-Client-Address', '6.6.6.6'], ['!~Passenger-Proto', 'https']] }), o);
    assert.deepEqual([r.clientAddress, r.protocol, r.trusted, r.signed, r.error.code], ['10.1.1.1', 'http', false, false, 'SIGNATURE_MISSING']);
    assert.equal(read(apacheReq(k).req, o).signed, true);
  });

  test('other labels from the client pass, in the same field or another line', () => {
    const { req } = apacheReq(k, { mutate: (s) => [['Signature-Input', 'sig1=("@method");created=1'], ['Signature', `sig1=:AAAA:, ${s.signature}`], ['Signature-Input', s.signatureInput]] });
    assert.equal(read(req, opts()).signed, true);
  });

  test('a custom replay store: its interface, async stores through readAsync, failures fail closed', async () => {
    const calls = [];
    const store = { remember: (keyid, nonce, until, now) => { calls.push([keyid, nonce.length, until, now]); return true; } };
    const { req } = apacheReq(k, { sign: { expires: NOW + 30 } });
    read(req, Object.assign(opts(), { replayCache: store }));
    assert.deepEqual(calls, [['edge-1', 22, NOW + 30 + 5, NOW]]);
    const seen = new Set();
    const asyncStore = { remember: async (keyid, nonce) => { const key = keyid + nonce; if (seen.has(key)) return false; seen.add(key); return true; } };
    const o = Object.assign(opts(), { replayCache: asyncStore });
    const a = apacheReq(k);
    assert.throws(() => read(a.req, o), isCode('STORE_ASYNC'));
    assert.equal((await readAsync(a.req, o)).signed, true);
    const b = apacheReq(k, { sign: { nonce: 'abcdefghijklmnopqrstuv' } });
    const c = apacheReq(k, { sign: { nonce: 'abcdefghijklmnopqrstuv' } });
    assert.equal((await readAsync(b.req, o)).signed, true);
    await assert.rejects(readAsync(c.req, o), isCode('REPLAYED'));
    const broken = { remember: () => { throw new Error('redis down'); } };
    assert.throws(() => read(apacheReq(k).req, Object.assign(opts(), { replayCache: broken })), isCode('STORE_FAILED'));
    const brokenAsync = { remember: () => Promise.reject(new Error('redis down')) };
    await assert.rejects(readAsync(apacheReq(k).req, Object.assign(opts(), { replayCache: brokenAsync })), isCode('STORE_FAILED'));
  });

  test('bad options are TypeErrors at setup', () => {
    assert.throws(() => read(fakeReq(), { keys: { a: { alg: 'hmac-sha256', key: 'short' } } }), TypeError);
    assert.throws(() => read(fakeReq(), { keys: { a: { alg: 'rsa-pss-sha512', key: 'x' } } }), TypeError);
    assert.throws(() => read(fakeReq(), { keys: { a: { alg: 'ed25519', key: K['ecdsa-p256-sha256'].public } } }), TypeError);
    assert.throws(() => read(fakeReq(), { keys: {} }), TypeError);
    assert.throws(() => read(fakeReq(), { clockSkew: -1 }), TypeError);
    assert.throws(() => read(fakeReq(), { replayCache: {} }), TypeError);
  });

  test('a private key given where the public key is needed is refused, with the command that makes the public one', () => {
    for (const key of [k.private, k.private.export({ type: 'pkcs8', format: 'pem' }), K['ecdsa-p256-sha256'].private.export({ type: 'sec1', format: 'pem' })]) {
      const alg = key === k.private || typeof key === 'string' && key.includes('BEGIN PRIVATE KEY') ? 'ed25519' : 'ecdsa-p256-sha256';
      assert.throws(() => read(apacheReq(k).req, Object.assign({ keys: { 'edge-1': { alg, key } }, authority: false }, clock)),
        (e) => e instanceof TypeError && /private key/.test(e.message) && e.message.includes('openssl pkey -in edge-1.pem -pubout -out edge-1.pub.pem'));
    }
    const pem = k.public.export({ type: 'spki', format: 'pem' });
    assert.equal(read(apacheReq(k).req, Object.assign({ keys: { 'edge-1': { alg: 'ed25519', key: pem } }, authority: false }, clock)).signed, true);
  });

  test('unknown option names are TypeErrors that name the closest valid one', () => {
    const cases = [
      [{ keys: keysFor(k), autority: 'a:1' }, /"autority" is not an option: did you mean authority\?/],
      [{ replaycache: false }, /did you mean replayCache\?/],
      [{ clockskew: 3 }, /did you mean clockSkew\?/],
      [{ keys: { 'edge-1': { alg: 'ed25519', kye: k.public } }, authority: false }, /keys\["edge-1"\]: "kye" is not an option: did you mean key\?/],
      [{ zzzzzzzz: 1 }, /"zzzzzzzz" is not an option \(the options are keys, /],
    ];
    for (const [o, re] of cases) assert.throws(() => read(fakeReq(), o), (e) => e instanceof TypeError && re.test(e.message), JSON.stringify(Object.keys(o)));
    const { express, koa, fastify } = require('..');
    assert.throws(() => express({ autority: 'a:1' }), /did you mean authority\?/, 'at creation, not on the first request');
    assert.throws(() => koa({ stict: true }), /did you mean strict\?/);
    assert.throws(() => fastify({ hasRequestDecorator: () => true, decorateRequest() {}, addHook() {} }, { xforwarded: true }, () => {}), /did you mean xForwarded\?/);
    assert.throws(() => createMemoryReplayCache({ maxentries: 5 }), /did you mean maxEntries\?/);
  });

  test('keys is a plain object keyed by keyid', () => {
    const spec = { alg: 'ed25519', key: k.public };
    assert.throws(() => read(fakeReq(), { keys: spec, authority: false }), (e) => e instanceof TypeError && /keyed by keyid/.test(e.message));
    assert.throws(() => read(fakeReq(), { keys: new Map([['edge-1', spec]]), authority: false }), /got a Map/);
    assert.throws(() => read(fakeReq(), { keys: [spec], authority: false }), /got an array/);
    assert.throws(() => read(fakeReq(), { keys: { 'edge-1': [spec] }, authority: false }), /keys\["edge-1"\]: \{ alg, key \}/);
  });

  test('authority: host[:port] only; with keys it is required (false: the explicit opt-out)', () => {
    for (const [a, re] of [
      ['http://10.0.0.5:3000', /has a scheme; give only host\[:port\] of the ProxyPass or BalancerMember URL: "10\.0\.0\.5:3000"/],
      ['http://10.0.0.5:3000/app/', /has a scheme and a path; .*: "10\.0\.0\.5:3000"/],
      ['10.0.0.5:3000/app', /has a path or other characters; .*: "10\.0\.0\.5:3000"/],
      ['app.internal:99999', /is not host\[:port\]/],
      ['', /host\[:port\] or a list/],
      [[], /host\[:port\] or a list/],
      [['a:1', 7], /host\[:port\] or a list/],
    ]) {
      assert.throws(() => read(fakeReq(), { keys: keysFor(k), authority: a }), (e) => e instanceof TypeError && re.test(e.message), JSON.stringify(a));
    }
    assert.doesNotThrow(() => read(fakeReq(), { authority: ['[::1]:3000', 'app.internal', '10.0.0.5:3000'] }));
    const { express } = require('..');
    assert.throws(() => express({ keys: keysFor(k) }), (e) => e instanceof TypeError &&
      /options\.authority is missing: .*BalancerMember http:\/\/10\.0\.0\.5:3000.*authority: false/.test(e.message));
    // read() alone compiles on the first request, which shows the value
    const { req } = apacheReq(k);
    assert.throws(() => read(req, Object.assign({ keys: keysFor(k) }, clock)), /This request came for Host "backend\.internal:3000"/);
    assert.equal(read(req, Object.assign({ keys: keysFor(k), authority: 'backend.internal:3000' }, clock)).signed, true);
  });

  test('codes are the documented stable strings', () => {
    assert.deepEqual(Object.keys(codes).sort(), Object.values(codes).sort());
    assert.ok(createMemoryReplayCache);
  });
});

test('the repository\'s earlier helper, node/secure-headers.js, still answers as before', () => {
  const { secureInfo, decodeEnvvars } = require('../secure-headers');
  const info = secureInfo(fakeReq({ headers: [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', 'Rk9PAGJhcgA=']] }));
  assert.deepEqual({ ...info, env: { ...info.env } }, { viaApache: true, protocol: 'https', clientAddress: '203.0.113.9', env: { FOO: 'bar' } });
  assert.deepEqual(secureInfo(fakeReq({ remoteAddress: '10.0.0.1' })).clientAddress, '10.0.0.1');
  assert.deepEqual({ ...decodeEnvvars('') }, {});
});
