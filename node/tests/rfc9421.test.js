// SPDX-License-Identifier: MIT
'use strict';
// RFC 9421's own test vectors (appendix B.2.5 and B.2.6), checked with the
// package's lower-level verifySignature(): the same code read() uses.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { verifySignature, SecureHeadersError } = require('..');

// RFC 9421 B.2 test-request.
const REQUEST = {
  method: 'POST',
  authority: 'example.com',
  path: '/foo',
  query: '?param=Value&Pet=dog',
  headers: [
    ['Host', 'example.com'],
    ['Date', 'Tue, 20 Apr 2021 02:07:55 GMT'],
    ['Content-Type', 'application/json'],
    ['Content-Digest', 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:'],
    ['Content-Length', '18'],
  ],
};
// B.1.5 test-shared-secret and B.1.4 test-key-ed25519 (public half).
const SHARED = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64');
const ED25519_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n';

const B25 = {
  input: 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
  signature: 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:',
  base: '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@authority": example.com\n"content-type": application/json\n' +
    '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
};
const B26 = {
  input: 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
  signature: 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
  base: '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n"@authority": example.com\n' +
    '"content-type": application/json\n"content-length": 18\n' +
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
};

function signed(vector) {
  return Object.assign({}, REQUEST, { headers: [...REQUEST.headers, ['Signature-Input', vector.input], ['Signature', vector.signature]] });
}

test('B.2.5 hmac-sha256 with test-shared-secret: signature base and signature verify', () => {
  const r = verifySignature(signed(B25), { label: 'sig-b25', keys: { 'test-shared-secret': { alg: 'hmac-sha256', key: SHARED } } });
  assert.equal(r.base, B25.base);
  assert.equal(r.keyid, 'test-shared-secret');
  assert.equal(r.alg, 'hmac-sha256');
  assert.deepEqual(r.components, ['date', '@authority', 'content-type']);
  assert.equal(r.params.created, 1618884473);
});

test('B.2.6 ed25519 with test-key-ed25519: signature base and signature verify', () => {
  const r = verifySignature(signed(B26), { label: 'sig-b26', keys: { 'test-key-ed25519': { alg: 'ed25519', key: ED25519_PUBLIC } } });
  assert.equal(r.base, B26.base);
  assert.equal(r.alg, 'ed25519');
});

test('the vectors fail when one byte of the message changes', () => {
  for (const [vector, label, keys] of [
    [B25, 'sig-b25', { 'test-shared-secret': { alg: 'hmac-sha256', key: SHARED } }],
    [B26, 'sig-b26', { 'test-key-ed25519': { alg: 'ed25519', key: ED25519_PUBLIC } }],
  ]) {
    const m = signed(vector);
    m.headers = m.headers.map(([n, v]) => [n, n === 'Date' ? v.replace('55', '56') : v]);
    assert.throws(() => verifySignature(m, { label, keys }), (e) => e instanceof SecureHeadersError && e.code === 'SIGNATURE_INVALID');
    const m2 = Object.assign(signed(vector), { authority: 'example.org' });
    assert.throws(() => verifySignature(m2, { label, keys }), { code: 'SIGNATURE_INVALID' });
  }
});

test('the algorithm is pinned by the key: B.2.5 checked against an ed25519 key of that id is refused', () => {
  assert.throws(() => verifySignature(signed(B25), { label: 'sig-b25', keys: { 'test-shared-secret': { alg: 'ed25519', key: ED25519_PUBLIC } } }),
    { code: 'SIGNATURE_INVALID' });
  const m = signed(B25);
  m.headers = m.headers.map(([n, v]) => [n, n === 'Signature-Input' ? v + ';alg="ed25519"' : v]);
  assert.throws(() => verifySignature(m, { label: 'sig-b25', keys: { 'test-shared-secret': { alg: 'hmac-sha256', key: SHARED } } }),
    { code: 'ALG_MISMATCH' });
});

test('an unknown keyid and a missing label are refused with their codes', () => {
  assert.throws(() => verifySignature(signed(B25), { label: 'sig-b25', keys: { other: { alg: 'hmac-sha256', key: SHARED } } }), { code: 'UNKNOWN_KEY' });
  assert.throws(() => verifySignature(signed(B25), { label: 'sig-b26', keys: { 'test-shared-secret': { alg: 'hmac-sha256', key: SHARED } } }), { code: 'SIGNATURE_MISSING' });
});
