// SPDX-License-Identifier: MIT
'use strict';
// What the secure-headers-*.test.js files assert about a proxied request:
// the module's secure headers, each once, in the order of
// docs/wire-format.md, with exact values, last among the request's headers;
// and the helpers they send requests and write vhosts with.

const assert = require('node:assert/strict');
const tls = require('node:tls');
const h = require('./harness');

const SECURE_ORDER = ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars'];

const { encodeEnvvars } = h;

/** rawHeaders of an echo as [name, value] pairs. */
function rawPairs(echo) {
  const out = [];
  for (let i = 0; i + 1 < echo.rawHeaders.length; i += 2) out.push([echo.rawHeaders[i], echo.rawHeaders[i + 1]]);
  return out;
}

/** The secure headers a request should carry: [[name, value], ...]. */
function expectedSecure({ proto = false, addr = '127.0.0.1', env }) {
  const out = [];
  if (proto) out.push(['!~Passenger-Proto', 'https']);
  if (addr) out.push(['!~Passenger-Client-Address', addr]);
  if (env !== undefined && env !== null) out.push(['!~Passenger-Envvars', encodeEnvvars(env)]);
  return out;
}

/**
 * Asserts that `echo` (what the backend received) carries exactly the
 * module's secure headers: each once, in the order of docs/wire-format.md, with exact values
 * (Envvars compared as the exact base64 string, i.e. byte-exact and in
 * order), as the last headers of the request except for what mod_proxy_http
 * itself writes after its header table (`trailing`: Connection, Upgrade,
 * the Content-Length of a spooled body).
 */
function assertSecure(echo, { proto = false, addr = '127.0.0.1', env, trailing = [['Connection', 'Keep-Alive']] }) {
  const want = expectedSecure({ proto, addr, env });
  const got = h.secureHeaders(echo);
  if (env) {
    const dec = h.envvarsOf(echo);
    assert.deepEqual(dec, env, 'decoded !~Passenger-Envvars');
  }
  assert.deepEqual(got, want, 'the !~ headers the backend received');
  const pairs = rawPairs(echo);
  assert.deepEqual(pairs.slice(pairs.length - want.length - trailing.length), [...want, ...trailing],
    'secure headers come last (only mod_proxy_http\'s own framing headers after them)');
}

/** Runs fn() and returns the requests the backend(s) received meanwhile. */
async function received(backends, fn) {
  const list = Array.isArray(backends) ? backends : [backends];
  const before = list.map((b) => b.requests.length);
  const result = await fn();
  const got = list.map((b, i) => b.requests.slice(before[i]));
  return { result, got: Array.isArray(backends) ? got : got[0] };
}

/** One proxied request; asserts 200 and exactly one backend request, returns that echo. */
async function proxied(be, port, opts) {
  const { result: r, got } = await received(be, () => h.request(port, opts));
  assert.equal(r.status, 200, `${opts.path} -> ${r.status}: ${r.body.slice(0, 300)}`);
  assert.equal(got.length, 1, `backend received ${got.length} requests for ${opts.path}`);
  assert.deepEqual(got[0], r.json, 'the response is the echo of the one backend request');
  return got[0];
}

/** HTTP/1.1 over TLS, returning the response and what node negotiated. */
function tlsRequest(port, { path: p = '/', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const chunks = [];
    let info = null;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('tls request timeout')); }, 10000 * h.SLOWDOWN);
    sock.once('secureConnect', () => {
      info = {
        protocol: sock.getProtocol(),
        cipher: sock.getCipher(),
        cert: sock.getPeerX509Certificate ? sock.getPeerX509Certificate() : null,
      };
      sock.write(h.buildRequest({ path: p, headers, port }));
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      try {
        const [response] = h.parseResponses(Buffer.concat(chunks).toString('utf8'));
        resolve(Object.assign({ response }, info));
      } catch (e) { reject(e); }
    });
  });
}

/** Lines of an error log written by this module (any level). */
function moduleLines(text) {
  return text.split('\n').filter((l) => l.includes('[secure_headers:'));
}

/**
 * A <VirtualHost> block. Everything each describe() configures lives in
 * vhosts: the main server's ProxyPass, SetEnv, SetEnvIf and RemoteIP*
 * settings would otherwise be inherited by every vhost (mod_proxy even puts
 * the main server's ProxyPass rules *before* the vhost's own).
 */
function vhost(addrs, lines, { listen = false } = {}) {
  const list = Array.isArray(addrs) ? addrs : [addrs];
  return [
    ...(listen ? list.map((a) => `Listen ${a}`) : []),
    `<VirtualHost ${list.join(' ')}>`,
    // else the name comes from a reverse lookup of the address
    ' ServerName 127.0.0.1',
    ...lines.map((l) => ` ${l}`),
    '</VirtualHost>',
  ].join('\n');
}

// The reference configuration of docs/wire-format.md's examples.
const REFERENCE_LINES = [
  'SetEnv FOO bar',
  'SetEnv EMPTY ""',
  'SetEnvIf User-Agent special UA_SPECIAL=yes',
  'RewriteEngine on',
  'RewriteRule ^/rw/(.*)$ /target/$1 [PT,E=RWVAR:$1]',
  'ProxyPass / ${BACKEND}/',
];


module.exports = {
  SECURE_ORDER,
  REFERENCE_LINES,
  rawPairs,
  expectedSecure,
  assertSecure,
  received,
  proxied,
  tlsRequest,
  moduleLines,
  vhost,
};
