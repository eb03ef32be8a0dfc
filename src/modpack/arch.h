/* arch.h - the description of an ISA (mp_arch): its relocation allow-list
 * with reasons and hints, its lowering, linking and veneer hooks, its
 * dynamic relocation types and ABI facts. Each ISA defines one, in
 * src/modpack/isa/<isa>/lower.c; isa/list.h names them all (arch.c keeps
 * the table). The hooks' contexts are lowering.h's mp_ctx (lowering) and
 * link.h's mp_linker (ET_REL input). HACKING.md says how to add an ISA. */
#ifndef MODPACK_ARCH_H
#define MODPACK_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "mpelf.h"

typedef struct mp_ctx mp_ctx;           /* lowering.h */
typedef struct mp_linker mp_linker;     /* link.h */
struct mp_link_site;                    /* link.h */
struct mp_got_abi;                      /* link.h */
struct mp_buf;                          /* util.h */

/* `modpack stubs`: the firmware-side stub that jumps through entry i of
 * table, for compilers whose target passes cond (isa/<isa>/stub.c). */
typedef struct mp_stub_tpl {
    const char *title;          /* "ARM Thumb", for the generated comment */
    const char *cond;           /* "defined(__arm__)" */
    /* Assembler lines before the stub's .globl (alignment, literals), and
     * after its .type (".thumb_func"; may be NULL). */
    void (*before)(struct mp_buf *b, const char *fn, const char *table, uint32_t i);
    const char *after_type;
    /* The instructions after the label. */
    void (*body)(struct mp_buf *b, const char *fn, const char *table, uint32_t i);
} mp_stub_tpl;

/* Where a symbol's value lives, decided by its section index. */
enum { MP_T_SEG, MP_T_IMPORT, MP_T_ABS };
typedef struct mp_target {
    int kind;                   /* MP_T_* */
    int seg;                    /* MP_T_SEG: MODP_SEG_* */
    uint32_t imp;               /* MP_T_IMPORT: import number (before sorting) */
    uint64_t value;             /* symbol value (link address, or absolute) */
} mp_target;

/* The dynamic relocation types of an ISA, for shared-object input
 * (dynamic.c); 0 where the ISA has no such type (R_*_NONE is 0 everywhere). */
typedef struct mp_dyn_types {
    uint32_t relative, glob_dat, jump_slot;
    uint32_t abs32, abs64;      /* absolute words; only the native width is taken */
    uint32_t copy, irelative;   /* refused with their own hint */
} mp_dyn_types;

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
    int (*link)(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
    /* ET_REL input of a REL ISA: the addend in the field of a relocation
     * against the section symbol of a merged SHF_MERGE section, which
     * link.c maps as ld does; 0, or -1 for a type whose addend ld does not
     * map either. NULL: the ISA's relocations carry their addend (RELA). */
    int (*link_addend)(uint32_t type, const uint8_t *p, uint64_t room, int64_t *a);
    /* ET_REL input: the GOT link.c builds for -fPIC objects; NULL: none. */
    const struct mp_got_abi *got;
    /* Function symbols carry the instruction set in bit 0 (ARM: Thumb). */
    int func_bit0;
    /* The binutils prefix messages name, when it is not name. */
    const char *binutils;
    /* inspect: arch_flags as words ("thumb", "rv32imac"...) into w, their
     * count; NULL: none. */
    int (*flag_words)(uint32_t arch_flags, char w[8][16]);
    /* modpack stubs; NULL: none for this ISA. */
    const mp_stub_tpl *stub;
    /* build --firmware: a firmware ELF of the same machine and class whose
     * CPU or ABI does not fit the module's arch flags is refused here
     * (mp_error naming both and the flag to change, then -1); NULL: no
     * check beyond machine and class. */
    int (*fw_check)(const char *module, uint32_t module_flags, const mp_elf *fw);
} mp_arch;

const mp_arch *mp_arch_find(uint16_t machine);
/* The i-th ISA of the table (isa/list.h order), NULL past the last. */
const mp_arch *mp_arch_at(size_t i);
/* The ISA for an ELF's machine and class (rv32 or rv64), else by machine. */
const mp_arch *mp_arch_find_elf(uint16_t machine, unsigned elfclass);
/* "arm, riscv, ..." : the supported ISAs, from the table. */
const char *mp_arch_names(void);

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

/* "modpack: IN: .sec+0xOFF: R_X against 'sym': why; hint" - returns -1. */
int mp_rel_error(const mp_elf *m, const mp_arch *a, const mp_relsec *rs, const mp_reloc *r,
                 const char *why, const char *hint);

#endif
