// SPDX-License-Identifier: MIT
'use strict';
// Express 4/5 middleware, a Fastify plugin and Koa middleware. Each one
// runs read() before any route, answers 403 when it throws (503 when the
// replay store failed: the server's fault, retryable), and otherwise
// makes the framework's own request properties tell the truth.
//
// How: the framework's getters (req.ip, req.protocol, ...: they read Host,
// X-Forwarded-* and the socket) are wrapped, once per prototype that
// defines them, by getters that answer from the facts the middleware left
// in the request's private slot (read.js, Slots) and call the framework's
// own getter when there are none (a request our middleware did not see).
// Defining own properties on each request instead cost more than the rest
// of the package: seven Object.defineProperty calls per request, each about
// 2 µs on a request whose prototype Express has replaced (bench/README.md).
// The wrapped getters live on the prototype the framework itself uses for
// every request, so they hold in mounted sub-apps and encapsulated plugin
// contexts, which give the request another prototype further down.

const { SecureHeadersError, CODES } = require('./errors');
const { cachedCheck, compiled, Slots } = require('./read');

const FORBIDDEN = 'Forbidden\n';
const UNAVAILABLE = 'Service Unavailable\n';

// A replay store that failed or timed out (STORE_FAILED) refuses the request
// like any other failure (fail closed), but as 503: the request itself may
// be good, a balancer may retry it elsewhere, and the client did nothing
// wrong. Every other failure is the request's: 403.
function refusal(err) {
  return err.code === CODES.STORE_FAILED ? [503, UNAVAILABLE] : [403, FORBIDDEN];
}

// Where name's getter is: the nearest object in obj's prototype chain that
// has it as an own property; null when none has.
function ownerOf(obj, name) {
  for (let o = Object.getPrototypeOf(obj); o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, name)) return o;
  }
  return null;
}

const wrapped = new WeakMap(); // prototype -> Set of names wrapped there

// Wraps, for each name in readers (name -> facts => value), the getter
// that obj (a request of the framework) finds in its prototype chain.
// rawOf(request) is the IncomingMessage that carries the facts. A name that
// no prototype has (Express's req.secureHeaders, Fastify's request.ips) is
// defined beside the first name's getter. Done once per prototype; later
// requests cost one WeakMap lookup in the middleware.
function wrapGetters(obj, readers, rawOf) {
  const names = Object.keys(readers);
  const home = ownerOf(obj, names[0]) || Object.getPrototypeOf(obj);
  for (const name of names) {
    const owner = ownerOf(obj, name) || home;
    let done = wrapped.get(owner);
    if (!done) { done = new Set(); wrapped.set(owner, done); }
    if (done.has(name)) continue;
    done.add(name);
    const orig = Object.getOwnPropertyDescriptor(owner, name);
    const read = readers[name];
    const own = orig === undefined ? () => undefined
      : orig.get !== undefined ? orig.get
        : orig.set !== undefined ? () => undefined
          : () => orig.value;
    Object.defineProperty(owner, name, {
      configurable: true,
      enumerable: orig ? orig.enumerable : false,
      get() {
        const f = Slots.facts(rawOf(this));
        return f !== undefined ? read(f) : own.call(this);
      },
      // What assigning did before: the framework's setter, an own property
      // for a data property, and a TypeError (strict code) for a getter alone.
      set: orig && orig.set ? orig.set
        : orig && orig.get ? undefined
          : function set(value) {
            Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
          },
    });
  }
}

// What each framework's properties say, from the facts. `ip` comes first:
// a property no prototype has is defined where `ip` is (wrapGetters).
const CLIENT = {
  ip: (f) => f.clientAddress,
  ips: (f) => (f.clientAddress === undefined ? [] : [f.clientAddress]),
  protocol: (f) => f.protocol,
};
const SECURE = { secure: (f) => f.protocol === 'https' };
// Fastify's and Koa's host and hostname are '' when there is no Host.
const HOST_OR_EMPTY = { hostname: (f) => f.hostname || '', host: (f) => f.host || '' };

// Express 5's req.host is Host with its port and req.hostname derives from
// it; Express 4's (deprecated) req.host is the hostname. Express 4 still
// has req.param(), which 5 removed.
const EXPRESS5 = { ...CLIENT, ...SECURE, hostname: (f) => f.hostname, host: (f) => f.host, secureHeaders: (f) => f };
const EXPRESS4 = { ...EXPRESS5, host: (f) => f.hostname };
// Fastify has no request.secure.
const FASTIFY = { ...CLIENT, ...HOST_OR_EMPTY };
const KOA = { ...CLIENT, ...SECURE, ...HOST_OR_EMPTY };

const self = (r) => r;
const fastifyRaw = (r) => r.raw;
const koaRaw = (r) => r.req;

// A layer over a prototype, for getters that cannot be wrapped where they
// are (Fastify defines its own non-configurable): a request that passed
// gets it as its prototype, made once per prototype, and its getters
// answer from the facts. Wrapping in place is preferred where possible:
// Express gives a request another prototype in each mounted sub-app, which
// would drop a layer.
function layerOver(proto, readers, rawOf) {
  const layer = Object.create(proto);
  for (const name of Object.keys(readers)) {
    const read = readers[name];
    Object.defineProperty(layer, name, {
      configurable: true,
      get() {
        const f = Slots.facts(rawOf(this));
        return f !== undefined ? read(f) : Reflect.get(proto, name, this);
      },
    });
  }
  return layer;
}

function wrappable(obj, readers) {
  for (const name of Object.keys(readers)) {
    const owner = ownerOf(obj, name);
    if (owner !== null && !Object.getOwnPropertyDescriptor(owner, name).configurable) return false;
  }
  return true;
}

// prototype -> true (its getters are wrapped) | its layer; a layer -> true.
// After the first request of each prototype: one WeakMap lookup.
const plans = new WeakMap();

// Makes obj's framework getters answer from the facts in rawOf(obj)'s slot.
function present(obj, readers, rawOf) {
  const proto = Object.getPrototypeOf(obj);
  if (proto === null) return;
  let plan = plans.get(proto);
  if (plan === undefined) {
    if (wrappable(obj, readers)) {
      wrapGetters(obj, readers, rawOf);
      plan = true;
    } else {
      plan = layerOver(proto, readers, rawOf);
      plans.set(plan, true);
    }
    plans.set(proto, plan);
  }
  if (plan !== true) Object.setPrototypeOf(obj, plan);
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
      Slots.setFacts(req, info);
      present(req, typeof req.param === 'function' ? EXPRESS4 : EXPRESS5, self);
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
      Slots.setFacts(request.raw, info);
      present(request, FASTIFY, fastifyRaw);
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
        Slots.setFacts(ctx.req, info);
        present(ctx.request, KOA, koaRaw);
        ctx.state.secureHeaders = info;
        return resolve(next());
      });
    });
  };
}

module.exports = { express, fastify, koa };
