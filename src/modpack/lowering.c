/* lowering.c - what both lowering drivers (lower.c, dynamic.c) and the
 * ISAs' lower_rel hooks share: the stage's context, symbol resolution,
 * sites, fixups, imports and the SPLIT capability. */
#include "lowering.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

void mp_lowering_begin(mp_ctx *c, mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod)
{
    memset(mod, 0, sizeof *mod);
    mod->L = *L;
    memset(L, 0, sizeof *L);
    mod->linked_code_size = mod->L.seg[MODP_SEG_CODE].size;
    mod->arch = m->machine;
    mod->flags = MODP_F_SPLIT;
    *c = (mp_ctx){m, mod, arch, {0}};
}

int mp_lowering_end(mp_ctx *c, int rc)
{
    if (rc == 0)
        c->mod->arch_flags = c->arch->arch_flags(c);
    mp_lowering_free(&c->lw);
    return rc == 0 ? 0 : -1;
}

int mp_reloc_error(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *why,
                   const char *hint)
{
    return mp_rel_error(c->m, c->arch, rs, r, why, hint);
}

void mp_no_split(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *why)
{
    if (!(c->mod->flags & MODP_F_SPLIT))
        return;
    c->mod->flags &= (uint16_t)~MODP_F_SPLIT;
    const mp_section *s = &c->m->sec[rs->target];
    snprintf(c->mod->split_reason, sizeof c->mod->split_reason, "%s+0x%llx: %s against '%s': %s",
             s->name, (unsigned long long)(r->offset - s->addr), MP_RNAME(c, r->type),
             mp_sym_name(c->m, r->sym), why);
}

/* Imports are found by name through an open-addressing table of import
 * numbers + 1 (0 = empty), kept at most half full, so that a module with
 * thousands of imports costs linear time. */
static void index_import(mp_module *mod, uint32_t i)
{
    size_t mask = mod->imp_slots_cap - 1;
    for (size_t k = mod->imp[i].hash & mask;; k = (k + 1) & mask)
        if (!mod->imp_slots[k]) {
            mod->imp_slots[k] = i + 1;
            return;
        }
}

/* The import of name; it stays weak (optional) only while every reference
 * to it is weak, as ld makes one strong reference win. */
static uint32_t import_ref(mp_module *mod, const char *name, int weak)
{
    uint32_t hash = mp_hash(name);
    if (mod->imp_slots_cap) {
        size_t mask = mod->imp_slots_cap - 1;
        for (size_t k = hash & mask; mod->imp_slots[k]; k = (k + 1) & mask) {
            mp_import *im = &mod->imp[mod->imp_slots[k] - 1];
            if (im->hash == hash && strcmp(im->name, name) == 0) {
                im->weak &= weak;
                return mod->imp_slots[k] - 1;
            }
        }
    }
    if (mod->nimp == mod->imp_cap) {
        mod->imp_cap = mod->imp_cap ? 2 * mod->imp_cap : 16;
        mod->imp = mp_realloc(mod->imp, mod->imp_cap * sizeof *mod->imp);
    }
    uint32_t i = (uint32_t)mod->nimp++;
    mod->imp[i].name = mp_strdup(name);
    mod->imp[i].hash = hash;
    mod->imp[i].weak = weak;
    if (2 * mod->nimp > mod->imp_slots_cap) {   /* grow and re-index */
        free(mod->imp_slots);
        mod->imp_slots_cap = mod->imp_slots_cap ? 2 * mod->imp_slots_cap : 32;
        mod->imp_slots = mp_calloc(mod->imp_slots_cap, sizeof *mod->imp_slots);
        for (uint32_t j = 0; j < mod->nimp; j++)
            index_import(mod, j);
    } else {
        index_import(mod, i);
    }
    return i;
}

int mp_resolve(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, mp_target *t)
{
    memset(t, 0, sizeof *t);
    if (r->sym == 0) {          /* no symbol: the value is the (absolute) addend */
        t->kind = MP_T_ABS;
        return 0;
    }
    const mp_symbol *y = &c->m->sym[r->sym];
    t->value = y->value;
    if (y->shndx == SHN_UNDEF) {
        if (!y->name[0])
            return mp_reloc_error(c, rs, r, "undefined symbol without a name", NULL);
        if (strlen(y->name) > 255)
            return mp_reloc_error(c, rs, r, "import names are limited to 255 bytes", NULL);
        t->kind = MP_T_IMPORT;
        t->imp = import_ref(c->mod, y->name, y->bind == STB_WEAK);
        return 0;
    }
    if (y->shndx == SHN_ABS) {
        t->kind = MP_T_ABS;
        return 0;
    }
    if (y->shndx == SHN_COMMON)
        return mp_reloc_error(c, rs, r, "common symbol left unallocated", "compile with -fno-common");
    if (y->shndx >= c->m->nsec || c->m->sec[y->shndx].seg == MP_SEG_NONE)
        return mp_reloc_error(c, rs, r, "the symbol is in a section that is not part of the "
                              "loaded module", NULL);
    t->kind = MP_T_SEG;
    t->seg = c->m->sec[y->shndx].seg;
    return 0;
}

uint8_t *mp_site(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, uint32_t width, int *seg)
{
    const mp_section *s = &c->m->sec[rs->target];
    *seg = s->seg;
    if (s->bss) {
        mp_reloc_error(c, rs, r, "relocation in a NOBITS (bss) section", NULL);
        return NULL;
    }
    if (r->offset < s->addr || r->offset - s->addr > s->size || s->size - (r->offset - s->addr) < width) {
        mp_error("%s: malformed ELF: %s relocation at 0x%llx lies outside %s",
                 c->m->path, MP_RNAME(c, r->type), (unsigned long long)r->offset, s->name);
        return NULL;
    }
    return mp_seg_at(&c->mod->L, s->seg, r->offset, width);
}

void mp_add_fixup(mp_ctx *c, unsigned kind, int seg, uint64_t addr, uint64_t addr2, const mp_target *t)
{
    mp_module *mod = c->mod;
    if (mod->nfx == mod->capfx) {
        mod->capfx = mod->capfx ? mod->capfx * 2 : 64;
        mod->fx = mp_realloc(mod->fx, mod->capfx * sizeof *mod->fx);
    }
    uint64_t base = mod->L.seg[seg].base;
    mp_fixup *f = &mod->fx[mod->nfx++];
    f->kind = (uint8_t)kind;
    f->seg = (uint8_t)seg;
    f->off = (uint32_t)(addr - base);
    f->off2 = (uint32_t)(addr2 - base);
    f->arg = 0;
    f->target = t->kind == MP_T_SEG ? (uint32_t)t->seg : MODP_TGT_IMPORT + t->imp;
}

void mp_lower_word(mp_ctx *c, int seg, uint64_t addr, const mp_target *t)
{
    if (t->kind == MP_T_ABS)
        return;
    uint8_t *p = mp_seg_at(&c->mod->L, seg, addr, 4);
    if (t->kind == MP_T_SEG)   /* make it an offset; the loader adds the run base */
        wr32(p, rd32(p) - (uint32_t)c->mod->L.seg[t->seg].base);
    mp_add_fixup(c, MODP_FIX_WORD32, seg, addr, addr, t);
}
