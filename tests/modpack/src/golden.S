@ golden.S - fixed sample for the inspect golden file. Assembly, so that
@ the image does not change with the compiler version.
    .syntax unified
    .thumb

    .section .text.module_init, "ax", %progbits
    .global module_init
    .type module_init, %function
    .thumb_func
module_init:
    push {r4, lr}
    ldr r0, =message            @ ABS32 to code (rodata)
    bl fw_puts                  @ THM_CALL to an import: veneer
    movw r1, #:lower16:counter  @ MOVW/MOVT pair to data
    movt r1, #:upper16:counter
    ldr r2, [r1]
    adds r2, #1
    str r2, [r1]
    ldr r3, =fw_value           @ ABS32 to an import
    ldr r0, [r3]
    bl helper                   @ local call: no fixup
    pop {r4, pc}
    .pool

    .text
    .type helper, %function
    .thumb_func
helper:
    adds r0, #1
    bx lr
    .global module_exit
    .type module_exit, %function
    .thumb_func
module_exit:
    b.w fw_puts                 @ THM_JUMP24 tail call: shares the veneer

    .section .rodata
message:
    .asciz "golden"

    .data
    .align 2
    .global counter
    .type counter, %object
counter:
    .word 7
    .global table
    .type table, %object
table:
    .word counter, message, helper, scratch   @ data -> data, code, code, bss

    .bss
    .align 2
scratch:
    .space 32
