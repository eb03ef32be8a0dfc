/* fw_table.h - the firmware symbol table the image harnesses bind imports
 * to (fuzz_modload.c, and fuzz_modreg.c and fuzz_modslot.c through
 * scripted.h): names at made-up addresses, sorted as modload_lookup wants.
 */
#ifndef FUZZ_FW_TABLE_H
#define FUZZ_FW_TABLE_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "modload.h"

static inline int cmp_sym(const void *a, const void *b)
{
    const modload_symbol *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash ? 1 : strcmp(x->name, y->name);
}

/* syms[i] named names[i] at 0x00010001 + 0x100 * i, then sorted by hash
 * (and name). */
static inline void fw_table(modload_symbol *syms, const char *const *names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        syms[i].name = names[i];
        syms[i].hash = modload_hash(names[i]);
        syms[i].addr = 0x00010001u + 0x100u * i;
    }
    qsort(syms, n, sizeof syms[0], cmp_sym);
}

#endif
