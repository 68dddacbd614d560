/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Unit tests for sh_derive.c: HKDF-SHA256 against RFC 5869's own test
 * vectors (A.1-A.3), the derived-key vectors of docs/derived-keys.md, the
 * backend identity of the URLs mod_proxy sends to, the per-process cache
 * and the printable request target. One TAP line per check;
 * tests/unit.test.js runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"
#include "sh_derive.h"

static apr_size_t unhex(const char *h, unsigned char *out)
{
    apr_size_t n = 0;

    for (; h[0] && h[1]; h += 2) {
        char b[3] = { h[0], h[1], 0 };
        out[n++] = (unsigned char)strtoul(b, NULL, 16);
    }
    return n;
}

static int same_hex(const unsigned char *b, apr_size_t n, const char *hex)
{
    unsigned char want[512];

    return unhex(hex, want) == n && memcmp(b, want, n) == 0;
}

/* RFC 5869 appendix A, the SHA-256 cases. */
static void rfc5869(void)
{
    static const struct {
        const char *ikm, *salt, *info, *okm;
        apr_size_t len;
        const char *what;
    } v[] = {
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
          "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865", 42, "RFC 5869 A.1 (basic)" },
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
          "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
          "404142434445464748494a4b4c4d4e4f",
          "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
          "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
          "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
          "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
          "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
          "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
          "cc30c58179ec3e87c14c01d5c1f3434f1d87", 82,
          "RFC 5869 A.2 (long inputs, 82 bytes out)" },
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
          "9d201395faa4b61a96c8", 42, "RFC 5869 A.3 (no salt, no info)" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        unsigned char ikm[128], salt[128], info[128], okm[128];
        apr_size_t ni = unhex(v[i].ikm, ikm), ns = unhex(v[i].salt, salt);
        apr_size_t nf = unhex(v[i].info, info);

        check(sh_hkdf_sha256(ns ? salt : NULL, ns, ikm, ni, info, nf, okm,
                             v[i].len)
              && same_hex(okm, v[i].len, v[i].okm), v[i].what);
    }
    {
        unsigned char okm[1];
        static unsigned char big[255 * 32 + 1];

        check(!sh_hkdf_sha256(NULL, 0, okm, 1, NULL, 0, big, sizeof(big)),
              "HKDF refuses more than 255 blocks of output");
    }
}

/* docs/derived-keys.md: master = bytes 00..1f. */
static void vectors(apr_pool_t *p)
{
    static const struct {
        const char *url, *id, *key;
    } v[] = {
        { "http://10.0.0.5:3000", "http://10.0.0.5:3000",
          "06d16799707976d73e5cf268480abc0e5961d86a875517dad3a45519b40b9871" },
        { "https://App.Internal/", "https://app.internal:443",
          "2d8c98fa77883ec15b43646bbc5dc424d3dc2cf45c5582eade0ef7d702973a4f" },
        { "unix:/run/app.sock|http://localhost/", "unix:/run/app.sock",
          "f440a3d53a36208603685c4ca64577d4b3055787f48ccbd8d9e42a07f081ca51" },
    };
    unsigned char master[32], raw[SH_DERIVE_KEY_LEN], hk[SH_DERIVE_KEY_LEN];
    sh_derive *d;
    apr_size_t i;
    int j;

    for (j = 0; j < 32; j++) {
        master[j] = (unsigned char)j;
    }
    check(sh_derive_create(p, "k", master, 32, 2, &d) == NULL,
          "a 32-byte master makes a derivation");
    check(sh_derive_create(p, "k", master, 31, 2, &d) != NULL,
          "a 31-byte master is refused");
    check(sh_derive_create(p, "k\"", master, 32, 2, &d) != NULL,
          "a key id that a structured field cannot carry is refused");
    sh_derive_create(p, "backend-key", master, 32, 2, &d);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char id[SH_DERIVE_ID_MAX];
        apr_size_t n = sh_derive_identity(v[i].url, NULL, id, sizeof(id));

        check(n == strlen(v[i].id) && !strcmp(id, v[i].id),
              apr_psprintf(p, "identity of %s is %s", v[i].url, v[i].id));
        check(sh_derive_raw(d, id, n, raw)
              && same_hex(raw, sizeof(raw), v[i].key),
              apr_psprintf(p, "derived key for %s (docs vector)", v[i].id));
        check(sh_hkdf_sha256((const unsigned char *)SH_DERIVE_SALT,
                             strlen(SH_DERIVE_SALT), master, 32,
                             (const unsigned char *)id, n, hk, sizeof(hk))
              && !memcmp(hk, raw, sizeof(raw)),
              apr_psprintf(p, "the kept PRK gives full HKDF's key for %s",
                           v[i].id));
    }
}

static void identities(apr_pool_t *p)
{
    static const struct {
        const char *url, *uds, *id;
    } v[] = {
        { "http://10.0.0.5:3000/some/path?q=1", NULL, "http://10.0.0.5:3000" },
        { "HTTP://Backend.Example:8080", NULL, "http://backend.example:8080" },
        { "http://backend", NULL, "http://backend:80" },
        { "http://backend:", NULL, "http://backend:80" },
        { "https://backend/x", NULL, "https://backend:443" },
        { "ws://backend:3000/socket", NULL, "http://backend:3000" },
        { "wss://backend/socket", NULL, "https://backend:443" },
        { "http://user:pw@backend:81/", NULL, "http://backend:81" },
        { "http://[2001:DB8::1]:3000/", NULL, "http://[2001:db8::1]:3000" },
        { "http://[::1]/", NULL, "http://[::1]:80" },
        { "http://localhost/x", "/run/app.sock", "unix:/run/app.sock" },
        { "unix:/run/a.sock|http://localhost/", NULL, "unix:/run/a.sock" },
        { "h2c://backend:3000/", NULL, NULL },
        { "fcgi://backend:9000/", NULL, NULL },
        { "balancer://cluster/", NULL, NULL },
        { "http://backend:0/", NULL, NULL },
        { "http://backend:65536/", NULL, NULL },
        { "http://backend:80x/", NULL, NULL },
        { "http://[::1/", NULL, NULL },
        { "http:///path", NULL, NULL },
        { "unix:|http://localhost/", NULL, NULL },
        { "backend:3000", NULL, NULL },
    };
    apr_size_t i;
    char small[12];

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char id[SH_DERIVE_ID_MAX];
        apr_size_t n = sh_derive_identity(v[i].url, v[i].uds, id, sizeof(id));

        if (v[i].id) {
            check(n == strlen(v[i].id) && !strcmp(id, v[i].id),
                  apr_psprintf(p, "identity of %s%s%s is %s", v[i].url,
                               v[i].uds ? " via " : "",
                               v[i].uds ? v[i].uds : "", v[i].id));
        }
        else {
            check(n == 0, apr_psprintf(p, "%s names no backend", v[i].url));
        }
    }
    check(sh_derive_identity("http://backend.example:3000", NULL, small,
                             sizeof(small)) == 0,
          "an identity that does not fit the buffer is refused");
    {
        char exact[15], one_less[14];

        check(sh_derive_identity("http://Host/", NULL, exact, sizeof(exact))
              == 14 && !strcmp(exact, "http://host:80")
              && sh_derive_identity("http://Host/", NULL, one_less,
                                    sizeof(one_less)) == 0,
              "a buffer of exactly the identity and its NUL is enough");
    }
}

static void cache(apr_pool_t *p)
{
    unsigned char master[40], raw[SH_DERIVE_KEY_LEN];
    const sh_key *a, *a2, *b, *c, *c2;
    sh_derive *d;
    unsigned char sig1[SH_SIG_MAX], sig2[SH_SIG_MAX];
    sh_key *plain;
    apr_size_t n1, n2;

    memset(master, 0x42, sizeof(master));
    sh_derive_create(p, "kid", master, sizeof(master), 2, &d);
    a = sh_derive_key(d, p, "http://a:80", 11);
    a2 = sh_derive_key(d, p, "http://a:80", 11);
    b = sh_derive_key(d, p, "http://b:80", 11);
    check(a && a == a2 && sh_derive_cached(d) == 2,
          "a backend's key is derived once and then kept");
    check(b && b != a && !strcmp(a->keyid, "kid")
          && a->alg == SH_ALG_HMAC_SHA256 && a->can_sign,
          "derived keys are hmac-sha256 keys under the configured key id");
    check(sh_derive_key_for_url(d, p, "HTTP://A/x?y", NULL) == a
          && sh_derive_key_for_url(d, p, "http://a:80/z", NULL) == a
          && sh_derive_key_for_url(d, p, "HTTP://A/other", NULL) == a,
          "by URL: the same kept key for every spelling of a backend");
    check(sh_derive_key_for_url(d, p, "h2c://a/", NULL) == NULL
          && sh_derive_key_for_url(d, p, "balancer://a/", NULL) == NULL,
          "by URL: no key for a URL that names no backend");
    c = sh_derive_key(d, p, "http://c:80", 11);
    c2 = sh_derive_key(d, p, "http://c:80", 11);
    check(c && c2 && c != c2 && sh_derive_cached(d) == 2,
          "past the cache's size a key is derived per call, not kept");
    /* The derived key signs as the plain hmac-sha256 key of its bytes. */
    sh_derive_raw(d, "http://a:80", 11, raw);
    sh_key_from_bytes(p, "kid", SH_ALG_HMAC_SHA256, raw, sizeof(raw), 1,
                      &plain);
    n1 = sh_key_sign(a, "base", 4, sig1);
    n2 = sh_key_sign(plain, "base", 4, sig2);
    check(n1 == 32 && n1 == n2 && !memcmp(sig1, sig2, n1),
          "a derived key signs as the plain key of its bytes");
    n2 = sh_key_sign(b, "base", 4, sig2);
    check(n2 == 32 && memcmp(sig1, sig2, 32) != 0,
          "two backends' keys sign differently");
}

static void printable(apr_pool_t *p)
{
    static const struct {
        const char *in, *out;
    } v[] = {
        { "a=1&b=2", NULL },
        { "q=caf\xc3\xa9", "q=caf%C3%A9" },
        { "q=\x80\xff", "q=%80%FF" },
        { "a\tb\x7f", "a%09b%7F" },
        { "q=%C3%A9", NULL },
        { "proxy:http://h:1/p\xe9?x=\xe9", "proxy:http://h:1/p%E9?x=%E9" },
        { "", NULL },
        { "0123456789abcdef0123456789abcdef~!", NULL },
        { "01234567\x7f", "01234567%7F" },
        { "0123456789abcdef 01", "0123456789abcdef%2001" },
        { "0123456789abcdef0123\x01", "0123456789abcdef0123%01" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int changed = -1;
        const char *got = sh_target_printable(p, v[i].in, &changed);

        if (v[i].out) {
            check(changed == 1 && !strcmp(got, v[i].out),
                  apr_psprintf(p, "printable target: %s", v[i].out));
        }
        else {
            check(changed == 0 && got == v[i].in,
                  apr_psprintf(p, "printable target '%s' left as it is (no "
                               "copy)", v[i].in));
        }
    }
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    rfc5869();
    vectors(p);
    identities(p);
    cache(p);
    printable(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
