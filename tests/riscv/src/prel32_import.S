# prel32_import.S - a 32-bit PC-relative word to an import (GAS writes
# "fw_value - ." as ADD32/SUB32, so the relocation is written out).
    .text
    .globl module_init
module_init:
    ret
    .data
    .reloc ., R_RISCV_32_PCREL, fw_value
    .word 0
