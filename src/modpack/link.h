/* link.h - relocatable (ET_REL) input: modpack as a small static linker.
 *
 * link.c places the allocated sections of a .o (or `ld -r` output) the way
 * samples/ld/module.ld does, starting at address 0, and applies every
 * relocation against them on the host, as `ld --emit-relocs
 * --unresolved-symbols=ignore-all -T module.ld` would (imports resolve to
 * 0). The result is the model an ET_EXEC link gives, so the normal lowering
 * runs on it unchanged. The ISA-specific part is how one relocation is
 * computed and written: mp_arch.link, one link_<isa>.c per ISA.
 *
 * Position-independent objects get a GOT as GNU ld would build it (link.c:
 * the reserved words of .got.plt and .got, then one slot per symbol
 * referenced through it, holding the symbol's link address). */
#ifndef MODPACK_LINK_H
#define MODPACK_LINK_H

#include "lower.h"

/* One relocation to apply, everything already an address. */
typedef struct mp_link_site {
    uint8_t *p;               /* the bytes at the relocation's address */
    uint64_t room;            /* bytes from p to the end of its section */
    uint64_t P;               /* the site's address */
    uint64_t S;               /* the symbol's address (0 for an import) */
    int64_t A;                /* RELA addend (REL ISAs read theirs from p) */
    uint64_t G;               /* GOT-slot relocations: the symbol's slot */
    uint64_t GOT;             /* _GLOBAL_OFFSET_TABLE_ (0 when there is no GOT) */
    int import;               /* the symbol is undefined: an import */
    int thumb;                /* ARM: the symbol is a Thumb function (S has bit 0 set) */
    int arm_func;             /* ARM: the symbol is an ARM-state function */
} mp_link_site;

/* Place and relocate m (ET_REL) in place. Returns 0, or -1 after the error. */
int mp_link(mp_elf *m, const mp_arch *arch, const mp_options *opt);

/* ---- helpers for link_<isa>.c --------------------------------------------- */

/* The site has fewer than width bytes left in its section: an error. */
int mp_link_room(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                 uint64_t width);
/* v does not fit a signed (or unsigned) field of bits bits: an error. */
int mp_link_range(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned bits,
                  const char *hint);
/* v is not a multiple of align: an error. */
int mp_link_align(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned align);
static inline int mp_fits_signed(int64_t v, unsigned bits)
{
    return v >= -((int64_t)1 << (bits - 1)) && v < ((int64_t)1 << (bits - 1));
}
/* Address of symbol sym after placement (0 for an undefined one). */
uint64_t mp_link_symval(const mp_elf *m, uint32_t sym);

/* The ISAs' relocation functions (mp_arch.link). */
int mp_link_arm(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
int mp_link_riscv(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
int mp_link_i386(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
int mp_link_x86_64(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);

#endif
