/* test_riscv.c - modload's RISC-V fixup kinds (RV_HI20, RV_LO12_I,
 * RV_LO12_S, RV_PCREL) on hand-assembled images, and the least code
 * alignment of each ISA's images.
 *
 * Instruction words are GNU as 2.40 output (riscv64-unknown-elf-as
 * -march=rv32imac), written down here; the expected words after relocation
 * were assembled the same way from the relocated instruction (for example
 * "lui a5,0x92347" = 0x923477B7), not computed by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modload.h"

static uint8_t image[1024];
static uint8_t code_align_log2 = 2;   /* 4 bytes: every ISA's instructions */
static uint32_t arch_flags;          /* header arch_flags of the next build */
static modload_addr fw_addr = 0x800017F0u;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* header, code, fixups, CRC (no data, exports, names or metadata) */
static uint32_t build(uint16_t arch, const uint8_t *code, uint32_t code_size, const uint8_t *fx,
                      uint32_t fx_size, uint32_t nfixups, uint32_t nimports)
{
    uint32_t n = 72 + code_size + fx_size + 4;
    memset(image, 0, sizeof image);
    memcpy(image, "MODP", 4);
    image[4] = 1;
    image[6] = 72;
    image[8] = (uint8_t)arch;
    image[9] = (uint8_t)(arch >> 8);
    put32(image + 12, arch_flags);
    put32(image + 16, n);
    put32(image + 20, code_size);
    put32(image + 32, code_size);
    image[36] = code_align_log2;
    put32(image + 40, 0xFFFFFFFFu);
    put32(image + 44, 0xFFFFFFFFu);
    put32(image + 48, fx_size);
    put32(image + 52, nfixups);
    put32(image + 56, nimports);
    memcpy(image + 72, code, code_size);
    memcpy(image + 72 + code_size, fx, fx_size);
    put32(image + n - 4, modload_crc32(0, image, n - 4));
    return n;
}

#define HEAD(kind, unit) MODP_G_HEAD(kind, MODP_SEG_CODE, unit)

/* The spec's example (format section 6.1), plus a LUI whose low part is
 * negative, all at 2-byte aligned offsets (a C.NOP first). */
static const uint8_t code_a[] = {
    0x01, 0x00,                 /* 0:  c.nop */
    0xB7, 0x57, 0x34, 0x12,     /* 2:  lui a5,0x12345       RV_HI20 lo12 0x678 (code) */
    0x13, 0x85, 0x87, 0x67,     /* 6:  addi a0,a5,1656      RV_LO12_I (code) */
    0x23, 0xAE, 0xA7, 0xFE,     /* 10: sw a0,-4(a5)         RV_LO12_S (code) */
    0xB7, 0x57, 0x34, 0x12,     /* 14: lui a5,0x12345       RV_HI20 lo12 0x800 (import) */
    0x13, 0x85, 0x07, 0x80,     /* 18: addi a0,a5,-2048     RV_LO12_I (import) */
};

static const uint8_t fx_a[] = {
    /* code block: 3 groups, unit 2 bytes */
    3 << 2 | MODP_TGT_CODE,
    HEAD(MODP_FIX_RV_HI20, 1), 1, 1, 0xF8, 0x0C,   /* gap 1 unit -> 2; lo12 0x678 */
    HEAD(MODP_FIX_RV_LO12_I, 1), 1, 3 << 1,       /* gap 3 units -> 6 */
    HEAD(MODP_FIX_RV_LO12_S, 1), 1, 5 << 1,       /* gap 5 units -> 10 */
    /* import block "fw": 2 groups */
    2 << 2 | MODP_TGT_IMPORT, 2, 'f', 'w', 0,
    HEAD(MODP_FIX_RV_HI20, 1), 1, 7, 0x80, 0x10,   /* -> 14; lo12 0x800 */
    HEAD(MODP_FIX_RV_LO12_I, 1), 1, 9 << 1,       /* -> 18 */
};

static int resolve_fw(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)hash;
    if (strcmp(name, "fw") != 0)
        return -1;
    *addr = fw_addr;
    return 0;
}

static int load_at(uint32_t len, modload_addr run, uint8_t *mem, uint32_t room)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = {0, 0, resolve_fw, 0, 0, 0, 0};
    int rc = modload_check(image, len, &img);
    if (rc != MODLOAD_OK)
        return rc;
    rc = modload_place_region(&img, mem, room, run, &pl);
    if (rc != MODLOAD_OK)
        return rc;
    return modload_load(&img, &pl, &env, &mod);
}

static void spec_example(void **state)
{
    (void)state;
    uint8_t mem[sizeof code_a];
    uint32_t len = build(MODP_ARCH_RISCV, code_a, sizeof code_a, fx_a, sizeof fx_a, 5, 1);
    assert_int_equal(load_at(len, 0x80001990u, mem, sizeof mem), MODLOAD_OK);
    assert_int_equal(get32(mem + 2), 0x923477B7u);   /* lui a5,0x92347 */
    assert_int_equal(get32(mem + 6), 0x00878513u);   /* addi a0,a5,8 */
    assert_int_equal(get32(mem + 10), 0x98A7A623u);  /* sw a0,-1652(a5) */
    assert_int_equal(get32(mem + 14), 0x923467B7u);  /* lui a5,0x92346 */
    assert_int_equal(get32(mem + 18), 0xFF078513u);  /* addi a0,a5,-16 */
    assert_int_equal(mem[0], 0x01);
}

/* Run address 0: every instruction is unchanged (A + 0 = A). */
static void zero_base(void **state)
{
    (void)state;
    uint8_t mem[sizeof code_a];
    uint32_t len = build(MODP_ARCH_RISCV, code_a, sizeof code_a, fx_a, sizeof fx_a, 5, 1);
    assert_int_equal(load_at(len, 0, mem, sizeof mem), MODLOAD_OK);
    assert_memory_equal(mem, code_a, 14);
}

/* modload_walk hands the operand to the walker. */
static uint32_t seen_operand[8], seen_offset[8], nseen;

static int on_fixup(modload_walker *w, const modload_fixup *fx)
{
    (void)w;
    if (nseen < 8) {
        seen_operand[nseen] = fx->operand;
        seen_offset[nseen] = fx->offset;
    }
    nseen++;
    return 0;
}

static void walk_operand(void **state)
{
    (void)state;
    modload_image img;
    uint32_t len = build(MODP_ARCH_RISCV, code_a, sizeof code_a, fx_a, sizeof fx_a, 5, 1);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
    modload_walker w = {0, on_fixup};
    nseen = 0;
    assert_int_equal(modload_walk(&img, &w), MODLOAD_OK);
    assert_int_equal(nseen, 5);
    assert_int_equal(seen_offset[0], 2);
    assert_int_equal(seen_operand[0], 0x678);
    assert_int_equal(seen_operand[1], 0);
    assert_int_equal(seen_offset[3], 14);
    assert_int_equal(seen_operand[3], 0x800);
}

/* One site of one kind on a given instruction word, the code run at run. */
static int patch_at(unsigned kind, uint32_t insn, modload_addr run, uint32_t *out)
{
    uint8_t code[4], mem[4];
    uint8_t fx[] = {1 << 2 | MODP_TGT_CODE, HEAD(kind, 2), 1, 0, 0, 0};
    uint32_t fxlen = kind == MODP_FIX_RV_HI20 ? 5 : 4;   /* gap 0 [, lo12 0] */
    put32(code, insn);
    uint32_t len = build(MODP_ARCH_RISCV, code, 4, fx, fxlen, 1, 0);
    int rc = load_at(len, run, mem, sizeof mem);
    *out = get32(mem);
    return rc;
}

static int patch_one(unsigned kind, uint32_t insn, uint32_t *out)
{
    return patch_at(kind, insn, 0x12345000u, out);
}

static void opcodes_checked(void **state)
{
    (void)state;
    uint32_t w;
    /* accepted: LUI, ADDI, LW, JALR, FLW, SW, SH */
    assert_int_equal(patch_one(MODP_FIX_RV_HI20, 0x000007B7u, &w), MODLOAD_OK);    /* lui a5,0 */
    assert_int_equal(w, 0x123457B7u);
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x7F07A583u, &w), MODLOAD_OK);  /* lw a1,2032(a5) */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x010300E7u, &w), MODLOAD_OK);  /* jalr 16(t1) */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x0087A507u, &w), MODLOAD_OK);  /* flw fa0,8(a5) */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_S, 0x12A791A3u, &w), MODLOAD_OK);  /* sh a0,291(a5) */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_S, 0x00A78023u, &w), MODLOAD_OK);  /* sb a0,0(a5) */
    /* refused: the wrong instruction for the kind */
    assert_int_equal(patch_one(MODP_FIX_RV_HI20, 0x00000317u, &w), MODLOAD_ERR_FIXUP);   /* auipc t1,0 */
    assert_int_equal(patch_one(MODP_FIX_RV_HI20, 0x67878513u, &w), MODLOAD_ERR_FIXUP);   /* addi */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0xFEA7AE23u, &w), MODLOAD_ERR_FIXUP); /* sw */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x00379513u, &w), MODLOAD_ERR_FIXUP); /* slli */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x123457B7u, &w), MODLOAD_ERR_FIXUP); /* lui */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_S, 0x7F07A583u, &w), MODLOAD_ERR_FIXUP); /* lw */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_S, 0x00000001u, &w), MODLOAD_ERR_FIXUP); /* c.nop */
}

/* The immediate's layout follows the instruction's format: JALR (major
 * 25) is I-type like the loads, the stores are S-type (a run address with
 * low bits set, so that the patch shows). */
static void low_part_formats(void **state)
{
    (void)state;
    uint32_t w;
    assert_int_equal(patch_at(MODP_FIX_RV_LO12_I, 0x010300E7u, 0x12345678u, &w), MODLOAD_OK); /* jalr 16(t1) */
    assert_int_equal(w, 0x688300E7u);                                                         /* jalr 1672(t1) */
    assert_int_equal(patch_at(MODP_FIX_RV_LO12_S, 0x12A791A3u, 0x12345678u, &w), MODLOAD_OK); /* sh a0,291(a5) */
    assert_int_equal(w, 0x78A79DA3u);                                                         /* sh a0,1947(a5) */
}

/* Low-part carries: imm12 wraps within its 12 bits and nothing else of
 * the instruction changes. */
static void lo12_wraps(void **state)
{
    (void)state;
    uint32_t w;
    /* addi a0,a5,-2048 + 0x...000: unchanged (value's low 12 bits are 0) */
    assert_int_equal(patch_one(MODP_FIX_RV_LO12_I, 0x80078513u, &w), MODLOAD_OK);
    assert_int_equal(w, 0x80078513u);
}

static void bad_streams(void **state)
{
    (void)state;
    modload_image img;
    uint8_t code[4] = {0xB7, 0x07, 0x00, 0x00};
    /* operand above 0xFFF: 0x1000 as uleb = 0x80 0x20 */
    uint8_t fx[] = {1 << 2 | MODP_TGT_CODE, HEAD(MODP_FIX_RV_HI20, 2), 1, 0, 0x80, 0x20};
    uint32_t len = build(MODP_ARCH_RISCV, code, 4, fx, sizeof fx, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP);
    /* operand missing (the stream ends) */
    len = build(MODP_ARCH_RISCV, code, 4, fx, 4, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP);
    /* RISC-V kinds in an ARM image */
    fx[5] = 0x0F;  /* lo12 = 0x780: uleb 0x80 0x0F */
    len = build(MODP_ARCH_ARM, code, 4, fx, sizeof fx, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP_KIND);
    len = build(MODP_ARCH_RISCV, code, 4, fx, sizeof fx, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
    /* a site past the code: gap 1 unit of 4 with 4 bytes of code */
    fx[3] = 1;
    len = build(MODP_ARCH_RISCV, code, 4, fx, sizeof fx, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP_RANGE);
}

/* A kind of another ISA than the image's is refused, whichever ISA it is
 * (the table's isa column): ARM pairs in RISC-V and x86 images, RISC-V
 * kinds in an x86 image; the kinds of every ISA pass in their own. */
static void kinds_of_other_isas(void **state)
{
    (void)state;
    modload_image img;
    uint8_t code[8] = {0};
    /* one pair at 0, MOVT 4 bytes on: gap 0, sleb delta 4 */
    uint8_t pair[] = {1 << 2 | MODP_TGT_CODE, HEAD(MODP_FIX_THM_MOVW_MOVT, 0), 1, 0, 4};
    uint8_t lo12[] = {1 << 2 | MODP_TGT_CODE, HEAD(MODP_FIX_RV_LO12_I, 0), 1, 0};
    static const uint16_t others[] = {MODP_ARCH_RISCV, MODP_ARCH_X86_64, MODP_ARCH_386, MODP_ARCH_XTENSA};
    uint32_t len, i;

    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        len = build(others[i], code, 8, pair, sizeof pair, 1, 0);
        assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP_KIND);
        pair[1] = HEAD(MODP_FIX_ARM_MOVW_MOVT, 0);
        len = build(others[i], code, 8, pair, sizeof pair, 1, 0);
        assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_FIXUP_KIND);
        pair[1] = HEAD(MODP_FIX_THM_MOVW_MOVT, 0);
        len = build(others[i], code, 8, lo12, sizeof lo12, 1, 0);
        assert_int_equal(modload_check(image, len, &img),
                         others[i] == MODP_ARCH_RISCV ? MODLOAD_OK : MODLOAD_ERR_FIXUP_KIND);
    }
    len = build(MODP_ARCH_ARM, code, 8, pair, sizeof pair, 1, 0);
    assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
}

/* RV_PCREL, the example of format section 6.2: an AUIPC whose result a
 * load and a store use, reaching import fw at 0x20001234 from P =
 * 0x80000100 with addend 8. */
static const uint8_t code_p[] = {
    0x97, 0x07, 0x00, 0x00,     /* 0: auipc a5,0x0 */
    0x03, 0xA5, 0x87, 0x00,     /* 4: lw a0,8(a5) */
    0x23, 0xA4, 0x97, 0x00,     /* 8: sw s1,8(a5) */
};
static const uint8_t fx_p[] = {
    1 << 2 | MODP_TGT_IMPORT, 2, 'f', 'w', 0,
    HEAD(MODP_FIX_RV_PCREL, 2), 2,
    0, 1,                       /* AUIPC at 0, its lw at 0 + 1 unit */
    1, 0x7E,                    /* gap 1 unit (cursor 4 -> 8): the sw, its AUIPC 2 units back */
};

static void pcrel_example(void **state)
{
    (void)state;
    uint8_t mem[sizeof code_p];
    uint32_t len = build(MODP_ARCH_RISCV, code_p, sizeof code_p, fx_p, sizeof fx_p, 2, 1);
    fw_addr = 0x20001234u;
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_OK);
    assert_int_equal(get32(mem + 0), 0xA0001797u);  /* auipc a5,0xa0001 */
    assert_int_equal(get32(mem + 4), 0x13C7A503u);  /* lw a0,316(a5) */
    assert_int_equal(get32(mem + 8), 0x1297AE23u);  /* sw s1,316(a5) */
    /* placed at P = 0x20001000 the offset is the addend plus 0x234 */
    assert_int_equal(load_at(len, 0x20001000u, mem, sizeof mem), MODLOAD_OK);
    assert_int_equal(get32(mem + 0), 0x00000797u);  /* auipc a5,0x0 */
    assert_int_equal(get32(mem + 4), 0x23C7A503u);  /* lw a0,572(a5) */
    assert_int_equal(get32(mem + 8), 0x2297AE23u);  /* sw s1,572(a5) */
    fw_addr = 0x800017F0u;
}

/* rv64: the pair reaches P - 2 GiB - 0x800 .. P + 2 GiB - 0x800 only;
 * rv32 wraps. Neither site an AUIPC, or the other not a low part: refused. */
static void pcrel_range_and_opcodes(void **state)
{
    (void)state;
    uint8_t mem[sizeof code_p], code[sizeof code_p];
    uint32_t len;
    arch_flags = MODP_RV_64;
    len = build(MODP_ARCH_RISCV, code_p, sizeof code_p, fx_p, sizeof fx_p, 2, 1);
    fw_addr = 0x80000100u + 0x7FFFF7F0u;  /* T = off + D = 0x7FFFF7F8: the last that fits */
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_OK);
    fw_addr = 0x80000100u + 0x7FFFF7F8u;  /* T = 0x7FFFF800 */
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_ERR_FIXUP_RANGE);
    fw_addr = (modload_addr)0x80000100u - 0x80000808u;  /* T = -2^31 - 0x800 */
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_OK);
    fw_addr = (modload_addr)0x80000100u - 0x80000809u;
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_ERR_FIXUP_RANGE);
    arch_flags = 0;
    len = build(MODP_ARCH_RISCV, code_p, sizeof code_p, fx_p, sizeof fx_p, 2, 1);
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_OK); /* rv32: mod 2^32 */
    memcpy(code, code_p, sizeof code);
    code[0] = 0xB7;             /* lui a5,0 instead of the AUIPC */
    len = build(MODP_ARCH_RISCV, code, sizeof code, fx_p, sizeof fx_p, 2, 1);
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_ERR_FIXUP);
    memcpy(code, code_p, sizeof code);
    code[8] = 0x13;             /* the store's site: an OP-IMM slli-shaped word */
    code[9] = 0x95;
    len = build(MODP_ARCH_RISCV, code, sizeof code, fx_p, sizeof fx_p, 2, 1);
    assert_int_equal(load_at(len, 0x80000100u, mem, sizeof mem), MODLOAD_ERR_FIXUP);
    fw_addr = 0x800017F0u;
}

/* code_align below the ISA's instruction alignment is invalid (format
 * section 3): ARM and RISC-V 2 bytes with Thumb/RVC code (arch flag bit
 * 0), else 4; Xtensa 4; x86 any. */
static void code_align_least(void **state)
{
    (void)state;
    static const struct { uint16_t arch; uint32_t flags; uint8_t least; } rows[] = {
        {MODP_ARCH_ARM, MODP_ARM_THUMB, 1},  {MODP_ARCH_ARM, 0, 2},
        {MODP_ARCH_RISCV, MODP_RV_RVC, 1},   {MODP_ARCH_RISCV, 0, 2},
        {MODP_ARCH_XTENSA, MODP_XT_CALL0, 2}, {MODP_ARCH_386, 0, 0}, {MODP_ARCH_X86_64, 0, 0},
    };
    uint8_t code[4] = {0};
    modload_image img;
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint32_t len;
        arch_flags = rows[i].flags;
        code_align_log2 = rows[i].least;
        len = build(rows[i].arch, code, 4, code, 0, 0, 0);
        assert_int_equal(modload_check(image, len, &img), MODLOAD_OK);
        if (rows[i].least) {
            code_align_log2 = (uint8_t)(rows[i].least - 1);
            len = build(rows[i].arch, code, 4, code, 0, 0, 0);
            assert_int_equal(modload_check(image, len, &img), MODLOAD_ERR_HEADER);
        }
    }
    arch_flags = 0;
    code_align_log2 = 2;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pcrel_example),
        cmocka_unit_test(pcrel_range_and_opcodes),
        cmocka_unit_test(code_align_least),
        cmocka_unit_test(spec_example),
        cmocka_unit_test(zero_base),
        cmocka_unit_test(walk_operand),
        cmocka_unit_test(opcodes_checked),
        cmocka_unit_test(low_part_formats),
        cmocka_unit_test(lo12_wraps),
        cmocka_unit_test(bad_streams),
        cmocka_unit_test(kinds_of_other_isas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
