/* lower.h - arch-neutral lowering of relocations to image fixups.
 *
 * lower.c walks the relocation sections and hands each one to the ISA's
 * mp_arch.lower; the ISA decides per relocation type, using the helpers
 * below to resolve symbols, record fixups and imports, and report errors.
 * Adding an ISA = one arch_<isa>.c defining an mp_arch, plus a line in the
 * table in lower.c. */
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

typedef struct mp_arch {
    uint16_t machine;
    unsigned elfclass;          /* ELFCLASS32 or ELFCLASS64 */
    const char *name;           /* "arm" */
    /* Lower every relocation of one SHT_REL/RELA section. */
    int (*lower)(mp_ctx *c, const mp_relsec *rs);
    /* After all sections: veneers and anything else that grows the code. */
    int (*finish)(mp_ctx *c);
    /* Free arch_state; called once, also after an error. */
    void (*cleanup)(mp_ctx *c);
    uint32_t (*arch_flags)(mp_ctx *c);
    const char *(*reloc_name)(uint32_t type);
    /* ET_DYN input: the ISA's dynamic relocation types (dynamic.c);
     * NULL when the ISA takes no shared objects. */
    const mp_dyn_types *dyn;
    /* ET_REL input: compute and write one relocation on the host
     * (link_<isa>.c); NULL when the ISA takes no relocatable input. */
    int (*link)(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
    /* ET_REL input: the GOT link.c builds for -fPIC objects; NULL: none. */
    const struct mp_got_abi *got;
    /* Function symbols carry the instruction set in bit 0 (ARM: Thumb). */
    int func_bit0;
    /* The binutils prefix messages name, when it is not name. */
    const char *binutils;
} mp_arch;

struct mp_ctx {
    mp_elf *m;
    mp_module *mod;
    const mp_arch *arch;
    const mp_options *opt;
    void *arch_state;           /* owned by the arch (finish frees it) */
};

const mp_arch *mp_arch_find(uint16_t machine);
/* The ISA for an ELF's machine and class (rv32 or rv64), else by machine. */
const mp_arch *mp_arch_find_elf(uint16_t machine, unsigned elfclass);

/* Lower m into mod. Returns 0, or -1 after printing the error. */
int mp_lower(mp_elf *m, const mp_options *opt, mp_module *mod);
void mp_module_free(mp_module *mod);

/* ---- helpers for the arch files ---------------------------------------- */

/* Reasons and hints every ISA's allow-list gives for the same refusals. */
#define MP_TLS_WHY  "thread-local storage is not supported by modload"
#define MP_TLS_HINT "remove __thread/_Thread_local variables"
#define MP_DYN_WHY  "dynamic relocation in a static module"
#define MP_DYN_HINT "link without -shared/-pie and without shared libraries"

/* One row of an ISA's relocation allow-list: every type is listed with the
 * class (arch-specific) that decides how it is lowered. */
typedef struct mp_rinfo {
    uint16_t type;
    uint8_t cls, width;
    const char *name;
    const char *why, *hint;   /* refused types: the reason and the flag that avoids it */
} mp_rinfo;

/* The row of type in table t (n rows), or NULL. */
const mp_rinfo *mp_rinfo_find(const mp_rinfo *t, size_t n, uint32_t type);
/* Its name, or "<prefix><type>" for a type the table does not list. */
const char *mp_rinfo_name(const mp_rinfo *t, size_t n, const char *prefix, uint32_t type);

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

#endif
