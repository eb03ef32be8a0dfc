/* relocate.h - `modpack relocate`: an image placed on the host for fixed
 * run addresses, written as flat binaries. */
#ifndef MODPACK_RELOCATE_H
#define MODPACK_RELOCATE_H

#include <stddef.h>

#include "modload.h"

/* Import addresses given on the command line or read from nm output. */
typedef struct mp_symbols {
    char **name;
    modload_addr *addr;
    size_t n;
} mp_symbols;

int mp_symbols_add(mp_symbols *t, const char *name, modload_addr addr);
int mp_symbols_defsym(mp_symbols *t, const char *name_eq_addr);
int mp_symbols_read_nm(mp_symbols *t, const char *path);
void mp_symbols_free(mp_symbols *t);

typedef struct mp_relocate_opts {
    modload_addr code_base, data_base;
    int split;                  /* data_base given: code and data apart */
    const char *out, *data_out; /* data_out only when split */
    const mp_symbols *syms;
} mp_relocate_opts;

/* Exit code: 0 written, 1 error (printed). */
int mp_relocate(const char *path, const mp_relocate_opts *o);

#endif
