/* inspect.h - report on and verify images. Both read images through
 * modload, the same code the target runs ("one reader"). */
#ifndef MODPACK_INSPECT_H
#define MODPACK_INSPECT_H

#include <stddef.h>

/* The version of inspect --json (formats/inspect.schema.json): the minor
 * grows when keys are added, the major when one changes or goes. */
#define MP_INSPECT_JSON_VERSION "1.2"

/* Exit codes: 0 ok, 1 the image fails verification or cannot be read (PATH
 * "-": standard input). inspect still prints what it can read, and why. */
int mp_inspect(const char *path, int list_fixups, int json);
/* keys (nkeys, sign.h): a signature that verifies with one is required. */
struct evp_pkey_st;
int mp_verify(const char *path, struct evp_pkey_st **keys, size_t nkeys);

#endif
