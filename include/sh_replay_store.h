/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: where the inbound side remembers the nonces of the
 * signatures it accepts (SecureHeadersReplayStore). Two engines behind one
 * add-if-absent: "shm", this server's shared memory (the default; its
 * processes share it, no other server does), and "memcache", memcached
 * servers that several servers answering to one name share, so that a
 * request captured on its way to one of them is refused by all the others.
 */
#ifndef SH_REPLAY_STORE_H
#define SH_REPLAY_STORE_H

#include "httpd.h"
#include "http_config.h"

typedef enum {
    SH_STORE_LOCAL = 0,     /* for this server's shared memory: the caller's */
    SH_STORE_FRESH,         /* first time seen: now remembered */
    SH_STORE_REPLAYED,      /* seen before: refuse (400) */
    SH_STORE_FAILED         /* the store failed or cannot vouch: 503 */
} sh_store_verdict;

/*
 * Remembers (keyid, nonce) in the shared store until "until" (Unix
 * seconds) if it is new there. SH_STORE_LOCAL when the nonce belongs in
 * this server's shared memory instead, which the inbound side keeps: the
 * default store, and, with "local", the server's own self proofs, which
 * no other server can accept. "skew" is the clock skew allowed. A failure
 * is logged here, at warn at most once a second per process.
 */
sh_store_verdict sh_replay_store_add(request_rec *r, int local,
                                     const char *keyid, const char *nonce,
                                     apr_int64_t created, apr_int64_t until,
                                     apr_int64_t now, int skew);

/* Whether the nonces of upstream servers go to a shared store. */
int sh_replay_store_is_shared(void);

const char *sh_replay_store_cmd(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[]);

/* Its pre_config (the default again on every reading of the
 * configuration) and child_init (each child's connections). */
void sh_replay_store_register_hooks(apr_pool_t *p);

#endif /* SH_REPLAY_STORE_H */
