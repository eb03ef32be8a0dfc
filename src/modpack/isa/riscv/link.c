/* isa/riscv/link.c - RISC-V relocations of relocatable input, applied as ld
 * does (RELA) but without relaxation: R_RISCV_RELAX is ignored, and
 * R_RISCV_ALIGN is accepted only where ld would delete no byte.
 * R_RISCV_GOT_HI20 never reaches here: link.c turns it into a PCREL_HI20
 * to the symbol's GOT slot. */
#include "link.h"
#include "util.h"

#include <gelf.h>

enum {
    RV_NONE = 0, RV_32 = 1, RV_64 = 2, RV_BRANCH = 16, RV_JAL = 17, RV_CALL = 18, RV_CALL_PLT = 19,
    RV_GOT_HI20 = 20, RV_TLS_GOT_HI20 = 21, RV_TLS_GD_HI20 = 22, RV_PCREL_HI20 = 23,
    RV_PCREL_LO12_I = 24, RV_PCREL_LO12_S = 25, RV_HI20 = 26, RV_LO12_I = 27, RV_LO12_S = 28,
    RV_TPREL_HI20 = 29, RV_TPREL_LO12_I = 30, RV_TPREL_LO12_S = 31, RV_TPREL_ADD = 32,
    RV_ADD8 = 33, RV_ADD16 = 34, RV_ADD32 = 35, RV_ADD64 = 36,
    RV_SUB8 = 37, RV_SUB16 = 38, RV_SUB32 = 39, RV_SUB64 = 40,
    RV_ALIGN = 43, RV_RVC_BRANCH = 44, RV_RVC_JUMP = 45, RV_GPREL_I = 47, RV_GPREL_S = 48,
    RV_TPREL_I = 49, RV_TPREL_S = 50, RV_RELAX = 51, RV_SUB6 = 52, RV_SET6 = 53, RV_SET8 = 54,
    RV_SET16 = 55, RV_SET32 = 56, RV_32_PCREL = 57, RV_PLT32 = 59,
};

#define FAR_HINT "the module is too large for this branch"

static uint32_t hi20(uint64_t v)
{
    return (uint32_t)((v + 0x800) >> 12) & 0xFFFFF;
}

static void set_u(uint8_t *p, uint64_t v)
{
    wr32(p, (rd32(p) & 0xFFF) | hi20(v) << 12);
}

static void set_i(uint8_t *p, uint64_t v)
{
    wr32(p, (rd32(p) & 0xFFFFF) | (uint32_t)(v & 0xFFF) << 20);
}

static void set_s(uint8_t *p, uint64_t v)
{
    uint32_t u = (uint32_t)v & 0xFFF;
    wr32(p, (rd32(p) & 0x01FFF07Fu) | (u >> 5) << 25 | (u & 0x1F) << 7);
}

static void set_b(uint8_t *p, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    wr32(p, (rd32(p) & 0x01FFF07Fu) | ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3F) << 25 |
                ((u >> 1) & 0xF) << 8 | ((u >> 11) & 1) << 7);
}

static void set_j(uint8_t *p, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    wr32(p, (rd32(p) & 0xFFF) | ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3FF) << 21 |
                ((u >> 11) & 1) << 20 | ((u >> 12) & 0xFF) << 12);
}

static void set_cj(uint8_t *p, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    uint32_t f = ((u >> 11) & 1) << 12 | ((u >> 4) & 1) << 11 | ((u >> 8) & 3) << 9 |
                 ((u >> 10) & 1) << 8 | ((u >> 6) & 1) << 7 | ((u >> 7) & 1) << 6 |
                 ((u >> 1) & 7) << 3 | ((u >> 5) & 1) << 2;
    wr16(p, (rd16(p) & 0xE003) | f);
}

static void set_cb(uint8_t *p, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    uint32_t f = ((u >> 8) & 1) << 12 | ((u >> 3) & 3) << 10 | ((u >> 6) & 3) << 5 |
                 ((u >> 1) & 3) << 3 | ((u >> 5) & 1) << 2;
    wr16(p, (rd16(p) & 0xE383) | f);
}

/* A 32-bit PC-relative or absolute value for a HI20 pair; rv32 wraps. */
static int fits_hi(mp_ctx *c, int64_t v)
{
    return c->m->cls == ELFCLASS32 || mp_fits_signed(v + 0x800, 32);
}

/* PCREL_LO12: the value is the low part of the PCREL_HI20 at the label the
 * symbol names (the AUIPC), as in the static path. */
static int pcrel_lo(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                    uint64_t *v)
{
    const mp_elf *m = c->m;
    uint64_t at = s->S + (uint64_t)s->A;
    for (size_t i = 0; i < m->nrel; i++) {
        const mp_relsec *hs = &m->rel[i];
        if (hs->target != rs->target)
            continue;
        for (size_t k = 0; k < hs->n; k++) {
            const mp_reloc *h = &hs->r[k];
            if (h->offset != at || (h->type != RV_PCREL_HI20 && h->type != RV_GOT_HI20))
                continue;
            *v = mp_link_symval(m, h->sym) + (uint64_t)h->addend - h->offset;
            return 0;
        }
    }
    return mp_reloc_error(c, rs, r, "no R_RISCV_PCREL_HI20 at the address the symbol names", NULL);
}

int mp_link_riscv(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    uint64_t sa = s->S + (uint64_t)s->A;
    int64_t pc = (int64_t)(sa - s->P);
    unsigned w;
    switch (r->type) {
    case RV_NONE:
    case RV_RELAX:          /* no relaxation is done */
        return 0;
    case RV_ALIGN: {
        /* A NOPs the assembler put in front of code aligned to the next power
         * of two; ld keeps only what the placement needs. */
        uint64_t n = (uint64_t)s->A, al = 1;
        while (al <= n)
            al <<= 1;
        if (n && ((s->P + n) & (al - 1)) != 0)
            return mp_reloc_error(c, rs, r, "alignment by deleting bytes (linker relaxation) is "
                                  "not done for relocatable input", "compile with -mno-relax");
        return 0;
    }
    case RV_32:
    case RV_64:
        w = r->type == RV_32 ? 4 : 8;
        if (mp_link_room(c, rs, r, s, w) != 0)
            return -1;
        if (w == 4 && c->m->cls == ELFCLASS64 && sa > 0xFFFFFFFFu && !mp_fits_signed((int64_t)sa, 32))
            return mp_link_range(c, rs, r, (int64_t)sa, 32, NULL);
        wrn(s->p, w, sa);
        return 0;
    case RV_32_PCREL:
    case RV_PLT32:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!mp_fits_signed(pc, 32))
            return mp_link_range(c, rs, r, pc, 32, NULL);
        wr32(s->p, (uint32_t)pc);
        return 0;
    case RV_HI20:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!fits_hi(c, (int64_t)sa))
            return mp_link_range(c, rs, r, (int64_t)sa, 32, "compile with -mcmodel=medany");
        set_u(s->p, sa);
        return 0;
    case RV_LO12_I:
    case RV_LO12_S:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        (r->type == RV_LO12_I ? set_i : set_s)(s->p, sa);
        return 0;
    case RV_PCREL_HI20:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!fits_hi(c, pc))
            return mp_link_range(c, rs, r, pc, 32, NULL);
        set_u(s->p, (uint64_t)pc);
        return 0;
    case RV_PCREL_LO12_I:
    case RV_PCREL_LO12_S: {
        uint64_t v = 0;
        if (mp_link_room(c, rs, r, s, 4) != 0 || pcrel_lo(c, rs, r, s, &v) != 0)
            return -1;
        (r->type == RV_PCREL_LO12_I ? set_i : set_s)(s->p, v);
        return 0;
    }
    case RV_CALL:
    case RV_CALL_PLT:       /* AUIPC + JALR */
        if (mp_link_room(c, rs, r, s, 8) != 0)
            return -1;
        if (!fits_hi(c, pc))
            return mp_link_range(c, rs, r, pc, 32, FAR_HINT);
        set_u(s->p, (uint64_t)pc);
        set_i(s->p + 4, (uint64_t)pc);
        return 0;
    case RV_JAL:
    case RV_BRANCH:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        if (!mp_fits_signed(pc, r->type == RV_JAL ? 21 : 13))
            return mp_link_range(c, rs, r, pc, r->type == RV_JAL ? 21 : 13, FAR_HINT);
        if (pc & 1)
            return mp_link_align(c, rs, r, pc, 2);
        (r->type == RV_JAL ? set_j : set_b)(s->p, (uint64_t)pc);
        return 0;
    case RV_RVC_JUMP:
    case RV_RVC_BRANCH:
        if (mp_link_room(c, rs, r, s, 2) != 0)
            return -1;
        if (!mp_fits_signed(pc, r->type == RV_RVC_JUMP ? 12 : 9))
            return mp_link_range(c, rs, r, pc, r->type == RV_RVC_JUMP ? 12 : 9, FAR_HINT);
        if (pc & 1)
            return mp_link_align(c, rs, r, pc, 2);
        (r->type == RV_RVC_JUMP ? set_cj : set_cb)(s->p, (uint64_t)pc);
        return 0;
    case RV_ADD8: case RV_ADD16: case RV_ADD32: case RV_ADD64:
    case RV_SUB8: case RV_SUB16: case RV_SUB32: case RV_SUB64:
    case RV_SET8: case RV_SET16: case RV_SET32: {
        /* label arithmetic in data and unwind tables: wraps like ld's */
        static const uint8_t width[] = {
            [RV_ADD8] = 1, [RV_ADD16] = 2, [RV_ADD32] = 4, [RV_ADD64] = 8,
            [RV_SUB8] = 1, [RV_SUB16] = 2, [RV_SUB32] = 4, [RV_SUB64] = 8,
            [RV_SET8] = 1, [RV_SET16] = 2, [RV_SET32] = 4,
        };
        w = width[r->type];
        if (mp_link_room(c, rs, r, s, w) != 0)
            return -1;
        uint64_t old = rdn(s->p, w);
        uint64_t v = r->type <= RV_ADD64 ? old + sa : r->type <= RV_SUB64 ? old - sa : sa;
        wrn(s->p, w, v);
        return 0;
    }
    case RV_SUB6:
    case RV_SET6:
        if (mp_link_room(c, rs, r, s, 1) != 0)
            return -1;
        s->p[0] = (uint8_t)((s->p[0] & 0xC0) |
                            ((r->type == RV_SUB6 ? s->p[0] - sa : sa) & 0x3F));
        return 0;
    case RV_TLS_GOT_HI20: case RV_TLS_GD_HI20: case RV_TPREL_HI20: case RV_TPREL_LO12_I:
    case RV_TPREL_LO12_S: case RV_TPREL_ADD: case RV_TPREL_I: case RV_TPREL_S:
        return mp_reloc_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    case RV_GPREL_I:
    case RV_GPREL_S:
        return mp_reloc_error(c, rs, r, "gp-relative addressing is not supported (modules have no gp)",
                              "compile with -mno-relax");
    default:
        return mp_reloc_error(c, rs, r, "not supported in relocatable input",
                              "link it with ld --emit-relocs -T samples/ld/module.ld and pack the result");
    }
}
