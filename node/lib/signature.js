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
const { parseDictionary } = require('./sf');

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
      return bytes;
    },
    verify(key, base, sig) {
      const mac = crypto.createHmac('sha256', key).update(base).digest();
      return sig.length === mac.length && crypto.timingSafeEqual(mac, sig);
    },
  },
  ed25519: {
    sigLength: 64,
    compileKey(key, keyid) {
      const k = publicKey(key, keyid);
      if (k.asymmetricKeyType !== 'ed25519') throw new TypeError(`keys["${keyid}"]: not an Ed25519 key (${k.asymmetricKeyType})`);
      return k;
    },
    verify(key, base, sig) { return crypto.verify(null, base, key, sig); },
  },
  'ecdsa-p256-sha256': {
    sigLength: 64,
    compileKey(key, keyid) {
      const k = publicKey(key, keyid);
      const curve = k.asymmetricKeyDetails && k.asymmetricKeyDetails.namedCurve;
      if (k.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
        throw new TypeError(`keys["${keyid}"]: not a P-256 key (${k.asymmetricKeyType} ${curve || ''})`);
      }
      return k;
    },
    // r||s, 64 bytes (RFC 9421 3.3.4), not DER.
    verify(key, base, sig) { return crypto.verify('sha256', base, { key, dsaEncoding: 'ieee-p1363' }, sig); },
  },
};

function publicKey(key, keyid) {
  try {
    if (key instanceof crypto.KeyObject) return key.type === 'public' ? key : crypto.createPublicKey(key);
    return crypto.createPublicKey(key);
  } catch (e) {
    throw new TypeError(`keys["${keyid}"]: not a public key: ${e.message}`);
  }
}

/** { keyid: { alg, key } } -> Map(keyid -> { alg, key }) with keys ready for node:crypto. */
function compileKeys(keys) {
  if (keys instanceof Map && keys.__secureHeadersCompiled) return keys;
  if (!keys || typeof keys !== 'object') throw new TypeError('keys: an object { keyid: { alg, key } }');
  const out = new Map();
  for (const keyid of Object.keys(keys)) {
    const spec = keys[keyid];
    if (!spec || typeof spec !== 'object') throw new TypeError(`keys["${keyid}"]: { alg, key }`);
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

const DERIVED = {
  '@method': 'method',
  '@authority': 'authority',
  '@path': 'path',
  '@query': 'query',
  '@scheme': 'scheme',
  '@target-uri': 'targetUri',
  '@request-target': 'requestTarget',
};

function isFieldName(name) {
  if (!name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // lower-case tchar (RFC 9421 2.1: component names are lower-cased)
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || "!#$%&'*+-.^_`|~".indexOf(name[i]) >= 0;
    if (!ok) return false;
  }
  return true;
}

function componentValue(message, lines, name) {
  let value;
  if (name[0] === '@') {
    const prop = Object.prototype.hasOwnProperty.call(DERIVED, name) ? DERIVED[name] : null;
    if (!prop) fail(CODES.SIGNATURE_MALFORMED, `unsupported derived component ${name}`);
    value = message[prop];
    if (typeof value !== 'string') fail(CODES.COMPONENT_MISSING, `the message has no ${name}`, { component: name });
  } else {
    if (!isFieldName(name)) fail(CODES.SIGNATURE_MALFORMED, 'bad component name');
    const list = lines.get(name);
    if (!list) fail(CODES.COMPONENT_MISSING, `covered field ${name} is not in the message`, { component: name });
    value = list.join(', ');
  }
  if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) fail(CODES.SIGNATURE_MALFORMED, `line break in ${name}`);
  return value;
}

function memberOf(lines, field, label) {
  const list = lines.get(field);
  if (!list) return null;
  const { dict, duplicates } = parseDictionary(list.join(', '));
  if (duplicates.indexOf(label) >= 0) fail(CODES.SIGNATURE_MALFORMED, `${field} has more than one "${label}" member`);
  return dict.has(label) ? dict.get(label) : null;
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
  const lines = message.__fieldLines instanceof Map ? message.__fieldLines : fieldLines(message.headers);

  const input = memberOf(lines, 'signature-input', label);
  const sig = memberOf(lines, 'signature', label);
  if (!input && !sig) fail(CODES.SIGNATURE_MISSING, `no signature labelled "${label}"`);
  if (!input || !sig) fail(CODES.SIGNATURE_MALFORMED, `"${label}" is in only one of Signature-Input and Signature`);
  if (!input.list) fail(CODES.SIGNATURE_MALFORMED, `Signature-Input "${label}" is not an inner list`);
  if (input.dupParams) fail(CODES.SIGNATURE_MALFORMED, 'a signature parameter is repeated');
  if (sig.list || sig.item.type !== 'binary') fail(CODES.SIGNATURE_MALFORMED, `Signature "${label}" is not a byte sequence`);

  const components = [];
  for (const it of input.list) {
    if (it.item.type !== 'string') fail(CODES.SIGNATURE_MALFORMED, 'a component identifier is not a string');
    if (it.params.size) fail(CODES.SIGNATURE_MALFORMED, 'component parameters are not supported');
    if (components.indexOf(it.item.value) >= 0) fail(CODES.SIGNATURE_MALFORMED, `component ${it.item.value} is listed twice`);
    components.push(it.item.value);
  }

  const params = Object.create(null);
  for (const [k, v] of input.params) params[k] = plainParam(v);
  for (const k of ['keyid', 'alg', 'nonce', 'tag']) {
    const v = input.params.get(k);
    if (v && v.type !== 'string') fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is not a string`);
  }
  for (const k of ['created', 'expires']) {
    const v = input.params.get(k);
    if (v && v.type !== 'integer') fail(CODES.SIGNATURE_MALFORMED, `parameter ${k} is not an integer`);
  }

  if (typeof params.keyid !== 'string') fail(CODES.UNKNOWN_KEY, 'the signature names no keyid');
  const entry = keys.get(params.keyid);
  if (!entry) fail(CODES.UNKNOWN_KEY, `unknown keyid "${params.keyid}"`, { keyid: params.keyid });
  if (params.alg !== undefined && params.alg !== entry.alg) {
    fail(CODES.ALG_MISMATCH, `keyid "${params.keyid}" is ${entry.alg}, the signature says ${params.alg}`, { keyid: params.keyid });
  }

  const baseLines = [];
  for (const name of components) baseLines.push(`"${name}": ${componentValue(message, lines, name)}`);
  baseLines.push(`"@signature-params": ${input.raw}`);
  const base = baseLines.join('\n');

  // Node hands header values and the target over as latin1 strings (one
  // char per byte), so latin1 gives back the bytes Apache signed.
  if (NON_LATIN1.test(base)) fail(CODES.SIGNATURE_MALFORMED, 'a component value is not a byte string');
  const alg = ALGS[entry.alg];
  const sigBytes = sig.item.value;
  let ok = false;
  try {
    ok = sigBytes.length === alg.sigLength && alg.verify(entry.key, Buffer.from(base, 'latin1'), sigBytes);
  } catch (_) {
    ok = false; // OpenSSL refused the bytes: not a valid signature
  }
  if (!ok) fail(CODES.SIGNATURE_INVALID, `signature does not verify with keyid "${params.keyid}"`, { keyid: params.keyid });
  return { label, keyid: params.keyid, alg: entry.alg, components, params, base };
}

module.exports = { verifySignature, compileKeys, fieldLines, trimOWS, ALGS };
