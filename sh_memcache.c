/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * A replay store on memcached (see include/sh_memcache.h for why this is
 * its own small client rather than APR-util's). Only memcached's text
 * protocol's "add" and "get" are spoken, pipelined in one round trip.
 */
#include <string.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_atomic.h"
#include "apr_reslist.h"

#include "sh_memcache.h"

/* Enough for the longest pair of replies this client asks for: a storage
 * reply (or an error line) and one VALUE of at most SH_MC_VALUE_MAX bytes
 * under a key of at most SH_MC_KEY_MAX, then END. */
#define SH_MC_BUF 1024

/* --- configuration ----------------------------------------------------- */

static const char *sh_mc_parse_one(apr_pool_t *p, const char *item,
                                   sh_mc_server *out)
{
    const char *colon, *host_end, *host = item;
    char *end;
    long port;

    if (*item == '[') {
        host_end = strchr(item, ']');
        if (host_end == NULL || host_end[1] != ':') {
            return "an IPv6 address is written [address]:port";
        }
        host = item + 1;
        colon = host_end + 1;
    }
    else {
        colon = strrchr(item, ':');
        host_end = colon;
        if (colon && strchr(item, ':') != colon) {
            return "an IPv6 address is written [address]:port";
        }
    }
    if (colon == NULL) {
        return "the port is missing (memcached's is usually 11211)";
    }
    if (host_end == host) {
        return "the host is missing";
    }
    for (end = (char *)host; end < host_end; end++) {
        if (!apr_isalnum(*end) && !strchr(".-_:%", *end)) {
            return "the host holds a character no host name or address has";
        }
    }
    port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
        return "the port is not a number from 1 to 65535";
    }
    out->host = apr_pstrmemdup(p, host, (apr_size_t)(host_end - host));
    out->port = (apr_port_t)port;
    out->text = apr_pstrdup(p, item);
    return NULL;
}

const char *sh_mc_parse_servers(apr_pool_t *p, const char *list,
                                apr_array_header_t **out)
{
    char *copy = apr_pstrdup(p, list), *item, *last;
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(sh_mc_server));

    if (*list == '\0' || list[strlen(list) - 1] == ',' || *list == ',') {
        return "no host:port";
    }
    for (item = apr_strtok(copy, ",", &last); item;
         item = apr_strtok(NULL, ",", &last)) {
        const char *err = sh_mc_parse_one(p, item,
                                          apr_array_push(arr));

        if (err) {
            return apr_psprintf(p, "'%s': %s", item, err);
        }
    }
    if (arr->nelts == 0) {
        return "no host:port";
    }
    *out = arr;
    return NULL;
}

const char *sh_mc_prefix_check(const char *prefix)
{
    const char *c;

    if (*prefix == '\0') {
        return "the prefix is empty";
    }
    if (strlen(prefix) > SH_MC_PREFIX_MAX) {
        return "the prefix is longer than 64 characters";
    }
    for (c = prefix; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f) {
            return "memcached keys hold no spaces, control characters or "
                   "bytes beyond ASCII";
        }
    }
    return NULL;
}

void sh_mc_nonce_key(const char *prefix, const char *keyid,
                     const char *nonce, char out[SH_MC_KEY_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    apr_size_t n = strlen(prefix);
    int i;

    /* keyid with its NUL, then the nonce: no two pairs hash alike. A
     * failure of libcrypto leaves a digest of zeros, which only makes
     * more nonces look seen (refused), never fewer. */
    memset(digest, 0, sizeof(digest));
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
        || !EVP_DigestUpdate(ctx, keyid, strlen(keyid) + 1)
        || !EVP_DigestUpdate(ctx, nonce, strlen(nonce))
        || !EVP_DigestFinal_ex(ctx, digest, &dlen)) {
        memset(digest, 0, sizeof(digest));
    }
    EVP_MD_CTX_free(ctx);
    memcpy(out, prefix, n);
    for (i = 0; i < 32; i++) {
        out[n + 2 * i] = hex[digest[i] >> 4];
        out[n + 2 * i + 1] = hex[digest[i] & 15];
    }
    out[n + 64] = '\0';
}

/* --- replies ----------------------------------------------------------- */

static int sh_mc_is_error_line(const char *line, apr_size_t n)
{
    return (n == 5 && !memcmp(line, "ERROR", 5))
           || (n >= 13 && !memcmp(line, "CLIENT_ERROR ", 13))
           || (n >= 13 && !memcmp(line, "SERVER_ERROR ", 13));
}

static const char *sh_mc_line_end(const char *buf, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i + 1 < len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
            return buf + i;
        }
    }
    return NULL;
}

long sh_mc_reply_parse(const char *buf, apr_size_t len, int get,
                       sh_mc_reply *out)
{
    const char *eol = sh_mc_line_end(buf, len), *p, *sp;
    apr_size_t n, need;
    char *end;
    unsigned long bytes;

    if (eol == NULL) {
        return 0;
    }
    n = (apr_size_t)(eol - buf);
    out->data = buf;
    out->data_len = n;
    if (sh_mc_is_error_line(buf, n)) {
        out->kind = SH_MC_ERROR;
        return (long)(n + 2);
    }
    if (!get) {
        if (n == 6 && !memcmp(buf, "STORED", 6)) {
            out->kind = SH_MC_STORED;
        }
        else if (n == 10 && !memcmp(buf, "NOT_STORED", 10)) {
            out->kind = SH_MC_NOT_STORED;
        }
        else {
            return -1;
        }
        out->data_len = 0;
        return (long)(n + 2);
    }
    if (n == 3 && !memcmp(buf, "END", 3)) {
        out->kind = SH_MC_MISS;
        out->data_len = 0;
        return 5;
    }
    /* VALUE <key> <flags> <bytes>: the byte count is the last field. */
    if (n < 6 || memcmp(buf, "VALUE ", 6) != 0) {
        return -1;
    }
    for (sp = NULL, p = buf; p < eol; p++) {
        if (*p == ' ') {
            sp = p;
        }
    }
    if (sp == NULL || sp + 1 >= eol || !apr_isdigit(sp[1])) {
        return -1;
    }
    bytes = strtoul(sp + 1, &end, 10);
    if (end != eol || bytes > SH_MC_VALUE_MAX) {
        return -1;
    }
    need = n + 2 + bytes + 2 + 5;
    if (len < need) {
        return 0;
    }
    p = eol + 2;
    if (memcmp(p + bytes, "\r\nEND\r\n", 7) != 0) {
        return -1;
    }
    out->kind = SH_MC_VALUE;
    out->data = p;
    out->data_len = bytes;
    return (long)need;
}

/* --- connections ------------------------------------------------------- */

/* A slot of the pool: it lives as long as the child, and holds one
 * connection at a time, made in a pool of its own so that reconnecting
 * never grows the slot. */
typedef struct {
    apr_pool_t *pool;
    apr_pool_t *sock_pool;  /* the connection's; NULL when there is none */
    apr_socket_t *sock;     /* NULL until connected */
} sh_mc_conn;

typedef struct {
    const sh_mc_server *server;
    apr_reslist_t *conns;
    volatile apr_uint32_t down_until;   /* Unix seconds; 0: up */
} sh_mc_node;

struct sh_mc {
    sh_mc_node *nodes;
    int n;
    apr_interval_time_t timeout;
    apr_interval_time_t retry;
};

static void sh_mc_close(sh_mc_conn *c)
{
    if (c->sock_pool) {
        apr_pool_destroy(c->sock_pool);     /* closes the socket */
    }
    c->sock_pool = NULL;
    c->sock = NULL;
}

/* A connection slot; it connects on first use, within the time left. */
static apr_status_t sh_mc_conn_make(void **res, void *params, apr_pool_t *p)
{
    apr_pool_t *cp;
    sh_mc_conn *c;
    apr_status_t rv;

    (void)params;
    (void)p;
    /* A pool of its own, not one under the reslist's: slots are made by
     * whichever thread needs one, and are destroyed one by one. */
    rv = apr_pool_create(&cp, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c = apr_pcalloc(cp, sizeof(*c));
    c->pool = cp;
    *res = c;
    return APR_SUCCESS;
}

static apr_status_t sh_mc_conn_free(void *res, void *params, apr_pool_t *p)
{
    sh_mc_conn *c = res;

    (void)params;
    (void)p;
    apr_pool_destroy(c->pool);      /* and the connection's, with it */
    return APR_SUCCESS;
}

apr_status_t sh_mc_create(apr_pool_t *p, const apr_array_header_t *servers,
                          apr_interval_time_t timeout,
                          apr_interval_time_t retry, int max_conns,
                          sh_mc **out)
{
    sh_mc *mc = apr_pcalloc(p, sizeof(*mc));
    int i;

    if (max_conns < 1) {
        max_conns = 1;
    }
    mc->n = servers->nelts;
    mc->nodes = apr_pcalloc(p, (apr_size_t)mc->n * sizeof(*mc->nodes));
    mc->timeout = timeout;
    mc->retry = retry;
    for (i = 0; i < mc->n; i++) {
        apr_status_t rv;

        mc->nodes[i].server = &APR_ARRAY_IDX(servers, i, sh_mc_server);
        /* One connection per thread at most, so a thread never waits for
         * another's; none opened before it is needed. */
        rv = apr_reslist_create(&mc->nodes[i].conns, 0, max_conns, max_conns,
                                0, sh_mc_conn_make, sh_mc_conn_free, NULL, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        apr_reslist_timeout_set(mc->nodes[i].conns, timeout);
    }
    *out = mc;
    return APR_SUCCESS;
}

static apr_status_t sh_mc_time_left(apr_time_t deadline,
                                    apr_socket_t *sock)
{
    apr_interval_time_t left = deadline - apr_time_now();

    if (left <= 0) {
        return APR_TIMEUP;
    }
    return apr_socket_timeout_set(sock, left);
}

static apr_status_t sh_mc_connect(sh_mc_conn *c, const sh_mc_server *srv,
                                  apr_time_t deadline, const char **step)
{
    apr_sockaddr_t *sa;
    apr_socket_t *sock;
    apr_status_t rv;

    *step = "connect";
    rv = apr_pool_create(&c->sock_pool, c->pool);
    if (rv != APR_SUCCESS) {
        c->sock_pool = NULL;
        return rv;
    }
    *step = "resolve";
    rv = apr_sockaddr_info_get(&sa, srv->host, APR_UNSPEC, srv->port, 0,
                               c->sock_pool);
    if (rv == APR_SUCCESS) {
        *step = "connect";
        rv = apr_socket_create(&sock, sa->family, SOCK_STREAM, APR_PROTO_TCP,
                               c->sock_pool);
    }
    if (rv == APR_SUCCESS) {
        apr_socket_opt_set(sock, APR_TCP_NODELAY, 1);
        rv = sh_mc_time_left(deadline, sock);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_connect(sock, sa);
    }
    if (rv != APR_SUCCESS) {
        sh_mc_close(c);
        return rv;
    }
    c->sock = sock;
    return APR_SUCCESS;
}

static apr_status_t sh_mc_send(sh_mc_conn *c, const char *req,
                               apr_size_t len, apr_time_t deadline)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = sh_mc_time_left(deadline, c->sock);

        if (rv == APR_SUCCESS) {
            rv = apr_socket_send(c->sock, req, &n);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        req += n;
        len -= n;
    }
    return APR_SUCCESS;
}

/* Reads a storage reply and a get reply; *got is how many bytes came. */
static apr_status_t sh_mc_recv(sh_mc_conn *c, char *buf, apr_size_t *got,
                               sh_mc_reply rep[2], apr_time_t deadline)
{
    *got = 0;
    for (;;) {
        apr_size_t n = SH_MC_BUF - *got;
        apr_status_t rv = sh_mc_time_left(deadline, c->sock);
        long k0, k1 = 0;

        if (rv == APR_SUCCESS) {
            rv = apr_socket_recv(c->sock, buf + *got, &n);
        }
        *got += n;
        if (rv != APR_SUCCESS) {
            return rv;
        }
        k0 = sh_mc_reply_parse(buf, *got, 0, &rep[0]);
        if (k0 > 0) {
            k1 = sh_mc_reply_parse(buf + k0, *got - (apr_size_t)k0, 1,
                                   &rep[1]);
        }
        if (k0 < 0 || k1 < 0
            || (k1 > 0 && (apr_size_t)(k0 + k1) != *got)) {
            return APR_EGENERAL;        /* not memcached, or out of step */
        }
        if (k1 > 0) {
            return APR_SUCCESS;
        }
        if (*got == SH_MC_BUF) {
            return APR_EGENERAL;
        }
    }
}

/* Sends req (a storage command, then a get) to one server and reads both
 * replies into buf. Within the timeout in all. A kept connection that the
 * server has closed since (memcached restarted) is replaced once, in the
 * same slot: nothing was read from it, so the server never saw the command
 * (and if it had, the new connection's add would say "not stored": a
 * refusal, never an acceptance). */
static apr_status_t sh_mc_exchange(sh_mc *mc, sh_mc_node *node,
                                   apr_pool_t *p, const char *req,
                                   char *buf, sh_mc_reply rep[2],
                                   const char **why)
{
    apr_time_t now = apr_time_now();
    apr_time_t deadline = now + mc->timeout;
    apr_uint32_t down = apr_atomic_read32(&node->down_until);
    apr_size_t len = strlen(req);
    apr_status_t rv;
    const char *step = "send";
    sh_mc_conn *c;
    int attempt;
    char err[120];

    if (down && (apr_uint32_t)apr_time_sec(now) < down) {
        *why = "it failed less than a second ago; asked again after that";
        return APR_ECONNREFUSED;
    }
    rv = apr_reslist_acquire(node->conns, (void **)&c);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "no connection free: %s",
                            apr_strerror(rv, err, sizeof(err)));
        return rv;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        int kept = c->sock != NULL;
        apr_size_t got = 0;

        rv = APR_SUCCESS;
        step = "send";
        if (!kept) {
            rv = sh_mc_connect(c, node->server, deadline, &step);
        }
        if (rv == APR_SUCCESS) {
            step = "send";
            rv = sh_mc_send(c, req, len, deadline);
        }
        if (rv == APR_SUCCESS) {
            step = "read";
            rv = sh_mc_recv(c, buf, &got, rep, deadline);
        }
        if (rv == APR_SUCCESS && rep[0].kind != SH_MC_ERROR
            && rep[1].kind != SH_MC_ERROR) {
            apr_reslist_release(node->conns, c);
            apr_atomic_set32(&node->down_until, 0);
            return APR_SUCCESS;
        }
        /* Out of step, or in doubt: this connection is done. */
        sh_mc_close(c);
        if (rv == APR_SUCCESS) {
            /* memcached answered, with an error: it is there. */
            const sh_mc_reply *e = rep[0].kind == SH_MC_ERROR ? &rep[0]
                                                              : &rep[1];

            apr_reslist_release(node->conns, c);
            *why = apr_psprintf(p, "it answered \"%s\"",
                                apr_pstrmemdup(p, e->data, e->data_len));
            return APR_EGENERAL;
        }
        if (!(kept && got == 0 && (rv == APR_EOF
                                   || APR_STATUS_IS_ECONNRESET(rv)
                                   || APR_STATUS_IS_EPIPE(rv)))) {
            break;
        }
    }
    apr_reslist_release(node->conns, c);
    *why = apr_psprintf(p, "%s: %s", step, rv == APR_EGENERAL
                        ? "the reply is not memcached's text protocol"
                        : APR_STATUS_IS_TIMEUP(rv)
                        ? "no answer within the timeout"
                        : apr_strerror(rv, err, sizeof(err)));
    if (mc->retry > 0) {
        apr_atomic_set32(&node->down_until, (apr_uint32_t)apr_time_sec(
                         apr_time_now() + mc->retry));
    }
    return rv;
}

/* --- the replay check -------------------------------------------------- */

static int sh_mc_parse_time(const sh_mc_reply *rep, apr_int64_t *out)
{
    char num[SH_MC_VALUE_MAX + 1];
    char *end;

    if (rep->kind != SH_MC_VALUE || rep->data_len == 0) {
        return 0;
    }
    memcpy(num, rep->data, rep->data_len);
    num[rep->data_len] = '\0';
    *out = apr_strtoi64(num, &end, 10);
    return *end == '\0' && apr_isdigit(num[0]);
}

sh_mc_verdict sh_mc_add_nonce(sh_mc *mc, apr_pool_t *p, const char *prefix,
                              const char *keyid, const char *nonce,
                              apr_int64_t created, apr_int64_t until,
                              apr_int64_t now, int skew, const char **why,
                              const sh_mc_server **server)
{
    char key[SH_MC_KEY_MAX], buf[SH_MC_BUF];
    const char *epoch_key = apr_pstrcat(p, prefix, "epoch", NULL);
    apr_size_t plen = strlen(prefix);
    sh_mc_reply rep[2];
    sh_mc_node *node;
    apr_int64_t epoch, ttl;
    char hash8[9];

    sh_mc_nonce_key(prefix, keyid, nonce, key);
    memcpy(hash8, key + plen, 8);
    hash8[8] = '\0';
    node = &mc->nodes[strtoul(hash8, NULL, 16) % (unsigned long)mc->n];
    *server = node->server;
    /* Relative seconds (memcached reads up to 30 days so); one more for
     * its clock, which ticks in whole seconds, and one for rounding. */
    ttl = until - now + 2;
    if (ttl < 2) {
        ttl = 2;
    }
    if (sh_mc_exchange(mc, node, p, apr_psprintf(p, "add %s 0 %" APR_INT64_T_FMT
                       " 1\r\n1\r\nget %s\r\n", key, ttl, epoch_key),
                       buf, rep, why) != APR_SUCCESS) {
        return SH_MC_FAILED;
    }
    if (rep[0].kind == SH_MC_NOT_STORED) {
        return SH_MC_REPLAYED;
    }
    if (rep[1].kind == SH_MC_MISS) {
        /* First use since memcached started: whoever adds the epoch first
         * sets it; the get that follows reads the winner's. */
        const char *t = apr_psprintf(p, "%" APR_INT64_T_FMT, now);

        if (sh_mc_exchange(mc, node, p, apr_psprintf(p, "add %s 0 0 %"
                           APR_SIZE_T_FMT "\r\n%s\r\nget %s\r\n", epoch_key,
                           strlen(t), t, epoch_key), buf, rep, why)
            != APR_SUCCESS) {
            return SH_MC_FAILED;
        }
    }
    if (!sh_mc_parse_time(&rep[1], &epoch)) {
        *why = apr_psprintf(p, "its key %s holds no time", epoch_key);
        return SH_MC_FAILED;
    }
    if (created - skew < epoch) {
        *why = apr_psprintf(p, "its memory begins at %" APR_INT64_T_FMT
                            " (memcached started, or was first used, then) "
                            "and the signature was created at %"
                            APR_INT64_T_FMT ", too close to or before that "
                            "to know it was never seen", epoch, created);
        return SH_MC_FAILED;
    }
    return SH_MC_FRESH;
}
