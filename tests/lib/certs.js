// SPDX-License-Identifier: MIT
'use strict';
// The test TLS certificate: self-signed for localhost, 127.0.0.1 and ::1,
// generated once per process with openssl.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { mkTemp } = require('./proc');

let certCache = null;
function ensureCert() {
  if (certCache) return certCache;
  const dir = mkTemp('shtest-cert-');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
    '-keyout', keyPath, '-out', certPath,
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:FALSE',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.chmodSync(dir, 0o755);
  certCache = { certPath, keyPath };
  return certCache;
}

module.exports = { ensureCert };
