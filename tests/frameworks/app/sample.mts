// SPDX-License-Identifier: MIT
// The ES module declarations, type-checked with tsc --strict.
import secure, { read, readRequest, express, koa, hono, nextFacts, fastify, SecureHeadersError, codes, type Options, type SecureInfo, type Connection } from 'passenger-secure-headers';
import type { IncomingMessage } from 'node:http';

const opts: Options = { strict: true, xForwarded: true };
export function handle(req: IncomingMessage): string {
  try {
    const info: SecureInfo = read(req, opts);
    return `${info.clientAddress} ${info.protocol} ${info.hostname ?? ''}`;
  } catch (err) {
    if (err instanceof SecureHeadersError) return err.code === codes.NO_SECURE_HEADERS ? 'direct' : err.code;
    throw err;
  }
}
export async function web(request: Request, conn: Connection): Promise<string> {
  const info: SecureInfo = await readRequest(request, opts, conn);
  return info.protocol + (nextFacts(request.headers).host ?? '');
}
void [express(opts), koa(), hono({ strict: true }), fastify, secure.read];
