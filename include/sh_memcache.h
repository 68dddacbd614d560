/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * A replay store on memcached for mod_secure_headers: one atomic "add"
 * per nonce (memcached's add stores a key only when it is absent), spoken
 * in memcached's text protocol over APR sockets with a bounded wait, and
 * the store's own epoch, so that a memcached that restarted (and forgot
 * every nonce) is noticed. APR, APR-util and libcrypto only, no httpd, so
 * that it is unit tested on its own (tests/unit/test_memcache.c).
 *
 * Why not APR-util's apr_memcache: its connections block without a time
 * limit once connected (APR-util 1.6 sets the socket timeout to -1 after
 * connect), so a memcached that stops answering without closing (a paused
 * host, a partition) would hold every request thread forever; and with
 * several servers it moves a dead server's keys to the next one, where an
 * add of a nonce the dead server held succeeds again. Here each key has
 * exactly one server, and a server that does not answer within the
 * timeout fails the request (the caller refuses it).
 */
#ifndef SH_MEMCACHE_H
#define SH_MEMCACHE_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_time.h"
#include "apr_network_io.h"

/* One memcached server as configured. */
typedef struct {
    const char *host;       /* a name or an address, without brackets */
    apr_port_t port;
    const char *text;       /* host:port as written, for messages */
} sh_mc_server;

/* Parses "host:port[,host:port...]" ("[v6]:port" for IPv6 addresses)
 * into an array of sh_mc_server. NULL, or what is wrong. */
const char *sh_mc_parse_servers(apr_pool_t *p, const char *list,
                                apr_array_header_t **out);

/* NULL when prefix can begin a memcached key (1 to SH_MC_PREFIX_MAX
 * printable characters, no space); otherwise why not. */
#define SH_MC_PREFIX_MAX 64
const char *sh_mc_prefix_check(const char *prefix);

/* The key under which a nonce is remembered: prefix, then the SHA-256 of
 * keyid NUL nonce in 64 hex digits (a key id may hold spaces, a nonce is
 * whatever the signer chose; memcached keys may not, and are at most 250
 * bytes). out must hold SH_MC_PREFIX_MAX + 65 bytes. */
#define SH_MC_KEY_MAX (SH_MC_PREFIX_MAX + 65)
void sh_mc_nonce_key(const char *prefix, const char *keyid,
                     const char *nonce, char out[SH_MC_KEY_MAX]);

/* --- replies ---------------------------------------------------------- */

typedef enum {
    SH_MC_STORED = 1,       /* add: the key was absent, now stored */
    SH_MC_NOT_STORED,       /* add: the key was there */
    SH_MC_VALUE,            /* get: found; data and data_len say what */
    SH_MC_MISS,             /* get: absent */
    SH_MC_ERROR             /* ERROR, CLIENT_ERROR, SERVER_ERROR ... */
} sh_mc_reply_kind;

typedef struct {
    sh_mc_reply_kind kind;
    const char *data;       /* into the buffer: the value, or the error line */
    apr_size_t data_len;
} sh_mc_reply;

/* Parses one reply at the start of buf: the bytes it takes (> 0), 0 when
 * more must be read, -1 when it is not a reply memcached sends or a value
 * is longer than SH_MC_VALUE_MAX. "get" says whether the command was a
 * get (VALUE ... END or END) or a storage command (one line). */
#define SH_MC_VALUE_MAX 64
long sh_mc_reply_parse(const char *buf, apr_size_t len, int get,
                       sh_mc_reply *out);

/* --- the client ------------------------------------------------------- */

typedef struct sh_mc sh_mc;

/* A client for the servers (an array of sh_mc_server), made in each child
 * process: at most max_conns connections per server (one per thread),
 * opened on first use and kept; every exchange waits at most "timeout"
 * in all. A server that failed is not asked again for "retry". */
apr_status_t sh_mc_create(apr_pool_t *p, const apr_array_header_t *servers,
                          apr_interval_time_t timeout,
                          apr_interval_time_t retry, int max_conns,
                          sh_mc **out);

typedef enum {
    SH_MC_FRESH = 0,        /* never seen: now remembered */
    SH_MC_REPLAYED,         /* seen before */
    SH_MC_FAILED            /* the store could not say: refuse */
} sh_mc_verdict;

/*
 * The add-if-absent of one nonce, remembered until "until" (Unix seconds)
 * at least. Pipelined with it, in the same round trip, a get of the
 * store's epoch (prefix "epoch": the time this store was first used since
 * memcached started, created when absent): a fresh verdict needs a
 * signature created at least "skew" seconds after the epoch, since one
 * created earlier may have been seen by a memcached that has since
 * restarted and forgotten it. On SH_MC_FAILED, *why says what happened
 * (allocated from p) and *server which server it was.
 */
sh_mc_verdict sh_mc_add_nonce(sh_mc *mc, apr_pool_t *p, const char *prefix,
                              const char *keyid, const char *nonce,
                              apr_int64_t created, apr_int64_t until,
                              apr_int64_t now, int skew, const char **why,
                              const sh_mc_server **server);

#endif /* SH_MEMCACHE_H */
