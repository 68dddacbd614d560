/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: counters since the server started, shared by all
 * children, shown in mod_status' server-status page (HTML and "?auto").
 * See docs/operations.md.
 *
 * They live in anonymous shared memory made at start-up, and only when
 * mod_status is loaded: without it sh_counters stays NULL and a count is
 * one test of a pointer, no write.
 */
#ifndef SH_STATUS_H
#define SH_STATUS_H

#include "httpd.h"
#include "apr.h"

/* One slot each; the groups start on their own 64-byte line (8 slots), so
 * that what every proxied request counts does not share a line with what
 * refusals count. Keep in step with sh_status.c's names. */
typedef enum {
    /* what goes out: every proxied request */
    SH_COUNT_ADDED = 0,             /* this server's secure headers sent */
    SH_COUNT_PASSED,                /* a trusted upstream's passed on */
    SH_COUNT_SIGNED_HMAC_SHA256,    /* in sh_alg order, see sh_count_signed */
    SH_COUNT_SIGNED_ED25519,
    SH_COUNT_SIGNED_ECDSA_P256_SHA256,
    SH_COUNT_ENV_OMITTED,           /* requests with variables left out */
    SH_COUNT_FAIL_CLOSED,           /* sent without secure headers */
    SH_COUNT_OFF,                   /* proxied with the module off */

    /* what comes in */
    SH_COUNT_UPSTREAM_ADDRESS = 8,  /* trusted for its peer address */
    SH_COUNT_UPSTREAM_KEY,          /* trusted for its signature */
    SH_COUNT_UPSTREAM_SELF,         /* this server's own request */

    /* refusals, in sh_refusal order (sh_report.h) */
    SH_COUNT_REFUSED_FIRST = 16,
    SH_COUNT_REFUSED_LAST = SH_COUNT_REFUSED_FIRST + 9,

    SH_COUNT_SLOTS = 32
} sh_counter;

/* The counters, or NULL when nothing shows them (mod_status not loaded). */
extern apr_uint64_t *sh_counters;

/* Relaxed atomic adds: nothing is ordered by a counter, and a lock-prefixed
 * add is the whole cost (a few instructions). */
static APR_INLINE void sh_count(sh_counter c)
{
    apr_uint64_t *slots = sh_counters;

    if (slots) {
        __atomic_fetch_add(&slots[c], 1, __ATOMIC_RELAXED);
    }
}

/* Hooks: the shared memory at start-up (post_config, kept across graceful
 * restarts in the process pool), its reset on a full start or restart
 * (pre_mpm, as mod_status' own figures) and the status page. */
void sh_status_register_hooks(apr_pool_t *p);

#endif /* SH_STATUS_H */
