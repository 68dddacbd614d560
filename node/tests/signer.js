// SPDX-License-Identifier: MIT
'use strict';
// Test-only signer that follows the wire format mod_secure_headers uses
// (label secure-headers, components and parameters in the module's order),
// written from the format's description, independently of lib/. Used by
// the package's tests and by the repository's end-to-end tests.

const crypto = require('node:crypto');

const SECURE = ['!~passenger-proto', '!~passenger-client-address', '!~passenger-envvars'];
const XF = ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'];

function sfString(s) {
  return `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function nonce() {
  return crypto.randomBytes(16).toString('base64url');
}

function authorityOf(host, tls) {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(host);
  const name = m[1].replace(/[A-Z]/g, (c) => c.toLowerCase());
  const port = m[2];
  if (port === undefined || port === (tls ? '443' : '80')) return name;
  return `${name}:${port}`;
}

// headers: [[name, value], ...]; returns the values of `name` joined.
function joined(headers, name) {
  const vals = headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => String(v).trim());
  return vals.length ? vals.join(', ') : undefined;
}

/**
 * Signs a request the way the module does. req: { method, target, host,
 * tls, headers: [[name, value]] }. opts: { keyid, alg, key (secret or
 * private key), created, expires, lifetime, nonce, tag, label,
 * components (override), params (override: the exact parameter string) }.
 * Returns { signatureInput, signature, base, params, components }: the two
 * header values (with the label).
 */
function sign(req, opts) {
  const label = opts.label || 'secure-headers';
  const headers = req.headers || [];
  const target = req.target || '/';
  const q = target.indexOf('?');
  const derived = {
    '@method': req.method || 'GET',
    '@authority': authorityOf(req.host, !!req.tls),
    '@path': q < 0 ? target : target.slice(0, q),
    '@query': q < 0 ? '?' : target.slice(q),
  };
  let components = opts.components;
  if (!components) {
    components = ['@method', '@authority', '@path', '@query'];
    for (const n of SECURE) if (joined(headers, n) !== undefined) components.push(n);
    if (XF.every((n) => joined(headers, n) !== undefined)) components.push(...XF);
  }
  const created = opts.created !== undefined ? opts.created : Math.floor(Date.now() / 1000);
  const expires = opts.expires !== undefined ? opts.expires : created + (opts.lifetime || 60);
  const params = opts.params !== undefined ? opts.params
    : `;created=${created};expires=${expires};nonce=${sfString(opts.nonce || nonce())}` +
      `;keyid=${sfString(opts.keyid)};alg=${sfString(opts.alg)};tag=${sfString(opts.tag === undefined ? 'mod_secure_headers' : opts.tag)}`;
  const sigParams = `(${components.map(sfString).join(' ')})${params}`;
  const lines = components.map((c) => `${sfString(c)}: ${c[0] === '@' ? derived[c] : joined(headers, c)}`);
  lines.push(`"@signature-params": ${sigParams}`);
  const base = Buffer.from(lines.join('\n'), 'latin1');
  let sig;
  if (opts.alg === 'hmac-sha256') sig = crypto.createHmac('sha256', opts.key).update(base).digest();
  else if (opts.alg === 'ed25519') sig = crypto.sign(null, base, opts.key);
  else if (opts.alg === 'ecdsa-p256-sha256') sig = crypto.sign('sha256', base, { key: opts.key, dsaEncoding: 'ieee-p1363' });
  else throw new Error(`signer: alg ${opts.alg}`);
  return {
    signatureInput: `${label}=${sigParams}`,
    signature: `${label}=:${sig.toString('base64')}:`,
    base: base.toString('latin1'),
    params: sigParams,
    components,
  };
}

/** A fresh key of each algorithm: { hmac, ed25519, ecdsa } with { alg, private, public }. */
function testKeys() {
  const ed = crypto.generateKeyPairSync('ed25519');
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const secret = crypto.randomBytes(32);
  return {
    'hmac-sha256': { alg: 'hmac-sha256', private: secret, public: secret },
    ed25519: { alg: 'ed25519', private: ed.privateKey, public: ed.publicKey },
    'ecdsa-p256-sha256': { alg: 'ecdsa-p256-sha256', private: ec.privateKey, public: ec.publicKey },
  };
}

module.exports = { sign, testKeys, nonce, authorityOf };
