/* link.h - relocatable (ET_REL) input: modpack as a small static linker.
 *
 * link.c places the allocated sections of a .o (or `ld -r` output) the way
 * samples/ld/module.ld does, starting at address 0, and applies every
 * relocation against them on the host, as `ld --emit-relocs
 * --unresolved-symbols=ignore-all -T module.ld` would (imports resolve to
 * 0). The result is the model an ET_EXEC link gives, so the normal lowering
 * runs on it unchanged (pipeline.h: this is the normalise stage of ET_REL). The ISA-specific part is how one relocation is
 * computed and written: mp_arch.link, in isa/<isa>/link.c.
 *
 * Position-independent objects get a GOT as GNU ld would build it (link.c:
 * the reserved words of .got.plt and .got, then one slot per symbol
 * referenced through it, holding the symbol's link address). */
#ifndef MODPACK_LINK_H
#define MODPACK_LINK_H

#include "arch.h"

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

/* An ISA's GOT as GNU ld builds it for a static link of position-
 * independent code (mp_arch.got; link.c builds it). */
typedef struct mp_got_abi {
    uint8_t plt_words, got_words;   /* reserved words of .got.plt and of .got */
    uint8_t org_in_got;             /* _GLOBAL_OFFSET_TABLE_ at .got (1) or .got.plt (0) */
    uint8_t plt0_ones;              /* the first .got.plt word is all ones (RISC-V) */
    uint32_t slot_types[7];         /* relocations that name a slot (0 ends) */
    uint32_t org_types[4];          /* relocations that use only the GOT origin */
    /* The lowering of x86 and ARM lowers a slot through the GOT relocation
     * that names it, as for ld's static -fPIC output, which has no
     * relocation for the slots. RISC-V's lowering has no GOT class: there a
     * slot reference becomes what it resolves to, PC-relative to the slot
     * (as_pcrel against _GLOBAL_OFFSET_TABLE_ + the slot's offset), and
     * every slot gets an absolute word relocation (as_abs32/as_abs64) in a
     * synthetic .rela.got, so each slot is lowered exactly once either way. */
    uint32_t as_pcrel, as_abs32, as_abs64;
} mp_got_abi;

/* The context of linking: the object and its ISA (what a message names),
 * and the relocations by address (mp_link_reloc_at, built at its first use). */
struct mp_linker {
    mp_elf *m;
    const mp_arch *arch;
    struct mp_reloc_index *at;
};

/* Place and relocate m (ET_REL) in place. Returns 0, or -1 after the error. */
int mp_link(mp_elf *m, const mp_arch *arch);

/* ---- helpers for isa/<isa>/link.c ----------------------------------------- */

/* "modpack: IN: .sec+0xOFF: R_X against 'sym': why; hint" - returns -1. */
int mp_link_error(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const char *why,
                  const char *hint);
/* The site has fewer than width bytes left in its section: an error. */
int mp_link_room(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                 uint64_t width);
/* v does not fit a signed (or unsigned) field of bits bits: an error. */
int mp_link_range(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned bits,
                  const char *hint);
/* v is not a multiple of align: an error. */
int mp_link_align(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned align);
static inline int mp_fits_signed(int64_t v, unsigned bits)
{
    return v >= -((int64_t)1 << (bits - 1)) && v < ((int64_t)1 << (bits - 1));
}
/* The relocations at address addr (after placement) of section target, in
 * the order of the file (relocation sections, then entries): *pos 0 starts,
 * each call returns the next one, or NULL after the last. Built once. */
const mp_reloc *mp_link_reloc_at(const mp_linker *c, uint32_t target, uint64_t addr, size_t *pos);
/* Address of symbol sym after placement (0 for an undefined one). */
uint64_t mp_link_symval(const mp_elf *m, uint32_t sym);

#endif
