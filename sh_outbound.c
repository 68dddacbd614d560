/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the outbound side, what mod_proxy sends to a
 * backend. Every request that mod_proxy forwards gets
 *
 *   !~Passenger-Proto: https            (when the environment has HTTPS)
 *   !~Passenger-Client-Address: <ip>    (r->useragent_ip, after mod_remoteip)
 *   !~Passenger-Envvars: <base64>       (name NUL value NUL ...)
 *
 * exactly as Phusion Passenger 6 sends them to its applications
 * (docs/wire-format.md), or what a trusted upstream server sent
 * (SecureHeadersUpstreamValues Pass); with SecureHeadersXForwarded the
 * X-Forwarded-* headers this server knows to be true; with
 * SecureHeadersSignKey an RFC 9421 signature over them and the request line
 * that backends on other hosts can verify (docs/signing.md); and, sent to
 * one of this server's own ports, the self proof (docs/chaining.md).
 *
 * The headers are added from mod_proxy's own "fixups" hook, which runs on
 * the copy of the request headers that mod_proxy_http is about to send,
 * after its hop-by-hop and Connection handling. That makes it the one place
 * that sees every request it forwards (ProxyPass, RewriteRule [P],
 * balancers, WebSocket upgrades, subrequests, internal redirects) with the
 * environment as late as it can be, and where nothing a client sent can
 * still remove what the module adds. mod_proxy_http2 skips that hook; its
 * targets get the headers from the last ordinary fixup instead.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_listen.h"
#include "ap_mmn.h"
#include "apr_strings.h"
#include "apr_optional_hooks.h"
#include "apr_uri.h"

#include "mod_proxy.h"

#include "mod_secure_headers.h"
#include "sh_config.h"
#include "sh_derive_httpd.h"
#include "sh_env.h"
#include "sh_headers.h"
#include "sh_inbound.h"
#include "sh_log.h"
#include "sh_nonce.h"
#include "sh_outbound.h"
#include "sh_sigbase.h"

APLOG_USE_MODULE(secure_headers);

/* mod_proxy's own module record, found by name at start-up: linking to it
 * would stop this module from loading without mod_proxy. */
static module *sh_proxy_module;

/* The ports this server listens on, collected in each child. */
static apr_port_t *sh_ports;
static int sh_nports;

/* The ports this server listens on: a backend URL on one of them may be
 * this very server. */
static void sh_collect_ports(apr_pool_t *p)
{
    ap_listen_rec *lr;
    int n = 0;

    for (lr = ap_listeners; lr; lr = lr->next) {
        n++;
    }
    sh_ports = apr_palloc(p, (n ? n : 1) * sizeof(*sh_ports));
    sh_nports = 0;
    for (lr = ap_listeners; lr; lr = lr->next) {
        apr_port_t port = lr->bind_addr->port;
        int i;

        for (i = 0; i < sh_nports && sh_ports[i] != port; i++) {
        }
        if (i == sh_nports) {
            sh_ports[sh_nports++] = port;
        }
    }
}

/* Whether a backend URL's port is one this server listens on. */
static int sh_port_is_ours(apr_port_t port)
{
    int i;

    for (i = 0; i < sh_nports; i++) {
        if (sh_ports[i] == port) {
            return port != 0;
        }
    }
    return 0;
}

/* --- configuration read per request ----------------------------------- */

static apr_size_t sh_env_ceiling(const sh_dir_conf *conf)
{
    return conf->max_env == SH_UNSET ? SECURE_HEADERS_DEFAULT_ENV_MAX
                                     : (apr_size_t)conf->max_env;
}

static sh_env_filter sh_filter_of(const sh_dir_conf *conf)
{
    sh_env_filter filter;

    filter.include = conf->include;
    filter.exclude = conf->exclude;
    return filter;
}

/* --- what goes out ----------------------------------------------------- */

/* The headers added to one request, as the signature covers them. */
typedef struct {
    sh_component secure[4];         /* the "!~" headers, in the order sent */
    int nsecure;
    sh_component forwarded[3];      /* X-Forwarded-*, when the module set them */
    int nforwarded;
} sh_sent;

/* Lengths are left 0 (but for the environment's, which is known) and
 * measured only when the request is signed: most are not. */
static void sh_note_sent(sh_component *c, const char *lower,
                         const char *value, apr_size_t value_len)
{
    c->name = lower;
    c->name_len = 0;
    c->value = value;
    c->value_len = value_len;
}

/* How the secure headers go into the table that mod_proxy sends. */
typedef enum {
    SH_ENTRIES_APART = 0,   /* one entry per header (mod_proxy_http2, which
                             * reads the table itself) */
    SH_ENTRIES_JOINABLE,    /* mod_proxy_http's path: those computed here
                             * may go in as one entry (see sh_joined_room) */
    SH_ENTRIES_JOINED       /* they went in as one entry */
} sh_entries;

/* "already": the header is in the table already, in the joined entry. */
static void sh_send(apr_table_t *out, sh_sent *sent, int already,
                    const char *name, const char *lower, const char *value,
                    apr_size_t len)
{
    if (!already) {
        apr_table_addn(out, name, value);
    }
    sh_note_sent(&sent->secure[sent->nsecure++], lower, value, len);
}

static void sh_send_forwarded(apr_table_t *out, sh_sent *sent,
                              const char *name, const char *lower,
                              const char *value)
{
    /* Express takes the left-most value; one value leaves no room for a
     * client-chosen one. */
    apr_table_setn(out, name, value);
    sh_note_sent(&sent->forwarded[sent->nforwarded++], lower, value, 0);
}

static int sh_enabled_for(const request_rec *r, const sh_dir_conf *conf)
{
    return conf->enabled != 0
           && apr_table_get(r->subprocess_env, SECURE_HEADERS_OFF_ENV) == NULL;
}

static int sh_is_https(const request_rec *r)
{
    /* Any value counts, as with Passenger; the table compares names
     * without case. */
    return apr_table_get(r->subprocess_env, "HTTPS") != NULL;
}

static void sh_log_omitted(request_rec *r, const sh_envvars *ev,
                           apr_size_t ceiling)
{
    int level = sh_log_warn_level();

    if (APLOG_R_IS_LEVEL(r, level)) {
        const char *names = ev->omitted[0];
        int i;

        for (i = 1; ev->omitted[i]; i++) {
            names = apr_pstrcat(r->pool, names, " ", ev->omitted[i], NULL);
        }
        ap_log_rerror(APLOG_MARK, level, 0, r,
                      "%s would exceed SecureHeadersEnvMaxSize (%"
                      APR_SIZE_T_FMT " bytes); left out %d variable(s): %s",
                      SECURE_HEADERS_ENVVARS, ceiling, ev->omitted_count,
                      ap_escape_logitem(r->pool, names));
    }
}

/* The host (and non-default port) Apache served, as UseCanonicalName
 * decides. Compared with the default of the connection Apache served, not
 * of the scheme reported: behind a TLS terminator the client's https
 * request arrives on port 80, and "host:80" would be wrong for it. */
static const char *sh_served_host(request_rec *r)
{
    apr_port_t port = ap_get_server_port(r);
    const char *host = ap_get_server_name_for_url(r);

    if (port != ap_default_port(r)) {
        host = apr_psprintf(r->pool, "%s:%u", host, (unsigned)port);
    }
    return host;
}

static void sh_send_trustworthy_forwarded(request_rec *r, apr_table_t *out,
                                          sh_sent *sent, int https,
                                          const char *client,
                                          const sh_received *up)
{
    sh_send_forwarded(out, sent, "X-Forwarded-Proto", "x-forwarded-proto",
                      up && up->xf_proto ? up->xf_proto
                                         : https ? "https" : "http");
    sh_send_forwarded(out, sent, "X-Forwarded-Host", "x-forwarded-host",
                      up && up->xf_host ? up->xf_host : sh_served_host(r));
    sh_send_forwarded(out, sent, "X-Forwarded-For", "x-forwarded-for",
                      up && up->xf_for ? up->xf_for
                      : client && *client ? client : r->useragent_ip);
}

/* One debug line per proxied request: which secure headers were added
 * and their sizes, never their values. */
static void sh_log_added(request_rec *r, int https, const char *client,
                         const sh_envvars *ev, const char *env_value,
                         const char *how)
{
    const char *address = "";
    const char *env;

    if (client && *client) {
        address = apr_psprintf(r->pool, SECURE_HEADERS_CLIENT_ADDRESS
                               " (%" APR_SIZE_T_FMT " bytes), ",
                               strlen(client));
    }
    if (ev) {
        env = apr_psprintf(r->pool, "%s (%" APR_SIZE_T_FMT " bytes, %d "
                           "variable(s), %" APR_SIZE_T_FMT " bytes raw)",
                           ev->value ? SECURE_HEADERS_ENVVARS
                                     : "no " SECURE_HEADERS_ENVVARS,
                           ev->value_len, ev->count, ev->raw_len);
    }
    else {
        env = env_value ? apr_psprintf(r->pool, SECURE_HEADERS_ENVVARS
                                       " (%" APR_SIZE_T_FMT " bytes)",
                                       strlen(env_value))
                        : "no " SECURE_HEADERS_ENVVARS;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "added %s%s%s%s",
                  https ? SECURE_HEADERS_PROTO " (5 bytes), " : "", address,
                  env, how);
}

/* --- where the request goes -------------------------------------------- */

/* The URL mod_proxy sends the request to. Before 2.4.58 (give or take)
 * mod_proxy_balancer did not write the member into r->filename, only into
 * the handler's own copy; BALANCER_WORKER_NAME has it. */
static const char *sh_backend_url(request_rec *r)
{
    const char *url = r->filename + 6;

    if ((url[0] | 0x20) == 'b' && !strncasecmp(url, "balancer://", 11)) {
        const char *member = apr_table_get(r->subprocess_env,
                                           "BALANCER_WORKER_NAME");
        const char *path = strchr(url + 11, '/');

        if (member) {
            url = apr_pstrcat(r->pool, member, path ? path : "", NULL);
        }
    }
    return url;
}

static int sh_scheme_is(const char *url, apr_size_t len, const char *scheme)
{
    return strlen(scheme) == len && !strncasecmp(url, scheme, len);
}

/* The default port of a backend URL's scheme (http, ws, h2c: 80; https,
 * wss, h2: 443), from its length and last letter; 0 for any other. */
static apr_port_t sh_scheme_port(const char *url, apr_size_t len)
{
    static const char *const plain[] = { "http", "ws", "h2c" };
    static const char *const tls[] = { "https", "wss", "h2" };
    int i;

    for (i = 0; i < 3; i++) {
        if (sh_scheme_is(url, len, plain[i])) {
            return 80;
        }
        if (sh_scheme_is(url, len, tls[i])) {
            return 443;
        }
    }
    return 0;
}

/* The port a backend URL names, its scheme's default when it names none,
 * or 0 when the URL has no such shape. It runs for every proxied request,
 * to tell whether the request may come back to this server, so it reads
 * as little as it can: the port is the digits just before the end of the
 * authority, after a ':' (which rules out user:password@ and, with ']'
 * last, an IPv6 literal without one). */
static apr_port_t sh_url_port(const char *url)
{
    const char *colon = strchr(url, ':'), *auth, *end, *d;
    unsigned v = 0;

    if (colon == NULL || colon[1] != '/' || colon[2] != '/') {
        return 0;
    }
    auth = colon + 3;
    end = auth + strcspn(auth, "/?#");
    for (d = end; d > auth && end - d < 6 && d[-1] >= '0' && d[-1] <= '9';
         d--) {
    }
    if (d == end || d == auth || d[-1] != ':') {
        return sh_scheme_port(url, (apr_size_t)(colon - url));
    }
    for (; d < end; d++) {
        v = v * 10 + (unsigned)(*d - '0');
    }
    return v <= 65535 ? (apr_port_t)v : 0;
}

static int sh_url_is_tls(const char *url)
{
    return !strncasecmp(url, "https:", 6) || !strncasecmp(url, "wss:", 4)
           || !strncasecmp(url, "h2:", 3);
}

static int sh_preserves_host(request_rec *r)
{
    const proxy_dir_conf *pconf;

    if (sh_proxy_module == NULL) {
        return 0;
    }
    pconf = ap_get_module_config(r->per_dir_config, sh_proxy_module);
    return pconf && pconf->preserve_host;
}

/* The Host mod_proxy_http sends, derived as ap_proxy_create_hdrbrgd does:
 * httpd 2.4.58 and later put it into the table before the proxy fixups
 * hook, earlier versions write it straight into the brigade, so the table
 * alone cannot tell. Here when it does not come from the backend URL;
 * NULL when it does (sh_http_authority_of_url). */
static const char *sh_http_authority(request_rec *r, apr_table_t *out)
{
    const char *host;

    if (sh_preserves_host(r)) {
        host = apr_table_get(out, "Host");
        return host ? host : r->server->server_hostname;
    }
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 129)
    /* What another proxy fixup may have put there is what is sent. */
    return apr_table_get(out, "Host");
#else
    return NULL;
#endif
}

/* The Host ap_proxy_create_hdrbrgd derives from the backend URL. */
static const char *sh_http_authority_of_url(request_rec *r,
                                            const apr_uri_t *uri)
{
    const char *host;

    if (uri->hostname == NULL) {
        return NULL;
    }
    host = ap_strchr_c(uri->hostname, ':')
           ? apr_pstrcat(r->pool, "[", uri->hostname, "]", NULL)
           : uri->hostname;
    if (uri->port_str && uri->port != DEFAULT_HTTP_PORT) {
        host = apr_pstrcat(r->pool, host, ":", uri->port_str, NULL);
    }
    return host;
}

/* The :authority mod_proxy_http2 sends. */
static const char *sh_h2_authority(request_rec *r, const apr_uri_t *uri)
{
    const char *host = apr_table_get(r->headers_in, "Host");

    if (sh_preserves_host(r)) {
        return host ? host : r->hostname;
    }
    if (uri->hostname == NULL) {
        return NULL;
    }
    if (!ap_strchr_c(uri->hostname, ':') && uri->port
        && apr_uri_port_of_scheme(strcmp(uri->scheme, "h2") ? "http"
                                                            : "https")
           != uri->port) {
        return apr_psprintf(r->pool, "%s:%d", uri->hostname, uri->port);
    }
    return uri->hostname;
}

/* host[:port] of a backend URL, normalised, the port always written. */
static const char *sh_url_authority(request_rec *r, const char *url)
{
    apr_uri_t uri;
    apr_port_t port = sh_url_port(url);
    char *host;

    if (apr_uri_parse(r->pool, url, &uri) != APR_SUCCESS
        || uri.hostname == NULL || port == 0) {
        return NULL;
    }
    host = apr_pstrdup(r->pool, uri.hostname);
    ap_str_tolower(host);
    return apr_psprintf(r->pool, ap_strchr_c(host, ':') ? "[%s]:%u" : "%s:%u",
                        host, (unsigned)port);
}

/* @method, @authority, @path and @query of the request as the backend
 * receives it; 0 when the URL cannot be understood. These are the only
 * covered values that do not come through httpd's header parser or from
 * this module (base64, addresses), so the only ones that could hold a line
 * break, which would make the signature base ambiguous. */
static int sh_request_components(request_rec *r, apr_table_t *out,
                                 const char *url, int h2,
                                 sh_component c[4])
{
    static const char *const names[SH_SIG_REQUEST_COMPONENTS] =
        SH_SIG_REQUEST_COMPONENT_NAMES;
    apr_uri_t uri;
    const char *authority = h2 ? NULL : sh_http_authority(r, out);
    int i;

    /* apr_uri_parse copies out every part of the URL; mod_proxy has parsed
     * it already, so when the Host sent is not taken from it, path and
     * query are read off it where that parse splits it instead. */
    if (authority == NULL || !sh_sig_url_path_query(url, &c[2], &c[3])) {
        if (apr_uri_parse(r->pool, url, &uri) != APR_SUCCESS) {
            return 0;
        }
        if (authority == NULL) {
            authority = h2 ? sh_h2_authority(r, &uri)
                           : sh_http_authority_of_url(r, &uri);
        }
        if (authority == NULL) {
            return 0;
        }
        c[2].value = uri.path && *uri.path ? uri.path : "/";
        c[3].value = uri.query ? apr_pstrcat(r->pool, "?", uri.query, NULL)
                               : "?";
        c[2].value_len = strlen(c[2].value);
        c[3].value_len = strlen(c[3].value);
    }
    c[0].value = r->method;
    c[0].value_len = strlen(r->method);
    c[1].value = sh_sig_authority_normalize(r->pool, authority,
                                        sh_url_is_tls(url));
    c[1].value_len = strlen(c[1].value);
    for (i = 0; i < SH_SIG_REQUEST_COMPONENTS; i++) {
        if (memchr(c[i].value, '\r', c[i].value_len)
            || memchr(c[i].value, '\n', c[i].value_len)) {
            return 0;
        }
        c[i].name = names[i];
        c[i].name_len = strlen(names[i]);
    }
    return 1;
}

/* --- signing ----------------------------------------------------------- */

/* Signs request components c[0..n) with key: the Signature-Input member
 * (input_prefix and the parameters) and the signature (sig_prefix and
 * ":base64:"), or both in one string, *input, when signature is NULL; 0
 * when signing failed. */
static int sh_sign_components(request_rec *r, const sh_key *key,
                              const sh_component *c, int n, int lifetime,
                              const char *target, const char *input_prefix,
                              const char *sig_prefix, const char **input,
                              const char **signature)
{
    apr_int64_t created = (apr_int64_t)apr_time_sec(apr_time_now());
    char nonce[SH_NONCE_LEN + 1];

    return sh_nonce_new(nonce)
           && sh_sig_sign(r->pool, key, c, n, created, created + lifetime,
                          nonce, target, input_prefix, sig_prefix, input,
                          signature);
}

/* Appends components to "all": first the request's own, then what was
 * sent; "extra" (the self proof) goes between the secure headers and
 * X-Forwarded-*. */
static int sh_covered(sh_component *all, const sh_component req[4],
                      const sh_sent *sent, const sh_component *extra)
{
    int n = 0, i;

    for (i = 0; i < SH_SIG_REQUEST_COMPONENTS; i++) {
        all[n++] = req[i];
    }
    for (i = 0; i < sent->nsecure; i++) {
        all[n++] = sent->secure[i];
    }
    if (extra) {
        all[n++] = *extra;
    }
    for (i = 0; i < sent->nforwarded; i++) {
        all[n++] = sent->forwarded[i];
    }
    for (i = 0; i < n; i++) {
        if (all[i].name_len == 0) {
            all[i].name_len = strlen(all[i].name);
        }
        if (all[i].value_len == 0) {
            all[i].value_len = strlen(all[i].value);
        }
    }
    return n;
}

/*
 * A request that may come back to this server (its backend's port is one
 * this server listens on) carries the server's proof that it is its own:
 * an HMAC signature by the instance's key, which never leaves the server,
 * over the request and the headers sent, in a "!~" header (a dictionary:
 * input=<signature parameters>, sig=:<signature>:). When it comes back,
 * sh_inbound.c verifies it and remembers its nonce, so that a backend
 * that saw it can neither change nor replay it.
 */
static int sh_send_self_proof(request_rec *r, apr_table_t *out,
                              const char *url, const sh_component req[4],
                              sh_sent *sent, int lifetime,
                              sh_component *proof)
{
    sh_component all[SH_SIG_MAX_COMPONENTS];
    const char *value, *target;
    int n = sh_covered(all, req, sent, NULL);

    /* The authority of the connection, whatever Host says: where the
     * proof comes back it must name that server's own address or names,
     * so that a backend that was sent it cannot use it anywhere else. */
    target = sh_url_authority(r, url);
    if (target == NULL || sh_key_id_check(target) != NULL
        || !sh_sign_components(r, sh_inbound_self_key(), all, n, lifetime,
                               target, "input=", ", sig=", &value, NULL)) {
        return 0;
    }
    apr_table_addn(out, SECURE_HEADERS_SELF, value);
    proof->name = "!~secure-headers-self";
    proof->name_len = sizeof("!~secure-headers-self") - 1;
    proof->value = value;
    proof->value_len = strlen(value);
    return 1;
}

/* The module's signature (docs/signing.md), in its own member of
 * Signature-Input and Signature; members with other labels (a client's own
 * signatures) stay. "one_entry" (mod_proxy_http's path, see
 * sh_apply_secure_headers): both lines
 * go in as one table entry, "Signature-Input" with a value that carries
 * CRLF "Signature: " and the signature, written so by sh_sig_sign in the
 * same buffer: the same bytes reach the wire for one entry's cost in
 * ap_proxy_create_hdrbrgd instead of two (bench/README.md, "Signing"). */
static int sh_send_signature(request_rec *r, apr_table_t *out,
                             const sh_key *key, const sh_component req[4],
                             const sh_sent *sent, const sh_component *proof,
                             int lifetime, int one_entry)
{
    sh_component all[SH_SIG_MAX_COMPONENTS];
    const char *input, *sig;
    int n = sh_covered(all, req, sent, proof);

    if (!sh_sign_components(r, key, all, n, lifetime, NULL, SH_SIG_LABEL "=",
                            one_entry ? CRLF "Signature: " SH_SIG_LABEL "="
                                      : SH_SIG_LABEL "=",
                            &input, one_entry ? NULL : &sig)) {
        return 0;
    }
    apr_table_addn(out, "Signature-Input", input);
    if (!one_entry) {
        apr_table_addn(out, "Signature", sig);
    }
    return 1;
}

/* --- adding the secure headers ----------------------------------------- */

/* Fail closed: when a signature or proof that should be there cannot be
 * made, the backend gets no secure header at all, which a verifier
 * refuses, rather than unsigned ones it might take. */
static void sh_fail_closed(request_rec *r, apr_table_t *out, const char *why)
{
    sh_headers_strip_secure(out);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s: sending the request "
                  "without secure headers", why);
}

/*
 * On mod_proxy_http's path (SH_ENTRIES_JOINABLE), the secure headers go
 * into the table that ap_proxy_create_hdrbrgd formats right after the
 * proxy fixups, line by line as "key: value" CRLF, and then throws away.
 * Each entry costs it an apr_pstrcat, a pool bucket (with a pool cleanup)
 * and an iovec to send, about 900 instructions; so they go in as one entry,
 * named after the first header, whose value carries the others: "value
 * CRLF name: value ...". The
 * same bytes reach the wire for the price of one line. Nothing else reads
 * that table after the last proxy fixup (ours), but for mod_proxy's own
 * look-up of Host; every other reader of headers (mod_proxy_http2, logging,
 * other modules) gets one entry per header.
 *
 * The envvars value, last, is built with room before it for the text of the
 * lines before it ("https" CRLF "!~Passenger-Client-Address: " address CRLF
 * "!~Passenger-Envvars: "), so the joined value needs no copy.
 */
#define SH_LIT_LEN(lit) (sizeof(lit) - 1)
/* Constant lengths: the compiler writes these with a few stores. */
#define SH_PUT_LIT(w, lit) sh_put(w, lit, SH_LIT_LEN(lit))

static APR_INLINE char *sh_put(char *w, const char *s, apr_size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

static apr_size_t sh_joined_room(int https, apr_size_t ip_len)
{
    apr_size_t room = SH_LIT_LEN(CRLF SECURE_HEADERS_ENVVARS ": ");

    if (https) {
        room += SH_LIT_LEN("https");
        if (ip_len) {
            room += SH_LIT_LEN(CRLF SECURE_HEADERS_CLIENT_ADDRESS ": ");
        }
    }
    return room + ip_len;
}

static const char *sh_put_joined_head(char *w, int https, const char *ip,
                                      apr_size_t ip_len)
{
    if (https) {
        w = SH_PUT_LIT(w, "https");
        if (ip_len) {
            w = SH_PUT_LIT(w, CRLF SECURE_HEADERS_CLIENT_ADDRESS ": ");
        }
    }
    w = sh_put(w, ip, ip_len);
    SH_PUT_LIT(w, CRLF SECURE_HEADERS_ENVVARS ": ");
    return https ? SECURE_HEADERS_PROTO : SECURE_HEADERS_CLIENT_ADDRESS;
}

/*
 * Replaces every "!~" header in "out" (a RequestHeader rule, a stale copy
 * carried across an internal redirect, a merged trailer) with the module's
 * own, so each forwarded request carries exactly one copy of each secure
 * header, computed for that request, or passed on from a trusted upstream
 * server (SecureHeadersUpstreamValues Pass). "entries": joinable on
 * mod_proxy_http's path, where the secure headers it computes go in as one
 * table entry (see above); apart for mod_proxy_http2, which reads the table
 * itself and gets one per header.
 */
static void sh_apply_secure_headers(request_rec *r, apr_table_t *out,
                                    sh_entries entries)
{
    const sh_dir_conf *conf;
    const sh_received *up = NULL;
    const sh_key *key;
    const char *url, *client;
    sh_envvars ev, *evp = NULL;
    sh_sent sent;
    sh_component req[4], proof;
    int https, self, lifetime, h2 = entries == SH_ENTRIES_APART;

    sh_headers_strip_secure(out);

    conf = ap_get_module_config(r->per_dir_config, &secure_headers_module);
    if (!sh_enabled_for(r, conf)) {
        return;
    }
    if (conf->values_policy != SH_VALUES_RECOMPUTE) {
        up = sh_inbound_received_of(r);
    }
    sent.nsecure = sent.nforwarded = 0;
    if (up) {
        https = up->proto != NULL;
        client = up->client_address;
        if (up->proto) {
            sh_send(out, &sent, 0, SECURE_HEADERS_PROTO, "!~passenger-proto",
                    up->proto, 0);
        }
        if (client) {
            sh_send(out, &sent, 0, SECURE_HEADERS_CLIENT_ADDRESS,
                    "!~passenger-client-address", client, 0);
        }
        if (up->envvars) {
            sh_send(out, &sent, 0, SECURE_HEADERS_ENVVARS,
                    "!~passenger-envvars", up->envvars, 0);
        }
    }
    else {
        apr_size_t ceiling = sh_env_ceiling(conf);
        sh_env_filter filter = sh_filter_of(conf);
        apr_size_t ip_len, room;
        int already;

        https = sh_is_https(r);
        client = r->useragent_ip ? r->useragent_ip : "";
        ip_len = strlen(client);
        if (!https && !ip_len) {
            entries = SH_ENTRIES_APART;     /* the environment's alone */
        }
        room = entries == SH_ENTRIES_JOINABLE ? sh_joined_room(https, ip_len)
                                              : 0;
        sh_env_build_room(r->pool, r->subprocess_env, &filter, ceiling,
                              room, &ev);
        evp = &ev;
        if (entries == SH_ENTRIES_JOINABLE && ev.value) {
            char *head = (char *)ev.value - room;

            apr_table_addn(out, sh_put_joined_head(head, https, client,
                                                   ip_len), head);
            entries = SH_ENTRIES_JOINED;
        }
        /* What was sent, header by header, for the signature and the log;
         * when not joined, what to send as well. */
        already = entries == SH_ENTRIES_JOINED;
        if (https) {
            sh_send(out, &sent, already, SECURE_HEADERS_PROTO,
                    "!~passenger-proto", "https", 5);
        }
        if (ip_len) {
            sh_send(out, &sent, already, SECURE_HEADERS_CLIENT_ADDRESS,
                    "!~passenger-client-address", client, ip_len);
        }
        if (ev.value) {
            sh_send(out, &sent, already, SECURE_HEADERS_ENVVARS,
                    "!~passenger-envvars", ev.value, ev.value_len);
        }
        if (ev.omitted_count) {
            sh_log_omitted(r, &ev, ceiling);
        }
    }
    if (conf->xforwarded == 1) {
        sh_send_trustworthy_forwarded(r, out, &sent, https, client, up);
    }

    key = conf->sign_off == 1 ? NULL : conf->sign_key;
    url = sh_backend_url(r);
    if (conf->sign_derive && conf->sign_off != 1
        && (h2 || !(key = sh_derive_key_of(r, conf->sign_derive, url)))) {
        sh_fail_closed(r, out, "cannot sign with a derived key");
        return;
    }
    /* A unix socket is never this server. */
    self = sh_port_is_ours(sh_url_port(url))
           && apr_table_get(r->notes, "uds_path") == NULL;
    if (key || self) {
        lifetime = conf->sign_lifetime == SH_UNSET ? SH_DEFAULT_SIGN_LIFETIME
                                                   : conf->sign_lifetime;
        if (h2 && conf->xforwarded == 1) {
            /* mod_proxy_http2 appends its own X-Forwarded-* after this
             * hook: what it sends cannot be signed. */
            sent.nforwarded = 0;
        }
        if (!sh_request_components(r, out, url, h2, req)) {
            sh_fail_closed(r, out, "cannot sign: the backend URL is not "
                           "understood");
            return;
        }
        if (self && !sh_send_self_proof(r, out, url, req, &sent, lifetime,
                                        &proof)) {
            sh_fail_closed(r, out, "cannot make the self proof");
            return;
        }
        if (key) {
            /* Members labelled secure-headers that a RequestHeader rule
             * may have put in go: the one signature sent is the module's. */
            sh_sig_strip_ours(r->pool, out, 0);
            if (!sh_send_signature(r, out, key, req, &sent,
                                   self ? &proof : NULL, lifetime, !h2)) {
                sh_fail_closed(r, out, "signing failed");
                return;
            }
        }
    }
    if (APLOGrdebug(r)) {
        sh_log_added(r, https, client, evp, up ? up->envvars : NULL,
                     apr_psprintf(r->pool, "%s%s%s%s", up ? "; passed on "
                                  "from the upstream server" : "",
                                  self ? "; with the self proof" : "",
                                  key ? "; signed with key " : "",
                                  key ? key->keyid : ""));
    }
}

/* The names a Connection header lists, split as mod_proxy splits them:
 * on commas, semicolons and white space (ap_get_token). */
static int sh_add_connection_names(void *names, const char *key,
                                   const char *val)
{
    apr_array_header_t *list = names;

    (void)key;
    do {
        while (*val == ',' || *val == ';') {
            val++;
        }
        *(const char **)apr_array_push(list) = ap_get_token(list->pool,
                                                            &val, 0);
    } while (*val);
    return 1;
}

/*
 * httpd up to 2.4.53 runs this hook before mod_proxy removes the headers
 * that the client's Connection header names (2.4.54 moved that removal
 * first, for CVE-2022-31813), so "Connection: close;!~Passenger-Proto" or,
 * with SecureHeadersXForwarded, "Connection: X-Forwarded-For" would delete
 * what this module is about to add. A Connection header still in the copy
 * means that order: do mod_proxy's removal now, as later releases do; its
 * own later pass then finds nothing to remove.
 */
static void sh_clear_connection(request_rec *r, apr_table_t *out)
{
    apr_array_header_t *names;
    int i;

    if (apr_table_get(out, "Connection") == NULL) {
        return;
    }
    names = apr_array_make(r->pool, 4, sizeof(const char *));
    apr_table_do(sh_add_connection_names, names, out, "Connection", NULL);
    apr_table_unset(out, "Connection");
    for (i = 0; i < names->nelts; i++) {
        apr_table_unset(out, APR_ARRAY_IDX(names, i, const char *));
    }
}

/*
 * mod_proxy's fixups hook, run by mod_proxy_http (http, https, ws, wss,
 * unix sockets, balancer members of those) inside ap_proxy_create_hdrbrgd:
 * r->headers_in is then the copy about to be sent, already cleared of
 * hop-by-hop headers (since 2.4.54; sh_clear_connection before), and
 * every environment writer has run, including mod_proxy's own (BALANCER_*).
 * So does mod_proxy_wstunnel where it tunnels ws:// itself (before 2.4.47,
 * or with ProxyWebsocketFallbackToProxyHttp Off).
 */
static int sh_outbound_proxy_fixup(request_rec *r)
{
    /* Forward proxying sends requests to arbitrary hosts: never leak the
     * environment there. */
    if (r->proxyreq == PROXYREQ_REVERSE && r->filename
        && !strncmp(r->filename, "proxy:", 6)) {
        sh_clear_connection(r, r->headers_in);
        sh_apply_secure_headers(r, r->headers_in, SH_ENTRIES_JOINABLE);
    }
    else {
        sh_headers_strip_secure(r->headers_in);
    }
    return OK;
}

/* strncmp(s, "proxy:", 6) == 0 without a call into libc, on every
 * request's path; stops at the first difference, so never reads past the
 * end of a shorter string. */
static int sh_starts_with_proxy(const char *s)
{
    return s[0] == 'p' && s[1] == 'r' && s[2] == 'o' && s[3] == 'x'
           && s[4] == 'y' && s[5] == ':';
}

/* Whether mod_proxy will handle this request as a reverse proxy: set by
 * ProxyPass and RewriteRule [P] (proxyreq), or by SetHandler "proxy:...",
 * which mod_proxy only turns into a proxy request in its handler. */
static const char *sh_reverse_proxy_target(const request_rec *r)
{
    if (r->proxyreq == PROXYREQ_REVERSE && r->filename
        && sh_starts_with_proxy(r->filename)) {
        return r->filename + 6;
    }
    if (r->proxyreq == PROXYREQ_NONE && r->handler
        && sh_starts_with_proxy(r->handler)) {
        return r->handler + 6;
    }
    return NULL;
}

/* mod_proxy_http2 builds its request straight from r->headers_in and never
 * runs mod_proxy's fixups hook, so h2:// and h2c:// targets get their
 * headers here instead. The first two letters rule out every other scheme
 * on the path of each proxied request. */
static int sh_bypasses_proxy_fixups(const char *target)
{
    return (target[0] | 0x20) == 'h' && target[1] == '2'
           && (target[2] == ':' || ((target[2] | 0x20) == 'c'
                                    && target[3] == ':'));
}

/*
 * With "SecureHeadersEnvOversize Reject" an oversize environment must stop
 * the request before mod_proxy connects: mod_proxy ignores what its fixups
 * hook returns. This is the last fixup, so the environment it measures is
 * the one the proxy hook encodes, but for what mod_proxy itself adds later
 * (a balancer's BALANCER_* variables), which the proxy hook then omits.
 */
static int sh_environment_too_large(request_rec *r, const sh_dir_conf *conf)
{
    sh_env_filter filter = sh_filter_of(conf);
    apr_size_t ceiling = sh_env_ceiling(conf);
    apr_size_t len;

    if (conf->oversize != SH_OVERSIZE_REJECT || ceiling == 0) {
        return 0;
    }
    len = sh_env_encoded_len(r->subprocess_env, &filter);
    if (len <= ceiling) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, sh_log_warn_level(), 0, r,
                  "%s would be %" APR_SIZE_T_FMT " bytes, more than "
                  "SecureHeadersEnvMaxSize (%" APR_SIZE_T_FMT "): refusing "
                  "the request (SecureHeadersEnvOversize Reject)",
                  SECURE_HEADERS_ENVVARS, len, ceiling);
    return 1;
}

/* The fixup for "SecureHeadersEnvOversize Reject" scopes; out of line, so
 * that the common path of sh_outbound_fixups, run for every request, needs
 * no stack frame of its own. */
__attribute__((noinline))
static int sh_fixups_rejecting(request_rec *r, const sh_dir_conf *conf,
                               const char *target)
{
    /* An upstream's environment passed on is not this server's to size. */
    int passing = conf->values_policy != SH_VALUES_RECOMPUTE
                  && sh_inbound_received_of(r) != NULL;

    if (sh_enabled_for(r, conf) && !passing
        && sh_environment_too_large(r, conf)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (sh_bypasses_proxy_fixups(target)) {
        sh_apply_secure_headers(r, r->headers_in, SH_ENTRIES_APART);
    }
    return DECLINED;
}

static int sh_outbound_fixups(request_rec *r)
{
    const char *target = sh_reverse_proxy_target(r);
    const sh_dir_conf *conf;

    if (target == NULL) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &secure_headers_module);
    if ((conf->sign_key || conf->sign_derive) && conf->sign_off != 1) {
        sh_derive_printable_target(r);
        target = sh_reverse_proxy_target(r);
    }
    if (conf->oversize == SH_OVERSIZE_REJECT) {
        return sh_fixups_rejecting(r, conf, target);
    }
    if (sh_bypasses_proxy_fixups(target)) {
        sh_apply_secure_headers(r, r->headers_in, SH_ENTRIES_APART);
    }
    return DECLINED;
}

/* --- start-up ---------------------------------------------------------- */

static int sh_outbound_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                   apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    sh_proxy_module = ap_find_linked_module("mod_proxy.c");
    /* The previous generation's ports until each child collects its own. */
    sh_ports = NULL;
    sh_nports = 0;
    return OK;
}

static void sh_outbound_child_init(apr_pool_t *p, server_rec *s)
{
    (void)s;
    /* A forked child must not hand out nonces its parent drew. */
    sh_nonce_forget();
    sh_collect_ports(p);
}

void sh_outbound_register_hooks(apr_pool_t *p)
{
    /* Fixups that change the environment or the headers must all have run
     * before ours measures and encodes it; REALLY_LAST alone would not order
     * us against modules that also ask for it. */
    static const char *const env_writers[] = {
        "mod_setenvif.c", "mod_env.c", "mod_rewrite.c", "mod_ssl.c",
        "mod_headers.c", NULL
    };

    (void)p;
    /* Start-up keeps no order with other modules: it only finds mod_proxy's
     * record (every module is loaded by then), forgets the nonces a child's
     * parent drew and collects the ports. */
    ap_hook_post_config(sh_outbound_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(sh_outbound_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(sh_outbound_fixups, env_writers, NULL,
                   APR_HOOK_REALLY_LAST);
    /* An optional hook, registered by name: the module loads and refuses
     * forged headers whether mod_proxy is loaded before it, after it, or
     * not at all. Really last, so that any other proxy fixup that touches
     * the headers runs before the "!~" ones are replaced. */
    APR_OPTIONAL_HOOK(proxy, fixups, sh_outbound_proxy_fixup, NULL, NULL,
                      APR_HOOK_REALLY_LAST);
}
