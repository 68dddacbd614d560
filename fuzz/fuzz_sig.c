/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: what the signature code reads from the network
 * (sh_sf.c, sh_sigbase.c, sh_replay.c): structured-field dictionaries
 * (finding and removing a member), Signature-Input member values, byte
 * sequences, strict base64, and the replay cache against a reference
 * model.
 *
 * Input: the first byte picks what the rest is fed to.
 *   0: a dictionary (Signature / Signature-Input field value)
 *   1: a Signature-Input member value
 *   2: a byte sequence / base64 text
 *   3: replay-cache operations, 4 bytes each (nonce, key, expiry, time step)
 */
static void fuzz_sig_setup(void);
#define SH_FUZZ_SETUP fuzz_sig_setup

#include "fuzz_common.h"
#include "sh_replay.h"
#include "sh_sf.h"
#include "sh_sigbase.h"

static apr_pool_t *pool;

static void fuzz_sig_setup(void)
{
    if (apr_pool_create(&pool, sh_fuzz_root) != APR_SUCCESS) {
        abort();
    }
}

static void fuzz_dictionary(const char *v, apr_size_t len)
{
    sh_sf_member m;
    int found = sh_sf_dict_find(v, len, SH_SIG_LABEL, &m);
    const char *rest = sh_sf_dict_without(pool, v, SH_SIG_LABEL);

    if (found == 1) {
        /* key=value, or a bare key (true) with or without parameters */
        SH_FUZZ_CHECK(m.start + sizeof(SH_SIG_LABEL) - 1 <= m.value
                      && m.value <= m.end && m.end <= len
                      && !strncmp(v + m.start, SH_SIG_LABEL,
                                  sizeof(SH_SIG_LABEL) - 1)
                      && (m.value == m.start + sizeof(SH_SIG_LABEL) - 1
                          ? m.value == m.end || v[m.value] == ';'
                          : v[m.value - 1] == '='),
                      "member span of %s", sh_fuzz_quote(pool, v));
        SH_FUZZ_CHECK(sh_sf_dict_may_have(v, SH_SIG_LABEL),
                      "a member found is missed: %s", sh_fuzz_quote(pool, v));
    }
    SH_FUZZ_CHECK((found < 0) == (rest == NULL),
                  "find and remove disagree on %s", sh_fuzz_quote(pool, v));
    if (rest) {
        sh_sf_member m2;

        SH_FUZZ_CHECK(sh_sf_dict_find(rest, strlen(rest), SH_SIG_LABEL, &m2)
                      == 0, "removed but still there: %s -> %s",
                      sh_fuzz_quote(pool, v), sh_fuzz_quote(pool, rest));
        SH_FUZZ_CHECK(found != 0 || sh_sf_dict_size(rest) == sh_sf_dict_size(v),
                      "members lost: %s -> %s", sh_fuzz_quote(pool, v),
                      sh_fuzz_quote(pool, rest));
    }
}

static void fuzz_input(const char *v, apr_size_t len)
{
    sh_sig_input in;
    sh_sig_input again;
    sh_key key;
    apr_size_t plen;
    char *params;

    if (sh_sig_input_parse(pool, v, len, &in) != NULL) {
        return;
    }
    SH_FUZZ_CHECK(in.count <= SH_SIG_MAX_COMPONENTS, "%d components",
                  in.count);
    /* What parses with all of our parameters is written back the same
     * way and reads back to the same values. */
    if (!in.has_created || !in.has_expires || !in.nonce || !in.keyid
        || !in.alg || sh_alg_from_name(in.alg) == SH_ALG_NONE
        || sh_key_id_check(in.keyid) || sh_key_id_check(in.nonce)
        || (in.target && sh_key_id_check(in.target))) {
        return;
    }
    for (int i = 0; i < in.count; i++) {
        if (strchr(in.components[i].name, '"')
            || strchr(in.components[i].name, '\\')) {
            return;
        }
    }
    memset(&key, 0, sizeof(key));
    key.keyid = in.keyid;
    key.alg = sh_alg_from_name(in.alg);
    params = sh_sig_params(pool, in.components, in.count, in.created,
                           in.expires, in.nonce, in.target, &key, &plen);
    SH_FUZZ_CHECK(sh_sig_input_parse(pool, params, plen, &again) == NULL
                  && again.count == in.count && again.created == in.created
                  && again.expires == in.expires
                  && !strcmp(again.nonce, in.nonce)
                  && !strcmp(again.keyid, in.keyid)
                  && !strcmp(again.alg, in.alg)
                  && !strcmp(again.tag, SH_SIG_TAG)
                  && (!in.target || !strcmp(again.target, in.target)),
                  "round trip of %s gave %s", sh_fuzz_quote(pool, v),
                  sh_fuzz_quote(pool, params));
    for (int i = 0; i < in.count; i++) {
        SH_FUZZ_CHECK(!strcmp(again.components[i].name,
                              in.components[i].name), "component %d", i);
    }
}

static void fuzz_bytes(const char *v, apr_size_t len)
{
    unsigned char out[4096];
    long n = sh_base64_decode(out, sizeof(out), v, len);
    char *enc;

    if (n >= 0) {
        /* Strict decoding accepts only canonical text: encoding the bytes
         * gives the input back. */
        enc = malloc(sh_base64_len((apr_size_t)n) + 1);
        *sh_base64_encode(enc, out, (apr_size_t)n) = '\0';
        SH_FUZZ_CHECK(strlen(enc) == len && memcmp(enc, v, len) == 0,
                      "%s decodes, but encodes back as %s",
                      sh_fuzz_quote(pool, v), sh_fuzz_quote(pool, enc));
        free(enc);
    }
    n = sh_sf_binary_decode(v, len, out, SH_SIG_MAX);
    SH_FUZZ_CHECK(n < 0 || (len >= 2 && v[0] == ':' && v[len - 1] == ':'
                            && n <= SH_SIG_MAX
                            && sh_base64_decode(out, SH_SIG_MAX, v + 1,
                                                len - 2) == n),
                  "byte sequence %s", sh_fuzz_quote(pool, v));
}

/* The model: a signature (key, nonce) accepted once is refused until it
 * expires. A signature's expiry is covered by it, so every attempt with
 * the same key and nonce carries the same one; and the caller refuses
 * expired signatures before it asks the cache. */
static void fuzz_replay(const unsigned char *d, apr_size_t len)
{
    static apr_uint64_t mem[1024];
    apr_int64_t expiry[16][16];
    int accepted[16][16];
    apr_int64_t now = 1000;
    apr_size_t i;

    SH_FUZZ_CHECK(sh_replay_size(2) <= sizeof(mem), "cache size");
    sh_replay_init(mem, 2);
    memset(expiry, 0, sizeof(expiry));
    memset(accepted, 0, sizeof(accepted));
    for (i = 0; i + 4 <= len; i += 4) {
        char nonce[8], keyid[8];
        int ni = d[i] & 15, ki = d[i + 1] & 15;
        sh_replay_verdict v;

        now += d[i + 3] & 7;
        if (expiry[ki][ni] == 0) {
            expiry[ki][ni] = now + (d[i + 2] & 63);
        }
        if (now > expiry[ki][ni]) {
            continue;
        }
        apr_snprintf(nonce, sizeof(nonce), "n%d", ni);
        apr_snprintf(keyid, sizeof(keyid), "k%d", ki);
        v = sh_replay_check(mem, keyid, nonce, expiry[ki][ni], now);
        if (v == SH_REPLAY_FRESH) {
            SH_FUZZ_CHECK(!accepted[ki][ni], "replay of %s/%s accepted at "
                          "%d, valid until %d", keyid, nonce, (int)now,
                          (int)expiry[ki][ni]);
            accepted[ki][ni] = 1;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1) {
        return 0;
    }
    text = sh_fuzz_strndup(pool, data + 1, size - 1);
    switch (data[0] & 3) {
    case 0:
        fuzz_dictionary(text, strlen(text));
        break;
    case 1:
        fuzz_input(text, strlen(text));
        break;
    case 2:
        fuzz_bytes(text, strlen(text));
        break;
    default:
        fuzz_replay(data + 1, size - 1);
    }
    apr_pool_clear(pool);
    sh_fuzz_free_all();
    return 0;
}
