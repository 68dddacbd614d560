/*
 * mod_secure_headers: Passenger-compatible secure HTTP headers for
 * applications behind mod_proxy.
 *
 * Headers whose names start with "!~" belong to the web server. Clients
 * that send one are refused with 400 before any other module sees the
 * request; every request that mod_proxy forwards to a backend gets
 *
 *   !~Passenger-Proto: https            (when the environment has HTTPS)
 *   !~Passenger-Client-Address: <ip>    (r->useragent_ip, after mod_remoteip)
 *   !~Passenger-Envvars: <base64>       (name NUL value NUL ...)
 *
 * exactly as Phusion Passenger 6 sends them to its applications.
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
#include "apr_strings.h"
#include "apr_optional_hooks.h"

#include "mod_proxy.h"

#include "mod_secure_headers.h"
#include "sh_core.h"

module AP_MODULE_DECLARE_DATA secure_headers_module;

#define SH_UNSET (-1)

typedef enum {
    SH_OVERSIZE_UNSET = 0,
    SH_OVERSIZE_OMIT,       /* leave the largest variables out, log them */
    SH_OVERSIZE_REJECT      /* answer 500, never reach the backend */
} sh_oversize_policy;

typedef struct {
    int enabled;                    /* SecureHeaders */
    int xforwarded;                 /* SecureHeadersXForwarded */
    apr_array_header_t *include;    /* SecureHeadersEnvInclude, sh_pattern */
    apr_array_header_t *exclude;    /* SecureHeadersEnvExclude, sh_pattern */
    apr_off_t max_env;              /* SecureHeadersEnvMaxSize; UNSET, 0 */
    sh_oversize_policy oversize;    /* SecureHeadersEnvOversize */
} sh_dir_conf;

/* Refused requests are logged at info, where the default LogLevel (warn)
 * keeps an attacker from filling the error log; "LogLevel
 * secure_headers:info" shows them. The longest name logged: */
#define SH_LOG_NAME_MAX 128

/* Upper bound for SecureHeadersEnvMaxSize: far past any backend's limit. */
#define SH_ENV_MAX_CEILING (1024 * 1024)

/* --- configuration ----------------------------------------------------- */

static void *sh_create_dir_conf(apr_pool_t *p, char *dir)
{
    sh_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->enabled = SH_UNSET;
    conf->xforwarded = SH_UNSET;
    conf->include = apr_array_make(p, 0, sizeof(sh_pattern));
    conf->exclude = apr_array_make(p, 0, sizeof(sh_pattern));
    conf->max_env = SH_UNSET;
    conf->oversize = SH_OVERSIZE_UNSET;
    return conf;
}

/* Lists accumulate from server to vhost to location, so a location can
 * narrow what its vhost sends but never silently widen an exclusion. */
static void *sh_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
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
    return conf;
}

/* AP_INIT_FLAG's own message does not repeat the bad value; parse On/Off
 * here so that configtest names both the directive and the value. */
static const char *sh_parse_on_off(cmd_parms *cmd, const char *arg, int *out)
{
    if (!strcasecmp(arg, "On")) {
        *out = 1;
    }
    else if (!strcasecmp(arg, "Off")) {
        *out = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither On nor Off",
                            cmd->cmd->name, arg);
    }
    return NULL;
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
    const char *err = sh_pattern_compile(cmd->pool, arg,
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
    sh_dir_conf *conf = dconf;

    if (!strcasecmp(arg, "Omit")) {
        conf->oversize = SH_OVERSIZE_OMIT;
    }
    else if (!strcasecmp(arg, "Reject")) {
        conf->oversize = SH_OVERSIZE_REJECT;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither Omit nor Reject",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

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

/* --- refusing forged headers ------------------------------------------- */

/* Runs before every other post_read_request hook (mod_remoteip,
 * mod_setenvif, ...), so nothing acts on a request that carries a forged
 * secure header. httpd runs this hook again for internal redirects, on the
 * headers of a request that already passed here: a "!~" header there came
 * from the server's configuration (RequestHeader) or from a trailer merged
 * after this check (MergeTrailers on), and the proxy hook strips both, so
 * only the client's own request is judged. */
static int sh_refuse_forged_headers(request_rec *r)
{
    const char *name;

    if (!ap_is_initial_req(r)) {
        return DECLINED;
    }
    name = sh_find_forbidden_header(r->headers_in);
    if (name == NULL) {
        return DECLINED;
    }
    if (APLOGrinfo(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "refused request with client-supplied header \"%s\": "
                      "headers starting with \"!~\" may come only from this "
                      "server", ap_escape_logitem(r->pool,
                          apr_pstrndup(r->pool, name, SH_LOG_NAME_MAX)));
    }
    return HTTP_BAD_REQUEST;
}

/* --- adding the secure headers ----------------------------------------- */

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

/* At most one oversize warning a second per process: an attacker who can
 * grow the environment (SetEnvIf capturing a header) must not be able to
 * flood the error log; the rest go to debug. */
static int sh_oversize_log_level(void)
{
    static apr_time_t last_second;
    apr_time_t now = apr_time_sec(apr_time_now());

    if (now != last_second) {
        last_second = now;
        return APLOG_WARNING;
    }
    return APLOG_DEBUG;
}

static void sh_log_omitted(request_rec *r, const sh_envvars *ev,
                           apr_size_t ceiling)
{
    int level = sh_oversize_log_level();

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

static void sh_set_trustworthy_forwarded(request_rec *r, apr_table_t *out,
                                         int https)
{
    apr_port_t port = ap_get_server_port(r);
    const char *host = ap_get_server_name_for_url(r);

    /* Compared with the default of the connection Apache served, not of
     * the scheme reported: behind a TLS terminator the client's https
     * request arrives on port 80, and "host:80" would be wrong for it. */
    if (port != ap_default_port(r)) {
        host = apr_psprintf(r->pool, "%s:%u", host, (unsigned)port);
    }
    /* Express takes the left-most value; one value leaves no room for a
     * client-chosen one. */
    apr_table_setn(out, "X-Forwarded-Proto", https ? "https" : "http");
    apr_table_setn(out, "X-Forwarded-Host", host);
    apr_table_setn(out, "X-Forwarded-For", r->useragent_ip);
}

static void sh_log_added(request_rec *r, int https, const sh_envvars *ev)
{
    const char *address = "";

    if (r->useragent_ip && *r->useragent_ip) {
        address = apr_psprintf(r->pool, SECURE_HEADERS_CLIENT_ADDRESS
                               " (%" APR_SIZE_T_FMT " bytes), ",
                               strlen(r->useragent_ip));
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "added %s%s%s (%" APR_SIZE_T_FMT " bytes, %d variable(s), %"
                  APR_SIZE_T_FMT " bytes raw)",
                  https ? SECURE_HEADERS_PROTO " (5 bytes), " : "", address,
                  ev->value ? SECURE_HEADERS_ENVVARS
                            : "no " SECURE_HEADERS_ENVVARS,
                  ev->value_len, ev->count, ev->raw_len);
}

/*
 * On mod_proxy_http's path ("joined"), the secure headers go into the table
 * that ap_proxy_create_hdrbrgd formats right after the proxy fixups, line by
 * line as "key: value" CRLF, and then throws away. Each entry costs it an
 * apr_pstrcat, a pool bucket (with a pool cleanup) and an iovec to send,
 * about 900 instructions; so they go in as one entry, named after the first
 * header, whose value carries the others: "value CRLF name: value ...". The
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
 * header, computed for that request. "joined": see above.
 */
static void sh_apply_secure_headers(request_rec *r, apr_table_t *out,
                                    int joined)
{
    const sh_dir_conf *conf;
    sh_env_filter filter;
    sh_envvars ev;
    apr_size_t ceiling, ip_len, room;
    const char *ip;
    int https;

    sh_strip_secure_headers(out);

    conf = ap_get_module_config(r->per_dir_config, &secure_headers_module);
    if (!sh_enabled_for(r, conf)) {
        return;
    }
    ceiling = sh_env_ceiling(conf);

    https = sh_is_https(r);
    ip = r->useragent_ip ? r->useragent_ip : "";
    ip_len = strlen(ip);
    joined = joined && (https || ip_len);
    room = joined ? sh_joined_room(https, ip_len) : 0;
    filter = sh_filter_of(conf);
    sh_envvars_build_room(r->pool, r->subprocess_env, &filter, ceiling, room,
                          &ev);
    if (joined && ev.value) {
        char *head = (char *)ev.value - room;

        apr_table_addn(out, sh_put_joined_head(head, https, ip, ip_len),
                       head);
    }
    else {
        if (https) {
            apr_table_addn(out, SECURE_HEADERS_PROTO, "https");
        }
        if (ip_len) {
            apr_table_addn(out, SECURE_HEADERS_CLIENT_ADDRESS, ip);
        }
        if (ev.value) {
            apr_table_addn(out, SECURE_HEADERS_ENVVARS, ev.value);
        }
    }
    if (ev.omitted_count) {
        sh_log_omitted(r, &ev, ceiling);
    }
    if (conf->xforwarded == 1) {
        sh_set_trustworthy_forwarded(r, out, https);
    }
    if (APLOGrdebug(r)) {
        sh_log_added(r, https, &ev);
    }
}

/*
 * mod_proxy's fixups hook, run by mod_proxy_http (http, https, ws, wss,
 * unix sockets, balancer members of those) inside ap_proxy_create_hdrbrgd:
 * r->headers_in is then the copy about to be sent, already cleared of
 * hop-by-hop headers, and every environment writer has run, including
 * mod_proxy's own (BALANCER_*).
 */
static int sh_proxy_fixup(request_rec *r)
{
    /* Forward proxying sends requests to arbitrary hosts: never leak the
     * environment there. */
    if (r->proxyreq == PROXYREQ_REVERSE) {
        sh_apply_secure_headers(r, r->headers_in, 1);
    }
    else {
        sh_strip_secure_headers(r->headers_in);
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
    len = sh_envvars_encoded_len(r->subprocess_env, &filter);
    if (len <= ceiling) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, sh_oversize_log_level(), 0, r,
                  "%s would be %" APR_SIZE_T_FMT " bytes, more than "
                  "SecureHeadersEnvMaxSize (%" APR_SIZE_T_FMT "): refusing "
                  "the request (SecureHeadersEnvOversize Reject)",
                  SECURE_HEADERS_ENVVARS, len, ceiling);
    return 1;
}

/* The fixup for "SecureHeadersEnvOversize Reject" scopes; out of line, so
 * that the common path of sh_fixups, run for every request, needs no stack
 * frame of its own. */
__attribute__((noinline))
static int sh_fixups_rejecting(request_rec *r, const sh_dir_conf *conf,
                               const char *target)
{
    if (sh_enabled_for(r, conf) && sh_environment_too_large(r, conf)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (sh_bypasses_proxy_fixups(target)) {
        sh_apply_secure_headers(r, r->headers_in, 0);
    }
    return DECLINED;
}

static int sh_fixups(request_rec *r)
{
    const char *target = sh_reverse_proxy_target(r);
    const sh_dir_conf *conf;

    if (target == NULL) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &secure_headers_module);
    if (conf->oversize == SH_OVERSIZE_REJECT) {
        return sh_fixups_rejecting(r, conf, target);
    }
    if (sh_bypasses_proxy_fixups(target)) {
        sh_apply_secure_headers(r, r->headers_in, 0);
    }
    return DECLINED;
}

/* --- start-up ---------------------------------------------------------- */

static void sh_register_hooks(apr_pool_t *p)
{
    /* Fixups that change the environment or the headers must all have run
     * before ours measures and encodes it; REALLY_LAST alone would not order
     * us against modules that also ask for it. */
    static const char *const env_writers[] = {
        "mod_setenvif.c", "mod_env.c", "mod_rewrite.c", "mod_ssl.c",
        "mod_headers.c", NULL
    };
    /* The check comes before every other reader of the request; mod_remoteip
     * in particular must not act on a request we refuse. */
    static const char *const later_readers[] = {
        "mod_remoteip.c", "mod_setenvif.c", "mod_headers.c", NULL
    };

    (void)p;
    ap_hook_post_read_request(sh_refuse_forged_headers, NULL, later_readers,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(sh_fixups, env_writers, NULL, APR_HOOK_REALLY_LAST);
    /* An optional hook, registered by name: the module loads and refuses
     * forged headers whether mod_proxy is loaded before it, after it, or
     * not at all. Really last, so that any other proxy fixup that touches
     * the headers runs before the "!~" ones are replaced. */
    APR_OPTIONAL_HOOK(proxy, fixups, sh_proxy_fixup, NULL, NULL,
                      APR_HOOK_REALLY_LAST);
}

static const command_rec sh_cmds[] = {
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
    AP_INIT_TAKE1(NULL, NULL, NULL, 0, NULL)
};

AP_DECLARE_MODULE(secure_headers) = {
    STANDARD20_MODULE_STUFF,
    sh_create_dir_conf,
    sh_merge_dir_conf,
    NULL,
    NULL,
    sh_cmds,
    sh_register_hooks,
#ifdef AP_MODULE_FLAG_NONE
    AP_MODULE_FLAG_NONE
#endif
};
