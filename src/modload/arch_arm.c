/* arch_arm.c - the ARM-only fixup kinds: MOVW/MOVT address pairs.
 *
 * clang (and gcc with -mslow-flash-data or -mpure-code) loads addresses with
 * a MOVW/MOVT pair. The 32-bit addend is split over the two immediates, so
 * the pair is patched as one value: the carry out of the low half must reach
 * the high half.
 */
#include "modload_internal.h"

/* Thumb-2 MOVW (T3) / MOVT (T1): imm16 = imm4:i:imm3:imm8 over two halfwords. */
static uint32_t thumb_imm16(const uint8_t *p)
{
    uint32_t hw1 = modload_rd16(p), hw2 = modload_rd16(p + 2);
    return (hw1 & 0xFu) << 12 | (hw1 >> 10 & 1u) << 11 | (hw2 >> 12 & 7u) << 8 | (hw2 & 0xFFu);
}

static void thumb_set_imm16(uint8_t *p, uint32_t imm)
{
    uint32_t hw1 = modload_rd16(p), hw2 = modload_rd16(p + 2);
    hw1 = (hw1 & ~0x040Fu) | (imm >> 12 & 0xFu) | (imm >> 11 & 1u) << 10;
    hw2 = (hw2 & ~0x70FFu) | (imm >> 8 & 7u) << 12 | (imm & 0xFFu);
    modload_wr16(p, hw1);
    modload_wr16(p + 2, hw2);
}

/* ARM MOVW (A2) / MOVT (A1): imm16 = imm4:imm12. */
static uint32_t arm_imm16(const uint8_t *p)
{
    uint32_t w = modload_rd32(p);
    return (w >> 4 & 0xF000u) | (w & 0xFFFu);
}

static void arm_set_imm16(uint8_t *p, uint32_t imm)
{
    uint32_t w = modload_rd32(p);
    modload_wr32(p, (w & 0xFFF0F000u) | (imm & 0xF000u) << 4 | (imm & 0xFFFu));
}

int modload_apply_arm(unsigned kind, uint8_t *movw, uint8_t *movt, uint32_t value)
{
    uint32_t v;

    if (kind == MODP_FIX_THM_MOVW_MOVT) {
        /* Refuse anything that is not the pair the kind names. */
        if ((modload_rd16(movw) & 0xFBF0u) != 0xF240u || (modload_rd16(movt) & 0xFBF0u) != 0xF2C0u)
            return MODLOAD_ERR_FIXUP;
        v = (thumb_imm16(movt) << 16 | thumb_imm16(movw)) + value;
        thumb_set_imm16(movw, v & 0xFFFFu);
        thumb_set_imm16(movt, v >> 16);
        return MODLOAD_OK;
    }
    if ((modload_rd32(movw) & 0x0FF00000u) != 0x03000000u ||
        (modload_rd32(movt) & 0x0FF00000u) != 0x03400000u)
        return MODLOAD_ERR_FIXUP;
    v = (arm_imm16(movt) << 16 | arm_imm16(movw)) + value;
    arm_set_imm16(movw, v & 0xFFFFu);
    arm_set_imm16(movt, v >> 16);
    return MODLOAD_OK;
}
