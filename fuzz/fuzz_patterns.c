/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: environment-variable patterns (sh_env_pattern_compile,
 * sh_env_pattern_match).
 *
 * Input: lines separated by '\n' or NUL. The first line is the pattern;
 * the others are names to match. Further names are derived from the
 * pattern (itself, with its wildcards and escapes filled in or removed,
 * with its case swapped, ...). Whenever sh_env_pattern_compile accepts the
 * pattern, sh_env_pattern_match must agree with
 * apr_fnmatch(pattern, name, APR_FNM_CASE_BLIND) for every name, whatever
 * kind (EXACT, PREFIX, GLOB) the pattern was compiled to.
 */
#include "fuzz_common.h"

#include "apr_fnmatch.h"
#include "apr_strings.h"

static const char *kind_name(sh_pattern_kind k)
{
    return k == SH_PATTERN_EXACT ? "EXACT"
           : k == SH_PATTERN_PREFIX ? "PREFIX" : "GLOB";
}

/* Copy of s with each byte in `from` replaced by `to` (NULL: dropped). */
static char *map_chars(apr_pool_t *p, const char *s, const char *from,
                       const char *to)
{
    char *out = apr_palloc(p, strlen(s) * (to ? strlen(to) : 0) + strlen(s)
                              + 1);
    char *w = out;

    for (; *s; s++) {
        if (strchr(from, *s)) {
            if (to) {
                strcpy(w, to);
                w += strlen(to);
            }
        }
        else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return out;
}

static char *swap_case(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s), *w;

    for (w = out; *w; w++) {
        if (*w >= 'a' && *w <= 'z') {
            *w = (char)(*w - 'a' + 'A');
        }
        else if (*w >= 'A' && *w <= 'Z') {
            *w = (char)(*w - 'A' + 'a');
        }
    }
    return out;
}

static void check_name(apr_pool_t *p, const char *text, const sh_pattern *pat,
                       const char *name)
{
    int got = sh_env_pattern_match(pat, name) ? 1 : 0;
    int want = apr_fnmatch(text, name, APR_FNM_CASE_BLIND) == APR_SUCCESS;

    SH_FUZZ_CHECK(got == want,
                  "pattern %s (%s) on name %s: sh_env_pattern_match %d, "
                  "apr_fnmatch %d", sh_fuzz_quote(p, text),
                  kind_name(pat->kind), sh_fuzz_quote(p, name), got, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    size_t end = 0, pos;
    const char *text, *err;
    sh_pattern pat;
    size_t tlen;

    sh_fuzz_init();
    apr_pool_create(&p, sh_fuzz_root);

    while (end < size && data[end] != '\n' && data[end] != '\0') {
        end++;
    }
    text = sh_fuzz_strndup(p, data, end);
    tlen = strlen(text);

    memset(&pat, 0, sizeof(pat));
    err = sh_env_pattern_compile(p, text, &pat);
    if (tlen == 0) {
        SH_FUZZ_CHECK(err != NULL, "empty pattern accepted");
    }
    if (err != NULL) {
        SH_FUZZ_CHECK(*err != '\0', "empty error message");
        goto done;
    }
    SH_FUZZ_CHECK(pat.text != NULL && strcmp(pat.text, text) == 0,
                  "compiled text differs");
    SH_FUZZ_CHECK(pat.kind == SH_PATTERN_EXACT || pat.kind == SH_PATTERN_PREFIX
                  || pat.kind == SH_PATTERN_GLOB, "kind %d", (int)pat.kind);
    if (pat.kind == SH_PATTERN_PREFIX) {
        SH_FUZZ_CHECK(pat.len == tlen - 1 && text[tlen - 1] == '*',
                      "prefix len %zu for %s", (size_t)pat.len,
                      sh_fuzz_quote(p, text));
    }
    else {
        SH_FUZZ_CHECK(pat.len == tlen, "len %zu for %s", (size_t)pat.len,
                      sh_fuzz_quote(p, text));
    }

    /* Names derived from the pattern. */
    {
        const char *prefix = apr_pstrndup(p, text, strcspn(text, "*?["));
        const char *derived[] = {
            "",
            text,
            swap_case(p, text),
            map_chars(p, text, "*", NULL),
            map_chars(p, text, "*", "X"),
            map_chars(p, text, "*", "*/.x"),
            map_chars(p, text, "?", "a"),
            map_chars(p, text, "\\", NULL),
            map_chars(p, map_chars(p, text, "\\", NULL), "*", NULL),
            map_chars(p, text, "[]", NULL),
            prefix,
            apr_pstrcat(p, prefix, "_TAIL", NULL),
            apr_pstrcat(p, swap_case(p, prefix), "x", NULL),
            apr_pstrndup(p, text, tlen / 2),
            apr_pstrcat(p, text, "x", NULL),
        };
        size_t i;

        for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
            check_name(p, text, &pat, derived[i]);
        }
    }

    /* Names from the input, alone and after the pattern's prefix. */
    for (pos = end + 1; pos < size;) {
        size_t e = pos;
        const char *name;

        while (e < size && data[e] != '\n' && data[e] != '\0') {
            e++;
        }
        name = sh_fuzz_strndup(p, data + pos, e - pos);
        check_name(p, text, &pat, name);
        if (pat.kind == SH_PATTERN_PREFIX) {
            check_name(p, text, &pat,
                       apr_pstrcat(p, apr_pstrndup(p, text, pat.len), name,
                                   NULL));
        }
        pos = e + 1;
    }

done:
    apr_pool_destroy(p);
    sh_fuzz_free_all();
    return 0;
}
