// SPDX-License-Identifier: MIT
'use strict';
// lib/hmac.js: HMAC-SHA256 over latin1 text, from one-shot hashes where
// node:crypto has crypto.hash(), against RFC 4231's vectors and against
// createHmac() over every length and byte value that matters.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { HmacKey, oneShotHmac } = require('../lib/hmac');
const { seededInts } = require('./helpers');

const latin1 = (bytes) => Buffer.from(bytes).toString('latin1');

// RFC 4231 section 4: test cases 1-4, 6 and 7 (5 is a truncated MAC).
const RFC4231 = [
  [Buffer.alloc(20, 0x0b), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  [Buffer.from('Jefe'), 'what do ya want for nothing?', '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  [Buffer.alloc(20, 0xaa), latin1(Buffer.alloc(50, 0xdd)), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
  [Buffer.from(Array.from({ length: 25 }, (_, i) => i + 1)), latin1(Buffer.alloc(50, 0xcd)), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
  [Buffer.alloc(131, 0xaa), 'Test Using Larger Than Block-Size Key - Hash Key First', '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  [Buffer.alloc(131, 0xaa), 'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
];

test('RFC 4231 test cases 1-4, 6, 7', () => {
  for (const [key, data, want] of RFC4231) {
    const k = new HmacKey(key);
    assert.equal(k.mac(data, 'hex'), want);
    assert.deepEqual(k.mac(data), Buffer.from(want, 'hex'), 'no encoding: a Buffer, as createHmac gives');
  }
});

test('the one-shot path is the one in use where crypto.hash() exists', () => {
  assert.equal(oneShotHmac(), typeof crypto.hash === 'function');
});

test('equal to createHmac() for keys of 32, 63-65 and 200 bytes and texts of 0 to 5,000 bytes, every latin1 byte', () => {
  const rnd = seededInts(99);
  for (const keyLength of [32, 63, 64, 65, 200]) {
    const key = crypto.randomBytes(keyLength);
    const k = new HmacKey(key);
    // grows past the first scratch buffer (1,024 bytes), then shrinks back
    for (const n of [0, 1, 55, 56, 64, 119, 120, 1023, 1024, 1025, 2100, 5000, 17, 600]) {
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = rnd(256);
      const text = latin1(bytes);
      assert.equal(k.mac(text, 'base64'), crypto.createHmac('sha256', key).update(bytes).digest('base64'), `key ${keyLength} B, text ${n} B`);
    }
  }
});

test('one key object, many texts in turn: nothing of one text stays in the next MAC', () => {
  const key = crypto.randomBytes(32);
  const k = new HmacKey(key);
  const texts = ['x'.repeat(3000), 'short', '', 'y'.repeat(1500), 'z'];
  for (let round = 0; round < 3; round++) {
    for (const t of texts) assert.equal(k.mac(t, 'hex'), crypto.createHmac('sha256', key).update(t, 'latin1').digest('hex'));
  }
});
