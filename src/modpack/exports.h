/* exports.h - the firmware's export table as C source (the command,
 * `modpack exports`, is in exports.c; commands.h). */
#ifndef MODPACK_EXPORTS_H
#define MODPACK_EXPORTS_H

#include "fwnames.h"
#include "util.h"

#include "modload.h"

/* The C source for fw and its ABI, named name (deterministic). */
void mp_exports_source(mp_buf *out, const mp_fwnames *fw, const char *name, const modload_abi *abi);

#endif
