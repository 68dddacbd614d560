/*
 * mod_secure_headers: the pure part (APR only; no httpd).
 *
 * Everything here runs for every proxied request, so it avoids repeated
 * table look-ups and copies: the environment is measured in one pass,
 * written in a second into a single pool allocation, and encoded with a
 * vector base64 encoder where the CPU has one.
 */
#include <string.h>
#include <stdlib.h>

#include "apr_strings.h"
#include "apr_fnmatch.h"
#include "apr_lib.h"

#include "sh_core.h"

#if defined(__x86_64__) || defined(__i386__)
#define SH_HAVE_X86 1
#include <immintrin.h>
#endif

/* --- header names ------------------------------------------------------ */

int sh_token_list_names_secure(const char *list)
{
    const char *s = list;

    while (*s) {
        while (*s == ',' || *s == ' ' || *s == '\t') {
            s++;
        }
        if (sh_is_secure_name(s)) {
            return 1;
        }
        while (*s && *s != ',' && *s != ' ' && *s != '\t') {
            s++;
        }
    }
    return 0;
}

int sh_scan_headers(const apr_table_t *headers, sh_header_scan *out)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    out->secure = NULL;
    out->connection = NULL;
    out->signature = 0;
    for (i = 0; i < arr->nelts; i++) {
        const char *key = e[i].key;

        if (key == NULL) {
            continue;
        }
        /* One compare of the first letter settles almost every header. */
        switch (key[0]) {
        case '!':
            if (key[1] == '~' && out->secure == NULL) {
                out->secure = key;
            }
            break;
        /* Only the Connection header can make a proxy drop other headers. */
        case 'C':
        case 'c':
            /* The fourth letter tells Connection from Cookie, Content-*,
             * Cache-Control... without a call. */
            if (out->connection == NULL && e[i].val
                && (key[1] | 0x20) == 'o' && (key[3] | 0x20) == 'n'
                && strcasecmp(key, "Connection") == 0
                && sh_token_list_names_secure(e[i].val)) {
                out->connection = key;
            }
            break;
        case 'S':
        case 's':
            if ((key[1] | 0x20) == 'i' && strncasecmp(key, "Signature", 9) == 0
                && (key[9] == '\0' || strcasecmp(key + 9, "-Input") == 0)) {
                out->signature = 1;
            }
            break;
        }
    }
    return out->secure || out->connection || out->signature;
}

const char *sh_find_forbidden_header(const apr_table_t *headers)
{
    sh_header_scan scan;

    sh_scan_headers(headers, &scan);
    /* In table order: the earlier of the two. */
    if (scan.secure && scan.connection) {
        const apr_array_header_t *arr = apr_table_elts(headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        for (i = 0; i < arr->nelts; i++) {
            if (e[i].key == scan.secure || e[i].key == scan.connection) {
                return e[i].key;
            }
        }
    }
    return scan.secure ? scan.secure : scan.connection;
}

int sh_strip_secure_headers(apr_table_t *headers)
{
    int removed = 0;
    int found;

    /* Unsetting compacts the table, so start over after each removal;
     * this path is taken only when a module added a "!~" header itself. */
    do {
        const apr_array_header_t *arr = apr_table_elts(headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        found = 0;
        for (i = 0; i < arr->nelts; i++) {
            if (e[i].key && sh_is_secure_name(e[i].key)) {
                int before = arr->nelts;

                apr_table_unset(headers, e[i].key);
                removed += before - apr_table_elts(headers)->nelts;
                found = 1;
                break;
            }
        }
    } while (found);
    return removed;
}

/* --- choosing environment variables ------------------------------------ */

const char *sh_pattern_compile(apr_pool_t *p, const char *text,
                               sh_pattern *out)
{
    apr_size_t len = strlen(text);
    const char *star = strchr(text, '*');
    int brackets = 0;
    const char *s;

    if (len == 0) {
        return "an empty name or pattern matches nothing";
    }
    for (s = text; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;                /* an escaped character is never syntax */
        }
        else if (*s == '[') {
            brackets++;
        }
        else if (*s == ']' && brackets > 0) {
            brackets--;
        }
    }
    if (brackets) {
        return apr_psprintf(p, "'%s' has a '[' without its ']'", text);
    }

    out->text = apr_pstrdup(p, text);
    out->len = len;
    /* apr_fnmatch_test() calls "\\*" plain text, but fnmatch still reads
     * the backslash as an escape: only backslash-free text may be
     * compared literally. */
    if (strchr(text, '\\')) {
        out->kind = SH_PATTERN_GLOB;
    }
    else if (!apr_fnmatch_test(text)) {
        out->kind = SH_PATTERN_EXACT;
    }
    else if (star == text + len - 1 && !apr_fnmatch_test(
                 apr_pstrndup(p, text, len - 1))) {
        out->kind = SH_PATTERN_PREFIX;
        out->len = len - 1;
    }
    else {
        out->kind = SH_PATTERN_GLOB;
    }
    return NULL;
}

int sh_pattern_match(const sh_pattern *pattern, const char *name)
{
    switch (pattern->kind) {
    case SH_PATTERN_EXACT:
        return strcasecmp(pattern->text, name) == 0;
    case SH_PATTERN_PREFIX:
        return strncasecmp(pattern->text, name, pattern->len) == 0;
    default:
        return apr_fnmatch(pattern->text, name, APR_FNM_CASE_BLIND)
               == APR_SUCCESS;
    }
}

static int sh_any_pattern_matches(const apr_array_header_t *patterns,
                                  const char *name)
{
    const sh_pattern *pat = (const sh_pattern *)patterns->elts;
    int i;

    for (i = 0; i < patterns->nelts; i++) {
        if (sh_pattern_match(&pat[i], name)) {
            return 1;
        }
    }
    return 0;
}

/* Passenger leaves these two out because it rebuilds them itself; an
 * application written for it must see the same set. The length, known to
 * the caller, settles almost every name without a compare. */
static int sh_passenger_skips(const char *name, apr_size_t len)
{
    return (len == 11 && memcmp(name, "SCRIPT_NAME", 11) == 0)
           || (len == 9 && memcmp(name, "PATH_INFO", 9) == 0);
}

/* Out of line: only configured filters get here, and inlined it would make
 * the test below too large to inline into the loops. */
__attribute__((noinline))
static int sh_filter_passes(const sh_env_filter *filter, const char *name)
{
    if (filter->include && filter->include->nelts
        && !sh_any_pattern_matches(filter->include, name)) {
        return 0;
    }
    if (filter->exclude && filter->exclude->nelts
        && sh_any_pattern_matches(filter->exclude, name)) {
        return 0;
    }
    return 1;
}

/* Whether a filter can leave anything out; NULL when not, so the loops
 * below skip it entirely in the default configuration. */
static const sh_env_filter *sh_effective_filter(const sh_env_filter *filter)
{
    if (filter && ((filter->include && filter->include->nelts)
                   || (filter->exclude && filter->exclude->nelts))) {
        return filter;
    }
    return NULL;
}

/* The one test both passes over the environment apply; "filter" has been
 * through sh_effective_filter and "len" is strlen(name). */
static APR_INLINE int sh_entry_sent(const sh_env_filter *filter,
                                    const char *name, apr_size_t len)
{
    return !sh_passenger_skips(name, len)
           && (filter == NULL || sh_filter_passes(filter, name));
}

int sh_env_wanted(const sh_env_filter *filter, const char *name)
{
    return sh_entry_sent(sh_effective_filter(filter), name, strlen(name));
}

/* --- base64 ------------------------------------------------------------ */

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

/* --- the environment --------------------------------------------------- */

typedef struct {
    const char *key;
    const char *val;
    apr_size_t klen;
    apr_size_t vlen;
    int dropped;
} sh_piece;

/* Most requests have a few dozen variables at most; measure them on the
 * stack so the common case allocates only the result. */
#define SH_STACK_PIECES 64

static apr_size_t sh_piece_size(const sh_piece *piece)
{
    return piece->klen + piece->vlen + 2;
}

typedef struct {
    apr_size_t size;
    int index;
} sh_ranked;

static int sh_larger_first(const void *a, const void *b)
{
    const sh_ranked *ra = a, *rb = b;

    if (ra->size != rb->size) {
        return ra->size > rb->size ? -1 : 1;
    }
    return ra->index - rb->index;   /* ties leave in table order */
}

/* Leaves out the largest variables until the encoding fits; returns the
 * raw length that remains and names the omitted ones in *out. */
static apr_size_t sh_drop_largest(apr_pool_t *p, sh_piece *pieces, int count,
                                  apr_size_t raw, apr_size_t max,
                                  sh_envvars *out)
{
    sh_ranked *order = apr_palloc(p, count * sizeof(*order));
    int i, k;

    for (i = 0; i < count; i++) {
        order[i].size = sh_piece_size(&pieces[i]);
        order[i].index = i;
    }
    qsort(order, count, sizeof(*order), sh_larger_first);
    for (i = 0; i < count && sh_base64_len(raw) > max; i++) {
        pieces[order[i].index].dropped = 1;
        raw -= order[i].size;
        out->omitted_count++;
    }
    out->omitted = apr_palloc(p, (out->omitted_count + 1) * sizeof(char *));
    for (i = 0, k = 0; i < count; i++) {
        if (pieces[i].dropped) {
            out->omitted[k++] = pieces[i].key;
        }
    }
    out->omitted[k] = NULL;
    return raw;
}

apr_size_t sh_envvars_encoded_len(const apr_table_t *env,
                                  const sh_env_filter *filter)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_size_t raw = 0;
    int i;

    filter = sh_effective_filter(filter);
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t klen;

        if (e[i].key == NULL) {
            continue;
        }
        klen = strlen(e[i].key);
        if (sh_entry_sent(filter, e[i].key, klen)) {
            raw += klen + (e[i].val ? strlen(e[i].val) : 0) + 2;
        }
    }
    return sh_base64_len(raw);
}

/* An empty value with "room" bytes before it for the caller. */
static const char *sh_empty_value(apr_pool_t *p, apr_size_t room)
{
    char *v;

    if (room == 0) {
        return "";
    }
    v = (char *)apr_palloc(p, room + 1) + room;
    *v = '\0';
    return v;
}

/*
 * memcpy for the short strings environments are made of (a name, a value,
 * each with its NUL; n >= 1), inline: two loads and two stores that may
 * overlap, instead of a call into libc for every one. Reads and writes stay
 * within [src, src + n) and [dst, dst + n); the fixed-size memcpy calls
 * compile to single moves.
 */
static APR_INLINE void sh_copy_short(char *dst, const char *src, apr_size_t n)
{
    if (n >= 8 && n <= 16) {
        apr_uint64_t a, b;

        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    }
    else if (n >= 4 && n < 8) {
        apr_uint32_t a, b;

        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    }
    else if (n < 4) {
        dst[0] = src[0];
        dst[n - 1] = src[n - 1];
        dst[n / 2] = src[n / 2];
    }
    else {
        memcpy(dst, src, n);
    }
}

/* Environments up to this many raw bytes are serialised on the stack. */
#define SH_STACK_RAW 8192

/*
 * The common case in one pass: each wanted entry measured and copied into a
 * stack buffer, then encoded into the one pool allocation the result needs.
 * Returns 0, having changed nothing, when the environment does not fit the
 * buffer or passes the ceiling; the two passes below handle those.
 */
static int sh_envvars_build_small(apr_pool_t *p, const apr_table_t *env,
                                  const sh_env_filter *filter,
                                  apr_size_t max_value_len, apr_size_t room,
                                  sh_envvars *out)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    char raw[SH_STACK_RAW + SH_B64_SLACK];
    char *w = raw, *enc;
    apr_size_t len, enc_len;
    int count = 0, i;

    for (i = 0; i < arr->nelts; i++) {
        const char *val;
        apr_size_t klen, vlen;

        if (e[i].key == NULL) {
            continue;
        }
        klen = strlen(e[i].key);
        if (!sh_entry_sent(filter, e[i].key, klen)) {
            continue;
        }
        val = e[i].val ? e[i].val : "";
        vlen = strlen(val);
        if (klen + vlen + 2 > (apr_size_t)(raw + SH_STACK_RAW - w)) {
            return 0;
        }
        sh_copy_short(w, e[i].key, klen + 1);
        w += klen + 1;
        sh_copy_short(w, val, vlen + 1);
        w += vlen + 1;
        count++;
    }
    len = w - raw;
    enc_len = sh_base64_len(len);
    if (max_value_len && enc_len > max_value_len) {
        return 0;
    }
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        /* As below: the header, empty, for an environment of skipped
         * entries only. */
        if (arr->nelts > 0) {
            out->value = sh_empty_value(p, room);
        }
        return 1;
    }
    memset(w, 0, SH_B64_SLACK);
    enc = (char *)apr_palloc(p, room + enc_len + SH_B64_SLACK) + room;
    *sh_base64_encode_slack(enc, (const unsigned char *)raw, len) = '\0';
    out->value = enc;
    out->value_len = enc_len;
    out->raw_len = len;
    out->count = count;
    return 1;
}

void sh_envvars_build(apr_pool_t *p, const apr_table_t *env,
                      const sh_env_filter *filter, apr_size_t max_value_len,
                      sh_envvars *out)
{
    sh_envvars_build_room(p, env, filter, max_value_len, 0, out);
}

void sh_envvars_build_room(apr_pool_t *p, const apr_table_t *env,
                           const sh_env_filter *filter,
                           apr_size_t max_value_len, apr_size_t room,
                           sh_envvars *out)
{
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    sh_piece stack[SH_STACK_PIECES];
    sh_piece *pieces = stack;
    apr_size_t raw = 0, enc_len;
    int count = 0, i;
    char *buf, *w;

    filter = sh_effective_filter(filter);
    if (sh_envvars_build_small(p, env, filter, max_value_len, room, out)) {
        return;
    }
    memset(out, 0, sizeof(*out));
    if (arr->nelts > SH_STACK_PIECES) {
        pieces = apr_palloc(p, arr->nelts * sizeof(sh_piece));
    }
    for (i = 0; i < arr->nelts; i++) {
        sh_piece *piece = &pieces[count];

        if (e[i].key == NULL) {
            continue;
        }
        piece->klen = strlen(e[i].key);
        if (!sh_entry_sent(filter, e[i].key, piece->klen)) {
            continue;
        }
        piece->key = e[i].key;
        piece->val = e[i].val ? e[i].val : "";
        piece->vlen = strlen(piece->val);
        piece->dropped = 0;
        raw += piece->klen + piece->vlen + 2;
        count++;
    }
    if (max_value_len && sh_base64_len(raw) > max_value_len) {
        raw = sh_drop_largest(p, pieces, count, raw, max_value_len, out);
    }
    if (raw == 0) {
        /* Passenger sends the header, empty, whenever the environment has
         * any entry at all, even one it leaves out; applications may tell
         * "no environment" from "nothing sent" by it. */
        if (arr->nelts > 0) {
            out->value = sh_empty_value(p, room);
        }
        return;
    }

    /* One allocation: the raw bytes and the zeros after them that the
     * encoder reads, the caller's room, then the base64 text and the bytes
     * it may write past its end (see sh_base64_encode_slack). */
    enc_len = sh_base64_len(raw);
    buf = apr_palloc(p, raw + SH_B64_SLACK + room + enc_len + SH_B64_SLACK);
    w = buf;
    for (i = 0; i < count; i++) {
        if (pieces[i].dropped) {
            continue;
        }
        memcpy(w, pieces[i].key, pieces[i].klen + 1);
        w += pieces[i].klen + 1;
        memcpy(w, pieces[i].val, pieces[i].vlen + 1);
        w += pieces[i].vlen + 1;
        out->count++;
    }
    memset(w, 0, SH_B64_SLACK);
    w += SH_B64_SLACK + room;
    *sh_base64_encode_slack(w, (const unsigned char *)buf, raw) = '\0';
    out->value = w;
    out->value_len = enc_len;
    out->raw_len = raw;
}
