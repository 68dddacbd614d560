/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * The environment a request hands to its backend in !~Passenger-Envvars:
 * which variables go (names and wildcard patterns, include and exclude
 * lists), and serialising them as name NUL value NUL ... in base64, in one
 * pool allocation. APR only, so that it is unit tested and fuzzed on its
 * own.
 */
#ifndef SH_ENV_H
#define SH_ENV_H

#include "apr_pools.h"
#include "apr_tables.h"


typedef enum {
    SH_PATTERN_EXACT,   /* no wildcard */
    SH_PATTERN_PREFIX,  /* "FOO*", the common case, without fnmatch */
    SH_PATTERN_GLOB     /* anything else fnmatch understands */
} sh_pattern_kind;

typedef struct {
    const char *text;
    apr_size_t len;         /* for PREFIX: length before the '*' */
    sh_pattern_kind kind;
} sh_pattern;

/* Fills *out from text; returns an error message, or NULL. */
const char *sh_env_pattern_compile(apr_pool_t *p, const char *text,
                               sh_pattern *out);

/* Names compare without case, as httpd's environment table does. */
int sh_env_pattern_match(const sh_pattern *pattern, const char *name);

typedef struct {
    const apr_array_header_t *include;   /* of sh_pattern; NULL/empty: all */
    const apr_array_header_t *exclude;   /* of sh_pattern; may be NULL */
} sh_env_filter;

/* Whether a variable goes into !~Passenger-Envvars. SCRIPT_NAME and
 * PATH_INFO never do (compared with case), as with Passenger. */
int sh_env_wanted(const sh_env_filter *filter, const char *name);

typedef struct {
    const char *value;      /* NUL-terminated base64; "" when the environment
                             * has entries but none is sent; NULL when it
                             * is empty (then no header, as with Passenger) */
    apr_size_t value_len;
    apr_size_t raw_len;     /* bytes of name NUL value NUL ... encoded */
    int count;              /* variables encoded */
    int omitted_count;      /* variables left out to respect the ceiling */
    const char **omitted;   /* their names, in table order */
} sh_envvars;

/* Serialises the wanted entries of env, in table order, as
 * name NUL value NUL ..., and base64-encodes them in one pool allocation.
 * When max_value_len is not 0 and the encoding would be longer, the
 * largest variables are left out (and named in *out) until it fits. */
void sh_env_build(apr_pool_t *p, const apr_table_t *env,
                      const sh_env_filter *filter, apr_size_t max_value_len,
                      sh_envvars *out);

/* As sh_env_build, with "room" writable bytes before out->value in the
 * same allocation (when out->value is not NULL), for the caller to put
 * text in front of the value without copying it. */
void sh_env_build_room(apr_pool_t *p, const apr_table_t *env,
                           const sh_env_filter *filter,
                           apr_size_t max_value_len, apr_size_t room,
                           sh_envvars *out);

/* Length of the base64 value sh_env_build would produce with no
 * ceiling, without building it. */
apr_size_t sh_env_encoded_len(const apr_table_t *env,
                                  const sh_env_filter *filter);


#endif /* SH_ENV_H */
