/* fwcheck.h - `modpack build --firmware`: a module's imports against the
 * firmware's exports. */
#ifndef MODPACK_FWCHECK_H
#define MODPACK_FWCHECK_H

#include "fwnames.h"
#include "module.h"
#include "mpelf.h"

/* Every import of mod must be one of fw's names. Returns 0, or -1 after
 * listing every missing import with the places that use it (fwdesc names
 * the firmware inputs in the message). */
int mp_fwcheck(const mp_elf *m, const mp_module *mod, const mp_fwnames *fw, const char *fwdesc);

#endif
