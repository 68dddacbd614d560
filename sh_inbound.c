/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the inbound side, judging what arrives.
 *
 * A request that carries a "!~" header, or a secure-headers member in
 * Signature or Signature-Input, is refused with 400 unless it comes from a
 * server this one trusts to have made them:
 *
 *   - an upstream named by the connection's peer address
 *     (SecureHeadersUpstream 10.0.0.0/8), never by anything in the request;
 *   - an upstream whose RFC 9421 signature verifies with a key it is named
 *     by (SecureHeadersUpstream key=ID, SecureHeadersUpstreamKey);
 *   - this server itself: a request it sent to one of its own ports
 *     carries its self proof, which only it can make.
 *
 * A trusted request's secure headers are taken off it here and kept with
 * the request, so that nothing else acts on them and the proxy hook either
 * passes them on or sends this server's own (SecureHeadersUpstreamValues).
 * Every signature accepted here is remembered until it expires, in a cache
 * that all the server's processes share, so none can be replayed
 * (docs/replay.md, docs/chaining.md).
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_mutex.h"
#include "apr_strings.h"
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "apr_optional.h"

#include "mod_ssl.h"

#include "mod_secure_headers.h"
#include "sh_config.h"
#include "sh_headers.h"
#include "sh_inbound.h"
#include "sh_log.h"
#include "sh_nonce.h"
#include "sh_replay.h"
#include "sh_replay_store.h"
#include "sh_sf.h"
#include "sh_sigbase.h"

#define SH_REPLAY_MUTEX "secure-headers-replay"
#define SH_REPLAY_BUCKETS 4096
#define SH_STATE_KEY "mod_secure_headers-state"

/* How far a signer's clock may be ahead of or behind ours. */
#define SH_CLOCK_SKEW 5

/* What must outlive a graceful restart, kept in the process pool: the
 * instance secret (requests to itself that are in flight when the
 * configuration is reread still carry proofs made with it) and the replay
 * cache with its lock (a restart must not make a signature new again).
 * Nothing here may point into this module, which is unloaded and loaded
 * again on every restart. */
typedef struct {
    unsigned char secret[32];
    apr_shm_t *shm;
    apr_global_mutex_t *mutex;
} sh_lasting_state;

static sh_lasting_state *sh_state;
static const sh_key *sh_self_key;

APLOG_USE_MODULE(secure_headers);

APR_DECLARE_OPTIONAL_FN(int, ssl_is_https, (conn_rec *));

/* --- start-up ---------------------------------------------------------- */

static int sh_inbound_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    ap_mutex_register(pconf, SH_REPLAY_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
    sh_self_key = NULL;
    return OK;
}

static apr_status_t sh_create_lasting_state(server_rec *s,
                                            sh_lasting_state **out)
{
    apr_pool_t *pp = s->process->pool;
    sh_lasting_state *st = apr_pcalloc(pp, sizeof(*st));
    apr_status_t rv;

    if (!sh_nonce_random_bytes(st->secret, sizeof(st->secret))) {
        return APR_EGENERAL;
    }
    rv = apr_shm_create(&st->shm, sh_replay_size(SH_REPLAY_BUCKETS), NULL, pp);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    sh_replay_init(apr_shm_baseaddr_get(st->shm), SH_REPLAY_BUCKETS);
    rv = ap_global_mutex_create(&st->mutex, NULL, SH_REPLAY_MUTEX, NULL, s,
                                pp, 0);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_userdata_set(st, SH_STATE_KEY, NULL, pp);
    *out = st;
    return APR_SUCCESS;
}

static int sh_inbound_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *s)
{
    sh_lasting_state *st = NULL;
    sh_key *key;
    const char *err;
    apr_status_t rv;

    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get((void **)&st, SH_STATE_KEY, s->process->pool);
    if (st == NULL && (rv = sh_create_lasting_state(s, &st)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_secure_headers: "
                     "cannot set up its shared replay cache");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sh_state = st;
    err = sh_key_from_bytes(pconf, apr_pstrcat(pconf, "instance-",
                            sh_key_fingerprint(pconf, st->secret,
                                           sizeof(st->secret)), NULL),
                            SH_ALG_HMAC_SHA256, st->secret,
                            sizeof(st->secret), 1, &key);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_secure_headers: "
                     "cannot make the instance key: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    sh_self_key = key;
    return OK;
}

static void sh_inbound_child_init(apr_pool_t *p, server_rec *s)
{
    if (sh_state && sh_state->mutex) {
        apr_status_t rv = apr_global_mutex_child_init(
            &sh_state->mutex, apr_global_mutex_lockfile(sh_state->mutex), p);

        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_secure_headers: "
                         "cannot attach to the replay cache's lock");
        }
    }
}

const sh_key *sh_inbound_self_key(void)
{
    return sh_self_key;
}

/* --- what the request carries ------------------------------------------ */

/* All field lines of one of the request's headers, joined. */
static const char *sh_request_field(request_rec *r, const char *name)
{
    return sh_headers_field_value(r->pool, r->headers_in, name);
}

typedef struct {
    int present;                /* a secure-headers member somewhere */
    int parsed;                 /* in both headers, and well formed */
    const char *error;          /* why not parsed, when present */
    sh_sig_input in;
    unsigned char sig[SH_SIG_MAX];
    apr_size_t sig_len;
    int unavailable;            /* the replay store failed: 503 */
} sh_signature;

/* Parses the "label" member of a dictionary pair: "input" holds the
 * signature parameters, "sig" the signature. */
static void sh_parse_signature(request_rec *r, const char *input,
                               const char *input_label, const char *sig,
                               const char *sig_label, sh_signature *out)
{
    sh_sf_member mi, ms;
    long n;

    out->parsed = 0;
    if (input == NULL || sig == NULL
        || sh_sf_dict_find(input, strlen(input), input_label, &mi) != 1
        || sh_sf_dict_find(sig, strlen(sig), sig_label, &ms) != 1) {
        out->error = "Signature-Input and Signature do not both carry it";
        return;
    }
    out->error = sh_sig_input_parse(r->pool, input + mi.value,
                                    mi.end - mi.value, &out->in);
    if (out->error) {
        return;
    }
    n = sh_sf_binary_decode(sig + ms.value, ms.end - ms.value, out->sig,
                            sizeof(out->sig));
    if (n < 0) {
        out->error = "the signature is not a byte sequence of a known size";
        return;
    }
    out->sig_len = (apr_size_t)n;
    out->parsed = 1;
}

static void sh_find_signature(request_rec *r, sh_signature *out)
{
    const char *input = sh_request_field(r, "Signature-Input");
    const char *sig = sh_request_field(r, "Signature");

    out->present = (input && sh_sf_dict_may_have(input, SH_SIG_LABEL))
                   || (sig && sh_sf_dict_may_have(sig, SH_SIG_LABEL));
    out->parsed = 0;
    if (out->present) {
        sh_parse_signature(r, input, SH_SIG_LABEL, sig, SH_SIG_LABEL, out);
    }
}

/* --- verifying ----------------------------------------------------------- */

static int sh_connection_is_tls(conn_rec *c)
{
    static APR_OPTIONAL_FN_TYPE(ssl_is_https) *is_https;

    if (is_https == NULL) {
        is_https = APR_RETRIEVE_OPTIONAL_FN(ssl_is_https);
    }
    return is_https && is_https(c);
}

/* @path or @query of the request-target as it arrived. An origin-form
 * target is split by hand: apr_uri_parse reads "//index.html", which
 * mod_proxy sends for a balancer's "/" + "/index.html", as an authority
 * with no path. */
static const char *sh_received_target(request_rec *r, int want_path)
{
    const char *t = r->unparsed_uri;

    if (t && t[0] == '/') {
        const char *q = strchr(t, '?');

        if (want_path) {
            return q ? apr_pstrmemdup(r->pool, t, (apr_size_t)(q - t)) : t;
        }
        return q ? q : "?";
    }
    if (want_path) {
        return r->parsed_uri.path && *r->parsed_uri.path ? r->parsed_uri.path
                                                         : "/";
    }
    return r->parsed_uri.query
           ? apr_pstrcat(r->pool, "?", r->parsed_uri.query, NULL) : "?";
}

/* A derived component's value as this server received the request. */
static const char *sh_received_component(request_rec *r, const char *name)
{
    if (!strcmp(name, "@method")) {
        return r->method;
    }
    if (!strcmp(name, "@authority")) {
        const char *host = apr_table_get(r->headers_in, "Host");

        if (host == NULL) {
            host = r->hostname;
        }
        return host ? sh_sig_authority_normalize(
                          r->pool, host, sh_connection_is_tls(r->connection))
                    : NULL;
    }
    if (!strcmp(name, "@path") || !strcmp(name, "@query")) {
        return sh_received_target(r, name[1] == 'p');
    }
    return NULL;
}

/* ServerAlias names and wildcards of a virtual host. */
static int sh_is_server_alias(const server_rec *s, const char *host)
{
    const apr_array_header_t *lists[2];
    int i, j;

    lists[0] = s->names;
    lists[1] = s->wild_names;
    for (i = 0; i < 2; i++) {
        const char *const *names;

        if (lists[i] == NULL) {
            continue;
        }
        names = (const char *const *)lists[i]->elts;
        for (j = 0; j < lists[i]->nelts; j++) {
            if (i == 0 ? !strcasecmp(names[j], host)
                       : !ap_strcasecmp_match(host, names[j])) {
                return 1;
            }
        }
    }
    return 0;
}

static const char *sh_component_value(const sh_sig_input *in,
                                      const char *name)
{
    int i;

    for (i = 0; i < in->count; i++) {
        if (!strcmp(in->components[i].name, name)) {
            return in->components[i].value;
        }
    }
    return "";
}

static int sh_input_covers(const sh_sig_input *in, const char *name)
{
    int i;

    for (i = 0; i < in->count; i++) {
        if (!strcasecmp(in->components[i].name, name)) {
            return 1;
        }
    }
    return 0;
}

/* Fills the components' values from the request; the reason when one is
 * missing, when a request part is not covered, or when a "!~" header the
 * signature does not cover is present ("exempt": the header that carries
 * the signature itself). */
static const char *sh_fill_components(request_rec *r, sh_sig_input *in,
                                      const char *exempt)
{
    static const char *const required[SH_SIG_REQUEST_COMPONENTS] =
        SH_SIG_REQUEST_COMPONENT_NAMES;
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < SH_SIG_REQUEST_COMPONENTS; i++) {
        if (!sh_input_covers(in, required[i])) {
            return apr_psprintf(r->pool, "it does not cover %s", required[i]);
        }
    }
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && sh_headers_is_secure(e[i].key)
            && (exempt == NULL || strcasecmp(e[i].key, exempt))
            && !sh_input_covers(in, e[i].key)) {
            return apr_psprintf(r->pool, "it does not cover the header %s",
                                e[i].key);
        }
    }
    for (i = 0; i < in->count; i++) {
        sh_component *c = &in->components[i];
        const char *v = c->name[0] == '@' ? sh_received_component(r, c->name)
                                          : sh_request_field(r, c->name);

        if (v == NULL) {
            return apr_psprintf(r->pool, "the request has no %s", c->name);
        }
        c->value = v;
        c->value_len = strlen(v);
    }
    return NULL;
}

/* Whether a signed @authority names this very server: the port it was
 * received on (a missing port meaning the scheme's default) and, for the
 * host, the address it was received on, "localhost" on loopback, or a
 * name of the virtual host it reached (ServerName, ServerAlias). A request
 * signed for another server (a backend that passed it on, say) is not
 * this server's to accept. */
static int sh_authority_is_ours(request_rec *r, const char *authority)
{
    conn_rec *c = r->connection;
    const char *end = authority + strlen(authority), *colon = NULL, *p;
    apr_port_t port = (apr_port_t)ap_default_port(r);
    const char *host;
    apr_size_t hlen;

    if (*authority == '[') {
        p = strchr(authority, ']');
        if (p == NULL) {
            return 0;
        }
        colon = p[1] == ':' ? p + 1 : NULL;
        if (p[1] != '\0' && colon == NULL) {
            return 0;
        }
        host = apr_pstrmemdup(r->pool, authority + 1, (apr_size_t)(p - authority - 1));
    }
    else {
        colon = strrchr(authority, ':');
        hlen = colon ? (apr_size_t)(colon - authority) : (apr_size_t)(end - authority);
        host = apr_pstrmemdup(r->pool, authority, hlen);
    }
    if (colon) {
        char *e;
        long v = strtol(colon + 1, &e, 10);

        if (*e || v <= 0 || v > 65535) {
            return 0;
        }
        port = (apr_port_t)v;
    }
    if (port != c->local_addr->port) {
        return 0;
    }
    if (!strcasecmp(host, c->local_ip)
        || (!strcasecmp(host, "localhost")
            && (!strncmp(c->local_ip, "127.", 4) || !strcmp(c->local_ip, "::1")))
        || (r->server->server_hostname
            && !strcasecmp(host, r->server->server_hostname))) {
        return 1;
    }
    return sh_is_server_alias(r->server, host);
}

static sh_replay_verdict sh_remember(const sh_key *key, const char *nonce,
                                     apr_int64_t until, apr_int64_t now)
{
    sh_replay_verdict v;

    if (sh_state == NULL
        || apr_global_mutex_lock(sh_state->mutex) != APR_SUCCESS) {
        return SH_REPLAY_TOO_OLD;           /* cannot vouch: refuse */
    }
    v = sh_replay_check(apr_shm_baseaddr_get(sh_state->shm), key->keyid,
                        nonce, until, now);
    apr_global_mutex_unlock(sh_state->mutex);
    return v;
}

/* NULL when sig is a valid, fresh, first-seen signature by key over this
 * request; otherwise why not. */
static const char *sh_verify(request_rec *r, sh_signature *sig,
                             const sh_key *key, const char *exempt)
{
    sh_sig_input *in = &sig->in;
    apr_int64_t now = (apr_int64_t)apr_time_sec(apr_time_now());
    const char *err, *authority;
    char *base;
    apr_size_t blen;

    if (in->tag == NULL || strcmp(in->tag, SH_SIG_TAG) != 0) {
        return "its tag is not " SH_SIG_TAG;
    }
    if (in->alg == NULL || sh_alg_from_name(in->alg) != key->alg) {
        return apr_psprintf(r->pool, "its algorithm is not %s, the key's",
                            sh_alg_name(key->alg));
    }
    if (!in->has_created || !in->has_expires || in->nonce == NULL
        || strlen(in->nonce) < SH_NONCE_LEN) {
        return "created, expires or a nonce is missing";
    }
    if (in->created > now + SH_CLOCK_SKEW) {
        return "it was created in the future";
    }
    if (in->expires + SH_CLOCK_SKEW < now) {
        return "it has expired";
    }
    if (in->expires < in->created
        || in->expires - in->created > SH_SIGN_LIFETIME_MAX) {
        return "its lifetime is negative or longer than a day";
    }
    err = sh_fill_components(r, in, exempt);
    if (err) {
        return err;
    }
    /* The self proof names the server the request was sent to apart
     * from Host (ProxyPreserveHost); an upstream's signature has only
     * @authority. Either must be this server. */
    authority = exempt ? in->target : sh_component_value(in, "@authority");
    if (authority == NULL || !sh_authority_is_ours(r, authority)) {
        return apr_psprintf(r->pool, "it was signed for %s, which is neither "
                            "this server's address nor a ServerName or "
                            "ServerAlias of this virtual host",
                            authority ? authority : "no server");
    }
    base = sh_sig_base(r->pool, in->components, in->count, in->params,
                       in->params_len, &blen);
    if (base == NULL || !sh_key_verify(key, base, blen, sig->sig,
                                       sig->sig_len)) {
        return "the signature does not verify";
    }
    /* SecureHeadersReplayStore: a store shared with other servers, or
     * (SH_STORE_LOCAL) this server's shared memory below. */
    switch (sh_replay_store_add(r, exempt != NULL, key->keyid, in->nonce,
                                in->created, in->expires + SH_CLOCK_SKEW,
                                now, SH_CLOCK_SKEW)) {
    case SH_STORE_LOCAL:
        break;
    case SH_STORE_FRESH:
        return NULL;
    case SH_STORE_REPLAYED:
        return "it was seen before: a replay";
    default:
        sig->unavailable = 1;               /* 503, logged by the store */
        return "the replay store failed";
    }
    switch (sh_remember(key, in->nonce, in->expires + SH_CLOCK_SKEW, now)) {
    case SH_REPLAY_FRESH:
        return NULL;
    case SH_REPLAY_SEEN:
        return "it was seen before: a replay";
    default:
        return "the replay cache cannot vouch for it";
    }
}

/* --- the values a trusted upstream sent -------------------------------- */

static int sh_is_base64_text(const char *s)
{
    apr_size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                          "tuvwxyz0123456789+/=");

    return s[n] == '\0' && n % 4 == 0;
}

/* Takes the upstream's values off the request (only those the signature
 * covers, when it was trusted for its signature); the reason when one is
 * malformed. */
static const char *sh_take_values(request_rec *r, const sh_sig_input *in,
                                  sh_received *got)
{
    static const struct {
        const char *name;
        apr_size_t offset;
    } fields[] = {
        { SECURE_HEADERS_PROTO, APR_OFFSETOF(sh_received, proto) },
        { SECURE_HEADERS_CLIENT_ADDRESS,
          APR_OFFSETOF(sh_received, client_address) },
        { SECURE_HEADERS_ENVVARS, APR_OFFSETOF(sh_received, envvars) },
        { "X-Forwarded-Proto", APR_OFFSETOF(sh_received, xf_proto) },
        { "X-Forwarded-Host", APR_OFFSETOF(sh_received, xf_host) },
        { "X-Forwarded-For", APR_OFFSETOF(sh_received, xf_for) },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = sh_request_field(r, fields[i].name);

        if (v && (in == NULL || sh_input_covers(in, fields[i].name))) {
            *(const char **)((char *)got + fields[i].offset) = v;
        }
    }
    if (got->proto && strcmp(got->proto, "https") != 0) {
        return SECURE_HEADERS_PROTO " is not \"https\"";
    }
    if (got->client_address
        && !sh_headers_is_ip_literal(got->client_address)) {
        return SECURE_HEADERS_CLIENT_ADDRESS " is not one IP address";
    }
    if (got->envvars && !sh_is_base64_text(got->envvars)) {
        return SECURE_HEADERS_ENVVARS " is not base64";
    }
    return NULL;
}

/* The upstream's secure headers and signature are for this hop only. */
static void sh_take_off(request_rec *r)
{
    sh_headers_strip_secure(r->headers_in);
    sh_sig_strip_ours(r->pool, r->headers_in, 1);
}

const sh_received *sh_inbound_received_of(const request_rec *r)
{
    while (r->prev || r->main) {
        r = r->prev ? r->prev : r->main;
    }
    return ap_get_module_config(r->request_config, &secure_headers_module);
}

/* --- refusing ---------------------------------------------------------- */

/* Refusals are logged at info, where the default LogLevel (warn) keeps an
 * attacker from filling the error log; "LogLevel secure_headers:info" shows
 * them. One that looks like another server's request (a chain with a
 * missing SecureHeadersUpstream) is worth a warning, rate-limited. */
#define SH_LOG_NAME_MAX 128

static int sh_refuse(request_rec *r, const char *name, const char *chain_hint)
{
    int level = APLOG_INFO;

    if (chain_hint && sh_log_warn_level() == APLOG_WARNING) {
        level = APLOG_WARNING;
    }
    if (!APLOG_R_IS_LEVEL(r, level)) {
        return HTTP_BAD_REQUEST;
    }
    name = ap_escape_logitem(r->pool,
                             apr_pstrndup(r->pool, name, SH_LOG_NAME_MAX));
    if (chain_hint) {
        ap_log_rerror(APLOG_MARK, level, 0, r,
                      "refused request from %s carrying another server's "
                      "secure headers (\"%s\"): %s", r->connection->client_ip,
                      name, chain_hint);
    }
    else {
        ap_log_rerror(APLOG_MARK, level, 0, r,
                      "refused request with client-supplied header \"%s\": "
                      "headers starting with \"!~\" may come only from this "
                      "server", name);
    }
    return HTTP_BAD_REQUEST;
}

/* Whether a refused request looks like one that another Apache with this
 * module forwarded: its signature, its self proof, or, unsigned, a client
 * address that is an address on a request that mod_proxy forwarded (it
 * adds X-Forwarded-Server by default). A client can make its request look
 * so too; the warning it gets is rate-limited. */
static const char *sh_chain_hint(request_rec *r, const sh_signature *sig,
                                 const char *why)
{
    const char *addr = apr_table_get(r->headers_in,
                                     SECURE_HEADERS_CLIENT_ADDRESS);
    const char *keyid = sig->parsed && sig->in.keyid ? sig->in.keyid : NULL;
    const char *peer = r->connection->client_ip;

    int signed_by_module = sig->parsed && sig->in.tag
                           && !strcmp(sig->in.tag, SH_SIG_TAG);

    if (!signed_by_module && !apr_table_get(r->headers_in, SECURE_HEADERS_SELF)
        && !(addr && sh_headers_is_ip_literal(addr)
             && apr_table_get(r->headers_in, "X-Forwarded-Server"))) {
        return NULL;
    }
    return apr_psprintf(r->pool, "%s%sif %s is a server in front of this "
                        "one, name it with \"SecureHeadersUpstream %s\"%s%s%s",
                        why ? why : "", why ? "; " : "", peer, peer,
                        keyid ? " or, for its signature, \"SecureHeadersUpstream "
                                "key=" : "", keyid ? keyid : "",
                        keyid ? "\" and SecureHeadersUpstreamKey" : "");
}

/* --- judging ----------------------------------------------------------- */

static const sh_upstream *sh_upstream_by_address(const sh_srv_conf *conf,
                                                 conn_rec *c)
{
    const sh_upstream *up = (const sh_upstream *)conf->upstreams->elts;
    int i;

    for (i = 0; i < conf->upstreams->nelts; i++) {
        if (up[i].subnet && apr_ipsubnet_test(up[i].subnet, c->client_addr)) {
            return &up[i];
        }
    }
    return NULL;
}

static const sh_key *sh_upstream_key(const sh_srv_conf *conf,
                                     const char *keyid, int named_only)
{
    const sh_upstream *up = (const sh_upstream *)conf->upstreams->elts;
    int i;

    if (keyid == NULL) {
        return NULL;
    }
    if (!named_only) {
        return apr_hash_get(conf->upstream_keys, keyid, APR_HASH_KEY_STRING);
    }
    for (i = 0; i < conf->upstreams->nelts; i++) {
        if (up[i].keyid && !strcmp(up[i].keyid, keyid)) {
            return apr_hash_get(conf->upstream_keys, keyid,
                                APR_HASH_KEY_STRING);
        }
    }
    return NULL;
}

/* The self proof: a dictionary "input=<parameters>, sig=:<signature>:"
 * made with the instance key. NULL when it verifies, with *sig filled. */
static const char *sh_verify_self(request_rec *r, sh_signature *sig)
{
    const char *proof = sh_request_field(r, SECURE_HEADERS_SELF);

    sh_parse_signature(r, proof, "input", proof, "sig", sig);
    if (!sig->parsed) {
        return apr_psprintf(r->pool, "its self proof is malformed: %s",
                            sig->error);
    }
    if (sh_self_key == NULL || sig->in.keyid == NULL
        || strcmp(sig->in.keyid, sh_self_key->keyid) != 0) {
        return "its self proof is another server's";
    }
    return sh_verify(r, sig, sh_self_key, SECURE_HEADERS_SELF);
}

/* Keeps a trusted request's secure headers with it and takes them off. */
static int sh_accept(request_rec *r, const char *how, const sh_sig_input *in)
{
    sh_received *got = apr_pcalloc(r->pool, sizeof(*got));
    const char *err;

    got->how = how;
    err = sh_take_values(r, in, got);
    if (err) {
        ap_log_rerror(APLOG_MARK, sh_log_warn_level() == APLOG_WARNING
                      ? APLOG_WARNING : APLOG_INFO, 0, r,
                      "refused request from upstream server %s (%s): %s",
                      r->connection->client_ip, how, err);
        return HTTP_BAD_REQUEST;
    }
    sh_take_off(r);
    ap_set_module_config(r->request_config, &secure_headers_module, got);
    if (APLOGrdebug(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "request from upstream "
                      "server %s, trusted by %s", r->connection->client_ip,
                      how);
    }
    return DECLINED;
}

/*
 * post_read_request, before every other module's (mod_remoteip,
 * mod_setenvif, ...), so nothing acts on a request that carries a forged
 * secure header. httpd runs this hook again for internal redirects, on the
 * headers of a request that already passed here: a "!~" header there came
 * from the server's configuration (RequestHeader) or from a trailer merged
 * after this check (MergeTrailers on), and the proxy hook strips both, so
 * only the client's own request is judged.
 */
static int sh_inbound_judge(request_rec *r)
{
    const sh_srv_conf *conf;
    const sh_upstream *by_address;
    const sh_key *key;
    sh_headers_found scan;
    sh_signature sig;
    const char *err;

    if (!ap_is_initial_req(r) || !sh_headers_scan(r->headers_in, &scan)) {
        return DECLINED;
    }
    if (scan.connection) {
        /* A hop-by-hop rule that would drop a secure header: never. */
        return sh_refuse(r, scan.connection, NULL);
    }
    memset(&sig, 0, sizeof(sig));
    if (scan.signature) {
        sh_find_signature(r, &sig);
    }
    if (scan.secure == NULL && !sig.present) {
        return DECLINED;                    /* a client's own signatures */
    }
    conf = ap_get_module_config(r->server->module_config,
                                &secure_headers_module);

    by_address = sh_upstream_by_address(conf, r->connection);
    if (by_address) {
        /* Its signature, if made with a key this server holds, must hold
         * up; one made for others is not this server's to judge. */
        key = sig.parsed ? sh_upstream_key(conf, sig.in.keyid, 0) : NULL;
        if (key && (err = sh_verify(r, &sig, key, NULL)) != NULL) {
            if (sig.unavailable) {
                return HTTP_SERVICE_UNAVAILABLE;
            }
            return sh_refuse(r, SH_SIG_LABEL " signature",
                             apr_psprintf(r->pool, "its signature by key "
                                          "'%s' was refused: %s", key->keyid,
                                          err));
        }
        return sh_accept(r, "address", key ? &sig.in : NULL);
    }
    key = sig.parsed ? sh_upstream_key(conf, sig.in.keyid, 1) : NULL;
    if (key) {
        err = sh_verify(r, &sig, key, NULL);
        if (err && sig.unavailable) {
            return HTTP_SERVICE_UNAVAILABLE;
        }
        if (err) {
            return sh_refuse(r, SH_SIG_LABEL " signature",
                             apr_psprintf(r->pool, "its signature by key "
                                          "'%s' was refused: %s", key->keyid,
                                          err));
        }
        return sh_accept(r, "key", &sig.in);
    }
    if (apr_table_get(r->headers_in, SECURE_HEADERS_SELF)) {
        sh_signature self;

        memset(&self, 0, sizeof(self));
        err = sh_verify_self(r, &self);
        if (err == NULL) {
            return sh_accept(r, "self", &self.in);
        }
        return sh_refuse(r, SECURE_HEADERS_SELF, sh_chain_hint(r, &sig, err));
    }
    return sh_refuse(r, scan.secure ? scan.secure : SH_SIG_LABEL " signature",
                     sh_chain_hint(r, &sig, sig.present && !sig.parsed
                                   ? sig.error : NULL));
}

void sh_inbound_register_hooks(apr_pool_t *p)
{
    /* The check comes before every other reader of the request; mod_remoteip
     * in particular must not act on a request we refuse. */
    static const char *const later_readers[] = {
        "mod_remoteip.c", "mod_setenvif.c", "mod_headers.c", NULL
    };

    (void)p;
    /* Start-up has no order to keep against other modules: the replay
     * cache's mutex is registered before any configuration is read, its
     * shared memory and the instance key made once it all is, and each
     * child attaches to the mutex. */
    ap_hook_pre_config(sh_inbound_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(sh_inbound_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(sh_inbound_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(sh_inbound_judge, NULL, later_readers,
                              APR_HOOK_REALLY_FIRST);
}
