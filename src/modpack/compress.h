/* compress.h - compressed segments (formats/image-format.md section 14). */
#ifndef MODPACK_COMPRESS_H
#define MODPACK_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "modload.h"
#include "util.h"

/* n bytes at p as one raw deflate stream (zlib, level 9, 32 KiB window)
 * appended to out. Returns 0, or -1 after printing the error. */
int mp_deflate(const uint8_t *p, size_t n, mp_buf *out);

/* Inflate each stored segment of a MODP_F_COMPRESSED image with modload's
 * own inflater, as the target will: MODLOAD_OK (also for an image that is
 * not compressed), or the error modload_load would give. */
int mp_inflate_check(const modload_image *img);

#endif
