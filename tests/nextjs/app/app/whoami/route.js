// SPDX-License-Identifier: MIT
// A route handler.
import secureHeaders from 'passenger-secure-headers';
import { answer } from '../facts';

export const dynamic = 'force-dynamic';

export async function GET(request) {
  const info = secureHeaders.nextFacts(request.headers);
  const u = new URL(request.url);
  return Response.json(answer('route', info, {
    url: u.pathname + u.search,
    clientRef: request.headers.get('x-passenger-secure-headers-ref') === 'forged-by-the-client',
  }));
}
