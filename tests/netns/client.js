// SPDX-License-Identifier: MIT
'use strict';
// A client on a test host (tests/multihost.test.js). argv[2] is JSON:
//   { requests: [ { host, port, path, headers: [[k, v]...], tls, cert, key,
//                   raw } ] }  -> { results: [ { status, json, body, error } ] }
//   { load: { host, port, path, count, concurrency, seconds, stopFile } }
//                               -> { done, failures, statuses, keyids }
//   (the load also ends once stopFile, when given, exists)
// "raw" sends those bytes as they are (an attacker replaying a request), then
// half-closes, unless halfClose is false (an app whose verdict waits for a
// store, such as Redis, must still be writing when the client's FIN comes:
// node:http then drops the answer).
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

const spec = JSON.parse(process.argv[2]);

function once(r) {
  return new Promise((resolve) => {
    const opts = { host: r.host, port: r.port, rejectUnauthorized: false };
    if (r.cert) { opts.cert = fs.readFileSync(r.cert); opts.key = fs.readFileSync(r.key); }
    const sock = r.tls ? tls.connect(opts) : net.connect(opts);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (out) => { if (!done) { done = true; sock.destroy(); resolve(out); } };
    const timer = setTimeout(() => finish({ error: 'timeout' }), r.timeout || 10000);
    sock.on(r.tls ? 'secureConnect' : 'connect', () => {
      if (r.raw) return r.halfClose === false ? sock.write(Buffer.from(r.raw, 'latin1')) : sock.end(Buffer.from(r.raw, 'latin1'));
      let head = `${r.method || 'GET'} ${r.path} HTTP/1.1\r\n`;
      const hs = r.headers || [];
      if (!hs.some(([k]) => k.toLowerCase() === 'host')) head += `Host: ${r.hostHeader || `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`}\r\n`;
      for (const [k, v] of hs) head += `${k}: ${v}\r\n`;
      sock.end(`${head}Connection: close\r\n\r\n`);
    });
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.on('error', (e) => { clearTimeout(timer); finish({ error: e.code || e.message }); });
    sock.on('close', () => {
      clearTimeout(timer);
      const text = buf.toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return finish({ error: text ? 'bad response' : 'closed' });
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      let json = null;
      try { json = JSON.parse(body); } catch (_) { json = null; }
      finish({ status: Number(m[1]), json, body: json ? undefined : body.slice(0, 500) });
    });
  });
}

async function load({ count, concurrency, seconds, stopFile, ...r }) {
  const deadline = Date.now() + seconds * 1000;
  const out = { done: 0, failures: [], statuses: {}, keyids: {} };
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count && Date.now() < deadline && !(stopFile && fs.existsSync(stopFile))) {
      next++;
      const res = await once(r);
      out.done++;
      out.statuses[res.status || res.error] = (out.statuses[res.status || res.error] || 0) + 1;
      if (res.status !== 200 || !res.json || !res.json.signed) out.failures.push(res);
      else out.keyids[res.json.keyid] = (out.keyids[res.json.keyid] || 0) + 1;
    }
  }));
  return out;
}

(async () => {
  if (spec.load) {
    process.stdout.write(`${JSON.stringify(await load(spec.load))}\n`);
    return;
  }
  const results = [];
  for (const r of spec.requests) results.push(await once(r));
  process.stdout.write(`${JSON.stringify({ results })}\n`);
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
