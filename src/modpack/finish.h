/* finish.h - the finish stage: after lowering, the module completed for
 * encoding (imports numbered by name, fixups checked for overlaps,
 * exports, entry and exit, the XIP and STRIPPED flags, the build-id). */
#ifndef MODPACK_FINISH_H
#define MODPACK_FINISH_H

#include "module.h"
#include "mpelf.h"
#include "options.h"

/* Returns 0, or -1 after printing the error. */
int mp_finish(const mp_elf *m, const mp_options *opt, mp_module *mod);

#endif
