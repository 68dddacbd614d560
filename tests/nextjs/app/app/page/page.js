// SPDX-License-Identifier: MIT
// A server component.
import { headers } from 'next/headers';
import secureHeaders from 'passenger-secure-headers';
import { answer } from '../facts';

export const dynamic = 'force-dynamic';

export default async function Page() {
  const info = secureHeaders.nextFacts(await headers());
  return (<pre id="facts">{JSON.stringify(answer('page', info))}</pre>);
}
