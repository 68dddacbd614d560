// SPDX-License-Identifier: MIT
'use strict';
// Checking the module's RFC 9421 signatures in tests: the exact wire format
// docs/wire-format.md fixes, and verification by an independent implementation,
// the npm package http-message-signatures (tests/interop/, test-only).
const path = require('node:path');
const crypto = require('node:crypto');

const INTEROP = path.join(__dirname, '..', 'interop');

function library() {
  return require(path.join(INTEROP, 'node_modules', 'http-message-signatures'));
}

// Every field line of an echo (rawHeaders), by lower-case name.
function headerLists(echo) {
  const out = {};
  const rh = echo.rawHeaders;
  for (let i = 0; i + 1 < rh.length; i += 2) {
    const k = rh[i].toLowerCase();
    (out[k] = out[k] || []).push(rh[i + 1]);
  }
  return out;
}

// The request as the backend received it, in the library's terms: the URL
// of the connection it came in on (tls) with the Host (or :authority) it
// carried, and every header.
function asMessage(echo, { tls = false } = {}) {
  const headers = headerLists(echo);
  const host = (headers[':authority'] || headers.host || [])[0];
  return { method: echo.method, url: `${tls ? 'https' : 'http'}://${host}${echo.url}`, headers };
}

// keys: { keyid: { alg, key } } with key a Buffer (hmac) or a KeyObject.
// Resolves true when the library verifies the message's signature made
// with one of keys, null when it carries none, throws when it fails.
async function verifyWithLibrary(echo, keys, opts = {}) {
  const { httpbis, createVerifier } = library();
  return httpbis.verifyMessage({
    tolerance: 5,
    requiredParams: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
    requiredFields: ['@method', '@authority', '@path', '@query'],
    keyLookup: async (params) => {
      const k = keys[params.keyid];
      return k ? { id: params.keyid, algs: [k.alg], verify: createVerifier(k.key, k.alg) } : null;
    },
  }, asMessage(echo, opts));
}

// The member of the module's signature, parsed with the exact grammar of
// docs/wire-format.md; throws when anything differs.
const INPUT_RE = /^secure-headers=\(("[^"]+"(?: "[^"]+")*)\);created=(\d+);expires=(\d+);nonce="([A-Za-z0-9_-]{22})";keyid="([^"]+)";alg="(hmac-sha256|ed25519|ecdsa-p256-sha256)";tag="mod_secure_headers"$/;
const SIG_RE = /^secure-headers=:([A-Za-z0-9+/]+={0,2}):$/;

function moduleSignature(echo) {
  const headers = headerLists(echo);
  const inputs = (headers['signature-input'] || []).filter((v) => v.startsWith('secure-headers='));
  const sigs = (headers.signature || []).filter((v) => v.startsWith('secure-headers='));
  if (inputs.length !== 1 || sigs.length !== 1) {
    throw new Error(`expected one secure-headers member in each header, got ${JSON.stringify({ inputs, sigs })}`);
  }
  const m = INPUT_RE.exec(inputs[0]);
  if (!m) throw new Error(`Signature-Input not in the documented format: ${inputs[0]}`);
  const s = SIG_RE.exec(sigs[0]);
  if (!s) throw new Error(`Signature not in the documented format: ${sigs[0]}`);
  return {
    input: inputs[0],
    components: m[1].split(' ').map((c) => c.slice(1, -1)),
    created: Number(m[2]),
    expires: Number(m[3]),
    nonce: m[4],
    keyid: m[5],
    alg: m[6],
    signature: Buffer.from(s[1], 'base64'),
  };
}

// What the test expects to be covered: the request, the secure headers in
// the order the backend received them, X-Forwarded-* when the module set
// them.
function expectedComponents(echo, { xforwarded = false } = {}) {
  const secure = [];
  const rh = echo.rawHeaders;
  for (let i = 0; i + 1 < rh.length; i += 2) {
    if (rh[i].startsWith('!~')) secure.push(rh[i].toLowerCase());
  }
  return ['@method', '@authority', '@path', '@query', ...secure,
    ...(xforwarded ? ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'] : [])];
}

function keyFiles(dir) {
  const fs = require('node:fs');
  const hmac = crypto.randomBytes(32);
  const ed = crypto.generateKeyPairSync('ed25519');
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const write = (name, data) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data, { mode: 0o600 });
    return p;
  };
  return {
    hmac: { file: write('hmac.key', hmac), alg: 'hmac-sha256', key: hmac },
    ed25519: {
      file: write('ed25519.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      pub: write('ed25519.pub', ed.publicKey.export({ type: 'spki', format: 'pem' })),
      alg: 'ed25519', key: ed.publicKey,
    },
    ecdsa: {
      file: write('ecdsa.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      pub: write('ecdsa.pub', ec.publicKey.export({ type: 'spki', format: 'pem' })),
      alg: 'ecdsa-p256-sha256', key: ec.publicKey,
    },
  };
}

module.exports = { INTEROP, headerLists, asMessage, verifyWithLibrary, moduleSignature, expectedComponents, keyFiles };
