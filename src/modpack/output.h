/* output.h - write a file so that readers see the old or the new content,
 * never a partial one. */
#ifndef MODPACK_OUTPUT_H
#define MODPACK_OUTPUT_H

#include <stddef.h>

/* Temp file in the same directory, fsync, rename over path. On any error
 * the temp file is removed, an existing path is untouched, and the error is
 * printed. Non-regular outputs (/dev/stdout, /dev/null, a FIFO) are written
 * directly, and "-" is standard output. Returns 0 or -1. */
int mp_write_atomic(const char *path, const void *data, size_t len);

/* The same for a private key: the new file has mode 0600 (an existing
 * one's mode is not kept). */
int mp_write_secret(const char *path, const void *data, size_t len);

/* Refuse an output that is one of the command's input files (the same file
 * through any name or link): writing it would replace the input. Standard
 * streams and outputs that do not exist yet pass. Returns 0, or -1 after
 * "modpack: OUT: is the input IN; ..." */
int mp_output_not_input(const char *out, const char *in);

#endif
