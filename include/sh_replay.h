/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * A replay cache laid out in one block of (shared) memory: every
 * signature accepted is remembered by key id and nonce until it expires.
 * APR and libcrypto only.
 */
#ifndef SH_REPLAY_H
#define SH_REPLAY_H

#include "apr.h"

/*
 * A fixed-size set of (key id, nonce) seen until their expiry, in one
 * block of memory that several processes may share (the caller holds a
 * lock around each call). When a bucket is full, its entry that expires
 * first is dropped and the bucket remembers that expiry: from then on it
 * refuses every signature that does not expire later, so an entry forced
 * out can never be replayed; the price of a cache too small for the
 * request rate is refused requests, never a replay.
 */
apr_size_t sh_replay_size(apr_uint32_t buckets);
void sh_replay_init(void *mem, apr_uint32_t buckets);

typedef enum {
    SH_REPLAY_FRESH = 0,    /* first time seen: now remembered */
    SH_REPLAY_SEEN,         /* seen before */
    SH_REPLAY_TOO_OLD       /* could have been forced out: refused */
} sh_replay_verdict;

sh_replay_verdict sh_replay_check(void *mem, const char *keyid,
                                  const char *nonce, apr_int64_t expires,
                                  apr_int64_t now);

#endif /* SH_REPLAY_H */
