// SPDX-License-Identifier: MIT
// Verifies every request before any route, page or action runs (every path
// but /unprotected, left out on purpose: the tests' stand-in for a request
// that got past the proxy).
import fs from 'node:fs';
import { NextResponse } from 'next/server';
import secureHeaders from 'passenger-secure-headers';

function options() {
  const o = JSON.parse(process.env.PSH_OPTIONS || '{}');
  for (const id of Object.keys(o.keys || {})) {
    const k = o.keys[id];
    const bytes = fs.readFileSync(k.keyFile);
    o.keys[id] = { alg: k.alg, key: k.alg === 'hmac-sha256' ? bytes : bytes.toString('utf8') };
  }
  o.onReject = (err) => process.stdout.write(JSON.stringify({ reject: err.code }) + '\n');
  return o;
}

export const proxy = secureHeaders.nextProxy(NextResponse, options());

export const config = { matcher: ['/((?!unprotected|_next/static).*)'] };
