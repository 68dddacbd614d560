// SPDX-License-Identifier: MIT
'use strict';
// The demo: Apache (own ServerRoot, loopback) with mod_secure_headers in
// front of demo/app.js. Prints what to try, checks itself once, and runs
// until Ctrl-C, SIGTERM or SIGHUP (or exits after the check with
// DEMO_EXIT=1). Whatever ends it, Apache and the app stop with it, and
// Apache's configuration and logs are copied to .build-demo/ first.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../tests/lib/harness');

const KEEP_DIR = path.join(__dirname, '..', '.build-demo');

function startApp() {
  return new Promise((resolve, reject) => {
    const app = fork(path.join(__dirname, 'app.js'), ['0'], { stdio: 'inherit' });
    app.once('message', (m) => resolve({ app, port: m.port }));
    app.once('exit', (code) => reject(new Error(`demo app exited with ${code}`)));
  });
}

async function main() {
  const { app, port: appPort } = await startApp();
  // The app is a child with an IPC channel: it also exits when this process
  // goes (demo/app.js listens for 'disconnect'); this covers a plain exit.
  process.on('exit', () => { try { app.kill(); } catch (_) { /* gone */ } });
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

Apache's files: ${ap.dir} (httpd.conf, error_log, access_log),
copied to ${KEEP_DIR} when the demo stops.
Processes: demo ${process.pid}, Apache ${readPid(ap.dir)}, app ${app.pid}
`);
  const good = ok.status === 200 && forged.status === 400 && viaTls.status === 200
    && ok.json.clientAddress === '127.0.0.1' && viaTls.json.protocol === 'https';
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    keepLogs(ap.dir);
    app.kill();
    await ap.stop();
    console.log(`Stopped. Apache's configuration and logs: ${KEEP_DIR}`);
    process.exit(code);
  };
  if (!good) { console.error('demo self-check FAILED'); return stop(1); }
  if (process.env.DEMO_EXIT) return stop(0);
  // Replaces the test harness's own handlers, which would exit at once.
  // Before saying "Running": a signal sent on reading that line must find
  // this handler (one that arrives while the old one is being replaced is
  // lost).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.removeAllListeners(sig);
    process.on(sig, () => stop(0));
  }
  console.log('Running; Ctrl-C (or SIGTERM, SIGHUP) stops Apache and the app.');
}

function readPid(dir) {
  try { return Number(fs.readFileSync(path.join(dir, 'httpd.pid'), 'utf8').trim()); } catch (_) { return null; }
}

// The harness removes Apache's directory when the process exits.
function keepLogs(dir) {
  fs.rmSync(KEEP_DIR, { recursive: true, force: true });
  fs.mkdirSync(KEEP_DIR, { recursive: true });
  for (const f of ['httpd.conf', 'error_log', 'access_log']) {
    try { fs.copyFileSync(path.join(dir, f), path.join(KEEP_DIR, f)); } catch (_) { /* not written */ }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
