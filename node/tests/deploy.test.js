// SPDX-License-Identifier: MIT
'use strict';
// The package as deployed: real processes (node:cluster workers, PM2's
// cluster-mode environment, a backend restarted between a capture and its
// replay), each running tests/apps/signed-app.js.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { sign } = require('./signer');

const APP = path.join(__dirname, 'apps', 'signed-app.js');
const SECRET = crypto.randomBytes(32);
const AUTHORITY = 'backend.internal:3000';
const CFG = { keys: { 'edge-1': { alg: 'hmac-sha256', keyHex: SECRET.toString('hex') } }, authority: AUTHORITY, port: 0 };

function run(cfg, env = {}) {
  const child = spawn(process.execPath, [APP, JSON.stringify(cfg)], { env: Object.assign({}, process.env, env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  const line = (re) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${out} ${err}`)), 10000);
    const look = () => {
      const m = re.exec(out);
      if (m) { clearTimeout(t); child.stdout.off('data', look); resolve(m); }
    };
    child.stdout.on('data', look);
    exited.then(() => { clearTimeout(t); reject(new Error(`exited: ${out} ${err}`)); });
    look();
  });
  return { child, exited, line, output: () => out + err };
}

function results(out) {
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const WAYS_OUT = (m) => /redisReplayCache\(client\)/.test(m) && /createMemoryReplayCache\(\{ perProcess: true \}\)/.test(m);

test('inside node:cluster workers, keys with the in-memory replay cache refuse to start, naming the two ways out', async () => {
  const p = run(Object.assign({}, CFG, { cluster: 2 }));
  const { code, out } = await p.exited;
  assert.equal(code, 0, p.output());
  const workers = results(out);
  assert.equal(workers.length, 2);
  for (const w of workers) {
    assert.equal(w.memory.ok, false, 'the default cache');
    assert.equal(w.memory.name, 'TypeError');
    assert.match(w.memory.message, /this process is a node:cluster worker \(worker \d, pid \d+\), one of several serving this port/);
    assert.ok(WAYS_OUT(w.memory.message), w.memory.message);
    assert.equal(w.explicitMemory.ok, false, 'a cache made by createMemoryReplayCache() without perProcess');
    assert.deepEqual([w.perProcess.ok, w.sharedStore.ok, w.noCache.ok, w.unsigned.ok], [true, true, true, true]);
  }
});

test('under PM2\'s cluster mode (its environment in the process) likewise', async () => {
  const p = run(Object.assign({}, CFG, { eager: true }), { exec_mode: 'cluster_mode', pm_id: '4', NODE_APP_INSTANCE: '1' });
  const { code, err } = await p.exited;
  assert.notEqual(code, 0);
  assert.match(err, /TypeError: options\.replayCache: this process is PM2 cluster mode \(pm_id 4, NODE_APP_INSTANCE 1\)/);
  assert.ok(WAYS_OUT(err), err);
  // PM2's fork mode is one process: no objection
  const fork = run(Object.assign({}, CFG, { eager: true }), { exec_mode: 'fork_mode', pm_id: '4', NODE_APP_INSTANCE: '0' });
  await fork.line(/listening (\d+)/);
  fork.child.kill();
  await fork.exited;
});

function send(port, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: '/orders?id=7', method: 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function signedHeaders() {
  const secure = [['!~Passenger-Client-Address', '203.0.113.9']];
  const s = sign({ method: 'GET', target: '/orders?id=7', host: AUTHORITY, headers: secure }, { keyid: 'edge-1', alg: 'hmac-sha256', key: SECRET });
  return [['Host', AUTHORITY], ...secure, ['Signature-Input', s.signatureInput], ['Signature', s.signature]];
}

const flat = (pairs) => pairs.flat();

test('a backend restarted after a signed request was captured refuses its replay (CREATED_BEFORE_CACHE); new requests pass', async () => {
  const first = run(CFG);
  const port1 = Number((await first.line(/listening (\d+)/))[1]);
  const captured = signedHeaders();
  assert.deepEqual(await send(port1, flat(captured)), { status: 200, json: { signed: true, ip: '203.0.113.9' } });
  assert.deepEqual(await send(port1, flat(captured)), { status: 403, json: { code: 'REPLAYED' } }, 'the same process remembers it');
  first.child.kill('SIGKILL');
  await first.exited;
  // A deploy: the new process starts at least a second later (a restart
  // within the same second is the one case the cache lets through).
  const created = Number(/;created=(\d+)/.exec(captured.find(([n]) => n === 'Signature-Input')[1])[1]);
  while (Date.now() / 1000 < created + 1.05) await new Promise((r) => setTimeout(r, 50));
  const second = run(CFG);
  const port2 = Number((await second.line(/listening (\d+)/))[1]);
  try {
    assert.deepEqual(await send(port2, flat(captured)), { status: 403, json: { code: 'CREATED_BEFORE_CACHE' } }, 'the replay after the restart');
    assert.deepEqual(await send(port2, flat(signedHeaders())), { status: 200, json: { signed: true, ip: '203.0.113.9' } }, 'a request signed now');
  } finally {
    second.child.kill();
    await second.exited;
  }
});
