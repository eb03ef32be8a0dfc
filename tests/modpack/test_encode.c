/* test_encode.c - cmocka tests of modpack's fixup stream encoder.
 *
 * Random fixup sets are encoded with mp_encode_fixups, wrapped in an image
 * assembled here by hand (header, zero segments, the stream, CRC), decoded
 * by modload_walk, and the decoded fixups and imports compared with the
 * input. A few fixed cases pin the exact bytes of section 5.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "encode.h"
#include "modload.h"

#define CODE_SIZE 4096u
#define DATA_SIZE 1024u

static uint32_t rng = 12345;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

/* header + code + data + stream + CRC, no exports, no metadata */
static uint8_t *make_image(const mp_buf *stream, size_t nfx, size_t nimp, int stripped, size_t *len)
{
    size_t n = 72 + CODE_SIZE + DATA_SIZE + stream->len + 4;
    uint8_t *p = calloc(1, n);
    memcpy(p, "MODP", 4);
    p[4] = 1;
    p[5] = 0;
    wr16(p + 6, 72);
    wr16(p + 8, MODP_ARCH_ARM);
    wr16(p + 10, stripped ? MODP_F_STRIPPED : 0);
    wr32(p + 12, MODP_ARM_THUMB);
    wr32(p + 16, (uint32_t)n);
    wr32(p + 20, CODE_SIZE);
    wr32(p + 24, DATA_SIZE);
    wr32(p + 28, 0);
    wr32(p + 32, CODE_SIZE);
    p[36] = 2;
    p[37] = 2;
    wr32(p + 40, MODP_NONE);
    wr32(p + 44, MODP_NONE);
    wr32(p + 48, (uint32_t)stream->len);
    wr32(p + 52, (uint32_t)nfx);
    wr32(p + 56, (uint32_t)nimp);
    if (stream->len)
        memcpy(p + 72 + CODE_SIZE + DATA_SIZE, stream->p, stream->len);
    wr32(p + n - 4, (uint32_t)crc32(0L, p, (uInt)(n - 4)));
    *len = n;
    return p;
}

typedef struct got {
    modload_walker w;
    modload_fixup fx[2048];
    size_t nfx;
    modload_import imp[16];
    size_t nimp;
} got;

static int on_fixup(modload_walker *w, const modload_fixup *f)
{
    got *g = (got *)w;
    assert_true(g->nfx < 2048);
    g->fx[g->nfx++] = *f;
    return 0;
}

static int on_import(modload_walker *w, const modload_import *i)
{
    got *g = (got *)w;
    assert_true(g->nimp < 16);
    g->imp[g->nimp++] = *i;
    return 0;
}

static int cmp_mp(const void *a, const void *b)
{
    const mp_fixup *x = a, *y = b;
    if (x->seg != y->seg) return x->seg - y->seg;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_ml(const void *a, const void *b)
{
    const modload_fixup *x = a, *y = b;
    if (x->seg != y->seg) return x->seg - y->seg;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Encode, decode through modload, compare. Returns the stream size. */
static size_t roundtrip(mp_fixup *fx, size_t nfx, mp_import *imp, size_t nimp, int stripped)
{
    mp_buf s = {0};
    mp_encode_fixups(&s, fx, nfx, imp, nimp, stripped);
    size_t len;
    uint8_t *image = make_image(&s, nfx, nimp, stripped, &len);
    modload_image img;
    assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
    static got g;
    memset(&g, 0, sizeof g);
    g.w.fixup = on_fixup;
    g.w.import = on_import;
    assert_int_equal(modload_walk(&img, &g.w), MODLOAD_OK);
    assert_int_equal(g.nfx, nfx);
    assert_int_equal(g.nimp, nimp);
    for (size_t i = 0; i < nimp; i++) {
        assert_int_equal(g.imp[i].index, i);
        assert_int_equal(g.imp[i].hash, imp[i].hash);
        assert_string_equal(g.imp[i].name, stripped ? "" : imp[i].name);
        assert_int_equal(g.imp[i].weak, imp[i].weak);
    }
    if (nfx) {
        qsort(fx, nfx, sizeof *fx, cmp_mp);
        qsort(g.fx, g.nfx, sizeof *g.fx, cmp_ml);
    }
    for (size_t i = 0; i < nfx; i++) {
        assert_int_equal(g.fx[i].kind, fx[i].kind);
        assert_int_equal(g.fx[i].seg, fx[i].seg);
        assert_int_equal(g.fx[i].offset, fx[i].off);
        assert_int_equal(g.fx[i].target, fx[i].target);
        if (fx[i].kind != MODP_FIX_WORD32)
            assert_int_equal(g.fx[i].offset2, fx[i].off2);
    }
    size_t n = s.len;
    free(image);
    buf_free(&s);
    return n;
}

/* Occupancy per segment, so that no two sites share a byte. */
static uint8_t used[2][CODE_SIZE];

static int take(int seg, uint32_t off)
{
    uint32_t size = seg ? DATA_SIZE : CODE_SIZE;
    if (off + 4 > size)
        return 0;
    for (int i = 0; i < 4; i++)
        if (used[seg][off + i])
            return 0;
    memset(&used[seg][off], 1, 4);
    return 1;
}

static void random_sets(void **state)
{
    (void)state;
    static mp_fixup fx[1024];
    mp_import imp[6];
    char names[6][16];
    size_t total_fx = 0, total_bytes = 0;
    for (int trial = 0; trial < 400; trial++) {
        memset(used, 0, sizeof used);
        size_t nimp = rnd(5);
        for (size_t i = 0; i < nimp; i++) {
            snprintf(names[i], sizeof names[i], "fw_fn%zu", i);
            imp[i].name = names[i];
            imp[i].hash = mp_hash(names[i]);
            imp[i].weak = (int)rnd(2);
        }
        uint32_t align = 1u << rnd(4);          /* 1, 2, 4 or 8 for this set */
        size_t want = rnd(trial < 50 ? 8 : 300), n = 0;
        for (size_t tries = 0; n < want && tries < 4000; tries++) {
            mp_fixup f = {0};
            uint32_t r = rnd(10);
            f.kind = r < 6 ? MODP_FIX_WORD32 : r < 8 ? MODP_FIX_THM_MOVW_MOVT : MODP_FIX_ARM_MOVW_MOVT;
            f.seg = f.kind == MODP_FIX_WORD32 ? (uint8_t)rnd(2) : MODP_SEG_CODE;
            uint32_t size = f.seg ? DATA_SIZE : CODE_SIZE;
            uint32_t a = rnd(8) ? align : 1u << rnd(4);
            f.off = rnd(size / a) * a;
            f.target = rnd(2 + (uint32_t)nimp);
            if (f.kind == MODP_FIX_WORD32 && rnd(4) == 0) {
                /* a table: consecutive words, one target */
                uint32_t k = 1 + rnd(12);
                for (uint32_t j = 0; j < k && n < 1024 && take(f.seg, f.off); j++, f.off += 4)
                    fx[n++] = f;
                continue;
            }
            if (!take(f.seg, f.off))
                continue;
            if (f.kind != MODP_FIX_WORD32) {
                int32_t d = ((int32_t)rnd(64) - 32) * (int32_t)a;
                if (d == 0 || (int64_t)f.off + d < 0 || !take(f.seg, (uint32_t)((int64_t)f.off + d))) {
                    memset(&used[f.seg][f.off], 0, 4);
                    continue;
                }
                f.off2 = (uint32_t)((int64_t)f.off + d);
            } else {
                f.off2 = f.off;
            }
            fx[n++] = f;
        }
        size_t bytes = roundtrip(fx, n, imp, nimp, trial & 1);
        total_fx += n;
        total_bytes += bytes;
    }
    print_message("random sets: %zu fixups in %zu stream bytes\n", total_fx, total_bytes);
}

/* A table of four pointers: one block, one group, one run op. */
static void pointer_table_bytes(void **state)
{
    (void)state;
    mp_fixup fx[4];
    for (int i = 0; i < 4; i++)
        fx[i] = (mp_fixup){MODP_FIX_WORD32, MODP_SEG_DATA, 16u + 4u * i, 16u + 4u * i, MODP_TGT_CODE, 0};
    mp_buf s = {0};
    mp_encode_fixups(&s, fx, 4, NULL, 0, 0);
    /* 1 group << 2 | target 0, head WORD32/data/unit 8 (the only gap is
     * 16): 0x70; 2 ops: skip 2 units + one fixup (4), then 3 in a row
     * ((2 << 1) | 1 = 5). */
    const uint8_t want[] = {0x04, 0x70, 0x02, 0x04, 0x05};
    assert_int_equal(s.len, sizeof want);
    assert_memory_equal(s.p, want, sizeof want);
    buf_free(&s);
    assert_int_equal(roundtrip(fx, 4, NULL, 0, 0), sizeof want);
}

/* A MOVT before its MOVW: negative delta, signed LEB128. */
static void pair_negative_delta(void **state)
{
    (void)state;
    mp_import imp = {"fw_x", 0, 0};
    imp.hash = mp_hash(imp.name);
    mp_fixup fx[2] = {
        {MODP_FIX_THM_MOVW_MOVT, MODP_SEG_CODE, 0x102, 0x0FA, MODP_TGT_IMPORT, 0},
        {MODP_FIX_ARM_MOVW_MOVT, MODP_SEG_CODE, 0x200, 0x208, MODP_TGT_DATA, 0},
    };
    mp_buf s = {0};
    mp_encode_fixups(&s, fx, 2, &imp, 1, 0);
    /* data block: 1 group << 2 | 1 | head ARM pair, code, unit 8 (0x63) | 1 op | gap 0x40, delta 1 */
    const uint8_t data_block[] = {0x05, 0x63, 0x01, 0x40, 0x01};
    assert_memory_equal(s.p, data_block, sizeof data_block);
    /* import block: 1 group << 2 | 2, 4, "fw_x", 0, head THM pair unit 2 (0x22),
     * 1 op: gap 0x102/2 = 0x81 (uleb 81 01), delta -8/2 = -4 (sleb 0x7c) */
    const uint8_t *p = s.p + sizeof data_block;
    assert_int_equal(p[0], 0x06);
    assert_int_equal(p[1], 4);
    assert_memory_equal(p + 2, "fw_x", 5);
    const uint8_t tail[] = {0x22, 0x01, 0x81, 0x01, 0x7C};
    assert_memory_equal(p + 7, tail, sizeof tail);
    assert_int_equal(s.len, sizeof data_block + 7 + sizeof tail);
    buf_free(&s);
    assert_int_equal(roundtrip(fx, 2, &imp, 1, 0), sizeof data_block + 7 + sizeof tail);
}

/* What an import used once costs (spec 5.1): its name and 6 bytes, 3 of
 * them the block and group; stripped, its hash and 5. */
static void import_once_bytes(void **state)
{
    (void)state;
    mp_import imp = {"fw_puts", 0, 0};
    imp.hash = mp_hash(imp.name);
    mp_fixup fx = {MODP_FIX_WORD32, MODP_SEG_CODE, 0x40, 0x40, MODP_TGT_IMPORT, 0};
    mp_buf s = {0};
    mp_encode_fixups(&s, &fx, 1, &imp, 1, 0);
    /* 1 group << 2 | 2, 7, "fw_puts", 0, head WORD32/code/unit 8 (0x60),
     * 1 op: skip 8 units + one fixup (16) */
    const uint8_t want[] = {0x06, 7, 'f', 'w', '_', 'p', 'u', 't', 's', 0, 0x60, 0x01, 0x10};
    assert_int_equal(s.len, strlen(imp.name) + 6);
    assert_memory_equal(s.p, want, sizeof want);
    buf_free(&s);
    mp_encode_fixups(&s, &fx, 1, &imp, 1, 1);
    assert_int_equal(s.len, 4 + 5);
    assert_int_equal(s.p[1], 0);
    assert_int_equal(s.p[2] | s.p[3] << 8 | s.p[4] << 16 | (uint32_t)s.p[5] << 24, imp.hash);
    assert_memory_equal(s.p + 6, want + 10, 3);
    buf_free(&s);
    assert_int_equal(roundtrip(&fx, 1, &imp, 1, 0), sizeof want);
    assert_int_equal(roundtrip(&fx, 1, &imp, 1, 1), 9);
}

static void empty_stream(void **state)
{
    (void)state;
    mp_import imp = {"unused", 0, 0};
    imp.hash = mp_hash(imp.name);
    assert_int_equal(roundtrip(NULL, 0, NULL, 0, 0), 0);
    /* an import block is written even without fixups, to keep nimports */
    /* stripped: target and group count, namelen 0, hash */
    assert_int_equal(roundtrip(NULL, 0, &imp, 1, 1), 1 + 1 + 4);
}

/* A weak import's block has target 3 and reads back as weak; a strong one
 * next to it stays target 2. */
static void weak_import(void **state)
{
    (void)state;
    mp_import imp[2] = {{"fw_opt", 0, 1}, {"fw_req", 0, 0}};
    imp[0].hash = mp_hash(imp[0].name);
    imp[1].hash = mp_hash(imp[1].name);
    mp_fixup fx[2] = {
        {MODP_FIX_WORD32, MODP_SEG_DATA, 0, 0, MODP_TGT_IMPORT + 0, 0},
        {MODP_FIX_WORD32, MODP_SEG_DATA, 4, 0, MODP_TGT_IMPORT + 1, 0},
    };
    mp_buf s = {0};
    mp_encode_fixups(&s, fx, 2, imp, 2, 0);
    /* 1 group << 2 | 3, 6, "fw_opt", 0, head, 1 op, site; then | 2 */
    assert_int_equal(s.p[0], 0x04 | MODP_TGT_WEAK);
    assert_int_equal(s.p[12], 0x04 | MODP_TGT_IMPORT);
    buf_free(&s);
    roundtrip(fx, 2, imp, 2, 0);
    roundtrip(fx, 2, imp, 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pointer_table_bytes),
        cmocka_unit_test(pair_negative_delta),
        cmocka_unit_test(import_once_bytes),
        cmocka_unit_test(empty_stream),
        cmocka_unit_test(weak_import),
        cmocka_unit_test(random_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
