@ bcc.S - a conditional branch to an import (R_ARM_THM_JUMP19): rejected.
    .syntax unified
    .thumb
    .text
    .global module_init
    .type module_init, %function
    .thumb_func
module_init:
    cmp r0, #0
    bne.w fw_puts
    bx lr
