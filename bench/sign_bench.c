/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Microbenchmark of what signing adds to one request (docs/signing.md): the
 * module's own signing path (nonce, signature parameters, base, signature,
 * base64), per algorithm, over the components of a typical small request,
 * and the alternatives measured against it (OpenSSL's one-shot HMAC(), a
 * pre-keyed EVP_MAC_CTX duplicated per request, RAND_bytes per nonce).
 *
 *   sign_bench [iterations] [only]
 *
 * Prints nanoseconds per operation (best of 5 runs of "iterations") for
 * each case; "only" runs one case "iterations" times and prints nothing
 * else, for callgrind (bench/signing.js, run by `BENCH_ONLY=sign bench/run`
 * or `make -f Makefile.apxs bench-sign`, counts instructions per operation
 * as the difference of two iteration counts).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "sh_base64.h"
#include "sh_keys.h"
#include "sh_nonce.h"
#include "sh_sigbase.h"

static apr_pool_t *root, *req;
static sh_component comps[9];
static int ncomps;
static volatile unsigned sink;

/* A request with the small environment of bench/run (five SetEnv): what
 * the module covers for it. */
static void setup_components(void)
{
    static const char envvars[] =
        "QVBQX0VOVgBwcm9kdWN0aW9uAEFQUF9OQU1FAGJlbmNoLWFwcABERVBMT1lfUkVHSU9OA"
        "GV1LXdlc3QtMQBGRUFUVVJFX0ZMQUdTAHNlYXJjaCxjaGVja291dCxiZXRhLXVpAFJFTE"
        "VBU0UAMjAyNC4xMS4yNC0xAA==";
    static const char *const kv[][2] = {
        { "@method", "GET" },
        { "@authority", "127.0.0.1:3000" },
        { "@path", "/bench/item" },
        { "@query", "?id=42" },
        { "!~passenger-client-address", "127.0.0.1" },
        { "!~passenger-envvars", envvars },
    };
    int i;

    for (i = 0; i < 6; i++) {
        comps[i].name = kv[i][0];
        comps[i].name_len = strlen(kv[i][0]);
        comps[i].value = kv[i][1];
        comps[i].value_len = strlen(kv[i][1]);
    }
    ncomps = 6;
}

/* The module's path, as sh_sign_components in sh_outbound.c runs
 * it for a request: all of it, from the nonce to the header values. */
static void module_sign(const sh_key *key)
{
    char nonce[SH_NONCE_LEN + 1];
    const char *input, *value;

    if (!sh_nonce_new(nonce)
        || !sh_sig_sign(req, key, comps, ncomps, 1764600000, 1764600060,
                        nonce, NULL, SH_SIG_LABEL "=", SH_SIG_LABEL "=",
                        &input, &value)) {
        abort();
    }
    sink += (unsigned)(input[0] + value[0]);
    apr_pool_clear(req);
}

static unsigned char hmac_secret[32];
static EVP_MAC_CTX *mac_template;
static char *fixed_base;
static apr_size_t fixed_base_len;

static void oneshot_hmac(void)
{
    unsigned char out[32];
    unsigned int n = 0;

    HMAC(EVP_sha256(), hmac_secret, 32, (const unsigned char *)fixed_base,
         fixed_base_len, out, &n);
    sink += out[0];
}

static void evp_mac_dup(void)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(mac_template);
    unsigned char out[32];
    size_t n = 0;

    if (c == NULL || !EVP_MAC_update(c, (const unsigned char *)fixed_base,
                                     fixed_base_len)
        || !EVP_MAC_final(c, out, &n, sizeof(out))) {
        abort();
    }
    EVP_MAC_CTX_free(c);
    sink += out[0];
}

static const sh_key *hmac_key;

static void pads_hmac(void)
{
    unsigned char out[SH_SIG_MAX];

    sink += (unsigned)sh_key_sign(hmac_key, fixed_base, fixed_base_len, out);
}

static void rand_each(void)
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        abort();
    }
    sink += b[0];
}

static void nonce_batched(void)
{
    char n[SH_NONCE_LEN + 1];

    if (!sh_nonce_new(n)) {
        abort();
    }
    sink += (unsigned)n[0];
}

static void base_only(void)
{
    char nonce[] = "AAAAAAAAAAAAAAAAAAAAAA";
    apr_size_t plen, blen;
    char *params = sh_sig_params(req, comps, ncomps, 1764600000, 1764600060,
                                 nonce, NULL, hmac_key, &plen);
    char *base = sh_sig_base(req, comps, ncomps, params, plen, &blen);

    sink += (unsigned)base[0];
    apr_pool_clear(req);
}

static const sh_key *keys[3];

static void sign_hmac(void) { module_sign(keys[0]); }
static void sign_ed25519(void) { module_sign(keys[1]); }
static void sign_ecdsa(void) { module_sign(keys[2]); }

static const struct {
    const char *name;
    void (*fn)(void);
    const char *what;
} cases[] = {
    { "sign-hmac", sign_hmac, "module path, hmac-sha256" },
    { "sign-ed25519", sign_ed25519, "module path, ed25519" },
    { "sign-ecdsa", sign_ecdsa, "module path, ecdsa-p256-sha256" },
    { "base", base_only, "parameters and base only (no crypto, no nonce)" },
    { "hmac-pads", pads_hmac, "HMAC-SHA256 from precomputed pads (the module's)" },
    { "hmac-evp-mac-dup", evp_mac_dup, "pre-keyed EVP_MAC_CTX, duplicated per request" },
    { "hmac-oneshot", oneshot_hmac, "OpenSSL one-shot HMAC()" },
    { "nonce-batched", nonce_batched, "sh_nonce_new (RAND_bytes once per 64)" },
    { "nonce-rand-each", rand_each, "RAND_bytes(16) per nonce" },
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const sh_key *make_key(sh_alg alg)
{
    sh_key *key;
    const char *err;

    if (alg == SH_ALG_HMAC_SHA256) {
        err = sh_key_from_bytes(root, "bench-hmac", alg, hmac_secret, 32, 1,
                                &key);
    }
    else {
        EVP_PKEY *k = alg == SH_ALG_ED25519
                      ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        long n;

        PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
        n = BIO_get_mem_data(bio, &pem);
        err = sh_key_from_bytes(root, alg == SH_ALG_ED25519 ? "bench-ed"
                                                            : "bench-ec",
                                alg, (unsigned char *)pem, (apr_size_t)n, 1,
                                &key);
        BIO_free(bio);
        EVP_PKEY_free(k);
    }
    if (err) {
        fprintf(stderr, "key: %s\n", err);
        exit(1);
    }
    return key;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    const char *only = argc > 2 ? argv[2] : NULL;
    OSSL_PARAM params[2];
    EVP_MAC *mac;
    apr_size_t plen;
    char *p;
    size_t c;

    apr_initialize();
    apr_pool_create(&root, NULL);
    apr_pool_create(&req, root);
    setup_components();
    RAND_bytes(hmac_secret, sizeof(hmac_secret));
    keys[0] = hmac_key = make_key(SH_ALG_HMAC_SHA256);
    keys[1] = make_key(SH_ALG_ED25519);
    keys[2] = make_key(SH_ALG_ECDSA_P256_SHA256);
    p = sh_sig_params(root, comps, ncomps, 1764600000, 1764600060,
                      "AAAAAAAAAAAAAAAAAAAAAA", NULL, hmac_key, &plen);
    fixed_base = sh_sig_base(root, comps, ncomps, p, plen, &fixed_base_len);
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    mac_template = EVP_MAC_CTX_new(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(mac_template, hmac_secret, 32, params)) {
        return 1;
    }

    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        double best = 0;
        long i;
        int run;

        if (only && strcmp(only, cases[c].name)) {
            continue;
        }
        if (only) {
            for (i = 0; i < iterations; i++) {
                cases[c].fn();
            }
            continue;
        }
        for (run = 0; run < 5; run++) {
            double t0 = now_ns(), t;

            for (i = 0; i < iterations; i++) {
                cases[c].fn();
            }
            t = (now_ns() - t0) / iterations;
            if (run == 0 || t < best) {
                best = t;
            }
        }
        printf("%-18s %9.0f ns  %s\n", cases[c].name, best, cases[c].what);
    }
    if (!only) {
        printf("# base: %zu bytes; %ld iterations, best of 5\n",
               (size_t)fixed_base_len, iterations);
    }
    EVP_MAC_CTX_free(mac_template);
    EVP_MAC_free(mac);
    apr_pool_destroy(root);
    apr_terminate();
    return sink == 42 ? 2 : 0;
}
