// SPDX-License-Identifier: MIT
'use strict';
// A real Express application, set up the way Express's documentation says to
// run behind a reverse proxy on the same machine: 'trust proxy' = 'loopback'.
// It answers every request with what Express concludes about it.
//
//   node app.js [port]      (0 or none: any free port)
//
// Prints {"port": N} on its first line of output once listening.
const express = require('express');

const app = express();
app.set('trust proxy', 'loopback');

app.all('*', (req, res) => {
  res.json({
    ip: req.ip,
    ips: req.ips,
    protocol: req.protocol,
    secure: req.secure,
    hostname: req.hostname,
    // The raw material, for the tests' error messages.
    url: req.originalUrl,
    forwarded: {
      for: req.get('X-Forwarded-For') ?? null,
      proto: req.get('X-Forwarded-Proto') ?? null,
      host: req.get('X-Forwarded-Host') ?? null,
    },
  });
});

const server = app.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
