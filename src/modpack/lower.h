/* lower.h - the lowering stage for ET_EXEC and (linked) ET_REL input: lower.c
 * walks the relocation sections, looks every relocation up in the ISA's
 * allow-list (mp_arch.rtable), refuses the unknown and rejected ones, skips
 * those without effect, finds the site and the symbol, and hands the rest
 * to the ISA's mp_arch.lower_rel, which records fixups with lowering.h's
 * helpers; then the veneers (veneer.c) and the ISA's finish. A shared
 * object is lowered by dynamic.c instead (dynamic.h). */
#ifndef MODPACK_LOWER_H
#define MODPACK_LOWER_H

#include "arch.h"
#include "module.h"

/* Lower the laid-out m into mod, which takes over L. Returns 0, or -1
 * after printing the error. */
int mp_lower_relocs(mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod, int no_relocs);

#endif
