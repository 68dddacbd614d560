/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Structured field values (RFC 8941), as much as Signature and
 * Signature-Input need: dictionaries (finding, counting and removing
 * members), inner lists with parameters, and byte sequences. Every parse
 * step either advances or fails, so parsing is linear in the length of the
 * value. APR only.
 */
#ifndef SH_SF_H
#define SH_SF_H

#include "apr_pools.h"

typedef struct {
    apr_size_t start;       /* first byte of the member's key */
    apr_size_t end;         /* one past its value and parameters */
    apr_size_t value;       /* first byte after "key=" (== end if none) */
} sh_sf_member;

/*
 * Looks for the member named key in a dictionary field value. Returns 1
 * and fills *m (the last one, as RFC 8941 says duplicates override), 0
 * when the dictionary has no such member, -1 when the value is not a
 * dictionary at all.
 */
int sh_sf_dict_find(const char *value, apr_size_t len, const char *key,
                    sh_sf_member *m);

/* Whether a field value could carry a member named key: a well-formed
 * dictionary that has one, or any value that is not a dictionary but
 * contains key (so nobody can hide one behind a syntax error). */
int sh_sf_dict_may_have(const char *value, const char *key);

/* How many members a dictionary has; -1 when it is not one. */
int sh_sf_dict_size(const char *value);

/* The value without its members named key, "" when nothing is left,
 * NULL when the value is not a dictionary. */
const char *sh_sf_dict_without(apr_pool_t *p, const char *value,
                               const char *key);

/* Decodes a byte sequence ":base64:" (nothing else around it). Returns
 * the byte count, or -1 when malformed or longer than max. */
long sh_sf_binary_decode(const char *value, apr_size_t len,
                         unsigned char *out, apr_size_t max);

/* --- parsing step by step (for the Signature-Input parser) ------------- */

/* A cursor over a field value. */
typedef struct {
    const char *s;
    apr_size_t len;
    apr_size_t i;
} sh_sf_cursor;

static inline int sh_sf_at_end(const sh_sf_cursor *f)
{
    return f->i >= f->len;
}

/* The next byte, or -1 at the end. */
static inline int sh_sf_peek(const sh_sf_cursor *f)
{
    return f->i < f->len ? (unsigned char)f->s[f->i] : -1;
}

typedef enum {
    SH_SF_INTEGER, SH_SF_DECIMAL, SH_SF_STRING, SH_SF_TOKEN, SH_SF_BINARY,
    SH_SF_BOOLEAN
} sh_sf_type;

typedef struct {
    sh_sf_type type;
    apr_size_t start, end;      /* the item's text (strings: inside quotes) */
    apr_int64_t integer;
    int escaped;                /* a string with backslash escapes */
} sh_sf_item;

/* Called for each parameter; returns 0 to fail the parse. */
typedef int (*sh_sf_param_fn)(void *ctx, const sh_sf_cursor *f,
                              apr_size_t kstart, apr_size_t klen,
                              const sh_sf_item *value);

/* Called for each item of an inner list, with the cursor just after it,
 * before its parameters; returns 0 to fail the parse. With a callback,
 * items may have no parameters (a ';' after one fails the parse unless the
 * callback fails it first). */
typedef int (*sh_sf_item_fn)(void *ctx, sh_sf_cursor *f,
                             const sh_sf_item *item);

/* Parses the inner list at the cursor ('(' ... ')' and the list's
 * parameters); 1 when it is well formed and every callback agreed. */
int sh_sf_inner_list(sh_sf_cursor *f, sh_sf_item_fn item_fn, void *ctx,
                     sh_sf_param_fn param_fn, void *pctx);

/* A string item's value with its escapes undone, in the pool. */
char *sh_sf_string_value(apr_pool_t *p, const sh_sf_cursor *f,
                         const sh_sf_item *it);

#endif /* SH_SF_H */
