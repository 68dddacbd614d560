/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: base64 (APR only; no httpd).
 *
 * The environment of every proxied request is encoded here, so the
 * encoder is a vector one where the CPU has SSSE3 or AVX2, chosen once.
 */
#include <string.h>

#include "sh_base64.h"

#if defined(__x86_64__) || defined(__i386__)
#define SH_HAVE_X86 1
#include <immintrin.h>
#endif

static const char sh_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sh_base64_encode_portable(char *dst, const unsigned char *src,
                                apr_size_t n)
{
    while (n >= 3) {
        apr_uint32_t v = ((apr_uint32_t)src[0] << 16)
                         | ((apr_uint32_t)src[1] << 8) | src[2];

        dst[0] = sh_b64_alphabet[v >> 18];
        dst[1] = sh_b64_alphabet[(v >> 12) & 63];
        dst[2] = sh_b64_alphabet[(v >> 6) & 63];
        dst[3] = sh_b64_alphabet[v & 63];
        dst += 4;
        src += 3;
        n -= 3;
    }
    if (n) {
        apr_uint32_t v = (apr_uint32_t)src[0] << 16;

        if (n == 2) {
            v |= (apr_uint32_t)src[1] << 8;
        }
        dst[0] = sh_b64_alphabet[v >> 18];
        dst[1] = sh_b64_alphabet[(v >> 12) & 63];
        dst[2] = n == 2 ? sh_b64_alphabet[(v >> 6) & 63] : '=';
        dst[3] = '=';
        dst += 4;
    }
    return dst;
}

#ifdef SH_HAVE_X86
/*
 * Sixteen characters from twelve bytes per step: a byte shuffle puts each
 * 3-byte group into a 32-bit lane, two multiplies move the four 6-bit
 * fields into their own bytes, and a 16-entry shuffle table adds the offset
 * that turns each field into its ASCII character. This is the well-known
 * vector method; bench/ measures it against the portable loop and APR.
 * The AVX2 variant does two such steps at once.
 */
#define SH_B64_OFFSETS \
    'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, \
    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, \
    '/' - 63, 'A', 0, 0
#define SH_B64_SPREAD 1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10

/* Offsets per class: 0 for 26..51 ('a'), 1..10 for 52..61 (digits),
 * 11 for 62 ('+'), 12 for 63 ('/'), 13 for 0..25 ('A'). */
__attribute__((target("ssse3")))
static inline __m128i sh_b64_block_ssse3(__m128i in)
{
    __m128i ac, bd, idx, cls;

    in = _mm_shuffle_epi8(in, _mm_setr_epi8(SH_B64_SPREAD));
    ac = _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00)),
                         _mm_set1_epi32(0x04000040));
    bd = _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003f03f0)),
                         _mm_set1_epi32(0x01000010));
    idx = _mm_or_si128(ac, bd);
    cls = _mm_or_si128(_mm_subs_epu8(idx, _mm_set1_epi8(51)),
                       _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), idx),
                                     _mm_set1_epi8(13)));
    return _mm_add_epi8(_mm_shuffle_epi8(_mm_setr_epi8(SH_B64_OFFSETS), cls),
                        idx);
}

/* The last bytes (fewer than 16) go through one or two vector steps from a
 * zero-filled copy: zero bits are exactly what base64 pads a short group
 * with, so only the '=' signs remain to be written. */
__attribute__((target("ssse3")))
static char *sh_base64_tail_ssse3(char *dst, const unsigned char *src,
                                  apr_size_t n)
{
    while (n) {
        unsigned char in[16] = { 0 };
        char out[16];
        apr_size_t take = n < 12 ? n : 12;
        apr_size_t chars = sh_base64_len(take);

        memcpy(in, src, take);
        _mm_storeu_si128((__m128i *)out,
                         sh_b64_block_ssse3(_mm_loadu_si128((__m128i *)in)));
        memcpy(dst, out, chars);
        if (take % 3) {
            dst[chars - 1] = '=';
            if (take % 3 == 1) {
                dst[chars - 2] = '=';
            }
        }
        dst += chars;
        src += take;
        n -= take;
    }
    return dst;
}

__attribute__((target("ssse3")))
static char *sh_base64_encode_ssse3(char *dst, const unsigned char *src,
                                    apr_size_t n)
{
    /* Each step loads 16 bytes but uses 12: stop while 16 remain. */
    while (n >= 16) {
        _mm_storeu_si128((__m128i *)dst, sh_b64_block_ssse3(
                             _mm_loadu_si128((const __m128i *)src)));
        dst += 16;
        src += 12;
        n -= 12;
    }
    return sh_base64_tail_ssse3(dst, src, n);
}

/* Two 12-byte groups, read as 16 bytes at src and at src + 12, to 32
 * characters: sh_b64_block_ssse3 in each 128-bit lane. */
__attribute__((target("avx2")))
static inline __m256i sh_b64_block_avx2(const unsigned char *src)
{
    __m256i in = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)src)),
        _mm_loadu_si128((const __m128i *)(src + 12)), 1);
    __m256i ac, bd, idx, cls;

    in = _mm256_shuffle_epi8(in, _mm256_setr_epi8(SH_B64_SPREAD,
                                                  SH_B64_SPREAD));
    ac = _mm256_mulhi_epu16(_mm256_and_si256(in,
                                             _mm256_set1_epi32(0x0fc0fc00)),
                            _mm256_set1_epi32(0x04000040));
    bd = _mm256_mullo_epi16(_mm256_and_si256(in,
                                             _mm256_set1_epi32(0x003f03f0)),
                            _mm256_set1_epi32(0x01000010));
    idx = _mm256_or_si256(ac, bd);
    cls = _mm256_or_si256(
        _mm256_subs_epu8(idx, _mm256_set1_epi8(51)),
        _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx),
                         _mm256_set1_epi8(13)));
    return _mm256_add_epi8(
        _mm256_shuffle_epi8(_mm256_setr_epi8(SH_B64_OFFSETS, SH_B64_OFFSETS),
                            cls), idx);
}

__attribute__((target("avx2")))
static char *sh_base64_encode_avx2(char *dst, const unsigned char *src,
                                   apr_size_t n)
{
    /* Two 12-byte groups per step, loaded as 16 bytes each from src and
     * src + 12: stop while 28 remain. */
    while (n >= 28) {
        _mm256_storeu_si256((__m256i *)dst, sh_b64_block_avx2(src));
        dst += 32;
        src += 24;
        n -= 24;
    }
    return sh_base64_encode_ssse3(dst, src, n);
}

/*
 * The same encoders for a source followed by SH_B64_SLACK readable bytes,
 * of which the first two are zero, and a destination with SH_B64_SLACK
 * bytes to spare: every step, the last included, then runs straight from
 * memory, with no zero-filled copy and no per-byte tail. Zero bytes are
 * what base64 pads a short group with, so only the '=' signs are left to
 * write. Small inputs gain most: 121 bytes take six AVX2 steps.
 */
__attribute__((target("ssse3")))
static char *sh_base64_slack_ssse3(char *dst, const unsigned char *src,
                                   apr_size_t n)
{
    char *end = dst + sh_base64_len(n);

    while (n > 12) {
        _mm_storeu_si128((__m128i *)dst, sh_b64_block_ssse3(
                             _mm_loadu_si128((const __m128i *)src)));
        dst += 16;
        src += 12;
        n -= 12;
    }
    if (n) {
        _mm_storeu_si128((__m128i *)dst, sh_b64_block_ssse3(
                             _mm_loadu_si128((const __m128i *)src)));
        if (n % 3) {
            end[-1] = '=';
            if (n % 3 == 1) {
                end[-2] = '=';
            }
        }
    }
    return end;
}

__attribute__((target("avx2")))
static char *sh_base64_slack_avx2(char *dst, const unsigned char *src,
                                  apr_size_t n)
{
    char *end = dst + sh_base64_len(n);

    /* Every step loads 16 bytes at src and at src + 12, and stores 32: the
     * last one, over fewer than 24 bytes, reads into the source's slack and
     * writes into the destination's. */
    while (n) {
        _mm256_storeu_si256((__m256i *)dst, sh_b64_block_avx2(src));
        if (n <= 24) {
            if (n % 3) {
                end[-1] = '=';
                if (n % 3 == 1) {
                    end[-2] = '=';
                }
            }
            break;
        }
        dst += 32;
        src += 24;
        n -= 24;
    }
    return end;
}

/* 0: portable, 1: SSSE3, 2: AVX2; probed once, the same for every thread. */
static int sh_cpu_level(void)
{
    static int level = -1;

    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx2") ? 2
                : __builtin_cpu_supports("ssse3") ? 1 : 0;
    }
    return level;
}
#endif

/* The encoders by level (0 portable, 1 SSSE3, 2 AVX2), exact and with
 * slack; levels the build has no code for fall back to the portable one. */
typedef char *(*sh_b64_fn)(char *, const unsigned char *, apr_size_t);

#ifdef SH_HAVE_X86
static const sh_b64_fn sh_b64_exact[3] = {
    sh_base64_encode_portable, sh_base64_encode_ssse3, sh_base64_encode_avx2
};
static const sh_b64_fn sh_b64_slack[3] = {
    sh_base64_encode_portable, sh_base64_slack_ssse3, sh_base64_slack_avx2
};
#define SH_B64_LEVEL() sh_cpu_level()
#else
static const sh_b64_fn sh_b64_exact[1] = { sh_base64_encode_portable };
static const sh_b64_fn sh_b64_slack[1] = { sh_base64_encode_portable };
#define SH_B64_LEVEL() 0
#endif

char *sh_base64_encode_with(int level, char *dst, const unsigned char *src,
                            apr_size_t n)
{
    return level < 0 || level > SH_B64_LEVEL() ? NULL
           : sh_b64_exact[level](dst, src, n);
}

char *sh_base64_encode_slack_with(int level, char *dst,
                                  const unsigned char *src, apr_size_t n)
{
    return level < 0 || level > SH_B64_LEVEL() ? NULL
           : sh_b64_slack[level](dst, src, n);
}

char *sh_base64_encode_slack(char *dst, const unsigned char *src,
                             apr_size_t n)
{
    return sh_b64_slack[SH_B64_LEVEL()](dst, src, n);
}

char *sh_base64_encode(char *dst, const unsigned char *src, apr_size_t n)
{
    return sh_b64_exact[SH_B64_LEVEL()](dst, src, n);
}

static int sh_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long sh_base64_decode(unsigned char *dst, apr_size_t max, const char *src,
                      apr_size_t len)
{
    apr_size_t i, o = 0;

    if (len % 4) {
        return -1;
    }
    for (i = 0; i < len; i += 4) {
        int v[4], k, pad = 0;
        apr_uint32_t bits = 0;

        for (k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)src[i + k];

            /* '=' only at the very end: "xx==" or "xxx=". */
            if (c == '=' && i + 4 == len && k >= 2
                && (k == 3 || src[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = sh_b64_value(c);
            if (v[k] < 0 || pad) {
                return -1;
            }
        }
        bits = ((apr_uint32_t)v[0] << 18) | ((apr_uint32_t)v[1] << 12)
               | ((apr_uint32_t)v[2] << 6) | (apr_uint32_t)v[3];
        if ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff))) {
            return -1;              /* padding bits must be zero */
        }
        if (o + 3 - pad > max) {
            return -1;
        }
        dst[o++] = (unsigned char)(bits >> 16);
        if (pad < 2) {
            dst[o++] = (unsigned char)(bits >> 8);
        }
        if (pad < 1) {
            dst[o++] = (unsigned char)bits;
        }
    }
    return (long)o;
}
