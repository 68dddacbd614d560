/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Per-backend signing keys derived with HKDF-SHA256 from one master secret
 * (include/sh_derive.h, docs/derived-keys.md). httpd-free: APR and
 * libcrypto only.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>

#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_lib.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "sh_derive.h"

#define SH_SHA256_LEN 32

struct sh_derive {
    const char *keyid;
    unsigned char prk[SH_SHA256_LEN];   /* HKDF-Extract(salt, master) */
    unsigned max;
    apr_pool_t *pool;                   /* the cache's keys and names */
    apr_hash_t *cache;                  /* identity -> const sh_key * */
    apr_hash_t *by_url;                 /* "scheme://authority" as sent */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
};

static int sh_hmac(const unsigned char *key, apr_size_t key_len,
                   const unsigned char *msg, apr_size_t msg_len,
                   unsigned char out[SH_SHA256_LEN])
{
    unsigned int n = 0;

    return HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n)
           != NULL && n == SH_SHA256_LEN;
}

/* HKDF-Expand (RFC 5869 section 2.3): T(i) = HMAC(PRK, T(i-1) | info | i),
 * one buffer for the longest of them. */
static int sh_hkdf_expand(const unsigned char prk[SH_SHA256_LEN],
                          const unsigned char *info, apr_size_t info_len,
                          unsigned char *okm, apr_size_t okm_len)
{
    unsigned char stack[SH_SHA256_LEN + SH_DERIVE_ID_MAX + 1];
    unsigned char t[SH_SHA256_LEN];
    unsigned char *msg = stack;
    apr_size_t done = 0, tlen = 0;
    unsigned i;
    int ok = 1;

    if (okm_len > 255 * SH_SHA256_LEN) {
        return 0;
    }
    if (SH_SHA256_LEN + info_len + 1 > sizeof(stack)
        && (msg = OPENSSL_malloc(SH_SHA256_LEN + info_len + 1)) == NULL) {
        return 0;
    }
    for (i = 1; ok && done < okm_len; i++) {
        apr_size_t n = okm_len - done < SH_SHA256_LEN ? okm_len - done
                                                       : SH_SHA256_LEN;

        memcpy(msg, t, tlen);
        if (info_len) {
            memcpy(msg + tlen, info, info_len);
        }
        msg[tlen + info_len] = (unsigned char)i;
        ok = sh_hmac(prk, SH_SHA256_LEN, msg, tlen + info_len + 1, t);
        memcpy(okm + done, t, n);
        done += n;
        tlen = SH_SHA256_LEN;
    }
    OPENSSL_cleanse(t, sizeof(t));
    OPENSSL_cleanse(msg, SH_SHA256_LEN + info_len + 1 > sizeof(stack)
                         ? SH_SHA256_LEN + info_len + 1 : sizeof(stack));
    if (msg != stack) {
        OPENSSL_free(msg);
    }
    return ok;
}

int sh_hkdf_sha256(const unsigned char *salt, apr_size_t salt_len,
                   const unsigned char *ikm, apr_size_t ikm_len,
                   const unsigned char *info, apr_size_t info_len,
                   unsigned char *okm, apr_size_t okm_len)
{
    static const unsigned char zeros[SH_SHA256_LEN];
    unsigned char prk[SH_SHA256_LEN];
    int ok;

    /* RFC 5869 section 2.2: no salt is HashLen zeros. */
    if (salt == NULL || salt_len == 0) {
        salt = zeros;
        salt_len = sizeof(zeros);
    }
    ok = sh_hmac(salt, salt_len, ikm, ikm_len, prk)
         && sh_hkdf_expand(prk, info, info_len, okm, okm_len);
    OPENSSL_cleanse(prk, sizeof(prk));
    return ok;
}

/* Whether s[0..len) is name (lower case) in any case; no libc call, as
 * this runs for every request signed with a derived key. */
static int sh_scheme_eq(const char *s, apr_size_t len, const char *name)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (name[i] == '\0' || (s[i] | 0x20) != name[i]) {
            return 0;
        }
    }
    return name[len] == '\0';
}

apr_size_t sh_derive_identity(const char *url, const char *uds_path,
                              char *buf, apr_size_t size)
{
    const char *colon, *auth, *end, *at, *host, *host_end, *port = NULL;
    const char *scheme;
    apr_size_t slen, n, i;
    unsigned long pv = 0;
    int tls;

    if (url && !strncasecmp(url, "unix:", 5) && uds_path == NULL) {
        const char *bar = strchr(url + 5, '|');

        /* mod_proxy's own form: the socket before '|'. */
        if (bar == NULL || bar == url + 5) {
            return 0;
        }
        n = (apr_size_t)(bar - (url + 5));
        if (n + 6 > size) {
            return 0;
        }
        memcpy(buf, "unix:", 5);
        memcpy(buf + 5, url + 5, n);
        buf[5 + n] = '\0';
        return n + 5;
    }
    if (uds_path) {
        n = strlen(uds_path);
        if (n == 0 || n + 6 > size) {
            return 0;
        }
        memcpy(buf, "unix:", 5);
        memcpy(buf + 5, uds_path, n + 1);
        return n + 5;
    }
    if (url == NULL || (colon = strchr(url, ':')) == NULL
        || colon[1] != '/' || colon[2] != '/') {
        return 0;
    }
    slen = (apr_size_t)(colon - url);
    if (sh_scheme_eq(url, slen, "http") || sh_scheme_eq(url, slen, "ws")) {
        scheme = "http";
        tls = 0;
    }
    else if (sh_scheme_eq(url, slen, "https")
             || sh_scheme_eq(url, slen, "wss")) {
        scheme = "https";
        tls = 1;
    }
    else {
        return 0;
    }
    auth = colon + 3;
    end = auth + strcspn(auth, "/?#");
    /* user:password@ is not part of who the backend is. */
    for (at = end; at > auth && at[-1] != '@'; at--) {
    }
    host = at;
    if (*host == '[') {
        host_end = memchr(host, ']', (apr_size_t)(end - host));
        if (host_end == NULL) {
            return 0;
        }
        host_end++;
    }
    else {
        host_end = memchr(host, ':', (apr_size_t)(end - host));
        if (host_end == NULL) {
            host_end = end;
        }
    }
    if (host_end == host) {
        return 0;
    }
    if (host_end < end) {
        if (*host_end != ':') {
            return 0;
        }
        port = host_end + 1;
        if (port == end) {
            port = NULL;            /* "host:" is the default port */
        }
        else {
            const char *d;

            for (d = port; d < end; d++) {
                if (!apr_isdigit(*d) || d - port > 5) {
                    return 0;
                }
                pv = pv * 10 + (unsigned long)(*d - '0');
            }
            if (pv == 0 || pv > 65535) {
                return 0;
            }
        }
    }
    if (port == NULL) {
        pv = tls ? 443 : 80;
    }
    n = strlen(scheme) + 3 + (apr_size_t)(host_end - host) + 1
        + (pv >= 10000 ? 5 : pv >= 1000 ? 4 : pv >= 100 ? 3 : pv >= 10 ? 2 : 1)
        + 1;
    if (n > size) {
        return 0;
    }
    n = strlen(scheme);
    memcpy(buf, scheme, n);
    memcpy(buf + n, "://", 3);
    n += 3;
    for (i = 0; host + i < host_end; i++) {
        unsigned char c = (unsigned char)host[i];

        buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    buf[n++] = ':';
    {
        char digits[6];
        int k = 0;

        do {
            digits[k++] = (char)('0' + pv % 10);
            pv /= 10;
        } while (pv);
        while (k) {
            buf[n++] = digits[--k];
        }
    }
    buf[n] = '\0';
    return n;
}

const char *sh_derive_create(apr_pool_t *p, const char *keyid,
                             const unsigned char *master, apr_size_t len,
                             unsigned max, sh_derive **out)
{
    static const char salt[] = SH_DERIVE_SALT;
    sh_derive *d;
    const char *err = sh_key_id_check(keyid);

    if (err) {
        return err;
    }
    if (len < SH_DERIVE_KEY_LEN) {
        return apr_psprintf(p, "a master secret has at least %d bytes, "
                            "this one %" APR_SIZE_T_FMT " (make one with: "
                            "openssl rand -out FILE 32)", SH_DERIVE_KEY_LEN,
                            len);
    }
    d = apr_pcalloc(p, sizeof(*d));
    d->keyid = apr_pstrdup(p, keyid);
    d->max = max;
    if (!sh_hmac((const unsigned char *)salt, sizeof(salt) - 1, master, len,
                 d->prk)) {
        return "libcrypto cannot compute HMAC-SHA256";
    }
    if (apr_pool_create(&d->pool, p) != APR_SUCCESS) {
        return "cannot create the pool of derived keys";
    }
    apr_pool_tag(d->pool, "sh_derive");
    d->cache = apr_hash_make(d->pool);
    d->by_url = apr_hash_make(d->pool);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&d->lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        return "cannot create the mutex of derived keys";
    }
#endif
    *out = d;
    return NULL;
}

const char *sh_derive_keyid(const sh_derive *d)
{
    return d->keyid;
}

int sh_derive_raw(const sh_derive *d, const char *id, apr_size_t id_len,
                  unsigned char out[SH_DERIVE_KEY_LEN])
{
    return sh_hkdf_expand(d->prk, (const unsigned char *)id, id_len, out,
                          SH_DERIVE_KEY_LEN);
}

/* Derives the key for id into pool p. */
static const sh_key *sh_derive_new(const sh_derive *d, apr_pool_t *p,
                                   const char *id, apr_size_t id_len)
{
    unsigned char raw[SH_DERIVE_KEY_LEN];
    sh_key *key = NULL;
    const char *err = "libcrypto";

    if (sh_derive_raw(d, id, id_len, raw)) {
        err = sh_key_from_bytes(p, d->keyid, SH_ALG_HMAC_SHA256, raw,
                                sizeof(raw), 1, &key);
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    return err ? NULL : key;
}

static void sh_derive_lock(sh_derive *d)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(d->lock);
#else
    (void)d;
#endif
}

static void sh_derive_unlock(sh_derive *d)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(d->lock);
#else
    (void)d;
#endif
}

const sh_key *sh_derive_key(sh_derive *d, apr_pool_t *p, const char *id,
                            apr_size_t id_len)
{
    const sh_key *key;

    sh_derive_lock(d);
    key = apr_hash_get(d->cache, id, (apr_ssize_t)id_len);
    if (key == NULL && apr_hash_count(d->cache) < d->max) {
        /* Derived under the lock: once per backend per process, and
         * the pool of the cache is not safe from two threads. */
        key = sh_derive_new(d, d->pool, id, id_len);
        if (key) {
            apr_hash_set(d->cache, apr_pstrmemdup(d->pool, id, id_len),
                         (apr_ssize_t)id_len, key);
        }
        sh_derive_unlock(d);
        return key;
    }
    sh_derive_unlock(d);
    return key ? key : sh_derive_new(d, p, id, id_len);
}

/* The length of "scheme://authority" at the start of url, as it is
 * written; 0 when it does not start so. */
static apr_size_t sh_url_origin_len(const char *url)
{
    const char *c = url;

    while ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')) {
        c++;
    }
    if (c == url || c[0] != ':' || c[1] != '/' || c[2] != '/') {
        return 0;
    }
    for (c += 3; *c && *c != '/' && *c != '?' && *c != '#'; c++) {
    }
    return (apr_size_t)(c - url);
}

const sh_key *sh_derive_key_for_url(sh_derive *d, apr_pool_t *p,
                                    const char *url, const char *uds_path)
{
    char id[SH_DERIVE_ID_MAX];
    apr_size_t n, origin = uds_path ? 0 : sh_url_origin_len(url);
    const sh_key *key;

    /* The usual request: its backend's URL as written was seen before,
     * one look-up under the lock and no parsing. */
    if (origin) {
        sh_derive_lock(d);
        key = apr_hash_get(d->by_url, url, (apr_ssize_t)origin);
        sh_derive_unlock(d);
        if (key) {
            return key;
        }
    }
    n = sh_derive_identity(url, uds_path, id, sizeof(id));
    if (n == 0) {
        return NULL;
    }
    key = sh_derive_key(d, p, id, n);
    if (key && origin) {
        sh_derive_lock(d);
        /* Kept only when the key itself is (it lives in the cache's pool)
         * and within the same bound. */
        if (apr_hash_get(d->cache, id, (apr_ssize_t)n) == key
            && apr_hash_count(d->by_url) < d->max) {
            apr_hash_set(d->by_url, apr_pstrmemdup(d->pool, url, origin),
                         (apr_ssize_t)origin, key);
        }
        sh_derive_unlock(d);
    }
    return key;
}

unsigned sh_derive_cached(sh_derive *d)
{
    unsigned n;

    sh_derive_lock(d);
    n = apr_hash_count(d->cache);
    sh_derive_unlock(d);
    return n;
}

static int sh_printable(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* Whether any of the 8 bytes of w is outside 0x21-0x7E: a byte below 0x21
 * (the borrow of subtracting 0x21 reaches its top bit while its own top
 * bit is clear) or above 0x7E (adding 1 reaches or has the top bit). */
static int sh_word_unprintable(apr_uint64_t w)
{
    const apr_uint64_t ones = APR_UINT64_C(0x0101010101010101);
    const apr_uint64_t high = APR_UINT64_C(0x8080808080808080);

    return (((w - ones * 0x21) & ~w) | ((w + ones) | w)) & high ? 1 : 0;
}

/* How many bytes of s[0..len) are outside printable ASCII; 0 in a few
 * instructions per 8 bytes for the usual target, which has none. */
static apr_size_t sh_count_unprintable(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0, n = 0;

    for (; i + 8 <= len; i += 8) {
        apr_uint64_t w;

        memcpy(&w, s + i, 8);
        if (sh_word_unprintable(w)) {
            break;
        }
    }
    for (; i < len; i++) {
        n += !sh_printable(s[i]);
    }
    return n;
}

const char *sh_target_printable(apr_pool_t *p, const char *target,
                                int *changed)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)target;
    apr_size_t len = strlen(target);
    apr_size_t n = sh_count_unprintable(s, len);
    char *out, *w;

    *changed = n != 0;
    if (n == 0) {
        return target;
    }
    w = out = apr_palloc(p, len + 2 * n + 1);
    for (; *s; s++) {
        if (sh_printable(*s)) {
            *w++ = (char)*s;
        }
        else {
            *w++ = '%';
            *w++ = hex[*s >> 4];
            *w++ = hex[*s & 15];
        }
    }
    *w = '\0';
    return out;
}
