// SPDX-License-Identifier: MIT
'use strict';
// docs/troubleshooting.md explains every error code the npm package can
// throw, and names no code that does not exist.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { codes } = require('../node');

const DOC = fs.readFileSync(path.join(__dirname, '..', 'docs', 'troubleshooting.md'), 'utf8');
const table = DOC.slice(DOC.indexOf('## Package error codes'));
const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/mg)].map((m) => m[1]);

test('every package error code has a row: cause and fix', () => {
  assert.ok(Object.keys(codes).length >= 20);
  for (const code of Object.keys(codes)) assert.ok(documented.includes(code), `${code} is not in docs/troubleshooting.md`);
});

test('every row names a code the package has', () => {
  for (const code of documented) assert.ok(code in codes, `docs/troubleshooting.md documents ${code}, which the package does not have`);
});
