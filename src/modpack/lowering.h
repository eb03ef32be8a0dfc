/* lowering.h - the helpers both lowering drivers (lower.c for relocation
 * sections, dynamic.c for a shared object's dynamic relocations) and every
 * isa/<isa>/lower.c use to record fixups, imports and veneers in the
 * module being lowered (lowering.c, veneer.c). */
#ifndef MODPACK_LOWERING_H
#define MODPACK_LOWERING_H

#include "arch.h"
#include "module.h"

typedef struct mp_ctx mp_ctx;

/* Per-ISA notes kept while lowering (GOT slots already lowered, RISC-V
 * AUIPCs), freed by the driver. */
typedef struct mp_note {
    uint64_t addr, value;
    int seg, flag;
    uint32_t sym;
} mp_note;

/* What lowering collects for the shared veneer and data-move machinery
 * (veneer.c); the driver frees it. */
typedef struct mp_lowering {
    struct mp_veneer *v;
    size_t nv;
    mp_branch *b;
    size_t nb;
    mp_xword *x;
    size_t nx;
    mp_note *n;
    size_t nn;
    /* lookups computed once (veneer.c): the veneers by target (open
     * addressing, vbuck slots of veneer index + 1, 0 empty), the notes by
     * address (chains in order of addition, SIZE_MAX ends one) */
    size_t *vslot, vbuck;
    size_t *nhead, *ntail, *nnext, nbuck;
    /* the symbol _GLOBAL_OFFSET_TABLE_, looked up once (mp_got_symbol) */
    const mp_symbol *got_sym;
    int got_looked;
    char pinned[400];           /* why the data cannot move: a cross reference in an instruction */
} mp_lowering;

/* The lowering stage's context: the input, its ISA, the module being
 * lowered (it owns the layout) and the shared machinery's notes. */
struct mp_ctx {
    mp_elf *m;
    mp_module *mod;
    const mp_arch *arch;
    mp_lowering lw;
};

/* Start lowering m for arch into mod, which takes over the layout L (L is
 * left empty) and starts splittable; mp_lowering_end computes the arch
 * flags (when ok) and frees what lowering collected. */
void mp_lowering_begin(mp_ctx *c, mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod);
int mp_lowering_end(mp_ctx *c, int rc);

/* Resolve symbol sym. Returns 0, or -1 after an error naming the site. */
int mp_resolve(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, mp_target *t);
/* Segment of the site and a pointer to its width bytes (error if outside). */
uint8_t *mp_site(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, uint32_t width, int *seg);
void mp_add_fixup(mp_ctx *c, unsigned kind, int seg, uint64_t addr, uint64_t addr2, const mp_target *t);
/* The module can no longer be split: record the first reason. */
void mp_no_split(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *why);
/* "modpack: IN: .sec+0xOFF: R_X against 'sym': why; hint" - returns -1. */
int mp_reloc_error(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *why,
                   const char *hint);
/* Lower the 32-bit word at seg/addr that holds the absolute value of t
 * (plus an addend): rewrite it to be segment-relative and record a WORD32. */
void mp_lower_word(mp_ctx *c, int seg, uint64_t addr, const mp_target *t);

/* ---- shared veneer and data-move machinery (veneer.c) ---------------------- */

/* Send the branch at r->offset in seg to t through a veneer of the given
 * variant (a template index), one veneer per variant and target; kind is
 * the ISA's, for patch_branch. */
void mp_add_branch(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int seg, unsigned variant,
                   uint32_t kind, const mp_target *t);
/* A word at seg/addr between the segments that changes when the data moves:
 * sign +1 when its target is in data. Returns it for MP_X_ISA details. */
mp_xword *mp_add_xword(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int seg, uint64_t addr,
                       int sign, int form);
/* A cross reference the data move cannot adjust: the data is pinned. */
void mp_pin(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r);
/* Remember something for later in this lowering; the notes are searched by
 * address and live until the driver frees them. */
mp_note *mp_add_note(mp_ctx *c, uint64_t addr);
/* The first note at addr (in order of addition), or NULL; mp_next_note: the
 * next one at the same address after n, or NULL. */
mp_note *mp_find_note(mp_ctx *c, uint64_t addr);
mp_note *mp_next_note(mp_ctx *c, const mp_note *n);
/* mp_find_symbol(c->m, "_GLOBAL_OFFSET_TABLE_"), looked up once per lowering
 * (the symbols do not change while lowering). */
const mp_symbol *mp_got_symbol(mp_ctx *c);
/* Append the veneers, re-point the branches, move the data up when the
 * veneers reach it (lower.c calls it). */
int mp_veneers_finish(mp_ctx *c);
/* Does the module have a veneer of this variant? */
int mp_has_veneer(const mp_ctx *c, unsigned variant);
void mp_lowering_free(mp_lowering *lw);

#endif
