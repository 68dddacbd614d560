// SPDX-License-Identifier: MIT
'use strict';
// Random and mutated Signature-Input, Signature and Envvars values: the
// parsers only ever return a value or throw SecureHeadersError, and their
// time grows linearly with the input.
//
//   PSH_FUZZ_SEED=n PSH_FUZZ_CASES=n node --test tests/robustness.test.js
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseDictionary, parseList, parseItem, decodeEnvvarsList, read, SecureHeadersError } = require('..');
const { work } = require('../lib/sf');
const { sign } = require('./signer');
const { fakeReq, prng } = require('./helpers');

const SEED = Number(process.env.PSH_FUZZ_SEED || 20261201);
const CASES = Number(process.env.PSH_FUZZ_CASES || 100000);

const ALPHABET = '()";=:,?*-._/+ \t\\@!~%abcdefgzAZ0123456789=';
const KEY = Buffer.alloc(32, 7);
const KEYS = { 'edge-1': { alg: 'hmac-sha256', key: KEY } };
const NOW = 1764600000;
const HEADERS = [['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', Buffer.from('FOO\0bar\0').toString('base64')]];
const VALID = sign({ method: 'GET', target: '/p?q', host: 'h:1', headers: HEADERS }, { keyid: 'edge-1', alg: 'hmac-sha256', key: KEY, created: NOW, nonce: 'abcdefghijklmnopqrstuv' });
const SEEDS = [
  VALID.signatureInput, VALID.signature, HEADERS[1][1],
  'sig1=("@method" "@path";req);created=1;keyid="k", sig2=:AAAA:, flag, d=4.5;x=?0',
  '(1 2 3);a=b, "str\\"ing", tok/en:1, :YWJj:, ?1, -12.345',
];

function randomString(rnd, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.85) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    else if (r < 0.95) s += String.fromCharCode(Math.floor(rnd() * 256));
    else s += String.fromCharCode(Math.floor(rnd() * 0x10000));
  }
  return s;
}

function mutate(rnd, s) {
  const ops = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 6);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
    else if (op === 1) s = s.slice(0, at) + randomString(rnd, 1 + Math.floor(rnd() * 3)) + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + randomString(rnd, 1) + s.slice(at + 1);
    else if (op === 3) s = s.slice(0, at);
    else if (op === 4) { const b = Math.floor(rnd() * s.length); s = s.slice(0, at) + s.slice(Math.min(at, b), Math.max(at, b)) + s.slice(at); } else s = s.slice(at) + s.slice(0, at);
  }
  return s;
}

function onlyOurs(fn, what) {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SecureHeadersError)) {
      e.message = `${what}: ${e.message}`;
      throw e;
    }
  }
}

test(`${CASES} random and mutated inputs (seed ${SEED}): a value or SecureHeadersError, nothing else`, { timeout: 300000 }, (t) => {
  const rnd = prng(SEED);
  let threw = 0;
  for (let i = 0; i < CASES; i++) {
    const base = SEEDS[i % SEEDS.length];
    const s = rnd() < 0.3 ? randomString(rnd, Math.floor(rnd() * 80)) : mutate(rnd, base);
    const where = `case ${i} (seed ${SEED}) input ${JSON.stringify(s)}`;
    onlyOurs(() => parseDictionary(s), where);
    onlyOurs(() => parseList(s), where);
    onlyOurs(() => parseItem(s), where);
    onlyOurs(() => decodeEnvvarsList(s), where);
    if (i % 4 === 0) {
      // The whole check on a request whose Signature-Input, Signature or
      // Envvars is the mutated value.
      const which = i % 3;
      const headers = [
        ...(which === 2 ? [HEADERS[0], ['!~Passenger-Envvars', s]] : HEADERS),
        ['Signature-Input', which === 0 ? s : VALID.signatureInput],
        ['Signature', which === 1 ? s : VALID.signature],
      ];
      const req = fakeReq({ url: '/p?q', host: 'h:1', headers });
      try { read(req, { keys: KEYS, authority: false, replayCache: false, now: () => NOW * 1000 }); } catch (e) {
        threw++;
        if (!(e instanceof SecureHeadersError)) { e.message = `read ${where}: ${e.message}`; throw e; }
      }
    }
  }
  t.diagnostic(`seed ${SEED}, ${CASES} cases, ${threw} whole-request checks refused`);
  assert.ok(threw > CASES / 8, 'most mutated requests are refused');
});

test('the unmutated signed request is accepted (the property test starts from a valid one)', () => {
  const req = fakeReq({ url: '/p?q', host: 'h:1', headers: [...HEADERS, ['Signature-Input', VALID.signatureInput], ['Signature', VALID.signature]] });
  assert.equal(read(req, { keys: KEYS, authority: false, replayCache: false, now: () => NOW * 1000 }).signed, true);
});

// Time of the fastest of several batches: the least disturbed by other load.
function bestTime(fn, reps) {
  let best = Infinity;
  for (let b = 0; b < 5; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt < best) best = dt;
  }
  return best;
}

const SHAPES = {
  'long sf-string': (n) => `a="${'x\\"'.repeat(Math.floor(n / 3))}"`,
  'long token': (n) => `a=${'t'.repeat(n)}`,
  'long byte sequence': (n) => `a=:${'QUJD'.repeat(Math.floor(n / 4))}:`,
  'many members': (n) => Array.from({ length: Math.floor(n / 6) }, (_, i) => `k${i % 1000}=1`).join(', '),
  'many inner-list items': (n) => `a=(${'"@x" '.repeat(Math.floor(n / 5))})`,
  'many parameters': (n) => `a=1${';p=?1'.repeat(Math.floor(n / 5))}`,
  'unterminated string': (n) => `a="${'y'.repeat(n)}`,
  'deep garbage': (n) => '('.repeat(n),
};

test('64 KiB values cost 4x the parser steps of 16 KiB ones: linear, not quadratic', (t) => {
  for (const [name, make] of Object.entries(SHAPES)) {
    const steps = (s) => {
      const before = work.steps;
      try { parseDictionary(s); } catch (e) { if (!(e instanceof SecureHeadersError)) throw e; }
      return work.steps - before;
    };
    const small = make(16 * 1024);
    const big = make(64 * 1024);
    const ss = steps(small);
    const sb = steps(big);
    t.diagnostic(`${name}: ${ss} steps for ${small.length} chars, ${sb} for ${big.length}`);
    assert.ok(sb <= 3 * big.length, `${name}: at most 3 looks per character (${sb} for ${big.length})`);
    assert.ok(sb / ss < 4.5, `${name}: ratio ${(sb / ss).toFixed(2)}`);
  }
});

test('and their time grows far slower than quadratically (best of 3 tries, generous bound)', (t) => {
  const cases = Object.entries(SHAPES).map(([name, make]) => [name, make(16 * 1024), make(64 * 1024), parseDictionary]);
  const env = (n) => Buffer.from('N\0'.repeat(n / 2)).toString('base64');
  cases.push(['Envvars', env(12 * 1024), env(48 * 1024), decodeEnvvarsList]);
  for (const [name, small, big, fn] of cases) {
    const run = (s) => () => { try { fn(s); } catch (e) { if (!(e instanceof SecureHeadersError)) throw e; } };
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best >= 10; attempt++) {
      // The same amount of work per batch for both sizes (40 small, 10 big).
      const ts = bestTime(run(small), 40) / 40;
      const tb = bestTime(run(big), 10) / 10;
      best = Math.min(best, tb / ts);
    }
    t.diagnostic(`${name}: time ratio 64 KiB / 16 KiB ${best.toFixed(2)} (linear 4, quadratic 16)`);
    assert.ok(best < 10, `${name}: ratio ${best.toFixed(2)}`);
  }
});

test('a whole request with 64 KiB Signature-Input and Signature values is refused cleanly', () => {
  const long = `secure-headers=(${'"x-a" '.repeat(13000)})`;
  const req = fakeReq({ headers: [...HEADERS, ['Signature-Input', long], ['Signature', `secure-headers=:${'A'.repeat(65536)}:`]] });
  assert.throws(() => read(req, { keys: KEYS, authority: false, replayCache: false }), (e) => e instanceof SecureHeadersError);
});

// read()'s fast paths must judge every input as the general code does.

// What parseDictionary() makes of a one-member field, in the recogniser's
// form (null where the recogniser must step aside: an error, another shape).
function generalInput(s, label) {
  let parsed;
  try { parsed = parseDictionary(s); } catch (e) { return null; }
  if (parsed.dict.size !== 1 || !parsed.dict.has(label)) return null;
  const m = parsed.dict.get(label);
  if (!m.list || m.dupParams) return null;
  const components = [];
  for (const it of m.list) {
    if (it.item.type !== 'string' || it.params.size) return null;
    components.push(it.item.value);
  }
  const params = {};
  for (const [k, v] of m.params) {
    if (v.type !== 'string' && v.type !== 'integer') return null;
    params[k] = v.value;
  }
  return { components, params, raw: m.raw };
}

test(`the Signature-Input and Signature recognisers agree with the general parser on ${CASES / 2} mutated values`, { timeout: 300000 }, () => {
  const { fastSignatureInput, fastSignatureText } = require('../lib/sf');
  const rnd = prng(SEED + 1);
  const label = 'secure-headers';
  const inputSeeds = [VALID.signatureInput, 'secure-headers=();created=1', `secure-headers=("a" "@b");x=1;y="z";created=${NOW};expires=${NOW + 9}`,
    'secure-headers=("@method" "@path");created=123456789012345;tag="a b"'];
  let recognised = 0;
  for (let i = 0; i < CASES / 2; i++) {
    const seed = inputSeeds[i % inputSeeds.length];
    const s = i % 50 === 0 ? seed : mutate(rnd, seed);
    const fast = fastSignatureInput(s, label, () => Object.create(null));
    if (fast) {
      recognised++;
      const general = generalInput(s, label);
      assert.ok(general, `recognised what the general parser refuses or reads otherwise: ${JSON.stringify(s)}`);
      assert.deepEqual({ components: fast.components, params: { ...fast.params }, raw: fast.raw }, general, JSON.stringify(s));
    }
    const sig = i % 50 === 0 ? VALID.signature : mutate(rnd, VALID.signature);
    const text = fastSignatureText(sig, label);
    const bytes = text === null ? null : Buffer.from(text, 'base64');
    if (bytes) {
      let general = null;
      try {
        const { dict } = parseDictionary(sig);
        const m = dict.size === 1 && dict.get(label);
        if (m && !m.list && m.item.type === 'binary' && m.params.size === 0) general = m.item.value;
      } catch (e) { /* refused */ }
      assert.ok(general && general.equals(bytes), `signature recognised otherwise: ${JSON.stringify(sig)}`);
    }
  }
  assert.ok(recognised > CASES / 50, `${recognised} recognised`);
});

test('the environment: decoding the whole value and splitting on NUL gives what decoding each piece gives', () => {
  const rnd = prng(SEED + 2);
  const perPiece = (buf) => {
    const out = [];
    let start = 0;
    let name = null;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== 0) continue;
      const piece = buf.toString('utf8', start, i);
      if (name === null) name = piece; else { out.push([name, piece]); name = null; }
      start = i + 1;
    }
    return out;
  };
  let n = 0;
  for (let k = 0; k < 20000; k++) {
    const len = 1 + Math.floor(rnd() * 40);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) {
      const r = rnd();
      // NULs, ASCII, continuation bytes, lead bytes of 2-, 3-, 4-byte sequences
      b[j] = r < 0.25 ? 0 : r < 0.45 ? 0x20 + Math.floor(rnd() * 0x5f) : r < 0.65 ? 0x80 + Math.floor(rnd() * 0x40)
        : r < 0.75 ? 0xc0 + Math.floor(rnd() * 0x20) : r < 0.85 ? 0xe0 + Math.floor(rnd() * 0x10) : 0xf0 + Math.floor(rnd() * 0x10);
    }
    b[len - 1] = 0;
    if (b.filter((x) => x === 0).length % 2) continue;
    n++;
    assert.deepEqual(decodeEnvvarsList(b.toString('base64')), perPiece(b), b.toString('hex'));
  }
  assert.ok(n > 5000);
});
