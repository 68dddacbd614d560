'use strict';
// Attack corpus: every way we could think of for a client (or a careless
// operator rule) to get a "!~" header to the backend, or to strip, replace
// or duplicate one that mod_secure_headers adds (SPEC.md, contract 1 and 3).
//
// Each test is one vector and asserts one of two outcomes exactly:
//  (a) refused: the exact status, who refused it (the module logs every
//      refusal at info with the header name, never the value; httpd's own
//      400s leave no such line), and that the backend saw nothing;
//  (b) passed: the backend saw exactly one copy of each secure header with
//      the module's true values (client 127.0.0.1, the expected environment)
//      and the forged value nowhere in its headers or trailers.
//
//   node --test tests/attacks.test.js

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const http2 = require('node:http2');
const h = require('./lib/harness');

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

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

/** One HTTP/2 request with optional trailers (the harness's h2request has none). */
function h2WithTrailers(port, { path: p, method = 'POST', headers = {}, body, trailers }) {
  return new Promise((resolve, reject) => {
    const session = h.h2connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const timer = setTimeout(() => { session.destroy(); reject(new Error('h2 timeout')); }, 10000 * h.SLOWDOWN);
    session.on('error', (e) => { clearTimeout(timer); reject(e); });
    const stream = session.request(Object.assign({ ':method': method, ':path': p }, headers), { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    let status = null;
    const chunks = [];
    stream.on('response', (hd) => { status = hd[':status']; });
    stream.on('data', (d) => chunks.push(d));
    stream.on('error', (e) => { clearTimeout(timer); session.destroy(); reject(e); });
    stream.on('end', () => {
      clearTimeout(timer);
      let sni;
      try { sni = session.sni(); } catch (e) { session.destroy(); reject(e); return; }
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(text); } catch (_) { json = null; }
      resolve({ status, body: text, json, alpnProtocol: session.alpnProtocol, sni });
    });
    stream.end(body);
  });
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
// ---------------------------------------------------------------------------
const CLIENT_MODULES = h.httpdAtLeast('2.4.47') ? [] : ['proxy_wstunnel'];
describe('client attacks', h.needFor({ tls: true, h2: true, modules: CLIENT_MODULES }), () => {
  let be; let big; let ws; let ap;

  before(async () => {
    be = await h.startBackend();
    big = await startBigBackend();
    // Own backend for WebSocket: a second ProxyPass to the same URL would share the first's worker.
    ws = await h.startBackend();
    ap = await h.startApache({
      tls: true,
      h2: true,
      modules: CLIENT_MODULES,
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
    });
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
    if (big) await big.close();
    if (ws) await ws.close();
  });

  const tryReq = (opts) => attempt(ap, be, () => h.request(ap.port, opts));
  const tryRaw = (bytes, opts) => attempt(ap, be, () => rawResponses(ap.port, bytes, opts));

  // --- header names: spelling and case -----------------------------------

  // Attack: forge the client address with the exact canonical name.
  test('"!~Passenger-Client-Address: 6.6.6.6" -> 400 by the module, backend untouched', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
  });

  // Attack: same name in lower case (the table is case-insensitive; the check must be too).
  test('"!~passenger-client-address" (lower case) -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~passenger-client-address', FORGED_IP]] });
    assertRefused(out, { name: '!~passenger-client-address', forged: [FORGED_IP] });
  });

  // Attack: upper-case Proto to fake HTTPS.
  test('"!~PASSENGER-PROTO: https" (upper case) -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~PASSENGER-PROTO', 'https']] });
    assertRefused(out, { name: '!~PASSENGER-PROTO' });
  });

  // Attack: the bare prefix (Passenger's password slot).
  test('bare "!~" header -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~', 'guess-the-password']] });
    assertRefused(out, { name: '!~', forged: ['guess-the-password'] });
  });

  // Attack: a well-formed, crafted Envvars value (HTTPS=on, REMOTE_USER=admin).
  test('"!~Passenger-Envvars" with crafted base64 -> 400', async () => {
    const crafted = encodeEnvvars([['HTTPS', 'on'], ['REMOTE_USER', 'admin']]);
    const out = await tryReq({ path: '/app/a', headers: [['X-Before', '1'], ['!~Passenger-Envvars', crafted]] });
    assertRefused(out, { name: '!~Passenger-Envvars', forged: [crafted] });
  });

  // Attack: a "!~" name the module does not itself send (the whole namespace is reserved).
  test('"!~Anything-Else" -> 400', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Anything-Else', 'x']] });
    assertRefused(out, { name: '!~Anything-Else' });
  });

  // Attack: the same secure header twice, second copy in another case (hoping one survives a de-dup).
  test('"!~Passenger-Proto" twice, second copy lower case -> 400 (first one named)', async () => {
    const out = await tryReq({ path: '/app/a', headers: [['!~Passenger-Proto', 'https'], ['!~passenger-proto', 'https']] });
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Not an attack: look-alike names are ordinary headers and pass unchanged.
  test('look-alikes "X!~Foo", "~!Foo", "!Foo" pass unchanged next to the module headers', async () => {
    const out = await tryReq({ path: '/app/look', headers: [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.deepEqual(out.refusals, []);
    const raw = pairsOf(out.seen[0].rawHeaders);
    assert.deepEqual(raw.filter(([n]) => ['X!~Foo', '~!Foo', '!Foo'].includes(n)), [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']]);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: "! ~Foo" -- a space splitting the prefix. httpd refuses the name itself.
  test('"! ~Foo" (space inside the name) -> 400 by httpd before the module', async () => {
    const out = await tryRaw(get('/app/a', '! ~Foo: v\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // --- protocol versions and forms ----------------------------------------

  // Attack: HTTP/1.0 with Host.
  test('HTTP/1.0 with Host and a "!~" header -> 400', async () => {
    const out = await tryRaw(`GET /app/a HTTP/1.0\r\nHost: x\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    assert.equal(out.res.responses[0].headers.connection, 'close');
  });

  // Attack: HTTP/1.0 without Host (served by the default server).
  test('HTTP/1.0 without Host and a "!~" header -> 400; without the header it is proxied with true values', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.0\r\n!~Passenger-Proto: https\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
    const ok = await tryRaw('GET /app/ten HTTP/1.0\r\nX!~Foo: 1\r\n\r\n');
    assert.deepEqual(ok.res.responses.map((r) => r.status), [200]);
    assert.equal(ok.seen.length, 1);
    assert.equal(ok.seen[0].url, '/ten');
    assertModuleHeaders(ok.seen[0], { env: ENV });
  });

  // Attack: HTTP/0.9 has no headers, so a "!~" line after the request line is never parsed as one.
  test('HTTP/0.9 request line followed by a "!~" line: not a header, backend gets the true values', async () => {
    const out = await attempt(ap, be, () => h.raw(ap.port, `GET /app/nine\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`));
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].url, '/nine');
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
    // HTTP/0.9: the body alone, no status line.
    assert.deepEqual(JSON.parse(out.res), out.seen[0]);
  });

  // Attack: absolute-form request target (as sent to a forward proxy).
  test('absolute-form request-target with a "!~" header -> 400', async () => {
    const out = await tryRaw(`GET http://127.0.0.1:${ap.port}/app/a HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n`);
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: TLS (HTTP/1.1), where a forged Proto would look most plausible.
  test('TLS HTTP/1.1 with "!~Passenger-Proto: http" -> 400', async () => {
    const out = await attempt(ap, be, () => h.request(ap.tlsPort, { tls: true, path: '/app/a', headers: [['!~Passenger-Proto', 'http']] }));
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: HTTP/2, where header names are always lower case.
  test('HTTP/2 "!~passenger-proto" -> 400, backend untouched', async () => {
    const out = await attempt(ap, be, () => h.h2request(ap.tlsPort, { path: '/app/a', headers: { '!~passenger-proto': 'http' } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 400);
    assert.deepEqual(out.seen, []);
    // mod_http2 hands the name over re-cased ("!~passenger-Proto"); any case is refused.
    assert.deepEqual(out.refusals.map((n) => n.toLowerCase()), ['!~passenger-proto']);
  });

  // Attack: HTTP/2 header block of ~40 KB (HEADERS + CONTINUATION frames) with the "!~" header last,
  // hoping the check only sees the first frame's headers.
  test('HTTP/2 huge header block (CONTINUATION frames), "!~" header last -> 400; same block without it is proxied whole', async () => {
    const bigHeaders = {};
    for (let i = 0; i < 10; i++) bigHeaders[`x-big-${i}`] = `${i}abcdefghijklmnopqrstuvwxyz`.repeat(150); // 10 x ~4 KB
    const nBig = big.requests.length;
    const out = await attempt(ap, be, () => h.h2request(ap.tlsPort, { path: '/big/a', headers: Object.assign({}, bigHeaders, { '!~passenger-client-address': FORGED_IP }) }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 400);
    assert.equal(big.requests.length, nBig, 'the big backend must not see the request');
    assert.deepEqual(out.refusals.map((n) => n.toLowerCase()), ['!~passenger-client-address']);
    assert.ok(!out.log.includes(FORGED_IP));
    // Control: httpd takes the whole block (so the check above did see every frame).
    const ctl = await h.h2request(ap.tlsPort, { path: '/big/ctl', headers: bigHeaders });
    assert.equal(ctl.status, 200);
    assert.equal(big.requests.length, nBig + 1);
    const echo = big.requests.at(-1);
    const raw = pairsOf(echo.rawHeaders);
    for (const [k, v] of Object.entries(bigHeaders)) assert.deepEqual(raw.filter(([n]) => n.toLowerCase() === k).map(([, x]) => x), [v], k);
    assert.deepEqual(h.secureHeaders(echo).map(([n]) => n), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(h.secureHeaders(echo)[1][1], '127.0.0.1');
  });

  // Attack: HTTP/2 request trailers carrying "!~passenger-client-address" (small body).
  test('HTTP/2 POST with a "!~passenger-client-address" trailer (small body): backend sees true values only', async () => {
    const out = await attempt(ap, be, () => h2WithTrailers(ap.tlsPort, { path: '/app/h2t', body: 'hello', trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'hello');
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP] });
  });

  // Attack: the same with a body > 16 KB, streamed to the backend.
  test('HTTP/2 POST with a "!~passenger-client-address" trailer (40 KB body, streamed): backend sees true values only', async () => {
    const body = 'q'.repeat(40000);
    const out = await attempt(ap, be, () => h2WithTrailers(ap.tlsPort, { path: '/app/h2tbig', body, trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), body);
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP] });
  });

  // --- chunked trailers (MergeTrailers off, the default) ------------------

  const chunked = (p, size, trailerLines) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
    `${size.toString(16)}\r\n${'b'.repeat(size)}\r\n0\r\n${trailerLines}\r\n`;

  // Attack: "!~Passenger-Client-Address" as a chunked trailer, small (prefetched) body.
  test('chunked trailer "!~Passenger-Client-Address" (MergeTrailers off, 5-byte body) -> passes with true values', async () => {
    const out = await tryRaw(chunked('/app/tr', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'bbbbb');
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // Attack: the same, body > 16 KB (streamed chunked to the backend).
  test('chunked trailer "!~Passenger-Client-Address" (MergeTrailers off, 40 KB body) -> passes with true values', async () => {
    const out = await tryRaw(chunked('/app/trbig', 40000, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').length, 40000);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // --- line folding and odd whitespace / bytes ----------------------------

  // Attack: a "!~" header hidden as an obs-fold continuation of another header.
  test('obs-fold: "X-A: a\\r\\n !~Passenger-Proto: https" folds into X-A\'s value; no Proto header', async () => {
    const out = await tryRaw(get('/app/fold', 'X-A: a\r\n !~Passenger-Proto: https\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    // httpd joins the continuation with a space: it is text in X-A's value, not a header.
    assert.deepEqual(pairsOf(out.seen[0].rawHeaders).filter(([n]) => n === 'X-A'), [['X-A', 'a !~Passenger-Proto: https']]);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: obs-fold continuing a "!~" header (value split over two lines).
  test('obs-fold continuing a "!~" header -> 400 by the module', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: https\r\n more\r\n'));
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: obs-fold hiding a "!~" token in Connection ("close" + continuation).
  test('obs-fold continuing Connection with "!~Passenger-Client-Address" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n !~Passenger-Client-Address\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: whitespace before the colon (some parsers strip it and keep the name).
  test('"!~Passenger-Proto : https" (space before colon) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto : https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: tab before the colon.
  test('"!~Passenger-Proto\\t: https" (tab before colon) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto\t: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: leading whitespace on the first header line (continuation of the request line?).
  test('leading whitespace on the first header line " !~Passenger-Proto" -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\n !~Passenger-Proto: https\r\nHost: x\r\nConnection: close\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: a control byte inside the name, hoping for a name that later "normalizes" to "!~...".
  test('"!~Passenger\\x01-Proto" (control byte in name) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x01-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: NUL in the name (C string truncation).
  test('"!~Passenger\\x00-Proto" (NUL in name) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x00-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: NUL before the prefix, so a C-string view of the name is empty.
  test('"X\\x00!~Passenger-Proto" (NUL before the prefix) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', 'X\x00!~Passenger-Proto: https\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: control byte in a "!~" header's value (httpd's strict parser answers first).
  test('"!~Passenger-Proto: ht\\x01tps" (control byte in value) -> 400 by httpd', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: ht\x01tps\r\n'));
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: bare LF line endings throughout.
  test('bare LF line endings with a "!~" header -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\nHost: x\n!~Passenger-Proto: https\nConnection: close\n\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: a single bare LF ending only the "!~" line (header smuggled into the previous line for CRLF-only parsers).
  test('bare LF ending only the "!~" line -> 400 by httpd', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nX-A: 1\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: CR-only line endings: httpd never finds the end of the request line.
  test('CR-only line endings -> no response at all when the client half-closes; backend untouched', async () => {
    const out = await attempt(ap, be, () => h.raw(ap.port, 'GET /app/a HTTP/1.1\rHost: x\r!~Passenger-Proto: https\rConnection: close\r\r', { end: true, encoding: 'latin1' }));
    assert.equal(out.res, '');
    assert.deepEqual(out.seen, []);
    assert.deepEqual(out.refusals, []);
  });

  // Attack: an 8000-character "!~" name (log flooding, buffer sizes). The module logs 128 bytes of it.
  test('8000-character "!~" name -> 400 by the module, logged name cut to 128 bytes', async () => {
    const name = `!~${'A'.repeat(7998)}`;
    const out = await tryRaw(get('/app/a', `${name}: v\r\n`));
    assertRefused(out, { name: name.slice(0, 128) });
  });

  // Attack: a "!~" name past LimitRequestFieldSize: httpd's own limit answers first.
  test('9000-character "!~" name -> 400 by httpd (field size limit)', async () => {
    const out = await tryRaw(get('/app/a', `!~${'A'.repeat(9000)}: v\r\n`));
    assertRefused(out, { by: 'httpd' });
    assert.match(out.res.responses[0].body, /Size of a request header field exceeds server limit/);
  });

  // Attack: an 8000-character value (the value must never reach the log).
  test('"!~Passenger-Proto" with an 8000-character value -> 400, value not logged', async () => {
    const value = `https${'v'.repeat(7995)}`;
    const out = await tryRaw(get('/app/a', `!~Passenger-Proto: ${value}\r\n`));
    assertRefused(out, { name: '!~Passenger-Proto', forged: ['vvvvvvvvvvvvvvvv'] });
  });

  // --- hop-by-hop machinery ------------------------------------------------

  // Attack: name a secure header in Connection so a proxy drops it as hop-by-hop.
  test('"Connection: !~Passenger-Client-Address" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: !~Passenger-Client-Address\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: the same in a list after "close".
  test('"Connection: close, !~Passenger-Envvars" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close, !~Passenger-Envvars\r\n\r\n');
    assertRefused(out, { name: 'Connection' });
  });

  // Attack: list without spaces, and a second Connection header (httpd merges them).
  test('"Connection: close,!~Passenger-Client-Address" and a second Connection header naming "!~Passenger-Proto" -> 400 each', async () => {
    const a = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close,!~Passenger-Client-Address\r\n\r\n');
    assertRefused(a, { name: 'Connection' });
    const b = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: !~Passenger-Proto\r\n\r\n');
    assertRefused(b, { name: 'Connection' });
  });

  // Attack: quoted / semicolon-joined tokens the module's Connection check does not read as names.
  // mod_proxy does split "close;X" into two names, but removes them before the module adds its
  // headers (since 2.4.54; on older httpd the module does that removal first, sh_clear_connection):
  // the backend still gets every secure header.
  test('"Connection: \\"!~Passenger-Client-Address\\"" and "Connection: close;!~..." pass; all secure headers still arrive', async () => {
    for (const conn of ['"!~Passenger-Client-Address"', 'close;!~Passenger-Client-Address']) {
      const out = await tryReq({ path: '/app/q', headers: [['Connection', conn]] });
      assert.equal(out.res.status, 200, conn);
      assert.deepEqual(out.refusals, []);
      assert.equal(out.seen.length, 1);
      assertModuleHeaders(out.seen[0], { env: ENV });
    }
  });

  // Attack: Keep-Alive header carrying a "!~" token (hop-by-hop, dropped by mod_proxy).
  test('"Connection: keep-alive" + "Keep-Alive: !~x" -> 200, nothing of it forwarded', async () => {
    const out = await tryReq({ path: '/app/ka', headers: [['Connection', 'keep-alive'], ['Keep-Alive', '!~x']] });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers['keep-alive'], undefined);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: ['!~x'] });
  });

  // Attack: Upgrade naming a secure header (on a non-WebSocket route).
  test('"Upgrade: !~Passenger-Proto" (with and without Connection: Upgrade) -> 200, no Upgrade, no Proto', async () => {
    for (const conn of ['close', 'Upgrade, close']) {
      const out = await tryRaw(get('/app/up', `Upgrade: !~Passenger-Proto\r\n`).replace('Connection: close', `Connection: ${conn}`));
      assert.deepEqual(out.res.responses.map((r) => r.status), [200], conn);
      assert.equal(out.seen.length, 1);
      assert.equal(out.seen[0].headers.upgrade, undefined);
      assertModuleHeaders(out.seen[0], { env: ENV });
    }
  });

  // Attack: TE naming a "!~" token.
  test('"TE: trailers, !~x" -> 200, TE not forwarded', async () => {
    const out = await tryRaw(get('/app/te', 'TE: trailers, !~x\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers.te, undefined);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: ['!~x'] });
  });

  // Attack: Proxy-Connection naming a secure header.
  test('"Proxy-Connection: !~Passenger-Proto" -> 200, not forwarded, no Proto', async () => {
    const out = await tryRaw(get('/app/pc', 'Proxy-Connection: !~Passenger-Proto\r\n'));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(out.seen[0].headers['proxy-connection'], undefined);
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: Expect: 100-continue with a "!~" header: the client must not even be invited to send the body.
  test('"Expect: 100-continue" + "!~" header -> 400 without "100 Continue"', async () => {
    const out = await tryRaw(`POST /app/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
    assert.ok(!out.res.text.includes('100 Continue'), out.res.text);
    assert.match(out.res.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
  });

  // Attack: ambiguous framing (Transfer-Encoding + Content-Length) together with a "!~" header.
  test('"Transfer-Encoding: chunked" + "Content-Length" + "!~" header -> 400 by the module', async () => {
    const out = await tryRaw('POST /app/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // --- pipelining and smuggling -------------------------------------------

  // Attack: a valid request and a forged one in one TCP write (the forged one riding on the first's checks).
  test('pipelined: valid then forged in one write -> 200 (true values), 400 + close; third never served', async () => {
    const out = await tryRaw('GET /app/p1 HTTP/1.1\r\nHost: x\r\n\r\n' +
      `GET /app/p2 HTTP/1.1\r\nHost: x\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n` +
      'GET /app/p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(out.res.responses.map((r) => r.status), [200, 400]);
    assert.equal(out.res.responses[1].headers.connection, 'close');
    assert.deepEqual(out.seen.map((e) => e.url), ['/p1']);
    assert.deepEqual(out.refusals, ['!~Passenger-Client-Address']);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
    assert.deepEqual(out.res.responses[0].json, out.seen[0]);
  });

  // Attack: a forged request first, then a valid one in the same write: after the 400 httpd closes.
  test('pipelined: forged then valid in one write -> a single 400, connection closed, backend untouched', async () => {
    const out = await tryRaw('GET /app/p1 HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\nGET /app/p2 HTTP/1.1\r\nHost: x\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
    assert.equal(out.res.responses[0].headers.connection, 'close');
  });

  // Attack: CL.TE smuggling: Content-Length covers a second request (with a "!~" header) that the
  // chunked body ends before. httpd goes by Transfer-Encoding and closes after the response
  // (since 2.4.44). Older ones keep the connection and read the smuggled bytes as the next
  // request, which carries a "!~" header: the module refuses it, so it reaches no backend either.
  test('smuggling (Content-Length + chunked) with a "!~" request in the body -> one 200, close; smuggled request never parsed', async () => {
    const smuggled = 'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n';
    const body = `0\r\n\r\n${smuggled}`;
    const out = await tryRaw(`POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    if (h.httpdAtLeast('2.4.44')) {
      assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
      assert.equal(out.res.responses[0].headers.connection, 'close');
      assert.deepEqual(out.refusals, []);
    } else {
      assert.deepEqual(out.res.responses.map((r) => r.status), [200, 400]);
      assert.equal(out.res.responses[1].headers.connection, 'close');
      assert.deepEqual(out.refusals, ['!~Passenger-Proto']);
    }
    assert.deepEqual(out.seen.map((e) => e.url), ['/s']);
    assert.equal(out.seen[0].body, '');
    assertModuleHeaders(out.seen[0], { env: ENV });
  });

  // Attack: TE.TE obfuscation ("chunked" then "identity") to desync, smuggled "!~" request behind.
  test('smuggling with two Transfer-Encoding headers -> 400 by httpd, backend untouched', async () => {
    const out = await tryRaw('POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n' +
      'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n');
    assertRefused(out, { by: 'httpd' });
  });

  // Attack: two Content-Length headers (0 and the smuggled request's length).
  test('smuggling with two Content-Length headers -> 400 by httpd, backend untouched', async () => {
    const smuggled = 'GET /app/smuggled HTTP/1.1\r\nHost: x\r\n!~Passenger-Proto: https\r\n\r\n';
    const out = await tryRaw(`POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
    assertRefused(out, { by: 'httpd' });
  });

  // Not a header: "!~" lines inside a request body are body bytes, forwarded verbatim.
  test('"!~" header lines inside a POST body are forwarded as body, headers carry the true values', async () => {
    const body = `GET / HTTP/1.1\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`;
    const out = await tryReq({ method: 'POST', path: '/app/body', body });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString('latin1'), body);
    assertModuleHeaders(out.seen[0], { env: ENV, forged: [FORGED_IP] });
  });

  // --- keep-alive reuse ----------------------------------------------------

  // Attack: earn trust with a valid first request, forge on the second one of the same connection.
  test('keep-alive: valid request, then a forged one on the same connection -> 200, then 400 and closed', async () => {
    const n = be.requests.length;
    const off = ap.errorLog().length;
    const s = session(ap.port);
    try {
      await s.ready;
      s.write(`GET /app/k1 HTTP/1.1\r\nHost: 127.0.0.1:${ap.port}\r\nUser-Agent: agent-one\r\n\r\n`);
      const [r1] = await s.responses(1);
      assert.equal(r1.status, 200);
      assert.notEqual(r1.headers.connection, 'close');
      assert.ok(!s.closed, 'the first response keeps the connection open');
      s.write(`GET /app/k2 HTTP/1.1\r\nHost: 127.0.0.1:${ap.port}\r\n!~Passenger-Client-Address: ${FORGED_IP}\r\n\r\n`);
      const rs = await s.responses(2);
      assert.deepEqual(rs.map((r) => r.status), [200, 400]);
      assert.equal(rs[1].headers.connection, 'close');
      await s.waitClosed();
    } finally { s.destroy(); }
    assert.deepEqual(be.requests.slice(n).map((e) => e.url), ['/k1']);
    assertModuleHeaders(be.requests[n], { env: [['UA', 'one'], ['FOO', 'bar']], forged: [FORGED_IP] });
    assert.deepEqual(refusalsSince(ap, off), ['!~Passenger-Client-Address']);
  });

  // Attack: forged first request on a keep-alive connection: no second chance on it.
  test('keep-alive: forged first request -> 400 and the connection is closed', async () => {
    const n = be.requests.length;
    const s = session(ap.port);
    try {
      await s.ready;
      s.write(`GET /app/k1 HTTP/1.1\r\nHost: 127.0.0.1:${ap.port}\r\n!~Passenger-Proto: https\r\n\r\n`);
      const rs = await s.responses(1);
      assert.deepEqual(rs.map((r) => r.status), [400]);
      assert.equal(rs[0].headers.connection, 'close');
      await s.waitClosed();
    } finally { s.destroy(); }
    assert.equal(be.requests.length, n);
  });

  // Attack: values leaking from one request to the next on a reused connection (client and backend side).
  test('keep-alive: each request on one connection gets its own environment (SetEnvIf by User-Agent)', async () => {
    const n = be.requests.length;
    const rs = await h.keepAlive(ap.port, [
      { path: '/app/k1', headers: { 'User-Agent': 'agent-one' } },
      { path: '/app/k2', headers: { 'User-Agent': 'agent-two' } },
      { path: '/app/k3', headers: { 'User-Agent': 'nobody', Connection: 'close' } },
    ]);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    assert.equal(new Set(rs.map((r) => r.localPort)).size, 1);
    const seen = be.requests.slice(n);
    assert.deepEqual(seen.map((e) => e.url), ['/k1', '/k2', '/k3']);
    assertModuleHeaders(seen[0], { env: [['UA', 'one'], ['FOO', 'bar']] });
    assertModuleHeaders(seen[1], { env: [['UA', 'two'], ['FOO', 'bar']] });
    assertModuleHeaders(seen[2], { env: [['FOO', 'bar']] });
  });

  // --- WebSocket upgrade ---------------------------------------------------

  // Attack: a forged header on a WebSocket handshake (the tunnel would carry it to the backend).
  test('WebSocket upgrade with "!~Passenger-Client-Address" -> 400, no 101, backend untouched', async () => {
    const n = ws.requests.length;
    const off = ap.errorLog().length;
    const w = await h.websocket(ap.port, '/ws/chat', { '!~Passenger-Client-Address': FORGED_IP });
    assert.equal(w.status, 400);
    assert.equal(ws.requests.length, n);
    assert.deepEqual(refusalsSince(ap, off), ['!~Passenger-Client-Address']);
  });

  // Attack: Sec-WebSocket-Protocol / Connection tricks on an otherwise valid upgrade: the tunnelled
  // handshake still carries exactly the module's set.
  test('WebSocket upgrade with "Sec-WebSocket-Protocol: !~Passenger-Proto" -> 101, one set of true values', async () => {
    const n = ws.requests.length;
    const w = await h.websocket(ap.port, '/ws/chat?room=1', { 'Sec-WebSocket-Protocol': '!~Passenger-Proto', 'X-Real-IP': FORGED_IP });
    assert.equal(w.status, 101);
    assert.ok(w.acceptOk);
    assert.equal(ws.requests.length, n + 1);
    assert.equal(w.json.url, '/chat?room=1');
    assertModuleHeaders(ws.requests.at(-1), { env: ENV });
    assert.deepEqual(w.json.rawHeaders, ws.requests.at(-1).rawHeaders);
  });

  // --- environment-driven -------------------------------------------------

  // Attack: client headers that look like TLS (HTTPS, X-Forwarded-Proto, X-Forwarded-Ssl) over plain HTTP.
  test('"HTTPS: on", "X-Forwarded-Proto: https", "X-Forwarded-Ssl: on" over plain HTTP -> no Proto header', async () => {
    const out = await tryReq({ path: '/app/tlslike', headers: [['HTTPS', 'on'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'on']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: false, env: ENV });
    // They arrive as the ordinary headers they are.
    assert.equal(out.seen[0].headers.https, 'on');
    assert.equal(out.seen[0].headers['x-forwarded-proto'], 'https');
  });

  // Operator's trust decision: SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on (behind a TLS terminator).
  // Any client can then claim https on this location -- that is what the operator configured.
  test('SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on configured -> Proto appears (operator\'s choice); absent without the header', async () => {
    const out = await tryReq({ path: '/xfp/a', headers: [['X-Forwarded-Proto', 'https']] });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { proto: true, env: [['HTTPS', 'on'], ['FOO', 'bar']] });
    const plain = await tryReq({ path: '/xfp/b', headers: [['X-Forwarded-Proto', 'http']] });
    assertModuleHeaders(plain.seen[0], { proto: false, env: [['FOO', 'bar']] });
  });

  // Attack: X-Real-IP / X-Forwarded-For when mod_remoteip is not configured.
  test('"X-Real-IP: 6.6.6.6" and "X-Forwarded-For: 6.6.6.6" without mod_remoteip -> Client-Address stays 127.0.0.1', async () => {
    const out = await tryReq({ path: '/app/rip', headers: [['X-Real-IP', FORGED_IP], ['X-Forwarded-For', FORGED_IP]] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    const secure = h.secureHeaders(out.seen[0]);
    assert.deepEqual(secure, [['!~Passenger-Client-Address', '127.0.0.1'], ['!~Passenger-Envvars', encodeEnvvars(ENV)]]);
    // mod_proxy appends the real address to the client's X-Forwarded-For: not a secure header.
    assert.equal(out.seen[0].headers['x-forwarded-for'], `${FORGED_IP}, 127.0.0.1`);
  });

  // Attack: a location where the module adds nothing -- forged headers must still be refused there.
  test('SecureHeaders Off location: forged header still 400; valid request carries no "!~" header at all', async () => {
    const out = await tryReq({ path: '/off/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    const ok = await tryReq({ path: '/off/b' });
    assert.equal(ok.res.status, 200);
    assert.equal(ok.seen.length, 1);
    assert.equal(ok.seen[0].url, '/off/b');
    assert.deepEqual(h.secureHeaders(ok.seen[0]), []);
  });
});

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
// Operator configuration and internal machinery: internal redirects,
// subrequests, mod_headers rules on "!~" names, MergeTrailers on, mod_remoteip.
// ---------------------------------------------------------------------------
const OPERATOR_MODULES = ['rewrite', 'include', 'remoteip', 'proxy_http2'];
describe('operator config and internal redirects', h.needFor({ tls: true, h2: true, modules: OPERATOR_MODULES }), () => {
  let be; let h2c; let ap;

  before(async () => {
    be = await h.startBackend();
    h2c = await startH2cBackend();
    ap = await h.startApache({
      tls: true,
      h2: true,
      modules: OPERATOR_MODULES,
      vars: { BACKEND: be.url, H2C: h2c.url },
      body: [
        'LogLevel warn secure_headers:info',
        'MergeTrailers on',
        // mod_remoteip configured, but 127.0.0.1 is not a trusted proxy (config only, never contacted).
        'RemoteIPHeader X-Real-IP',
        'RemoteIPTrustedProxy 192.0.2.1',
        'SetEnv FOO bar',
        'ProxyPass /app/ ${BACKEND}/',
        '<Location /loc/>\n ProxyPass ${BACKEND}/loc/\n</Location>',
        'RewriteEngine on',
        'RewriteRule ^/rw/(.*)$ /app/rw/$1 [PT]',
        'RewriteRule ^/rwloc/(.*)$ /loc/$1 [PT]',
        '<Location /missing/>\n ErrorDocument 404 /app/errdoc\n</Location>',
        '<Location /peo/>\n ProxyPass ${BACKEND}/status/404/\n ProxyErrorOverride On\n ErrorDocument 404 /app/peo-err\n</Location>',
        '<Directory "${DIR}/htdocs">\n Options +Includes\n AddType text/html .shtml\n AddOutputFilter INCLUDES .shtml\n</Directory>',
        // Operator rules on "!~" names followed by an internal redirect.
        '<Location /h2c/>\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n ProxyPass ${H2C}/h2c/\n</Location>',
        '<Location /mh-missing/>\n RequestHeader set "!~Custom" y\n ErrorDocument 404 /app/mh-errdoc\n</Location>',
        '<Directory "${DIR}/htdocs/d">\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n RewriteEngine on\n RewriteRule ^x$ /app/from-dir [PT]\n</Directory>',
        '<Location /mh-set/>\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n ProxyPass ${BACKEND}/mh-set/\n</Location>',
        '<Location /mh-unset/>\n RequestHeader unset "!~Passenger-Client-Address"\n RequestHeader unset "!~Passenger-Envvars"\n ProxyPass ${BACKEND}/mh-unset/\n</Location>',
        '<Location /mh-append/>\n RequestHeader append "!~Passenger-Envvars" x\n ProxyPass ${BACKEND}/mh-append/\n</Location>',
        '<Location /mh-add/>\n RequestHeader add "!~Passenger-Client-Address" "9.9.9.9"\n RequestHeader add "!~Passenger-Proto" https\n ProxyPass ${BACKEND}/mh-add/\n</Location>',
        '<Location /mh-custom/>\n RequestHeader set "!~Custom" y\n ProxyPass ${BACKEND}/mh-custom/\n</Location>',
        '<Location /mh-edit/>\n RequestHeader edit "!~Passenger-Client-Address" "^.*$" "9.9.9.9"\n RequestHeader edit* "!~Passenger-Envvars" "." "A"\n ProxyPass ${BACKEND}/mh-edit/\n</Location>',
        h.tlsVhost([
          'RequestHeader set "!~Passenger-Client-Address" "9.9.9.9" early',
          'RequestHeader set "!~Custom" "y" early',
          'RequestHeader append "!~Passenger-Envvars" "x" early',
          'ErrorDocument 404 /app/early-errdoc',
          'ProxyPass /app/ ${BACKEND}/',
        ].join('\n ')),
      ].join('\n'),
    });
    fs.writeFileSync(`${ap.dir}/htdocs/inc.shtml`, 'before\n<!--#include virtual="/app/inc?x=1" -->\nafter\n');
    fs.mkdirSync(`${ap.dir}/htdocs/d`);
    fs.writeFileSync(`${ap.dir}/htdocs/d/x`, 'file x\n');
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
    if (h2c) await h2c.close();
  });

  const tryReq = (opts) => attempt(ap, be, () => h.request(ap.port, opts));
  const rwEnv = (p, host) => [['SCRIPT_URL', p], ['SCRIPT_URI', `http://${host || `127.0.0.1:${ap.port}`}${p}`], ['FOO', 'bar']];

  // --- internal redirects and subrequests ---------------------------------

  // Attack surface: ErrorDocument's internal redirect to a proxied path (a stale or second set must not ride along).
  test('ErrorDocument 404 -> proxied path: exactly one set, true values, REDIRECT_* environment', async () => {
    const out = await tryReq({ path: '/missing/nothing' });
    assert.equal(out.res.status, 200); // the ErrorDocument is a proxied 200 page
    assert.deepEqual(out.seen.map((e) => e.url), ['/errdoc']);
    const uri = `http://127.0.0.1:${ap.port}/missing/nothing`;
    assertModuleHeaders(out.seen[0], {
      env: [
        ['REDIRECT_SCRIPT_URL', '/missing/nothing'], ['REDIRECT_SCRIPT_URI', uri], ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'], ['REDIRECT_STATUS', '404'],
        ['SCRIPT_URL', '/missing/nothing'], ['SCRIPT_URI', uri], ['FOO', 'bar'],
      ],
    });
  });

  // Attack surface: a proxied request whose 404 is overridden by an ErrorDocument that is proxied too
  // (two forwarded requests in one internal-redirect chain).
  test('ProxyErrorOverride + proxied ErrorDocument: both forwarded requests carry exactly one set', async () => {
    const out = await tryReq({ path: '/peo/x' });
    // The proxied error document's own status (200) is what the client gets.
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/status/404/x', '/peo-err']);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/peo/x') });
    assertModuleHeaders(out.seen[1], {
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => n === 'FOO' || n === 'REDIRECT_STATUS'), [['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
        assert.ok(!env.some(([, v]) => v === '9.9.9.9'));
      },
    });
    assert.deepEqual(out.res.json, out.seen[1]);
  });

  // Attack surface: RewriteRule [PT] into a proxied path (server-level ProxyPass).
  test('RewriteRule [PT] to a proxied path: one set, true values', async () => {
    const out = await tryReq({ path: '/rw/abc?q=1' });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/rw/abc?q=1']);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/rw/abc') });
  });

  // RewriteRule [PT] onto a <Location>-scoped ProxyPass: httpd picks the Location's config before
  // translation (for the original URI), so the rewritten request is not proxied at all: 404 from
  // the file system, backend untouched (httpd behaviour, documented here).
  test('RewriteRule [PT] to a <Location>-scoped ProxyPass -> not proxied (404), backend untouched', async () => {
    const out = await tryReq({ path: '/rwloc/abc' });
    assert.equal(out.res.status, 404);
    assert.deepEqual(out.seen, []);
    assert.deepEqual(out.refusals, []);
  });

  // Attack surface: mod_include subrequest to a proxied path.
  test('mod_include virtual include of a proxied path: one set, true values', async () => {
    const out = await tryReq({ path: '/inc.shtml' });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/inc?x=1']);
    assert.ok(out.res.body.startsWith('before\n{'), out.res.body.slice(0, 100));
    assert.ok(out.res.body.endsWith('}\nafter\n'));
    assertModuleHeaders(out.seen[0], {
      env: (env) => {
        // mod_include gives the subrequest the whole CGI environment; mod_env then overlays
        // (apr_table_overlay) SetEnv again for the subrequest, so FOO is in the table twice --
        // httpd's table, sent in table order as the contract says.
        assert.deepEqual(env.filter(([n]) => ['FOO', 'REMOTE_ADDR', 'HTTPS'].includes(n)), [['FOO', 'bar'], ['REMOTE_ADDR', '127.0.0.1'], ['FOO', 'bar']]);
      },
    });
  });

  // Attack: TLS-looking client headers through mod_include, whose CGI environment copies client
  // headers into the subrequest's environment (as HTTP_*): still no HTTPS, no Proto.
  test('mod_include with "HTTPS: on" / "X-Forwarded-Proto: https" client headers -> HTTP_HTTPS in env, but no Proto', async () => {
    const out = await tryReq({ path: '/inc.shtml', headers: [['HTTPS', 'on'], ['X-Forwarded-Proto', 'https']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], {
      proto: false,
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => /^(HTTP_HTTPS|HTTP_X_FORWARDED_PROTO|HTTPS)$/i.test(n)), [['HTTP_HTTPS', 'on'], ['HTTP_X_FORWARDED_PROTO', 'https']]);
      },
    });
  });

  // --- mod_headers rules on "!~" names (operator config) -------------------

  // Operator rule: RequestHeader set (fixups) tries to replace the client address.
  test('RequestHeader set "!~Passenger-Client-Address" 9.9.9.9 -> the module\'s value wins, no 9.9.9.9', async () => {
    const out = await tryReq({ path: '/mh-set/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-set/x'), forged: ['9.9.9.9'] });
  });

  // Operator rule: RequestHeader set ... early (post_read_request, after the module's refusal check).
  // Result: not refused (it is the server's own rule, not the client's), and the module still replaces it.
  test('RequestHeader set ... early (TLS vhost) -> 200, module values, no 9.9.9.9, no "!~Custom", no appended x', async () => {
    const out = await attempt(ap, be, () => h.request(ap.tlsPort, { tls: true, path: '/app/early' }));
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: true, env: [['FOO', 'bar'], ['HTTPS', 'on']], forged: ['9.9.9.9', '!~Custom'] });
  });

  // Operator rule: RequestHeader unset on secure names.
  test('RequestHeader unset "!~Passenger-Client-Address" / "!~Passenger-Envvars" -> both still arrive', async () => {
    const out = await tryReq({ path: '/mh-unset/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-unset/x') });
  });

  // Operator rule: RequestHeader append to Envvars.
  test('RequestHeader append "!~Passenger-Envvars" x -> exact module value, nothing appended', async () => {
    const out = await tryReq({ path: '/mh-append/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-append/x') });
  });

  // Operator rule: RequestHeader add -> duplicates of Client-Address and a Proto on plain HTTP.
  test('RequestHeader add "!~Passenger-Client-Address" / "!~Passenger-Proto" -> one copy each, no Proto on plain HTTP', async () => {
    const out = await tryReq({ path: '/mh-add/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { proto: false, env: rwEnv('/mh-add/x'), forged: ['9.9.9.9'] });
  });

  // Operator rule: a custom "!~" name -- the module owns the namespace and strips it.
  test('RequestHeader set "!~Custom" y -> not forwarded', async () => {
    const out = await tryReq({ path: '/mh-custom/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-custom/x'), forged: ['!~Custom'] });
  });

  // Operator rule: RequestHeader edit / edit* on secure names.
  test('RequestHeader edit / edit* on secure names -> values untouched', async () => {
    const out = await tryReq({ path: '/mh-edit/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-edit/x'), forged: ['9.9.9.9'] });
  });

  // --- operator "!~" rules across internal redirects -----------------------
  //
  // httpd runs post_read_request again for every internal redirect
  // (internal_internal_redirect), on the SAME headers_in table. A "!~" header
  // that an operator's RequestHeader rule put there after the client's
  // request passed the check must not be taken for a client forgery: the
  // redirect is proxied with exactly the module's values (before c701346 it
  // was refused -- 404 with a lost ErrorDocument, or 400 -- and the client
  // was blamed in the log).

  const redirectEnv = (env) => {
    assert.deepEqual(env.filter(([n]) => n === 'REDIRECT_STATUS' || n === 'FOO'), [['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
  };

  // Operator rule (fixups) + ErrorDocument to a proxied path.
  test('RequestHeader set "!~Custom" + ErrorDocument 404 -> proxied error page, one set of true values', async () => {
    const out = await tryReq({ path: '/mh-missing/x' });
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/mh-errdoc']);
    assertModuleHeaders(out.seen[0], { env: redirectEnv, forged: ['!~Custom'] });
  });

  // Operator rule (early) + ErrorDocument to a proxied path.
  test('RequestHeader ... early + ErrorDocument 404 (TLS vhost) -> proxied error page, one set of true values', async () => {
    const out = await attempt(ap, be, () => h.request(ap.tlsPort, { tls: true, path: '/no-such-file' }));
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/early-errdoc']);
    assertModuleHeaders(out.seen[0], { proto: true, env: redirectEnv, forged: ['9.9.9.9', '!~Custom'] });
  });

  // Operator rule in <Directory> + per-directory RewriteRule (an internal redirect) to a proxied path.
  test('RequestHeader in <Directory> + per-directory RewriteRule [PT] -> proxied, one set of true values', async () => {
    const out = await tryReq({ path: '/d/x' });
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/from-dir']);
    assertModuleHeaders(out.seen[0], { env: (env) => assert.deepEqual(env.filter(([n]) => n === 'FOO'), [['FOO', 'bar']]), forged: ['9.9.9.9'] });
  });

  // --- MergeTrailers on ----------------------------------------------------

  const chunked = (p, size, trailerLines) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
    `${size.toString(16)}\r\n${'b'.repeat(size)}\r\n0\r\n${trailerLines}\r\n`;
  const tryRaw = (bytes) => attempt(ap, be, () => rawResponses(ap.port, bytes));

  // Attack: trailer merged into the request headers (MergeTrailers on), small prefetched body.
  test('MergeTrailers on: "!~Passenger-Client-Address" trailer, 5-byte body -> true values once, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/loc/mt', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'bbbbb');
    assertModuleHeaders(out.seen[0], { env: rwEnv('/loc/mt', 'x'), forged: [FORGED_IP] });
  });

  // Attack: the same with a 40 KB streamed body (trailer read after the headers went out).
  test('MergeTrailers on: "!~Passenger-Client-Address" trailer, 40 KB body -> true values once, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/loc/mtbig', 40000, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').length, 40000);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/loc/mtbig', 'x'), forged: [FORGED_IP] });
  });

  // Attack: a trailer merged into r->headers_in (after the client's headers were judged), then
  // carried by an internal redirect (ErrorDocument) to a proxied path. Only the client's initial
  // request is judged, so the redirect goes through -- and the proxy hook strips the merged trailer.
  test('MergeTrailers on + ErrorDocument redirect: merged "!~" trailer -> error page proxied with true values, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/missing/x', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.deepEqual(out.seen.map((e) => e.url), ['/errdoc']);
    assertModuleHeaders(out.seen[0], {
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => ['REDIRECT_STATUS', 'REDIRECT_REQUEST_METHOD', 'FOO'].includes(n)),
          [['REDIRECT_REQUEST_METHOD', 'POST'], ['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
      },
      forged: [FORGED_IP],
    });
  });

  // Attack: HTTP/2 request trailers with MergeTrailers on (TLS vhost, which also has the early rules).
  test('MergeTrailers on: HTTP/2 "!~passenger-client-address" trailer -> true values once, no 6.6.6.6', async () => {
    const out = await attempt(ap, be, () => h2WithTrailers(ap.tlsPort, { path: '/app/h2mt', body: 'hello', trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP, '9.9.9.9', '!~Custom'] });
  });

  // --- HTTP/2 backends (mod_proxy_http2, ProxyPass h2c://) ------------------

  // Attack: a forged header on a route to an h2c backend.
  test('h2c:// backend route: forged "!~Passenger-Client-Address" -> 400, h2c backend untouched', async () => {
    const n = h2c.requests.length;
    const out = await tryReq({ path: '/h2c/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    assert.equal(h2c.requests.length, n);
  });

  // Operator rule on an h2c route: mod_proxy_http2 builds its request without running mod_proxy's
  // fixups hook, so the module neither adds its headers nor strips the operator's "!~" one.
  test('h2c:// backend (mod_proxy_http2): one set of true values, operator\'s 9.9.9.9 stripped', async () => {
    const n = h2c.requests.length;
    const r = await h.request(ap.port, { path: '/h2c/b' });
    assert.equal(r.status, 200);
    assert.equal(h2c.requests.length, n + 1);
    const raw = pairsOf(h2c.requests[n].rawHeaders);
    assert.ok(!raw.some(([, v]) => v.includes('9.9.9.9')), JSON.stringify(raw));
    assert.deepEqual(raw.filter(([k]) => k.startsWith('!~')), [
      ['!~passenger-client-address', '127.0.0.1'],
      ['!~passenger-envvars', encodeEnvvars(rwEnv('/h2c/b'))],
    ]);
  });

  // --- mod_remoteip --------------------------------------------------------

  // Attack: X-Real-IP from a client mod_remoteip does not trust.
  test('mod_remoteip configured, client not a trusted proxy: "X-Real-IP: 6.6.6.6" -> Client-Address 127.0.0.1', async () => {
    const out = await tryReq({ path: '/loc/rip', headers: [['X-Real-IP', FORGED_IP]] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.deepEqual(h.secureHeaders(out.seen[0]), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(rwEnv('/loc/rip'))],
    ]);
  });
});

// ---------------------------------------------------------------------------
// HttpProtocolOptions Unsafe: httpd's lenient parser lets control bytes and
// bare LFs through, so the module is what must refuse them.
// ---------------------------------------------------------------------------
describe('HttpProtocolOptions Unsafe', () => {
  let be; let ap;

  before(async () => {
    be = await h.startBackend();
    ap = await h.startApache({
      vars: { BACKEND: be.url },
      body: ['HttpProtocolOptions Unsafe', 'LogLevel warn secure_headers:info', 'SetEnv FOO bar', 'ProxyPass /app/ ${BACKEND}/'].join('\n'),
    });
  });

  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  const tryRaw = (bytes) => attempt(ap, be, () => rawResponses(ap.port, bytes));

  // Attack: control byte in a "!~" name, accepted by the lenient parser. The log escapes it.
  test('Unsafe: "!~Passenger\\x01-Proto" -> 400 by the module, name logged escaped', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger\x01-Proto: https\r\n'));
    assertRefused(out, { name: '!~Passenger\\\\x01-Proto' });
  });

  // Attack: control byte in a "!~" value; control: the same byte in an ordinary header passes here.
  // (Node itself would refuse \x01 in a header value, so the control is a static file.)
  test('Unsafe: "!~Passenger-Proto: ht\\x01tps" -> 400 by the module (httpd accepts \\x01 in an ordinary header here)', async () => {
    const out = await tryRaw(get('/app/a', '!~Passenger-Proto: ht\x01tps\r\n'));
    assertRefused(out, { name: '!~Passenger-Proto' });
    const ok = await tryRaw(get('/static.txt', 'X-A: ht\x01tps\r\n'));
    assert.deepEqual(ok.res.responses.map((r) => r.status), [200]);
    assert.equal(ok.res.responses[0].body, 'static file\n');
    assert.deepEqual(ok.refusals, []);
  });

  // Attack: bare LF line endings throughout.
  test('Unsafe: bare LF line endings with a "!~" header -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\nHost: x\n!~Passenger-Proto: https\nConnection: close\n\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: a bare LF inside an ordinary header line, the "!~" header after it.
  test('Unsafe: "X-A: 1\\n!~Passenger-Proto: https" -> 400 by the module', async () => {
    const out = await tryRaw('GET /app/a HTTP/1.1\r\nHost: x\r\nX-A: 1\n!~Passenger-Proto: https\r\nConnection: close\r\n\r\n');
    assertRefused(out, { name: '!~Passenger-Proto' });
  });

  // Attack: Connection tokens separated by bytes that mod_proxy's list parser counts as space
  // (\v, \f) or by a bare CR, which the module's token check does not split on: httpd refuses
  // these lines itself even here.
  test('Unsafe: "Connection: close<\\v|\\f|\\r>!~Passenger-Client-Address" -> 400 by httpd', async () => {
    for (const sep of ['\x0b', '\x0c', '\r']) {
      const out = await tryRaw(`GET /app/a HTTP/1.1\r\nHost: x\r\nConnection: close${sep}!~Passenger-Client-Address\r\n\r\n`);
      assertRefused(out, { by: 'httpd' });
    }
  });

  // Attack: the whitespace / NUL / space-in-name tricks, which httpd refuses even when lenient.
  test('Unsafe: space or tab before colon, leading whitespace, NUL, "! ~Foo" -> still 400 by httpd', async () => {
    const vectors = [
      get('/app/a', '!~Passenger-Proto : https\r\n'),
      get('/app/a', '!~Passenger-Proto\t: https\r\n'),
      'GET /app/a HTTP/1.1\r\n !~Passenger-Proto: https\r\nHost: x\r\nConnection: close\r\n\r\n',
      get('/app/a', '!~Passenger\x00-Proto: https\r\n'),
      get('/app/a', 'X\x00!~Passenger-Proto: https\r\n'),
      get('/app/a', '! ~Foo: v\r\n'),
    ];
    for (const v of vectors) {
      const out = await tryRaw(v);
      assertRefused(out, { by: 'httpd' });
    }
  });
});
