/* semihost.c - the ARM semihosting trap (bkpt 0xab, Thumb); the calls are
 * in ../common/semihost_calls.c. */
#include "semihost.h"

int sh_trap(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_halt(void)
{
    for (;;)
        __asm__ volatile("bkpt 0");
}
