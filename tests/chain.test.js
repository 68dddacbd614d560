// SPDX-License-Identifier: MIT
'use strict';
// Apache behind Apache (docs/chaining.md): trust that composes across Apache tiers, on
// loopback (the multi-host version, in network namespaces, is
// tests/multihost.test.js).
//
//  - Self-proxying: a virtual host proxying to itself or to another virtual
//    host of the same server works with nothing configured (the self proof),
//    and a backend that is sent a self proof can do nothing with it.
//  - Two servers: an inner one refuses an edge's requests, with a warning
//    that names the directive, until it names the edge by address or key;
//    then the application gets the edge's values (Pass) or the inner's
//    (Recompute); replayed, expired and foreign requests stay refused.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const h = require('./lib/harness');
const sig = require('./lib/signature');
const { ensureNpmDeps } = require('./lib/npm');

const SKIP_REASON = ensureNpmDeps(sig.INTEROP);
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-chainkeys-'));
fs.chmodSync(keyDir, 0o755);
process.on('exit', () => fs.rmSync(keyDir, { recursive: true, force: true }));
const EDGE = sig.keyFiles(path.join(fs.mkdtempSync(path.join(keyDir, 'e')), ''));
const INNER = sig.keyFiles(path.join(fs.mkdtempSync(path.join(keyDir, 'i')), ''));
const OTHER = sig.keyFiles(path.join(fs.mkdtempSync(path.join(keyDir, 'o')), ''));

function envOf(echo) {
  return Object.fromEntries(h.envvarsOf(echo) || []);
}

function secureNames(echo) {
  return h.secureHeaders(echo).map(([n]) => n);
}

const { startTap } = h;

describe('self-proxying: one server, nothing configured', () => {
  let be; let evil; let ap; let port2;

  before(async () => {
    be = await h.startBackend();
    // A backend on 127.0.0.2 at a port the server also listens on (on
    // 127.0.0.1): it is sent the self proof, and will try to use it.
    evil = await h.startBackend({ host: '127.0.0.2' });
    port2 = evil.port;
    ap = await h.startApache({
      tls: true,
      vars: { BE: be.url, PORT2: port2 },
      body: `
Listen 127.0.0.1:\${PORT2}
SSLProxyEngine On
SSLProxyVerify none
SSLProxyCheckPeerName off
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName 127.0.0.1
  SetEnv OUTER front
  ProxyPass /same/ http://127.0.0.1:\${PORT}/app/
  ProxyPass /app/ \${BE}/app/
  ProxyPass /other/ http://127.0.0.1:\${PORT2}/
  ProxyPass /local/ http://localhost:\${PORT2}/
  ProxyPass /dbl http://127.0.0.1:\${PORT2}/
  <Location /keep/>
    ProxyPreserveHost On
    ProxyPass http://127.0.0.1:\${PORT2}/
  </Location>
  <Location /evil/>
    ProxyPass http://127.0.0.2:\${PORT2}/evil/
  </Location>
  <Location /evilkeep/>
    ProxyPreserveHost On
    ProxyPass http://127.0.0.2:\${PORT2}/evilkeep/
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:\${PORT2}>
  ServerName 127.0.0.1
  SetEnv INNER back
  <Location /rc/>
    SecureHeadersUpstreamValues Recompute
  </Location>
  ProxyPass / \${BE}/inner/
</VirtualHost>
${h.tlsVhost('SetEnv OUTER tls\n ProxyPass /other/ http://127.0.0.1:${PORT2}/\n ProxyPass /backtls/ https://127.0.0.1:${TLSPORT}/self/\n ProxyPass /self/ ${BE}/self/')}
`,
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    for (const b of [be, evil]) if (b) await b.close();
  });

  test('a virtual host proxying to itself: 200, one set of the first hop\'s values', async () => {
    const r = await h.request(ap.port, { path: '/same/x?q=1' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/app/x?q=1');
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.deepEqual(envOf(r.json), { OUTER: 'front' });
    assert.deepEqual(h.rawValues(r.json, '!~passenger-client-address'), ['127.0.0.1']);
  });

  test('to another virtual host on another port: Pass (the default) gives the first hop\'s values', async () => {
    let r = await h.request(ap.port, { path: '/other/y' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/inner/y');
    assert.deepEqual(envOf(r.json), { OUTER: 'front' });
    r = await h.request(ap.port, { path: '/local/y' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(envOf(r.json), { OUTER: 'front' }, 'the URL may say localhost');
  });

  test('a target path that starts with "//" (ProxyPass /dbl http://host/, as httpd\'s own balancer test sends)', async () => {
    const r = await h.request(ap.port, { path: '/dbl/x?y' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(envOf(r.json), { OUTER: 'front' });
  });

  test('Recompute: the inner virtual host\'s own values instead', async () => {
    const r = await h.request(ap.port, { path: '/other/rc/z' });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(envOf(r.json), { INNER: 'back' });
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
  });

  test('from TLS to plain HTTP: Pass keeps https, Recompute drops it', async () => {
    let r = await h.request(ap.tlsPort, { path: '/other/t', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(envOf(r.json).OUTER, 'tls');
    assert.equal(envOf(r.json).HTTPS, 'on');
    r = await h.request(ap.tlsPort, { path: '/other/rc/t', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.deepEqual(envOf(r.json), { INNER: 'back' });
  });

  test('TLS to itself (https://, SSLProxyEngine) and ProxyPreserveHost On', async () => {
    let r = await h.request(ap.tlsPort, { path: '/backtls/s', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/self/s');
    r = await h.request(ap.port, { path: '/keep/p', headers: { Host: `Whatever.Example:${ap.port}` } });
    assert.equal(r.status, 200, r.body);
    // The inner virtual host got Host: Whatever.Example, a name it does not
    // have: the proof's own target (127.0.0.1:PORT2) is what must be ours.
    assert.deepEqual(envOf(r.json), { OUTER: 'front' });
  });

  test('the application never sees the self proof; the server logs no refusal', async () => {
    const r = await h.request(ap.port, { path: '/same/clean' });
    assert.ok(!r.json.rawHeaders.some((n) => /^!~secure-headers-self$/i.test(n)));
    assert.doesNotMatch(ap.errorLog(), /refused/);
  });

  test('a client cannot send a self proof of its own making', async () => {
    const n = be.requests.length;
    const forged = 'input=("@method" "@authority" "@path" "@query");created=1;expires=9999999999;nonce="AAAAAAAAAAAAAAAAAAAAAA";' +
      'target="127.0.0.1:1";keyid="instance-0000000000000000";alg="hmac-sha256";tag="mod_secure_headers", sig=:AAAA:';
    const r = await h.request(port2, { path: '/x', headers: { '!~Secure-Headers-Self': forged, '!~Passenger-Client-Address': '6.6.6.6' } });
    assert.equal(r.status, 400);
    assert.equal(be.requests.length, n);
  });

  // The attack the self proof invites: a backend that is sent one (here
  // because it listens, on another address, on a port the server has).
  async function captured(route) {
    const n = evil.requests.length;
    const r = await h.request(ap.port, { path: `${route}cap`, headers: { 'User-Agent': 'victim' } });
    assert.equal(r.status, 200);
    assert.equal(evil.requests.length, n + 1);
    const echo = evil.requests[n];
    const proof = h.rawValues(echo, '!~secure-headers-self');
    assert.equal(proof.length, 1, 'the port-coincident backend is sent a proof');
    const headers = [];
    for (let i = 0; i + 1 < echo.rawHeaders.length; i += 2) {
      if (!/^(connection|content-length)$/i.test(echo.rawHeaders[i])) headers.push([echo.rawHeaders[i], echo.rawHeaders[i + 1]]);
    }
    return { echo, headers };
  }

  test('backend attack: replaying a self proof it was sent, exactly -> 400 (it names another server)', async () => {
    const { echo, headers } = await captured('/evil/');
    const n = be.requests.length;
    const r = await h.request(port2, { path: echo.url, headers, autoHeaders: false });
    assert.equal(r.status, 400);
    assert.equal(be.requests.length, n);
  });

  test('backend attack: with ProxyPreserveHost the proof still names 127.0.0.2 -> 400 at 127.0.0.1', async () => {
    const { echo, headers } = await captured('/evilkeep/');
    assert.deepEqual(h.rawValues(echo, 'host'), [`127.0.0.1:${ap.port}`]);
    for (const port of [port2, ap.port]) {
      const r = await h.request(port, { path: echo.url, headers, autoHeaders: false });
      assert.equal(r.status, 400);
    }
  });

  test('backend attack: a changed client address or path under a captured proof -> 400', async () => {
    const { echo, headers } = await captured('/evil/');
    const changed = headers.map(([k, v]) => [k, /^!~passenger-client-address$/i.test(k) ? '203.0.113.1' : v]);
    const n = be.requests.length;
    let r = await h.request(port2, { path: echo.url, headers: changed, autoHeaders: false });
    assert.equal(r.status, 400);
    r = await h.request(port2, { path: '/inner/other', headers, autoHeaders: false });
    assert.equal(r.status, 400);
    assert.equal(be.requests.length, n);
  });
});

describe('two servers: an edge in front of an inner server', SKIP, () => {
  // Inner servers with different settings, one edge in front of each.
  let app; let inners; let edge; let tap;

  async function inner(name, extra) {
    return h.startApache({
      vars: { APP: app.url, EDGEPUB: EDGE.ed25519.pub, OTHERPUB: OTHER.ed25519.pub, INNERKEY: INNER.hmac.file },
      body: `SetEnv INNER ${name}\n${extra}\nProxyPass / \${APP}/${name}/\n<Location /rc/>\n SecureHeadersUpstreamValues Recompute\n</Location>`,
    });
  }

  before(async () => {
    app = await h.startBackend();
    inners = {
      none: await inner('none', ''),
      addr: await inner('addr', 'SecureHeadersUpstream 127.0.0.1'),
      other: await inner('other', 'SecureHeadersUpstream 127.0.0.2 10.0.0.0/8 ::1'),
      key: await inner('key', 'SecureHeadersUpstreamKey edge-key ed25519 ${EDGEPUB}\nSecureHeadersUpstream key=edge-key\n' +
        'SecureHeadersSignKey inner-key hmac-sha256 ${INNERKEY}'),
      wrong: await inner('wrong', 'SecureHeadersUpstreamKey edge-key ed25519 ${OTHERPUB}\nSecureHeadersUpstream key=edge-key'),
    };
    tap = await startTap(inners.key.port);
    const routes = Object.entries(inners).map(([name, ap]) => `ProxyPass /${name}/ http://127.0.0.1:${ap.port}/`).join('\n');
    edge = await h.startApache({
      tls: true,
      vars: { EDGEKEY: EDGE.ed25519.file, TAP: tap.port, KEYPORT: inners.key.port },
      body: `
SetEnv EDGE yes
SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}
${routes}
<Location /tap/>
  SetEnv proxy-nokeepalive 1
  SecureHeadersSignLifetime 2
  ProxyPreserveHost On
  ProxyPass http://127.0.0.1:\${TAP}/
</Location>
${h.tlsVhost(`SetEnv EDGE tls\n SecureHeadersSignKey edge-key ed25519 \${EDGEKEY}\n ${routes.split('\n').join('\n ')}`)}
`,
    });
  });
  after(async () => {
    if (edge) await edge.stop();
    for (const ap of Object.values(inners || {})) await ap.stop();
    if (tap) await tap.close();
    if (app) await app.close();
  });

  test('an inner server that names no upstream: 400, and a warning at the default LogLevel naming the directive', async () => {
    const r = await h.request(edge.port, { path: '/none/a' });
    assert.equal(r.status, 400);
    const log = inners.none.errorLog();
    assert.match(log, /\[secure_headers:warn\] .*refused request from 127\.0\.0\.1 carrying another server's secure headers .*name it with "SecureHeadersUpstream 127\.0\.0\.1" or, for its signature, "SecureHeadersUpstream key=edge-key" and SecureHeadersUpstreamKey/);
  });

  test('named by address: Pass gives the application what the edge saw', async () => {
    const r = await h.request(edge.tlsPort, { path: '/addr/b', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/addr/b');
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.equal(envOf(r.json).EDGE, 'tls');
    assert.equal(envOf(r.json).INNER, undefined);
    assert.deepEqual(h.rawValues(r.json, 'signature-input'), [], 'the edge\'s signature was for the inner server only');
  });

  test('named by address: Recompute gives the inner server\'s own', async () => {
    const r = await h.request(edge.tlsPort, { path: '/addr/rc/c', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Client-Address', '!~Passenger-Envvars']);
    assert.deepEqual(envOf(r.json), { INNER: 'addr' });
  });

  test('an inner server that names other addresses: 400', async () => {
    const r = await h.request(edge.port, { path: '/other/d' });
    assert.equal(r.status, 400);
  });

  test('named by key: verified, passed on and signed again by the inner server for the application', async () => {
    const r = await h.request(edge.tlsPort, { path: '/key/e?x=1', tls: true });
    assert.equal(r.status, 200, r.body);
    assert.equal(envOf(r.json).EDGE, 'tls');
    assert.deepEqual(secureNames(r.json), ['!~Passenger-Proto', '!~Passenger-Client-Address', '!~Passenger-Envvars']);
    const s = sig.moduleSignature(r.json);
    assert.equal(s.keyid, 'inner-key');
    assert.equal(await sig.verifyWithLibrary(r.json, { 'inner-key': INNER.hmac }), true);
  });

  test('named by key, but the edge signs with another key: 400, warned', async () => {
    const r = await h.request(edge.port, { path: '/wrong/f' });
    assert.equal(r.status, 400);
    assert.match(inners.wrong.errorLog(), /\[secure_headers:warn\] .*its signature by key 'edge-key' was refused: the signature does not verify/);
  });

  test('a client talking to the inner server directly with forged headers: 400 everywhere', async () => {
    for (const ap of Object.values(inners)) {
      if (ap === inners.addr) continue; // trusts 127.0.0.1, where this client is
      const r = await h.request(ap.port, { path: '/g', headers: { '!~Passenger-Client-Address': '6.6.6.6' } });
      assert.equal(r.status, 400);
    }
  });

  test('trust is by the peer address, never by a header: X-Forwarded-For / X-Real-IP claiming a named upstream -> 400', async () => {
    const r = await h.request(inners.other.port, {
      path: '/h', headers: { 'X-Forwarded-For': '127.0.0.2', 'X-Real-IP': '127.0.0.2', '!~Passenger-Client-Address': '6.6.6.6' },
    });
    assert.equal(r.status, 400);
  });

  test('a connection really from 127.0.0.2 is trusted by "other"', async () => {
    const c = new net.Socket();
    const reply = await new Promise((resolve, reject) => {
      let data = '';
      c.connect({ host: '127.0.0.1', port: inners.other.port, localAddress: '127.0.0.2' }, () => {
        c.end(`GET /i HTTP/1.1\r\nHost: 127.0.0.1\r\n!~Passenger-Client-Address: 198.51.100.4\r\nConnection: close\r\n\r\n`);
      });
      c.on('data', (d) => { data += d; });
      c.on('end', () => resolve(data));
      c.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 200 /);
    const echo = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(h.rawValues(echo, '!~passenger-client-address'), ['198.51.100.4']);
  });

  test('a signed request captured on the wire and replayed: first delivery 200, the replay 400', async () => {
    const n = tap.seen.length;
    const r = await h.request(edge.port, { path: '/tap/j', headers: { Host: `127.0.0.1:${inners.key.port}` } });
    assert.equal(r.status, 200, r.body);
    assert.equal(tap.seen.length, n + 1);
    const bytes = tap.seen[n].bytes.toString('latin1');
    assert.match(bytes, /^Signature-Input: secure-headers=/m);
    const again = await h.raw(inners.key.port, bytes, { end: true });
    assert.match(again, /^HTTP\/1\.1 400 /);
    assert.match(inners.key.errorLog(), /its signature by key 'edge-key' was refused: it was seen before: a replay/);
  });

  test('a captured signed request sent after it expired (lifetime 2 s, skew 5 s): 400', async () => {
    const n = tap.seen.length;
    const r = await h.request(edge.port, { path: '/tap/k', headers: { Host: `127.0.0.1:${inners.key.port}` } });
    assert.equal(r.status, 200, r.body);
    // The very bytes, unchanged: only time passes (the nonce was used by
    // the first delivery too, but expiry is checked first, and logged).
    const bytes = tap.seen[n].bytes.toString('latin1');
    await h.sleep(8000);
    const again = await h.raw(inners.key.port, bytes, { end: true });
    assert.match(again, /^HTTP\/1\.1 400 /);
    assert.match(inners.key.errorLog(), /was refused: it has expired/);
  });
});

describe('configtest: SecureHeadersUpstream, SecureHeadersUpstreamKey, SecureHeadersUpstreamValues', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-upkeys-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name, data, mode) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data, { mode });
    fs.chmodSync(p, mode);
    return p;
  };

  test('bad values fail with a message naming the directive and the value', async () => {
    const cases = [
      ['SecureHeadersUpstream 10.0.0.0/33', /SecureHeadersUpstream: '10\.0\.0\.0\/33' is not a valid address block/],
      ['SecureHeadersUpstream edge.example', /SecureHeadersUpstream: 'edge\.example' is neither an IPv4 or IPv6 address, nor a CIDR block/],
      ['SecureHeadersUpstream 10.1', /SecureHeadersUpstream: '10\.1' is neither an IPv4 or IPv6 address/],
      ['SecureHeadersUpstream key=', /SecureHeadersUpstream: 'key=': the key id is empty/],
      ['SecureHeadersUpstream key=nobody', /SecureHeadersUpstream: key id 'nobody' .* is not defined by SecureHeadersUpstreamKey/],
      ['<VirtualHost 127.0.0.1:${PORT}>\nSecureHeadersUpstream key=late\n</VirtualHost>',
        /SecureHeadersUpstream: key id 'late' \(in .*:\d+\) is not defined by SecureHeadersUpstreamKey/],
      [`SecureHeadersUpstreamKey k hmac-sha256 ${file('open.key', Buffer.alloc(32, 2), 0o644)}`,
        /SecureHeadersUpstreamKey: key file .*open\.key is readable by group or others/],
      [`SecureHeadersUpstreamKey k ed25519 ${EDGE.ecdsa.pub}`, /SecureHeadersUpstreamKey: .*the key's type is EC, not Ed25519/],
      ['SecureHeadersUpstreamValues Maybe', /SecureHeadersUpstreamValues: 'Maybe' is neither Pass nor Recompute/],
      ['<Location /x>\nSecureHeadersUpstream 10.0.0.1\n</Location>', /SecureHeadersUpstream not allowed in <Location> context/],
    ];
    for (const [line, re] of cases) {
      const r = await h.configtest(line);
      assert.notEqual(r.code, 0, `${line}: configtest passed`);
      assert.match(r.output, re, line);
    }
  });

  test('good ones pass: addresses, blocks, IPv6, keys declared after use, a public key readable by all', async () => {
    const pub = file('pub.pem', fs.readFileSync(EDGE.ed25519.pub), 0o644);
    const r = await h.configtest(`SecureHeadersUpstream 192.0.2.10 10.0.0.0/8 2001:db8::/32 ::1 key=edge-2026-12
SecureHeadersUpstreamKey edge-2026-12 ed25519 ${pub}
SecureHeadersUpstreamValues Recompute
<Location /p/>
  SecureHeadersUpstreamValues Pass
</Location>`);
    assert.equal(r.code, 0, r.output);
  });
});
