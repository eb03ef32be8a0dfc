/* testfw_arch.h - what tests/harness/testfw.c needs to know of RISC-V. */
#ifndef TESTFW_ARCH_H
#define TESTFW_ARCH_H

/* Function addresses are plain, at least 2-aligned. */
#define FW_FUNC_BIT 0u
#define FW_FUNC_KIND "an even"

/* After code is written: instruction fetch must see the stores. */
static inline void fw_code_barrier(void)
{
    __asm__ volatile(".option push\n .option arch, +zifencei\n fence.i\n .option pop" ::: "memory");
}

#define FW_PIC_BASE 0

#endif
