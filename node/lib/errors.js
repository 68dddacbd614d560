// SPDX-License-Identifier: MIT
'use strict';
// The one error type the package throws for a request it does not trust.
// `code` is stable (documented in README.md); `message` is for humans and
// may change.

const CODES = Object.freeze({
  NO_SECURE_HEADERS: 'NO_SECURE_HEADERS',
  HEADER_MALFORMED: 'HEADER_MALFORMED',
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  SIGNATURE_MALFORMED: 'SIGNATURE_MALFORMED',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  ALG_MISMATCH: 'ALG_MISMATCH',
  TAG_MISMATCH: 'TAG_MISMATCH',
  SIGNATURE_NOT_YET_VALID: 'SIGNATURE_NOT_YET_VALID',
  SIGNATURE_EXPIRED: 'SIGNATURE_EXPIRED',
  LIFETIME_TOO_LONG: 'LIFETIME_TOO_LONG',
  COMPONENT_NOT_COVERED: 'COMPONENT_NOT_COVERED',
  UNCOVERED_HEADER: 'UNCOVERED_HEADER',
  COMPONENT_MISSING: 'COMPONENT_MISSING',
  AUTHORITY_MISMATCH: 'AUTHORITY_MISMATCH',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  REPLAYED: 'REPLAYED',
  REPLAY_CACHE_FULL: 'REPLAY_CACHE_FULL',
  CREATED_BEFORE_CACHE: 'CREATED_BEFORE_CACHE',
  STORE_FAILED: 'STORE_FAILED',
  STORE_ASYNC: 'STORE_ASYNC',
});

class SecureHeadersError extends Error {
  constructor(code, message, props) {
    super(message);
    this.name = 'SecureHeadersError';
    this.code = code;
    // What the middleware answers; a request that fails is never served.
    this.statusCode = 403;
    if (props) Object.assign(this, props);
  }
}

function fail(code, message, props) {
  throw new SecureHeadersError(code, message, props);
}

module.exports = { SecureHeadersError, CODES, fail };
