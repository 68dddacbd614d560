/*
 * mod_secure_headers: what the module's two httpd files share. The module
 * record, directives and the outgoing side live in mod_secure_headers.c;
 * judging incoming requests (forged headers, upstream servers, the
 * server's own requests to itself) lives in sh_upstream.c.
 */
#ifndef SH_MODULE_H
#define SH_MODULE_H

#include "httpd.h"
#include "http_config.h"
#include "apr_network_io.h"

#include "sh_core.h"
#include "sh_sig.h"

extern module AP_MODULE_DECLARE_DATA secure_headers_module;

#define SH_UNSET (-1)

typedef enum {
    SH_OVERSIZE_UNSET = 0,
    SH_OVERSIZE_OMIT,       /* leave the largest variables out, log them */
    SH_OVERSIZE_REJECT      /* answer 500, never reach the backend */
} sh_oversize_policy;

typedef enum {
    SH_UPSTREAM_UNSET = 0,
    SH_UPSTREAM_PASS,       /* forward what the upstream server saw */
    SH_UPSTREAM_RECOMPUTE   /* drop it, send this server's own values */
} sh_upstream_values;

typedef struct {
    int enabled;                    /* SecureHeaders */
    int xforwarded;                 /* SecureHeadersXForwarded */
    apr_array_header_t *include;    /* SecureHeadersEnvInclude, sh_pattern */
    apr_array_header_t *exclude;    /* SecureHeadersEnvExclude, sh_pattern */
    apr_off_t max_env;              /* SecureHeadersEnvMaxSize; UNSET, 0 */
    sh_oversize_policy oversize;    /* SecureHeadersEnvOversize */
    const sh_key *sign_key;         /* SecureHeadersSignKey; NULL: unset */
    int sign_off;                   /* SecureHeadersSignKey None */
    int sign_lifetime;              /* SecureHeadersSignLifetime; UNSET */
    sh_upstream_values upstream_values;   /* SecureHeadersUpstreamValues */
} sh_dir_conf;

/* An upstream named by SecureHeadersUpstream: an address block, or the
 * key id of a SecureHeadersUpstreamKey. */
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

/* How far a signer's clock may be ahead of or behind ours. */
#define SH_CLOCK_SKEW 5

/* What an upstream server sent, taken off the request when it arrived and
 * kept with the initial request (internal redirects and subrequests find
 * it there). Values are NULL when the upstream did not send them. */
typedef struct {
    const char *how;                /* "address", "key", "self": for logs */
    const char *proto;
    const char *client_address;
    const char *envvars;
    const char *xf_proto, *xf_host, *xf_for;
} sh_upstream_sent;

/* --- sh_upstream.c --------------------------------------------------- */

/* post_read_request: refuses forged headers, takes a trusted upstream's. */
int sh_judge_request(request_rec *r);

/* The upstream's values for this request, or NULL. */
const sh_upstream_sent *sh_upstream_values_of(const request_rec *r);

/* Start-up: the instance key (kept for the server's whole life, so that a
 * graceful restart does not break its requests to itself in flight), the
 * replay cache in shared memory and its lock. */
int sh_upstream_post_config(apr_pool_t *pconf, server_rec *s);
void sh_upstream_child_init(apr_pool_t *p, server_rec *s);
void sh_upstream_pre_config(apr_pool_t *pconf);

/* The server's own key for the requests it may send to itself, and
 * whether a backend URL's port is one this server listens on. */
const sh_key *sh_instance_key(void);
int sh_port_is_ours(apr_port_t port);

/* Directive handlers that belong with the trust logic. */
const char *sh_add_upstream(cmd_parms *cmd, void *dconf, const char *arg);
const char *sh_set_upstream_key(cmd_parms *cmd, void *dconf,
                                const char *keyid, const char *alg,
                                const char *file);
void *sh_create_srv_conf(apr_pool_t *p, server_rec *s);
void *sh_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
int sh_check_upstream_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s);

/* Reads and parses a key file as SecureHeadersSignKey and
 * SecureHeadersUpstreamKey need it (mod_secure_headers.c). */
const char *sh_load_key_file(cmd_parms *cmd, const char *keyid,
                             const char *alg_name, const char *file,
                             int private_only, const sh_key **out);

/* Whether s is one IPv4 or IPv6 address, written out. */
int sh_is_ip_literal(const char *s);

#endif /* SH_MODULE_H */
