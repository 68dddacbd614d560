// SPDX-License-Identifier: MIT
'use strict';
// What readRequest() (a Fetch API Request) costs against read() (node's
// IncomingMessage shape) per request, side by side in one run:
//
//   node bench/web-read.js            # about 20 s
//   BENCH_WEB_N=2000 node bench/web-read.js
//
// For each case (unsigned with the three !~ headers; signed hmac-sha256 and
// ed25519 as Apache signs them, replay cache off so that one request can be
// checked many times), the same request bytes as a request-like object and
// as a Request built beforehand (a runtime builds it whatever the app
// does; what is measured is what the package adds). Each verdict is cached
// per request object, so every iteration gets a fresh object. Rounds
// alternate read and readRequest; the median round is reported with the
// ratio. Node built-ins only. Bounded: N requests x ROUNDS rounds.

const path = require('node:path');
const secure = require(path.join(__dirname, '..', 'node'));
const { sign, testKeys } = require(path.join(__dirname, '..', 'node', 'tests', 'signer'));

const N = Number(process.env.BENCH_WEB_N || 3000);
const ROUNDS = Number(process.env.BENCH_WEB_ROUNDS || 7);
const HOST = 'backend.internal:3000';
const TARGET = '/app/orders/1234?page=2&sort=desc';
const ENV = Buffer.from('HTTPS\0on\0SERVER_NAME\0www.example.com\0APP_ENV\0production\0', 'utf8').toString('base64');
const SECURE = [['!~Passenger-Proto', 'https'], ['!~Passenger-Client-Address', '203.0.113.9'], ['!~Passenger-Envvars', ENV]];
const COMMON = [['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) bench'], ['Accept', 'text/html,application/xhtml+xml'],
  ['Accept-Encoding', 'gzip, deflate, br'], ['Accept-Language', 'en-US,en;q=0.9'], ['X-Forwarded-For', '203.0.113.9']];

function cases() {
  const K = testKeys();
  const out = [{ name: 'unsigned', headers: [...SECURE, ...COMMON], options: {} }];
  for (const alg of ['hmac-sha256', 'ed25519']) {
    const k = K[alg];
    const s = sign({ method: 'GET', target: TARGET, host: HOST, headers: SECURE }, { keyid: 'edge-1', alg, key: k.private, lifetime: 3600 });
    out.push({
      name: `signed ${alg}`,
      headers: [...SECURE, ...COMMON, ['Signature-Input', s.signatureInput], ['Signature', s.signature]],
      options: { keys: { 'edge-1': { alg, key: k.public } }, authority: false, replayCache: false },
    });
  }
  return out;
}

function nodeReqs(c) {
  const raw = [['Host', HOST], ...c.headers].flat();
  const list = new Array(N);
  for (let i = 0; i < N; i++) list[i] = { method: 'GET', url: TARGET, rawHeaders: raw, headers: {}, socket: { remoteAddress: '127.0.0.1', encrypted: false } };
  return list;
}

function webReqs(c) {
  const list = new Array(N);
  for (let i = 0; i < N; i++) list[i] = new Request(`http://${HOST}${TARGET}`, { headers: [['Host', HOST], ...c.headers] });
  return list;
}

const CONN = { remoteAddress: '127.0.0.1', encrypted: false };

async function roundRead(c) {
  const reqs = nodeReqs(c);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (!secure.read(reqs[i], c.options).trusted) throw new Error('not trusted');
  return Number(process.hrtime.bigint() - t0) / N;
}

async function roundWeb(c) {
  const reqs = webReqs(c);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (!(await secure.readRequest(reqs[i], c.options, CONN)).trusted) throw new Error('not trusted');
  return Number(process.hrtime.bigint() - t0) / N;
}

async function roundReadAsync(c) {
  const reqs = nodeReqs(c);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (!(await secure.readAsync(reqs[i], c.options)).trusted) throw new Error('not trusted');
  return Number(process.hrtime.bigint() - t0) / N;
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const rows = [];
  for (const c of cases()) {
    await roundRead(c); await roundWeb(c); await roundReadAsync(c); // warm-up
    const r = []; const a = []; const w = [];
    for (let i = 0; i < ROUNDS; i++) {
      r.push(await roundRead(c));
      a.push(await roundReadAsync(c));
      w.push(await roundWeb(c));
    }
    rows.push([c.name, median(r), median(a), median(w)]);
  }
  /* global Bun, Deno */
  const runtime = typeof Bun !== 'undefined' ? `bun ${Bun.version}` : typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : `node ${process.version}`;
  console.log(`readRequest() against read() per request, ${runtime}, ${N} requests x ${ROUNDS} rounds (median round)\n`);
  console.log('| case | read() ns | readAsync() ns | readRequest() ns | readRequest / read | readRequest / readAsync |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, r, a, w] of rows) {
    console.log(`| ${name} | ${r.toFixed(0)} | ${a.toFixed(0)} | ${w.toFixed(0)} | ${(w / r).toFixed(2)} | ${(w / a).toFixed(2)} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
