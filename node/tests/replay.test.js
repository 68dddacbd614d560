// SPDX-License-Identifier: MIT
'use strict';
// The bounded replay cache: nothing evicted can be replayed.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createMemoryReplayCache, SecureHeadersError } = require('..');
const { seededInts } = require('./helpers');

test('remembers a nonce until its retain-until, per keyid', () => {
  const c = createMemoryReplayCache();
  assert.equal(c.remember('k', 'n1', 100, 50), true);
  assert.equal(c.remember('k', 'n1', 100, 60), false);
  assert.equal(c.remember('k2', 'n1', 100, 60), true, 'another keyid');
  assert.equal(c.remember('k', 'n1', 100, 100), false, 'still there at its retain-until');
  assert.equal(c.remember('k', 'n2', 200, 101), true);
  assert.equal(c.size, 1, 'the expired entries were swept');
});

test('at the bound: the soonest-expiring entry is evicted and nothing at or below its expiry is accepted', () => {
  const c = createMemoryReplayCache({ maxEntries: 3 });
  assert.equal(c.remember('k', 'a', 110, 0), true);
  assert.equal(c.remember('k', 'b', 105, 0), true);
  assert.equal(c.remember('k', 'c', 120, 0), true);
  assert.equal(c.remember('k', 'd', 130, 0), true); // evicts b (105)
  assert.equal(c.size, 3);
  assert.equal(c.floor, 105);
  // b is forgotten, but its replay carries the same expiry: refused.
  assert.throws(() => c.remember('k', 'b', 105, 0), (e) => e instanceof SecureHeadersError && e.code === 'REPLAY_CACHE_FULL');
  assert.throws(() => c.remember('k', 'new', 104, 0), { code: 'REPLAY_CACHE_FULL' });
  assert.equal(c.remember('k', 'a', 110, 0), false, 'a is still remembered');
  assert.equal(c.remember('k', 'e', 106, 0), true, 'later than the floor: accepted (evicts a)');
  assert.equal(c.floor, 110);
  assert.throws(() => c.remember('k', 'a', 110, 0), { code: 'REPLAY_CACHE_FULL' });
});

test('under load with a small bound, no accepted nonce is ever accepted again', () => {
  const c = createMemoryReplayCache({ maxEntries: 100 });
  const accepted = [];
  const rnd = seededInts(7);
  for (let now = 0; now < 2000; now++) {
    for (let j = 0; j < 3; j++) {
      const until = now + 5 + rnd(60);
      try { if (c.remember('k', `n${now}-${j}`, until, now)) accepted.push([`n${now}-${j}`, until]); } catch (e) { assert.equal(e.code, 'REPLAY_CACHE_FULL'); }
    }
    // replay an earlier accepted nonce that has not expired yet
    const old = accepted[rnd(accepted.length)];
    if (old && old[1] >= now) {
      let ok;
      try { ok = c.remember('k', old[0], old[1], now); } catch (e) { ok = false; }
      assert.equal(ok, false, `replay of ${old[0]} at ${now} accepted`);
    }
    assert.ok(c.size <= 100);
  }
  assert.ok(accepted.length > 1000, `${accepted.length} accepted`);
});

// The cache keeps its entries in groups by retain-until; this is the rule
// written the plain way (a list searched on every call). Both must give the
// same answer to every call, with the same size and floor after it.
function modelCache(maxEntries) {
  let entries = []; // { key, until, seq }
  let floor = -Infinity;
  let seq = 0;
  return {
    remember(keyid, nonce, until, now) {
      entries = entries.filter((e) => e.until >= now);
      const key = `${keyid}\n${nonce}`;
      if (entries.some((e) => e.key === key)) return false;
      if (until <= floor) throw new SecureHeadersError('REPLAY_CACHE_FULL', 'full');
      while (entries.length >= maxEntries) {
        // the soonest to be forgotten; of those, the last remembered
        let m = 0;
        for (let i = 1; i < entries.length; i++) {
          if (entries[i].until < entries[m].until || (entries[i].until === entries[m].until && entries[i].seq > entries[m].seq)) m = i;
        }
        floor = Math.max(floor, entries[m].until);
        entries.splice(m, 1);
      }
      entries.push({ key, until, seq: seq++ });
      return true;
    },
    get size() { return entries.length; },
    get floor() { return floor; },
  };
}

test('the same answers as the rule written plainly, over random calls (shared and fractional retain-untils, replays, expiry)', () => {
  const rnd = seededInts(12345);
  for (const maxEntries of [1, 2, 7, 50]) {
    const c = createMemoryReplayCache({ maxEntries });
    const m = modelCache(maxEntries);
    const used = [];
    let now = 1000;
    for (let i = 0; i < 4000; i++) {
      if (rnd(4) === 0) now += rnd(3) + (rnd(5) === 0 ? 0.5 : 0);
      let keyid; let nonce; let until;
      if (used.length && rnd(3) === 0) {
        [keyid, nonce, until] = used[rnd(used.length)]; // a replay, as sent
      } else {
        keyid = `k${rnd(2)}`;
        nonce = `n${i}`;
        until = now + rnd(6) + (rnd(7) === 0 ? 0.25 : 0); // many share one
        used.push([keyid, nonce, until]);
      }
      const answer = (cache) => {
        try { return cache.remember(keyid, nonce, until, now); } catch (e) { return e.code; }
      };
      const got = answer(c);
      const want = answer(m);
      assert.equal(got, want, `call ${i} (max ${maxEntries}): ${keyid} ${nonce} until ${until} at ${now}`);
      assert.equal(c.size, m.size, `size after call ${i}`);
      assert.equal(c.floor, m.floor, `floor after call ${i}`);
    }
  }
});
