// SPDX-License-Identifier: MIT
'use strict';
// CommonJS user of the installed package.
const pkg = require('passenger-secure-headers');
require('./common.cjs').start(pkg, 'cjs', require).catch((e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
