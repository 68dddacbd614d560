/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: per-backend derived signing keys inside httpd
 * (sh_derive_httpd.c): the directive's "hkdf-sha256" form, the key for the
 * backend a request goes to, and the start-up check that every backend
 * a derived key may sign for can be named when the module signs.
 */
#ifndef SH_DERIVE_HTTPD_H
#define SH_DERIVE_HTTPD_H

#include "httpd.h"
#include "http_config.h"

#include "sh_derive.h"

/* "SecureHeadersSignKey keyid hkdf-sha256 file": reads the master secret
 * (a regular file of at least 32 bytes, readable by its owner only) and
 * remembers the server for the start-up check. */
const char *sh_derive_directive(cmd_parms *cmd, const char *keyid,
                                const char *file, sh_derive **out);

/* The key for the backend of "url" (mod_proxy's, after the balancer chose
 * its member), or NULL (logged) when it cannot be named. */
const sh_key *sh_derive_key_of(request_rec *r, sh_derive *d,
                               const char *url);

/* RFC 9421 section 2.2 for a request about to be signed: percent-encodes
 * the bytes outside printable ASCII in the target mod_proxy sends (the
 * query in r->args and r->filename; a path sent raw by "nocanon"), so that
 * what is signed and what the backend reads are the same ASCII. */
void sh_derive_printable_target(request_rec *r);

void sh_derive_register_hooks(apr_pool_t *p);

#endif /* SH_DERIVE_HTTPD_H */
