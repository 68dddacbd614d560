// SPDX-License-Identifier: MIT
'use strict';
// End-to-end test harness for mod_secure_headers: one name for the pieces
// in this directory, each a concern of its own (docs/testing.md):
//
//   proc.js      processes, ports and temp dirs, removed at exit; sleep
//   httpd.js     the httpd under test: version, modules, skip options
//   apache.js    Apache configuration and lifecycle (startApache, configtest)
//   fixture.js   useApache(): one Apache per node:test group, torn down and
//                its error log checked after the group
//   log.js       the error-log check
//   certs.js     the test TLS certificate
//   backends.js  echo backends (HTTP/1.1, TLS, unix socket, WebSocket, h2c)
//   clients.js   HTTP/1.x clients that write exact bytes, WebSocket client
//   h2client.js  HTTP/2 client and the ClientHello server_name reader
//   secure.js    the secure headers an echo carries, the Envvars encoding
//   ws.js        WebSocket framing
//
// Node.js built-ins only. Used with `node --test tests/`.

const proc = require('./proc');
const httpd = require('./httpd');
const apache = require('./apache');
const certs = require('./certs');
const backends = require('./backends');
const clients = require('./clients');
const h2client = require('./h2client');
const secure = require('./secure');
const log = require('./log');
const fixture = require('./fixture');

module.exports = {
  REPO: apache.REPO,
  MODULE_PATH: apache.MODULE_PATH,
  APACHE_BIN: httpd.APACHE_BIN,
  IS_ROOT: proc.IS_ROOT,
  SLOWDOWN: proc.SLOWDOWN,
  httpd: httpd.httpd,
  httpdAtLeast: httpd.httpdAtLeast,
  hasModule: httpd.hasModule,
  missingModules: httpd.missingModules,
  needModules: httpd.needModules,
  needFor: httpd.needFor,
  needVersion: httpd.needVersion,
  websocketProxyPass: httpd.websocketProxyPass,
  websocketFraming: httpd.websocketFraming,
  freePort: proc.freePort,
  startBackend: backends.startBackend,
  startH2cBackend: backends.startH2cBackend,
  startTap: backends.startTap,
  startApache: apache.startApache,
  configtest: apache.configtest,
  tlsVhost: apache.tlsVhost,
  ensureCert: certs.ensureCert,
  request: clients.request,
  request10: clients.request10,
  raw: clients.raw,
  keepAlive: clients.keepAlive,
  h2request: h2client.h2request,
  h2connect: h2client.h2connect,
  clientHelloSni: h2client.clientHelloSni,
  tlsEnv: h2client.tlsEnv,
  websocket: clients.websocket,
  parseResponses: clients.parseResponses,
  buildRequest: clients.buildRequest,
  secureHeaders: secure.secureHeaders,
  decodeEnvvars: secure.decodeEnvvars,
  encodeEnvvars: secure.encodeEnvvars,
  rawValues: secure.rawValues,
  childPids: proc.childPids,
  envvarsOf: secure.envvarsOf,
  sleep: proc.sleep,
  // added with the split
  useApache: fixture.useApache,
  CLIENT_REFUSAL: log.CLIENT_REFUSAL,
  readLog: log.readLog,
  parseErrorLogLine: log.parseErrorLogLine,
  unexpectedErrorLines: log.unexpectedErrorLines,
  errorLogFiles: log.errorLogFiles,
  assertNoUnexpectedErrors: log.assertNoUnexpectedErrors,
};
