/* isa/riscv/link.c - RISC-V relocations of relocatable input, applied as ld
 * does (RELA) but without relaxation: R_RISCV_RELAX is ignored, and
 * R_RISCV_ALIGN is accepted only where ld would delete no byte.
 * R_RISCV_GOT_HI20 never reaches here: link.c turns it into a PCREL_HI20
 * to the symbol's GOT slot. */
#include "insn.h"
#include "link.h"
#include "util.h"

#include <gelf.h>

#define FAR_HINT "the module is too large for this branch"

/* The field setters of insn.h, applied in place. */
static void set_u(uint8_t *p, uint64_t v) { wr32(p, rv_set_u(rd32(p), v)); }
static void set_i(uint8_t *p, uint64_t v) { wr32(p, rv_set_i(rd32(p), v)); }
static void set_s(uint8_t *p, uint64_t v) { wr32(p, rv_set_s(rd32(p), v)); }
static void set_b(uint8_t *p, uint64_t v) { wr32(p, rv_set_b(rd32(p), v)); }
static void set_j(uint8_t *p, uint64_t v) { wr32(p, rv_set_j(rd32(p), v)); }
static void set_cj(uint8_t *p, uint64_t v) { wr16(p, rv_set_cj(rd16(p), v)); }
static void set_cb(uint8_t *p, uint64_t v) { wr16(p, rv_set_cb(rd16(p), v)); }

/* A 32-bit PC-relative or absolute value for a HI20 pair; rv32 wraps. */
static int fits_hi(const mp_linker *c, int64_t v)
{
    return c->m->cls == ELFCLASS32 || mp_fits_signed(v + 0x800, 32);
}

/* PCREL_LO12: the value is the low part of the PCREL_HI20 at the label the
 * symbol names (the AUIPC), as in the static path. */
static int pcrel_lo(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                    uint64_t *v)
{
    const mp_elf *m = c->m;
    uint64_t at = s->S + (uint64_t)s->A;
    size_t pos = 0;
    for (const mp_reloc *h; (h = mp_link_reloc_at(c, rs->target, at, &pos)) != NULL;) {
        if (h->type != R_RISCV_PCREL_HI20 && h->type != R_RISCV_GOT_HI20)
            continue;
        *v = mp_link_symval(m, h->sym) + (uint64_t)h->addend - h->offset;
        return 0;
    }
    return mp_link_error(c, rs, r, "no R_RISCV_PCREL_HI20 at the address the symbol names", NULL);
}

/* The GOT of a -fPIC object (link.c): R_RISCV_GOT_HI20 becomes a
 * PCREL_HI20 to the slot, and each slot gets an R_RISCV_32/64. */
const mp_got_abi mp_got_riscv = {
    .plt_words = 2,
    .got_words = 1,
    .org_in_got = 1,
    .plt0_ones = 1,
    .slot_types = {R_RISCV_GOT_HI20},
    .as_pcrel = R_RISCV_PCREL_HI20,
    .as_abs32 = R_RISCV_32,
    .as_abs64 = R_RISCV_64,
};

/* ADDn, SUBn, SETn: label arithmetic in data and unwind tables, wrapping
 * like ld's. */
static int label_arith(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                       uint64_t sa)
{
    if (r->type == R_RISCV_SUB6 || r->type == R_RISCV_SET6) {
        if (mp_link_room(c, rs, r, s, 1) != 0)
            return -1;
        s->p[0] = (uint8_t)((s->p[0] & 0xC0) |
                            ((r->type == R_RISCV_SUB6 ? s->p[0] - sa : sa) & 0x3F));
        return 0;
    }
    static const uint8_t width[] = {
        [R_RISCV_ADD8] = 1, [R_RISCV_ADD16] = 2, [R_RISCV_ADD32] = 4, [R_RISCV_ADD64] = 8,
        [R_RISCV_SUB8] = 1, [R_RISCV_SUB16] = 2, [R_RISCV_SUB32] = 4, [R_RISCV_SUB64] = 8,
        [R_RISCV_SET8] = 1, [R_RISCV_SET16] = 2, [R_RISCV_SET32] = 4,
    };
    unsigned w = width[r->type];
    if (mp_link_room(c, rs, r, s, w) != 0)
        return -1;
    uint64_t old = rdn(s->p, w);
    uint64_t v = r->type <= R_RISCV_ADD64 ? old + sa : r->type <= R_RISCV_SUB64 ? old - sa : sa;
    wrn(s->p, w, v);
    return 0;
}

int mp_link_riscv(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    uint64_t sa = s->S + (uint64_t)s->A;
    int64_t pc = (int64_t)(sa - s->P);
    unsigned w;
    switch (r->type) {
    case R_RISCV_NONE:
    case R_RISCV_RELAX:          /* no relaxation is done */
        return 0;
    case R_RISCV_ALIGN: {
        /* A NOPs the assembler put in front of code aligned to the next power
         * of two; ld keeps only what the placement needs. */
        uint64_t n = (uint64_t)s->A, al = 1;
        while (al <= n)
            al <<= 1;
        if (n && ((s->P + n) & (al - 1)) != 0)
            return mp_link_error(c, rs, r, "alignment by deleting bytes (linker relaxation) is "
                                  "not done for relocatable input", "compile with -mno-relax");
        return 0;
    }
    case R_RISCV_32:
    case R_RISCV_64:
        w = r->type == R_RISCV_32 ? 4 : 8;
        if (mp_link_room(c, rs, r, s, w) != 0)
            return -1;
        if (w == 4 && c->m->cls == ELFCLASS64 && sa > 0xFFFFFFFFu && !mp_fits_signed((int64_t)sa, 32))
            return mp_link_range(c, rs, r, (int64_t)sa, 32, NULL);
        wrn(s->p, w, sa);
        return 0;
    case R_RISCV_32_PCREL:
    case R_RISCV_PLT32:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!mp_fits_signed(pc, 32))
            return mp_link_range(c, rs, r, pc, 32, NULL);
        wr32(s->p, (uint32_t)pc);
        return 0;
    case R_RISCV_HI20:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!fits_hi(c, (int64_t)sa))
            return mp_link_range(c, rs, r, (int64_t)sa, 32, "compile with -mcmodel=medany");
        set_u(s->p, sa);
        return 0;
    case R_RISCV_LO12_I:
    case R_RISCV_LO12_S:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        (r->type == R_RISCV_LO12_I ? set_i : set_s)(s->p, sa);
        return 0;
    case R_RISCV_PCREL_HI20:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!fits_hi(c, pc))
            return mp_link_range(c, rs, r, pc, 32, NULL);
        set_u(s->p, (uint64_t)pc);
        return 0;
    case R_RISCV_PCREL_LO12_I:
    case R_RISCV_PCREL_LO12_S: {
        uint64_t v = 0;
        if (mp_link_room(c, rs, r, s, 4) != 0 || pcrel_lo(c, rs, r, s, &v) != 0)
            return -1;
        (r->type == R_RISCV_PCREL_LO12_I ? set_i : set_s)(s->p, v);
        return 0;
    }
    case R_RISCV_CALL:
    case R_RISCV_CALL_PLT:       /* AUIPC + JALR */
        if (mp_link_room(c, rs, r, s, 8) != 0)
            return -1;
        if (!fits_hi(c, pc))
            return mp_link_range(c, rs, r, pc, 32, FAR_HINT);
        set_u(s->p, (uint64_t)pc);
        set_i(s->p + 4, (uint64_t)pc);
        return 0;
    case R_RISCV_JAL:
    case R_RISCV_BRANCH:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!mp_fits_signed(pc, r->type == R_RISCV_JAL ? 21 : 13))
            return mp_link_range(c, rs, r, pc, r->type == R_RISCV_JAL ? 21 : 13, FAR_HINT);
        if (pc & 1)
            return mp_link_align(c, rs, r, pc, 2);
        (r->type == R_RISCV_JAL ? set_j : set_b)(s->p, (uint64_t)pc);
        return 0;
    case R_RISCV_RVC_JUMP:
    case R_RISCV_RVC_BRANCH:
        if (mp_link_room(c, rs, r, s, 2) != 0)
            return -1;
        if (!mp_fits_signed(pc, r->type == R_RISCV_RVC_JUMP ? 12 : 9))
            return mp_link_range(c, rs, r, pc, r->type == R_RISCV_RVC_JUMP ? 12 : 9, FAR_HINT);
        if (pc & 1)
            return mp_link_align(c, rs, r, pc, 2);
        (r->type == R_RISCV_RVC_JUMP ? set_cj : set_cb)(s->p, (uint64_t)pc);
        return 0;
    case R_RISCV_ADD8: case R_RISCV_ADD16: case R_RISCV_ADD32: case R_RISCV_ADD64:
    case R_RISCV_SUB8: case R_RISCV_SUB16: case R_RISCV_SUB32: case R_RISCV_SUB64:
    case R_RISCV_SET8: case R_RISCV_SET16: case R_RISCV_SET32:
    case R_RISCV_SUB6: case R_RISCV_SET6:
        return label_arith(c, rs, r, s, sa);
    case R_RISCV_TLS_GOT_HI20: case R_RISCV_TLS_GD_HI20: case R_RISCV_TPREL_HI20: case R_RISCV_TPREL_LO12_I:
    case R_RISCV_TPREL_LO12_S: case R_RISCV_TPREL_ADD: case R_RISCV_TPREL_I: case R_RISCV_TPREL_S:
        return mp_link_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    case R_RISCV_GPREL_I:
    case R_RISCV_GPREL_S:
        return mp_link_error(c, rs, r, "gp-relative addressing is not supported (modules have no gp)",
                              "compile with -mno-relax");
    default:
        return mp_link_error(c, rs, r, "not supported in relocatable input",
                              "link it with ld --emit-relocs -T samples/ld/module.ld and pack the result");
    }
}
