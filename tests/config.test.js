// SPDX-License-Identifier: MIT
'use strict';
// Every mod_secure_headers directive, end to end: real apache2 with the
// built module in front of the Node echo backend.
//
//   SecureHeadersEnvInclude / SecureHeadersEnvExclude   names, wildcards, case, merging
//   SecureHeadersEnvMaxSize / SecureHeadersEnvOversize  Omit and Reject, Node's 431
//   SecureHeaders On|Off, the secure-headers-off variable, SecureHeadersXForwarded
//   LogLevel secure_headers:debug                       sizes, never values
//   apachectl configtest                                bad values refused, good ones pass

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const { encodeEnvvars } = h;

const { rawValues } = h;

async function get(port, reqPath, opts = {}) {
  const r = await h.request(port, Object.assign({ path: reqPath }, opts));
  assert.equal(r.status, 200, `${reqPath} -> ${r.status}: ${r.body.slice(0, 300)}`);
  return r;
}

// New error-log text since `mark` (a length from an earlier errorLog()).
const since = (ap, mark) => ap.errorLog().slice(mark);

// ---------------------------------------------------------------------------
describe('SecureHeadersEnvInclude / SecureHeadersEnvExclude: names and wildcards', () => {
  // Every request below starts from this environment, in this order.
  const ENV = [
    ['FOO', 'foo'],
    ['FOO_EXTRA', 'fe'],
    ['BAR', 'bar'],
    ['DB_PASSWORD', 'hunter2'],
    ['user_password', 'hunter3'],
    ['SSL_CLIENT_CERT', 'pem-c'],
    ['SSL_SERVER_CERT', 'pem-s'],
    ['SSL_CLIENT_CERT_CHAIN_0', 'pem-0'],
    ['SSL_CLIENT_S_DN', 'CN=alice'],
    ['XA', 'xa'],
    ['Xb', 'xb'],
    ['X1', 'x1'],
    ['XAB', 'xab'],
  ];
  const only = (...names) => ENV.filter(([k]) => names.includes(k));
  const but = (...names) => ENV.filter(([k]) => !names.includes(k));
  const locations = {
    '/all/': [],
    '/exact/': ['SecureHeadersEnvInclude FOO BAR'],
    '/exact-case/': ['SecureHeadersEnvInclude foo Ssl_Client_S_Dn'],
    '/two-lines/': ['SecureHeadersEnvInclude FOO', 'SecureHeadersEnvInclude XAB'],
    '/exclude-exact/': ['SecureHeadersEnvExclude foo'],
    '/certs/': ['SecureHeadersEnvExclude SSL_*_CERT*'],
    '/passwords/': ['SecureHeadersEnvExclude *PASSWORD*'],
    '/prefix/': ['SecureHeadersEnvInclude x*'],
    '/question/': ['SecureHeadersEnvInclude X?'],
    '/class/': ['SecureHeadersEnvInclude X[A-Z]'],
    '/class-not/': ['SecureHeadersEnvInclude X[!A-Z]'],
    '/both/': ['SecureHeadersEnvInclude SSL_* FOO', 'SecureHeadersEnvExclude SSL_*_CERT*'],
    '/none-included/': ['SecureHeadersEnvInclude NOPE'],
    '/all-excluded/': ['SecureHeadersEnvExclude *'],
  };

  const fx = h.useApache({
    backends: { be: {} },
    apache: ({ be }) => {
      const body = [
        ...ENV.map(([k, v]) => `SetEnv ${k} ${v}`),
        'ProxyPass / ${BACKEND}/',
        ...Object.entries(locations).map(([loc, lines]) => `<Location ${loc}>\n  ${lines.join('\n  ')}\n</Location>`),
      ].join('\n');
      return { body, vars: { BACKEND: be.url } };
    },
  });

  const cases = [
    ['/all/', 'no list: everything, in table order', ENV],
    ['/exact/', 'exact names: only those, in table order (FOO_EXTRA is not FOO)', only('FOO', 'BAR')],
    ['/exact-case/', 'names compare without case', only('FOO', 'SSL_CLIENT_S_DN')],
    ['/two-lines/', 'two directives in one place add up', only('FOO', 'XAB')],
    ['/exclude-exact/', 'exclusion by exact name, any case', but('FOO')],
    ['/certs/', 'SSL_*_CERT* keeps out every certificate variable and nothing else', but('SSL_CLIENT_CERT', 'SSL_SERVER_CERT', 'SSL_CLIENT_CERT_CHAIN_0')],
    ['/passwords/', '*PASSWORD* matches anywhere in the name, any case', but('DB_PASSWORD', 'user_password')],
    ['/prefix/', 'a trailing * (lower case pattern) is a prefix match', only('XA', 'Xb', 'X1', 'XAB')],
    ['/question/', '? is exactly one character', only('XA', 'Xb', 'X1')],
    ['/class/', '[A-Z] is one letter, compared without case', only('XA', 'Xb')],
    ['/class-not/', '[!A-Z] is one character that is not a letter', only('X1')],
    ['/both/', 'an exclusion wins over an inclusion', only('FOO', 'SSL_CLIENT_S_DN')],
  ];
  for (const [loc, what, expected] of cases) {
    test(`${loc}: ${what}`, async () => {
      const n = fx.be.requests.length;
      const r = await get(fx.ap.port, `${loc}x`);
      assert.equal(fx.be.requests.length, n + 1);
      assert.deepEqual(h.secureHeaders(r.json), [
        ['!~Passenger-Client-Address', '127.0.0.1'],
        ['!~Passenger-Envvars', encodeEnvvars(expected)],
      ]);
    });
  }

  test('nothing left after filtering: the header is still sent, empty (the environment is not empty)', async () => {
    for (const loc of ['/none-included/', '/all-excluded/']) {
      const r = await get(fx.ap.port, `${loc}x`);
      assert.deepEqual(h.secureHeaders(r.json), [
        ['!~Passenger-Client-Address', '127.0.0.1'],
        ['!~Passenger-Envvars', ''],
      ], loc);
    }
  });
});

// ---------------------------------------------------------------------------
describe('SecureHeadersEnvInclude / SecureHeadersEnvExclude: lists add up server -> vhost -> location', () => {
  const ENV = [['FOO', 'foo'], ['BAR', 'bar'], ['DB_PASSWORD', 'hunter2'], ['SSL_CLIENT_S_DN', 'CN=alice'],
    ['SSL_CLIENT_CERT', 'pem'], ['XA', 'xa'], ['Xb', 'xb'], ['BAZ', 'baz']];
  const pick = (...names) => ENV.filter(([k]) => names.includes(k));

  const setenv = ENV.map(([k, v]) => `  SetEnv ${k} ${v}`).join('\n');
  const fx = h.useApache({
    backends: { be: {} },
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: `
# server
SecureHeadersEnvExclude XA
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName main.example
${setenv}
  SecureHeadersEnvInclude FOO SSL_* X*
  SecureHeadersEnvExclude *PASSWORD*
  ProxyPass / \${BACKEND}/
  <Location /loc/>
    SecureHeadersEnvInclude BAR DB_PASSWORD
    SecureHeadersEnvExclude SSL_*_CERT*
  </Location>
  <Location /loc/deeper/>
    SecureHeadersEnvInclude BAZ
    SecureHeadersEnvExclude foo
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName other.example
${setenv}
  ProxyPass / \${BACKEND}/
</VirtualHost>`,
    }),
  });

  test('vhost: its include list, its exclusions and the server\'s', async () => {
    const r = await get(fx.ap.port, '/x');
    assert.deepEqual(h.envvarsOf(r.json), pick('FOO', 'SSL_CLIENT_S_DN', 'SSL_CLIENT_CERT', 'Xb'));
  });

  test('location: includes and excludes add to the vhost\'s; an include cannot lift a vhost exclusion', async () => {
    const r = await get(fx.ap.port, '/loc/x');
    assert.deepEqual(h.envvarsOf(r.json), pick('FOO', 'BAR', 'SSL_CLIENT_S_DN', 'Xb'));
  });

  test('nested location: adds up once more', async () => {
    const r = await get(fx.ap.port, '/loc/deeper/x');
    assert.deepEqual(h.envvarsOf(r.json), pick('BAR', 'SSL_CLIENT_S_DN', 'Xb', 'BAZ'));
  });

  test('another vhost gets only the server-level exclusion', async () => {
    const r = await get(fx.ap.port, '/x', { headers: { Host: 'other.example' } });
    assert.deepEqual(h.envvarsOf(r.json), ENV.filter(([k]) => k !== 'XA'));
  });
});

// ---------------------------------------------------------------------------
describe('SecureHeadersEnvMaxSize and SecureHeadersEnvOversize', () => {
  const ENV = [['ONE', '1'], ['BIG_A', 'a'.repeat(3000)], ['MID', 'm'.repeat(600)], ['BIG_B', 'b'.repeat(4000)], ['TWO', '2']];
  const pick = (...names) => ENV.filter(([k]) => names.includes(k));
  const FULL = encodeEnvvars(ENV).length; // 10176: past the 8192 default
  const BIG20 = 'z'.repeat(20 * 1024);

  // The oversize lines of the error log. The module logs the first of any
  // second at warn and the rest at debug (against log flooding), so this
  // instance logs secure_headers at debug to see them all.
  const oversizeLines = () => fx.ap.errorLog().split('\n').filter((l) => /SecureHeadersEnvMaxSize \(\d+/.test(l));

  const fx = h.useApache({
    backends: { be: {} },
    apache: ({ be }) => ({
      vars: { BACKEND: be.url, FULL, BIG20 },
      body: [
        'LogLevel warn secure_headers:debug',
        ...ENV.map(([k, v]) => `SetEnv ${k} ${v}`),
        'ProxyPass /reject/local/ !',
        'ProxyPass / ${BACKEND}/',
        '<Location /omit/>\n SecureHeadersEnvMaxSize 2000\n</Location>',
        '<Location /exact-fit/>\n SecureHeadersEnvMaxSize ${FULL}\n</Location>',
        '<Location /one-less/>\n SecureHeadersEnvMaxSize ' + (FULL - 1) + '\n</Location>',
        '<Location /nolimit/>\n SecureHeadersEnvMaxSize 0\n</Location>',
        '<Location /big20/>\n SetEnv BIG20 ${BIG20}\n</Location>',
        '<Location /big20/nolimit/>\n SecureHeadersEnvMaxSize 0\n</Location>',
        '<Location /reject/>\n SecureHeadersEnvMaxSize 2000\n SecureHeadersEnvOversize Reject\n</Location>',
        '<Location /reject-fits/>\n SecureHeadersEnvMaxSize ${FULL}\n SecureHeadersEnvOversize reject\n</Location>',
        '<Location /inherit/>\n SecureHeadersEnvOversize Reject\n</Location>',
        '<Location /inherit/omit/>\n SecureHeadersEnvOversize Omit\n</Location>',
      ].join('\n'),
    }),
    // What the tests provoke: the module logs the first oversize line of any
    // second at warn (the rest at debug), so whichever of these comes first
    // in a second is at warn. Omit at each ceiling the tests pass: 2000
    // (/omit/), the 8192 default (/, /big20/, /inherit/omit/) and FULL - 1
    // (/one-less/); Reject at 2000 (/reject/) and 8192 (/inherit/).
    allow: [
      /\[secure_headers:warn\] .*\[client 127\.0\.0\.1:\d+\] !~Passenger-Envvars would exceed SecureHeadersEnvMaxSize \((2000 bytes\); left out 2 variable\(s\): BIG_A BIG_B|8192 bytes\); left out 1 variable\(s\): BIG_B|8192 bytes\); left out 2 variable\(s\): BIG_B BIG20|10175 bytes\); left out 1 variable\(s\): BIG_B)$/,
      /\[secure_headers:warn\] .*\[client 127\.0\.0\.1:\d+\] !~Passenger-Envvars would be 10176 bytes, more than SecureHeadersEnvMaxSize \((2000|8192)\): refusing the request \(SecureHeadersEnvOversize Reject\)$/,
    ],
  });

  test('the environment is what this block assumes (10176 bytes encoded)', () => {
    assert.equal(FULL, 10176);
  });

  test('Omit: the largest variables are left out, the rest keep their order; one warn-level line names them', async () => {
    const n = fx.be.requests.length;
    const r = await get(fx.ap.port, '/omit/x');
    assert.equal(fx.be.requests.length, n + 1);
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(pick('ONE', 'MID', 'TWO'))],
    ]);
    const lines = oversizeLines();
    const mine = lines.filter((l) => l.includes('(2000 bytes)'));
    assert.equal(mine.length, 1, lines.join('\n'));
    assert.match(mine[0], /\[secure_headers:(warn|debug)\] .*\[client 127\.0\.0\.1:\d+\] !~Passenger-Envvars would exceed SecureHeadersEnvMaxSize \(2000 bytes\); left out 2 variable\(s\): BIG_A BIG_B$/);
    // The first such line of a process is always at warn (later ones in the
    // same second drop to debug).
    assert.match(lines[0], /\[secure_headers:warn\]/);
    assert.doesNotMatch(fx.ap.errorLog(), /aaaaaaaa|bbbbbbbb/, 'values are never logged');
  });

  test('the default ceiling is 8192: only the largest variable goes', async () => {
    const r = await get(fx.ap.port, '/x');
    assert.deepEqual(h.envvarsOf(r.json), pick('ONE', 'BIG_A', 'MID', 'TWO'));
    assert.ok(encodeEnvvars(pick('ONE', 'BIG_A', 'MID', 'TWO')).length <= 8192);
  });

  test('the ceiling is inclusive and counts the encoded bytes', async () => {
    const fit = await get(fx.ap.port, '/exact-fit/x');
    assert.deepEqual(h.envvarsOf(fit.json), ENV);
    const less = await get(fx.ap.port, '/one-less/x');
    assert.deepEqual(h.envvarsOf(less.json), pick('ONE', 'BIG_A', 'MID', 'TWO'));
    assert.ok(oversizeLines().some((l) => l.includes(`SecureHeadersEnvMaxSize (${FULL - 1} bytes); left out 1 variable(s): BIG_B`)));
  });

  test('0: no ceiling', async () => {
    const r = await get(fx.ap.port, '/nolimit/x');
    assert.deepEqual(h.envvarsOf(r.json), ENV);
  });

  test('a 20 KB SetEnv: without a ceiling Node answers 431 and the app never sees the request; with it, 200', async () => {
    const n = fx.be.requests.length;
    const bad = await h.request(fx.ap.port, { path: '/big20/nolimit/x' });
    assert.equal(bad.status, 431, bad.body.slice(0, 200));
    assert.equal(fx.be.requests.length, n, 'node refused it before the application');

    const ok = await get(fx.ap.port, '/big20/x');
    assert.equal(fx.be.requests.length, n + 1);
    // BIG20 first (largest), then BIG_B: the rest is under 8192.
    assert.deepEqual(h.envvarsOf(ok.json), pick('ONE', 'BIG_A', 'MID', 'TWO'));
    assert.ok(oversizeLines().some((l) => /SecureHeadersEnvMaxSize \(8192 bytes\); left out 2 variable\(s\): BIG_B BIG20$/.test(l)),
      oversizeLines().join('\n'));
  });

  test('Reject: 500, the backend is never contacted, the log says why', async () => {
    const n = fx.be.requests.length;
    const mark = fx.ap.errorLog().length;
    const r = await h.request(fx.ap.port, { path: '/reject/x' });
    assert.equal(r.status, 500);
    assert.equal(fx.be.requests.length, n);
    assert.match(since(fx.ap, mark), new RegExp(`\\[secure_headers:(warn|debug)\\] .*\\[client 127\\.0\\.0\\.1:\\d+\\] !~Passenger-Envvars would be ${FULL} bytes, more than SecureHeadersEnvMaxSize \\(2000\\): refusing the request \\(SecureHeadersEnvOversize Reject\\)`));
  });

  test('Reject with an environment that fits: sent whole', async () => {
    const r = await get(fx.ap.port, '/reject-fits/x');
    assert.deepEqual(h.envvarsOf(r.json), ENV);
  });

  test('Oversize and MaxSize merge separately: Reject from a location, the ceiling from the server default', async () => {
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, { path: '/inherit/x' });
    assert.equal(r.status, 500);
    assert.equal(fx.be.requests.length, n);
    const o = await get(fx.ap.port, '/inherit/omit/x');
    assert.deepEqual(h.envvarsOf(o.json), pick('ONE', 'BIG_A', 'MID', 'TWO'));
  });

  test('Reject applies only to proxied requests', async () => {
    // /reject/local/ is excluded from ProxyPass: served from disk, same environment.
    fs.mkdirSync(path.join(fx.ap.dir, 'htdocs', 'reject', 'local'), { recursive: true });
    fs.writeFileSync(path.join(fx.ap.dir, 'htdocs', 'reject', 'local', 'f.txt'), 'local file\n');
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, { path: '/reject/local/f.txt' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'local file\n');
    assert.equal(fx.be.requests.length, n);
  });
});

// ---------------------------------------------------------------------------
describe('SecureHeadersEnvMaxSize against a client-controlled environment (SetEnvIf User-Agent (.*) UA=$1)', () => {
  const UA = 'U'.repeat(7000); // under Apache's 8190-byte header line limit

  const fx = h.useApache({
    backends: { be: {} },
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: [
        'SetEnvIf User-Agent (.*) UA=$1',
        'SetEnv APP_ENV production',
        'ProxyPass / ${BACKEND}/',
        '<Location /nolimit/>\n SecureHeadersEnvMaxSize 0\n</Location>',
      ].join('\n'),
    }),
    // The huge User-Agent left out at the 8192 default: the test asserts
    // this line (the only oversize line of the group, so at warn).
    allow: [/\[secure_headers:warn\] .*\[client 127\.0\.0\.1:\d+\] !~Passenger-Envvars would exceed SecureHeadersEnvMaxSize \(8192 bytes\); left out 1 variable\(s\): UA$/],
  });

  test('an ordinary User-Agent travels in the environment', async () => {
    const r = await get(fx.ap.port, '/x', { headers: { 'User-Agent': 'curl/8.5.0' } });
    assert.deepEqual(h.envvarsOf(r.json), [['UA', 'curl/8.5.0'], ['APP_ENV', 'production']]);
  });

  test('a huge one is left out (warn, by name, never by value) and the request still works', async () => {
    const mark = fx.ap.errorLog().length;
    const n = fx.be.requests.length;
    const r = await get(fx.ap.port, '/x', { headers: { 'User-Agent': UA } });
    assert.equal(fx.be.requests.length, n + 1);
    assert.equal(r.json.headers['user-agent'], UA);
    assert.deepEqual(h.envvarsOf(r.json), [['APP_ENV', 'production']]);
    const log = since(fx.ap, mark);
    assert.match(log, /\[secure_headers:warn\] .*SecureHeadersEnvMaxSize \(8192 bytes\); left out 1 variable\(s\): UA$/m);
    assert.doesNotMatch(log, /UUUUUUUU/);
  });

  test('without the ceiling the same request dies in Node with 431', async () => {
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, { path: '/nolimit/x', headers: { 'User-Agent': UA } });
    assert.equal(r.status, 431);
    assert.equal(fx.be.requests.length, n);
  });
});

// ---------------------------------------------------------------------------
describe('SecureHeaders On|Off, the secure-headers-off variable, SecureHeadersXForwarded', () => {
  const HDRS = [
    ['!~Passenger-Client-Address', '127.0.0.1'],
    ['!~Passenger-Envvars', encodeEnvvars([['APP_ENV', 'production']])],
  ];

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { be: {} },
    apache: ({ be }) => ({
      vars: { BACKEND: be.url },
      body: `
SetEnv APP_ENV production
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName off.example
  SecureHeaders Off
  ProxyPass / \${BACKEND}/
  <Location /on/>
    SecureHeaders On
  </Location>
  <Location /on/off/>
    SecureHeaders off
  </Location>
  <Location /on/quiet/>
    SetEnv secure-headers-off 1
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName on.example
  SetEnvIf Request_URI ^/healthz secure-headers-off
  SecureHeadersXForwarded On
  ProxyPass / \${BACKEND}/
  <Location /xf-off/>
    SecureHeadersXForwarded Off
  </Location>
</VirtualHost>`,
    }),
  });

  const off = { headers: { Host: 'off.example' } };
  const on = { headers: { Host: 'on.example' } };

  test('vhost Off: proxied with no "!~" header', async () => {
    const n = fx.be.requests.length;
    const r = await get(fx.ap.port, '/page', off);
    assert.equal(fx.be.requests.length, n + 1);
    assert.equal(r.json.url, '/page');
    assert.deepEqual(h.secureHeaders(r.json), []);
  });

  test('location On inside the Off vhost: the headers; a deeper location Off again: none', async () => {
    assert.deepEqual(h.secureHeaders((await get(fx.ap.port, '/on/page', off)).json), HDRS);
    assert.deepEqual(h.secureHeaders((await get(fx.ap.port, '/on/off/page', off)).json), []);
  });

  test('secure-headers-off wins over On', async () => {
    assert.deepEqual(h.secureHeaders((await get(fx.ap.port, '/on/quiet/page', off)).json), []);
  });

  test('SetEnvIf Request_URI ^/healthz secure-headers-off: no headers there, everywhere else as usual', async () => {
    for (const p of ['/healthz', '/healthz/live']) {
      const r = await get(fx.ap.port, p, on);
      assert.equal(r.json.url, p);
      assert.deepEqual(h.secureHeaders(r.json), [], p);
    }
    for (const p of ['/', '/status', '/app/healthz']) {
      const r = await get(fx.ap.port, p, on);
      assert.deepEqual(h.secureHeaders(r.json), HDRS, p);
    }
  });

  test('forged secure headers are refused where the module adds none', async () => {
    for (const [p, o] of [['/page', off], ['/on/off/page', off], ['/on/quiet/page', off], ['/healthz', on]]) {
      const n = fx.be.requests.length;
      const r = await h.request(fx.ap.port, { path: p, headers: Object.assign({ '!~Passenger-Proto': 'https' }, o.headers) });
      assert.equal(r.status, 400, p);
      assert.equal(fx.be.requests.length, n, `${p} reached the backend`);
    }
  });

  test('SecureHeadersXForwarded On replaces client values; a location Off leaves mod_proxy\'s', async () => {
    const spoof = { Host: 'on.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-For': '6.6.6.6' };
    const r = await get(fx.ap.port, '/page', { headers: spoof });
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Host'), ['on.example']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['127.0.0.1']);
    const p = await get(fx.ap.port, '/page', { headers: Object.assign({}, spoof, { Host: `on.example:${fx.ap.port}` }) });
    assert.deepEqual(rawValues(p.json, 'X-Forwarded-Host'), [`on.example:${fx.ap.port}`]);

    const x = await get(fx.ap.port, '/xf-off/page', { headers: spoof });
    assert.deepEqual(rawValues(x.json, 'X-Forwarded-Proto'), ['https']);
    assert.deepEqual(rawValues(x.json, 'X-Forwarded-Host'), ['evil.example, on.example']);
    assert.deepEqual(rawValues(x.json, 'X-Forwarded-For'), ['6.6.6.6, 127.0.0.1']);
  });

  // httpd up to 2.4.53 removes the headers a Connection header names only
  // after mod_proxy's fixups hook, where the module sets these: the module
  // does that removal first there (sh_clear_connection).
  test('SecureHeadersXForwarded On: a client Connection header naming X-Forwarded-* removes none of them', async () => {
    for (const conn of ['X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-For, close',
      'close;X-Forwarded-Proto;X-Forwarded-Host;X-Forwarded-For']) {
      const r = await get(fx.ap.port, '/page', { headers: { Host: 'on.example', Connection: conn, 'X-Forwarded-For': '6.6.6.6' } });
      assert.equal(r.status, 200, conn);
      assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http'], conn);
      assert.deepEqual(rawValues(r.json, 'X-Forwarded-Host'), ['on.example'], conn);
      assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['127.0.0.1'], conn);
      assert.deepEqual(h.secureHeaders(r.json), HDRS, conn);
    }
  });
});

// ---------------------------------------------------------------------------
describe('LogLevel secure_headers:debug', h.needFor({ tls: true }), () => {
  const SECRET = 'zz-top-secret-zz';

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { be: {} },
    apache: ({ be }) => ({
      tls: true,
      vars: { BACKEND: be.url, SECRET },
      body: [
        'LogLevel warn secure_headers:debug',
        'SetEnv SECRET_VALUE ${SECRET}',
        'ProxyPass /p/ ${BACKEND}/',
        h.tlsVhost('ProxyPass /p/ ${BACKEND}/'),
      ].join('\n'),
    }),
  });

  // The "added" line the module should write for what the backend received.
  function expectedLine(echo) {
    const sh = new Map(h.secureHeaders(echo));
    const ev = sh.get('!~Passenger-Envvars');
    const parts = [];
    if (sh.has('!~Passenger-Proto')) parts.push('!~Passenger-Proto (5 bytes)');
    parts.push(`!~Passenger-Client-Address (${sh.get('!~Passenger-Client-Address').length} bytes)`);
    parts.push(`!~Passenger-Envvars (${ev.length} bytes, ${h.decodeEnvvars(ev).length} variable(s), ${Buffer.from(ev, 'base64').length} bytes raw)`);
    return `added ${parts.join(', ')}`;
  }

  function addedLines(text) {
    return text.split('\n').filter((l) => l.includes('[secure_headers:debug]') && l.includes(' added '));
  }

  test('HTTP: one line naming the headers with their sizes, no values', async () => {
    const mark = fx.ap.errorLog().length;
    const r = await get(fx.ap.port, '/p/x', { headers: { Cookie: 'session=cookie-value-123' } });
    assert.deepEqual(h.envvarsOf(r.json), [['SECRET_VALUE', SECRET]]);
    const lines = addedLines(since(fx.ap, mark));
    assert.equal(lines.length, 1, since(fx.ap, mark));
    assert.ok(lines[0].endsWith(`] ${expectedLine(r.json)}`), `${lines[0]}\nexpected: ${expectedLine(r.json)}`);
    const raw = 'SECRET_VALUE'.length + SECRET.length + 2;
    assert.equal(expectedLine(r.json), `added !~Passenger-Client-Address (9 bytes), !~Passenger-Envvars (${Math.ceil(raw / 3) * 4} bytes, 1 variable(s), ${raw} bytes raw)`);
    const log = since(fx.ap, mark);
    for (const v of [SECRET, h.secureHeaders(r.json)[1][1], 'cookie-value-123']) assert.ok(!log.includes(v), `log contains ${v}`);
  });

  test('TLS: the line also names !~Passenger-Proto', async () => {
    const mark = fx.ap.errorLog().length;
    const r = await get(fx.ap.tlsPort, '/p/x', { tls: true });
    assert.deepEqual(h.envvarsOf(r.json), [['SECRET_VALUE', SECRET], ['HTTPS', 'on']]);
    const lines = addedLines(since(fx.ap, mark));
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith(`] ${expectedLine(r.json)}`), `${lines[0]}\nexpected: ${expectedLine(r.json)}`);
    assert.match(lines[0], /added !~Passenger-Proto \(5 bytes\), !~Passenger-Client-Address \(9 bytes\), /);
    assert.ok(!since(fx.ap, mark).includes(SECRET));
  });

  test('not proxied: no line', async () => {
    const mark = fx.ap.errorLog().length;
    const r = await get(fx.ap.port, '/static.txt');
    assert.equal(r.body, 'static file\n');
    assert.deepEqual(addedLines(since(fx.ap, mark)), []);
  });

  test('a refused request is logged with the header name, not its value', async () => {
    const mark = fx.ap.errorLog().length;
    const r = await h.request(fx.ap.port, { path: '/p/x', headers: { '!~Passenger-Client-Address': 'forged-value-6.6.6.6' } });
    assert.equal(r.status, 400);
    const log = since(fx.ap, mark);
    // A warning, the first of its kind in a second; the rest of that second
    // at info (docs/operations.md).
    assert.match(log, /\[secure_headers:(warn|info)\] .*refused request with client-supplied header "!~Passenger-Client-Address"/);
    assert.ok(!log.includes('forged-value'), log);
  });
});

// ---------------------------------------------------------------------------
describe('apachectl configtest', () => {
  // [directive line, what the message must say]
  const BAD = [
    ['SecureHeaders maybe', /SecureHeaders: 'maybe' is neither On nor Off/],
    ['SecureHeadersXForwarded maybe', /SecureHeadersXForwarded: 'maybe' is neither On nor Off/],
    ['SecureHeadersEnvMaxSize abc', /SecureHeadersEnvMaxSize: 'abc' is not a size in bytes: give 0 for no limit, or 4 to 1048576/],
    ['SecureHeadersEnvMaxSize -1', /SecureHeadersEnvMaxSize: '-1' is not a size in bytes/],
    ['SecureHeadersEnvMaxSize 99999999', /SecureHeadersEnvMaxSize: '99999999' is not a size in bytes: give 0 for no limit, or 4 to 1048576/],
    ['SecureHeadersEnvMaxSize 1048577', /SecureHeadersEnvMaxSize: '1048577' is not a size in bytes/],
    ['SecureHeadersEnvMaxSize 3', /SecureHeadersEnvMaxSize: '3' is not a size in bytes/],
    ['SecureHeadersEnvMaxSize 8k', /SecureHeadersEnvMaxSize: '8k' is not a size in bytes/],
    ['SecureHeadersEnvMaxSize', /SecureHeadersEnvMaxSize takes one argument/],
    ['SecureHeadersEnvOversize Drop', /SecureHeadersEnvOversize: 'Drop' is neither Omit nor Reject/],
    ['SecureHeadersEnvInclude "SSL_[A-Z"', /SecureHeadersEnvInclude: 'SSL_\[A-Z' has a '\[' without its '\]'/],
    ['SecureHeadersEnvExclude "*PASS[WORD*"', /SecureHeadersEnvExclude: '\*PASS\[WORD\*' has a '\[' without its '\]'/],
    ['SecureHeadersEnvExclude ""', /SecureHeadersEnvExclude requires at least one argument/],
  ];

  for (const [line, message] of BAD) {
    test(`fails: ${line}`, async () => {
      // In a <Location>, so the line number also shows it is reported there.
      const r = await h.configtest(`<Location /x/>\n${line}\n</Location>`);
      assert.notEqual(r.code, 0, r.output);
      assert.doesNotMatch(r.output, /Syntax OK/);
      const conf = fs.readFileSync(r.confPath, 'utf8').split('\n');
      const lineNo = conf.indexOf(line) + 1;
      assert.ok(lineNo > 0);
      assert.match(r.output, new RegExp(`Syntax error on line ${lineNo} of ${r.confPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`));
      assert.match(r.output, message);
    });
  }

  for (const line of ['SecureHeaders maybe', 'SecureHeadersXForwarded maybe']) {
    test(`the message for "${line}" names the bad value`, async () => {
      const r = await h.configtest(line);
      assert.notEqual(r.code, 0);
      assert.match(r.output, /'maybe'/);
    });
  }

  const GOOD = [
    'SecureHeaders On', 'SecureHeaders off', 'SecureHeadersXForwarded On', 'SecureHeadersXForwarded OFF',
    'SecureHeadersEnvMaxSize 0', 'SecureHeadersEnvMaxSize 4', 'SecureHeadersEnvMaxSize 8192', 'SecureHeadersEnvMaxSize 1048576',
    'SecureHeadersEnvOversize Omit', 'SecureHeadersEnvOversize reject',
    'SecureHeadersEnvInclude HTTPS SSL_* "X[A-Z]" X? *PASSWORD* "X[!0-9]"',
    'SecureHeadersEnvExclude SSL_*_CERT* *PASSWORD*',
  ];
  test('passes: every valid value, in server, <VirtualHost>, <Location>, <Directory>, <Proxy> and <Files> context', async () => {
    const all = GOOD.join('\n');
    const body = [
      all,
      `<VirtualHost 127.0.0.1:\${PORT}>\n${all}\n<Location /x/>\n${all}\n</Location>\n</VirtualHost>`,
      `<Location /y/>\n${all}\n</Location>`,
      `<Directory "\${DIR}/htdocs">\n${all}\n</Directory>`,
      `<Proxy "balancer://app">\n${all}\n</Proxy>`,
      `<Files "x.txt">\n${all}\n</Files>`,
    ].join('\n');
    const r = await h.configtest(body);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Syntax OK/);
  });

  for (const line of GOOD) {
    test(`passes: ${line}`, async () => {
      const r = await h.configtest(line);
      assert.equal(r.code, 0, r.output);
    });
  }

  test('help text: an unknown argument count shows what the directive is for', async () => {
    const r = await h.configtest('SecureHeadersEnvOversize');
    assert.match(r.output, /SecureHeadersEnvOversize takes one argument, What to do when the environment would pass SecureHeadersEnvMaxSize/);
  });
});

// ---------------------------------------------------------------------------
describe('.htaccess: the directives are server configuration only', () => {
  const DIRECTIVES = ['SecureHeaders Off', 'SecureHeadersXForwarded On', 'SecureHeadersEnvInclude FOO',
    'SecureHeadersEnvExclude FOO', 'SecureHeadersEnvMaxSize 0', 'SecureHeadersEnvOversize Reject'];

  const fx = h.useApache({
    apache: { body: '<Directory "${DIR}/htdocs">\n  AllowOverride All\n</Directory>' },
    setup: ({ ap }) => {
      DIRECTIVES.forEach((d, i) => {
        const dir = path.join(ap.dir, 'htdocs', `d${i}`);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'f.txt'), 'f\n');
        fs.writeFileSync(path.join(dir, '.htaccess'), `${d}\n`);
      });
      fs.mkdirSync(path.join(ap.dir, 'htdocs', 'ok'));
      fs.writeFileSync(path.join(ap.dir, 'htdocs', 'ok', 'f.txt'), 'f\n');
      fs.writeFileSync(path.join(ap.dir, 'htdocs', 'ok', '.htaccess'), 'SetEnv FOO bar\n');
    },
    // Each directive in an .htaccess file: core refuses it at alert (the
    // test asserts these lines), one for each of d0 to d5.
    allow: [/\[core:alert\] .*\[client 127\.0\.0\.1:\d+\] \/\S+\/htdocs\/d[0-5]\/\.htaccess: (SecureHeaders|SecureHeadersXForwarded|SecureHeadersEnvInclude|SecureHeadersEnvExclude|SecureHeadersEnvMaxSize|SecureHeadersEnvOversize) not allowed here$/],
  });

  test('in .htaccess each one is a 500 with "not allowed here" naming it', async () => {
    const ok = await h.request(fx.ap.port, { path: '/ok/f.txt' });
    assert.equal(ok.status, 200, 'a harmless .htaccess works');
    for (const [i, d] of DIRECTIVES.entries()) {
      const r = await h.request(fx.ap.port, { path: `/d${i}/f.txt` });
      assert.equal(r.status, 500, d);
      const name = d.split(' ')[0];
      assert.match(fx.ap.errorLog(), new RegExp(`d${i}/\\.htaccess: ${name} not allowed here`), d);
    }
  });
});
