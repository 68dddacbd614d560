/*
 * The parts of mod_secure_headers that need only APR: recognising secure
 * header names, choosing environment variables, and serialising and
 * encoding the environment. Kept apart from httpd so that they can be unit
 * tested and fuzzed on their own.
 */
#ifndef SH_CORE_H
#define SH_CORE_H

#include "apr_pools.h"
#include "apr_tables.h"

/* True when a header name is in the server-only "!~" namespace. */
static inline int sh_is_secure_name(const char *name)
{
    return name[0] == '!' && name[1] == '~';
}

/* The first header that a client may not send: a "!~" name, or a
 * Connection header that lists one (which would let a hop-by-hop rule
 * remove a header the module adds). NULL when the table is clean. */
const char *sh_find_forbidden_header(const apr_table_t *headers);

/* What a request's headers hold that concerns this module. */
typedef struct {
    const char *secure;         /* the first "!~" name, or NULL */
    const char *connection;     /* a Connection header naming one, or NULL */
    int signature;              /* a Signature or Signature-Input header */
} sh_header_scan;

/* One pass over the table; returns nonzero when any field of *out is set,
 * so that the common request costs a single compare per header. */
int sh_scan_headers(const apr_table_t *headers, sh_header_scan *out);

/* True when a comma/space separated token list names a "!~" header. */
int sh_token_list_names_secure(const char *list);

/* Removes every "!~" header from the table; returns how many went. */
int sh_strip_secure_headers(apr_table_t *headers);

/* --- choosing environment variables --------------------------------- */

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
const char *sh_pattern_compile(apr_pool_t *p, const char *text,
                               sh_pattern *out);

/* Names compare without case, as httpd's environment table does. */
int sh_pattern_match(const sh_pattern *pattern, const char *name);

typedef struct {
    const apr_array_header_t *include;   /* of sh_pattern; NULL/empty: all */
    const apr_array_header_t *exclude;   /* of sh_pattern; may be NULL */
} sh_env_filter;

/* Whether a variable goes into !~Passenger-Envvars. SCRIPT_NAME and
 * PATH_INFO never do (compared with case), as with Passenger. */
int sh_env_wanted(const sh_env_filter *filter, const char *name);

/* --- serialising and encoding ---------------------------------------- */

/* Length of the base64 text for n bytes, with padding, without NUL. */
static inline apr_size_t sh_base64_len(apr_size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Standard alphabet, '=' padding, no line breaks. Writes exactly
 * sh_base64_len(n) bytes (no NUL) and returns the end of the output. */
char *sh_base64_encode(char *dst, const unsigned char *src, apr_size_t n);

/* The portable encoder alone, so tests can compare it with the fast one. */
char *sh_base64_encode_portable(char *dst, const unsigned char *src,
                                apr_size_t n);

/* One implementation by level (0 portable, 1 SSSE3, 2 AVX2), for tests and
 * benchmarks; NULL when this CPU lacks it. */
char *sh_base64_encode_with(int level, char *dst, const unsigned char *src,
                            apr_size_t n);

/* Strict decoding of the standard alphabet with '=' padding (len a
 * multiple of 4, no whitespace, zero padding bits). Returns the number of
 * bytes written, or -1 when the text is not such base64 or needs more than
 * max bytes. */
long sh_base64_decode(unsigned char *dst, apr_size_t max, const char *src,
                      apr_size_t len);

/* What sh_base64_encode_slack may read past the end of its source and
 * write past the end of its output: its last AVX2 step loads 28 bytes and
 * stores 32 for as few as one. */
#define SH_B64_SLACK 32

/* As sh_base64_encode, for a source followed by SH_B64_SLACK readable
 * bytes of which the first two are zero, into a destination with
 * sh_base64_len(n) + SH_B64_SLACK writable bytes: the bytes after the
 * returned end are left undefined. Faster for every size, the small ones
 * most. */
char *sh_base64_encode_slack(char *dst, const unsigned char *src,
                             apr_size_t n);

/* By level, as sh_base64_encode_with. */
char *sh_base64_encode_slack_with(int level, char *dst,
                                  const unsigned char *src, apr_size_t n);

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
void sh_envvars_build(apr_pool_t *p, const apr_table_t *env,
                      const sh_env_filter *filter, apr_size_t max_value_len,
                      sh_envvars *out);

/* As sh_envvars_build, with "room" writable bytes before out->value in the
 * same allocation (when out->value is not NULL), for the caller to put
 * text in front of the value without copying it. */
void sh_envvars_build_room(apr_pool_t *p, const apr_table_t *env,
                           const sh_env_filter *filter,
                           apr_size_t max_value_len, apr_size_t room,
                           sh_envvars *out);

/* Length of the base64 value sh_envvars_build would produce with no
 * ceiling, without building it. */
apr_size_t sh_envvars_encoded_len(const apr_table_t *env,
                                  const sh_env_filter *filter);

#endif /* SH_CORE_H */
