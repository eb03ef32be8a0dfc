/* startup.c - vector table, reset handler, semihosting and the three
 * functions modload takes from a C library, for the install test's
 * firmware (Cortex-M4, QEMU mps2-an386). Nothing from the modpack tree. */
#include <stddef.h>
#include <stdint.h>

#include "fw.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

void Reset_Handler(void) __attribute__((noreturn));
static void Hang_Handler(void)
{
    sh_puts("fault\n");
    sh_exit(2);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top, Reset_Handler,
    Hang_Handler, Hang_Handler, Hang_Handler, Hang_Handler, Hang_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    sh_exit(main());
}

int sh_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s)
{
    sh_call(0x04, s); /* SYS_WRITE0 */
}

void sh_exit(int status)
{
    /* SYS_EXIT: ApplicationExit (status 0) or RunTimeErrorUnknown */
    sh_call(0x18, (const void *)(uintptr_t)(status == 0 ? 0x20026u : 0x20023u));
    for (;;)
        ;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}
