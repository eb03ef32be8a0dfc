/* dynamic.h - the lowering stage for shared-object (ET_DYN) input: the
 * dynamic relocation tables lowered to image fixups. */
#ifndef MODPACK_DYNAMIC_H
#define MODPACK_DYNAMIC_H

#include "arch.h"
#include "module.h"

/* Lower every dynamic relocation of the laid-out shared object m into mod
 * (fixups and imports), which takes over L, and record why it cannot be
 * split. Returns 0, or -1 after printing the error. */
int mp_lower_dynamic(mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod);

#endif
