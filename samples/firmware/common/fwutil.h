/* fwutil.h - small helpers shared by the modload harnesses of every ISA:
 * console output, command line, reading a file through the harness's
 * semihost.h, the firmware export table and the check/place/load sequence.
 * No heap, no newlib.
 */
#ifndef FWUTIL_H
#define FWUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "modload.h"

/* printf subset: %s %c %d %u %x %X %p %%, with flags '0' '-' and a width. */
void fw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fw_vprintf(const char *fmt, va_list ap);

/* Split the semihosting command line into at most maxargs words (the
 * first is the program name). Returns the count, or -1. */
int fw_args(char **argv, int maxargs);

/* Read a whole host file into buf. Returns its length, or -1. */
int32_t fw_read_file(const char *path, uint8_t *buf, uint32_t cap);

/* Compute each entry's hash with modload_hash and sort the table by hash
 * then name, as modload_lookup requires. */
void fw_symtab_init(modload_symbol *syms, uint32_t n);

/* Simple check counter: fw_check(cond, what, ...) prints and counts. */
extern unsigned fw_checks, fw_failures;
int fw_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fw_check_u32(const char *what, uint32_t got, uint32_t want);

/* One loaded module. */
typedef struct fw_module {
    modload_image img;
    modload_place pl;
    modload_module mod;
    uint8_t *mem;         /* where the region was placed */
    uint32_t size;        /* region size */
} fw_module;

/* modload_open, then place the one-region layout at the first address in
 * [pool, pool + room) aligned as the image needs, then modload_load.
 * Prints the failing step; returns its modload error (MODLOAD_OK = 0). */
int fw_load(const uint8_t *image, uint32_t len, uint8_t *pool, uint32_t room,
            const modload_env *env, fw_module *m);

/* Print a summary line with the image's sizes. */
void fw_describe(const fw_module *m);

/* Turn a run address into a callable pointer / object pointer. */
#define FW_FUNC(type, addr) ((type)(uintptr_t)(addr))
#define FW_PTR(type, addr) ((type *)(uintptr_t)(addr))

#endif
