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

/** [[name, value], ...] in order; throws SecureHeadersError on malformed input. */
function decodeEnvvarsList(b64) {
  const s = b64 === undefined || b64 === null ? '' : String(b64);
  checkBase64(s);
  const buf = Buffer.from(s, 'base64');
  const out = [];
  let start = 0;
  let name = null;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    const piece = buf.toString('utf8', start, i);
    if (name === null) name = piece; else { out.push([name, piece]); name = null; }
    start = i + 1;
  }
  if (start !== buf.length) malformed('data after the last NUL');
  if (name !== null) malformed('a name without a value');
  return out;
}

/** Null-prototype object; where a name repeats, the first value wins (as apr_table_get). */
function envObject(list) {
  const env = Object.create(null);
  for (const [k, v] of list) if (!(k in env)) env[k] = v;
  return env;
}

function decodeEnvvars(b64) {
  return envObject(decodeEnvvarsList(b64));
}

module.exports = { decodeEnvvars, decodeEnvvarsList, envObject };
