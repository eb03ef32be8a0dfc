/* dynamic.h - shared-object (ET_DYN) input: the dynamic relocation tables
 * lowered to image fixups. */
#ifndef MODPACK_DYNAMIC_H
#define MODPACK_DYNAMIC_H

#include "lower.h"

/* Sections that only the dynamic linker reads (.dynamic, .dynsym, .dynstr,
 * .hash, .gnu.hash, .gnu.version*, .interp, .rel[a].dyn, .rel[a].plt,
 * notes): not part of the image of a shared object. */
int mp_dyn_metadata(const mp_section *s);

/* Lower every dynamic relocation of the laid-out shared object c->m into
 * c->mod (fixups and imports) and record why it cannot be split.
 * Returns 0, or -1 after printing the error. */
int mp_dyn_lower(mp_ctx *c);

#endif
