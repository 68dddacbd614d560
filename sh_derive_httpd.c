/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: per-backend derived signing keys inside httpd
 * (docs/derived-keys.md). The derivation itself is httpd-free, in
 * sh_derive.c; here are the directive's "hkdf-sha256" form, the look-up
 * of the key for the backend a request goes to, the start-up check, and
 * the printable-ASCII request target that signing needs.
 *
 * When the key is chosen: the module signs in mod_proxy's fixups hook,
 * which mod_proxy_http runs inside ap_proxy_create_hdrbrgd, after
 * proxy_handler has let the balancer choose its member and rewritten the
 * URL to it (r->filename from 2.4.58, BALANCER_WORKER_NAME before; see
 * sh_backend_url in mod_secure_headers.c). So the member is known by its
 * URL, but for two cases, which the start-up check refuses:
 *
 * - mod_proxy_http2 (h2://, h2c://) never runs that hook; the module signs
 *   its requests in the last ordinary fixup, before a balancer has chosen;
 * - a unix socket named by ProxyPass or BalancerMember: mod_proxy keeps
 *   the socket in the worker, which the hook cannot see, and rewrites the
 *   URL to "http://localhost/...", so two sockets look alike. (A unix
 *   socket reached through RewriteRule [P] leaves its path in the note
 *   "uds_path", which names it.)
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_file_io.h"

#include "mod_proxy.h"

#include "sh_config.h"
#include "sh_derive_httpd.h"
#include "sh_keyfile.h"

APLOG_USE_MODULE(secure_headers);

/* Keys kept per master per process; past that, derived per request. */
#define SH_DERIVE_CACHE_MAX 1024

/* The servers whose configuration signs with a derived key (the start-up
 * check looks at their workers), reset for each reading of the
 * configuration. */
static apr_array_header_t *sh_derive_servers;

static int sh_derive_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    sh_derive_servers = apr_array_make(pconf, 4, sizeof(server_rec *));
    return OK;
}

const char *sh_derive_directive(cmd_parms *cmd, const char *keyid,
                                const char *file, sh_derive **out)
{
    sh_keyfile kf = { NULL, NULL, 0, 0 };
    const char *err;

    if ((err = sh_keyfile_read(cmd, file, "master key file", 64 * 1024, &kf))
        || (err = sh_keyfile_owner_only(cmd, &kf, "master key file"))) {
        sh_keyfile_wipe(&kf);
        return err;
    }
    err = sh_derive_create(cmd->pool, keyid, kf.bytes, kf.len,
                           SH_DERIVE_CACHE_MAX, out);
    sh_keyfile_wipe(&kf);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s %s: %s", cmd->cmd->name,
                            keyid, SH_DERIVE_ALG_NAME, kf.path, err);
    }
    *(server_rec **)apr_array_push(sh_derive_servers) = cmd->server;
    return NULL;
}

const sh_key *sh_derive_key_of(request_rec *r, sh_derive *d,
                               const char *url)
{
    const sh_key *key = sh_derive_key_for_url(d, r->pool, url,
                                              apr_table_get(r->notes,
                                                            "uds_path"));

    if (key == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "cannot sign with the "
                      "derived key '%s': the backend of %s cannot be named "
                      "(docs/derived-keys.md)", sh_derive_keyid(d), url);
    }
    return key;
}

void sh_derive_printable_target(request_rec *r)
{
    int changed;
    const char *v;

    if (r->args) {
        v = sh_target_printable(r->pool, r->args, &changed);
        if (changed) {
            r->args = (char *)v;
        }
    }
    if (r->filename && !strncmp(r->filename, "proxy:", 6)) {
        v = sh_target_printable(r->pool, r->filename, &changed);
        if (changed) {
            r->filename = (char *)v;
        }
    }
}

/* --- the start-up check ------------------------------------------------ */

static int sh_derive_server_signs(server_rec *s, server_rec *main_s)
{
    int i;

    for (i = 0; i < sh_derive_servers->nelts; i++) {
        server_rec *d = APR_ARRAY_IDX(sh_derive_servers, i, server_rec *);

        /* What the main server says, every virtual host inherits. */
        if (d == s || d == main_s) {
            return 1;
        }
    }
    return 0;
}

/* Why this worker cannot be named when the module signs, or NULL. */
static const char *sh_derive_unnamed(const proxy_worker *w, int member)
{
    const char *scheme = w->s->scheme;

    if (!strcasecmp(scheme, "h2") || !strcasecmp(scheme, "h2c")) {
        return "mod_proxy_http2 sends the request without running "
               "mod_proxy's fixups hook, so the module signs before a "
               "balancer chooses and for h2 targets cannot know the member";
    }
    if (*w->s->uds_path) {
        return member ? "a balancer member on a unix socket is known to "
                        "mod_proxy only by its worker, which the module "
                        "cannot see when it signs"
                      : "mod_proxy keeps a ProxyPass unix socket in its "
                        "worker and sends the request as to "
                        "http://localhost, so the module cannot tell one "
                        "socket from another when it signs";
    }
    return NULL;
}

/* Whether the module can name worker w (a member of balancer b, or NULL)
 * when it signs; if not, says why and what to do, and returns 0. */
static int sh_derive_nameable(server_rec *s, proxy_worker *w,
                              proxy_balancer *b)
{
    const char *why = sh_derive_unnamed(w, b != NULL);

    if (why == NULL) {
        return 1;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 "SecureHeadersSignKey ... %s: cannot sign for %s%s%s%s with "
                 "a derived key: %s. Sign this scope with a key of its own "
                 "(hmac-sha256, ed25519), or proxy to http:// or https:// "
                 "(docs/derived-keys.md)", SH_DERIVE_ALG_NAME,
                 b ? "member " : "", w->s->name, b ? " of " : "",
                 b ? b->s->name : "", why);
    return 0;
}

static int sh_derive_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *main_s)
{
    module *proxy = ap_find_linked_module("mod_proxy.c");
    server_rec *s;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    if (proxy == NULL || sh_derive_servers == NULL
        || sh_derive_servers->nelts == 0) {
        return OK;
    }
    for (s = main_s; s; s = s->next) {
        proxy_server_conf *conf;
        int i, j;

        if (!sh_derive_server_signs(s, main_s)) {
            continue;
        }
        conf = ap_get_module_config(s->module_config, proxy);
        for (i = 0; conf && i < conf->workers->nelts; i++) {
            /* conf->workers holds the workers themselves; a balancer's
             * array holds pointers. */
            if (!sh_derive_nameable(s, &APR_ARRAY_IDX(conf->workers, i,
                                                      proxy_worker), NULL)) {
                return !OK;
            }
        }
        for (i = 0; conf && i < conf->balancers->nelts; i++) {
            proxy_balancer *b = &APR_ARRAY_IDX(conf->balancers, i,
                                               proxy_balancer);

            for (j = 0; b->workers && j < b->workers->nelts; j++) {
                if (!sh_derive_nameable(s, APR_ARRAY_IDX(b->workers, j,
                                                         proxy_worker *), b)) {
                    return !OK;
                }
            }
        }
    }
    return OK;
}

void sh_derive_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(sh_derive_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(sh_derive_check_config, NULL, NULL,
                         APR_HOOK_MIDDLE);
}
