// SPDX-License-Identifier: MIT
'use strict';
// The benchmark's Node.js backend: a tiny HTTP server that answers every
// request with the same 3-byte body, so the response costs Apache the same
// whatever it adds to the request, and as little as a response can. It keeps
// (cheaply: a reference) the raw headers of the last request; GET /__stats
// (asked directly, not through Apache) decodes them: the header names, which
// "!~" headers arrived and how many bytes of serialised environment (name NUL
// value NUL ...) !~Passenger-Envvars held; and the request line and raw
// headers themselves, from which bench/run.js rebuilds and verifies the
// module's RFC 9421 signature.
//
//   node bench/backend.js PORT [DELAY_MS]   prints "listening PORT" when ready
//
// With DELAY_MS, each answer waits that long: Apache under callgrind then
// always finds no answer yet at its first read and waits in poll(), rather
// than sometimes (a race that made runs differ by a few dozen instructions
// per request).
//
// The same file is the Passenger app (Passenger hooks listen(), any port).

const http = require('http');

const BODY = 'ok\n';
const LEN = String(Buffer.byteLength(BODY));

let lastRaw = null;
let lastMethod = null;
let lastUrl = null;
let requests = 0;
let connections = 0;

function stats() {
  const out = { requests, connections, names: [], secure: [], headerBytes: 0, envvars: null,
    method: lastMethod, url: lastUrl, rawHeaders: lastRaw || [] };
  if (!lastRaw) return out;
  for (let i = 0; i < lastRaw.length; i += 2) {
    const name = lastRaw[i];
    const value = lastRaw[i + 1];
    out.names.push(name.toLowerCase());
    out.headerBytes += name.length + 2 + value.length + 2;
    if (name.startsWith('!~')) {
      out.secure.push({ name, length: value.length });
      if (name.toLowerCase() === '!~passenger-envvars') {
        const raw = Buffer.from(value, 'base64');
        let nuls = 0;
        for (const b of raw) if (b === 0) nuls++;
        const names = [];
        const parts = raw.toString('latin1').split('\0');
        for (let k = 0; k + 1 < parts.length; k += 2) names.push(parts[k]);
        out.envvars = { encodedBytes: value.length, rawBytes: raw.length, variables: nuls / 2, names };
      }
    }
  }
  return out;
}

function answer(res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': LEN });
  res.end(BODY);
}

const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    const body = JSON.stringify(stats());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  requests++;
  lastRaw = req.rawHeaders;
  lastMethod = req.method;
  lastUrl = req.url;
  if (DELAY_MS) setTimeout(() => answer(res), DELAY_MS);
  else answer(res);
});
server.on('connection', () => { connections++; });
// Keep Apache's pooled backend connection open however slowly (callgrind)
// requests come, so connection setup stays out of the per-request figures.
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.headersTimeout = 0;

const port = Number(process.argv[2] || process.env.PORT || 3000);
const DELAY_MS = Number(process.argv[3] || 0);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
