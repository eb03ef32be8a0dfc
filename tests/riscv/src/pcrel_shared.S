/* pcrel_shared.S - AUIPC pairs reaching an import (RV_PCREL, format
 * section 6.2): one AUIPC whose result a load and a store both use (the
 * psABI allows any number of low parts), an addend, and an ADDI. */
    .option norelax
    .text
    .globl module_init
module_init:
.Lhi0:
    auipc a5, %pcrel_hi(fw_value + 8)
    lw a0, %pcrel_lo(.Lhi0)(a5)
    addi a0, a0, 1
    sw a0, %pcrel_lo(.Lhi0)(a5)
.Lhi1:
    auipc a4, %pcrel_hi(fw_value)
    addi a4, a4, %pcrel_lo(.Lhi1)
    lw a1, %pcrel_lo(.Lhi0)(a5)
    ret
