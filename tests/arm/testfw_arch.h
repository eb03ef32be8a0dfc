/* testfw_arch.h - what tests/harness/testfw.c needs to know of Cortex-M. */
#ifndef TESTFW_ARCH_H
#define TESTFW_ARCH_H

#include <stdint.h>

/* Function addresses carry the Thumb bit. */
#define FW_FUNC_BIT 1u
#define FW_FUNC_KIND "a Thumb"

/* After code is written: finish the stores, refetch instructions. */
static inline void fw_code_barrier(void)
{
    __asm__ volatile("dsb\n isb" ::: "memory");
}

/* Modules built with -msingle-pic-base reach their data through r9, which
 * holds their GOT; the firmware is built with -ffixed-r9 to keep it. Such
 * modules can also run in place from the flash partition (mode xip). */
#define FW_PIC_BASE 1
static inline void fw_set_pic_base(uint32_t got)
{
    __asm__ volatile("mov r9, %0" : : "r"(got));
}

#endif
