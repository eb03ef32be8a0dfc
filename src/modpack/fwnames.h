/* fwnames.h - the names a firmware exports to modules, and its ABI.
 *
 * `modpack exports` turns them into the firmware's symbol table and
 * `modpack build --firmware` checks a module's imports against them; both
 * read them, and the ABI name and version options, here. */
#ifndef MODPACK_FWNAMES_H
#define MODPACK_FWNAMES_H

#include <stddef.h>
#include <stdint.h>

/* The section MODLOAD_EXPORT (include/modload_export.h) puts names in. */
#define MP_EXPORTS_SECTION ".modload_exports"

typedef struct mp_fwname {
    char *name;
    uint32_t hash;
    const char *from;          /* the input that named it first */
} mp_fwname;

typedef struct mp_fwnames {
    mp_fwname *v;              /* sorted by hash; hashes are unique */
    size_t n;
    const char **elfs;         /* the inputs that are ELF files: their ISA */
    size_t nelf;               /* is checked against the module's */
} mp_fwnames;

/* Read the names from each input. An ELF file (objects or the linked
 * firmware) gives the names in its .modload_exports sections, or with
 * all_globals its defined global functions and objects; any other file is
 * a list, one name a line, blank lines and '#' comments ignored. Duplicates
 * merge; two names with one hash are an error naming both. Returns 0, or -1
 * after printing the error; free fw in both cases. */
int mp_fwnames_read(mp_fwnames *fw, char *const *paths, size_t npaths, int all_globals);
const mp_fwname *mp_fwnames_find(const mp_fwnames *fw, const char *name);
void mp_fwnames_free(mp_fwnames *fw);

/* "MAJOR.MINOR", each 0..65535. Returns 0, or -1 after printing the error. */
int mp_abi_version(const char *s, unsigned *major, unsigned *minor);

/* --abi-name: letters, digits, '.', '_', '-'; *id its FNV-1a (spec 10.1).
 * Returns 0, or -1 after printing the error. */
int mp_abi_name(const char *s, uint32_t *id);

#endif
