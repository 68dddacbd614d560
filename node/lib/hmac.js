// SPDX-License-Identifier: MIT
'use strict';
// HMAC-SHA256 (RFC 2104) over a latin1 string, for verifying a signature
// on every request with as little work around the hash as node:crypto
// allows.
//
// crypto.createHmac() builds a stream object per call (a Hmac with its
// handle, options and LazyTransform state), which in an app, where that
// garbage is collected too, costs about as much again as the hash. Where
// node:crypto has the one-shot crypto.hash() (Node.js 20.12, 21.7 and
// later), HMAC is computed as RFC 2104 defines it, with two one-shot
// SHA-256 calls and nothing else allocated but the inner digest:
//
//   HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m))
//
// K0 ^ ipad and K0 ^ opad are made once per key, in buffers that the
// message and the inner digest are then written after. Elsewhere, and if
// the self-test below (RFC 4231's test case 2, and a key longer than a
// block) finds crypto.hash() disagreeing with createHmac(), createHmac()
// is used. bench/README.md has the figures.

const crypto = require('node:crypto');

const BLOCK = 64; // SHA-256's block size, in bytes
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : null;

/**
 * A buffer of at least `need` bytes: `buf` itself when it is large enough,
 * else one twice as large (or more) that starts with buf's first `keep`
 * bytes; the old one is zeroed (it may hold key pads or request data).
 * For the buffers kept to write per-request text into.
 */
function roomFor(buf, need, keep = 0) {
  if (need <= buf.length) return buf;
  let size = buf.length * 2;
  while (size < need) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  buf.copy(grown, 0, 0, keep);
  buf.fill(0);
  return grown;
}

class HmacKey {
  constructor(bytes) {
    this.bytes = bytes; // for createHmac
    if (!fast) return;
    const k0 = Buffer.alloc(BLOCK);
    (bytes.length > BLOCK ? crypto.createHash('sha256').update(bytes).digest() : bytes).copy(k0);
    // inner: K0 ^ ipad, then the message; outer: K0 ^ opad, then H(inner)
    this.inner = Buffer.allocUnsafe(BLOCK + 1024);
    this.outer = Buffer.allocUnsafe(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = k0[i] ^ 0x36;
      this.outer[i] = k0[i] ^ 0x5c;
    }
    k0.fill(0);
  }

  /** The MAC of `text` (latin1: one byte per character, all below 0x100). */
  mac(text, encoding) {
    if (!fast) return crypto.createHmac('sha256', this.bytes).update(text, 'latin1').digest(encoding);
    this.inner = roomFor(this.inner, BLOCK + text.length, BLOCK);
    const n = this.inner.write(text, BLOCK, 'latin1');
    oneShot('sha256', this.inner.subarray(0, BLOCK + n), 'buffer').copy(this.outer, BLOCK);
    return oneShot('sha256', this.outer, encoding === undefined ? 'buffer' : encoding);
  }
}

// Is crypto.hash() there and does it give RFC 2104's HMAC?
let fast = false;
if (oneShot !== null) {
  try {
    fast = true;
    const vector = new HmacKey(Buffer.from('Jefe')).mac('what do ya want for nothing?', 'hex');
    const long = crypto.randomBytes(131);
    const msg = 'x'.repeat(3000);
    fast = vector === '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
      && new HmacKey(long).mac(msg, 'base64') === crypto.createHmac('sha256', long).update(msg, 'latin1').digest('base64');
  } catch (_) {
    fast = false;
  }
}

module.exports = { HmacKey, oneShotHmac: () => fast, roomFor };
