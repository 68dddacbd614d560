// SPDX-License-Identifier: MIT
'use strict';
// Per-backend derived keys between hosts (docs/derived-keys.md), in network
// namespaces this file creates and removes (tests/lib/netns.js):
//
//   client ── edge (Apache: SecureHeadersSignKey edge hkdf-sha256 MASTER,
//             ProxyPreserveHost On, balancer://apps) ──┬── b1 (Node app)
//                                                      └── b2 (Node app)
//
// Each backend holds only its own key, made from the master by the
// documented `openssl kdf` command, as a plain hmac-sha256 key, and pins no
// authority: with ProxyPreserveHost On both receive the client's Host, so
// only the key tells a request for b1 from one for b2.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');
const netns = require('./lib/netns');
const { sign } = require('../node/tests/signer');

const SKIP_REASON = netns.available();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const HERE = path.join(__dirname, 'netns');
const SALT = 'mod_secure_headers derived key v1';

function opensslDerive(masterFile, identity, outFile) {
  const hex = fs.readFileSync(masterFile).toString('hex');
  execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${hex}`,
    '-kdfopt', `salt:${SALT}`, '-kdfopt', `info:${identity}`, '-binary', '-out', outFile, 'HKDF']);
  fs.chmodSync(outFile, 0o644); // read by the backend's own process only, in its own test host
  return fs.readFileSync(outFile);
}

describe('derived keys between hosts', SKIP, () => {
  let lan; let dir; let hosts; let edge; let b1; let b2; let keys;

  const client = (name, requests) => netns.runNode(lan, name, path.join(HERE, 'client.js'), [JSON.stringify({ requests })])
    .then((r) => r.results);
  const one = async (name, request) => (await client(name, [request]))[0];

  before(async () => {
    lan = netns.createLan(['client', 'edge', 'b1', 'b2']);
    hosts = lan.hosts;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-derive-hosts-'));
    fs.chmodSync(dir, 0o755);
    const master = path.join(dir, 'master.key');
    fs.writeFileSync(master, crypto.randomBytes(32), { mode: 0o600 });
    keys = {
      b1: opensslDerive(master, `http://${hosts.b1.ip}:3000`, path.join(dir, 'b1.key')),
      b2: opensslDerive(master, `http://${hosts.b2.ip}:3000`, path.join(dir, 'b2.key')),
    };
    const backend = (name) => netns.startNode(lan, name, path.join(HERE, 'backend.js'), [JSON.stringify({
      name, host: hosts[name].ip, port: 3000,
      keys: { edge: { alg: 'hmac-sha256', file: path.join(dir, `${name}.key`) } }, authority: false,
    })]);
    b1 = await backend('b1');
    b2 = await backend('b2');
    edge = await h.startApache({
      netns: hosts.edge.ns,
      modules: ['proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'],
      vars: { MASTER: master },
      body: `
Listen ${hosts.edge.ip}:80
<VirtualHost ${hosts.edge.ip}:80>
  ServerName ${hosts.edge.ip}
  SecureHeadersSignKey edge hkdf-sha256 \${MASTER}
  ProxyPreserveHost On
  <Proxy balancer://apps>
    BalancerMember http://${hosts.b1.ip}:3000
    BalancerMember http://${hosts.b2.ip}:3000
  </Proxy>
  ProxyPass /app/ balancer://apps/app/
  ProxyPass /one/ http://${hosts.b1.ip}:3000/one/
</VirtualHost>`,
    });
  });

  after(async () => {
    if (edge) await edge.stop();
    for (const n of [b1, b2]) if (n) await n.stop();
    if (lan) lan.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const edgeReq = (p) => ({ host: hosts.edge.ip, port: 80, path: p, hostHeader: 'www.example' });

  // The bytes a backend received, as a wiretap on its link would have seen them.
  function captured(json) {
    const rh = json.rawHeaders;
    let raw = `GET ${json.url} HTTP/1.1\r\n`;
    for (let i = 0; i + 1 < rh.length; i += 2) if (!/^connection$/i.test(rh[i])) raw += `${rh[i]}: ${rh[i + 1]}\r\n`;
    return `${raw}Connection: close\r\n\r\n`;
  }

  test('through the balancer: each member verifies with its own key, the Host preserved', async () => {
    const results = await client('client', Array.from({ length: 6 }, (_, i) => edgeReq(`/app/r${i}`)));
    const seen = new Set();
    for (const r of results) {
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.deepEqual([r.json.ok, r.json.signed, r.json.keyid, r.json.host], [true, true, 'edge', 'www.example'],
        JSON.stringify(r.json));
      assert.equal(r.json.clientAddress, hosts.client.ip);
      seen.add(r.json.backend);
    }
    assert.deepEqual([...seen].sort(), ['b1', 'b2']);
  });

  test('a request captured on its way to b1 and sent to b2: refused by b2 by the key itself', async () => {
    const real = await one('client', edgeReq('/one/captured'));
    assert.deepEqual([real.status, real.json.backend, real.json.ok], [200, 'b1', true], JSON.stringify(real));
    const r = await one('client', { host: hosts.b2.ip, port: 3000, raw: captured(real.json) });
    assert.equal(r.status, 403, JSON.stringify(r));
    assert.equal(r.json.backend, 'b2');
    assert.equal(r.json.code, 'SIGNATURE_INVALID');
    // The same bytes are a valid signature for b1 (which already saw the nonce).
    const back = await one('client', { host: hosts.b1.ip, port: 3000, raw: captured(real.json) });
    assert.equal(back.json.code, 'REPLAYED', JSON.stringify(back));
  });

  test('a member\'s request replayed to the other member through its own link: refused (balancer case)', async () => {
    const results = await client('client', Array.from({ length: 4 }, (_, i) => edgeReq(`/app/x${i}`)));
    for (const real of results) {
      assert.equal(real.json.ok, true, JSON.stringify(real));
      const other = real.json.backend === 'b1' ? 'b2' : 'b1';
      const r = await one('client', { host: hosts[other].ip, port: 3000, raw: captured(real.json) });
      assert.deepEqual([r.status, r.json.backend, r.json.code], [403, other, 'SIGNATURE_INVALID'], JSON.stringify(r));
    }
  });

  test('b1, holding its own key, signs a request for b2: b2 refuses it (and b1 itself would take it)', async () => {
    const forge = (target) => {
      const headers = [['!~Passenger-Client-Address', '6.6.6.6'], ['!~Passenger-Proto', 'https']];
      const s = sign({ method: 'GET', target, host: 'www.example', headers },
        { keyid: 'edge', alg: 'hmac-sha256', key: keys.b1 });
      let raw = `GET ${target} HTTP/1.1\r\nHost: www.example\r\n`;
      for (const [k, v] of headers) raw += `${k}: ${v}\r\n`;
      return `${raw}Signature-Input: ${s.signatureInput}\r\nSignature: ${s.signature}\r\nConnection: close\r\n\r\n`;
    };
    const r = await one('b1', { host: hosts.b2.ip, port: 3000, raw: forge('/forged') });
    assert.deepEqual([r.status, r.json.backend, r.json.code], [403, 'b2', 'SIGNATURE_INVALID'], JSON.stringify(r));
    // Control: the forgery is well formed, b1's key verifies it.
    const self = await one('b1', { host: hosts.b1.ip, port: 3000, raw: forge('/own') });
    assert.deepEqual([self.status, self.json.clientAddress, self.json.protocol], [200, '6.6.6.6', 'https'], JSON.stringify(self));
  });
});
