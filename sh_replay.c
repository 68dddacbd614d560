/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the replay cache (APR and libcrypto; no httpd), laid
 * out in one block of memory that the server's processes share; the
 * caller holds a lock around each call.
 */

/* The cache's ids are SHA-256 digests by SHA256_CTX, which OpenSSL 3
 * declares deprecated; the one-shot EVP interface allocates per call. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/sha.h>

#include "sh_replay.h"

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
