// SPDX-License-Identifier: MIT
import { whoami } from './actions';

export const dynamic = 'force-dynamic';

export default function ActionPage() {
  return (<form action={whoami}><button type="submit">who am I</button></form>);
}
