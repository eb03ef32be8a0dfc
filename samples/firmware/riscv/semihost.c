/* semihost.c - the RISC-V semihosting trap; the calls are in
 * ../common/semihost_calls.c. */
#include "semihost.h"

/* The trap sequence must be three uncompressed instructions in one page;
 * sh_trap is aligned to 16 bytes so that it never straddles one. */
__asm__(".section .text.sh_trap,\"ax\",@progbits\n"
        ".globl sh_trap\n"
        ".balign 16\n"
        "sh_trap:\n"
        ".option push\n"
        ".option norvc\n"
        "slli x0, x0, 0x1f\n"
        "ebreak\n"
        "srai x0, x0, 7\n"
        "ret\n"
        ".option pop\n");

void sh_halt(void)
{
    for (;;)
        __asm__ volatile("wfi");
}
