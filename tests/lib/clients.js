// SPDX-License-Identifier: MIT
'use strict';
// HTTP/1.x clients that write exact bytes (request, request10, keepAlive,
// raw), their response parser, and a WebSocket client (handshake and first
// text frame).

const net = require('node:net');
const tls = require('node:tls');
const crypto = require('node:crypto');
const { SLOWDOWN, sleep, urlHost } = require('./proc');
const { WS_GUID, parseFrames } = require('./ws');

function connect({ port, host = '127.0.0.1', tls: useTls = false, servername }) {
  if (useTls) {
    const o = { host, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    if (servername) o.servername = servername;
    return tls.connect(o);
  }
  return net.connect({ host, port });
}

function headerPairs(headers) {
  // Returns an array of entries: [name, value] or a raw string line.
  const out = [];
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (const h of headers) {
      if (typeof h === 'string') out.push(h);
      else out.push([String(h[0]), h[1]]);
    }
  } else {
    for (const [k, v] of Object.entries(headers)) {
      if (Array.isArray(v)) for (const x of v) out.push([k, x]);
      else out.push([k, v]);
    }
  }
  return out;
}

function hasHeader(pairs, name) {
  const n = name.toLowerCase();
  return pairs.some((p) => Array.isArray(p) && p[0].toLowerCase() === n);
}

// Build request bytes. `headers`: object ({name: value | [values]}) or array
// of [name, value] pairs or raw header-line strings (written verbatim, e.g.
// for obs-fold continuation lines). Host (and Content-Length when a body is
// given, Connection: close unless keepAlive) are added when absent, unless
// `autoHeaders: false`.
function buildRequest({ method = 'GET', path: p = '/', headers = {}, body, host = '127.0.0.1', port,
  version = 'HTTP/1.1', autoHeaders = true, keepAlive = false }) {
  const pairs = headerPairs(headers);
  const bodyBuf = body === undefined || body === null ? null
    : (Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8'));
  if (autoHeaders) {
    if (!hasHeader(pairs, 'host') && version !== 'HTTP/1.0') pairs.unshift(['Host', `${urlHost(host)}:${port}`]);
    if (bodyBuf && !hasHeader(pairs, 'content-length') && !hasHeader(pairs, 'transfer-encoding')) {
      pairs.push(['Content-Length', String(bodyBuf.length)]);
    }
    if (!keepAlive && !hasHeader(pairs, 'connection')) pairs.push(['Connection', 'close']);
    if (keepAlive && version === 'HTTP/1.0' && !hasHeader(pairs, 'connection')) pairs.push(['Connection', 'keep-alive']);
  }
  let head = `${method} ${p} ${version}\r\n`;
  for (const h of pairs) head += typeof h === 'string' ? `${h}\r\n` : `${h[0]}: ${h[1]}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'latin1');
  return bodyBuf ? Buffer.concat([headBuf, bodyBuf]) : headBuf;
}

// Incremental HTTP/1.x response parser over a buffer.
// Returns null if more data is needed; {response, consumed} otherwise.
function tryParseResponse(buf, { method = 'GET', ended = false } = {}) {
  let off = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (headEnd < 0) {
      if (ended) throw new Error(`connection closed before complete response headers: ${JSON.stringify(buf.slice(off).toString('latin1').slice(0, 500))}`);
      return null;
    }
    const headText = buf.slice(off, headEnd).toString('latin1');
    const lines = headText.split('\r\n');
    const statusLine = lines.shift();
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const status = Number(m[2]);
    const rawHeaders = [];
    const headers = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      rawHeaders.push(name, value);
      const ln = name.toLowerCase();
      if (ln === 'set-cookie') (headers[ln] = headers[ln] || []).push(value);
      else if (ln in headers) headers[ln] += `, ${value}`;
      else headers[ln] = value;
    }
    let pos = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) { off = pos; continue; } // skip interim
    const base = { httpVersion: m[1], status, statusText: m[3] || '', headers, rawHeaders, statusLine };
    const finish = (bodyBuf, end, trailers = []) => {
      const text = bodyBuf.toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch (_) { json = null; }
      return { response: Object.assign(base, { body: text, bodyBuffer: bodyBuf, json, trailers }), consumed: end };
    };
    if (method === 'HEAD' || status === 204 || status === 304 || status === 101) {
      return finish(Buffer.alloc(0), pos);
    }
    const te = (headers['transfer-encoding'] || '').toLowerCase();
    if (te.includes('chunked')) {
      const parts = [];
      for (;;) {
        const le = buf.indexOf('\r\n', pos, 'latin1');
        if (le < 0) { if (ended) throw new Error('connection closed inside chunked body'); return null; }
        const size = parseInt(buf.slice(pos, le).toString('latin1').split(';')[0].trim(), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        pos = le + 2;
        if (size === 0) {
          // trailers until empty line
          const trailers = [];
          for (;;) {
            const te2 = buf.indexOf('\r\n', pos, 'latin1');
            if (te2 < 0) { if (ended) throw new Error('connection closed inside trailers'); return null; }
            const line = buf.slice(pos, te2).toString('latin1');
            pos = te2 + 2;
            if (line === '') break;
            const i = line.indexOf(':');
            trailers.push(line.slice(0, i).trim(), line.slice(i + 1).trim());
          }
          return finish(Buffer.concat(parts), pos, trailers);
        }
        if (buf.length < pos + size + 2) { if (ended) throw new Error('connection closed inside chunk'); return null; }
        parts.push(buf.slice(pos, pos + size));
        pos += size + 2;
      }
    }
    if (headers['content-length'] !== undefined) {
      const n = Number(String(headers['content-length']).split(',')[0].trim());
      if (buf.length < pos + n) { if (ended) throw new Error('connection closed before full content-length body'); return null; }
      return finish(buf.slice(pos, pos + n), pos + n);
    }
    // delimited by connection close
    if (!ended) return null;
    return finish(buf.slice(pos), buf.length);
  }
}

// A socket + buffer reading successive responses.
class Conn {
  constructor(opts) {
    this.timeout = opts.timeout || 10000 * SLOWDOWN;
    this.sock = connect(opts);
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.waiter = null;
    this.sock.setTimeout(this.timeout);
    this.sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this._wake(); });
    this.sock.on('end', () => { this.ended = true; this._wake(); });
    this.sock.on('close', () => { this.ended = true; this._wake(); });
    this.sock.on('error', (e) => { this.error = e; this._wake(); });
    this.sock.on('timeout', () => { this.error = new Error(`socket timeout after ${this.timeout} ms; received so far: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}`); this._wake(); });
    this.ready = new Promise((resolve, reject) => {
      this.sock.once(opts.tls ? 'secureConnect' : 'connect', resolve);
      this.sock.once('error', reject);
    });
  }
  _wake() { if (this.waiter) { const w = this.waiter; this.waiter = null; w(); } }
  write(bytes) { this.sock.write(bytes); }
  async readResponse(method = 'GET') {
    for (;;) {
      let r = null;
      r = tryParseResponse(this.buf, { method, ended: this.ended });
      if (r) { this.buf = this.buf.slice(r.consumed); return r.response; }
      if (this.error) throw this.error;
      if (this.ended) throw new Error('connection closed');
      await new Promise((res) => { this.waiter = res; });
    }
  }
  close() { this.sock.destroy(); }
}

async function request(port, opts = {}) {
  const o = Object.assign({ host: '127.0.0.1' }, opts, { port });
  const c = new Conn(o);
  try {
    await c.ready;
    c.write(buildRequest(o));
    return await c.readResponse(o.method || 'GET');
  } finally {
    c.close();
  }
}

function request10(port, opts = {}) {
  return request(port, Object.assign({}, opts, { version: 'HTTP/1.0' }));
}

// Several requests, sequentially, on ONE connection. Each element is an
// options object as for request(); Connection: close is NOT added (except
// to a last request if `closeLast` is true).
async function keepAlive(port, requests, { host = '127.0.0.1', tls: useTls = false, timeout = 10000 * SLOWDOWN } = {}) {
  const c = new Conn({ port, host, tls: useTls, timeout });
  const out = [];
  try {
    await c.ready;
    for (const r of requests) {
      const o = Object.assign({ host, keepAlive: true }, r, { port });
      c.write(buildRequest(o));
      const resp = await c.readResponse(o.method || 'GET');
      resp.localPort = c.sock.localPort;
      out.push(resp);
    }
    return out;
  } finally {
    c.close();
  }
}

// Write raw bytes, return everything received until the server closes or
// `timeout` ms pass (no error on timeout). `end: true` half-closes after writing.
// `bytes` may be a string (latin1), Buffer, or array of those written with
// `gap` ms between them.
function raw(port, bytes, { tls: useTls = false, host = '127.0.0.1', timeout = 3000 * SLOWDOWN, end = false, gap = 0, encoding = 'utf8' } = {}) {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host, tls: useTls });
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString(encoding));
    };
    const timer = setTimeout(finish, timeout);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return finish();
      if (!done) { done = true; clearTimeout(timer); sock.destroy(); reject(e); }
    });
    sock.once(useTls ? 'secureConnect' : 'connect', async () => {
      const list = Array.isArray(bytes) ? bytes : [bytes];
      for (let i = 0; i < list.length; i++) {
        if (done) return;
        const b = Buffer.isBuffer(list[i]) ? list[i] : Buffer.from(String(list[i]), 'latin1');
        sock.write(b);
        if (gap && i < list.length - 1) await sleep(gap);
      }
      if (end && !done) sock.end();
    });
  });
}

// Parse all HTTP responses out of a raw response string (e.g. from raw()).
function parseResponses(text, { method = 'GET' } = {}) {
  let buf = Buffer.from(text, 'utf8');
  const out = [];
  while (buf.length) {
    const r = tryParseResponse(buf, { method, ended: true });
    out.push(r.response);
    buf = buf.slice(r.consumed);
  }
  return out;
}

function websocket(port, p = '/', headers = {}, { host = '127.0.0.1', tls: useTls = false, timeout = 10000 * SLOWDOWN } = {}) {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const pairs = headerPairs(headers);
    const base = [];
    if (!hasHeader(pairs, 'host')) base.push(['Host', `${urlHost(host)}:${port}`]);
    if (!hasHeader(pairs, 'upgrade')) base.push(['Upgrade', 'websocket']);
    if (!hasHeader(pairs, 'connection')) base.push(['Connection', 'Upgrade']);
    if (!hasHeader(pairs, 'sec-websocket-key')) base.push(['Sec-WebSocket-Key', key]);
    if (!hasHeader(pairs, 'sec-websocket-version')) base.push(['Sec-WebSocket-Version', '13']);
    const all = [...base, ...pairs];
    let head = `GET ${p} HTTP/1.1\r\n`;
    for (const h of all) head += typeof h === 'string' ? `${h}\r\n` : `${h[0]}: ${h[1]}\r\n`;
    head += '\r\n';

    const sock = connect({ port, host, tls: useTls });
    let buf = Buffer.alloc(0);
    let resp = null;
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`websocket timeout; got ${JSON.stringify(buf.toString('latin1').slice(0, 500))}`)), timeout);
    const check = (ended) => {
      try {
        if (!resp) {
          const r = tryParseResponse(buf, { method: 'GET', ended });
          if (!r) return;
          resp = r.response;
          buf = buf.slice(r.consumed);
          if (resp.status !== 101) {
            return finish(null, { status: resp.status, headers: resp.headers, rawHeaders: resp.rawHeaders, body: resp.body, json: resp.json, frameText: null, frames: [] });
          }
        }
        const { frames } = parseFrames(buf);
        const text = frames.find((f) => f.opcode === 0x1);
        if (text || ended) {
          const expectAccept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
          const frameText = text ? text.payload.toString('utf8') : null;
          let json = null;
          try { json = frameText ? JSON.parse(frameText) : null; } catch (_) { json = null; }
          finish(null, {
            status: resp.status, headers: resp.headers, rawHeaders: resp.rawHeaders,
            acceptOk: resp.headers['sec-websocket-accept'] === expectAccept,
            frameText, json, frames,
          });
        }
      } catch (e) { finish(e); }
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); check(false); });
    sock.on('end', () => check(true));
    sock.on('close', () => check(true));
    sock.on('error', (e) => { if (resp) check(true); else finish(e); });
    sock.once(useTls ? 'secureConnect' : 'connect', () => sock.write(Buffer.from(head, 'latin1')));
  });
}

module.exports = {
  request,
  request10,
  keepAlive,
  raw,
  websocket,
  parseResponses,
  buildRequest,
};
