/* testfw_arch.h - what tests/harness/testfw.c needs to know of Xtensa: it runs
 * as a freestanding Linux program under qemu-xtensa user mode
 * (samples/firmware/xtensa), so its memory comes from mmap. */
#ifndef TESTFW_ARCH_H
#define TESTFW_ARCH_H

#include <stdint.h>

#include "xtlinux.h"

/* Function addresses are plain. */
#define FW_FUNC_BIT 0u
#define FW_FUNC_KIND "an even"

/* After code is written: instruction fetch must see the stores. */
static inline void fw_code_barrier(void)
{
    __asm__ volatile("isync" ::: "memory");
}

#define FW_PIC_BASE 0

/* The module imports the ESP8266 ROM's division helpers (the lx106 libgcc
 * lacks them) from the firmware table. */
#define FW_ARCH_SYMS SYM(__divsi3), SYM(__udivsi3), SYM(__umodsi3),

/* The image names the ABI it was compiled for: this firmware's. */
#ifdef __XTENSA_WINDOWED_ABI__
#define FW_IMAGE_ARCH_FLAGS MODP_XT_WINDOWED
#else
#define FW_IMAGE_ARCH_FLAGS MODP_XT_CALL0
#endif

/* One RWX mapping, where one-region placements go. */
static inline uint8_t *fw_pool_alloc(uint32_t size)
{
    return xt_map(0, size, XT_PROT_READ | XT_PROT_WRITE | XT_PROT_EXEC);
}

/* Split placement: code and data in two mappings of their own, 256 MiB
 * apart, data below code (the ESP8266's IRAM and DRAM addresses,
 * 0x40100000 and 0x3FFE8000, lie where qemu-xtensa keeps its own); the code
 * written with aligned 32-bit stores only (MODLOAD_CODE_WORDS, as ESP IRAM
 * requires) at an offset that is not a multiple of 8, and made
 * read-execute before it runs. */
#define IRAM_HINT ((void *)0x20000000u)
#define DRAM_HINT ((void *)0x10000000u)

#define FW_SPLIT_MAPPED 1
static inline int fw_split_begin(fw_split *s, uint8_t *pool, uint32_t pool_size)
{
    (void)pool, (void)pool_size;
    s->size = 0x10000u;
    s->code_off = 0x4u;
    s->flags = MODLOAD_CODE_WORDS;
    s->code = xt_map(IRAM_HINT, s->size, XT_PROT_READ | XT_PROT_WRITE | XT_PROT_EXEC);
    s->data = xt_map(DRAM_HINT, s->size, XT_PROT_READ | XT_PROT_WRITE);
    if (!fw_check(s->code && s->data, "mmap for the split placement failed"))
        return 0;
    /* far apart: a loader that used data_offset would write outside */
    fw_check((uintptr_t)(s->code - s->data) > 0x100000u, "the two mappings are only %u bytes apart",
             (unsigned)(s->code - s->data));
    fw_printf("split: code mapping %s, data mapping %s\n",
              s->code == IRAM_HINT ? "as asked" : "not where asked",
              s->data == DRAM_HINT ? "as asked" : "not where asked");
    return 1;
}

/* after the load, before the module runs */
static inline void fw_split_seal(fw_split *s)
{
    fw_check(xt_protect(s->code, s->size, XT_PROT_READ | XT_PROT_EXEC) == 0, "mprotect r-x");
}

static inline void fw_split_end(fw_split *s)
{
    xt_unmap(s->code, s->size);
    xt_unmap(s->data, s->size);
}

#endif
