// SPDX-License-Identifier: MIT
'use strict';
// Per-backend keys (docs/derived-keys.md): the key that Apache with
// mod_secure_headers ("SecureHeadersSignKey ID hkdf-sha256 MASTER") signs
// with for one backend, so that tests and tools can derive the key file a
// backend holds. The backend itself needs only its own key, as a plain
// hmac-sha256 key: it never needs the master, nor this function.
//
//   key = HKDF-SHA256(IKM = master, salt = SALT, info = identity, L = 32)

const crypto = require('node:crypto');

const SALT = 'mod_secure_headers derived key v1';
const KEY_LEN = 32;

function lowerAscii(s) {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * The identity of the backend a URL names, as mod_secure_headers derives
 * it: "scheme://host:port" (scheme and host in lower case, ws and wss
 * written http and https, the default port filled in, any user info and
 * path dropped), or "unix:" and the socket path for "unix:/path" or
 * mod_proxy's "unix:/path|http://host/". TypeError for anything else.
 */
function backendIdentity(url) {
  if (typeof url !== 'string') {
    throw new TypeError('backendUrl must be a string');
  }
  if (/^unix:/i.test(url)) {
    const bar = url.indexOf('|');
    const sock = url.slice(5, bar === -1 ? url.length : bar);
    if (sock === '') {
      throw new TypeError(`backendUrl ${JSON.stringify(url)}: no socket path`);
    }
    return 'unix:' + sock;
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  const scheme = m && { http: 'http', ws: 'http', https: 'https', wss: 'https' }[m[1].toLowerCase()];
  if (!scheme) {
    throw new TypeError(`backendUrl ${JSON.stringify(url)}: not an http, https, ws, wss or unix: URL`);
  }
  const auth = m[2].slice(m[2].lastIndexOf('@') + 1);
  let host;
  let rest;
  if (auth.startsWith('[')) {
    const close = auth.indexOf(']');
    if (close === -1) {
      throw new TypeError(`backendUrl ${JSON.stringify(url)}: unclosed IPv6 literal`);
    }
    host = auth.slice(0, close + 1);
    rest = auth.slice(close + 1);
  } else {
    const colon = auth.indexOf(':');
    host = colon === -1 ? auth : auth.slice(0, colon);
    rest = colon === -1 ? '' : auth.slice(colon);
  }
  let port = scheme === 'https' ? 443 : 80;
  if (rest !== '' && rest !== ':') {
    if (!/^:[0-9]{1,5}$/.test(rest) || Number(rest.slice(1)) < 1 || Number(rest.slice(1)) > 65535) {
      throw new TypeError(`backendUrl ${JSON.stringify(url)}: bad port`);
    }
    port = Number(rest.slice(1));
  }
  if (host === '') {
    throw new TypeError(`backendUrl ${JSON.stringify(url)}: no host`);
  }
  return `${scheme}://${lowerAscii(host)}:${port}`;
}

/**
 * The 32-byte hmac-sha256 key mod_secure_headers signs with for the backend
 * at backendUrl, from the master secret (a Buffer or Uint8Array of at least
 * 32 bytes: the master key file's bytes).
 */
function deriveKey(master, backendUrl) {
  if (!(master instanceof Uint8Array)) {
    throw new TypeError('master must be a Buffer or Uint8Array (the master key file\'s bytes)');
  }
  if (master.length < KEY_LEN) {
    throw new TypeError(`master must have at least ${KEY_LEN} bytes, not ${master.length}`);
  }
  const info = Buffer.from(backendIdentity(backendUrl), 'latin1');
  return Buffer.from(crypto.hkdfSync('sha256', master, Buffer.from(SALT), info, KEY_LEN));
}

module.exports = { deriveKey, backendIdentity, DERIVE_SALT: SALT };
