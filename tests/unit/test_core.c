/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Unit tests for the httpd-free units of mod_secure_headers that shape
 * what is sent: secure header names (sh_headers.c), the environment
 * (sh_env.c) and base64 (sh_base64.c).
 * Prints one TAP line per check; tests/unit.test.js builds and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_base64.h"
#include "apr_strings.h"

#include "sh_base64.h"
#include "sh_env.h"
#include "sh_headers.h"
#include "tap.h"


static apr_table_t *table_of(apr_pool_t *p, const char *const *kv)
{
    apr_table_t *t = apr_table_make(p, 4);

    for (; kv[0]; kv += 2) {
        apr_table_addn(t, kv[0], kv[1]);
    }
    return t;
}

/* Decodes with APR's decoder: an oracle independent of ours. */
static char *decode(apr_pool_t *p, const char *b64, int *len)
{
    char *out = apr_palloc(p, apr_base64_decode_len(b64) + 1);

    *len = apr_base64_decode_binary((unsigned char *)out, b64);
    return out;
}

static void test_names(apr_pool_t *p)
{
    static const char *const clean[] = {
        "Host", "x", "X!~Foo", "y", "~!Foo", "z", "!Foo", "w", "~~", "v",
        "Connection", "keep-alive, Upgrade", NULL
    };
    static const char *const forged[] = {
        "Host", "x", "!~passenger-proto", "https", NULL
    };
    static const char *const bare[] = { "!~", "", NULL };
    static const char *const by_connection[] = {
        "Host", "x", "connection", "close,  !~Passenger-Client-Address", NULL
    };

    check(sh_headers_is_secure("!~"), "\"!~\" alone is a secure name");
    check(sh_headers_is_secure("!~Passenger-Proto"), "!~Passenger-Proto");
    check(!sh_headers_is_secure("X!~Foo"), "X!~Foo is not");
    check(!sh_headers_is_secure("~!Foo"), "~!Foo is not");
    check(!sh_headers_is_secure("!Foo"), "!Foo is not");
    check(!sh_headers_is_secure("!"), "a lone ! is not");
    check(!sh_headers_is_secure(""), "the empty name is not");

    check(sh_headers_find_forbidden(table_of(p, clean)) == NULL,
          "look-alikes and ordinary Connection tokens pass");
    check(!strcmp(sh_headers_find_forbidden(table_of(p, forged)),
                  "!~passenger-proto"), "lower-case secure name is found");
    check(sh_headers_find_forbidden(table_of(p, bare)) != NULL,
          "a header named just !~ is found");
    check(sh_headers_find_forbidden(table_of(p, by_connection)) != NULL,
          "a Connection header naming a secure header is found");
    check(sh_headers_list_names_secure("a,b,\t!~x"), "token after a tab");
    check(!sh_headers_list_names_secure("a!~b, c"), "!~ inside a token");
    check(!sh_headers_list_names_secure(""), "empty token list");
}

static void test_strip(apr_pool_t *p)
{
    static const char *const kv[] = {
        "A", "1", "!~Passenger-Proto", "https", "B", "2",
        "!~passenger-proto", "http", "!~Other", "x", "C", "3", NULL
    };
    apr_table_t *t = table_of(p, kv);
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;

    check(sh_headers_strip_secure(t) == 3, "three secure headers removed");
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    check(arr->nelts == 3 && !strcmp(e[0].key, "A") && !strcmp(e[1].key, "B")
          && !strcmp(e[2].key, "C"), "the others keep their order");
    check(sh_headers_strip_secure(t) == 0, "nothing left to strip");
}

/* sh_base64_encode_slack: the source followed by zeros (16 readable, as
 * promised, then garbage the encoder must not need), the output checked up
 * to its end, and nothing written past end + SH_B64_SLACK. */
static int test_base64_slack(const unsigned char *buf)
{
    unsigned char src[700 + SH_B64_SLACK + 8];
    char out[1024], apr[1024];
    unsigned n, off;
    int level, ok = 1;

    for (n = 0; n <= 700; n++) {
        for (off = 0; off < 4; off++) {
            apr_size_t len = sh_base64_len(n);

            memcpy(src, buf + off, n);
            memset(src + n, 0, SH_B64_SLACK);
            memset(src + n + SH_B64_SLACK, 0xa5, 8);
            apr_base64_encode_binary(apr, src, (int)n);
            for (level = 0; level <= 2; level++) {
                char *end;

                memset(out, '#', sizeof(out));
                end = sh_base64_encode_slack_with(level, out, src, n);
                if (end == NULL) {
                    continue;
                }
                if ((apr_size_t)(end - out) != len || memcmp(out, apr, len)
                    || out[len + SH_B64_SLACK] != '#') {
                    ok = 0;
                }
            }
            memset(out, '#', sizeof(out));
            if (sh_base64_encode_slack(out, src, n) != out + len
                || memcmp(out, apr, len)) {
                ok = 0;
            }
        }
    }
    return ok;
}

static void test_base64(apr_pool_t *p)
{
    static const char *const rfc[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" }
    };
    unsigned char buf[1024];
    char ours[2048], portable[2048], apr[2048];
    int all_same = 1, all_sizes = 1, levels_seen = 0;
    unsigned i, n;

    for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
        char *end = sh_base64_encode(ours, (const unsigned char *)rfc[i][0],
                                     strlen(rfc[i][0]));
        *end = '\0';
        check(!strcmp(ours, rfc[i][1]),
              apr_psprintf(p, "RFC 4648 vector \"%s\"", rfc[i][0]));
    }
    srand(7);
    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)(i < 256 ? (int)i : rand());
    }
    /* Every length around the vector loop's 12/16-byte steps, each start
     * offset, every byte value. */
    for (n = 0; n <= 700; n++) {
        unsigned off;
        int level;

        for (off = 0; off < 4; off++) {
            char *e1 = sh_base64_encode(ours, buf + off, n);
            char *e2 = sh_base64_encode_portable(portable, buf + off, n);

            *e1 = *e2 = '\0';
            apr_base64_encode_binary(apr, buf + off, (int)n);
            if (strcmp(ours, apr) || strcmp(portable, apr)) {
                all_same = 0;
            }
            if ((apr_size_t)(e1 - ours) != sh_base64_len(n)) {
                all_sizes = 0;
            }
            /* Every vector level this CPU has, not only the one picked. */
            for (level = 1; level <= 2; level++) {
                memset(ours, '#', sizeof(ours));
                e1 = sh_base64_encode_with(level, ours, buf + off, n);
                if (e1 == NULL) {
                    continue;
                }
                levels_seen |= 1 << level;
                if ((apr_size_t)(e1 - ours) != sh_base64_len(n)
                    || memcmp(ours, apr, sh_base64_len(n)) || *e1 != '#') {
                    all_same = 0;
                }
            }
        }
    }
    check(all_same, "every encoder equals APR's, 0..700 bytes, 4 offsets");
    check(test_base64_slack(buf), "slack encoders equal APR's, 0..700 bytes, "
          "4 offsets, every level, nothing written past their slack");
    check(all_sizes, "encoders write exactly sh_base64_len(n) bytes");
    printf("# vector encoders tested: %s%s\n",
           levels_seen & 2 ? "SSSE3 " : "", levels_seen & 4 ? "AVX2" : "");
}

static void test_patterns(apr_pool_t *p)
{
    sh_pattern pat;

    check(sh_env_pattern_compile(p, "", &pat) != NULL, "empty pattern refused");
    check(sh_env_pattern_compile(p, "SSL_[A-Z", &pat) != NULL,
          "unbalanced [ refused");
    check(!sh_env_pattern_compile(p, "FOO", &pat) && pat.kind == SH_PATTERN_EXACT,
          "FOO is exact");
    check(sh_env_pattern_match(&pat, "foo") && !sh_env_pattern_match(&pat, "FOOD"),
          "exact match ignores case, needs the whole name");
    check(!sh_env_pattern_compile(p, "SSL_*", &pat)
          && pat.kind == SH_PATTERN_PREFIX, "SSL_* is a prefix");
    check(sh_env_pattern_match(&pat, "SSL_PROTOCOL") && sh_env_pattern_match(&pat, "SSL_")
          && sh_env_pattern_match(&pat, "ssl_cipher")
          && !sh_env_pattern_match(&pat, "XSSL_"), "prefix matching");
    check(!sh_env_pattern_compile(p, "SSL_*_CERT*", &pat)
          && pat.kind == SH_PATTERN_GLOB, "SSL_*_CERT* is a glob");
    check(sh_env_pattern_match(&pat, "SSL_CLIENT_CERT")
          && sh_env_pattern_match(&pat, "SSL_SERVER_CERT_CHAIN_0")
          && !sh_env_pattern_match(&pat, "SSL_CIPHER"), "glob matching");
    check(!sh_env_pattern_compile(p, "*PASS?ORD*", &pat)
          && sh_env_pattern_match(&pat, "DB_PASSWORD_FILE"), "? and leading *");
    check(!sh_env_pattern_compile(p, "A\\*B", &pat) && pat.kind == SH_PATTERN_GLOB
          && sh_env_pattern_match(&pat, "A*B") && !sh_env_pattern_match(&pat, "AxB"),
          "a backslash escapes as in fnmatch, not compared literally");
    check(!sh_env_pattern_compile(p, "FOO\\[", &pat)
          && sh_env_pattern_match(&pat, "foo["), "an escaped [ needs no ]");
}

static void test_filter(apr_pool_t *p)
{
    apr_array_header_t *inc = apr_array_make(p, 2, sizeof(sh_pattern));
    apr_array_header_t *exc = apr_array_make(p, 2, sizeof(sh_pattern));
    sh_env_filter f = { NULL, NULL };

    check(!sh_env_wanted(NULL, "SCRIPT_NAME") && !sh_env_wanted(NULL, "PATH_INFO"),
          "SCRIPT_NAME and PATH_INFO never sent");
    check(sh_env_wanted(NULL, "script_name") && sh_env_wanted(NULL, "PATH_INFO2")
          && sh_env_wanted(NULL, "SCRIPT_URL"),
          "only those exact names are left out");
    check(sh_env_wanted(&f, "ANY"), "empty filter wants everything");
    sh_env_pattern_compile(p, "SSL_*_CERT*", apr_array_push(exc));
    f.exclude = exc;
    check(!sh_env_wanted(&f, "SSL_CLIENT_CERT") && sh_env_wanted(&f, "SSL_CIPHER"),
          "exclusion");
    sh_env_pattern_compile(p, "FOO", apr_array_push(inc));
    sh_env_pattern_compile(p, "SSL_*", apr_array_push(inc));
    f.include = inc;
    check(sh_env_wanted(&f, "FOO") && sh_env_wanted(&f, "SSL_CIPHER")
          && !sh_env_wanted(&f, "BAR") && !sh_env_wanted(&f, "SSL_SERVER_CERT"),
          "inclusion, with exclusion winning");
}

static int pairs_equal(apr_pool_t *p, const char *b64, const char *const *kv,
                       int n)
{
    int len, i;
    char *raw = decode(p, b64, &len);
    int at = 0;

    for (i = 0; i < n; i++) {
        size_t kl = strlen(kv[2 * i]), vl = strlen(kv[2 * i + 1]);

        if (at + (int)(kl + vl + 2) > len
            || memcmp(raw + at, kv[2 * i], kl + 1)
            || memcmp(raw + at + kl + 1, kv[2 * i + 1], vl + 1)) {
            return 0;
        }
        at += (int)(kl + vl + 2);
    }
    return at == len;
}

static void test_envvars(apr_pool_t *p)
{
    static const char *const none[] = { NULL };
    static const char *const only_skipped[] = {
        "SCRIPT_NAME", "/x", "PATH_INFO", "/y", NULL
    };
    static const char *const spec[] = {
        "UA_SPECIAL", "yes", "SCRIPT_URL", "/", "SCRIPT_NAME", "/s",
        "SCRIPT_URI", "http://127.0.0.1:8080/", "FOO", "bar", "EMPTY", "",
        "PATH_INFO", "/p", "UTF8", "h\xc3\xa9llo \xe2\x86\x92", "FOO", "again",
        NULL
    };
    static const char *const expected[] = {
        "UA_SPECIAL", "yes", "SCRIPT_URL", "/",
        "SCRIPT_URI", "http://127.0.0.1:8080/", "FOO", "bar", "EMPTY", "",
        "UTF8", "h\xc3\xa9llo \xe2\x86\x92", "FOO", "again"
    };
    sh_envvars ev;
    apr_table_t *t;
    int i, ok;

    sh_env_build(p, table_of(p, none), NULL, 0, &ev);
    check(ev.value == NULL && ev.count == 0, "empty environment: no header");
    sh_env_build(p, table_of(p, only_skipped), NULL, 0, &ev);
    check(ev.value && *ev.value == '\0' && ev.count == 0,
          "only SCRIPT_NAME/PATH_INFO: header with an empty value");

    t = table_of(p, spec);
    sh_env_build(p, t, NULL, 0, &ev);
    check(ev.value && ev.count == 7
          && pairs_equal(p, ev.value, expected, 7),
          "table order, duplicates kept, UTF-8 and empty values byte-exact");
    check(strlen(ev.value) == ev.value_len
          && ev.value_len == sh_env_encoded_len(t, NULL),
          "encoded_len predicts the value's length");

    /* A NULL value (possible with apr_table_setn) encodes as empty. */
    t = apr_table_make(p, 2);
    apr_table_setn(t, "NULLVAL", NULL);
    sh_env_build(p, t, NULL, 0, &ev);
    {
        static const char *const nv[] = { "NULLVAL", "" };
        check(ev.value && pairs_equal(p, ev.value, nv, 1), "NULL value");
    }

    /* More variables than fit on the stack. */
    t = apr_table_make(p, 200);
    for (i = 0; i < 200; i++) {
        apr_table_addn(t, apr_psprintf(p, "V%03d", i), apr_psprintf(p, "%d", i * 7));
    }
    sh_env_build(p, t, NULL, 0, &ev);
    {
        const char **kv = apr_palloc(p, 400 * sizeof(char *));
        for (i = 0; i < 200; i++) {
            kv[2 * i] = apr_psprintf(p, "V%03d", i);
            kv[2 * i + 1] = apr_psprintf(p, "%d", i * 7);
        }
        check(ev.count == 200 && pairs_equal(p, ev.value, kv, 200),
              "200 variables, in order");
    }

    /* Names and values of every length up to 40 (each copied with its NUL
     * by overlapping moves of 1, 4, 8 bytes or by memcpy), byte-exact. */
    ok = 1;
    for (i = 1; i <= 40; i++) {
        int v;

        for (v = 0; v <= 40; v++) {
            char *key = apr_palloc(p, i + 1), *val = apr_palloc(p, v + 1);
            char *want, *raw;
            int k, len;

            for (k = 0; k < i; k++) {
                key[k] = (char)('A' + (k * 7 + i) % 26);
            }
            key[i] = '\0';
            for (k = 0; k < v; k++) {
                val[k] = (char)(0x80 + (k * 13 + v) % 127);
            }
            val[v] = '\0';
            t = apr_table_make(p, 2);
            apr_table_addn(t, key, val);
            apr_table_addn(t, "Z", "z");
            sh_env_build(p, t, NULL, 0, &ev);
            want = apr_palloc(p, i + v + 6);
            memcpy(want, key, i + 1);
            memcpy(want + i + 1, val, v + 1);
            memcpy(want + i + v + 2, "Z\0z", 4);
            raw = decode(p, ev.value, &len);
            if (len != i + v + 6 || memcmp(raw, want, len)) {
                ok = 0;
            }
        }
    }
    check(ok, "names of 1 to 40 bytes, values of 0 to 40, byte-exact");

    /* Around 8 KiB, where sh_env_build stops serialising on the stack,
     * and far past it: the same bytes either way. */
    ok = 1;
    for (i = 8150; i <= 8250 || i == 8251; i++) {
        int total = i == 8251 ? 40000 : i, len, vlen;
        char *val, *raw, *want;

        /* "A" NUL value NUL "SCRIPT_NAME" NUL "/x" NUL "B" NUL "b" NUL */
        vlen = total - 2 - 1 - 4;
        val = memset(apr_pcalloc(p, vlen + 1), 'v', vlen);
        t = apr_table_make(p, 4);
        apr_table_addn(t, "A", val);
        apr_table_addn(t, "SCRIPT_NAME", "/x");
        apr_table_addn(t, "B", "b");
        sh_env_build(p, t, NULL, 0, &ev);
        want = apr_palloc(p, total);
        memcpy(want, "A", 2);
        memcpy(want + 2, val, vlen + 1);
        memcpy(want + 3 + vlen, "B\0b", 4);
        raw = ev.value ? decode(p, ev.value, &len) : NULL;
        if (!raw || len != total || memcmp(raw, want, total)
            || ev.count != 2 || ev.raw_len != (apr_size_t)total
            || strlen(ev.value) != ev.value_len
            || ev.value_len != sh_base64_len(total)) {
            ok = 0;
        }
    }
    check(ok, "8,150 to 8,250 and 40,000 bytes of environment byte-exact");

    /* Room before the value, for the caller's text: the same value, and
     * the room the caller's own, on both paths and for an empty value. */
    {
        static const char *const few[] = { "A", "1", "B", "22", NULL };
        static const char *const skipped[] = { "PATH_INFO", "/p", NULL };
        const char *const *tables[] = { spec, few, skipped };
        sh_envvars plain, roomy;
        unsigned k;

        ok = 1;
        for (k = 0; k < 3; k++) {
            apr_size_t ceiling;

            for (ceiling = 0; ceiling <= 40; ceiling += 40) {
                t = table_of(p, tables[k]);
                sh_env_build(p, t, NULL, ceiling, &plain);
                sh_env_build_room(p, t, NULL, ceiling, 37, &roomy);
                memset((char *)roomy.value - 37, '#', 37);
                if (strcmp(plain.value, roomy.value)
                    || plain.value_len != roomy.value_len
                    || plain.count != roomy.count
                    || plain.omitted_count != roomy.omitted_count) {
                    ok = 0;
                }
            }
        }
        check(ok, "room before the value leaves the value as it is");
    }

    /* The ceiling: largest go first, order of the rest kept. */
    t = apr_table_make(p, 8);
    apr_table_addn(t, "SMALL1", "a");
    apr_table_addn(t, "BIG1", apr_pstrcat(p, "", memset(apr_pcalloc(p, 3001), 'x', 3000), NULL));
    apr_table_addn(t, "SMALL2", "b");
    apr_table_addn(t, "BIG2", apr_pstrcat(p, "", memset(apr_pcalloc(p, 2001), 'y', 2000), NULL));
    apr_table_addn(t, "MID", apr_pstrcat(p, "", memset(apr_pcalloc(p, 201), 'z', 200), NULL));
    sh_env_build(p, t, NULL, 1000, &ev);
    {
        static const char *const left[] = { "SMALL1", "a", "SMALL2", "b" };
        ok = ev.omitted_count == 2 && !strcmp(ev.omitted[0], "BIG1")
             && !strcmp(ev.omitted[1], "BIG2") && ev.omitted[2] == NULL
             && ev.value_len <= 1000 && ev.count == 3;
        check(ok, "ceiling drops the two largest, named in table order");
        ok = ev.value && ev.count == 3;
        if (ok) {
            int len;
            char *raw = decode(p, ev.value, &len);
            ok = len == (int)ev.raw_len && !memcmp(raw, "SMALL1\0a\0SMALL2\0b\0MID\0", 22);
        }
        (void)left;
        check(ok, "what remains keeps table order");
    }
    sh_env_build(p, t, NULL, 8, &ev);
    check(ev.value && *ev.value == '\0' && ev.omitted_count == 5,
          "a ceiling below any variable sends an empty value, names all");
    sh_env_build(p, t, NULL, 100000, &ev);
    check(ev.omitted_count == 0 && ev.count == 5, "a ceiling not reached");
}

int main(void)
{
    apr_pool_t *p;
    int status;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_names(p);
    test_strip(p);
    test_base64(p);
    test_patterns(p);
    test_filter(p);
    test_envvars(p);
    status = tap_done();
    apr_pool_destroy(p);
    apr_terminate();
    return status;
}
