// SPDX-License-Identifier: MIT
'use strict';
// The repository's original helper, kept for code that still requires it.
// New code: require('passenger-secure-headers') (this directory), see
// README.md.
const { read, decodeEnvvars: decode } = require('./index');

function decodeEnvvars(b64) {
  return b64 ? decode(b64) : Object.create(null);
}

// The facts the secure headers state, with the socket as the fallback when
// the request did not come through Apache (unsigned mode, not strict).
function secureInfo(req) {
  const info = read(req);
  return {
    viaApache: info.trusted,
    protocol: info.protocol,
    clientAddress: info.clientAddress,
    env: info.env,
  };
}

module.exports = { decodeEnvvars, secureInfo };
