// SPDX-License-Identifier: MIT
'use strict';
// readRequest(request, options, conn): read() for a Fetch API Request (what
// Bun.serve, Deno.serve, Hono and Next.js hand an app), and the Hono
// middleware. The verification is read()'s own: the Request is turned into
// the request-like object read.js checks ({ method, url, rawHeaders,
// socket }), so both entry points give the same facts and the same
// SecureHeadersError codes for the same bytes.
//
// What a Request loses, and how it is made up for:
//  * The request-target as received. Request.url is an absolute URL the
//    runtime built, and some runtimes normalise it the WHATWG way (dot
//    segments removed, ' as %27); a signature over the received @path then
//    fails (a refusal, never a wrong answer). Where the runtime keeps the
//    node IncomingMessage underneath (Hono on @hono/node-server), pass it as
//    conn.incoming and it is read instead, rawHeaders and target as
//    received.
//  * Repeated fields. Headers joins them with ", " under one lower-cased
//    name. For signature components and Signature/Signature-Input that is
//    exactly RFC 9421's own combination, so nothing changes. For the fields
//    read() wants once (Host and the !~ headers) the joined value is split
//    back at ", ", so two !~Passenger-Proto lines are refused as read()
//    refuses them, not read as "https, https". None of their valid values
//    holds ", ".
//  * The connection: the client address and TLS state come from conn
//    (server.requestIP(request) on Bun, info.remoteAddr on Deno); only the
//    non-strict unsigned mode reports them, for a request with no !~ header.

const crypto = require('node:crypto');
const { SecureHeadersError, CODES, fail } = require('./errors');
const { readAsync, compiled } = require('./read');

const FORBIDDEN = 'Forbidden\n';
const UNAVAILABLE = 'Service Unavailable\n';

// One request-like object per Request, so that read.js keeps one verdict
// per request: the middleware and the app may both call readRequest().
const likes = new WeakMap();

function isIncoming(x) {
  return !!x && typeof x === 'object' && Array.isArray(x.rawHeaders) && typeof x.url === 'string';
}

function checkConn(conn) {
  if (conn === undefined || conn === null) return {};
  if (typeof conn !== 'object') throw new TypeError('readRequest: conn is { remoteAddress, encrypted } or { incoming }');
  if (conn.remoteAddress !== undefined && conn.remoteAddress !== null && typeof conn.remoteAddress !== 'string') {
    throw new TypeError('readRequest: conn.remoteAddress is a string (the client address the socket saw)');
  }
  if (conn.encrypted !== undefined && typeof conn.encrypted !== 'boolean') throw new TypeError('readRequest: conn.encrypted is a boolean');
  if (conn.incoming !== undefined && conn.incoming !== null && !isIncoming(conn.incoming)) {
    throw new TypeError('readRequest: conn.incoming is the node http.IncomingMessage of this request');
  }
  return conn;
}

// The origin-form target out of an absolute URL, as the URL has it: no
// parsing (which would normalise it once more).
function targetOf(url) {
  let start = 0;
  const s = url.indexOf('://');
  if (s >= 0) {
    start = s + 3;
    while (start < url.length && url[start] !== '/' && url[start] !== '?' && url[start] !== '#') start++;
  }
  let end = url.indexOf('#', start);
  if (end < 0) end = url.length;
  const t = url.slice(start, end);
  if (!t) return '/';
  return t[0] === '?' ? `/${t}` : t;
}

function splitsBack(name) {
  return name === 'host' || (name.charCodeAt(0) === 0x21 && name.charCodeAt(1) === 0x7e); // "!~"
}

// Headers.forEach rather than its iterator: the same lines, and in Deno
// several times faster (bench/web-read.js).
function rawHeadersOf(headers) {
  const raw = [];
  const add = (value, name) => {
    if (splitsBack(name) && value.indexOf(', ') >= 0) {
      for (const part of value.split(', ')) raw.push(name, part);
    } else {
      raw.push(name, value);
    }
  };
  if (typeof headers.forEach === 'function') headers.forEach(add);
  else for (const [name, value] of headers) add(value, name);
  return raw;
}

function requestLike(request, conn) {
  let like = likes.get(request);
  if (like) return like;
  if (conn.incoming) {
    like = conn.incoming;
  } else {
    like = {
      method: request.method,
      url: targetOf(request.url),
      rawHeaders: rawHeadersOf(request.headers),
      socket: { remoteAddress: conn.remoteAddress === null ? undefined : conn.remoteAddress, encrypted: conn.encrypted === true },
    };
  }
  likes.set(request, like);
  return like;
}

function isRequest(r) {
  return !!r && typeof r === 'object' && typeof r.url === 'string' && typeof r.method === 'string' &&
    !!r.headers && typeof r.headers[Symbol.iterator] === 'function';
}

/**
 * Resolves to the facts read() gives, or rejects with SecureHeadersError.
 *   request: a Fetch API Request
 *   options: read()'s options
 *   conn:    { remoteAddress, encrypted } of the connection, or
 *            { incoming } (node's IncomingMessage under the Request)
 */
function readRequest(request, options, conn) {
  try {
    if (!isRequest(request)) throw new TypeError('readRequest: request is a Fetch API Request');
    return readAsync(requestLike(request, checkConn(conn)), options);
  } catch (e) {
    return Promise.reject(e);
  }
}

// ------------------------------------------------------------------ Hono

// Where Hono's runtime adapters keep the connection: @hono/node-server puts
// { incoming, outgoing } in c.env, Bun the Server (requestIP()), Deno the
// ServeHandlerInfo (remoteAddr). Bun and Deno build Request.url's scheme
// from their own listener, so it tells TLS there.
function honoConn(ctx) {
  const env = ctx.env;
  if (env && typeof env === 'object') {
    if (isIncoming(env.incoming)) return { incoming: env.incoming };
    const raw = ctx.req.raw;
    const encrypted = raw.url.startsWith('https:');
    const server = 'server' in env && env.server && typeof env.server === 'object' ? env.server : env;
    if (typeof server.requestIP === 'function') {
      const ip = server.requestIP(raw);
      return { remoteAddress: ip ? ip.address : undefined, encrypted };
    }
    if (env.remoteAddr && typeof env.remoteAddr.hostname === 'string') return { remoteAddress: env.remoteAddr.hostname, encrypted };
  }
  return {};
}

function familyOf(address) {
  if (typeof address !== 'string') return undefined;
  return address.indexOf(':') >= 0 ? 'IPv6' : 'IPv4';
}

// A stand-in for obj whose `name` reads `value` and everything else reads
// (and calls) the real object, so adapters' own methods keep working.
function overlay(obj, props) {
  return new Proxy(obj, {
    get(t, p) {
      if (Object.prototype.hasOwnProperty.call(props, p)) return props[p];
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    has(t, p) { return Object.prototype.hasOwnProperty.call(props, p) || p in t; },
  });
}

// Hono's getConnInfo() (hono/bun, hono/deno, @hono/node-server/conninfo)
// reads c.env; it is given a view of c.env in which the remote address is
// the verified client's. The port is the proxy's and is not the client's:
// it reads undefined.
function honoAgree(ctx, info) {
  const env = ctx.env;
  if (!env || typeof env !== 'object' || !info.trusted) return;
  const address = info.clientAddress;
  if (isIncoming(env.incoming)) {
    const sock = env.incoming.socket;
    const socket = overlay(sock, { remoteAddress: address, remoteFamily: familyOf(address), remotePort: undefined });
    ctx.env = overlay(env, { incoming: overlay(env.incoming, { socket }) });
    return;
  }
  const hasServer = 'server' in env && env.server && typeof env.server === 'object';
  const server = hasServer ? env.server : env;
  if (typeof server.requestIP === 'function') {
    const raw = ctx.req.raw;
    const requestIP = (r) => (r === raw ? { address, family: familyOf(address), port: undefined } : server.requestIP(r));
    const view = overlay(server, { requestIP });
    ctx.env = hasServer ? overlay(env, { server: view }) : view;
    return;
  }
  if (env.remoteAddr && typeof env.remoteAddr.hostname === 'string') {
    ctx.env = overlay(env, { remoteAddr: { transport: env.remoteAddr.transport, hostname: address, port: undefined } });
  }
}

/**
 * Hono middleware: refuses (403, or 503 when the replay store failed)
 * before any handler; otherwise c.get('secureHeaders') is the facts.
 */
function hono(options) {
  const c = compiled(options);
  return async function secureHeadersHono(ctx, next) {
    let info;
    try {
      info = await readRequest(ctx.req.raw, c, honoConn(ctx));
    } catch (err) {
      if (!(err instanceof SecureHeadersError)) throw err;
      if (c.onReject) {
        try { c.onReject(err, ctx.req.raw); } catch (_) { /* a logging hook must not turn a 403 into a crash */ }
      }
      const store = err.code === CODES.STORE_FAILED;
      return new Response(store ? UNAVAILABLE : FORBIDDEN, {
        status: store ? 503 : 403,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    ctx.set('secureHeaders', info);
    honoAgree(ctx, info);
    await next();
    return undefined;
  };
}

// --------------------------------------------------------------- Next.js

// The proxy (Next.js 16's proxy.js, middleware.js before it) verifies; the
// pages, route handlers and server actions get the facts. They do not
// travel in a header: a header is what a client can send (CVE-2025-29927
// was an internal header believed from outside). The proxy keeps them in
// this process, under a fresh random reference (144 bits), and passes only
// that reference on, in a request header that it always overwrites. A
// reference the proxy did not make finds nothing, so a client-sent one, on
// a path the proxy did not cover, is refused. Next.js bundles the proxy and
// the pages separately, each with its own copy of this module: the table
// hangs off globalThis. It holds each entry NEXT_TTL_MS (the page may read
// it several times: layout, page, actions), at most NEXT_MAX entries.
const NEXT_REF = 'x-passenger-secure-headers-ref';
const NEXT_TTL_MS = 60000;
const NEXT_MAX = 100000;
const NEXT_TABLE = Symbol.for('passenger-secure-headers.next');

function nextTable() {
  let t = globalThis[NEXT_TABLE];
  if (!t) {
    t = new Map();
    Object.defineProperty(globalThis, NEXT_TABLE, { value: t });
  }
  return t;
}

function nextRemember(info, now) {
  const t = nextTable();
  for (const [k, e] of t) { // insertion order is expiry order
    if (e.until > now && t.size < NEXT_MAX) break;
    t.delete(k);
  }
  const ref = crypto.randomBytes(18).toString('base64url');
  t.set(ref, { info, until: now + NEXT_TTL_MS });
  return ref;
}

/**
 * Next.js proxy (middleware): export const proxy = nextProxy(NextResponse, options).
 * Refuses (403; 503 when the replay store failed) before any route runs.
 */
function nextProxy(NextResponse, options) {
  if (!NextResponse || typeof NextResponse.next !== 'function') {
    throw new TypeError("nextProxy: pass NextResponse (import { NextResponse } from 'next/server')");
  }
  const c = compiled(options);
  return async function secureHeadersProxy(request) {
    let info;
    try {
      info = await readRequest(request, c);
    } catch (err) {
      if (!(err instanceof SecureHeadersError)) throw err;
      if (c.onReject) {
        try { c.onReject(err, request); } catch (_) { /* a logging hook must not turn a 403 into a crash */ }
      }
      const store = err.code === CODES.STORE_FAILED;
      return new Response(store ? UNAVAILABLE : FORBIDDEN, {
        status: store ? 503 : 403,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    const headers = new Headers(request.headers);
    headers.set(NEXT_REF, nextRemember(info, Date.now()));
    return NextResponse.next({ request: { headers } });
  };
}

/**
 * In a page, layout, route handler or server action:
 * nextFacts(await headers()) or nextFacts(request.headers). Throws
 * SecureHeadersError (NO_SECURE_HEADERS) when the proxy did not verify this
 * request.
 */
function nextFacts(headers) {
  if (!headers || typeof headers.get !== 'function') throw new TypeError("nextFacts: the request's Headers (await headers() from 'next/headers')");
  const ref = headers.get(NEXT_REF);
  const e = ref ? nextTable().get(ref) : undefined;
  if (!e || e.until <= Date.now()) {
    fail(CODES.NO_SECURE_HEADERS, 'no facts verified for this request: the proxy (proxy.js, or middleware.js) did not run for it; its matcher must cover every route');
  }
  return e.info;
}

module.exports = { readRequest, hono, nextProxy, nextFacts, targetOf, rawHeadersOf, NEXT_REF };
