// SPDX-License-Identifier: MIT
'use strict';
// The module's secure headers as a backend received them: the "!~" headers
// of an echo, and the !~Passenger-Envvars encoding (base64 of
// "name\0value\0..."; docs/wire-format.md).

// [name, value] for every rawHeaders entry of an echo whose name starts with "!~".
function secureHeaders(echo) {
  const out = [];
  const rh = (echo && echo.rawHeaders) || [];
  for (let i = 0; i + 1 < rh.length; i += 2) {
    if (rh[i].startsWith('!~')) out.push([rh[i], rh[i + 1]]);
  }
  return out;
}

// base64 of "name\0value\0..." -> [[name, value], ...]
function decodeEnvvars(b64) {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length === 0) return [];
  const pieces = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) { pieces.push(buf.slice(start, i)); start = i + 1; }
  }
  if (start !== buf.length) throw new Error(`envvars: data after last NUL: ${JSON.stringify(buf.slice(start).toString('utf8'))}`);
  if (pieces.length % 2 !== 0) throw new Error(`envvars: odd number of NUL-terminated pieces (${pieces.length})`);
  const out = [];
  for (let i = 0; i < pieces.length; i += 2) out.push([pieces[i].toString('utf8'), pieces[i + 1].toString('utf8')]);
  return out;
}

// Decoded !~Passenger-Envvars of an echo (first occurrence, case-insensitive
// name match), or null when absent.
function envvarsOf(echo) {
  const h = secureHeaders(echo).find(([n]) => n.toLowerCase() === '!~passenger-envvars');
  return h ? decodeEnvvars(h[1]) : null;
}

// base64("name\0value\0..."): what the module must send for these pairs.
function encodeEnvvars(pairs) {
  return Buffer.concat(pairs.flatMap(([k, v]) => [
    Buffer.from(k, 'utf8'), Buffer.from([0]), Buffer.from(v, 'utf8'), Buffer.from([0]),
  ])).toString('base64');
}

// All values of header `name` (case-insensitive) in an echo's raw headers.
function rawValues(echo, name) {
  const out = [];
  const rh = echo.rawHeaders;
  for (let i = 0; i + 1 < rh.length; i += 2) if (rh[i].toLowerCase() === name.toLowerCase()) out.push(rh[i + 1]);
  return out;
}

module.exports = { secureHeaders, decodeEnvvars, envvarsOf, encodeEnvvars, rawValues };
