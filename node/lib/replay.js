// SPDX-License-Identifier: MIT
'use strict';
// The default replay cache: remembers each accepted (keyid, nonce) until
// its signature could no longer be accepted anyway (expires + clock skew),
// in bounded memory.
//
// When the bound is reached the entry that would be forgotten first (the
// smallest "retain until") is evicted, and its retain-until becomes a
// floor: every later signature whose retain-until is not later than the
// floor is refused (REPLAY_CACHE_FULL). A replay of an evicted nonce
// carries the same expires, so it is always under the floor: nothing can
// be replayed, at the price of refusing some genuine requests while the
// cache is overloaded. Size it for requests per second x signature
// lifetime.
//
// A restart must not reopen the window: the cache knows when it started
// (startedAt, Unix seconds), and read() refuses every signature created in
// an earlier second (CREATED_BEFORE_CACHE), since the process that may
// have accepted it is gone with its memory. Requests signed in the second
// the cache starts still pass: refusing them would refuse the first
// requests after every start, and only a process that stopped in that
// same second could have seen them.
//
// It is one process's memory: where several processes serve the same
// port (node:cluster, PM2's cluster mode) each would accept a captured
// request once. The options refuse it there unless created with
// { perProcess: true }, which says that this is what is wanted.

const { fail, CODES } = require('./errors');

const MEMORY = new WeakMap(); // cache -> { perProcess }

/** { perProcess } when x is an in-memory cache made here, else null. */
function memoryCacheOf(x) {
  return (x && typeof x === 'object' && MEMORY.get(x)) || null;
}

const OPTIONS = ['maxEntries', 'perProcess'];

function createMemoryReplayCache(options = {}) {
  if (!options || typeof options !== 'object') throw new TypeError('createMemoryReplayCache(options): an object { maxEntries, perProcess }');
  for (const name of Object.keys(options)) {
    if (OPTIONS.indexOf(name) < 0) {
      const { closest } = require('./options');
      const near = closest(name, OPTIONS);
      throw new TypeError(`createMemoryReplayCache: "${name}" is not an option${near ? `: did you mean ${near}?` : ''} (the options are ${OPTIONS.join(', ')})`);
    }
  }
  return makeMemoryCache(Object.assign({}, options, { startedAt: Date.now() / 1000 }));
}

function makeMemoryCache({ maxEntries = 100000, perProcess = false, startedAt }) {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('createMemoryReplayCache: maxEntries: a positive integer');
  if (typeof perProcess !== 'boolean') throw new TypeError('createMemoryReplayCache: perProcess: a boolean (true: one cache per process, even in a cluster; see docs/replay.md)');
  // Entries are grouped by their retain-until (Apache signs with whole
  // seconds, so a busy second's requests share one): what is forgotten at
  // a time goes together, and the ordering is kept over distinct
  // retain-untils only, a heap a few dozen long, not one entry per request.
  const seen = new Set(); // "keyid\nnonce"
  const groups = new Map(); // retainUntil -> [key, ...]
  const times = []; // binary min-heap of the retainUntils in groups
  let floor = -Infinity;
  let lastTime = NaN; // the group the last entry went to
  let lastGroup = null;

  function pushTime(t) {
    times.push(t);
    let i = times.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p] <= t) break;
      times[i] = times[p];
      i = p;
    }
    times[i] = t;
  }
  function popTime() {
    const top = times[0];
    const last = times.pop();
    if (times.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= times.length) break;
        const m = l + 1 < times.length && times[l + 1] < times[l] ? l + 1 : l;
        if (times[m] >= last) break;
        times[i] = times[m];
        i = m;
      }
      times[i] = last;
    }
    groups.delete(top);
    if (top === lastTime) { lastTime = NaN; lastGroup = null; }
    return top;
  }
  // Forgets every entry whose retain-until is before now.
  function expire(now) {
    while (times.length && times[0] < now) {
      for (const k of groups.get(times[0])) seen.delete(k);
      popTime();
    }
  }
  // Forgets the entry that would be forgotten first; returns its retain-until.
  function evictOne() {
    const t = times[0];
    const g = groups.get(t);
    seen.delete(g.pop());
    if (!g.length) popTime();
    return t;
  }

  const cache = {
    /**
     * true: first sight, now remembered; false: seen before (a replay).
     * retainUntil and now are Unix seconds.
     */
    remember(keyid, nonce, retainUntil, now = Date.now() / 1000) {
      if (times.length && times[0] < now) expire(now);
      const key = `${keyid}\n${nonce}`;
      if (seen.has(key)) return false;
      if (retainUntil <= floor) {
        fail(CODES.REPLAY_CACHE_FULL, `replay cache full: refusing signatures that expire by ${floor} (raise maxEntries)`);
      }
      while (seen.size >= maxEntries) floor = Math.max(floor, evictOne());
      seen.add(key);
      if (retainUntil !== lastTime) {
        lastGroup = groups.get(retainUntil);
        if (lastGroup === undefined) {
          lastGroup = [];
          groups.set(retainUntil, lastGroup);
          pushTime(retainUntil);
        }
        lastTime = retainUntil;
      }
      lastGroup.push(key);
      return true;
    },
    get size() { return seen.size; },
    get floor() { return floor; },
    /** Unix seconds; signatures created in an earlier second are refused (CREATED_BEFORE_CACHE). */
    get startedAt() { return startedAt; },
  };
  MEMORY.set(cache, { perProcess });
  return cache;
}

module.exports = { createMemoryReplayCache, makeMemoryCache, memoryCacheOf };
