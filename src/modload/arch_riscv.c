/* arch_riscv.c - the RISC-V-only fixup kinds: LUI / I-type / S-type
 * immediates of absolute addresses (-mcmodel=medlow), format section 6.1.
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

int modload_apply_riscv(unsigned kind, uint8_t *site, modload_addr addr, uint32_t lo12, unsigned rv64)
{
    uint32_t w = modload_rd32(site), imm, value = (uint32_t)addr;

    (void)rv64;
    if (kind == MODP_FIX_RV_HI20) {
        if ((w & 0x7Fu) != 0x37u)                       /* LUI */
            return MODLOAD_ERR_FIXUP;
        imm = (w & 0xFFFFF000u) + (lo12 ^ 0x800u) - 0x800u; /* the addend */
#if MODLOAD_KINDS_64
        /* addr + sext32(addend) + 0x80000800 must lie in [0, 2^32) */
        if (rv64 && ((uint64_t)addr + (uint64_t)(int64_t)(int32_t)imm + 0x80000800u) >> 32)
            return MODLOAD_ERR_FIXUP_RANGE;
#endif
        imm += value;
        w = (w & 0xFFFu) | ((imm + 0x800u) & 0xFFFFF000u);
    } else {
        uint32_t majors = kind == MODP_FIX_RV_LO12_I ? RV_I_MAJORS : RV_S_MAJORS;
        if ((w & 3u) != 3u || !(majors >> RV_MAJOR(w) & 1u) ||
            /* OP-IMM(-32) shifts: slli, srli, srai (funct3 1 and 5) */
            ((RV_MAJOR(w) == 4u || RV_MAJOR(w) == 6u) && (w >> 12 & 3u) == 1u))
            return MODLOAD_ERR_FIXUP;
        if (kind == MODP_FIX_RV_LO12_I) {
            w += value << 20;                           /* imm[11:0] = w[31:20] */
        } else {
            imm = (w >> 20 & 0xFE0u) + (w >> 7 & 0x1Fu) + value;
            w = (w & 0x01FFF07Fu) | (imm & 0xFE0u) << 20 | (imm & 0x1Fu) << 7;
        }
    }
    modload_wr32(site, w);
    return MODLOAD_OK;
}

#else
typedef int modload_riscv_not_built; /* ISO C wants a declaration */
#endif
