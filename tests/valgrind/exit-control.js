// SPDX-License-Identifier: MIT
'use strict';
// Control for `make test-valgrind`: Apache WITHOUT mod_secure_headers, under
// the same memcheck wrapper (SHTEST_APACHE_WRAPPER), stopped while an
// HTTP/2 connection is open, as the suite's TLS tests leave it. classify.js
// --expect-exit-h2 then checks that the exit-time crash the suite's logs
// show happens here too.
const h = require('../lib/harness');

(async () => {
  if (!process.env.SHTEST_APACHE_WRAPPER) throw new Error('run by make test-valgrind (SHTEST_APACHE_WRAPPER)');
  const be = await h.startBackend();
  const proxy = `ProxyPass /app/ ${be.url}/app/`;
  const ap = await h.startApache({ loadSecureHeaders: false, tls: true, h2: true, body: `${proxy}\n${h.tlsVhost(proxy)}` });
  let session;
  try {
    session = h.h2connect(`https://127.0.0.1:${ap.tlsPort}`, { rejectUnauthorized: false });
    session.on('error', () => {});
    const status = await new Promise((resolve, reject) => {
      const st = session.request({ ':path': '/app/control' });
      let code = 0;
      st.on('response', (hd) => { code = hd[':status']; });
      st.on('end', () => resolve(code));
      st.on('error', reject);
      st.resume();
    });
    if (status !== 200) throw new Error(`control request: ${status}`);
    await h.sleep(300); // the stream done, the connection idle and open
  } finally {
    const exit = await ap.stop();
    console.log(`control apache (no mod_secure_headers, HTTP/2 connection open at stop): ${JSON.stringify(exit)}`);
    if (session) session.destroy();
    await be.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
