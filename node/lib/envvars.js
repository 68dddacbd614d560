// SPDX-License-Identifier: MIT
'use strict';
// !~Passenger-Envvars: base64 (standard alphabet, "=" padding) of
// name NUL value NUL ... . Decoded as bytes, split on NUL, each piece as
// UTF-8 (decoding the whole value as latin1/'binary' first, as Passenger's
// old snippet did, turns "é" into "Ã©").

const { fail, CODES } = require('./errors');

const B64 = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[ch.charCodeAt(0)] = 1;

function malformed(why) {
  fail(CODES.HEADER_MALFORMED, `!~Passenger-Envvars: ${why}`, { header: '!~passenger-envvars' });
}

// Canonical base64 only: Buffer.from() would skip junk silently.
function checkBase64(s) {
  if (s.length % 4 !== 0) malformed('length is not a multiple of 4');
  let pad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      if (i < s.length - 2) malformed('padding inside');
      pad++;
    } else if (pad || c >= 128 || !B64[c]) {
      malformed('not base64');
    }
  }
}

// The checks: canonical base64 of NUL-terminated name/value pairs. Returns
// the bytes; throws SecureHeadersError on malformed input.
function checkEnvvars(s) {
  checkBase64(s);
  const buf = Buffer.from(s, 'base64');
  let nuls = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0) nuls++;
  if (buf.length && buf[buf.length - 1] !== 0) malformed('data after the last NUL');
  if (nuls % 2) malformed('a name without a value');
  return buf;
}

// Checked bytes -> [[name, value], ...]. NUL is one byte in UTF-8 and never
// inside a sequence, so decoding the whole and splitting on NUL gives what
// decoding each piece gives, invalid sequences included (each becomes
// U+FFFD up to the NUL either way), in two native calls.
function listFromBytes(buf) {
  const parts = buf.toString('utf8').split('\0');
  const out = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([parts[i], parts[i + 1]]);
  return out;
}

/** [[name, value], ...] in order; throws SecureHeadersError on malformed input. */
function decodeEnvvarsList(b64) {
  return listFromBytes(checkEnvvars(b64 === undefined || b64 === null ? '' : String(b64)));
}

// read()'s view: { env, list }, both frozen. The last header value seen is
// kept with its result: the environment Apache sends is often the same on
// every request (SetEnv, the TLS variables of one connection), and a
// frozen result shared between requests is indistinguishable from a fresh
// one; any other value is checked and decoded as it comes.
let lastB64 = null;
let lastFacts = null;
function envFacts(b64) {
  if (b64 === lastB64) return lastFacts;
  const list = listFromBytes(checkEnvvars(b64));
  for (let i = 0; i < list.length; i++) Object.freeze(list[i]);
  const facts = { env: Object.freeze(envObject(list)), list: Object.freeze(list) };
  lastB64 = b64;
  lastFacts = facts;
  return facts;
}

/** Null-prototype object; where a name repeats, the first value wins (as apr_table_get). */
function envObject(list) {
  const env = Object.create(null);
  for (let i = 0; i < list.length; i++) {
    const k = list[i][0];
    if (!(k in env)) env[k] = list[i][1];
  }
  return env;
}

function decodeEnvvars(b64) {
  return envObject(decodeEnvvarsList(b64));
}

module.exports = { decodeEnvvars, decodeEnvvarsList, envObject, envFacts };
