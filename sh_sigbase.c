/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the RFC 9421 signature base (APR and libcrypto; no
 * httpd). What is signed per request is written in one pass into one
 * allocation; Signature-Input is read back with the structured-field
 * parser of sh_sf_cursor.c.
 */
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"

#include "sh_base64.h"
#include "sh_headers.h"
#include "sh_sf.h"
#include "sh_sigbase.h"

/* --- the signature base ------------------------------------------------ */

/* Decimal digits of a non-negative number; apr_snprintf costs several
 * times as much on this per-request path. */
static apr_size_t sh_write_uint(char *out, apr_int64_t v)
{
    char tmp[24];
    apr_size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof(tmp));
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

/* created and expires change once a second: each thread keeps their
 * digits from its previous signature. */
static __thread apr_int64_t sh_uint_cached[2] = { -1, -1 };
static __thread char sh_uint_digits[2][24];
static __thread apr_size_t sh_uint_len[2];

static apr_size_t sh_cached_uint(int slot, char *out, apr_int64_t v)
{
    if (v < 0) {
        v = 0;
    }
    if (sh_uint_cached[slot] != v) {
        sh_uint_len[slot] = sh_write_uint(sh_uint_digits[slot], v);
        sh_uint_cached[slot] = v;
    }
    memcpy(out, sh_uint_digits[slot], sh_uint_len[slot]);
    return sh_uint_len[slot];
}

typedef struct {
    const sh_component *c;
    int n;
    char created[24], expires[24];
    apr_size_t created_len, expires_len;
    const char *nonce, *target, *keyid, *alg;
    apr_size_t nonce_len, target_len, keyid_len, alg_len;
} sh_params_spec;

static apr_size_t sh_params_prepare(sh_params_spec *ps, const sh_component *c,
                                    int n, apr_int64_t created,
                                    apr_int64_t expires, const char *nonce,
                                    const char *target, const sh_key *key)
{
    apr_size_t total = 2;                               /* ( ) */
    int i;

    ps->c = c;
    ps->n = n;
    ps->created_len = sh_cached_uint(0, ps->created, created);
    ps->expires_len = sh_cached_uint(1, ps->expires, expires);
    ps->nonce = nonce;
    ps->nonce_len = strlen(nonce);
    ps->target = target;
    ps->target_len = target ? strlen(target) : 0;
    ps->keyid = key->keyid;
    ps->keyid_len = strlen(key->keyid);
    ps->alg = sh_alg_name(key->alg);
    ps->alg_len = strlen(ps->alg);
    for (i = 0; i < n; i++) {
        total += c[i].name_len + 2 + (i > 0);           /* "x" and a space */
    }
    return total + sizeof(";created=") - 1 + ps->created_len
           + sizeof(";expires=") - 1 + ps->expires_len
           + sizeof(";nonce=\"\"") - 1 + ps->nonce_len
           + (target ? sizeof(";target=\"\"") - 1 + ps->target_len : 0)
           + sizeof(";keyid=\"\"") - 1 + ps->keyid_len
           + sizeof(";alg=\"\"") - 1 + ps->alg_len
           + sizeof(";tag=\"" SH_SIG_TAG "\"") - 1;
}

static char *sh_params_write(char *w, const sh_params_spec *ps)
{
    int i;

#define SH_PUT(s, l) (memcpy(w, (s), (l)), w += (l))
#define SH_PUTS(lit) SH_PUT(lit, sizeof(lit) - 1)
    *w++ = '(';
    for (i = 0; i < ps->n; i++) {
        if (i > 0) {
            *w++ = ' ';
        }
        *w++ = '"';
        SH_PUT(ps->c[i].name, ps->c[i].name_len);
        *w++ = '"';
    }
    *w++ = ')';
    SH_PUTS(";created=");
    SH_PUT(ps->created, ps->created_len);
    SH_PUTS(";expires=");
    SH_PUT(ps->expires, ps->expires_len);
    SH_PUTS(";nonce=\"");
    SH_PUT(ps->nonce, ps->nonce_len);
    if (ps->target) {
        SH_PUTS("\";target=\"");
        SH_PUT(ps->target, ps->target_len);
    }
    SH_PUTS("\";keyid=\"");
    SH_PUT(ps->keyid, ps->keyid_len);
    SH_PUTS("\";alg=\"");
    SH_PUT(ps->alg, ps->alg_len);
    SH_PUTS("\";tag=\"" SH_SIG_TAG "\"");
#undef SH_PUTS
#undef SH_PUT
    return w;
}

char *sh_sig_params(apr_pool_t *p, const sh_component *c, int n,
                    apr_int64_t created, apr_int64_t expires,
                    const char *nonce, const char *target,
                    const sh_key *key, apr_size_t *len)
{
    sh_params_spec ps;
    apr_size_t total = sh_params_prepare(&ps, c, n, created, expires, nonce,
                                         target, key);
    char *buf = apr_palloc(p, total + 1);
    char *end = sh_params_write(buf, &ps);

    *end = '\0';
    *len = (apr_size_t)(end - buf);
    return buf;
}

static int sh_has_line_break(const char *s, apr_size_t len)
{
    return memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL;
}

#define SH_SIG_PARAMS_LINE "\"@signature-params\": "

/* Length of the component lines of a base. */
static apr_size_t sh_lines_len(const sh_component *c, int n)
{
    apr_size_t total = 0;
    int i;

    for (i = 0; i < n; i++) {
        total += c[i].name_len + c[i].value_len + 5;    /* "": and LF */
    }
    return total + sizeof(SH_SIG_PARAMS_LINE) - 1;
}

static int sh_any_line_break(const sh_component *c, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (sh_has_line_break(c[i].value, c[i].value_len)) {
            return 1;
        }
    }
    return 0;
}

static char *sh_lines_write(char *w, const sh_component *c, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        *w++ = '"';
        memcpy(w, c[i].name, c[i].name_len);
        w += c[i].name_len;
        *w++ = '"';
        *w++ = ':';
        *w++ = ' ';
        memcpy(w, c[i].value, c[i].value_len);
        w += c[i].value_len;
        *w++ = '\n';
    }
    memcpy(w, SH_SIG_PARAMS_LINE, sizeof(SH_SIG_PARAMS_LINE) - 1);
    return w + sizeof(SH_SIG_PARAMS_LINE) - 1;
}

char *sh_sig_base(apr_pool_t *p, const sh_component *c, int n,
                  const char *params, apr_size_t params_len,
                  apr_size_t *len)
{
    apr_size_t lines = sh_lines_len(c, n);
    char *buf, *w;

    if (sh_any_line_break(c, n)) {
        return NULL;
    }
    buf = apr_palloc(p, lines + params_len + 1);
    w = sh_lines_write(buf, c, n);
    memcpy(w, params, params_len);
    w[params_len] = '\0';
    *len = lines + params_len;
    return buf;
}

int sh_sig_sign(apr_pool_t *p, const sh_key *key, const sh_component *c,
                int n, apr_int64_t created, apr_int64_t expires,
                const char *nonce, const char *target,
                const char *input_prefix, const char *sig_prefix,
                const char **input, const char **signature)
{
    sh_params_spec ps;
    apr_size_t plen = sh_params_prepare(&ps, c, n, created, expires, nonce,
                                        target, key);
    apr_size_t lines = sh_lines_len(c, n);
    apr_size_t ilen = strlen(input_prefix), slen = strlen(sig_prefix);
    unsigned char sig[SH_SIG_MAX];
    apr_size_t siglen;
    char *base, *params, *in, *out, *w;

    /* One allocation: the base, then the member value (prefix and a copy
     * of the parameters), then the signature's. */
    base = apr_palloc(p, lines + plen + 1 + ilen + plen + 1 + slen
                         + 2 + sh_base64_len(SH_SIG_MAX) + 1);
    params = sh_lines_write(base, c, n);
    w = sh_params_write(params, &ps);
    siglen = sh_key_sign(key, base, (apr_size_t)(w - base), sig);
    if (siglen == 0) {
        return 0;
    }
    in = w + 1;
    memcpy(in, input_prefix, ilen);
    memcpy(in + ilen, params, plen);
    out = in + ilen + plen;
    if (signature) {
        *out++ = '\0';
    }
    memcpy(out, sig_prefix, slen);
    w = out + slen;
    *w++ = ':';
    w = sh_base64_encode(w, sig, siglen);
    *w++ = ':';
    *w = '\0';
    *input = in;
    if (signature) {
        *signature = out;
    }
    return 1;
}

const char *sh_sig_authority_normalize(apr_pool_t *p, const char *host,
                                       int tls)
{
    apr_size_t len = strlen(host);
    const char *colon = NULL, *s;
    char *out;
    apr_size_t i, keep = len;

    /* The port follows the last ':' outside an IPv6 literal's brackets. */
    for (s = host + len; s > host; s--) {
        if (s[-1] == ']') {
            break;
        }
        if (s[-1] == ':') {
            colon = s - 1;
            break;
        }
    }
    if (colon && !strcmp(colon + 1, tls ? "443" : "80")) {
        keep = (apr_size_t)(colon - host);
    }
    out = apr_palloc(p, keep + 1);
    for (i = 0; i < keep; i++) {
        out[i] = (char)apr_tolower((unsigned char)host[i]);
    }
    out[keep] = '\0';
    return out;
}

int sh_sig_url_path_query(const char *url, sh_component *path,
                      sh_component *query)
{
    const char *s = url, *end;

    if (!apr_isalpha(*s)) {
        return 0;
    }
    while (apr_isalnum(*s) || *s == '+' || *s == '-' || *s == '.') {
        s++;
    }
    if (s[0] != ':' || s[1] != '/' || s[2] != '/') {
        return 0;
    }
    /* The authority runs to the first of "/?#", as apr_uri_parse's. */
    s += 3;
    s += strcspn(s, "/?#");
    end = s + strcspn(s, "?#");
    path->value = end > s ? s : "/";
    path->value_len = end > s ? (apr_size_t)(end - s) : 1;
    if (*end == '?') {
        query->value = end;
        query->value_len = strcspn(end, "#");
    }
    else {
        query->value = "?";
        query->value_len = 1;
    }
    return 1;
}

/* --- Signature-Input --------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    sh_sig_input *in;
    const char *error;
} sh_input_ctx;


static int sh_input_component(void *ctx, sh_sf_cursor *f,
                              const sh_sf_item *it)
{
    sh_input_ctx *ic = ctx;
    sh_component *c;

    if (it->type != SH_SF_STRING) {
        ic->error = "a component identifier is not a string";
        return 0;
    }
    if (sh_sf_peek(f) == ';') {
        /* ;sf, ;key=, ;bs, ;req, ;tr change what a component means: this
         * module never uses them, so a signature that does is not its. */
        ic->error = "a component identifier has parameters";
        return 0;
    }
    if (ic->in->count == SH_SIG_MAX_COMPONENTS) {
        ic->error = "too many components";
        return 0;
    }
    c = &ic->in->components[ic->in->count++];
    c->name = sh_sf_string_value(ic->p, f, it);
    c->name_len = strlen(c->name);
    c->value = NULL;
    c->value_len = 0;
    return 1;
}

static int sh_param_is(const sh_sf_cursor *f, apr_size_t kstart,
                       apr_size_t klen, const char *name)
{
    return klen == strlen(name) && memcmp(f->s + kstart, name, klen) == 0;
}

static int sh_input_param(void *ctx, const sh_sf_cursor *f,
                          apr_size_t kstart, apr_size_t klen,
                          const sh_sf_item *v)
{
    sh_input_ctx *ic = ctx;
    sh_sig_input *in = ic->in;
    static const char *const strings[] = {
        "nonce", "keyid", "alg", "tag", "target"
    };
    const char **slots[5];
    int i;

    slots[0] = &in->nonce;
    slots[1] = &in->keyid;
    slots[2] = &in->alg;
    slots[3] = &in->tag;
    slots[4] = &in->target;
    if (sh_param_is(f, kstart, klen, "created")
        || sh_param_is(f, kstart, klen, "expires")) {
        int created = f->s[kstart] == 'c';

        if (v->type != SH_SF_INTEGER || v->integer < 0) {
            ic->error = "created and expires must be non-negative integers";
            return 0;
        }
        if (created) {
            in->created = v->integer;
            in->has_created = 1;
        }
        else {
            in->expires = v->integer;
            in->has_expires = 1;
        }
        return 1;
    }
    for (i = 0; i < 5; i++) {
        if (sh_param_is(f, kstart, klen, strings[i])) {
            if (v->type != SH_SF_STRING) {
                ic->error = apr_psprintf(ic->p, "%s must be a string",
                                         strings[i]);
                return 0;
            }
            *slots[i] = sh_sf_string_value(ic->p, f, v);
            return 1;
        }
    }
    return 1;                               /* unknown parameters are ignored */
}

const char *sh_sig_input_parse(apr_pool_t *p, const char *value,
                               apr_size_t len, sh_sig_input *out)
{
    sh_sf_cursor f = { value, len, 0 };
    sh_input_ctx ic;

    memset(out, 0, sizeof(*out));
    ic.p = p;
    ic.in = out;
    ic.error = NULL;
    if (sh_sf_peek(&f) != '(') {
        return "the signature input is not an inner list";
    }
    if (!sh_sf_inner_list(&f, sh_input_component, &ic, sh_input_param, &ic)) {
        return ic.error ? ic.error : "the signature input is malformed";
    }
    if (!sh_sf_at_end(&f)) {
        return "the signature input has bytes after its parameters";
    }
    out->params = value;
    out->params_len = len;
    return NULL;
}

void sh_sig_strip_ours(apr_pool_t *p, apr_table_t *headers, int all_lines)
{
    static const char *const names[] = { "Signature", "Signature-Input" };
    int i;

    for (i = 0; i < 2; i++) {
        const char *v = all_lines ? sh_headers_field_value(p, headers, names[i])
                                  : apr_table_get(headers, names[i]);
        const char *rest;

        if (v == NULL) {
            continue;
        }
        rest = sh_sf_dict_without(p, v, SH_SIG_LABEL);
        if (rest == NULL || *rest == '\0') {
            apr_table_unset(headers, names[i]);
        }
        else {
            apr_table_setn(headers, names[i], rest);
        }
    }
}
