/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: nonces and random bytes (APR and libcrypto; no
 * httpd). Nonces come from OpenSSL's generator in batches.
 */
#include <string.h>

#include <openssl/rand.h>

#include "sh_nonce.h"

int sh_nonce_random_bytes(unsigned char *buf, apr_size_t n)
{
    return RAND_bytes(buf, (int)n) == 1;
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

int sh_nonce_new(char out[SH_NONCE_LEN + 1])
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
