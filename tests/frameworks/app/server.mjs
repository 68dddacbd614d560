// SPDX-License-Identifier: MIT
// ES module user of the installed package: named imports and the default.
import { createRequire } from 'node:module';
import * as named from 'passenger-secure-headers';
import pkg from 'passenger-secure-headers';

const require = createRequire(import.meta.url);
for (const name of ['read', 'readAsync', 'readRequest', 'express', 'fastify', 'koa', 'hono', 'nextProxy', 'nextFacts', 'verifySignature', 'SecureHeadersError']) {
  if (named[name] !== pkg[name] || typeof named[name] !== 'function') throw new Error(`ESM export ${name} differs from the default export`);
}
if (named.default !== require('passenger-secure-headers')) throw new Error('the ESM default export is not the CommonJS module');
const { start } = require('./common.cjs');
await start(named, 'esm', require);
process.on('SIGTERM', () => process.exit(0));
