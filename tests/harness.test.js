// SPDX-License-Identifier: MIT
'use strict';
// Smoke test for tests/lib/harness.js itself: runs WITHOUT mod_secure_headers
// (loadSecureHeaders: false), so it must pass whatever state the module is in.

const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');

describe('harness helpers (no apache)', () => {
  test('decodeEnvvars / secureHeaders / envvarsOf', () => {
    const b64 = Buffer.from('FOO\0bar\0EMPTY\0\0UTF\0h\u00e9llo \u2603\0', 'utf8').toString('base64');
    assert.deepEqual(h.decodeEnvvars(b64), [['FOO', 'bar'], ['EMPTY', ''], ['UTF', 'h\u00e9llo \u2603']]);
    assert.deepEqual(h.decodeEnvvars(''), []);
    assert.throws(() => h.decodeEnvvars(Buffer.from('A\0b\0C\0').toString('base64')));
    assert.throws(() => h.decodeEnvvars(Buffer.from('A\0b').toString('base64')));
    const echo = { rawHeaders: ['Host', 'x', '!~Passenger-Proto', 'https', 'X!~No', '1', '!~Passenger-Envvars', b64] };
    assert.deepEqual(h.secureHeaders(echo), [['!~Passenger-Proto', 'https'], ['!~Passenger-Envvars', b64]]);
    assert.deepEqual(h.envvarsOf(echo)[0], ['FOO', 'bar']);
    assert.equal(h.envvarsOf({ rawHeaders: ['Host', 'x'] }), null);
  });

  test('MODULE_PATH and REPO', () => {
    if (process.env.SHTEST_MODULE) assert.equal(h.MODULE_PATH, process.env.SHTEST_MODULE);
    else assert.equal(h.MODULE_PATH, `${h.REPO}/.libs/mod_secure_headers.so`);
    assert.ok(fs.existsSync(h.REPO + '/tests/lib/harness.js'));
  });

  test('httpd(): the httpd under test (SHTEST_APACHE), its version, modules and files', () => {
    const info = h.httpd();
    assert.equal(info.bin, process.env.SHTEST_APACHE || '/usr/sbin/apache2');
    const v = spawnSync(info.bin, ['-v'], { encoding: 'utf8' }).stdout;
    assert.match(v, new RegExp(`^Server version: Apache/${info.version.replace(/\./g, '\\.')} `, 'm'));
    assert.ok(fs.existsSync(`${info.modulesDir}/mod_proxy.so`), info.modulesDir);
    assert.ok(fs.existsSync(info.mimeTypes), info.mimeTypes);
    for (const m of ['proxy', 'proxy_http', 'unixd', 'log_config', `mpm_${info.mpm}`]) assert.ok(h.hasModule(m), m);
    assert.equal(h.hasModule('no_such_thing'), false);
    assert.deepEqual(h.needModules(['proxy']), {});
    assert.deepEqual(h.needModules(['proxy', 'no_such_thing']),
      { skip: `httpd ${info.version} (${info.bin}) has no mod_no_such_thing` });
    assert.ok(h.httpdAtLeast(info.version) && h.httpdAtLeast('2.4.0') && !h.httpdAtLeast('2.5.0'));
  });

  test('freePort returns a bindable port', async () => {
    const p = await h.freePort();
    assert.ok(Number.isInteger(p) && p > 0 && p < 65536);
  });
});

// The error-log check that fails a group after it ends (tests/lib/log.js).
describe('error-log check (no apache)', () => {
  const path = require('node:path');
  const os = require('node:os');
  const ts = '[Mon Dec 07 05:33:41.725550 2026]';
  const pid = '[pid 9129:tid 9140]';
  const SAMPLE = [
    `${ts} [mpm_event:notice] ${pid} AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations`,
    `${ts} [core:notice] ${pid} AH00094: Command line: '/usr/sbin/apache2 -f /tmp/x/httpd.conf -D FOREGROUND'`,
    `${ts} [secure_headers:info] ${pid} [client 127.0.0.1:40000] refused request with client-supplied header "!~Passenger-Proto"`,
    `${ts} [secure_headers:debug] ${pid} [client 127.0.0.1:40002] added !~Passenger-Client-Address (9 bytes)`,
    `${ts} [ssl:warn] ${pid} AH01909: 127.0.0.1:443:0 server certificate does NOT include an ID which matches the server name`,
    `${ts} [secure_headers:warn] ${pid} [client 127.0.0.1:40004] refused request with client-supplied header "!~Passenger-Proto"`,
    `${ts} [proxy:error] ${pid} (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:9 (127.0.0.1:9) failed`,
    `${ts} [core:crit] ${pid} AH00102: [Mon Dec 07 05:33:41 2026] file worker.c, line 1234, assertion "x" failed`,
    `${ts} [mpm_event:alert] ${pid} no listening sockets available, shutting down`,
    `${ts} [core:emerg] ${pid} AH00020: Configuration Failed, exiting`,
    `[Mon Dec 07 05:33:38.101010 2026] [core:notice] ${pid} AH00052: child pid 9141 exit signal Segmentation fault (11)`,
    `${ts} [mpm_event:notice] ${pid} AH00491: caught SIGTERM, shutting down`,
    '[Mon Dec 07 05:33:41 2026] [error] an old-style line without a module',
    'free(): invalid pointer',
    '',
  ].join('\n');
  const line = (re) => SAMPLE.split('\n').find((l) => re.test(l));

  test('parseErrorLogLine: module and level, or null', () => {
    assert.deepEqual(h.parseErrorLogLine(line(/AH01909/)), { module: 'ssl', level: 'warn' });
    assert.deepEqual(h.parseErrorLogLine(line(/old-style/)), { module: null, level: 'error' });
    assert.equal(h.parseErrorLogLine('free(): invalid pointer'), null);
    assert.equal(h.parseErrorLogLine(`${ts} [x:loud] ${pid} no such level`), null);
  });

  test('warn, error, crit, alert, emerg and a child killed by a signal fail; notice, info, debug do not', () => {
    assert.deepEqual(h.unexpectedErrorLines(SAMPLE), [
      line(/AH01909/), line(/secure_headers:warn/), line(/AH00957/), line(/AH00102/), line(/mpm_event:alert/),
      line(/AH00020/), line(/AH00052/), line(/old-style/),
    ]);
    assert.deepEqual(h.unexpectedErrorLines(SAMPLE.split('\n').slice(0, 4).join('\n')), []);
  });

  test('a child that dies within a second of "caught SIGTERM" is httpd\'s stop, not a failure; earlier it fails', () => {
    const stop = `${ts} [mpm_event:notice] ${pid} AH00491: caught SIGTERM, shutting down`;
    const crash = (t) => `[Mon Dec 07 05:33:${t} 2026] [core:notice] ${pid} AH00052: child pid 9141 exit signal Segmentation fault (11)`;
    assert.deepEqual(h.unexpectedErrorLines(`${crash('41.517696')}\n${stop}`), []);
    assert.deepEqual(h.unexpectedErrorLines(`${crash('40.900000')}\n${stop}`), []);
    assert.deepEqual(h.unexpectedErrorLines(`${crash('39.000000')}\n${stop}`), [crash('39.000000')]);
    assert.deepEqual(h.unexpectedErrorLines(crash('41.517696')), [crash('41.517696')]);
  });

  test('mpm_event\'s "error closing socket" (EBADF) within a second of "caught SIGTERM" passes; earlier, or another error, fails', () => {
    const stop = `${ts} [mpm_event:notice] ${pid} AH00491: caught SIGTERM, shutting down`;
    const close = (t, errno = '(9)Bad file descriptor') => `[Mon Dec 07 05:33:${t} 2026] [mpm_event:error] ${pid} ${errno}: AH00468: error closing socket`;
    assert.deepEqual(h.unexpectedErrorLines(`${stop}\n${close('41.856605')}`), []);
    assert.deepEqual(h.unexpectedErrorLines(`${stop}\n${close('43.000000')}`), [close('43.000000')]);
    assert.deepEqual(h.unexpectedErrorLines(close('41.856605')), [close('41.856605')]);
    const other = close('41.856605', '(104)Connection reset by peer');
    assert.deepEqual(h.unexpectedErrorLines(`${stop}\n${other}`), [other]);
  });

  test('the allow-list lets through exactly the lines its regexes match', () => {
    const allow = [/\[ssl:warn\] .*AH01909: /, /\[secure_headers:warn\] .*refused request with client-supplied header "!~Passenger-Proto"$/g];
    const left = h.unexpectedErrorLines(SAMPLE, allow);
    assert.deepEqual(left, [line(/AH00957/), line(/AH00102/), line(/mpm_event:alert/), line(/AH00020/), line(/AH00052/), line(/old-style/)]);
    // a /g regex matches every line, not every other one (lastIndex)
    const twice = `${line(/secure_headers:warn/)}\n${line(/secure_headers:warn/)}\n${line(/secure_headers:warn/)}`;
    assert.deepEqual(h.unexpectedErrorLines(twice, allow), []);
    // the same refusal of another name is not allowed by that regex
    assert.deepEqual(h.unexpectedErrorLines(twice.replace(/Proto"/g, 'Envvars"'), allow).length, 3);
    assert.throws(() => h.unexpectedErrorLines(SAMPLE, ['AH01909']), TypeError);
    assert.throws(() => h.useApache({ allow: 'x' }), TypeError);
    assert.throws(() => h.useApache({ allowed: [] }), /unknown option "allowed"/);
  });

  test('errorLogFiles: error_log first, the vhosts\' logs and stderr, never access_log; the assertion names file and line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-logcheck-'));
    try {
      fs.writeFileSync(path.join(dir, 'access_log'), `127.0.0.1 - - [x] "GET / HTTP/1.1" 500 12 ${line(/AH00957/)}\n`);
      fs.writeFileSync(path.join(dir, 'error_log'), SAMPLE.split('\n').slice(0, 3).join('\n'));
      fs.writeFileSync(path.join(dir, 'info_log'), `${line(/secure_headers:info/)}\n${line(/AH00957/)}\n`);
      fs.writeFileSync(path.join(dir, 'httpd.conf'), line(/AH00020/));
      fs.writeFileSync(path.join(dir, 'stderr'), '');
      fs.mkdirSync(path.join(dir, 'htdocs_log'));
      const files = h.errorLogFiles(dir);
      assert.deepEqual(files, [path.join(dir, 'error_log'), path.join(dir, 'info_log'), path.join(dir, 'stderr')]);
      h.assertNoUnexpectedErrors(files.slice(0, 1));
      assert.throws(() => h.assertNoUnexpectedErrors(files, [], 'group "g"'), (e) => {
        assert.match(e.message, /that group "g" does not expect/);
        assert.ok(e.message.includes(`--- ${path.join(dir, 'info_log')}\n${line(/AH00957/)}`), e.message);
        assert.ok(!e.message.includes('error_log\n'), e.message);
        return true;
      });
      h.assertNoUnexpectedErrors(files, [/AH00957: /]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// useApache() end to end: a group whose Apache logs an error it did not
// declare fails after its tests passed; declared, the same group passes.
describe('useApache(): the check fails a group (apache, no module)', h.needFor({}), () => {
  test('one group fails on its unexpected AH00957, the other allows it and passes', () => {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', `${h.REPO}/tests/fixtures/log-check/groups.js`],
      // its own test run, not a subtest of this one
      { encoding: 'utf8', timeout: 120000, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')) });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    assert.match(out, /^not ok 1 - unexpected proxy errors$/m, out);
    assert.match(out, /^ok 2 - expected proxy errors$/m, out);
    // the failure is the after hook's, naming the lines
    assert.match(out, /does not expect[\s\S]*\[proxy:error\] [^\n]*AH00957: /, out);
    // both tests themselves passed
    assert.match(out, /^# tests 2$/m);
    assert.match(out, /^# pass 2$/m);
  });
});

describe('ClientHello server_name (no apache)', () => {
  // A TLS server that answers with the server_name it received.
  async function sniServer() {
    const http2 = require('node:http2');
    const { certPath, keyPath } = h.ensureCert();
    const srv = http2.createSecureServer({ key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) },
      (req, res) => res.end(JSON.stringify(req.socket.servername || null)));
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    return srv;
  }

  test('h2request reports the server_name its ClientHello carried, as the server received it', async () => {
    const srv = await sniServer();
    try {
      const r = await h.h2request(srv.address().port, { path: '/sni' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.sni, JSON.parse(r.body));
    } finally { srv.close(); }
  });

  test('h2connect with an explicit servername: the bytes carry it', async () => {
    const srv = await sniServer();
    try {
      const session = h.h2connect(`https://127.0.0.1:${srv.address().port}`, { rejectUnauthorized: false, servername: 'localhost' });
      const body = await new Promise((resolve, reject) => {
        session.on('error', reject);
        const st = session.request({ ':path': '/' });
        let b = '';
        st.setEncoding('utf8');
        st.on('data', (d) => { b += d; });
        st.on('end', () => resolve(b));
        st.on('error', reject);
      });
      assert.equal(session.sni(), 'localhost');
      assert.equal(JSON.parse(body), 'localhost');
      session.close();
    } finally { srv.close(); }
  });

  test('clientHelloSni waits for a whole ClientHello and refuses other bytes', () => {
    assert.equal(h.clientHelloSni(Buffer.from([22, 3, 1, 0, 200, 1, 0])), undefined);
    assert.throws(() => h.clientHelloSni(Buffer.from('GET / HTTP/1.1\r\n\r\n')), /not a TLS handshake/);
  });
});

describe('backend (direct, no apache)', () => {
  let be;
  before(async () => { be = await h.startBackend(); });
  after(async () => { if (be) await be.close(); });

  test('echoes raw header names unchanged, including !~ names', async () => {
    const r = await h.request(be.port, {
      path: '/direct?x=1',
      headers: [['!~Passenger-Proto', 'spoof'], ['X-Dup', 'a'], ['x-dup', 'b']],
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.url, '/direct?x=1');
    assert.deepEqual(h.secureHeaders(r.json), [['!~Passenger-Proto', 'spoof']]);
    const rh = r.json.rawHeaders;
    assert.deepEqual(rh.slice(rh.indexOf('X-Dup'), rh.indexOf('X-Dup') + 4), ['X-Dup', 'a', 'x-dup', 'b']);
    assert.equal(be.requests.at(-1).url, '/direct?x=1');
  });

  test('/status/NNN, /slow, chunked body with trailers', async () => {
    const r = await h.request(be.port, { path: '/status/418' });
    assert.equal(r.status, 418);
    assert.equal(r.json.url, '/status/418');
    const t0 = Date.now();
    const s = await h.request(be.port, { path: '/slow' });
    assert.equal(s.status, 200);
    assert.ok(Date.now() - t0 >= 190);
    const c = await h.request(be.port, {
      method: 'POST', path: '/chunked',
      headers: [['Transfer-Encoding', 'chunked'], ['Trailer', 'X-T']],
      body: '5\r\nhello\r\n0\r\nX-T: tv\r\n\r\n',
    });
    assert.equal(c.status, 200);
    assert.equal(Buffer.from(c.json.body, 'base64').toString(), 'hello');
    assert.deepEqual(c.json.trailers, ['X-T', 'tv']);
  });

  test('oversized headers give 431 like real Node', async () => {
    const r = await h.request(be.port, { headers: { 'X-Big': 'a'.repeat(17000) } });
    assert.equal(r.status, 431);
  });

  test('websocket directly', async () => {
    const w = await h.websocket(be.port, '/wsdirect', { 'X-Hello': 'ws' });
    assert.equal(w.status, 101);
    assert.ok(w.acceptOk);
    assert.equal(w.json.url, '/wsdirect');
    assert.equal(w.json.headers['x-hello'], 'ws');
  });
});

describe('apache + mod_proxy without the module', () => {
  const fx = h.useApache({
    backends: {
      be: {},
      be6: { host: '::1' },
      // A separate backend for WebSocket: a second ProxyPass to the SAME URL
      // shares the first one's worker and its upgrade= parameter is ignored
      // (AH01146 "Ignoring parameter ... because of worker sharing").
      bews: {},
    },
    apache: ({ be, be6, bews }) => ({
      loadSecureHeaders: false,
      tls: true,
      h2: true,
      ipv6: true,
      modules: ['proxy_wstunnel'],
      vars: { BACKEND: be.url, BACKEND6: be6.url },
      body: [
        'ProxyPass /app/ ${BACKEND}/',
        'ProxyPass /app6/ ${BACKEND6}/',
        h.websocketProxyPass('/ws/', `${bews.url}/`),
        h.tlsVhost('ProxyPass /app/ ${BACKEND}/'),
      ].join('\n'),
    }),
  });

  test('GET is proxied and the backend echo comes back', async () => {
    const n = fx.be.requests.length;
    const r = await h.request(fx.ap.port, { path: '/app/hello?q=1', headers: { 'X-Test': 'one' } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.method, 'GET');
    assert.equal(r.json.url, '/hello?q=1');
    assert.equal(r.json.headers['x-test'], 'one');
    assert.equal(r.json.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(fx.be.requests.length, n + 1);
    assert.deepEqual(fx.be.requests.at(-1), r.json);
    // Without the module, a client-sent !~ header goes straight through:
    const s = await h.request(fx.ap.port, { path: '/app/spoof', headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.equal(s.status, 200);
    assert.deepEqual(h.secureHeaders(s.json), [['!~Passenger-Client-Address', '6.6.6.6']]);
  });

  test('POST body round-trips (binary)', async () => {
    const body = crypto.randomBytes(5000);
    const r = await h.request(fx.ap.port, { method: 'POST', path: '/app/post', body, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.method, 'POST');
    assert.ok(Buffer.from(r.json.body, 'base64').equals(body));
  });

  test('backend status passes through', async () => {
    const r = await h.request(fx.ap.port, { path: '/app/status/503' });
    assert.equal(r.status, 503);
    assert.equal(r.json.url, '/status/503');
  });

  test('HTTP/1.0 request', async () => {
    const r = await h.request10(fx.ap.port, { path: '/app/ten' });
    assert.equal(r.status, 200);
    assert.equal(r.json.url, '/ten');
    assert.equal(r.json.method, 'GET');
  });

  test('non-proxied request is served statically', async () => {
    const r = await h.request(fx.ap.port, { path: '/static.txt' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'static file\n');
  });

  test('keep-alive: 3 requests on one connection', async () => {
    const n = fx.be.requests.length;
    const rs = await h.keepAlive(fx.ap.port, [
      { path: '/app/k1' },
      { method: 'POST', path: '/app/k2', body: 'second' },
      { path: '/app/k3', headers: { Connection: 'close' } },
    ]);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(rs.map((r) => r.json.url), ['/k1', '/k2', '/k3']);
    assert.equal(Buffer.from(rs[1].json.body, 'base64').toString(), 'second');
    assert.equal(new Set(rs.map((r) => r.localPort)).size, 1);
    assert.equal(fx.be.requests.length, n + 3);
  });

  test('raw(): pipelined requests', async () => {
    const txt = await h.raw(fx.ap.port,
      'GET /app/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /app/p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const rs = h.parseResponses(txt);
    assert.deepEqual(rs.map((r) => r.status), [200, 200]);
    assert.deepEqual(rs.map((r) => r.json.url), ['/p1', '/p2']);
  });

  test('raw(): malformed request gets 400', async () => {
    const txt = await h.raw(fx.ap.port, 'GET /app/x HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    assert.match(txt, /^HTTP\/1\.1 400 /);
  });

  test('WebSocket upgrade through ProxyPass upgrade=websocket (ws:// before 2.4.47)', async () => {
    const n = fx.bews.requests.length;
    const w = await h.websocket(fx.ap.port, '/ws/chat?room=1', { 'X-Ws': 'yes' });
    assert.equal(w.status, 101);
    assert.ok(w.acceptOk, 'Sec-WebSocket-Accept matches');
    assert.equal(w.json.url, '/chat?room=1');
    assert.equal(w.json.headers.upgrade.toLowerCase(), 'websocket');
    assert.equal(w.json.headers['x-ws'], 'yes');
    assert.equal(fx.bews.requests.length, n + 1);
  });

  test('IPv6 listener (and IPv6 backend)', async () => {
    const r = await h.request(fx.ap.port6, { host: '::1', path: '/app/v6' });
    assert.equal(r.status, 200);
    assert.equal(r.json.url, '/v6');
    assert.equal(r.json.headers['x-forwarded-for'], '::1');
    const r6 = await h.request(fx.ap.port6, { host: '::1', path: '/app6/b6' });
    assert.equal(r6.status, 200);
    assert.equal(r6.json.url, '/b6');
    assert.equal(fx.be6.requests.at(-1).url, '/b6');
  });

  test('TLS (HTTP/1.1)', async () => {
    const r = await h.request(fx.ap.tlsPort, { tls: true, path: '/app/tls' });
    assert.equal(r.status, 200);
    assert.equal(r.json.url, '/tls');
    const k = await h.keepAlive(fx.ap.tlsPort, [{ path: '/app/t1' }, { path: '/app/t2' }], { tls: true });
    assert.deepEqual(k.map((x) => x.json.url), ['/t1', '/t2']);
  });

  test('HTTP/2 over TLS', async () => {
    const n = fx.be.requests.length;
    const r = await h.h2request(fx.ap.tlsPort, { path: '/app/h2?z=9', headers: { 'x-h2': 'yes' } });
    assert.equal(r.alpnProtocol, 'h2');
    assert.equal(r.status, 200);
    assert.equal(r.json.url, '/h2?z=9');
    assert.equal(r.json.headers['x-h2'], 'yes');
    assert.equal(fx.be.requests.length, n + 1);
    assert.equal(fx.be.requests.at(-1).url, '/h2?z=9');
    const p = await h.h2request(fx.ap.tlsPort, { method: 'POST', path: '/app/h2post', body: 'h2 body' });
    assert.equal(p.status, 200);
    assert.equal(Buffer.from(p.json.body, 'base64').toString(), 'h2 body');
  });

  test('logs are readable', () => {
    assert.doesNotMatch(fx.ap.errorLog(), /AH01146/);
    assert.match(fx.ap.accessLog(), /"GET \/app\/hello\?q=1 HTTP\/1\.1" 200/);
    assert.match(fx.ap.errorLog(), /resuming normal operations/);
  });

  test('graceful reload keeps serving', async () => {
    await fx.ap.reload();
    const r = await h.request(fx.ap.port, { path: '/app/after-reload' });
    assert.equal(r.status, 200);
    assert.equal(r.json.url, '/after-reload');
    assert.match(fx.ap.errorLog(), /Doing graceful restart/);
  });
});

describe('configtest', () => {
  test('good config passes, bad config fails with a message', async () => {
    const ok = await h.configtest('ProxyPass /app/ http://127.0.0.1:9/', { loadSecureHeaders: false });
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /Syntax OK/);
    const bad = await h.configtest('NoSuchDirective on', { loadSecureHeaders: false });
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /NoSuchDirective/);
  });
});

// scripts/ensure-deps decides what the README's two commands install. On a
// fresh Debian 12 there is no node: it must ask for Debian's nodejs and npm.
// Run unprivileged (as nobody when the suite is root), so it only reports
// what it would install and never calls apt-get; PATH holds just the tools
// the script uses, with or without a node.
describe('scripts/ensure-deps', () => {
  const os = require('node:os');
  const path = require('node:path');
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-deps-'));
    fs.chmodSync(dir, 0o755);
    for (const d of ['nonode', 'withnode']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    for (const tool of ['dpkg-query', 'grep', 'sort', 'id']) {
      const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      assert.ok(real, `${tool} is on this machine`);
      for (const d of ['nonode', 'withnode']) fs.symlinkSync(real, path.join(dir, d, tool));
    }
    // Stand-ins that answer the two questions the script asks a node
    // (`node -p <major>`, `node --version`): this node's answers, and an old
    // one's. The real binary may need libraries from a LD_LIBRARY_PATH that
    // nobody cannot read (make test-node18).
    const fakeNode = (version) => `#!/bin/bash\ncase "$1" in -p) echo ${version.split('.')[0].slice(1)} ;; --version) echo ${version} ;; esac\n`;
    fs.writeFileSync(path.join(dir, 'withnode', 'node'), fakeNode(process.version), { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'oldnode'), { mode: 0o755 });
    for (const tool of fs.readdirSync(path.join(dir, 'nonode'))) {
      fs.symlinkSync(fs.readlinkSync(path.join(dir, 'nonode', tool)), path.join(dir, 'oldnode', tool));
    }
    fs.writeFileSync(path.join(dir, 'oldnode', 'node'), fakeNode('v16.20.2'), { mode: 0o755 });
    // a copy nobody can read, wherever the clone is
    fs.copyFileSync(path.join(h.REPO, 'scripts', 'ensure-deps'), path.join(dir, 'ensure-deps'));
    fs.chmodSync(path.join(dir, 'ensure-deps'), 0o755);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (bin, sets) => {
    const argv = ['/bin/bash', path.join(dir, 'ensure-deps'), ...sets];
    const asNobody = process.getuid() === 0
      ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
    return spawnSync(asNobody[0], asNobody.slice(1), {
      encoding: 'utf8', env: { PATH: path.join(dir, bin), LANG: 'C' }, cwd: '/',
    });
  };
  const missing = (r) => ((/^Missing packages: (.*)$/m.exec(r.stderr) || [])[1] || '').split(' ').filter(Boolean);

  test('no node on the machine: Debian\'s nodejs and npm are asked for, with the command to run', () => {
    const r = run('nonode', ['test']);
    assert.equal(r.status, 1, r.stderr);
    const pkgs = missing(r);
    assert.ok(pkgs.includes('nodejs') && pkgs.includes('npm'), r.stderr);
    assert.match(r.stderr, /^Run as root: {2}sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y .*\bnodejs npm'$/m);
  });

  test(`a node of 18 or newer (${process.version}): neither is asked for`, () => {
    const r = run('withnode', ['test']);
    assert.ok(!missing(r).includes('nodejs') && !missing(r).includes('npm'), r.stderr);
    // this machine has the test set installed, so nothing at all is missing
    assert.equal(r.status, 0, r.stderr);
  });

  test('a node older than 18: refused, naming it', () => {
    const r = run('oldnode', ['test']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^ensure-deps: Node.js 18 or newer is needed; ${dir}/oldnode/node is v16.20.2$`, 'm'));
  });

  test('an unknown set is refused', () => {
    const r = run('withnode', ['tset']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^ensure-deps: unknown set 'tset'$/m);
  });
});
