'use strict';
// The demo: Apache (own ServerRoot, loopback) with mod_secure_headers in
// front of demo/app.js. Prints what to try, checks itself once, and runs
// until Ctrl-C (or exits after the check with DEMO_EXIT=1).
const { fork } = require('node:child_process');
const path = require('node:path');
const h = require('../tests/lib/harness');

function startApp() {
  return new Promise((resolve, reject) => {
    const app = fork(path.join(__dirname, 'app.js'), ['0'], { stdio: 'inherit' });
    app.once('message', (m) => resolve({ app, port: m.port }));
    app.once('exit', (code) => reject(new Error(`demo app exited with ${code}`)));
  });
}

async function main() {
  const { app, port: appPort } = await startApp();
  const ap = await h.startApache({
    tls: true,
    modules: ['rewrite', 'remoteip'],
    vars: { APP: `http://127.0.0.1:${appPort}` },
    body: `
# What an operator writes: ordinary environment directives...
SetEnv DEMO_GREETING "héllo from Apache →"
SetEnvIf User-Agent curl CLIENT_IS_CURL=yes
ProxyPass / \${APP}/
${h.tlsVhost('SSLOptions +StdEnvVars\n SecureHeadersEnvExclude SSL_*_CERT*\n ProxyPass / ${APP}/')}
`,
  });
  const plain = `http://127.0.0.1:${ap.port}/`;
  const tls = `https://127.0.0.1:${ap.tlsPort}/`;

  const ok = await h.request(ap.port, { path: '/hello', headers: { 'User-Agent': 'curl/demo' } });
  const forged = await h.request(ap.port, { path: '/', headers: { '!~Passenger-Client-Address': '6.6.6.6' } });
  const viaTls = await h.request(ap.tlsPort, { path: '/', tls: true });
  console.log(`
mod_secure_headers demo: Apache ${ap.port} (HTTP) / ${ap.tlsPort} (HTTPS) -> Node app on 127.0.0.1:${appPort}

Self-check:
  GET ${plain}hello                     -> ${ok.status}, app saw client ${ok.json && ok.json.clientAddress}, env ${JSON.stringify(ok.json && ok.json.env)}
  GET ${plain} with a forged !~ header  -> ${forged.status} (the app never sees it)
  GET ${tls} (TLS)                      -> ${viaTls.status}, app saw protocol ${viaTls.json && viaTls.json.protocol}

Try it:
  curl -s ${plain}
  curl -sk ${tls}
  curl -si -H '!~Passenger-Client-Address: 6.6.6.6' ${plain}   # 400
  curl -s -H 'X-Forwarded-For: 6.6.6.6' ${plain}                # app still sees 127.0.0.1

Apache's files: ${ap.dir} (httpd.conf, error_log, access_log)
`);
  const good = ok.status === 200 && forged.status === 400 && viaTls.status === 200
    && ok.json.clientAddress === '127.0.0.1' && viaTls.json.protocol === 'https';
  const stop = async (code) => { await ap.stop(); app.kill(); process.exit(code); };
  if (!good) { console.error('demo self-check FAILED'); return stop(1); }
  if (process.env.DEMO_EXIT) return stop(0);
  console.log('Running; Ctrl-C stops Apache and the app.');
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
}

main().catch((e) => { console.error(e); process.exit(1); });
