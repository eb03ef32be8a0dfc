/* testapi.h - the contract between the end-to-end test module (testmod.c)
 * and the test firmware (testfw.c): the firmware functions and variables
 * the module imports, and the keys under which the module reports what it
 * computed. The expected values live in testfw.c only. */
#ifndef TESTAPI_H
#define TESTAPI_H

#include <stdint.h>

/* ---- firmware exports ---------------------------------------------------- */

/* In the firmware's sorted export table: */
void fw_record(uint32_t key, uint32_t value);      /* the module reports a result */
void fw_register(uint32_t (*cb)(uint32_t));         /* the module hands over a callback */
extern volatile uint32_t fw_shared;                 /* read and written by the module */
extern const uint32_t fw_table[4];                  /* read by the module */
/* Not in the table: bound through the resolve callback. */
uint32_t fw_mix(uint32_t a, uint32_t b);
/* Weak imports (optional): the firmware's table has fw_weak_here; no
 * firmware defines fw_weak_absent, which modload binds to 0. */
uint32_t fw_weak_here(uint32_t x) __attribute__((weak));
uint32_t fw_weak_absent(uint32_t x) __attribute__((weak));

/* ---- result keys ------------------------------------------------------------- */

enum {
    K_BSS = 1,     /* OR of every .bss word before the module writes any */
    K_DATA,        /* counter + sum of svals, from .data */
    K_SHARED_PTR,  /* fw_shared read through a pointer stored in .data */
    K_SHARED,      /* fw_shared read directly */
    K_FWTABLE,     /* sum of fw_table */
    K_PRIMES,      /* walk of a .rodata array through .data pointers */
    K_STRHASH,     /* hashes of strings reached through a .rodata pointer table */
    K_SDIV_Q,      /* signed division (libgcc on Cortex-M0) */
    K_SDIV_R,
    K_UDIV_Q,      /* unsigned division */
    K_UDIV_R,
    K_MIX,         /* fw_mix called directly */
    K_OPS,         /* sum of calls through the .rodata function table */
    K_SELF,        /* pointer identities, one bit each */
    K_BSS_WRITE,   /* .bss written through a .rodata pointer, read back directly */
    K_UNALIGNED,   /* pointers stored at unaligned offsets in a packed struct */
    K_WEAK,        /* weak imports: the present one called, the absent one 0 */
    K_NKEYS
};

#define FW_SHARED_INIT 0x5EED1234u   /* fw_shared when module_init runs */
#define MOD_INIT_OK    0x1D0Du       /* what module_init returns when it is content */

#endif
