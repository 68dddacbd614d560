// SPDX-License-Identifier: MIT
'use strict';
// passenger-secure-headers (its npm pack tarball, as users get it) under
// the runtimes Node-style apps run on, behind real Apache with
// mod_secure_headers:
//
//  * Bun.serve and Deno.serve with secureHeaders.readRequest() and the
//    connection from server.requestIP() / info.remoteAddr;
//  * Hono with secureHeaders.hono() on @hono/node-server (node), Bun.serve
//    and Deno.serve, and Hono's own getConnInfo() agreeing;
//  * Express 5, Fastify and Koa with the existing middleware under Bun and
//    Deno (their node:http compatibility);
//  * a NestJS application (TypeScript, compiled here with tsc --strict) on
//    @nestjs/platform-express and @nestjs/platform-fastify, under node
//    (20 and later: NestJS 12's floor), Bun and Deno;
//  * the package's own unit tests (node/tests, node:test) under `bun test`
//    and `deno test`, every test counted;
//
// each unsigned and signed by Apache (ed25519, SecureHeadersSignKey), over
// HTTP/1.1 and HTTP/2 from the client, and forged requests sent straight to
// the app (bypassing Apache) refused. Bun and Deno come from npm
// (tests/runtimes/, pinned by its lockfile), binaries inside the packages.
// Every expectation is computed from what the client sent.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const F = require('./lib/frameworks');
const R = require('./lib/runtimes');
const sigLib = require('./lib/signature');
const { spawnSync } = require('node:child_process');
const { sign } = require('../node/tests/signer');

const SKIP_REASON = F.install() || R.install();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const SPOOF = [['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'https'], ['Forwarded', 'for=6.6.6.6;proto=https']];
const KEYID = 'rt-ed';
// NestJS 12 needs Node.js 20 (its engines field; it is ES modules that
// require() older Node.js cannot load).
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const NEST_ON_NODE = NODE_MAJOR >= 20;
const FRAMEWORKS = ['fetch', 'hono', 'express5', 'fastify', 'koa', 'nest-express', 'nest-fastify'];
const ROWS = [['node', 'hono'], ['node', 'nest-express'], ['node', 'nest-fastify']];
for (const rt of ['bun', 'deno']) for (const fw of FRAMEWORKS) ROWS.push([rt, fw]);
const runnable = ([rt, fw]) => rt !== 'node' || !fw.startsWith('nest') || NEST_ON_NODE;

async function waitFor(cond, what) {
  for (let i = 0; i < 100 && !cond(); i++) await h.sleep(20);
  assert.ok(cond(), what);
}

describe("the package's unit tests under Bun and Deno", SKIP, () => {
  const PKG = path.resolve(__dirname, '..', 'node');
  let counts;
  before(() => {
    // What node's own runner counts: tests, and describe() suites (Deno
    // counts a suite as a test and what is inside it as steps).
    const env = Object.assign({}, process.env);
    delete env.NODE_TEST_CONTEXT; // a runner of its own, not a child reporting to this one
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'tests/'], { cwd: PKG, encoding: 'utf8', timeout: 120000, env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(r.stdout)[1]);
    counts = { tests: n('tests'), suites: n('suites') };
    assert.ok(counts.tests > 60);
  });

  test('bun test runs every node:test test of node/tests, and all pass', () => {
    const bun = R.bun();
    const r = spawnSync(bun.command[0], ['test', 'tests/'], { cwd: PKG, encoding: 'utf8', timeout: 120000, env: Object.assign({}, process.env, bun.env) });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    // One test is node's alone: how an answer that arrived during a stall
    // beats the store's timeout depends on node's event-loop order.
    assert.match(out, new RegExp(`^ ${counts.tests - 1} pass\\n 1 skip\\n 0 fail$`, 'm'), out.slice(-2000));
    assert.match(out, /\(skip\) an answer already received when the event loop comes back from a long stall/);
  });

  test('deno test (node:test compatibility, CommonJS detected) runs every test of node/tests, and all pass', () => {
    const deno = R.deno();
    const r = spawnSync(deno.file, ['test', '--allow-all', '--no-check', '--no-lock', '--node-modules-dir=manual', '--unstable-detect-cjs', 'tests/'],
      { cwd: PKG, encoding: 'utf8', timeout: 180000, env: Object.assign({}, process.env, deno.env) });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    const m = /^ok \| (\d+) passed \((\d+) steps\) \| 0 failed/m.exec(out);
    assert.ok(m, out.slice(-2000));
    assert.equal(Number(m[1]) + Number(m[2]), counts.tests + counts.suites, 'top-level tests and steps: every test and suite');
  });
});

describe("hono() in Hono's own app.request()", SKIP, () => {
  test('refused before the handler: 403, or 503 when the replay store failed; accepted: the facts at c.get()', async () => {
    const { Hono } = require(path.join(R.DIR, 'node_modules', 'hono'));
    const secure = require('../node');
    const k = crypto.generateKeyPairSync('ed25519');
    const ran = [];
    const mk = (replayCache) => {
      const app = new Hono();
      app.use('*', secure.hono({ keys: { [KEYID]: { alg: 'ed25519', key: k.publicKey } }, authority: false, replayCache }));
      app.get('*', (c) => { ran.push(c.req.path); return c.json({ ip: c.get('secureHeaders').clientAddress }); });
      return app;
    };
    const signedInit = () => {
      const hs = [['!~Passenger-Client-Address', '203.0.113.9']];
      const s = sign({ method: 'GET', target: '/x?y=1', host: 'localhost', headers: hs }, { keyid: KEYID, alg: 'ed25519', key: k.privateKey });
      return { headers: [['Host', 'localhost'], ...hs, ['Signature-Input', s.signatureInput], ['Signature', s.signature]] };
    };
    const ok = await mk(undefined).request('/x?y=1', signedInit());
    assert.deepEqual([ok.status, await ok.json()], [200, { ip: '203.0.113.9' }]);
    const down = await mk({ remember: async () => { throw new Error('store down'); } }).request('/x?y=1', signedInit());
    assert.deepEqual([down.status, await down.text(), down.headers.get('content-type')], [503, 'Service Unavailable\n', 'text/plain; charset=utf-8']);
    const forged = await mk(undefined).request('/x?y=1', { headers: [['Host', 'localhost'], ['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.deepEqual([forged.status, await forged.text()], [403, 'Forbidden\n']);
    assert.deepEqual(ran, ['/x'], 'the handler ran for the accepted request only');
  });
});

describe('passenger-secure-headers under node, Bun and Deno, behind Apache', SKIP, () => {
  let sc; let ap; let keys; let nestEntry;
  const rows = ROWS.filter(runnable).map(([rt, fw]) => [`${rt}-${fw}`, rt, fw]);
  const apps = {}; // `${row}-${mode}` -> app
  const runtimes = {};

  before(async () => {
    sc = F.scratch();
    R.hono(sc);
    runtimes.node = null;
    runtimes.bun = R.bun();
    runtimes.deno = R.deno();
    nestEntry = R.nest(sc);
    const keyDir = fs.mkdtempSync(path.join(sc.dir, 'keys-'));
    fs.chmodSync(keyDir, 0o755);
    keys = sigLib.keyFiles(keyDir);
    const signedOptions = (port) => ({ keys: { [KEYID]: { alg: 'ed25519', keyFile: keys.ed25519.pub } }, authority: `127.0.0.1:${port}` });
    // Started a few at a time: Deno and Bun each take a moment to start on a 2-core machine.
    for (const [name, rt, fw] of rows) {
      const port = await h.freePort();
      const entry = fw.startsWith('nest') ? nestEntry : null;
      const [u, s] = await Promise.all([
        F.startApp(sc, { framework: fw, esm: true, runtime: runtimes[rt], entry }),
        F.startApp(sc, { framework: fw, esm: true, runtime: runtimes[rt], entry, port, options: signedOptions(port) }),
      ]);
      apps[`${name}-unsigned`] = u;
      apps[`${name}-signed`] = s;
    }
    const locations = [];
    for (const [name] of rows) {
      locations.push(`<Location /${name}/u/>\n  ProxyPass ${apps[`${name}-unsigned`].url}/\n  ProxyPreserveHost On\n</Location>`);
      locations.push(`<Location /${name}/s/>\n  ProxyPass ${apps[`${name}-signed`].url}/\n  SecureHeadersSignKey ${KEYID} ed25519 ${keys.ed25519.file}\n</Location>`);
    }
    ap = await h.startApache({
      h2: true,
      modules: ['remoteip'],
      body: `
RemoteIPHeader X-Real-IP
RemoteIPInternalProxy 127.0.0.1
${locations.join('\n')}
${h.tlsVhost('')}`,
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    await Promise.all(Object.values(apps).map((a) => a.stop()));
  });

  async function get(p, { h2 = false, headers = [] } = {}) {
    if (h2) return h.h2request(ap.tlsPort, { path: p, headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])) });
    return h.request(ap.port, { path: p, headers });
  }

  test("tsc --strict: hono() and HonoVariables against Hono's own types, and a wrong use caught", () => {
    const write = (name, body) => {
      fs.writeFileSync(path.join(sc.appDir, `${name}.mts`), "import { Hono } from 'hono';\n" +
        "import secureHeaders, { type HonoVariables } from 'passenger-secure-headers';\n" +
        `const app = new Hono<{ Variables: HonoVariables }>();\napp.use('*', secureHeaders.hono({ strict: true }));\n${body}\nexport default app;\n`);
      fs.writeFileSync(path.join(sc.appDir, `${name}.json`), JSON.stringify({ extends: './tsconfig.json', files: [`${name}.mts`] }));
      return spawnSync(path.join(sc.bin, 'tsc'), ['-p', path.join(sc.appDir, `${name}.json`)], { encoding: 'utf8' });
    };
    const ok = write('hono-ok', "app.get('/', (c) => c.json({ ip: c.get('secureHeaders').clientAddress ?? null, env: c.get('secureHeaders').env }));");
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const bad = write('hono-bad', "app.get('/', (c) => { const n: number = c.get('secureHeaders').signed; return c.text(String(n)); });");
    assert.match(bad.stdout, /hono-bad\.mts\(5,29\): error TS2322: Type 'boolean' is not assignable to type 'number'/);
  });

  test('the runtimes are the pinned ones', () => {
    const pin = JSON.parse(fs.readFileSync(path.join(R.DIR, 'package.json'), 'utf8')).dependencies;
    assert.equal(runtimes.bun.version, `bun ${pin['@oven/bun-linux-x64']}`);
    assert.match(runtimes.deno.version, new RegExp(`^deno ${pin.deno.replace(/\./g, '\\.')} `));
  });

  for (const [rt, fw] of ROWS) {
    const name = `${rt}-${fw}`;
    const ROW = runnable([rt, fw]) ? {} : { skip: `NestJS 12 needs Node.js 20 or later (this is ${process.version})` };
    const runtimeRe = rt === 'node' ? /^node v/ : new RegExp(`^${rt} `);
    for (const h2 of [false, true]) {
      const over = h2 ? 'HTTP/2' : 'HTTP/1.1';
      test(`${name}, unsigned, ${over}: the client address from mod_remoteip, the protocol and Host Apache saw; X-Forwarded-* ignored`, ROW, async () => {
        const r = await get(`/${name}/u/whoami?x=1`, { h2, headers: [['X-Real-IP', '203.0.113.9'], ...SPOOF] });
        assert.equal(r.status, 200, r.body);
        const j = r.json;
        assert.match(j.runtime, runtimeRe);
        assert.equal(j.framework, fw);
        assert.equal(j.url, '/whoami?x=1');
        const port = h2 ? ap.tlsPort : ap.port;
        assert.deepEqual([j.ip, j.protocol, j.host, j.hostname, j.trusted, j.signed],
          ['203.0.113.9', h2 ? 'https' : 'http', `127.0.0.1:${port}`, '127.0.0.1', true, false]);
        if (fw === 'hono') assert.equal(j.connInfo, '203.0.113.9', "Hono's getConnInfo() agrees");
        if (['express5', 'fastify', 'koa'].includes(fw)) assert.deepEqual(j.ips, ['203.0.113.9']);
        if (h2) assert.equal(j.env.HTTPS, 'on');
      });
      test(`${name}, signed by Apache, ${over}: verified, the facts are Apache's`, ROW, async () => {
        const r = await get(`/${name}/s/whoami?x=1`, { h2, headers: [['X-Real-IP', '198.51.100.4'], ...SPOOF] });
        assert.equal(r.status, 200, r.body);
        const j = r.json;
        assert.match(j.runtime, runtimeRe);
        assert.deepEqual([j.ip, j.protocol, j.host, j.signed, j.keyid], ['198.51.100.4', h2 ? 'https' : 'http', `127.0.0.1:${apps[`${name}-signed`].port}`, true, KEYID]);
        if (fw === 'hono') assert.equal(j.connInfo, '198.51.100.4');
      });
    }

    test(`${name}: forged requests straight to the app are refused before any handler`, ROW, async () => {
      const s = apps[`${name}-signed`];
      const u = apps[`${name}-unsigned`];
      const host = `127.0.0.1:${s.port}`;
      const forged = [['!~Passenger-Client-Address', '6.6.6.6'], ['!~Passenger-Proto', 'https']];
      const wrongKey = crypto.generateKeyPairSync('ed25519').privateKey;
      const sig = sign({ method: 'GET', target: '/whoami', host, headers: forged }, { keyid: KEYID, alg: 'ed25519', key: wrongKey });
      const cases = [
        [s, forged, 'SIGNATURE_MISSING'],
        [s, [...forged, ['Signature-Input', sig.signatureInput], ['Signature', sig.signature]], 'SIGNATURE_INVALID'],
        [s, [], 'NO_SECURE_HEADERS'],
        // unsigned mode believes !~ headers, but not two of them (Headers would join them)
        [u, [['!~Passenger-Proto', 'https'], ['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '6.6.6.6']], 'HEADER_MALFORMED'],
        [u, [['!~Passenger-Client-Address', '6.6.6.6'], ['!~passenger-client-address', '6.6.6.7']], 'HEADER_MALFORMED'],
      ];
      for (const [app, headers, code] of cases) {
        const n = app.rejects.length;
        const r = await h.request(app.port, { path: '/whoami', headers: [['Host', host], ...headers] });
        assert.equal(r.status, 403, `${code}: ${r.status} ${r.body}`);
        assert.equal(r.body, 'Forbidden\n');
        await waitFor(() => app.rejects.length === n + 1, `${code} reported`);
        assert.equal(app.rejects[n], code);
      }
      // Unsigned, not strict, no !~ header: the connection's facts, not believed (trusted: false).
      const d = await h.request(u.port, { path: '/whoami', headers: [['Host', host], ...SPOOF] });
      assert.equal(d.status, 200, d.body);
      assert.deepEqual([d.json.ip, d.json.protocol, d.json.trusted], ['127.0.0.1', 'http', false]);
      if (fw === 'hono') assert.equal(d.json.connInfo, '127.0.0.1');
    });
  }

  test("a target the runtime rebuilds (' becomes %27 in Request.url): verified where the raw target is reachable (node, Deno), refused on Bun, never other facts", async () => {
    const seen = {};
    for (const name of ['node-hono', 'bun-hono', 'deno-hono']) {
      const app = apps[`${name}-signed`];
      const n = app.rejects.length;
      const r = await get(`/${name}/s/it's?q='`, { headers: [['X-Real-IP', '198.51.100.4']] });
      seen[name] = r.status;
      if (r.status === 200) {
        assert.deepEqual([r.json.ip, r.json.signed], ['198.51.100.4', true]);
      } else {
        assert.equal(r.status, 403, r.body);
        await waitFor(() => app.rejects.length === n + 1, 'reported');
        assert.equal(app.rejects[n], 'SIGNATURE_INVALID');
      }
    }
    assert.deepEqual(seen, { 'node-hono': 200, 'bun-hono': 403, 'deno-hono': 200 });
  });
});
