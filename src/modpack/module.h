/* module.h - the lowered module: what the lowering stages produce, the
 * finish stage completes and encode.c writes as an image. */
#ifndef MODPACK_MODULE_H
#define MODPACK_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

typedef struct mp_fixup {
    uint8_t kind, seg;          /* MODP_FIX_*, segment of the site */
    uint32_t off, off2;         /* site (and second site of pairs) */
    uint32_t target;            /* MODP_TGT_CODE, MODP_TGT_DATA, MODP_TGT_IMPORT + import */
    uint32_t arg;               /* RV_HI20: low 12 bits of the addend; RV_PCREL: 1 when the
                                 * second site (the AUIPC) is only read */
} mp_fixup;

typedef struct mp_import {
    char *name;
    uint32_t hash;
    int weak;                   /* every reference is weak: optional (MODP_TGT_WEAK) */
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
    uint32_t linked_code_size;  /* code bytes before the veneers: entry and exit lie there */
    uint32_t entry, exit;
    mp_fixup *fx;
    size_t nfx, capfx;
    mp_import *imp;
    size_t nimp, imp_cap;
    uint32_t *imp_slots;        /* lowering.c's name index of imp */
    size_t imp_slots_cap;
    mp_export *exp;
    size_t nexp;
    char split_reason[512];     /* why SPLIT was cleared, first reason */
    const uint8_t *build_id;
    size_t build_id_len;
} mp_module;

void mp_module_free(mp_module *mod);

#endif
