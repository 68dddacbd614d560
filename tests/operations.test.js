// SPDX-License-Identifier: MIT
'use strict';
// What an operator sees (docs/operations.md):
//  - every refusal class is in the error log at the default LogLevel
//    (warn), at most once a second per kind and process, never with a
//    header's value;
//  - the request note "secure-headers" (%{secure-headers}n in LogFormat,
//    note('secure-headers') in CustomLog's expr= condition), token by token
//    through a real access log;
//  - mod_status' server-status section and its ?auto lines, exact counts;
//  - a captured signed request replayed after stop/start, restart and
//    graceful is refused, and counted.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./lib/harness');
const sig = require('./lib/signature');

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shtest-opskeys-'));
fs.chmodSync(keyDir, 0o755);
process.on('exit', () => fs.rmSync(keyDir, { recursive: true, force: true }));
const KEYS = sig.keyFiles(fs.mkdtempSync(path.join(keyDir, 'k')));

const NEED = h.needFor({ modules: ['status', 'headers'] });

function readOr(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch (_) { return ''; }
}

const { startTap } = h;

// server-status?auto as { key: number } for the module's keys.
async function counters(port) {
  const r = await h.request(port, { path: '/server-status?auto' });
  assert.equal(r.status, 200, r.body);
  const out = {};
  for (const m of r.body.matchAll(/^(SecureHeaders\w+): (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

// Lines of `file` from offset `mark`, waiting (briefly) until `want`
// lines are there: mod_log_config writes after the response is sent.
async function linesSince(file, mark, want = 1) {
  const read = () => readOr(file).slice(mark).split('\n').filter(Boolean);
  const deadline = Date.now() + 3000;
  while (read().length < want && Date.now() < deadline) await h.sleep(20);
  return read();
}

function warnLines(ap, mark, re) {
  return ap.errorLog().slice(mark).split('\n').filter((l) => /\[secure_headers:warn\]/.test(l) && re.test(l));
}

// Waits for the start of the next second: the rate limit's slots are per
// second, and a test that wants a warning must not share one.
function nextSecond() {
  return h.sleep(1030 - (Date.now() % 1000));
}

const BIG = 'x'.repeat(300);

function config() {
  return `
LogFormat "%>s %U %{secure-headers}n" shnote
CustomLog "\${DIR}/note_log" shnote
CustomLog "\${DIR}/refused_log" shnote "expr=note('secure-headers') =~ /refused:/"
SecureHeadersUpstreamKey edge-key hmac-sha256 \${HMAC}
Listen 127.0.0.1:\${INNER}
Listen 127.0.0.1:\${OTHER}
<VirtualHost 127.0.0.1:\${PORT}>
  ServerName 127.0.0.1
  SetEnv EDGE yes
  ErrorDocument 400 /static.txt
  <Location /server-status>
    SetHandler server-status
  </Location>
  ProxyPass /app/ \${BE}/app/
  # To another virtual host of this server: the self proof.
  ProxyPass /self/ http://127.0.0.1:\${INNER}/
  <Location /off/>
    SecureHeaders Off
    ProxyPass \${BE}/off/
  </Location>
  <Location /big/>
    SetEnv BIG ${BIG}
    SecureHeadersEnvMaxSize 64
    SecureHeadersEnvOversize Reject
    ProxyPass \${BE}/big/
  </Location>
  <Location /omit/>
    SetEnv BIG ${BIG}
    SecureHeadersEnvMaxSize 64
    ProxyPass \${BE}/omit/
  </Location>
  <Location /hmac/>
    SecureHeadersSignKey edge-key hmac-sha256 \${HMAC}
    ProxyPass \${BE}/hmac/
  </Location>
  <Location /ed/>
    SecureHeadersSignKey ed-key ed25519 \${ED}
    ProxyPass \${BE}/ed/
  </Location>
  <Location /ec/>
    SecureHeadersSignKey ec-key ecdsa-p256-sha256 \${EC}
    ProxyPass \${BE}/ec/
  </Location>
  # A configuration that breaks the Host header: nothing can be signed.
  <Location /fc/>
    ProxyPreserveHost On
    RequestHeader set Host "expr=%{unescape:bad%0d%0ahost}"
    SecureHeadersSignKey edge-key hmac-sha256 \${HMAC}
    ProxyPass \${BE}/fc/
  </Location>
  <Location /tap/>
    SetEnv proxy-nokeepalive 1
    SecureHeadersSignKey edge-key hmac-sha256 \${HMAC}
    ProxyPreserveHost On
    ProxyPass http://127.0.0.1:\${TAP}/
  </Location>
</VirtualHost>
# The inner server: believes what edge-key signed.
<VirtualHost 127.0.0.1:\${INNER}>
  ServerName 127.0.0.1
  SecureHeadersUpstream key=edge-key
  ProxyPass / \${BE}/inner/
</VirtualHost>
# Another one, which believes 127.0.0.1 by address (and holds edge-key).
<VirtualHost 127.0.0.1:\${OTHER}>
  ServerName 127.0.0.1
  SecureHeadersUpstream 127.0.0.1
  ProxyPass / \${BE}/other/
</VirtualHost>
`;
}

// The Apache of config() and what it proxies to, filled into `t` as each
// part starts (so that stopTiers() stops what did): an echo backend (be),
// the port of an inner server behind a recording tap (INNER, tap) and of
// another (OTHER).
async function startTiers(t, { vars = {}, head = '' } = {}) {
  t.be = await h.startBackend();
  t.INNER = await h.freePort();
  t.OTHER = await h.freePort();
  t.tap = await startTap(t.INNER);
  t.ap = await h.startApache({
    modules: ['status', 'headers'],
    vars: Object.assign({ BE: t.be.url, INNER: t.INNER, OTHER: t.OTHER, TAP: t.tap.port,
      HMAC: KEYS.hmac.file, ED: KEYS.ed25519.file, EC: KEYS.ecdsa.file }, vars),
    body: `${head}${config()}`,
  });
  return t;
}

async function stopTiers(t) {
  if (t.ap) await t.ap.stop();
  if (t.tap) await t.tap.close();
  if (t.be) await t.be.close();
}

describe('refusals at the default LogLevel, the request note, server-status', NEED, () => {
  let be; let ap; let tap; let INNER; let OTHER;
  const noteLog = () => path.join(ap.dir, 'note_log');
  const refusedLog = () => path.join(ap.dir, 'refused_log');
  // What each test sent, to compare with server-status at the end.
  const sent = {};
  const add = (key, n = 1) => { sent[key] = (sent[key] || 0) + n; };

  // One request and its access-log line: [status, path, note].
  async function noted(port, opts) {
    const mark = readOr(noteLog()).length;
    const r = await h.request(port, opts);
    const lines = await linesSince(noteLog(), mark);
    assert.equal(lines.length, 1, lines.join('\n'));
    return { r, line: lines[0], note: lines[0].split(' ')[2] };
  }

  // Captures one signed request on its way from the edge to the inner
  // server (delivered: 200) and returns its bytes.
  async function capture(p) {
    const n = tap.seen.length;
    const r = await h.request(ap.port, { path: `/tap/${p}`, headers: { Host: `127.0.0.1:${INNER}` } });
    assert.equal(r.status, 200, r.body);
    add('SecureHeadersAdded'); add('SecureHeadersSignedHmacSha256');
    add('SecureHeadersUpstreamAcceptedKey'); add('SecureHeadersPassed');
    const bytes = tap.seen[n].bytes.toString('latin1');
    assert.match(bytes, /^Signature-Input: secure-headers=/m);
    return bytes;
  }

  const tiers = {};
  before(async () => {
    ({ be, ap, tap, INNER, OTHER } = await startTiers(tiers));
  });
  after(async () => {
    if (process.env.SHTEST_KEEP_NOTES && ap) fs.copyFileSync(noteLog(), process.env.SHTEST_KEEP_NOTES);
    await stopTiers(tiers);
  });

  test('not proxied: no note ("-")', async () => {
    const { r, note } = await noted(ap.port, { path: '/static.txt' });
    assert.equal(r.status, 200);
    assert.equal(note, '-');
  });

  test('proxied: "added"; signed: "added,signed:<keyid>" for each algorithm', async () => {
    let x = await noted(ap.port, { path: '/app/a' });
    assert.equal(x.r.status, 200);
    assert.equal(x.note, 'added');
    add('SecureHeadersAdded');
    for (const [p, keyid, counter] of [['hmac', 'edge-key', 'SecureHeadersSignedHmacSha256'],
      ['ed', 'ed-key', 'SecureHeadersSignedEd25519'], ['ec', 'ec-key', 'SecureHeadersSignedEcdsaP256Sha256']]) {
      x = await noted(ap.port, { path: `/${p}/b` });
      assert.equal(x.r.status, 200);
      assert.equal(x.note, `added,signed:${keyid}`);
      add('SecureHeadersAdded'); add(counter);
    }
  });

  test('SecureHeaders Off: "off"', async () => {
    const x = await noted(ap.port, { path: '/off/c' });
    assert.equal(x.r.status, 200);
    assert.equal(x.note, 'off');
    assert.deepEqual(h.secureHeaders(x.r.json), []);
    add('SecureHeadersOff');
  });

  test('forged "!~" header: 400, "refused:forged-header", one warning with the name, never the value', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(ap.port, { path: '/app/d', headers: { '!~Passenger-Client-Address': 'forged-6.6.6.6' } });
    assert.equal(x.r.status, 400);
    assert.equal(x.note, 'refused:forged-header');
    add('SecureHeadersRefusedForged');
    const lines = warnLines(ap, mark, /refused request with client-supplied header "!~Passenger-Client-Address"/);
    assert.equal(lines.length, 1, ap.errorLog().slice(mark));
    assert.match(lines[0], /\[client 127\.0\.0\.1:\d+\]/);
    assert.ok(!ap.errorLog().includes('forged-6.6.6.6'));
  });

  test('a burst of forged requests: at least one warning, at most one a second per process, every one counted', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const N = 60;
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: N }, (_, i) =>
      h.request(ap.port, { path: `/app/burst${i}`, headers: { '!~Passenger-Proto': 'https' } })));
    const seconds = Math.floor((Date.now() - t0) / 1000) + 1;
    assert.deepEqual([...new Set(rs.map((r) => r.status))], [400]);
    add('SecureHeadersRefusedForged', N);
    const lines = warnLines(ap, mark, /refused request with client-supplied header "!~Passenger-Proto"/);
    const pids = new Set(lines.map((l) => /\[pid (\d+)/.exec(l)[1]));
    assert.ok(lines.length >= 1, 'at least one warning');
    // ServerLimit 4 in the harness: at most 4 processes, one line a second each.
    assert.ok(lines.length <= 4 * seconds, `${lines.length} lines in ${seconds} s:\n${lines.join('\n')}`);
    assert.ok(lines.length <= pids.size * seconds, `one a second per process:\n${lines.join('\n')}`);
    const refused = await linesSince(refusedLog(), 0, N);
    assert.ok(refused.filter((l) => /^400 \/app\/burst\d+ refused:forged-header$/.test(l)).length === N);
  });

  test('a client\'s secure-headers signature member: 400, "refused:client-signature", warned', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(ap.port, { path: '/app/e', headers: { Signature: 'secure-headers=:AAAA:' } });
    assert.equal(x.r.status, 400);
    assert.equal(x.note, 'refused:client-signature');
    add('SecureHeadersRefusedClientSignature');
    assert.equal(warnLines(ap, mark, /refused request with client-supplied header "secure-headers signature"/).length, 1,
      ap.errorLog().slice(mark));
  });

  test('SecureHeadersEnvOversize Reject: 500, "refused:env-oversize", one warning a second (it was never logged)', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(ap.port, { path: '/big/f' });
    assert.equal(x.r.status, 500);
    assert.equal(x.note, 'refused:env-oversize');
    const more = await Promise.all([1, 2, 3].map((i) => h.request(ap.port, { path: `/big/g${i}` })));
    assert.deepEqual(more.map((r) => r.status), [500, 500, 500]);
    add('SecureHeadersRefusedEnvOversize', 4);
    const lines = warnLines(ap, mark, /!~Passenger-Envvars would be \d+ bytes, more than SecureHeadersEnvMaxSize \(64\): refusing the request \(SecureHeadersEnvOversize Reject\)/);
    assert.ok(lines.length >= 1 && lines.length <= 2, ap.errorLog().slice(mark));
    assert.ok(!ap.errorLog().includes(BIG), 'never the value');
  });

  test('SecureHeadersEnvOversize Omit: 200, "added,env-omitted:1", warned with the name', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(ap.port, { path: '/omit/h' });
    assert.equal(x.r.status, 200);
    assert.equal(x.note, 'added,env-omitted:1');
    add('SecureHeadersAdded'); add('SecureHeadersEnvOmitted');
    assert.equal(warnLines(ap, mark, /SecureHeadersEnvMaxSize \(64 bytes\); left out 1 variable\(s\): BIG$/).length, 1,
      ap.errorLog().slice(mark));
  });

  test('an upstream signed by a named key: "trusted:key,passed" at the inner server', async () => {
    const mark = readOr(noteLog()).length;
    await capture('i');
    const lines = await linesSince(noteLog(), mark, 2);
    assert.ok(lines.includes('200 /tap/i added,signed:edge-key'), lines.join('\n'));
    assert.ok(lines.includes('200 /i trusted:key,passed'), lines.join('\n'));
  });

  // Each way an upstream's request is refused: the note, the warning
  // (with the reason), at the default LogLevel.
  const upstream = [
    ['replayed unchanged', 'refused:replay', 'SecureHeadersRefusedReplay', (b) => b, () => INNER,
      /its signature by key 'edge-key' was refused: it was seen before: a replay/],
    ['its signature changed', 'refused:upstream-signature', 'SecureHeadersRefusedUpstreamSignature',
      (b) => b.replace(/^(Signature: secure-headers=:)(.)/m, (m, a, c) => a + (c === 'A' ? 'B' : 'A')), () => INNER,
      /its signature by key 'edge-key' was refused: the signature does not verify/],
    ['made long ago', 'refused:upstream-expired', 'SecureHeadersRefusedUpstreamExpired',
      (b) => b.replace(/created=\d+;expires=\d+/, 'created=1000000000;expires=1000000060'), () => INNER,
      /its signature by key 'edge-key' was refused: it has expired/],
    ['sent to another server', 'refused:upstream-authority', 'SecureHeadersRefusedUpstreamAuthority', (b) => b, () => OTHER,
      /its signature by key 'edge-key' was refused: it was signed for 127\.0\.0\.1:\d+, which is neither/],
  ];
  for (const [what, token, counter, change, port, re] of upstream) {
    test(`an upstream's signed request ${what}: 400, "${token}", warned`, async () => {
      const bytes = change(await capture(`u-${token.split(':')[1]}`));
      await nextSecond();
      const mark = ap.errorLog().length;
      const nmark = readOr(noteLog()).length;
      const reply = await h.raw(port(), bytes, { end: true });
      assert.match(reply, /^HTTP\/1\.1 400 /);
      add(counter);
      const lines = await linesSince(noteLog(), nmark);
      assert.match(lines[0], new RegExp(`^400 /u-\\S+ ${token}$`));
      assert.equal(warnLines(ap, mark, re).length, 1, ap.errorLog().slice(mark));
    });
  }

  test('a trusted upstream\'s malformed values: 400, "refused:upstream-values", warned', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(OTHER, { path: '/v', headers: { '!~Passenger-Proto': 'ftp' } });
    assert.equal(x.r.status, 400);
    assert.equal(x.note, 'refused:upstream-values');
    add('SecureHeadersRefusedUpstreamValues');
    assert.equal(warnLines(ap, mark, /refused request from upstream server 127\.0\.0\.1 \(address\): !~Passenger-Proto is not "https"/).length, 1,
      ap.errorLog().slice(mark));
  });

  test('to itself (self proof): "added" at the edge, "trusted:self,passed" at the inner virtual host', async () => {
    const mark = readOr(noteLog()).length;
    const r = await h.request(ap.port, { path: '/self/q' });
    assert.equal(r.status, 200, r.body);
    add('SecureHeadersAdded'); add('SecureHeadersUpstreamAcceptedSelf'); add('SecureHeadersPassed');
    const lines = await linesSince(noteLog(), mark, 2);
    assert.deepEqual(lines.sort(), ['200 /q trusted:self,passed', '200 /self/q added']);
  });

  test('trusted by address: "trusted:address,passed"', async () => {
    const x = await noted(OTHER, { path: '/w', headers: { '!~Passenger-Client-Address': '198.51.100.7' } });
    assert.equal(x.r.status, 200);
    assert.equal(x.note, 'trusted:address,passed');
    add('SecureHeadersUpstreamAcceptedAddress'); add('SecureHeadersPassed');
  });

  test('a self proof that is not this server\'s: 400, "refused:self-proof", warned', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const x = await noted(ap.port, { path: '/app/s', headers: { '!~Secure-Headers-Self': 'input=("@method");created=1, sig=:AAAA:' } });
    assert.equal(x.r.status, 400);
    assert.equal(x.note, 'refused:self-proof');
    add('SecureHeadersRefusedSelfProof');
    assert.equal(warnLines(ap, mark, /"!~Secure-Headers-Self"/).length, 1, ap.errorLog().slice(mark));
  });

  test('a signature that cannot be made: sent without secure headers, "fail-closed", an error line', async () => {
    await nextSecond();
    const mark = ap.errorLog().length;
    const n = be.requests.length;
    const x = await noted(ap.port, { path: '/fc/x' });
    add('SecureHeadersFailClosed');
    assert.equal(x.note, 'fail-closed');
    // The backend (if it could read the request at all) got no secure header.
    for (const echo of be.requests.slice(n)) assert.deepEqual(h.secureHeaders(echo), []);
    assert.equal(ap.errorLog().slice(mark).split('\n').filter((l) =>
      /\[secure_headers:error\] .*cannot sign: .*: sending the request without secure headers/.test(l)).length, 1,
    ap.errorLog().slice(mark));
  });

  test('an ErrorDocument after a refusal keeps the note', async () => {
    // The 400 page is an internal redirect; the access log reads the final
    // request, which inherits the note.
    const x = await noted(ap.port, { path: '/app/ed', headers: { '!~Foo': 'x' } });
    assert.equal(x.r.status, 400);
    assert.equal(x.r.body, 'static file\n', 'the ErrorDocument was served');
    assert.equal(x.note, 'refused:forged-header');
    add('SecureHeadersRefusedForged');
  });

  test('CustomLog "expr=note(\'secure-headers\') =~ /refused:/" logs the refusals only', async () => {
    const lines = readOr(refusedLog()).split('\n').filter(Boolean);
    assert.ok(lines.length > 0);
    for (const l of lines) assert.match(l, /^(400|500) \S+ refused:[a-z-]+$/);
    assert.ok(!lines.some((l) => /^200 /.test(l)));
  });

  test('server-status?auto: every counter equals what was sent', async () => {
    const got = await counters(ap.port);
    const keys = ['SecureHeadersAdded', 'SecureHeadersPassed', 'SecureHeadersSignedHmacSha256',
      'SecureHeadersSignedEd25519', 'SecureHeadersSignedEcdsaP256Sha256', 'SecureHeadersEnvOmitted',
      'SecureHeadersFailClosed', 'SecureHeadersOff', 'SecureHeadersUpstreamAcceptedAddress',
      'SecureHeadersUpstreamAcceptedKey', 'SecureHeadersUpstreamAcceptedSelf', 'SecureHeadersRefusedForged',
      'SecureHeadersRefusedClientSignature', 'SecureHeadersRefusedEnvOversize',
      'SecureHeadersRefusedUpstreamSignature', 'SecureHeadersRefusedUpstreamExpired',
      'SecureHeadersRefusedUpstreamAuthority', 'SecureHeadersRefusedUpstreamValues',
      'SecureHeadersRefusedSelfProof', 'SecureHeadersRefusedReplay', 'SecureHeadersRefusedStore'];
    assert.deepEqual(Object.keys(got), keys, 'the ?auto keys, in order');
    const want = Object.fromEntries(keys.map((k) => [k, sent[k] || 0]));
    assert.deepEqual(got, want);
  });

  test('server-status (HTML): a mod_secure_headers section with the same figures', async () => {
    const r = await h.request(ap.port, { path: '/server-status' });
    assert.equal(r.status, 200);
    assert.match(r.body, /<h2>mod_secure_headers<\/h2>/);
    assert.match(r.body, new RegExp(`<tr><td><code>SecureHeadersRefusedForged</code></td><td align="right">${sent.SecureHeadersRefusedForged}</td>`));
  });
});

describe('without mod_status: nothing counted, nothing shown, the note still set', () => {
  let be; let ap;
  before(async () => {
    be = await h.startBackend();
    ap = await h.startApache({
      vars: { BE: be.url },
      body: 'LogFormat "%>s %{secure-headers}n" shnote\nCustomLog "${DIR}/note_log" shnote\nProxyPass /app/ ${BE}/app/\n',
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });
  test('the note without mod_status', async () => {
    assert.equal((await h.request(ap.port, { path: '/app/x' })).status, 200);
    assert.equal((await h.request(ap.port, { path: '/app/y', headers: { '!~X': '1' } })).status, 400);
    const lines = await linesSince(path.join(ap.dir, 'note_log'), 0, 2);
    assert.deepEqual(lines, ['200 added', '400 refused:forged-header']);
    assert.doesNotMatch(readOr(path.join(ap.dir, 'error_log')), /server-status counters/);
  });
});

// ---------------------------------------------------------------------------
// Restarts and load, on one server that is its own edge and inner server.

const READY = /resuming normal operations/g;
const readyCount = (ap) => (ap.errorLog().match(READY) || []).length;

function apacheEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('APACHE_')) env[k] = v;
  env.LANG = 'C';
  env.LC_ALL = 'C';
  // make test-asan: the sanitizer runtime, as tests/lib/harness.js loads it.
  if (process.env.SHTEST_APACHE_PRELOAD) env.LD_PRELOAD = process.env.SHTEST_APACHE_PRELOAD;
  return env;
}

async function waitFor(what, cond, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await h.sleep(50);
  }
}

// apache2 -k restart (SIGHUP): the parent stays, children and configuration
// are new; waits for "resuming normal operations".
async function hardRestart(ap) {
  const before = readyCount(ap);
  const out = require('node:child_process').spawnSync(h.APACHE_BIN, ['-k', 'restart', '-f', ap.confPath],
    { env: apacheEnv(), encoding: 'utf8', timeout: 20000 });
  assert.equal(out.status, 0, out.stderr);
  await waitFor('the restart', () => readyCount(ap) > before);
  await waitFor('a listener', async () => (await h.request(ap.port, { path: '/static.txt' }).catch(() => null)) !== null);
}

// The same configuration (same ports, same keys) started again after a
// stop: a new process, a new replay cache.
async function startAgain(ap) {
  const fd = fs.openSync(path.join(ap.dir, 'stderr2'), 'a');
  const child = spawn(h.APACHE_BIN, ['-f', ap.confPath, '-DFOREGROUND'],
    { env: apacheEnv(), stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  child.unref();
  const exited = new Promise((r) => child.once('exit', r));
  await waitFor('the second start', async () => (await h.request(ap.port, { path: '/static.txt' }).catch(() => null)) !== null);
  return {
    async stop() {
      try { process.kill(child.pid, 'SIGTERM'); } catch (_) { /* gone */ }
      await Promise.race([exited, h.sleep(5000)]);
      try { process.kill(-child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    },
  };
}

describe('counters under load (mpm_event, 2 processes x 25 threads), across graceful and full restarts', NEED, () => {
  let be; let ap;
  before(async () => {
    be = await h.startBackend();
    ap = await h.startApache({
      modules: ['status'],
      vars: { BE: be.url, HMAC: KEYS.hmac.file },
      body: `
StartServers 2
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
MinSpareThreads 50
MaxSpareThreads 100
<Location /server-status>
  SetHandler server-status
</Location>
ProxyPass /app/ \${BE}/app/
<Location /app/s/>
  SecureHeadersSignKey edge-key hmac-sha256 \${HMAC}
</Location>
`,
    });
  });
  after(async () => {
    if (ap) await ap.stop();
    if (be) await be.close();
  });

  // n requests, `concurrency` at a time, each on its own connection (so
  // that both processes take some); returns the statuses.
  async function load(n, concurrency, opts) {
    const statuses = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const r = await h.request(ap.port, opts(i));
        statuses.push(r.status);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return statuses;
  }

  test('2,000 proxied (1,000 signed) and 500 forged requests, 50 at a time: each counter equals the requests sent', async () => {
    // Every other one signed.
    const ok = await load(2000, 50, (i) => ({ path: i % 2 ? `/app/s/${i}` : `/app/${i}` }));
    assert.equal(ok.filter((s) => s === 200).length, 2000);
    const bad = await load(500, 50, (i) => ({ path: `/app/f${i}`, headers: { '!~Passenger-Proto': 'https' } }));
    assert.equal(bad.filter((s) => s === 400).length, 500);
    const pids = new Set([...ap.accessLog().matchAll(/pid=(\d+)/g)].map((m) => m[1]));
    assert.ok(pids.size >= 2, `served by ${pids.size} process(es)`);
    const c = await counters(ap.port);
    assert.equal(c.SecureHeadersAdded, 2000);
    assert.equal(c.SecureHeadersSignedHmacSha256, 1000);
    assert.equal(c.SecureHeadersRefusedForged, 500);
  });

  test('graceful restart (apachectl graceful): the counts are kept and go on', async () => {
    await ap.reload();
    let c = await counters(ap.port);
    assert.equal(c.SecureHeadersAdded, 2000);
    assert.equal(c.SecureHeadersRefusedForged, 500);
    await load(100, 10, (i) => ({ path: `/app/g${i}` }));
    c = await counters(ap.port);
    assert.equal(c.SecureHeadersAdded, 2100);
  });

  test('full restart (apachectl restart): the counts start again from zero, as mod_status\' own', async () => {
    await hardRestart(ap);
    let c = await counters(ap.port);
    assert.equal(c.SecureHeadersAdded, 0);
    assert.equal(c.SecureHeadersRefusedForged, 0);
    await load(10, 5, (i) => ({ path: `/app/r${i}` }));
    c = await counters(ap.port);
    assert.equal(c.SecureHeadersAdded, 10);
  });
});

describe('a captured signed request replayed after graceful, restart and stop/start: refused and counted', NEED, () => {
  let be; let ap; let tap; let INNER; let OTHER; let again;

  async function capture(p) {
    const n = tap.seen.length;
    const r = await h.request(ap.port, { path: `/tap/${p}`, headers: { Host: `127.0.0.1:${INNER}` } });
    assert.equal(r.status, 200, r.body);
    return tap.seen[n].bytes.toString('latin1');
  }

  const tiers = {};
  before(async () => {
    ({ be, ap, tap, INNER, OTHER } = await startTiers(tiers));
  });
  after(async () => {
    if (again) await again.stop();
    await stopTiers(tiers);
  });

  test('graceful: the replay cache is kept; the replay is refused as seen', async () => {
    const bytes = await capture('g');
    await ap.reload();
    const reply = await h.raw(INNER, bytes, { end: true });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(ap.errorLog(), /was refused: it was seen before: a replay/);
    assert.equal((await counters(ap.port)).SecureHeadersRefusedReplay, 1);
  });

  test('restart (SIGHUP): refused; counted from zero again', async () => {
    const bytes = await capture('r');
    await nextSecond();
    await hardRestart(ap);
    const reply = await h.raw(INNER, bytes, { end: true });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.equal((await counters(ap.port)).SecureHeadersRefusedReplay, 1);
  });

  test('stop, then start: the new cache has not seen it, and refuses what was made before it', async () => {
    const bytes = await capture('s');
    // The cache's creation is in whole seconds: stop in a later second.
    await nextSecond();
    await ap.stop();
    again = await startAgain(ap);
    const mark = ap.errorLog().length;
    const reply = await h.raw(INNER, bytes, { end: true });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(ap.errorLog().slice(mark), /\[secure_headers:warn\] .*its signature by key 'edge-key' was refused: it was created before this server's replay cache \(a restart\)/);
    const c = await counters(ap.port);
    assert.equal(c.SecureHeadersRefusedReplay, 1);
    // New requests pass.
    await capture('t');
    assert.equal((await counters(ap.port)).SecureHeadersUpstreamAcceptedKey, 1);
  });
});

describe('a shared replay store that fails: 503, "refused:store", counted', NEED, () => {
  let be; let ap; let tap; let INNER; let OTHER;
  const tiers = {};
  before(async () => {
    // Nothing listens there: memcached is down.
    const DEAD = await h.freePort();
    ({ be, ap, tap, INNER, OTHER } = await startTiers(tiers, {
      vars: { DEAD }, head: 'SecureHeadersReplayStore memcache:127.0.0.1:${DEAD} timeout=300\n',
    }));
  });
  after(async () => stopTiers(tiers));

  test('the edge\'s signed request reaches an inner server whose store is down', async () => {
    const r = await h.request(ap.port, { path: '/tap/st', headers: { Host: `127.0.0.1:${INNER}` } });
    assert.equal(r.status, 503, r.body);
    const lines = await linesSince(path.join(ap.dir, 'note_log'), 0, 2);
    assert.ok(lines.includes('503 /st refused:store'), lines.join('\n'));
    assert.match(ap.errorLog(), /\[secure_headers:warn\] .*SecureHeadersReplayStore memcache:127\.0\.0\.1:\d+: memcached .* failed: .*with 503/);
    const c = await counters(ap.port);
    assert.equal(c.SecureHeadersRefusedStore, 1);
    assert.equal(c.SecureHeadersUpstreamAcceptedKey, 0);
  });
});
