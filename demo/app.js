// SPDX-License-Identifier: MIT
'use strict';
// Demo app behind Apache + mod_proxy + mod_secure_headers: shows what Apache
// vouches for, read with the passenger-secure-headers package (node/).
// Listens on loopback only, so only Apache can reach it.
const http = require('node:http');
const { read, SecureHeadersError } = require('../node');

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  let info;
  try {
    info = read(req);
  } catch (err) {
    if (!(err instanceof SecureHeadersError)) throw err;
    res.writeHead(403, { 'content-type': 'text/plain' });
    return res.end(`refused: ${err.code}\n`);
  }
  const body = JSON.stringify({
    path: req.url,
    protocol: info.protocol,
    clientAddress: info.clientAddress,
    host: info.host,
    viaApache: info.trusted,
    signed: info.signed,
    env: info.env,
    // What a client could have forged, for comparison:
    xForwardedFor: req.headers['x-forwarded-for'] || null,
  }, null, 2) + '\n';
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  return res.end(body);
});
// Started by demo/run.js: go when it goes, however it ends.
process.on('disconnect', () => process.exit(0));
server.listen(port, '127.0.0.1', () => {
  if (process.send) process.send({ port: server.address().port });
  else console.log(`demo app on 127.0.0.1:${server.address().port}`);
});
