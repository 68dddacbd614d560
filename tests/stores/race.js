// SPDX-License-Identifier: MIT
'use strict';
// One of two processes racing the same signed requests through read() with
// the Redis replay store. argv: a JSON file { client, url, secret, requests:
// [{ host, target, headers }] }. Prints "ready", waits for "go" on stdin,
// then verifies the requests one after the other, so that the other
// process, doing the same, sends each nonce at about the same moment;
// prints the verdicts as JSON.
const fs = require('node:fs');
const path = require('node:path');
const secureHeaders = require(path.join(__dirname, '..', '..', 'node'));

async function connect(kind, url) {
  if (kind === 'ioredis') {
    const Redis = require('ioredis');
    const c = new Redis(url, { lazyConnect: true });
    await c.connect();
    return { c, close: () => c.disconnect() };
  }
  const c = require(kind).createClient({ url });
  c.on('error', () => {});
  await c.connect();
  return { c, close: () => c.quit() };
}

(async () => {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const { c, close } = await connect(job.client, job.url);
  const options = {
    keys: { k1: { alg: 'hmac-sha256', key: Buffer.from(job.secret, 'hex') } }, authority: false,
    replayCache: secureHeaders.redisReplayCache(c, { timeout: 5000 }),
  };
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const verdicts = [];
  for (const r of job.requests) {
    const req = { method: 'GET', url: r.target, rawHeaders: [['Host', r.host], ...r.headers].flat(), headers: {}, socket: { remoteAddress: '127.0.0.1' } };
    verdicts.push(await secureHeaders.readAsync(req, options).then(() => 'ok', (e) => e.code || String(e)));
  }
  await close();
  process.stdout.write(`${JSON.stringify(verdicts)}\n`);
})().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
