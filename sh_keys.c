/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: signing keys (APR and libcrypto; no httpd).
 *
 * Signing runs for every signed request, so everything that can be is done
 * once when the configuration is read: key files are parsed, HMAC keys
 * turned into their two precomputed SHA-256 states, and asymmetric keys
 * into initialised signing contexts that each request only copies.
 */

/* HMAC-SHA256 from precomputed inner and outer SHA-256 states (RFC 2104)
 * needs SHA256_CTX, which OpenSSL 3 declares deprecated; bench/ measures it
 * at a quarter of the cost of a pre-keyed EVP_MAC_CTX duplicated per
 * request, which allocates. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "apr_strings.h"

#include "sh_keys.h"

/* --- algorithms and keys ----------------------------------------------- */

static const struct {
    sh_alg alg;
    const char *name;
} sh_algs[] = {
    { SH_ALG_HMAC_SHA256, "hmac-sha256" },
    { SH_ALG_ED25519, "ed25519" },
    { SH_ALG_ECDSA_P256_SHA256, "ecdsa-p256-sha256" },
};

const char *sh_alg_name(sh_alg alg)
{
    apr_size_t i;

    for (i = 0; i < sizeof(sh_algs) / sizeof(sh_algs[0]); i++) {
        if (sh_algs[i].alg == alg) {
            return sh_algs[i].name;
        }
    }
    return "none";
}

sh_alg sh_alg_from_name(const char *name)
{
    apr_size_t i;

    for (i = 0; i < sizeof(sh_algs) / sizeof(sh_algs[0]); i++) {
        if (strcmp(sh_algs[i].name, name) == 0) {
            return sh_algs[i].alg;
        }
    }
    return SH_ALG_NONE;
}

const char *sh_key_id_check(const char *keyid)
{
    const char *s;

    if (*keyid == '\0') {
        return "the key id is empty";
    }
    if (strlen(keyid) > 128) {
        return "the key id is longer than 128 characters";
    }
    for (s = keyid; *s; s++) {
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\') {
            /* Named in words: httpd's log escapes a backslash as two. */
            return "a key id may hold printable ASCII only, without double "
                   "quotes or backslashes";
        }
    }
    return NULL;
}

/* HMAC keys: SHA-256 states after the key XOR ipad and XOR opad blocks. */
typedef struct {
    SHA256_CTX inner;
    SHA256_CTX outer;
} sh_hmac_impl;

/* Asymmetric keys: the key and one initialised context per direction that
 * requests copy (copying skips the algorithm fetch that initialising does). */
typedef struct {
    EVP_PKEY *pkey;
    EVP_MD_CTX *sign_ctx;       /* NULL for a public key */
    EVP_MD_CTX *verify_ctx;
} sh_pkey_impl;

static void sh_hmac_precompute(sh_hmac_impl *h, const unsigned char *secret,
                               apr_size_t len)
{
    unsigned char block[SHA256_CBLOCK];
    unsigned char pad[SHA256_CBLOCK];
    int i;

    memset(block, 0, sizeof(block));
    if (len > sizeof(block)) {
        SHA256(secret, len, block);
    }
    else {
        memcpy(block, secret, len);
    }
    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x36;
    }
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, sizeof(pad));
    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x5c;
    }
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, sizeof(pad));
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
}

static void sh_hmac_sign(const sh_hmac_impl *h, const void *msg,
                         apr_size_t len, unsigned char out[32])
{
    SHA256_CTX c = h->inner;
    unsigned char inner[SHA256_DIGEST_LENGTH];

    SHA256_Update(&c, msg, len);
    SHA256_Final(inner, &c);
    c = h->outer;
    SHA256_Update(&c, inner, sizeof(inner));
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof(c));
}

static apr_status_t sh_hmac_cleanup(void *data)
{
    OPENSSL_cleanse(data, sizeof(sh_hmac_impl));
    return APR_SUCCESS;
}

static apr_status_t sh_pkey_cleanup(void *data)
{
    sh_pkey_impl *k = data;

    EVP_MD_CTX_free(k->sign_ctx);
    EVP_MD_CTX_free(k->verify_ctx);
    EVP_PKEY_free(k->pkey);
    return APR_SUCCESS;
}

static const char *sh_key_hmac(apr_pool_t *p, const unsigned char *bytes,
                               apr_size_t len, sh_key *key)
{
    sh_hmac_impl *h;

    if (len < 32) {
        return apr_psprintf(p, "an hmac-sha256 key must be at least 32 "
                            "bytes, this one has %" APR_SIZE_T_FMT, len);
    }
    h = apr_palloc(p, sizeof(*h));
    sh_hmac_precompute(h, bytes, len);
    apr_pool_cleanup_register(p, h, sh_hmac_cleanup, apr_pool_cleanup_null);
    key->impl = h;
    key->can_sign = 1;
    return NULL;
}

/* Whether a parsed key is what the algorithm needs: an Ed25519 key, or an
 * EC key on P-256. */
static const char *sh_pkey_type_error(apr_pool_t *p, EVP_PKEY *pkey,
                                      sh_alg alg)
{
    char group[64];
    size_t glen = 0;

    if (alg == SH_ALG_ED25519) {
        return EVP_PKEY_is_a(pkey, "ED25519") ? NULL
               : apr_psprintf(p, "the key's type is %s, not Ed25519",
                              EVP_PKEY_get0_type_name(pkey));
    }
    if (!EVP_PKEY_is_a(pkey, "EC")) {
        return apr_psprintf(p, "the key's type is %s, not ECDSA P-256",
                            EVP_PKEY_get0_type_name(pkey));
    }
    if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen)
        || strcmp(group, "prime256v1") != 0) {
        return apr_psprintf(p, "the key is on curve %s, not P-256",
                            glen ? group : "(unknown)");
    }
    return NULL;
}

static EVP_PKEY *sh_pem_read(const unsigned char *bytes, apr_size_t len,
                             int private_only, int *is_private)
{
    BIO *bio = BIO_new_mem_buf(bytes, (int)len);
    EVP_PKEY *pkey;

    if (bio == NULL) {
        return NULL;
    }
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    *is_private = pkey != NULL;
    if (pkey == NULL && !private_only) {
        BIO_free(bio);
        bio = BIO_new_mem_buf(bytes, (int)len);
        pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    }
    BIO_free(bio);
    return pkey;
}

static const char *sh_key_pkey(apr_pool_t *p, sh_alg alg,
                               const unsigned char *bytes, apr_size_t len,
                               int private_only, sh_key *key)
{
    sh_pkey_impl *k = apr_pcalloc(p, sizeof(*k));
    const char *md = alg == SH_ALG_ED25519 ? NULL : "SHA256";
    const char *err;
    int is_private = 0;

    if (len > 1024 * 1024) {
        return "the key file is larger than 1 MiB";
    }
    k->pkey = sh_pem_read(bytes, len, private_only, &is_private);
    if (k->pkey == NULL) {
        ERR_clear_error();
        return private_only ? "the file holds no PEM private key"
                            : "the file holds no PEM private or public key";
    }
    apr_pool_cleanup_register(p, k, sh_pkey_cleanup, apr_pool_cleanup_null);
    err = sh_pkey_type_error(p, k->pkey, alg);
    if (err) {
        return err;
    }
    k->verify_ctx = EVP_MD_CTX_new();
    if (k->verify_ctx == NULL
        || EVP_DigestVerifyInit_ex(k->verify_ctx, NULL, md, NULL, NULL,
                                   k->pkey, NULL) != 1) {
        ERR_clear_error();
        return "libcrypto cannot verify with this key";
    }
    if (is_private) {
        k->sign_ctx = EVP_MD_CTX_new();
        if (k->sign_ctx == NULL
            || EVP_DigestSignInit_ex(k->sign_ctx, NULL, md, NULL, NULL,
                                     k->pkey, NULL) != 1) {
            ERR_clear_error();
            return "libcrypto cannot sign with this key";
        }
    }
    key->impl = k;
    key->can_sign = is_private;
    return NULL;
}

const char *sh_key_from_bytes(apr_pool_t *p, const char *keyid, sh_alg alg,
                              const unsigned char *bytes, apr_size_t len,
                              int private_only, sh_key **out)
{
    sh_key *key = apr_pcalloc(p, sizeof(*key));
    const char *err = sh_key_id_check(keyid);

    if (err) {
        return err;
    }
    key->keyid = apr_pstrdup(p, keyid);
    key->alg = alg;
    switch (alg) {
    case SH_ALG_HMAC_SHA256:
        err = sh_key_hmac(p, bytes, len, key);
        break;
    case SH_ALG_ED25519:
    case SH_ALG_ECDSA_P256_SHA256:
        err = sh_key_pkey(p, alg, bytes, len, private_only, key);
        break;
    default:
        err = "unknown algorithm";
    }
    if (err) {
        return err;
    }
    *out = key;
    return NULL;
}

const char *sh_key_random_hmac(apr_pool_t *p, const char *keyid,
                               sh_key **out)
{
    unsigned char secret[32];
    const char *err;

    if (RAND_bytes(secret, sizeof(secret)) != 1) {
        return "OpenSSL's random generator failed";
    }
    err = sh_key_from_bytes(p, keyid, SH_ALG_HMAC_SHA256, secret,
                            sizeof(secret), 1, out);
    OPENSSL_cleanse(secret, sizeof(secret));
    return err;
}

/* One INTEGER of a DER ECDSA-Sig-Value as 32 big-endian bytes, left
 * padded with zeros; its sign byte (a leading 0x00) dropped. Returns the
 * bytes of DER it took, 0 when it is not a non-negative INTEGER that fits. */
static apr_size_t sh_der_uint256(const unsigned char *der, apr_size_t len,
                                 unsigned char out[32])
{
    apr_size_t n;
    const unsigned char *v;

    if (len < 3 || der[0] != 0x02 || der[1] == 0 || der[1] > len - 2
        || (der[2] & 0x80)) {
        return 0;
    }
    n = der[1];
    v = der + 2;
    while (n > 32 && *v == 0) {
        v++;
        n--;
    }
    if (n > 32) {
        return 0;
    }
    memset(out, 0, 32 - n);
    memcpy(out + 32 - n, v, n);
    return 2 + (apr_size_t)der[1];
}

/* ECDSA signatures travel as r||s (RFC 9421 section 3.3.4); libcrypto
 * speaks DER: SEQUENCE { INTEGER r, INTEGER s }, at most 72 bytes for
 * P-256, so every length fits in one byte. Read here rather than with
 * d2i_ECDSA_SIG, which allocates a signature and two bignums per request
 * (about 4,000 instructions under callgrind, bench/README.md). */
static apr_size_t sh_ecdsa_der_to_raw(const unsigned char *der,
                                      apr_size_t der_len,
                                      unsigned char out[64])
{
    apr_size_t r, s;

    if (der_len < 2 || der[0] != 0x30 || der[1] != der_len - 2) {
        return 0;
    }
    r = sh_der_uint256(der + 2, der_len - 2, out);
    s = r ? sh_der_uint256(der + 2 + r, der_len - 2 - r, out + 32) : 0;
    return s && 2 + r + s == der_len ? 64 : 0;
}

static int sh_ecdsa_raw_to_der(const unsigned char *raw,
                               unsigned char der[80], apr_size_t *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL);
    BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *w = der;
    int n;

    if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return 0;
    }
    n = i2d_ECDSA_SIG(sig, NULL);
    if (n <= 0 || n > 80) {
        ECDSA_SIG_free(sig);
        return 0;
    }
    i2d_ECDSA_SIG(sig, &w);
    ECDSA_SIG_free(sig);
    *der_len = (apr_size_t)n;
    return 1;
}

static apr_size_t sh_pkey_sign(const sh_pkey_impl *k, sh_alg alg,
                               const void *msg, apr_size_t len,
                               unsigned char sig[SH_SIG_MAX])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t n = sizeof(der);
    apr_size_t out = 0;

    if (c && EVP_MD_CTX_copy_ex(c, k->sign_ctx)
        && EVP_DigestSign(c, der, &n, msg, len) == 1) {
        if (alg == SH_ALG_ECDSA_P256_SHA256) {
            out = sh_ecdsa_der_to_raw(der, n, sig);
        }
        else if (n == 64) {
            memcpy(sig, der, 64);
            out = 64;
        }
    }
    EVP_MD_CTX_free(c);
    if (out == 0) {
        ERR_clear_error();
    }
    return out;
}

apr_size_t sh_key_sign(const sh_key *key, const void *msg, apr_size_t len,
                       unsigned char sig[SH_SIG_MAX])
{
    if (!key->can_sign) {
        return 0;
    }
    if (key->alg == SH_ALG_HMAC_SHA256) {
        sh_hmac_sign(key->impl, msg, len, sig);
        return 32;
    }
    return sh_pkey_sign(key->impl, key->alg, msg, len, sig);
}

int sh_key_verify(const sh_key *key, const void *msg, apr_size_t len,
                  const unsigned char *sig, apr_size_t sig_len)
{
    const sh_pkey_impl *k = key->impl;
    unsigned char buf[80];
    apr_size_t buf_len = 0;
    EVP_MD_CTX *c;
    int ok = 0;

    if (key->alg == SH_ALG_HMAC_SHA256) {
        unsigned char mac[32];

        if (sig_len != 32) {
            return 0;
        }
        sh_hmac_sign(key->impl, msg, len, mac);
        ok = CRYPTO_memcmp(mac, sig, 32) == 0;
        OPENSSL_cleanse(mac, sizeof(mac));
        return ok;
    }
    if (sig_len != 64) {
        return 0;
    }
    if (key->alg == SH_ALG_ECDSA_P256_SHA256) {
        if (!sh_ecdsa_raw_to_der(sig, buf, &buf_len)) {
            ERR_clear_error();
            return 0;
        }
        sig = buf;
        sig_len = buf_len;
    }
    c = EVP_MD_CTX_new();
    if (c && EVP_MD_CTX_copy_ex(c, k->verify_ctx)) {
        ok = EVP_DigestVerify(c, sig, sig_len, msg, len) == 1;
    }
    EVP_MD_CTX_free(c);
    ERR_clear_error();
    return ok;
}

const char *sh_key_fingerprint(apr_pool_t *p, const unsigned char *bytes,
                           apr_size_t n)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char *hex = apr_palloc(p, 17);
    int i;

    SHA256(bytes, n, digest);
    for (i = 0; i < 8; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return hex;
}
