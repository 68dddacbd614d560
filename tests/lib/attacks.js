// SPDX-License-Identifier: MIT
'use strict';
// What the attacks-*.test.js files share: sending a vector and recording
// what the backend and the error log saw meanwhile, the two outcomes a
// vector may have (refused exactly, or passed with exactly the module's true
// values), the clients and backends the harness has no equivalent of, and
// the Apache that the client-attack files run against.
//
// Each test is one vector and asserts one of two outcomes exactly:
//  (a) refused: the exact status, who refused it (the module logs every
//      refusal at info with the header name, never the value; httpd's own
//      400s leave no such line), and that the backend saw nothing;
//  (b) passed: the backend saw exactly one copy of each secure header with
//      the module's true values (client 127.0.0.1, the expected environment)
//      and the forged value nowhere in its headers or trailers.
// The headers and their order are those of docs/wire-format.md.

const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');
const http2 = require('node:http2');
const h = require('./harness');

const { encodeEnvvars } = h;

/** rawHeaders (or raw trailers) as [name, value] pairs. */
function pairsOf(list) {
  const out = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([list[i], list[i + 1]]);
  return out;
}

/** Names of the module's refusals logged since `offset` of the error log. */
function refusalsSince(ap, offset) {
  const re = /\[secure_headers:(?:warn|info)\] .*refused request with client-supplied header "([^"]*)"/;
  return ap.errorLog().slice(offset).split('\n').map((l) => re.exec(l)).filter(Boolean).map((m) => m[1]);
}

/**
 * The one forwarded request `echo` carries exactly the module's headers:
 * [!~Passenger-Proto: https,] !~Passenger-Client-Address: 127.0.0.1,
 * !~Passenger-Envvars: base64(env) -- in that order, once each, nothing else
 * starting with "!~" (any case) -- and none of the `forged` strings appears
 * in any header or trailer, name or value.
 * `env` is either the exact list of pairs or a function checking the decoded list.
 */
function assertModuleHeaders(echo, { proto = false, env, forged = [] }) {
  assert.ok(echo, 'the backend received the request');
  const secure = h.secureHeaders(echo);
  const names = secure.map(([n]) => n);
  assert.deepEqual(names, [
    ...(proto ? ['!~Passenger-Proto'] : []),
    '!~Passenger-Client-Address',
    '!~Passenger-Envvars',
  ], `secure headers: ${JSON.stringify(secure)}`);
  if (proto) assert.equal(secure[0][1], 'https');
  assert.equal(secure[proto ? 1 : 0][1], '127.0.0.1');
  const envValue = secure.at(-1)[1];
  if (typeof env === 'function') env(h.decodeEnvvars(envValue));
  else assert.equal(envValue, encodeEnvvars(env), `envvars: ${JSON.stringify(h.decodeEnvvars(envValue))}`);
  // No other "!~" name hides anywhere (node keeps raw names as sent).
  for (const [n] of pairsOf(echo.rawHeaders)) {
    if (n.startsWith('!~')) assert.ok(names.includes(n));
  }
  assert.deepEqual(pairsOf(echo.trailers).filter(([n]) => n.startsWith('!~')), [], 'no "!~" trailer');
  const everything = [...echo.rawHeaders, ...echo.trailers].join('\n');
  for (const f of forged) assert.ok(!everything.includes(f), `forged ${JSON.stringify(f)} reached the backend: ${everything}`);
}

/**
 * Run `send`, report what the backend and the error log saw meanwhile.
 * Returns { res, seen: [echo...], refusals: [name...], log: new log text }.
 */
async function attempt(ap, be, send) {
  const n = be.requests.length;
  const off = ap.errorLog().length;
  const res = await send();
  return {
    res,
    seen: be.requests.slice(n),
    refusals: refusalsSince(ap, off),
    log: ap.errorLog().slice(off),
  };
}

/** Raw request bytes -> parsed responses (all of them, until close). */
async function rawResponses(port, bytes, opts = {}) {
  const text = await h.raw(port, bytes, Object.assign({ encoding: 'latin1' }, opts));
  return { text, responses: text ? h.parseResponses(text) : [] };
}

/** Assert a refusal: exactly `status`, by the module (naming `name`) or by httpd, backend untouched. */
function assertRefused(out, { status = 400, by = 'module', name, forged = [] }) {
  const statuses = out.res.responses ? out.res.responses.map((r) => r.status) : [out.res.status];
  assert.deepEqual(statuses, [status], `responses: ${out.res.text !== undefined ? JSON.stringify(out.res.text.slice(0, 300)) : JSON.stringify(out.res).slice(0, 300)}`);
  assert.deepEqual(out.seen, [], 'the backend must not see the request');
  if (by === 'module') {
    assert.deepEqual(out.refusals, [name], `module refusals: ${out.log}`);
  } else {
    assert.deepEqual(out.refusals, [], `refused by ${by}, not by the module: ${out.log}`);
  }
  for (const f of forged) assert.ok(!out.log.includes(f), `forged value ${JSON.stringify(f)} must not be logged`);
}

/** A sequential HTTP/1.1 client: write, wait for the n-th response, see whether the server closed. */
function session(port) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let buf = '';
  let closed = false;
  let wake = null;
  const poke = () => { if (wake) { const w = wake; wake = null; w(); } };
  sock.setEncoding('latin1');
  sock.on('data', (d) => { buf += d; poke(); });
  sock.on('close', () => { closed = true; poke(); });
  sock.on('error', () => {});
  const parsed = () => { try { return h.parseResponses(buf); } catch (_) { return null; } };
  return {
    ready: new Promise((res) => sock.once('connect', res)),
    write(bytes) { sock.write(Buffer.from(bytes, 'latin1')); },
    get closed() { return closed; },
    async responses(n, what = 'responses') {
      const deadline = Date.now() + 10000 * h.SLOWDOWN;
      for (;;) {
        const r = parsed();
        if (r && r.length >= n) return r;
        if (closed) return r || [];
        if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(buf.slice(0, 500))}`);
        await Promise.race([new Promise((res) => { wake = res; }), h.sleep(200)]);
      }
    },
    async waitClosed() {
      const deadline = Date.now() + 10000 * h.SLOWDOWN;
      while (!closed) {
        if (Date.now() > deadline) throw new Error('server did not close the connection');
        await Promise.race([new Promise((res) => { wake = res; }), h.sleep(200)]);
      }
    },
    destroy() { sock.destroy(); },
  };
}

/** An echo backend that accepts big header blocks (Node's default 16 KiB would answer 431 itself). */
function startBigBackend() {
  const requests = [];
  const server = http.createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const echo = { url: req.url, rawHeaders: req.rawHeaders.slice(), trailers: req.rawTrailers.slice() };
      requests.push(echo);
      const payload = JSON.stringify(echo);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  return new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) });
  }));
}

/** A cleartext HTTP/2 (h2c) echo backend, for ProxyPass h2c:// (mod_proxy_http2). */
function startH2cBackend() {
  const requests = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers, flags, rawHeaders) => {
    requests.push({ rawHeaders: rawHeaders.slice() });
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ rawHeaders }));
  });
  server.on('sessionError', () => {});
  return new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => {
    resolve({ url: `h2c://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(() => r())) });
  }));
}

const ENV = [['FOO', 'bar']];
const FORGED_IP = '6.6.6.6';
const get = (p, extra = '', host = 'x') => `GET ${p} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

// ---------------------------------------------------------------------------
// Client-side attacks: a plain vhost (no rewrite, no mod_remoteip), TLS + h2.

// The environment of an HTTP/2 request on the TLS vhost: mod_http2 adds its
// own variables, mod_ssl SSL_TLS_SNI when the client sent a server_name.
function h2Env(sni) {
  const tlsVars = h.tlsEnv(sni);
  return (env) => {
    assert.deepEqual(env.map(([n]) => n), ['FOO', ...tlsVars.map(([n]) => n), 'HTTP2', 'H2PUSH', 'H2_PUSH', 'H2_PUSHED', 'H2_PUSHED_ON', 'H2_STREAM_ID', 'H2_STREAM_TAG']);
    assert.deepEqual(env.slice(0, 2 + tlsVars.length), [['FOO', 'bar'], ...tlsVars, ['HTTP2', 'on']]);
  };
}


// ---------------------------------------------------------------------------
// The Apache of the client-attack files: a plain vhost (no rewrite, no
// mod_remoteip), TLS and HTTP/2. Each file starts its own, from these
// useApache() options, inside a describe() given needFor(CLIENT_APACHE).
// ---------------------------------------------------------------------------
const CLIENT_MODULES = h.httpdAtLeast('2.4.47') ? [] : ['proxy_wstunnel'];
const CLIENT_APACHE = { tls: true, h2: true, modules: CLIENT_MODULES };

function clientAttacks() {
  return {
    // The forged headers these files send are refused with a warning.
    allow: [h.CLIENT_REFUSAL],
    backends: {
      be: {},
      big: () => startBigBackend(),
      // Own backend for WebSocket: a second ProxyPass to the same URL would share the first's worker.
      ws: {},
    },
    apache: ({ be, big, ws }) => Object.assign({}, CLIENT_APACHE, {
      vars: { BACKEND: be.url, BIGBACKEND: big.url },
      body: [
        'LogLevel warn secure_headers:info',
        'SetEnv FOO bar',
        'SetEnvIf User-Agent ^agent-one$ UA=one',
        'SetEnvIf User-Agent ^agent-two$ UA=two',
        'ProxyPass /app/ ${BACKEND}/',
        h.websocketProxyPass('/ws/', `${ws.url}/`),
        '<Location /off/>\n SecureHeaders Off\n ProxyPass ${BACKEND}/off/\n</Location>',
        '<Location /xfp/>\n SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on\n ProxyPass ${BACKEND}/xfp/\n</Location>',
        h.tlsVhost('ProxyPass /app/ ${BACKEND}/\n ProxyPass /big/ ${BIGBACKEND}/'),
      ].join('\n'),
    }),
  };
}

module.exports = {
  ENV,
  FORGED_IP,
  get,
  pairsOf,
  refusalsSince,
  assertModuleHeaders,
  attempt,
  rawResponses,
  assertRefused,
  session,
  startBigBackend,
  startH2cBackend,
  h2Env,
  CLIENT_APACHE,
  clientAttacks,
};
