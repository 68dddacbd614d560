// SPDX-License-Identifier: MIT
'use strict';
// Reference behaviour: what Apache 2.4 + Phusion Passenger 6 (Debian's
// libapache2-mod-passenger 6.0.17) hands to a Node.js app. These tests pin
// down the reference behaviour of docs/passenger-migration.md (and a few more observations recorded in
// tests/fixtures/passenger-observed.md) against the real Passenger, so that
// mod_secure_headers can be compared with it.
//
//   node --test tests/passenger-reference.test.js
//
// Skipped when mod_passenger.so (or apache2, or root) is not available.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const P = require('./lib/passenger');

const UNAVAILABLE = P.passengerUnavailable();
const SKIP = UNAVAILABLE ? { skip: `Passenger reference not available: ${UNAVAILABLE}` } : {};

const REFERENCE_BODY = [
  'SetEnv FOO bar',
  'SetEnv EMPTY ""',
  'SetEnvIf User-Agent special UA_SPECIAL=yes',
  'RewriteEngine on',
  'RewriteRule ^/rw/(.*)$ /target/$1 [PT,E=RWVAR:$1]',
].join('\n');

const { encodeEnvvars } = require('./lib/harness');

/** rawHeaders as [name, value] pairs. */
function rawPairs(json) {
  const out = [];
  for (let i = 0; i + 1 < json.rawHeaders.length; i += 2) out.push([json.rawHeaders[i], json.rawHeaders[i + 1]]);
  return out;
}

function envvarsOf(json) {
  const h = P.passengerSecureHeaders(json).find(([k]) => k === '!~Passenger-Envvars');
  return h ? P.decodeEnvvars(h[1]) : undefined;
}

async function ok(port, path, headers = [], opts = {}) {
  const r = await P.get(port, path, headers, opts);
  assert.equal(r.status, 200, `GET ${path} -> ${r.status}: ${r.body.slice(0, 300)}`);
  assert.ok(r.json, 'app answered JSON');
  return r.json;
}

/** Start Passenger for a describe() block; stop it (and check nothing is left) after. */
function usePassenger(opts) {
  const ref = {};
  before(async () => { Object.assign(ref, await P.startPassenger(opts)); });
  after(async () => {
    if (!ref.stop) return;
    await ref.stop(); // throws if any process is left
    const r = spawnSync('pgrep', ['-f', ref.dir], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '', `processes left for ${ref.dir}`);
  });
  return ref;
}

describe('Passenger reference: the reference vhost (SetEnv/SetEnvIf/RewriteRule E=), HTTP and TLS', SKIP, () => {
  const srv = usePassenger({ body: REFERENCE_BODY, tls: true });

  test('GET / with User-Agent "special agent"', async () => {
    const j = await ok(srv.port, '/', [['User-Agent', 'special agent']]);
    const expectedEnv = [
      ['UA_SPECIAL', 'yes'],
      ['SCRIPT_URL', '/'],
      ['SCRIPT_URI', `http://127.0.0.1:${srv.port}/`],
      ['FOO', 'bar'],
      ['EMPTY', ''],
    ];
    assert.deepEqual(P.passengerSecureHeaders(j), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(expectedEnv)],
    ]);
    assert.deepEqual(envvarsOf(j), expectedEnv);
  });

  test('GET /rw/abc?q=1 (RewriteRule [PT,E=RWVAR:$1])', async () => {
    const j = await ok(srv.port, '/rw/abc?q=1');
    assert.equal(j.url, '/target/abc?q=1');
    assert.deepEqual(P.passengerSecureHeaders(j).map(([k]) => k), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(P.passengerSecureHeaders(j)[0][1], '127.0.0.1');
    assert.deepEqual(envvarsOf(j), [
      ['SCRIPT_URL', '/rw/abc'],
      ['SCRIPT_URI', `http://127.0.0.1:${srv.port}/rw/abc`],
      ['RWVAR', 'abc'],
      ['FOO', 'bar'],
      ['EMPTY', ''],
    ]);
  });

  test('TLS GET / (SSLEngine on, no StdEnvVars)', async () => {
    const j = await ok(srv.tlsPort, '/', [], { tls: true });
    const expectedEnv = [
      ['SCRIPT_URL', '/'],
      ['SCRIPT_URI', `https://127.0.0.1:${srv.tlsPort}/`],
      ['FOO', 'bar'],
      ['EMPTY', ''],
      ['HTTPS', 'on'],
    ];
    assert.deepEqual(P.passengerSecureHeaders(j), [
      ['!~Passenger-Proto', 'https'],
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(expectedEnv)],
    ]);
  });

  test('header order: Passenger appends X-Forwarded-* and the !~ headers after all client headers', async () => {
    const plain = rawPairs(await ok(srv.port, '/', [['User-Agent', 'special agent']]));
    assert.deepEqual(plain[0], ['Connection', 'close']);
    assert.deepEqual(plain.slice(-3).map(([k]) => k), ['X-Forwarded-For', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(plain.at(-3)[1], '127.0.0.1');
    const tls = rawPairs(await ok(srv.tlsPort, '/', [], { tls: true }));
    assert.deepEqual(tls.slice(-5).map(([k]) => k), [
      'X-Forwarded-Proto', '!~Passenger-Proto', 'X-Forwarded-For', '!~Passenger-Client-Address', '!~Passenger-Envvars',
    ]);
    assert.equal(tls.at(-5)[1], 'https');
  });

  test('spoofed !~Passenger-Client-Address -> 400, app never sees it', async () => {
    const r = await P.get(srv.port, '/', [['!~Passenger-Client-Address', '6.6.6.6']]);
    assert.equal(r.status, 400);
    assert.equal(r.json, null);
    assert.equal(r.body, 'A secure header was provided, but no security password was provided');
  });

  test('spoof variants -> 400 (lower case, bare "!~", HTTP/1.0, POST with body, TLS)', async () => {
    const cases = [
      [srv.port, '/', [['!~passenger-proto', 'https']], {}],
      [srv.port, '/', [['X-A', '1'], ['!~Passenger-Envvars', encodeEnvvars([['FOO', 'evil']])]], {}],
      [srv.port, '/', [['!~FLAGS', 'S']], {}],
      [srv.port, '/', [['!~', 'guess'], ['!~Passenger-Proto', 'https']], {}],
      [srv.port, '/', [], { raw: 'GET / HTTP/1.0\r\n!~Passenger-Client-Address: 6.6.6.6\r\n\r\n' }],
      [srv.port, '/', [['!~Passenger-Client-Address', '6.6.6.6'], ['Content-Type', 'text/plain']], { method: 'POST', body: 'hello' }],
      [srv.tlsPort, '/', [['!~Passenger-Proto', 'http']], { tls: true }],
    ];
    for (const [port, path, headers, opts] of cases) {
      const r = await P.get(port, path, headers, opts);
      assert.equal(r.status, 400, `${JSON.stringify(headers)} ${JSON.stringify(opts)} -> ${r.status}`);
    }
    // a bare "!~" header is the password slot: different message
    const r = await P.get(srv.port, '/', [['!~', 'guess']]);
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Security password mismatch');
  });

  test('look-alikes X!~Foo, ~!Foo, !Foo -> 200 and passed on', async () => {
    const j = await ok(srv.port, '/', [['X!~Foo', 'x'], ['~!Foo', 'y'], ['!Foo', 'z']]);
    // Passenger lower-cases header names, except names starting with "!".
    assert.equal(j.headers['x!~foo'], 'x');
    assert.equal(j.headers['~!foo'], 'y');
    assert.equal(j.headers['!foo'], 'z');
    const raw = rawPairs(j);
    assert.ok(raw.some(([k, v]) => k === 'x!~foo' && v === 'x'));
    assert.ok(raw.some(([k, v]) => k === '~!foo' && v === 'y'));
    assert.ok(raw.some(([k, v]) => k === '!Foo' && v === 'z'));
    assert.deepEqual(P.passengerSecureHeaders(j).map(([k]) => k), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
  });

  test('HTTPS-looking client headers do not produce !~Passenger-Proto', async () => {
    const j = await ok(srv.port, '/', [['HTTPS', 'on'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-For', '1.2.3.4']]);
    assert.deepEqual(P.passengerSecureHeaders(j).map(([k]) => k), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.ok(!envvarsOf(j).some(([k]) => k.toUpperCase() === 'HTTPS'));
    // client X-Forwarded-For kept, Passenger's appended as a second header
    assert.equal(j.headers['x-forwarded-for'], '1.2.3.4, 127.0.0.1');
    assert.equal(j.headers['!~passenger-client-address'], '127.0.0.1');
  });
});

describe('Passenger reference: env values are bytes (UTF-8, spaces, quotes)', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnv UTF8 "héllo→"\nSetEnv SPACES "a b  c "\nSetEnv QUOTE "say \\"hi\\""' });
  test('UTF-8 and spaces arrive byte-exact', async () => {
    const j = await ok(srv.port, '/');
    const expected = [['UTF8', 'héllo→'], ['SPACES', 'a b  c '], ['QUOTE', 'say "hi"']];
    assert.deepEqual(envvarsOf(j), expected);
    assert.equal(P.passengerSecureHeaders(j).at(-1)[1], encodeEnvvars(expected));
  });
});

describe('Passenger reference: SCRIPT_NAME / PATH_INFO are left out (case-sensitive)', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnv SCRIPT_NAME x\nSetEnv PATH_INFO y\nSetEnv AFTER 1' });
  test('SCRIPT_NAME and PATH_INFO skipped, rest kept', async () => {
    assert.deepEqual(envvarsOf(await ok(srv.port, '/')), [['AFTER', '1']]);
    assert.deepEqual(envvarsOf(await ok(srv.port, '/some/path')), [['AFTER', '1']]);
  });
});

describe('Passenger reference: lower-case script_name/path_info are NOT skipped', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnv script_name lower\nSetEnv path_info p\nSetEnv Script_Name2 q' });
  test('only exact-case names are skipped', async () => {
    assert.deepEqual(envvarsOf(await ok(srv.port, '/')), [['script_name', 'lower'], ['path_info', 'p'], ['Script_Name2', 'q']]);
  });
});

describe('Passenger reference: environment holding only SCRIPT_NAME/PATH_INFO', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnv SCRIPT_NAME x\nSetEnv PATH_INFO y' });
  test('!~Passenger-Envvars is sent with an EMPTY value', async () => {
    const j = await ok(srv.port, '/');
    assert.deepEqual(P.passengerSecureHeaders(j), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', ''],
    ]);
  });
});

describe('Passenger reference: empty environment', SKIP, () => {
  const srv = usePassenger({ body: '' });
  test('no !~Passenger-Envvars header at all', async () => {
    for (const [path, headers] of [['/', []], ['/x?y', [['User-Agent', 'special agent']]]]) {
      const j = await ok(srv.port, path, headers);
      assert.deepEqual(P.passengerSecureHeaders(j), [['!~Passenger-Client-Address', '127.0.0.1']]);
    }
  });
});

describe('Passenger reference: UnsetEnv', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnvIf User-Agent special UA_SPECIAL=yes\nSetEnv FOO bar\nSetEnv GONE 1\nUnsetEnv UA_SPECIAL GONE\nRewriteEngine on\nUnsetEnv SCRIPT_URI' });
  test('UnsetEnv removes only mod_env\'s own SetEnv vars, not SetEnvIf/mod_rewrite ones', async () => {
    assert.deepEqual(envvarsOf(await ok(srv.port, '/', [['User-Agent', 'special agent']])), [
      ['UA_SPECIAL', 'yes'],
      ['SCRIPT_URL', '/'],
      ['SCRIPT_URI', `http://127.0.0.1:${srv.port}/`],
      ['FOO', 'bar'],
    ]);
  });
});

describe('Passenger reference: duplicate names and per-directory SetEnv', SKIP, () => {
  const srv = usePassenger({
    body: [
      'SetEnvIf User-Agent special FOO=fromsetenvif',
      'SetEnv FOO bar',
      '<Location />', '  SetEnv B 2', '</Location>',
      '<Directory {{DIR}}/app/public>', '  SetEnv C 3', '</Directory>',
    ].join('\n'),
  });
  test('same name from SetEnvIf and SetEnv is sent twice; Directory before Location', async () => {
    assert.deepEqual(envvarsOf(await ok(srv.port, '/', [['User-Agent', 'special agent']])), [
      ['FOO', 'fromsetenvif'], ['FOO', 'bar'], ['C', '3'], ['B', '2'],
    ]);
  });
});

describe('Passenger reference: HTTPS in the environment', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on\nSetEnvIf X-Test lower https=off' });
  test('SetEnvIf X-Forwarded-Proto ^https$ HTTPS=on -> !~Passenger-Proto', async () => {
    const j = await ok(srv.port, '/', [['X-Forwarded-Proto', 'https']]);
    assert.deepEqual(P.passengerSecureHeaders(j), [
      ['!~Passenger-Proto', 'https'],
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars([['HTTPS', 'on']])],
    ]);
  });
  test('no HTTPS var -> no !~Passenger-Proto', async () => {
    const j = await ok(srv.port, '/', [['X-Forwarded-Proto', 'http']]);
    assert.deepEqual(P.passengerSecureHeaders(j), [['!~Passenger-Client-Address', '127.0.0.1']]);
  });
  test('name compared without case, value ignored: https=off -> !~Passenger-Proto: https', async () => {
    const j = await ok(srv.port, '/', [['X-Test', 'lower']]);
    assert.deepEqual(P.passengerSecureHeaders(j).slice(0, 1), [['!~Passenger-Proto', 'https']]);
    assert.deepEqual(envvarsOf(j), [['https', 'off']]);
  });
});

describe('Passenger reference: mod_remoteip', SKIP, () => {
  const srv = usePassenger({ body: 'RemoteIPHeader X-Real-IP\nRemoteIPInternalProxy 127.0.0.1', modules: ['remoteip'] });
  test('X-Real-IP from a trusted proxy becomes the client address', async () => {
    const j = await ok(srv.port, '/', [['X-Real-IP', '203.0.113.9']]);
    assert.deepEqual(P.passengerSecureHeaders(j), [['!~Passenger-Client-Address', '203.0.113.9']]);
    assert.equal(j.headers['x-real-ip'], undefined); // consumed by mod_remoteip
    assert.equal(j.headers['x-forwarded-for'], '203.0.113.9');
  });
  test('without X-Real-IP: the connection address', async () => {
    const j = await ok(srv.port, '/');
    assert.deepEqual(P.passengerSecureHeaders(j), [['!~Passenger-Client-Address', '127.0.0.1']]);
  });
  test('untrusted hop stops the walk', async () => {
    const j = await ok(srv.port, '/', [['X-Real-IP', '203.0.113.9, 10.0.0.1']]);
    assert.deepEqual(P.passengerSecureHeaders(j), [['!~Passenger-Client-Address', '10.0.0.1']]);
    assert.equal(j.headers['x-real-ip'], '203.0.113.9');
  });
});

describe('Passenger reference: TLS with SSLOptions +StdEnvVars', SKIP, () => {
  const srv = usePassenger({ body: 'SetEnv FOO bar\nSSLOptions +StdEnvVars', tls: true });
  test('HTTPS=on after SetEnv vars, then SSL_* vars', async () => {
    const j = await ok(srv.tlsPort, '/', [], { tls: true });
    const env = envvarsOf(j);
    assert.deepEqual(env.slice(0, 2), [['FOO', 'bar'], ['HTTPS', 'on']]);
    assert.ok(env.length > 10);
    assert.ok(env.slice(2).every(([k]) => k.startsWith('SSL_')), JSON.stringify(env));
    const names = env.map(([k]) => k);
    for (const n of ['SSL_PROTOCOL', 'SSL_CIPHER', 'SSL_SERVER_S_DN', 'SSL_SESSION_ID', 'SSL_CLIENT_VERIFY']) assert.ok(names.includes(n), n);
    assert.deepEqual(P.passengerSecureHeaders(j).map(([k]) => k), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
  });
});

describe('passenger.js helpers', () => {
  test('decodeEnvvars splits on NUL and decodes UTF-8', () => {
    assert.deepEqual(P.decodeEnvvars(encodeEnvvars([['A', 'é→'], ['EMPTY', ''], ['B', 'x y']])), [['A', 'é→'], ['EMPTY', ''], ['B', 'x y']]);
    assert.deepEqual(P.decodeEnvvars(''), []);
  });
  test('passengerSecureHeaders keeps !~ entries in order', () => {
    assert.deepEqual(P.passengerSecureHeaders({ rawHeaders: ['a', '1', '!~X', '2', 'X!~', '3', '!~Y', '4'] }), [['!~X', '2'], ['!~Y', '4']]);
  });
});
