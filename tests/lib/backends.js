// SPDX-License-Identifier: MIT
'use strict';
// Backends Apache proxies to: the echo server (HTTP/1.1 and WebSocket, over
// TCP, TLS or a unix socket) and a cleartext HTTP/2 (h2c) echo server. Each
// records every request it received, raw header names and all.

const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const crypto = require('node:crypto');
const { sleep, urlHost } = require('./proc');
const { ensureCert } = require('./certs');
const { WS_GUID, wsFrame } = require('./ws');

function makeEcho(req, body) {
  return {
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    rawHeaders: req.rawHeaders.slice(),
    headers: Object.assign({}, req.headers),
    trailers: (req.rawTrailers || []).slice(),
    body: body.toString('base64'),
    remotePort: req.socket.remotePort,
    remoteAddress: req.socket.remoteAddress,
  };
}

// An echo backend on host (a free port), or on a unix socket (socketPath),
// over TLS with the test certificate when tls is set. Its url is what
// ProxyPass takes: http(s)://host:port, or unix:/path|http://localhost.
function startBackend({ host = '127.0.0.1', keepAliveTimeout = 60000, tls: useTls = false, socketPath } = {}) {
  const requests = [];
  const upgraded = new Set();
  const options = { maxHeaderSize: 16384, keepAlive: true };
  if (useTls) {
    const { certPath, keyPath } = ensureCert();
    Object.assign(options, { cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) });
  }
  const server = (useTls ? https : http).createServer(options);
  server.keepAliveTimeout = keepAliveTimeout;
  server.headersTimeout = Math.max(keepAliveTimeout + 1000, 60000);

  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', async () => {
      const echo = makeEcho(req, Buffer.concat(chunks));
      requests.push(echo);
      const p = (req.url || '').split('?')[0];
      let status = 200;
      const m = /(?:^|\/)status\/(\d{3})(?:\/|$)/.exec(p);
      if (m) {
        const s = Number(m[1]);
        if (s >= 200 && s <= 599) status = s;
      }
      if (/(?:^|\/)slow(?:\/|$)/.test(p)) await sleep(200);
      if (res.destroyed) return;
      const payload = Buffer.from(JSON.stringify(echo), 'utf8');
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', payload.length);
      res.end(payload);
    });
  });

  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => {});
    const echo = makeEcho(req, head && head.length ? head : Buffer.alloc(0));
    requests.push(echo);
    const key = req.headers['sec-websocket-key'] || '';
    const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      '\r\n');
    socket.write(wsFrame(JSON.stringify(echo), 0x1));
    socket.end(wsFrame(Buffer.from([0x03, 0xe8]), 0x8)); // close 1000
  });

  // No 'clientError' listener: node's default answers 400 / 431 (header
  // overflow) exactly as a real Node.js application would.

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath ? { path: socketPath } : { port: 0, host }, () => {
      server.removeListener('error', reject);
      const port = socketPath ? undefined : server.address().port;
      resolve({
        host,
        port,
        url: socketPath ? `unix:${socketPath}|http://localhost`
          : `${useTls ? 'https' : 'http'}://${urlHost(host)}:${port}`,
        requests,
        server,
        close() {
          return new Promise((res) => {
            for (const s of upgraded) s.destroy();
            server.close(() => res());
            if (server.closeAllConnections) server.closeAllConnections();
          });
        },
      });
    });
  });
}

// A cleartext HTTP/2 (h2c) echo backend, for ProxyPass h2c:// (mod_proxy_http2).
function startH2cBackend() {
  return new Promise((resolve) => {
    const requests = [];
    const server = http2.createServer();
    server.on('sessionError', () => {});
    server.on('stream', (stream, headers, flags, rawHeaders) => {
      const chunks = [];
      stream.on('error', () => {});
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const echo = {
          method: headers[':method'], url: headers[':path'], authority: headers[':authority'],
          httpVersion: '2.0', rawHeaders: rawHeaders.slice(), headers: Object.assign({}, headers),
          body: Buffer.concat(chunks).toString('base64'),
        };
        requests.push(echo);
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify(echo));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `h2c://127.0.0.1:${server.address().port}`, requests,
        close: () => new Promise((r) => { server.close(() => r()); }),
      });
    });
  });
}

// A plain TCP relay to 127.0.0.1:targetPort that records each connection's
// bytes as they passed (one request per connection when the sender uses
// proxy-nokeepalive), so that a test can send them again: an attacker on
// the wire between two servers. Resolves { port, seen: [{ bytes }], close() }.
function startTap(targetPort) {
  const seen = [];
  const server = net.createServer((client) => {
    const entry = { bytes: Buffer.alloc(0) };
    seen.push(entry);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    client.on('data', (d) => { entry.bytes = Buffer.concat([entry.bytes, d]); upstream.write(d); });
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.pipe(client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port, seen, close: () => new Promise((r) => server.close(() => r())),
  })));
}

module.exports = { startBackend, startH2cBackend, startTap };
