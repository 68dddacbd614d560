// SPDX-License-Identifier: MIT
'use strict';
// useApache(): one Apache (and its backends) for a node:test group, set up
// in before() and torn down in after(), registered once; after the group
// the error logs are checked (tests/lib/log.js).
//
//   describe('group', h.needFor(opts), () => {
//     const fx = h.useApache({
//       backends: { be: {}, big: () => startBigBackend() },
//       ports: ['TLS2PORT'],
//       apache: (fx) => ({ tls: true, vars: { BACKEND: fx.be.url }, body: '...${TLS2PORT}...' }),
//       setup: async (fx) => { fs.mkdirSync(`${fx.ap.dir}/htdocs/d`); },
//       allow: [/\[secure_headers:warn\] .*AH\d+: .../],
//     });
//     test('...', async () => { await h.request(fx.ap.port, {...}); });
//   });
//
// backends: name -> options for startBackend(), or a function returning a
//   promise of a backend (anything with close()); started in order, before
//   Apache, each stored as fx[name]. A further Apache (startApache()'s
//   result: an inner server, a control instance) may be one: it is stopped
//   with stop() and its error logs are checked with the group's.
// ports: names of extra free ports, picked into fx.ports and passed to the
//   configuration as ${NAME}; when one is taken before Apache binds it
//   (test files run in parallel), new ones are picked and Apache started again.
// apache: the startApache() options, or a function of fx returning them;
//   fx.ports are merged into its vars.
// setup: run once Apache is up (files in its ServerRoot, ...).
// allow: regexes for the error-log lines at warn or worse the group provokes.
// logs: further error-log paths to check (every *_log and *.log file of the
//   ServerRoot but access_log, and Apache's stderr, are checked already).
// name: how a failure names the group (default "this group").

const { freePort } = require('./proc');
const { startApache } = require('./apache');
const { startBackend } = require('./backends');
const { errorLogFiles, assertNoUnexpectedErrors } = require('./log');

const RESERVED = new Set(['ap', 'ports', 'errorLogFiles']);

const OPTIONS = new Set(['backends', 'ports', 'apache', 'setup', 'allow', 'logs', 'name']);

// startApache()'s result, as opposed to a backend that has close().
const isApache = (be) => be && typeof be.close !== 'function' && typeof be.stop === 'function' &&
  typeof be.errorLog === 'function' && typeof be.dir === 'string';

function useApache(opts = {}) {
  for (const k of Object.keys(opts)) {
    if (!OPTIONS.has(k)) throw new TypeError(`useApache: unknown option ${JSON.stringify(k)} (known: ${[...OPTIONS].join(', ')})`);
  }
  const { backends = {}, ports = [], apache = {}, setup, allow = [], logs = [], name = 'this group' } = opts;
  for (const n of Object.keys(backends)) {
    if (RESERVED.has(n)) throw new TypeError(`useApache: backend name ${JSON.stringify(n)} is reserved`);
  }
  if (!Array.isArray(allow) || !allow.every((re) => re instanceof RegExp)) {
    throw new TypeError('useApache: allow is an array of RegExp');
  }

  // node:test only here: plain scripts load the harness too.
  const { before, after } = require('node:test');
  const fx = { ap: null, ports: {} };
  const started = []; // backends, in start order
  fx.errorLogFiles = () => [
    ...(fx.ap ? errorLogFiles(fx.ap.dir, logs) : []),
    ...started.filter(isApache).flatMap((a) => errorLogFiles(a.dir)),
  ];

  before(async () => {
    for (const [n, spec] of Object.entries(backends)) {
      const be = typeof spec === 'function' ? await spec(fx) : await startBackend(spec);
      started.push(be);
      fx[n] = be;
    }
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const p of ports) fx.ports[p] = await freePort();
      const o = Object.assign({}, typeof apache === 'function' ? apache(fx) : apache);
      o.vars = Object.assign({}, fx.ports, o.vars);
      try {
        fx.ap = await startApache(o);
        lastErr = null;
        break;
      } catch (err) {
        lastErr = err;
        if (!err.addressInUse || !ports.length) throw err;
      }
    }
    if (lastErr) throw lastErr;
    if (setup) await setup(fx);
  });

  after(async () => {
    const errors = [];
    // Apache first (it stops writing its log), then the backends, newest first.
    if (fx.ap) await fx.ap.stop().catch((e) => errors.push(e));
    for (const be of [...started].reverse()) {
      await Promise.resolve().then(() => (isApache(be) ? be.stop() : be.close())).catch((e) => errors.push(e));
    }
    if (fx.ap) {
      try { assertNoUnexpectedErrors(fx.errorLogFiles(), allow, name); } catch (e) { errors.push(e); }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  });

  return fx;
}

module.exports = { useApache };
