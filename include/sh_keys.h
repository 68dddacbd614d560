/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Signing and verifying keys for RFC 9421 HTTP Message Signatures, with
 * OpenSSL's libcrypto: the three algorithms, key files parsed and
 * precomputed once, signing and verifying. APR and libcrypto only.
 */
#ifndef SH_KEYS_H
#define SH_KEYS_H

#include "apr_pools.h"

/* Raw signature sizes: HMAC-SHA256 32, Ed25519 64, ECDSA P-256 r||s 64. */
#define SH_SIG_MAX 64

typedef enum {
    SH_ALG_NONE = 0,
    SH_ALG_HMAC_SHA256,
    SH_ALG_ED25519,
    SH_ALG_ECDSA_P256_SHA256
} sh_alg;

/* The RFC 9421 registry name ("hmac-sha256", ...). */
const char *sh_alg_name(sh_alg alg);

/* SH_ALG_NONE when the name is none of the three. */
sh_alg sh_alg_from_name(const char *name);

typedef struct sh_key sh_key;

struct sh_key {
    const char *keyid;
    sh_alg alg;
    int can_sign;               /* a secret or a private key */
    void *impl;                 /* precomputed HMAC state, or EVP objects */
};

/* NULL when the key id can be written as a structured-field string and
 * read back by anyone: printable ASCII without quote or backslash, at most
 * 128 characters, not empty. Otherwise the reason. */
const char *sh_key_id_check(const char *keyid);

/*
 * Makes a key from the bytes of a key file, parsed and precomputed once:
 * for hmac-sha256 the bytes are the secret (at least 32); for ed25519 and
 * ecdsa-p256-sha256 a PEM private key, or, when "private_only" is 0, a
 * PEM public key too. The key's libcrypto objects are freed with the pool.
 * Returns NULL and fills *out, or an error message.
 */
const char *sh_key_from_bytes(apr_pool_t *p, const char *keyid, sh_alg alg,
                              const unsigned char *bytes, apr_size_t len,
                              int private_only, sh_key **out);

/* A fresh random secret key for hmac-sha256 (a server instance's own). */
const char *sh_key_random_hmac(apr_pool_t *p, const char *keyid,
                               sh_key **out);

/* Signs msg; writes the raw signature (r||s for ECDSA) and returns its
 * length, or 0 when libcrypto fails. Safe from many threads at once. */
apr_size_t sh_key_sign(const sh_key *key, const void *msg, apr_size_t len,
                       unsigned char sig[SH_SIG_MAX]);

/* 1 when sig is a valid signature of msg under key, else 0. */
int sh_key_verify(const sh_key *key, const void *msg, apr_size_t len,
                  const unsigned char *sig, apr_size_t sig_len);

/* 16 hex digits of the SHA-256 of the bytes: names a secret in logs
 * without giving it away. */
const char *sh_key_fingerprint(apr_pool_t *p, const unsigned char *bytes,
                           apr_size_t n);

#endif /* SH_KEYS_H */
