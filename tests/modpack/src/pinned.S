@ pinned.S - code reaches data with a PC-relative MOVW/MOVT (R_ARM_THM_MOVW_PREL_NC) and
@ calls an import: the veneer cannot fit and the data cannot move.
    .syntax unified
    .thumb
    .text
    .global module_init
    .type module_init, %function
    .thumb_func
module_init:
    push {r4, lr}
    movw r0, #:lower16:(value - .)
    movt r0, #:upper16:(value - .)
    bl fw_puts
    pop {r4, pc}
    .data
    .align 3
value:
    .word 1
