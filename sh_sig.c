/*
 * mod_secure_headers: RFC 9421 signatures (APR and libcrypto; no httpd).
 *
 * Signing runs for every signed request, so everything that can be is done
 * once when the configuration is read: key files are parsed, HMAC keys
 * turned into their two precomputed SHA-256 states, and asymmetric keys
 * into initialised signing contexts that each request only copies. Nonces
 * come from OpenSSL's generator in batches.
 */

/* HMAC-SHA256 from precomputed inner and outer SHA-256 states (RFC 2104)
 * needs SHA256_CTX, which OpenSSL 3 declares deprecated; bench/ measures it
 * at a quarter of the cost of a pre-keyed EVP_MAC_CTX duplicated per
 * request, which allocates. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>
#include <stdlib.h>

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
#include "apr_lib.h"

#include "sh_core.h"
#include "sh_sig.h"

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

const char *sh_keyid_check(const char *keyid)
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
            return "a key id may hold printable ASCII only, without '\"' "
                   "or '\\'";
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
               : apr_psprintf(p, "the key is a %s key, not an Ed25519 key",
                              EVP_PKEY_get0_type_name(pkey));
    }
    if (!EVP_PKEY_is_a(pkey, "EC")) {
        return apr_psprintf(p, "the key is a %s key, not an ECDSA P-256 key",
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
    const char *err = sh_keyid_check(keyid);

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

int sh_random_bytes(unsigned char *buf, apr_size_t n)
{
    return RAND_bytes(buf, (int)n) == 1;
}

const char *sh_fingerprint(apr_pool_t *p, const unsigned char *bytes,
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

/* --- nonces ------------------------------------------------------------ */

#define SH_NONCE_BATCH 64

/* Each thread draws SH_NONCE_BATCH nonces at a time (1 KiB): one call into the
 * generator costs about as much as the rest of signing. A process that
 * forks calls sh_nonce_forget(), which makes every thread's batch stale. */
static volatile apr_uint32_t sh_nonce_epoch;
static __thread unsigned char sh_nonce_pool[SH_NONCE_BYTES * SH_NONCE_BATCH];
static __thread unsigned sh_nonce_left;
static __thread apr_uint32_t sh_nonce_pool_epoch;

void sh_nonce_forget(void)
{
    sh_nonce_epoch++;
}

static const char sh_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sh_nonce(char out[SH_NONCE_LEN + 1])
{
    const unsigned char *b;
    int i, o = 0;

    if (sh_nonce_left == 0 || sh_nonce_pool_epoch != sh_nonce_epoch) {
        if (RAND_bytes(sh_nonce_pool, sizeof(sh_nonce_pool)) != 1) {
            sh_nonce_left = 0;
            return 0;
        }
        sh_nonce_left = SH_NONCE_BATCH;
        sh_nonce_pool_epoch = sh_nonce_epoch;
    }
    sh_nonce_left--;
    b = sh_nonce_pool + sh_nonce_left * SH_NONCE_BYTES;
    /* 16 bytes: five 3-byte groups and one byte left over. */
    for (i = 0; i < 15; i += 3) {
        apr_uint32_t v = ((apr_uint32_t)b[i] << 16) | (b[i + 1] << 8) | b[i + 2];

        out[o++] = sh_b64url[v >> 18];
        out[o++] = sh_b64url[(v >> 12) & 63];
        out[o++] = sh_b64url[(v >> 6) & 63];
        out[o++] = sh_b64url[v & 63];
    }
    out[o++] = sh_b64url[b[15] >> 2];
    out[o++] = sh_b64url[(b[15] & 3) << 4];
    out[o] = '\0';
    memset((void *)b, 0, SH_NONCE_BYTES);
    return 1;
}

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

const char *sh_authority_normalize(apr_pool_t *p, const char *host, int tls)
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

int sh_url_path_query(const char *url, sh_component *path,
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

/* --- structured fields ------------------------------------------------- */

/* A cursor over a field value; every parse step either advances it or
 * fails, so parsing is linear in the length of the value. */
typedef struct {
    const char *s;
    apr_size_t len;
    apr_size_t i;
} sh_sf;

static int sh_sf_at_end(const sh_sf *f)
{
    return f->i >= f->len;
}

static int sh_sf_peek(const sh_sf *f)
{
    return f->i < f->len ? (unsigned char)f->s[f->i] : -1;
}

static void sh_sf_skip_sp(sh_sf *f)
{
    while (f->i < f->len && f->s[f->i] == ' ') {
        f->i++;
    }
}

static void sh_sf_skip_ows(sh_sf *f)
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
static int sh_sf_key(sh_sf *f, apr_size_t *start, apr_size_t *len)
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

static apr_size_t sh_sf_digits(sh_sf *f, apr_int64_t *v)
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
static int sh_sf_number(sh_sf *f, sh_sf_item *it)
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

static int sh_sf_string(sh_sf *f, sh_sf_item *it)
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

static int sh_sf_bare_item(sh_sf *f, sh_sf_item *it)
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

/* Called for each parameter; returns 0 to fail the parse. */
typedef int (*sh_sf_param_fn)(void *ctx, const sh_sf *f, apr_size_t kstart,
                              apr_size_t klen, const sh_sf_item *value);

static int sh_sf_params(sh_sf *f, sh_sf_param_fn fn, void *ctx)
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

/* Called for each item of an inner list (with its parameters parsed by
 * the callback, which must call sh_sf_params itself). */
typedef int (*sh_sf_item_fn)(void *ctx, sh_sf *f, const sh_sf_item *item);

static int sh_sf_inner_list(sh_sf *f, sh_sf_item_fn item_fn, void *ctx,
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

static int sh_sf_member_value(sh_sf *f)
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
    sh_sf f = { value, len, 0 };

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

    if (klen == fc->klen && memcmp(key, fc->key, klen) == 0) {
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

    if (klen == wc->klen && memcmp(key, wc->key, klen) == 0) {
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

/* --- Signature-Input --------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    sh_sig_input *in;
    const char *error;
} sh_input_ctx;

static char *sh_sf_string_value(apr_pool_t *p, const sh_sf *f,
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

static int sh_input_component(void *ctx, sh_sf *f, const sh_sf_item *it)
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

static int sh_param_is(const sh_sf *f, apr_size_t kstart, apr_size_t klen,
                       const char *name)
{
    return klen == strlen(name) && memcmp(f->s + kstart, name, klen) == 0;
}

static int sh_input_param(void *ctx, const sh_sf *f, apr_size_t kstart,
                          apr_size_t klen, const sh_sf_item *v)
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
    sh_sf f = { value, len, 0 };
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

long sh_sf_binary_decode(const char *value, apr_size_t len,
                         unsigned char *out, apr_size_t max)
{
    sh_sf f = { value, len, 0 };
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

/* --- replay cache ------------------------------------------------------ */

#define SH_REPLAY_WAYS 7

typedef struct {
    apr_uint64_t id[2];
    apr_int64_t expires;
} sh_replay_slot;

typedef struct {
    apr_int64_t watermark;      /* the latest expiry ever forced out */
    sh_replay_slot slot[SH_REPLAY_WAYS];
} sh_replay_bucket;

typedef struct {
    apr_uint32_t buckets;
    apr_uint32_t magic;
    sh_replay_bucket bucket[1];
} sh_replay_table;

#define SH_REPLAY_MAGIC 0x5348524cu

apr_size_t sh_replay_size(apr_uint32_t buckets)
{
    return sizeof(sh_replay_table)
           + (apr_size_t)(buckets - 1) * sizeof(sh_replay_bucket);
}

void sh_replay_init(void *mem, apr_uint32_t buckets)
{
    sh_replay_table *t = mem;

    memset(mem, 0, sh_replay_size(buckets));
    t->buckets = buckets;
    t->magic = SH_REPLAY_MAGIC;
}

static void sh_replay_id(const char *keyid, const char *nonce,
                         apr_uint64_t id[2])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX c;

    SHA256_Init(&c);
    SHA256_Update(&c, keyid, strlen(keyid) + 1);    /* with its NUL */
    SHA256_Update(&c, nonce, strlen(nonce));
    SHA256_Final(digest, &c);
    memcpy(id, digest, 2 * sizeof(apr_uint64_t));
}

/* "expires" is the last second at which the caller would still accept the
 * signature (its expiry plus any clock skew). Slots whose expiry has passed
 * are free; an empty slot has expires == 0. */
sh_replay_verdict sh_replay_check(void *mem, const char *keyid,
                                  const char *nonce, apr_int64_t expires,
                                  apr_int64_t now)
{
    sh_replay_table *t = mem;
    sh_replay_bucket *b;
    sh_replay_slot *free_slot = NULL, *first_to_expire = NULL;
    apr_uint64_t id[2];
    int i;

    sh_replay_id(keyid, nonce, id);
    b = &t->bucket[id[0] % t->buckets];
    if (expires <= b->watermark) {
        return SH_REPLAY_TOO_OLD;
    }
    for (i = 0; i < SH_REPLAY_WAYS; i++) {
        sh_replay_slot *s = &b->slot[i];

        if (s->expires < now) {
            if (free_slot == NULL) {
                free_slot = s;
            }
            continue;
        }
        if (s->id[0] == id[0] && s->id[1] == id[1]) {
            return SH_REPLAY_SEEN;
        }
        if (first_to_expire == NULL || s->expires < first_to_expire->expires) {
            first_to_expire = s;
        }
    }
    if (free_slot == NULL) {
        /* Forced out: from now on this bucket refuses whatever expires no
         * later, which covers the entry dropped (and this one, should it
         * expire first: it is remembered as well). */
        free_slot = first_to_expire;
        if (free_slot->expires > b->watermark) {
            b->watermark = free_slot->expires;
        }
    }
    free_slot->id[0] = id[0];
    free_slot->id[1] = id[1];
    free_slot->expires = expires;
    return SH_REPLAY_FRESH;
}
