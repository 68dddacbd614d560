/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Unit tests for the signature units (sh_keys.c, sh_nonce.c, sh_sf.c,
 * sh_sigbase.c, sh_replay.c): RFC 9421's own test vectors (appendix B.2.4,
 * B.2.5, B.2.6), the structured-field parsing, keys, nonces and the
 * replay cache. One TAP line per check; tests/unit.test.js runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "apr_general.h"
#include "apr_base64.h"
#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_uri.h"

#include "sh_base64.h"
#include "sh_keys.h"
#include "sh_nonce.h"
#include "sh_replay.h"
#include "sh_sf.h"
#include "sh_sigbase.h"
#include "tap.h"


static sh_component comp(const char *name, const char *value)
{
    sh_component c;

    c.name = name;
    c.name_len = strlen(name);
    c.value = value;
    c.value_len = value ? strlen(value) : 0;
    return c;
}

static const char *b64(apr_pool_t *p, const unsigned char *b, apr_size_t n)
{
    char *out = apr_palloc(p, sh_base64_len(n) + 1);

    *sh_base64_encode(out, b, n) = '\0';
    return out;
}

static apr_size_t unb64(const char *text, unsigned char *out, apr_size_t max)
{
    long n = sh_base64_decode(out, max, text, strlen(text));

    return n < 0 ? 0 : (apr_size_t)n;
}

/* RFC 9421 appendix B.1.4 and B.1.5, and B.1.3's public key. */
static const char rfc_shared_secret_b64[] =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6p"
    "cl8jsasjlTMtDQ==";
static const char rfc_ed25519_private[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
    "-----END PRIVATE KEY-----\n";
static const char rfc_ed25519_public[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    "-----END PUBLIC KEY-----\n";
static const char rfc_p256_public[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf\n"
    "w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==\n"
    "-----END PUBLIC KEY-----\n";

static void test_rfc_b25_hmac(apr_pool_t *p)
{
    static const char want_base[] =
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
        "\"@authority\": example.com\n"
        "\"content-type\": application/json\n"
        "\"@signature-params\": (\"date\" \"@authority\" \"content-type\")"
        ";created=1618884473;keyid=\"test-shared-secret\"";
    static const char params[] =
        "(\"date\" \"@authority\" \"content-type\");created=1618884473"
        ";keyid=\"test-shared-secret\"";
    sh_component c[3];
    unsigned char secret[64], sig[SH_SIG_MAX];
    apr_size_t slen = unb64(rfc_shared_secret_b64, secret, sizeof(secret));
    apr_size_t blen, n;
    const char *err;
    sh_key *key = NULL;
    char *base;
    sh_sig_input in;

    c[0] = comp("date", "Tue, 20 Apr 2021 02:07:55 GMT");
    c[1] = comp("@authority", "example.com");
    c[2] = comp("content-type", "application/json");
    base = sh_sig_base(p, c, 3, params, strlen(params), &blen);
    check(base && blen == strlen(want_base) && !strcmp(base, want_base),
          "B.2.5: signature base byte for byte");
    err = sh_key_from_bytes(p, "test-shared-secret", SH_ALG_HMAC_SHA256,
                            secret, slen, 1, &key);
    check(err == NULL && slen == 64, "B.2.5: the 64-byte shared secret loads");
    n = key ? sh_key_sign(key, base, blen, sig) : 0;
    check(n == 32 && !strcmp(b64(p, sig, n),
                             "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8="),
          "B.2.5: hmac-sha256 signature equals the RFC's");
    check(key && sh_key_verify(key, base, blen, sig, n), "B.2.5: verifies");
    sig[0] ^= 1;
    check(key && !sh_key_verify(key, base, blen, sig, n),
          "B.2.5: one flipped bit does not verify");
    check(key && !sh_key_verify(key, base, blen - 1, sig, n),
          "B.2.5: a shortened base does not verify");
    check(sh_sig_input_parse(p, params, strlen(params), &in) == NULL
          && in.count == 3 && !strcmp(in.components[1].name, "@authority")
          && in.has_created && in.created == 1618884473
          && !strcmp(in.keyid, "test-shared-secret") && !in.has_expires
          && in.nonce == NULL,
          "B.2.5: its Signature-Input member parses");
}

static void test_rfc_b26_ed25519(apr_pool_t *p)
{
    static const char params[] =
        "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
        "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
    static const char want_sig[] =
        "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0"
        "w6vuQv5lIp5WPpBKRCw==";
    sh_component c[6];
    unsigned char sig[SH_SIG_MAX];
    apr_size_t blen, n;
    sh_key *priv = NULL, *pub = NULL;
    char *base;
    const char *err;

    c[0] = comp("date", "Tue, 20 Apr 2021 02:07:55 GMT");
    c[1] = comp("@method", "POST");
    c[2] = comp("@path", "/foo");
    c[3] = comp("@authority", "example.com");
    c[4] = comp("content-type", "application/json");
    c[5] = comp("content-length", "18");
    base = sh_sig_base(p, c, 6, params, strlen(params), &blen);
    err = sh_key_from_bytes(p, "test-key-ed25519", SH_ALG_ED25519,
                            (const unsigned char *)rfc_ed25519_private,
                            strlen(rfc_ed25519_private), 1, &priv);
    check(err == NULL && priv->can_sign, "B.2.6: the private key loads");
    n = priv ? sh_key_sign(priv, base, blen, sig) : 0;
    check(n == 64 && !strcmp(b64(p, sig, n), want_sig),
          "B.2.6: ed25519 signature equals the RFC's");
    err = sh_key_from_bytes(p, "test-key-ed25519", SH_ALG_ED25519,
                            (const unsigned char *)rfc_ed25519_public,
                            strlen(rfc_ed25519_public), 0, &pub);
    check(err == NULL && !pub->can_sign,
          "B.2.6: the public key loads, and cannot sign");
    n = unb64(want_sig, sig, sizeof(sig));
    check(pub && sh_key_verify(pub, base, blen, sig, n),
          "B.2.6: the RFC's signature verifies with the public key");
    check(priv && sh_key_verify(priv, base, blen, sig, n),
          "B.2.6: and with the private key");
    sig[10] ^= 0x80;
    check(pub && !sh_key_verify(pub, base, blen, sig, n),
          "B.2.6: a flipped bit does not verify");
    check(pub && sh_key_sign(pub, base, blen, sig) == 0,
          "B.2.6: signing with a public key fails");
}

static void test_rfc_b24_ecdsa(apr_pool_t *p)
{
    static const char params[] =
        "(\"@status\" \"content-type\" \"content-digest\" \"content-length\")"
        ";created=1618884473;keyid=\"test-key-ecc-p256\"";
    static const char sig_b64[] =
        "wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5e"
        "CdlYUEkLIj+32oiasw==";
    sh_component c[4];
    unsigned char sig[SH_SIG_MAX];
    apr_size_t blen, n;
    sh_key *pub = NULL;
    char *base;

    c[0] = comp("@status", "200");
    c[1] = comp("content-type", "application/json");
    c[2] = comp("content-digest", "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYh"
                "vlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:");
    c[3] = comp("content-length", "23");
    base = sh_sig_base(p, c, 4, params, strlen(params), &blen);
    check(sh_key_from_bytes(p, "test-key-ecc-p256", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)rfc_p256_public,
                            strlen(rfc_p256_public), 0, &pub) == NULL,
          "B.2.4: the P-256 public key loads");
    n = unb64(sig_b64, sig, sizeof(sig));
    check(n == 64 && pub && sh_key_verify(pub, base, blen, sig, n),
          "B.2.4: the RFC's r||s ecdsa-p256-sha256 signature verifies");
    sig[63] ^= 1;
    check(pub && !sh_key_verify(pub, base, blen, sig, n),
          "B.2.4: a flipped bit does not verify");
}

static char *pem_of(apr_pool_t *p, EVP_PKEY *k, int private_part)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    if (private_part) {
        PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
    }
    else {
        PEM_write_bio_PUBKEY(bio, k);
    }
    n = BIO_get_mem_data(bio, &data);
    out = apr_pstrmemdup(p, data, n);
    BIO_free(bio);
    return out;
}

static void test_ecdsa_roundtrip(apr_pool_t *p)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    const char *priv_pem = pem_of(p, k, 1), *pub_pem = pem_of(p, k, 0);
    sh_key *priv = NULL, *pub = NULL, *other = NULL;
    unsigned char sig[SH_SIG_MAX], sig2[SH_SIG_MAX];
    apr_size_t n, n2;
    const char *err;
    int i, all = 1;

    check(sh_key_from_bytes(p, "p256", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)priv_pem, strlen(priv_pem),
                            1, &priv) == NULL, "ecdsa: a P-256 private key");
    check(sh_key_from_bytes(p, "p256", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)pub_pem, strlen(pub_pem),
                            0, &pub) == NULL, "ecdsa: its public key");
    for (i = 0; i < 50 && priv && pub; i++) {
        n = sh_key_sign(priv, "message", 7, sig);
        all = all && n == 64 && sh_key_verify(pub, "message", 7, sig, n)
              && !sh_key_verify(pub, "messagE", 7, sig, n);
    }
    check(all, "ecdsa: 50 r||s signatures of 64 bytes verify, "
          "and not over another message");
    /* The DER to r||s conversion pads an r or s shorter than 32 bytes (its
     * DER INTEGER shorter too; one in 256 signatures each) and drops the
     * sign byte of one of 33: sign until both r and s have come short,
     * each signature verified by libcrypto's own conversion back. */
    {
        int short_r = 0, short_s = 0, long_int = 0;

        all = priv && pub;
        for (i = 0; i < 5000 && all && !(short_r && short_s); i++) {
            n = sh_key_sign(priv, "message", 7, sig);
            all = n == 64 && sh_key_verify(pub, "message", 7, sig, n);
            short_r |= sig[0] == 0;
            short_s |= sig[32] == 0;
            long_int |= (sig[0] & 0x80) || (sig[32] & 0x80);
        }
        check(all && short_r && short_s && long_int,
              "ecdsa: r||s with short and 33-byte DER integers verify");
    }
    n = sh_key_sign(priv, "m", 1, sig);
    n2 = sh_key_sign(priv, "m", 1, sig2);
    check(n == 64 && n2 == 64 && memcmp(sig, sig2, 64) != 0,
          "ecdsa: two signatures of one message differ (random k)");
    err = sh_key_from_bytes(p, "p384", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)pem_of(p, k384, 1),
                            strlen(pem_of(p, k384, 1)), 1, &other);
    check(err && strstr(err, "secp384r1"), "ecdsa: a P-384 key is refused");
    err = sh_key_from_bytes(p, "x", SH_ALG_ED25519,
                            (const unsigned char *)priv_pem, strlen(priv_pem),
                            1, &other);
    check(err && strstr(err, "not Ed25519"),
          "an EC key is refused for ed25519");
    err = sh_key_from_bytes(p, "x", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)rfc_ed25519_private,
                            strlen(rfc_ed25519_private), 1, &other);
    check(err && strstr(err, "not ECDSA P-256"),
          "an Ed25519 key is refused for ecdsa-p256-sha256");
    err = sh_key_from_bytes(p, "x", SH_ALG_ECDSA_P256_SHA256,
                            (const unsigned char *)pub_pem, strlen(pub_pem),
                            1, &other);
    check(err && strstr(err, "no PEM private key"),
          "a public key is refused where a private key is needed");
    err = sh_key_from_bytes(p, "x", SH_ALG_ED25519,
                            (const unsigned char *)"not a key", 9, 0, &other);
    check(err != NULL, "text that is no PEM key is refused");
    EVP_PKEY_free(k);
    EVP_PKEY_free(k384);
}

static void test_keys(apr_pool_t *p)
{
    static const unsigned char s31[31] = { 1 };
    sh_key *key = NULL, *a = NULL, *b = NULL;
    unsigned char sig[SH_SIG_MAX], long_secret[200];
    const char *err;

    err = sh_key_from_bytes(p, "k", SH_ALG_HMAC_SHA256, s31, 31, 1, &key);
    check(err && strstr(err, "at least 32 bytes") && strstr(err, "31"),
          "an hmac key of 31 bytes is refused, naming the size");
    check(sh_key_id_check("edge-2026-12") == NULL, "key id edge-2026-12");
    check(sh_key_id_check("") != NULL, "the empty key id is refused");
    check(sh_key_id_check("a\"b") != NULL, "a key id with a quote");
    check(sh_key_id_check("a\\b") != NULL, "a key id with a backslash");
    check(sh_key_id_check("a\nb") != NULL, "a key id with a line break");
    check(sh_alg_from_name("hmac-sha256") == SH_ALG_HMAC_SHA256
          && sh_alg_from_name("ed25519") == SH_ALG_ED25519
          && sh_alg_from_name("ecdsa-p256-sha256") == SH_ALG_ECDSA_P256_SHA256
          && sh_alg_from_name("rsa-pss-sha512") == SH_ALG_NONE
          && sh_alg_from_name("HMAC-SHA256") == SH_ALG_NONE,
          "algorithm names, exactly as registered");
    /* RFC 4231 test case 6: a key longer than a block is hashed first. */
    memset(long_secret, 0xaa, 131);
    check(sh_key_from_bytes(p, "long", SH_ALG_HMAC_SHA256, long_secret, 131,
                            1, &key) == NULL
          && sh_key_sign(key, "Test Using Larger Than Block-Size Key - Hash "
                         "Key First", 54, sig) == 32
          && !strcmp(b64(p, sig, 32),
                     "YOQxWR7gtn8Niiaqy/W3f44LxiE3KMUUBUYEDw7jf1Q="),
          "hmac: RFC 4231 case 6 (a 131-byte key)");
    check(sh_key_random_hmac(p, "a", &a) == NULL
          && sh_key_random_hmac(p, "b", &b) == NULL
          && sh_key_sign(a, "x", 1, sig) == 32 && !sh_key_verify(b, "x", 1,
                                                                sig, 32),
          "two random instance keys differ");
}

static void test_params(apr_pool_t *p)
{
    sh_component c[5];
    sh_key *key = NULL;
    unsigned char secret[32];
    apr_size_t len;
    char *params;
    sh_sig_input in;

    memset(secret, 7, sizeof(secret));
    sh_key_from_bytes(p, "edge-2026-12", SH_ALG_HMAC_SHA256, secret, 32, 1,
                      &key);
    c[0] = comp("@method", "GET");
    c[1] = comp("@authority", "app");
    c[2] = comp("@path", "/");
    c[3] = comp("@query", "?");
    c[4] = comp("!~passenger-client-address", "203.0.113.9");
    params = sh_sig_params(p, c, 5, 1764600000, 1764600060,
                           "AAAAAAAAAAAAAAAAAAAAAA", NULL, key, &len);
    check(!strcmp(params, "(\"@method\" \"@authority\" \"@path\" \"@query\" "
                  "\"!~passenger-client-address\");created=1764600000;"
                  "expires=1764600060;nonce=\"AAAAAAAAAAAAAAAAAAAAAA\";"
                  "keyid=\"edge-2026-12\";alg=\"hmac-sha256\";"
                  "tag=\"mod_secure_headers\"") && len == strlen(params),
          "signature parameters in docs/wire-format.md's order");
    check(sh_sig_input_parse(p, params, len, &in) == NULL && in.count == 5
          && !strcmp(in.components[4].name, "!~passenger-client-address")
          && in.created == 1764600000 && in.expires == 1764600060
          && !strcmp(in.nonce, "AAAAAAAAAAAAAAAAAAAAAA")
          && !strcmp(in.alg, "hmac-sha256")
          && !strcmp(in.tag, "mod_secure_headers") && in.params == params,
          "and they parse back");
    params = sh_sig_params(p, c, 1, 1, 2, "n", "[::1]:8080", key, &len);
    check(!strcmp(params, "(\"@method\");created=1;expires=2;nonce=\"n\";"
                  "target=\"[::1]:8080\";keyid=\"edge-2026-12\";"
                  "alg=\"hmac-sha256\";tag=\"mod_secure_headers\"")
          && sh_sig_input_parse(p, params, len, &in) == NULL
          && !strcmp(in.target, "[::1]:8080"),
          "the self proof's target parameter, written and read back");
    c[4] = comp("x", "a\nb");
    check(sh_sig_base(p, c, 5, params, len, &len) == NULL,
          "a value with a line break makes no base");
}

/* sh_sig_sign, in two strings and in one, against the same signature made
 * step by step from sh_sig_params, sh_sig_base and sh_key_sign. */
static void test_sign(apr_pool_t *p)
{
    sh_component c[5];
    sh_key *key = NULL;
    unsigned char secret[32], sig[SH_SIG_MAX];
    const char *input, *signature, *joined, *want_sig;
    char *params, *base;
    apr_size_t plen, blen, n;

    memset(secret, 9, sizeof(secret));
    sh_key_from_bytes(p, "k", SH_ALG_HMAC_SHA256, secret, 32, 1, &key);
    c[0] = comp("@method", "POST");
    c[1] = comp("@authority", "app:8080");
    c[2] = comp("@path", "/a");
    c[3] = comp("@query", "?x=1");
    c[4] = comp("!~passenger-client-address", "198.51.100.7");
    params = sh_sig_params(p, c, 5, 10, 70, "BBBBBBBBBBBBBBBBBBBBBB", NULL,
                           key, &plen);
    base = sh_sig_base(p, c, 5, params, plen, &blen);
    n = key && base ? sh_key_sign(key, base, blen, sig) : 0;
    want_sig = n == 32 ? apr_pstrcat(p, ":", b64(p, sig, n), ":", NULL) : "";
    check(key && sh_sig_sign(p, key, c, 5, 10, 70, "BBBBBBBBBBBBBBBBBBBBBB",
                             NULL, "l=", "l=", &input, &signature)
          && !strcmp(input, apr_pstrcat(p, "l=", params, NULL))
          && !strcmp(signature, apr_pstrcat(p, "l=", want_sig, NULL)),
          "sh_sig_sign: the member and the signature, step by step's");
    check(key && sh_sig_sign(p, key, c, 5, 10, 70, "BBBBBBBBBBBBBBBBBBBBBB",
                             NULL, "l=", "\r\nSignature: l=", &joined, NULL)
          && !strcmp(joined, apr_pstrcat(p, "l=", params,
                                         "\r\nSignature: l=", want_sig,
                                         NULL)),
          "sh_sig_sign: both in one string when signature is NULL");
}

/* sh_sig_url_path_query against apr_uri_parse (what mod_proxy sends): the
 * URLs of the tests and every string of up to six characters from an
 * alphabet of URL delimiters after "http://" and "h2c://". */
static int path_query_as_apr(apr_pool_t *p, const char *url)
{
    sh_component path, query;
    apr_uri_t uri;
    const char *want_path, *want_query;

    if (!sh_sig_url_path_query(url, &path, &query)) {
        return 0;
    }
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS) {
        return 1;           /* mod_proxy refuses it before the fixups */
    }
    want_path = uri.path && *uri.path ? uri.path : "/";
    want_query = uri.query ? apr_pstrcat(p, "?", uri.query, NULL) : "?";
    return path.value_len == strlen(want_path)
           && !memcmp(path.value, want_path, path.value_len)
           && query.value_len == strlen(want_query)
           && !memcmp(query.value, want_query, query.value_len);
}

static void test_url_path_query(apr_pool_t *p)
{
    static const char *const urls[] = {
        "http://127.0.0.1:3000/bench", "http://app", "http://app?",
        "http://app?#",
        "https://[::1]:8443/a/b?x=1&y=%20#frag",
        "h2c://app/p?q#f?g",
        "ws://u:p@app:81/x/?#",
        "http://app#only", "http://a/b//c?d?e",
        "wss://APP/%3F?%23", NULL
    };
    static const char alphabet[] = "/?#:@[]a%";
    static const char *const schemes[] = { "http://", "h2c://" };
    apr_pool_t *sub;
    char url[32];
    int i, all = 1, count = 0, len, k;
    long n, total;
    sh_component a, b;

    for (i = 0; urls[i]; i++) {
        all = all && path_query_as_apr(p, urls[i]);
    }
    check(all, "sh_sig_url_path_query: the tests' URLs split as apr_uri_parse");
    apr_pool_create(&sub, p);
    for (k = 0; k < 2; k++) {
        for (len = 0, total = 1; len <= 6; len++, total *= 9) {
            for (n = 0; n < total; n++) {
                long v = n;
                char *w = url + strlen(strcpy(url, schemes[k]));

                for (i = 0; i < len; i++, v /= 9) {
                    *w++ = alphabet[v % 9];
                }
                *w = '\0';
                all = all && path_query_as_apr(sub, url);
                count++;
                if (count % 4096 == 0) {
                    apr_pool_clear(sub);
                }
            }
        }
    }
    apr_pool_destroy(sub);
    check(all && count == 1195742, "sh_sig_url_path_query: 1,195,742 URLs "
          "built from /?#:@[]a% split as apr_uri_parse");
    check(!sh_sig_url_path_query("/path?q", &a, &b)
          && !sh_sig_url_path_query("//host/p", &a, &b)
          && !sh_sig_url_path_query("http:/p", &a, &b)
          && !sh_sig_url_path_query("1http://h/p", &a, &b)
          && !sh_sig_url_path_query("ht_tp://h/p", &a, &b),
          "sh_sig_url_path_query: no scheme:// and no split (apr_uri_parse then)");
}

static void test_sig_input_errors(apr_pool_t *p)
{
    static const char *const bad[] = {
        "", "(", "(\"a\"", "\"a\"", "(a)", "(\"a\";sf)", "(\"a\")extra",
        "(\"a\");created=x", "(\"a\");created=-1", "(\"a\");nonce=1",
        "(\"a\");keyid=tok", "(\"a\") ;created=1", "(\"a\"\"b\")",
        "(\"a\");created=1234567890123456", "(\"\\x\")", "(\"\x01\")",
        NULL
    };
    char many[400] = "(";
    sh_sig_input in;
    int i, all = 1;

    for (i = 0; bad[i]; i++) {
        int refused = sh_sig_input_parse(p, bad[i], strlen(bad[i]), &in) != NULL;

        if (!refused) {
            printf("# accepted: %s\n", bad[i]);
        }
        all = all && refused;
    }
    check(all, "malformed signature inputs are refused");
    for (i = 0; i < 17; i++) {
        strcat(many, "\"a\" ");
    }
    strcat(many, ")");
    check(sh_sig_input_parse(p, many, strlen(many), &in) != NULL,
          "17 components are more than a signature of ours has");
    check(sh_sig_input_parse(p, "( \"a\"  \"b\" );x=?1;y", 19, &in) == NULL
          && in.count == 2, "spaces in the inner list, unknown parameters");
    check(sh_sig_input_parse(p, "(\"a\\\"b\");keyid=\"k\\\\1\"", 21, &in) == NULL
          && !strcmp(in.components[0].name, "a\"b") && !strcmp(in.keyid, "k\\1"),
          "escapes in strings are undone");
}

static void test_dictionary(apr_pool_t *p)
{
    static const char d1[] =
        "sig1=(\"@method\");created=1;keyid=\"a, secure-headers=x\", "
        "secure-headers=(\"@path\");created=2,other=:AAAA:;p=1";
    sh_sf_member m;
    const char *w;

    check(sh_sf_dict_find(d1, strlen(d1), "secure-headers", &m) == 1
          && !strncmp(d1 + m.start, "secure-headers=(\"@path\");created=2",
                      m.end - m.start)
          && !strncmp(d1 + m.value, "(\"@path\");created=2", m.end - m.value),
          "a member is found by its key, not inside another's string");
    check(sh_sf_dict_find(d1, strlen(d1), "sig", &m) == 0,
          "a key is compared whole");
    w = sh_sf_dict_without(p, d1, "secure-headers");
    check(w && !strcmp(w, "sig1=(\"@method\");created=1;keyid=\"a, "
                       "secure-headers=x\", other=:AAAA:;p=1"),
          "removing a member keeps the others byte for byte");
    check(!strcmp(sh_sf_dict_without(p, "secure-headers=:AAAA:",
                                     "secure-headers"), ""),
          "removing the only member leaves nothing");
    check(sh_sf_dict_without(p, "Sig=:AAAA:", "sig") == NULL,
          "a key with capitals is no dictionary");
    check(sh_sf_dict_find("a=1, a=2", 8, "a", &m) == 1 && m.value == 7,
          "of duplicate keys the last counts");
    check(sh_sf_dict_find("a=1,", 4, "a", &m) == -1, "a trailing comma");
    check(sh_sf_dict_find("a=1 b=2", 7, "a", &m) == -1, "a missing comma");
    check(sh_sf_dict_find("a=\"x", 4, "a", &m) == -1, "an open string");
    check(sh_sf_dict_find("  a=1 ,\tb", 9, "b", &m) == 1,
          "spaces and tabs around members; a bare key");
    check(sh_sf_dict_find("", 0, "a", &m) == 0, "the empty dictionary");
    check(sh_sf_dict_may_have("secure-headers=:AAAA:", "secure-headers")
          && sh_sf_dict_may_have("keyId=\"x\", Secure-Headers=1",
                                 "secure-headers")
          && !sh_sf_dict_may_have("keyId=\"x\",signature=\"y\"",
                                  "secure-headers")
          && !sh_sf_dict_may_have("sig1=:AAAA:", "secure-headers"),
          "a value that is no dictionary may hide a member only by name");
}

static void test_binary(void)
{
    unsigned char out[64];

    check(sh_sf_binary_decode(":AAEC:", 6, out, sizeof(out)) == 3
          && out[0] == 0 && out[1] == 1 && out[2] == 2, "byte sequence");
    check(sh_sf_binary_decode(":AAEC", 5, out, sizeof(out)) < 0,
          "byte sequence without its closing colon");
    check(sh_sf_binary_decode(":AAE:", 5, out, sizeof(out)) < 0,
          "byte sequence of the wrong length");
    check(sh_sf_binary_decode(":AAEC: ", 7, out, sizeof(out)) < 0,
          "byte sequence followed by anything");
    check(sh_sf_binary_decode(":AAECAw==:", 10, out, 3) < 0,
          "byte sequence longer than wanted");
}

static void test_base64_decode(apr_pool_t *p)
{
    unsigned char in[300], out[300];
    int i, all = 1;

    for (i = 0; i < 300; i++) {
        in[i] = (unsigned char)(i * 7 + 3);
    }
    for (i = 0; i <= 300; i++) {
        const char *text = b64(p, in, i);

        all = all && sh_base64_decode(out, sizeof(out), text, strlen(text))
                     == i && !memcmp(in, out, i);
    }
    check(all, "decode(encode(x)) == x for 0 to 300 bytes");
    check(sh_base64_decode(out, 9, "AA=A", 4) < 0, "'=' in the middle");
    check(sh_base64_decode(out, 9, "AAB=", 4) < 0, "non-zero padding bits");
    check(sh_base64_decode(out, 9, "A===", 4) < 0, "three '='");
    check(sh_base64_decode(out, 9, "AAA", 3) < 0, "length not a multiple of 4");
    check(sh_base64_decode(out, 9, "AA==AAAA", 8) < 0, "padding before data");
    check(sh_base64_decode(out, 9, "AA A", 4) < 0, "a space");
    check(sh_base64_decode(out, 9, "AA-_", 4) < 0, "the url alphabet");
    check(sh_base64_decode(out, 2, "AAAA", 4) < 0, "more than max bytes");
}

static void test_authority(apr_pool_t *p)
{
    check(!strcmp(sh_sig_authority_normalize(p, "Example.COM:80", 0),
                  "example.com"), "authority: lower case, :80 dropped");
    check(!strcmp(sh_sig_authority_normalize(p, "example.com:80", 1),
                  "example.com:80"), "authority: :80 kept on TLS");
    check(!strcmp(sh_sig_authority_normalize(p, "a:443", 1), "a"),
          "authority: :443 dropped on TLS");
    check(!strcmp(sh_sig_authority_normalize(p, "[::1]:80", 0), "[::1]")
          && !strcmp(sh_sig_authority_normalize(p, "[::1]", 0), "[::1]")
          && !strcmp(sh_sig_authority_normalize(p, "[::80]", 0), "[::80]")
          && !strcmp(sh_sig_authority_normalize(p, "[::1]:3000", 0),
                     "[::1]:3000"),
          "authority: IPv6 literals");
    check(!strcmp(sh_sig_authority_normalize(p, "h:8080", 0), "h:8080"),
          "authority: other ports stay");
}

static void test_nonces(apr_pool_t *p)
{
    apr_hash_t *seen = apr_hash_make(p);
    char n[SH_NONCE_LEN + 1];
    int i, all = 1;

    for (i = 0; i < 5000; i++) {
        all = all && sh_nonce_new(n) && strlen(n) == SH_NONCE_LEN
              && strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_") == SH_NONCE_LEN
              && strchr("AQgw", n[21]) != NULL
              && apr_hash_get(seen, n, APR_HASH_KEY_STRING) == NULL;
        apr_hash_set(seen, apr_pstrdup(p, n), APR_HASH_KEY_STRING, "");
        if (i == 100) {
            sh_nonce_forget();
        }
    }
    check(all, "5000 nonces: 22 base64url characters, all different");
}

static void test_replay(apr_pool_t *p)
{
    void *mem = apr_pcalloc(p, sh_replay_size(1));
    char nonce[16];
    int i, all = 1;

    sh_replay_init(mem, 1);
    check(sh_replay_check(mem, "k", "n1", 160, 100) == SH_REPLAY_FRESH,
          "replay: first sight");
    check(sh_replay_check(mem, "k", "n1", 160, 120) == SH_REPLAY_SEEN,
          "replay: seen again");
    check(sh_replay_check(mem, "k2", "n1", 160, 120) == SH_REPLAY_FRESH,
          "replay: the same nonce under another key id is another");
    check(sh_replay_check(mem, "k", "n1", 300, 161) == SH_REPLAY_FRESH,
          "replay: forgotten once expired (the caller refuses it by time)");
    /* One bucket of seven: fill it, then force entries out. */
    sh_replay_init(mem, 1);
    for (i = 0; i < 7; i++) {
        apr_snprintf(nonce, sizeof(nonce), "n%d", i);
        all = all && sh_replay_check(mem, "k", nonce, 200 + i, 100)
                     == SH_REPLAY_FRESH;
    }
    check(all, "replay: seven live entries fit");
    check(sh_replay_check(mem, "k", "late", 260, 101) == SH_REPLAY_FRESH,
          "replay: an eighth forces out the one that expires first");
    check(sh_replay_check(mem, "k", "n0", 200, 102) == SH_REPLAY_TOO_OLD,
          "replay: the one forced out can never be replayed");
    check(sh_replay_check(mem, "k", "other", 200, 102) == SH_REPLAY_TOO_OLD,
          "replay: nor anything else that expires no later");
    check(sh_replay_check(mem, "k", "n1", 201, 102) == SH_REPLAY_SEEN,
          "replay: the others are still known");
    check(sh_replay_check(mem, "k", "late", 260, 102) == SH_REPLAY_SEEN,
          "replay: so is the eighth");
    check(sh_replay_check(mem, "k", "fresh", 262, 202) == SH_REPLAY_FRESH,
          "replay: later signatures are fresh, into expired slots");
    {
        apr_size_t big = sh_replay_size(4096);
        void *m2 = apr_pcalloc(p, big);
        int fresh = 0;

        sh_replay_init(m2, 4096);
        for (i = 0; i < 20000; i++) {
            apr_snprintf(nonce, sizeof(nonce), "x%d", i);
            /* 400 signatures a second, each valid for 60 s. */
            fresh += sh_replay_check(m2, "k", nonce, 1060 + i / 400,
                                     1000 + i / 400) == SH_REPLAY_FRESH;
        }
        check(fresh == 20000 && big < 1024 * 1024,
              "replay: 20000 signatures at 400/s in 4096 buckets (under "
              "1 MiB), each accepted once");
        for (i = 0, all = 1; i < 20000; i++) {
            apr_snprintf(nonce, sizeof(nonce), "x%d", i);
            all = all && sh_replay_check(m2, "k", nonce, 1060 + i / 400,
                                         1050) != SH_REPLAY_FRESH;
        }
        check(all, "replay: and none of them twice");
    }
}

int main(void)
{
    apr_pool_t *p;
    int status;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_rfc_b25_hmac(p);
    test_rfc_b26_ed25519(p);
    test_rfc_b24_ecdsa(p);
    test_ecdsa_roundtrip(p);
    test_keys(p);
    test_params(p);
    test_sign(p);
    test_url_path_query(p);
    test_sig_input_errors(p);
    test_dictionary(p);
    test_binary();
    test_base64_decode(p);
    test_authority(p);
    test_nonces(p);
    test_replay(p);
    status = tap_done();
    apr_pool_destroy(p);
    apr_terminate();
    return status;
}
