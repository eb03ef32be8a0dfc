# x0_lo12.S - a low part added to x0 (what relaxation leaves behind).
    .option norelax
    .text
    .globl module_init
module_init:
    addi a0, x0, %lo(value)
    ret
    .data
value: .word 1
