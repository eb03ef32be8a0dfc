/* insn.h - the 16-bit immediate of ARM and Thumb-2 MOVW/MOVT, read and
 * written in place; shared by the lowering (lower.c) and the host link
 * of objects (link.c). */
#ifndef MODPACK_ISA_ARM_INSN_H
#define MODPACK_ISA_ARM_INSN_H

#include "util.h"

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

#endif
