/* test_modload.c - modload's decoder and loader on hand-assembled images.
 *
 * Images here are assembled byte by byte from formats/image-format.md, not
 * by modpack, so that a bug shared by the encoder and decoder cannot hide.
 * Built twice: against the full profile (unit.modload) and the minimal one
 * (unit.modload.minimal: the tests of what it keeps, and its refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modload.h"

/* ---- an image assembler ------------------------------------------------ */

typedef struct part {
    const uint8_t *bytes;
    uint32_t size;
} part;

typedef struct spec {
    uint16_t flags, arch;
    uint32_t bss, data_offset, entry, exit;
    uint8_t code_align, data_align;
    part code, data, fixups, exports, strtab, meta;
    uint32_t nfixups, nimports, nexports;
} spec;

static uint8_t image[4096];

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void recrc(uint32_t size)
{
    put32(image + size - 4, modload_crc32(0, image, size - 4));
}

static uint32_t build(const spec *s)
{
    uint32_t n = 72;
    const part *parts[] = {&s->code, &s->data, &s->fixups, &s->exports, &s->strtab, &s->meta};
    size_t i;

    memset(image, 0, sizeof image);
    memcpy(image, "MODP", 4);
    image[4] = 1;
    image[5] = 0;
    put16(image + 6, 72);
    put16(image + 8, s->arch ? s->arch : MODP_ARCH_ARM);
    put16(image + 10, s->flags);
    for (i = 0; i < 6; i++) {
        if (parts[i]->size)
            memcpy(image + n, parts[i]->bytes, parts[i]->size);
        n += parts[i]->size;
    }
    n += 4;
    put32(image + 16, n);
    put32(image + 20, s->code.size);
    put32(image + 24, s->data.size);
    put32(image + 28, s->bss);
    put32(image + 32, s->data_offset ? s->data_offset : (s->code.size + 7u) & ~7u);
    image[36] = s->code_align ? s->code_align : 2; /* 0: 4 bytes, what every ISA's code allows */
    image[37] = s->data_align;
    put32(image + 40, s->entry);
    put32(image + 44, s->exit);
    put32(image + 48, s->fixups.size);
    put32(image + 52, s->nfixups);
    put32(image + 56, s->nimports);
    put32(image + 60, s->nexports);
    put32(image + 64, s->strtab.size);
    put32(image + 68, s->meta.size);
    recrc(n);
    return n;
}

#define PART(a) {a, sizeof a}
/* The first byte of a block: group count and target (format section 5). */
#define BLOCK(target, ngroups) ((ngroups) << 2 | (target))

/* A module with code, data and bss; WORD32 fixups into both segments from
 * both segments (a gap, a run, units of 4 and 8), one import and two
 * exports. Sites hold offsets (addends) as modpack leaves them. */
static const uint8_t code1[16] = {
    0x00, 0xBF, 0x00, 0xBF,  /* nop nop */
    0x08, 0x00, 0x00, 0x00,  /* code+4:  -> code + 8 */
    0x04, 0x00, 0x00, 0x00,  /* code+8:  -> data + 4 */
    0x02, 0x00, 0x00, 0x00,  /* code+12: -> fw_get + 2 */
};
static const uint8_t data1[12] = {
    0x01, 0x00, 0x00, 0x00,  /* data+0: -> code + 1 (a Thumb pointer) */
    0x05, 0x00, 0x00, 0x00,  /* data+4: -> code + 5 */
    0x10, 0x00, 0x00, 0x00,  /* data+8: -> data + 16 (in bss) */
};
static uint8_t fix1[] = {
    BLOCK(MODP_TGT_CODE, 2),
    MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_CODE, 2), 1, 1 << 1,        /* gap 1 word: code+4 */
    MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_DATA, 2), 1, (1 << 1) | 1,  /* run of 2: data+0, +4 */
    BLOCK(MODP_TGT_DATA, 2),
    MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_CODE, 2), 1, 2 << 1,        /* code+8 */
    MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_DATA, 3), 1, 1 << 1,        /* gap 1 of 8: data+8 */
    BLOCK(MODP_TGT_IMPORT, 1), 6, 'f', 'w', '_', 'g', 'e', 't', 0,
    MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_CODE, 2), 1, 3 << 1,        /* code+12 */
};
static uint8_t exp1[24];
static const uint8_t str1[] = "tick\0counter";
static const uint8_t meta1[] = {MODP_META_NAME, 5, 0, 'd', 'e', 'm', 'o', 0,
                                MODP_META_BUILD_ID, 2, 0, 0xAB, 0xCD};

static void export_entry(uint8_t *e, const char *name, uint32_t value, uint16_t stroff,
                         uint8_t seg, uint8_t type)
{
    put32(e, modload_hash(name));
    put32(e + 4, value);
    put16(e + 8, stroff);
    e[10] = seg;
    e[11] = type;
}

static spec spec1(void)
{
    spec s;
    uint8_t *tick = exp1, *counter = exp1 + 12;

    if (modload_hash("tick") > modload_hash("counter"))
        tick = exp1 + 12, counter = exp1;
    export_entry(tick, "tick", 1, 0, MODP_SEG_CODE, MODP_SYM_FUNC);
    export_entry(counter, "counter", 16, 5, MODP_SEG_DATA, MODP_SYM_OBJECT);

    memset(&s, 0, sizeof s);
    s.flags = MODP_F_SPLIT;
    s.code = (part)PART(code1);
    s.data = (part)PART(data1);
    s.bss = 8;
    s.code_align = 2;
    s.data_align = 3;
    s.entry = 1;
    s.exit = MODP_NONE;
    s.fixups = (part)PART(fix1);
    s.nfixups = 6;
    s.nimports = 1;
    s.exports = (part)PART(exp1);
    s.nexports = 2;
    s.strtab = (part){str1, sizeof str1};
    s.meta = (part)PART(meta1);
    return s;
}

static int resolve_fw(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    if (strcmp(name, "fw_get") != 0 || hash != modload_hash("fw_get"))
        return -1;
    *addr = 0x08001000u;
    return 0;
}

static const modload_env env1 = {NULL, 0, resolve_fw, NULL, NULL, NULL, NULL};

#define GUARD 64
static uint8_t arena[GUARD + 256 + GUARD];

static void guards_intact(uint32_t used)
{
    uint32_t i;
    for (i = 0; i < GUARD; i++)
        assert_int_equal(arena[i], 0xEE);
    for (i = GUARD + used; i < sizeof arena; i++)
        assert_int_equal(arena[i], 0xEE);
}

static void test_check_fields(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    (void)state;

    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(img.size, n);
    assert_int_equal(img.code_size, 16);
    assert_int_equal(img.data_size, 12);
    assert_int_equal(img.bss_size, 8);
    assert_int_equal(img.data_offset, 16);
    assert_int_equal(img.code_align, 4);
    assert_int_equal(img.data_align, 8);
    assert_int_equal(img.nfixups, 6);
    assert_int_equal(modload_region_size(&img), 36);
    assert_int_equal(modload_region_align(&img), 8);
    assert_int_equal(modload_symtab_size(&img), 24 + sizeof str1);
    /* A longer buffer is fine: bytes after image_size are not the image. */
    assert_int_equal(modload_check(image, n + 100, &img), MODLOAD_OK);
}

/* REL32 (i386, format 1.1): the rel32 of a call to an import gets the
 * import's address minus the field's run address; other ISAs refuse it. */
static void test_rel32(void **state)
{
    static const uint8_t code[8] = {0xE8, 0xFC, 0xFF, 0xFF, 0xFF, 0xC3, 0x90, 0x90}; /* call (A = -4); ret */
    static const uint8_t fx[] = {BLOCK(MODP_TGT_IMPORT, 1), 6, 'f', 'w', '_', 'g', 'e', 't', 0,
                                 MODP_G_HEAD(MODP_FIX_REL32, MODP_SEG_CODE, 0), 1, 1 << 1}; /* code+1 */
    const modload_addr run = 0x00401000u;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t *mem = arena + GUARD;
    spec s;
    uint32_t n;
    (void)state;

    memset(&s, 0, sizeof s);
    s.arch = MODP_ARCH_386;
    s.code = (part)PART(code);
    s.fixups = (part)PART(fx);
    s.nfixups = 1;
    s.nimports = 1;
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 8, run, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    guards_intact(8);
    assert_int_equal(get32(mem + 1), 0x08001000u - 4u - (uint32_t)(run + 1)); /* call fw_get */
    assert_int_equal(mem[5], 0xC3);
    s.arch = MODP_ARCH_ARM;
    s.code_align = 2;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_FIXUP_KIND);
}

static void test_load_one_region(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    const modload_addr run = 0x20000100u;
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_addr a;
    uint8_t *mem = arena + GUARD;
    (void)state;

    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, run, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    guards_intact(36);

    assert_int_equal(get32(mem + 4), run + 8);
    assert_int_equal(get32(mem + 8), run + 16 + 4);
    assert_int_equal(get32(mem + 12), 0x08001000u + 2);
    assert_int_equal(get32(mem + 16), run + 1);
    assert_int_equal(get32(mem + 20), run + 5);
    assert_int_equal(get32(mem + 24), run + 16 + 16);
    assert_int_equal(get32(mem + 28), 0); /* bss zeroed */
    assert_int_equal(get32(mem + 32), 0);
    assert_int_equal(modload_entry(&mod), run + 1);
    assert_int_equal(modload_exit(&mod), 0);

    assert_int_equal(modload_find(&mod, "tick", &a), MODLOAD_OK);
    assert_int_equal(a, run + 1);
    assert_int_equal(modload_find(&mod, "counter", &a), MODLOAD_OK);
    assert_int_equal(a, run + 16 + 16);
    assert_int_equal(modload_find(&mod, "nope", &a), MODLOAD_ERR_NOT_FOUND);
}

static void test_load_split_and_symtab_copy(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_addr a;
    uint8_t code[16], data[20], symtab[64];
    (void)state;

    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    memset(&pl, 0, sizeof pl);
    pl.code_write = code;
    pl.code_run = 0x40000000u;
    pl.code_room = sizeof code;
    pl.data_write = data;
    pl.data_run = 0x3FFB0000u;
    pl.data_room = sizeof data;
    pl.symtab_write = symtab;
    pl.symtab_room = sizeof symtab;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    assert_int_equal(get32(code + 8), 0x3FFB0004u);
    assert_int_equal(get32(data + 0), 0x40000001u);
    assert_int_equal(get32(data + 8), 0x3FFB0010u);

    /* Symbols come from the copy once the image is gone. */
    memset(image, 0, sizeof image);
    assert_int_equal(modload_find(&mod, "counter", &a), MODLOAD_OK);
    assert_int_equal(a, 0x3FFB0010u);
}

/* The cache hook: called once, with the code's run address and size,
 * after a load that succeeded; never after one that failed. */
static uint32_t sync_calls;
static modload_addr sync_run;
static uint32_t sync_len;

static void count_sync(void *ctx, modload_addr run, uint32_t len)
{
    (void)ctx;
    sync_calls++;
    sync_run = run;
    sync_len = len;
}

static void test_sync_and_arguments(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_env env = env1, unbound = env1;
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_export ex;
    uint8_t *mem = arena + GUARD;
    (void)state;

    env.sync_code = count_sync;
    unbound.sync_code = count_sync;
    unbound.resolve = NULL; /* fw_get stays unresolved */
    sync_calls = 0;
    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_open(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x20000100u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &unbound, &mod), MODLOAD_ERR_UNRESOLVED);
    assert_int_equal(sync_calls, 0);
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_OK);
    assert_int_equal(sync_calls, 1);
    assert_int_equal(sync_run, 0x20000100u);
    assert_int_equal(sync_len, sizeof code1);
    guards_intact(36);

    /* NULL where something is needed, and an export past the table */
    assert_int_equal(modload_check(NULL, n, &img), MODLOAD_ERR_ARG);
    assert_int_equal(modload_open(image, n, NULL), MODLOAD_ERR_ARG);
    assert_int_equal(modload_open(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_export_at(&img, img.nexports, &ex), MODLOAD_ERR_ARG);
    assert_int_equal(modload_place_region(NULL, mem, 36, 0, &pl), MODLOAD_ERR_ARG);
    assert_int_equal(modload_place_region(&img, NULL, 36, 0, &pl), MODLOAD_ERR_ARG);
    assert_int_equal(modload_place_region(&img, mem, 36, 0, NULL), MODLOAD_ERR_ARG);
    assert_int_equal(modload_load(NULL, &pl, &env, &mod), MODLOAD_ERR_ARG);
    assert_int_equal(modload_load(&img, NULL, &env, &mod), MODLOAD_ERR_ARG);
    assert_int_equal(modload_load(&img, &pl, &env, NULL), MODLOAD_ERR_ARG);
    assert_int_equal(sync_calls, 1);
}

static void test_placement_errors(void **state)
{
    spec s = spec1();
    uint32_t n;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t mem[64];
    (void)state;

    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 35, 0x1000, &pl), MODLOAD_ERR_SPACE);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1004, &pl), MODLOAD_ERR_ALIGN);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1000, &pl), MODLOAD_OK);
    pl.data_room = 19;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_SPACE);
    pl.data_room = 20;
    pl.data_run += 8; /* apart from code: a split */
    pl.symtab_write = mem;
    pl.symtab_room = 3;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_SPACE);
    pl.symtab_write = NULL;
    pl.code_write = NULL; /* execute in place: not allowed, code has fixups */
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_PLACEMENT);

    /* Without the SPLIT capability a split is refused. */
    s.flags = 0;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1000, &pl), MODLOAD_OK);
    pl.data_run += 8;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_PLACEMENT);
    /* A run address misaligned for data. */
    pl.data_run -= 4;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_ALIGN);
}

/* MODLOAD_CODE_WORDS: the same bytes as a byte-wise load, with the code
 * area's room and alignment checked, and pairs refused. */
static void test_code_words(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t want[36];
    uint32_t words[10];
    (void)state;

    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, want, 36, 0x3FFE0000u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);

    memset(words, 0xEE, sizeof words);
    assert_int_equal(modload_place_region(&img, words, 36, 0x3FFE0000u, &pl), MODLOAD_OK);
    pl.flags = MODLOAD_CODE_WORDS;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    assert_memory_equal(words, want, 36);
    assert_int_equal(words[9], 0xEEEEEEEEu);

    pl.code_write = (uint8_t *)words + 2;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_ALIGN);
    pl.code_write = words;
    pl.code_room = 15;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_SPACE);
}

/* XIP: an image whose code has no fixups runs from its own bytes; the XIP
 * flag alone is not trusted, a code fixup is still refused. */
static void test_xip(void **state)
{
    static const uint8_t fix[] = {BLOCK(MODP_TGT_CODE, 1), MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_DATA, 2), 1, 1};
    static const uint8_t code[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t data[8] = {4, 0, 0, 0, 0, 0, 0, 0};
    spec s;
    uint32_t n;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t dmem[8];
    (void)state;

    memset(&s, 0, sizeof s);
    s.flags = MODP_F_XIP | MODP_F_SPLIT;
    s.code = (part)PART(code);
    s.data = (part)PART(data);
    s.fixups = (part)PART(fix);
    s.nfixups = 1;
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    memset(&pl, 0, sizeof pl);
    pl.code_run = 0x08010000u;
    pl.data_write = dmem;
    pl.data_run = 0x20000000u;
    pl.data_room = sizeof dmem;
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
    assert_int_equal(get32(dmem), 0x08010004u);

    s.flags = MODP_F_XIP | MODP_F_SPLIT;
    image[72 + 8 + 8 + 1] = MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_CODE, 2);
    recrc(n);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_ERR_PLACEMENT);
}

static void test_imports(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t mem[36];
    modload_symbol syms[3];
    modload_env env;
    (void)state;

    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1000, &pl), MODLOAD_OK);

    /* Nothing to bind with. */
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_ERR_UNRESOLVED);

    /* A sorted firmware table. */
    syms[0] = (modload_symbol){modload_hash("fw_get"), "fw_get", 0x5000};
    syms[1] = (modload_symbol){modload_hash("fw_put"), "fw_put", 0x6000};
    if (syms[0].hash > syms[1].hash) {
        modload_symbol t = syms[0];
        syms[0] = syms[1];
        syms[1] = t;
    }
    memset(&env, 0, sizeof env);
    env.syms = syms;
    env.nsyms = 2;
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 12), 0x5002u);

    /* A table entry with the right hash and another name never binds. */
    syms[0] = (modload_symbol){modload_hash("fw_get"), "fw_gex", 0x7000};
    env.nsyms = 1;
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_ERR_UNRESOLVED);
    /* The firmware learns which import it lacks. */
    assert_int_equal(mod.unresolved.index, 0);
    assert_string_equal(mod.unresolved.name, "fw_get");
    assert_int_equal(mod.unresolved.hash, modload_hash("fw_get"));
    assert_int_equal(modload_lookup(syms, 1, "fw_get", modload_hash("fw_get"), &(modload_addr){0}),
                     MODLOAD_ERR_NOT_FOUND);
    /* Two entries with one hash: the name decides. */
    syms[1] = (modload_symbol){modload_hash("fw_get"), "fw_get", 0x8000};
    env.nsyms = 2;
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 12), 0x8002u);
    /* ... and a stripped name binds only an unambiguous hash. */
    {
        modload_addr a = 0;
        assert_int_equal(modload_lookup(syms, 2, "", modload_hash("fw_get"), &a), MODLOAD_ERR_NOT_FOUND);
        assert_int_equal(modload_lookup(syms + 1, 1, "", modload_hash("fw_get"), &a), MODLOAD_OK);
        assert_int_equal(a, 0x8000u);
    }
}

/* A weak import (target 3) binds like any other, and to 0 when neither the
 * table nor the callback has it (the addend stays). */
static void test_weak_import(void **state)
{
    static uint8_t fix[sizeof fix1];
    spec s = spec1();
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t mem[36];
    uint32_t n;
    (void)state;

    memcpy(fix, fix1, sizeof fix);
    assert_int_equal(fix[14], BLOCK(MODP_TGT_IMPORT, 1));
    fix[14] = BLOCK(MODP_TGT_WEAK, 1);
    s.fixups = (part)PART(fix);
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1000, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 12), 0x08001002u);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 12), 2u);
}

/* spec1 with an init record: constructors at data+0 and data+4, a
 * destructor at data+8. */
static spec spec_init(void)
{
    static uint8_t meta[sizeof meta1 + 3 + MODP_META_INIT_SIZE];
    spec s = spec1();

    memcpy(meta, meta1, sizeof meta1);
    meta[sizeof meta1] = MODP_META_INIT;
    put16(meta + sizeof meta1 + 1, MODP_META_INIT_SIZE);
    put32(meta + sizeof meta1 + 3 + MODP_INIT_OFFSET, 0);
    put32(meta + sizeof meta1 + 3 + MODP_INIT_COUNT, 2);
    put32(meta + sizeof meta1 + 3 + MODP_FINI_OFFSET, 8);
    put32(meta + sizeof meta1 + 3 + MODP_FINI_COUNT, 1);
    s.meta = (part)PART(meta);
    s.flags |= MODP_F_INIT;
    return s;
}

static unsigned calls[4], ncalls;
static void ctor_a(void) { calls[ncalls++] = 1; }
static void ctor_b(void) { calls[ncalls++] = 2; }

/* The init record: the lists found in the data segment (checked by the
 * catalogue's cases for bad ones), run in order and in reverse; the
 * minimal profile refuses the image before writing. */
static void test_init_lists(void **state)
{
    static void (*const fns[2])(void) = {ctor_a, ctor_b};
    spec s = spec_init();
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t mem[36];
    uint32_t n;
    (void)state;

    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x1000, &pl), MODLOAD_OK);
    memset(mem, 0xEE, sizeof mem);
    if (!MODLOAD_WITH_INIT) {
        assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_PROFILE);
        assert_int_equal(mem[0], 0xEE);
        return;
    }
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    assert_int_equal(mod.init_array, 0x1000u + img.data_offset);
    assert_int_equal(mod.ninit, 2);
    assert_int_equal(mod.fini_array, 0x1000u + img.data_offset + 8u);
    assert_int_equal(mod.nfini, 1);

    /* Calls through the lists, here a host array of two functions. */
    mod.init_array = (modload_addr)(uintptr_t)fns;
    mod.fini_array = (modload_addr)(uintptr_t)fns;
    mod.nfini = 2;
    modload_run_init(&mod);
    modload_run_fini(&mod);
    assert_int_equal(ncalls, 4);
    assert_int_equal(calls[0], 1);
    assert_int_equal(calls[1], 2);
    assert_int_equal(calls[2], 2);
    assert_int_equal(calls[3], 1);
}

/* A stripped image: the import carries only its hash, exports have no
 * names; binding and lookup go by hash. */
static void test_stripped(void **state)
{
    static const uint8_t code[8] = {0};
    uint8_t fix[] = {BLOCK(MODP_TGT_IMPORT, 1), 0, 0, 0, 0, 0,
                     MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_CODE, 2), 1, 1 << 1};
    uint8_t exp[12];
    spec s;
    uint32_t n;
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_addr a;
    modload_symbol sym = {0, "fw_get", 0x9000};
    modload_env env = {&sym, 1, NULL, NULL, NULL, NULL, NULL};
    uint8_t mem[8];
    (void)state;

    put32(fix + 2, modload_hash("fw_get"));
    sym.hash = modload_hash("fw_get");
    export_entry(exp, "tick", 0, MODP_NO_NAME, MODP_SEG_CODE, MODP_SYM_FUNC);
    memset(&s, 0, sizeof s);
    s.flags = MODP_F_STRIPPED;
    s.code = (part)PART(code);
    s.fixups = (part){fix, sizeof fix};
    s.nfixups = 1;
    s.nimports = 1;
    s.exports = (part)PART(exp);
    s.nexports = 1;
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 8, 0x100, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 4), 0x9000u);
    assert_int_equal(modload_find(&mod, "tick", &a), MODLOAD_OK);
    assert_int_equal(a, 0x100u);

    /* A stripped image with a string table, even one unused. */
    {
        static const uint8_t names[] = "tick";
        s.strtab = (part)PART(names);
        n = build(&s);
        assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_EXPORT);
        s.strtab = (part){0, 0};
    }
    /* A stripped import in an image that is not flagged stripped (and has
     * no export, whose missing name the exports' check would find first). */
    s.flags = 0;
    s.exports = (part){0, 0};
    s.nexports = 0;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_IMPORT);
    /* A hash cut short by the end of the stream. */
    s.flags = MODP_F_STRIPPED;
    s.fixups.size = 4;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_IMPORT);
}

/* MOVW/MOVT pairs: encodings from arm-none-eabi-as. The addend 0x1234FFFF
 * plus 0x00010001 carries into the high half: 0x12360000. */
static void test_movw_movt(void **state)
{
    static const uint8_t thumb[12] = {0x4F, 0xF6, 0xFF, 0x70,  /* movw r0, #0xffff */
                                      0x00, 0xBF, 0x00, 0xBF,  /* nop; nop */
                                      0xC1, 0xF2, 0x34, 0x20}; /* movt r0, #0x1234 */
    static const uint8_t thumb_done[12] = {0x40, 0xF2, 0x03, 0x00, 0x00, 0xBF, 0x00, 0xBF,
                                           0xC1, 0xF2, 0x36, 0x20};
    static const uint8_t arm[8] = {0xFF, 0x1F, 0x0F, 0xE3,   /* movt r1, #0x1234 first */
                                   0x34, 0x12, 0x41, 0xE3};
    static const uint8_t arm_done[8] = {0x03, 0x10, 0x00, 0xE3, 0x36, 0x12, 0x41, 0xE3};
    uint8_t fix[] = {BLOCK(MODP_TGT_CODE, 1), MODP_G_HEAD(MODP_FIX_THM_MOVW_MOVT, MODP_SEG_CODE, 1), 1, 0, 4};
    spec s;
    uint32_t n;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint32_t memw[4]; /* word-aligned: the CODE_WORDS case must fail on the pair, not on alignment */
    uint8_t *mem = (uint8_t *)memw;
    (void)state;

    memset(&s, 0, sizeof s);
    s.code = (part)PART(thumb);
    s.fixups = (part){fix, sizeof fix};
    s.nfixups = 1;
    s.entry = s.exit = MODP_NONE;
    s.data_offset = 16;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    /* run 0x00010004: 0xFFFF + 0x10004 carries into the MOVT (0x1236:0x0003) */
    assert_int_equal(modload_place_region(&img, mem, 16, 0x00010004u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
    assert_memory_equal(mem, thumb_done, 12);
    pl.flags = MODLOAD_CODE_WORDS; /* two sites: not with word stores (minimal: none) */
    assert_int_equal(modload_load(&img, &pl, NULL, &mod),
                     MODLOAD_WITH_CODE_WORDS ? MODLOAD_ERR_PLACEMENT : MODLOAD_ERR_PROFILE);

    /* The pair kind refuses instructions that are not MOVW then MOVT. */
    fix[3] = 2; /* first site now at the nops, second still the MOVT */
    fix[4] = 2;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 16, 0x00010004u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_ERR_FIXUP);

    /* ARM state, second site given by a delta of one word. */
    fix[1] = MODP_G_HEAD(MODP_FIX_ARM_MOVW_MOVT, MODP_SEG_CODE, 2);
    fix[3] = 0;
    fix[4] = 1;
    s.code = (part)PART(arm);
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 16, 0x00010004u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
    assert_memory_equal(mem, arm_done, 8);

    /* A negative delta: MOVT before MOVW. */
    {
        static const uint8_t swapped[8] = {0x34, 0x12, 0x41, 0xE3, 0xFF, 0x1F, 0x0F, 0xE3};
        static const uint8_t swapped_done[8] = {0x36, 0x12, 0x41, 0xE3, 0x03, 0x10, 0x00, 0xE3};
        fix[3] = 1;    /* gap 1 word */
        fix[4] = 0x7F; /* sleb -1 */
        s.code = (part)PART(swapped);
        n = build(&s);
        assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
        assert_int_equal(modload_place_region(&img, mem, 16, 0x00010004u, &pl), MODLOAD_OK);
        assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
        assert_memory_equal(mem, swapped_done, 8);
    }
}

static void test_word64(void **state)
{
    static const uint8_t code[16] = {0, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t fix[] = {BLOCK(MODP_TGT_CODE, 1), MODP_G_HEAD(MODP_FIX_WORD64, MODP_SEG_CODE, 2), 1, 1 << 1};
    spec s;
    uint32_t n;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t mem[16];
    (void)state;

    memset(&s, 0, sizeof s);
    s.arch = MODP_ARCH_ARM; /* the host build reads every kind */
    s.code = (part)PART(code);
    s.fixups = (part)PART(fix);
    s.nfixups = 1;
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 16, 0x20, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
    /* 0xFFFFFFFFF0 + 0x20 = 0x10000000010: the carry crosses the halves. */
    assert_int_equal(get32(mem + 4), 0x00000010u);
    assert_int_equal(get32(mem + 8), 0x00000100u);
}

static void test_metadata_and_exports(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s), pos = 0, i;
    modload_image img;
    modload_meta m;
    modload_export ex;
    int seen = 0;
    (void)state;

    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_meta_next(&img, &pos, &m), MODLOAD_OK);
    assert_int_equal(m.type, MODP_META_NAME);
    assert_string_equal((const char *)m.bytes, "demo");
    assert_int_equal(modload_meta_next(&img, &pos, &m), MODLOAD_OK);
    assert_int_equal(m.type, MODP_META_BUILD_ID);
    assert_int_equal(m.len, 2);
    assert_int_equal(modload_meta_next(&img, &pos, &m), MODLOAD_ERR_NOT_FOUND);
    for (i = 0; i < img.nexports; i++) {
        assert_int_equal(modload_export_at(&img, i, &ex), MODLOAD_OK);
        if (strcmp(ex.name, "counter") == 0)
            seen |= 1, assert_int_equal(ex.seg, MODP_SEG_DATA), assert_int_equal(ex.value, 16);
        if (strcmp(ex.name, "tick") == 0)
            seen |= 2, assert_int_equal(ex.type, MODP_SYM_FUNC);
    }
    assert_int_equal(seen, 3);
}

/* ---- malformed images: each gives its own error ---------------------- */

typedef void (*mutator)(uint8_t *img, uint32_t n);

static int check_mutated(mutator f, int fix_crc)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;

    f(image, n);
    if (fix_crc)
        recrc(n);
    return modload_check(image, n, &img);
}

static void m_magic(uint8_t *p, uint32_t n) { (void)n; p[0] = 'X'; }
static void m_major(uint8_t *p, uint32_t n) { (void)n; p[4] = 2; }
static void m_arch(uint8_t *p, uint32_t n) { (void)n; put16(p + 8, 8); }
static void m_flags(uint8_t *p, uint32_t n) { (void)n; put16(p + 10, 0x0100); }
static void m_reserved(uint8_t *p, uint32_t n) { (void)n; p[38] = 1; }
static void m_align(uint8_t *p, uint32_t n) { (void)n; p[36] = 13; }
static void m_hsize(uint8_t *p, uint32_t n) { (void)n; put16(p + 6, 76); }
static void m_size_sum(uint8_t *p, uint32_t n) { (void)n; put32(p + 52 - 4, 1 + get32(p + 48)); }
static void m_data_off(uint8_t *p, uint32_t n) { (void)n; put32(p + 32, 8); }
static void m_data_misal(uint8_t *p, uint32_t n) { (void)n; put32(p + 32, 20); }
static void m_region_2g(uint8_t *p, uint32_t n) { (void)n; put32(p + 28, 0x7FFFFFF0u); }
static void m_entry(uint8_t *p, uint32_t n) { (void)n; put32(p + 40, 16); }
static void m_exports_wrap(uint8_t *p, uint32_t n) { (void)n; put32(p + 60, 0x15555556u); }
static void m_crc(uint8_t *p, uint32_t n) { p[n - 1] ^= 1; }
/* fixup stream: offsets from the stream start (72 + 16 + 12 = 100) */
#define FX 100
/* target 3 is a weak import (1.1): its descriptor is missing here, and nimports is 0 */
static void m_target(uint8_t *p, uint32_t n) { (void)n; p[FX] = BLOCK(3, 2); }
static void m_kind(uint8_t *p, uint32_t n) { (void)n; p[FX + 1] = 9; }
static void m_head7(uint8_t *p, uint32_t n) { (void)n; p[FX + 1] |= 0x80; }
static void m_range(uint8_t *p, uint32_t n) { (void)n; p[FX + 3] = 4 << 1; } /* code+16 */
static void m_range_last(uint8_t *p, uint32_t n) { (void)n; p[FX + 1] = MODP_G_HEAD(0, 0, 0); p[FX + 3] = 13 << 1; } /* code+13..16 */
static void m_run(uint8_t *p, uint32_t n) { (void)n; p[FX + 6] = (3 << 1) | 1; } /* 4 words from data+0: the last at 12 */
/* a block's first uleb as a 5-byte LEB128 whose value needs 33 bits */
static void m_leb(uint8_t *p, uint32_t n) { (void)n; memcpy(p + FX, "\x80\x80\x80\x80\x10", 5); }
static void m_count(uint8_t *p, uint32_t n) { (void)n; put32(p + 52, 7); }
static void m_nimports(uint8_t *p, uint32_t n) { (void)n; put32(p + 56, 2); }
static void m_import_nul(uint8_t *p, uint32_t n) { (void)n; p[FX + 22] = 'x'; } /* NUL after fw_get */
static void m_import_len(uint8_t *p, uint32_t n) { (void)n; p[FX + 15] = 3; } /* "fw_" then 'g' */
static void m_import_nonul(uint8_t *p, uint32_t n) { (void)n; p[FX + 15] = 0xFF; } /* runs off the stream */
/* the flag says the exports have no names either: checked first (the
 * catalogue's named_but_stripped has no exports and fails on the import) */
static void m_strip_named(uint8_t *p, uint32_t n) { (void)n; put16(p + 10, MODP_F_SPLIT | MODP_F_STRIPPED); }
#define EX (FX + (uint32_t)sizeof fix1)
static void m_export_seg(uint8_t *p, uint32_t n) { (void)n; p[EX + 10] = 2; p[EX + 22] = 2; }
static void m_export_order(uint8_t *p, uint32_t n)
{
    uint8_t t[12];
    (void)n;
    memcpy(t, p + EX, 12);
    memcpy(p + EX, p + EX + 12, 12);
    memcpy(p + EX + 12, t, 12);
}
static void m_export_name(uint8_t *p, uint32_t n) { (void)n; put16(p + EX + 8, 200); put16(p + EX + 20, 200); }
static void m_export_value(uint8_t *p, uint32_t n) { (void)n; put32(p + EX + 4, 0x1000); put32(p + EX + 16, 0x1000); }
static void m_strtab_nul(uint8_t *p, uint32_t n) { (void)n; p[EX + 24 + 12] = 'x'; }
#define MT (EX + 24 + (uint32_t)sizeof str1)
static void m_meta_len(uint8_t *p, uint32_t n) { (void)n; p[MT + 1] = 200; }
static void m_meta_type0(uint8_t *p, uint32_t n) { (void)n; p[MT] = 0; }
static void m_meta_nul(uint8_t *p, uint32_t n) { (void)n; p[MT + 7] = 'x'; }

static void test_malformed(void **state)
{
    static const struct {
        mutator f;
        int err;
    } cases[] = {
        {m_magic, MODLOAD_ERR_MAGIC},         {m_major, MODLOAD_ERR_VERSION},
        {m_arch, MODLOAD_ERR_ARCH},           {m_flags, MODLOAD_ERR_HEADER},
        {m_reserved, MODLOAD_ERR_HEADER},     {m_align, MODLOAD_ERR_HEADER},
        {m_hsize, MODLOAD_ERR_HEADER},        {m_size_sum, MODLOAD_ERR_HEADER},
        {m_data_off, MODLOAD_ERR_HEADER},     {m_data_misal, MODLOAD_ERR_HEADER},
        {m_region_2g, MODLOAD_ERR_HEADER},    {m_entry, MODLOAD_ERR_HEADER},
        {m_exports_wrap, MODLOAD_ERR_HEADER}, {m_target, MODLOAD_ERR_IMPORT},
        {m_kind, MODLOAD_ERR_FIXUP_KIND},     {m_head7, MODLOAD_ERR_FIXUP},
        {m_range, MODLOAD_ERR_FIXUP_RANGE},   {m_range_last, MODLOAD_ERR_FIXUP_RANGE},
        {m_run, MODLOAD_ERR_FIXUP_RANGE},     {m_leb, MODLOAD_ERR_FIXUP},
        {m_count, MODLOAD_ERR_FIXUP},         {m_nimports, MODLOAD_ERR_FIXUP},
        {m_import_nul, MODLOAD_ERR_IMPORT},   {m_import_len, MODLOAD_ERR_IMPORT},
        {m_import_nonul, MODLOAD_ERR_IMPORT},  {m_strip_named, MODLOAD_ERR_EXPORT},
        {m_export_seg, MODLOAD_ERR_EXPORT},   {m_export_order, MODLOAD_ERR_EXPORT},
        {m_export_name, MODLOAD_ERR_EXPORT},  {m_export_value, MODLOAD_ERR_EXPORT},
        {m_strtab_nul, MODLOAD_ERR_EXPORT},   {m_meta_len, MODLOAD_ERR_META},
        {m_meta_type0, MODLOAD_ERR_META},     {m_meta_nul, MODLOAD_ERR_META},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = check_mutated(cases[i].f, 1);
        if (rc != cases[i].err)
            fail_msg("case %zu: got %d (%s), want %d (%s)", i, rc, modload_strerror(rc), cases[i].err,
                     modload_strerror(cases[i].err));
    }
    /* Without the CRC repaired, any change is caught by the CRC. */
    assert_int_equal(check_mutated(m_crc, 0), MODLOAD_ERR_CRC);
    assert_int_equal(check_mutated(m_import_len, 0), MODLOAD_ERR_IMPORT);
}

/* Every truncation and every single-bit flip is refused. */
static void test_truncate_and_flip(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s), len, bit;
    modload_image img;
    (void)state;

    for (len = 0; len < n; len++)
        assert_int_not_equal(modload_check(image, len, &img), MODLOAD_OK);
    for (bit = 0; bit < n * 8; bit++) {
        image[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(modload_check(image, n, &img), MODLOAD_OK);
        image[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
}

/* ---- streaming ---------------------------------------------------------- */

typedef struct feed {
    const uint8_t *p;
    uint32_t left, chunk;
    uint32_t fail_after; /* bytes served before the read fails; 0: never */
    uint32_t served;
} feed;

static int feed_read(void *ctx, uint8_t *buf, uint32_t len)
{
    feed *f = ctx;
    uint32_t n = len < f->chunk ? len : f->chunk;

    if (n > f->left)
        n = f->left;
    if (f->fail_after && f->served + n > f->fail_after)
        return -5;
    memcpy(buf, f->p, n);
    f->p += n;
    f->left -= n;
    f->served += n;
    return (int)n;
}

/* Stream an image into the guarded arena: code and data at arena+GUARD,
 * exports kept after them. */
/* The firmware a stream is loaded for: env1, or one with a hook. */
static const modload_env *stream_env = &env1;

static int stream_into_arena(const uint8_t *img_bytes, uint32_t len, feed *f, modload_module *mod)
{
    modload_stream st;
    modload_image img;
    modload_place pl;
    int rc;

    f->p = img_bytes;
    f->left = len;
    f->served = 0;
    memset(arena, 0xEE, sizeof arena);
    if ((rc = modload_stream_begin(&st, feed_read, f, &img)) != MODLOAD_OK)
        return rc;
    if ((rc = modload_place_region(&img, arena + GUARD, 36, 0x20000100u, &pl)) != MODLOAD_OK)
        return rc;
    pl.symtab_write = arena + GUARD + 40;
    pl.symtab_room = modload_symtab_size(&img);
    rc = modload_stream_load(&st, &img, &pl, stream_env, mod);
    guards_intact(40 + modload_symtab_size(&img));
    return rc;
}

/* A stream's cache hook: once after a load that succeeded, with the
 * code's run address and size; not after one whose CRC fails. */
static void test_stream_sync(void **state)
{
    static modload_env env; /* static: stream_env outlives a failed assertion */
    spec s = spec1();
    uint32_t n = build(&s);
    modload_module mod;
    feed f = {0};
    (void)state;

    env = env1;
    env.sync_code = count_sync;
    stream_env = &env;
    sync_calls = 0;
    f.chunk = 7;
    image[n - 1] ^= 1;
    assert_int_equal(stream_into_arena(image, n, &f, &mod), MODLOAD_ERR_CRC);
    assert_int_equal(sync_calls, 0);
    image[n - 1] ^= 1;
    assert_int_equal(stream_into_arena(image, n, &f, &mod), MODLOAD_OK);
    stream_env = &env1;
    assert_int_equal(sync_calls, 1);
    assert_int_equal(sync_run, 0x20000100u);
    assert_int_equal(sync_len, sizeof code1);
}

static void test_stream_chunks(void **state)
{
    static const uint32_t chunks[] = {1, 7, 512};
    spec s = spec1();
    uint32_t n = build(&s), i;
    uint8_t copy[sizeof image], want[36];
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_addr a;
    (void)state;

    /* What a load from the buffer gives. */
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, want, 36, 0x20000100u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    memcpy(copy, image, n);

    for (i = 0; i < 3; i++) {
        feed f = {0};
        f.chunk = chunks[i];
        assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_OK);
        assert_memory_equal(arena + GUARD, want, 36);
        assert_int_equal(f.left, 0);
        assert_int_equal(modload_entry(&mod), 0x20000101u);
        assert_int_equal(modload_find(&mod, "counter", &a), MODLOAD_OK);
        assert_int_equal(a, 0x20000100u + 16 + 16);
    }
}

/* The init record read as it streams past, and the flag without it. */
static void test_stream_init(void **state)
{
    spec s = spec_init();
    uint32_t n = build(&s);
    uint8_t copy[sizeof image];
    modload_module mod;
    feed f = {0};
    (void)state;

    memcpy(copy, image, n);
    f.chunk = 7;
    if (!MODLOAD_WITH_INIT) { /* the full profile: refused before a write */
        assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_ERR_PROFILE);
        assert_int_equal(arena[GUARD], 0xEE);
        return;
    }
    assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_OK);
    assert_int_equal(mod.ninit, 2);
    assert_int_equal(mod.nfini, 1);
    assert_int_equal(mod.fini_array - mod.init_array, 8);
    assert_int_equal(mod.init_array, mod.data_run);

    s = spec1();
    s.flags |= MODP_F_INIT;
    n = build(&s);
    memcpy(copy, image, n);
    memset(&f, 0, sizeof f);
    f.chunk = 7;
    assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_ERR_META);
}

static void test_stream_refusals(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s), len, i;
    uint8_t copy[sizeof image];
    modload_module mod;
    feed f = {0};
    (void)state;

    memcpy(copy, image, n);
    f.chunk = 7;
    /* The last byte (the CRC's) corrupted: refused at the end. */
    copy[n - 1] ^= 0x40;
    assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_ERR_CRC);
    copy[n - 1] ^= 0x40;
    /* Every truncation. */
    for (len = 0; len < n; len++)
        assert_int_not_equal(stream_into_arena(copy, len, &f, &mod), MODLOAD_OK);
    assert_int_equal(stream_into_arena(copy, n - 1, &f, &mod), MODLOAD_ERR_TRUNCATED);
    /* Every byte flipped. */
    for (i = 0; i < n; i++) {
        copy[i] ^= 0xFF;
        assert_int_not_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_OK);
        copy[i] ^= 0xFF;
    }
    /* A failing read callback. */
    f.fail_after = 80;
    assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_ERR_READ);
    f.fail_after = 0;
    assert_int_equal(stream_into_arena(copy, n, &f, &mod), MODLOAD_OK);
}

/* A stream has only the header at hand when it begins: nothing may be read
 * from where the rest of the image would be (the stream state is on the
 * heap so that ASan sees any read past it). */
static void test_stream_big_image(void **state)
{
    static uint8_t code[2048];
    spec s;
    uint32_t n;
    modload_stream *st = malloc(sizeof *st);
    modload_image img;
    modload_place pl;
    modload_module mod;
    static uint8_t mem[2048];
    feed f = {0};
    (void)state;

    assert_non_null(st);
    memset(&s, 0, sizeof s);
    s.code = (part)PART(code);
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    f.p = image;
    f.left = n;
    f.chunk = 64;
    assert_int_equal(modload_stream_begin(st, feed_read, &f, &img), MODLOAD_OK);
    assert_int_equal(img.code_size, sizeof code);
    assert_int_equal(modload_place_region(&img, mem, sizeof mem, 0x1000, &pl), MODLOAD_OK);
    assert_int_equal(modload_stream_load(st, &img, &pl, NULL, &mod), MODLOAD_OK);
    free(st);
}

/* A stream cannot run code in place: there is no image to run it from. */
static void test_stream_no_xip(void **state)
{
    spec s = spec1();
    uint32_t n = build(&s);
    modload_stream st;
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t data[20];
    feed f = {0};
    (void)state;

    put16(image + 10, MODP_F_XIP | MODP_F_SPLIT);
    recrc(n);
    f.p = image;
    f.left = n;
    f.chunk = 512;
    assert_int_equal(modload_stream_begin(&st, feed_read, &f, &img), MODLOAD_OK);
    memset(&pl, 0, sizeof pl);
    pl.code_run = 0x08000000u;
    pl.data_write = data;
    pl.data_run = 0x20000000u;
    pl.data_room = sizeof data;
    assert_int_equal(modload_stream_load(&st, &img, &pl, &env1, &mod), MODLOAD_ERR_PLACEMENT);
}

static void test_strerror(void **state)
{
    int e;
    (void)state;
    for (e = 0; e < MODLOAD_ERR_COUNT; e++)
        assert_non_null(modload_strerror(e));
    assert_string_equal(modload_strerror(MODLOAD_ERR_CRC), "CRC mismatch (image corrupted)");
    assert_string_equal(modload_strerror(999), "unknown error");
}

static void test_crc_vectors(void **state)
{
    (void)state;
    assert_int_equal(modload_crc32(0, "", 0), 0x00000000u);
    assert_int_equal(modload_crc32(0, "a", 1), 0xE8B7BE43u);
    assert_int_equal(modload_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(modload_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* Incremental use gives the same result. */
    assert_int_equal(modload_crc32(modload_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void test_hash_vectors(void **state)
{
    (void)state;
    assert_int_equal(modload_hash(""), 0x811C9DC5u);
    assert_int_equal(modload_hash("a"), 0xE40C292Cu);
    assert_int_equal(modload_hash("foobar"), 0xBF9CF968u);
    assert_int_equal(modload_hash("module_init"), 0xFB8DC9BCu);
}

#if MODLOAD_WITH_SHA256
/* ---- the signing policy (spec section 13) ------------------------------ */

/* What the policy saw, call by call, and which signature it takes. */
typedef struct seen {
    uint32_t calls, take;     /* take: the index accepted; ~0u none; count 0: take unsigned when 0 */
    uint8_t digest[32];
    uint32_t version, count, index[4];
    uint8_t key_id[4][8];
    int had_sig[4];
} seen;

static int accept_rec(void *ctx, const modload_signature *s)
{
    seen *w = ctx;
    uint32_t c = w->calls++;
    memcpy(w->digest, s->digest, 32);
    w->version = s->security_version;
    w->count = s->count;
    assert_int_equal(s->alg, MODP_SIG_ALG_ED25519);
    if (c < 4) {
        w->index[c] = s->index;
        w->had_sig[c] = s->sig != NULL;
        if (s->key_id)
            memcpy(w->key_id[c], s->key_id, 8);
    }
    return s->count ? (s->index == w->take ? 0 : 1) : (w->take == 0 ? 0 : 1);
}

/* spec1 with a security record of version 7, and after it a block of n
 * signatures whose key ids are 0x11.., 0x22..; the image's size. */
static uint32_t signed_image(uint32_t n, uint32_t *total)
{
    static uint8_t meta[sizeof meta1 + 7];
    spec s = spec1();
    uint32_t size, i;
    memcpy(meta, meta1, sizeof meta1);
    meta[sizeof meta1] = MODP_META_SECURITY;
    put16(meta + sizeof meta1 + 1, 4);
    put32(meta + sizeof meta1 + 3, 7);
    s.meta = (part)PART(meta);
    size = build(&s);
    *total = size;
    if (n) {
        uint8_t *b = image + size;
        memcpy(b, "MSIG", 4);
        b[4] = (uint8_t)n;
        b[5] = MODP_SIG_ALG_ED25519;
        b[6] = b[7] = 0;
        for (i = 0; i < n; i++) {
            memset(b + 8 + 72 * i, 0x11 * (int)(i + 1), 8);
            memset(b + 16 + 72 * i, 0xA0 + (int)i, 64);
        }
        *total = size + 8 + 72 * n;
    }
    return size;
}

/* The image under the policy, from memory and streamed (chunks of 7):
 * both give want; a refusal from memory writes nothing. The stream asks
 * the policy the same questions, but where a block is cut short: it
 * learns that only after the entries before the cut. */
#define policy_case(len, p, w, want) policy_case_(len, p, w, want, 1)
static void policy_case_(uint32_t len, modload_policy *p, seen *w, int want, int same)
{
    modload_env env = env1;
    modload_image img;
    modload_place pl;
    modload_module mod;
    feed f = {0};
    uint32_t calls;
    env.policy = p;
    p->ctx = w;
    w->calls = 0;
    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, arena + GUARD, 36, 0x20000100u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env, &mod), want);
    if (want != MODLOAD_OK)
        guards_intact(0);
    calls = w->calls;
    w->calls = 0;
    f.chunk = 7;
    f.p = image;
    f.left = len;
    modload_stream st;
    assert_int_equal(modload_stream_begin(&st, feed_read, &f, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, arena + GUARD, 36, 0x20000100u, &pl), MODLOAD_OK);
    assert_int_equal(modload_stream_load(&st, &img, &pl, &env, &mod), want);
    if (same)
        assert_int_equal(w->calls, calls);
    w->calls = calls;
}

static void test_policy(void **state)
{
    uint8_t d[32];
    uint32_t total, size;
    modload_sha256 sha;
    modload_policy p = {accept_rec, NULL, 0};
    seen w;
    (void)state;

    /* unsigned: offered once without a signature; its digest and version */
    size = signed_image(0, &total);
    modload_sha256_init(&sha);
    modload_sha256_update(&sha, image, size);
    modload_sha256_final(&sha, d);
    memset(&w, 0, sizeof w);
    policy_case(size, &p, &w, MODLOAD_OK);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.count, 0);
    assert_false(w.had_sig[0]);
    assert_memory_equal(w.digest, d, 32);
    assert_int_equal(w.version, 7);
    w.take = ~0u;
    policy_case(size, &p, &w, MODLOAD_ERR_UNSIGNED);
    /* signed twice: each signature offered until one is taken */
    size = signed_image(2, &total);
    w.take = 1;
    policy_case(total, &p, &w, MODLOAD_OK);
    assert_int_equal(w.calls, 2);
    assert_int_equal(w.count, 2);
    assert_true(w.had_sig[0] && w.had_sig[1]);
    assert_int_equal(w.index[1], 1);
    assert_int_equal(w.key_id[0][0], 0x11);
    assert_int_equal(w.key_id[1][7], 0x22);
    assert_memory_equal(w.digest, d, 32); /* the block is not covered */
    w.take = 0;
    policy_case(total, &p, &w, MODLOAD_OK);
    assert_int_equal(w.calls, 1);
    w.take = ~0u;
    policy_case(total, &p, &w, MODLOAD_ERR_SIGNATURE);
    assert_int_equal(w.calls, 2);
    /* a downgrade: refused before the policy is asked */
    w.take = 0;
    p.min_security_version = 8;
    policy_case(total, &p, &w, MODLOAD_ERR_DOWNGRADE);
    assert_int_equal(w.calls, 0);
    p.min_security_version = 7;
    policy_case(total, &p, &w, MODLOAD_OK);
    /* malformed blocks */
    image[size + 4] = 0; /* count 0 */
    policy_case(total, &p, &w, MODLOAD_ERR_SIGNATURE);
    image[size + 4] = 2;
    image[size + 5] = 2; /* an algorithm 1.0 does not define */
    policy_case(total, &p, &w, MODLOAD_ERR_SIGNATURE);
    image[size + 5] = 1;
    image[size + 7] = 1; /* reserved */
    policy_case(total, &p, &w, MODLOAD_ERR_SIGNATURE);
    image[size + 7] = 0;
    policy_case_(total - 1, &p, &w, MODLOAD_ERR_SIGNATURE, 0); /* cut short */
    policy_case(size + 3, &p, &w, MODLOAD_OK); /* less than a head: no block, unsigned, taken */
    assert_int_equal(w.count, 0);
    image[size] = 'X'; /* not a block: unsigned */
    policy_case(total, &p, &w, MODLOAD_OK);
    assert_int_equal(w.count, 0);
    /* no accept function */
    {
        modload_policy none = {0, 0, 0};
        modload_env env = env1;
        modload_image img;
        modload_place pl;
        modload_module mod;
        env.policy = &none;
        assert_int_equal(modload_check(image, total, &img), MODLOAD_OK);
        assert_int_equal(modload_place_region(&img, arena + GUARD, 36, 0x20000100u, &pl), MODLOAD_OK);
        assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_ERR_ARG);
    }
    /* a security record of another length is malformed */
    size = signed_image(0, &total);
    image[size - 4 - 4 - 2] = 3;
    put32(image + size - 4, modload_crc32(0, image, size - 4));
    {
        modload_image img;
        assert_int_equal(modload_check(image, size, &img), MODLOAD_ERR_META);
    }
}
#endif

#if !MODLOAD_WITH_SHA256 && MODLOAD_PROFILE != MODLOAD_PROFILE_MINIMAL
static int accept_any(void *ctx, const modload_signature *s)
{
    (void)ctx, (void)s;
    return 0;
}

/* A build without SHA-256 (the full profile) refuses a signing policy,
 * in memory and streaming, before a byte is written. */
static void test_policy_profile(void **state)
{
    static const modload_policy fw_policy = {accept_any, 0, 0};
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_stream st;
    modload_env env = env1;
    feed f = {0};
    (void)state;

    env.policy = &fw_policy;
    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, arena + GUARD, 36, 0x20000100u, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_ERR_PROFILE);
    f.p = image;
    f.left = n;
    f.chunk = 7;
    assert_int_equal(modload_stream_begin(&st, feed_read, &f, &img), MODLOAD_OK);
    assert_int_equal(modload_stream_load(&st, &img, &pl, &env, &mod), MODLOAD_ERR_PROFILE);
    guards_intact(0);
    assert_int_equal(arena[GUARD], 0xEE);
}
#endif

#if MODLOAD_PROFILE == MODLOAD_PROFILE_MINIMAL
static int read_never(void *ctx, uint8_t *buf, uint32_t len)
{
    (void)ctx, (void)buf, (void)len;
    fail_msg("the minimal profile read a stream");
    return -1;
}

/* What the minimal profile left out is refused with MODLOAD_ERR_PROFILE
 * before a byte is written; what it kept still loads. */
static void test_profile_refusals(void **state)
{
    static const modload_abi fw_abi = {0x12345678u, 1, 0};
    static const modload_policy fw_policy = {0, 0, 0};
    static const uint8_t xfix[] = {BLOCK(MODP_TGT_CODE, 1), MODP_G_HEAD(MODP_FIX_WORD32, MODP_SEG_DATA, 2), 1, 1};
    static const uint8_t xcode[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t xdata[8] = {4, 0, 0, 0, 0, 0, 0, 0};
    spec s = spec1();
    uint32_t n = build(&s);
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_stream st;
    modload_env env = env1;
    uint8_t *mem = arena + GUARD;
    (void)state;

    memset(arena, 0xEE, sizeof arena);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, 36, 0x20000100u, &pl), MODLOAD_OK);
    pl.data_run += 8; /* a split, which the image allows */
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_PROFILE);
    pl.data_run -= 8;
    env.abi = &fw_abi; /* an ABI check */
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_ERR_PROFILE);
    env.abi = NULL;
    env.policy = &fw_policy; /* a signing policy */
    assert_int_equal(modload_load(&img, &pl, &env, &mod), MODLOAD_ERR_PROFILE);
    pl.flags = MODLOAD_CODE_WORDS;
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_ERR_PROFILE);
    pl.flags = 0;
    assert_int_equal(modload_stream_begin(&st, read_never, NULL, &img), MODLOAD_ERR_PROFILE);
    assert_int_equal(modload_stream_load(&st, &img, &pl, &env1, &mod), MODLOAD_ERR_PROFILE);
    guards_intact(0); /* nothing written */
    assert_int_equal(modload_load(&img, &pl, &env1, &mod), MODLOAD_OK);
    assert_int_equal(get32(mem + 4), 0x20000100u + 8);

    /* in place: an image with no code fixups, which allows it */
    memset(&s, 0, sizeof s);
    s.flags = MODP_F_XIP | MODP_F_SPLIT;
    s.code = (part)PART(xcode);
    s.data = (part)PART(xdata);
    s.fixups = (part)PART(xfix);
    s.nfixups = 1;
    s.entry = s.exit = MODP_NONE;
    n = build(&s);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    memset(arena, 0xEE, sizeof arena);
    memset(&pl, 0, sizeof pl);
    pl.code_run = 0x08010000u;
    pl.data_write = mem;
    pl.data_run = 0x08010000u + img.data_offset; /* not a split */
    pl.data_room = 8;
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_ERR_PROFILE);
    guards_intact(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_check_fields),
        cmocka_unit_test(test_load_one_region),
        cmocka_unit_test(test_rel32),
        cmocka_unit_test(test_sync_and_arguments),
        cmocka_unit_test(test_placement_errors),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_weak_import),
        cmocka_unit_test(test_init_lists),
        cmocka_unit_test(test_stripped),
        cmocka_unit_test(test_movw_movt),
        cmocka_unit_test(test_word64),
        cmocka_unit_test(test_metadata_and_exports),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncate_and_flip),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_profile_refusals),
    };
    /* the tests of what this profile left out */
    (void)test_load_split_and_symtab_copy, (void)test_xip, (void)test_code_words;
    (void)test_stream_chunks, (void)test_stream_sync, (void)test_stream_init, (void)test_stream_refusals,
    (void)test_stream_big_image;
    (void)test_stream_no_xip;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_check_fields),
        cmocka_unit_test(test_load_one_region),
        cmocka_unit_test(test_rel32),
        cmocka_unit_test(test_load_split_and_symtab_copy),
        cmocka_unit_test(test_sync_and_arguments),
        cmocka_unit_test(test_placement_errors),
        cmocka_unit_test(test_xip),
        cmocka_unit_test(test_code_words),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_weak_import),
        cmocka_unit_test(test_init_lists),
        cmocka_unit_test(test_stripped),
        cmocka_unit_test(test_movw_movt),
        cmocka_unit_test(test_word64),
        cmocka_unit_test(test_metadata_and_exports),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncate_and_flip),
        cmocka_unit_test(test_stream_chunks),
        cmocka_unit_test(test_stream_sync),
        cmocka_unit_test(test_stream_init),
        cmocka_unit_test(test_stream_refusals),
        cmocka_unit_test(test_stream_big_image),
        cmocka_unit_test(test_stream_no_xip),
#if MODLOAD_WITH_SHA256
        cmocka_unit_test(test_policy),
#else
        cmocka_unit_test(test_policy_profile),
#endif
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
