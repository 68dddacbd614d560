// SPDX-License-Identifier: MIT
'use strict';
// Every way mod_proxy forwards a request (RewriteRule [P], ProxyPassMatch,
// <Location> ProxyPass, SetHandler proxy:, balancer://, WebSocket), internal
// redirects, subrequests and keep-alive: one set of true values each.
// Real apache2 with the built module in front of the Node echo backend
// (tests/lib/harness.js); the contract is docs/wire-format.md.
//
//   node --test tests/secure-headers-proxy-forms.test.js
//
// Every expected environment is written out in full, in table order, and
// compared byte for byte with the base64 the backend received, so a missing,
// extra, duplicated, reordered or re-encoded variable fails the test. Each
// group's Apache is checked after the group: a line at warn or worse that
// the group does not declare fails it (tests/lib/log.js).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');
const { assertSecure, proxied, received, vhost } = require('./lib/secure-headers');

// ---------------------------------------------------------------------------
// Every way mod_proxy forwards a request
// ---------------------------------------------------------------------------
const FORMS_MODULES = ['rewrite', 'remoteip', 'include', 'dir', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_wstunnel'];
describe('proxy forms, internal redirects, subrequests, keep-alive', h.needFor({ tls: true, modules: FORMS_MODULES }), () => {
  const fx = h.useApache({
    backends: { be: {}, beA: {}, beB: {}, bews: {}, bewss: {} },
    apache: ({ be, beA, beB, bews, bewss }) => ({
      tls: true,
      modules: FORMS_MODULES,
      vars: { BACKEND: be.url, BACKEND_A: beA.url, BACKEND_B: beB.url },
      body: [
        vhost('127.0.0.1:${PORT}', [
          'SetEnv FOO bar',
          'SetEnvIf User-Agent special UA_SPECIAL=yes',
          'RemoteIPHeader X-Real-IP',
          'RemoteIPInternalProxy 127.0.0.1',
          'RewriteEngine on',
          'RewriteRule ^/srv/(.*)$ ${BACKEND}/s/$1 [P,E=SRV:$1]',
          'RewriteRule ^/pt/(.*)$ /proxied/$1 [PT,E=PTV:$1]',
          '<Directory "${DIR}/htdocs">',
          ' RewriteEngine on',
          ' RewriteRule ^dir/(.*)$ ${BACKEND}/d/$1 [P,E=DIRV:$1]',
          ' Options +Includes',
          '</Directory>',
          '<Directory "${DIR}/htdocs/idx">',
          ' DirectoryIndex /proxied/index',
          '</Directory>',
          'AddOutputFilter INCLUDES .shtml',
          'ProxyPassMatch ^/m/(\\d+)$ ${BACKEND}/match/$1',
          '<Location /x>',
          ' SetEnv LOCX 1',
          ' ProxyPass ${BACKEND}/y',
          '</Location>',
          '<Location /sh>',
          ' SetHandler "proxy:${BACKEND}"',
          '</Location>',
          '<Proxy balancer://pair>',
          ' BalancerMember ${BACKEND_A}',
          ' BalancerMember ${BACKEND_B}',
          '</Proxy>',
          'ProxyPass /bal/ balancer://pair/',
          h.websocketProxyPass('/ws/', `${bews.url}/`),
          'ProxyPass /eo/ ${BACKEND}/eo/',
          '<Location /eo/>',
          ' ProxyErrorOverride On',
          ' SetEnv EO only-first',
          '</Location>',
          'ProxyPass /proxied/ ${BACKEND}/p/',
          'ErrorDocument 404 /proxied/err',
          '<Location /opheader>',
          ' RequestHeader set "!~Operator" "set-by-config"',
          '</Location>',
        ]),
        h.tlsVhost(`SetEnv FOO bar\n ${h.websocketProxyPass('/ws/', `${bewss.url}/`)}`),
      ].join('\n'),
    }),
    setup: ({ ap }) => {
      fs.mkdirSync(path.join(ap.dir, 'htdocs', 'idx'));
      fs.writeFileSync(path.join(ap.dir, 'htdocs', 'inc.shtml'), 'A<!--#include virtual="/proxied/sub?x=1" -->B\n');
    },
  });

  const uri = (p) => `http://127.0.0.1:${fx.ap.port}${p}`;

  test('RewriteRule [P] in server context', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/srv/a?b=1', headers: { 'User-Agent': 'special agent' } });
    assert.equal(echo.url, '/s/a?b=1');
    // No ProxyPass worker matches this URL: mod_proxy uses its default
    // worker and marks the request proxy-nokeepalive (in the environment,
    // before the module reads it)
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/srv/a'], ['SCRIPT_URI', uri('/srv/a')], ['SRV', 'a'], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('RewriteRule [P] in directory context (<Directory> without .htaccess)', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/dir/q?b=2' });
    assert.equal(echo.url, '/d/q?b=2');
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['SCRIPT_URL', '/dir/q'], ['SCRIPT_URI', uri('/dir/q')], ['DIRV', 'q'], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('ProxyPassMatch', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/m/42?c' });
    assert.equal(echo.url, '/match/42?c');
    // a ProxyPassMatch worker whose URL has "$1" is not reused: Connection:
    // close. Before 2.4.47 no worker matched such a URL: the default
    // worker served it, and said so in the environment (proxy-nokeepalive).
    const env = [['SCRIPT_URL', '/m/42'], ['SCRIPT_URI', uri('/m/42')], ['FOO', 'bar']];
    if (!h.httpdAtLeast('2.4.47')) env.push(['proxy-nokeepalive', '1']);
    assertSecure(echo, { trailing: [['Connection', 'close']], env });
  });

  test('<Location /x> ProxyPass ${BACKEND}/y </Location>', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/x/zz?c' });
    assert.equal(echo.url, '/y/zz?c');
    assertSecure(echo, { env: [['SCRIPT_URL', '/x/zz'], ['SCRIPT_URI', uri('/x/zz')], ['FOO', 'bar'], ['LOCX', '1']] });
  });

  test('SetHandler "proxy:${BACKEND}" in a <Location>', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/sh?z=1' });
    // mod_proxy's handler form appends r->filename to the handler's URL,
    // and since 2.4.60 (which canonicalizes it) the query string
    assert.equal(echo.url, `${path.join(fx.ap.dir, 'htdocs', 'sh')}${h.httpdAtLeast('2.4.60') ? '?z=1' : ''}`);
    assertSecure(echo, {
      trailing: [['Connection', 'close']],
      env: [['SCRIPT_URL', '/sh'], ['SCRIPT_URI', uri('/sh')], ['FOO', 'bar'], ['proxy-nokeepalive', '1']],
    });
  });

  test('balancer:// with two members: both are used, every request carries the headers', async () => {
    const seen = { [fx.beA.url]: 0, [fx.beB.url]: 0 };
    for (let i = 0; i < 6; i++) {
      const { result: r, got } = await received([fx.beA, fx.beB], () => h.request(fx.ap.port, { path: `/bal/b${i}`, headers: { 'X-Real-IP': `203.0.113.${i + 1}` } }));
      assert.equal(r.status, 200);
      const all = [...got[0], ...got[1]];
      assert.equal(all.length, 1, 'exactly one member received the request');
      const member = got[0].length ? fx.beA : fx.beB;
      seen[member.url]++;
      assert.equal(all[0].url, `/b${i}`);
      assertSecure(all[0], {
        addr: `203.0.113.${i + 1}`,
        env: [
          ['SCRIPT_URL', `/bal/b${i}`],
          ['SCRIPT_URI', uri(`/bal/b${i}`)],
          ['FOO', 'bar'],
          ['BALANCER_NAME', 'balancer://pair'],
          ['BALANCER_WORKER_NAME', member.url],
          ['BALANCER_WORKER_ROUTE', ''],
        ],
      });
    }
    assert.ok(seen[fx.beA.url] >= 1 && seen[fx.beB.url] >= 1, `both members used: ${JSON.stringify(seen)}`);
  });

  // upgrade=websocket, or ws:// through mod_proxy_wstunnel before 2.4.47
  test('WebSocket upgrade (upgrade=websocket), plain and over TLS', async () => {
    const plain = await received(fx.bews, () => h.websocket(fx.ap.port, '/ws/chat?room=1', { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.50' }));
    assert.equal(plain.result.status, 101);
    assert.ok(plain.result.acceptOk);
    assert.equal(plain.got.length, 1);
    assert.deepEqual(plain.got[0], plain.result.json);
    assert.equal(plain.got[0].url, '/chat?room=1');
    assertSecure(plain.got[0], {
      addr: '203.0.113.50',
      trailing: h.websocketFraming(),
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/ws/chat'], ['SCRIPT_URI', uri('/ws/chat')], ['FOO', 'bar']],
    });

    const secure = await received(fx.bewss, () => h.websocket(fx.ap.tlsPort, '/ws/s', {}, { tls: true }));
    assert.equal(secure.result.status, 101);
    assert.ok(secure.result.acceptOk);
    assert.equal(secure.got.length, 1);
    assert.equal(secure.got[0].url, '/s');
    assertSecure(secure.got[0], {
      proto: true,
      trailing: h.websocketFraming(),
      env: [['FOO', 'bar'], ['HTTPS', 'on']],
    });
  });

  test('internal redirect: ErrorDocument 404 to a proxied path', async () => {
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, {
      path: '/missing.html', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.5' },
    }));
    // httpd passes on the status of the proxied error document (200 here)
    assert.equal(r.status, 200);
    assert.equal(got.length, 1, 'one backend request');
    assert.equal(got[0].url, '/p/err');
    assertSecure(got[0], {
      addr: '203.0.113.5',
      env: [
        ['REDIRECT_UA_SPECIAL', 'yes'],
        ['REDIRECT_SCRIPT_URL', '/missing.html'],
        ['REDIRECT_SCRIPT_URI', uri('/missing.html')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        // mod_rewrite gives a redirected request the original SCRIPT_URL
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/missing.html'],
        ['SCRIPT_URI', uri('/missing.html')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect after a proxied request (ProxyErrorOverride + ErrorDocument): fresh headers for each', async () => {
    // The first request was proxied (and got its secure headers); its 404 is
    // replaced by an ErrorDocument that is proxied too. The redirected
    // request must carry one set computed for itself, not the first one's.
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, {
      path: '/eo/status/404?q', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.9' },
    }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 2);
    assert.deepEqual(got.map((e) => e.url), ['/eo/status/404?q', '/p/err']);
    assertSecure(got[0], {
      addr: '203.0.113.9',
      env: [['UA_SPECIAL', 'yes'], ['SCRIPT_URL', '/eo/status/404'], ['SCRIPT_URI', uri('/eo/status/404')], ['FOO', 'bar'], ['EO', 'only-first']],
    });
    assertSecure(got[1], {
      addr: '203.0.113.9',
      env: [
        ['REDIRECT_UA_SPECIAL', 'yes'],
        ['REDIRECT_SCRIPT_URL', '/eo/status/404'],
        ['REDIRECT_SCRIPT_URI', uri('/eo/status/404')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_EO', 'only-first'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        ['UA_SPECIAL', 'yes'],
        ['SCRIPT_URL', '/eo/status/404'],
        ['SCRIPT_URI', uri('/eo/status/404')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect of a request that a server rule gave a "!~" header: the redirect is served, the header stripped', async () => {
    // RequestHeader (a fixup) puts "!~Operator" into the original request's
    // headers; ap_internal_redirect() hands those headers to the ErrorDocument
    // request. That header came from the server, not the client: mod_proxy's
    // fixup strips it, so the backend must see only the module's headers.
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, { path: '/opheader/missing.html' }));
    assert.equal(got.length, 1, 'the proxied ErrorDocument was fetched');
    assert.equal(r.status, 200);
    assert.equal(got[0].url, '/p/err');
    assertSecure(got[0], {
      env: [
        ['REDIRECT_SCRIPT_URL', '/opheader/missing.html'],
        ['REDIRECT_SCRIPT_URI', uri('/opheader/missing.html')],
        ['REDIRECT_FOO', 'bar'],
        ['REDIRECT_REQUEST_METHOD', 'GET'],
        ['REDIRECT_STATUS', '404'],
        ['SCRIPT_URL', '/opheader/missing.html'],
        ['SCRIPT_URI', uri('/opheader/missing.html')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('internal redirect: DirectoryIndex pointing at a proxied URL', async () => {
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, { path: '/idx/', headers: { 'X-Real-IP': '203.0.113.6' } }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 1);
    assert.equal(got[0].url, '/p/index');
    // mod_dir's fast redirect appends the original request's environment to
    // the subrequest's (which started as a copy of it): httpd's own
    // duplication, passed on in table order. The subrequest's SCRIPT_URI has
    // no port (its parsed URI carries none).
    assertSecure(got[0], {
      addr: '203.0.113.6',
      env: [
        ['SCRIPT_URL', '/idx/'],
        ['SCRIPT_URI', 'http://127.0.0.1/idx/'],
        ['FOO', 'bar'],
        ['FOO', 'bar'],
        ['SCRIPT_URL', '/idx/'],
        ['SCRIPT_URI', uri('/idx/')],
        ['FOO', 'bar'],
      ],
    });
  });

  test('RewriteRule [PT] to a proxied path', async () => {
    const echo = await proxied(fx.be, fx.ap.port, { path: '/pt/a?b', headers: { 'X-Real-IP': '203.0.113.7' } });
    assert.equal(echo.url, '/p/a?b');
    assertSecure(echo, {
      addr: '203.0.113.7',
      env: [['SCRIPT_URL', '/pt/a'], ['SCRIPT_URI', uri('/pt/a')], ['PTV', 'a'], ['FOO', 'bar']],
    });
  });

  test('subrequest: mod_include <!--#include virtual="/proxied/sub" -->', async () => {
    const { result: r, got } = await received(fx.be, () => h.request(fx.ap.port, {
      path: '/inc.shtml', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.8' },
    }));
    assert.equal(r.status, 200);
    assert.equal(got.length, 1, 'only the subrequest reaches the backend');
    const sub = got[0];
    assert.equal(sub.url, '/p/sub?x=1');
    assert.ok(r.body.startsWith('A{') && r.body.endsWith('}B\n'), 'the echo is included in the page');
    assert.deepEqual(JSON.parse(r.body.slice(1, -2)), sub);
    // The subrequest inherits the page's environment, to which mod_include
    // has added the CGI variables; then its own hooks run: mod_rewrite sets
    // SCRIPT_URL/SCRIPT_URI again *in place* (a subrequest keeps the main
    // request's SCRIPT_URL), mod_env appends FOO once more.
    const env = h.envvarsOf(sub);
    const remotePort = (env.find(([k]) => k === 'REMOTE_PORT') || [])[1];
    assert.match(remotePort, /^\d+$/);
    const docroot = path.join(fx.ap.dir, 'htdocs');
    const expectedEnv = [
      ['UA_SPECIAL', 'yes'],
      ['SCRIPT_URL', '/inc.shtml'],
      // rewritten by the subrequest, whose parsed URI has no port (and
      // ServerName none): the scheme's default port, so none is shown
      ['SCRIPT_URI', 'http://127.0.0.1/inc.shtml'],
      ['FOO', 'bar'],
      ['HTTP_HOST', `127.0.0.1:${fx.ap.port}`],
      ['HTTP_USER_AGENT', 'special agent'],
      ['HTTP_CONNECTION', 'close'],
      ['PATH', process.env.PATH],
      // httpd passes its own LD_LIBRARY_PATH on; a wrapper (valgrind, for
      // make test-valgrind) sets one of its own.
      ...(process.env.SHTEST_APACHE_WRAPPER
        ? env.filter(([k]) => k === 'LD_LIBRARY_PATH')
        : process.env.LD_LIBRARY_PATH ? [['LD_LIBRARY_PATH', process.env.LD_LIBRARY_PATH]] : []),
      ['SERVER_SIGNATURE', ''],
      ['SERVER_SOFTWARE', r.headers.server],
      ['SERVER_NAME', '127.0.0.1'],
      ['SERVER_ADDR', '127.0.0.1'],
      ['SERVER_PORT', String(fx.ap.port)],
      ['REMOTE_ADDR', '203.0.113.8'],
      ['DOCUMENT_ROOT', docroot],
      ['REQUEST_SCHEME', 'http'],
      ['CONTEXT_PREFIX', ''],
      ['CONTEXT_DOCUMENT_ROOT', docroot],
      ['SERVER_ADMIN', '[no address given]'],
      ['SCRIPT_FILENAME', path.join(docroot, 'inc.shtml')],
      ['REMOTE_PORT', remotePort],
      ['GATEWAY_INTERFACE', 'CGI/1.1'],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['REQUEST_METHOD', 'GET'],
      ['QUERY_STRING', ''],
      ['REQUEST_URI', '/inc.shtml'],
      ['DATE_LOCAL', ''],
      ['DATE_GMT', ''],
      ['LAST_MODIFIED', ''],
      ['DOCUMENT_URI', '/inc.shtml'],
      ['DOCUMENT_ARGS', ''],
      ['USER_NAME', ''],
      ['DOCUMENT_NAME', 'inc.shtml'],
      ['FOO', 'bar'],
    ];
    assertSecure(sub, { addr: '203.0.113.8', trailing: [['Connection', 'close']], env: expectedEnv });
  });

  test('keep-alive: each request on one client connection carries its own values', async () => {
    const { result: rs, got } = await received(fx.be, () => h.keepAlive(fx.ap.port, [
      { path: '/proxied/k1', headers: { 'User-Agent': 'special agent', 'X-Real-IP': '203.0.113.1' } },
      { path: '/proxied/k2', headers: { 'User-Agent': 'other', 'X-Real-IP': '203.0.113.2' } },
      { path: '/proxied/k3', headers: { 'User-Agent': 'special agent' } },
      { path: '/proxied/k4', headers: { 'User-Agent': 'other', 'X-Real-IP': '203.0.113.4' } },
    ]));
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(new Set(rs.map((r) => r.localPort)).size, 1, 'one client connection');
    assert.equal(got.length, 4);
    assert.deepEqual(got.map((e) => e.url), ['/p/k1', '/p/k2', '/p/k3', '/p/k4']);
    const env = (p, special) => [
      ...(special ? [['UA_SPECIAL', 'yes']] : []),
      ['SCRIPT_URL', `/proxied/${p}`], ['SCRIPT_URI', uri(`/proxied/${p}`)], ['FOO', 'bar'],
    ];
    assertSecure(got[0], { addr: '203.0.113.1', env: env('k1', true) });
    assertSecure(got[1], { addr: '203.0.113.2', env: env('k2', false) });
    assertSecure(got[2], { addr: '127.0.0.1', env: env('k3', true) });
    assertSecure(got[3], { addr: '203.0.113.4', env: env('k4', false) });
  });
});
