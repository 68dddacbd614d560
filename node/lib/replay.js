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

const { fail, CODES } = require('./errors');

function createMemoryReplayCache({ maxEntries = 100000 } = {}) {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries: a positive integer');
  const seen = new Map(); // key -> retainUntil
  const heap = []; // binary min-heap of [retainUntil, key]
  let floor = -Infinity;

  const less = (a, b) => a[0] < b[0];
  function push(e) {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }
  function pop() {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    seen.delete(top[1]);
    return top;
  }

  return {
    /**
     * true: first sight, now remembered; false: seen before (a replay).
     * retainUntil and now are Unix seconds.
     */
    remember(keyid, nonce, retainUntil, now = Date.now() / 1000) {
      while (heap.length && heap[0][0] < now) pop();
      const key = `${keyid}\n${nonce}`;
      if (seen.has(key)) return false;
      if (retainUntil <= floor) {
        fail(CODES.REPLAY_CACHE_FULL, `replay cache full: refusing signatures that expire by ${floor} (raise maxEntries)`);
      }
      while (seen.size >= maxEntries) floor = Math.max(floor, pop()[0]);
      seen.set(key, retainUntil);
      push([retainUntil, key]);
      return true;
    },
    get size() { return seen.size; },
    get floor() { return floor; },
  };
}

module.exports = { createMemoryReplayCache };
