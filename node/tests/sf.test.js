// SPDX-License-Identifier: MIT
'use strict';
// The RFC 8941 parser on RFC 8941's own examples and its edge cases.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseDictionary, parseList, parseItem, SecureHeadersError } = require('..');

const bad = (fn) => assert.throws(fn, (e) => e instanceof SecureHeadersError && e.code === 'SIGNATURE_MALFORMED');
const plain = (v) => (v.type === 'binary' ? ['binary', v.value.toString('hex')] : [v.type, v.value]);

test('items: integer, decimal, string with escapes, token, byte sequence, boolean, parameters', () => {
  assert.deepEqual(plain(parseItem('42').item), ['integer', 42]);
  assert.deepEqual(plain(parseItem('-999999999999999').item), ['integer', -999999999999999]);
  assert.deepEqual(plain(parseItem('4.5').item), ['decimal', 4.5]);
  assert.deepEqual(plain(parseItem('"a \\"q\\" \\\\ b"').item), ['string', 'a "q" \\ b']);
  assert.deepEqual(plain(parseItem('foo123/456:x').item), ['token', 'foo123/456:x']);
  assert.deepEqual(plain(parseItem(':cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:').item),
    ['binary', Buffer.from('pretend this is binary content.').toString('hex')]);
  assert.deepEqual(plain(parseItem('?1').item), ['boolean', true]);
  const it = parseItem('5; foo=bar;baz');
  assert.deepEqual([...it.params].map(([k, v]) => [k, plain(v)]), [['foo', ['token', 'bar']], ['baz', ['boolean', true]]]);
});

test('bad items are refused', () => {
  for (const s of ['', '1234567890123456', '1234567890123.5', '1.2345', '1.', '-', '"unterminated', '"bad \\x"',
    '"tab\there"', ':not base64!:', ':YQ==YQ==:', ':YQ=:', '?2', 'é', '(', '1 2', '1;', '1;A=1']) {
    bad(() => parseItem(s));
  }
});

test('dictionaries keep members, parameters and each value\'s raw text', () => {
  const { dict, duplicates } = parseDictionary('sig1=("@method" "@path");created=1;keyid="k", b=?0, c;p=1,   d=:AQID:');
  assert.deepEqual([...dict.keys()], ['sig1', 'b', 'c', 'd']);
  const s = dict.get('sig1');
  assert.deepEqual(s.list.map((i) => i.item.value), ['@method', '@path']);
  assert.equal(s.raw, '("@method" "@path");created=1;keyid="k"');
  assert.equal(s.params.get('keyid').value, 'k');
  assert.deepEqual(plain(dict.get('c').item), ['boolean', true]);
  assert.equal(dict.get('d').item.value.toString('hex'), '010203');
  assert.deepEqual(duplicates, []);
  const d2 = parseDictionary('a=1, a=2');
  assert.equal(d2.dict.get('a').item.value, 2);
  assert.deepEqual(d2.duplicates, ['a']);
  assert.equal(parseDictionary('').dict.size, 0);
});

test('bad dictionaries and lists are refused', () => {
  for (const s of ['a=1,', 'a=1,,b=2', 'A=1', 'a=(1 2', 'a=(1,2)', 'a=1 b=2', '1=a', 'a=1;', 'a=("x"x)']) bad(() => parseDictionary(s));
  for (const s of ['1,', '(1 2', '1 2']) bad(() => parseList(s));
  assert.deepEqual(parseList('1, (2 3);p, "x"').map((m) => (m.list ? m.list.map((i) => i.item.value) : m.item.value)), [1, [2, 3], 'x']);
});

test('inner lists allow several spaces, parameters on items and on the list', () => {
  const { dict } = parseDictionary('x=(  "a";p=1   "b"  );q');
  const x = dict.get('x');
  assert.deepEqual(x.list.map((i) => i.item.value), ['a', 'b']);
  assert.equal(x.list[0].params.get('p').value, 1);
  assert.equal(x.params.get('q').value, true);
});
