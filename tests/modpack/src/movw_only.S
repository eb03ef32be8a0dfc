@ movw_only.S - a MOVW without its MOVT: rejected.
    .syntax unified
    .thumb
    .text
    .global module_init
    .type module_init, %function
    .thumb_func
module_init:
    movw r0, #:lower16:value
    bx lr
    .data
value:
    .word 1
