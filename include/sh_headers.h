/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Recognising the server-only "!~" header names in a header table, and the
 * other checks on header text that need only APR. Kept apart from httpd so
 * that they can be unit tested and fuzzed on their own.
 */
#ifndef SH_HEADERS_H
#define SH_HEADERS_H

#include "apr_pools.h"
#include "apr_tables.h"

/* True when a header name is in the server-only "!~" namespace. */
static inline int sh_headers_is_secure(const char *name)
{
    return name[0] == '!' && name[1] == '~';
}

/* The first header that a client may not send: a "!~" name, or a
 * Connection header that lists one (which would let a hop-by-hop rule
 * remove a header the module adds). NULL when the table is clean. */
const char *sh_headers_find_forbidden(const apr_table_t *headers);

/* What a request's headers hold that concerns this module. */
typedef struct {
    const char *secure;         /* the first "!~" name, or NULL */
    const char *connection;     /* a Connection header naming one, or NULL */
    int signature;              /* a Signature or Signature-Input header */
} sh_headers_found;

/* One pass over the table; returns nonzero when any field of *out is set,
 * so that the common request costs a single compare per header. */
int sh_headers_scan(const apr_table_t *headers, sh_headers_found *out);

/* True when a comma/space separated token list names a "!~" header. */
int sh_headers_list_names_secure(const char *list);

/* Removes every "!~" header from the table; returns how many went. */
int sh_headers_strip_secure(apr_table_t *headers);

/* All field lines of a header, joined with ", " as RFC 9110 combines
 * them (httpd already merges most; h2 and trailers may not); NULL when
 * there is none. */
const char *sh_headers_field_value(apr_pool_t *p, const apr_table_t *headers,
                           const char *name);

/* Whether s is one IPv4 or IPv6 address, written out. */
int sh_headers_is_ip_literal(const char *s);

#endif /* SH_HEADERS_H */
