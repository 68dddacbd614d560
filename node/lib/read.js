// SPDX-License-Identifier: MIT
'use strict';
// read(req, options): what Apache (mod_secure_headers) or Passenger vouches
// for about a request, verified when keys are given.

const net = require('node:net');
const http = require('node:http');
const http2 = require('node:http2');
const { SecureHeadersError, fail, CODES } = require('./errors');
const { verifyLines, fieldLines, trimOWS } = require('./signature');
const { envFacts } = require('./envvars');
const { compile: compileOptions } = require('./options');

const LABEL = 'secure-headers';
const TAG = 'mod_secure_headers';
const PROTO = '!~passenger-proto';
const CLIENT = '!~passenger-client-address';
const ENVVARS = '!~passenger-envvars';
const XF = ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'];
const REQUIRED = ['@method', '@authority', '@path', '@query'];

// ---------------------------------------------------------------- options

function compile(options) {
  const c = compileOptions(options);
  // as @authority reads on a plain and on a TLS connection
  c.authorityPlain = c.authority && c.authority.map((a) => normaliseAuthority(a, false));
  c.authorityTls = c.authority && c.authority.map((a) => normaliseAuthority(a, true));
  return c;
}

// Compiled options are kept per options object: pass the same one each
// time, as the middleware factories do, to compile the keys once.
const compiledByOptions = new WeakMap();
let defaultCompiled = null;

let lastOptions = null;
let lastCompiled = null;

function compiled(options) {
  if (options === lastOptions && lastCompiled) return lastCompiled;
  const c = compiledSlow(options);
  lastOptions = options;
  lastCompiled = c;
  return c;
}

function compiledSlow(options) {
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

// The field lines read() looks at, from one pass over rawHeaders, each in
// its own slot: the three secure headers, any other "!~" name, Host,
// :authority, Signature-Input, Signature and X-Forwarded-Proto/-Host/-For.
// Names are matched by length and then compared ASCII-case-insensitively
// (what toLowerCase() does to them: no other character lower-cases to one
// of theirs), so a browser's dozen other headers cost a test or two each
// and nothing is allocated for them. A covered field outside that set (a
// signature may cover any field) is looked up in a full fieldLines() map,
// built then. get(name) -> trimmed value | [trimmed value, ...] (two or
// more lines) | undefined.
//
// id, lower-case name, and the case mod_proxy and mod_secure_headers send
// it in (tried first: one string comparison instead of a character loop).
const KNOWN = [
  [0, 'host', 'Host'],
  [1, ':authority', ':authority'],
  [2, 'signature-input', 'Signature-Input'],
  [3, 'signature', 'Signature'],
  [4, 'x-forwarded-proto', 'X-Forwarded-Proto'],
  [5, 'x-forwarded-host', 'X-Forwarded-Host'],
  [6, 'x-forwarded-for', 'X-Forwarded-For'],
  [7, PROTO, '!~Passenger-Proto'],
  [8, CLIENT, '!~Passenger-Client-Address'],
  [9, ENVVARS, '!~Passenger-Envvars'],
].map(([id, lower, sent]) => ({ id, lower, sent }));
const BY_LENGTH = [];
for (const k of KNOWN) (BY_LENGTH[k.lower.length] || (BY_LENGTH[k.lower.length] = [])).push(k);

// name (any case) is `lower` (lower-case ASCII)
function sameName(name, lower) {
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

function knownName(name) {
  const candidates = BY_LENGTH[name.length];
  if (candidates === undefined) return null;
  for (let j = 0; j < candidates.length; j++) {
    const k = candidates[j];
    if (name === k.sent || sameName(name, k.lower)) return k;
  }
  return null;
}

// A slot holds its one line's value, or an array of them from the second
// on (one array fewer per header for the usual single line).
function append(cur, v) {
  if (cur === undefined) return v;
  if (typeof cur === 'string') return [cur, v];
  cur.push(v);
  return cur;
}

class Fields {
  constructor(raw) {
    this.raw = raw;
    this.host = undefined;
    this.authority = undefined;
    this.sigInput = undefined;
    this.sig = undefined;
    this.xfp = undefined;
    this.xfh = undefined;
    this.xff = undefined;
    this.proto = undefined;
    this.client = undefined;
    this.envvars = undefined;
    this.others = null; // Map: the other "!~" names
    this.secure = null; // every "!~" name present, lower-cased, first-seen order
    this.all = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = typeof raw[i] === 'string' ? raw[i] : String(raw[i]);
      const known = knownName(name);
      if (known !== null) {
        const v = trimOWS(String(raw[i + 1]));
        // one named field per case: each store stays monomorphic
        switch (known.id) {
          case 0: this.host = append(this.host, v); break;
          case 1: this.authority = append(this.authority, v); break;
          case 2: this.sigInput = append(this.sigInput, v); break;
          case 3: this.sig = append(this.sig, v); break;
          case 4: this.xfp = append(this.xfp, v); break;
          case 5: this.xfh = append(this.xfh, v); break;
          case 6: this.xff = append(this.xff, v); break;
          case 7:
            if (this.proto === undefined) (this.secure || (this.secure = [])).push(PROTO);
            this.proto = append(this.proto, v); break;
          case 8:
            if (this.client === undefined) (this.secure || (this.secure = [])).push(CLIENT);
            this.client = append(this.client, v); break;
          default:
            if (this.envvars === undefined) (this.secure || (this.secure = [])).push(ENVVARS);
            this.envvars = append(this.envvars, v); break;
        }
      } else if (name.charCodeAt(0) === 0x21 && name.charCodeAt(1) === 0x7e) {
        this.other(name.toLowerCase(), raw[i + 1]);
      }
    }
  }

  other(n, value) {
    const v = trimOWS(String(value));
    if (!this.others) this.others = new Map();
    const list = this.others.get(n);
    if (list) { list.push(v); return; }
    this.others.set(n, [v]);
    (this.secure || (this.secure = [])).push(n);
  }

  get(name) {
    switch (name) {
      case 'host': return this.host;
      case ':authority': return this.authority;
      case 'signature-input': return this.sigInput;
      case 'signature': return this.sig;
      case 'x-forwarded-proto': return this.xfp;
      case 'x-forwarded-host': return this.xfh;
      case 'x-forwarded-for': return this.xff;
      case PROTO: return this.proto;
      case CLIENT: return this.client;
      case ENVVARS: return this.envvars;
      default:
        if (name.charCodeAt(0) === 0x21 && name.charCodeAt(1) === 0x7e) return this.others ? this.others.get(name) : undefined;
        if (!this.all) this.all = fieldLines(this.raw);
        return this.all.get(name);
    }
  }
}

// rawHeaders as read() finds them: node's flat list; [name, value] pairs
// and { name: value | [values] } are flattened first.
function linesOf(req) {
  const raw = req.rawHeaders || [];
  if (Array.isArray(raw) && !(raw.length && Array.isArray(raw[0]))) return new Fields(raw);
  const flat = [];
  for (const [name, values] of fieldLines(raw)) for (const v of values) flat.push(name, v);
  return new Fields(flat);
}

function only(list, name) {
  if (list === undefined || typeof list === 'string') return list;
  if (list.length !== 1) fail(CODES.HEADER_MALFORMED, `${name} appears ${list.length} times`, { header: name });
  return list[0];
}

function lowerAscii(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

// Where a host[:port]'s port starts (its ':'), or -1; IPv6 literals keep
// their brackets, as the frameworks do.
function portColon(host) {
  if (host.charCodeAt(0) === 0x5b) { // '['
    const end = host.indexOf(']');
    if (end < 0) return -1;
    return host.charCodeAt(end + 1) === 0x3a ? end + 1 : -1;
  }
  return host.indexOf(':');
}

// @authority as docs/wire-format.md defines it: host lower-cased, the port
// dropped when it is the default of the connection the backend received.
function normaliseAuthority(host, encrypted) {
  const i = portColon(host);
  if (i < 0) return lowerAscii(host);
  const port = host.slice(i + 1);
  const n = lowerAscii(host.slice(0, i));
  if (port === (encrypted ? '443' : '80')) return n;
  return `${n}:${port}`;
}

function hostnameOf(host) {
  if (!host) return host;
  if (host === lastHost) return lastHostname;
  const i = portColon(host);
  const name = i < 0 ? host : host.slice(0, i);
  lastHost = host;
  lastHostname = name;
  return name;
}

// A backend sees the same Host on request after request: the last one's
// hostname and @authority are kept (a comparison of a few characters
// instead of a search, slices and a concatenation).
let lastHost = null;
let lastHostname = null;
let lastAuthorityOf = null;
let lastAuthorityTls = false;
let lastAuthority = null;

function authorityOf(host, encrypted) {
  if (host === lastAuthorityOf && encrypted === lastAuthorityTls) return lastAuthority;
  const a = normaliseAuthority(host, encrypted);
  lastAuthorityOf = host;
  lastAuthorityTls = encrypted;
  lastAuthority = a;
  return a;
}

// The target as received: Express moves req.url under mounted routers but
// keeps req.originalUrl.
function rawTarget(req) {
  const u = typeof req.originalUrl === 'string' ? req.originalUrl : req.url;
  return typeof u === 'string' ? u : '';
}

function hostHeader(lines) {
  const h = lines.host;
  if (h !== undefined) {
    if (typeof h !== 'string') fail(CODES.HEADER_MALFORMED, 'more than one Host header', { header: 'host' });
    return h;
  }
  const a = lines.authority;
  return a === undefined || typeof a === 'string' ? a : a[0];
}

const EMPTY_ENV = Object.freeze(Object.create(null));
const EMPTY_LIST = Object.freeze([]);

function makeFacts(clientAddress, protocol, host, e, signed, keyid, trusted, error) {
  return Object.freeze({
    clientAddress, protocol, host, hostname: hostnameOf(host),
    env: e ? e.env : EMPTY_ENV, envList: e ? e.list : EMPTY_LIST,
    signed, keyid, trusted, error,
  });
}

function socketFacts(req, lines, error) {
  const sock = req.socket || {};
  return makeFacts(sock.remoteAddress, sock.encrypted ? 'https' : 'http', hostHeader(lines), null, false, null, false, error || null);
}

// ---------------------------------------------------------------- the check

function verifyApache(req, c, lines, secureNames, now) {
  const encrypted = !!(req.socket && req.socket.encrypted);
  const host = hostHeader(lines);
  const target = rawTarget(req);
  const q = target.indexOf('?');
  const message = {
    method: req.method,
    authority: host === undefined ? undefined : authorityOf(host, encrypted),
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '?' : target.slice(q),
  };
  const v = verifyLines(message, lines, LABEL, c.keys);
  const p = v.params;

  if (p.tag !== TAG) fail(CODES.TAG_MISMATCH, `tag is ${p.tag === undefined ? 'missing' : JSON.stringify(p.tag)}, not "${TAG}"`, { keyid: v.keyid });
  if (p.created === undefined) missing('created', v);
  if (p.expires === undefined) missing('expires', v);
  if (p.nonce === undefined) missing('nonce', v);
  if (p.alg === undefined) missing('alg', v);
  if (p.nonce.length < 16) fail(CODES.SIGNATURE_MALFORMED, 'nonce is shorter than 16 characters', { keyid: v.keyid });
  if (p.expires < p.created) fail(CODES.SIGNATURE_MALFORMED, 'expires is before created', { keyid: v.keyid });
  if (p.expires - p.created > c.maxLifetime) fail(CODES.LIFETIME_TOO_LONG, `lifetime ${p.expires - p.created} s is over maxLifetime`, { keyid: v.keyid });
  if (p.created > now + c.clockSkew) fail(CODES.SIGNATURE_NOT_YET_VALID, `created ${p.created} is in the future (now ${Math.floor(now)})`, { keyid: v.keyid });
  if (now > p.expires + c.clockSkew) fail(CODES.SIGNATURE_EXPIRED, `expired at ${p.expires} (now ${Math.floor(now)})`, { keyid: v.keyid });

  const covered = v.components;
  const cov = coverageOf(covered);
  if (cov.missing !== null) fail(CODES.COMPONENT_NOT_COVERED, `${cov.missing} is not covered`, { keyid: v.keyid, component: cov.missing });
  if (secureNames) {
    for (const name of secureNames) {
      if (!coversName(cov, name)) fail(CODES.UNCOVERED_HEADER, `${name} is not covered by the signature`, { keyid: v.keyid, header: name });
    }
  }
  const xf = cov.xf;
  if (xf !== 0 && xf !== XF.length) fail(CODES.COMPONENT_NOT_COVERED, 'X-Forwarded-Proto, -Host and -For are covered together or not at all', { keyid: v.keyid });
  if (c.xForwarded && !xf) fail(CODES.COMPONENT_NOT_COVERED, 'xForwarded is set but X-Forwarded-* are not covered', { keyid: v.keyid });

  if (c.authority) {
    const mine = encrypted ? c.authorityTls : c.authorityPlain;
    if (mine.indexOf(message.authority) < 0) {
      fail(CODES.AUTHORITY_MISMATCH, `signed for ${message.authority}, this backend is ${mine.join(' ')}`, { keyid: v.keyid });
    }
  }
  return { v, xfCovered: xf === XF.length };
}

// Which required component is missing (or null) and how many of
// X-Forwarded-* are covered, for a component list; kept for the last
// shared (frozen) list, which the recogniser hands out again and again.
let lastCoverage = null;
function coverageOf(covered) {
  if (lastCoverage !== null && lastCoverage.list === covered) return lastCoverage;
  let missingName = null;
  for (let i = 0; i < REQUIRED.length && missingName === null; i++) if (covered.indexOf(REQUIRED[i]) < 0) missingName = REQUIRED[i];
  let xf = 0;
  for (let i = 0; i < XF.length; i++) if (covered.indexOf(XF[i]) >= 0) xf++;
  const cov = {
    list: covered, missing: missingName, xf,
    proto: covered.indexOf(PROTO) >= 0, client: covered.indexOf(CLIENT) >= 0, envvars: covered.indexOf(ENVVARS) >= 0,
  };
  if (Object.isFrozen(covered)) lastCoverage = cov;
  return cov;
}

// The three secure headers' names come from the header pass as these very
// constants: one identity test each, instead of a search of the list.
function coversName(cov, name) {
  if (name === PROTO) return cov.proto;
  if (name === CLIENT) return cov.client;
  if (name === ENVVARS) return cov.envvars;
  return cov.list.indexOf(name) >= 0;
}

function missing(k, v) {
  fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is missing`, { keyid: v.keyid });
}

// The facts, from headers that are to be believed.
function trustedFacts(req, lines, signedInfo, c) {
  const rawClient = only(lines.client, CLIENT);
  let clientAddress = req.socket ? req.socket.remoteAddress : undefined;
  if (rawClient !== undefined) {
    if (!net.isIP(rawClient)) fail(CODES.HEADER_MALFORMED, `${CLIENT} is not an IP address`, { header: CLIENT });
    clientAddress = rawClient;
  }
  const proto = only(lines.proto, PROTO);
  const envB64 = only(lines.envvars, ENVVARS);
  const env = envB64 === undefined ? null : envFacts(envB64);
  let host;
  const useXfh = signedInfo ? signedInfo.xfCovered : c.xForwarded;
  if (useXfh) {
    host = only(lines.xfh, 'x-forwarded-host');
    if (host === undefined || host.indexOf(',') >= 0) {
      fail(CODES.HEADER_MALFORMED, 'X-Forwarded-Host is not one value (is SecureHeadersXForwarded On?)', { header: 'x-forwarded-host' });
    }
  } else {
    host = hostHeader(lines);
  }
  return makeFacts(clientAddress, proto === 'https' ? 'https' : 'http', host, env,
    !!signedInfo, signedInfo ? signedInfo.v.keyid : null, true, null);
}

function wrapStoreError(e) {
  if (e instanceof SecureHeadersError) return e;
  return new SecureHeadersError(CODES.STORE_FAILED, `replay cache failed: ${e && e.message}`, { cause: e });
}

// Per request, one slot object with three members:
//   verdict   the verdict, or Map(compiled options -> verdict);
//   accepted  "keyid\nnonce" that this request got accepted, or a Set of
//             them (the same request read again is not a replay of itself);
//   facts     what a framework middleware made the framework's own
//             properties say (frameworks.js reads it from its getters).
//
// On a request that still has the prototype node gave it (node:http's,
// the HTTP/2 compatibility API's, or a plain object's) the slot is a
// private field that the Slots class stamps on the request itself (a
// constructor that returns another object gives that object the
// subclass's fields). Like a non-enumerable property it is not copied with
// the request ({ ...req }, Object.assign: a copy is another request, with
// no verdict of its own yet); unlike one, adding it costs no
// Object.defineProperty, and no one else can read or change it.
//
// A request whose prototype a framework has replaced (Express does, on
// every request, before any middleware runs) takes a new property, field
// or not, at many times the cost (about 2 µs against a few ns on node's
// own request objects: bench/node-slots.js); its slot is an entry in a
// WeakMap instead, as is that of a frozen request.
class Stamped {
  constructor(o) { return o; }
}
const PLAIN_PROTOS = new Set([http.IncomingMessage, http2.Http2ServerRequest, Object]
  .filter((C) => typeof C === 'function').map((C) => C.prototype));
const side = new WeakMap(); // request -> slot

// Whether a new slot for req goes in the WeakMap. (Looking a request up
// there costs a few ns when it has no entry, so every request is looked
// up: one whose prototype changed after it got its slot still finds it.)
function onSide(req) {
  return !PLAIN_PROTOS.has(Object.getPrototypeOf(req)) || !Object.isExtensible(req);
}

class Slots extends Stamped {
  #slot;
  constructor(req, slot) {
    super(req);
    this.#slot = slot;
  }

  /** req's slot, or undefined. Read by the framework getters on every access. */
  static of(req) {
    return #slot in req ? req.#slot : side.get(req);
  }

  /** req's slot, made if it has none. */
  static stamp(req) {
    let slot = Slots.of(req);
    if (slot !== undefined) return slot;
    slot = { verdict: undefined, accepted: undefined, facts: undefined };
    if (onSide(req)) side.set(req, slot);
    else new Slots(req, slot); // eslint-disable-line no-new
    return slot;
  }

  // What the framework getters ask about whatever they are called on (the
  // prototype itself, say): anything but an object has no facts.
  static facts(req) {
    if (req === null || typeof req !== 'object') return undefined;
    const slot = Slots.of(req);
    return slot === undefined ? undefined : slot.facts;
  }

  static setFacts(req, f) { Slots.stamp(req).facts = f; }
}

function softly(req, c, lines, err) {
  if (c.strict || !(err instanceof SecureHeadersError)) throw err;
  return socketFacts(req, lines, err);
}

// The last request's per-request objects, kept alive: V8 forgets an object
// shape when no object of it is left, and throws away the code optimised
// for it ("weak objects" in --trace-deopt). The header view, the signature's
// parameters and the verdict live only during a request, so after a full
// collection between two requests the functions that use them would be
// optimised again from scratch; one of each kept here keeps their shapes.
const shapes = { lines: null, signed: null, verdict: null };

// Returns the facts, or a Promise of them when an asynchronous replay store
// answers; throws (or rejects with) SecureHeadersError.
function check(req, c) {
  const lines = linesOf(req);
  shapes.lines = lines;
  const secureNames = lines.secure;

  if (!c.keys) {
    if (!secureNames) {
      if (c.strict) fail(CODES.NO_SECURE_HEADERS, 'the request did not come through Apache or Passenger (no !~ headers)');
      return socketFacts(req, lines);
    }
    return trustedFacts(req, lines, null, c);
  }

  const now = c.now() / 1000;
  let signedInfo;
  try {
    if (!secureNames && lines.sigInput === undefined && lines.sig === undefined) {
      fail(CODES.NO_SECURE_HEADERS, 'the request did not come through Apache (no !~ headers, no signature)');
    }
    signedInfo = verifyApache(req, c, lines, secureNames, now);
    shapes.signed = signedInfo;
  } catch (err) {
    return softly(req, c, lines, err);
  }
  if (!c.replay) return trustedFacts(req, lines, signedInfo, c);
  return remembered(req, c, lines, signedInfo, now);
}

function remembered(req, c, lines, signedInfo, now) {
  const p = signedInfo.v.params;
  const keyid = signedInfo.v.keyid;
  const retainUntil = p.expires + c.clockSkew;
  // The same request object checked again (other options, the app calling
  // read() after the middleware) is not a replay of itself.
  const nonceKey = `${keyid}\n${p.nonce}`;
  const slot = Slots.stamp(req);
  const mine = slot.accepted;
  if (mine !== undefined && (mine === nonceKey || (typeof mine !== 'string' && mine.has(nonceKey)))) return trustedFacts(req, lines, signedInfo, c);
  // A store that remembers only since it started (the in-memory cache,
  // after a restart) cannot know what was accepted before.
  const startedAt = c.replay.startedAt;
  if (typeof startedAt === 'number' && p.created < Math.floor(startedAt)) {
    return softly(req, c, lines, new SecureHeadersError(CODES.CREATED_BEFORE_CACHE,
      `created ${p.created} is before the replay cache started (${Math.floor(startedAt)}): it may have been accepted before a restart`, { keyid }));
  }
  const settle = (fresh) => {
    if (fresh === false) {
      fail(CODES.REPLAYED, `nonce ${p.nonce} of keyid "${keyid}" was seen before`, { keyid });
    }
    // usually one nonce per request: the string itself; a Set past one
    const now2 = slot.accepted;
    if (now2 === undefined) slot.accepted = nonceKey;
    else if (typeof now2 === 'string') slot.accepted = new Set([now2, nonceKey]);
    else now2.add(nonceKey);
    return trustedFacts(req, lines, signedInfo, c);
  };
  let r;
  try {
    r = c.replay.remember(keyid, p.nonce, retainUntil, now);
  } catch (e) {
    return softly(req, c, lines, wrapStoreError(e));
  }
  if (r && typeof r.then === 'function') {
    return Promise.resolve(r).then(settle, (e) => { throw wrapStoreError(e); }).catch((e) => softly(req, c, lines, e));
  }
  try {
    return settle(r);
  } catch (e) {
    return softly(req, c, lines, e);
  }
}

// One verdict per request and options: the middleware and the app may both
// call read() without the second call looking like a replay.
class Verdict {
  constructor(c) {
    this.c = c;
    this.value = undefined;
    this.error = null;
    this.promise = null;
  }
}

function verdictOf(req, c) {
  const slot = Slots.of(req);
  const own = slot === undefined ? undefined : slot.verdict;
  if (own === undefined) return undefined;
  if (own instanceof Verdict) return own.c === c ? own : undefined;
  return own.get(c);
}

function keepVerdict(req, v) {
  const slot = Slots.stamp(req);
  const own = slot.verdict;
  if (own instanceof Map) { own.set(v.c, v); return; }
  slot.verdict = own !== undefined && own.c !== v.c ? new Map([[own.c, own], [v.c, v]]) : v;
}

// read() without the middleware compiles its options on the first request:
// the authority to pin is then in front of us, as Apache signed it.
function withHostHint(e, req) {
  if (!(e instanceof TypeError) || !/^options\.authority is missing/.test(e.message)) return e;
  const raw = req.rawHeaders || [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === 'host') {
      e.message += `. This request came for Host ${JSON.stringify(String(raw[i + 1]))}: with ProxyPreserveHost Off, that is the value`;
      break;
    }
  }
  return e;
}

/** The verdict on req for options: { value } | { error } | { promise }. */
function cachedCheck(req, options) {
  if (!req || typeof req !== 'object') throw new TypeError('read: req is an http.IncomingMessage');
  let c;
  try {
    c = compiled(options);
  } catch (e) {
    throw withHostHint(e, req);
  }
  let v = verdictOf(req, c);
  if (v) return v;
  v = new Verdict(c);
  shapes.verdict = v;
  try {
    const r = check(req, c);
    if (r && typeof r.then === 'function') {
      v.promise = r;
      r.then((value) => { v.value = value; v.promise = null; }, (error) => { v.error = error; v.promise = null; });
    } else {
      v.value = r;
    }
  } catch (error) {
    v.error = error;
  }
  keepVerdict(req, v);
  return v;
}

/**
 * Synchronous. Throws SecureHeadersError when the request is not to be
 * trusted; STORE_ASYNC when the replay store answers asynchronously (use
 * readAsync then).
 */
function read(req, options) {
  const v = cachedCheck(req, options);
  if (v.error) throw v.error;
  if (v.promise) fail(CODES.STORE_ASYNC, 'the replay cache is asynchronous: use readAsync()');
  return v.value;
}

function readAsync(req, options) {
  try {
    const v = cachedCheck(req, options);
    if (v.error) return Promise.reject(v.error);
    if (v.promise) return v.promise;
    return Promise.resolve(v.value);
  } catch (e) {
    return Promise.reject(e);
  }
}

module.exports = {
  read, readAsync, cachedCheck, compiled, normaliseAuthority, hostnameOf, Slots,
  LABEL, TAG,
};
