/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the configuration, in one place: the directory and
 * server configurations with their create and merge functions, every
 * directive's parser and help text, and the key files they read. Every
 * member of both configurations has a default in create and a rule in
 * merge (scripts/check-config checks it).
 *
 * Directive errors name the directive, quote the value and say the fix;
 * checks that need the whole configuration (a key id that some other line
 * must define) run in the check_config hook.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_hash.h"
#include "apr_lib.h"

#include "mod_secure_headers.h"
#include "sh_config.h"
#include "sh_derive_httpd.h"
#include "sh_headers.h"
#include "sh_replay_store.h"

APLOG_USE_MODULE(secure_headers);

/* Upper bound for SecureHeadersEnvMaxSize: far past any backend's limit. */
#define SH_ENV_MAX_CEILING (1024 * 1024)

/* --- the directory configuration --------------------------------------- */

void *sh_config_create_dir(apr_pool_t *p, char *dir)
{
    sh_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->enabled = SH_UNSET;
    conf->xforwarded = SH_UNSET;
    conf->include = apr_array_make(p, 0, sizeof(sh_pattern));
    conf->exclude = apr_array_make(p, 0, sizeof(sh_pattern));
    conf->max_env = SH_UNSET;
    conf->oversize = SH_OVERSIZE_UNSET;
    conf->sign_key = NULL;
    conf->sign_derive = NULL;
    conf->sign_off = SH_UNSET;
    conf->sign_lifetime = SH_UNSET;
    conf->values_policy = SH_VALUES_UNSET;
    return conf;
}

/* Lists accumulate from server to vhost to location, so a location can
 * narrow what its vhost sends but never silently widen an exclusion. */
void *sh_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    const sh_dir_conf *base = basev;
    const sh_dir_conf *add = addv;
    sh_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->enabled = add->enabled != SH_UNSET ? add->enabled : base->enabled;
    conf->xforwarded = add->xforwarded != SH_UNSET ? add->xforwarded
                                                   : base->xforwarded;
    conf->include = apr_array_append(p, base->include, add->include);
    conf->exclude = apr_array_append(p, base->exclude, add->exclude);
    conf->max_env = add->max_env != SH_UNSET ? add->max_env : base->max_env;
    conf->oversize = add->oversize != SH_OVERSIZE_UNSET ? add->oversize
                                                        : base->oversize;
    /* A key or "None" set here replaces whatever the scope around said. */
    if (add->sign_key || add->sign_derive || add->sign_off == 1) {
        conf->sign_key = add->sign_key;
        conf->sign_derive = add->sign_derive;
        conf->sign_off = add->sign_off;
    }
    else {
        conf->sign_key = base->sign_key;
        conf->sign_derive = base->sign_derive;
        conf->sign_off = base->sign_off;
    }
    conf->sign_lifetime = add->sign_lifetime != SH_UNSET ? add->sign_lifetime
                                                         : base->sign_lifetime;
    conf->values_policy = add->values_policy != SH_VALUES_UNSET
                          ? add->values_policy : base->values_policy;
    return conf;
}

/* --- directives of the directory configuration ------------------------ */

/* A directive with two keywords, compared without case; AP_INIT_FLAG's own
 * message would not repeat the bad value, so configtest names both the
 * directive and the value here. */
static const char *sh_parse_keyword(cmd_parms *cmd, const char *arg,
                                    const char *first, int first_value,
                                    const char *second, int second_value,
                                    int *out)
{
    if (!strcasecmp(arg, first)) {
        *out = first_value;
    }
    else if (!strcasecmp(arg, second)) {
        *out = second_value;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither %s nor %s",
                            cmd->cmd->name, arg, first, second);
    }
    return NULL;
}

static const char *sh_parse_on_off(cmd_parms *cmd, const char *arg, int *out)
{
    return sh_parse_keyword(cmd, arg, "On", 1, "Off", 0, out);
}

static const char *sh_set_enabled(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    return sh_parse_on_off(cmd, arg, &((sh_dir_conf *)dconf)->enabled);
}

static const char *sh_set_xforwarded(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    return sh_parse_on_off(cmd, arg, &((sh_dir_conf *)dconf)->xforwarded);
}

static const char *sh_add_pattern(cmd_parms *cmd, apr_array_header_t *list,
                                  const char *arg)
{
    const char *err = sh_env_pattern_compile(cmd->pool, arg,
                                         apr_array_push(list));

    if (err) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    return NULL;
}

static const char *sh_add_include(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    return sh_add_pattern(cmd, ((sh_dir_conf *)dconf)->include, arg);
}

static const char *sh_add_exclude(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    return sh_add_pattern(cmd, ((sh_dir_conf *)dconf)->exclude, arg);
}

static const char *sh_set_max_env(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    char *end;
    apr_off_t size;

    if (apr_strtoff(&size, arg, &end, 10) != APR_SUCCESS || *end
        || !apr_isdigit(*arg) || size > SH_ENV_MAX_CEILING
        || (size > 0 && size < 4)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a size in bytes: give 0 for no "
                            "limit, or 4 to %d", cmd->cmd->name, arg,
                            SH_ENV_MAX_CEILING);
    }
    ((sh_dir_conf *)dconf)->max_env = size;
    return NULL;
}

static const char *sh_set_oversize(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    int v = SH_OVERSIZE_UNSET;
    const char *err = sh_parse_keyword(cmd, arg, "Omit", SH_OVERSIZE_OMIT,
                                       "Reject", SH_OVERSIZE_REJECT, &v);

    if (err == NULL) {
        ((sh_dir_conf *)dconf)->oversize = (sh_oversize_policy)v;
    }
    return err;
}

static const char *sh_set_values_policy(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    int v = SH_VALUES_UNSET;
    const char *err = sh_parse_keyword(cmd, arg, "Pass", SH_VALUES_PASS,
                                       "Recompute", SH_VALUES_RECOMPUTE, &v);

    if (err == NULL) {
        ((sh_dir_conf *)dconf)->values_policy = (sh_values_policy)v;
    }
    return err;
}

static const char *sh_set_sign_lifetime(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);

    if (!apr_isdigit(*arg) || *end || n < 1 || n > SH_SIGN_LIFETIME_MAX) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from 1 to %d", cmd->cmd->name, arg,
                            SH_SIGN_LIFETIME_MAX);
    }
    ((sh_dir_conf *)dconf)->sign_lifetime = (int)n;
    return NULL;
}

/* --- key files --------------------------------------------------------- */

/* Key files hold secrets (an HMAC key, a private key): like mod_ssl's
 * SSLCertificateKeyFile they are read once here, while the server still
 * runs as root, and must not be readable by anyone else. */
static unsigned sh_mode_bits(apr_fileperms_t prot)
{
    static const struct {
        apr_fileperms_t apr;
        unsigned mode;
    } bits[] = {
        { APR_FPROT_UREAD, 0400 }, { APR_FPROT_UWRITE, 0200 },
        { APR_FPROT_UEXECUTE, 0100 }, { APR_FPROT_GREAD, 040 },
        { APR_FPROT_GWRITE, 020 }, { APR_FPROT_GEXECUTE, 010 },
        { APR_FPROT_WREAD, 04 }, { APR_FPROT_WWRITE, 02 },
        { APR_FPROT_WEXECUTE, 01 },
    };
    unsigned mode = 0;
    apr_size_t i;

    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (prot & bits[i].apr) {
            mode |= bits[i].mode;
        }
    }
    return mode;
}

static const char *sh_key_file_mode_error(cmd_parms *cmd, const char *path,
                                          const apr_finfo_t *fi)
{
    if (fi->protection & (APR_FPROT_GREAD | APR_FPROT_WREAD)) {
        return apr_psprintf(cmd->pool, "%s: key file %s is readable by "
                            "group or others (mode %04o): make it readable "
                            "by its owner only (chmod 600)", cmd->cmd->name,
                            path, sh_mode_bits(fi->protection));
    }
    return NULL;
}

/* Reads and parses a key file as SecureHeadersSignKey (private_only) and
 * SecureHeadersUpstreamKey need it. */
static const char *sh_load_key_file(cmd_parms *cmd, const char *keyid,
                                    const char *alg_name, const char *file,
                                    int private_only, const sh_key **out)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, file);
    sh_alg alg = sh_alg_from_name(alg_name);
    apr_finfo_t fi;
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t got;
    unsigned char *bytes;
    const char *err;
    sh_key *key;
    char errbuf[120];

    if (alg == SH_ALG_NONE) {
        return apr_psprintf(cmd->pool, "%s: unknown algorithm '%s': use "
                            "hmac-sha256, ed25519 or ecdsa-p256-sha256",
                            cmd->cmd->name, alg_name);
    }
    err = sh_key_id_check(keyid);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: key id '%s': %s", cmd->cmd->name,
                            keyid, err);
    }
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, file);
    }
    rv = apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_PROT | APR_FINFO_TYPE,
                  cmd->temp_pool);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: key file %s is not a regular "
                            "file", cmd->cmd->name, path);
    }
    if (rv == APR_SUCCESS && fi.size > 1024 * 1024) {
        return apr_psprintf(cmd->pool, "%s: key file %s is larger than 1 MiB",
                            cmd->cmd->name, path);
    }
    if (rv != APR_SUCCESS
        || (rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                               APR_OS_DEFAULT, cmd->temp_pool))
           != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read key file %s: %s",
                            cmd->cmd->name, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    bytes = apr_palloc(cmd->temp_pool, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, bytes, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s: cannot read key file %s: %s",
                            cmd->cmd->name, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    if (alg == SH_ALG_HMAC_SHA256
        && (err = sh_key_file_mode_error(cmd, path, &fi)) != NULL) {
        return err;
    }
    err = sh_key_from_bytes(cmd->pool, keyid, alg, bytes, got, private_only,
                            &key);
    memset(bytes, 0, got);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: key file %s (%s): %s",
                            cmd->cmd->name, path, alg_name, err);
    }
    if (key->can_sign && (err = sh_key_file_mode_error(cmd, path, &fi))) {
        return err;
    }
    *out = key;
    return NULL;
}

static const char *sh_set_sign_key(cmd_parms *cmd, void *dconf,
                                   const char *keyid, const char *alg,
                                   const char *file)
{
    sh_dir_conf *conf = dconf;

    if (alg == NULL) {
        if (strcasecmp(keyid, "None") != 0) {
            return apr_psprintf(cmd->pool, "%s: '%s': give a key id, an "
                                "algorithm and a key file, or None",
                                cmd->cmd->name, keyid);
        }
        conf->sign_key = NULL;
        conf->sign_derive = NULL;
        conf->sign_off = 1;
        return NULL;
    }
    if (file == NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s %s': the key file is "
                            "missing", cmd->cmd->name, keyid, alg);
    }
    conf->sign_off = 0;
    conf->sign_key = NULL;
    conf->sign_derive = NULL;
    if (!strcasecmp(alg, SH_DERIVE_ALG_NAME)) {
        return sh_derive_directive(cmd, keyid, file, &conf->sign_derive);
    }
    if (sh_alg_from_name(alg) == SH_ALG_NONE) {
        return apr_psprintf(cmd->pool, "%s: unknown algorithm '%s': use "
                            "hmac-sha256, ed25519 or ecdsa-p256-sha256, or "
                            SH_DERIVE_ALG_NAME " with a master secret for "
                            "per-backend keys (docs/derived-keys.md)",
                            cmd->cmd->name, alg);
    }
    return sh_load_key_file(cmd, keyid, alg, file, 1, &conf->sign_key);
}

/* --- the server configuration ------------------------------------------ */

void *sh_config_create_srv(apr_pool_t *p, server_rec *s)
{
    sh_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->upstreams = apr_array_make(p, 0, sizeof(sh_upstream));
    conf->upstream_keys = apr_hash_make(p);
    return conf;
}

void *sh_config_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    const sh_srv_conf *base = basev;
    const sh_srv_conf *add = addv;
    sh_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->upstreams = apr_array_append(p, base->upstreams, add->upstreams);
    conf->upstream_keys = apr_hash_overlay(p, add->upstream_keys,
                                           base->upstream_keys);
    return conf;
}

static const char *sh_add_upstream(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    sh_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &secure_headers_module);
    sh_upstream *up = apr_array_push(conf->upstreams);
    char *addr, *mask;
    apr_status_t rv;
    char errbuf[120];

    (void)dconf;
    up->text = apr_pstrdup(cmd->pool, arg);
    up->subnet = NULL;
    up->keyid = NULL;
    if (!strncmp(arg, "key=", 4)) {
        const char *err = sh_key_id_check(arg + 4);

        if (err) {
            return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name,
                                arg, err);
        }
        up->keyid = up->text + 4;
        return NULL;
    }
    addr = apr_pstrdup(cmd->temp_pool, arg);
    mask = strchr(addr, '/');
    if (mask) {
        *mask++ = '\0';
    }
    /* apr_ipsubnet_create takes "10.1" for 10.1.0.0/16; a name that is
     * meant to be one address must not quietly become a block. */
    if (!sh_headers_is_ip_literal(addr)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither an IPv4 or IPv6 "
                            "address, nor a CIDR block (address/bits), nor "
                            "key=ID", cmd->cmd->name, arg);
    }
    rv = apr_ipsubnet_create(&up->subnet, addr, mask, cmd->pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid address "
                            "block: %s", cmd->cmd->name, arg,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    return NULL;
}

static const char *sh_set_upstream_key(cmd_parms *cmd, void *dconf,
                                       const char *keyid, const char *alg,
                                       const char *file)
{
    sh_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &secure_headers_module);
    const sh_key *key;
    const char *err;

    (void)dconf;
    err = sh_load_key_file(cmd, keyid, alg, file, 0, &key);
    if (err) {
        return err;
    }
    apr_hash_set(conf->upstream_keys, key->keyid, APR_HASH_KEY_STRING, key);
    return NULL;
}

/* Every key=ID must name a key this virtual host knows; checked once the
 * whole configuration is read, so that the order of the lines is free. */
static int sh_config_check(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    for (; s; s = s->next) {
        const sh_srv_conf *conf = ap_get_module_config(s->module_config,
                                                       &secure_headers_module);
        const sh_upstream *up = (const sh_upstream *)conf->upstreams->elts;
        int i;

        for (i = 0; i < conf->upstreams->nelts; i++) {
            if (up[i].keyid && !apr_hash_get(conf->upstream_keys, up[i].keyid,
                                             APR_HASH_KEY_STRING)) {
                ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL,
                             "SecureHeadersUpstream: key id '%s' (in %s:%d) "
                             "is not defined by SecureHeadersUpstreamKey",
                             up[i].keyid, s->defn_name ? s->defn_name
                             : "the server configuration", s->defn_line_number);
                (void)ptemp;
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

/* --- the command table ------------------------------------------------- */

/* Help texts are plain strings (tests/directives-doc.test.js reads them
 * from here); the one that quotes the lifetime's numbers stays in step with
 * them through this check. */
#if SH_DEFAULT_SIGN_LIFETIME != 60 || SH_SIGN_LIFETIME_MAX != 86400
#error "SecureHeadersSignLifetime's help text names other numbers"
#endif

const command_rec sh_config_cmds[] = {
    AP_INIT_TAKE1("SecureHeaders", sh_set_enabled, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "On (default) to add !~Passenger-Proto, "
                  "!~Passenger-Client-Address and !~Passenger-Envvars to "
                  "requests proxied from this server, virtual host or "
                  "location; Off to send none. Client requests carrying "
                  "\"!~\" headers are refused everywhere either way."),
    AP_INIT_ITERATE("SecureHeadersEnvInclude", sh_add_include, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "One or more environment variable names or wildcard "
                    "patterns (*, ?, [...]; case-insensitive). When any is "
                    "given, only matching variables go into "
                    "!~Passenger-Envvars. Lists add up from server to "
                    "virtual host to location."),
    AP_INIT_ITERATE("SecureHeadersEnvExclude", sh_add_exclude, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "One or more environment variable names or wildcard "
                    "patterns (*, ?, [...]; case-insensitive) never to put "
                    "into !~Passenger-Envvars, e.g. SSL_*_CERT* or "
                    "*PASSWORD*. Wins over SecureHeadersEnvInclude. Lists "
                    "add up from server to virtual host to location."),
    AP_INIT_TAKE1("SecureHeadersEnvMaxSize", sh_set_max_env, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Largest !~Passenger-Envvars header value to send, in "
                  "bytes as encoded (base64); 0 for no limit. Default 8192, "
                  "well inside Node.js's 16 KiB limit for all headers."),
    AP_INIT_TAKE1("SecureHeadersEnvOversize", sh_set_oversize, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "What to do when the environment would pass "
                  "SecureHeadersEnvMaxSize: Omit (default) leaves the "
                  "largest variables out and logs their names; Reject "
                  "answers 500 without contacting the backend."),
    AP_INIT_TAKE1("SecureHeadersXForwarded", sh_set_xforwarded, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "On to replace X-Forwarded-Proto, X-Forwarded-Host and "
                  "X-Forwarded-For on proxied requests with the values this "
                  "server knows to be true, so that frameworks trusting the "
                  "proxy (Express's 'trust proxy') cannot be fooled by a "
                  "client; Off (default) leaves them to mod_proxy."),
    AP_INIT_TAKE13("SecureHeadersSignKey", sh_set_sign_key, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "keyid algorithm file: sign every request that gets "
                   "secure headers with an RFC 9421 HTTP Message Signature "
                   "(label secure-headers) that backends on other hosts can "
                   "verify. algorithm is hmac-sha256 (file: the secret, at "
                   "least 32 bytes), ed25519 or ecdsa-p256-sha256 (file: a "
                   "PEM private key); the file is read once at start-up and "
                   "must be readable by its owner only. hkdf-sha256 (file: "
                   "a master secret, at least 32 bytes): sign each request "
                   "with alg hmac-sha256 and a key derived for the backend "
                   "it goes to (docs/derived-keys.md). None: do not sign "
                   "in this scope."),
    AP_INIT_TAKE1("SecureHeadersSignLifetime", sh_set_sign_lifetime, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Seconds a signature stays valid (its expires parameter "
                  "is created plus this); default 60, at most 86400."),
    AP_INIT_ITERATE("SecureHeadersUpstream", sh_add_upstream, NULL,
                    RSRC_CONF,
                    "Servers in front of this one whose secure headers are "
                    "believed instead of refused: IPv4/IPv6 addresses or "
                    "CIDR blocks of the connection's peer (never a header), "
                    "or key=ID for requests signed with the key of "
                    "SecureHeadersUpstreamKey ID. Lists add up from server "
                    "to virtual host."),
    AP_INIT_TAKE3("SecureHeadersUpstreamKey", sh_set_upstream_key, NULL,
                  RSRC_CONF,
                  "keyid algorithm file: a key an upstream server signs "
                  "with (hmac-sha256: the shared secret; ed25519 or "
                  "ecdsa-p256-sha256: its PEM public key), for "
                  "SecureHeadersUpstream key=keyid."),
    AP_INIT_TAKE1("SecureHeadersUpstreamValues", sh_set_values_policy, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "For requests from an upstream server: Pass (default) "
                  "forwards the secure headers it sent (what it saw: the "
                  "real client address and protocol), re-signed when this "
                  "server signs; Recompute drops them and sends this "
                  "server's own."),
    /* Parsed by the store itself (sh_replay_store.c), whose syntax it is. */
    AP_INIT_TAKE_ARGV("SecureHeadersReplayStore", sh_replay_store_cmd, NULL,
                      RSRC_CONF,
                      "Where the nonces of upstream servers' signatures are "
                      "remembered: shm (default: this server's shared "
                      "memory) or memcache:host:port[,host:port...] "
                      "[timeout=ms] [prefix=text], memcached servers shared "
                      "by several servers that answer to one name (each "
                      "nonce on one of them). A store that fails or does not "
                      "answer within the timeout (default 500 ms) refuses "
                      "the request with 503. Server config only."),
    AP_INIT_TAKE1(NULL, NULL, NULL, 0, NULL)
};


void sh_config_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* Middle: nothing else of this module's runs then, and the check reads
     * only this module's configuration. */
    ap_hook_check_config(sh_config_check, NULL, NULL, APR_HOOK_MIDDLE);
}
