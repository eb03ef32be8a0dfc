/* encode.h - write a lowered module as an image (formats/image-format.md). */
#ifndef MODPACK_ENCODE_H
#define MODPACK_ENCODE_H

#include "module.h"
#include "options.h"
#include "util.h"

/* The fixup stream of section 5: one block per target (code, data, then
 * each import in order), one group per (kind, segment), sites sorted. */
void mp_encode_fixups(mp_buf *out, const mp_fixup *fx, size_t nfx, const mp_import *imp,
                      size_t nimp, int stripped);

/* The whole image. name is the module name for the metadata. Returns 0, or
 * -1 after printing the error. */
int mp_encode_image(const mp_module *mod, const mp_options *opt, const char *name, mp_buf *out);

#endif
