// SPDX-License-Identifier: MIT
'use strict';
// passenger-secure-headers (node/) as users get it (its npm pack tarball
// installed into a scratch app) in real Express 4, Express 5, Fastify 5,
// Koa 3 and node:http applications (tests/frameworks/, pinned by its
// package-lock.json), from CommonJS and from ESM:
//
//  * behind real Apache with mod_secure_headers, unsigned: HTTP/1.1,
//    HTTP/2 (Apache's h2 front side), TLS, an IPv6 client, a mod_remoteip
//    chain, spoofed X-Forwarded-*, SecureHeadersXForwarded On, the
//    frameworks' own proxy trust on, express-rate-limit;
//  * signed (sent straight to the apps as Apache would forward them, signed
//    by the tests' own signer and by the independent http-message-signatures
//    package, and checked both ways): hmac-sha256, ed25519 and
//    ecdsa-p256-sha256, replays, tampering, pinned authority, strict mode;
//  * signed end to end: Apache signs (SecureHeadersSignKey, hmac-sha256,
//    ed25519, ecdsa-p256-sha256) and each framework verifies, over HTTP/1.1,
//    HTTP/2, TLS and IPv6, with X-Forwarded-* covered or not, authority
//    pinning and replay of a captured request;
//  * tsc --strict on a sample against the package's declarations.
//
// Every expectation is computed from what the client sent.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const F = require('./lib/frameworks');
const { sign, testKeys } = require('../node/tests/signer');

const SKIP_REASON = F.install();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const FRAMEWORKS = ['express4', 'express5', 'fastify', 'koa', 'http'];
const SPOOF = [
  ['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'https'],
  ['Forwarded', 'for=6.6.6.6;proto=https;host=evil.example'],
];

function hostnameOf(host) {
  if (host[0] === '[') return host.slice(0, host.indexOf(']') + 1);
  const i = host.indexOf(':');
  return i < 0 ? host : host.slice(0, i);
}

// What each framework must now report for a request from `ip` over
// `protocol` for `host` (the Host, or X-Forwarded-Host, the client asked for).
function expected(fw, { ip, protocol, host }) {
  const hostname = hostnameOf(host);
  const e = { ip, protocol, hostname };
  if (fw === 'express4' || fw === 'express5') {
    Object.assign(e, { ips: [ip], secure: protocol === 'https', host: fw === 'express4' ? hostname : host });
  } else if (fw === 'fastify') {
    const m = /:(\d+)$/.exec(host);
    Object.assign(e, { ips: [ip], host, port: m ? Number(m[1]) : null });
  } else if (fw === 'koa') {
    Object.assign(e, { ips: [ip], secure: protocol === 'https', host, origin: `${protocol}://${host}` });
  } else {
    e.host = host;
  }
  return e;
}

function sameFacts(json, fw, facts, message) {
  const want = expected(fw, facts);
  const got = {};
  for (const k of Object.keys(want)) got[k] = json[k];
  assert.deepEqual(got, want, message);
}

async function waitFor(cond, what) {
  for (let i = 0; i < 100 && !cond(); i++) await h.sleep(20);
  assert.ok(cond(), what);
}

describe('passenger-secure-headers in real frameworks', SKIP, () => {
  let sc;
  before(() => { sc = F.scratch(); });

  test('the tarball holds exactly the package files, and installs with no dependency', () => {
    const files = sc.packed.files.map((f) => f.path).sort();
    assert.deepEqual(files, ['CHANGELOG.md', 'LICENSE', 'README.md', 'index.d.mts', 'index.d.ts', 'index.js', 'index.mjs',
      ...fs.readdirSync(path.join(h.REPO, 'node', 'lib')).map((f) => `lib/${f}`), 'package.json'].sort());
    const pkg = JSON.parse(fs.readFileSync(path.join(sc.appDir, 'node_modules', 'passenger-secure-headers', 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.engines.node, '>=18');
    assert.equal(pkg.license, 'MIT');
    const installedFiles = fs.readdirSync(path.join(sc.appDir, 'node_modules'));
    assert.deepEqual(installedFiles.filter((f) => !f.startsWith('.')), ['passenger-secure-headers'], 'nothing else was installed');
  });

  test('tsc --strict type-checks a CommonJS and an ESM sample against the declarations, and catches a type error', () => {
    const tsc = path.join(sc.bin, 'tsc');
    const ok = spawnSync(tsc, ['-p', sc.appDir], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const badDir = path.join(sc.dir, 'bad');
    fs.mkdirSync(badDir);
    fs.writeFileSync(path.join(badDir, 'bad.ts'), "import secure = require('passenger-secure-headers');\nconst n: number = secure.read({} as any).clientAddress;\nvoid n;\n");
    fs.writeFileSync(path.join(badDir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', types: ['node'], skipLibCheck: true }, files: ['bad.ts'] }));
    fs.mkdirSync(path.join(badDir, 'node_modules'));
    fs.symlinkSync(path.join(sc.appDir, 'node_modules', 'passenger-secure-headers'), path.join(badDir, 'node_modules', 'passenger-secure-headers'));
    const bad = spawnSync(tsc, ['-p', badDir], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /bad\.ts\(2,7\): error TS2322: Type 'string \| undefined' is not assignable to type 'number'/);
  });

  describe('behind Apache + mod_secure_headers, unsigned', () => {
    const apps = {};
    let ap;
    before(async () => {
      const starts = [];
      for (const fw of FRAMEWORKS) {
        starts.push(F.startApp(sc, { framework: fw }).then((a) => { apps[`${fw}`] = a; }));
        starts.push(F.startApp(sc, { framework: fw, esm: true }).then((a) => { apps[`${fw}-esm`] = a; }));
        starts.push(F.startApp(sc, { framework: fw, options: { xForwarded: true } }).then((a) => { apps[`${fw}-xf`] = a; }));
        if (fw !== 'http') starts.push(F.startApp(sc, { framework: fw, esm: true, trust: true, options: { strict: true } }).then((a) => { apps[`${fw}-trust`] = a; }));
      }
      await Promise.all(starts);
      const locations = Object.entries(apps).map(([name, a]) => [
        `<Location /${name}/>`,
        `  ProxyPass ${a.url}/`,
        name.endsWith('-xf') ? '  SecureHeadersXForwarded On\n  ProxyPreserveHost Off' : '  ProxyPreserveHost On',
        '</Location>',
      ].join('\n')).join('\n');
      ap = await h.startApache({
        h2: true,
        ipv6: true,
        modules: ['remoteip'],
        body: `
RemoteIPHeader X-Real-IP
RemoteIPInternalProxy 127.0.0.1 ::1
${locations}
${h.tlsVhost('')}`,
      });
    });
    after(async () => {
      if (ap) await ap.stop();
      await Promise.all(Object.values(apps).map((a) => a.stop()));
    });

    async function get(name, opts = {}) {
      const p = `/${name}/whoami?x=1`;
      let r;
      if (opts.h2) r = await h.h2request(ap.tlsPort, { path: p, headers: Object.fromEntries(opts.headers || []) });
      else r = await h.request(opts.port || ap.port, { path: p, headers: opts.headers || [], tls: !!opts.tls, host: opts.host || '127.0.0.1' });
      assert.equal(r.status, 200, `${name} ${JSON.stringify(opts)}: ${r.status} ${r.body.slice(0, 300)}`);
      assert.equal(r.json.url, '/whoami?x=1');
      return r.json;
    }

    for (const fw of FRAMEWORKS) {
      for (const variant of ['', '-esm']) {
        const name = fw + variant;
        test(`${name}: HTTP/1.1 with spoofed X-Forwarded-* and Forwarded: the truth`, async () => {
          const j = await get(name, { headers: SPOOF });
          assert.equal(j.via, variant ? 'esm' : 'cjs');
          sameFacts(j, fw, { ip: '127.0.0.1', protocol: 'http', host: `127.0.0.1:${ap.port}` });
          assert.equal(j.trusted, true);
          assert.equal(j.signed, false);
        });
        test(`${name}: TLS, client claims http: https`, async () => {
          const j = await get(name, { tls: true, port: ap.tlsPort, headers: [['X-Forwarded-Proto', 'http'], ['X-Forwarded-For', '6.6.6.6']] });
          sameFacts(j, fw, { ip: '127.0.0.1', protocol: 'https', host: `127.0.0.1:${ap.tlsPort}` });
          assert.equal(j.env.HTTPS, 'on');
        });
        test(`${name}: HTTP/2 front side`, async () => {
          const j = await get(name, { h2: true, headers: [['x-forwarded-host', 'evil.example'], ['x-forwarded-for', '6.6.6.6']] });
          sameFacts(j, fw, { ip: '127.0.0.1', protocol: 'https', host: `127.0.0.1:${ap.tlsPort}` });
        });
        test(`${name}: an IPv6 client`, async () => {
          const j = await get(name, { port: ap.port6, host: '::1', headers: SPOOF });
          sameFacts(j, fw, { ip: '::1', protocol: 'http', host: `[::1]:${ap.port6}` });
        });
        test(`${name}: mod_remoteip trusting 127.0.0.1, X-Real-IP: 203.0.113.9, and another Host`, async () => {
          const host = `www.example.test:${ap.port}`;
          const j = await get(name, { headers: [['Host', host], ['X-Real-IP', '203.0.113.9'], ...SPOOF] });
          sameFacts(j, fw, { ip: '203.0.113.9', protocol: 'http', host });
          if (fw.startsWith('express')) assert.deepEqual(j.subdomains, ['www']);
        });
      }

      test(`${fw} with xForwarded: true behind SecureHeadersXForwarded On (ProxyPreserveHost Off): the host from Apache's X-Forwarded-Host`, async () => {
        const host = `www.example.test:${ap.port}`;
        const j = await get(`${fw}-xf`, { headers: [['Host', host], ...SPOOF] });
        sameFacts(j, fw, { ip: '127.0.0.1', protocol: 'http', host });
        const t = await get(`${fw}-xf`, { tls: true, port: ap.tlsPort, headers: SPOOF });
        sameFacts(t, fw, { ip: '127.0.0.1', protocol: 'https', host: `127.0.0.1:${ap.tlsPort}` });
      });

      if (fw !== 'http') {
        test(`${fw} with the framework's own proxy trust turned on (${fw === 'fastify' ? 'trustProxy: true' : fw === 'koa' ? 'app.proxy = true' : "'trust proxy' true"}): still the truth`, async () => {
          const j = await get(`${fw}-trust`, { headers: SPOOF });
          sameFacts(j, fw, { ip: '127.0.0.1', protocol: 'http', host: `127.0.0.1:${ap.port}` });
          const v6 = await get(`${fw}-trust`, { port: ap.port6, host: '::1', headers: [['X-Real-IP', '203.0.113.10'], ...SPOOF] });
          sameFacts(v6, fw, { ip: '203.0.113.10', protocol: 'http', host: `[::1]:${ap.port6}` });
        });
        test(`${fw} strict without keys: a request that bypasses Apache is refused before any route`, async () => {
          const a = apps[`${fw}-trust`];
          const n = a.rejects.length;
          const r = await h.request(a.port, { path: '/whoami', headers: SPOOF });
          assert.equal(r.status, 403);
          assert.equal(r.body, 'Forbidden\n');
          await waitFor(() => a.rejects.length === n + 1, 'onReject was called');
          assert.equal(a.rejects[n], 'NO_SECURE_HEADERS');
        });
      }
    }

    test('unsigned mode believes !~ headers sent straight to the app (why the backend must listen on loopback only)', async () => {
      const a = apps.express5;
      const r = await h.request(a.port, { path: '/direct', headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
      assert.equal(r.json.ip, '6.6.6.6');
      const r2 = await h.request(a.port, { path: '/direct', headers: SPOOF });
      assert.deepEqual([r2.json.ip, r2.json.protocol, r2.json.trusted], ['127.0.0.1', 'http', false], 'no !~ headers: the socket');
    });

    for (const fw of ['express4', 'express5']) {
      test(`${fw} + express-rate-limit: keyed by the true client address, no validation warnings`, async () => {
        const limited = async (realIp, xff) => h.request(ap.port, { path: `/${fw}/limited/x`, headers: [['X-Real-IP', realIp], ['X-Forwarded-For', xff]] });
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await limited('198.51.100.7', `10.0.0.${i}`)).status);
        assert.deepEqual(statuses, [200, 200, 200, 429], 'a changing X-Forwarded-For does not escape the limit');
        const other = await limited('198.51.100.8', '10.0.0.1');
        assert.equal(other.status, 200, 'another client has its own budget');
        assert.equal(other.json.ip, '198.51.100.8');
        assert.match(other.headers.ratelimit, /limit=3, remaining=2/);
        assert.deepEqual(other.json.warnings, [], 'express-rate-limit logged no validation error');
      });
    }
  });

  describe('signed end to end: Apache signs (SecureHeadersSignKey), the package verifies', () => {
    const sigLib = require('./lib/signature');
    const ALGS = { hmac: 'hmac-sha256', ed25519: 'ed25519', ecdsa: 'ecdsa-p256-sha256' };
    const IDS = { hmac: 'e2e-hmac', ed25519: 'e2e-ed', ecdsa: 'e2e-ec' };
    const apps = {};
    let ap; let echo; let keys;

    before(async () => {
      const keyDir = fs.mkdtempSync(path.join(sc.dir, 'e2e-keys-'));
      fs.chmodSync(keyDir, 0o755);
      keys = sigLib.keyFiles(keyDir);
      // The backend holds the public halves (and the HMAC secret).
      const backendKeys = {};
      for (const k of Object.keys(ALGS)) backendKeys[IDS[k]] = { alg: ALGS[k], keyFile: keys[k].pub || keys[k].file };
      await Promise.all([...FRAMEWORKS, 'express5-nopin'].map(async (name) => {
        const fw = name.replace('-nopin', '');
        const port = await h.freePort();
        const options = { keys: backendKeys, authority: false };
        if (name === fw) options.authority = `127.0.0.1:${port}`;
        apps[name] = await F.startApp(sc, { framework: fw, esm: fw === 'fastify', port, options });
      }));
      echo = await h.startBackend();
      const loc = (prefix, target, lines) => `<Location ${prefix}>\n  ProxyPass ${target}/\n${lines.map((l) => `  ${l}`).join('\n')}\n</Location>`;
      const locations = [];
      for (const fw of FRAMEWORKS) {
        const url = apps[fw].url;
        for (const k of Object.keys(ALGS)) locations.push(loc(`/${fw}/${k}/`, url, [`SecureHeadersSignKey ${IDS[k]} ${ALGS[k]} ${keys[k].file}`]));
        locations.push(loc(`/${fw}/xf/`, url, [`SecureHeadersSignKey ${IDS.ed25519} ed25519 ${keys.ed25519.file}`, 'SecureHeadersXForwarded On']));
        locations.push(loc(`/${fw}/preserve/`, url, [`SecureHeadersSignKey ${IDS.ecdsa} ecdsa-p256-sha256 ${keys.ecdsa.file}`, 'ProxyPreserveHost On']));
        locations.push(loc(`/${fw}/unsigned/`, url, []));
      }
      locations.push(loc('/capture/', echo.url, [`SecureHeadersSignKey ${IDS.ed25519} ed25519 ${keys.ed25519.file}`]));
      ap = await h.startApache({
        h2: true,
        ipv6: true,
        modules: ['remoteip'],
        body: `
RemoteIPHeader X-Real-IP
RemoteIPInternalProxy 127.0.0.1 ::1
${locations.join('\n')}
${h.tlsVhost('')}`,
      });
    });
    after(async () => {
      if (ap) await ap.stop();
      if (echo) await echo.close();
      await Promise.all(Object.values(apps).map((a) => a.stop()));
    });

    async function get(p, opts = {}) {
      if (opts.h2) return h.h2request(ap.tlsPort, { path: p, headers: Object.fromEntries(opts.headers || []) });
      return h.request(opts.port || ap.port, { path: p, headers: opts.headers || [], tls: !!opts.tls, host: opts.host || '127.0.0.1' });
    }

    for (const fw of FRAMEWORKS) {
      const backendHost = () => `127.0.0.1:${apps[fw].port}`;
      const cases = [
        ['hmac', 'HTTP/1.1, spoofed X-Forwarded-*', {}, { ip: '127.0.0.1', protocol: 'http' }],
        ['ed25519', 'HTTP/2 front side', { h2: true }, { ip: '127.0.0.1', protocol: 'https' }],
        ['ecdsa', 'TLS, mod_remoteip X-Real-IP 203.0.113.9', { tls: true, port: 'tls', headers: [['X-Real-IP', '203.0.113.9']] }, { ip: '203.0.113.9', protocol: 'https' }],
        ['hmac', 'IPv6 client', { port: 'v6', host: '::1' }, { ip: '::1', protocol: 'http' }],
      ];
      for (const [k, name, opts, want] of cases) {
        test(`${fw}, ${ALGS[k]}, ${name}: verified; the facts are Apache's; the host is the backend's (ProxyPreserveHost Off)`, async () => {
          const o = Object.assign({}, opts, { headers: [...(opts.headers || []), ...SPOOF] });
          if (o.port === 'tls') o.port = ap.tlsPort;
          if (o.port === 'v6') o.port = ap.port6;
          const r = await get(`/${fw}/${k}/whoami?x=1`, o);
          assert.equal(r.status, 200, r.body);
          assert.deepEqual([r.json.signed, r.json.keyid, r.json.trusted], [true, IDS[k], true]);
          sameFacts(r.json, fw, Object.assign({ host: backendHost() }, want));
        });
      }
      test(`${fw}: SecureHeadersXForwarded On: X-Forwarded-* covered, the host is the client's`, async () => {
        const host = `www.example.test:${ap.port}`;
        const r = await get(`/${fw}/xf/whoami`, { headers: [['Host', host], ...SPOOF] });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.keyid, IDS.ed25519);
        sameFacts(r.json, fw, { ip: '127.0.0.1', protocol: 'http', host });
      });
      test(`${fw}: ProxyPreserveHost On signs the client's Host, which the pinned authority refuses; no signature at all is refused`, async () => {
        const app = apps[fw];
        for (const [p, code] of [[`/${fw}/preserve/whoami`, 'AUTHORITY_MISMATCH'], [`/${fw}/unsigned/whoami`, 'SIGNATURE_MISSING']]) {
          const n = app.rejects.length;
          const r = await get(p, { headers: SPOOF });
          assert.equal(r.status, 403, `${p}: ${r.body}`);
          await waitFor(() => app.rejects.length === n + 1, `${code} reported`);
          assert.equal(app.rejects[n], code);
        }
      });
    }

    test('a signed request captured on its way to one backend is refused by another (authority), and replayed twice by one without a pin (nonce)', async () => {
      const r = await get('/capture/x?y=1', { headers: [['X-Real-IP', '203.0.113.5']] });
      assert.equal(r.status, 200);
      const captured = r.json;
      const s = sigLib.moduleSignature(captured);
      assert.equal(s.keyid, IDS.ed25519);
      // What the echo backend received, sent again byte for byte (Host too).
      const pairs = [];
      for (let i = 0; i + 1 < captured.rawHeaders.length; i += 2) pairs.push([captured.rawHeaders[i], captured.rawHeaders[i + 1]]);
      const replay = (app) => h.request(app.port, { path: captured.url, headers: pairs.filter(([n]) => n.toLowerCase() !== 'connection') });
      const pinned = apps.express5;
      let n = pinned.rejects.length;
      assert.equal((await replay(pinned)).status, 403);
      await waitFor(() => pinned.rejects.length === n + 1, 'reported');
      assert.equal(pinned.rejects[n], 'AUTHORITY_MISMATCH');
      const open = apps['express5-nopin'];
      const first = await replay(open);
      assert.equal(first.status, 200, 'without authority pinning the first replay gets through: set authority behind a balancer');
      assert.deepEqual([first.json.signed, first.json.ip], [true, '203.0.113.5']);
      n = open.rejects.length;
      assert.equal((await replay(open)).status, 403);
      await waitFor(() => open.rejects.length === n + 1, 'reported');
      assert.equal(open.rejects[n], 'REPLAYED');
    });
  });

  describe('signed (requests as Apache forwards them, straight to the apps)', () => {
    const K = testKeys();
    const IDS = { 'hmac-sha256': 'edge-hmac', ed25519: 'edge-ed', 'ecdsa-p256-sha256': 'edge-ec' };
    const AUTHORITY = 'app.internal:3000';
    const apps = {};
    let keyDir;
    let hms;

    before(async () => {
      hms = require(path.join(F.FW_DIR, 'node_modules', 'http-message-signatures'));
      keyDir = fs.mkdtempSync(path.join(sc.dir, 'keys-'));
      const keys = {};
      for (const [alg, k] of Object.entries(K)) {
        const file = path.join(keyDir, IDS[alg]);
        fs.writeFileSync(file, alg === 'hmac-sha256' ? k.public : k.public.export({ type: 'spki', format: 'pem' }));
        keys[IDS[alg]] = { alg, keyFile: file };
      }
      await Promise.all(FRAMEWORKS.map(async (fw) => {
        apps[fw] = await F.startApp(sc, { framework: fw, esm: fw === 'koa' || fw === 'express4', options: { keys, authority: AUTHORITY } });
      }));
    });
    after(async () => { await Promise.all(Object.values(apps).map((a) => a.stop())); });

    // The request Apache would forward for a client 203.0.113.9 over TLS.
    function forwarded({ target = '/a/b?c=d&e', host = AUTHORITY, method = 'GET', xf = false } = {}) {
      const headers = [
        ['!~Passenger-Proto', 'https'],
        ['!~Passenger-Client-Address', '203.0.113.9'],
        ['!~Passenger-Envvars', h.encodeEnvvars([['HTTPS', 'on'], ['GREETING', 'h\u00e9llo']])],
      ];
      if (xf) headers.push(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'www.example.test'], ['X-Forwarded-For', '203.0.113.9']);
      return { method, target, host, headers };
    }

    async function send(app, req, sig, extra = []) {
      const headers = [['Host', req.host], ...req.headers, ...extra];
      if (sig) headers.push(['Signature-Input', sig.signatureInput], ['Signature', sig.signature]);
      return h.request(app.port, { method: req.method, path: req.target, headers });
    }

    // http-message-signatures' view of the same request.
    function hmsRequest(req, sig) {
      const headers = { host: req.host };
      for (const [n, v] of req.headers) headers[n.toLowerCase()] = v;
      if (sig) Object.assign(headers, { 'signature-input': sig.signatureInput, signature: sig.signature });
      return { method: req.method, url: `http://${req.host}${req.target}`, headers };
    }

    function hmsKeyLookup() {
      return async ({ keyid }) => {
        const alg = Object.keys(IDS).find((a) => IDS[a] === keyid);
        return alg ? { id: keyid, algs: [alg], verify: hms.createVerifier(K[alg].public, alg) } : null;
      };
    }

    for (const fw of FRAMEWORKS) {
      for (const alg of Object.keys(K)) {
        test(`${fw}, ${alg}: the test signer's request is accepted, http-message-signatures agrees, and a replay is refused`, async () => {
          const app = apps[fw];
          const req = forwarded();
          const sig = sign(req, { keyid: IDS[alg], alg, key: K[alg].private });
          assert.equal(await hms.httpbis.verifyMessage({ keyLookup: hmsKeyLookup(), requiredFields: ['@method', '@authority', '@path', '@query'] }, hmsRequest(req, sig)), true,
            'http-message-signatures verifies what we accept');
          const r = await send(app, req, sig);
          assert.equal(r.status, 200, r.body);
          sameFacts(r.json, fw, { ip: '203.0.113.9', protocol: 'https', host: AUTHORITY });
          assert.deepEqual([r.json.signed, r.json.keyid, r.json.env.GREETING], [true, IDS[alg], 'h\u00e9llo']);
          const n = app.rejects.length;
          const again = await send(app, req, sig);
          assert.equal(again.status, 403);
          await waitFor(() => app.rejects.length === n + 1, 'rejection reported');
          assert.equal(app.rejects[n], 'REPLAYED');
        });

        test(`${fw}, ${alg}: a request signed by http-message-signatures over the same components is accepted`, async () => {
          const app = apps[fw];
          const req = forwarded({ xf: true, target: '/x/y?z=1' });
          const fields = ['@method', '@authority', '@path', '@query', '!~passenger-proto', '!~passenger-client-address', '!~passenger-envvars',
            'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'];
          const created = new Date(Math.floor(Date.now() / 1000) * 1000);
          const signedReq = await hms.httpbis.signMessage({
            key: hms.createSigner(K[alg].private, alg, IDS[alg]),
            name: 'secure-headers',
            fields,
            params: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
            paramValues: { created, expires: new Date(created.getTime() + 60000), nonce: crypto.randomBytes(16).toString('base64url'), tag: 'mod_secure_headers' },
          }, hmsRequest(req));
          const sig = { signatureInput: signedReq.headers['Signature-Input'], signature: signedReq.headers.Signature };
          assert.match(sig.signatureInput, /^secure-headers=\("@method" "@authority" "@path" "@query" "!~passenger-proto"/);
          const r = await send(app, req, sig);
          assert.equal(r.status, 200, r.body);
          sameFacts(r.json, fw, { ip: '203.0.113.9', protocol: 'https', host: 'www.example.test' },
            'X-Forwarded-Host is covered: the host is the client\'s');
          assert.equal(r.json.keyid, IDS[alg]);
        });
      }

      test(`${fw}: forged, tampered, misdirected and unsigned requests get 403 before any route, each with its code`, async () => {
        const app = apps[fw];
        const alg = 'ed25519';
        const cases = [];
        const ok = forwarded();
        // tampered: the client address changed after signing
        const s1 = sign(ok, { keyid: IDS[alg], alg, key: K[alg].private });
        const tampered = Object.assign({}, ok, { headers: ok.headers.map(([n, v]) => [n, n === '!~Passenger-Client-Address' ? '6.6.6.6' : v]) });
        cases.push(['SIGNATURE_INVALID', tampered, s1]);
        // a !~ header added after signing
        cases.push(['UNCOVERED_HEADER', ok, sign(ok, { keyid: IDS[alg], alg, key: K[alg].private }), [['!~Passenger-Extra', 'x']]]);
        // signed for another balancer member
        const other = forwarded({ host: 'app2.internal:3000' });
        cases.push(['AUTHORITY_MISMATCH', other, sign(other, { keyid: IDS[alg], alg, key: K[alg].private })]);
        // the right keyid with another algorithm's signature
        cases.push(['ALG_MISMATCH', ok, sign(ok, { keyid: IDS.ed25519, alg: 'hmac-sha256', key: K['hmac-sha256'].private })]);
        // expired
        const old = Math.floor(Date.now() / 1000) - 120;
        cases.push(['SIGNATURE_EXPIRED', ok, sign(ok, { keyid: IDS[alg], alg, key: K[alg].private, created: old, expires: old + 60 })]);
        // secure headers with no signature; no secure headers at all
        cases.push(['SIGNATURE_MISSING', ok, null]);
        cases.push(['NO_SECURE_HEADERS', { method: 'GET', target: '/', host: AUTHORITY, headers: SPOOF }, null]);
        // a signing key the backend does not know
        const rogue = crypto.generateKeyPairSync('ed25519');
        cases.push(['SIGNATURE_INVALID', ok, sign(ok, { keyid: IDS[alg], alg, key: rogue.privateKey })]);
        cases.push(['UNKNOWN_KEY', ok, sign(ok, { keyid: 'rogue', alg, key: rogue.privateKey })]);
        for (const [code, req, sig, extra] of cases) {
          const n = app.rejects.length;
          const r = await send(app, req, sig, extra);
          assert.equal(r.status, 403, `${code}: ${r.body}`);
          assert.equal(r.body, 'Forbidden\n');
          await waitFor(() => app.rejects.length === n + 1, `${code} reported`);
          assert.equal(app.rejects[n], code);
        }
      });
    }
  });
});
