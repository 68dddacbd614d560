#!/usr/bin/env node
// SPDX-License-Identifier: MIT
'use strict';
// Where the package keeps its per-request state (node/lib/read.js, Slots):
// what it costs to attach a slot to a request, on node's own
// IncomingMessage and on one whose prototype was replaced first, as
// Express does for every request (Object.setPrototypeOf(req, app.request)).
//
//   node bench/node-slots.js
//
// Per request, ns, median of 5 rounds of 200,000 fresh requests each: making
// the request (and replacing its prototype) alone, then with three private
// fields stamped, one property added, or one WeakMap entry.
const { IncomingMessage } = require('node:http');
const net = require('node:net');

const socket = new net.Socket();
const appRequest = Object.create(Object.create(IncomingMessage.prototype)); // as express() makes app.request

class Stamped { constructor(o) { return o; } }
class Three extends Stamped {
  #a; #b; #c;
  constructor(o) { super(o); this.#a = undefined; this.#b = undefined; this.#c = 1; }
  static get(o) { return #c in o ? o.#c : undefined; }
}
const SLOT = Symbol('slot');
const side = new WeakMap();
const WAYS = {
  'nothing attached': () => 1,
  'three private fields': (m) => { new Three(m); return Three.get(m); }, // eslint-disable-line no-new
  'one property': (m) => { m[SLOT] = 1; return m[SLOT]; },
  'one WeakMap entry': (m) => { side.set(m, 1); return side.get(m); },
};

const N = 200000;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(fn, replaced) {
  let x = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const m = new IncomingMessage(socket);
    m.method = 'GET';
    if (replaced) Object.setPrototypeOf(m, appRequest);
    x += fn(m);
  }
  if (x !== N) throw new Error('lost a slot');
  return Number(process.hrtime.bigint() - t0) / N;
}

console.log(`node ${process.version}, ns per request (median of 5 rounds of ${N})\n`);
console.log('| attached | node\'s IncomingMessage | prototype replaced (Express) |');
console.log('|---|---:|---:|');
for (const [name, fn] of Object.entries(WAYS)) {
  const plain = [];
  const replaced = [];
  for (let r = 0; r < 6; r++) {
    const a = time(fn, false);
    const b = time(fn, true);
    if (r > 0) { plain.push(a); replaced.push(b); } // the first round warms up
  }
  console.log(`| ${name} | ${median(plain).toFixed(0)} | ${median(replaced).toFixed(0)} |`);
}
