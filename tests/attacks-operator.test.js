// SPDX-License-Identifier: MIT
'use strict';
// Operator configuration and httpd's internal machinery against the secure
// headers: internal redirects (ErrorDocument, ProxyErrorOverride, RewriteRule
// [PT]), mod_include subrequests, mod_headers rules on "!~" names (also across
// internal redirects), MergeTrailers on, h2c:// backends, mod_remoteip.
// Each test is one vector, asserting exactly that it was refused or that it
// passed with the true values only (tests/lib/attacks.js). Each group's
// Apache is checked after the group: a line at warn or worse that the group
// does not declare fails it (tests/lib/log.js).
//
//   node --test tests/attacks-operator.test.js

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./lib/harness');
const {
  FORGED_IP, pairsOf, assertModuleHeaders, attempt, rawResponses, assertRefused,
  startH2cBackend, h2Env,
} = require('./lib/attacks');

const { encodeEnvvars } = h;

// Operator configuration and internal machinery: internal redirects,
// subrequests, mod_headers rules on "!~" names, MergeTrailers on, mod_remoteip.
const OPERATOR_MODULES = ['rewrite', 'include', 'remoteip', 'proxy_http2'];
describe('operator config and internal redirects', h.needFor({ tls: true, h2: true, modules: OPERATOR_MODULES }), () => {
  const fx = h.useApache({
    allow: [h.CLIENT_REFUSAL], // the forged headers sent on purpose are refused with a warning
    backends: { be: {}, h2c: () => startH2cBackend() },
    apache: ({ be, h2c }) => ({
      tls: true,
      h2: true,
      modules: OPERATOR_MODULES,
      vars: { BACKEND: be.url, H2C: h2c.url },
      body: [
        'LogLevel warn secure_headers:info',
        'MergeTrailers on',
        // mod_remoteip configured, but 127.0.0.1 is not a trusted proxy (config only, never contacted).
        'RemoteIPHeader X-Real-IP',
        'RemoteIPTrustedProxy 192.0.2.1',
        'SetEnv FOO bar',
        'ProxyPass /app/ ${BACKEND}/',
        '<Location /loc/>\n ProxyPass ${BACKEND}/loc/\n</Location>',
        'RewriteEngine on',
        'RewriteRule ^/rw/(.*)$ /app/rw/$1 [PT]',
        'RewriteRule ^/rwloc/(.*)$ /loc/$1 [PT]',
        '<Location /missing/>\n ErrorDocument 404 /app/errdoc\n</Location>',
        '<Location /peo/>\n ProxyPass ${BACKEND}/status/404/\n ProxyErrorOverride On\n ErrorDocument 404 /app/peo-err\n</Location>',
        '<Directory "${DIR}/htdocs">\n Options +Includes\n AddType text/html .shtml\n AddOutputFilter INCLUDES .shtml\n</Directory>',
        // Operator rules on "!~" names followed by an internal redirect.
        '<Location /h2c/>\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n ProxyPass ${H2C}/h2c/\n</Location>',
        '<Location /mh-missing/>\n RequestHeader set "!~Custom" y\n ErrorDocument 404 /app/mh-errdoc\n</Location>',
        '<Directory "${DIR}/htdocs/d">\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n RewriteEngine on\n RewriteRule ^x$ /app/from-dir [PT]\n</Directory>',
        '<Location /mh-set/>\n RequestHeader set "!~Passenger-Client-Address" "9.9.9.9"\n ProxyPass ${BACKEND}/mh-set/\n</Location>',
        '<Location /mh-unset/>\n RequestHeader unset "!~Passenger-Client-Address"\n RequestHeader unset "!~Passenger-Envvars"\n ProxyPass ${BACKEND}/mh-unset/\n</Location>',
        '<Location /mh-append/>\n RequestHeader append "!~Passenger-Envvars" x\n ProxyPass ${BACKEND}/mh-append/\n</Location>',
        '<Location /mh-add/>\n RequestHeader add "!~Passenger-Client-Address" "9.9.9.9"\n RequestHeader add "!~Passenger-Proto" https\n ProxyPass ${BACKEND}/mh-add/\n</Location>',
        '<Location /mh-custom/>\n RequestHeader set "!~Custom" y\n ProxyPass ${BACKEND}/mh-custom/\n</Location>',
        '<Location /mh-edit/>\n RequestHeader edit "!~Passenger-Client-Address" "^.*$" "9.9.9.9"\n RequestHeader edit* "!~Passenger-Envvars" "." "A"\n ProxyPass ${BACKEND}/mh-edit/\n</Location>',
        h.tlsVhost([
          'RequestHeader set "!~Passenger-Client-Address" "9.9.9.9" early',
          'RequestHeader set "!~Custom" "y" early',
          'RequestHeader append "!~Passenger-Envvars" "x" early',
          'ErrorDocument 404 /app/early-errdoc',
          'ProxyPass /app/ ${BACKEND}/',
        ].join('\n ')),
      ].join('\n'),
    }),
    setup: ({ ap }) => {
      fs.writeFileSync(`${ap.dir}/htdocs/inc.shtml`, 'before\n<!--#include virtual="/app/inc?x=1" -->\nafter\n');
      fs.mkdirSync(`${ap.dir}/htdocs/d`);
      fs.writeFileSync(`${ap.dir}/htdocs/d/x`, 'file x\n');
    },
  });

  const tryReq = (opts) => attempt(fx.ap, fx.be, () => h.request(fx.ap.port, opts));
  const rwEnv = (p, host) => [['SCRIPT_URL', p], ['SCRIPT_URI', `http://${host || `127.0.0.1:${fx.ap.port}`}${p}`], ['FOO', 'bar']];

  // --- internal redirects and subrequests ---------------------------------

  // Attack surface: ErrorDocument's internal redirect to a proxied path (a stale or second set must not ride along).
  test('ErrorDocument 404 -> proxied path: exactly one set, true values, REDIRECT_* environment', async () => {
    const out = await tryReq({ path: '/missing/nothing' });
    assert.equal(out.res.status, 200); // the ErrorDocument is a proxied 200 page
    assert.deepEqual(out.seen.map((e) => e.url), ['/errdoc']);
    const uri = `http://127.0.0.1:${fx.ap.port}/missing/nothing`;
    assertModuleHeaders(out.seen[0], {
      env: [
        ['REDIRECT_SCRIPT_URL', '/missing/nothing'], ['REDIRECT_SCRIPT_URI', uri], ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'], ['REDIRECT_STATUS', '404'],
        ['SCRIPT_URL', '/missing/nothing'], ['SCRIPT_URI', uri], ['FOO', 'bar'],
      ],
    });
  });

  // Attack surface: a proxied request whose 404 is overridden by an ErrorDocument that is proxied too
  // (two forwarded requests in one internal-redirect chain).
  test('ProxyErrorOverride + proxied ErrorDocument: both forwarded requests carry exactly one set', async () => {
    const out = await tryReq({ path: '/peo/x' });
    // The proxied error document's own status (200) is what the client gets.
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/status/404/x', '/peo-err']);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/peo/x') });
    assertModuleHeaders(out.seen[1], {
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => n === 'FOO' || n === 'REDIRECT_STATUS'), [['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
        assert.ok(!env.some(([, v]) => v === '9.9.9.9'));
      },
    });
    assert.deepEqual(out.res.json, out.seen[1]);
  });

  // Attack surface: RewriteRule [PT] into a proxied path (server-level ProxyPass).
  test('RewriteRule [PT] to a proxied path: one set, true values', async () => {
    const out = await tryReq({ path: '/rw/abc?q=1' });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/rw/abc?q=1']);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/rw/abc') });
  });

  // RewriteRule [PT] onto a <Location>-scoped ProxyPass: httpd picks the Location's config before
  // translation (for the original URI), so the rewritten request is not proxied at all: 404 from
  // the file system, backend untouched (httpd behaviour, documented here).
  test('RewriteRule [PT] to a <Location>-scoped ProxyPass -> not proxied (404), backend untouched', async () => {
    const out = await tryReq({ path: '/rwloc/abc' });
    assert.equal(out.res.status, 404);
    assert.deepEqual(out.seen, []);
    assert.deepEqual(out.refusals, []);
  });

  // Attack surface: mod_include subrequest to a proxied path.
  test('mod_include virtual include of a proxied path: one set, true values', async () => {
    const out = await tryReq({ path: '/inc.shtml' });
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/inc?x=1']);
    assert.ok(out.res.body.startsWith('before\n{'), out.res.body.slice(0, 100));
    assert.ok(out.res.body.endsWith('}\nafter\n'));
    assertModuleHeaders(out.seen[0], {
      env: (env) => {
        // mod_include gives the subrequest the whole CGI environment; mod_env then overlays
        // (apr_table_overlay) SetEnv again for the subrequest, so FOO is in the table twice --
        // httpd's table, sent in table order as the contract says.
        assert.deepEqual(env.filter(([n]) => ['FOO', 'REMOTE_ADDR', 'HTTPS'].includes(n)), [['FOO', 'bar'], ['REMOTE_ADDR', '127.0.0.1'], ['FOO', 'bar']]);
      },
    });
  });

  // Attack: TLS-looking client headers through mod_include, whose CGI environment copies client
  // headers into the subrequest's environment (as HTTP_*): still no HTTPS, no Proto.
  test('mod_include with "HTTPS: on" / "X-Forwarded-Proto: https" client headers -> HTTP_HTTPS in env, but no Proto', async () => {
    const out = await tryReq({ path: '/inc.shtml', headers: [['HTTPS', 'on'], ['X-Forwarded-Proto', 'https']] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], {
      proto: false,
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => /^(HTTP_HTTPS|HTTP_X_FORWARDED_PROTO|HTTPS)$/i.test(n)), [['HTTP_HTTPS', 'on'], ['HTTP_X_FORWARDED_PROTO', 'https']]);
      },
    });
  });

  // --- mod_headers rules on "!~" names (operator config) -------------------

  // Operator rule: RequestHeader set (fixups) tries to replace the client address.
  test('RequestHeader set "!~Passenger-Client-Address" 9.9.9.9 -> the module\'s value wins, no 9.9.9.9', async () => {
    const out = await tryReq({ path: '/mh-set/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-set/x'), forged: ['9.9.9.9'] });
  });

  // Operator rule: RequestHeader set ... early (post_read_request, after the module's refusal check).
  // Result: not refused (it is the server's own rule, not the client's), and the module still replaces it.
  test('RequestHeader set ... early (TLS vhost) -> 200, module values, no 9.9.9.9, no "!~Custom", no appended x', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.request(fx.ap.tlsPort, { tls: true, path: '/app/early' }));
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.refusals, []);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: true, env: [['FOO', 'bar'], ['HTTPS', 'on']], forged: ['9.9.9.9', '!~Custom'] });
  });

  // Operator rule: RequestHeader unset on secure names.
  test('RequestHeader unset "!~Passenger-Client-Address" / "!~Passenger-Envvars" -> both still arrive', async () => {
    const out = await tryReq({ path: '/mh-unset/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-unset/x') });
  });

  // Operator rule: RequestHeader append to Envvars.
  test('RequestHeader append "!~Passenger-Envvars" x -> exact module value, nothing appended', async () => {
    const out = await tryReq({ path: '/mh-append/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-append/x') });
  });

  // Operator rule: RequestHeader add -> duplicates of Client-Address and a Proto on plain HTTP.
  test('RequestHeader add "!~Passenger-Client-Address" / "!~Passenger-Proto" -> one copy each, no Proto on plain HTTP', async () => {
    const out = await tryReq({ path: '/mh-add/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { proto: false, env: rwEnv('/mh-add/x'), forged: ['9.9.9.9'] });
  });

  // Operator rule: a custom "!~" name -- the module owns the namespace and strips it.
  test('RequestHeader set "!~Custom" y -> not forwarded', async () => {
    const out = await tryReq({ path: '/mh-custom/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-custom/x'), forged: ['!~Custom'] });
  });

  // Operator rule: RequestHeader edit / edit* on secure names.
  test('RequestHeader edit / edit* on secure names -> values untouched', async () => {
    const out = await tryReq({ path: '/mh-edit/x' });
    assert.equal(out.res.status, 200);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/mh-edit/x'), forged: ['9.9.9.9'] });
  });

  // --- operator "!~" rules across internal redirects -----------------------
  //
  // httpd runs post_read_request again for every internal redirect
  // (internal_internal_redirect), on the SAME headers_in table. A "!~" header
  // that an operator's RequestHeader rule put there after the client's
  // request passed the check must not be taken for a client forgery: the
  // redirect is proxied with exactly the module's values (before c701346 it
  // was refused -- 404 with a lost ErrorDocument, or 400 -- and the client
  // was blamed in the log).

  const redirectEnv = (env) => {
    assert.deepEqual(env.filter(([n]) => n === 'REDIRECT_STATUS' || n === 'FOO'), [['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
  };

  // Operator rule (fixups) + ErrorDocument to a proxied path.
  test('RequestHeader set "!~Custom" + ErrorDocument 404 -> proxied error page, one set of true values', async () => {
    const out = await tryReq({ path: '/mh-missing/x' });
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/mh-errdoc']);
    assertModuleHeaders(out.seen[0], { env: redirectEnv, forged: ['!~Custom'] });
  });

  // Operator rule (early) + ErrorDocument to a proxied path.
  test('RequestHeader ... early + ErrorDocument 404 (TLS vhost) -> proxied error page, one set of true values', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.request(fx.ap.tlsPort, { tls: true, path: '/no-such-file' }));
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/early-errdoc']);
    assertModuleHeaders(out.seen[0], { proto: true, env: redirectEnv, forged: ['9.9.9.9', '!~Custom'] });
  });

  // Operator rule in <Directory> + per-directory RewriteRule (an internal redirect) to a proxied path.
  test('RequestHeader in <Directory> + per-directory RewriteRule [PT] -> proxied, one set of true values', async () => {
    const out = await tryReq({ path: '/d/x' });
    assert.deepEqual(out.refusals, [], 'nothing came from the client');
    assert.equal(out.res.status, 200);
    assert.deepEqual(out.seen.map((e) => e.url), ['/from-dir']);
    assertModuleHeaders(out.seen[0], { env: (env) => assert.deepEqual(env.filter(([n]) => n === 'FOO'), [['FOO', 'bar']]), forged: ['9.9.9.9'] });
  });

  // --- MergeTrailers on ----------------------------------------------------

  const chunked = (p, size, trailerLines) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
    `${size.toString(16)}\r\n${'b'.repeat(size)}\r\n0\r\n${trailerLines}\r\n`;
  const tryRaw = (bytes) => attempt(fx.ap, fx.be, () => rawResponses(fx.ap.port, bytes));

  // Attack: trailer merged into the request headers (MergeTrailers on), small prefetched body.
  test('MergeTrailers on: "!~Passenger-Client-Address" trailer, 5-byte body -> true values once, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/loc/mt', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').toString(), 'bbbbb');
    assertModuleHeaders(out.seen[0], { env: rwEnv('/loc/mt', 'x'), forged: [FORGED_IP] });
  });

  // Attack: the same with a 40 KB streamed body (trailer read after the headers went out).
  test('MergeTrailers on: "!~Passenger-Client-Address" trailer, 40 KB body -> true values once, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/loc/mtbig', 40000, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.equal(out.seen.length, 1);
    assert.equal(Buffer.from(out.seen[0].body, 'base64').length, 40000);
    assertModuleHeaders(out.seen[0], { env: rwEnv('/loc/mtbig', 'x'), forged: [FORGED_IP] });
  });

  // Attack: a trailer merged into r->headers_in (after the client's headers were judged), then
  // carried by an internal redirect (ErrorDocument) to a proxied path. Only the client's initial
  // request is judged, so the redirect goes through -- and the proxy hook strips the merged trailer.
  test('MergeTrailers on + ErrorDocument redirect: merged "!~" trailer -> error page proxied with true values, no 6.6.6.6', async () => {
    const out = await tryRaw(chunked('/missing/x', 5, `!~Passenger-Client-Address: ${FORGED_IP}\r\n`));
    assert.deepEqual(out.res.responses.map((r) => r.status), [200]);
    assert.deepEqual(out.refusals, []);
    assert.deepEqual(out.seen.map((e) => e.url), ['/errdoc']);
    assertModuleHeaders(out.seen[0], {
      env: (env) => {
        assert.deepEqual(env.filter(([n]) => ['REDIRECT_STATUS', 'REDIRECT_REQUEST_METHOD', 'FOO'].includes(n)),
          [['REDIRECT_REQUEST_METHOD', 'POST'], ['REDIRECT_STATUS', '404'], ['FOO', 'bar']]);
      },
      forged: [FORGED_IP],
    });
  });

  // Attack: HTTP/2 request trailers with MergeTrailers on (TLS vhost, which also has the early rules).
  test('MergeTrailers on: HTTP/2 "!~passenger-client-address" trailer -> true values once, no 6.6.6.6', async () => {
    const out = await attempt(fx.ap, fx.be, () => h.h2request(fx.ap.tlsPort, { method: 'POST', path: '/app/h2mt', body: 'hello', trailers: { '!~passenger-client-address': FORGED_IP } }));
    assert.equal(out.res.alpnProtocol, 'h2');
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assertModuleHeaders(out.seen[0], { proto: true, env: h2Env(out.res.sni), forged: [FORGED_IP, '9.9.9.9', '!~Custom'] });
  });

  // --- HTTP/2 backends (mod_proxy_http2, ProxyPass h2c://) ------------------

  // Attack: a forged header on a route to an h2c backend.
  test('h2c:// backend route: forged "!~Passenger-Client-Address" -> 400, h2c backend untouched', async () => {
    const n = fx.h2c.requests.length;
    const out = await tryReq({ path: '/h2c/a', headers: [['!~Passenger-Client-Address', FORGED_IP]] });
    assertRefused(out, { name: '!~Passenger-Client-Address', forged: [FORGED_IP] });
    assert.equal(fx.h2c.requests.length, n);
  });

  // Operator rule on an h2c route: mod_proxy_http2 builds its request without running mod_proxy's
  // fixups hook, so the module neither adds its headers nor strips the operator's "!~" one.
  test('h2c:// backend (mod_proxy_http2): one set of true values, operator\'s 9.9.9.9 stripped', async () => {
    const n = fx.h2c.requests.length;
    const r = await h.request(fx.ap.port, { path: '/h2c/b' });
    assert.equal(r.status, 200);
    assert.equal(fx.h2c.requests.length, n + 1);
    const raw = pairsOf(fx.h2c.requests[n].rawHeaders);
    assert.ok(!raw.some(([, v]) => v.includes('9.9.9.9')), JSON.stringify(raw));
    assert.deepEqual(raw.filter(([k]) => k.startsWith('!~')), [
      ['!~passenger-client-address', '127.0.0.1'],
      ['!~passenger-envvars', encodeEnvvars(rwEnv('/h2c/b'))],
    ]);
  });

  // --- mod_remoteip --------------------------------------------------------

  // Attack: X-Real-IP from a client mod_remoteip does not trust.
  test('mod_remoteip configured, client not a trusted proxy: "X-Real-IP: 6.6.6.6" -> Client-Address 127.0.0.1', async () => {
    const out = await tryReq({ path: '/loc/rip', headers: [['X-Real-IP', FORGED_IP]] });
    assert.equal(out.res.status, 200);
    assert.equal(out.seen.length, 1);
    assert.deepEqual(h.secureHeaders(out.seen[0]), [
      ['!~Passenger-Client-Address', '127.0.0.1'],
      ['!~Passenger-Envvars', encodeEnvvars(rwEnv('/loc/rip'))],
    ]);
  });
});
