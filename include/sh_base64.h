/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Base64 as the module writes it (standard alphabet, '=' padding, no line
 * breaks): a portable encoder and SSSE3 and AVX2 ones chosen once by what
 * the CPU has, and a strict decoder. APR only.
 */
#ifndef SH_BASE64_H
#define SH_BASE64_H

#include "apr.h"

/* Length of the base64 text for n bytes, with padding, without NUL. */
static inline apr_size_t sh_base64_len(apr_size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Standard alphabet, '=' padding, no line breaks. Writes exactly
 * sh_base64_len(n) bytes (no NUL) and returns the end of the output. */
char *sh_base64_encode(char *dst, const unsigned char *src, apr_size_t n);

/* The portable encoder alone, so tests can compare it with the fast one. */
char *sh_base64_encode_portable(char *dst, const unsigned char *src,
                                apr_size_t n);

/* One implementation by level (0 portable, 1 SSSE3, 2 AVX2), for tests and
 * benchmarks; NULL when this CPU lacks it. */
char *sh_base64_encode_with(int level, char *dst, const unsigned char *src,
                            apr_size_t n);

/* Strict decoding of the standard alphabet with '=' padding (len a
 * multiple of 4, no whitespace, zero padding bits). Returns the number of
 * bytes written, or -1 when the text is not such base64 or needs more than
 * max bytes. */
long sh_base64_decode(unsigned char *dst, apr_size_t max, const char *src,
                      apr_size_t len);

/* What sh_base64_encode_slack may read past the end of its source and
 * write past the end of its output: its last AVX2 step loads 28 bytes and
 * stores 32 for as few as one. */
#define SH_B64_SLACK 32

/* As sh_base64_encode, for a source followed by SH_B64_SLACK readable
 * bytes of which the first two are zero, into a destination with
 * sh_base64_len(n) + SH_B64_SLACK writable bytes: the bytes after the
 * returned end are left undefined. Faster for every size, the small ones
 * most. */
char *sh_base64_encode_slack(char *dst, const unsigned char *src,
                             apr_size_t n);

/* By level, as sh_base64_encode_with. */
char *sh_base64_encode_slack_with(int level, char *dst,
                                  const unsigned char *src, apr_size_t n);

#endif /* SH_BASE64_H */
