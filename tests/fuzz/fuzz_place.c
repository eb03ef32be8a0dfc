/* fuzz_place.c - libFuzzer harness: every placement mode into guarded
 * memory, each load compared with a reference relocation written from the
 * spec (ref_reloc.c), not with modload's own walk.
 *
 * The input is an image; one that modload_check accepts is loaded
 *   - one region, with exact room (and one byte short: refused, nothing
 *     written), at run addresses apart from the write address;
 *   - split (SPLIT images) with exact room for code and data, and with one
 *     byte short for each (refused, nothing written); an image without
 *     SPLIT placed apart must be refused (nothing written);
 *   - execute in place (XIP images; refused for the others);
 *   - with MODLOAD_CODE_WORDS (aligned 32-bit code stores);
 *   - streamed into one region with read chunks of 1..8 bytes and a few
 *     larger sizes.
 * The image is read from two read-only copies, one ending at a guard page
 * and one starting right after one, so that reads past either end fault;
 * every placed block sits against a guard page on one side (alternating)
 * with canaries on the other, checked after each load. After a load the
 * placed code, data, bss and padding must be the reference's bytes, and a
 * load the reference says fails (an unresolved import, an instruction that
 * is not its kind's, an rv64 address out of reach, a code site in place or
 * a pair in code-word mode) must fail with the matching error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "image_repair.h"
#include "modload.h"
#include "ref_reloc.h"

FUZZ_IMAGE_MUTATOR(0)

#define MAX_ROOM (1u << 20)

static uint32_t rng;

static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Imports: one in 256 unknown; a quarter of the rest high (rv64 range). */
static int import_addr(uint32_t hash, uint64_t *addr)
{
    if ((hash & 0xFFu) == 0x5Au)
        return 0;
    *addr = (hash & 3u) == 3u ? 0xFFFFFFFF80000000ull + (hash >> 8) : 0x08000001u ^ (hash & 0x00FFFFFEu);
    return 1;
}

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    uint64_t a;
    (void)ctx;
    if (name[0])
        FUZZ_ASSERT(modload_hash(name) == hash, "import name and hash disagree");
    if (!import_addr(hash, &a))
        return -1;
    *addr = (modload_addr)a;
    return 0;
}

static int ref_import(void *ctx, const char *name, uint32_t hash, uint64_t *addr)
{
    (void)ctx;
    (void)name;
    return import_addr(hash, addr);
}

static const char *const ref_names[] = {"ok", "malformed", "unknown kind", "unresolved", "bad insn",
                                        "range", "xip site", "words pair"};

/* The modload error a reference result must give. */
static int expected_err(int ref)
{
    switch (ref) {
    case REF_OK: return MODLOAD_OK;
    case REF_UNRESOLVED: return MODLOAD_ERR_UNRESOLVED;
    case REF_BAD_INSN: return MODLOAD_ERR_FIXUP;
    case REF_RANGE: return MODLOAD_ERR_FIXUP_RANGE;
    default: return MODLOAD_ERR_PLACEMENT; /* XIP_SITE, WORDS_PAIR */
    }
}

typedef struct image {
    const uint8_t *bytes;  /* the copy in use */
    size_t len;
    modload_image img;
} image;

/* The reference relocation for a placement; its result. */
static int reference(const image *im, ref_reloc *r, uint64_t code_run, uint64_t data_run, int xip, int words)
{
    int rc;
    memset(r, 0, sizeof *r);
    FUZZ_ASSERT(ref_init(r, im->bytes, im->len), "reference: header");
    r->code_run = code_run;
    r->data_run = data_run;
    r->xip = xip;
    r->code_words = words;
    r->import = ref_import;
    rc = ref_apply(r, im->bytes, im->len);
    FUZZ_ASSERT(rc != REF_MALFORMED, "modload_check accepts a fixup stream the reference finds malformed");
    return rc;
}

/* Compare a finished load with the reference. code: where the code was
 * written (NULL in place), pad: bytes after the code that must be zero. */
static void compare(const image *im, int rc, int ref, const ref_reloc *r, const uint8_t *code, uint32_t pad,
                    const uint8_t *data, const char *mode)
{
    const modload_image *img = &im->img;
    uint32_t i;
    if (ref == REF_UNKNOWN_KIND)
        return;
    FUZZ_ASSERT(rc == expected_err(ref), "%s: modload %d (%s), the reference says %s", mode, rc,
                modload_strerror(rc), ref_names[ref]);
    if (rc != MODLOAD_OK)
        return;
    if (code) {
        for (i = 0; i < img->code_size; i++)
            FUZZ_ASSERT(code[i] == r->code[i], "%s: code byte 0x%x is 0x%02x, the reference 0x%02x", mode, i,
                        code[i], r->code[i]);
        for (i = 0; i < pad; i++)
            FUZZ_ASSERT(code[img->code_size + i] == 0, "%s: padding byte 0x%x not zero", mode, img->code_size + i);
    }
    for (i = 0; i < img->data_size; i++)
        FUZZ_ASSERT(data[i] == r->data[i], "%s: data byte 0x%x is 0x%02x, the reference 0x%02x", mode, i, data[i],
                    r->data[i]);
    for (i = 0; i < img->bss_size; i++)
        FUZZ_ASSERT(data[img->data_size + i] == 0, "%s: bss byte 0x%x not zero", mode, i);
}

static int load(const image *im, const modload_place *pl, modload_module *mod)
{
    modload_env env = {NULL, 0, resolve, NULL, NULL, NULL, NULL};
    int rc = modload_load(&im->img, pl, &env, mod);
    FUZZ_ASSERT(rc >= 0 && rc < MODLOAD_ERR_COUNT, "modload_load returned %d", rc);
    return rc;
}

/* A run address aligned to align, apart from any write address. */
static modload_addr run_at(uint32_t align, uint32_t size)
{
    static const modload_addr bases[] = {0x20000000u, 0x80000000u, 0x00001000u, 0x7FFFF000u};
    modload_addr a = bases[rnd() % 4];
    if (rnd() % 4 == 0) /* the top of 32-bit space: fixups wrap */
        a = (0x100000000ull - size - 0x1000u) & ~(modload_addr)0xFFFu;
    return a & ~(modload_addr)(align - 1u);
}

static void one_region(const image *im, int front, int words)
{
    const modload_image *img = &im->img;
    uint32_t rsize = modload_region_size(img), align = modload_region_align(img);
    gmem g;
    modload_place pl;
    modload_module mod;
    ref_reloc r;
    uint8_t *mem = gm_alloc_at(&g, rsize, align < 4 && words ? 4 : align, front);
    modload_addr run = run_at(align, rsize);
    int rc, ref;

    FUZZ_ASSERT(modload_place_region(img, mem, rsize, run, &pl) == MODLOAD_OK, "place_region");
    if (words)
        pl.flags = MODLOAD_CODE_WORDS;
    rc = load(im, &pl, &mod);
    FUZZ_ASSERT(gm_intact(&g), "one region%s: written outside (rc %d)", words ? ", code words" : "", rc);
    if (words && img->data_offset < ((img->code_size + 3u) & ~3u)) {
        FUZZ_ASSERT(rc == MODLOAD_ERR_SPACE, "code words without room for the last word: %d", rc);
        FUZZ_ASSERT(gm_untouched(&g), "code words: refused, but wrote");
    } else {
        ref = reference(im, &r, run, run + img->data_offset, 0, words);
        compare(im, rc, ref, &r, mem, img->data_offset - img->code_size, mem + img->data_offset,
                words ? "one region, code words" : "one region");
        ref_free(&r);
    }
    gm_free(&g);

    /* One byte short: refused before anything is written. */
    if (rsize && !words) {
        mem = gm_alloc_at(&g, rsize - 1, align, !front);
        FUZZ_ASSERT(modload_place_region(img, mem, rsize - 1, run, &pl) == MODLOAD_ERR_SPACE, "room - 1");
        pl.code_write = mem;
        pl.code_run = run;
        pl.code_room = img->data_offset;
        pl.data_write = mem + img->data_offset;
        pl.data_run = run + img->data_offset;
        pl.data_room = img->data_size + img->bss_size - 1u;
        if (img->data_size + img->bss_size) {
            FUZZ_ASSERT(load(im, &pl, &mod) == MODLOAD_ERR_SPACE, "one region, data room - 1");
            FUZZ_ASSERT(gm_untouched(&g), "one region, data room - 1: wrote");
        }
        gm_free(&g);
    }
}

static void split(const image *im, int front, int words)
{
    const modload_image *img = &im->img;
    uint32_t dsize = img->data_size + img->bss_size, csize = words ? (img->code_size + 3u) & ~3u : img->code_size;
    uint32_t short_by;
    gmem gc, gd;
    modload_place pl;
    modload_module mod;
    ref_reloc r;
    int rc, ref, allowed = (img->flags & MODP_F_SPLIT) != 0;

    for (short_by = 0; short_by < 3; short_by++) {
        /* 0: exact room; 1: code one byte short; 2: data one byte short */
        uint32_t cr = csize - (short_by == 1 && csize), dr = dsize - (short_by == 2 && dsize);
        if ((short_by == 1 && !csize) || (short_by == 2 && !dsize))
            continue;
        memset(&pl, 0, sizeof pl);
        pl.code_write = gm_alloc_at(&gc, cr, img->code_align < 4 && words ? 4 : img->code_align, front);
        pl.code_room = cr;
        pl.code_run = run_at(img->code_align, csize);
        pl.data_write = gm_alloc_at(&gd, dr, img->data_align, !front);
        pl.data_room = dr;
        pl.data_run = 0x40000000u + (rnd() % 256) * 0x1000u;
        if (pl.data_run - pl.code_run == img->data_offset)
            pl.data_run += 0x1000u;
        pl.flags = words ? MODLOAD_CODE_WORDS : 0;
        rc = load(im, &pl, &mod);
        FUZZ_ASSERT(gm_intact(&gc) && gm_intact(&gd), "split: written outside (rc %d)", rc);
        if (short_by || !allowed) {
            FUZZ_ASSERT(rc == (short_by ? MODLOAD_ERR_SPACE : MODLOAD_ERR_PLACEMENT),
                        "split %s: %d", short_by ? "one byte short" : "without SPLIT", rc);
            FUZZ_ASSERT(gm_untouched(&gc) && gm_untouched(&gd), "split refused (%d), but wrote", rc);
        } else {
            ref = reference(im, &r, pl.code_run, pl.data_run, 0, words);
            compare(im, rc, ref, &r, pl.code_write, words ? csize - img->code_size : 0, pl.data_write,
                    words ? "split, code words" : "split");
            ref_free(&r);
        }
        gm_free(&gc);
        gm_free(&gd);
        if (!allowed)
            return;
    }
}

static void in_place(const image *im, int front)
{
    const modload_image *img = &im->img;
    uint32_t dsize = img->data_size + img->bss_size;
    gmem gd;
    modload_place pl;
    modload_module mod;
    ref_reloc r;
    int rc, ref;

    memset(&pl, 0, sizeof pl);
    pl.code_run = run_at(img->code_align, img->code_size);
    pl.data_write = gm_alloc_at(&gd, dsize, img->data_align, front);
    pl.data_room = dsize;
    pl.data_run = pl.code_run + img->data_offset;
    rc = load(im, &pl, &mod);
    FUZZ_ASSERT(gm_intact(&gd), "in place: written outside (rc %d)", rc);
    if (!(img->flags & MODP_F_XIP)) {
        FUZZ_ASSERT(rc == MODLOAD_ERR_PLACEMENT, "in place without XIP: %d", rc);
        FUZZ_ASSERT(gm_untouched(&gd), "in place refused, but wrote");
    } else {
        ref = reference(im, &r, pl.code_run, pl.data_run, 1, 0);
        compare(im, rc, ref, &r, NULL, 0, pl.data_write, "in place");
        ref_free(&r);
    }
    gm_free(&gd);
}

/* ---- streaming ---------------------------------------------------------- */

typedef struct feed {
    const uint8_t *p;
    size_t left;
    uint32_t chunk;
} feed;

static int feed_read(void *ctx, uint8_t *buf, uint32_t len)
{
    feed *f = ctx;
    size_t n = f->chunk < len ? f->chunk : len;
    FUZZ_ASSERT(len > 0, "read of 0 bytes");
    if (n > f->left)
        n = f->left;
    memcpy(buf, f->p, n);
    f->p += n;
    f->left -= n;
    return (int)n;
}

static void streamed(const image *im, uint32_t chunk, int front)
{
    static modload_stream st;
    const modload_image *img = &im->img;
    modload_env env = {NULL, 0, resolve, NULL, NULL, NULL, NULL};
    modload_image simg;
    modload_place pl;
    modload_module mod;
    ref_reloc r;
    gmem g, gs;
    feed f = {im->bytes, im->len, chunk};
    uint32_t rsize = modload_region_size(img), align = modload_region_align(img);
    uint32_t ssize = modload_symtab_size(img);
    modload_addr run = run_at(align, rsize);
    uint8_t *mem;
    int rc, ref;
    char mode[32];

    rc = modload_stream_begin(&st, feed_read, &f, &simg);
    FUZZ_ASSERT(rc == MODLOAD_OK, "stream_begin refused a checked image (%d), chunk %u", rc, chunk);
    FUZZ_ASSERT(modload_region_size(&simg) == rsize && simg.code_size == img->code_size, "stream header");
    mem = gm_alloc_at(&g, rsize, align, front);
    FUZZ_ASSERT(modload_place_region(&simg, mem, rsize, run, &pl) == MODLOAD_OK, "place");
    pl.symtab_write = gm_alloc_at(&gs, ssize, 1, !front);
    pl.symtab_room = ssize;
    rc = modload_stream_load(&st, &simg, &pl, &env, &mod);
    FUZZ_ASSERT(rc >= 0 && rc < MODLOAD_ERR_COUNT, "stream_load returned %d", rc);
    FUZZ_ASSERT(gm_intact(&g) && gm_intact(&gs), "stream, chunk %u: written outside (rc %d)", chunk, rc);
    snprintf(mode, sizeof mode, "stream, chunk %u", chunk);
    ref = reference(im, &r, run, run + img->data_offset, 0, 0);
    compare(im, rc, ref, &r, mem, img->data_offset - img->code_size, mem + img->data_offset, mode);
    if (rc == MODLOAD_OK)
        FUZZ_ASSERT(memcmp(pl.symtab_write, img->exports, ssize) == 0, "%s: symbol table copy", mode);
    ref_free(&r);
    gm_free(&g);
    gm_free(&gs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    modload_image img;
    gmem back, front;
    image im[2];
    uint32_t c, k;
    static const uint32_t big[] = {13, 32, 33, 600, 1u << 20};

    if (modload_check(data, size, &img) != MODLOAD_OK)
        return 0;
    /* ref_reloc.c reads stored segments as they are: compressed images are
     * left to fuzz_inflate.c (the inflater against zlib) and to the modload
     * and stream harnesses (writes stay in the memory given; stream and
     * buffer loads agree) */
    if (img.flags & MODP_F_COMPRESSED)
        return 0;
    if (modload_region_size(&img) > MAX_ROOM || modload_symtab_size(&img) > MAX_ROOM)
        return 0;
    rng = img.crc;

    /* Two read-only copies of the image alone: against the guard page after
     * it, and right after the guard page before it. */
    for (k = 0; k < 2; k++) {
        gmem *g = k ? &front : &back;
        uint8_t *copy = gm_alloc_at(g, img.size, 1, (int)k);
        memcpy(copy, data, img.size);
        gm_readonly(g);
        im[k].bytes = copy;
        im[k].len = img.size;
        FUZZ_ASSERT(modload_check(copy, img.size, &im[k].img) == MODLOAD_OK, "exact-size copy %u", k);
    }

    for (k = 0; k < 2; k++) {
        one_region(&im[k], (int)k, 0);
        one_region(&im[k], (int)!k, 1);
        split(&im[k], (int)k, (int)(rnd() % 2));
        in_place(&im[k], (int)!k);
    }
    for (c = 1; c <= 8; c++)
        streamed(&im[c & 1], c, (int)(c >> 1 & 1));
    streamed(&im[rnd() % 2], big[rnd() % 5], (int)(rnd() % 2));

    gm_free(&back);
    gm_free(&front);
    return 0;
}
