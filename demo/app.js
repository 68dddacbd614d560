'use strict';
// Demo app behind Apache + mod_proxy + mod_secure_headers: shows what Apache
// vouches for. Listens on loopback only, so only Apache can reach it.
const http = require('node:http');
const { secureInfo } = require('../node/secure-headers');

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  const info = secureInfo(req);
  const body = JSON.stringify({
    path: req.url,
    protocol: info.protocol,
    clientAddress: info.clientAddress,
    env: info.env,
    // What a client could have forged, for comparison:
    xForwardedFor: req.headers['x-forwarded-for'] || null,
  }, null, 2) + '\n';
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(body);
});
server.listen(port, '127.0.0.1', () => {
  if (process.send) process.send({ port: server.address().port });
  else console.log(`demo app on 127.0.0.1:${server.address().port}`);
});
