/* benchfw.c - tools/bench --target's firmware: the load paths of
 * tools/bench-load.c (both take them from tools/bench-paths.h) on a
 * Cortex-M under QEMU, each between a call of
 * bench_begin() and one of bench_end(), so that the driver counts the
 * instructions QEMU's exec log shows between the two.
 *
 *   fw IMAGE.mod
 *
 * reads IMAGE.mod through semihosting into the RAM past the stack and runs,
 * in this order, each path once between the markers (a bracket):
 *
 *   empty   nothing: what the markers' calls cost, which the driver takes
 *           from every other bracket
 *   calib   a loop of exactly 21 instructions: the driver checks that the
 *           log shows one line per executed instruction
 *   crc     modload_crc32 over the image alone (the CRC's share)
 *   copy    the baseline: memcpy of the image into RAM + modload_crc32 over it
 *   load    modload_open + modload_place_region + modload_load, every import
 *           bound by the resolve callback (an address made of its hash)
 *   check   the same with modload_check for modload_open (two passes over
 *           the fixups)
 *
 * and prints "bench: IMAGE_BYTES REGION_BYTES" and "bench: ok". No
 * console output inside a bracket. Exits 1 (and prints why) when a path
 * fails, so the driver never reports the count of a path that did not run.
 */
#include <stdint.h>
#include <string.h>

#include "../bench-paths.h"
#include "fwutil.h"

/* The end of the MPS2 boards' data RAM (mps2.ld: 4 MiB at 0x20000000);
 * everything from the stack's top up to it is the benchmark's memory,
 * which the startup code does not clear (its instructions would swamp the
 * log). */
#define BENCH_RAM_END 0x20400000u
extern uint8_t __stack_top[];

/* noipa: never inlined, nor folded into one another (-fipa-icf) */
__attribute__((noinline, noipa)) void bench_begin(void);
__attribute__((noinline, noipa)) void bench_end(void);

void bench_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

void bench_end(void)
{
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    char *argv[4];
    if (fw_args(argv, 4) != 2) {
        fw_printf("usage: fw IMAGE.mod\n");
        return 1;
    }
    uint8_t *mem = __stack_top;
    uint32_t room = BENCH_RAM_END - (uint32_t)(uintptr_t)mem;
    int32_t n = fw_read_file(argv[1], mem, room / 2);
    if (n <= 0)
        return 1;
    uint32_t len = (uint32_t)n;
    /* the copy, then the region, each 64-byte aligned past the image */
    uint8_t *copy = mem + ((len + 63u) & ~63u);
    modload_image img;
    int err = modload_check(mem, len, &img);
    if (err != MODLOAD_OK) {
        fw_printf("modload_check: %s\n", modload_strerror(err));
        return 1;
    }
    uint32_t align = modload_region_align(&img) > 64u ? modload_region_align(&img) : 64u;
    uintptr_t r = (uintptr_t)copy + len;
    uint8_t *region = (uint8_t *)((r + align - 1u) & ~(uintptr_t)(align - 1u));
    uint32_t size = modload_region_size(&img);
    if ((uintptr_t)region + size > BENCH_RAM_END) {
        fw_printf("the image (%u bytes) and its region (%u) do not fit in %u bytes of RAM\n",
                  (unsigned)len, (unsigned)size, (unsigned)room);
        return 1;
    }
    fw_printf("bench: %u %u\n", (unsigned)len, (unsigned)size);

    bench_begin();
    bench_end();

    bench_begin();
    unsigned k;
    __asm__ volatile(".syntax unified\n"
                     "\tmovs %0, #10\n"
                     "1:\tsubs %0, %0, #1\n"
                     "\tbne 1b\n"
                     ".syntax divided" : "=&l"(k) :: "cc");
    bench_end();

    bench_begin();
    uint32_t crc_only = modload_crc32(0, mem, len);
    bench_end();

    const char *load_stage, *check_stage;
    bench_begin();
    uint32_t crc = bench_copy(mem, len, copy);
    bench_end();

    bench_begin();
    int load = bench_load(mem, len, region, size, 0, &load_stage);
    bench_end();

    bench_begin();
    int check = bench_load(mem, len, region, size, 1, &check_stage);
    bench_end();

    if (crc != crc_only || load != MODLOAD_OK || check != MODLOAD_OK) {
        fw_printf("bench: failed: crc %08x, load: %s: %s, check: %s: %s\n", (unsigned)crc, load_stage,
                  modload_strerror(load), check_stage, modload_strerror(check));
        return 1;
    }
    fw_printf("bench: ok\n");
    return 0;
}
