/*
 * RFC 9421 HTTP Message Signatures for mod_secure_headers: the signature
 * base, signing and verifying with OpenSSL's libcrypto, the structured
 * field (RFC 8941) parsing that Signature and Signature-Input need, and a
 * replay cache laid out in one block of (shared) memory. APR and libcrypto
 * only, no httpd, so that all of it is unit tested and fuzzed on its own.
 */
#ifndef SH_SIG_H
#define SH_SIG_H

#include "apr_pools.h"
#include "apr_tables.h"

/* The label and tag of the signatures this module makes. */
#define SH_SIG_LABEL "secure-headers"
#define SH_SIG_TAG   "mod_secure_headers"

/* Raw signature sizes: HMAC-SHA256 32, Ed25519 64, ECDSA P-256 r||s 64. */
#define SH_SIG_MAX 64

/* 16 random bytes as unpadded base64url. */
#define SH_NONCE_BYTES 16
#define SH_NONCE_LEN   22

/* More components than this in a received signature is not ours. */
#define SH_SIG_MAX_COMPONENTS 16

typedef enum {
    SH_ALG_NONE = 0,
    SH_ALG_HMAC_SHA256,
    SH_ALG_ED25519,
    SH_ALG_ECDSA_P256_SHA256
} sh_alg;

/* The RFC 9421 registry name ("hmac-sha256", ...). */
const char *sh_alg_name(sh_alg alg);

/* SH_ALG_NONE when the name is none of the three. */
sh_alg sh_alg_from_name(const char *name);

typedef struct sh_key sh_key;

struct sh_key {
    const char *keyid;
    sh_alg alg;
    int can_sign;               /* a secret or a private key */
    void *impl;                 /* precomputed HMAC state, or EVP objects */
};

/* NULL when the key id can be written as a structured-field string and
 * read back by anyone: printable ASCII without quote or backslash, at most
 * 128 characters, not empty. Otherwise the reason. */
const char *sh_keyid_check(const char *keyid);

/*
 * Makes a key from the bytes of a key file, parsed and precomputed once:
 * for hmac-sha256 the bytes are the secret (at least 32); for ed25519 and
 * ecdsa-p256-sha256 a PEM private key, or, when "private_only" is 0, a
 * PEM public key too. The key's libcrypto objects are freed with the pool.
 * Returns NULL and fills *out, or an error message.
 */
const char *sh_key_from_bytes(apr_pool_t *p, const char *keyid, sh_alg alg,
                              const unsigned char *bytes, apr_size_t len,
                              int private_only, sh_key **out);

/* A fresh random secret key for hmac-sha256 (a server instance's own). */
const char *sh_key_random_hmac(apr_pool_t *p, const char *keyid,
                               sh_key **out);

/* Signs msg; writes the raw signature (r||s for ECDSA) and returns its
 * length, or 0 when libcrypto fails. Safe from many threads at once. */
apr_size_t sh_key_sign(const sh_key *key, const void *msg, apr_size_t len,
                       unsigned char sig[SH_SIG_MAX]);

/* 1 when sig is a valid signature of msg under key, else 0. */
int sh_key_verify(const sh_key *key, const void *msg, apr_size_t len,
                  const unsigned char *sig, apr_size_t sig_len);

/* Fills buf with n bytes from OpenSSL's generator; 0 when it fails. */
int sh_random_bytes(unsigned char *buf, apr_size_t n);

/* 16 hex digits of the SHA-256 of the bytes: names a secret in logs
 * without giving it away. */
const char *sh_fingerprint(apr_pool_t *p, const unsigned char *bytes,
                           apr_size_t n);

/* A new nonce: SH_NONCE_LEN characters of base64url and a NUL. Drawn from
 * OpenSSL's generator in batches (one call per 64 nonces per thread).
 * Returns 0 when the generator fails. */
int sh_nonce(char out[SH_NONCE_LEN + 1]);

/* Throws away every thread's unused nonces; a freshly forked process
 * calls it so that no two processes can hand out the same ones. */
void sh_nonce_forget(void);

/* --- the signature base ---------------------------------------------- */

typedef struct {
    const char *name;       /* lower case: "@method", "!~passenger-proto" */
    apr_size_t name_len;
    const char *value;
    apr_size_t value_len;
} sh_component;

/*
 * The value of the Signature-Input member (what follows "label="):
 * ("c1" "c2" ...);created=N;expires=N;nonce="...";keyid="...";alg="...";
 * tag="...". Written into one pool allocation; *len gets its length.
 * "target", when not NULL (the self proof only), is added after the nonce
 * as ;target="..." and must pass sh_keyid_check.
 */
char *sh_sig_params(apr_pool_t *p, const sh_component *c, int n,
                    apr_int64_t created, apr_int64_t expires,
                    const char *nonce, const char *target,
                    const sh_key *key, apr_size_t *len);

/*
 * The signature base of RFC 9421 section 2.5: a line '"name": value' for
 * each component, then '"@signature-params": ' and params, joined with LF,
 * no final LF. NULL when a value holds a CR or LF (the base would be
 * ambiguous).
 */
char *sh_sig_base(apr_pool_t *p, const sh_component *c, int n,
                  const char *params, apr_size_t params_len,
                  apr_size_t *len);

/*
 * Signs components c[0..n) with key in one pass and one allocation: the
 * parameters are written once into the base and copied once into
 * *input (input_prefix followed by them: the Signature-Input member);
 * *signature gets sig_prefix followed by ":base64:". With signature NULL
 * the two are one string, in *input: input_prefix, the parameters,
 * sig_prefix, ":base64:". 0 when libcrypto fails. Unlike sh_sig_base it
 * does not look for line breaks: the caller signs only values that cannot
 * hold one (see mod_secure_headers.c).
 */
int sh_sig_sign(apr_pool_t *p, const sh_key *key, const sh_component *c,
                int n, apr_int64_t created, apr_int64_t expires,
                const char *nonce, const char *target,
                const char *input_prefix, const char *sig_prefix,
                const char **input, const char **signature);

/* @authority as RFC 9421 section 2.2.3 wants it: host lower-cased, the
 * port left out when it is the scheme's default (80, or 443 with tls). */
const char *sh_authority_normalize(apr_pool_t *p, const char *host, int tls);

/* @path and @query of an absolute URL, scheme://authority..., pointing into
 * it (no copy, no NUL of their own: the lengths say where they end), split
 * as apr_uri_parse splits it, which is what mod_proxy sends: the path runs
 * from the first '/', '?' or '#' after the authority to the first '?' or
 * '#' ("/" when it is empty), the query from that '?' to the next '#' ("?"
 * when there is none). Only the value and value_len are set. 0 when the
 * URL does not start with a scheme (a letter, then letters, digits, '+',
 * '-' or '.') and "://", which apr-util versions read differently. */
int sh_url_path_query(const char *url, sh_component *path,
                      sh_component *query);

/* --- structured fields (RFC 8941) ------------------------------------ */

typedef struct {
    apr_size_t start;       /* first byte of the member's key */
    apr_size_t end;         /* one past its value and parameters */
    apr_size_t value;       /* first byte after "key=" (== end if none) */
} sh_sf_member;

/*
 * Looks for the member named key in a dictionary field value. Returns 1
 * and fills *m (the last one, as RFC 8941 says duplicates override), 0
 * when the dictionary has no such member, -1 when the value is not a
 * dictionary at all.
 */
int sh_sf_dict_find(const char *value, apr_size_t len, const char *key,
                    sh_sf_member *m);

/* Whether a field value could carry a member named key: a well-formed
 * dictionary that has one, or any value that is not a dictionary but
 * contains key (so nobody can hide one behind a syntax error). */
int sh_sf_dict_may_have(const char *value, const char *key);

/* How many members a dictionary has; -1 when it is not one. */
int sh_sf_dict_size(const char *value);

/* The value without its members named key, "" when nothing is left,
 * NULL when the value is not a dictionary. */
const char *sh_sf_dict_without(apr_pool_t *p, const char *value,
                               const char *key);

/* A Signature-Input member value, parsed. */
typedef struct {
    int count;
    sh_component components[SH_SIG_MAX_COMPONENTS];   /* names only */
    apr_int64_t created, expires;
    int has_created, has_expires;
    const char *nonce, *keyid, *alg, *tag, *target;   /* NULL if absent */
    const char *params;     /* the member value itself, for the base */
    apr_size_t params_len;
} sh_sig_input;

/* Parses "(...)" with its parameters; NULL or what is wrong with it. */
const char *sh_sig_input_parse(apr_pool_t *p, const char *value,
                               apr_size_t len, sh_sig_input *out);

/* Decodes a byte sequence ":base64:" (nothing else around it). Returns
 * the byte count, or -1 when malformed or longer than max. */
long sh_sf_binary_decode(const char *value, apr_size_t len,
                         unsigned char *out, apr_size_t max);

/* --- replay cache ---------------------------------------------------- */

/*
 * A fixed-size set of (key id, nonce) seen until their expiry, in one
 * block of memory that several processes may share (the caller holds a
 * lock around each call). When a bucket is full, its entry that expires
 * first is dropped and the bucket remembers that expiry: from then on it
 * refuses every signature that does not expire later, so an entry forced
 * out can never be replayed; the price of a cache too small for the
 * request rate is refused requests, never a replay.
 */
apr_size_t sh_replay_size(apr_uint32_t buckets);
void sh_replay_init(void *mem, apr_uint32_t buckets);

typedef enum {
    SH_REPLAY_FRESH = 0,    /* first time seen: now remembered */
    SH_REPLAY_SEEN,         /* seen before */
    SH_REPLAY_TOO_OLD       /* could have been forced out: refused */
} sh_replay_verdict;

sh_replay_verdict sh_replay_check(void *mem, const char *keyid,
                                  const char *nonce, apr_int64_t expires,
                                  apr_int64_t now);

#endif /* SH_SIG_H */
