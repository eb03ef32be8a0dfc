/* startup.c - reset and trap handling for the RISC-V virt harness.
 *
 * QEMU (-M virt -bios none -kernel fw.elf) loads every section of the ELF
 * into RAM and starts at 0x80000000 in machine mode, where _start sets the
 * stack, zeroes .bss, installs the trap handler and calls main(); main's
 * return value becomes the semihosting exit status. Any trap (a module
 * jumping into the weeds, an illegal instruction, a misaligned access)
 * prints mcause, mepc and mtval and exits with a failure status, so a test
 * fails instead of hanging.
 */
#include <stdint.h>

#include "fwutil.h"
#include "semihost.h"

extern uint32_t __bss_start[], __bss_end[];

int main(void);
void fw_reset(void) __attribute__((noreturn));
void fw_trap(void);

__asm__(".section .text.start,\"ax\",@progbits\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "la sp, __stack_top\n"
        ".option pop\n"
        "j fw_reset\n");

void fw_reset(void)
{
    for (uint32_t *p = __bss_start; p < __bss_end; p++)
        *p = 0;
    __asm__ volatile(".option push\n .option arch, +zicsr\n csrw mtvec, %0\n .option pop"
                     ::"r"((uintptr_t)fw_trap));
    sh_exit(main());
}

__attribute__((interrupt("machine"), aligned(4))) void fw_trap(void)
{
    uint32_t cause, epc, tval;
    __asm__ volatile(".option push\n .option arch, +zicsr\n"
                     "csrr %0, mcause\n csrr %1, mepc\n csrr %2, mtval\n .option pop"
                     : "=r"(cause), "=r"(epc), "=r"(tval));
    fw_printf("TRAP: mcause=0x%08x mepc=0x%08x mtval=0x%08x\n", (unsigned)cause, (unsigned)epc,
              (unsigned)tval);
    fw_printf("FAIL\n");
    sh_exit(1);
}
