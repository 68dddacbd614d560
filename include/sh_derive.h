/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Per-backend signing keys for mod_secure_headers (docs/derived-keys.md).
 *
 * Apache holds one master secret; each backend gets its own hmac-sha256
 * key derived from it with HKDF-SHA256 (RFC 5869):
 *
 *   key = HKDF-SHA256(IKM  = the master key file's bytes (32 or more),
 *                     salt = "mod_secure_headers derived key v1",
 *                     info = the backend's identity, L = 32)
 *
 * The identity is "scheme://host:port" of the URL the request goes to,
 * scheme and host in lower case and the port always written (ws and wss
 * are written http and https: an upgrade goes to the same server), or
 * "unix:" and the socket's path for a unix socket. A backend holds only
 * its own key, so a request captured on its way to one backend fails at
 * every other by the key itself, and a backend cannot sign for another.
 *
 * Every key is derived once per backend per process, then kept: signing
 * with a derived key costs a look-up more than signing with a plain one.
 * APR and libcrypto only, no httpd (unit tested in tests/unit).
 */
#ifndef SH_DERIVE_H
#define SH_DERIVE_H

#include "apr_pools.h"
#include "sh_keys.h"

/* HKDF's public salt: it names the scheme and its version. */
#define SH_DERIVE_SALT "mod_secure_headers derived key v1"

/* Bytes of a derived key; a master must have at least as many. */
#define SH_DERIVE_KEY_LEN 32

/* Longest identity: "https://" and a bracketed IPv6 literal with a zone,
 * or "unix:" and a socket path as long as mod_proxy allows. */
#define SH_DERIVE_ID_MAX 512

/* The configuration name of the scheme (SecureHeadersSignKey's algorithm
 * argument); the signatures themselves say alg="hmac-sha256". */
#define SH_DERIVE_ALG_NAME "hkdf-sha256"

/*
 * HKDF-SHA256 of RFC 5869: okm_len bytes (at most 255 * 32) from salt,
 * ikm and info. Returns 1, or 0 when libcrypto fails or okm_len is too
 * large.
 */
int sh_hkdf_sha256(const unsigned char *salt, apr_size_t salt_len,
                   const unsigned char *ikm, apr_size_t ikm_len,
                   const unsigned char *info, apr_size_t info_len,
                   unsigned char *okm, apr_size_t okm_len);

/*
 * The identity of the backend a URL names, written into buf (with a NUL)
 * as described above; "uds_path", when not NULL, is the unix socket the
 * request goes through instead (what mod_proxy put in the note
 * "uds_path"), and the URL's own host then does not count. A URL written
 * "unix:/path|http://host/..." is the socket /path. Returns the length,
 * or 0 when the URL is not one of http, https, ws or wss with a host (or
 * a unix socket), or does not fit.
 */
apr_size_t sh_derive_identity(const char *url, const char *uds_path,
                              char *buf, apr_size_t size);

typedef struct sh_derive sh_derive;

/*
 * A master secret and its keys: the master's HKDF pseudo-random key
 * (RFC 5869's PRK, which is all that is kept of it) and a cache of the
 * keys derived so far, each a ready hmac-sha256 key named keyid. The
 * cache lives in a subpool of p, guarded by its own mutex: a process
 * forked after this call has its own copy of both. At most "max" keys
 * are kept; past that a key is derived again for each request (as fast,
 * just not free), so a RewriteRule sending requests anywhere cannot grow
 * the cache without bound. Returns NULL, or what is wrong.
 */
const char *sh_derive_create(apr_pool_t *p, const char *keyid,
                             const unsigned char *master, apr_size_t len,
                             unsigned max, sh_derive **out);

/* The key id the derived keys carry. */
const char *sh_derive_keyid(const sh_derive *d);

/*
 * The key for the backend with this identity (sh_derive_identity), from
 * the cache or derived now; "p" holds a key that could not be cached.
 * NULL when libcrypto fails. Safe from many threads at once.
 */
const sh_key *sh_derive_key(sh_derive *d, apr_pool_t *p, const char *id,
                            apr_size_t id_len);

/*
 * The key for the backend of url (and uds_path, as for
 * sh_derive_identity): sh_derive_key of its identity, looked up first by
 * the URL's "scheme://authority" as written, so that a backend seen before
 * costs one look-up and no parsing. NULL when the URL names no backend
 * (sh_derive_identity) or libcrypto fails.
 */
const sh_key *sh_derive_key_for_url(sh_derive *d, apr_pool_t *p,
                                    const char *url, const char *uds_path);

/* The raw derived key (for tests and tools): SH_DERIVE_KEY_LEN bytes. */
int sh_derive_raw(const sh_derive *d, const char *id, apr_size_t id_len,
                  unsigned char out[SH_DERIVE_KEY_LEN]);

/* How many keys the cache holds (tests). */
unsigned sh_derive_cached(sh_derive *d);

/*
 * RFC 9421 section 2.2: derived components are printable ASCII. "target"
 * is a request target (path and query) or a URL; returns it with every
 * byte outside 0x21-0x7E percent-encoded (upper-case hex), which any URL
 * parser decodes back to the same bytes, or target itself when there is
 * none (the usual case: no copy). *changed is set to whether it did.
 */
const char *sh_target_printable(apr_pool_t *p, const char *target,
                                int *changed);

#endif /* SH_DERIVE_H */
