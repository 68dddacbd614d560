// SPDX-License-Identifier: MIT
'use strict';
// readRequest() on Fetch API Requests against read() on the same bytes as
// node:http hands them over: the same facts, or the same error code, for
// every case; and where a Request cannot carry what read() sees (repeated
// fields joined, a URL the runtime normalised), a refusal, never other facts.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const secure = require('..');
const { read, readRequest, SecureHeadersError, createMemoryReplayCache } = secure;
const { sign, testKeys } = require('./signer');
const { fakeReq } = require('./helpers');

const ENV = Buffer.from('FOO\0bar\0UTF8\0h\u00e9llo\u2192\0', 'utf8').toString('base64');
// The verifier's clock, a little ahead of this process's start: signatures
// made "now" are newer than the in-memory replay cache.
const NOW = Math.floor(Date.now() / 1000) + 100;
const K = testKeys();

// The same request, as node:http and as a Fetch API Request.
function both({ method = 'GET', target = '/', host = 'backend.internal:3000', headers = [], remoteAddress = '127.0.0.1', encrypted = false }) {
  const req = fakeReq({ method, url: target, host, headers, remoteAddress, encrypted });
  const h = new Headers();
  if (host !== null) h.append('Host', host);
  for (const [n, v] of headers) h.append(n, v);
  const request = new Request(`${encrypted ? 'https' : 'http'}://runtime.example${target}`, { method, headers: h });
  return { req, request, conn: { remoteAddress, encrypted } };
}

async function outcome(fn) {
  try {
    return { facts: await fn() };
  } catch (e) {
    if (!(e instanceof SecureHeadersError)) throw e;
    return { code: e.code };
  }
}

function plain(o) {
  if (!o.facts) return o;
  const f = o.facts;
  return { facts: { ...f, env: { ...f.env }, envList: f.envList.map((p) => [...p]), error: f.error && f.error.code } };
}

async function same(parts, options, message) {
  const { req, request, conn } = both(parts);
  const a = plain(await outcome(() => read(req, options)));
  const b = plain(await outcome(() => readRequest(request, options, conn)));
  assert.deepEqual(b, a, message);
  return b;
}

function signed(k, { target = '/a/b?x=1&y', host = 'backend.internal:3000', headers, created = NOW - 1, more = [], mutate } = {}) {
  const hs = headers || [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', ENV]];
  const s = sign({ method: 'GET', target, host, headers: hs }, { keyid: 'edge-1', alg: k.alg, key: k.private, created });
  const sig = mutate ? mutate(s) : [['Signature-Input', s.signatureInput], ['Signature', s.signature]];
  return { target, host, headers: [...hs, ...more, ...sig] };
}

const keyed = (k, extra = {}) => Object.assign({ keys: { 'edge-1': { alg: k.alg, key: k.public } }, now: () => NOW * 1000, replayCache: false, authority: false }, extra);

describe('readRequest: the same verdict as read()', () => {
  test('unsigned: the !~ headers believed, Envvars decoded; X-Forwarded-* ignored', async () => {
    const r = await same({ host: 'Example.COM:8080', headers: [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'],
      ['!~Passenger-Envvars', ENV], ['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example']] });
    assert.deepEqual([r.facts.clientAddress, r.facts.protocol, r.facts.host, r.facts.hostname, r.facts.env.UTF8, r.facts.trusted],
      ['203.0.113.9', 'https', 'Example.COM:8080', 'Example.COM', 'h\u00e9llo\u2192', true]);
  });

  test('unsigned, no !~ header: the connection facts from conn; strict refuses', async () => {
    const r = await same({ remoteAddress: '2001:db8::5', encrypted: true, headers: [['X-Forwarded-For', '6.6.6.6']] });
    assert.deepEqual([r.facts.clientAddress, r.facts.protocol, r.facts.trusted], ['2001:db8::5', 'https', false]);
    assert.deepEqual(await same({}, { strict: true }), { code: 'NO_SECURE_HEADERS' });
    const noConn = await readRequest(new Request('https://x.example/', { headers: { host: 'x.example' } }));
    assert.deepEqual([noConn.clientAddress, noConn.protocol], [undefined, 'http'], 'no conn: no address, and the URL\'s scheme is not taken for TLS');
  });

  test('malformed secure headers: the same codes', async () => {
    for (const headers of [
      [['!~Passenger-Client-Address', 'not-an-ip']],
      [['!~Passenger-Envvars', 'Rk9PAGJhcgA']],
      [['!~Passenger-Envvars', Buffer.from('FOO\0bar').toString('base64')]],
    ]) {
      assert.deepEqual(await same({ headers }), { code: 'HEADER_MALFORMED' }, JSON.stringify(headers));
    }
  });

  test('a repeated secure header or Host is refused, not read as one joined value', async () => {
    for (const headers of [
      [['!~Passenger-Proto', 'https'], ['!~Passenger-Proto', 'https']],
      [['!~Passenger-Proto', 'http'], ['!~passenger-proto', 'https']],
      [['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Client-Address', '203.0.113.9']],
      [['!~Passenger-Envvars', ENV], ['!~Passenger-Envvars', ENV]],
      [['!~Passenger-Client-Address', '203.0.113.9'], ['Host', 'other.example']],
    ]) {
      const { request } = both({ headers });
      assert.equal([...request.headers].filter(([, v]) => v.includes(', ')).length, 1, 'Headers joined them');
      assert.deepEqual(await same({ headers }), { code: 'HEADER_MALFORMED' }, JSON.stringify(headers));
    }
    // and signed: a signature valid over both lines (the joined value) does not make them one
    const k = K.ed25519;
    const twice = [['!~Passenger-Proto', 'https'], ['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9']];
    assert.deepEqual(await same(signed(k, { headers: twice }), keyed(k)), { code: 'HEADER_MALFORMED' });
    assert.deepEqual(await same(signed(k, { more: [['!~Passenger-Proto', 'https']] }), keyed(k)), { code: 'SIGNATURE_INVALID' }, 'added after signing');
  });

  test('xForwarded: X-Forwarded-Host one value only, repeated lines refused', async () => {
    const base = [['!~Passenger-Client-Address', '127.0.0.1']];
    const r = await same({ headers: [...base, ['X-Forwarded-Host', 'app.example:8443']] }, { xForwarded: true });
    assert.equal(r.facts.host, 'app.example:8443');
    assert.deepEqual(await same({ headers: [...base, ['X-Forwarded-Host', 'a.example'], ['X-Forwarded-Host', 'b.example']] }, { xForwarded: true }),
      { code: 'HEADER_MALFORMED' });
  });

  for (const name of Object.keys(K)) {
    test(`${name}: a request signed like the module's is accepted with the same facts`, async () => {
      const r = await same(signed(K[name]), keyed(K[name]));
      assert.deepEqual([r.facts.signed, r.facts.keyid, r.facts.clientAddress, r.facts.protocol, r.facts.host],
        [true, 'edge-1', '203.0.113.9', 'https', 'backend.internal:3000']);
    });
  }

  test('signed: tampering, expiry, authority pin, uncovered !~ header, a forged direct request: the same codes', async () => {
    const k = K.ed25519;
    const cases = [
      [signed(k, { more: [['!~Passenger-Foo', 'x']] }), keyed(k), 'UNCOVERED_HEADER'],
      [{ ...signed(k), host: 'evil.example' }, keyed(k), 'SIGNATURE_INVALID'],
      [{ ...signed(k), target: '/a/b?x=2&y' }, keyed(k), 'SIGNATURE_INVALID'],
      [signed(k, { created: NOW - 4000 }), keyed(k), 'SIGNATURE_EXPIRED'],
      [signed(k), keyed(k, { authority: 'other.internal:3000' }), 'AUTHORITY_MISMATCH'],
      [{ headers: [['!~Passenger-Client-Address', '6.6.6.6']] }, keyed(k), 'SIGNATURE_MISSING'],
      [{ headers: [] }, keyed(k), 'NO_SECURE_HEADERS'],
      [signed(k, { mutate: (s) => [['Signature-Input', s.signatureInput], ['Signature', s.signature], ['Signature', s.signature]] }), keyed(k), 'SIGNATURE_MALFORMED'],
    ];
    for (const [parts, o, code] of cases) assert.deepEqual(await same(parts, o), { code }, code);
    const r = await same(signed(k, { created: NOW - 4000 }), keyed(k, { strict: false }));
    assert.equal(r.facts.error, 'SIGNATURE_EXPIRED', 'non-strict: the connection facts with the error');
  });

  test('Signature-Input and Signature over several lines (a proxy chain): joined as RFC 9421 joins them', async () => {
    const k = K['hmac-sha256'];
    const r = await same(signed(k, { mutate: (s) => [['Signature-Input', 'other=("@method");keyid="x"'], ['Signature-Input', s.signatureInput],
      ['Signature', 'other=:AAAA:'], ['Signature', s.signature]] }), keyed(k));
    assert.equal(r.facts.signed, true);
  });

  test('a covered field sent twice is the joined value for both', async () => {
    const k = K['hmac-sha256'];
    const hs = [['!~Passenger-Client-Address', '203.0.113.9'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'a.example'],
      ['X-Forwarded-For', '198.51.100.1'], ['X-Forwarded-For', '203.0.113.9']];
    const r = await same(signed(k, { headers: hs }), keyed(k));
    assert.equal(r.facts.host, 'a.example');
  });

  test('a path the runtime normalised (dot segments, quote): refused, never accepted with other facts', async () => {
    const k = K.ed25519;
    for (const target of ['/a/../admin?x=1', "/it's?q='"]) {
      const parts = signed(k, { target });
      const { req, request, conn } = both(parts);
      assert.equal(read(req, keyed(k)).signed, true, 'read() sees the raw target');
      assert.notEqual(new URL(request.url).pathname + new URL(request.url).search, target, 'the Request URL was normalised');
      assert.deepEqual(await outcome(() => readRequest(request, keyed(k), conn)), { code: 'SIGNATURE_INVALID' }, target);
    }
  });

  test('conn.incoming: the IncomingMessage under the Request is read instead (raw target and lines)', async () => {
    const k = K.ed25519;
    const parts = signed(k, { target: '/a/../admin?x=1', more: [] });
    const { req, request } = both(parts);
    const o = keyed(k);
    const r = await readRequest(request, o, { incoming: req });
    assert.equal(r, read(req, o), 'one verdict for the IncomingMessage');
    const dup = both({ headers: [['!~Passenger-Proto', 'https'], ['!~Passenger-Proto', 'https']] });
    await assert.rejects(readRequest(dup.request, undefined, { incoming: dup.req }), { code: 'HEADER_MALFORMED' });
  });
});

describe('readRequest: replay and stores', () => {
  test('the same Request read twice is one verdict; another Request with the same signature is a replay', async () => {
    const k = K.ed25519;
    const o = keyed(k, { replayCache: createMemoryReplayCache() });
    const parts = signed(k);
    const first = both(parts);
    const a = await readRequest(first.request, o, first.conn);
    assert.equal(await readRequest(first.request, o, first.conn), a);
    await assert.rejects(readRequest(both(parts).request, o), { code: 'REPLAYED' });
  });

  test('an asynchronous store; a store that fails rejects with STORE_FAILED', async () => {
    const k = K.ed25519;
    const seen = new Set();
    const store = { remember: async (id, nonce) => { if (seen.has(nonce)) return false; seen.add(nonce); return true; } };
    const parts = signed(k);
    assert.equal((await readRequest(both(parts).request, keyed(k, { replayCache: store }))).signed, true);
    await assert.rejects(readRequest(both(parts).request, keyed(k, { replayCache: store })), { code: 'REPLAYED' });
    const broken = { remember: async () => { throw new Error('connection refused'); } };
    await assert.rejects(readRequest(both(signed(k)).request, keyed(k, { replayCache: broken })), { code: 'STORE_FAILED' });
  });
});

describe('readRequest: arguments', () => {
  test('TypeError for what is not a Request or a conn', async () => {
    await assert.rejects(readRequest({}), TypeError);
    await assert.rejects(readRequest(null), TypeError);
    const r = new Request('http://x/');
    await assert.rejects(readRequest(r, undefined, 'x'), TypeError);
    await assert.rejects(readRequest(r, undefined, { remoteAddress: 1 }), TypeError);
    await assert.rejects(readRequest(r, undefined, { encrypted: 'yes' }), TypeError);
    await assert.rejects(readRequest(r, undefined, { incoming: {} }), TypeError);
    await assert.rejects(readRequest(r, { strict: 'no' }), TypeError);
  });

  test('the target as the URL has it: origin-form, empty path, no fragment', () => {
    const { targetOf } = require('../lib/web');
    assert.equal(targetOf('http://h:1/a/b?c=d'), '/a/b?c=d');
    assert.equal(targetOf('http://h'), '/');
    assert.equal(targetOf('http://h?x'), '/?x');
    assert.equal(targetOf('http://h/p#frag'), '/p');
    assert.equal(targetOf('https://[::1]:8443/%7e/./x'), '/%7e/./x');
  });

  test('exported from the package entry points', async () => {
    assert.equal(typeof secure.readRequest, 'function');
    assert.equal(typeof secure.hono, 'function');
    const esm = await import('../index.mjs');
    assert.equal(esm.readRequest, secure.readRequest);
    assert.equal(esm.hono, secure.hono);
  });
});

describe('Next.js: nextProxy and nextFacts', () => {
  const { nextProxy, nextFacts } = secure;
  const { NEXT_REF } = require('../lib/web');
  // next/server's NextResponse.next({ request: { headers } }) as far as the
  // proxy uses it: the headers the route will see.
  const NextResponse = { next: (init) => ({ next: true, headers: init.request.headers }) };

  test('a verified request: the route sees a fresh reference, never the client\'s, and nextFacts() gives the facts', async () => {
    const proxy = nextProxy(NextResponse);
    const { request } = both({ headers: [['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Proto', 'https'], [NEXT_REF, 'forged']] });
    const out = await proxy(request);
    assert.equal(out.next, true);
    const ref = out.headers.get(NEXT_REF);
    assert.match(ref, /^[A-Za-z0-9_-]{24}$/);
    const f = nextFacts(out.headers);
    assert.deepEqual([f.clientAddress, f.protocol, f.trusted], ['203.0.113.9', 'https', true]);
    const again = await proxy(both({ headers: [['!~Passenger-Client-Address', '203.0.113.9']] }).request);
    assert.notEqual(again.headers.get(NEXT_REF), ref, 'one reference per request');
  });

  test('a refused request: 403 (503 for a failed store) and no route; onReject gets the Request', async () => {
    const seen = [];
    const proxy = nextProxy(NextResponse, { strict: true, onReject: (err, req) => seen.push([err.code, req.method]) });
    const r = await proxy(both({}).request);
    assert.ok(r instanceof Response);
    assert.deepEqual([r.status, await r.text()], [403, 'Forbidden\n']);
    assert.deepEqual(seen, [['NO_SECURE_HEADERS', 'GET']]);
    const k = K.ed25519;
    const broken = nextProxy(NextResponse, keyed(k, { replayCache: { remember: async () => { throw new Error('down'); } } }));
    const b = await broken(both(signed(k)).request);
    assert.deepEqual([b.status, await b.text()], [503, 'Service Unavailable\n']);
  });

  test('nextFacts: no reference, or one the proxy did not make, is NO_SECURE_HEADERS', () => {
    assert.throws(() => nextFacts(new Headers()), (e) => e instanceof SecureHeadersError && e.code === 'NO_SECURE_HEADERS');
    assert.throws(() => nextFacts(new Headers({ [NEXT_REF]: 'AAAAAAAAAAAAAAAAAAAAAAAA' })), (e) => e.code === 'NO_SECURE_HEADERS');
    assert.throws(() => nextFacts({}), TypeError);
    assert.throws(() => nextProxy({}), TypeError);
  });
});
