// SPDX-License-Identifier: MIT
'use strict';
// The Express application of bench/express-e2e.js: the same route either
// way, behind Apache on the same machine. argv[2] is JSON:
//   { mode: 'trust' }                         app.set('trust proxy', 'loopback')
//   { mode: 'package', keys: { id: { alg, file | hex } } }
//                                             passenger-secure-headers' middleware
//   replay: false                             ... without a replay cache
// and "port" (0 or none: any free one). Prints {"port": N} once listening
// on 127.0.0.1.
const fs = require('node:fs');
const path = require('node:path');
const express = require(path.join(__dirname, '..', 'tests', 'express-app', 'node_modules', 'express'));
const secureHeaders = require(path.join(__dirname, '..', 'node'));

const cfg = JSON.parse(process.argv[2]);
const app = express();
if (cfg.mode === 'trust') {
  app.set('trust proxy', 'loopback');
} else {
  const opts = {};
  if (cfg.keys) {
    opts.authority = cfg.authority === undefined ? false : cfg.authority; // one backend, on loopback
    opts.keys = {};
    for (const [id, k] of Object.entries(cfg.keys)) {
      opts.keys[id] = { alg: k.alg, key: k.hex ? Buffer.from(k.hex, 'hex') : fs.readFileSync(k.file) };
    }
    if (cfg.replay === false) opts.replayCache = false;
  }
  app.use(secureHeaders.express(opts));
}
app.get('*', (req, res) => {
  res.json({ ip: req.ip, protocol: req.protocol, hostname: req.hostname });
});
const server = app.listen(cfg.port || 0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
