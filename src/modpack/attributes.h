/* attributes.h - build attributes (.ARM.attributes, .riscv.attributes).
 *
 * Both ISAs use one layout: 'A', then vendor subsections (u32 length,
 * vendor name) holding File/Section/Symbol sub-subsections (ULEB tag,
 * u32 length) of ULEB-tagged attributes. The compiler writes what the code
 * needs from the CPU there (ISA level, FPU, float ABI); the linker merges
 * them for an executable. Only the File attributes with tags below 64 are
 * kept: the ones modpack records in arch_flags. */
#ifndef MODPACK_ATTRIBUTES_H
#define MODPACK_ATTRIBUTES_H

#include <stdint.h>

#include "mpelf.h"

#define SHT_MP_ATTRIBUTES 0x70000003u  /* SHT_ARM_ATTRIBUTES == SHT_RISCV_ATTRIBUTES */

/* How a tag's value is encoded: the ISAs' rules differ. */
enum { MP_ATTR_NUM, MP_ATTR_STR, MP_ATTR_NUM_STR };

typedef struct mp_attrs {
    uint64_t seen;              /* bit t: tag t was present */
    uint64_t num[64];
    const char *str[64];        /* NUL-terminated, inside the section */
} mp_attrs;

/* Read the File attributes of vendor's subsection of the input's
 * attributes section into a (zeroed first; no section: nothing seen).
 * A malformed section gives a warning naming the section and offset, and
 * nothing seen: the image then records no requirement from it. */
void mp_attrs_read(const mp_elf *m, const char *vendor, int (*kind)(uint32_t tag), mp_attrs *a);

#endif
