// SPDX-License-Identifier: MIT
'use strict';
// passenger-secure-headers in a self-hosted Next.js app (next build + next
// start, the Node.js runtime; tests/nextjs, pinned by its lockfile; the
// build cached in .build-nextjs/), behind real Apache with mod_secure_headers:
//
//  * the proxy (Next.js 16's proxy.js, secureHeaders.nextProxy) verifies
//    every request before any route runs; a route handler, a server
//    component and a server action read the verified facts with
//    secureHeaders.nextFacts(), unsigned and signed by Apache, over
//    HTTP/1.1 and HTTP/2;
//  * the facts travel by a reference the proxy keeps in the process, never
//    in a header a client could send: a client-sent reference is
//    overwritten, and where the proxy did not run (a path left out of its
//    matcher on purpose) it finds nothing;
//  * forged requests straight to next start (bypassing Apache) are refused
//    before any route or action runs.
// Every expectation is computed from what the client sent.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const N = require('./lib/nextjs');
const sigLib = require('./lib/signature');
const { sign } = require('../node/tests/signer');

const SKIP_REASON = N.install();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const SPOOF = [['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'https']];
const REF = 'x-passenger-secure-headers-ref';
const KEYID = 'next-ed';

async function waitFor(cond, what) {
  for (let i = 0; i < 100 && !cond(); i++) await h.sleep(20);
  assert.ok(cond(), what);
}

function unescapeHtml(s) {
  return s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe(`passenger-secure-headers in Next.js (next build + next start) behind Apache`, SKIP, () => {
  let app; let unsignedApp; let signedApp; let ap; let keyDir; let actionId;

  before(async () => {
    app = N.build();
    const manifest = JSON.parse(fs.readFileSync(path.join(app, '.next', 'server', 'server-reference-manifest.json'), 'utf8'));
    actionId = Object.keys(manifest.node).find((id) => manifest.node[id].exportedName === 'whoami');
    assert.ok(actionId, 'the server action was built');
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), `psh-next-keys-${process.pid}-`));
    fs.chmodSync(keyDir, 0o755);
    const keys = sigLib.keyFiles(keyDir);
    const [pu, ps] = [await h.freePort(), await h.freePort()];
    [unsignedApp, signedApp] = await Promise.all([
      N.start(app, { port: pu }),
      N.start(app, { port: ps, options: { keys: { [KEYID]: { alg: 'ed25519', keyFile: keys.ed25519.pub } }, authority: `127.0.0.1:${ps}` } }),
    ]);
    ap = await h.startApache({
      h2: true,
      modules: ['remoteip'],
      body: `
RemoteIPHeader X-Real-IP
RemoteIPInternalProxy 127.0.0.1
<Location /u/>
  ProxyPass ${unsignedApp.url}/
  ProxyPreserveHost On
</Location>
<Location /s/>
  ProxyPass ${signedApp.url}/
  SecureHeadersSignKey ${KEYID} ed25519 ${keys.ed25519.file}
</Location>
${h.tlsVhost('')}`,
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    await Promise.all([unsignedApp, signedApp].filter(Boolean).map((a) => a.stop()));
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  });

  async function send(p, { h2 = false, headers = [], method = 'GET', body } = {}) {
    if (h2) return h.h2request(ap.tlsPort, { path: p, method, body, headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])) });
    return h.request(ap.port, { path: p, method, body, headers });
  }

  // The facts each kind of code saw, as JSON.
  async function facts(kind, prefix, opts) {
    if (kind === 'route') {
      const r = await send(`${prefix}/whoami?x=1`, opts);
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body);
    }
    if (kind === 'page') {
      const r = await send(`${prefix}/page`, opts);
      assert.equal(r.status, 200, r.body.slice(0, 500));
      const m = /<pre id="facts">(.*?)<\/pre>/.exec(r.body);
      assert.ok(m, r.body.slice(0, 500));
      return JSON.parse(unescapeHtml(m[1]));
    }
    const r = await send(`${prefix}/action`, Object.assign({}, opts, {
      method: 'POST', body: '[]',
      headers: [...opts.headers, ['Next-Action', actionId], ['Content-Type', 'text/plain;charset=UTF-8'], ['Accept', 'text/x-component']],
    }));
    assert.equal(r.status, 200, r.body.slice(0, 500));
    const m = /FACTS(.*?)FACTS/.exec(r.body);
    assert.ok(m, r.body.slice(0, 500));
    return JSON.parse(JSON.parse(`"${m[1]}"`));
  }

  test('the build is Next.js 16 (Node.js runtime proxy), and the proxy is in it', () => {
    assert.match(N.version(), /^16\./);
    const mw = JSON.parse(fs.readFileSync(path.join(app, '.next', 'server', 'middleware-manifest.json'), 'utf8'));
    const fnManifest = path.join(app, '.next', 'server', 'functions-config-manifest.json');
    const inNode = fs.existsSync(fnManifest) && JSON.stringify(JSON.parse(fs.readFileSync(fnManifest, 'utf8'))).includes('/_middleware');
    assert.ok(inNode || Object.keys(mw.middleware || {}).length, 'a proxy was built');
  });

  for (const kind of ['route', 'page', 'action']) {
    for (const h2 of [false, true]) {
      const over = h2 ? 'HTTP/2' : 'HTTP/1.1';
      test(`${kind}, unsigned, ${over}: the client address from mod_remoteip, the protocol and Host Apache saw; a client-sent reference and X-Forwarded-* do nothing`, async () => {
        const j = await facts(kind, '/u', { h2, headers: [['X-Real-IP', '203.0.113.9'], [REF, 'forged-by-the-client'], ...SPOOF] });
        const port = h2 ? ap.tlsPort : ap.port;
        assert.deepEqual([j.via, j.ip, j.protocol, j.host, j.hostname, j.trusted, j.signed],
          [kind, '203.0.113.9', h2 ? 'https' : 'http', `127.0.0.1:${port}`, '127.0.0.1', true, false]);
        if (h2) assert.equal(j.env.HTTPS, 'on');
        if (kind === 'route') assert.deepEqual([j.url, j.clientRef], ['/whoami?x=1', false], 'the route saw the proxy\'s reference, not the client\'s');
      });
      test(`${kind}, signed by Apache, ${over}: verified, the facts are Apache's`, async () => {
        const j = await facts(kind, '/s', { h2, headers: [['X-Real-IP', '198.51.100.4'], [REF, 'forged-by-the-client'], ...SPOOF] });
        assert.deepEqual([j.via, j.ip, j.protocol, j.host, j.signed, j.keyid], [kind, '198.51.100.4', h2 ? 'https' : 'http', `127.0.0.1:${signedApp.port}`, true, KEYID]);
      });
    }
  }

  test('where the proxy did not run, a client-sent reference finds nothing (through Apache and straight to the app)', async () => {
    const r = await send('/u/unprotected', { headers: [[REF, 'forged-by-the-client'], ['X-Real-IP', '203.0.113.9']] });
    assert.deepEqual([r.status, r.body], [403, 'NO_SECURE_HEADERS\n']);
    // a reference of the right shape, as the proxy makes them
    const guess = crypto.randomBytes(18).toString('base64url');
    const d = await h.request(signedApp.port, { path: '/unprotected', headers: [[REF, guess]] });
    assert.deepEqual([d.status, d.body], [403, 'NO_SECURE_HEADERS\n']);
  });

  test('forged requests straight to next start are refused before any route or server action runs', async () => {
    const host = `127.0.0.1:${signedApp.port}`;
    const forged = [['!~Passenger-Client-Address', '6.6.6.6'], ['!~Passenger-Proto', 'https']];
    const wrongKey = crypto.generateKeyPairSync('ed25519').privateKey;
    const s = sign({ method: 'GET', target: '/whoami', host, headers: forged }, { keyid: KEYID, alg: 'ed25519', key: wrongKey });
    const action = [['Next-Action', actionId], ['Content-Type', 'text/plain;charset=UTF-8']];
    const cases = [
      [signedApp, 'GET', '/whoami', forged, 'SIGNATURE_MISSING'],
      [signedApp, 'GET', '/whoami', [...forged, ['Signature-Input', s.signatureInput], ['Signature', s.signature]], 'SIGNATURE_INVALID'],
      [signedApp, 'POST', '/action', [...forged, ...action], 'SIGNATURE_MISSING'],
      [signedApp, 'GET', '/page', [], 'NO_SECURE_HEADERS'],
      // CVE-2025-29927's header, as a client would send it to skip the proxy
      [signedApp, 'GET', '/whoami', [...forged, ['x-middleware-subrequest', 'proxy:proxy:proxy:proxy:proxy']], 'SIGNATURE_MISSING'],
      [signedApp, 'GET', '/whoami', [...forged, ['x-middleware-subrequest', 'middleware:middleware:middleware:middleware:middleware']], 'SIGNATURE_MISSING'],
      [unsignedApp, 'GET', '/whoami', [['!~Passenger-Proto', 'https'], ['!~Passenger-Proto', 'https']], 'HEADER_MALFORMED'],
    ];
    for (const [a, method, p, headers, code] of cases) {
      const n = a.rejects.length;
      const r = await h.request(a.port, { method, path: p, headers: [['Host', host], ...headers], body: method === 'POST' ? '[]' : undefined });
      assert.deepEqual([r.status, r.body], [403, 'Forbidden\n'], `${code} ${p}`);
      assert.doesNotMatch(r.body, /FACTS/);
      await waitFor(() => a.rejects.length === n + 1, `${code} reported`);
      assert.equal(a.rejects[n], code);
    }
  });

  test("a target Next.js rebuilds (' becomes %27 in request.url): signed, refused (SIGNATURE_INVALID), never other facts; unsigned, served", async () => {
    const n = signedApp.rejects.length;
    const r = await send("/s/whoami?q='", { headers: [['X-Real-IP', '198.51.100.4']] });
    assert.deepEqual([r.status, r.body], [403, 'Forbidden\n']);
    await waitFor(() => signedApp.rejects.length === n + 1, 'reported');
    assert.equal(signedApp.rejects[n], 'SIGNATURE_INVALID');
    const u = await send("/u/whoami?q='", { headers: [['X-Real-IP', '198.51.100.4']] });
    assert.equal(u.status, 200, u.body);
    assert.equal(JSON.parse(u.body).ip, '198.51.100.4');
  });
});
