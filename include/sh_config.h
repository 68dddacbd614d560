/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the configuration (sh_config.c), which every httpd
 * file of the module reads: the directory and server configurations, the
 * command table, and the module record they belong to
 * (mod_secure_headers.c) that per-module data and log levels are found by.
 */
#ifndef SH_CONFIG_H
#define SH_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_hash.h"
#include "apr_network_io.h"

#include "sh_env.h"
#include "sh_keys.h"

extern module AP_MODULE_DECLARE_DATA secure_headers_module;

#define SH_UNSET (-1)

typedef enum {
    SH_OVERSIZE_UNSET = 0,
    SH_OVERSIZE_OMIT,       /* leave the largest variables out, log them */
    SH_OVERSIZE_REJECT      /* answer 500, never reach the backend */
} sh_oversize_policy;

/* SecureHeadersUpstreamValues: what a request from a trusted upstream
 * server forwards. */
typedef enum {
    SH_VALUES_UNSET = 0,
    SH_VALUES_PASS,         /* forward what the upstream server saw */
    SH_VALUES_RECOMPUTE     /* drop it, send this server's own values */
} sh_values_policy;

typedef struct {
    int enabled;                    /* SecureHeaders */
    int xforwarded;                 /* SecureHeadersXForwarded */
    apr_array_header_t *include;    /* SecureHeadersEnvInclude, sh_pattern */
    apr_array_header_t *exclude;    /* SecureHeadersEnvExclude, sh_pattern */
    apr_off_t max_env;              /* SecureHeadersEnvMaxSize; UNSET, 0 */
    sh_oversize_policy oversize;    /* SecureHeadersEnvOversize */
    const sh_key *sign_key;         /* SecureHeadersSignKey; NULL: unset */
    struct sh_derive *sign_derive;  /* SecureHeadersSignKey ... hkdf-sha256 */
    int sign_off;                   /* SecureHeadersSignKey None */
    int sign_lifetime;              /* SecureHeadersSignLifetime; UNSET */
    sh_values_policy values_policy; /* SecureHeadersUpstreamValues */
} sh_dir_conf;

/* An upstream server, one in front of this one whose secure headers are
 * believed (SecureHeadersUpstream): an address block, or the key id of a
 * SecureHeadersUpstreamKey. "Upstream" means such a server throughout. */
typedef struct {
    apr_ipsubnet_t *subnet;         /* NULL for a key */
    const char *keyid;              /* NULL for an address */
    const char *text;               /* as written, for messages */
} sh_upstream;

typedef struct {
    apr_array_header_t *upstreams;  /* sh_upstream; add up like the lists */
    apr_hash_t *upstream_keys;      /* keyid -> const sh_key *, verifying */
} sh_srv_conf;

/* Default of SecureHeadersSignLifetime, in seconds. */
#define SH_DEFAULT_SIGN_LIFETIME 60

/* Upper bound for SecureHeadersSignLifetime, and the longest lifetime of a
 * signature this server accepts: a day. */
#define SH_SIGN_LIFETIME_MAX 86400

/* The module record's configuration functions and command table. */
void *sh_config_create_dir(apr_pool_t *p, char *dir);
void *sh_config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *sh_config_create_srv(apr_pool_t *p, server_rec *s);
void *sh_config_merge_srv(apr_pool_t *p, void *basev, void *addv);
extern const command_rec sh_config_cmds[];

/* The configuration's own hook: the checks that need the whole of it. */
void sh_config_register_hooks(apr_pool_t *p);

#endif /* SH_CONFIG_H */
