// SPDX-License-Identifier: MIT
'use strict';
// A request object as node:http hands it to a handler, built from parts.
function fakeReq({ method = 'GET', url = '/', host = '127.0.0.1:3000', headers = [], remoteAddress = '127.0.0.1', encrypted = false } = {}) {
  const all = host === null ? headers : [['Host', host], ...headers];
  return { method, url, rawHeaders: all.flat(), headers: {}, socket: { remoteAddress, encrypted } };
}
module.exports = { fakeReq };
