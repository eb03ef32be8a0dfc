/* finish.c - the finish stage: the lowered module completed for encoding:
 * imports numbered by name, overlapping fixups refused, the exports, the
 * entry and exit, the capability flags. */
#include "finish.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

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
static int check_overlaps(const mp_elf *m, mp_module *mod)
{
    size_t n = 0;
    site *s = mp_malloc(2 * mod->nfx * sizeof *s + 1);
    for (size_t i = 0; i < mod->nfx; i++) {
        uint8_t w = (uint8_t)MODP_KIND_WIDTH(mod->fx[i].kind);
        s[n++] = (site){mod->fx[i].seg, w, mod->fx[i].off};
        if (MODP_KINDS_IN(MODP_KINDS_PAIR, mod->fx[i].kind) && !(mod->fx[i].kind == MODP_FIX_RV_PCREL && mod->fx[i].arg))
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

/* The entry and exit are in the header (modload_entry, modload_exit):
 * the symbol taken as either is not exported too, unless asked for
 * (--export-entry-exit); an alias at the same address still is. */
static int is_entry_or_exit(const mp_module *mod, const char *const taken[2], const mp_symbol *y,
                            uint64_t v)
{
    return (taken[0] && v == mod->entry && strcmp(y->name, taken[0]) == 0) ||
           (taken[1] && v == mod->exit && strcmp(y->name, taken[1]) == 0);
}

/* taken: the names of the symbols taken as entry and exit, or NULL;
 * their exports are left out. */
static int collect_exports(const mp_elf *m, mp_module *mod, const char *const taken[2])
{
    /* Code that runs in place reaches its data through a PIC base register
     * (ARM -msingle-pic-base: r9 holds the GOT address). The firmware finds
     * that address as the export _GLOBAL_OFFSET_TABLE_. */
    const mp_symbol *got = mp_find_symbol(m, "_GLOBAL_OFFSET_TABLE_");
    int export_got = got && got->shndx < m->nsec && m->sec[got->shndx].seg == MODP_SEG_DATA &&
                     !code_has_fixups(mod);

    mod->exp = mp_calloc(m->nsym, sizeof *mod->exp);
    const mp_symbol *sym = m->sym;  /* never NULL after mp_elf_open */
    for (size_t i = 1; sym && i < m->nsym; i++) {
        const mp_symbol *y = &sym[i];
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
        if (seg == MODP_SEG_CODE && is_entry_or_exit(mod, taken, y, v))
            continue;
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
 * e_entry when it points into the code. *taken is the symbol's name when
 * a symbol was taken, else NULL. */
static int code_symbol(const mp_elf *m, mp_module *mod, const char *want, const char *dflt,
                       int use_e_entry, uint32_t code_size, uint32_t *out, const char **taken)
{
    const mp_seg *c = &mod->L.seg[MODP_SEG_CODE];
    const char *name = want ? want : dflt;
    const mp_symbol *y = mp_find_symbol(m, name);
    *out = MODP_NONE;
    *taken = NULL;
    if (y && y->shndx != SHN_UNDEF) {
        if (y->shndx >= m->nsec || m->sec[y->shndx].seg != MODP_SEG_CODE ||
            y->value < c->base || ((y->value - c->base) & ~(uint64_t)1) >= code_size)
            return mp_error("%s: '%s' is not a function in the code segment", m->path, name);
        *out = (uint32_t)(y->value - c->base);
        *taken = name;
        return 0;
    }
    if (want)
        return mp_error("%s: symbol '%s' is not defined", m->path, want);
    if (use_e_entry && m->entry >= c->base && ((m->entry - c->base) & ~(uint64_t)1) < code_size)
        *out = (uint32_t)(m->entry - c->base);
    return 0;
}

/* Imports that a compiler option brought in rather than the source: a note
 * naming the option, once per cause. libgcc's helpers are noted only for an
 * object: a linked module may import them from the firmware on purpose. */
static void note_imports(const mp_elf *m, const mp_module *mod)
{
    static const struct { const char *prefix; int object_only; const char *cause; } causes[] = {
        {"__stack_chk_", 0, "come from -fstack-protector: compile with -fno-stack-protector, or export "
                            "__stack_chk_fail and __stack_chk_guard from the firmware"},
        {"__aeabi_", 1, "are run-time helpers from libgcc (clang also calls its __aeabi_mem* ones): link "
                        "the module with -lgcc (an object: ld -r x.o -lgcc -o x-gcc.o), or export them "
                        "from the firmware"},
        {"__gnu_Unwind_", 0, "come with libgcc's unwinder, which exception index tables (.ARM.exidx, from "
                             "-funwind-tables or C++ exceptions) pulled in: compile with -fno-exceptions "
                             "-fno-unwind-tables -fno-asynchronous-unwind-tables"},
    };
    for (size_t k = 0; k < sizeof causes / sizeof causes[0]; k++) {
        size_t n = strlen(causes[k].prefix), first = mod->nimp;
        if (causes[k].object_only && m->type != ET_REL)
            continue;
        for (size_t i = 0; i < mod->nimp && first == mod->nimp; i++)
            if (strncmp(mod->imp[i].name, causes[k].prefix, n) == 0)
                first = i;
        if (first < mod->nimp)
            fprintf(stderr, "modpack: note: %s: imports such as %s %s\n", m->path, mod->imp[first].name,
                    causes[k].cause);
    }
}

/* The code is aligned at least as its instructions are: an input whose
 * code sections declare less (.text with alignment 1) is raised without a
 * word, since the instructions need it anyway; code linked at an address
 * that is not so aligned is refused. */
static int code_align(const mp_elf *m, mp_module *mod)
{
    mp_seg *c = &mod->L.seg[MODP_SEG_CODE];
    unsigned need = MODP_INSN_ALIGN_LOG2(mod->arch, mod->arch_flags);
    if (c->align >= need)
        return 0;
    if (c->base & ((1u << need) - 1))
        return mp_error("%s: the code starts at 0x%llx, which is not aligned to the %u bytes its "
                        "instructions need; link it at an aligned address", m->path,
                        (unsigned long long)c->base, 1u << need);
    c->align = need;
    return 0;
}

int mp_finish(const mp_elf *m, const mp_options *opt, mp_module *mod)
{
    sort_imports(mod);
    note_imports(m, mod);
    const char *taken[2];
    if (check_overlaps(m, mod) != 0 ||
        code_symbol(m, mod, opt->entry, "module_init", 1, mod->linked_code_size, &mod->entry, &taken[0]) != 0 ||
        code_symbol(m, mod, opt->exit, "module_exit", 0, mod->linked_code_size, &mod->exit, &taken[1]) != 0)
        return -1;
    if (opt->export_entry_exit)
        taken[0] = taken[1] = NULL;
    if (collect_exports(m, mod, taken) != 0)
        return -1;
    if (code_align(m, mod) != 0)
        return -1;
    /* Code that runs from flash needs its data in RAM, wherever that is:
     * without SPLIT the data would have to lie data_offset after the code,
     * inside the image itself. */
    if (!code_has_fixups(mod) && (mod->flags & MODP_F_SPLIT))
        mod->flags |= MODP_F_XIP;
    if (opt->strip)
        mod->flags |= MODP_F_STRIPPED;
    mod->build_id = m->build_id;
    mod->build_id_len = m->build_id_len;
    return 0;
}
