// SPDX-License-Identifier: MIT
'use strict';
// One export list: index.js's values, declared in index.d.ts; the ES module
// entry and its declarations are generated from them (scripts/gen-esm.js).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { generate, valueNames, typeNames, declaredValues } = require('../scripts/gen-esm');

const DIR = path.join(__dirname, '..');
const read = (f) => fs.readFileSync(path.join(DIR, f), 'utf8');

test('index.mjs and index.d.mts are what scripts/gen-esm.js makes of index.js and index.d.ts', () => {
  const files = generate();
  for (const name of Object.keys(files)) {
    assert.equal(read(name), files[name], `${name} is out of step: run node node/scripts/gen-esm.js`);
  }
});

test('every export of index.js is declared in index.d.ts, and nothing else is', () => {
  const dts = read('index.d.ts');
  assert.deepEqual([...declaredValues(dts)].sort(), [...valueNames()].sort());
  assert.ok(typeNames(dts).includes('Options'));
});

test('the ES module entry gives the same names and values as require()', async () => {
  const cjs = require('..');
  const esm = await import(path.join(DIR, 'index.mjs'));
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort());
  assert.equal(esm.default, cjs);
  for (const k of Object.keys(cjs)) assert.equal(esm[k], cjs[k], k);
  // and each value is declared in index.d.mts, each type re-exported
  const dmts = read('index.d.mts');
  for (const k of Object.keys(cjs)) assert.match(dmts, new RegExp(`^export declare const ${k}: typeof secureHeaders\\.${k};$`, 'm'));
  for (const t of typeNames(read('index.d.ts'))) assert.match(dmts, new RegExp(`^export type ${t} = secureHeaders\\.${t};$`, 'm'));
});
