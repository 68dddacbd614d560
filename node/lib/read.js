'use strict';
// read(req, options): what Apache (mod_secure_headers) or Passenger vouches
// for about a request, verified when keys are given.

const net = require('node:net');
const { SecureHeadersError, fail, CODES } = require('./errors');
const { verifySignature, compileKeys, fieldLines } = require('./signature');
const { decodeEnvvarsList, envObject } = require('./envvars');
const { createMemoryReplayCache } = require('./replay');

const LABEL = 'secure-headers';
const TAG = 'mod_secure_headers';
const PROTO = '!~passenger-proto';
const CLIENT = '!~passenger-client-address';
const ENVVARS = '!~passenger-envvars';
const XF = ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'];
const REQUIRED = ['@method', '@authority', '@path', '@query'];

// ---------------------------------------------------------------- options

function compile(options) {
  const o = options || {};
  if (typeof o !== 'object') throw new TypeError('options: an object');
  const keys = o.keys === undefined || o.keys === null ? null : compileKeys(o.keys);
  const strict = o.strict === undefined ? !!keys : o.strict;
  if (typeof strict !== 'boolean') throw new TypeError('options.strict: a boolean');
  const clockSkew = o.clockSkew === undefined ? 5 : o.clockSkew;
  if (typeof clockSkew !== 'number' || !(clockSkew >= 0) || !Number.isFinite(clockSkew)) throw new TypeError('options.clockSkew: seconds >= 0');
  const maxLifetime = o.maxLifetime === undefined ? 3600 : o.maxLifetime;
  if (typeof maxLifetime !== 'number' || !(maxLifetime > 0)) throw new TypeError('options.maxLifetime: seconds > 0');
  const rc = o.replayCache;
  if (!(rc === undefined || rc === true || rc === false || (rc && typeof rc.remember === 'function'))) {
    throw new TypeError('options.replayCache: false, or an object with remember(keyid, nonce, retainUntil, now)');
  }
  let replay = null;
  if (keys && rc !== false) replay = rc === undefined || rc === true ? sharedReplayCache() : rc;
  let authority = null;
  if (o.authority !== undefined && o.authority !== null) {
    const list = Array.isArray(o.authority) ? o.authority : [o.authority];
    if (!list.length || list.some((a) => typeof a !== 'string' || !a)) throw new TypeError('options.authority: host[:port] or a list of them');
    authority = list;
  }
  const xForwarded = o.xForwarded === undefined ? false : o.xForwarded;
  if (typeof xForwarded !== 'boolean') throw new TypeError('options.xForwarded: a boolean');
  if (o.onReject !== undefined && typeof o.onReject !== 'function') throw new TypeError('options.onReject: a function (err, req)');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('options.now: a function returning milliseconds');
  return {
    keys, strict, clockSkew, maxLifetime, replay, authority, xForwarded,
    onReject: o.onReject || null,
    now: o.now || Date.now,
  };
}

// One default replay cache for the whole process, whatever options object
// asks for it: a nonce accepted once is refused everywhere after, even when
// an app builds a fresh options object per call. (Compiled options are kept
// per options object: pass the same one each time, as the middleware
// factories do, to compile the keys once.)
let sharedCache = null;
function sharedReplayCache() {
  if (!sharedCache) sharedCache = createMemoryReplayCache();
  return sharedCache;
}

const compiledByOptions = new WeakMap();
let defaultCompiled = null;

function compiled(options) {
  if (options && options.__secureHeadersCompiled) return options;
  if (options === undefined || options === null) return defaultCompiled || (defaultCompiled = mark(compile()));
  let c = compiledByOptions.get(options);
  if (!c) { c = mark(compile(options)); compiledByOptions.set(options, c); }
  return c;
}

function mark(c) {
  Object.defineProperty(c, '__secureHeadersCompiled', { value: true });
  return c;
}

// ---------------------------------------------------------------- helpers

function only(lines, name) {
  const list = lines.get(name);
  if (!list) return undefined;
  if (list.length !== 1) fail(CODES.HEADER_MALFORMED, `${name} appears ${list.length} times`, { header: name });
  return list[0];
}

function lowerAscii(s) {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

// host[:port] split; IPv6 literals keep their brackets, as the frameworks do.
function splitHost(host) {
  if (host[0] === '[') {
    const end = host.indexOf(']');
    if (end < 0) return { name: host, port: null };
    const rest = host.slice(end + 1);
    return { name: host.slice(0, end + 1), port: rest[0] === ':' ? rest.slice(1) : null };
  }
  const i = host.indexOf(':');
  return i < 0 ? { name: host, port: null } : { name: host.slice(0, i), port: host.slice(i + 1) };
}

// @authority as wire.md defines it: host lower-cased, the port dropped when
// it is the default of the connection the backend received.
function normaliseAuthority(host, encrypted) {
  const { name, port } = splitHost(host);
  const n = lowerAscii(name);
  if (port === null || port === (encrypted ? '443' : '80')) return n;
  return `${n}:${port}`;
}

function hostnameOf(host) {
  if (!host) return host;
  return splitHost(host).name;
}

// The target as received: Express moves req.url under mounted routers but
// keeps req.originalUrl.
function rawTarget(req) {
  const u = typeof req.originalUrl === 'string' ? req.originalUrl : req.url;
  return typeof u === 'string' ? u : '';
}

function hostHeader(lines) {
  const h = lines.get('host');
  if (h) {
    if (h.length !== 1) fail(CODES.HEADER_MALFORMED, 'more than one Host header', { header: 'host' });
    return h[0];
  }
  const a = lines.get(':authority');
  return a ? a[0] : undefined;
}

function socketFacts(req, lines, error) {
  const sock = req.socket || {};
  const host = hostHeader(lines);
  return freeze({
    clientAddress: sock.remoteAddress,
    protocol: sock.encrypted ? 'https' : 'http',
    host,
    hostname: hostnameOf(host),
    env: Object.create(null),
    envList: [],
    signed: false,
    keyid: null,
    trusted: false,
    error: error || null,
  });
}

function freeze(r) {
  Object.freeze(r.envList);
  for (const pair of r.envList) Object.freeze(pair);
  Object.freeze(r.env);
  return Object.freeze(r);
}

// ---------------------------------------------------------------- the check

function verifyApache(req, c, lines, secureNames, now) {
  const encrypted = !!(req.socket && req.socket.encrypted);
  const host = hostHeader(lines);
  const target = rawTarget(req);
  const q = target.indexOf('?');
  const message = {
    method: req.method,
    authority: host === undefined ? undefined : normaliseAuthority(host, encrypted),
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '?' : target.slice(q),
    __fieldLines: lines,
  };
  const v = verifySignature(message, { label: LABEL, keys: c.keys });
  const p = v.params;

  if (p.tag !== TAG) fail(CODES.TAG_MISMATCH, `tag is ${p.tag === undefined ? 'missing' : JSON.stringify(p.tag)}, not "${TAG}"`, { keyid: v.keyid });
  for (const k of ['created', 'expires', 'nonce', 'alg']) {
    if (p[k] === undefined) fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is missing`, { keyid: v.keyid });
  }
  if (p.nonce.length < 16) fail(CODES.SIGNATURE_MALFORMED, 'nonce is shorter than 16 characters', { keyid: v.keyid });
  if (p.expires < p.created) fail(CODES.SIGNATURE_MALFORMED, 'expires is before created', { keyid: v.keyid });
  if (p.expires - p.created > c.maxLifetime) fail(CODES.LIFETIME_TOO_LONG, `lifetime ${p.expires - p.created} s is over maxLifetime`, { keyid: v.keyid });
  if (p.created > now + c.clockSkew) fail(CODES.SIGNATURE_NOT_YET_VALID, `created ${p.created} is in the future (now ${Math.floor(now)})`, { keyid: v.keyid });
  if (now > p.expires + c.clockSkew) fail(CODES.SIGNATURE_EXPIRED, `expired at ${p.expires} (now ${Math.floor(now)})`, { keyid: v.keyid });

  const covered = new Set(v.components);
  for (const name of REQUIRED) {
    if (!covered.has(name)) fail(CODES.COMPONENT_NOT_COVERED, `${name} is not covered`, { keyid: v.keyid, component: name });
  }
  for (const name of secureNames) {
    if (!covered.has(name)) fail(CODES.UNCOVERED_HEADER, `${name} is not covered by the signature`, { keyid: v.keyid, header: name });
  }
  const xf = XF.filter((n) => covered.has(n));
  if (xf.length !== 0 && xf.length !== XF.length) fail(CODES.COMPONENT_NOT_COVERED, 'X-Forwarded-Proto, -Host and -For are covered together or not at all', { keyid: v.keyid });
  if (c.xForwarded && !xf.length) fail(CODES.COMPONENT_NOT_COVERED, 'xForwarded is set but X-Forwarded-* are not covered', { keyid: v.keyid });

  if (c.authority) {
    const mine = c.authority.map((a) => normaliseAuthority(a, encrypted));
    if (mine.indexOf(message.authority) < 0) {
      fail(CODES.AUTHORITY_MISMATCH, `signed for ${message.authority}, this backend is ${mine.join(' ')}`, { keyid: v.keyid });
    }
  }
  return { v, xfCovered: xf.length === XF.length };
}

// The facts, from headers that are to be believed.
function trustedFacts(req, lines, signedInfo, c) {
  const rawClient = only(lines, CLIENT);
  let clientAddress = req.socket ? req.socket.remoteAddress : undefined;
  if (rawClient !== undefined) {
    if (!net.isIP(rawClient)) fail(CODES.HEADER_MALFORMED, `${CLIENT} is not an IP address`, { header: CLIENT });
    clientAddress = rawClient;
  }
  const proto = only(lines, PROTO);
  const envB64 = only(lines, ENVVARS);
  const envList = envB64 === undefined ? [] : decodeEnvvarsList(envB64);
  let host;
  const useXfh = signedInfo ? signedInfo.xfCovered : c.xForwarded;
  if (useXfh) {
    host = only(lines, 'x-forwarded-host');
    if (host === undefined || host.indexOf(',') >= 0) {
      fail(CODES.HEADER_MALFORMED, 'X-Forwarded-Host is not one value (is SecureHeadersXForwarded On?)', { header: 'x-forwarded-host' });
    }
  } else {
    host = hostHeader(lines);
  }
  return freeze({
    clientAddress,
    protocol: proto === 'https' ? 'https' : 'http',
    host,
    hostname: hostnameOf(host),
    env: envObject(envList),
    envList,
    signed: !!signedInfo,
    keyid: signedInfo ? signedInfo.v.keyid : null,
    trusted: true,
    error: null,
  });
}

function wrapStoreError(e) {
  if (e instanceof SecureHeadersError) return e;
  return new SecureHeadersError(CODES.STORE_FAILED, `replay cache failed: ${e && e.message}`, { cause: e });
}

const acceptedNonces = new WeakMap(); // req -> Set of "keyid\nnonce" it got accepted

// Returns the facts, or a Promise of them when an asynchronous replay store
// answers; throws (or rejects with) SecureHeadersError.
function check(req, c) {
  const lines = fieldLines(req.rawHeaders || []);
  const secureNames = [];
  for (const name of lines.keys()) if (name.startsWith('!~')) secureNames.push(name);
  const nowMs = c.now();
  const now = nowMs / 1000;

  if (!c.keys) {
    if (!secureNames.length) {
      if (c.strict) fail(CODES.NO_SECURE_HEADERS, 'the request did not come through Apache or Passenger (no !~ headers)');
      return socketFacts(req, lines);
    }
    return trustedFacts(req, lines, null, c);
  }

  const soft = (err) => {
    if (c.strict || !(err instanceof SecureHeadersError)) throw err;
    return socketFacts(req, lines, err);
  };
  let signedInfo;
  try {
    const hasSig = (lines.get('signature-input') || lines.get('signature'));
    if (!secureNames.length && !hasSig) fail(CODES.NO_SECURE_HEADERS, 'the request did not come through Apache (no !~ headers, no signature)');
    signedInfo = verifyApache(req, c, lines, secureNames, now);
  } catch (err) {
    return soft(err);
  }
  const facts = () => trustedFacts(req, lines, signedInfo, c);
  if (!c.replay) return facts();

  const p = signedInfo.v.params;
  const retainUntil = p.expires + c.clockSkew;
  // The same request object checked again (other options, the app calling
  // read() after the middleware) is not a replay of itself.
  const nonceKey = `${signedInfo.v.keyid}\n${p.nonce}`;
  let mine = acceptedNonces.get(req);
  if (mine && mine.has(nonceKey)) return facts();
  const settle = (fresh) => {
    if (fresh === false) {
      fail(CODES.REPLAYED, `nonce ${p.nonce} of keyid "${signedInfo.v.keyid}" was seen before`, { keyid: signedInfo.v.keyid });
    }
    if (!mine) { mine = new Set(); acceptedNonces.set(req, mine); }
    mine.add(nonceKey);
    return facts();
  };
  let r;
  try {
    r = c.replay.remember(signedInfo.v.keyid, p.nonce, retainUntil, now);
  } catch (e) {
    return soft(wrapStoreError(e));
  }
  if (r && typeof r.then === 'function') {
    return Promise.resolve(r).then(settle, (e) => { throw wrapStoreError(e); }).catch(soft);
  }
  try {
    return settle(r);
  } catch (e) {
    return soft(e);
  }
}

// One verdict per request and options: the middleware and the app may both
// call read() without the second call looking like a replay.
const verdicts = new WeakMap(); // req -> Map(compiled -> { value } | { error } | { promise })

function cachedCheck(req, options) {
  if (!req || typeof req !== 'object') throw new TypeError('read: req is an http.IncomingMessage');
  const c = compiled(options);
  let per = verdicts.get(req);
  if (!per) { per = new Map(); verdicts.set(req, per); }
  let v = per.get(c);
  if (!v) {
    try {
      const r = check(req, c);
      if (r && typeof r.then === 'function') {
        v = { promise: r };
        r.then((value) => per.set(c, { value }), (error) => per.set(c, { error }));
      } else {
        v = { value: r };
      }
    } catch (error) {
      v = { error };
    }
    per.set(c, v);
  }
  return { v, c };
}

/**
 * Synchronous. Throws SecureHeadersError when the request is not to be
 * trusted; STORE_ASYNC when the replay store answers asynchronously (use
 * readAsync then).
 */
function read(req, options) {
  const { v } = cachedCheck(req, options);
  if (v.error) throw v.error;
  if (v.promise) fail(CODES.STORE_ASYNC, 'the replay cache is asynchronous: use readAsync()');
  return v.value;
}

function readAsync(req, options) {
  try {
    const { v } = cachedCheck(req, options);
    if (v.error) return Promise.reject(v.error);
    if (v.promise) return v.promise;
    return Promise.resolve(v.value);
  } catch (e) {
    return Promise.reject(e);
  }
}

module.exports = {
  read, readAsync, cachedCheck, compiled, normaliseAuthority, hostnameOf,
  LABEL, TAG,
};
