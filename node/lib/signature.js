// SPDX-License-Identifier: MIT
'use strict';
// RFC 9421 HTTP Message Signatures, verification only, node:crypto only.
//
// verifySignature() is the general part: it finds one labelled signature
// in a message's Signature-Input and Signature fields, builds the signature
// base from the components that signature lists, and checks it with the
// key its keyid names. It applies no policy of its own beyond RFC 9421
// (no clock, no required components, no tag): read() adds those for
// mod_secure_headers' signatures. It also verifies RFC 9421's own examples.

const crypto = require('node:crypto');
const { fail, CODES } = require('./errors');
const { parseDictionary, fastSignatureInput, fastSignatureText } = require('./sf');
const { HmacKey, roomFor } = require('./hmac');

const ALGS = {
  'hmac-sha256': {
    sigLength: 32,
    compileKey(key, keyid) {
      let bytes;
      if (typeof key === 'string') bytes = Buffer.from(key, 'utf8');
      else if (Buffer.isBuffer(key) || key instanceof Uint8Array) bytes = Buffer.from(key);
      else if (key instanceof crypto.KeyObject && key.type === 'secret') bytes = key.export();
      else throw new TypeError(`keys["${keyid}"]: an hmac-sha256 key is a Buffer or string`);
      if (bytes.length < 32) throw new TypeError(`keys["${keyid}"]: an hmac-sha256 key has at least 32 bytes (got ${bytes.length})`);
      return new HmacKey(bytes);
    },
    // base: the signature base as a latin1 string (one char per byte),
    // hashed as it is (hmac.js).
    verify(key, base, sig) {
      const mac = key.mac(base);
      return sig.length === mac.length && crypto.timingSafeEqual(mac, sig);
    },
    // The signature as Signature carried it, base64 text not yet decoded:
    // the MAC as base64 text (cheaper to get from node:crypto than a
    // Buffer) compared with it in constant time, which spares decoding it
    // and a Buffer per request. The same bytes may be written otherwise
    // (unpadded, or spare bits set in the last character), which the
    // decoder accepts: when the texts differ, the bytes are compared.
    verifyText(key, base, text) {
      const mac = key.mac(base, 'base64');
      if (sameText(mac, text)) return true;
      const sig = Buffer.from(text, 'base64');
      return sig.length === 32 && crypto.timingSafeEqual(Buffer.from(mac, 'base64'), sig);
    },
  },
  ed25519: {
    sigLength: 64,
    compileKey(key, keyid) {
      const k = publicKey(key, keyid);
      if (k.asymmetricKeyType !== 'ed25519') throw new TypeError(`keys["${keyid}"]: not an Ed25519 key (${k.asymmetricKeyType})`);
      return k;
    },
    verify(key, base, sig) { return crypto.verify(null, latin1View(base), key, sig); },
  },
  'ecdsa-p256-sha256': {
    sigLength: 64,
    compileKey(key, keyid) {
      const k = publicKey(key, keyid);
      const curve = k.asymmetricKeyDetails && k.asymmetricKeyDetails.namedCurve;
      if (k.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
        throw new TypeError(`keys["${keyid}"]: not a P-256 key (${k.asymmetricKeyType} ${curve || ''})`);
      }
      // r||s, 64 bytes (RFC 9421 3.3.4), not DER; the options object made once
      return { key: k, dsaEncoding: 'ieee-p1363' };
    },
    verify(key, base, sig) { return crypto.verify('sha256', latin1View(base), key, sig); },
  },
};

// The signature base and the signature's bytes, for crypto.verify(), in
// buffers kept for the purpose: crypto.verify() reads them before it
// returns, and a fresh Buffer of each per request cost about 3 µs of
// allocation and collection (bench/README.md).
let baseScratch = Buffer.allocUnsafe(2048);
const sigScratch = Buffer.allocUnsafe(128);
function latin1View(text) {
  baseScratch = roomFor(baseScratch, text.length);
  return baseScratch.subarray(0, baseScratch.write(text, 0, 'latin1'));
}
// The bytes of base64 text; null when they would not fit in 127 bytes
// (longer than any signature here).
function sigView(text) {
  const n = sigScratch.write(text, 0, 'base64');
  return n < sigScratch.length ? sigScratch.subarray(0, n) : null;
}

// a === b for two strings of one-byte characters, in time that depends
// on their lengths only (the length of a MAC's text is no secret).
function sameText(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

// A backend verifies with the public key only: a private key here would
// let whoever reads the app's files sign requests to every backend, which
// is what asymmetric keys are meant to prevent.
function publicKey(key, keyid) {
  let isPrivate = key instanceof crypto.KeyObject && key.type === 'private';
  if (!isPrivate && !(key instanceof crypto.KeyObject)) {
    try {
      crypto.createPrivateKey(key);
      isPrivate = true;
    } catch (_) {
      // not a private key: good
    }
  }
  if (isPrivate) {
    throw new TypeError(`keys["${keyid}"]: this is a private key; a backend needs only the public key, and one that holds ` +
      'the private key can sign requests to every backend: give backends the public key: ' +
      `openssl pkey -in ${keyid}.pem -pubout -out ${keyid}.pub.pem`);
  }
  try {
    if (key instanceof crypto.KeyObject) {
      if (key.type !== 'public') throw new Error(`a ${key.type} key`);
      return key;
    }
    return crypto.createPublicKey(key);
  } catch (e) {
    throw new TypeError(`keys["${keyid}"]: not a public key: ${e.message}`);
  }
}

/** { keyid: { alg, key } } -> Map(keyid -> { alg, key }) with keys ready for node:crypto. */
function compileKeys(keys) {
  if (keys instanceof Map && keys.__secureHeadersCompiled) return keys;
  if (!isPlainObject(keys)) {
    throw new TypeError(`keys: a plain object keyed by keyid, { "edge-2026-12": { alg, key } } (got ${keys instanceof Map ? 'a Map' : Array.isArray(keys) ? 'an array' : typeof keys})`);
  }
  if (typeof keys.alg === 'string' && 'key' in keys) {
    throw new TypeError(`keys: keyed by keyid, { "<keyid>": { alg: "${keys.alg}", key } }, not one { alg, key }: the keyid is the one in Apache's SecureHeadersSignKey`);
  }
  const out = new Map();
  for (const keyid of Object.keys(keys)) {
    const spec = keys[keyid];
    if (!isPlainObject(spec)) throw new TypeError(`keys["${keyid}"]: { alg, key }`);
    unknownNames(spec, SPEC_NAMES, `keys["${keyid}"]`);
    const alg = ALGS[spec.alg];
    if (!alg || !Object.prototype.hasOwnProperty.call(ALGS, spec.alg)) {
      throw new TypeError(`keys["${keyid}"].alg: one of ${Object.keys(ALGS).join(', ')} (got ${String(spec.alg)})`);
    }
    out.set(keyid, { alg: spec.alg, key: alg.compileKey(spec.key, keyid) });
  }
  if (!out.size) throw new TypeError('keys: at least one key');
  Object.defineProperty(out, '__secureHeadersCompiled', { value: true });
  return out;
}

const SPEC_NAMES = ['alg', 'key'];

function isPlainObject(x) {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

// "x" is not an option: did you mean "y"? (lazily: options.js requires this file)
function unknownNames(obj, valid, what) {
  return require('./options').unknownNames(obj, valid, what);
}

// Field lines of a message: [[name, value], ...] or node's flat rawHeaders.
// -> Map(lower-cased name -> [trimmed value, ...]) in order.
function fieldLines(headers) {
  const map = new Map();
  const add = (name, value) => {
    const n = String(name).toLowerCase();
    const v = trimOWS(String(value));
    const list = map.get(n);
    if (list) list.push(v); else map.set(n, [v]);
  };
  if (!Array.isArray(headers)) {
    if (headers && typeof headers === 'object') {
      for (const name of Object.keys(headers)) {
        const v = headers[name];
        if (Array.isArray(v)) for (const x of v) add(name, x); else if (v !== undefined) add(name, v);
      }
    }
    return map;
  }
  if (headers.length && Array.isArray(headers[0])) {
    for (const pair of headers) add(pair[0], pair[1]);
  } else {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  }
  return map;
}

function trimOWS(s) {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const NON_LATIN1 = /[^\u0000-\u00ff]/;

function plainParam(v) {
  return v.type === 'binary' ? v.value.toString('base64') : v.value;
}

// The derived components this verifier knows, and where the message holds
// them.
function derived(message, name) {
  switch (name) {
    case '@method': return message.method;
    case '@authority': return message.authority;
    case '@path': return message.path;
    case '@query': return message.query;
    case '@scheme': return message.scheme;
    case '@target-uri': return message.targetUri;
    case '@request-target': return message.requestTarget;
    default: return fail(CODES.SIGNATURE_MALFORMED, `unsupported derived component ${name}`);
  }
}

// lower-case tchar (RFC 9421 2.1: component names are lower-cased)
const FIELD_CHAR = new Uint8Array(128);
for (let c = 0x61; c <= 0x7a; c++) FIELD_CHAR[c] = 1;
for (let c = 0x30; c <= 0x39; c++) FIELD_CHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") FIELD_CHAR[ch.charCodeAt(0)] = 1;

function isFieldName(name) {
  if (!name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(c < 128 && FIELD_CHAR[c] === 1)) return false;
  }
  return true;
}

// A field's lines as lines.get() gives them: an array of one or more
// values, or (read()'s view of a request, which spares an array for the
// usual single line) the one value itself.
function combined(list) {
  if (typeof list === 'string') return list;
  return list.length === 1 ? list[0] : list.join(', ');
}

function oneLine(list) {
  if (typeof list === 'string') return list;
  return list !== undefined && list.length === 1 ? list[0] : undefined;
}

// namesOk: every field name of the list is known to be well-formed.
function componentValue(message, lines, name, namesOk) {
  let value;
  if (name.charCodeAt(0) === 0x40) { // '@'
    value = derived(message, name);
    if (typeof value !== 'string') fail(CODES.COMPONENT_MISSING, `the message has no ${name}`, { component: name });
  } else {
    if (!namesOk && !isFieldName(name)) fail(CODES.SIGNATURE_MALFORMED, 'bad component name');
    const list = lines.get(name);
    if (list === undefined) fail(CODES.COMPONENT_MISSING, `covered field ${name} is not in the message`, { component: name });
    value = combined(list);
  }
  if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) fail(CODES.SIGNATURE_MALFORMED, `line break in ${name}`);
  return value;
}

function memberOf(lines, field, label) {
  const list = lines.get(field);
  if (list === undefined) return null;
  const { dict, duplicates } = parseDictionary(combined(list));
  if (duplicates.length && duplicates.indexOf(label) >= 0) fail(CODES.SIGNATURE_MALFORMED, `${field} has more than one "${label}" member`);
  const m = dict.get(label);
  return m === undefined ? null : m;
}

// Signature-Input's member `label`: { components, params: [[k, v]], raw },
// null when absent. The common case (one line, one signature, as the
// module writes it) by sf.js's recogniser, anything else by the general
// parser and the checks below; RFC 8941 errors first, in field order.
function inputMember(lines, label) {
  const one = oneLine(lines.get('signature-input'));
  if (one !== undefined) {
    const fast = fastSignatureInput(one, label, newParams);
    if (fast) return fast;
  }
  return memberOf(lines, 'signature-input', label);
}

function sigMember(lines, label) {
  const one = oneLine(lines.get('signature'));
  if (one !== undefined) {
    const fast = fastSignatureText(one, label);
    if (fast !== null) return fast; // '' too: a byte sequence of none
  }
  return memberOf(lines, 'signature', label);
}

// The last shared (frozen) component list found to have no repeats.
let uniqueComponents = null;

// What the signature base needs of a component list, worked out once for
// the last shared (frozen) list, which the recogniser hands out for every
// request signed alike: each line's '"name": ' head, and whether every
// field name in it is well-formed (then not checked again per request).
let lastPlan = null;
function planOf(components) {
  if (lastPlan !== null && lastPlan.list === components) return lastPlan;
  const heads = new Array(components.length);
  let namesOk = true;
  for (let i = 0; i < components.length; i++) {
    const name = components[i];
    heads[i] = (i === 0 ? '"' : '\n"') + name + '": ';
    if (name.charCodeAt(0) !== 0x40 && !isFieldName(name)) namesOk = false;
  }
  const plan = { list: components, heads, namesOk };
  if (Object.isFrozen(components)) lastPlan = plan;
  return plan;
}

// The signature's parameters by name: an object that inherits nothing (a
// parameter named "constructor" or "tostring" is just that), with V8's fast
// properties, which Object.create(null) does not get.
function Params() {}
Params.prototype = Object.create(null);
const newParams = () => new Params();
const TYPED = ['keyid', 'alg', 'nonce', 'tag', 'created', 'expires'];

function checkedInput(input, label) {
  if (input.components) return input;
  if (!input.list) fail(CODES.SIGNATURE_MALFORMED, `Signature-Input "${label}" is not an inner list`);
  if (input.dupParams) fail(CODES.SIGNATURE_MALFORMED, 'a signature parameter is repeated');
  return null;
}

/**
 * Verifies the signature labelled `label` of `message`.
 *   message: { method, authority, path, query, [scheme, targetUri,
 *              requestTarget], headers }  headers: [[name, value], ...],
 *              node's flat rawHeaders, or { name: value | [values] }
 *   options: { label, keys: { keyid: { alg, key } } }
 * Returns { label, keyid, alg, components, params, base } or throws
 * SecureHeadersError.
 */
function verifySignature(message, options) {
  if (!message || typeof message !== 'object') throw new TypeError('verifySignature: message');
  const { label } = options || {};
  if (typeof label !== 'string' || !label) throw new TypeError('verifySignature: options.label');
  const keys = compileKeys(options.keys);
  const v = verifyLines(message, fieldLines(message.headers), label, keys);
  v.components = v.components.slice(); // the caller's own
  return v;
}

// The verification itself. lines: anything with get(lower-cased name) ->
// [value, ...] | value | undefined (a Map from fieldLines(), or read()'s own
// one-pass view of a request's rawHeaders).
function verifyLines(message, lines, label, keys) {
  const input = inputMember(lines, label);
  const sig = sigMember(lines, label);
  if (!input && sig === null) fail(CODES.SIGNATURE_MISSING, `no signature labelled "${label}"`);
  if (!input || sig === null) fail(CODES.SIGNATURE_MALFORMED, `"${label}" is in only one of Signature-Input and Signature`);
  const fast = checkedInput(input, label);
  // the recogniser's base64 text, or the general parser's member
  const sigText = typeof sig === 'string' ? sig : null;
  if (sigText === null && (sig.list || sig.item.type !== 'binary')) fail(CODES.SIGNATURE_MALFORMED, `Signature "${label}" is not a byte sequence`);

  let components;
  if (fast) {
    components = fast.components;
    if (components !== uniqueComponents) {
      for (let i = 1; i < components.length; i++) {
        if (components.lastIndexOf(components[i], i - 1) >= 0) fail(CODES.SIGNATURE_MALFORMED, `component ${components[i]} is listed twice`);
      }
      if (Object.isFrozen(components)) uniqueComponents = components;
    }
  } else {
    components = [];
    for (const it of input.list) {
      if (it.item.type !== 'string') fail(CODES.SIGNATURE_MALFORMED, 'a component identifier is not a string');
      if (it.params.size) fail(CODES.SIGNATURE_MALFORMED, 'component parameters are not supported');
      if (components.indexOf(it.item.value) >= 0) fail(CODES.SIGNATURE_MALFORMED, `component ${it.item.value} is listed twice`);
      components.push(it.item.value);
    }
  }

  let params;
  if (fast) {
    // strings and integers only: their JS types tell them apart
    params = fast.params;
    for (const k of TYPED) {
      const v = params[k];
      if (v !== undefined && typeof v !== (k === 'created' || k === 'expires' ? 'number' : 'string')) {
        fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is not ${k === 'created' || k === 'expires' ? 'an integer' : 'a string'}`);
      }
    }
  } else {
    params = new Params();
    for (const [k, v] of input.params) params[k] = plainParam(v);
    for (const k of TYPED) {
      const v = input.params.get(k);
      if (v && v.type !== (k === 'created' || k === 'expires' ? 'integer' : 'string')) {
        fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is not ${k === 'created' || k === 'expires' ? 'an integer' : 'a string'}`);
      }
    }
  }

  if (typeof params.keyid !== 'string') fail(CODES.UNKNOWN_KEY, 'the signature names no keyid');
  const entry = keys.get(params.keyid);
  if (!entry) fail(CODES.UNKNOWN_KEY, `unknown keyid "${params.keyid}"`, { keyid: params.keyid });
  if (params.alg !== undefined && params.alg !== entry.alg) {
    fail(CODES.ALG_MISMATCH, `keyid "${params.keyid}" is ${entry.alg}, the signature says ${params.alg}`, { keyid: params.keyid });
  }

  const plan = planOf(components);
  const heads = plan.heads;
  let base = '';
  for (let i = 0; i < components.length; i++) {
    base += heads[i] + componentValue(message, lines, components[i], plan.namesOk);
  }
  base += (components.length === 0 ? '"@signature-params": ' : '\n"@signature-params": ') + input.raw;

  // Node hands header values and the target over as latin1 strings (one
  // char per byte), so latin1 gives back the bytes Apache signed.
  if (NON_LATIN1.test(base)) fail(CODES.SIGNATURE_MALFORMED, 'a component value is not a byte string');
  const alg = ALGS[entry.alg];
  let ok = false;
  try {
    if (sigText !== null && alg.verifyText !== undefined) {
      ok = alg.verifyText(entry.key, base, sigText);
    } else {
      const sigBytes = sigText !== null ? sigView(sigText) : sig.item.value;
      ok = sigBytes !== null && sigBytes.length === alg.sigLength && alg.verify(entry.key, base, sigBytes);
    }
  } catch (_) {
    ok = false; // OpenSSL refused the bytes: not a valid signature
  }
  if (!ok) fail(CODES.SIGNATURE_INVALID, `signature does not verify with keyid "${params.keyid}"`, { keyid: params.keyid });
  return { label, keyid: params.keyid, alg: entry.alg, components, params, base };
}

module.exports = { verifySignature, verifyLines, compileKeys, fieldLines, trimOWS, ALGS };
