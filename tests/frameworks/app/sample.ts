// SPDX-License-Identifier: MIT
// Type-checked with tsc --strict against the installed declarations; not run.
import * as http from 'node:http';
import * as crypto from 'node:crypto';
import secure = require('passenger-secure-headers');

const opts: secure.Options = {
  keys: {
    'edge-2026-12': { alg: 'ed25519', key: crypto.generateKeyPairSync('ed25519').publicKey },
    legacy: { alg: 'hmac-sha256', key: Buffer.alloc(32) },
  },
  clockSkew: 5,
  authority: ['app1.internal:3000'],
  replayCache: secure.createMemoryReplayCache({ maxEntries: 1000 }),
  onReject(err, req) { console.warn(err.code, req.socket.remoteAddress); },
};

http.createServer((req, res) => {
  try {
    const info: secure.SecureInfo = secure.read(req, opts);
    const ip: string | undefined = info.clientAddress;
    const proto: 'http' | 'https' = info.protocol;
    const env: Readonly<Record<string, string>> = info.env;
    const first: readonly [string, string] | undefined = info.envList[0];
    res.end(JSON.stringify({ ip, proto, env, first, signed: info.signed, keyid: info.keyid }));
  } catch (err) {
    if (err instanceof secure.SecureHeadersError) {
      const code: secure.ErrorCode = err.code;
      res.statusCode = err.statusCode;
      res.end(code);
      return;
    }
    throw err;
  }
}).listen(0);

const store: secure.ReplayStore = { remember: async (_keyid, _nonce, _until, _now) => true };
secure.readAsync({} as http.IncomingMessage, { keys: opts.keys, replayCache: store }).then((i) => i.hostname);
const v: secure.VerifiedSignature = secure.verifySignature({ method: 'GET', authority: 'a', path: '/', query: '?', headers: [['Signature', 'x']] }, { label: 'sig', keys: {} });
const n: number = v.params.created as number;
const mw: secure.ExpressMiddleware = secure.express({ xForwarded: true });
const km = secure.koa();
secure.decodeEnvvars('Rk9PAGJhcgA=').FOO;
const derived: Buffer = secure.deriveKey(Buffer.alloc(32), 'http://10.0.0.5:3000');
const backendId: string = secure.backendIdentity('unix:/run/app.sock');
void [derived, backendId];
void [n, mw, km, secure.codes.REPLAYED, secure.fastify];
export async function web(request: Request): Promise<string | undefined> {
  const info: secure.SecureInfo = await secure.readRequest(request, opts, { remoteAddress: '127.0.0.1', encrypted: false });
  return info.clientAddress;
}
const vars: secure.HonoVariables = { secureHeaders: secure.read({} as http.IncomingMessage) };
const conn: secure.Connection = { incoming: {} as http.IncomingMessage };
const hm: secure.HonoMiddleware = secure.hono({ strict: true, onReject(err, request) { console.warn(err.code, request.url); } });
const NextResponse = { next: (_init?: { request?: { headers?: Headers } }) => new Response(null) };
export const proxy: (request: Request) => Promise<Response> = secure.nextProxy(NextResponse, { keys: opts.keys, onReject(err, request) { console.warn(err.code, request.url); } });
export function inPage(h: Headers): string | undefined { return secure.nextFacts(h).clientAddress; }
void [n, mw, km, secure.codes.REPLAYED, secure.fastify, conn, hm, vars.secureHeaders.signed];
