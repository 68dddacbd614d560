// SPDX-License-Identifier: MIT
'use strict';
// read()'s optimised code survives a full garbage collection between two
// requests. The objects read() makes per request (the header view, the
// signature's parameters, the verdict and the facts) are dropped when the
// request is done; if none of a kind were left, V8 would forget their shape
// at the next full collection and throw away every function optimised for
// it ("reason: weak objects" in --trace-deopt), to optimise them again on
// the following requests. lib/read.js keeps the last one of each.
//
// A child node with --trace-deopt reads signed and unsigned requests until
// the package's functions are optimised, collects twice, reads again, and
// prints the trace: no function of lib/ may be thrown away for weak objects.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const CHILD = `
const pkg = require(${JSON.stringify(path.join(__dirname, '..'))});
const { sign, testKeys } = require(${JSON.stringify(path.join(__dirname, 'signer.js'))});
const K = testKeys()['hmac-sha256'];
const opts = { keys: { k: { alg: 'hmac-sha256', key: K.public } }, authority: 'app.internal:3000', replayCache: false };
const plain = {};
const SECURE = [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.7']];
function request(signed) {
  const headers = [['Host', 'app.internal:3000'], ['User-Agent', 'test'], ...SECURE];
  if (signed) {
    const s = sign({ method: 'GET', target: '/x?y=1', host: 'app.internal:3000', headers: SECURE }, { keyid: 'k', alg: 'hmac-sha256', key: K.private });
    headers.push(['Signature-Input', s.signatureInput], ['Signature', s.signature]);
  }
  return { method: 'GET', url: '/x?y=1', rawHeaders: headers.flat(), socket: { remoteAddress: '127.0.0.1', encrypted: false } };
}
// As in a server with traffic, a request of each kind is in flight when
// the collection comes: the shapes of the requests themselves (the
// caller's) stay known; the test is about the package's own.
const inFlight = [];
function batch(n) {
  for (let i = 0; i < n; i++) {
    const a = request(true);
    const b = request(false);
    if (pkg.read(a, opts).signed !== true) throw new Error('not signed');
    if (pkg.read(b, plain).clientAddress !== '203.0.113.7') throw new Error('wrong facts');
    inFlight[0] = a;
    inFlight[1] = b;
  }
}
batch(20000);
console.log('--- collecting');
gc(); gc();
batch(2000);
console.log('--- done');
`;

// V8's behaviour, so node's: under Bun or Deno the child is node from PATH.
/* global Deno */
const NODE = process.versions.bun || typeof Deno !== 'undefined' ? 'node' : process.execPath;

test('no function of the package is deoptimised for weak objects after a full collection', () => {
  const r = spawnSync(NODE, ['--expose-gc', '--trace-deopt', '-e', CHILD], { encoding: 'utf8', timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const after = r.stdout.slice(r.stdout.indexOf('--- collecting'));
  assert.ok(after.includes('--- done'), 'the child ran to the end');
  // the SharedFunctionInfo names of code thrown away for weak objects
  const lost = [...after.matchAll(/<SharedFunctionInfo ([^>]*)>\) \(opt id \d+\) for deoptimization, reason: weak objects/g)].map((m) => m[1]);
  // Names of the package's own functions (they are not unique to it: the
  // child runs nothing else but the test signer, whose names differ). Not
  // hmac.js's mac(): where node has no crypto.hash() (Node 18) it calls
  // createHmac(), whose Hmac objects are node's shapes, not the package's.
  const ours = new Set(['Fields', 'linesOf', 'check', 'cachedCheck', 'verifyApache', 'trustedFacts', 'hostHeader', 'makeFacts',
    'verifyLines', 'inputMember', 'sigMember', 'componentValue', 'fastSignatureInput', 'fastSignatureText', 'coverageOf', 'read',
    'stamp', 'Slots', 'verdictOf', 'keepVerdict']);
  const mine = lost.filter((n) => ours.has(n));
  assert.deepEqual(mine, [], `thrown away after the collection: ${lost.join(', ')}`);
  // and the trace is what this test reads: deoptimisations are reported
  assert.match(r.stdout, /bailout|deoptimiz/, 'the child printed a deoptimisation trace');
});
