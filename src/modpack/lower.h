/* lower.h - arch-neutral lowering of relocations to image fixups.
 *
 * lower.c walks the relocation sections, looks every relocation up in the
 * ISA's allow-list (mp_arch.rtable), refuses the unknown and rejected
 * ones, skips those without effect, finds the site and the symbol, and
 * hands the rest to the ISA's mp_arch.lower_rel, which records fixups with
 * the helpers below. Veneers and moving the data up for them are shared
 * (veneer.c), with per-ISA templates and patch hooks. An ISA is one
 * directory src/modpack/isa/<isa>/ and one line in isa/list.h (HACKING.md). */
#ifndef MODPACK_LOWER_H
#define MODPACK_LOWER_H

#include "mpelf.h"
#include "layout.h"

typedef struct mp_options {
    const char *name, *description, *version;
    const char *entry, *exit;   /* symbol names, or NULL for the defaults */
    int strip;
    int verbose;
    /* --firmware: the MODP_META_ABI record to write, or NULL */
    const struct modload_abi *abi;
} mp_options;

typedef struct mp_fixup {
    uint8_t kind, seg;          /* MODP_FIX_*, segment of the site */
    uint32_t off, off2;         /* site (and second site of pairs) */
    uint32_t target;            /* MODP_TGT_CODE, MODP_TGT_DATA, MODP_TGT_IMPORT + import */
    uint32_t arg;               /* RV_HI20: low 12 bits of the addend */
} mp_fixup;

typedef struct mp_import {
    char *name;
    uint32_t hash;
} mp_import;

typedef struct mp_export {
    const char *name;
    uint32_t hash, value;
    uint8_t seg, type;
} mp_export;

/* The lowered module: everything encode.c needs. */
typedef struct mp_module {
    uint16_t arch;
    uint32_t arch_flags;
    uint16_t flags;             /* MODP_F_* */
    mp_layout L;
    uint32_t entry, exit;
    mp_fixup *fx;
    size_t nfx, capfx;
    mp_import *imp;
    size_t nimp, imp_cap;
    uint32_t *imp_slots;        /* lower.c's name index of imp */
    size_t imp_slots_cap;
    mp_export *exp;
    size_t nexp;
    char split_reason[512];     /* why SPLIT was cleared, first reason */
    const uint8_t *build_id;
    size_t build_id_len;
} mp_module;

/* Where a symbol's value lives, decided by its section index. */
enum { MP_T_SEG, MP_T_IMPORT, MP_T_ABS };
typedef struct mp_target {
    int kind;                   /* MP_T_* */
    int seg;                    /* MP_T_SEG: MODP_SEG_* */
    uint32_t imp;               /* MP_T_IMPORT: import number (before sorting) */
    uint64_t value;             /* symbol value (link address, or absolute) */
} mp_target;

typedef struct mp_ctx mp_ctx;

/* The dynamic relocation types of an ISA, for shared-object input
 * (dynamic.c); 0 where the ISA has no such type (R_*_NONE is 0 everywhere). */
typedef struct mp_dyn_types {
    uint32_t relative, glob_dat, jump_slot;
    uint32_t abs32, abs64;      /* absolute words; only the native width is taken */
    uint32_t copy, irelative;   /* refused with their own hint */
} mp_dyn_types;
struct mp_link_site;            /* link.h */
struct mp_got_abi;              /* link.h */

/* One row of an ISA's relocation allow-list: every type is listed with the
 * class (the ISA's own numbering) that decides how it is lowered. Class 0
 * is "no effect on the image"; a row with a reason (why) is refused. */
typedef struct mp_rinfo {
    uint16_t type;
    uint8_t cls, width;
    const char *name;
    const char *why, *hint;   /* refused types: the reason and the flag that avoids it */
} mp_rinfo;

/* One relocation as the driver (lower.c) hands it to an ISA's lower_rel:
 * its row, and unless the class is in mp_arch.own_cls, its site (width
 * bytes checked) and its resolved symbol. */
typedef struct mp_rel {
    const mp_relsec *rs;
    size_t i;                   /* index in rs */
    const mp_reloc *r;
    const mp_rinfo *ri;
    uint8_t *p;                 /* the site's bytes */
    int seg;                    /* the site's segment */
    mp_target t;                /* the symbol */
} mp_rel;

/* A veneer template: size bytes with a literal of width bytes at lit that
 * gets the target's address; placed at a 1 << align boundary. */
typedef struct mp_veneer_tpl {
    const uint8_t *code;
    uint8_t size, lit, width, align;
    uint8_t code_align;         /* raise the code segment's alignment to align (rv64's .dword) */
} mp_veneer_tpl;

/* A branch to an import (or absolute symbol), re-pointed to its veneer. */
typedef struct mp_branch {
    int seg;
    uint64_t addr;              /* the site */
    uint32_t kind;              /* the ISA's: relocation type or class */
    size_t ven;                 /* its veneer */
    const mp_relsec *rs;        /* for messages */
    mp_reloc r;
} mp_branch;

/* How a word between the segments changes when the data moves up. */
enum {
    MP_X_WORD32,                /* 32-bit, wraps */
    MP_X_REL32,                 /* 32-bit signed, overflow is an error */
    MP_X_WORD64,
    MP_X_PREL31,                /* ARM PREL31: 31-bit signed, bit 31 kept */
    MP_X_ISA,                   /* an instruction field: mp_arch.move_site */
};
typedef struct mp_xword {
    int seg;
    uint64_t addr;
    int sign;                   /* +1: grows when the data moves up; -1: shrinks */
    int form;                   /* MP_X_* */
    uint32_t kind;              /* MP_X_ISA: the ISA's */
    uint64_t aux, aux2;         /* MP_X_ISA: the ISA's */
    const mp_relsec *rs;        /* for messages */
    mp_reloc r;
} mp_xword;

/* Per-ISA notes kept while lowering (GOT slots already lowered, RISC-V
 * AUIPCs), freed by the driver. */
typedef struct mp_note {
    uint64_t addr, value;
    int seg, flag;
    uint32_t sym;
} mp_note;

typedef struct mp_arch {
    uint16_t machine;
    unsigned elfclass;          /* ELFCLASS32 or ELFCLASS64 */
    const char *name;           /* "arm" */
    /* The relocation allow-list, and the prefix of a type it lacks. */
    const mp_rinfo *rtable;
    size_t nrtable;
    const char *rprefix;        /* "R_ARM_" */
    /* Classes whose lower_rel finds the site and symbol itself (bit cls). */
    uint32_t own_cls;
    /* Per relocation section: before the relocations (REL/RELA check,
     * pairing) and after them; either may be NULL. */
    int (*begin)(mp_ctx *c, const mp_relsec *rs);
    int (*end)(mp_ctx *c, const mp_relsec *rs);
    /* Relocations with no bytes in the output (ARM: merged .ARM.exidx
     * entries); NULL: none. */
    int (*skip)(const mp_ctx *c, const mp_relsec *rs, const mp_reloc *r);
    /* Lower one relocation that is neither NONE (class 0) nor refused. */
    int (*lower_rel)(mp_ctx *c, mp_rel *x);
    /* Veneers for branches to imports: the templates (indexed by the
     * variant mp_add_branch was given), the branch patch, and what to say
     * when the data cannot move to make room; NULL: no veneers. */
    const mp_veneer_tpl *veneers;
    int (*patch_branch)(mp_ctx *c, const mp_branch *b, uint64_t dest);
    const char *pinned_where, *pinned_hint;
    /* MP_X_ISA words after the data moved up by moved. */
    int (*move_site)(mp_ctx *c, const mp_xword *x, uint32_t moved);
    /* After the veneers; NULL: nothing. */
    int (*finish)(mp_ctx *c);
    uint32_t (*arch_flags)(mp_ctx *c);
    /* ET_DYN input: the ISA's dynamic relocation types (dynamic.c);
     * NULL when the ISA takes no shared objects. */
    const mp_dyn_types *dyn;
    /* ET_REL input: compute and write one relocation on the host
     * (isa/<isa>/link.c); NULL when the ISA takes no relocatable input. */
    int (*link)(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
    /* ET_REL input: the GOT link.c builds for -fPIC objects; NULL: none. */
    const struct mp_got_abi *got;
    /* Function symbols carry the instruction set in bit 0 (ARM: Thumb). */
    int func_bit0;
    /* The binutils prefix messages name, when it is not name. */
    const char *binutils;
} mp_arch;

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
    char pinned[400];           /* why the data cannot move: a cross reference in an instruction */
} mp_lowering;

struct mp_ctx {
    mp_elf *m;
    mp_module *mod;
    const mp_arch *arch;
    const mp_options *opt;
    mp_lowering lw;
};

const mp_arch *mp_arch_find(uint16_t machine);
/* The ISA for an ELF's machine and class (rv32 or rv64), else by machine. */
const mp_arch *mp_arch_find_elf(uint16_t machine, unsigned elfclass);
/* "arm, riscv, ..." : the supported ISAs, from the table. */
const char *mp_arch_names(void);

/* Lower m into mod. Returns 0, or -1 after printing the error. */
int mp_lower(mp_elf *m, const mp_options *opt, mp_module *mod);
void mp_module_free(mp_module *mod);

/* ---- helpers for isa/<isa>/lower.c -------------------------------------- */

/* Reasons and hints every ISA's allow-list gives for the same refusals. */
#define MP_TLS_WHY  "thread-local storage is not supported by modload"
#define MP_TLS_HINT "remove __thread/_Thread_local variables"
#define MP_DYN_WHY  "dynamic relocation in a static module"
#define MP_DYN_HINT "link without -shared/-pie and without shared libraries"
/* ... and for PC-relative references: between the segments (which only
 * clears SPLIT), to an import, to an absolute symbol. */
#define MP_CROSS_WHY(seg) ((seg) == MODP_SEG_CODE ? "code refers to data PC-relatively" \
                                                  : "data refers to code PC-relatively")
#define MP_PCREL_IMPORT_WHY "a PC-relative reference cannot reach an import (its address is known only at load time)"
#define MP_PCREL_ABS_WHY    "a PC-relative reference to an absolute address breaks when the module moves"

/* The row of type in the ISA's table, or NULL. */
const mp_rinfo *mp_rinfo_find(const mp_arch *a, uint32_t type);
/* Its name, or "<prefix><type>" in buf for a type the table does not list. */
#define MP_RNAME_MAX 40
const char *mp_reloc_name(const mp_arch *a, uint32_t type, char buf[MP_RNAME_MAX]);
/* The same in a buffer that lives until the end of the enclosing block. */
#define MP_RNAME(c, type) mp_reloc_name((c)->arch, (type), (char[MP_RNAME_MAX]){0})

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
/* Symbol lookup by name; NULL when absent. */
const mp_symbol *mp_find_symbol(const mp_elf *m, const char *name);

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
mp_note *mp_find_note(mp_ctx *c, uint64_t addr);
/* Append the veneers, re-point the branches, move the data up when the
 * veneers reach it (mp_lower calls it). */
int mp_veneers_finish(mp_ctx *c);
/* Does the module have a veneer of this variant? */
int mp_has_veneer(const mp_ctx *c, unsigned variant);
void mp_lowering_free(mp_lowering *lw);

#endif
