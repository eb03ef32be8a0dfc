/* isa/riscv/lower.c - RISC-V rv32 (ELF32) and rv64 (ELF64) relocation
 * allow-list (RELA).
 *
 * Every R_RISCV_* type is listed in the table below with the class that
 * decides how it is lowered; anything not in the table, or listed as
 * REJECT, stops the build with a message naming the site and the flag that
 * avoids it.
 *
 * - Absolute addresses: R_RISCV_32 words become WORD32; the LUI / I-type /
 *   S-type halves of -mcmodel=medlow addresses become RV_HI20, RV_LO12_I
 *   and RV_LO12_S (format section 6.1). RELA gives the addend exactly, so
 *   the RV_HI20 operand (the low 12 bits of the segment-relative value)
 *   comes from the relocation, not from the paired instruction.
 * - PC-relative references (AUIPC pairs of -mcmodel=medany, branches, JAL,
 *   CALL inside the module, label differences) need nothing within a
 *   segment; across segments they clear SPLIT. An AUIPC pair that reaches
 *   an import becomes an RV_PCREL pair for each of its low parts (format
 *   section 6.2), found at the end of the section through the label on the
 *   AUIPC as the psABI defines.
 * - Calls to imports (CALL, CALL_PLT, JAL, RVC_JUMP) go through a veneer
 *   modpack appends to the code: auipc t1,0; lw t1,12(t1); jr t1; .word
 *   target (t1 is a scratch register a call may clobber, as in a PLT);
 *   rv64: auipc t1,0; ld t1,16(t1); jr t1; nop; .dword target, 8-aligned.
 * - rv64: R_RISCV_64 words become WORD64; LUI/ADDI (medlow) addresses are
 *   sign-extended 32-bit values, which modload checks at load time
 *   (format section 6.1); R_RISCV_32 may hold only absolute values.
 * - Relaxation (-mrelax, the default): calls shortened to JAL are fine;
 *   addresses that ld turned into x0- or gp-relative immediates
 *   (GPREL_I/S, an LO12 with rs1 = x0) or into C.LUI cannot be relocated
 *   and are refused with -mno-relax. Each HI20/LO12 site must still hold
 *   the value its relocation describes, which catches relocations left
 *   describing code from before relaxation.
 */
#include "insn.h"
#include "attributes.h"
#include "lowering.h"
#include "link.h"
#include "util.h"

#include <ctype.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

enum cls {
    K_NONE,       /* no effect on the image */
    K_ABS32,      /* 32-bit absolute word */
    K_ABS64,      /* 64-bit absolute word (rv64) */
    K_HI20, K_LO12_I, K_LO12_S,  /* medlow absolute address halves */
    K_PCREL_HI20, /* AUIPC: fine within a segment */
    K_PCREL_LO12, /* paired with its PCREL_HI20 by the HI20's address */
    K_CALL,       /* AUIPC+JALR call: import -> veneer */
    K_JAL,        /* JAL: import -> veneer */
    K_CJUMP,      /* C.J / C.JAL: import -> veneer */
    K_BRANCH,     /* conditional branch: import -> error */
    K_PREL32,     /* 32-bit PC-relative word */
    K_DIFF_PLUS,  /* ADDn / SETn: label difference with a SUBn at the same place */
    K_DIFF_MINUS, /* SUBn */
    K_REJECT,
};

typedef mp_rinfo rinfo;

/* mp_note flag of an AUIPC: 0 its target is in its segment, 1 in the other
 * segment (re-patched when the data moves), or an import (sym: its number;
 * value: the addend) whose first low part is still to come, or has come. */
enum { NOTE_IMPORT = 2, NOTE_IMPORT_PAIRED = 3 };

#define GOT_WHY   "GOT-relative addressing (position-independent code) is not supported on RISC-V"
#define PIC_HINT  "compile with -fno-pic"
#define RELAX_WHY "ld relaxed the address into an x0- or gp-relative immediate, which cannot be relocated"
#define RELAX_HINT "compile and link with -mno-relax, or link the module above 0x20000 " \
                   "(-Wl,--defsym=__module_base=0x10000000) and without __global_pointer$"
#define IMP_HINT  "compile with -mcmodel=medlow (absolute LUI/ADDI addresses), or reach the " \
                  "firmware symbol through a pointer"
#define ABS_HINT  "leave the firmware symbol undefined (an import bound at load time) rather than " \
                  "--just-symbols, or compile with -mcmodel=medlow"

static const rinfo table[] = {
    {0, K_NONE, 4, "R_RISCV_NONE", 0, 0},
    {1, K_ABS32, 4, "R_RISCV_32", 0, 0},
    {2, K_ABS64, 8, "R_RISCV_64", 0, 0},
    {3, K_REJECT, 4, "R_RISCV_RELATIVE", MP_DYN_WHY, MP_DYN_HINT},
    {4, K_REJECT, 4, "R_RISCV_COPY", MP_DYN_WHY, MP_DYN_HINT},
    {5, K_REJECT, 4, "R_RISCV_JUMP_SLOT", MP_DYN_WHY, MP_DYN_HINT},
    {6, K_REJECT, 4, "R_RISCV_TLS_DTPMOD32", MP_TLS_WHY, MP_TLS_HINT},
    {7, K_REJECT, 8, "R_RISCV_TLS_DTPMOD64", MP_TLS_WHY, MP_TLS_HINT},
    {8, K_REJECT, 4, "R_RISCV_TLS_DTPREL32", MP_TLS_WHY, MP_TLS_HINT},
    {9, K_REJECT, 8, "R_RISCV_TLS_DTPREL64", MP_TLS_WHY, MP_TLS_HINT},
    {10, K_REJECT, 4, "R_RISCV_TLS_TPREL32", MP_TLS_WHY, MP_TLS_HINT},
    {11, K_REJECT, 8, "R_RISCV_TLS_TPREL64", MP_TLS_WHY, MP_TLS_HINT},
    {12, K_REJECT, 4, "R_RISCV_TLSDESC", MP_TLS_WHY, MP_TLS_HINT},
    {16, K_BRANCH, 4, "R_RISCV_BRANCH", 0, 0},
    {17, K_JAL, 4, "R_RISCV_JAL", 0, 0},
    {18, K_CALL, 8, "R_RISCV_CALL", 0, 0},
    {19, K_CALL, 8, "R_RISCV_CALL_PLT", 0, 0},
    {20, K_REJECT, 4, "R_RISCV_GOT_HI20", GOT_WHY, PIC_HINT},
    {21, K_REJECT, 4, "R_RISCV_TLS_GOT_HI20", MP_TLS_WHY, MP_TLS_HINT},
    {22, K_REJECT, 4, "R_RISCV_TLS_GD_HI20", MP_TLS_WHY, MP_TLS_HINT},
    {23, K_PCREL_HI20, 4, "R_RISCV_PCREL_HI20", 0, 0},
    {24, K_PCREL_LO12, 4, "R_RISCV_PCREL_LO12_I", 0, 0},
    {25, K_PCREL_LO12, 4, "R_RISCV_PCREL_LO12_S", 0, 0},
    {26, K_HI20, 4, "R_RISCV_HI20", 0, 0},
    {27, K_LO12_I, 4, "R_RISCV_LO12_I", 0, 0},
    {28, K_LO12_S, 4, "R_RISCV_LO12_S", 0, 0},
    {29, K_REJECT, 4, "R_RISCV_TPREL_HI20", MP_TLS_WHY, MP_TLS_HINT},
    {30, K_REJECT, 4, "R_RISCV_TPREL_LO12_I", MP_TLS_WHY, MP_TLS_HINT},
    {31, K_REJECT, 4, "R_RISCV_TPREL_LO12_S", MP_TLS_WHY, MP_TLS_HINT},
    {32, K_REJECT, 4, "R_RISCV_TPREL_ADD", MP_TLS_WHY, MP_TLS_HINT},
    {33, K_DIFF_PLUS, 1, "R_RISCV_ADD8", 0, 0},
    {34, K_DIFF_PLUS, 2, "R_RISCV_ADD16", 0, 0},
    {35, K_DIFF_PLUS, 4, "R_RISCV_ADD32", 0, 0},
    {36, K_DIFF_PLUS, 8, "R_RISCV_ADD64", 0, 0},
    {37, K_DIFF_MINUS, 1, "R_RISCV_SUB8", 0, 0},
    {38, K_DIFF_MINUS, 2, "R_RISCV_SUB16", 0, 0},
    {39, K_DIFF_MINUS, 4, "R_RISCV_SUB32", 0, 0},
    {40, K_DIFF_MINUS, 8, "R_RISCV_SUB64", 0, 0},
    {41, K_NONE, 4, "R_RISCV_GNU_VTINHERIT", 0, 0},
    {42, K_NONE, 4, "R_RISCV_GNU_VTENTRY", 0, 0},
    {43, K_NONE, 4, "R_RISCV_ALIGN", 0, 0},
    {44, K_BRANCH, 2, "R_RISCV_RVC_BRANCH", 0, 0},
    {45, K_CJUMP, 2, "R_RISCV_RVC_JUMP", 0, 0},
    {46, K_REJECT, 2, "R_RISCV_RVC_LUI", "ld relaxed a LUI into a C.LUI, whose 6-bit immediate "
     "cannot hold a relocated address", RELAX_HINT},
    {47, K_REJECT, 4, "R_RISCV_GPREL_I", RELAX_WHY, RELAX_HINT},
    {48, K_REJECT, 4, "R_RISCV_GPREL_S", RELAX_WHY, RELAX_HINT},
    {49, K_REJECT, 4, "R_RISCV_TPREL_I", MP_TLS_WHY, MP_TLS_HINT},
    {50, K_REJECT, 4, "R_RISCV_TPREL_S", MP_TLS_WHY, MP_TLS_HINT},
    {51, K_NONE, 4, "R_RISCV_RELAX", 0, 0},
    {52, K_DIFF_MINUS, 1, "R_RISCV_SUB6", 0, 0},
    {53, K_DIFF_PLUS, 1, "R_RISCV_SET6", 0, 0},
    {54, K_DIFF_PLUS, 1, "R_RISCV_SET8", 0, 0},
    {55, K_DIFF_PLUS, 2, "R_RISCV_SET16", 0, 0},
    {56, K_DIFF_PLUS, 4, "R_RISCV_SET32", 0, 0},
    {57, K_PREL32, 4, "R_RISCV_32_PCREL", 0, 0},
    {58, K_REJECT, 4, "R_RISCV_IRELATIVE", MP_DYN_WHY, "do not use ifunc"},
    {59, K_PREL32, 4, "R_RISCV_PLT32", 0, 0},
    {60, K_DIFF_PLUS, 1, "R_RISCV_SET_ULEB128", 0, 0},
    {61, K_DIFF_MINUS, 1, "R_RISCV_SUB_ULEB128", 0, 0},
    {62, K_REJECT, 4, "R_RISCV_TLSDESC_HI20", MP_TLS_WHY, MP_TLS_HINT},
    {63, K_REJECT, 4, "R_RISCV_TLSDESC_LOAD_LO12", MP_TLS_WHY, MP_TLS_HINT},
    {64, K_REJECT, 4, "R_RISCV_TLSDESC_ADD_LO12", MP_TLS_WHY, MP_TLS_HINT},
    {65, K_REJECT, 4, "R_RISCV_TLSDESC_CALL", MP_TLS_WHY, MP_TLS_HINT},
};

static int is64(const mp_ctx *c) { return c->arch->elfclass == ELFCLASS64; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* ---- absolute address halves -------------------------------------------- */

static int stale(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *what)
{
    char why[160];
    snprintf(why, sizeof why, "the linked instruction is not the %s the relocation describes "
             "(relocations left from before relaxation?)", what);
    return mp_reloc_error(c, rs, r, why, "link with -mno-relax");
}

static int lower_abs_half(mp_ctx *c, const mp_rel *rel)
{
    const mp_relsec *rs = rel->rs;
    const mp_reloc *r = rel->r;
    int cls = rel->ri->cls, seg = rel->seg;
    uint8_t *p = rel->p;
    mp_target t = rel->t;
    uint32_t w = rd32(p);
    uint32_t s = t.kind == MP_T_IMPORT ? 0 : (uint32_t)t.value;
    uint32_t linked = s + (uint32_t)r->addend;     /* what ld computed, S + A */
    if (is64(c) && t.kind != MP_T_IMPORT) {
        /* rv64 LUI sign-extends: the linked address must be a sign-extended
         * 32-bit value too (module.ld links at 0) */
        int64_t full = (int64_t)t.value + r->addend;
        if (full < -(int64_t)0x80000000 || full >= (int64_t)0x80000000 - 0x800)
            return mp_reloc_error(c, rs, r, "an absolute LUI/ADDI address outside the signed 32-bit "
                                  "range", "link the module at 0, or compile with -mcmodel=medany");
    }
    if (cls == K_HI20) {
        if (RV_OP(w) != 0x37u)
            return stale(c, rs, r, "LUI");
        if (w >> 12 != rv_hi20(linked))
            return stale(c, rs, r, "LUI value");
    } else {
        if (cls == K_LO12_I ? !rv_is_itype(w) : !rv_is_stype(w))
            return stale(c, rs, r, cls == K_LO12_I ? "I-type instruction" : "S-type instruction");
        if (t.kind != MP_T_ABS && (w >> 15 & 0x1Fu) == 0)
            return mp_reloc_error(c, rs, r, "the low part is added to x0: " RELAX_WHY, RELAX_HINT);
        if (((cls == K_LO12_I ? rv_get_i(w) : rv_get_s(w)) ^ linked) & 0xFFFu)
            return stale(c, rs, r, "low-part value");
    }
    if (t.kind == MP_T_ABS)
        return 0;
    /* The segment-relative (or import-relative) value the loader adds to. */
    uint32_t x = t.kind == MP_T_SEG ? linked - (uint32_t)c->mod->L.seg[t.seg].base : (uint32_t)r->addend;
    unsigned kind;
    if (cls == K_HI20) {
        w = rv_set_u(w, x);
        kind = MODP_FIX_RV_HI20;
    } else if (cls == K_LO12_I) {
        w = rv_set_i(w, x);
        kind = MODP_FIX_RV_LO12_I;
    } else {
        w = rv_set_s(w, x);
        kind = MODP_FIX_RV_LO12_S;
    }
    wr32(p, w);
    mp_add_fixup(c, kind, seg, r->offset, r->offset, &t);
    if (cls == K_HI20)
        c->mod->fx[c->mod->nfx - 1].arg = x & 0xFFFu;
    return 0;
}

/* ---- calls and branches ----------------------------------------------------- */

static int check_branch_insn(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int cls, const uint8_t *p)
{
    /* Read only the relocation's width (mp_site checked it): a C.J may be
     * the last two bytes of the section. */
    switch (cls) {
    case K_CALL:
        if (RV_OP(rd32(p)) != 0x17u || RV_OP(rd32(p + 4)) != 0x67u)
            return stale(c, rs, r, "AUIPC+JALR pair");
        return 0;
    case K_JAL:
        return RV_OP(rd32(p)) == 0x6Fu ? 0 : stale(c, rs, r, "JAL");
    case K_CJUMP: {  /* C.J (funct3 5) or rv32 C.JAL (funct3 1; rv64 C.ADDIW), quadrant 1 */
        uint32_t h = rd16(p);
        return (h & 3u) == 1u && ((h >> 13) == 5u || ((h >> 13) == 1u && !is64(c)))
                   ? 0 : stale(c, rs, r, "C.J/C.JAL");
    }
    default:
        return 0;
    }
}

static int rv_patch_branch(mp_ctx *c, const mp_branch *b, uint64_t dest)
{
    uint8_t *p = mp_seg_at(&c->mod->L, b->seg, b->addr, b->kind == K_CJUMP ? 2 : b->kind == K_CALL ? 8 : 4);
    int64_t off = (int64_t)dest - (int64_t)b->addr;
    uint32_t u = (uint32_t)off;
    if (!p)
        return mp_error("%s: internal error: branch site outside its segment", c->m->path);
    switch (b->kind) {
    case K_CALL:
        wr32(p, rv_set_u(rd32(p), u));
        wr32(p + 4, rv_set_i(rd32(p + 4), u));
        return 0;
    case K_JAL:
        if (off < -(1 << 20) || off >= (1 << 20))
            return mp_reloc_error(c, b->rs, &b->r, "the veneer for this call is out of JAL range",
                                  "compile with -mno-relax");
        wr32(p, rv_set_j(rd32(p), u));
        return 0;
    default:
        if (off < -2048 || off >= 2048)
            return mp_reloc_error(c, b->rs, &b->r, "the veneer for this call is out of C.J/C.JAL range",
                                  "compile with -mno-relax");
        wr16(p, rv_set_cj(rd16(p), u));
        return 0;
    }
}

/* ---- label differences ----------------------------------------------------- */

/* ADDn/SETn at i and the SUBn at the same place: nothing when both labels
 * lie in one segment. */
static int lower_diff(mp_ctx *c, const mp_relsec *rs, size_t i)
{
    const mp_reloc *r = &rs->r[i];
    const rinfo *ri = mp_rinfo_find(c->arch, r->type);
    int minus = ri->cls == K_DIFF_MINUS;
    long j = -1;
    for (size_t k = i >= 4 ? i - 4 : 0; k < rs->n && k <= i + 4; k++) {
        const rinfo *rk = mp_rinfo_find(c->arch, rs->r[k].type);
        if (k != i && rs->r[k].offset == r->offset && rk &&
            rk->cls == (minus ? K_DIFF_PLUS : K_DIFF_MINUS)) {
            j = (long)k;
            break;
        }
    }
    mp_target a, b;
    if (mp_resolve(c, rs, r, &a) != 0)
        return -1;
    if (j < 0) {
        if (a.kind == MP_T_ABS)
            return 0;
        return mp_reloc_error(c, rs, r, minus ? "a subtracted label without the label it is subtracted from"
                                              : "an address in a field narrower than 32 bits (not a "
                                                "difference of two labels) cannot be relocated",
                              "store addresses in 32-bit words");
    }
    if (minus)
        return 0;   /* judged from the ADD/SET side */
    if (mp_resolve(c, rs, &rs->r[j], &b) != 0)
        return -1;
    if (a.kind == MP_T_IMPORT || b.kind == MP_T_IMPORT)
        return mp_reloc_error(c, rs, r, "a difference involving an import changes when the module moves",
                              "store the import's address in a 32-bit word (R_RISCV_32)");
    if (a.kind != b.kind)
        return mp_reloc_error(c, rs, r, "a difference between a module label and an absolute "
                              "symbol changes when the module moves", NULL);
    if (a.kind == MP_T_SEG && a.seg != b.seg) {
        int seg;
        mp_no_split(c, rs, r, "a label difference between code and data");
        if (ri->width == 4 && mp_site(c, rs, r, 4, &seg))
            mp_add_xword(c, rs, r, seg, r->offset, a.seg == MODP_SEG_DATA ? 1 : -1, MP_X_WORD32);
        else
            mp_pin(c, rs, r);
    }
    return 0;
}

/* ---- one relocation --------------------------------------------------------- */

static int rv_lower_rel(mp_ctx *c, mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    switch (ri->cls) {
    case K_PCREL_LO12:    /* rv_end */
        return 0;
    case K_HI20: case K_LO12_I: case K_LO12_S:
        return lower_abs_half(c, x);
    case K_DIFF_PLUS: case K_DIFF_MINUS:
        return lower_diff(c, rs, x->i);
    default:
        break;
    }
    int seg = x->seg;
    uint8_t *p = x->p;
    mp_target t = x->t;

    if (ri->cls == K_ABS32) {
        uint32_t want = (t.kind == MP_T_IMPORT ? 0 : (uint32_t)t.value) + (uint32_t)r->addend;
        if (rd32(p) != want)
            return stale(c, rs, r, "word");
        if (is64(c) && t.kind != MP_T_ABS)
            return mp_reloc_error(c, rs, r, "a 32-bit word cannot hold the module's 64-bit run address",
                                  "store addresses in pointers (R_RISCV_64)");
        mp_lower_word(c, seg, r->offset, &t);
        return 0;
    }
    if (ri->cls == K_ABS64) {
        if (!is64(c))
            return mp_reloc_error(c, rs, r, "64-bit address word in an rv32 module",
                                  "build for rv32 (-march=rv32...)");
        uint64_t want = (t.kind == MP_T_IMPORT ? 0 : t.value) + (uint64_t)r->addend;
        if (rd64(p) != want)
            return stale(c, rs, r, "word");
        if (t.kind == MP_T_ABS)
            return 0;
        if (t.kind == MP_T_SEG)   /* an offset; the loader adds the run base */
            wr64(p, want - c->mod->L.seg[t.seg].base);
        mp_add_fixup(c, MODP_FIX_WORD64, seg, r->offset, r->offset, &t);
        return 0;
    }
    if (check_branch_insn(c, rs, r, ri->cls, p) != 0)
        return -1;
    if (ri->cls == K_PCREL_HI20) {
        if (RV_OP(rd32(p)) != 0x17u)
            return stale(c, rs, r, "AUIPC");
        /* an AUIPC and where it points, for its low parts (rv_end); one
         * from code to data is re-patched when the data moves */
        mp_note *h = mp_add_note(c, r->offset);
        h->value = t.value + (uint64_t)r->addend;
        h->seg = seg;
        h->flag = t.kind == MP_T_SEG && t.seg != seg;
        if (t.kind == MP_T_IMPORT) {   /* its low parts make RV_PCREL pairs */
            h->flag = NOTE_IMPORT;
            h->value = (uint64_t)r->addend;
            h->sym = t.imp;
            return 0;
        }
        if (h->flag) {
            mp_xword *xw = mp_add_xword(c, rs, r, seg, r->offset, 1, MP_X_ISA);
            xw->kind = K_PCREL_HI20;
            xw->aux = h->value;
        }
    }

    if (t.kind == MP_T_SEG) {
        if (t.seg != seg) {
            mp_no_split(c, rs, r, MP_CROSS_WHY(seg));
            if (ri->cls == K_PREL32)
                mp_add_xword(c, rs, r, seg, r->offset, t.seg == MODP_SEG_DATA ? 1 : -1, MP_X_WORD32);
            else if (ri->cls != K_PCREL_HI20 || seg != MODP_SEG_CODE)
                mp_pin(c, rs, r);   /* AUIPC pairs from code are re-patched instead */
        }
        return 0;
    }
    if (ri->cls == K_CALL || ri->cls == K_JAL || ri->cls == K_CJUMP) {
        if (seg != MODP_SEG_CODE)
            return mp_reloc_error(c, rs, r, "a call to an import outside the code segment", NULL);
        mp_add_branch(c, rs, r, seg, 0, ri->cls, &t);
        return 0;
    }
    const char *why = t.kind == MP_T_IMPORT ? MP_PCREL_IMPORT_WHY : MP_PCREL_ABS_WHY;
    if (ri->cls == K_BRANCH)
        return mp_reloc_error(c, rs, r, why, "compile with -fno-optimize-sibling-calls so that "
                              "firmware is reached by a call");
    if (ri->cls == K_PREL32)
        return mp_reloc_error(c, rs, r, why, "store the address in a 32-bit word (R_RISCV_32)");
    return mp_reloc_error(c, rs, r, why, t.kind == MP_T_ABS ? ABS_HINT : IMP_HINT);
}

/* A low part of an AUIPC that reaches import h->sym: both instructions
 * hold the addend (the loader adds the import's address minus the AUIPC's),
 * and the pair is an RV_PCREL; the AUIPC's first low part is paired with
 * it AUIPC first, every further one low part first (format section 6.2). */
static void lower_pcrel_import(mp_ctx *c, mp_note *h, int seg, uint64_t lo_addr, uint8_t *lo, int store)
{
    uint8_t *auipc = mp_seg_at(&c->mod->L, seg, h->addr, 4);
    mp_target t = {.kind = MP_T_IMPORT, .imp = h->sym};
    wr32(lo, store ? rv_set_s(rd32(lo), h->value) : rv_set_i(rd32(lo), h->value));
    if (h->flag == NOTE_IMPORT) {
        wr32(auipc, rv_set_u(rd32(auipc), h->value));
        mp_add_fixup(c, MODP_FIX_RV_PCREL, seg, h->addr, lo_addr, &t);
        h->flag = NOTE_IMPORT_PAIRED;
    } else {
        mp_add_fixup(c, MODP_FIX_RV_PCREL, seg, lo_addr, h->addr, &t);
        c->mod->fx[c->mod->nfx - 1].arg = 1;   /* the AUIPC is only read */
    }
}

/* PCREL_LO12_I/S: its symbol is the label on the AUIPC. */
static int lower_pcrel_lo(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r)
{
    int seg;
    uint8_t *p = mp_site(c, rs, r, 4, &seg);
    if (!p)
        return -1;
    int store = r->type == R_RISCV_PCREL_LO12_S;
    if (store ? !rv_is_stype(rd32(p)) : !rv_is_itype(rd32(p)))
        return stale(c, rs, r, store ? "S-type instruction" : "I-type instruction");
    const mp_symbol *y = &c->m->sym[r->sym];
    uint64_t at = y->value + (uint64_t)r->addend;
    for (mp_note *h = mp_find_note(c, at); h; h = mp_next_note(c, h)) {
        if (h->seg != seg)
            continue;
        if (h->flag >= NOTE_IMPORT) {
            lower_pcrel_import(c, h, seg, r->offset, p, store);
            return 0;
        }
        if (h->flag) {   /* re-patched with its AUIPC when the data moves */
            mp_xword *xw = mp_add_xword(c, rs, r, seg, r->offset, 1, MP_X_ISA);
            xw->kind = store ? K_LO12_S : K_LO12_I;
            xw->aux = h->value;
            xw->aux2 = h->addr;
        }
        return 0;
    }
    return mp_reloc_error(c, rs, r, "no R_RISCV_PCREL_HI20 at the address this low part refers to",
                          "link with -mno-relax");
}

static int rv_begin(mp_ctx *c, const mp_relsec *rs)
{
    if (!rs->rela && rs->n)
        return mp_error("%s: %s: RISC-V relocations must be RELA", c->m->path, c->m->sec[rs->index].name);
    return 0;
}

/* The low parts, once every AUIPC of the section is known. */
static int rv_end(mp_ctx *c, const mp_relsec *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        const rinfo *ri = mp_rinfo_find(c->arch, rs->r[i].type);
        if (ri && ri->cls == K_PCREL_LO12 && lower_pcrel_lo(c, rs, &rs->r[i]) != 0)
            return -1;
    }
    return 0;
}

/* ---- veneers and moving the data ------------------------------------------ */

/* auipc t1,0; lw t1,12(t1); jr t1; .word target */
static const uint8_t rv_veneer[16] = {0x17, 0x03, 0x00, 0x00, 0x03, 0x23, 0xC3, 0x00,
                                      0x67, 0x00, 0x03, 0x00};
/* rv64: auipc t1,0; ld t1,16(t1); jr t1; nop; .dword target (8-aligned,
 * also at run time: the code segment's alignment is raised to 8) */
static const uint8_t rv64_veneer[24] = {0x17, 0x03, 0x00, 0x00, 0x03, 0x33, 0x03, 0x01,
                                        0x67, 0x00, 0x03, 0x00, 0x13, 0x00, 0x00, 0x00};
static const mp_veneer_tpl rv_veneers[1] = {{rv_veneer, 16, 12, 4, 2, 0}};
static const mp_veneer_tpl rv64_veneers[1] = {{rv64_veneer, 24, 16, 8, 3, 1}};

/* After the data moved up: re-point an AUIPC from code to data, or one of
 * its low parts. */
static int rv_move_site(mp_ctx *c, const mp_xword *x, uint32_t moved)
{
    uint8_t *p = mp_seg_at(&c->mod->L, x->seg, x->addr, 4);
    if (!p)
        return mp_error("%s: internal error: AUIPC or low part outside its segment", c->m->path);
    uint32_t w = rd32(p);
    if (x->kind == K_PCREL_HI20)
        wr32(p, rv_set_u(w, (uint32_t)(x->aux + moved - x->addr)));
    else {
        uint32_t off = (uint32_t)(x->aux + moved - x->aux2);
        wr32(p, x->kind == K_LO12_S ? rv_set_s(w, off) : rv_set_i(w, off));
    }
    return 0;
}

/* RISC-V attributes: odd tags are strings, even ones numbers. */
static int rv_attr_kind(uint32_t tag)
{
    return tag & 1 ? MP_ATTR_STR : MP_ATTR_NUM;
}

/* The extensions Tag_RISCV_arch (5) names, e.g. "rv32i2p1_m2p0_a2p1_c2p0"
 * or "rv32imac": single letters, each maybe followed by a version
 * ("2p0"); multi-letter ones (z*, s*, x*) follow an underscore and need
 * nothing modload checks, except Zca, the C subset most code uses. */
static uint32_t rv_attr_flags(const mp_elf *m)
{
    enum { ARCH = 5 };
    mp_attrs a;
    mp_attrs_read(m, "riscv", rv_attr_kind, &a);
    const char *p = a.str[ARCH];
    if (!(a.seen & 1u << ARCH) || !p || (strncmp(p, "rv32", 4) != 0 && strncmp(p, "rv64", 4) != 0))
        return 0;
    uint32_t f = MODP_RV_ATTRS;
    for (p += 4; *p; p++) {
        if (p[-1] == '_' && (*p == 'z' || *p == 's' || *p == 'x')) {
            f |= strncmp(p, "zca", 3) == 0 && (p[3] == 0 || p[3] == '_' || isdigit((unsigned char)p[3]))
                     ? MODP_RV_RVC : 0;
            while (*p && *p != '_')
                p++;
            if (!*p)
                break;
            continue;
        }
        switch (*p) {
        case 'g': f |= MODP_RV_M | MODP_RV_A | MODP_RV_F | MODP_RV_D; break;
        case 'm': f |= MODP_RV_M; break;
        case 'a': f |= MODP_RV_A; break;
        case 'f': f |= MODP_RV_F; break;
        case 'd': f |= MODP_RV_F | MODP_RV_D; break;
        case 'c': f |= MODP_RV_RVC; break;
        default: break;  /* i, e, versions, q, v, ...: nothing modload checks */
        }
    }
    return f;
}

static uint32_t rv_flags(mp_ctx *c)
{
    return (c->m->flags & (MODP_RV_RVC | MODP_RV_FLOAT_ABI | MODP_RV_RVE | MODP_RV_TSO)) | rv_attr_flags(c->m);
}

/* build --firmware: the float ABI and register set must be the firmware's,
 * and the extensions the module uses among those the firmware was built
 * for (when both name their ISA). */
static int rv_fw_check(const char *module, uint32_t mf, const mp_elf *fw)
{
    static const char *const abi[] = {"soft-float", "single-float", "double-float", "quad-float"};
    static const struct { uint32_t bit; const char *name; } ext[] = {
        {MODP_RV_M, "m"}, {MODP_RV_A, "a"}, {MODP_RV_F, "f"}, {MODP_RV_D, "d"}, {MODP_RV_RVC, "c"}};
    uint32_t ff = (fw->flags & (MODP_RV_RVC | MODP_RV_FLOAT_ABI | MODP_RV_RVE | MODP_RV_TSO)) | rv_attr_flags(fw);
    if ((mf ^ ff) & MODP_RV_FLOAT_ABI)
        return mp_error("%s: the module's float ABI is %s, the firmware %s's %s; build both with the "
                        "same -mabi", module, abi[(mf & MODP_RV_FLOAT_ABI) >> 1], fw->path,
                        abi[(ff & MODP_RV_FLOAT_ABI) >> 1]);
    if ((mf ^ ff) & MODP_RV_RVE)
        return mp_error("%s: the module is built for %s registers, the firmware %s for %s; build both "
                        "with the same -march and -mabi", module, mf & MODP_RV_RVE ? "16 (RV32E)" : "32",
                        fw->path, ff & MODP_RV_RVE ? "16 (RV32E)" : "32");
    if ((mf & ff & MODP_RV_ATTRS) && (mf & ~ff & (MODP_RV_M | MODP_RV_A | MODP_RV_F | MODP_RV_D | MODP_RV_RVC))) {
        char lack[8] = "";
        for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
            if (mf & ~ff & ext[i].bit)
                strcat(lack, ext[i].name);
        return mp_error("%s: the module uses the '%s' extension%s, which the firmware %s is not built "
                        "for; compile the module with the firmware's -march", module, lack,
                        lack[1] ? "s" : "", fw->path);
    }
    return 0;
}

/* Shared objects (dynamic.c): R_RISCV_RELATIVE, JUMP_SLOT, 32, 64, COPY,
 * IRELATIVE; GOT slots take R_RISCV_32/64 (there is no GLOB_DAT). */
static const mp_dyn_types rv_dyn = {
    .relative = R_RISCV_RELATIVE,
    .jump_slot = R_RISCV_JUMP_SLOT,
    .abs32 = R_RISCV_32,
    .abs64 = R_RISCV_64,
    .copy = R_RISCV_COPY,
    .irelative = R_RISCV_IRELATIVE,
};

/* inspect: the words for rv_flags' bits, rv32 and rv64 alike. */
static int rv_flag_words(uint32_t f, char w[8][16])
{
    static const char *const abi[] = {"soft-float", "single-float", "double-float", "quad-float"};
    const char *xlen = f & MODP_RV_64 ? "rv64" : "rv32";
    int n = 0;
#define WORD(cond, s) do { if (cond) snprintf(w[n++], 16, "%s", s); } while (0)
    if (f & MODP_RV_ATTRS) {
        snprintf(w[n++], 16, "%s%s%s%s%s%s%s", xlen, f & MODP_RV_RVE ? "e" : "i", f & MODP_RV_M ? "m" : "",
                 f & MODP_RV_A ? "a" : "", f & MODP_RV_F ? "f" : "", f & MODP_RV_D ? "d" : "",
                 f & MODP_RV_RVC ? "c" : "");
    } else {
        WORD(1, xlen);
        WORD(f & MODP_RV_RVC, "rvc");
        WORD(f & MODP_RV_RVE, "rve");
    }
    WORD(f & MODP_RV_TSO, "tso");
    WORD(1, abi[(f & MODP_RV_FLOAT_ABI) >> 1]);
#undef WORD
    return n;
}

extern const mp_stub_tpl mp_stub_riscv, mp_stub_riscv64; /* stub.c */

/* What rv32 and rv64 share. */
#define RV_COMMON \
    .rtable = table, \
    .nrtable = sizeof table / sizeof table[0], \
    .rprefix = "R_RISCV_", \
    .own_cls = 1u << K_PCREL_LO12 | 1u << K_DIFF_PLUS | 1u << K_DIFF_MINUS, \
    .begin = rv_begin, \
    .end = rv_end, \
    .lower_rel = rv_lower_rel, \
    .patch_branch = rv_patch_branch, \
    .pinned_hint = "-mcmodel=medlow", \
    .move_site = rv_move_site, \
    .flag_words = rv_flag_words, \
    .fw_check = rv_fw_check

const mp_arch mp_arch_riscv = {
    .machine = EM_RISCV,
    .elfclass = ELFCLASS32,
    .name = "riscv",
    RV_COMMON,
    .veneers = rv_veneers,
    .arch_flags = rv_flags,
    .link = mp_link_riscv,
    .dyn = &rv_dyn,
    .got = &mp_got_riscv,
    .stub = &mp_stub_riscv,
};

/* rv64 (ELFCLASS64): the same allow-list; no ET_REL or ET_DYN input yet. */
static uint32_t rv64_flags(mp_ctx *c)
{
    return rv_flags(c) | MODP_RV_64;
}

const mp_arch mp_arch_riscv64 = {
    .machine = EM_RISCV,
    .elfclass = ELFCLASS64,
    .name = "riscv64",
    RV_COMMON,
    .veneers = rv64_veneers,
    .arch_flags = rv64_flags,
    .stub = &mp_stub_riscv64,
};
