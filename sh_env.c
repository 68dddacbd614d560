/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the environment sent in !~Passenger-Envvars (APR
 * only; no httpd).
 *
 * Everything here runs for every proxied request, so it avoids repeated
 * table look-ups and copies: the environment is measured in one pass,
 * written in a second into a single pool allocation, and encoded with a
 * vector base64 encoder where the CPU has one.
 */
#include <string.h>
#include <stdlib.h>

#include "apr_strings.h"
#include "apr_fnmatch.h"
#include "apr_lib.h"

#include "sh_base64.h"
#include "sh_env.h"

/* --- choosing environment variables ------------------------------------ */

const char *sh_env_pattern_compile(apr_pool_t *p, const char *text,
                               sh_pattern *out)
{
    apr_size_t len = strlen(text);
    const char *star = strchr(text, '*');
    int brackets = 0;
    const char *s;

    if (len == 0) {
        return "an empty name or pattern matches nothing";
    }
    for (s = text; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;                /* an escaped character is never syntax */
        }
        else if (*s == '[') {
            brackets++;
        }
        else if (*s == ']' && brackets > 0) {
            brackets--;
        }
    }
    if (brackets) {
        return apr_psprintf(p, "'%s' has a '[' without its ']'", text);
    }

    out->text = apr_pstrdup(p, text);
    out->len = len;
    /* apr_fnmatch_test() calls "\\*" plain text, but fnmatch still reads
     * the backslash as an escape: only backslash-free text may be
     * compared literally. */
    if (strchr(text, '\\')) {
        out->kind = SH_PATTERN_GLOB;
    }
    else if (!apr_fnmatch_test(text)) {
        out->kind = SH_PATTERN_EXACT;
    }
    else if (star == text + len - 1 && !apr_fnmatch_test(
                 apr_pstrndup(p, text, len - 1))) {
        out->kind = SH_PATTERN_PREFIX;
        out->len = len - 1;
    }
    else {
        out->kind = SH_PATTERN_GLOB;
    }
    return NULL;
}

int sh_env_pattern_match(const sh_pattern *pattern, const char *name)
{
    switch (pattern->kind) {
    case SH_PATTERN_EXACT:
        return strcasecmp(pattern->text, name) == 0;
    case SH_PATTERN_PREFIX:
        return strncasecmp(pattern->text, name, pattern->len) == 0;
    default:
        return apr_fnmatch(pattern->text, name, APR_FNM_CASE_BLIND)
               == APR_SUCCESS;
    }
}

static int sh_any_pattern_matches(const apr_array_header_t *patterns,
                                  const char *name)
{
    const sh_pattern *pat = (const sh_pattern *)patterns->elts;
    int i;

    for (i = 0; i < patterns->nelts; i++) {
        if (sh_env_pattern_match(&pat[i], name)) {
            return 1;
        }
    }
    return 0;
}

/* Passenger leaves these two out because it rebuilds them itself; an
 * application written for it must see the same set. The length, known to
 * the caller, settles almost every name without a compare. */
static int sh_passenger_skips(const char *name, apr_size_t len)
{
    return (len == 11 && memcmp(name, "SCRIPT_NAME", 11) == 0)
           || (len == 9 && memcmp(name, "PATH_INFO", 9) == 0);
}

/* Out of line: only configured filters get here, and inlined it would make
 * the test below too large to inline into the loops. */
__attribute__((noinline))
static int sh_filter_passes(const sh_env_filter *filter, const char *name)
{
    if (filter->include && filter->include->nelts
        && !sh_any_pattern_matches(filter->include, name)) {
        return 0;
    }
    if (filter->exclude && filter->exclude->nelts
        && sh_any_pattern_matches(filter->exclude, name)) {
        return 0;
    }
    return 1;
}

/* Whether a filter can leave anything out; NULL when not, so the loops
 * below skip it entirely in the default configuration. */
static const sh_env_filter *sh_effective_filter(const sh_env_filter *filter)
{
    if (filter && ((filter->include && filter->include->nelts)
                   || (filter->exclude && filter->exclude->nelts))) {
        return filter;
    }
    return NULL;
}

/* The one test both passes over the environment apply; "filter" has been
 * through sh_effective_filter and "len" is strlen(name). */
static APR_INLINE int sh_entry_sent(const sh_env_filter *filter,
                                    const char *name, apr_size_t len)
{
    return !sh_passenger_skips(name, len)
           && (filter == NULL || sh_filter_passes(filter, name));
}

int sh_env_wanted(const sh_env_filter *filter, const char *name)
{
    return sh_entry_sent(sh_effective_filter(filter), name, strlen(name));
}

/* What each pass over the environment below asks of an entry: whether it
 * goes into the header (it has a name, and neither Passenger's rule nor
 * the filter leaves it out), with the length of its name in *klen when it
 * has one. "filter" has been through sh_effective_filter. Inline, so that
 * each pass stays one tight loop. */
static APR_INLINE int sh_env_entry_wanted(const apr_table_entry_t *e,
                                          const sh_env_filter *filter,
                                          apr_size_t *klen)
{
    if (e->key == NULL) {
        return 0;
    }
    *klen = strlen(e->key);
    return sh_entry_sent(filter, e->key, *klen);
}

/* --- the environment --------------------------------------------------- */

typedef struct {
    const char *key;
    const char *val;
    apr_size_t klen;
    apr_size_t vlen;
    int dropped;
} sh_piece;

/* Most requests have a few dozen variables at most; measure them on the
 * stack so the common case allocates only the result. */
#define SH_STACK_PIECES 64

static apr_size_t sh_piece_size(const sh_piece *piece)
{
    return piece->klen + piece->vlen + 2;
}

typedef struct {
    apr_size_t size;
    int index;
} sh_ranked;

static int sh_larger_first(const void *a, const void *b)
{
    const sh_ranked *ra = a, *rb = b;

    if (ra->size != rb->size) {
        return ra->size > rb->size ? -1 : 1;
    }
    return ra->index - rb->index;   /* ties leave in table order */
}

/* Leaves out the largest variables until the encoding fits; returns the
 * raw length that remains and names the omitted ones in *out. */
static apr_size_t sh_drop_largest(apr_pool_t *p, sh_piece *pieces, int count,
                                  apr_size_t raw, apr_size_t max,
                                  sh_envvars *out)
{
    sh_ranked *order = apr_palloc(p, count * sizeof(*order));
    int i, k;

    for (i = 0; i < count; i++) {
        order[i].size = sh_piece_size(&pieces[i]);
        order[i].index = i;
    }
    qsort(order, count, sizeof(*order), sh_larger_first);
    for (i = 0; i < count && sh_base64_len(raw) > max; i++) {
        pieces[order[i].index].dropped = 1;
        raw -= order[i].size;
        out->omitted_count++;
    }
    out->omitted = apr_palloc(p, (out->omitted_count + 1) * sizeof(char *));
    for (i = 0, k = 0; i < count; i++) {
        if (pieces[i].dropped) {
            out->omitted[k++] = pieces[i].key;
        }
    }
    out->omitted[k] = NULL;
    return raw;
}

apr_size_t sh_env_encoded_len(const apr_table_t *env,
                                  const sh_env_filter *filter)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_size_t raw = 0, klen;
    int i;

    filter = sh_effective_filter(filter);
    for (i = 0; i < arr->nelts; i++) {
        if (sh_env_entry_wanted(&e[i], filter, &klen)) {
            raw += klen + (e[i].val ? strlen(e[i].val) : 0) + 2;
        }
    }
    return sh_base64_len(raw);
}

/* An empty value with "room" bytes before it for the caller. */
static const char *sh_empty_value(apr_pool_t *p, apr_size_t room)
{
    char *v;

    if (room == 0) {
        return "";
    }
    v = (char *)apr_palloc(p, room + 1) + room;
    *v = '\0';
    return v;
}

/*
 * memcpy for the short strings environments are made of (a name, a value,
 * each with its NUL; n >= 1), inline: two loads and two stores that may
 * overlap, instead of a call into libc for every one. Reads and writes stay
 * within [src, src + n) and [dst, dst + n); the fixed-size memcpy calls
 * compile to single moves.
 */
static APR_INLINE void sh_copy_short(char *dst, const char *src, apr_size_t n)
{
    if (n >= 8 && n <= 16) {
        apr_uint64_t a, b;

        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    }
    else if (n >= 4 && n < 8) {
        apr_uint32_t a, b;

        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    }
    else if (n < 4) {
        dst[0] = src[0];
        dst[n - 1] = src[n - 1];
        dst[n / 2] = src[n / 2];
    }
    else {
        memcpy(dst, src, n);
    }
}

/* Environments up to this many raw bytes are serialised on the stack. */
#define SH_STACK_RAW 8192

/*
 * The common case in one pass: each wanted entry measured and copied into a
 * stack buffer, then encoded into the one pool allocation the result needs.
 * Returns 0, having changed nothing, when the environment does not fit the
 * buffer or passes the ceiling; the two passes below handle those.
 */
static int sh_envvars_build_small(apr_pool_t *p, const apr_table_t *env,
                                  const sh_env_filter *filter,
                                  apr_size_t max_value_len, apr_size_t room,
                                  sh_envvars *out)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    char raw[SH_STACK_RAW + SH_B64_SLACK];
    char *w = raw, *enc;
    apr_size_t len, enc_len;
    int count = 0, i;

    for (i = 0; i < arr->nelts; i++) {
        const char *val;
        apr_size_t klen, vlen;

        if (!sh_env_entry_wanted(&e[i], filter, &klen)) {
            continue;
        }
        val = e[i].val ? e[i].val : "";
        vlen = strlen(val);
        if (klen + vlen + 2 > (apr_size_t)(raw + SH_STACK_RAW - w)) {
            return 0;
        }
        sh_copy_short(w, e[i].key, klen + 1);
        w += klen + 1;
        sh_copy_short(w, val, vlen + 1);
        w += vlen + 1;
        count++;
    }
    len = w - raw;
    enc_len = sh_base64_len(len);
    if (max_value_len && enc_len > max_value_len) {
        return 0;
    }
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        /* As below: the header, empty, for an environment of skipped
         * entries only. */
        if (arr->nelts > 0) {
            out->value = sh_empty_value(p, room);
        }
        return 1;
    }
    memset(w, 0, SH_B64_SLACK);
    enc = (char *)apr_palloc(p, room + enc_len + SH_B64_SLACK) + room;
    *sh_base64_encode_slack(enc, (const unsigned char *)raw, len) = '\0';
    out->value = enc;
    out->value_len = enc_len;
    out->raw_len = len;
    out->count = count;
    return 1;
}

void sh_env_build(apr_pool_t *p, const apr_table_t *env,
                      const sh_env_filter *filter, apr_size_t max_value_len,
                      sh_envvars *out)
{
    sh_env_build_room(p, env, filter, max_value_len, 0, out);
}

void sh_env_build_room(apr_pool_t *p, const apr_table_t *env,
                           const sh_env_filter *filter,
                           apr_size_t max_value_len, apr_size_t room,
                           sh_envvars *out)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    sh_piece stack[SH_STACK_PIECES];
    sh_piece *pieces = stack;
    apr_size_t raw = 0, enc_len;
    int count = 0, i;
    char *buf, *w;

    filter = sh_effective_filter(filter);
    if (sh_envvars_build_small(p, env, filter, max_value_len, room, out)) {
        return;
    }
    memset(out, 0, sizeof(*out));
    if (arr->nelts > SH_STACK_PIECES) {
        pieces = apr_palloc(p, arr->nelts * sizeof(sh_piece));
    }
    for (i = 0; i < arr->nelts; i++) {
        sh_piece *piece = &pieces[count];

        if (!sh_env_entry_wanted(&e[i], filter, &piece->klen)) {
            continue;
        }
        piece->key = e[i].key;
        piece->val = e[i].val ? e[i].val : "";
        piece->vlen = strlen(piece->val);
        piece->dropped = 0;
        raw += piece->klen + piece->vlen + 2;
        count++;
    }
    if (max_value_len && sh_base64_len(raw) > max_value_len) {
        raw = sh_drop_largest(p, pieces, count, raw, max_value_len, out);
    }
    if (raw == 0) {
        /* Passenger sends the header, empty, whenever the environment has
         * any entry at all, even one it leaves out; applications may tell
         * "no environment" from "nothing sent" by it. */
        if (arr->nelts > 0) {
            out->value = sh_empty_value(p, room);
        }
        return;
    }

    /* One allocation: the raw bytes and the zeros after them that the
     * encoder reads, the caller's room, then the base64 text and the bytes
     * it may write past its end (see sh_base64_encode_slack). */
    enc_len = sh_base64_len(raw);
    buf = apr_palloc(p, raw + SH_B64_SLACK + room + enc_len + SH_B64_SLACK);
    w = buf;
    for (i = 0; i < count; i++) {
        if (pieces[i].dropped) {
            continue;
        }
        memcpy(w, pieces[i].key, pieces[i].klen + 1);
        w += pieces[i].klen + 1;
        memcpy(w, pieces[i].val, pieces[i].vlen + 1);
        w += pieces[i].vlen + 1;
        out->count++;
    }
    memset(w, 0, SH_B64_SLACK);
    w += SH_B64_SLACK + room;
    *sh_base64_encode_slack(w, (const unsigned char *)buf, raw) = '\0';
    out->value = w;
    out->value_len = enc_len;
    out->raw_len = raw;
}
