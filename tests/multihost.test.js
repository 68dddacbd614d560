// SPDX-License-Identifier: MIT
'use strict';
// Backends on other hosts (docs/signing.md, docs/chaining.md): test hosts
// in network namespaces that this file creates and removes (tests/lib/netns.js).
//
//   client ── edge (Apache, signs) ──┬── b1 (Node app, verifies, port 3000)
//                                    └── b2 (Node app, verifies, port 3000)
//   out: anyone else on that network, who can reach b1 and b2 directly
//   rogue: an Apache with the wrong key, or not named by the inner server
//   inner: an Apache behind the edge's TLS virtual host, with a Node app on
//          its own loopback (Apache behind Apache)
//
// The apps use the companion package (node/) and nothing else to decide.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const h = require('./lib/harness');
const netns = require('./lib/netns');

const SKIP_REASON = netns.available();
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : {};
const HERE = path.join(__dirname, 'netns');

function writeKey(dir, name, data) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data, { mode: 0o600 });
  return p;
}

function edKeys(dir, name) {
  const k = crypto.generateKeyPairSync('ed25519');
  return {
    file: writeKey(dir, `${name}.pem`, k.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    pub: writeKey(dir, `${name}.pub`, k.publicKey.export({ type: 'spki', format: 'pem' })),
  };
}

// A CA, a server certificate for b1's address and a client certificate for
// the edge (SSLProxyMachineCertificateFile: certificate and key in one file).
function mtlsFiles(dir, b1Ip) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
  const leaf = (name, cn, ext) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  };
  leaf('server', b1Ip, `subjectAltName=IP:${b1Ip}\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'edge-client', 'extendedKeyUsage=clientAuth\n');
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=edge-client', '-keyout', 'stranger.key', '-out', 'stranger.pem']);
  fs.writeFileSync(path.join(dir, 'client-both.pem'),
    fs.readFileSync(path.join(dir, 'client.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'client.key'), 'utf8'));
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  fs.chmodSync(path.join(dir, 'client-both.pem'), 0o600);
  const p = (f) => path.join(dir, f);
  return { ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'),
    edgeClient: p('client-both.pem'), stranger: { cert: p('stranger.pem'), key: p('stranger.key') } };
}

describe('backends on other hosts', SKIP, () => {
  let lan; let dir; let keys; let mtls; let hosts;
  let b1; let b2; let b1tls; let rec; let innerApp; const inners = {};

  const client = (name, requests) => netns.runNode(lan, name, path.join(HERE, 'client.js'), [JSON.stringify({ requests })])
    .then((r) => r.results);
  const one = async (name, request) => (await client(name, [request]))[0];

  // The hosts, in createLan() order: host i is NET4.(i+1).
  const HOSTS = ['client', 'edge', 'b1', 'b2', 'out', 'rogue', 'inner'];
  const ipRe = (name) => `${netns.NET4}.${HOSTS.indexOf(name) + 1}`.replace(/\./g, '\\.');
  // A Node.js process in a namespace, as a backend of the group.
  const node = (name, script, extra) => netns.startNode(lan, name, path.join(HERE, script), [JSON.stringify(extra)])
    .then((n) => Object.assign(n, { close: () => n.stop() }));
  const backend = (name, extra) => node(name, 'backend.js', extra);
  const accepted = () => ({
    'edge-2026-12': { alg: 'ed25519', file: keys.old.pub },
    'edge-2027-01': { alg: 'ed25519', file: keys.next.pub },
  });
  const innerConf = (extra) => `
Listen ${hosts.inner.ip}:\${IPORT}
<VirtualHost ${hosts.inner.ip}:\${IPORT}>
  ServerName ${hosts.inner.ip}
  SetEnv TIER inner
  ${extra}
  ProxyPass / http://127.0.0.1:4000/
</VirtualHost>`;
  const inner = async (port, extra) => {
    inners[port] = await h.startApache({ netns: hosts.inner.ns, vars: { IPORT: port }, body: innerConf(extra) });
    return inners[port];
  };

  // The edge is fx.ap; the inner servers and the rogue Apache are backends
  // of the group, their error logs checked with the edge's.
  const fx = h.useApache({
    backends: {
      lan: () => {
        lan = netns.createLan(HOSTS);
        hosts = lan.hosts;
        return { close: () => lan.destroy() };
      },
      files: () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-multihost-'));
        fs.chmodSync(dir, 0o755);
        keys = { old: edKeys(dir, 'edge-old'), next: edKeys(dir, 'edge-new'), wrong: edKeys(dir, 'wrong') };
        mtls = mtlsFiles(fs.mkdtempSync(path.join(dir, 'tls-')), hosts.b1.ip);
        fs.chmodSync(path.dirname(mtls.ca), 0o755);
        return { close: () => fs.rmSync(dir, { recursive: true, force: true }) };
      },
      b1: async () => (b1 = await backend('b1', { name: 'b1', host: hosts.b1.ip, port: 3000, keys: accepted(), authority: `${hosts.b1.ip}:3000` })),
      b2: async () => (b2 = await backend('b2', { name: 'b2', host: hosts.b2.ip, port: 3000, keys: accepted(), authority: `${hosts.b2.ip}:3000` })),
      b1tls: async () => (b1tls = await backend('b1', {
        name: 'b1-mtls', host: hosts.b1.ip, port: 3443,
        tls: { cert: mtls.serverCert, key: mtls.serverKey, ca: mtls.ca },
      })),
      rec: async () => (rec = await node('out', 'recorder.js', { host: hosts.out.ip, port: 9000 })),
      innerApp: async () => (innerApp = await backend('inner', { name: 'inner-app', host: '127.0.0.1', port: 4000 })),
      inner1: () => inner(8001, ''),
      inner2: () => inner(8002, `SecureHeadersUpstream ${hosts.edge.ip}`),
      inner3: () => inner(8003, `SecureHeadersUpstream ${hosts.edge.ip}\n  SecureHeadersUpstreamValues Recompute`),
      rogue: () => h.startApache({
        netns: hosts.rogue.ns,
        vars: { KEY: keys.wrong.file },
        body: `
Listen ${hosts.rogue.ip}:80
<VirtualHost ${hosts.rogue.ip}:80>
  ServerName ${hosts.rogue.ip}
  SecureHeadersSignKey edge-2026-12 ed25519 \${KEY}
  ProxyPass /one/ http://${hosts.b1.ip}:3000/one/
  ProxyPass /inner2/ http://${hosts.inner.ip}:8002/
</VirtualHost>`,
      }),
    },
    apache: () => {
      const cert = h.ensureCert();
      return {
        netns: hosts.edge.ns,
        modules: ['ssl', 'socache_shmcb', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'],
        vars: { KEYID: 'edge-2026-12', KEY: keys.old.file, CERT: cert.certPath, CKEY: cert.keyPath,
          CA: mtls.ca, MACHINE: mtls.edgeClient },
        body: `
Listen ${hosts.edge.ip}:80
Listen [${hosts.edge.ip6}]:80
Listen ${hosts.edge.ip}:443
SSLSessionCache "shmcb:\${DIR}/ssl_scache(512000)"
<VirtualHost ${hosts.edge.ip}:80 [${hosts.edge.ip6}]:80>
  ServerName ${hosts.edge.ip}
  SetEnv TIER edge
  SecureHeadersSignKey \${KEYID} ed25519 \${KEY}
  <Proxy balancer://apps>
    BalancerMember http://${hosts.b1.ip}:3000
    BalancerMember http://${hosts.b2.ip}:3000
  </Proxy>
  ProxyPass /app/ balancer://apps/app/
  ProxyPass /one/ http://${hosts.b1.ip}:3000/one/
  ProxyPass /two/ http://${hosts.b2.ip}:3000/two/
  <Location /tap/>
    SetEnv proxy-nokeepalive 1
    ProxyPreserveHost On
    SecureHeadersSignLifetime 2
    ProxyPass http://${hosts.out.ip}:9000/tap/
  </Location>
  SSLProxyEngine On
  SSLProxyVerify require
  SSLProxyCACertificateFile \${CA}
  SSLProxyMachineCertificateFile \${MACHINE}
  <Location /mtls/>
    SecureHeadersSignKey None
    ProxyPass https://${hosts.b1.ip}:3443/mtls/
  </Location>
</VirtualHost>
<VirtualHost ${hosts.edge.ip}:443>
  ServerName ${hosts.edge.ip}
  SSLEngine on
  SSLCertificateFile \${CERT}
  SSLCertificateKeyFile \${CKEY}
  SetEnv TIER edge-tls
  ProxyPass /inner1/ http://${hosts.inner.ip}:8001/
  ProxyPass /inner2/ http://${hosts.inner.ip}:8002/
  ProxyPass /inner3/ http://${hosts.inner.ip}:8003/
</VirtualHost>`,
      };
    },
    allow: [
      h.CLIENT_REFUSAL,
      // mod_ssl at each start of the edge: its TLS vhost's ServerName, its
      // address, is not a name of the test certificate.
      new RegExp(`\\[ssl:warn\\] .*AH01909: ${ipRe('edge')}:443:0 server certificate does NOT include an ID which matches the server name$`),
      // The inner server that names no upstream refusing the edge (the test
      // asserts this line), and the one that names the edge refusing the
      // rogue Apache (which signs, so the key is named too): both name the fix.
      new RegExp(`\\[secure_headers:warn\\] .*\\[client ${ipRe('edge')}:\\d+\\] refused request from ${ipRe('edge')} carrying another server's secure headers \\("!~Passenger-Proto"\\): if ${ipRe('edge')} is a server in front of this one, name it with "SecureHeadersUpstream ${ipRe('edge')}"$`),
      new RegExp(`\\[secure_headers:warn\\] .*\\[client ${ipRe('rogue')}:\\d+\\] refused request from ${ipRe('rogue')} carrying another server's secure headers \\("!~Passenger-Client-Address"\\): if ${ipRe('rogue')} is a server in front of this one, name it with "SecureHeadersUpstream ${ipRe('rogue')}" or, for its signature, "SecureHeadersUpstream key=edge-2026-12" and SecureHeadersUpstreamKey$`),
    ],
  });

  const edgeReq = (p, extra = {}) => ({ host: hosts.edge.ip, port: 80, path: p, ...extra });

  test('through Apache: both balancer members verify the signature and see the true client', async () => {
    const results = await client('client', Array.from({ length: 6 }, (_, i) => edgeReq(`/app/r${i}`)));
    const seen = new Set();
    for (const r of results) {
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal(r.json.ok, true);
      assert.equal(r.json.signed, true);
      assert.equal(r.json.keyid, 'edge-2026-12');
      assert.equal(r.json.clientAddress, hosts.client.ip);
      assert.equal(r.json.protocol, 'http');
      assert.equal(r.json.env.TIER, 'edge');
      seen.add(r.json.backend);
    }
    assert.deepEqual([...seen].sort(), ['b1', 'b2']);
  });

  test('through Apache over IPv6: the client address is the IPv6 one', async () => {
    const r = await one('client', { host: hosts.edge.ip6, port: 80, path: '/one/v6' });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.json.clientAddress, hosts.client.ip6);
    assert.equal(r.json.signed, true);
  });

  test('straight to a backend with forged "!~" headers: refused', async () => {
    for (const target of [hosts.b1.ip, hosts.b2.ip]) {
      const r = await one('out', { host: target, port: 3000, path: '/x', headers: [
        ['!~Passenger-Client-Address', '6.6.6.6'], ['!~Passenger-Proto', 'https']] });
      assert.equal(r.status, 403, JSON.stringify(r));
      assert.equal(r.json.ok, false);
    }
  });

  test('forged values under a signature copied from a real request: refused', async () => {
    const real = await one('client', edgeReq('/one/copy'));
    const rh = real.json.rawHeaders;
    const headers = [];
    for (let i = 0; i + 1 < rh.length; i += 2) {
      const k = rh[i];
      if (/^(host|connection|content-length)$/i.test(k)) continue;
      headers.push([k, /^!~passenger-client-address$/i.test(k) ? '6.6.6.6' : rh[i + 1]]);
    }
    const r = await one('out', { host: hosts.b1.ip, port: 3000, path: real.json.url, headers });
    assert.equal(r.status, 403, JSON.stringify(r));
  });

  // A request signed for b1, caught on its way by the attacker (the edge's
  // /tap/ route delivers it to "out" with b1's Host, as a wiretap would).
  async function tapped(p) {
    const n = rec.events.length;
    const r = await one('client', edgeReq(p, { hostHeader: `${hosts.b1.ip}:3000` }));
    assert.equal(r.status, 200);
    assert.equal(rec.events.length, n + 1);
    return rec.events[n].bytes;
  }

  test('a captured signed request: accepted once by the backend it was for, the replay refused', async () => {
    const bytes = await tapped('/tap/once');
    const first = await one('out', { host: hosts.b1.ip, port: 3000, raw: bytes });
    assert.equal(first.status, 200, JSON.stringify(first));
    assert.equal(first.json.signed, true);
    const again = await one('out', { host: hosts.b1.ip, port: 3000, raw: bytes });
    assert.equal(again.status, 403);
    assert.match(again.json.code, /REPLAY/);
  });

  test('a request captured on its way to b1 and sent to b2: refused by b2 (it pins its own authority)', async () => {
    const bytes = await tapped('/tap/other-member');
    const r = await one('out', { host: hosts.b2.ip, port: 3000, raw: bytes });
    assert.equal(r.status, 403);
    assert.match(r.json.code, /AUTHORITY/);
    // And one that b1 really received, from b1's own record.
    const real = await one('client', edgeReq('/one/relay'));
    const rh = real.json.rawHeaders;
    let raw = `GET ${real.json.url} HTTP/1.1\r\n`;
    for (let i = 0; i + 1 < rh.length; i += 2) if (!/^connection$/i.test(rh[i])) raw += `${rh[i]}: ${rh[i + 1]}\r\n`;
    const r2 = await one('out', { host: hosts.b2.ip, port: 3000, raw: `${raw}Connection: close\r\n\r\n` });
    assert.equal(r2.status, 403);
    assert.match(r2.json.code, /AUTHORITY/);
  });

  test('a captured signed request sent after it expired (lifetime 2 s, skew 5 s): refused', async () => {
    const bytes = await tapped('/tap/late');
    await h.sleep(8000);
    const r = await one('out', { host: hosts.b1.ip, port: 3000, raw: bytes });
    assert.equal(r.status, 403);
    assert.match(r.json.code, /EXPIRED/);
  });

  test('an Apache signing with the wrong key (same key id): refused by the backend', async () => {
    const r = await one('client', { host: hosts.rogue.ip, port: 80, path: '/one/rogue' });
    assert.equal(r.status, 403, JSON.stringify(r));
    assert.equal(r.json.ok, false);
    assert.match(r.json.code, /SIGNATURE/);
  });

  test('mutual TLS, the alternative without app code: the edge\'s certificate gets in, nobody else\'s does', async () => {
    const r = await one('client', edgeReq('/mtls/m'));
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.deepEqual(r.json.peer, { authorized: true, cn: 'edge-client' });
    assert.equal(r.json.clientAddress, hosts.client.ip);
    const bare = await one('out', { host: hosts.b1.ip, port: 3443, tls: true, path: '/mtls/x',
      headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.ok(bare.error || bare.status === undefined, `no client certificate: ${JSON.stringify(bare)}`);
    const stranger = await one('out', { host: hosts.b1.ip, port: 3443, tls: true, path: '/mtls/y',
      cert: mtls.stranger.cert, key: mtls.stranger.key, headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.ok(stranger.error, `a certificate the CA did not sign: ${JSON.stringify(stranger)}`);
    assert.ok(!b1tls.events.some((e) => e.event === 'request' && e.clientAddress === '6.6.6.6'));
  });

  test('Apache behind Apache: an inner server that names no upstream refuses, and says why', async () => {
    const r = await one('client', { host: hosts.edge.ip, port: 443, tls: true, path: '/inner1/a' });
    assert.equal(r.status, 400);
    assert.match(inners[8001].errorLog(), new RegExp(`\\[secure_headers:warn\\] .*refused request from ${hosts.edge.ip.replace(/\./g, '\\.')} carrying another server's secure headers .*"SecureHeadersUpstream ${hosts.edge.ip.replace(/\./g, '\\.')}"`));
  });

  test('Apache behind Apache, edge named: Pass gives the app the client and https; Recompute the inner\'s view', async () => {
    let r = await one('client', { host: hosts.edge.ip, port: 443, tls: true, path: '/inner2/b' });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.json.clientAddress, hosts.client.ip);
    assert.equal(r.json.protocol, 'https');
    assert.equal(r.json.env.TIER, 'edge-tls');
    r = await one('client', { host: hosts.edge.ip, port: 443, tls: true, path: '/inner3/c' });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.json.clientAddress, hosts.edge.ip);
    assert.equal(r.json.protocol, 'http');
    assert.equal(r.json.env.TIER, 'inner');
  });

  test('Apache behind Apache: forged headers straight to the inner server, or through an edge it does not name: 400', async () => {
    let r = await one('out', { host: hosts.inner.ip, port: 8002, path: '/d', headers: [['!~Passenger-Client-Address', '6.6.6.6']] });
    assert.equal(r.status, 400);
    r = await one('client', { host: hosts.rogue.ip, port: 80, path: '/inner2/e' });
    assert.equal(r.status, 400);
    assert.ok(!innerApp.events.some((e) => e.clientAddress === '6.6.6.6'));
  });

  test('key rotation under load: the edge switches keys with apachectl -k graceful, no request fails', async () => {
    // Bounded in count and in time; long enough to span the restart on a
    // fast machine (where 600 requests would be over before it begins).
    const started = Date.now();
    const load = netns.runNode(lan, 'client', path.join(HERE, 'client.js'), [JSON.stringify({
      load: { host: hosts.edge.ip, port: 80, path: '/app/load', count: 20000, concurrency: 8, seconds: 12 },
    })], { timeout: 90000 });
    await h.sleep(1500);
    const conf = fs.readFileSync(fx.ap.confPath, 'utf8');
    fs.writeFileSync(fx.ap.confPath, conf.replace(`SecureHeadersSignKey edge-2026-12 ed25519 ${keys.old.file}`,
      `SecureHeadersSignKey edge-2027-01 ed25519 ${keys.next.file}`));
    assert.notEqual(fs.readFileSync(fx.ap.confPath, 'utf8'), conf);
    await fx.ap.reload({ timeout: 20000 });
    assert.ok(Date.now() - started < 10000, 'the restart must fall inside the load');
    const out = await load;
    assert.deepEqual(out.failures, [], JSON.stringify(out.statuses));
    assert.ok(out.done >= 200, `only ${out.done} requests`);
    assert.ok(out.keyids['edge-2026-12'] > 0 && out.keyids['edge-2027-01'] > 0, JSON.stringify(out.keyids));
    const after = await one('client', edgeReq('/app/after'));
    assert.equal(after.json.keyid, 'edge-2027-01');
  });
});
