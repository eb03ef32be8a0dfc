/* insn.h - ARM and Thumb instruction fields, read and written in place,
 * and the AAELF relocation names <elf.h> lacks; shared by the lowering
 * (lower.c) and the host link of objects (link.c), so that each encoding
 * is written once. */
#ifndef MODPACK_ISA_ARM_INSN_H
#define MODPACK_ISA_ARM_INSN_H

#include "arch.h"
#include "util.h"

#include <elf.h>

/* AAELF names for types <elf.h> knows under their old names (or not at
 * all). */
#ifndef R_ARM_THM_CALL
#define R_ARM_THM_CALL 10         /* <elf.h>: R_ARM_THM_PC22 */
#endif
#ifndef R_ARM_GOTOFF32
#define R_ARM_GOTOFF32 24         /* <elf.h>: R_ARM_GOTOFF */
#endif
#ifndef R_ARM_BASE_PREL
#define R_ARM_BASE_PREL 25        /* <elf.h>: R_ARM_GOTPC */
#endif
#ifndef R_ARM_GOT_BREL
#define R_ARM_GOT_BREL 26         /* <elf.h>: R_ARM_GOT32 */
#endif
#ifndef R_ARM_THM_JUMP11
#define R_ARM_THM_JUMP11 102      /* <elf.h>: R_ARM_THM_PC11 */
#endif
#ifndef R_ARM_THM_JUMP8
#define R_ARM_THM_JUMP8 103       /* <elf.h>: R_ARM_THM_PC9 */
#endif

/* v's low bits bits, sign-extended. */
static inline int64_t arm_sext(uint64_t v, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)(v ^ m) - (int64_t)m;
}

/* Thumb-2: imm4 in the first halfword's bits 0..3, i in bit 10; imm3 and
 * imm8 in the second halfword's bits 12..14 and 0..7. */
static inline uint32_t thm_imm16(const uint8_t *p)
{
    uint32_t h1 = rd16(p), h2 = rd16(p + 2);
    return (h1 & 0xF) << 12 | ((h1 >> 10) & 1) << 11 | ((h2 >> 12) & 7) << 8 | (h2 & 0xFF);
}

static inline void thm_set_imm16(uint8_t *p, uint32_t v)
{
    uint32_t h1 = rd16(p), h2 = rd16(p + 2);
    h1 = (h1 & ~0x040Fu) | ((v >> 12) & 0xF) | ((v >> 11) & 1) << 10;
    h2 = (h2 & ~0x70FFu) | ((v >> 8) & 7) << 12 | (v & 0xFF);
    wr16(p, h1);
    wr16(p + 2, h2);
}

/* ARM state: imm4 in bits 16..19, imm12 in bits 0..11. */
static inline uint32_t arm_imm16(const uint8_t *p)
{
    uint32_t w = rd32(p);
    return ((w >> 16) & 0xF) << 12 | (w & 0xFFF);
}

static inline void arm_set_imm16(uint8_t *p, uint32_t v)
{
    uint32_t w = rd32(p);
    wr32(p, (w & ~0x000F0FFFu) | ((v >> 12) & 0xF) << 16 | (v & 0xFFF));
}

/* Thumb-2 BL / B.W / BLX: S:I1:I2:imm10:imm11:0, I = NOT(J XOR S). The
 * setter keeps bit 12 of the second halfword (BL or BLX). */
static inline int64_t thm_b24(const uint8_t *p)
{
    uint32_t h1 = rd16(p), h2 = rd16(p + 2);
    uint32_t s = (h1 >> 10) & 1, j1 = (h2 >> 13) & 1, j2 = (h2 >> 11) & 1;
    uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
    return arm_sext(s << 24 | i1 << 23 | i2 << 22 | (h1 & 0x3FF) << 12 | (h2 & 0x7FF) << 1, 25);
}

static inline void thm_set_b24(uint8_t *p, int64_t v)
{
    uint32_t u = (uint32_t)v, s = (u >> 24) & 1;
    uint32_t j1 = !(((u >> 23) & 1) ^ s), j2 = !(((u >> 22) & 1) ^ s);
    wr16(p, (rd16(p) & 0xF800) | s << 10 | ((u >> 12) & 0x3FF));
    wr16(p + 2, (rd16(p + 2) & 0xD000) | j1 << 13 | j2 << 11 | ((u >> 1) & 0x7FF));
}

/* Thumb-2 B<c>.W: S:J2:J1:imm6:imm11:0 */
static inline int64_t thm_b19(const uint8_t *p)
{
    uint32_t h1 = rd16(p), h2 = rd16(p + 2);
    return arm_sext(((h1 >> 10) & 1) << 20 | ((h2 >> 11) & 1) << 19 | ((h2 >> 13) & 1) << 18 |
                    (h1 & 0x3F) << 12 | (h2 & 0x7FF) << 1, 21);
}

static inline void thm_set_b19(uint8_t *p, int64_t v)
{
    uint32_t u = (uint32_t)v;
    wr16(p, (rd16(p) & 0xFBC0) | ((u >> 20) & 1) << 10 | ((u >> 12) & 0x3F));
    wr16(p + 2, (rd16(p + 2) & 0xD000) | ((u >> 18) & 1) << 13 | ((u >> 19) & 1) << 11 |
                    ((u >> 1) & 0x7FF));
}

/* ARM B / BL: the word w with the 24-bit word offset of v (the condition
 * and opcode byte of w kept). */
static inline uint32_t arm_b24(uint32_t w, int64_t v)
{
    return (w & 0xFF000000u) | ((uint32_t)(v >> 2) & 0xFFFFFF);
}

/* isa/arm/link.c, for the mp_arch in lower.c. */
int mp_link_arm(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
int mp_link_addend_arm(uint32_t type, const uint8_t *p, uint64_t room, int64_t *a);
extern const struct mp_got_abi mp_got_arm;

#endif
