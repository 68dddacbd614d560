/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: what the memcached replay store reads from the network
 * (sh_memcache.c): replies as the client reads them (a storage reply, then
 * a get reply, from a buffer that grows byte by byte), and the server list
 * of SecureHeadersReplayStore.
 *
 * Input: the first byte picks what the rest is fed to.
 *   0: reply bytes (checked: a reply never reaches beyond what was read,
 *      and a complete one reads the same at every longer length)
 *   1: a server list (checked: every server parsed has a host and a port)
 */
static void fuzz_memcache_setup(void);
#define SH_FUZZ_SETUP fuzz_memcache_setup

#include "fuzz_common.h"
#include "sh_memcache.h"

static apr_pool_t *pool;

static void fuzz_memcache_setup(void)
{
    if (apr_pool_create(&pool, sh_fuzz_root) != APR_SUCCESS) {
        abort();
    }
}

static void fuzz_replies(const char *buf, apr_size_t len)
{
    apr_size_t i;
    long first = 0;
    sh_mc_reply r;

    for (i = 0; i <= len; i++) {
        /* An exact-size copy: ASan sees any read past what came. */
        char *copy = malloc(i ? i : 1);
        long k;

        memcpy(copy, buf, i);
        k = sh_mc_reply_parse(copy, i, 0, &r);
        SH_FUZZ_CHECK(k <= (long)i, "storage reply of %ld bytes in %zu", k,
                      (size_t)i);
        if (k > 0) {
            long g = sh_mc_reply_parse(copy + k, i - (apr_size_t)k, 1, &r);

            SH_FUZZ_CHECK(g <= (long)(i - (apr_size_t)k), "get reply too long");
            if (g > 0 && r.kind == SH_MC_VALUE) {
                SH_FUZZ_CHECK(r.data >= copy + k
                              && r.data + r.data_len <= copy + k + g
                              && r.data_len <= SH_MC_VALUE_MAX,
                              "value outside its reply");
            }
            if (first == 0) {
                first = k;
            }
            SH_FUZZ_CHECK(first == k, "a longer read changed the reply");
        }
        free(copy);
    }
}

static void fuzz_servers(const char *buf, apr_size_t len)
{
    char *s = sh_fuzz_strndup(pool, (const uint8_t *)buf, len);
    apr_array_header_t *arr = NULL;
    int i;

    if (sh_mc_parse_servers(pool, s, &arr) == NULL) {
        for (i = 0; i < arr->nelts; i++) {
            const sh_mc_server *srv = &APR_ARRAY_IDX(arr, i, sh_mc_server);

            SH_FUZZ_CHECK(srv->host[0] && srv->port > 0, "empty server in %s",
                          sh_fuzz_quote(pool, s));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (size > 600) {
        size = 600;         /* byte-by-byte growth is quadratic */
    }
    if (data[0] % 2 == 0) {
        fuzz_replies((const char *)data + 1, size - 1);
    }
    else {
        fuzz_servers((const char *)data + 1, size - 1);
    }
    apr_pool_clear(pool);
    sh_fuzz_free_all();
    return 0;
}
