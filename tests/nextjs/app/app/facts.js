// SPDX-License-Identifier: MIT
// What the test app answers with: the verified facts.
export function answer(via, info, extra = {}) {
  return {
    via, ip: info.clientAddress, protocol: info.protocol, host: info.host, hostname: info.hostname,
    env: { ...info.env }, signed: info.signed, keyid: info.keyid, trusted: info.trusted, ...extra,
  };
}
