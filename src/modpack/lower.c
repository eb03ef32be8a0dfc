/* lower.c - turn a linked ELF into the fixups, imports and exports of an
 * image. ISA-specific decisions live in isa/<isa>/; this file holds what
 * every ISA shares: symbol resolution, bookkeeping and capabilities. */
#include "lower.h"
#include "dynamic.h"
#include "link.h"
#include "util.h"

#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

#define MP_ISA(a) extern const mp_arch a; // NOLINT(bugprone-macro-parentheses): a declarator
#include "isa/list.h"
#undef MP_ISA

/* Supported ISAs, in the order of isa/list.h. */
#define MP_ISA(a) &(a),
static const mp_arch *const arches[] = {
#include "isa/list.h"
};
#undef MP_ISA

const mp_arch *mp_arch_find(uint16_t machine)
{
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        if (arches[i]->machine == machine)
            return arches[i];
    return NULL;
}

static const mp_symbol *find_in(const mp_symbol *sym, size_t nsym, const char *name)
{
    /* Prefer a global definition over a local one of the same name. */
    const mp_symbol *found = NULL;
    for (size_t i = 1; i < nsym; i++) {
        const mp_symbol *y = &sym[i];
        if (y->type == STT_SECTION || y->type == STT_FILE || strcmp(y->name, name) != 0)
            continue;
        if (y->bind != STB_LOCAL)
            return y;
        if (!found)
            found = y;
    }
    return found;
}

const mp_symbol *mp_find_symbol(const mp_elf *m, const char *name)
{
    const mp_symbol *y = find_in(m->sym, m->nsym, name);
    /* a shared object: a hidden or local symbol is only in .symtab */
    if ((!y || y->shndx == SHN_UNDEF) && m->ssym) {
        const mp_symbol *z = find_in(m->ssym, m->nssym, name);
        if (z && z->shndx != SHN_UNDEF)
            y = z;
    }
    return y;
}

const mp_rinfo *mp_rinfo_find(const mp_arch *a, uint32_t type)
{
    for (size_t i = 0; i < a->nrtable; i++)
        if (a->rtable[i].type == type)
            return &a->rtable[i];
    return NULL;
}

const char *mp_reloc_name(const mp_arch *a, uint32_t type, char buf[MP_RNAME_MAX])
{
    const mp_rinfo *ri = mp_rinfo_find(a, type);
    if (ri)
        return ri->name;
    snprintf(buf, MP_RNAME_MAX, "%s<%u>", a->rprefix, (unsigned)type);
    return buf;
}

const char *mp_arch_names(void)
{
    static char names[200];
    if (!names[0]) {
        size_t n = 0;
        for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++) {
            /* one name per machine: riscv64 is riscv's ELF64 form */
            int again = 0;
            for (size_t k = 0; k < i; k++)
                again |= arches[k]->machine == arches[i]->machine;
            if (!again)
                n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", arches[i]->name);
        }
    }
    return names;
}

int mp_reloc_error(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const char *why,
                   const char *hint)
{
    const mp_section *s = &c->m->sec[rs->target];
    return mp_error("%s: %s+0x%llx: %s against '%s': %s%s%s", c->m->path, s->name,
                    (unsigned long long)(r->offset - s->addr), MP_RNAME(c, r->type),
                    mp_sym_name(c->m, r->sym), why, hint ? "; " : "", hint ? hint : "");
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

static uint32_t import_ref(mp_module *mod, const char *name)
{
    uint32_t hash = mp_hash(name);
    if (mod->imp_slots_cap) {
        size_t mask = mod->imp_slots_cap - 1;
        for (size_t k = hash & mask; mod->imp_slots[k]; k = (k + 1) & mask) {
            const mp_import *im = &mod->imp[mod->imp_slots[k] - 1];
            if (im->hash == hash && strcmp(im->name, name) == 0)
                return mod->imp_slots[k] - 1;
        }
    }
    if (mod->nimp == mod->imp_cap) {
        mod->imp_cap = mod->imp_cap ? 2 * mod->imp_cap : 16;
        mod->imp = mp_realloc(mod->imp, mod->imp_cap * sizeof *mod->imp);
    }
    uint32_t i = (uint32_t)mod->nimp++;
    mod->imp[i].name = mp_strdup(name);
    mod->imp[i].hash = hash;
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
        t->imp = import_ref(c->mod, y->name);
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

/* ---- after the relocations ------------------------------------------- */

static int cmp_imp_name(const void *a, const void *b)
{
    const mp_import *x = *(const mp_import *const *)a, *y = *(const mp_import *const *)b;
    return strcmp(x->name, y->name);
}

/* Imports are numbered by name so that the order never depends on the
 * order relocations happen to come in. */
static void sort_imports(mp_module *mod)
{
    size_t n = mod->nimp;
    if (n == 0)
        return;
    /* an array of pointers, sorted as such */
    mp_import **order = mp_malloc(n * sizeof *order); // NOLINT(bugprone-sizeof-expression)
    for (size_t i = 0; i < n; i++)
        order[i] = &mod->imp[i];
    qsort(order, n, sizeof *order, cmp_imp_name); // NOLINT(bugprone-sizeof-expression)
    uint32_t *newidx = mp_malloc(n * sizeof *newidx);
    mp_import *sorted = mp_malloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++) {
        newidx[order[i] - mod->imp] = (uint32_t)i;
        sorted[i] = *order[i];
    }
    for (size_t i = 0; i < mod->nfx; i++)
        if (mod->fx[i].target >= MODP_TGT_IMPORT)
            mod->fx[i].target = MODP_TGT_IMPORT + newidx[mod->fx[i].target - MODP_TGT_IMPORT];
    free(mod->imp);
    mod->imp = sorted;
    mod->imp_cap = n;
    free(mod->imp_slots);       /* numbers changed: no more lookups by name */
    mod->imp_slots = NULL;
    mod->imp_slots_cap = 0;
    free(order);
    free(newidx);
}

typedef struct site { uint8_t seg, width; uint32_t off; } site;

static int cmp_site(const void *a, const void *b)
{
    const site *x = a, *y = b;
    if (x->seg != y->seg)
        return x->seg < y->seg ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Two fixups patching the same bytes would corrupt each other. */
static int check_overlaps(mp_elf *m, mp_module *mod)
{
    size_t n = 0;
    site *s = mp_malloc(2 * mod->nfx * sizeof *s + 1);
    for (size_t i = 0; i < mod->nfx; i++) {
        uint8_t w = mod->fx[i].kind == MODP_FIX_WORD64 ? 8 : 4;
        s[n++] = (site){mod->fx[i].seg, w, mod->fx[i].off};
        if (mod->fx[i].kind == MODP_FIX_THM_MOVW_MOVT || mod->fx[i].kind == MODP_FIX_ARM_MOVW_MOVT)
            s[n++] = (site){mod->fx[i].seg, w, mod->fx[i].off2};
    }
    qsort(s, n, sizeof *s, cmp_site);
    for (size_t i = 1; i < n; i++) {
        if (s[i].seg == s[i - 1].seg && s[i].off - s[i - 1].off < s[i - 1].width) {
            mp_error("%s: two fixups overlap at %s+0x%x", m->path,
                     s[i].seg == MODP_SEG_CODE ? "code" : "data", (unsigned)s[i].off);
            free(s);
            return -1;
        }
    }
    free(s);
    return 0;
}

static int cmp_export(const void *a, const void *b)
{
    const mp_export *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);   /* unsigned bytes, shorter first */
}

static int code_has_fixups(const mp_module *mod)
{
    for (size_t i = 0; i < mod->nfx; i++)
        if (mod->fx[i].seg == MODP_SEG_CODE)
            return 1;
    return 0;
}

static int collect_exports(mp_elf *m, mp_module *mod)
{
    /* Code that runs in place reaches its data through a PIC base register
     * (ARM -msingle-pic-base: r9 holds the GOT address). The firmware finds
     * that address as the export _GLOBAL_OFFSET_TABLE_. */
    const mp_symbol *got = mp_find_symbol(m, "_GLOBAL_OFFSET_TABLE_");
    int export_got = got && got->shndx < m->nsec && m->sec[got->shndx].seg == MODP_SEG_DATA &&
                     !code_has_fixups(mod);

    mod->exp = mp_calloc(m->nsym, sizeof *mod->exp);
    for (size_t i = 1; i < m->nsym; i++) {
        const mp_symbol *y = &m->sym[i];
        int is_got = y == got && export_got; /* a local symbol of the linker's */
        if (!is_got && ((y->bind != STB_GLOBAL && y->bind != STB_WEAK) ||
                        (y->type != STT_FUNC && y->type != STT_OBJECT) ||
                        (y->vis != STV_DEFAULT && y->vis != STV_PROTECTED) || !y->name[0] ||
                        y->shndx == SHN_UNDEF || y->shndx >= m->nsec ||
                        m->sec[y->shndx].seg == MP_SEG_NONE))
            continue;
        int seg = m->sec[y->shndx].seg;
        const mp_seg *g = &mod->L.seg[seg];
        uint64_t v = y->value - g->base;
        uint64_t chk = seg == MODP_SEG_CODE ? (v & ~(uint64_t)1) : v;
        int ok = y->value >= g->base &&
                 (seg == MODP_SEG_CODE ? chk < g->size : chk <= (uint64_t)g->size + g->bss);
        if (!ok)
            return mp_error("%s: exported symbol '%s' (0x%llx) lies outside its segment", m->path,
                            y->name, (unsigned long long)y->value);
        mp_export *e = &mod->exp[mod->nexp++];
        e->name = y->name;
        e->hash = mp_hash(y->name);
        e->value = (uint32_t)v;
        e->seg = (uint8_t)seg;
        e->type = y->type == STT_FUNC ? MODP_SYM_FUNC : MODP_SYM_OBJECT;
    }
    qsort(mod->exp, mod->nexp, sizeof *mod->exp, cmp_export);
    /* The format wants one export per hash, so a lookup needs one compare. */
    for (size_t i = 1; i < mod->nexp; i++) {
        const mp_export *a = &mod->exp[i - 1], *b = &mod->exp[i];
        if (strcmp(a->name, b->name) == 0)
            return mp_error("%s: symbol '%s' is exported twice", m->path, b->name);
        if (a->hash == b->hash)
            return mp_error("%s: exported symbols '%s' and '%s' have the same name hash 0x%08x; "
                            "rename one, or make it static or hidden", m->path, a->name, b->name, a->hash);
    }
    return 0;
}

/* Entry or exit: the named symbol, or the default name, or (entry only)
 * e_entry when it points into the code. */
static int code_symbol(mp_elf *m, mp_module *mod, const char *want, const char *dflt,
                       int use_e_entry, uint32_t code_size, uint32_t *out)
{
    const mp_seg *c = &mod->L.seg[MODP_SEG_CODE];
    const char *name = want ? want : dflt;
    const mp_symbol *y = mp_find_symbol(m, name);
    *out = MODP_NONE;
    if (y && y->shndx != SHN_UNDEF) {
        if (y->shndx >= m->nsec || m->sec[y->shndx].seg != MODP_SEG_CODE ||
            y->value < c->base || ((y->value - c->base) & ~(uint64_t)1) >= code_size)
            return mp_error("%s: '%s' is not a function in the code segment", m->path, name);
        *out = (uint32_t)(y->value - c->base);
        return 0;
    }
    if (want)
        return mp_error("%s: symbol '%s' is not defined", m->path, want);
    if (use_e_entry && m->entry >= c->base && ((m->entry - c->base) & ~(uint64_t)1) < code_size)
        *out = (uint32_t)(m->entry - c->base);
    return 0;
}

/* ---- the driver: every relocation of a section to the ISA -------------- */

static int lower_section(mp_ctx *c, const mp_relsec *rs)
{
    const mp_arch *a = c->arch;
    if (a->begin && a->begin(c, rs) != 0)
        return -1;
    for (size_t i = 0; i < rs->n; i++) {
        const mp_reloc *r = &rs->r[i];
        if (a->skip && a->skip(c, rs, r))
            continue;
        mp_rel x = {rs, i, r, mp_rinfo_find(a, r->type), NULL, 0, {0}};
        if (!x.ri)
            return mp_reloc_error(c, rs, r, "unknown relocation type", "report it to the modpack authors");
        if (x.ri->why)
            return mp_reloc_error(c, rs, r, x.ri->why, x.ri->hint);
        if (x.ri->cls == 0)
            continue;   /* no effect on the image */
        if (!(a->own_cls >> x.ri->cls & 1)) {
            x.p = mp_site(c, rs, r, x.ri->width, &x.seg);
            if (!x.p || mp_resolve(c, rs, r, &x.t) != 0)
                return -1;
        }
        if (a->lower_rel(c, &x) != 0)
            return -1;
    }
    return a->end ? a->end(c, rs) : 0;
}

static int lower_finish(mp_ctx *c)
{
    if (c->arch->veneers && mp_veneers_finish(c) != 0)
        return -1;
    return c->arch->finish ? c->arch->finish(c) : 0;
}

static const char *etype_name(unsigned t)
{
    switch (t) {
    case ET_REL: return "a relocatable object (ET_REL)";
    case ET_DYN: return "a shared object or PIE (ET_DYN)";
    case ET_CORE: return "a core file";
    default: return "not an executable";
    }
}

int mp_lower(mp_elf *m, const mp_options *opt, mp_module *mod)
{
    memset(mod, 0, sizeof *mod);
    const mp_arch *arch = mp_arch_find_elf(m->machine, m->cls);
    if (!arch)
        return mp_error("%s: ELF machine %u is not supported (supported: %s)", m->path,
                        (unsigned)m->machine, mp_arch_names());
    if (m->cls != arch->elfclass)
        return mp_error("%s: %s modules must be ELF%s", m->path, arch->name,
                        arch->elfclass == ELFCLASS32 ? "32" : "64");
    int relocatable = m->type == ET_REL;   /* modpack links it itself (link.c) */
    if (relocatable && mp_link(m, arch, opt) != 0)
        return -1;
    int shared = m->type == ET_DYN;        /* dynamic relocations (dynamic.c) */
    if (!relocatable && !shared && m->type != ET_EXEC)
        return mp_error("%s: input is %s; modpack takes an executable linked with --emit-relocs "
                        "-T module.ld (ET_EXEC), a shared object (ET_DYN) or an object file (ET_REL)",
                        m->path, etype_name(m->type));
    if (mp_layout_build(m, &mod->L) != 0)
        return -1;
    uint32_t code_size = mod->L.seg[MODP_SEG_CODE].size;

    int nrel = 0;
    for (size_t i = 0; i < m->nrel; i++)
        nrel += m->sec[m->rel[i].target].seg != MP_SEG_NONE;
    if (nrel == 0 && !relocatable && !shared)
        return mp_error("%s: no relocation sections: link with --emit-relocs (-Wl,-q) so that "
                        "modpack can relocate the module", m->path);

    mod->arch = m->machine;
    mod->flags = MODP_F_SPLIT;
    mp_ctx c = {m, mod, arch, opt, {0}};
    int rc = 0;
    for (size_t i = 0; i < m->nrel && !shared && rc == 0; i++) {
        const mp_relsec *rs = &m->rel[i];
        if (m->sec[rs->target].seg == MP_SEG_NONE)
            continue;  /* debug info and other non-loaded sections */
        rc = lower_section(&c, rs);
    }
    if (rc == 0)
        rc = shared ? mp_dyn_lower(&c) : lower_finish(&c);
    if (rc == 0)
        mod->arch_flags = arch->arch_flags(&c);
    mp_lowering_free(&c.lw);
    if (rc != 0)
        return -1;

    sort_imports(mod);
    if (check_overlaps(m, mod) != 0 || collect_exports(m, mod) != 0 ||
        code_symbol(m, mod, opt->entry, "module_init", 1, code_size, &mod->entry) != 0 ||
        code_symbol(m, mod, opt->exit, "module_exit", 0, code_size, &mod->exit) != 0)
        return -1;

    if (!code_has_fixups(mod))
        mod->flags |= MODP_F_XIP;
    if (opt->strip)
        mod->flags |= MODP_F_STRIPPED;
    mod->build_id = m->build_id;
    mod->build_id_len = m->build_id_len;
    return 0;
}

void mp_module_free(mp_module *mod)
{
    for (size_t i = 0; i < mod->nimp; i++)
        free(mod->imp[i].name);
    free(mod->imp);
    free(mod->imp_slots);
    free(mod->exp);
    free(mod->fx);
    mp_layout_free(&mod->L);
    memset(mod, 0, sizeof *mod);
}

const mp_arch *mp_arch_find_elf(uint16_t machine, unsigned elfclass)
{
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        if (arches[i]->machine == machine && arches[i]->elfclass == elfclass)
            return arches[i];
    return mp_arch_find(machine);   /* mp_lower reports the class mismatch */
}
