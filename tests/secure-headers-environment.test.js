// SPDX-License-Identifier: MIT
'use strict';
// The environment in !~Passenger-Envvars (SetEnv, UnsetEnv, SetEnvIf at vhost
// and <Location> level; encoding details) and the client address in
// !~Passenger-Client-Address as mod_remoteip decides it.
// Real apache2 with the built module in front of the Node echo backend
// (tests/lib/harness.js); the contract is docs/wire-format.md.
//
//   node --test tests/secure-headers-environment.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test. Each
// group's Apache is checked after the group: a line at warn or worse that
// the group does not declare fails it (tests/lib/log.js).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const { rawPairs, assertSecure, proxied, vhost } = require('./lib/secure-headers');

// ---------------------------------------------------------------------------
// Environment directives: SetEnv / UnsetEnv / SetEnvIf, vhost and
//    <Location>; encoding details (empty env, SCRIPT_NAME, UTF-8, duplicates)
// ---------------------------------------------------------------------------
describe('environment directives and encoding', () => {
  const vh = (port, lines) => vhost(`127.0.0.1:\${${port}}`, [...lines, 'ProxyPass / ${BACKEND}/'], { listen: true });
  const fx = h.useApache({
    backends: { be: {} },
    ports: ['EMPTYENV', 'ONLYSKIPPED', 'SKIPCASE', 'BYTES', 'DUPS'],
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: [
        // vhost-level and location-level environment
        vhost('127.0.0.1:${PORT}', [
          'SetEnv V1 vhost',
          'SetEnv V2 vhost',
          'SetEnvIf User-Agent special UA_SPECIAL=yes',
          '<Location /loc>',
          ' SetEnv L1 loc',
          ' SetEnv V1 override',
          ' UnsetEnv V2',
          ' SetEnvIf User-Agent special LOCIF=1',
          '</Location>',
          'ProxyPass / ${BACKEND}/',
        ]),
        vh('EMPTYENV', []),
        vh('ONLYSKIPPED', ['SetEnv SCRIPT_NAME x', 'SetEnv PATH_INFO y']),
        // SetEnvIf and mod_env keep separate tables that are appended, so the
        // environment holds SCRIPT_NAME *and* script_name.
        vh('SKIPCASE', [
          'SetEnvIf Request_URI ^ SCRIPT_NAME=upper PATH_INFO=upper',
          'SetEnv script_name lower',
          'SetEnv path_info p',
          'SetEnv Script_Name2 q',
          'SetEnv AFTER 1',
        ]),
        vh('BYTES', ['SetEnv UTF8 "héllo →"', 'SetEnv EMPTY ""', 'SetEnv SPACES "a b  c "', 'SetEnv QUOTE "say \\"hi\\""']),
        vh('DUPS', ['SetEnvIf User-Agent special FOO=fromsetenvif', 'SetEnv FOO bar']),
      ].join('\n'),
    }),
  });

  test('vhost level: SetEnvIf then SetEnv, in that order', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/other', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['UA_SPECIAL', 'yes'], ['V1', 'vhost'], ['V2', 'vhost']] });
  });

  test('<Location> level: SetEnv overrides in place, adds after, UnsetEnv removes the vhost SetEnv', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/loc/x', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['UA_SPECIAL', 'yes'], ['LOCIF', '1'], ['V1', 'override'], ['L1', 'loc']] });
    const noUa = await proxied(fx.be, fx.ap.port, { path: '/loc/x', headers: { 'User-Agent': 'other' } });
    assertSecure(noUa, { env: [['V1', 'override'], ['L1', 'loc']] });
  });

  test('empty environment: no !~Passenger-Envvars header at all', async () => {
    const echo = await proxied(fx.be, fx.ports.EMPTYENV, { path: '/e?x', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: null });
    assert.equal(echo.headers['!~passenger-envvars'], undefined);
  });

  test('environment holding only SCRIPT_NAME/PATH_INFO: Envvars present with an empty value', async () => {
    const echo = await proxied(fx.be, fx.ports.ONLYSKIPPED, { path: '/s' });
    assert.deepEqual(h.secureHeaders(echo), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', ''],
    ]);
    assert.deepEqual(rawPairs(echo).slice(-3), [
      ['!~Passenger-Client-Address', '127.0.0.1'], ['!~Passenger-Envvars', ''], ['Connection', 'Keep-Alive'],
    ]);
    assert.equal(echo.url, '/s', 'the backend URL is not affected by SCRIPT_NAME/PATH_INFO');
  });

  test('SCRIPT_NAME/PATH_INFO left out (case-sensitive): script_name, path_info kept', async () => {
    const echo = await proxied(fx.be, fx.ports.SKIPCASE, { path: '/some/path' });
    assertSecure(echo, {
      env: [['script_name', 'lower'], ['path_info', 'p'], ['Script_Name2', 'q'], ['AFTER', '1']],
    });
  });

  test('UTF-8, empty, spaces and quotes are byte-exact', async () => {
    const echo = await proxied(fx.be, fx.ports.BYTES, { path: '/' });
    const env = [['UTF8', 'héllo →'], ['EMPTY', ''], ['SPACES', 'a b  c '], ['QUOTE', 'say "hi"']];
    assertSecure(echo, { env });
    const b64 = h.secureHeaders(echo).at(-1)[1];
    assert.ok(Buffer.from(b64, 'base64').equals(Buffer.from('UTF8\0h\xc3\xa9llo \xe2\x86\x92\0EMPTY\0\0SPACES\0a b  c \0QUOTE\0say "hi"\0', 'latin1')));
    assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, 'standard alphabet, padded, no line breaks');
  });

  test('duplicate names are kept, in table order (SetEnvIf FOO + SetEnv FOO)', async () => {
    const echo = await proxied(fx.be, fx.ports.DUPS, { path: '/', headers: { 'User-Agent': 'special agent' } });
    assertSecure(echo, { env: [['FOO', 'fromsetenvif'], ['FOO', 'bar']] });
    const other = await proxied(fx.be, fx.ports.DUPS, { path: '/', headers: { 'User-Agent': 'other' } });
    assertSecure(other, { env: [['FOO', 'bar']] });
  });
});

// ---------------------------------------------------------------------------
// mod_remoteip decides !~Passenger-Client-Address
// ---------------------------------------------------------------------------
describe('mod_remoteip', h.needFor({ modules: ['remoteip'] }), () => {
  const fx = h.useApache({
    backends: { be: {} },
    ports: ['XFF_INTERNAL', 'XFF_TRUSTED'],
    apache: ({ be }) => ({
      modules: ['remoteip'],
      vars: { BACKEND: be.url },
      body: [
        // X-Real-IP set by an internal proxy
        vhost('127.0.0.1:${PORT}', [
          'RemoteIPHeader X-Real-IP',
          'RemoteIPInternalProxy 127.0.0.1',
          'SetEnv FOO bar',
          'ProxyPass / ${BACKEND}/',
        ]),
        vhost('127.0.0.1:${XFF_INTERNAL}', [
          'RemoteIPHeader X-Forwarded-For',
          'RemoteIPInternalProxy 127.0.0.1 10.0.0.1',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
        vhost('127.0.0.1:${XFF_TRUSTED}', [
          'RemoteIPHeader X-Forwarded-For',
          'RemoteIPTrustedProxy 127.0.0.1 10.0.0.1 198.51.100.1',
          'ProxyPass / ${BACKEND}/',
        ], { listen: true }),
      ].join('\n'),
    }),
  });

  test('RemoteIPHeader X-Real-IP + RemoteIPInternalProxy 127.0.0.1 -> 203.0.113.9', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/rip', headers: { 'X-Real-IP': '203.0.113.9' } });
    assertSecure(echo, { addr: '203.0.113.9', env: [['FOO', 'bar']] });
    assert.equal(echo.headers['x-real-ip'], undefined, 'mod_remoteip consumed X-Real-IP');
    const plain = await proxied(fx.be, fx.ap.port, { path: '/rip' });
    assertSecure(plain, { addr: '127.0.0.1', env: [['FOO', 'bar']] });
  });

  test('proxy chain: X-Forwarded-For "203.0.113.7, 10.0.0.1" through internal proxies -> 203.0.113.7', async () => {
    const echo = await proxied(fx.be, fx.ports.XFF_INTERNAL, { path: '/chain', headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' } });
    assertSecure(echo, { addr: '203.0.113.7', env: null });
    // mod_remoteip consumed the whole header; mod_proxy then added the verdict
    assert.equal(echo.headers['x-forwarded-for'], '203.0.113.7');
  });

  test('an untrusted hop stops the walk: it becomes the client address', async () => {
    const echo = await proxied(fx.be, fx.ports.XFF_INTERNAL, {
      path: '/chain', headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.2, 10.0.0.1' },
    });
    assertSecure(echo, { addr: '198.51.100.2', env: null });
    // the part left of the untrusted hop stays in the header for the app
    assert.equal(echo.headers['x-forwarded-for'], '203.0.113.7, 198.51.100.2');
  });

  test('RemoteIPTrustedProxy: a public chain is walked; a private address in the header stops it', async () => {
    // 127.0.0.1 (the connection) and 198.51.100.1 are trusted proxies.
    const pub = await proxied(fx.be, fx.ports.XFF_TRUSTED, { path: '/t', headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.1' } });
    assertSecure(pub, { addr: '203.0.113.7', env: null });
    // httpd: addresses from private ranges presented by a *trusted* (not
    // internal) proxy are never accepted as the client, even when listed in
    // RemoteIPTrustedProxy: the walk stops at once and the connection's
    // address stays the client's.
    const priv = await proxied(fx.be, fx.ports.XFF_TRUSTED, { path: '/t', headers: { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' } });
    assertSecure(priv, { addr: '127.0.0.1', env: null });
    assert.equal(priv.headers['x-forwarded-for'], '203.0.113.7, 10.0.0.1, 127.0.0.1');
  });
});
