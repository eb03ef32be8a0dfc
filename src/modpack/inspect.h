/* inspect.h - report on and verify images. Both read images through
 * modload, the same code the target runs ("one reader"). */
#ifndef MODPACK_INSPECT_H
#define MODPACK_INSPECT_H

/* Exit codes: 0 ok, 1 error. */
int mp_inspect(const char *path, int list_fixups, int json);
int mp_verify(const char *path);

#endif
