// SPDX-License-Identifier: MIT
'use strict';
// RFC 8941 structured field values: a small hand-written parser for what
// HTTP Message Signatures need (dictionaries, lists, inner lists, items with
// parameters; integers, decimals, strings, tokens, byte sequences,
// booleans).
//
// Every function walks the input once, left to right, and never backs up,
// so the time is linear in the input's length. Anything that does not
// parse throws SecureHeadersError('SIGNATURE_MALFORMED'); nothing else is
// thrown (no RegExp, no JSON, no recursion deeper than an inner list).
//
// Values: { type: 'integer'|'decimal'|'string'|'token'|'binary'|'boolean',
//           value }  (binary: a Buffer)
// Items:  { item: value, params: Map<string, value>, dupParams: boolean }
// Inner lists: { list: [item, ...], params, dupParams }
// Dictionary members also carry `raw`: the member's value exactly as it
// appears in the input (what "@signature-params" is built from).

const { fail, CODES } = require('./errors');

function malformed(what, pos) {
  fail(CODES.SIGNATURE_MALFORMED, `structured field: ${what} at offset ${pos}`);
}

const isDigit = (c) => c >= 0x30 && c <= 0x39;
const isLcAlpha = (c) => c >= 0x61 && c <= 0x7a;
const isAlpha = (c) => isLcAlpha(c) || (c >= 0x41 && c <= 0x5a);

// tchar from RFC 9110: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;
for (let c = 0; c < 128; c++) if (isDigit(c) || isAlpha(c)) TCHAR[c] = 1;

const B64 = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[ch.charCodeAt(0)] = 1;

const work = { steps: 0 };

// Drops the backslash of each escape pair (the parser checked that each one
// is a backslash before a quote or a backslash).
function unescape(raw) {
  const codes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c === 0x5c) c = raw.charCodeAt(++i);
    codes[n++] = c;
  }
  return Buffer.from(codes.buffer, 0, n).toString('latin1');
}

class Parser {
  constructor(input) {
    if (typeof input !== 'string') malformed('not a string', 0);
    this.s = input;
    this.pos = 0;
  }

  // Every character is looked at through peek(); `work` counts the looks
  // (the tests check that it grows linearly with the input).
  peek() {
    work.steps++;
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  skipSP() { while (this.peek() === 0x20) this.pos++; }

  skipOWS() {
    for (let c = this.peek(); c === 0x20 || c === 0x09; c = this.peek()) this.pos++;
  }

  done() {
    this.skipSP();
    if (this.pos !== this.s.length) malformed('unexpected character', this.pos);
  }

  key() {
    const start = this.pos;
    const c = this.peek();
    if (!isLcAlpha(c) && c !== 0x2a) malformed('key expected', this.pos);
    this.pos++;
    for (;;) {
      const d = this.peek();
      if (isLcAlpha(d) || isDigit(d) || d === 0x5f || d === 0x2d || d === 0x2e || d === 0x2a) this.pos++;
      else break;
    }
    return this.s.slice(start, this.pos);
  }

  params() {
    const params = new Map();
    let dup = false;
    while (this.peek() === 0x3b) { // ';'
      this.pos++;
      this.skipSP();
      const k = this.key();
      let v = { type: 'boolean', value: true };
      if (this.peek() === 0x3d) { this.pos++; v = this.bareItem(); }
      if (params.has(k)) dup = true;
      params.set(k, v);
    }
    return { params, dup };
  }

  item() {
    const item = this.bareItem();
    const { params, dup } = this.params();
    return { item, params, dupParams: dup };
  }

  itemOrInnerList() {
    if (this.peek() !== 0x28) return this.item(); // '('
    this.pos++;
    const list = [];
    for (;;) {
      this.skipSP();
      const c = this.peek();
      if (c === 0x29) { // ')'
        this.pos++;
        const { params, dup } = this.params();
        return { list, params, dupParams: dup };
      }
      if (c === -1) malformed('unterminated inner list', this.pos);
      list.push(this.item());
      const d = this.peek();
      if (d !== 0x20 && d !== 0x29) malformed('SP or ")" expected in inner list', this.pos);
    }
  }

  bareItem() {
    const c = this.peek();
    if (c === 0x2d || isDigit(c)) return this.number();
    if (c === 0x22) return this.string();
    if (c === 0x3a) return this.binary();
    if (c === 0x3f) return this.boolean();
    if (isAlpha(c) || c === 0x2a) return this.token();
    return malformed('item expected', this.pos);
  }

  number() {
    const start = this.pos;
    let neg = false;
    if (this.peek() === 0x2d) { neg = true; this.pos++; }
    if (!isDigit(this.peek())) malformed('digit expected', this.pos);
    let intDigits = 0;
    let fracDigits = -1; // -1: no '.' seen
    for (;;) {
      const c = this.peek();
      if (isDigit(c)) {
        if (fracDigits >= 0) fracDigits++; else intDigits++;
        if (fracDigits < 0 && intDigits > 15) malformed('integer too long', this.pos);
        if (fracDigits > 3) malformed('decimal fraction too long', this.pos);
        this.pos++;
      } else if (c === 0x2e && fracDigits < 0) {
        if (intDigits > 12) malformed('decimal too long', this.pos);
        fracDigits = 0;
        this.pos++;
      } else break;
    }
    const text = this.s.slice(neg ? start + 1 : start, this.pos);
    if (fracDigits < 0) {
      const n = Number(text);
      return { type: 'integer', value: neg ? -n : n };
    }
    if (fracDigits === 0) malformed('decimal ends with "."', this.pos);
    const n = Number(text);
    return { type: 'decimal', value: neg ? -n : n };
  }

  string() {
    this.pos++; // '"'
    // One pass to the closing quote; escapes are rare, so the value is one
    // slice unless there are any, then the escaped characters are dropped
    // in a second linear pass over that slice.
    const start = this.pos;
    let escapes = false;
    for (;;) {
      const c = this.peek();
      if (c === -1) malformed('unterminated string', this.pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const d = this.pos + 1 < this.s.length ? this.s.charCodeAt(this.pos + 1) : -1;
        if (d !== 0x22 && d !== 0x5c) malformed('bad escape in string', this.pos);
        escapes = true;
        this.pos += 2;
        continue;
      }
      if (c < 0x20 || c > 0x7e) malformed('character not allowed in string', this.pos);
      this.pos++;
    }
    const raw = this.s.slice(start, this.pos);
    this.pos++; // '"'
    return { type: 'string', value: escapes ? unescape(raw) : raw };
  }

  token() {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.peek();
      if ((c >= 0 && c < 128 && TCHAR[c]) || c === 0x3a || c === 0x2f) this.pos++;
      else break;
    }
    return { type: 'token', value: this.s.slice(start, this.pos) };
  }

  binary() {
    this.pos++; // ':'
    const start = this.pos;
    let pad = 0;
    for (;;) {
      const c = this.peek();
      if (c === 0x3a) break;
      if (c === 0x3d) { pad++; if (pad > 2) malformed('bad base64 padding', this.pos); this.pos++; continue; }
      if (c < 0 || c >= 128 || !B64[c]) malformed('byte sequence expected', this.pos);
      if (pad) malformed('base64 after padding', this.pos);
      this.pos++;
    }
    const text = this.s.slice(start, this.pos);
    this.pos++; // ':'
    if (pad && text.length % 4 !== 0) malformed('bad base64 padding', this.pos);
    return { type: 'binary', value: Buffer.from(text, 'base64') };
  }

  boolean() {
    this.pos++; // '?'
    const c = this.peek();
    if (c !== 0x30 && c !== 0x31) malformed('boolean expected', this.pos);
    this.pos++;
    return { type: 'boolean', value: c === 0x31 };
  }
}

/**
 * An RFC 8941 Dictionary: Map<key, member>, members in first-seen order;
 * a repeated key keeps the last value (RFC 8941 4.2.2) and `duplicates`
 * lists it. Each member has `raw`, its value's text.
 */
function parseDictionary(input) {
  const p = new Parser(input);
  const dict = new Map();
  const duplicates = [];
  p.skipSP();
  if (p.pos === p.s.length) return { dict, duplicates };
  for (;;) {
    const k = p.key();
    let member;
    const start = p.pos + 1;
    if (p.peek() === 0x3d) { // '='
      p.pos++;
      member = p.itemOrInnerList();
      member.raw = p.s.slice(start, p.pos);
    } else {
      const { params, dup } = p.params();
      member = { item: { type: 'boolean', value: true }, params, dupParams: dup, raw: null };
    }
    if (dict.has(k)) duplicates.push(k);
    dict.set(k, member);
    p.skipOWS();
    if (p.pos === p.s.length) return { dict, duplicates };
    if (p.peek() !== 0x2c) malformed('"," expected', p.pos);
    p.pos++;
    p.skipOWS();
    if (p.pos === p.s.length) malformed('trailing ","', p.pos);
  }
}

/** An RFC 8941 List: array of items and inner lists. */
function parseList(input) {
  const p = new Parser(input);
  const list = [];
  p.skipSP();
  if (p.pos === p.s.length) return list;
  for (;;) {
    list.push(p.itemOrInnerList());
    p.skipOWS();
    if (p.pos === p.s.length) return list;
    if (p.peek() !== 0x2c) malformed('"," expected', p.pos);
    p.pos++;
    p.skipOWS();
    if (p.pos === p.s.length) malformed('trailing ","', p.pos);
  }
}

/** An RFC 8941 Item. */
function parseItem(input) {
  const p = new Parser(input);
  p.skipSP();
  const it = p.item();
  p.done();
  return it;
}


// ------------------------------------------------------------ fast paths
//
// Recognisers for the one shape a field takes when it holds exactly one
// signature, as mod_secure_headers writes it: `label=("c1" "c2" ...);k=v...`
// with plain strings (no escapes, no parameters on the components), integer
// and plain-string parameters each named once, and `label=:base64:`. For
// such input they return what parseDictionary() would give for that member
// (in a flatter form); for anything else null, and the caller parses with
// parseDictionary(), which decides (and refuses) as RFC 8941 says. They
// accept a subset of what the general parser accepts and read it the same
// way, so a request is judged the same either way, only faster.

const KEYCHAR = new Uint8Array(128); // after the first: lcalpha DIGIT _ - . *
for (let c = 0x61; c <= 0x7a; c++) KEYCHAR[c] = 1;
for (let c = 0x30; c <= 0x39; c++) KEYCHAR[c] = 1;
for (const ch of '_-.*') KEYCHAR[ch.charCodeAt(0)] = 1;

// A label the general parser reads as a key (else it refuses the field).
let lastKey = null;
function isKey(label) {
  if (label === lastKey) return true;
  const c = label.charCodeAt(0);
  if (!(c >= 0x61 && c <= 0x7a) && c !== 0x2a) return false;
  for (let i = 1; i < label.length; i++) {
    const d = label.charCodeAt(i);
    if (!(d < 128 && KEYCHAR[d] === 1)) return false;
  }
  lastKey = label;
  return true;
}

// The parameter names the module writes, as constants: a lookup with a
// constant name skips what a fresh slice costs (hashing, internalising).
const PARAM_BY_START = new Map([
  [0x63, 'created'], [0x65, 'expires'], [0x6e, 'nonce'], [0x6b, 'keyid'], [0x61, 'alg'], [0x74, 'tag'],
]);
function commonParam(s, start, end) {
  const name = PARAM_BY_START.get(s.charCodeAt(start));
  if (name === undefined || name.length !== end - start) return null;
  for (let j = 1; j < name.length; j++) if (s.charCodeAt(start + j) !== name.charCodeAt(j)) return null;
  return name;
}

// Apache writes the same label and component list on every request of a
// location: the last one recognised is kept (the text up to ")" and its
// components, frozen), and a field that starts with it is read from there.
let lastHead = null;
let lastComponents = null;

/**
 * `label=(...)` params, the whole input: { components: [string] (frozen, and
 * shared between calls with the same list), params,
 * raw } or null. params: an object made by newParams(), each parameter's
 * value a string or an integer (the only types this shape has), set in
 * order.
 */
function fastSignatureInput(s, label, newParams) {
  const n = s.length;
  const L = label.length;
  if (n < L + 3 || s.charCodeAt(L) !== 0x3d || s.charCodeAt(L + 1) !== 0x28 || s.slice(0, L) !== label || !isKey(label)) return null;
  let i = L + 2;
  let components;
  if (lastHead !== null && n > lastHead.length && s.slice(0, lastHead.length) === lastHead) {
    // the same label and component list as the last one recognised
    components = lastComponents;
    i = lastHead.length;
  } else {
    components = [];
    if (s.charCodeAt(i) !== 0x29) {
      for (;;) {
        if (s.charCodeAt(i) !== 0x22) return null;
        const start = ++i;
        for (;;) {
          const c = s.charCodeAt(i);
          if (c === 0x22) break;
          if (!(c > 0x20 && c < 0x7f) || c === 0x5c) return null; // NaN at the end, too
          i++;
        }
        components.push(s.slice(start, i));
        i++;
        const d = s.charCodeAt(i);
        if (d === 0x29) break;
        if (d !== 0x20) return null;
        i++;
      }
    }
    i++; // ')'
    // a copy of its own (a slice would keep s alive, and compares slowly)
    lastHead = Buffer.from(s.slice(0, i), 'latin1').toString('latin1');
    lastComponents = Object.freeze(components);
  }
  const params = newParams();
  while (i < n) {
    if (s.charCodeAt(i) !== 0x3b) return null;
    const kStart = ++i;
    const k0 = s.charCodeAt(i);
    if (!(k0 >= 0x61 && k0 <= 0x7a)) return null;
    i++;
    for (let c = s.charCodeAt(i); c < 128 && KEYCHAR[c] === 1; c = s.charCodeAt(i)) i++;
    const key = commonParam(s, kStart, i) || s.slice(kStart, i);
    if (params[key] !== undefined) return null; // repeated
    if (s.charCodeAt(i) !== 0x3d) return null;
    i++;
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const start = ++i;
      for (;;) {
        const d = s.charCodeAt(i);
        if (d === 0x22) break;
        if (!(d >= 0x20 && d < 0x7f) || d === 0x5c) return null;
        i++;
      }
      params[key] = s.slice(start, i);
      i++;
    } else if (c >= 0x30 && c <= 0x39) {
      const start = i;
      let value = 0;
      for (let d = c; d >= 0x30 && d <= 0x39; d = s.charCodeAt(i)) { value = value * 10 + (d - 0x30); i++; }
      if (i - start > 15) return null; // exact below 2^53, as RFC 8941 bounds them
      if (i < n && s.charCodeAt(i) !== 0x3b) return null; // a decimal, or anything else
      params[key] = value;
    } else {
      return null;
    }
  }
  return { components, params, raw: s.slice(L + 1) };
}

/**
 * `label=:base64:`, the whole input: the base64 text between the colons
 * (its characters and padding checked, not decoded), or null.
 */
function fastSignatureText(s, label) {
  const n = s.length;
  const L = label.length;
  if (n < L + 3 || s.charCodeAt(L) !== 0x3d || s.charCodeAt(L + 1) !== 0x3a || s.charCodeAt(n - 1) !== 0x3a || s.slice(0, L) !== label || !isKey(label)) return null;
  let pad = 0;
  for (let i = L + 2; i < n - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) { if (++pad > 2) return null; continue; }
    if (pad || c >= 128 || !B64[c]) return null;
  }
  const text = s.slice(L + 2, n - 1);
  if (pad && text.length % 4 !== 0) return null;
  return text;
}

module.exports = { parseDictionary, parseList, parseItem, work, fastSignatureInput, fastSignatureText };
