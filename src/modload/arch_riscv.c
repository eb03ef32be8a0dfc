/* arch_riscv.c - the RISC-V-only fixup kinds: LUI / I-type / S-type
 * immediates of absolute addresses (-mcmodel=medlow), format section 6.1,
 * and AUIPC pairs that reach imports (-mcmodel=medany), section 6.2.
 *
 * The low 12 bits of addend + value depend only on the low 12 bits of
 * each, so RV_LO12_I and RV_LO12_S add the value to their 12-bit field
 * alone. RV_HI20 needs the carry out of the low part: its op carries the
 * low 12 bits of the addend, so every site is patched on its own, in any
 * order. Each kind checks the opcode of the instruction it patches and
 * refuses anything else. Compiled only for RISC-V and the host build.
 *
 * rv64: LUI sign-extends bit 31, so LUI+ADDI reach only addresses in
 * [-2^31 - 0x800, 2^31 - 0x800); RV_HI20 refuses any other address with
 * MODLOAD_ERR_FIXUP_RANGE rather than write a wrong one.
 */
#include "modload_internal.h"

#if MODLOAD_KINDS_RISCV

/* w[6:2] for instructions whose w[1:0] is 3 (32-bit encodings) */
#define RV_MAJOR(w)   ((w) >> 2 & 0x1Fu)
/* LOAD 0, LOAD-FP 1, OP-IMM 4, OP-IMM-32 6, JALR 25 */
#define RV_I_MAJORS   (1u << 0 | 1u << 1 | 1u << 4 | 1u << 6 | 1u << 25)
/* STORE 8, STORE-FP 9 */
#define RV_S_MAJORS   (1u << 8 | 1u << 9)
/* an S-type instruction (of the majors above: JALR, 25, is I-type) */
#define RV_IS_S(w)    ((RV_MAJOR(w) | 1u) == 9u)

/* An I-type (or, with store set, S-type) instruction whose immediate a low
 * part may patch. */
static int rv_low_part(uint32_t w, unsigned store)
{
    return (w & 3u) == 3u && ((store ? RV_S_MAJORS : RV_I_MAJORS) >> RV_MAJOR(w) & 1u) &&
           /* OP-IMM(-32) shifts: slli, srli, srai (funct3 1 and 5) */
           !((RV_MAJOR(w) == 4u || RV_MAJOR(w) == 6u) && (w >> 12 & 3u) == 1u);
}

static uint32_t rv_imm12(uint32_t w)
{
    return RV_IS_S(w) ? (w >> 20 & 0xFE0u) | (w >> 7 & 0x1Fu) : w >> 20;
}

static uint32_t rv_set_imm12(uint32_t w, uint32_t imm)
{
    if (RV_IS_S(w)) /* imm[11:5] = w[31:25], imm[4:0] = w[11:7] */
        return (w & 0x01FFF07Fu) | (imm & 0xFE0u) << 20 | (imm & 0x1Fu) << 7;
    return (w & 0x000FFFFFu) | imm << 20;
}

#define RV_IS_AUIPC(w) (((w) & 0x7Fu) == 0x17u)

/* One function for the four kinds, so that each patch is written once: an
 * upper instruction (RV_HI20's LUI, RV_PCREL's AUIPC when it comes first)
 * gets the upper 20 bits of its address plus the value, with the carry
 * out of its low part; a low part (RV_LO12_I/S, RV_PCREL's other half)
 * adds the value to its 12 bits. Every instruction is checked before the
 * first write. */
int modload_apply_riscv(const modload_fixup *fx, uint8_t *site, uint8_t *site2, modload_addr value,
                        unsigned rv64)
{
    uint32_t w = modload_rd32(site), upper = w, lo = w, lo12 = fx->operand, sum;
    uint8_t *at_upper = 0, *at_lo = site; /* the sites patched */

    if (fx->kind == MODP_FIX_RV_PCREL) {
        /* value is the address minus the segment's run address: minus the
         * AUIPC's offset, it is what the pair's offset must grow by */
        uint32_t w2 = modload_rd32(site2);
        if (RV_IS_AUIPC(w)) {
            lo = w2;
            at_upper = site;
            at_lo = site2;
            value -= fx->offset;
        } else { /* the low part first: the AUIPC is another pair's */
            upper = w2;
            value -= fx->offset2;
        }
        if (!RV_IS_AUIPC(upper) || !(rv_low_part(lo, 0) || rv_low_part(lo, 1)))
            return MODLOAD_ERR_FIXUP;
        lo12 = rv_imm12(lo);
    } else if (fx->kind == MODP_FIX_RV_HI20) {
        if ((w & 0x7Fu) != 0x37u)                       /* LUI */
            return MODLOAD_ERR_FIXUP;
        at_upper = site;
        at_lo = 0;
    } else if (!rv_low_part(w, fx->kind == MODP_FIX_RV_LO12_S)) {
        return MODLOAD_ERR_FIXUP;
    }
    if (at_upper) {
        sum = (upper & 0xFFFFF000u) + (lo12 ^ 0x800u) - 0x800u; /* the address now */
#if MODLOAD_KINDS_64
        /* value + sext32(sum) + 0x80000800 must lie in [0, 2^32) */
        if (rv64 && ((uint64_t)value + (uint64_t)(int64_t)(int32_t)sum + 0x80000800u) >> 32)
            return MODLOAD_ERR_FIXUP_RANGE;
#else
        (void)rv64;
#endif
        sum += (uint32_t)value;
        modload_wr32(at_upper, (upper & 0xFFFu) | ((sum + 0x800u) & 0xFFFFF000u));
    }
    if (at_lo)
        modload_wr32(at_lo, rv_set_imm12(lo, (rv_imm12(lo) + (uint32_t)value) & 0xFFFu));
    return MODLOAD_OK;
}

#else
typedef int modload_riscv_not_built; /* ISO C wants a declaration */
#endif
