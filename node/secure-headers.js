'use strict';
// Reading mod_secure_headers' (and Passenger's) secure headers in Node.js.
//
// Only Apache can set headers whose names start with "!~": it refuses
// client requests that carry one. Trust them only when the app is reachable
// through Apache alone (listen on 127.0.0.1 or a unix socket).
//
// Node lower-cases header names: req.headers['!~passenger-client-address'].

// Decodes !~Passenger-Envvars: base64 of name NUL value NUL ... . Split the
// *bytes* on NUL and decode each piece as UTF-8; decoding the whole buffer
// to a string first is fine too, but 'binary'/'latin1' mangles UTF-8.
function decodeEnvvars(b64) {
  const out = Object.create(null);
  if (!b64) return out;
  const buf = Buffer.from(b64, 'base64');
  const pieces = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      pieces.push(buf.subarray(start, i).toString('utf8'));
      start = i + 1;
    }
  }
  for (let i = 0; i + 1 < pieces.length; i += 2) out[pieces[i]] = pieces[i + 1];
  return out;
}

// The facts Apache vouches for, with the socket as the fallback when the
// request did not come through Apache (then nothing is vouched for).
function secureInfo(req) {
  const h = req.headers;
  const viaApache = h['!~passenger-client-address'] !== undefined;
  return {
    viaApache,
    protocol: h['!~passenger-proto'] === 'https' ? 'https' : 'http',
    clientAddress: viaApache ? h['!~passenger-client-address'] : req.socket.remoteAddress,
    env: decodeEnvvars(h['!~passenger-envvars']),
  };
}

module.exports = { decodeEnvvars, secureInfo };
