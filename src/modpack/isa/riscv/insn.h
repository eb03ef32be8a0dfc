/* insn.h - RISC-V instruction fields and the relocation names <elf.h>
 * lacks; shared by the lowering (lower.c) and the host link of objects
 * (link.c), so that each encoding is written once. The setters take the
 * instruction and return it with the field replaced. */
#ifndef MODPACK_ISA_RISCV_INSN_H
#define MODPACK_ISA_RISCV_INSN_H

#include <elf.h>
#include <stdint.h>

#include "arch.h"

/* Types newer than the <elf.h> of Debian 12 (glibc 2.36). */
#ifndef R_RISCV_TLSDESC
#define R_RISCV_TLSDESC 12
#endif
#ifndef R_RISCV_PLT32
#define R_RISCV_PLT32 59
#endif
#ifndef R_RISCV_SET_ULEB128
#define R_RISCV_SET_ULEB128 60
#endif
#ifndef R_RISCV_SUB_ULEB128
#define R_RISCV_SUB_ULEB128 61
#endif
#ifndef R_RISCV_TLSDESC_HI20
#define R_RISCV_TLSDESC_HI20 62
#endif
#ifndef R_RISCV_TLSDESC_LOAD_LO12
#define R_RISCV_TLSDESC_LOAD_LO12 63
#endif
#ifndef R_RISCV_TLSDESC_ADD_LO12
#define R_RISCV_TLSDESC_ADD_LO12 64
#endif
#ifndef R_RISCV_TLSDESC_CALL
#define R_RISCV_TLSDESC_CALL 65
#endif

#define RV_OP(w) ((w) & 0x7Fu)
#define RV_MAJOR(w) ((w) >> 2 & 0x1Fu)

/* An I-type instruction with a 12-bit immediate (loads, OP-IMM but not
 * the shifts, JALR, ...). */
static inline int rv_is_itype(uint32_t w)
{
    uint32_t m = RV_MAJOR(w);
    if ((w & 3u) != 3u || !((1u << 0 | 1u << 1 | 1u << 4 | 1u << 6 | 1u << 25) >> m & 1u))
        return 0;
    return !((m == 4 || m == 6) && (w >> 12 & 3u) == 1u);   /* not a shift */
}

static inline int rv_is_stype(uint32_t w)
{
    return (w & 3u) == 3u && (RV_MAJOR(w) == 8 || RV_MAJOR(w) == 9);
}

/* The 20 upper bits of v, rounded so that a sign-extended low 12 adds up. */
static inline uint32_t rv_hi20(uint64_t v)
{
    return (uint32_t)((v + 0x800) >> 12) & 0xFFFFFu;
}

static inline uint32_t rv_get_i(uint32_t w) { return w >> 20; }
static inline uint32_t rv_get_s(uint32_t w) { return (w >> 20 & 0xFE0u) | (w >> 7 & 0x1Fu); }

/* LUI / AUIPC: hi20(v). */
static inline uint32_t rv_set_u(uint32_t w, uint64_t v)
{
    return (w & 0xFFFu) | rv_hi20(v) << 12;
}

static inline uint32_t rv_set_i(uint32_t w, uint64_t v)
{
    return (w & 0x000FFFFFu) | ((uint32_t)v & 0xFFFu) << 20;
}

static inline uint32_t rv_set_s(uint32_t w, uint64_t v)
{
    uint32_t u = (uint32_t)v & 0xFFFu;
    return (w & 0x01FFF07Fu) | (u >> 5) << 25 | (u & 0x1Fu) << 7;
}

/* Conditional branch, 13-bit even offset. */
static inline uint32_t rv_set_b(uint32_t w, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return (w & 0x01FFF07Fu) | ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3F) << 25 |
           ((u >> 1) & 0xF) << 8 | ((u >> 11) & 1) << 7;
}

/* JAL, 21-bit even offset. */
static inline uint32_t rv_set_j(uint32_t w, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return (w & 0xFFFu) | ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3FF) << 21 |
           ((u >> 11) & 1) << 20 | ((u >> 12) & 0xFF) << 12;
}

/* C.J / C.JAL, 12-bit even offset. */
static inline uint16_t rv_set_cj(uint32_t h, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    uint32_t f = ((u >> 11) & 1) << 12 | ((u >> 4) & 1) << 11 | ((u >> 8) & 3) << 9 |
                 ((u >> 10) & 1) << 8 | ((u >> 6) & 1) << 7 | ((u >> 7) & 1) << 6 |
                 ((u >> 1) & 7) << 3 | ((u >> 5) & 1) << 2;
    return (uint16_t)((h & 0xE003u) | f);
}

/* C.BEQZ / C.BNEZ, 9-bit even offset. */
static inline uint16_t rv_set_cb(uint32_t h, uint64_t v)
{
    uint32_t u = (uint32_t)v;
    uint32_t f = ((u >> 8) & 1) << 12 | ((u >> 3) & 3) << 10 | ((u >> 6) & 3) << 5 |
                 ((u >> 1) & 3) << 3 | ((u >> 5) & 1) << 2;
    return (uint16_t)((h & 0xE383u) | f);
}

/* isa/riscv/link.c, for the mp_arch in lower.c. */
int mp_link_riscv(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
extern const struct mp_got_abi mp_got_riscv;

#endif
