/* startup.c - Cortex-M vector table and reset handler for the MPS2 harness.
 *
 * Reset_Handler copies .data from its load address, zeroes .bss and calls
 * main(); main's return value becomes the semihosting exit status. Every
 * fault prints the stacked PC and exits with a failure status, so a module
 * that jumps into the weeds fails a test instead of hanging it.
 */
#include <stdint.h>

#include "fwutil.h"
#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void);
void Default_Handler(void);

void Reset_Handler(void)
{
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
#ifdef FW_TRAP_UNALIGNED
    /* CCR.UNALIGN_TRP: fault on unaligned word and halfword accesses as a
     * Cortex-M0 does (on ARMv6-M the bit is read-only and always set). Lets
     * a Cortex-M3 check that code built for Cortex-M0 never relies on
     * unaligned access. */
    *(volatile uint32_t *)0xE000ED14u |= 1u << 3;
#endif
    sh_exit(main());
}

/* Called with the exception stack frame: r0 r1 r2 r3 r12 lr pc xpsr. */
void fault_report(const uint32_t *frame, uint32_t exc_return);
void fault_report(const uint32_t *frame, uint32_t exc_return)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    fw_printf("FAULT: exception %u, pc=0x%08x lr=0x%08x r0=0x%08x exc_return=0x%08x\n",
              (unsigned)(ipsr & 0x1FF), (unsigned)frame[6], (unsigned)frame[5],
              (unsigned)frame[0], (unsigned)exc_return);
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    fw_printf("FAULT: CFSR=0x%08x HFSR=0x%08x MMFAR=0x%08x BFAR=0x%08x\n",
              (unsigned)*(volatile uint32_t *)0xE000ED28u,
              (unsigned)*(volatile uint32_t *)0xE000ED2Cu,
              (unsigned)*(volatile uint32_t *)0xE000ED34u,
              (unsigned)*(volatile uint32_t *)0xE000ED38u);
#endif
    fw_printf("FAIL\n");
    sh_exit(1);
}

__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "movs r0, #4\n"
        "mov  r1, lr\n"
        "tst  r0, r1\n"
        "beq  1f\n"
        "mrs  r0, psp\n"
        "b    fault_report\n"
        "1:\n"
        "mrs  r0, msp\n"
        "b    fault_report\n");
}

void Default_Handler(void)
{
    fw_printf("FAIL: unexpected interrupt\n");
    sh_exit(1);
}

typedef void (*vector)(void);

__attribute__((section(".vectors"), used))
const vector vector_table[16 + 32] = {
    (vector)(uintptr_t)__stack_top,
    Reset_Handler,
    Default_Handler,   /* NMI */
    Fault_Handler,     /* HardFault */
    Fault_Handler,     /* MemManage */
    Fault_Handler,     /* BusFault */
    Fault_Handler,     /* UsageFault */
    0, 0, 0, 0,
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMonitor */
    0,
    Default_Handler,   /* PendSV */
    Default_Handler,   /* SysTick */
    [16 ... 47] = Default_Handler,
};
