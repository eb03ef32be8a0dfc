/* slotcut.h - the power-cut test of the slot library (src/modload/modslot.c),
 * shared by the host test (test_slot.c, x86-64 modules) and the Cortex-M
 * firmware (slotfw.c, under QEMU). Freestanding: memcpy and memset only.
 *
 * A RAM store with flash semantics (a byte is written once between erases;
 * modslot writing one twice is counted) that can be cut after any number of
 * units (one byte written, or one block erased): the byte being written is
 * left half programmed, the block being erased half erased, and the store
 * stays frozen (every later write and erase fails and changes nothing)
 * until the "reboot". The counter modules (counter.c) of several versions
 * tell which version runs and check what it computes.
 */
#ifndef SLOTCUT_H
#define SLOTCUT_H

#include "modslot.h"

typedef struct ramstore {
    uint8_t *mem;
    uint32_t size, erase_size;
    int32_t budget;           /* units left before the cut; < 0: no cut */
    uint32_t units;           /* units done since the counter was reset */
    int frozen;
    uint32_t rewrites;        /* writes to a byte not erased (must stay 0) */
} ramstore;

/* A store over rs (mem[size] set to 0xFF: blank). */
void ramstore_init(ramstore *rs, modslot_store *st, uint8_t *mem, uint32_t size, uint32_t erase_size);

/* An image and the counter version it holds. */
typedef struct cut_image {
    const uint8_t *p;
    uint32_t len;
    int version;
} cut_image;

typedef struct slotcut {
    /* given */
    uint8_t *mem, *snap;      /* the store and a copy of it, size bytes each */
    uint32_t size, erase_size, nmodules;
    void *pool;               /* executable memory for the registry */
    uint32_t pool_size;
    modload_env env;
    /* Called for each failed check: what, the cut position, got and want. */
    void (*fail)(void *ctx, const char *what, uint32_t pos, int got, int want);
    void *ctx;
    /* state */
    ramstore rs;
    modslot_store st;
    modreg reg;
    modreg_slot slots[4];
    modslot ms;
    int carried;
    /* results, summed over runs */
    uint32_t positions, old_boots, new_boots, none_boots, failed_checks;
} slotcut;

/* Boot from the store as it is: a fresh registry, modslot_open, modslot_boot.
 * Returns modslot_open's code; *failed the modules modslot_boot could not load. */
int slotcut_boot(slotcut *c, uint32_t *failed);

/* The counter version running (0 when none), or -1 when it computes
 * wrong: counter_next must advance counter_get by its version's step. */
int slotcut_version(slotcut *c);

/* Install base[0..nbase) in order into a blank store, then for every cut
 * position of an update to `to` (every unit of the whole update, and no
 * cut): update with the count carried by hooks, check the version that
 * runs (the old one unless the update returned OK, which only the
 * uncut run may), reboot, and check that the store boots exactly the
 * version that ran. Returns the units of the whole update. */
uint32_t slotcut_run(slotcut *c, const cut_image *base, uint32_t nbase, const cut_image *to);

#endif
