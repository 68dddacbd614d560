// SPDX-License-Identifier: MIT
'use strict';
// The options of read(), readAsync() and the middleware, checked strictly
// once (when the middleware is created, or on the first read()): a name
// that is not an option, a value of the wrong kind, or a configuration
// that cannot keep the package's promises throws a TypeError that says
// what to write instead.

const { compileKeys } = require('./signature');
const { makeMemoryCache, memoryCacheOf } = require('./replay');

const NAMES = ['keys', 'strict', 'clockSkew', 'maxLifetime', 'replayCache', 'authority', 'xForwarded', 'onReject', 'now'];

// Levenshtein distance, for "did you mean".
function distance(a, b) {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The valid name closest to `name`, when it is close enough to be a typo. */
function closest(name, valid) {
  let best = null;
  let d = Infinity;
  for (const v of valid) {
    const x = distance(name, v);
    if (x < d) { d = x; best = v; }
  }
  return d <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function unknownNames(obj, valid, what) {
  for (const name of Object.keys(obj)) {
    if (valid.indexOf(name) >= 0) continue;
    const near = closest(name, valid);
    throw new TypeError(`${what}: "${name}" is not an option${near ? `: did you mean ${near}?` : ''} (the options are ${valid.join(', ')})`);
  }
}

function isPlainObject(x) {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

// ------------------------------------------------------------ authority

const EXAMPLE = 'e.g. authority: "10.0.0.5:3000" for "BalancerMember http://10.0.0.5:3000"';

// host[:port] as the ProxyPass / BalancerMember URL has it: a DNS name or
// IPv4 address, or an IPv6 literal in brackets; a port of 1-65535.
function checkAuthority(a) {
  if (typeof a !== 'string' || !a) throw new TypeError(`options.authority: host[:port] or a list of them (${EXAMPLE}), or false`);
  const quoted = JSON.stringify(a);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(a);
  if (scheme || /[/?#@\s\\]/.test(a)) {
    let suggestion = '';
    try {
      const u = new URL(scheme ? a : `http://${a}`);
      suggestion = `: ${JSON.stringify(u.host)}${u.port ? '' : ' (with the port, when the URL has one)'}`;
    } catch (_) {
      // nothing better to suggest
    }
    const what = scheme ? (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*[/?#]./.test(a) ? 'a scheme and a path' : 'a scheme') : 'a path or other characters';
    throw new TypeError(`options.authority: ${quoted} has ${what}; give only host[:port] of the ProxyPass or BalancerMember URL${suggestion}`);
  }
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::([0-9]{1,5}))?$/.exec(a);
  if (!m || (m[2] !== undefined && !(Number(m[2]) >= 1 && Number(m[2]) <= 65535))) {
    throw new TypeError(`options.authority: ${quoted} is not host[:port] (${EXAMPLE})`);
  }
  return a;
}

// ------------------------------------------------------------ cluster

// Where this process is one of several serving the same port: a node:cluster
// worker, which is also what PM2's cluster mode runs (PM2 copies its
// settings into the environment: exec_mode=cluster_mode, pm_id,
// NODE_APP_INSTANCE). null when it is not.
function clusterWorker() {
  if (process.env.exec_mode === 'cluster_mode') {
    return `PM2 cluster mode (pm_id ${process.env.pm_id}, NODE_APP_INSTANCE ${process.env.NODE_APP_INSTANCE})`;
  }
  const cluster = require('node:cluster');
  if (cluster.isWorker) return `a node:cluster worker (worker ${cluster.worker ? cluster.worker.id : '?'}, pid ${process.pid})`;
  return null;
}

// One default replay cache for the whole process, whatever options object
// asks for it: a nonce accepted once is refused everywhere after, even when
// an app builds a fresh options object per call. It counts as started when
// the process did: this process accepted nothing before.
let sharedCache = null;
function sharedReplayCache() {
  if (!sharedCache) sharedCache = makeMemoryCache({ startedAt: processStart() });
  return sharedCache;
}

function processStart() {
  const { performance } = require('node:perf_hooks');
  return performance.timeOrigin / 1000;
}

// ------------------------------------------------------------ compile

function compile(options) {
  const o = options || {};
  if (typeof o !== 'object' || Array.isArray(o)) throw new TypeError('options: an object');
  unknownNames(o, NAMES, 'options');
  const keys = o.keys === undefined || o.keys === null ? null : compileKeys(o.keys);
  const strict = o.strict === undefined ? !!keys : o.strict;
  if (typeof strict !== 'boolean') throw new TypeError('options.strict: a boolean');
  const clockSkew = o.clockSkew === undefined ? 5 : o.clockSkew;
  if (typeof clockSkew !== 'number' || !(clockSkew >= 0) || !Number.isFinite(clockSkew)) throw new TypeError('options.clockSkew: seconds >= 0');
  const maxLifetime = o.maxLifetime === undefined ? 3600 : o.maxLifetime;
  if (typeof maxLifetime !== 'number' || !(maxLifetime > 0)) throw new TypeError('options.maxLifetime: seconds > 0');
  const rc = o.replayCache;
  if (!(rc === undefined || rc === true || rc === false || (rc && typeof rc.remember === 'function'))) {
    throw new TypeError('options.replayCache: false, or an object with remember(keyid, nonce, retainUntil, now)');
  }
  let authority = null;
  if (o.authority !== undefined && o.authority !== null && o.authority !== false) {
    const list = Array.isArray(o.authority) ? o.authority : [o.authority];
    if (!list.length) throw new TypeError(`options.authority: host[:port] or a list of them (${EXAMPLE}), or false`);
    authority = list.map(checkAuthority);
  }
  const xForwarded = o.xForwarded === undefined ? false : o.xForwarded;
  if (typeof xForwarded !== 'boolean') throw new TypeError('options.xForwarded: a boolean');
  if (o.onReject !== undefined && typeof o.onReject !== 'function') throw new TypeError('options.onReject: a function (err, req)');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('options.now: a function returning milliseconds');

  let replay = null;
  if (keys) {
    // Unsafe configurations refuse to start, with the fix.
    if (o.authority === undefined || o.authority === null) {
      throw new TypeError('options.authority is missing: with keys, say at which host:port Apache reaches this backend, ' +
        'exactly as in its ProxyPass or BalancerMember URL (e.g. authority: "10.0.0.5:3000" for ' +
        '"BalancerMember http://10.0.0.5:3000"), so that a request signed for another backend is refused here; ' +
        'or authority: false for the one backend of an Apache, on loopback or a unix socket, where there is no other ' +
        '(docs/replay.md)');
    }
    if (rc !== false) {
      replay = rc === undefined || rc === true ? sharedReplayCache() : rc;
      const mem = memoryCacheOf(replay);
      const where = mem && !mem.perProcess ? clusterWorker() : null;
      if (where) {
        throw new TypeError(`options.replayCache: this process is ${where}, one of several serving this port, and the ` +
          'in-memory replay cache is its own: a request captured once could be replayed to each of the others. ' +
          'Use a store they share, replayCache: secureHeaders.redisReplayCache(client), or say that this is ' +
          'what you want, replayCache: secureHeaders.createMemoryReplayCache({ perProcess: true }), which lets ' +
          'each captured request through once per process (docs/replay.md)');
      }
    }
  }
  return {
    keys, strict, clockSkew, maxLifetime, replay, authority, xForwarded,
    onReject: o.onReject || null,
    now: o.now || Date.now,
  };
}

module.exports = { compile, closest, unknownNames, isPlainObject, clusterWorker };
