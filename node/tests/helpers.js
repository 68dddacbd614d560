// SPDX-License-Identifier: MIT
'use strict';
// A request object as node:http hands it to a handler, built from parts.
function fakeReq({ method = 'GET', url = '/', host = '127.0.0.1:3000', headers = [], remoteAddress = '127.0.0.1', encrypted = false } = {}) {
  const all = host === null ? headers : [['Host', host], ...headers];
  return { method, url, rawHeaders: all.flat(), headers: {}, socket: { remoteAddress, encrypted } };
}

// Seeded random numbers for the tests that draw many cases (the same cases
// on every run): floats in [0, 1) (mulberry32), and integers in [0, n).
function prng(seed) {
  let a = seed >>> 0;
  return () => { // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seededInts(seed) {
  const rnd = prng(seed);
  return (n) => Math.floor(rnd() * n);
}

module.exports = { fakeReq, prng, seededInts };
