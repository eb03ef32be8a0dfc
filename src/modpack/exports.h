/* exports.h - the firmware's export table as C source (the command,
 * `modpack exports`, is in exports.c; commands.h). */
#ifndef MODPACK_EXPORTS_H
#define MODPACK_EXPORTS_H

#include "fwnames.h"
#include "util.h"

/* The C source for fw and ABI version major.minor (deterministic). */
void mp_exports_source(mp_buf *out, const mp_fwnames *fw, unsigned major, unsigned minor);

#endif
