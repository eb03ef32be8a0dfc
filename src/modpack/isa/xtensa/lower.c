/* isa/xtensa/lower.c - Xtensa relocation allow-list (ELF32, RELA), call0 ABI as
 * on the ESP8266 (lx106) and windowed as on the ESP32.
 *
 * Every R_XTENSA_* type is in the table below with the class that decides
 * how it is lowered; anything not in the table, or listed as REJECT, stops
 * the build with a message naming the site and the flag that avoids it.
 *
 * - Absolute addresses are 32-bit words (R_XTENSA_32, R_XTENSA_PLT): the
 *   literal-pool words that L32R loads, pointer tables, switch tables. They
 *   become WORD32 fixups; no instruction is ever patched on Xtensa.
 * - Instruction operands (R_XTENSA_SLOT0_OP) are PC-relative: L32R to its
 *   literal, CALL0/CALLn, J, the branches and loops. The opcode is decoded
 *   and the target it encodes must be the one the relocation names. Within
 *   a segment they need nothing; across segments (an L32R from code to a
 *   literal placed in writable data) they clear SPLIT. A CALLn or J to an
 *   import cannot reach the firmware: the module must be compiled with
 *   -mlongcalls (L32R of a literal holding the address + CALLX).
 * - Assembler markers (ASM_EXPAND, ASM_SIMPLIFY, NONE, GNU_VT*) change
 *   nothing; label differences (DIFF, PDIFF, NDIFF) need nothing within a
 *   segment and clear SPLIT across segments.
 * - FLIX slots 1..14, the old OP0..OP2 forms, dynamic and TLS relocations
 *   are refused.
 *
 * modpack never grows the code on Xtensa (no veneers), so the data never
 * moves. L32R computes (PC + 3) & ~3 and CALLn targets are word-aligned,
 * so the code segment is aligned to at least 4 (code_align >= 2).
 */
#include "lowering.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

#ifndef EM_XTENSA
#define EM_XTENSA 94
#endif

enum cls {
    K_NONE,       /* no effect on the image */
    K_ABS32,      /* 32-bit absolute word */
    K_OP,         /* slot 0 instruction operand: PC-relative */
    K_PREL32,     /* 32-bit PC-relative word */
    K_DIFF,       /* DIFFn: signed difference, symbol is the subtrahend */
    K_PDIFF,      /* PDIFFn: non-negative difference */
    K_NDIFF,      /* NDIFFn: negative difference */
    K_REJECT,
};

typedef mp_rinfo rinfo;

#define OLD_WHY   "obsolete operand relocation"
#define OLD_HINT  "reassemble with a current GNU as"
#define FLIX_WHY  "an operand in a FLIX bundle slot other than 0 is not supported"
#define FLIX_HINT "build for a core without FLIX (as the ESP8266 lx106 and ESP32 LX6 are)"
#define CALL_HINT "compile with -mlongcalls"

#define SLOT_OP(n) {20 + (n), K_REJECT, 3, "R_XTENSA_SLOT" #n "_OP", FLIX_WHY, FLIX_HINT}
#define SLOT_ALT(n) {35 + (n), K_REJECT, 3, "R_XTENSA_SLOT" #n "_ALT", FLIX_WHY, FLIX_HINT}

static const rinfo table[] = {
    {0, K_NONE, 4, "R_XTENSA_NONE", 0, 0},
    {1, K_ABS32, 4, "R_XTENSA_32", 0, 0},
    {2, K_REJECT, 4, "R_XTENSA_RTLD", MP_DYN_WHY, MP_DYN_HINT},
    {3, K_REJECT, 4, "R_XTENSA_GLOB_DAT", MP_DYN_WHY, MP_DYN_HINT},
    {4, K_REJECT, 4, "R_XTENSA_JMP_SLOT", MP_DYN_WHY, MP_DYN_HINT},
    {5, K_REJECT, 4, "R_XTENSA_RELATIVE", MP_DYN_WHY, MP_DYN_HINT},
    {6, K_ABS32, 4, "R_XTENSA_PLT", 0, 0},
    {8, K_REJECT, 3, "R_XTENSA_OP0", OLD_WHY, OLD_HINT},
    {9, K_REJECT, 3, "R_XTENSA_OP1", OLD_WHY, OLD_HINT},
    {10, K_REJECT, 3, "R_XTENSA_OP2", OLD_WHY, OLD_HINT},
    {11, K_NONE, 4, "R_XTENSA_ASM_EXPAND", 0, 0},
    {12, K_NONE, 4, "R_XTENSA_ASM_SIMPLIFY", 0, 0},
    {14, K_PREL32, 4, "R_XTENSA_32_PCREL", 0, 0},
    {15, K_NONE, 4, "R_XTENSA_GNU_VTINHERIT", 0, 0},
    {16, K_NONE, 4, "R_XTENSA_GNU_VTENTRY", 0, 0},
    {17, K_DIFF, 1, "R_XTENSA_DIFF8", 0, 0},
    {18, K_DIFF, 2, "R_XTENSA_DIFF16", 0, 0},
    {19, K_DIFF, 4, "R_XTENSA_DIFF32", 0, 0},
    {20, K_OP, 3, "R_XTENSA_SLOT0_OP", 0, 0},
    SLOT_OP(1), SLOT_OP(2), SLOT_OP(3), SLOT_OP(4), SLOT_OP(5), SLOT_OP(6), SLOT_OP(7),
    SLOT_OP(8), SLOT_OP(9), SLOT_OP(10), SLOT_OP(11), SLOT_OP(12), SLOT_OP(13), SLOT_OP(14),
    /* ALT operands: the high half of CONST16 (an absolute address split over
     * two instructions, which lx106 and ESP32 cores do not have) */
    {35, K_REJECT, 3, "R_XTENSA_SLOT0_ALT", "an absolute address in an instruction's alternate "
     "operand (CONST16) cannot be relocated", "use L32R literals (no -mconst16)"},
    SLOT_ALT(1), SLOT_ALT(2), SLOT_ALT(3), SLOT_ALT(4), SLOT_ALT(5), SLOT_ALT(6), SLOT_ALT(7),
    SLOT_ALT(8), SLOT_ALT(9), SLOT_ALT(10), SLOT_ALT(11), SLOT_ALT(12), SLOT_ALT(13), SLOT_ALT(14),
    {50, K_REJECT, 4, "R_XTENSA_TLSDESC_FN", MP_TLS_WHY, MP_TLS_HINT},
    {51, K_REJECT, 4, "R_XTENSA_TLSDESC_ARG", MP_TLS_WHY, MP_TLS_HINT},
    {52, K_REJECT, 4, "R_XTENSA_TLS_DTPOFF", MP_TLS_WHY, MP_TLS_HINT},
    {53, K_REJECT, 4, "R_XTENSA_TLS_TPOFF", MP_TLS_WHY, MP_TLS_HINT},
    {54, K_REJECT, 3, "R_XTENSA_TLS_FUNC", MP_TLS_WHY, MP_TLS_HINT},
    {55, K_REJECT, 3, "R_XTENSA_TLS_ARG", MP_TLS_WHY, MP_TLS_HINT},
    {56, K_REJECT, 3, "R_XTENSA_TLS_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {57, K_PDIFF, 1, "R_XTENSA_PDIFF8", 0, 0},
    {58, K_PDIFF, 2, "R_XTENSA_PDIFF16", 0, 0},
    {59, K_PDIFF, 4, "R_XTENSA_PDIFF32", 0, 0},
    {60, K_NDIFF, 1, "R_XTENSA_NDIFF8", 0, 0},
    {61, K_NDIFF, 2, "R_XTENSA_NDIFF16", 0, 0},
    {62, K_NDIFF, 4, "R_XTENSA_NDIFF32", 0, 0},
};

/* ---- instruction decoding --------------------------------------------------- */

static uint32_t sext(uint32_t v, unsigned bits)
{
    uint32_t m = 1u << (bits - 1);
    v &= (m << 1) - 1;
    return (v ^ m) - m;
}

enum { OP_UNKNOWN, OP_L32R, OP_CALL, OP_JUMP, OP_BRANCH };

/* Decode the PC-relative instruction at link address addr (bytes p, avail
 * of them stored): its class and the address it refers to. */
static int decode(const uint8_t *p, uint32_t avail, uint32_t addr, uint32_t *target)
{
    unsigned op0 = p[0] & 0xFu;
    uint32_t w;

    if (op0 >= 8) {               /* narrow (16-bit) instructions */
        unsigned t = p[0] >> 4;
        if (op0 == 0xC && (t & 0x8u)) {   /* BEQZ.N / BNEZ.N: imm6 = t[1:0]:s */
            *target = addr + 4u + ((t & 3u) << 4 | (uint32_t)(p[1] >> 4));
            return OP_BRANCH;
        }
        return OP_UNKNOWN;
    }
    if (avail < 3)
        return OP_UNKNOWN;
    w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    switch (op0) {
    case 1:                       /* L32R: ((PC + 3) & ~3) + (1^14 || imm16 || 00) */
        *target = ((addr + 3u) & ~3u) + (0xFFFC0000u | (w >> 8) << 2);
        return OP_L32R;
    case 5:                       /* CALL0, CALL4, CALL8, CALL12 */
        *target = (addr & ~3u) + (sext(w >> 6, 18) << 2) + 4u;
        return OP_CALL;
    case 6:
        switch (w >> 4 & 3u) {
        case 0:                   /* J */
            *target = addr + 4u + sext(w >> 6, 18);
            return OP_JUMP;
        case 1:                   /* BEQZ, BNEZ, BLTZ, BGEZ: imm12 */
            *target = addr + 4u + sext(w >> 12, 12);
            return OP_BRANCH;
        case 2:                   /* BEQI, BNEI, BLTI, BGEI: imm8 */
            *target = addr + 4u + sext(w >> 16, 8);
            return OP_BRANCH;
        default:                  /* m = 0 ENTRY; m = 1 BF, BT, LOOP*; m = 2, 3 BLTUI, BGEUI */
            if ((w >> 6 & 3u) == 0)
                return OP_UNKNOWN;
            if ((w >> 6 & 3u) == 1) {
                unsigned r = w >> 12 & 0xFu;
                if (r == 8 || r == 9 || r == 10) {   /* LOOP, LOOPNEZ, LOOPGTZ: unsigned imm8 */
                    *target = addr + 4u + (w >> 16);
                    return OP_BRANCH;
                }
                if (r > 1)
                    return OP_UNKNOWN;
            }
            *target = addr + 4u + sext(w >> 16, 8);
            return OP_BRANCH;
        }
    case 7:                       /* BNE, BEQ, BALL, BBC, BBS, BLT, ...: imm8 */
        *target = addr + 4u + sext(w >> 16, 8);
        return OP_BRANCH;
    default:
        return OP_UNKNOWN;
    }
}

static const char *op_name(int op)
{
    switch (op) {
    case OP_L32R: return "L32R";
    case OP_CALL: return "CALL";
    case OP_JUMP: return "J";
    default: return "branch";
    }
}

/* ---- one relocation ---------------------------------------------------------- */

static int stale(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *what)
{
    char why[160];
    snprintf(why, sizeof why, "the linked %s is not the value the relocation describes", what);
    return mp_reloc_error(c, rs, r, why, "link with --emit-relocs and without -r");
}

/* Does link address a match the relocation's S + A? GNU ld (2.40) emits
 * Xtensa relocations against section symbols with the addend the input
 * section had, without the input section's offset in the output section
 * (R_XTENSA_32 and SLOT0_OP are "partial in place"), so for those only the
 * section is checked: the linked bytes are the truth. */
static int matches(const mp_ctx *c, const mp_reloc *r, const mp_target *t, uint32_t a)
{
    const mp_symbol *y = &c->m->sym[r->sym];
    if (y->type == STT_SECTION && y->shndx < c->m->nsec) {
        const mp_section *s = &c->m->sec[y->shndx];
        return a >= s->addr && a - s->addr <= s->size;
    }
    return a == (uint32_t)(t->value + (uint64_t)r->addend);
}

/* Segment holding link address a (code: its stored bytes; data: data and
 * bss, end included), or MP_SEG_NONE. */
static int seg_of(const mp_ctx *c, uint64_t a)
{
    const mp_seg *g = c->mod->L.seg;
    if (a >= g[MODP_SEG_CODE].base && a - g[MODP_SEG_CODE].base <= g[MODP_SEG_CODE].size)
        return MODP_SEG_CODE;
    if (a >= g[MODP_SEG_DATA].base &&
        a - g[MODP_SEG_DATA].base <= (uint64_t)g[MODP_SEG_DATA].size + g[MODP_SEG_DATA].bss)
        return MODP_SEG_DATA;
    return MP_SEG_NONE;
}

static int lower_op(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r)
{
    int seg;
    const mp_section *s = &c->m->sec[rs->target];
    uint8_t *p = mp_site(c, rs, r, 2, &seg);
    if (!p)
        return -1;
    mp_target t;
    if (mp_resolve(c, rs, r, &t) != 0)
        return -1;
    uint32_t avail = (uint32_t)(s->size - (r->offset - s->addr));
    uint32_t target = 0;
    int op = decode(p, avail, (uint32_t)r->offset, &target);
    if (op == OP_UNKNOWN)
        return mp_reloc_error(c, rs, r, "an operand of an instruction that is not PC-relative "
                              "(L32R, CALL, J, branch or loop) cannot be relocated",
                              "keep addresses in L32R literals (the default; no -mconst16)");
    if (t.kind == MP_T_IMPORT) {
        if (op == OP_CALL || op == OP_JUMP) {
            char why[160];
            snprintf(why, sizeof why, "a %s cannot reach the firmware (the import's address is known "
                     "only at load time, and may be out of range)", op == OP_CALL ? "direct CALL" : "J (tail call)");
            return mp_reloc_error(c, rs, r, why, CALL_HINT);
        }
        return mp_reloc_error(c, rs, r, op == OP_L32R
                              ? "an L32R must load a literal inside the module, not an import"
                              : "a branch cannot reach an import",
                              CALL_HINT);
    }
    if (t.kind == MP_T_ABS)
        return mp_reloc_error(c, rs, r, "a PC-relative operand to an absolute address breaks when "
                              "the module moves", CALL_HINT);
    if (!matches(c, r, &t, target)) {
        char what[40];
        snprintf(what, sizeof what, "%s target", op_name(op));
        return stale(c, rs, r, what);
    }
    if (t.seg != seg)
        mp_no_split(c, rs, r, MP_CROSS_WHY(seg));
    return 0;
}

static int lower_diff(mp_ctx *c, const mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    const uint8_t *p = x->p;
    mp_target t = x->t;
    if (t.kind == MP_T_IMPORT)
        return mp_reloc_error(c, rs, r, "a difference involving an import changes when the module moves",
                              "store the import's address in a 32-bit word (R_XTENSA_32)");
    if (t.kind == MP_T_ABS)
        return 0;   /* two constants */
    uint32_t v = ri->width == 1 ? p[0] : ri->width == 2 ? rd16(p) : rd32(p);
    unsigned bits = ri->width * 8u;
    uint32_t d = ri->cls == K_PDIFF ? v : ri->cls == K_DIFF ? sext(v, bits)
               : (bits == 32 ? v : (v | ~((1u << bits) - 1u)));   /* NDIFF: always negative */
    uint64_t from = t.value + (uint64_t)r->addend;
    uint64_t to = (uint64_t)(uint32_t)((uint32_t)from + d);
    /* (a section symbol's addend may lack the input section's offset:
     * see matches(); the segment is what counts here) */
    int other = seg_of(c, to);
    if (other == MP_SEG_NONE)
        return mp_reloc_error(c, rs, r, "a difference between a module label and an address outside "
                              "the module changes when the module moves", NULL);
    if (other != t.seg)
        mp_no_split(c, rs, r, "a label difference between code and data");
    return 0;
}

static int xt_lower_rel(mp_ctx *c, mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    switch (ri->cls) {
    case K_OP:
        return lower_op(c, rs, r);
    case K_DIFF: case K_PDIFF: case K_NDIFF:
        return lower_diff(c, x);
    default:
        break;
    }
    int seg = x->seg;
    uint8_t *p = x->p;
    mp_target t = x->t;
    if (ri->cls == K_ABS32) {
        if (t.kind == MP_T_IMPORT ? rd32(p) != (uint32_t)r->addend
                                  : t.kind == MP_T_SEG && !matches(c, r, &t, rd32(p)))
            return stale(c, rs, r, "word");
        mp_lower_word(c, seg, r->offset, &t);
        return 0;
    }
    /* K_PREL32: S + A - P */
    if (t.kind == MP_T_IMPORT)
        return mp_reloc_error(c, rs, r, MP_PCREL_IMPORT_WHY,
                              "store the address in a 32-bit word (R_XTENSA_32)");
    if (t.kind == MP_T_ABS)
        return mp_reloc_error(c, rs, r, MP_PCREL_ABS_WHY,
                              "store the address in a 32-bit word (R_XTENSA_32)");
    if (t.seg != seg)
        mp_no_split(c, rs, r, MP_CROSS_WHY(seg));
    return 0;
}

static int xt_begin(mp_ctx *c, const mp_relsec *rs)
{
    if (!rs->rela && rs->n)
        return mp_error("%s: %s: Xtensa relocations must be RELA", c->m->path, c->m->sec[rs->index].name);
    return 0;
}

/* L32R and CALLn need the code at a 4-byte boundary: state it in the image. */
static int xt_finish(mp_ctx *c)
{
    mp_seg *code = &c->mod->L.seg[MODP_SEG_CODE];
    if (code->base & 3u)
        return mp_error("%s: code starts at 0x%llx, which is not 4-byte aligned (L32R and CALL need it)",
                        c->m->path, (unsigned long long)code->base);
    if (code->align < 2)
        code->align = 2;
    return 0;
}

/* The ABI from the .xtensa.info note GNU as writes ("ABI=0" windowed,
 * "ABI=1" call0); neither bit when the input does not say. */
/* The ABI GNU as records in .xtensa.info ("ABI=1": call0), or 0. */
static uint32_t xt_elf_flags(const mp_elf *m)
{
    for (size_t i = 1; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        if (strcmp(s->name, ".xtensa.info") != 0 || !s->bytes)
            continue;
        for (uint64_t k = 0; k + 5 <= s->size; k++) {
            if (memcmp(s->bytes + k, "ABI=", 4) != 0)
                continue;
            if (s->bytes[k + 4] == '1')
                return MODP_XT_CALL0;
            if (s->bytes[k + 4] == '0')
                return MODP_XT_WINDOWED;
        }
    }
    return 0;
}

static uint32_t xt_flags(mp_ctx *c)
{
    return xt_elf_flags(c->m);
}

/* build --firmware: call0 and windowed code cannot call each other. */
static int xt_fw_check(const char *module, uint32_t mf, const mp_elf *fw)
{
    uint32_t ff = xt_elf_flags(fw);
    if (mf && ff && mf != ff)
        return mp_error("%s: the module uses the %s ABI, the firmware %s the %s ABI; build the module "
                        "with the firmware's toolchain (%s)", module, mf & MODP_XT_CALL0 ? "call0" : "windowed",
                        fw->path, ff & MODP_XT_CALL0 ? "call0" : "windowed",
                        ff & MODP_XT_CALL0 ? "xtensa-lx106-elf-gcc: ESP8266" : "xtensa-esp32-elf-gcc: ESP32");
    return 0;
}

/* inspect: the words for xt_flags' bits. */
static int xt_flag_words(uint32_t f, char w[8][16])
{
    int n = 0;
    if (f & MODP_XT_CALL0)
        snprintf(w[n++], 16, "call0");
    if (f & MODP_XT_WINDOWED)
        snprintf(w[n++], 16, "windowed");
    return n;
}

extern const mp_stub_tpl mp_stub_xtensa; /* stub.c */

const mp_arch mp_arch_xtensa = {
    .machine = EM_XTENSA,
    .elfclass = ELFCLASS32,
    .name = "xtensa",
    .rtable = table,
    .nrtable = sizeof table / sizeof table[0],
    .rprefix = "R_XTENSA_",
    .own_cls = 1u << K_OP,   /* the site is the 2- or 3-byte instruction, decoded */
    .begin = xt_begin,
    .lower_rel = xt_lower_rel,
    .finish = xt_finish,
    .arch_flags = xt_flags,
    .binutils = "xtensa-lx106-elf",
    .flag_words = xt_flag_words,
    .stub = &mp_stub_xtensa,
    .fw_check = xt_fw_check,
};
