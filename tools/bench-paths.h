/* bench-paths.h - the paths tools/bench measures, shared by its host driver
 * (bench-load.c, counted by callgrind) and its Cortex-M firmware
 * (bench-target/benchfw.c, counted in QEMU's exec log), so that the host's
 * and the target's numbers are of the same work. Freestanding: modload,
 * memcpy. */
#ifndef BENCH_PATHS_H
#define BENCH_PATHS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "modload.h"

/* Every import bound, to an address made of its hash. */
static int bench_resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)name;
    *addr = 0x10000000u + (hash & 0xFFFFFu) * 4u;
    return 0;
}

/* The baseline: memcpy of the image into buf and modload_crc32 over it. */
static uint32_t bench_copy(const uint8_t *image, size_t len, uint8_t *buf)
{
    memcpy(buf, image, len);
    return modload_crc32(0, buf, (uint32_t)len);
}

/* modload_open (whole: modload_check) + modload_place_region into the room
 * bytes at region, run where they lie + modload_load, imports bound by
 * bench_resolve. MODLOAD_OK, or the first error with *stage the call that
 * gave it. */
static int bench_load(const uint8_t *image, size_t len, uint8_t *region, uint32_t room, int whole,
                      const char **stage)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = {.resolve = bench_resolve};
    int err;

    *stage = whole ? "modload_check" : "modload_open";
    if ((err = whole ? modload_check(image, len, &img) : modload_open(image, len, &img)) != MODLOAD_OK)
        return err;
    *stage = "modload_place_region";
    if ((err = modload_place_region(&img, region, room, (modload_addr)(uintptr_t)region, &pl)) != MODLOAD_OK)
        return err;
    *stage = "modload_load";
    return modload_load(&img, &pl, &env, &mod);
}

#endif
