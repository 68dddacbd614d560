// SPDX-License-Identifier: MIT
'use strict';
// A replay store shared by every process and host that verifies signatures
// for one name: Redis (or Valkey, which speaks the same protocol). Each
// signed request costs one atomic command,
//
//   SET <prefix>:<keyid>:<nonce> 1 NX EXAT <retainUntil>
//
// which creates the key only when it does not exist ('OK': first sight,
// accept; nil: seen before, a replay) and lets Redis forget it when the
// signature could no longer be accepted anyway. Never GET then SET: two
// workers would both see "absent" and both accept. EXAT needs Redis 6.2+.
//
// The client is the user's (the package has no dependencies), so AUTH,
// TLS, sentinels and clusters are configured there. Two clients are known,
// told apart by what their objects carry:
//   node-redis 4 and 5 (`redis`): `isOpen` is a boolean;
//   ioredis: `status` is a string and `isCluster` a boolean.
// Both send every argument as a RESP bulk string (length-prefixed), so no
// byte of a key can split or inject a command; the key is also built from
// a keyid and nonce that signature parsing has already checked.
//
// A failure fails closed: an error, an unexpected reply, or no answer
// within `timeout` ms rejects, which read() turns into STORE_FAILED and
// the middleware into 503.

const DEFAULT_PREFIX = 'secure-headers:replay';
// A healthy Redis on the same network answers a SET in well under a
// millisecond, and stays under tens of ms through a fork or a slow disk.
// Without a bound, a request waits as long as the client keeps retrying
// (node-redis queues commands while it reconnects; ioredis retries each
// one 20 times by default): seconds, holding a socket and a worker.
// 250 ms is far above a healthy store's tail and far below what a client
// or Apache's ProxyTimeout waits, so a dead store shows as fast 503s.
const DEFAULT_TIMEOUT = 250;
const OPTIONS = ['prefix', 'timeout'];

function dialectOf(client) {
  if (!client || (typeof client !== 'object' && typeof client !== 'function')) {
    throw new TypeError('redisReplayCache(client): a connected node-redis (redis) or ioredis client');
  }
  if (typeof client.set !== 'function') throw new TypeError('redisReplayCache(client): the client has no set() method');
  const nodeRedis = typeof client.isOpen === 'boolean';
  const ioredis = typeof client.status === 'string' && typeof client.isCluster === 'boolean';
  if (nodeRedis === ioredis) {
    throw new TypeError('redisReplayCache(client): not a node-redis (redis 4/5) or ioredis client ' +
      '(node-redis clients have a boolean isOpen, ioredis ones a string status and a boolean isCluster)');
  }
  return nodeRedis ? 'node-redis' : 'ioredis';
}

// A keyid may contain ':' (it is any structured-field string), which would
// make "a:b" + "c" and "a" + "b:c" the same key: escape ':' and '%' in it.
// The nonce comes last and needs nothing.
function escapeKeyid(keyid) {
  return /[:%]/.test(keyid) ? keyid.replace(/[%:]/g, (ch) => (ch === '%' ? '%25' : '%3A')) : keyid;
}

function redisReplayCache(client, options) {
  const dialect = dialectOf(client);
  const o = options === undefined ? {} : options;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new TypeError('redisReplayCache options: an object');
  for (const name of Object.keys(o)) {
    if (OPTIONS.indexOf(name) < 0) throw new TypeError(`redisReplayCache options: unknown option "${name}" (known: ${OPTIONS.join(', ')})`);
  }
  const prefix = o.prefix === undefined ? DEFAULT_PREFIX : o.prefix;
  if (typeof prefix !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(prefix)) {
    throw new TypeError('redisReplayCache options.prefix: 1 to 200 printable ASCII characters, no spaces');
  }
  const timeout = o.timeout === undefined ? DEFAULT_TIMEOUT : o.timeout;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60000) {
    throw new TypeError('redisReplayCache options.timeout: milliseconds, an integer from 1 to 60000');
  }

  const send = dialect === 'node-redis'
    // node-redis 4 and 5 both write this as SET key 1 EXAT n NX (5 keeps
    // the 4 shape; 5's own { expiration, condition } shape would lose NX
    // under 4, so it is not used).
    ? (key, at) => client.set(key, '1', { NX: true, EXAT: at })
    : (key, at) => client.set(key, '1', 'EXAT', at, 'NX');

  function remember(keyid, nonce, retainUntil) {
    if (typeof keyid !== 'string' || typeof nonce !== 'string' || !Number.isFinite(retainUntil)) {
      return Promise.reject(new TypeError('remember(keyid, nonce, retainUntil): strings and Unix seconds'));
    }
    const key = `${prefix}:${escapeKeyid(keyid)}:${nonce}`;
    const at = Math.ceil(retainUntil);
    return new Promise((resolve, reject) => {
      // When the timer fires, the answer may already be waiting unread (the
      // event loop was busy: timers run before I/O is polled). setImmediate
      // runs after this turn's poll, which reads it: only a store that has
      // really not answered fails.
      const timer = setTimeout(() => setImmediate(() => reject(new Error(`redis did not answer within ${timeout} ms`))), timeout);
      if (timer.unref) timer.unref();
      let reply;
      try {
        reply = send(key, at);
      } catch (e) {
        clearTimeout(timer);
        reject(e);
        return;
      }
      Promise.resolve(reply).then((r) => {
        clearTimeout(timer);
        if (r === 'OK') resolve(true);
        else if (r === null) resolve(false);
        else reject(new Error(`redis answered SET NX with ${JSON.stringify(r)}, not OK or nil`));
      }, (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  return Object.freeze({ remember, prefix, timeout, dialect });
}

module.exports = { redisReplayCache, DEFAULT_PREFIX, DEFAULT_TIMEOUT };
