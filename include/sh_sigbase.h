/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * The signature base of RFC 9421 HTTP Message Signatures as this module
 * makes and checks it (docs/wire-format.md): components, the signature
 * parameters, signing in one allocation, reading Signature-Input back, and
 * the derived components' values (@authority, @path, @query). APR and
 * libcrypto only, no httpd, so that all of it is unit tested and fuzzed on
 * its own.
 */
#ifndef SH_SIGBASE_H
#define SH_SIGBASE_H

#include "apr_pools.h"
#include "apr_tables.h"

#include "sh_keys.h"

/* The label and tag of the signatures this module makes. */
#define SH_SIG_LABEL "secure-headers"
#define SH_SIG_TAG   "mod_secure_headers"

/* More components than this in a received signature is not ours. */
#define SH_SIG_MAX_COMPONENTS 16

/* The request's own components, first in every signature this module
 * makes and required in every one it accepts, in this order. */
#define SH_SIG_REQUEST_COMPONENTS 4
#define SH_SIG_REQUEST_COMPONENT_NAMES \
    { "@method", "@authority", "@path", "@query" }

typedef struct {
    const char *name;       /* lower case: "@method", "!~passenger-proto" */
    apr_size_t name_len;
    const char *value;
    apr_size_t value_len;
} sh_component;

/*
 * The value of the Signature-Input member (what follows "label="):
 * ("c1" "c2" ...);created=N;expires=N;nonce="...";keyid="...";alg="...";
 * tag="...". Written into one pool allocation; *len gets its length.
 * "target", when not NULL (the self proof only), is added after the nonce
 * as ;target="..." and must pass sh_key_id_check.
 */
char *sh_sig_params(apr_pool_t *p, const sh_component *c, int n,
                    apr_int64_t created, apr_int64_t expires,
                    const char *nonce, const char *target,
                    const sh_key *key, apr_size_t *len);

/*
 * The signature base of RFC 9421 section 2.5: a line '"name": value' for
 * each component, then '"@signature-params": ' and params, joined with LF,
 * no final LF. NULL when a value holds a CR or LF (the base would be
 * ambiguous).
 */
char *sh_sig_base(apr_pool_t *p, const sh_component *c, int n,
                  const char *params, apr_size_t params_len,
                  apr_size_t *len);

/*
 * Signs components c[0..n) with key in one pass and one allocation: the
 * parameters are written once into the base and copied once into
 * *input (input_prefix followed by them: the Signature-Input member);
 * *signature gets sig_prefix followed by ":base64:". With signature NULL
 * the two are one string, in *input: input_prefix, the parameters,
 * sig_prefix, ":base64:". 0 when libcrypto fails. Unlike sh_sig_base it
 * does not look for line breaks: the caller signs only values that cannot
 * hold one (see sh_outbound.c).
 */
int sh_sig_sign(apr_pool_t *p, const sh_key *key, const sh_component *c,
                int n, apr_int64_t created, apr_int64_t expires,
                const char *nonce, const char *target,
                const char *input_prefix, const char *sig_prefix,
                const char **input, const char **signature);

/* @authority as RFC 9421 section 2.2.3 wants it: host lower-cased, the
 * port left out when it is the scheme's default (80, or 443 with tls). */
const char *sh_sig_authority_normalize(apr_pool_t *p, const char *host,
                                       int tls);

/* @path and @query of an absolute URL, scheme://authority..., pointing into
 * it (no copy, no NUL of their own: the lengths say where they end), split
 * as apr_uri_parse splits it, which is what mod_proxy sends: the path runs
 * from the first '/', '?' or '#' after the authority to the first '?' or
 * '#' ("/" when it is empty), the query from that '?' to the next '#' ("?"
 * when there is none). Only the value and value_len are set. 0 when the
 * URL does not start with a scheme (a letter, then letters, digits, '+',
 * '-' or '.') and "://", which apr-util versions read differently. */
int sh_sig_url_path_query(const char *url, sh_component *path,
                      sh_component *query);

/* A Signature-Input member value, parsed. */
typedef struct {
    int count;
    sh_component components[SH_SIG_MAX_COMPONENTS];   /* names only */
    apr_int64_t created, expires;
    int has_created, has_expires;
    const char *nonce, *keyid, *alg, *tag, *target;   /* NULL if absent */
    const char *params;     /* the member value itself, for the base */
    apr_size_t params_len;
} sh_sig_input;

/* Parses "(...)" with its parameters; NULL or what is wrong with it. */
const char *sh_sig_input_parse(apr_pool_t *p, const char *value,
                               apr_size_t len, sh_sig_input *out);

/* Drops the members labelled SH_SIG_LABEL from the Signature and
 * Signature-Input headers of a table, and each header left empty: the
 * table then holds no signature of this module's. "all_lines": each
 * header's field lines are read joined (sh_headers_field_value), else its
 * first line only (apr_table_get). */
void sh_sig_strip_ours(apr_pool_t *p, apr_table_t *headers, int all_lines);

#endif /* SH_SIGBASE_H */
