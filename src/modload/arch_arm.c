/* arch_arm.c - the ARM-only fixup kinds: MOVW/MOVT address pairs.
 *
 * clang (and gcc with -mslow-flash-data or -mpure-code) loads addresses with
 * a MOVW/MOVT pair. The 32-bit addend is split over the two immediates, so
 * the pair is patched as one value: the carry out of the low half must reach
 * the high half.
 *
 * An instruction is read as one little-endian word (a Thumb-2 instruction
 * then reads as hw1 | hw2 << 16) and its 16-bit immediate is a list of bit
 * fields, from the immediate's low bits up. One gather and one scatter loop
 * serve both instruction sets.
 */
#include "modload_internal.h"

#if MODLOAD_KINDS_ARM

typedef struct imm_field {
    uint8_t pos, len;
} imm_field;

typedef struct pair_encoding {
    imm_field fields[4];
    uint32_t opmask, op[2]; /* instruction & opmask identifies MOVW, MOVT */
} pair_encoding;

static const pair_encoding encodings[2] = {
    /* Thumb-2 MOVW T3 / MOVT T1: imm16 = imm4:i:imm3:imm8. */
    {{{16, 8}, {28, 3}, {10, 1}, {0, 4}}, 0x8000FBF0u, {0x0000F240u, 0x0000F2C0u}},
    /* ARM MOVW A2 / MOVT A1: imm16 = imm4:imm12 (an empty 4th field). */
    {{{0, 12}, {16, 4}, {0, 0}, {0, 0}}, 0x0FF00000u, {0x03000000u, 0x03400000u}},
};

static uint32_t get_imm16(const pair_encoding *e, uint32_t insn)
{
    uint32_t imm = 0, shift = 0, i;

    for (i = 0; i < 4; i++) {
        imm |= (insn >> e->fields[i].pos & ((1u << e->fields[i].len) - 1u)) << shift;
        shift += e->fields[i].len;
    }
    return imm;
}

static uint32_t set_imm16(const pair_encoding *e, uint32_t insn, uint32_t imm)
{
    uint32_t i;

    for (i = 0; i < 4; i++) {
        uint32_t mask = ((1u << e->fields[i].len) - 1u) << e->fields[i].pos;
        insn = (insn & ~mask) | (imm << e->fields[i].pos & mask);
        imm >>= e->fields[i].len;
    }
    return insn;
}

int modload_apply_arm(unsigned kind, uint8_t *movw, uint8_t *movt, uint32_t value)
{
    const pair_encoding *e = &encodings[kind == MODP_FIX_ARM_MOVW_MOVT];
    uint8_t *at[2];
    uint32_t insn[2], v, i;

    at[0] = movw;
    at[1] = movt;
    /* Refuse anything that is not the pair the kind names. */
    for (i = 0; i < 2; i++)
        if (((insn[i] = modload_rd32(at[i])) & e->opmask) != e->op[i])
            return MODLOAD_ERR_FIXUP;
    v = (get_imm16(e, insn[1]) << 16 | get_imm16(e, insn[0])) + value;
    /* the low half to MOVW, the high half to MOVT (set_imm16 takes 16 bits) */
    for (i = 0; i < 2; i++, v >>= 16)
        modload_wr32(at[i], set_imm16(e, insn[i], v));
    return MODLOAD_OK;
}

#else
typedef int modload_arm_not_built; /* ISO C wants a declaration */
#endif
