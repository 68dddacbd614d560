// SPDX-License-Identifier: MIT
'use strict';
// One test application, six ways: Express 4, Express 5, Fastify, Koa, Hono
// and plain node:http, each with passenger-secure-headers as its users would
// set it up. It answers every request with what the framework itself now
// says about the request (req.ip, req.protocol, ...), read through the
// framework's own properties.
//
// Runs under Node.js, Bun and Deno (Hono on @hono/node-server, Bun.serve
// and Deno.serve; the others on their node:http compatibility).
//
// Environment: PSH_FRAMEWORK (express4 express5 fastify koa hono http, and
// fetch: Bun.serve or Deno.serve with readRequest()),
// PSH_OPTIONS (JSON: the package's options; keys as { id: { alg, keyFile } }),
// PSH_TRUST (1: also turn on the framework's own proxy trust),
// PSH_PORT (default 0; Passenger intercepts the listen call).
// Prints {"port": N} once listening, then {"reject": code} per rejection.
// Shared by server.cjs (require) and server.mjs (import): `pkg` is the
// package as that entry point gave it.

const fs = require('node:fs');
const http = require('node:http');

function options(pkg) {
  const o = JSON.parse(process.env.PSH_OPTIONS || '{}');
  if (o.keys) {
    for (const id of Object.keys(o.keys)) {
      const k = o.keys[id];
      const bytes = fs.readFileSync(k.keyFile);
      o.keys[id] = { alg: k.alg, key: k.alg === 'hmac-sha256' ? bytes : bytes.toString('utf8') };
    }
  }
  o.onReject = (err) => {
    if (!(err instanceof pkg.SecureHeadersError)) throw new Error('onReject got something else');
    process.stdout.write(JSON.stringify({ reject: err.code }) + '\n');
  };
  return o;
}

// express-rate-limit reports misconfiguration through console.error/warn.
const warnings = [];
for (const level of ['error', 'warn']) {
  const orig = console[level];
  console[level] = (...args) => { warnings.push(args.map((a) => (a && a.code) || String(a)).join(' ')); orig.apply(console, args); };
}

/* global Bun, Deno */
const RUNTIME = typeof Bun !== 'undefined' ? `bun ${Bun.version}`
  : typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : `node ${process.version}`;

function answer(via, framework, facts, info, url) {
  return JSON.stringify(Object.assign({ via, framework, url, runtime: RUNTIME }, facts, {
    signed: info ? info.signed : null,
    keyid: info ? info.keyid : null,
    trusted: info ? info.trusted : null,
    env: info ? Object.assign({}, info.env) : null,
    warnings,
  }));
}

function listening(server) {
  // Under Passenger the server listens on a unix socket of Passenger's.
  const a = server.address();
  process.stdout.write(JSON.stringify({ port: a && typeof a === 'object' ? a.port : null }) + '\n');
}

async function start(pkg, via, requireFn) {
  const fw = process.env.PSH_FRAMEWORK;
  const trust = process.env.PSH_TRUST === '1';
  const port = Number(process.env.PSH_PORT || 0);
  const opts = options(pkg);

  if (fw === 'express4' || fw === 'express5') {
    const express = requireFn(fw);
    const { rateLimit } = requireFn('express-rate-limit');
    const app = express();
    if (trust) app.set('trust proxy', true);
    app.use(pkg.express(opts));
    if (!trust) app.use('/limited', rateLimit({ windowMs: 60000, limit: 3, standardHeaders: 'draft-7', legacyHeaders: false }));
    app.use((req, res) => {
      res.type('json').send(answer(via, fw, {
        ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure,
        host: req.host, hostname: req.hostname, subdomains: req.subdomains,
      }, req.secureHeaders, req.originalUrl));
    });
    const server = app.listen(port, '127.0.0.1', () => listening(server));
    return;
  }
  if (fw === 'fastify') {
    const Fastify = requireFn('fastify');
    const app = Fastify(trust ? { trustProxy: true } : {});
    await app.register(pkg.fastify, opts);
    // Registered outside the plugin: the hook still applies (skip-override).
    app.all('/*', async (request, reply) => {
      reply.type('application/json');
      return answer(via, fw, {
        ip: request.ip, ips: request.ips, protocol: request.protocol,
        host: request.host, hostname: request.hostname, port: request.port,
      }, request.secureHeaders, request.url);
    });
    await app.listen({ port, host: '127.0.0.1' });
    listening(app.server);
    return;
  }
  if (fw === 'koa') {
    const Koa = requireFn('koa');
    const app = new Koa();
    if (trust) app.proxy = true;
    app.use(pkg.koa(opts));
    app.use((ctx) => {
      ctx.type = 'application/json';
      ctx.body = answer(via, fw, {
        ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, secure: ctx.secure,
        host: ctx.host, hostname: ctx.hostname, origin: ctx.URL.origin,
      }, ctx.state.secureHeaders, ctx.originalUrl);
    });
    const server = app.listen(port, '127.0.0.1', () => listening(server));
    return;
  }
  if (fw === 'hono') {
    const { Hono } = requireFn('hono');
    const app = new Hono();
    app.use('*', pkg.hono(opts));
    // Hono's own client-address helper, per runtime
    const adapter = typeof Bun !== 'undefined' ? 'hono/bun' : typeof Deno !== 'undefined' ? 'hono/deno' : '@hono/node-server/conninfo';
    const { getConnInfo } = requireFn(adapter);
    app.all('*', (c) => {
      const info = c.get('secureHeaders');
      const u = new URL(c.req.url);
      const body = answer(via, fw, {
        ip: info.clientAddress, protocol: info.protocol, host: info.host, hostname: info.hostname,
        connInfo: getConnInfo(c).remote.address,
      }, info, u.pathname + u.search);
      return c.body(body, 200, { 'content-type': 'application/json' });
    });
    const print = (p) => process.stdout.write(JSON.stringify({ port: p }) + '\n');
    if (typeof Bun !== 'undefined') {
      print(Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch }).port);
    } else if (typeof Deno !== 'undefined') {
      Deno.serve({ port, hostname: '127.0.0.1', onListen: (a) => print(a.port) }, app.fetch);
    } else {
      requireFn('@hono/node-server').serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (a) => print(a.port));
    }
    return;
  }
  if (fw === 'fetch') {
    // What the runtime hands over: the Request, and the connection beside it.
    const handle = async (request, conn) => {
      let info;
      try {
        info = await pkg.readRequest(request, opts, conn);
      } catch (err) {
        if (!(err instanceof pkg.SecureHeadersError)) throw err;
        opts.onReject(err, request);
        return new Response('Forbidden\n', { status: 403, headers: { 'content-type': 'text/plain' } });
      }
      const u = new URL(request.url);
      return new Response(answer(via, fw, {
        ip: info.clientAddress, protocol: info.protocol, host: info.host, hostname: info.hostname,
      }, info, u.pathname + u.search), { headers: { 'content-type': 'application/json' } });
    };
    const print = (p) => process.stdout.write(JSON.stringify({ port: p }) + '\n');
    if (typeof Bun !== 'undefined') {
      const server = Bun.serve({ port, hostname: '127.0.0.1', fetch: (req, srv) => handle(req, { remoteAddress: (srv.requestIP(req) || {}).address, encrypted: false }) });
      print(server.port);
    } else if (typeof Deno !== 'undefined') {
      Deno.serve({ port, hostname: '127.0.0.1', onListen: (a) => print(a.port) }, (req, info) => handle(req, { remoteAddress: info.remoteAddr.hostname, encrypted: false }));
    } else {
      throw new Error('PSH_FRAMEWORK=fetch is for Bun and Deno');
    }
    return;
  }
  if (fw === 'http') {
    const server = http.createServer((req, res) => {
      let info;
      try {
        info = pkg.read(req, opts);
      } catch (err) {
        if (!(err instanceof pkg.SecureHeadersError)) throw err;
        opts.onReject(err, req);
        res.writeHead(403, { 'content-type': 'text/plain' });
        return res.end('Forbidden\n');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(answer(via, fw, {
        ip: info.clientAddress, protocol: info.protocol, host: info.host, hostname: info.hostname,
      }, info, req.url));
    });
    server.listen(port, '127.0.0.1', () => listening(server));
    return;
  }
  throw new Error(`PSH_FRAMEWORK: ${fw}`);
}

module.exports = { start };
