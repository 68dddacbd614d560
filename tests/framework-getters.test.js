// SPDX-License-Identifier: MIT
'use strict';
// How the middlewares make the frameworks' own request properties tell the
// truth (node/lib/frameworks.js): they wrap the framework's getters once,
// on the prototype that defines them (Express, Koa), or give a request
// that passed a layer over its prototype (Fastify, whose getters cannot be
// redefined). Shown here in one process with the real frameworks of
// tests/frameworks/ (pinned by its lockfile), over real connections:
//
//  * the facts hold where a request is handed on: Express's mounted
//    sub-apps and routers (which give the request another prototype), and
//    Fastify's encapsulated contexts (another Request subclass);
//  * an app of the same framework without the middleware, in the same
//    process, after the getters are wrapped, still gets the framework's
//    own answers (from the socket, and from X-Forwarded-* with its own
//    proxy trust on), and a "!~" header sent to it changes nothing;
//  * a forged request refused by the middleware leaves nothing behind for
//    the next request on the same connection.
//
// The "!~" headers are sent straight to the apps, as Apache would forward
// them (the package trusts them unsigned, as with Passenger); every
// expectation is computed from what the client sent.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const h = require('./lib/harness');
const F = require('./lib/frameworks');
const secureHeaders = require('../node');

const SKIP_REASON = F.install();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const fwRequire = createRequire(path.join(F.FW_DIR, 'package.json'));

const CLIENT = '198.51.100.23';
const HOST = 'app.example:8443';
const HOSTNAME = 'app.example';
const VOUCHED = [['!~Passenger-Client-Address', CLIENT], ['!~Passenger-Proto', 'https'], ['Host', HOST]];

function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer({ keepAliveTimeout: 1000 }, handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function close(server) {
  return new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
}

// One GET with exactly these header lines (and Host, when they have none),
// through the harness's client; resolves { status, json, body }.
function get(server, urlPath, headers) {
  return h.request(server.address().port, { path: urlPath, headers });
}

const expressFacts = (req) => ({
  ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure,
  hostname: req.hostname, host: req.host, subdomains: req.subdomains, vouched: req.secureHeaders !== undefined,
});

for (const name of ['express4', 'express5']) {
  describe(`${name}: getters wrapped once, on Express's request prototype`, SKIP, () => {
    let express;
    let withPkg;
    let without;
    let trusting;
    before(async () => {
      express = fwRequire(name);
      const app = express();
      app.use(secureHeaders.express());
      // a mounted sub-app: Express gives the request sub.request as its
      // prototype while the sub-app runs
      const sub = express();
      sub.get('/here', (req, res) => res.json(expressFacts(req)));
      app.use('/sub', sub);
      const router = express.Router();
      router.get('/here', (req, res) => res.json(expressFacts(req)));
      app.use('/router', router);
      app.get('/here', (req, res) => res.json(expressFacts(req)));
      withPkg = await listen(app);

      const plain = express();
      plain.get('/here', (req, res) => res.json(expressFacts(req)));
      without = await listen(plain);

      const trust = express();
      trust.set('trust proxy', true);
      trust.get('/here', (req, res) => res.json(expressFacts(req)));
      trusting = await listen(trust);
    });
    after(async () => { for (const s of [withPkg, without, trusting]) if (s) await close(s); });

    const vouched = () => ({
      ip: CLIENT, ips: [CLIENT], protocol: 'https', secure: true, hostname: HOSTNAME,
      host: name === 'express4' ? HOSTNAME : HOST, subdomains: [], vouched: true,
    });

    for (const where of ['/here', '/sub/here', '/router/here']) {
      test(`${where}: the facts Apache vouched for`, async () => {
        const r = await get(withPkg, where, VOUCHED);
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json, vouched());
      });
    }

    test('an app without the middleware, same process: Express\'s own answers, from the socket', async () => {
      await get(withPkg, '/sub/here', VOUCHED); // the getters are wrapped by now
      const host = `127.0.0.1:${without.address().port}`;
      const r = await get(without, '/here', [...VOUCHED.filter(([k]) => k !== 'Host'), ['Host', host]]);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(r.json, {
        ip: '127.0.0.1', ips: [], protocol: 'http', secure: false, hostname: '127.0.0.1',
        host: name === 'express4' ? '127.0.0.1' : host, subdomains: [], vouched: false,
      });
    });

    test('an app with its own trust proxy, same process: Express\'s own reading of X-Forwarded-*', async () => {
      await get(withPkg, '/here', VOUCHED);
      const r = await get(trusting, '/here', [
        ['X-Forwarded-For', '203.0.113.4, 203.0.113.5'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'fwd.example'],
      ]);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.ip, '203.0.113.4');
      assert.deepEqual(r.json.ips, ['203.0.113.4', '203.0.113.5']);
      assert.equal(r.json.protocol, 'https');
      assert.equal(r.json.hostname, 'fwd.example');
      assert.equal(r.json.vouched, false);
    });

    test('a refused request leaves nothing for the next one on the same connection', async () => {
      const [forged, ok] = await h.keepAlive(withPkg.address().port, [
        { path: '/here', headers: [['!~Passenger-Client-Address', 'not an address'], ['Host', HOST]] },
        { path: '/here', headers: VOUCHED },
      ]);
      assert.equal(forged.status, 403);
      assert.equal(ok.localPort, forged.localPort, 'one connection');
      assert.deepEqual(ok.json, vouched());
    });

    test('req.ip cannot be assigned, as before (a TypeError in strict code)', async () => {
      const app = express();
      app.use(secureHeaders.express());
      app.get('/here', (req, res) => {
        let threw = null;
        try { req.ip = '6.6.6.6'; } catch (e) { threw = e.constructor.name; }
        res.json({ threw, ip: req.ip });
      });
      const s = await listen(app);
      try {
        const r = await get(s, '/here', VOUCHED);
        assert.deepEqual(r.json, { threw: 'TypeError', ip: CLIENT });
      } finally {
        await close(s);
      }
    });
  });
}

describe('fastify: a layer over the Request prototype (its getters are not configurable)', SKIP, () => {
  let Fastify;
  const apps = [];
  before(() => { Fastify = fwRequire('fastify'); });
  after(async () => { for (const a of apps) await a.close(); });

  const facts = (request) => ({
    ip: request.ip, ips: request.ips, protocol: request.protocol, hostname: request.hostname, host: request.host,
    port: request.port, vouched: request.secureHeaders !== null,
  });

  async function start(app) {
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  }

  test('in the root context, in an encapsulated child with its own request decorator, and with trustProxy on', async () => {
    for (const trustProxy of [false, true]) {
      const app = Fastify({ trustProxy });
      await app.register(secureHeaders.fastify, {});
      app.get('/here', async (request) => facts(request));
      await app.register(async (child) => {
        child.decorateRequest('childOnly', null); // a Request subclass for this context
        child.get('/child', async (request) => facts(request));
      });
      const server = await start(app);
      for (const where of ['/here', '/child']) {
        const r = await get(server, where, [...VOUCHED, ['X-Forwarded-For', '6.6.6.6'], ['X-Forwarded-Host', 'evil.example']]);
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json, { ip: CLIENT, ips: [CLIENT], protocol: 'https', hostname: HOSTNAME, host: HOST, port: 8443, vouched: true },
          `trustProxy ${trustProxy}, ${where}`);
      }
    }
  });

  test('an instance without the plugin, same process: Fastify\'s own answers', async () => {
    const app = Fastify();
    app.decorateRequest('secureHeaders', null);
    app.get('/here', async (request) => facts(request));
    const server = await start(app);
    const host = `127.0.0.1:${server.address().port}`;
    const r = await get(server, '/here', [...VOUCHED.filter(([k]) => k !== 'Host'), ['Host', host]]);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, { ip: '127.0.0.1', protocol: 'http', hostname: '127.0.0.1', host, port: server.address().port, vouched: false });
  });
});

describe('koa: getters wrapped once, on Koa\'s request prototype', SKIP, () => {
  let Koa;
  const servers = [];
  before(() => { Koa = fwRequire('koa'); });
  after(async () => { for (const s of servers) await close(s); });

  const facts = (ctx) => ({
    ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, secure: ctx.secure, hostname: ctx.hostname, host: ctx.host,
    href: ctx.href, vouched: ctx.state.secureHeaders !== undefined,
  });

  async function start(app) {
    const s = await listen(app.callback());
    servers.push(s);
    return s;
  }

  test('with the middleware; then an app without it, same process, and one with app.proxy', async () => {
    const app = new Koa();
    app.use(secureHeaders.koa());
    app.use((ctx) => { ctx.body = facts(ctx); });
    const r = await get(await start(app), '/', [...VOUCHED, ['X-Forwarded-For', '6.6.6.6']]);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, { ip: CLIENT, ips: [CLIENT], protocol: 'https', secure: true, hostname: HOSTNAME, host: HOST, href: `https://${HOST}/`, vouched: true });

    const plain = new Koa();
    plain.use((ctx) => { ctx.body = facts(ctx); });
    const ps = await start(plain);
    const host = `127.0.0.1:${ps.address().port}`;
    const p = await get(ps, '/', [...VOUCHED.filter(([k]) => k !== 'Host'), ['Host', host]]);
    assert.deepEqual(p.json, { ip: '127.0.0.1', ips: [], protocol: 'http', secure: false, hostname: '127.0.0.1', host, href: `http://${host}/`, vouched: false });

    const proxied = new Koa({ proxy: true });
    proxied.use((ctx) => { ctx.body = facts(ctx); });
    const x = await get(await start(proxied), '/', [['X-Forwarded-For', '203.0.113.8'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'fwd.example']]);
    assert.deepEqual(x.json, { ip: '203.0.113.8', ips: ['203.0.113.8'], protocol: 'https', secure: true, hostname: 'fwd.example', host: 'fwd.example', href: 'https://fwd.example/', vouched: false });
  });
});
