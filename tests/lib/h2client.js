// SPDX-License-Identifier: MIT
'use strict';
// HTTP/2 client over TLS (node:http2), with the bytes of its ClientHello
// recorded so that a test knows which server_name it sent.

const net = require('node:net');
const tls = require('node:tls');
const http2 = require('node:http2');
const { Duplex } = require('node:stream');
const { SLOWDOWN, urlHost } = require('./proc');

// Whether a TLS client sends SNI for an IP address depends on its version
// (node 18's http2.connect sends "127.0.0.1", node 20's sends none), and
// mod_ssl then sets SSL_TLS_SNI. Expectations follow what the client put in
// its ClientHello, read from the bytes it wrote.

// host_name of the server_name extension of the ClientHello at the start of
// `buf`: a string, null when the ClientHello has none, undefined while more
// bytes are needed.
function clientHelloSni(buf) {
  // Handshake bytes from consecutive TLS records (type 22).
  const parts = [];
  let off = 0;
  while (off + 5 <= buf.length) {
    if (buf[off] !== 22) {
      if (off === 0) throw new Error(`not a TLS handshake record: type ${buf[off]}`);
      break; // what follows the handshake records (ChangeCipherSpec, ...)
    }
    const len = buf.readUInt16BE(off + 3);
    if (off + 5 + len > buf.length) break;
    parts.push(buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  const hs = Buffer.concat(parts);
  if (hs.length < 4) return undefined;
  if (hs[0] !== 1) throw new Error(`first handshake message is type ${hs[0]}, not ClientHello`);
  const end = 4 + hs.readUIntBE(1, 3);
  if (hs.length < end) return undefined;
  let p = 4 + 2 + 32; // client_version, random
  p += 1 + hs[p]; // session_id
  p += 2 + hs.readUInt16BE(p); // cipher_suites
  p += 1 + hs[p]; // compression_methods
  if (p >= end) return null; // no extensions
  const extEnd = p + 2 + hs.readUInt16BE(p);
  for (p += 2; p + 4 <= extEnd;) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    if (type === 0) {
      // server_name_list: name_type 0 (host_name), length, name
      const q = p + 4 + 2;
      if (hs[q] !== 0) throw new Error(`server_name of type ${hs[q]}`);
      return hs.subarray(q + 3, q + 3 + hs.readUInt16BE(q + 1)).toString('latin1');
    }
    p += 4 + len;
  }
  return null;
}

// A Duplex over a TCP connection that hands each chunk written to `onWrite`
// (tls.connect over a net.Socket writes from C++, out of JavaScript's sight).
function recordingSocket(port, host, onWrite) {
  const raw = net.connect({ port, host });
  const d = new Duplex({
    write(chunk, enc, cb) { onWrite(chunk); raw.write(chunk, cb); },
    read() { raw.resume(); },
    final(cb) { raw.end(); cb(); },
    destroy(err, cb) { raw.destroy(); cb(err); },
  });
  raw.on('data', (c) => { if (!d.push(c)) raw.pause(); });
  raw.on('end', () => d.push(null));
  raw.on('error', (e) => d.destroy(e));
  return d;
}

// http2.connect() exactly as node does it (its own TLS options, its own
// choice of servername), with the bytes of the connection recorded:
// session.sni() is the server_name the ClientHello carried, or null.
function h2connect(authority, options = {}) {
  let hello = Buffer.alloc(0);
  let sni;
  const tlsConnect = tls.connect;
  // http2.connect calls tls.connect(port, host, options) before it returns.
  tls.connect = function recordedConnect(port, host, opts) {
    const socket = recordingSocket(port, host, (chunk) => {
      if (sni !== undefined) return;
      hello = Buffer.concat([hello, chunk]);
      sni = clientHelloSni(hello);
    });
    return tlsConnect.call(tls, Object.assign({}, opts, { port, host, socket }));
  };
  let session;
  try {
    session = http2.connect(authority, options);
  } finally {
    tls.connect = tlsConnect;
  }
  session.sni = () => {
    if (sni === undefined) throw new Error(`no complete ClientHello recorded (${hello.length} bytes)`);
    // What OpenSSL says it sent must be what the bytes say.
    const reported = session.socket && session.socket.servername ? session.socket.servername : null;
    if (reported !== sni) throw new Error(`ClientHello server_name ${JSON.stringify(sni)}, TLS socket says ${JSON.stringify(reported)}`);
    return sni;
  };
  return session;
}

// The variables mod_ssl puts first in a TLS request's environment: HTTPS,
// then SSL_TLS_SNI when the client sent a server_name.
function tlsEnv(sni) {
  return sni ? [['HTTPS', 'on'], ['SSL_TLS_SNI', sni]] : [['HTTPS', 'on']];
}

// trailers: header fields sent after the body (the stream waits for them).
function h2request(port, { path: p = '/', headers = {}, method = 'GET', body, trailers, host = '127.0.0.1', timeout = 10000 * SLOWDOWN } = {}) {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://${urlHost(host)}:${port}`, { rejectUnauthorized: false });
    let settled = false;
    let timer = null;
    const fail = (e) => { clearTimeout(timer); if (!settled) { settled = true; session.destroy(); reject(e); } };
    timer = setTimeout(() => fail(new Error(`h2 timeout after ${timeout} ms`)), timeout);
    session.on('error', fail);
    const reqHeaders = Object.assign({ ':method': method, ':path': p }, headers);
    let stream;
    try {
      stream = trailers
        ? session.request(reqHeaders, { endStream: false, waitForTrailers: true })
        : session.request(reqHeaders, { endStream: body === undefined });
    } catch (e) { clearTimeout(timer); fail(e); return; }
    if (trailers) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.on('error', (e) => { clearTimeout(timer); fail(e); });
    let respHeaders = null;
    const chunks = [];
    stream.on('response', (h) => { respHeaders = h; });
    stream.on('data', (d) => chunks.push(d));
    stream.on('end', () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      let sni;
      try { sni = session.sni(); } catch (e) { session.destroy(); reject(e); return; }
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch (_) { json = null; }
      const h = Object.assign({}, respHeaders || {});
      resolve({ status: h[':status'], headers: h, body: text, json, alpnProtocol: session.alpnProtocol, sni });
    });
    if (body !== undefined) stream.end(Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8'));
    else if (trailers) stream.end();
  });
}

module.exports = { h2request, h2connect, clientHelloSni, tlsEnv };
