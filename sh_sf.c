/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: structured field values, RFC 8941 (APR only; no
 * httpd): the parts Signature and Signature-Input need.
 */
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"

#include "sh_base64.h"
#include "sh_sf.h"

static void sh_sf_skip_sp(sh_sf_cursor *f)
{
    while (f->i < f->len && f->s[f->i] == ' ') {
        f->i++;
    }
}

static void sh_sf_skip_ows(sh_sf_cursor *f)
{
    while (f->i < f->len && (f->s[f->i] == ' ' || f->s[f->i] == '\t')) {
        f->i++;
    }
}

static int sh_sf_is_lcalpha(int c)
{
    return c >= 'a' && c <= 'z';
}

static int sh_sf_is_tchar(int c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static int sh_sf_key(sh_sf_cursor *f, apr_size_t *start, apr_size_t *len)
{
    int c = sh_sf_peek(f);

    if (!sh_sf_is_lcalpha(c) && c != '*') {
        return 0;
    }
    *start = f->i;
    while (f->i < f->len) {
        c = (unsigned char)f->s[f->i];
        if (!sh_sf_is_lcalpha(c) && !apr_isdigit(c) && c != '_' && c != '-'
            && c != '.' && c != '*') {
            break;
        }
        f->i++;
    }
    *len = f->i - *start;
    return 1;
}


static apr_size_t sh_sf_digits(sh_sf_cursor *f, apr_int64_t *v)
{
    apr_size_t n = 0;

    while (f->i < f->len && apr_isdigit(f->s[f->i])) {
        if (v) {
            *v = *v * 10 + (f->s[f->i] - '0');
        }
        f->i++;
        if (++n > 16) {
            return n;                   /* too long either way: stop */
        }
    }
    return n;
}

/* sf-integer: at most 15 digits; sf-decimal: at most 12 before the dot
 * and 1 to 3 after it. */
static int sh_sf_number(sh_sf_cursor *f, sh_sf_item *it)
{
    int neg = 0;
    apr_int64_t v = 0;
    apr_size_t whole;

    it->start = f->i;
    if (sh_sf_peek(f) == '-') {
        neg = 1;
        f->i++;
    }
    whole = sh_sf_digits(f, &v);
    if (whole == 0) {
        return 0;
    }
    if (sh_sf_peek(f) == '.') {
        apr_size_t frac;

        f->i++;
        frac = sh_sf_digits(f, NULL);
        if (whole > 12 || frac == 0 || frac > 3) {
            return 0;
        }
        it->type = SH_SF_DECIMAL;
    }
    else {
        if (whole > 15) {
            return 0;
        }
        it->type = SH_SF_INTEGER;
    }
    it->integer = neg ? -v : v;
    it->end = f->i;
    return 1;
}

static int sh_sf_string(sh_sf_cursor *f, sh_sf_item *it)
{
    f->i++;                                 /* the opening quote */
    it->start = f->i;
    it->escaped = 0;
    while (f->i < f->len) {
        int c = (unsigned char)f->s[f->i];

        if (c == '\\') {
            if (f->i + 1 >= f->len
                || (f->s[f->i + 1] != '"' && f->s[f->i + 1] != '\\')) {
                return 0;
            }
            it->escaped = 1;
            f->i += 2;
        }
        else if (c == '"') {
            it->end = f->i++;
            it->type = SH_SF_STRING;
            return 1;
        }
        else if (c < 0x20 || c > 0x7e) {
            return 0;
        }
        else {
            f->i++;
        }
    }
    return 0;
}

static int sh_sf_bare_item(sh_sf_cursor *f, sh_sf_item *it)
{
    int c = sh_sf_peek(f);

    if (c == '-' || apr_isdigit(c)) {
        return sh_sf_number(f, it);
    }
    if (c == '"') {
        return sh_sf_string(f, it);
    }
    if (c == ':') {
        it->start = ++f->i;
        while (f->i < f->len && (apr_isalnum(f->s[f->i]) || f->s[f->i] == '+'
                                 || f->s[f->i] == '/' || f->s[f->i] == '=')) {
            f->i++;
        }
        if (sh_sf_peek(f) != ':') {
            return 0;
        }
        it->end = f->i++;
        it->type = SH_SF_BINARY;
        return 1;
    }
    if (c == '?') {
        f->i++;
        c = sh_sf_peek(f);
        if (c != '0' && c != '1') {
            return 0;
        }
        it->start = f->i++;
        it->end = f->i;
        it->type = SH_SF_BOOLEAN;
        return 1;
    }
    if (c == '*' || apr_isalpha(c)) {
        it->start = f->i;
        while (f->i < f->len && (sh_sf_is_tchar((unsigned char)f->s[f->i])
                                 || f->s[f->i] == ':' || f->s[f->i] == '/')) {
            f->i++;
        }
        it->end = f->i;
        it->type = SH_SF_TOKEN;
        return 1;
    }
    return 0;
}

static int sh_sf_params(sh_sf_cursor *f, sh_sf_param_fn fn, void *ctx)
{
    while (sh_sf_peek(f) == ';') {
        apr_size_t kstart, klen;
        sh_sf_item it;

        f->i++;
        sh_sf_skip_sp(f);
        if (!sh_sf_key(f, &kstart, &klen)) {
            return 0;
        }
        if (sh_sf_peek(f) == '=') {
            f->i++;
            if (!sh_sf_bare_item(f, &it)) {
                return 0;
            }
        }
        else {
            it.type = SH_SF_BOOLEAN;
            it.start = it.end = f->i;
        }
        if (fn && !fn(ctx, f, kstart, klen, &it)) {
            return 0;
        }
    }
    return 1;
}

int sh_sf_inner_list(sh_sf_cursor *f, sh_sf_item_fn item_fn, void *ctx,
                     sh_sf_param_fn param_fn, void *pctx)
{
    f->i++;                                 /* ( */
    for (;;) {
        sh_sf_item it;

        sh_sf_skip_sp(f);
        if (sh_sf_peek(f) == ')') {
            f->i++;
            return sh_sf_params(f, param_fn, pctx);
        }
        if (!sh_sf_bare_item(f, &it)) {
            return 0;
        }
        if (item_fn) {
            if (!item_fn(ctx, f, &it)) {
                return 0;
            }
        }
        else if (!sh_sf_params(f, NULL, NULL)) {
            return 0;
        }
        if (sh_sf_peek(f) != ' ' && sh_sf_peek(f) != ')') {
            return 0;
        }
    }
}

static int sh_sf_member_value(sh_sf_cursor *f)
{
    sh_sf_item it;

    if (sh_sf_peek(f) == '(') {
        return sh_sf_inner_list(f, NULL, NULL, NULL, NULL);
    }
    return sh_sf_bare_item(f, &it) && sh_sf_params(f, NULL, NULL);
}

/* Walks a dictionary; for each member calls fn(ctx, key, member). Returns
 * 1 for a well-formed dictionary, 0 otherwise. */
typedef void (*sh_sf_member_fn)(void *ctx, const char *key, apr_size_t klen,
                                const sh_sf_member *m);

static int sh_sf_dict_walk(const char *value, apr_size_t len,
                           sh_sf_member_fn fn, void *ctx)
{
    sh_sf_cursor f = { value, len, 0 };

    sh_sf_skip_sp(&f);
    if (sh_sf_at_end(&f)) {
        return 1;
    }
    for (;;) {
        sh_sf_member m;
        apr_size_t kstart, klen;

        if (!sh_sf_key(&f, &kstart, &klen)) {
            return 0;
        }
        m.start = kstart;
        if (sh_sf_peek(&f) == '=') {
            f.i++;
            m.value = f.i;
            if (!sh_sf_member_value(&f)) {
                return 0;
            }
        }
        else {
            m.value = f.i;
            if (!sh_sf_params(&f, NULL, NULL)) {
                return 0;
            }
        }
        m.end = f.i;
        fn(ctx, value + kstart, klen, &m);
        sh_sf_skip_ows(&f);
        if (sh_sf_at_end(&f)) {
            return 1;
        }
        if (sh_sf_peek(&f) != ',') {
            return 0;
        }
        f.i++;
        sh_sf_skip_ows(&f);
        if (sh_sf_at_end(&f)) {
            return 0;                       /* a trailing comma */
        }
    }
}

/* Whether a member's key is "want" (of length wlen). */
static int sh_sf_key_is(const char *key, apr_size_t klen, const char *want,
                        apr_size_t wlen)
{
    return klen == wlen && memcmp(key, want, klen) == 0;
}

typedef struct {
    const char *key;
    apr_size_t klen;
    int found;
    sh_sf_member m;
} sh_sf_find_ctx;

static void sh_sf_find_cb(void *ctx, const char *key, apr_size_t klen,
                          const sh_sf_member *m)
{
    sh_sf_find_ctx *fc = ctx;

    if (sh_sf_key_is(key, klen, fc->key, fc->klen)) {
        fc->found = 1;
        fc->m = *m;
    }
}

int sh_sf_dict_find(const char *value, apr_size_t len, const char *key,
                    sh_sf_member *m)
{
    sh_sf_find_ctx fc;

    fc.key = key;
    fc.klen = strlen(key);
    fc.found = 0;
    if (!sh_sf_dict_walk(value, len, sh_sf_find_cb, &fc)) {
        return -1;
    }
    if (fc.found) {
        *m = fc.m;
    }
    return fc.found;
}

static int sh_contains_nocase(const char *hay, const char *needle)
{
    apr_size_t n = strlen(needle);

    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

int sh_sf_dict_may_have(const char *value, const char *key)
{
    sh_sf_member m;
    int r = sh_sf_dict_find(value, strlen(value), key, &m);

    return r < 0 ? sh_contains_nocase(value, key) : r;
}

static void sh_sf_count_cb(void *ctx, const char *key, apr_size_t klen,
                           const sh_sf_member *m)
{
    (void)key;
    (void)klen;
    (void)m;
    ++*(int *)ctx;
}

int sh_sf_dict_size(const char *value)
{
    int n = 0;

    return sh_sf_dict_walk(value, strlen(value), sh_sf_count_cb, &n) ? n : -1;
}

typedef struct {
    const char *key;
    apr_size_t klen;
    const char *value;
    char *out;
    apr_size_t out_len;
} sh_sf_without_ctx;

static void sh_sf_without_cb(void *ctx, const char *key, apr_size_t klen,
                             const sh_sf_member *m)
{
    sh_sf_without_ctx *wc = ctx;

    if (sh_sf_key_is(key, klen, wc->key, wc->klen)) {
        return;
    }
    if (wc->out_len) {
        memcpy(wc->out + wc->out_len, ", ", 2);
        wc->out_len += 2;
    }
    memcpy(wc->out + wc->out_len, wc->value + m->start, m->end - m->start);
    wc->out_len += m->end - m->start;
}

const char *sh_sf_dict_without(apr_pool_t *p, const char *value,
                               const char *key)
{
    apr_size_t len = strlen(value);
    sh_sf_without_ctx wc;

    wc.key = key;
    wc.klen = strlen(key);
    wc.value = value;
    /* Members are kept verbatim and rejoined with ", ": never longer than
     * the input plus one separator per member. */
    wc.out = apr_palloc(p, len * 2 + 1);
    wc.out_len = 0;
    if (!sh_sf_dict_walk(value, len, sh_sf_without_cb, &wc)) {
        return NULL;
    }
    wc.out[wc.out_len] = '\0';
    return wc.out;
}

char *sh_sf_string_value(apr_pool_t *p, const sh_sf_cursor *f,
                         const sh_sf_item *it)
{
    apr_size_t len = it->end - it->start, i, o = 0;
    char *out = apr_palloc(p, len + 1);

    for (i = it->start; i < it->end; i++) {
        if (f->s[i] == '\\') {
            i++;
        }
        out[o++] = f->s[i];
    }
    out[o] = '\0';
    return out;
}

long sh_sf_binary_decode(const char *value, apr_size_t len,
                         unsigned char *out, apr_size_t max)
{
    sh_sf_cursor f = { value, len, 0 };
    sh_sf_item it;
    apr_size_t n;

    if (sh_sf_peek(&f) != ':' || !sh_sf_bare_item(&f, &it)
        || it.type != SH_SF_BINARY || !sh_sf_at_end(&f)) {
        return -1;
    }
    n = it.end - it.start;
    if (n % 4 != 0 || n / 4 * 3 > max + 2) {
        return -1;
    }
    return sh_base64_decode(out, max, value + it.start, n);
}
