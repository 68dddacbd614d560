// SPDX-License-Identifier: MIT
'use strict';
// Express 4/5 middleware, a Fastify plugin and Koa middleware. Each one
// runs read() before any route, answers 403 when it throws (503 when the
// replay store failed: the server's fault, retryable), and otherwise
// makes the framework's own request properties tell the truth by defining
// own properties on the request object, which shadow the framework's
// prototype getters (those read Host, X-Forwarded-* and the socket).

const { SecureHeadersError, CODES } = require('./errors');
const { cachedCheck, compiled } = require('./read');

const FORBIDDEN = 'Forbidden\n';
const UNAVAILABLE = 'Service Unavailable\n';

// A replay store that failed or timed out (STORE_FAILED) refuses the request
// like any other failure (fail closed), but as 503: the request itself may
// be good, a balancer may retry it elsewhere, and the client did nothing
// wrong. Every other failure is the request's: 403.
function refusal(err) {
  return err.code === CODES.STORE_FAILED ? [503, UNAVAILABLE] : [403, FORBIDDEN];
}

function define(target, props) {
  for (const name of Object.keys(props)) {
    Object.defineProperty(target, name, { value: props[name], enumerable: true, configurable: true, writable: false });
  }
}

function facts(info) {
  return {
    ip: info.clientAddress,
    ips: info.clientAddress === undefined ? [] : [info.clientAddress],
    protocol: info.protocol,
    secure: info.protocol === 'https',
    hostname: info.hostname,
  };
}

function report(c, err, req) {
  if (!c.onReject) return;
  try {
    c.onReject(err, req);
  } catch (_) {
    // a logging hook must not turn a 403 into a crash
  }
}

// Calls done(err, info) synchronously when the verdict is synchronous.
function verdict(req, c, done) {
  const v = cachedCheck(req, c);
  if (v.promise) v.promise.then((info) => done(null, info), (err) => done(err));
  else done(v.error || null, v.value);
}

// ----------------------------------------------------------------- Express

// Express's default 'trust proxy' is false; express-rate-limit then warns
// about X-Forwarded-For (ERR_ERL_UNEXPECTED_X_FORWARDED_FOR). A function
// that trusts no address behaves exactly like false in Express (its
// compileTrust() returns a function as it is), and req.ip/ips/protocol/
// hostname are ours anyway.
function trustNoProxy() { return false; }

function express(options) {
  const c = compiled(options);
  return function secureHeadersExpress(req, res, next) {
    verdict(req, c, (err, info) => {
      if (err) {
        if (!(err instanceof SecureHeadersError)) return next(err);
        report(c, err, req);
        const [status, body] = refusal(err);
        res.statusCode = status;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(body));
        return res.end(body);
      }
      const f = facts(info);
      // Express 5's req.host is Host with its port and req.hostname derives
      // from it; Express 4's (deprecated) req.host is the hostname. Express
      // 4 still has req.param(), which 5 removed.
      const express4 = typeof req.param === 'function';
      define(req, Object.assign(f, { host: express4 ? info.hostname : info.host, secureHeaders: info }));
      const app = req.app;
      if (app && typeof app.get === 'function' && typeof app.set === 'function' && app.get('trust proxy') === false) {
        app.set('trust proxy', trustNoProxy);
      }
      next();
    });
  };
}

// ----------------------------------------------------------------- Fastify

// Fastify hands a plugin its register() options, its own among them.
const FASTIFY_OWN = ['prefix', 'logLevel', 'logSerializers'];

function fastify(instance, options, done) {
  let mine = options;
  if (options && FASTIFY_OWN.some((n) => n in options)) {
    mine = Object.assign({}, options);
    for (const n of FASTIFY_OWN) delete mine[n];
  }
  const c = compiled(mine);
  if (!instance.hasRequestDecorator('secureHeaders')) instance.decorateRequest('secureHeaders', null);
  instance.addHook('onRequest', (request, reply, next) => {
    verdict(request.raw, c, (err, info) => {
      if (err) {
        if (!(err instanceof SecureHeadersError)) return next(err);
        report(c, err, request.raw);
        const [status, body] = refusal(err);
        reply.code(status).type('text/plain; charset=utf-8').send(body);
        return undefined;
      }
      const f = facts(info);
      delete f.secure; // Fastify has no request.secure
      define(request, Object.assign(f, { host: info.host || '', hostname: info.hostname || '' }));
      request.secureHeaders = info;
      return next();
    });
  });
  done();
}
// fastify-plugin's convention, without the dependency: the hook applies to
// the instance that registers the plugin (and so to its routes), not to a
// new encapsulated child.
fastify[Symbol.for('skip-override')] = true;
fastify[Symbol.for('fastify.display-name')] = 'passenger-secure-headers';
fastify[Symbol.for('plugin-meta')] = { name: 'passenger-secure-headers', fastify: '>=4' };

// -------------------------------------------------------------------- Koa

function koa(options) {
  const c = compiled(options);
  return function secureHeadersKoa(ctx, next) {
    return new Promise((resolve, reject) => {
      verdict(ctx.req, c, (err, info) => {
        if (err) {
          if (!(err instanceof SecureHeadersError)) return reject(err);
          report(c, err, ctx.req);
          const [status, body] = refusal(err);
          ctx.status = status;
          ctx.type = 'text/plain; charset=utf-8';
          ctx.body = body;
          return resolve();
        }
        define(ctx.request, Object.assign(facts(info), { host: info.host || '', hostname: info.hostname || '' }));
        ctx.state.secureHeaders = info;
        return resolve(next());
      });
    });
  };
}

module.exports = { express, fastify, koa };
