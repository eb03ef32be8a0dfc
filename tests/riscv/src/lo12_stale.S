# lo12_stale.S - an R_RISCV_HI20 on an instruction that is not a LUI, as a
# relocation describing code from before relaxation would be.
    .option norelax
    .text
    .globl module_init
module_init:
    .reloc ., R_RISCV_HI20, value
    addi a0, a0, 0
    ret
    .data
value: .word 1
