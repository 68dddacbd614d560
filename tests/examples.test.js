// SPDX-License-Identifier: MIT
'use strict';
// The operator files in conf-examples/, loaded for real.
//
// Each test reads an example file and changes only what cannot be the same
// on a test machine, by plain textual replacement (every replaced string must
// still be in the file, so an edited example cannot silently escape its
// test):
//   - listen ports:      "*:80" / "*:443" -> the harness's free ports;
//   - backends:          "127.0.0.1:3000" etc. -> the echo backends' ports;
//   - certificate paths: /etc/ssl/... -> generated certificates;
//   - the module path in secure_headers.load -> the freshly built module;
//   - the load balancer range 10.0.0.0/8 -> 127.0.0.0/8, so that the test
//     client (on loopback) *is* the load balancer (and, in a second instance
//     left at 10.0.0.0/8, a stranger).
// Every instance loads the module the Debian way, through
// secure_headers.load + secure_headers.conf, then the site file, as
// /etc/apache2/apache2.conf includes mods-enabled/ before sites-enabled/.
// Anything a test adds around an example (a SetEnv to have an environment, a
// client CA) is outside the file and said so where it happens.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');
const signature = require('./lib/signature');
const { ensureNpmDeps } = require('./lib/npm');

// signed-backends.conf is verified with the independent implementation.
const SIG_SKIP_REASON = ensureNpmDeps(signature.INTEROP);
const SIG_SKIP = SIG_SKIP_REASON ? { skip: SIG_SKIP_REASON } : {};

const EXAMPLES = path.join(h.REPO, 'conf-examples');
const DEBIAN_MODULE_PATH = '/usr/lib/apache2/modules/mod_secure_headers.so';

// The example file `name` with each [from, to] replaced (all occurrences).
function example(name, replacements = []) {
  let text = fs.readFileSync(path.join(EXAMPLES, name), 'utf8');
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `${name} no longer contains ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

// secure_headers.load + secure_headers.conf, as a2enmod enables them.
function moduleFiles() {
  return example('secure_headers.load', [[DEBIAN_MODULE_PATH, h.MODULE_PATH]]) + '\n' +
    example('secure_headers.conf');
}

const PORT80 = ['<VirtualHost *:80>', '<VirtualHost *:${PORT}>'];
const hostPort = (be) => `${be.host}:${be.port}`;

// startApache() options for a site loaded after the module's files.
function siteOptions(body, opts = {}) {
  return Object.assign({ loadSecureHeaders: false, body: moduleFiles() + '\n' + body }, opts);
}

function startSite(body, opts = {}) {
  return h.startApache(siteOptions(body, opts));
}

// `n` echo backends, as one backend of a useApache() group.
async function startBackends(n) {
  const bes = [];
  bes.close = async () => { for (const b of bes) await b.close(); };
  try {
    for (let i = 0; i < n; i++) bes.push(await h.startBackend());
  } catch (e) {
    await bes.close();
    throw e;
  }
  return bes;
}

function configtestSite(body, opts = {}) {
  return h.configtest(moduleFiles() + '\n' + body, Object.assign({ loadSecureHeaders: false }, opts));
}

const { encodeEnvvars } = h;

const { rawValues } = h;

// A request that carries a forged secure header: 400, and no backend saw it.
async function assertForgedRefused(port, backends, reqPath, opts = {}) {
  const before = backends.map((b) => b.requests.length);
  const r = await h.request(port, Object.assign({ path: reqPath, headers: [['!~Passenger-Client-Address', '6.6.6.6']] }, opts));
  assert.equal(r.status, 400, `${reqPath}: ${r.body.slice(0, 200)}`);
  assert.deepEqual(backends.map((b) => b.requests.length), before, `${reqPath} reached a backend`);
}

// ---------------------------------------------------------------------------
describe('secure_headers.load + secure_headers.conf', () => {
  // Outside the files: a ProxyPass and an environment to look at.
  const site = [
    'SetEnv FOO bar',
    'SetEnv BIG ${BIG}',
    'ProxyPass /app/ ${BACKEND}/',
    '<Location /app/nobig/>',
    '  SecureHeadersEnvExclude BIG',
    '</Location>',
  ].join('\n');
  // 6200 bytes: 8284 encoded with FOO, just past the 8192 default ceiling.
  const BIG = 'b'.repeat(6200);

  const fx = h.useApache({
    backends: { be: {} },
    apache: ({ be }) => siteOptions(site, { vars: { BACKEND: be.url, BIG } }),
    // The written-out 8192-byte ceiling leaving BIG out of /app/x: the test
    // asserts this line (the group's only oversize request).
    allow: [h.CLIENT_REFUSAL, /\[secure_headers:warn\] .*\[client 127\.0\.0\.1:\d+\] !~Passenger-Envvars would exceed SecureHeadersEnvMaxSize \(8192 bytes\); left out 1 variable\(s\): BIG$/],
  });

  test('the .load file points at the Debian module directory, the one apxs installs into', () => {
    const text = example('secure_headers.load');
    const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    assert.deepEqual(lines, [`LoadModule secure_headers_module ${DEBIAN_MODULE_PATH}`]);
    const libexec = execFileSync('apxs', ['-q', 'LIBEXECDIR'], { encoding: 'utf8' }).trim();
    assert.equal(path.join(libexec, 'mod_secure_headers.so'), DEBIAN_MODULE_PATH);
  });

  test('configtest: both files pass; the .conf alone also passes (its <IfModule> guards it)', async () => {
    const both = await configtestSite(site, { vars: { BACKEND: fx.be.url, BIG } });
    assert.equal(both.code, 0, both.output);
    assert.match(both.output, /Syntax OK/);
    const confOnly = await h.configtest(example('secure_headers.conf'), { loadSecureHeaders: false });
    assert.equal(confOnly.code, 0, confOnly.output);
  });

  test('the module loaded from the .load file is active: secure headers added, forged ones refused', async () => {
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, { path: '/app/nobig/x' });
    assert.equal(r.status, 200, r.body);
    assert.equal(fx.be.requests.length, n + 1);
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars([['FOO', 'bar']])],
    ]);
    await assertForgedRefused(fx.ap.port, [fx.be], '/app/nobig/x');
  });

  test('the written-out defaults hold: 8192-byte ceiling with Omit, X-Forwarded-* left to mod_proxy', async () => {
    const r = await h.request(fx.ap.port, {
      path: '/app/x',
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '6.6.6.6' },
    });
    assert.equal(r.status, 200, r.body);
    // With BIG the header would pass 8192 bytes: BIG left out, FOO still sent.
    assert.ok(encodeEnvvars([['FOO', 'bar'], ['BIG', BIG]]).length > 8192);
    assert.deepEqual(h.envvarsOf(r.json), [['FOO', 'bar']]);
    assert.match(fx.ap.errorLog(), /\[secure_headers:warn\] .*!~Passenger-Envvars would exceed SecureHeadersEnvMaxSize \(8192 bytes\); left out 1 variable\(s\): BIG$/m);
    // SecureHeadersXForwarded Off: mod_proxy appends, the client's values stay.
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['https']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['6.6.6.6, 127.0.0.1']);
  });

  test('the commented-out SecureHeadersEnvExclude suggestion, switched on, keeps the secrets out', async () => {
    // The one line the file leaves commented out, uncommented by the test.
    const conf = example('secure_headers.conf');
    const m = /^(\s*)#(SecureHeadersEnvExclude .*)$/m.exec(conf);
    assert.ok(m, 'suggestion line present');
    const enabled = conf.replace(m[0], m[1] + m[2]);
    const be2 = await h.startBackend();
    const ap2 = await h.startApache({
      loadSecureHeaders: false,
      vars: { BACKEND: be2.url },
      body: example('secure_headers.load', [[DEBIAN_MODULE_PATH, h.MODULE_PATH]]) + '\n' + enabled + '\n' + [
        'SetEnv APP_ENV production',
        'SetEnv DB_PASSWORD hunter2',
        'SetEnv smtp_passwd hunter3',
        'SetEnv APP_SECRET s3',
        'SetEnv GITHUB_TOKEN ghp_x',
        'SetEnv STRIPE_KEY sk_x',
        'SetEnv SSL_CLIENT_CERT pem',
        'SetEnv KEYBOARD us',
        'ProxyPass /app/ ${BACKEND}/',
      ].join('\n'),
    });
    try {
      const r = await h.request(ap2.port, { path: '/app/' });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(h.envvarsOf(r.json), [['APP_ENV', 'production'], ['KEYBOARD', 'us']]);
    } finally {
      await ap2.stop();
      await be2.close();
    }
  });
});

// ---------------------------------------------------------------------------
describe('express-app.conf', () => {
  let site;

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { be: {} },
    apache: ({ be }) => {
      site = example('express-app.conf', [PORT80, ['127.0.0.1:3000', hostPort(be)]]);
      return siteOptions(site);
    },
  });

  test('configtest passes', async () => {
    const r = await configtestSite(site);
    assert.equal(r.code, 0, r.output);
  });

  test('client-sent X-Forwarded-* are replaced by what Apache knows, each sent once', async () => {
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, {
      path: '/orders?id=7',
      headers: [
        ['Host', 'evil.example'],
        ['X-Forwarded-Proto', 'https'],
        ['X-Forwarded-Host', 'evil.example'],
        ['X-Forwarded-For', '6.6.6.6'],
      ],
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(fx.be.requests.length, n + 1);
    assert.equal(r.json.url, '/orders?id=7');
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http']);
    // UseCanonicalName On: the ServerName, not the Host header. It names no
    // port, so Apache's canonical port is 80 and none is appended.
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Host'), ['app.example.com']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['127.0.0.1']);
    assert.deepEqual(h.secureHeaders(r.json), [['!~Passenger-Client-Address', '127.0.0.1']]);
  });

  test('a request without X-Forwarded-* gets the same values', async () => {
    const r = await h.request(fx.ap.port, { path: '/' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Host'), ['app.example.com']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['127.0.0.1']);
  });

  test('forged secure headers are refused', async () => {
    await assertForgedRefused(fx.ap.port, [fx.be], '/orders');
  });
});

// ---------------------------------------------------------------------------
// A client CA and a client certificate, generated per run (ECDSA: fast).
function makeClientPki() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-pki-'));
  fs.chmodSync(dir, 0o755);
  const f = (n) => path.join(dir, n);
  const run = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Example Client CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', ...ec, '-keyout', f('alice.key'), '-out', f('alice.csr'), '-subj', '/O=Example/CN=alice']);
  run(['x509', '-req', '-in', f('alice.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '0x1A2B3C4D5E',
    '-days', '2', '-out', f('alice.pem')]);
  for (const n of ['ca.key', 'alice.key']) fs.chmodSync(f(n), 0o644);
  return { dir, caPath: f('ca.pem'), cert: fs.readFileSync(f('alice.pem')), key: fs.readFileSync(f('alice.key')) };
}

// One HTTPS request with an optional client certificate; also reports the
// protocol and cipher the client negotiated.
function tlsGet(port, { path: p = '/', headers = {}, cert, key } = {}) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], cert, key });
    const chunks = [];
    let info = null;
    sock.setTimeout(10000, () => sock.destroy(new Error('tls request timed out')));
    sock.on('secureConnect', () => {
      info = { protocol: sock.getProtocol(), cipher: sock.getCipher().name };
      sock.write(h.buildRequest({ path: p, headers, port }));
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => {
      try {
        const [resp] = h.parseResponses(Buffer.concat(chunks).toString('utf8'));
        resolve(Object.assign(resp, info));
      } catch (e) { reject(e); }
    });
  });
}

describe('tls-stdenvvars.conf', h.needFor({ tls: true }), () => {
  let pki; let alice;

  function replacements() {
    return [
      ['<VirtualHost *:443>', '<VirtualHost *:${TLSPORT}>'],
      ['/etc/ssl/certs/app.example.com.pem', '${CERT}'],
      ['/etc/ssl/private/app.example.com.key', '${KEY}'],
      ['/etc/ssl/certs/client-ca.pem', pki.caPath],
      ['127.0.0.1:3000', hostPort(fx.be)],
    ];
  }
  // Outside the file: what the example's exclusion guards against, both at
  // once. +ExportCertData switched on server-wide (in ssl.conf, say) puts
  // the PEM blobs in the environment, and an /admin/ location widens the
  // allow-list to every SSL_CLIENT_* variable.
  const around = [
    'SSLOptions +ExportCertData',
    '<Location /admin/>',
    '  SecureHeadersEnvInclude SSL_CLIENT_*',
    '</Location>',
  ].join('\n');

  const fx = h.useApache({
    backends: {
      pkiFiles: () => {
        pki = makeClientPki();
        alice = new crypto.X509Certificate(pki.cert);
        return { close: () => fs.rmSync(pki.dir, { recursive: true, force: true }) };
      },
      be: {},
      // Control: the same file without its SecureHeadersEnvExclude line, to
      // show that the PEM blobs really are in the environment.
      control: () => {
        const noExclude = example('tls-stdenvvars.conf', replacements()).replace(/^\s*SecureHeadersEnvExclude .*$/m, '');
        return startSite(around + '\n' + noExclude, { tls: true });
      },
    },
    apache: () => siteOptions(around + '\n' + example('tls-stdenvvars.conf', replacements()), { tls: true }),
    // mod_ssl at start-up, in both instances: the file's ServerName
    // app.example.com is not a name of the test certificate (localhost).
    allow: [h.CLIENT_REFUSAL, /\[ssl:warn\] .*AH01909: app\.example\.com:\d+:0 server certificate does NOT include an ID which matches the server name$/],
  });

  test('configtest passes', async () => {
    const r = await configtestSite(example('tls-stdenvvars.conf', replacements()), { tls: true });
    assert.equal(r.code, 0, r.output);
  });

  test('without a client certificate: exactly the allow-listed variables that exist, in order', async () => {
    const r = await tlsGet(fx.ap.tlsPort, { path: '/account' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/account');
    const env = [
      ['HTTPS', 'on'],
      ['SSL_PROTOCOL', r.protocol],
      ['SSL_CIPHER', r.cipher],
      ['SSL_CLIENT_VERIFY', 'NONE'],
    ];
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Proto', 'https'],
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(env)],
    ]);
  });

  test('with a client certificate: its subject, issuer, serial and expiry, nothing else', async () => {
    const r = await tlsGet(fx.ap.tlsPort, { path: '/account', cert: pki.cert, key: pki.key });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(h.envvarsOf(r.json), [
      ['HTTPS', 'on'],
      ['SSL_PROTOCOL', r.protocol],
      ['SSL_CIPHER', r.cipher],
      ['SSL_CLIENT_VERIFY', 'SUCCESS'],
      ['SSL_CLIENT_M_SERIAL', '1A2B3C4D5E'],
      ['SSL_CLIENT_V_END', alice.validTo],
      ['SSL_CLIENT_S_DN', 'CN=alice,O=Example'],
      ['SSL_CLIENT_I_DN', 'CN=Example Client CA'],
    ]);
  });

  test('a location that includes SSL_CLIENT_* still gets no certificate: the exclusion wins', async () => {
    const r = await tlsGet(fx.ap.tlsPort, { path: '/admin/', cert: pki.cert, key: pki.key });
    assert.equal(r.status, 200, r.body);
    const env = h.envvarsOf(r.json);
    const names = env.map(([k]) => k);
    assert.ok(names.includes('SSL_CLIENT_S_DN_CN') && names.includes('SSL_CLIENT_V_START'), names.join(' '));
    assert.deepEqual(names.filter((k) => /CERT/i.test(k)), []);
    assert.ok(names.every((k) => k === 'HTTPS' || /^SSL_(PROTOCOL|CIPHER|CLIENT_.*)$/.test(k)), names.join(' '));
    assert.deepEqual(env.find(([k]) => k === 'SSL_CLIENT_S_DN_CN'), ['SSL_CLIENT_S_DN_CN', 'alice']);

    // The same file without its exclusion: the blobs are there.
    const c = await tlsGet(fx.control.tlsPort, { path: '/admin/', cert: pki.cert, key: pki.key });
    assert.equal(c.status, 200, c.body);
    const cenv = new Map(h.envvarsOf(c.json));
    assert.equal(cenv.get('SSL_CLIENT_CERT').replace(/\r?\n/g, '\n').trim(), pki.cert.toString().replace(/\r?\n/g, '\n').trim());
    assert.deepEqual([...cenv.keys()].filter((k) => /CERT/.test(k)), ['SSL_CLIENT_CERT_RFC4523_CEA', 'SSL_CLIENT_CERT']);
    // And everything else is identical: the exclusion removes only those.
    const withoutCerts = [...cenv].filter(([k]) => !/^SSL_.*_CERT/i.test(k)).map(([k]) => k);
    assert.deepEqual(names, withoutCerts);
  });

  test('forged secure headers are refused over TLS too', async () => {
    const n = fx.be.requests.length;
    const r = await tlsGet(fx.ap.tlsPort, { path: '/account', headers: [['!~Passenger-Proto', 'https']] });
    assert.equal(r.status, 400);
    assert.equal(fx.be.requests.length, n);
  });
});

// ---------------------------------------------------------------------------
describe('behind-tls-load-balancer.conf', h.needFor({ modules: ['remoteip'] }), () => {
  const replacements = (range) => [PORT80, ['10.0.0.0/8', range], ['127.0.0.1:3000', hostPort(fx.be)]];

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: {
      be: {},
      // A stranger here: the file as written, balancer in 10.0.0.0/8...
      asStranger: ({ be }) => startSite(example('behind-tls-load-balancer.conf', [PORT80, ['127.0.0.1:3000', hostPort(be)]]),
        { modules: ['remoteip'] }),
    },
    // ...and the test client, on 127.0.0.1, is the load balancer here (fx.ap).
    apache: () => siteOptions(example('behind-tls-load-balancer.conf', replacements('127.0.0.0/8')), { modules: ['remoteip'] }),
  });

  test('configtest passes', async () => {
    const r = await configtestSite(example('behind-tls-load-balancer.conf', replacements('127.0.0.0/8')), { modules: ['remoteip'] });
    assert.equal(r.code, 0, r.output);
  });

  test('from the balancer, "X-Forwarded-Proto: https": HTTPS, the client address, trustworthy X-Forwarded-*', async () => {
    const r = await h.request(fx.ap.port, {
      path: '/cart',
      headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' },
    });
    assert.equal(r.status, 200, r.body);
    // 203.0.113.7 is outside 127.0.0.0/8: only the peer address can have
    // matched, so CONN_REMOTE_ADDR is the peer even after mod_remoteip.
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Proto', 'https'],
      ['!~Passenger-Client-Address', '203.0.113.7'],
      ['!~Passenger-Envvars', encodeEnvvars([['HTTPS', 'on']])],
    ]);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['https']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['203.0.113.7']);
  });

  test('from the balancer, plain HTTP or no X-Forwarded-Proto: no HTTPS', async () => {
    for (const headers of [{ 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'http' }, { 'X-Forwarded-For': '203.0.113.7' }]) {
      const r = await h.request(fx.ap.port, { path: '/cart', headers });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(h.secureHeaders(r.json), [['!~Passenger-Client-Address', '203.0.113.7']], JSON.stringify(headers));
      assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http']);
      assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['203.0.113.7']);
    }
  });

  // Load balancers forward the client's Host header, which names no port.
  test('X-Forwarded-Host is the Host the balancer forwarded, with no port added', async () => {
    const r = await h.request(fx.ap.port, {
      path: '/cart',
      headers: { Host: 'app.example.com', 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['https']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Host'), ['app.example.com']);
  });

  test('an address the client put before the one the balancer appended is not believed', async () => {
    const r = await h.request(fx.ap.port, {
      path: '/cart',
      headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.7', 'X-Forwarded-Proto': 'https' },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(h.secureHeaders(r.json).slice(0, 2), [
      ['!~Passenger-Proto', 'https'],
      ['!~Passenger-Client-Address', '203.0.113.7'],
    ]);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['203.0.113.7']);
  });

  test('anyone else sending the same headers straight to port 80 gets neither HTTPS nor a chosen address', async () => {
    const r = await h.request(fx.asStranger.port, {
      path: '/cart',
      headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(h.secureHeaders(r.json), [['!~Passenger-Client-Address', '127.0.0.1']]);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-Proto'), ['http']);
    assert.deepEqual(rawValues(r.json, 'X-Forwarded-For'), ['127.0.0.1']);
  });

  test('forged secure headers are refused, also from the balancer', async () => {
    await assertForgedRefused(fx.ap.port, [fx.be], '/cart', { headers: [['X-Forwarded-Proto', 'https'], ['!~Passenger-Proto', 'https']] });
    await assertForgedRefused(fx.asStranger.port, [fx.be], '/cart');
  });
});

// ---------------------------------------------------------------------------
const BALANCER_MODULES = ['slotmem_shm', 'proxy_balancer', 'lbmethod_byrequests'];
describe('balancer.conf', h.needFor({ modules: BALANCER_MODULES }), () => {
  let site;
  const modules = BALANCER_MODULES;

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { bes: () => startBackends(3) },
    apache: ({ bes }) => {
      site = example('balancer.conf', [PORT80, ...bes.map((b, i) => [`127.0.0.1:300${i + 1}`, hostPort(b)])]);
      // Outside the file: a variable, to see the environment travel.
      return siteOptions('SetEnv APP_ENV production\n' + site, { modules });
    },
  });

  test('configtest passes', async () => {
    const r = await configtestSite(site, { modules });
    assert.equal(r.code, 0, r.output);
  });

  test('requests go round all three members, each with its own secure headers', async () => {
    const before = fx.bes.map((b) => b.requests.length);
    const served = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.request(fx.ap.port, { path: `/item/${i}` });
      assert.equal(r.status, 200, r.body);
      const idx = fx.bes.findIndex((b) => b.requests.length && b.requests.at(-1).url === `/item/${i}`);
      assert.notEqual(idx, -1);
      served.push(idx);
      assert.deepEqual(h.secureHeaders(r.json), [
        ['!~Passenger-Client-Address', '127.0.0.1'],
        ['!~Passenger-Envvars', encodeEnvvars([
          ['APP_ENV', 'production'],
          ['BALANCER_NAME', 'balancer://app'],
          ['BALANCER_WORKER_NAME', fx.bes[idx].url],
          ['BALANCER_WORKER_ROUTE', ''],
        ])],
      ]);
    }
    assert.deepEqual(fx.bes.map((b, i) => b.requests.length - before[i]), [2, 2, 2]);
    assert.equal(new Set(served.slice(0, 3)).size, 3, `order: ${served}`);
    assert.deepEqual(served.slice(3), served.slice(0, 3), `order: ${served}`);
  });

  test('forged secure headers reach no member', async () => {
    await assertForgedRefused(fx.ap.port, fx.bes, '/item/x');
  });
});

// ---------------------------------------------------------------------------
// upgrade=websocket on an http:// URL is mod_proxy_http's since 2.4.47;
// the file's own comment names the ws:// form for older httpd, which
// secure-headers.test.js runs there.
const WS_SKIP = h.needVersion('2.4.47', 'no upgrade=websocket in mod_proxy_http (ws:// via mod_proxy_wstunnel instead)');
describe('websockets.conf', () => {
  let site;
  const appUrl = (b) => ['127.0.0.1:3000', hostPort(b)];

  // Where the tests skip, no Apache at all.
  const fx = WS_SKIP.skip ? {} : h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { be: {} },
    apache: ({ be }) => {
      site = example('websockets.conf', [PORT80, appUrl(be)]);
      return siteOptions('SetEnv APP_ENV production\n' + site);
    },
  });

  test('configtest passes', WS_SKIP, async () => {
    const r = await configtestSite(site);
    assert.equal(r.code, 0, r.output);
  });

  test('WebSocket handshake: 101, and the app saw the upgrade with the secure headers', WS_SKIP, async () => {
    const n = fx.be.requests.length;
    const w = await h.websocket(fx.ap.port, '/ws/chat?room=1', { 'X-Client': 'ws' });
    assert.equal(w.status, 101);
    assert.ok(w.acceptOk, 'Sec-WebSocket-Accept matches');
    assert.equal(fx.be.requests.length, n + 1);
    assert.equal(w.json.url, '/ws/chat?room=1');
    assert.equal(w.json.headers.upgrade.toLowerCase(), 'websocket');
    assert.equal(w.json.headers['x-client'], 'ws');
    assert.deepEqual(h.secureHeaders(w.json), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars([['APP_ENV', 'production']])],
    ]);
  });

  test('ordinary pages go through the second ProxyPass with the secure headers', WS_SKIP, async () => {
    const r = await h.request(fx.ap.port, { path: '/page' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/page');
    assert.equal(r.json.headers.upgrade, undefined);
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars([['APP_ENV', 'production']])],
    ]);
  });

  test('a handshake carrying a forged secure header is refused before the backend', WS_SKIP, async () => {
    const n = fx.be.requests.length;
    const w = await h.websocket(fx.ap.port, '/ws/chat', { '!~Passenger-Client-Address': '6.6.6.6' });
    assert.equal(w.status, 400);
    assert.equal(fx.be.requests.length, n);
  });

  test('what the comment warns about: the two lines swapped, handshakes arrive as plain GETs', WS_SKIP, async () => {
    const lines = site.split('\n');
    const ws = lines.findIndex((l) => /^\s*ProxyPass\s+\/ws\//.test(l));
    const root = lines.findIndex((l) => /^\s*ProxyPass\s+\/\s/.test(l));
    assert.ok(ws !== -1 && root === ws + 1, 'the /ws/ line comes right before the / line');
    [lines[ws], lines[root]] = [lines[root], lines[ws]];
    const swapped = await startSite(lines.join('\n'));
    try {
      const n = fx.be.requests.length;
      const w = await h.websocket(swapped.port, '/ws/chat', {});
      assert.equal(w.status, 200, 'handshake answered as a plain GET');
      assert.equal(fx.be.requests.length, n + 1);
      assert.equal(w.json.url, '/ws/chat');
      assert.equal(w.json.headers.upgrade, undefined);
    } finally {
      await swapped.stop();
    }
  });
});

// ---------------------------------------------------------------------------
describe('location-off.conf', () => {
  let site;

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: { app: {}, assets: {} },
    apache: ({ app, assets }) => {
      site = example('location-off.conf', [PORT80, ['127.0.0.1:3000', hostPort(app)], ['127.0.0.1:8080', hostPort(assets)]]);
      return siteOptions('SetEnv APP_ENV production\n' + site);
    },
  });

  test('configtest passes', async () => {
    const r = await configtestSite(site);
    assert.equal(r.code, 0, r.output);
  });

  test('the application gets the secure headers', async () => {
    const r = await h.request(fx.ap.port, { path: '/orders' });
    assert.equal(r.status, 200, r.body);
    assert.equal(fx.app.requests.at(-1).url, '/orders');
    assert.deepEqual(h.secureHeaders(r.json), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars([['APP_ENV', 'production']])],
    ]);
  });

  test('/assets/ (SecureHeaders Off) reaches the asset server with no "!~" header at all', async () => {
    const n = fx.assets.requests.length;
    const r = await h.request(fx.ap.port, { path: '/assets/app.css' });
    assert.equal(r.status, 200, r.body);
    assert.equal(fx.assets.requests.length, n + 1);
    assert.equal(r.json.url, '/app.css');
    assert.deepEqual(h.secureHeaders(r.json), []);
    assert.deepEqual(r.json.rawHeaders.filter((x, i) => i % 2 === 0 && x.includes('!~')), []);
  });

  test('/healthz (secure-headers-off) reaches the application with no "!~" header; /healthy is not caught', async () => {
    for (const p of ['/healthz', '/healthz/ready']) {
      const r = await h.request(fx.ap.port, { path: p });
      assert.equal(r.status, 200, r.body);
      assert.equal(fx.app.requests.at(-1).url, p);
      assert.deepEqual(h.secureHeaders(r.json), [], p);
    }
    const r = await h.request(fx.ap.port, { path: '/healthy' });
    assert.equal(r.status, 200);
    assert.equal(h.secureHeaders(r.json)[0][0], '!~Passenger-Client-Address');
  });

  test('forged secure headers are still refused where the module sends none', async () => {
    await assertForgedRefused(fx.ap.port, [fx.app, fx.assets], '/assets/app.css');
    await assertForgedRefused(fx.ap.port, [fx.app, fx.assets], '/healthz');
  });
});

// ---------------------------------------------------------------------------
describe('signed-backends.conf', SIG_SKIP, () => {
  let site; let keyDir; let pub;
  const modules = ['slotmem_shm', 'proxy_balancer', 'lbmethod_byrequests'];

  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL],
    backends: {
      keyFiles: () => {
        keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-exkeys-'));
        fs.chmodSync(keyDir, 0o755);
        const k = crypto.generateKeyPairSync('ed25519');
        fs.writeFileSync(path.join(keyDir, 'edge.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        pub = k.publicKey;
        return { close: () => fs.rmSync(keyDir, { recursive: true, force: true }) };
      },
      bes: () => startBackends(2),
    },
    apache: ({ bes }) => {
      // Outside the file: the key's path, and the members' addresses.
      site = example('signed-backends.conf', [PORT80,
        ['/etc/apache2/keys/edge-2026-12.pem', path.join(keyDir, 'edge.pem')],
        ['10.0.1.11:3000', hostPort(bes[0])], ['10.0.1.12:3000', hostPort(bes[1])]]);
      return siteOptions(site, { modules });
    },
  });

  test('configtest passes', async () => {
    const r = await configtestSite(site, { modules });
    assert.equal(r.code, 0, r.output);
  });

  test('both members get signed requests that verify with the public key, lifetime 30 s, X-Forwarded-* covered', async () => {
    const served = new Set();
    for (let i = 0; i < 4; i++) {
      const r = await h.request(fx.ap.port, { path: `/s/${i}`, headers: { 'X-Forwarded-Host': 'evil.example' } });
      assert.equal(r.status, 200, r.body);
      const s = signature.moduleSignature(r.json);
      assert.equal(s.keyid, 'edge-2026-12');
      assert.equal(s.expires - s.created, 30);
      assert.deepEqual(s.components.slice(-3), ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for']);
      assert.equal(await signature.verifyWithLibrary(r.json, { 'edge-2026-12': { alg: 'ed25519', key: pub } }), true);
      served.add(rawValues(r.json, 'host')[0]);
    }
    assert.deepEqual([...served].sort(), fx.bes.map(hostPort).sort());
  });

  test('forged secure headers reach no member', async () => {
    await assertForgedRefused(fx.ap.port, fx.bes, '/forged');
  });
});

// ---------------------------------------------------------------------------
describe('apache-behind-apache.conf', () => {
  let site;

  const fx = h.useApache({
    backends: {
      be: {},
      // The edge is on loopback here, so the inner server names 127.0.0.1;
      // a second inner server keeps the file's 10.0.0.5, which is not it.
      inner: ({ be }) => {
        site = example('apache-behind-apache.conf', [PORT80, ['10.0.0.5', '127.0.0.1'], ['127.0.0.1:3000', hostPort(be)]]);
        return startSite(site);
      },
      stranger: ({ be }) => startSite(example('apache-behind-apache.conf', [PORT80, ['127.0.0.1:3000', hostPort(be)]])),
    },
    // Outside the file: the edge (fx.ap), a TLS terminator with the module.
    apache: ({ inner, stranger }) => ({
      tls: true,
      vars: { INNER: inner.port, STRANGER: stranger.port },
      body: 'SetEnv AT edge\n' +
        h.tlsVhost('SetEnv AT edge-tls\n ProxyPass /in/ http://127.0.0.1:${INNER}/\n ProxyPass /out/ http://127.0.0.1:${STRANGER}/'),
    }),
    // The stranger refusing the edge's request to /out/: the test asserts
    // this warning, which names the fix.
    allow: [h.CLIENT_REFUSAL, /\[secure_headers:warn\] .*\[client 127\.0\.0\.1:\d+\] refused request from 127\.0\.0\.1 carrying another server's secure headers \("!~Passenger-Proto"\): if 127\.0\.0\.1 is a server in front of this one, name it with "SecureHeadersUpstream 127\.0\.0\.1"$/],
  });

  test('configtest passes', async () => {
    const r = await configtestSite(site);
    assert.equal(r.code, 0, r.output);
  });

  test('through the edge: the application gets what the edge saw (https, its environment)', async () => {
    const r = await h.request(fx.ap.tlsPort, { path: '/in/x', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.equal(rawValues(r.json, '!~passenger-proto')[0], 'https');
    assert.equal(rawValues(r.json, '!~passenger-client-address')[0], '127.0.0.1');
    assert.equal(Object.fromEntries(h.envvarsOf(r.json)).AT, 'edge-tls');
  });

  test('an app host that names another edge refuses, with the warning that names the fix', async () => {
    const r = await h.request(fx.ap.tlsPort, { path: '/out/y', tls: true });
    assert.equal(r.status, 400);
    assert.match(fx.stranger.errorLog(), /\[secure_headers:warn\] .*"SecureHeadersUpstream 127\.0\.0\.1"/);
  });
});

// ---------------------------------------------------------------------------
// After "a2dismod secure_headers" the vhosts that use the directives must
// still load (and "apachectl stop" still work): every example wraps the
// module's directives in <IfModule secure_headers_module>. Without that
// wrapper each file fails here with "Invalid command 'SecureHeaders...'".
describe('every example loads with the module disabled (a2dismod)', h.needFor({ tls: true, modules: ['remoteip', ...BALANCER_MODULES] }), () => {
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.conf') && f !== 'secure_headers.conf');
  test('the examples are all covered, most of them using the module\'s directives', () => {
    assert.ok(files.length >= 8, files.join(' '));
    const using = files.filter((f) => /^\s*SecureHeaders/m.test(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')));
    assert.ok(using.length >= 6, using.join(' '));
  });
  for (const file of files) {
    test(`${file}: configtest passes without LoadModule secure_headers_module`, async () => {
      const pki = ensureWithoutModulePki();
      let text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8')
        .replace(/<VirtualHost \*:(80|443)>/g, '<VirtualHost *:${PORT}>')
        .replace(/(SSLCertificateFile|SSLCACertificateFile)\s+\S+/g, `$1 ${pki.certPath}`)
        .replace(/SSLCertificateKeyFile\s+\S+/g, `SSLCertificateKeyFile ${pki.keyPath}`);
      const r = await h.configtest(text, { loadSecureHeaders: false, tls: true, modules: ['remoteip', 'proxy_wstunnel', ...BALANCER_MODULES] });
      assert.equal(r.code, 0, `${file}:\n${r.output}`);
      assert.match(r.output, /Syntax OK/);
    });
  }
});

function ensureWithoutModulePki() {
  return h.ensureCert();
}
