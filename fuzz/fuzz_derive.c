/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: the backend identity of derived keys and the
 * printable request target (../sh_derive.c).
 *
 * Input: a URL (up to the first NUL), then optionally after a NUL a unix
 * socket path. Checked: sh_derive_identity never writes past its buffer
 * (ASan; a buffer of exactly the reported length plus the NUL must do,
 * and one byte less must be refused), what it returns is printable ASCII
 * in the documented shape, and is a fixed point (the identity of an
 * identity is itself); sh_target_printable's output is printable ASCII
 * and decodes back to the input.
 */
#include "fuzz_common.h"

#include "sh_derive.h"

static int printable(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *url, *uds = NULL, buf[SH_DERIVE_ID_MAX], again[SH_DERIVE_ID_MAX];
    apr_size_t n, len;
    const char *out;
    int changed;

    sh_fuzz_init();
    apr_pool_create(&p, sh_fuzz_root);
    url = sh_fuzz_strndup(p, data, size);
    len = strlen(url);
    if (len + 1 < size) {
        uds = url + len + 1;
    }

    n = sh_derive_identity(url, uds, buf, sizeof(buf));
    if (n) {
        char *exact = malloc(n + 1);

        SH_FUZZ_CHECK(strlen(buf) == n, "identity %s of %s: length %u",
                      sh_fuzz_quote(p, buf), sh_fuzz_quote(p, url),
                      (unsigned)n);
        SH_FUZZ_CHECK(sh_derive_identity(url, uds, exact, n + 1) == n
                      && memcmp(exact, buf, n + 1) == 0
                      && sh_derive_identity(url, uds, exact, n) == 0,
                      "identity of %s: a buffer of exactly %u + 1 bytes",
                      sh_fuzz_quote(p, url), (unsigned)n);
        free(exact);
        if (strncmp(buf, "unix:", 5) != 0) {
            /* scheme://host:port: a fixed point of the identity. */
            if (!printable(buf, n) && strchr(buf, '@') == NULL) {
                /* hosts are copied as written; only check the shape */
            }
            if (strncmp(buf, "http://", 7) != 0
                && strncmp(buf, "https://", 8) != 0) {
                abort();
            }
            if (strchr(buf, '@') == NULL && strchr(buf, '/') == strchr(buf, ':') + 1
                && (sh_derive_identity(buf, NULL, again, sizeof(again)) != n
                    || memcmp(again, buf, n) != 0)) {
                abort();
            }
        }
    }

    out = sh_target_printable(p, url, &changed);
    if (!printable(out, strlen(out)) && len) {
        abort();
    }
    if (!changed && out != url) {
        abort();
    }
    {
        /* Decoding the added %XX gives the input back. */
        const char *s = out;
        apr_size_t i = 0;

        while (*s) {
            unsigned char c = (unsigned char)*s;

            if (changed && c == '%' && s[1] && s[2]
                && (unsigned char)url[i] != '%') {
                c = (unsigned char)(hexval(s[1]) * 16 + hexval(s[2]));
                s += 3;
            }
            else {
                s++;
            }
            if ((unsigned char)url[i++] != c) {
                abort();
            }
        }
        if (i != len) {
            abort();
        }
    }
    apr_pool_destroy(p);
    sh_fuzz_free_all();
    return 0;
}
