/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Shared helpers for the mod_secure_headers fuzzers.
 *
 * The Makefile compiles the httpd-free units (../units.mk) with
 * -Dapr_palloc=sh_fuzz_palloc, so every pool allocation that they make
 * themselves becomes an exact-size malloc that AddressSanitizer can police
 * (APR pools hand out slices of big blocks, which would hide an
 * overflow). The blocks are freed at the end of each input by
 * sh_fuzz_free_all(). Allocations that APR makes for them (apr_pstrdup,
 * apr_psprintf, tables) still come from the pool.
 */
#ifndef SH_FUZZ_COMMON_H
#define SH_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_strings.h"

#include "sh_base64.h"
#include "sh_env.h"
#include "sh_headers.h"

void *sh_fuzz_palloc(apr_pool_t *p, apr_size_t size);

typedef struct sh_fuzz_block {
    struct sh_fuzz_block *next;
    void *mem;
} sh_fuzz_block;

static sh_fuzz_block *sh_fuzz_blocks;

/* Not static: the units call it in place of apr_palloc. The bookkeeping
 * lives in its own block so the payload is exactly `size` bytes long and
 * any overrun lands in an ASan redzone. */
void *sh_fuzz_palloc(apr_pool_t *p, apr_size_t size)
{
    sh_fuzz_block *b = malloc(sizeof(*b));

    (void)p;
    if (b == NULL || (b->mem = malloc(size ? size : 1)) == NULL) {
        abort();
    }
    b->next = sh_fuzz_blocks;
    sh_fuzz_blocks = b;
    return b->mem;
}

static void sh_fuzz_free_all(void)
{
    while (sh_fuzz_blocks) {
        sh_fuzz_block *b = sh_fuzz_blocks;

        sh_fuzz_blocks = b->next;
        free(b->mem);
        free(b);
    }
}

static apr_pool_t *sh_fuzz_root;

static void sh_fuzz_init(void)
{
    if (sh_fuzz_root == NULL) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&sh_fuzz_root, NULL) != APR_SUCCESS) {
            abort();
        }
    }
}

/* Every fuzzer's start: APR and the root pool, then, when the fuzzer
 * defines SH_FUZZ_SETUP (before including this file), its own setup. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sh_fuzz_init();
#ifdef SH_FUZZ_SETUP
    SH_FUZZ_SETUP();
#endif
    return 0;
}

#define SH_FUZZ_CHECK(cond, ...)                                        \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "MISMATCH %s:%d: %s\n  ", __FILE__,         \
                    __LINE__, #cond);                                   \
            fprintf(stderr, __VA_ARGS__);                               \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

/* Prints a string with non-printable bytes escaped (for mismatch reports). */
static const char *sh_fuzz_quote(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s), i;
    char *out = apr_palloc(p, n * 4 + 3), *w = out;

    *w++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            w += sprintf(w, "\\x%02x", c);
        }
        else {
            *w++ = (char)c;
        }
    }
    *w++ = '"';
    *w = '\0';
    return out;
}

/* Copies [s, s+n) as a NUL-terminated pool string. */
static char *sh_fuzz_strndup(apr_pool_t *p, const uint8_t *s, size_t n)
{
    char *out = apr_palloc(p, n + 1);

    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* ASCII case-insensitive equality, written here so as not to rely on the
 * same libc routine sh_env.c uses. */
static inline int sh_fuzz_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

        if (x >= 'A' && x <= 'Z') {
            x += 'a' - 'A';
        }
        if (y >= 'A' && y <= 'Z') {
            y += 'a' - 'A';
        }
        if (x != y) {
            return 0;
        }
        if (x == 0) {
            return 1;
        }
    }
}

#endif /* SH_FUZZ_COMMON_H */
