// SPDX-License-Identifier: MIT
'use strict';
// An attacker's listener on a test host (tests/multihost.test.js): answers
// 200 and reports every request's bytes as they arrived, so that the test
// can send them elsewhere. argv[2]: JSON { host, port }.
const net = require('node:net');

const cfg = JSON.parse(process.argv[2]);
const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    process.stdout.write(`${JSON.stringify({ event: 'request', bytes: buf.slice(0, end + 4).toString('latin1') })}\n`);
    buf = buf.slice(end + 4);
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    sock.end();
  });
  sock.on('error', () => {});
});
server.listen(cfg.port, cfg.host, () => {
  process.stdout.write(`${JSON.stringify({ listening: `${cfg.host}:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
