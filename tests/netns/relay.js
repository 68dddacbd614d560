// SPDX-License-Identifier: MIT
'use strict';
// A wiretap on a test host (tests/replay-store-apache-multihost.test.js): relays
// each connection to the target unchanged and reports the request's bytes
// as they passed, so that the test can send them again, as an attacker on
// that network would. argv[2]: JSON { host, port, target: { host, port } }.
const net = require('node:net');

const cfg = JSON.parse(process.argv[2]);
const server = net.createServer((client) => {
  let buf = Buffer.alloc(0);
  let reported = false;
  const up = net.connect(cfg.target);
  client.on('data', (d) => {
    up.write(d);
    if (reported) return;
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    reported = true;
    process.stdout.write(`${JSON.stringify({ event: 'request', bytes: buf.slice(0, end + 4).toString('latin1') })}\n`);
  });
  client.on('end', () => up.end());
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  up.pipe(client);
});
server.listen(cfg.port, cfg.host, () => {
  process.stdout.write(`${JSON.stringify({ listening: `${cfg.host}:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
