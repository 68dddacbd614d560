// SPDX-License-Identifier: MIT
// Left out of the proxy's matcher: here nextFacts() finds nothing, whatever
// reference a client sends.
import secureHeaders from 'passenger-secure-headers';
import { answer } from '../facts';

export const dynamic = 'force-dynamic';

export async function GET(request) {
  try {
    return Response.json(answer('unprotected', secureHeaders.nextFacts(request.headers)));
  } catch (err) {
    if (!(err instanceof secureHeaders.SecureHeadersError)) throw err;
    return new Response(`${err.code}\n`, { status: 403 });
  }
}
