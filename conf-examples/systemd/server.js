// SPDX-License-Identifier: MIT
'use strict';
// The application of node-app.service: plain node:http on the unix socket
// the unit names, reading what Apache vouches for with the package.
// Express: app.listen(process.env.SOCKET) instead of http.createServer.
const fs = require('node:fs');
const http = require('node:http');
const secureHeaders = require('passenger-secure-headers');

const socket = process.env.SOCKET;
try { fs.unlinkSync(socket); } catch (_) { /* not there: a clean start */ }

http.createServer((req, res) => {
  let facts;
  try {
    facts = secureHeaders.read(req, { strict: true });
  } catch (err) {
    res.writeHead(err.code === 'STORE_FAILED' ? 503 : 403).end(`${err.code}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ clientAddress: facts.clientAddress, protocol: facts.protocol, env: facts.env }));
}).listen(socket, () => console.log(`listening on ${socket}`));
