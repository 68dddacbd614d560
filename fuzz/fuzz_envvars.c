/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: choosing, serialising and base64-encoding the
 * environment (sh_env_build, sh_env_build_room,
 * sh_env_encoded_len, sh_env_wanted,
 * sh_base64_encode, sh_base64_encode_portable, sh_base64_encode_slack).
 *
 * Input:
 *   byte 0   flags: 0x01 use a filter, 0x02 use a ceiling,
 *            0x04 add SCRIPT_NAME / PATH_INFO (and a lower-case
 *            script_name, which must be kept), 0x08 add 70 filler
 *            variables (more than the 64 kept on the stack) whose names
 *            and values also take raw input bytes (any but NUL),
 *            0x10 add every variable a second time (duplicate names),
 *            0x20 lines without '=' get a NULL value instead of "",
 *                 and switches which empty pattern list is NULL,
 *            0xc0 high bits of the ceiling
 *   byte 1   low bits of the ceiling (0 means none)
 *   rest     lines separated by '\n' or NUL: "name=value" (split at the
 *            first '='); with a filter, "+pattern" and "-pattern" lines
 *            are include and exclude patterns instead.
 *
 * The result is decoded here and compared with the expected bytes built
 * from the table independently; the base64 encoders are compared with
 * each other and with apr_base64_encode_binary on slices of the input.
 */
#include "fuzz_common.h"

#include "apr_base64.h"
#include "apr_strings.h"

typedef struct {
    const char *key;
    const char *val;     /* NULL stays NULL here: it encodes as "" */
    size_t size;         /* strlen(key) + strlen(val) + 2 */
    int dropped;
} want_entry;

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    const char *hit;

    if (c == '\0') {
        return -1;
    }
    hit = strchr(b64_alphabet, c);
    return hit ? (int)(hit - b64_alphabet) : -1;
}

/* Strict decoder: standard alphabet, length a multiple of 4, '=' only as
 * the final one or two characters, and the unused bits of the last
 * character zero (as any encoder of whole bytes leaves them). Returns the
 * decoded length or -1 when the text is not canonical base64. */
static long b64_decode_strict(const char *s, size_t n, unsigned char *out)
{
    size_t i;
    long w = 0;

    if (n % 4 != 0) {
        return -1;
    }
    for (i = 0; i < n; i += 4) {
        int a = b64_value(s[i]), b = b64_value(s[i + 1]);
        int c, d, last = (i + 4 == n);

        if (a < 0 || b < 0) {
            return -1;
        }
        out[w++] = (unsigned char)((a << 2) | (b >> 4));
        if (last && s[i + 2] == '=') {
            if (s[i + 3] != '=' || (b & 0x0f) != 0) {
                return -1;
            }
            break;
        }
        c = b64_value(s[i + 2]);
        if (c < 0) {
            return -1;
        }
        out[w++] = (unsigned char)(((b & 0x0f) << 4) | (c >> 2));
        if (last && s[i + 3] == '=') {
            if ((c & 0x03) != 0) {
                return -1;
            }
            break;
        }
        d = b64_value(s[i + 3]);
        if (d < 0) {
            return -1;
        }
        out[w++] = (unsigned char)(((c & 0x03) << 6) | d);
    }
    return w;
}

static void check_encoders(const uint8_t *data, size_t size, apr_pool_t *p)
{
    static const size_t lens[] = { 0, 1, 2, 3, 4, 11, 12, 13, 15, 16, 17,
                                   18, 24, 27, 28, 29, 31, 32, 33, 40, 47,
                                   48, 49, 64, 100 };
    size_t off, li;

    for (off = 0; off < 4 && off <= size; off++) {
        size_t avail = size - off;

        for (li = 0; li < sizeof(lens) / sizeof(lens[0]) + 3; li++) {
            size_t n = li < sizeof(lens) / sizeof(lens[0]) ? lens[li]
                       : avail - (li - sizeof(lens) / sizeof(lens[0]));
            size_t elen = sh_base64_len(n);
            unsigned char *src, *dec;
            char *fast, *port, *ref;
            int rlen;
            long dlen;

            if (n > avail) {
                continue;
            }
            SH_FUZZ_CHECK(elen == (n + 2) / 3 * 4, "sh_base64_len(%zu)", n);
            /* Exact-size heap copies so ASan sees any read or write past
             * either end. */
            src = malloc(n ? n : 1);
            fast = malloc(elen ? elen : 1);
            port = malloc(elen ? elen : 1);
            ref = malloc(apr_base64_encode_len((int)n));
            dec = malloc(n + 3);
            memcpy(src, data + off, n);

            SH_FUZZ_CHECK(sh_base64_encode(fast, src, n) == fast + elen,
                          "fast end for n=%zu", n);
            SH_FUZZ_CHECK(sh_base64_encode_portable(port, src, n)
                          == port + elen, "portable end for n=%zu", n);
            rlen = apr_base64_encode_binary(ref, src, (int)n);
            SH_FUZZ_CHECK((size_t)rlen == elen + 1 && ref[elen] == '\0',
                          "apr length %d for n=%zu", rlen, n);
            SH_FUZZ_CHECK(memcmp(fast, ref, elen) == 0,
                          "fast encoder differs from APR, off=%zu n=%zu "
                          "fast=%.*s apr=%s", off, n, (int)elen, fast, ref);
            SH_FUZZ_CHECK(memcmp(port, ref, elen) == 0,
                          "portable encoder differs from APR, off=%zu n=%zu",
                          off, n);
            /* The SSSE3 path too, which dispatch skips on AVX2 machines. */
            if (sh_base64_encode_with(1, port, src, n)) {
                SH_FUZZ_CHECK(memcmp(port, ref, elen) == 0,
                              "SSSE3 encoder differs from APR, n=%zu", n);
            }
            /* The slack encoders, on exact-size copies with their slack:
             * zeros after the source, room after the output. */
            {
                unsigned char *ssrc = malloc(n + SH_B64_SLACK);
                char *sout = malloc(elen + SH_B64_SLACK);
                int level;

                memcpy(ssrc, src, n);
                memset(ssrc + n, 0, SH_B64_SLACK);
                for (level = 0; level <= 2; level++) {
                    char *end = sh_base64_encode_slack_with(level, sout,
                                                            ssrc, n);

                    if (end) {
                        SH_FUZZ_CHECK(end == sout + elen
                                      && memcmp(sout, ref, elen) == 0,
                                      "slack encoder level %d differs from "
                                      "APR, n=%zu", level, n);
                    }
                }
                free(ssrc);
                free(sout);
            }
            dlen = b64_decode_strict(fast, elen, dec);
            SH_FUZZ_CHECK(dlen == (long)n && memcmp(dec, src, n) == 0,
                          "round trip failed, n=%zu", n);
            free(src);
            free(fast);
            free(port);
            free(ref);
            free(dec);
        }
    }
    (void)p;
}

static int ref_wanted(const sh_env_filter *filter, const char *name)
{
    int i, hit;

    if (strcmp(name, "SCRIPT_NAME") == 0 || strcmp(name, "PATH_INFO") == 0) {
        return 0;
    }
    if (filter == NULL) {
        return 1;
    }
    if (filter->include && filter->include->nelts) {
        const sh_pattern *pat = (const sh_pattern *)filter->include->elts;

        for (i = 0, hit = 0; i < filter->include->nelts && !hit; i++) {
            hit = sh_env_pattern_match(&pat[i], name);
        }
        if (!hit) {
            return 0;
        }
    }
    if (filter->exclude) {
        const sh_pattern *pat = (const sh_pattern *)filter->exclude->elts;

        for (i = 0; i < filter->exclude->nelts; i++) {
            if (sh_env_pattern_match(&pat[i], name)) {
                return 0;
            }
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_table_t *env;
    apr_array_header_t *inc, *exc;
    sh_env_filter filter, *fp = NULL;
    unsigned flags = size > 0 ? data[0] : 0;
    apr_size_t ceiling = 0, total = 0, kept_raw = 0, enc_len;
    const apr_array_header_t *arr;
    const apr_table_entry_t *te;
    want_entry *want;
    int nwant = 0, i, j, ndropped = 0, nkept = 0;
    size_t pos = size > 2 ? 2 : size;
    sh_envvars out;
    unsigned char *expect, *dec, *adec;
    size_t elen;
    long dlen;

    sh_fuzz_init();
    apr_pool_create(&p, sh_fuzz_root);

    check_encoders(data, size, p);

    if ((flags & 0x02) && size > 1) {
        ceiling = data[1] + ((flags >> 6) & 3) * 256;
    }
    inc = apr_array_make(p, 2, sizeof(sh_pattern));
    exc = apr_array_make(p, 2, sizeof(sh_pattern));
    env = apr_table_make(p, 8);

    while (pos < size) {
        size_t end = pos, eq;
        const char *line;

        while (end < size && data[end] != '\n' && data[end] != '\0') {
            end++;
        }
        line = sh_fuzz_strndup(p, data + pos, end - pos);
        if ((flags & 0x01) && (line[0] == '+' || line[0] == '-')) {
            sh_pattern pat;

            if (sh_env_pattern_compile(p, line + 1, &pat) == NULL) {
                *(sh_pattern *)apr_array_push(line[0] == '+' ? inc : exc)
                    = pat;
            }
        }
        else {
            eq = pos;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq < end) {
                apr_table_add(env, sh_fuzz_strndup(p, data + pos, eq - pos),
                              sh_fuzz_strndup(p, data + eq + 1,
                                              end - eq - 1));
            }
            else if (flags & 0x20) {
                apr_table_addn(env, line, NULL);
            }
            else {
                apr_table_add(env, line, "");
            }
        }
        if ((flags & 0x04) && apr_table_elts(env)->nelts == 1) {
            apr_table_add(env, "SCRIPT_NAME", "/app");
            apr_table_add(env, "script_name", "/kept");
        }
        pos = end + 1;
    }
    if (flags & 0x04) {
        apr_table_add(env, "PATH_INFO", "/x/y");
        apr_table_add(env, "SCRIPT_NAME", "");
        apr_table_add(env, "Path_Info", "kept");
    }
    if (flags & 0x08) {
        for (i = 0; i < 70; i++) {
            size_t vlen = size ? (size_t)(i * 7) % 13 % (size + 1) : 0;
            size_t voff = size ? (size_t)i % size : 0;
            char *val = apr_palloc(p, vlen + 1);
            size_t k;

            for (k = 0; k < vlen; k++) {
                unsigned char c = data[(voff + k) % size];

                val[k] = c ? (char)c : '0';
            }
            val[vlen] = '\0';
            /* Names carry raw input bytes too, so '=' and '\n', which the
             * line format cannot put in a name, get in here. */
            {
                size_t nlen = (size_t)i % 5, nk;
                char *name = apr_palloc(p, nlen + 4);

                sprintf(name, "F%02d", i);
                for (nk = 0; nk < nlen && size; nk++) {
                    unsigned char c = data[size - 1 - ((size_t)i * 3 + nk)
                                                      % size];

                    name[3 + nk] = c ? (char)c : '=';
                }
                name[3 + nk] = '\0';
                apr_table_add(env, name, val);
            }
        }
    }
    if (flags & 0x10) {
        int n = apr_table_elts(env)->nelts;

        for (i = 0; i < n; i++) {
            te = (const apr_table_entry_t *)apr_table_elts(env)->elts;
            apr_table_add(env, te[i].key,
                          apr_pstrcat(p, te[i].val ? te[i].val : "", "+dup",
                                      NULL));
        }
    }

    if (flags & 0x01) {
        /* An empty list is passed as NULL or as an empty array. */
        filter.include = inc->nelts || !(flags & 0x20) ? inc : NULL;
        filter.exclude = exc->nelts || (flags & 0x20) ? exc : NULL;
        fp = &filter;
    }

    /* The wanted entries, in table order, and the expected raw length. */
    arr = apr_table_elts(env);
    te = (const apr_table_entry_t *)arr->elts;
    want = apr_palloc(p, (arr->nelts + 1) * sizeof(*want));
    for (i = 0; i < arr->nelts; i++) {
        int w = sh_env_wanted(fp, te[i].key);

        SH_FUZZ_CHECK(w == ref_wanted(fp, te[i].key), "sh_env_wanted(%s)=%d",
                      sh_fuzz_quote(p, te[i].key), w);
        if (!w) {
            continue;
        }
        want[nwant].key = te[i].key;
        want[nwant].val = te[i].val;
        want[nwant].size = strlen(te[i].key)
                           + (te[i].val ? strlen(te[i].val) : 0) + 2;
        want[nwant].dropped = 0;
        total += want[nwant].size;
        nwant++;
    }
    enc_len = sh_env_encoded_len(env, fp);
    SH_FUZZ_CHECK(enc_len == sh_base64_len(total),
                  "encoded_len %zu, expected %zu", (size_t)enc_len,
                  (size_t)sh_base64_len(total));

    memset(&out, 0x5a, sizeof(out));
    sh_env_build(p, env, fp, ceiling, &out);

    /* The same with room before the value: the same result, and the room
     * writable without touching the value (an exact-size allocation here,
     * so ASan sees a write outside it). */
    {
        sh_envvars roomy;
        apr_size_t room = size ? data[size - 1] % 64 : 0;

        sh_env_build_room(p, env, fp, ceiling, room, &roomy);
        SH_FUZZ_CHECK((roomy.value == NULL) == (out.value == NULL)
                      && roomy.value_len == out.value_len
                      && roomy.raw_len == out.raw_len
                      && roomy.count == out.count
                      && roomy.omitted_count == out.omitted_count,
                      "room %zu changes the result", (size_t)room);
        if (roomy.value) {
            SH_FUZZ_CHECK(strcmp(roomy.value, out.value) == 0,
                          "room %zu changes the value", (size_t)room);
            memset((char *)roomy.value - room, '#', room);
            SH_FUZZ_CHECK(strcmp(roomy.value, out.value) == 0,
                          "room %zu overlaps the value", (size_t)room);
        }
    }

    /* Which entries were left out: the omitted list names them in table
     * order, by the table's own key pointers. */
    SH_FUZZ_CHECK(out.omitted_count >= 0 && out.omitted_count <= nwant,
                  "omitted_count %d of %d", out.omitted_count, nwant);
    if (out.omitted_count) {
        SH_FUZZ_CHECK(out.omitted != NULL
                      && out.omitted[out.omitted_count] == NULL,
                      "omitted list not NULL-terminated");
    }
    for (i = 0, j = 0; i < nwant; i++) {
        if (j < out.omitted_count && out.omitted[j] == want[i].key) {
            want[i].dropped = 1;
            ndropped++;
            j++;
        }
        else {
            kept_raw += want[i].size;
            nkept++;
        }
    }
    SH_FUZZ_CHECK(j == out.omitted_count,
                  "omitted names are not wanted entries in table order "
                  "(matched %d of %d)", j, out.omitted_count);
    SH_FUZZ_CHECK(out.count == nkept, "count %d, expected %d", out.count,
                  nkept);
    SH_FUZZ_CHECK(out.raw_len == kept_raw, "raw_len %zu, expected %zu",
                  (size_t)out.raw_len, (size_t)kept_raw);

    if (ceiling == 0 || sh_base64_len(total) <= ceiling) {
        SH_FUZZ_CHECK(out.omitted_count == 0,
                  "%d omitted without need (ceiling %zu, length %zu)",
                  out.omitted_count, (size_t)ceiling,
                  (size_t)sh_base64_len(total));
        SH_FUZZ_CHECK(out.value_len == enc_len,
                      "value_len %zu, encoded_len %zu",
                      (size_t)out.value_len, (size_t)enc_len);
    }
    else {
        int last = -1, kmax = -1;

        SH_FUZZ_CHECK(out.value_len <= ceiling, "value_len %zu > ceiling %zu",
                      (size_t)out.value_len, (size_t)ceiling);
        SH_FUZZ_CHECK(out.omitted_count > 0, "nothing omitted");
        /* The omitted ones are the largest, ties going in table order:
         * the smallest omitted entry (the last one among equals) must be
         * larger than the largest kept one (the first among equals), or
         * as large and earlier in the table. */
        for (i = 0; i < nwant; i++) {
            if (want[i].dropped) {
                if (last < 0 || want[i].size <= want[last].size) {
                    last = i;
                }
            }
            else if (kmax < 0 || want[i].size > want[kmax].size) {
                kmax = i;
            }
        }
        if (kmax >= 0) {
            SH_FUZZ_CHECK(want[last].size > want[kmax].size
                          || (want[last].size == want[kmax].size
                              && last < kmax),
                          "dropped %s (%zu bytes, #%d) but kept %s "
                          "(%zu bytes, #%d)",
                          sh_fuzz_quote(p, want[last].key), want[last].size,
                          last, sh_fuzz_quote(p, want[kmax].key),
                          want[kmax].size, kmax);
        }
        /* ...and no more of them than needed. */
        SH_FUZZ_CHECK(sh_base64_len(kept_raw + want[last].size) > ceiling,
                      "%s was dropped needlessly",
                      sh_fuzz_quote(p, want[last].key));
    }

    if (kept_raw == 0) {
        /* Nothing to encode: "" when the table has entries (Passenger
         * sends the header empty then), NULL when it has none. */
        if (arr->nelts > 0) {
            SH_FUZZ_CHECK(out.value != NULL && out.value[0] == '\0',
                          "expected \"\" for %d entries, none sent, got %s",
                          arr->nelts, out.value ? "non-empty" : "NULL");
        }
        else {
            SH_FUZZ_CHECK(out.value == NULL, "expected NULL for no entries");
        }
        SH_FUZZ_CHECK(out.value_len == 0 && out.raw_len == 0
                      && out.count == 0,
                      "empty result not empty: value_len %zu raw_len %zu "
                      "count %d", (size_t)out.value_len,
                      (size_t)out.raw_len, out.count);
        goto done;
    }
    SH_FUZZ_CHECK(out.value != NULL, "no value for %zu bytes",
                  (size_t)kept_raw);
    elen = strlen(out.value);
    SH_FUZZ_CHECK(out.value_len == elen, "value_len %zu, strlen %zu",
                  (size_t)out.value_len, elen);
    SH_FUZZ_CHECK(elen == sh_base64_len(kept_raw), "value_len %zu for %zu",
                  elen, (size_t)kept_raw);

    /* The bytes that should have been encoded. */
    expect = malloc(kept_raw);
    {
        unsigned char *w = expect;

        for (i = 0; i < nwant; i++) {
            size_t kl, vl;

            if (want[i].dropped) {
                continue;
            }
            kl = strlen(want[i].key);
            vl = want[i].val ? strlen(want[i].val) : 0;
            memcpy(w, want[i].key, kl);
            w[kl] = '\0';
            w += kl + 1;
            if (vl) {
                memcpy(w, want[i].val, vl);
            }
            w[vl] = '\0';
            w += vl + 1;
        }
    }
    dec = malloc(elen / 4 * 3 + 3);
    dlen = b64_decode_strict(out.value, elen, dec);
    SH_FUZZ_CHECK(dlen >= 0, "value is not canonical base64: %s",
                  sh_fuzz_quote(p, out.value));
    SH_FUZZ_CHECK((size_t)dlen == kept_raw && memcmp(dec, expect, kept_raw)
                  == 0, "decoded %ld bytes differ from the %zu expected", dlen,
                  (size_t)kept_raw);
    adec = malloc(apr_base64_decode_len(out.value) + 1);
    SH_FUZZ_CHECK(apr_base64_decode_binary(adec, out.value) == (int)kept_raw
                  && memcmp(adec, expect, kept_raw) == 0,
                  "APR decodes the value differently");
    free(adec);
    free(dec);
    free(expect);

done:
    apr_pool_destroy(p);
    sh_fuzz_free_all();
    return 0;
}
