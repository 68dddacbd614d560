// SPDX-License-Identifier: MIT
'use strict';
// A real Express application (tests/express-app/, express 4.x pinned in
// package-lock.json) behind Apache + mod_proxy, with
// app.set('trust proxy', 'loopback') as Express's documentation recommends
// for a proxy on the same machine. It reports what Express concludes:
// req.ip, req.ips, req.protocol, req.secure, req.hostname.
//
// Without SecureHeadersXForwarded, a client's own X-Forwarded-* headers
// reach Express (mod_proxy only appends to them) and Express believes them:
// the problem. With SecureHeadersXForwarded On, Express sees what Apache
// knows.
//
// The app's dependencies are installed with `npm ci --prefix tests/express-app`
// (tests/lib/npm.js) when they are missing; the file skips only when npm
// cannot reach its registry.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./lib/harness');
const { ensureNpmDeps } = require('./lib/npm');

const APP_DIR = path.join(__dirname, 'express-app');
const SKIP_REASON = ensureNpmDeps(APP_DIR);
const SKIP = SKIP_REASON ? { skip: SKIP_REASON } : h.needFor({ tls: true, modules: ['remoteip'] });

// A non-loopback address of this machine, if any: a client there is not
// trusted by 'loopback', like a real remote client.
const EXTERNAL_IP = Object.values(os.networkInterfaces()).flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

function startExpressApp() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(APP_DIR, 'app.js'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`express app exited (${code}): ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const { port } = JSON.parse(out.slice(0, nl));
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        stop() {
          return new Promise((res) => {
            if (child.exitCode !== null) return res();
            child.removeAllListeners('exit');
            child.once('exit', () => res());
            child.kill('SIGTERM');
          });
        },
      });
    });
  });
}

describe('Express behind Apache + mod_proxy + mod_secure_headers', SKIP, () => {
  const SPOOF = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-For': '6.6.6.6' };

  const fx = h.useApache({
    backends: { app: async () => Object.assign(await startExpressApp(), { close() { return this.stop(); } }) },
    // Picked on loopback; Apache listens on EXTIP:EXTPORT (a taken port is
    // picked again and Apache restarted).
    ports: ['EXTPORT'],
    apache: ({ app, ports }) => ({
      tls: true,
      modules: ['remoteip'],
      vars: { APP: app.url, EXTIP: EXTERNAL_IP, EXTPORT: EXTERNAL_IP ? ports.EXTPORT : null },
      body: `
RemoteIPHeader X-Real-IP
RemoteIPInternalProxy 127.0.0.1
${EXTERNAL_IP ? 'Listen ${EXTIP}:${EXTPORT}' : ''}

# Inherited by every virtual host below.
ProxyPass /plain/ \${APP}/
ProxyPass /secured/ \${APP}/
<Location /secured/>
  SecureHeadersXForwarded On
</Location>

<VirtualHost 127.0.0.1:\${PORT}>
  ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName app.example
  ServerAlias alias.example
  UseCanonicalName On
  SecureHeadersXForwarded On
  ProxyPass / \${APP}/
</VirtualHost>
${h.tlsVhost('ServerName 127.0.0.1')}`,
    }),
    setup: (fx) => { fx.ap.extPort = EXTERNAL_IP ? fx.ports.EXTPORT : null; },
    allow: [
      // mod_ssl at start-up: the TLS vhost's ServerName 127.0.0.1 is
      // neither the certificate's CN nor a DNS name of it (mod_ssl does not
      // count its IP address SAN).
      /\[ssl:warn\] .*AH01909: 127\.0\.0\.1:\d+:0 server certificate does NOT include an ID which matches the server name$/,
    ],
  });

  async function whoami(port, reqPath, opts = {}) {
    const r = await h.request(port, Object.assign({ path: reqPath }, opts));
    assert.equal(r.status, 200, `${reqPath} -> ${r.status}: ${r.body.slice(0, 300)}`);
    assert.equal(r.json.url, reqPath.replace(/^\/(plain|secured)\//, '/'), 'answered by the Express app');
    return r.json;
  }

  const facts = (j) => ({ ip: j.ip, ips: j.ips, protocol: j.protocol, secure: j.secure, hostname: j.hostname });

  test('express is the pinned 4.x release', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'package.json'), 'utf8'));
    const installed = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'node_modules', 'express', 'package.json'), 'utf8'));
    assert.match(pkg.dependencies.express, /^4\.\d+\.\d+$/, 'an exact 4.x version');
    assert.equal(installed.version, pkg.dependencies.express);
  });

  test('baseline, no X-Forwarded-* from the client: Express sees the truth either way', async () => {
    for (const p of ['/plain/whoami', '/secured/whoami']) {
      const j = await whoami(fx.ap.port, p);
      assert.deepEqual(facts(j), { ip: '127.0.0.1', ips: ['127.0.0.1'], protocol: 'http', secure: false, hostname: '127.0.0.1' }, p);
    }
  });

  test('the problem: without SecureHeadersXForwarded, a client\'s X-Forwarded-* fool Express', async () => {
    const j = await whoami(fx.ap.port, '/plain/whoami', { headers: SPOOF });
    // mod_proxy appends its values after the client's; Express takes the
    // client's. (req.ip is fooled here because the test client is itself on
    // loopback, which 'loopback' trusts; see the non-loopback test below.)
    assert.deepEqual(j.forwarded, { for: '6.6.6.6, 127.0.0.1', proto: 'https', host: `evil.example, 127.0.0.1:${fx.ap.port}` });
    assert.deepEqual(facts(j), { ip: '6.6.6.6', ips: ['6.6.6.6', '127.0.0.1'], protocol: 'https', secure: true, hostname: 'evil.example' });
  });

  test('SecureHeadersXForwarded On: protocol, host and address are Apache\'s', async () => {
    const j = await whoami(fx.ap.port, '/secured/whoami', { headers: SPOOF });
    assert.deepEqual(j.forwarded, { for: '127.0.0.1', proto: 'http', host: `127.0.0.1:${fx.ap.port}` });
    assert.deepEqual(facts(j), { ip: '127.0.0.1', ips: ['127.0.0.1'], protocol: 'http', secure: false, hostname: '127.0.0.1' });
  });

  test('with UseCanonicalName On, the hostname is the vhost\'s ServerName whatever Host the client sent', async () => {
    const j = await whoami(fx.ap.port, '/whoami', { headers: Object.assign({ Host: 'alias.example' }, SPOOF) });
    assert.deepEqual(j.forwarded, { for: '127.0.0.1', proto: 'http', host: 'app.example' });
    assert.deepEqual(facts(j), { ip: '127.0.0.1', ips: ['127.0.0.1'], protocol: 'http', secure: false, hostname: 'app.example' });
  });

  test('over TLS: https and secure, even when the client claims http', async () => {
    const spoofDown = Object.assign({}, SPOOF, { 'X-Forwarded-Proto': 'http' });
    const j = await whoami(fx.ap.tlsPort, '/secured/whoami', { tls: true, headers: spoofDown });
    assert.deepEqual(j.forwarded, { for: '127.0.0.1', proto: 'https', host: `127.0.0.1:${fx.ap.tlsPort}` });
    assert.deepEqual(facts(j), { ip: '127.0.0.1', ips: ['127.0.0.1'], protocol: 'https', secure: true, hostname: '127.0.0.1' });
    // Without the directive the same client downgrades Express's view.
    const p = await whoami(fx.ap.tlsPort, '/plain/whoami', { tls: true, headers: spoofDown });
    assert.deepEqual([p.protocol, p.secure], ['http', false]);
  });

  test('with mod_remoteip trusting 127.0.0.1 and "X-Real-IP: 203.0.113.9": req.ip is 203.0.113.9', async () => {
    const j = await whoami(fx.ap.port, '/secured/whoami', { headers: Object.assign({ 'X-Real-IP': '203.0.113.9' }, SPOOF) });
    assert.deepEqual(j.forwarded, { for: '203.0.113.9', proto: 'http', host: `127.0.0.1:${fx.ap.port}` });
    assert.deepEqual(facts(j), { ip: '203.0.113.9', ips: ['203.0.113.9'], protocol: 'http', secure: false, hostname: '127.0.0.1' });
  });

  test('from a non-loopback client: X-Forwarded-For cannot move req.ip, but proto and host are still fooled without the directive',
    EXTERNAL_IP ? {} : { skip: 'this machine has no non-loopback IPv4 address' }, async () => {
      const p = await whoami(fx.ap.extPort, '/plain/whoami', { host: EXTERNAL_IP, headers: SPOOF });
      assert.deepEqual(facts(p), { ip: EXTERNAL_IP, ips: [EXTERNAL_IP], protocol: 'https', secure: true, hostname: 'evil.example' });
      const s = await whoami(fx.ap.extPort, '/secured/whoami', { host: EXTERNAL_IP, headers: SPOOF });
      assert.deepEqual(facts(s), { ip: EXTERNAL_IP, ips: [EXTERNAL_IP], protocol: 'http', secure: false, hostname: EXTERNAL_IP });
    });
});
