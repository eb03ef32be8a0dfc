/* winlibgcc.c - the libgcc routines that the windowed builds of the Xtensa
 * harness and test module call, compiled windowed with them.
 *
 * Debian's xtensa-lx106-elf libgcc is call0 code: a windowed caller reaches
 * it with CALL8, which puts the arguments where a call0 function does not
 * look and rotates a window the function never returns through. So the
 * windowed builds link this instead of -lgcc. Only what they use is here
 * (a missing routine fails the firmware link, or becomes an import that the
 * firmware refuses to resolve).
 */
#include <stdint.h>

int32_t __divsi3(int32_t a, int32_t b);   /* the ESP ROM's, in linux.c */
int32_t __modsi3(int32_t a, int32_t b);
uint64_t __muldi3(uint64_t a, uint64_t b);

/* a - (a / b) * b in unsigned arithmetic: INT32_MIN % -1 is 0, not a trap */
int32_t __modsi3(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)__divsi3(a, b) * (uint32_t)b);
}

/* shift and add: constant shifts of a 64-bit value need no libgcc */
uint64_t __muldi3(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    while (b) {
        if (b & 1u)
            r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}
