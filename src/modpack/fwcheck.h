/* fwcheck.h - `modpack build --firmware`: a module's imports against the
 * firmware's exports. */
#ifndef MODPACK_FWCHECK_H
#define MODPACK_FWCHECK_H

#include "fwnames.h"
#include "module.h"
#include "mpelf.h"

/* A firmware given as an ELF must be for the module's machine and ELF class,
 * and fit its arch flags (the ISA's fw_check: CPU features, float ABI);
 * every import of mod must be one of fw's names. Returns 0, or -1 after
 * saying what does not fit, or listing every missing import with the
 * places that use it (fwdesc names the firmware inputs in the message). */
int mp_fwcheck(const mp_elf *m, const mp_module *mod, const mp_fwnames *fw, const char *fwdesc);

#endif
