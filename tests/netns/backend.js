// SPDX-License-Identifier: MIT
'use strict';
// A Node.js application on a test host of its own (tests/multihost.test.js):
// it believes nothing but what the companion package (node/) verifies, and
// answers with what it concluded. argv[2] is JSON: { name, host, port,
// keys: { keyid: { alg, file } }, authority, tls: { cert, key, ca } }.
// With tls.ca it asks for a client certificate and refuses connections
// without one that ca signed (the mutual-TLS alternative, no app code).
// Prints { listening } once, then one line per request.
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const secureHeaders = require(path.join(__dirname, '..', '..', 'node'));

const cfg = JSON.parse(process.argv[2]);
// Without keys the package runs unsigned: it believes the "!~" headers,
// which is safe only where nothing but Apache can connect (mutual TLS here,
// or loopback).
const options = { authority: cfg.authority, clockSkew: 5 };
if (cfg.keys) {
  options.keys = {};
  for (const [keyid, k] of Object.entries(cfg.keys)) options.keys[keyid] = { alg: k.alg, key: fs.readFileSync(k.file) };
}

function handler(req, res) {
  let out;
  try {
    const info = secureHeaders.read(req, options);
    out = {
      ok: true, clientAddress: info.clientAddress, protocol: info.protocol, host: info.host,
      env: info.env, signed: info.signed, keyid: info.keyid,
    };
    res.statusCode = 200;
  } catch (e) {
    if (!(e instanceof secureHeaders.SecureHeadersError)) throw e;
    out = { ok: false, code: e.code, message: e.message };
    res.statusCode = 403;
  }
  out.backend = cfg.name;
  out.url = req.url;
  out.rawHeaders = req.rawHeaders;
  if (req.socket.getPeerCertificate) {
    const cert = req.socket.getPeerCertificate();
    out.peer = { authorized: req.socket.authorized, cn: cert && cert.subject ? cert.subject.CN : null };
  }
  process.stdout.write(`${JSON.stringify({ event: 'request', ...out })}\n`);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(out));
}

const server = cfg.tls
  ? https.createServer({
    cert: fs.readFileSync(cfg.tls.cert), key: fs.readFileSync(cfg.tls.key),
    ca: cfg.tls.ca ? fs.readFileSync(cfg.tls.ca) : undefined,
    requestCert: !!cfg.tls.ca, rejectUnauthorized: !!cfg.tls.ca,
  }, handler)
  : http.createServer(handler);
// Longer than Apache keeps a pooled connection idle: with node's 5 s, the
// backend could close a connection just as mod_proxy sends the next request
// on it (502 "Error reading from remote server"), which httpd documents as
// the backend's keep-alive timeout being the shorter one.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
server.on('tlsClientError', (e) => process.stdout.write(`${JSON.stringify({ event: 'tlsClientError', code: e.code || e.message })}\n`));
server.listen(cfg.port, cfg.host, () => {
  process.stdout.write(`${JSON.stringify({ listening: `${cfg.host}:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
