/* exports.h - `modpack exports`: the firmware's export table as C source. */
#ifndef MODPACK_EXPORTS_H
#define MODPACK_EXPORTS_H

#include "fwnames.h"
#include "util.h"

extern const char mp_usage_exports[];

/* The command: arguments after "exports"; returns the exit status. */
int mp_cmd_exports(int argc, char **argv);

/* The C source for fw and ABI version major.minor (deterministic). */
void mp_exports_source(mp_buf *out, const mp_fwnames *fw, unsigned major, unsigned minor);

#endif
