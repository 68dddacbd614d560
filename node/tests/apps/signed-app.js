// SPDX-License-Identifier: MIT
'use strict';
// A backend as users write one: node:http and read(), with keys. argv[2]:
// JSON { keys: { keyid: { alg, keyHex } }, authority, port, cluster,
// eager }. Answers 200 with the facts, or 403 with the error code;
// with cluster: N, forks N node:cluster workers, which report through
// the primary's stdout whether creating the options threw.
const http = require('node:http');
const cluster = require('node:cluster');
const secureHeaders = require('../..');

const cfg = JSON.parse(process.argv[2]);
const keys = {};
for (const [keyid, k] of Object.entries(cfg.keys)) keys[keyid] = { alg: k.alg, key: Buffer.from(k.keyHex, 'hex') };

if (cfg.cluster && cluster.isPrimary) {
  for (let i = 0; i < cfg.cluster; i++) {
    cluster.fork().on('message', (m) => {
      process.stdout.write(`${JSON.stringify(m)}\n`);
    });
  }
  return;
}

function tryOptions(options) {
  try {
    secureHeaders.express(options);
    return { ok: true };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
}

if (cluster.isWorker) {
  process.send({
    worker: cluster.worker.id,
    memory: tryOptions({ keys, authority: cfg.authority }),
    explicitMemory: tryOptions({ keys, authority: cfg.authority, replayCache: secureHeaders.createMemoryReplayCache() }),
    perProcess: tryOptions({ keys, authority: cfg.authority, replayCache: secureHeaders.createMemoryReplayCache({ perProcess: true }) }),
    sharedStore: tryOptions({ keys, authority: cfg.authority, replayCache: { remember: () => true } }),
    noCache: tryOptions({ keys, authority: cfg.authority, replayCache: false }),
    unsigned: tryOptions({}),
  }, () => process.exit(0));
  return;
}

const options = { keys, authority: cfg.authority };
// eager: check the options at start, as creating a middleware does (read()
// alone checks them on the first request).
if (cfg.eager) secureHeaders.express(options);
const server = http.createServer((req, res) => {
  try {
    const info = secureHeaders.read(req, options);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ signed: info.signed, ip: info.clientAddress }));
  } catch (e) {
    if (!(e instanceof secureHeaders.SecureHeadersError)) throw e;
    res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: e.code }));
  }
});
server.listen(cfg.port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
