/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: SecureHeadersReplayStore, the store of the nonces
 * that the inbound side has accepted (include/sh_replay_store.h).
 *
 * Default, "shm": the replay cache in this server's shared memory. With
 * "memcache:host:port,...", nonces of upstream servers' signatures go to
 * memcached with one atomic "add" each (sh_memcache.c), so that several
 * servers behind one name refuse a request that any of them has accepted.
 * A store that fails, or cannot vouch for a signature, refuses it with 503:
 * the fault is the server's, not the request's, and a balancer in front
 * may try another member or again later. Failing open would let exactly
 * the captured request through that the store is there to stop.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "apr_strings.h"
#include "apr_atomic.h"

#include "sh_memcache.h"
#include "sh_replay_store.h"

APLOG_USE_MODULE(secure_headers);

#define SH_STORE_DEFAULT_PREFIX "mod_secure_headers:"
#define SH_STORE_DEFAULT_TIMEOUT_MS 500
/* How long a server that failed is left alone, per process: requests meet
 * a quick 503 instead of a timeout each while it is away. */
#define SH_STORE_RETRY apr_time_from_sec(1)

typedef struct {
    const char *text;               /* the directive's arguments, for logs */
    apr_array_header_t *servers;    /* sh_mc_server */
    const char *prefix;
    apr_interval_time_t timeout;
} sh_store_conf;

/* The configuration being read (pconf: gone with it), NULL for shm; and
 * each child's client. Server config only, so one per server. */
static sh_store_conf *sh_store;
static sh_mc *sh_store_client;

/* Rate limit of the failure warning, its own: a warning about something
 * else in the same second must not hide that the store is down. */
static volatile apr_uint32_t sh_store_logged_second;
static volatile apr_uint32_t sh_store_unlogged;

/* --- configuration ----------------------------------------------------- */

static const char *sh_store_timeout(cmd_parms *cmd, const char *v,
                                    apr_interval_time_t *out)
{
    char *end;
    apr_int64_t n = apr_strtoi64(v, &end, 10);

    if (end != v && *end == 's' && end[1] == '\0') {
        n *= 1000;
    }
    else if (end == v || (*end && strcmp(end, "ms"))) {
        n = -1;
    }
    if (n < 1 || n > 60000) {
        return apr_psprintf(cmd->pool, "%s: timeout '%s' is not a time from "
                            "1ms to 60s: write milliseconds (timeout=500 or "
                            "timeout=500ms) or seconds (timeout=2s)",
                            cmd->cmd->name, v);
    }
    *out = apr_time_from_msec(n);
    return NULL;
}

const char *sh_replay_store_cmd(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *name = cmd->cmd->name;
    sh_store_conf *conf;
    int i;

    (void)dconf;
    if (err) {
        return err;
    }
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs a store: shm or "
                            "memcache:host:port[,host:port...]", name);
    }
    if (!strcasecmp(argv[0], "shm")) {
        if (argc > 1) {
            return apr_psprintf(cmd->pool, "%s shm: '%s': shm takes no "
                                "options", name, argv[1]);
        }
        sh_store = NULL;
        return NULL;
    }
    if (strncasecmp(argv[0], "memcache:", 9) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a store this module "
                            "knows: use shm (this server's shared memory, "
                            "the default) or memcache:host:port[,host:port...]"
                            " (memcached, shared by several servers)",
                            name, argv[0]);
    }
    conf = apr_pcalloc(cmd->pool, sizeof(*conf));
    conf->prefix = SH_STORE_DEFAULT_PREFIX;
    conf->timeout = apr_time_from_msec(SH_STORE_DEFAULT_TIMEOUT_MS);
    err = sh_mc_parse_servers(cmd->pool, argv[0] + 9, &conf->servers);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s; write memcache:host:port"
                            "[,host:port...], e.g. memcache:10.0.0.5:11211",
                            name, argv[0], err);
    }
    for (i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "timeout=", 8)) {
            err = sh_store_timeout(cmd, argv[i] + 8, &conf->timeout);
            if (err) {
                return err;
            }
        }
        else if (!strncmp(argv[i], "prefix=", 7)) {
            err = sh_mc_prefix_check(argv[i] + 7);
            if (err) {
                return apr_psprintf(cmd->pool, "%s: '%s': %s", name, argv[i],
                                    err);
            }
            conf->prefix = argv[i] + 7;
        }
        else {
            return apr_psprintf(cmd->pool, "%s: unknown option '%s': "
                                "memcache takes timeout=ms and prefix=text",
                                name, argv[i]);
        }
    }
    conf->text = apr_pstrdup(cmd->pool, argv[0]);
    sh_store = conf;
    return NULL;
}

int sh_replay_store_is_shared(void)
{
    return sh_store != NULL;
}

/* --- hooks ------------------------------------------------------------- */

static int sh_replay_store_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                      apr_pool_t *ptemp)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    sh_store = NULL;
    sh_store_client = NULL;
    return OK;
}

/* Each child its own connections, one per thread at most, opened when
 * first needed: a store that is down at start-up is not an error yet. */
static void sh_replay_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threads = 1;
    apr_status_t rv;

    if (sh_store == NULL) {
        return;
    }
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || threads < 1) {
        threads = 1;
    }
    rv = sh_mc_create(pchild, sh_store->servers, sh_store->timeout,
                      SH_STORE_RETRY, threads, &sh_store_client);
    if (rv != APR_SUCCESS) {
        sh_store_client = NULL;
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "SecureHeadersReplayStore "
                     "%s: cannot set up the connections; signed requests "
                     "from upstream servers are refused with 503",
                     sh_store->text);
    }
}

void sh_replay_store_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* pre_config: before the configuration is read, so that a directive
     * removed from it is removed from the server too. child_init: the
     * connections belong to the child, whatever else initialises it. */
    ap_hook_pre_config(sh_replay_store_pre_config, NULL, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_child_init(sh_replay_store_child_init, NULL, NULL,
                       APR_HOOK_MIDDLE);
}

/* --- the check --------------------------------------------------------- */

/* APLOG_WARNING for the first failure in a second in this process, else
 * APLOG_DEBUG; *skipped gets how many were not warned about before it. */
static int sh_store_log_level(apr_uint32_t *skipped)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(&sh_store_logged_second);

    if (last != now
        && apr_atomic_cas32(&sh_store_logged_second, now, last) == last) {
        *skipped = apr_atomic_xchg32(&sh_store_unlogged, 0);
        return APLOG_WARNING;
    }
    apr_atomic_inc32(&sh_store_unlogged);
    *skipped = 0;
    return APLOG_DEBUG;
}

sh_store_verdict sh_replay_store_add(request_rec *r, int local,
                                     const char *keyid, const char *nonce,
                                     apr_int64_t created, apr_int64_t until,
                                     apr_int64_t now, int skew)
{
    const sh_mc_server *server = NULL;
    const char *why = "its connections could not be set up (see the log "
                      "at start-up)";
    apr_uint32_t skipped;
    int level;

    if (local || sh_store == NULL) {
        return SH_STORE_LOCAL;
    }
    if (sh_store_client) {
        switch (sh_mc_add_nonce(sh_store_client, r->pool, sh_store->prefix,
                                keyid, nonce, created, until, now, skew,
                                &why, &server)) {
        case SH_MC_FRESH:
            return SH_STORE_FRESH;
        case SH_MC_REPLAYED:
            return SH_STORE_REPLAYED;
        default:
            break;
        }
    }
    /* ap_log_rerror evaluates its level twice: decide it once. */
    level = sh_store_log_level(&skipped);
    ap_log_rerror(APLOG_MARK, level, 0, r, "SecureHeadersReplayStore %s: "
                  "memcached %s failed: %s; refused a signed request from "
                  "upstream server %s with 503%s", sh_store->text,
                  server ? server->text : "", why, r->connection->client_ip,
                  skipped ? apr_psprintf(r->pool, " (and %u more since the "
                                         "last such message)", skipped) : "");
    return SH_STORE_FAILED;
}
