/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: counters since the server started, in mod_status'
 * server-status page (sh_status.h, docs/operations.md).
 *
 * One anonymous shared memory segment, made by the parent at start-up in
 * the process pool, which outlives the configuration: a graceful restart
 * finds it again (apr_pool_userdata) and keeps counting, as mod_status'
 * own totals do; a full start or restart (SIGHUP) zeroes it in pre_mpm,
 * which httpd runs exactly then, as mod_status' scoreboard is reset. Every
 * child inherits the mapping. Nothing in the segment points into this
 * module, which is unloaded and loaded again on every restart.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "scoreboard.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_status.h"
#include "sh_status.h"

APLOG_USE_MODULE(secure_headers);

/* The layout's name: a module built with other slots finds no segment of
 * an older one across a graceful restart, and makes its own. */
#define SH_STATUS_KEY "mod_secure_headers-counters-1"

typedef struct {
    apr_shm_t *shm;
    apr_uint64_t *slots;
} sh_status_state;

apr_uint64_t *sh_counters;

/* Name (the "?auto" key) and description of each slot; NULL: padding. */
static const struct {
    const char *key;
    const char *what;
} sh_slot_names[SH_COUNT_SLOTS] = {
    [SH_COUNT_ADDED] = { "SecureHeadersAdded",
        "proxied requests sent with this server's secure headers" },
    [SH_COUNT_PASSED] = { "SecureHeadersPassed",
        "proxied requests sent with a trusted upstream server's secure "
        "headers (SecureHeadersUpstreamValues Pass)" },
    [SH_COUNT_SIGNED_HMAC_SHA256] = { "SecureHeadersSignedHmacSha256",
        "signed with an hmac-sha256 key" },
    [SH_COUNT_SIGNED_ED25519] = { "SecureHeadersSignedEd25519",
        "signed with an ed25519 key" },
    [SH_COUNT_SIGNED_ECDSA_P256_SHA256] = {
        "SecureHeadersSignedEcdsaP256Sha256",
        "signed with an ecdsa-p256-sha256 key" },
    [SH_COUNT_ENV_OMITTED] = { "SecureHeadersEnvOmitted",
        "requests whose environment was cut to SecureHeadersEnvMaxSize" },
    [SH_COUNT_FAIL_CLOSED] = { "SecureHeadersFailClosed",
        "requests sent without secure headers: a signature or proof could "
        "not be made" },
    [SH_COUNT_OFF] = { "SecureHeadersOff",
        "proxied requests in a scope where the module is off" },
    [SH_COUNT_UPSTREAM_ADDRESS] = { "SecureHeadersUpstreamAcceptedAddress",
        "requests from an upstream server trusted for its address" },
    [SH_COUNT_UPSTREAM_KEY] = { "SecureHeadersUpstreamAcceptedKey",
        "requests from an upstream server trusted for its signature" },
    [SH_COUNT_UPSTREAM_SELF] = { "SecureHeadersUpstreamAcceptedSelf",
        "this server's own requests to itself (self proof)" },
    [SH_COUNT_REFUSED_FIRST + 0] = { "SecureHeadersRefusedForged",
        "refused 400: a client sent a \"!~\" header" },
    [SH_COUNT_REFUSED_FIRST + 1] = { "SecureHeadersRefusedClientSignature",
        "refused 400: a client sent a secure-headers signature member" },
    [SH_COUNT_REFUSED_FIRST + 2] = { "SecureHeadersRefusedEnvOversize",
        "refused 500: environment over SecureHeadersEnvMaxSize "
        "(SecureHeadersEnvOversize Reject)" },
    [SH_COUNT_REFUSED_FIRST + 3] = { "SecureHeadersRefusedUpstreamSignature",
        "refused 400: an upstream's signature does not verify or is "
        "malformed" },
    [SH_COUNT_REFUSED_FIRST + 4] = { "SecureHeadersRefusedUpstreamExpired",
        "refused 400: an upstream's signature expired or is from the "
        "future" },
    [SH_COUNT_REFUSED_FIRST + 5] = { "SecureHeadersRefusedUpstreamAuthority",
        "refused 400: an upstream's signature was made for another server" },
    [SH_COUNT_REFUSED_FIRST + 6] = { "SecureHeadersRefusedUpstreamValues",
        "refused 400: a trusted upstream sent malformed secure headers" },
    [SH_COUNT_REFUSED_FIRST + 7] = { "SecureHeadersRefusedSelfProof",
        "refused 400: a self proof that is not this server's" },
    [SH_COUNT_REFUSED_FIRST + 8] = { "SecureHeadersRefusedReplay",
        "refused 400: a signature seen before, or older than the replay "
        "cache" },
    [SH_COUNT_REFUSED_FIRST + 9] = { "SecureHeadersRefusedStore",
        "refused 400: the replay cache could not vouch for a signature" },
};

static apr_status_t sh_status_create(server_rec *s, sh_status_state **out)
{
    apr_pool_t *pp = s->process->pool;
    sh_status_state *st = apr_pcalloc(pp, sizeof(*st));
    apr_size_t size = SH_COUNT_SLOTS * sizeof(apr_uint64_t);
    apr_status_t rv;

    rv = apr_shm_create(&st->shm, size, NULL, pp);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    st->slots = apr_shm_baseaddr_get(st->shm);
    memset(st->slots, 0, size);
    apr_pool_userdata_set(st, SH_STATUS_KEY, NULL, pp);
    *out = st;
    return APR_SUCCESS;
}

/*
 * Decided once per configuration: with mod_status loaded the counters
 * exist, without it sh_counters stays NULL and nothing is counted. The
 * segment is made the first time mod_status is there and kept from then
 * on, so loading mod_status in a graceful restart starts counting then.
 */
static int sh_status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    sh_status_state *st = NULL;
    apr_status_t rv;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    sh_counters = NULL;
    if (ap_find_linked_module("mod_status.c") == NULL) {
        return OK;
    }
    apr_pool_userdata_get((void **)&st, SH_STATUS_KEY, s->process->pool);
    if (st == NULL && (rv = sh_status_create(s, &st)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_secure_headers: "
                     "cannot make the shared memory of its server-status "
                     "counters");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sh_counters = st->slots;
    return OK;
}

/* httpd runs pre_mpm on a start and on a full restart, not on a graceful
 * one: the counters start again from zero exactly when mod_status'
 * "Total Accesses" does. No child of the old generation is left then. */
static int sh_status_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type)
{
    (void)p;
    (void)sb_type;
    if (sh_counters) {
        memset(sh_counters, 0, SH_COUNT_SLOTS * sizeof(apr_uint64_t));
    }
    return OK;
}

static int sh_status_hook(request_rec *r, int flags)
{
    int i;

    if (sh_counters == NULL) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_secure_headers</h2>\n"
                 "<p>Counts since the server started (kept across graceful "
                 "restarts).</p>\n<table border=\"0\">\n", r);
    }
    for (i = 0; i < SH_COUNT_SLOTS; i++) {
        apr_uint64_t n;

        if (sh_slot_names[i].key == NULL) {
            continue;
        }
        n = __atomic_load_n(&sh_counters[i], __ATOMIC_RELAXED);
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", sh_slot_names[i].key,
                       n);
        }
        else {
            ap_rprintf(r, "<tr><td><code>%s</code></td><td align=\"right\">%"
                       APR_UINT64_T_FMT "</td><td>%s</td></tr>\n",
                       sh_slot_names[i].key, n,
                       ap_escape_html(r->pool, sh_slot_names[i].what));
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

void sh_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* Any order: nothing else reads the counters at start-up. */
    ap_hook_post_config(sh_status_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_mpm(sh_status_pre_mpm, NULL, NULL, APR_HOOK_MIDDLE);
    /* An optional hook: registered whether or not mod_status is loaded,
     * before or after this module; it is only ever run by mod_status. */
    APR_OPTIONAL_HOOK(ap, status_hook, sh_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
