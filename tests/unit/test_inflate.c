/* test_inflate.c - modload's inflater (src/modload/inflate.c) against
 * zlib's deflate, and against hand-made malformed streams.
 *
 * Every inflate writes into a buffer with canary bytes on both sides, and
 * reads its input through a callback that counts: no byte outside the
 * segment is written, no input byte past the end is asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "modload.h"

/* Built twice: against the full modload (everything below) and the
 * minimal one (MODLOAD_WITH_INFLATE 0: only the image-level refusal). */
#define CANARY 64
#define CANARY_BYTE 0xA5

#if MODLOAD_WITH_INFLATE
typedef struct input {
    const uint8_t *p;
    size_t n, used, past; /* past: calls after the end */
} input;

static int next(void *ctx)
{
    input *in = ctx;
    if (in->used == in->n) {
        in->past++;
        return -1;
    }
    return in->p[in->used++];
}

/* Inflate n bytes of data into size bytes between canaries; the result,
 * with the output in *out (malloc'd, size bytes) when out is given. */
static int inflate_guarded(const uint8_t *data, size_t n, uint32_t size, uint8_t **out, size_t *used)
{
    uint8_t *buf = malloc(size + 2 * CANARY);
    assert_non_null(buf);
    memset(buf, CANARY_BYTE, size + 2 * CANARY);
    input in = {data, n, 0, 0};
    int rc = modload_inflate(buf + CANARY, size, next, &in);
    for (size_t i = 0; i < CANARY; i++) {
        assert_int_equal(buf[i], CANARY_BYTE);
        assert_int_equal(buf[CANARY + size + i], CANARY_BYTE);
    }
    assert_true(in.used <= n);
    assert_true(in.past <= 1); /* the end is reported once, then the inflater stops */
    if (used)
        *used = in.used;
    if (out) {
        *out = malloc(size ? size : 1);
        assert_non_null(*out);
        memcpy(*out, buf + CANARY, size);
    }
    free(buf);
    return rc;
}

/* zlib's raw deflate of src at a level, window and strategy. */
static uint8_t *zdeflate(const uint8_t *src, size_t n, int level, int wbits, int strategy, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, -wbits, 8, strategy), Z_OK);
    uLong bound = deflateBound(&z, (uLong)n) + 16;
    uint8_t *out = malloc(bound);
    assert_non_null(out);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)bound;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Deterministic test data of several kinds. */
static uint8_t *make_input(int kind, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    uint32_t x = 0x12345678u + (uint32_t)kind;
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        switch (kind) {
        case 0: p[i] = (uint8_t)(x >> 24); break;                     /* noise: stored blocks */
        case 1: p[i] = "the quick brown fox jumps "[i % 26]; break;   /* text: long matches */
        case 2: p[i] = (uint8_t)((x >> 28) & 3); break;               /* few symbols */
        case 3: p[i] = i < n / 2 ? (uint8_t)(x >> 24) : p[i - n / 2]; break; /* a far repeat */
        default: p[i] = 0; break;                                     /* runs: length 258, distance 1 */
        }
    }
    return p;
}

/* Every level, window and strategy of zlib, on each kind of input: the
 * same bytes back, from exactly the bytes deflate wrote. */
static void zlib_round_trips(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 3, 257, 258, 1000, 40000, 70000};
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    unsigned cases = 0;
    (void)state;
    for (int kind = 0; kind < 5; kind++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            uint8_t *src = make_input(kind, n);
            for (int level = 0; level <= 9; level++)
                for (int wbits = 9; wbits <= 15; wbits++)
                    for (size_t s = 0; s < sizeof strategies / sizeof strategies[0]; s++) {
                        if (n > 1000 && ((level % 3 != 0 && s != 0) || wbits % 3 != 0))
                            continue; /* the large inputs: fewer combinations */
                        size_t zlen, used;
                        uint8_t *z = zdeflate(src, n, level, wbits, strategies[s], &zlen), *out;
                        int rc = inflate_guarded(z, zlen, (uint32_t)n, &out, &used);
                        if (rc != MODLOAD_OK || memcmp(out, src, n) != 0 || used != zlen)
                            fail_msg("kind %d, %zu bytes, level %d, window %d, strategy %zu: rc %d, used %zu of %zu",
                                     kind, n, level, wbits, s, rc, used, zlen);
                        /* one byte less or more than the data makes: refused */
                        if (n)
                            assert_int_equal(inflate_guarded(z, zlen, (uint32_t)n - 1, NULL, NULL),
                                             MODLOAD_ERR_INFLATE);
                        assert_int_equal(inflate_guarded(z, zlen, (uint32_t)n + 1, NULL, NULL),
                                         MODLOAD_ERR_INFLATE);
                        free(out);
                        free(z);
                        cases++;
                    }
            free(src);
        }
    print_message("%u zlib streams inflated\n", cases);
}

/* Every prefix of a stream is refused, never read past. */
static void truncated(void **state)
{
    (void)state;
    for (int kind = 0; kind < 5; kind++) {
        uint8_t *src = make_input(kind, 3000);
        size_t zlen;
        uint8_t *z = zdeflate(src, 3000, kind == 0 ? 0 : 9, 15, Z_DEFAULT_STRATEGY, &zlen);
        for (size_t cut = 0; cut < zlen; cut++)
            if (inflate_guarded(z, cut, 3000, NULL, NULL) != MODLOAD_ERR_INFLATE)
                fail_msg("kind %d: %zu of %zu bytes accepted", kind, cut, zlen);
        free(z);
        free(src);
    }
}

/* ---- hand-made streams ------------------------------------------------------ */

typedef struct bits {
    uint8_t b[512];
    size_t n;      /* bits written */
} bits;

static void put(bits *w, uint32_t v, unsigned count) /* low bit first */
{
    for (unsigned i = 0; i < count; i++, w->n++) {
        assert_true(w->n / 8 < sizeof w->b);
        if (i < 32 && ((v >> i) & 1)) /* padding: zeros past 32 bits */
            w->b[w->n / 8] |= (uint8_t)(1u << (w->n % 8));
    }
}

static void put_code(bits *w, uint32_t code, unsigned len) /* Huffman codes: high bit first */
{
    while (len--)
        put(w, code >> len, 1);
}

static size_t nbytes(const bits *w)
{
    return (w->n + 7) / 8;
}

/* The fixed code (RFC 1951 3.2.6). */
static void fixed_lit(bits *w, unsigned sym)
{
    if (sym < 144)
        put_code(w, 0x30 + sym, 8);
    else if (sym < 256)
        put_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        put_code(w, sym - 256, 7);
    else
        put_code(w, 0xC0 + sym - 280, 8);
}

/* Length (3..258) and distance (1..32768) with their extra bits, from the
 * RFC's tables, in the fixed code. */
static void fixed_match(bits *w, unsigned len, unsigned dist)
{
    static const uint16_t lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                       67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const uint16_t dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const uint8_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    int l = 28, d = 29;
    while (len < lbase[l] || (l < 28 && len >= lbase[l] + (1u << lext[l])))
        l--;
    if (len == 258)
        l = 28;
    while (dist < dbase[d])
        d--;
    fixed_lit(w, 257u + (unsigned)l);
    put(w, len - lbase[l], lext[l]);
    put_code(w, (uint32_t)d, 5);
    put(w, dist - dbase[d], dext[d]);
}

static void fixed_head(bits *w, int last)
{
    put(w, (uint32_t)last, 1);
    put(w, 1, 2);
}

static int run_bits(const bits *w, uint32_t size, uint8_t **out)
{
    return inflate_guarded(w->b, nbytes(w), size, out, NULL);
}

/* A back-reference to the segment's first byte (distance = bytes written
 * so far), lengths 3 and 258; one byte further back is refused. */
static void distance_whole_segment(void **state)
{
    (void)state;
    for (unsigned n = 1; n <= 300; n += 37) {
        for (int too_far = 0; too_far <= 1; too_far++) {
            bits w = {{0}, 0};
            uint8_t *out;
            fixed_head(&w, 1);
            for (unsigned i = 0; i < n; i++)
                fixed_lit(&w, (i * 7 + 1) & 0xFF);
            fixed_match(&w, 258, n + (unsigned)too_far);
            fixed_match(&w, 3, n + 258 + (unsigned)too_far);
            fixed_lit(&w, 256);
            int rc = run_bits(&w, n + 261, &out);
            if (too_far) {
                assert_int_equal(rc, MODLOAD_ERR_INFLATE);
            } else {
                assert_int_equal(rc, MODLOAD_OK);
                for (unsigned i = 0; i < n + 258; i++)
                    assert_int_equal(out[i], ((i % n) * 7 + 1) & 0xFF);
                for (unsigned i = 0; i < 3; i++)
                    assert_int_equal(out[n + 258 + i], out[i]);
            }
            free(out);
        }
    }
    /* the longest distance, 32768, back to the first of 32768 bytes (zlib
     * never makes it): a stored block, then a fixed one with the match */
    uint8_t *src = make_input(0, 32768), *out, *z = malloc(5 + 32768 + 16);
    bits m = {{0}, 0};
    assert_non_null(z);
    fixed_head(&m, 1);
    fixed_match(&m, 258, 32768);
    fixed_lit(&m, 256);
    memcpy(z, "\x00\x00\x80\xff\x7f", 5);
    memcpy(z + 5, src, 32768);
    memcpy(z + 5 + 32768, m.b, nbytes(&m));
    assert_int_equal(inflate_guarded(z, 5 + 32768 + nbytes(&m), 32768 + 258, &out, NULL), MODLOAD_OK);
    assert_memory_equal(out, src, 32768);
    assert_memory_equal(out + 32768, src, 258);
    free(out);
    free(z);
    free(src);
}

static void empty_segment(void **state)
{
    (void)state;
    bits w = {{0}, 0};
    fixed_head(&w, 1);
    fixed_lit(&w, 256);
    assert_int_equal(run_bits(&w, 0, NULL), MODLOAD_OK);
    assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    /* an empty final stored block: 3 bits, padding, 00 00 FF FF */
    static const uint8_t stored_empty[] = {0x01, 0x00, 0x00, 0xFF, 0xFF};
    assert_int_equal(inflate_guarded(stored_empty, sizeof stored_empty, 0, NULL, NULL), MODLOAD_OK);
    /* and no data at all */
    assert_int_equal(inflate_guarded(stored_empty, 0, 0, NULL, NULL), MODLOAD_ERR_INFLATE);
    /* NULL destination for nothing; the input callback is required */
    input in = {stored_empty, sizeof stored_empty, 0, 0};
    assert_int_equal(modload_inflate(NULL, 0, next, &in), MODLOAD_OK);
    assert_int_equal(modload_inflate(NULL, 1, next, &in), MODLOAD_ERR_ARG);
    assert_int_equal(modload_inflate((uint8_t *)&in, 0, NULL, &in), MODLOAD_ERR_ARG);
}

static void bad_block_type(void **state)
{
    (void)state;
    bits w = {{0}, 0};
    put(&w, 1, 1);
    put(&w, 3, 2);
    put(&w, 0, 16);
    assert_int_equal(run_bits(&w, 0, NULL), MODLOAD_ERR_INFLATE);
    /* a stored block whose length and complement disagree */
    static const uint8_t stored_bad[] = {0x01, 0x01, 0x00, 0xFF, 0xFF, 'x'};
    assert_int_equal(inflate_guarded(stored_bad, sizeof stored_bad, 1, NULL, NULL), MODLOAD_ERR_INFLATE);
    static const uint8_t stored_ok[] = {0x01, 0x01, 0x00, 0xFE, 0xFF, 'x'};
    assert_int_equal(inflate_guarded(stored_ok, sizeof stored_ok, 1, NULL, NULL), MODLOAD_OK);
}

/* Literal/length symbols 286 and 287 and distance codes 30 and 31 exist
 * in the fixed code but mean nothing. */
static void bad_fixed_symbols(void **state)
{
    (void)state;
    for (unsigned sym = 286; sym <= 287; sym++) {
        bits w = {{0}, 0};
        fixed_head(&w, 1);
        fixed_lit(&w, 'a');
        fixed_lit(&w, sym);
        put_code(&w, 0, 5);
        fixed_lit(&w, 256);
        assert_int_equal(run_bits(&w, 4, NULL), MODLOAD_ERR_INFLATE);
    }
    for (unsigned d = 30; d <= 31; d++) {
        bits w = {{0}, 0};
        fixed_head(&w, 1);
        fixed_lit(&w, 'a');
        fixed_lit(&w, 257);
        put_code(&w, d, 5);
        fixed_lit(&w, 256);
        assert_int_equal(run_bits(&w, 4, NULL), MODLOAD_ERR_INFLATE);
    }
}

/* A dynamic block header: HLIT, HDIST, HCLEN, then the code length code
 * lengths given for symbols in the RFC's order. */
static void dyn_head(bits *w, unsigned nlen, unsigned ndist, const uint8_t *cl, unsigned ncl)
{
    put(w, 1, 1);
    put(w, 2, 2);
    put(w, nlen - 257, 5);
    put(w, ndist - 1, 5);
    put(w, ncl - 4, 4);
    for (unsigned i = 0; i < ncl; i++)
        put(w, cl[i], 3);
}

/* Lengths for 258 symbols (257 literal/length, 1 distance) where only
 * literal 'a' (97) and end-of-block have a code, of length len, written
 * with a code length code of symbols 0 ('10'), len ('11'), 18 ('0'). */
static void dyn_two_codes(bits *w, unsigned len)
{
    /* order: 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15 */
    uint8_t cl[19] = {0};
    unsigned at = len == 1 ? 17 : 15;   /* where symbol 1 or 2 is in the order */
    cl[2] = 1;                          /* 18 */
    cl[3] = 2;                          /* 0 */
    cl[at] = 2;                         /* len */
    dyn_head(w, 257, 1, cl, at + 1);
    put_code(w, 0, 1), put(w, 97 - 11, 7);          /* 97 zeros */
    put_code(w, 3, 2);                              /* 'a': len */
    put_code(w, 0, 1), put(w, 138 - 11, 7);         /* 138 zeros */
    put_code(w, 0, 1), put(w, 20 - 11, 7);          /* 20 zeros */
    put_code(w, 3, 2);                              /* 256: len */
    put_code(w, 2, 2);                              /* the one distance: 0, no code */
}

static void bad_code_lengths(void **state)
{
    (void)state;
    /* the positive control: 'a' and end-of-block with 1-bit codes */
    {
        bits w = {{0}, 0};
        uint8_t *out;
        dyn_two_codes(&w, 1);
        put_code(&w, 0, 1);   /* 'a' */
        put_code(&w, 0, 1);   /* 'a' */
        put_code(&w, 1, 1);   /* end of block */
        assert_int_equal(run_bits(&w, 2, &out), MODLOAD_OK);
        assert_memory_equal(out, "aa", 2);
        free(out);
    }
    /* incomplete literal/length code: two codes of 2 bits */
    {
        bits w = {{0}, 0};
        dyn_two_codes(&w, 2);
        put_code(&w, 0, 2);
        put_code(&w, 1, 2);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* over-subscribed code length code: 19 codes of 1 bit */
    {
        bits w = {{0}, 0};
        uint8_t cl[19];
        memset(cl, 1, sizeof cl);
        dyn_head(&w, 257, 1, cl, 19);
        put(&w, 0, 32);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* incomplete code length code: one code of 2 bits */
    {
        bits w = {{0}, 0};
        uint8_t cl[4] = {0, 0, 0, 2};
        dyn_head(&w, 257, 1, cl, 4);
        put(&w, 0, 32);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* repeat (16) of the previous length with no previous length */
    {
        bits w = {{0}, 0};
        uint8_t cl[4] = {1, 0, 0, 1};   /* 16 -> '1', 0 -> '0' */
        dyn_head(&w, 257, 1, cl, 4);
        put_code(&w, 1, 1);
        put(&w, 0, 2);
        put(&w, 0, 32);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* no end-of-block code: every length 0 */
    {
        bits w = {{0}, 0};
        uint8_t cl[4] = {0, 0, 1, 1};   /* 18 -> '1', 0 -> '0' */
        dyn_head(&w, 257, 1, cl, 4);
        put_code(&w, 1, 1), put(&w, 127, 7);   /* 138 zeros */
        put_code(&w, 1, 1), put(&w, 109, 7);   /* 120 zeros */
        put(&w, 0, 32);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* lengths repeated past the 258 the header announced */
    {
        bits w = {{0}, 0};
        uint8_t cl[4] = {0, 0, 1, 1};
        dyn_head(&w, 257, 1, cl, 4);
        put_code(&w, 1, 1), put(&w, 127, 7);
        put_code(&w, 1, 1), put(&w, 127, 7);   /* 276 > 258 */
        put(&w, 0, 32);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
    }
    /* more literal/length or distance codes than there are symbols */
    {
        bits w = {{0}, 0};
        uint8_t cl[4] = {0, 0, 1, 1};
        dyn_head(&w, 287, 1, cl, 4);
        put(&w, 0, 64);
        assert_int_equal(run_bits(&w, 1, NULL), MODLOAD_ERR_INFLATE);
        bits v = {{0}, 0};
        dyn_head(&v, 257, 31, cl, 4);
        put(&v, 0, 64);
        assert_int_equal(run_bits(&v, 1, NULL), MODLOAD_ERR_INFLATE);
    }
}

/* Output longer than the segment, in each kind of block: refused with the
 * canaries intact (inflate_guarded checks them). */
static void over_and_under_long(void **state)
{
    (void)state;
    bits w = {{0}, 0};
    fixed_head(&w, 1);
    fixed_lit(&w, 'z');
    fixed_match(&w, 258, 1);
    fixed_lit(&w, 256);
    for (uint32_t size = 0; size < 259; size += 17)
        assert_int_equal(run_bits(&w, size, NULL), MODLOAD_ERR_INFLATE);
    assert_int_equal(run_bits(&w, 260, NULL), MODLOAD_ERR_INFLATE);
    assert_int_equal(run_bits(&w, 259, NULL), MODLOAD_OK);
    /* a non-final block then the end of the input */
    bits v = {{0}, 0};
    fixed_head(&v, 0);
    fixed_lit(&v, 'z');
    fixed_lit(&v, 256);
    assert_int_equal(run_bits(&v, 1, NULL), MODLOAD_ERR_INFLATE);
    static const uint8_t stored_long[] = {0x01, 0x03, 0x00, 0xFC, 0xFF, 'a', 'b', 'c'};
    assert_int_equal(inflate_guarded(stored_long, sizeof stored_long, 2, NULL, NULL), MODLOAD_ERR_INFLATE);
    assert_int_equal(inflate_guarded(stored_long, sizeof stored_long, 4, NULL, NULL), MODLOAD_ERR_INFLATE);
}

#endif /* MODLOAD_WITH_INFLATE */

/* ---- compressed images (spec section 14) ---------------------------------- */

static uint8_t img_buf[16384];

static void w16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }

static size_t zraw(const uint8_t *src, size_t n, uint8_t *out, size_t room)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)room;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return z.total_out;
}

/* A compressed ARM image of code and data (no fixups, exports or
 * metadata), as modpack --compress lays it out: header 80, the two deflate
 * streams (extra: bytes appended to the code's), CRC. The segment sizes
 * in the header are the inputs' plus dsize (to make them lie). */
static uint32_t compressed_image(const uint8_t *code, uint32_t csize, const uint8_t *data, uint32_t dsize,
                                 uint16_t flags, uint32_t extra, int32_t lie)
{
    uint8_t *p = img_buf;
    uint32_t zc, zd, size;
    memset(img_buf, 0, sizeof img_buf);
    zc = (uint32_t)zraw(code, csize, p + 80, 8000) + extra;
    zd = (uint32_t)zraw(data, dsize, p + 80 + zc, 4000);
    size = 80 + zc + zd + 4;
    memcpy(p, "MODP", 4);
    p[4] = 1, p[5] = 2;
    w16(p + 6, 80);
    w16(p + 8, MODP_ARCH_ARM);
    w16(p + 10, flags);
    w32(p + 12, MODP_ARM_THUMB);
    w32(p + 16, size);
    w32(p + 20, (uint32_t)((int32_t)csize + lie));
    w32(p + 24, dsize);
    w32(p + 28, 8);                          /* bss */
    w32(p + 32, (csize + 4 + 3) & ~3u);      /* data offset */
    p[36] = p[37] = 2;
    w32(p + 40, MODP_NONE);
    w32(p + 44, MODP_NONE);
    w32(p + 72, zc);
    w32(p + 76, zd);
    w32(p + size - 4, (uint32_t)crc32(0, p, size - 4));
    return size;
}

static int fw_resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx, (void)name, (void)hash;
    *addr = 0;
    return 0;
}

#define ARENA 8192
static uint8_t arena[CANARY + ARENA + CANARY];

/* Load (stream 0) or stream in chunks of `stream` bytes into the arena;
 * the result, with the canaries around the region checked. */
typedef struct chunks { const uint8_t *p; uint32_t n, at, step; } chunks;
static int read_chunks(void *ctx, uint8_t *buf, uint32_t len)
{
    chunks *c = ctx;
    uint32_t k = len < c->step ? len : c->step;
    if (k > c->n - c->at)
        k = c->n - c->at;
    memcpy(buf, c->p + c->at, k);
    c->at += k;
    return (int)k;
}

static int load_image(uint32_t len, uint32_t stream, uint32_t flags, modload_image *img)
{
    modload_env env = {NULL, 0, fw_resolve, NULL, NULL, NULL, NULL};
    modload_place pl;
    modload_module mod;
    static modload_stream st;
    chunks c = {img_buf, len, 0, stream};
    int rc;
    memset(arena, CANARY_BYTE, sizeof arena);
    rc = stream ? modload_stream_begin(&st, read_chunks, &c, img) : modload_check(img_buf, len, img);
    if (rc != MODLOAD_OK)
        return rc;
    assert_int_equal(modload_place_region(img, arena + CANARY, ARENA, (modload_addr)(uintptr_t)(arena + CANARY),
                                          &pl), MODLOAD_OK);
    pl.flags = flags;
    rc = stream ? modload_stream_load(&st, img, &pl, &env, &mod) : modload_load(img, &pl, &env, &mod);
    for (size_t i = 0; i < CANARY; i++) {
        assert_int_equal(arena[i], CANARY_BYTE);
    }
    for (size_t i = CANARY + modload_region_size(img); i < sizeof arena; i++)
        assert_int_equal(arena[i], CANARY_BYTE);
    return rc;
}

static void segment_bytes(uint8_t *code, uint32_t csize, uint8_t *data, uint32_t dsize)
{
    for (uint32_t i = 0; i < csize; i++)
        code[i] = (uint8_t)("\x00\x20\x70\x47mov r0, #0; bx lr "[i % 22] ^ (i / 512));
    for (uint32_t i = 0; i < dsize; i++)
        data[i] = (uint8_t)(i * 7 / 5);
}

static void image_loads(void **state)
{
    static uint8_t code[3000], data[500];
    modload_image img;
    (void)state;
    segment_bytes(code, sizeof code, data, sizeof data);
    uint32_t len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED | MODP_F_SPLIT, 0, 0);
#if MODLOAD_WITH_INFLATE
    static const uint32_t ways[] = {0, 1, 7, 300};
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        assert_int_equal(load_image(len, ways[w], 0, &img), MODLOAD_OK);
        assert_true(img.code_stored < img.code_size && img.data_stored < img.data_size + 8);
        assert_memory_equal(arena + CANARY, code, sizeof code);
        for (uint32_t i = sizeof code; i < img.data_offset; i++)
            assert_int_equal(arena[CANARY + i], 0);
        assert_memory_equal(arena + CANARY + img.data_offset, data, sizeof data);
        for (uint32_t i = 0; i < img.bss_size; i++)
            assert_int_equal(arena[CANARY + img.data_offset + sizeof data + i], 0);
    }
    /* an empty data segment is a deflate stream too */
    len = compressed_image(code, sizeof code, data, 0, MODP_F_COMPRESSED, 0, 0);
    assert_int_equal(load_image(len, 0, 0, &img), MODLOAD_OK);
    assert_int_equal(img.data_stored, 2);
#else
    /* the minimal profile refuses it before anything is written */
    assert_int_equal(modload_check(img_buf, len, &img), MODLOAD_ERR_PROFILE);
    assert_int_equal(load_image(len, 0, 0, &img), MODLOAD_ERR_PROFILE);
#endif
}

#if MODLOAD_WITH_INFLATE
/* Bad compressed images: modload_check (which does not inflate) passes
 * them when their CRC is right; the load, in memory and streamed, refuses
 * them with MODLOAD_ERR_INFLATE, writing only inside the region. */
static void image_errors(void **state)
{
    static uint8_t code[3000], data[500];
    modload_image img;
    uint32_t len;
    (void)state;
    segment_bytes(code, sizeof code, data, sizeof data);
    for (int c = 0; c < 4; c++) {
        int32_t lie = c == 0 ? 1 : c == 1 ? -1 : 0;   /* under-long, over-long */
        len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED, c == 2 ? 1 : 0, lie);
        if (c == 3) {                                 /* a broken block: type 3 */
            img_buf[80] |= 6;
            w32(img_buf + len - 4, (uint32_t)crc32(0, img_buf, len - 4));
        }
        assert_int_equal(modload_check(img_buf, len, &img), MODLOAD_OK);
        for (uint32_t stream = 0; stream <= 5; stream += 5)
            if (load_image(len, stream, 0, &img) != MODLOAD_ERR_INFLATE)
                fail_msg("case %d, stream %u: not refused with MODLOAD_ERR_INFLATE", c, stream);
    }
    /* the CRC is over the stored bytes: a flipped one is a CRC error */
    len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED, 0, 0);
    img_buf[100] ^= 1;
    assert_int_equal(modload_check(img_buf, len, &img), MODLOAD_ERR_CRC);
    /* (a stream meets the damage before the CRC: refused either way) */
    int rc = load_image(len, 3, 0, &img);
    assert_true(rc == MODLOAD_ERR_CRC || rc == MODLOAD_ERR_INFLATE);
    /* never in place; the header holds the stored sizes */
    len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED | MODP_F_XIP | MODP_F_SPLIT, 0, 0);
    assert_int_equal(modload_check(img_buf, len, &img), MODLOAD_ERR_HEADER);
    len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED, 0, 0);
    w16(img_buf + 6, 72);
    assert_int_equal(modload_check(img_buf, len, &img), MODLOAD_ERR_HEADER);
    /* aligned 32-bit code stores cannot inflate: refused before writing */
    len = compressed_image(code, sizeof code, data, sizeof data, MODP_F_COMPRESSED, 0, 0);
    memset(arena, CANARY_BYTE, sizeof arena);
    assert_int_equal(load_image(len, 0, MODLOAD_CODE_WORDS, &img), MODLOAD_ERR_PLACEMENT);
    for (size_t i = 0; i < sizeof arena; i++)
        assert_int_equal(arena[i], CANARY_BYTE);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_loads),
#if MODLOAD_WITH_INFLATE
        cmocka_unit_test(image_errors),
        cmocka_unit_test(zlib_round_trips),
        cmocka_unit_test(truncated),
        cmocka_unit_test(distance_whole_segment),
        cmocka_unit_test(empty_segment),
        cmocka_unit_test(bad_block_type),
        cmocka_unit_test(bad_fixed_symbols),
        cmocka_unit_test(bad_code_lengths),
        cmocka_unit_test(over_and_under_long),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
