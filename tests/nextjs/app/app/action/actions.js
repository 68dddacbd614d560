// SPDX-License-Identifier: MIT
'use server';
// A server action.
import { headers } from 'next/headers';
import secureHeaders from 'passenger-secure-headers';
import { answer } from '../facts';

export async function whoami() {
  const info = secureHeaders.nextFacts(await headers());
  return `FACTS${JSON.stringify(answer('action', info))}FACTS`;
}
