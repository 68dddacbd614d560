/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * libFuzzer target: recognising and removing client headers in the "!~"
 * namespace (sh_headers_find_forbidden, sh_headers_list_names_secure,
 * sh_headers_strip_secure), checked against a simple reference written
 * here.
 *
 * Input: header lines separated by '\n', '\r' or NUL; each line is
 * "name:value" split at the first ':' (no ':' means an empty value). Any
 * other byte may appear in names and values, so "!~", commas, spaces and
 * tabs come in freely. A first byte of 0x01 turns every name that is
 * exactly "c" into "Connection" with a case pattern taken from the next
 * byte, which helps the fuzzer reach the Connection rule quickly, and
 * gives lines without ':' a NULL value (apr_table_addn allows that).
 */
#include "fuzz_common.h"

typedef struct {
    const char *key;
    const char *val;
} ref_entry;

static int ref_is_secure(const char *name)
{
    return strncmp(name, "!~", 2) == 0;
}

static int ref_is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

/* True when some token of the comma/space/tab separated list starts "!~". */
static int ref_tokens_name_secure(const char *s)
{
    size_t i = 0, n = strlen(s);

    while (i < n) {
        size_t start;

        while (i < n && ref_is_sep(s[i])) {
            i++;
        }
        start = i;
        while (i < n && !ref_is_sep(s[i])) {
            i++;
        }
        if (i - start >= 2 && s[start] == '!' && s[start + 1] == '~') {
            return 1;
        }
    }
    return 0;
}

static int ref_forbidden(const ref_entry *e)
{
    return ref_is_secure(e->key)
           || (sh_fuzz_ieq(e->key, "connection") && e->val
               && ref_tokens_name_secure(e->val));
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *quote_or_null(apr_pool_t *p, const char *s)
{
    return s ? sh_fuzz_quote(p, s) : "NULL";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_table_t *t;
    const apr_array_header_t *arr;
    const apr_table_entry_t *te;
    ref_entry *ref;
    int nref = 0, nsecure = 0, first = -1, i, k, removed;
    int connection_mode = 0;
    unsigned case_bits = 0;
    const char *got;
    size_t pos = 0;

    sh_fuzz_init();
    apr_pool_create(&p, sh_fuzz_root);

    if (size >= 2 && data[0] == 0x01) {
        connection_mode = 1;
        case_bits = data[1];
        pos = 2;
    }

    /* The whole input as one token list. */
    {
        const char *all = sh_fuzz_strndup(p, data, size);

        SH_FUZZ_CHECK(sh_headers_list_names_secure(all)
                      == ref_tokens_name_secure(all), "list %s",
                      sh_fuzz_quote(p, all));
    }

    t = apr_table_make(p, 4);
    ref = apr_palloc(p, (size + 1) * sizeof(*ref));
    while (pos <= size) {
        size_t end = pos, colon;
        char *key, *val;

        while (end < size && data[end] != '\n' && data[end] != '\r'
               && data[end] != '\0') {
            end++;
        }
        if (end == size && pos == size && nref > 0) {
            break;
        }
        colon = pos;
        while (colon < end && data[colon] != ':') {
            colon++;
        }
        key = sh_fuzz_strndup(p, data + pos, colon - pos);
        val = colon < end ? sh_fuzz_strndup(p, data + colon + 1,
                                             end - colon - 1)
                          : connection_mode ? NULL : "";
        if (connection_mode && strcmp(key, "c") == 0) {
            static const char conn[] = "connection";
            int j;

            key = apr_pstrdup(p, conn);
            for (j = 0; key[j]; j++) {
                if (case_bits & (1u << (j % 8))) {
                    key[j] = (char)(key[j] - 'a' + 'A');
                }
            }
        }
        /* apr_table_add copies both strings; keep the table's own
         * pointers for the reference so identity can be checked. */
        if (val) {
            apr_table_add(t, key, val);
        }
        else {
            apr_table_addn(t, apr_pstrdup(p, key), NULL);
        }
        arr = apr_table_elts(t);
        te = (const apr_table_entry_t *)arr->elts;
        ref[nref].key = te[arr->nelts - 1].key;
        ref[nref].val = te[arr->nelts - 1].val;
        if (first < 0 && ref_forbidden(&ref[nref])) {
            first = nref;
        }
        if (ref_is_secure(ref[nref].key)) {
            nsecure++;
        }
        SH_FUZZ_CHECK(!ref[nref].val
                      || sh_headers_list_names_secure(ref[nref].val)
                         == ref_tokens_name_secure(ref[nref].val),
                      "value %s", sh_fuzz_quote(p, ref[nref].val));
        nref++;
        pos = end + 1;
    }

    /* sh_headers_find_forbidden: the first offending entry's name. */
    got = sh_headers_find_forbidden(t);
    if (first < 0) {
        SH_FUZZ_CHECK(got == NULL, "flagged %s in a clean table",
                      sh_fuzz_quote(p, got));
    }
    else {
        SH_FUZZ_CHECK(got != NULL, "missed entry %d %s: %s", first,
                      sh_fuzz_quote(p, ref[first].key),
                      quote_or_null(p, ref[first].val));
        SH_FUZZ_CHECK(got == ref[first].key,
                      "returned %s, expected entry %d %s",
                      sh_fuzz_quote(p, got), first,
                      sh_fuzz_quote(p, ref[first].key));
    }

    /* sh_headers_strip_secure: every "!~" entry goes, the rest stay in
     * order, and the count is right. */
    removed = sh_headers_strip_secure(t);
    SH_FUZZ_CHECK(removed == nsecure, "removed %d, expected %d", removed,
                  nsecure);
    arr = apr_table_elts(t);
    te = (const apr_table_entry_t *)arr->elts;
    SH_FUZZ_CHECK(arr->nelts == nref - nsecure, "%d left, expected %d",
                  arr->nelts, nref - nsecure);
    for (i = 0, k = 0; i < nref; i++) {
        if (ref_is_secure(ref[i].key)) {
            continue;
        }
        SH_FUZZ_CHECK(strcmp(te[k].key, ref[i].key) == 0
                      && same_str(te[k].val, ref[i].val),
                      "entry %d is %s: %s, expected %s: %s", k,
                      sh_fuzz_quote(p, te[k].key), quote_or_null(p, te[k].val),
                      sh_fuzz_quote(p, ref[i].key),
                      quote_or_null(p, ref[i].val));
        k++;
    }
    for (k = 0; k < arr->nelts; k++) {
        SH_FUZZ_CHECK(!ref_is_secure(te[k].key), "%s survived",
                      sh_fuzz_quote(p, te[k].key));
    }

    /* Afterwards only a Connection header can still be refused. */
    first = -1;
    for (k = 0; k < arr->nelts; k++) {
        ref_entry r;

        r.key = te[k].key;
        r.val = te[k].val;
        if (ref_forbidden(&r)) {
            first = k;
            break;
        }
    }
    got = sh_headers_find_forbidden(t);
    SH_FUZZ_CHECK((got == NULL) == (first < 0)
                  && (got == NULL || got == te[first].key),
                  "after strip got %s", got ? sh_fuzz_quote(p, got) : "NULL");
    SH_FUZZ_CHECK(sh_headers_strip_secure(t) == 0, "second strip removed");

    apr_pool_destroy(p);
    sh_fuzz_free_all();
    return 0;
}
