// SPDX-License-Identifier: MIT
'use strict';
// deriveKey and backendIdentity (lib/derive.js): RFC 5869's HKDF-SHA256
// vectors through the same primitive, the vectors of docs/derived-keys.md,
// `openssl kdf ... HKDF` (when the machine has OpenSSL 3), the identities
// of backend URLs, and strict arguments.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const secureHeaders = require('..');
const { DERIVE_SALT } = require('../lib/derive');

const MASTER = Buffer.from([...Array(32).keys()]);

// docs/derived-keys.md, "Test vectors" (also tests/unit/test_derive.c).
const VECTORS = [
  ['http://10.0.0.5:3000', 'http://10.0.0.5:3000', '06d16799707976d73e5cf268480abc0e5961d86a875517dad3a45519b40b9871'],
  ['https://App.Internal/', 'https://app.internal:443', '2d8c98fa77883ec15b43646bbc5dc424d3dc2cf45c5582eade0ef7d702973a4f'],
  ['unix:/run/app.sock|http://localhost/', 'unix:/run/app.sock', 'f440a3d53a36208603685c4ca64577d4b3055787f48ccbd8d9e42a07f081ca51'],
];

test('the salt is the documented one', () => {
  assert.equal(DERIVE_SALT, 'mod_secure_headers derived key v1');
});

test('RFC 5869 A.1-A.3: the HKDF-SHA256 primitive deriveKey uses', () => {
  const h = (s) => Buffer.from(s, 'hex');
  const cases = [
    ['0b'.repeat(22), '000102030405060708090a0b0c', 'f0f1f2f3f4f5f6f7f8f9', 42,
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'],
    [Buffer.from([...Array(80).keys()]).toString('hex'), Buffer.from([...Array(80).keys()].map((i) => i + 0x60)).toString('hex'),
      Buffer.from([...Array(80).keys()].map((i) => i + 0xb0)).toString('hex'), 82,
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87'],
    ['0b'.repeat(22), '', '', 42, '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'],
  ];
  for (const [ikm, salt, info, len, okm] of cases) {
    assert.equal(Buffer.from(crypto.hkdfSync('sha256', h(ikm), h(salt), h(info), len)).toString('hex'), okm);
  }
});

test('the documented vectors', () => {
  for (const [url, id, key] of VECTORS) {
    assert.equal(secureHeaders.backendIdentity(url), id);
    assert.equal(secureHeaders.deriveKey(MASTER, url).toString('hex'), key);
    assert.equal(secureHeaders.deriveKey(new Uint8Array(MASTER), id).toString('hex'), key);
  }
});

const hasKdf = spawnSync('openssl', ['kdf', '-help'], { encoding: 'utf8' }).status === 0;
test('openssl kdf ... HKDF derives the same key files', { skip: hasKdf ? false : 'no OpenSSL 3 openssl kdf' }, () => {
  const master = crypto.randomBytes(48);
  for (const url of ['http://10.0.0.5:3000', 'https://backend.example:8443/app', 'ws://[fd00::5]:3000/ws']) {
    const id = secureHeaders.backendIdentity(url);
    const r = spawnSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${master.toString('hex')}`,
      '-kdfopt', `salt:${DERIVE_SALT}`, '-kdfopt', `info:${id}`, '-binary', 'HKDF']);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(r.stdout, secureHeaders.deriveKey(master, url));
  }
});

test('identities: case, default ports, ws, user info, IPv6, unix sockets', () => {
  const cases = {
    'HTTP://Backend.Example:8080/x?y': 'http://backend.example:8080',
    'http://backend': 'http://backend:80',
    'http://backend:': 'http://backend:80',
    'https://backend/': 'https://backend:443',
    'ws://backend:3000/s': 'http://backend:3000',
    'wss://backend/s': 'https://backend:443',
    'http://user:pw@backend:81/': 'http://backend:81',
    'http://[2001:DB8::1]:3000/': 'http://[2001:db8::1]:3000',
    'unix:/run/a.sock': 'unix:/run/a.sock',
  };
  for (const [url, id] of Object.entries(cases)) assert.equal(secureHeaders.backendIdentity(url), id, url);
});

test('URLs that name no backend, and bad masters: TypeError', () => {
  for (const url of ['h2c://b:3000/', 'fcgi://b:9000/', 'balancer://apps/', 'http://b:0/', 'http://b:65536/',
    'http://b:80x/', 'http://[::1/', 'http:///p', 'unix:|http://localhost/', 'b:3000', 42, undefined]) {
    assert.throws(() => secureHeaders.deriveKey(MASTER, url), TypeError, String(url));
  }
  assert.throws(() => secureHeaders.deriveKey(MASTER.subarray(0, 31), 'http://b'), /at least 32 bytes/);
  assert.throws(() => secureHeaders.deriveKey('secret'.repeat(8), 'http://b'), TypeError);
});

test('each backend gets its own key', () => {
  const a = secureHeaders.deriveKey(MASTER, 'http://10.0.0.5:3000');
  const b = secureHeaders.deriveKey(MASTER, 'http://10.0.0.6:3000');
  const c = secureHeaders.deriveKey(MASTER, 'http://10.0.0.5:3001');
  assert.equal(new Set([a, b, c].map((k) => k.toString('hex'))).size, 3);
  assert.equal(a.length, 32);
});
