/* layout.c - code segment = read-only/executable allocated sections,
 * data segment = writable PROGBITS followed by NOBITS (bss). Each segment is
 * the span from its lowest to its highest section address; gaps are zero. */
#include "layout.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

/* Which constructor list a section belongs to: MP_INIT, MP_FINI, -2 for
 * the legacy .ctors/.dtors, or -1 for none. */
static int ctor_list_of(const mp_section *s)
{
    static const struct { const char *name; int list; } names[] = {
        {".init_array", MP_INIT}, {".preinit_array", MP_INIT}, {".fini_array", MP_FINI},
        {".ctors", -2}, {".dtors", -2},
    };
    if (s->type == SHT_INIT_ARRAY || s->type == SHT_PREINIT_ARRAY)
        return MP_INIT;
    if (s->type == SHT_FINI_ARRAY)
        return MP_FINI;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i].name);
        if (strncmp(s->name, names[i].name, n) == 0 && (s->name[n] == 0 || s->name[n] == '.'))
            return names[i].list;
    }
    return -1;
}

/* Add a non-empty section to its constructor list: modload runs the lists
 * from the data segment, as arrays of run addresses. */
static int add_to_ctor_list(const mp_elf *m, const mp_section *s, int list, mp_layout *L)
{
    if (list == -2)
        return mp_error("%s: section %s: legacy constructor lists (.ctors, .dtors) are not run "
                        "by modload; compile with a GCC that emits .init_array (every GCC "
                        "since 4.7 for ARM, RISC-V, Xtensa and x86)", m->path, s->name);
    if (!(s->flags & SHF_WRITE) || s->type == SHT_NOBITS)
        return mp_error("%s: section %s: a constructor list must be writable data (its entries "
                        "are relocated); place it in the data segment as samples/ld/module.ld "
                        "does", m->path, s->name);
    unsigned word = m->cls == ELFCLASS64 ? 8 : 4;
    if (s->size % word || s->addr % word)
        return mp_error("%s: section %s: a constructor list holds %u-byte pointers, but it has "
                        "0x%llx bytes at 0x%llx", m->path, s->name, word,
                        (unsigned long long)s->size, (unsigned long long)s->addr);
    mp_ctor_list *c = &L->ctor[list];
    if (!c->bytes || s->addr < c->lo)
        c->lo = s->addr;
    if (s->addr + s->size > c->hi)
        c->hi = s->addr + s->size;
    c->bytes += s->size;
    c->name = s->name;
    return 0;
}

/* Each list one array (ld's .preinit_array, then .init_array, as
 * module.ld links them), as data-segment offset and count. */
static int finish_ctor_lists(const mp_elf *m, mp_layout *L)
{
    for (int k = 0; k < 2; k++) {
        mp_ctor_list *c = &L->ctor[k];
        if (!c->bytes)
            continue;
        if (c->hi - c->lo != c->bytes)
            return mp_error("%s: the %s sections (such as %s) are not one array: link with "
                            "samples/ld/module.ld, which gathers .preinit_array and .init_array "
                            "into .init_array", m->path, k == MP_INIT ? "constructor" : "destructor",
                            c->name);
        c->offset = (uint32_t)(c->lo - L->seg[MODP_SEG_DATA].base);
        c->count = (uint32_t)(c->bytes / (m->cls == ELFCLASS64 ? 8 : 4));
    }
    return 0;
}

/* A module linked without -nostdlib carries the C library's start files:
 * crt0's entry and the constructor runner (and crti's _init in .init). */
static const char *start_file_symbol(const mp_elf *m)
{
    static const char *const names[] = {"_mainCRTStartup", "__libc_init_array", "__libc_csu_init", "_init"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const mp_symbol *y = mp_find_symbol(m, names[i]);
        if (y && y->shndx != SHN_UNDEF && y->shndx < m->nsec &&
            (i < 3 || strcmp(m->sec[y->shndx].name, ".init") == 0))
            return names[i];
    }
    return NULL;
}

static unsigned log2_align(uint64_t a)
{
    unsigned l = 0;
    while (a > 1) {
        a >>= 1;
        l++;
    }
    return l;
}

/* Sections that only the dynamic linker reads (.dynamic, .dynsym, .dynstr,
 * .hash, .gnu.hash, .gnu.version*, .interp, .rel[a].dyn, .rel[a].plt,
 * notes): not part of the image of a shared object. */
static int dyn_metadata(const mp_section *s)
{
    switch (s->type) {
    case SHT_DYNAMIC:
    case SHT_DYNSYM:
    case SHT_HASH:
    case SHT_GNU_HASH:
    case SHT_GNU_versym:
    case SHT_GNU_verdef:
    case SHT_GNU_verneed:
    case SHT_NOTE:
        return 1;
    case SHT_REL:
    case SHT_RELA:
    case SHT_STRTAB:        /* .dynstr is loaded; .strtab and --emit-relocs tables are not */
        return (s->flags & SHF_ALLOC) != 0;
    default:
        return strcmp(s->name, ".interp") == 0;
    }
}

/* The largest run of zeros a linker puts between two sections of a module:
 * page alignment of the common default scripts (max-page-size is 64 KiB on
 * ARM and AArch64). module.ld leaves at most the 4 KiB alignment modpack
 * takes. A larger gap would be stored in the image as zeros, or reserved as
 * bss (a fuzzed 9 KB ELF made a 512 MiB image). */
#define MAX_GAP 0x10000u
/* Padding between code and data beyond which build warns. */
#define MAX_PAD 256u

typedef struct span {
    uint64_t lo, hi;
    const char *name;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Refuse a gap over MAX_GAP between the sections of the module, code and
 * data together, in address order. */
static int check_gaps(const mp_elf *m)
{
    span *v = mp_calloc(m->nsec + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 1; i < m->nsec; i++)
        if (m->sec[i].seg != MP_SEG_NONE && m->sec[i].size)
            v[n++] = (span){m->sec[i].addr, m->sec[i].addr + m->sec[i].size, m->sec[i].name};
    qsort(v, n, sizeof *v, cmp_span);
    int rc = 0;
    uint64_t end = n ? v[0].hi : 0;
    const char *end_name = n ? v[0].name : NULL;
    for (size_t k = 1; k < n && rc == 0; k++) {
        if (v[k].lo > end && v[k].lo - end > MAX_GAP)
            rc = mp_error("%s: 0x%llx bytes of nothing between section %s (ends at 0x%llx) and "
                          "section %s (0x%llx) would be part of the module; its sections lie "
                          "together: link with -T samples/ld/module.ld (with a default linker "
                          "script: -z max-page-size=64)",
                          m->path, (unsigned long long)(v[k].lo - end), end_name,
                          (unsigned long long)end, v[k].name, (unsigned long long)v[k].lo);
        if (v[k].hi > end) {
            end = v[k].hi;
            end_name = v[k].name;
        }
    }
    free(v);
    return rc;
}

int mp_layout_build(mp_elf *m, mp_layout *L)
{
    memset(L, 0, sizeof *L);
    const char *path = m->path;
    uint64_t lo[2] = {UINT64_MAX, UINT64_MAX}, hi[2] = {0, 0};
    uint64_t data_end = 0, bss_hi = 0;
    const char *data_end_name = NULL;
    int have[2] = {0, 0};

    const char *crt = start_file_symbol(m);
    if (crt)
        return mp_error("%s: the C library's start files are linked in (it defines %s): a module "
                        "has no startup code of its own; link with -nostdlib (and -lgcc when it "
                        "needs libgcc's helpers)", path, crt);
    for (size_t i = 1; i < m->nsec; i++) {
        mp_section *s = &m->sec[i];
        if (m->type == ET_DYN && dyn_metadata(s))
            continue;   /* only the dynamic linker reads it */
        if (s->type == SHT_DYNAMIC || strcmp(s->name, ".interp") == 0 || s->type == SHT_DYNSYM)
            return mp_error("%s: section %s: dynamic linking information is not supported here; "
                            "link a static module (no -shared, -pie or shared libraries)",
                            path, s->name);
        if (!(s->flags & SHF_ALLOC))
            continue;
        if ((s->flags & SHF_TLS) || strncmp(s->name, ".tdata", 6) == 0 ||
            strncmp(s->name, ".tbss", 5) == 0)
            return mp_error("%s: section %s holds thread-local variables, which modload does "
                            "not support; remove __thread/_Thread_local", path, s->name);
        int list = ctor_list_of(s);
        if (list != -1 && s->size && add_to_ctor_list(m, s, list, L) != 0)
            return -1;
        int seg = (s->flags & SHF_WRITE) || s->type == SHT_NOBITS ? MODP_SEG_DATA : MODP_SEG_CODE;
        s->seg = seg;   /* also for empty sections: symbols may be defined in them */
        s->bss = s->type == SHT_NOBITS;
        if (s->size == 0)
            continue;
        if (s->addr + s->size < s->addr || s->addr + s->size > 0xFFFFFFFFu)
            return mp_error("%s: section %s lies beyond 4 GiB", path, s->name);
        unsigned al = log2_align(s->align);
        if (al > MODP_MAX_ALIGN_LOG2)
            return mp_error("%s: section %s needs %llu-byte alignment; at most 4096 is supported",
                            path, s->name, (unsigned long long)s->align);
        mp_seg *g = &L->seg[seg];
        if (al > g->align)
            g->align = al;
        if (s->addr < lo[seg]) {
            lo[seg] = s->addr;
            g->first = s->name;
        }
        if (s->addr + s->size > hi[seg]) {
            hi[seg] = s->addr + s->size;
            g->last = s->name;
        }
        have[seg] = 1;
        if (s->bss) {
            if (s->addr + s->size > bss_hi)
                bss_hi = s->addr + s->size;
        } else if (seg == MODP_SEG_DATA && s->addr + s->size > data_end) {
            data_end = s->addr + s->size;
            data_end_name = s->name;
        }
    }
    if (!have[MODP_SEG_CODE])
        return mp_error("%s: no code: the module has no allocated read-only section", path);

    /* A shared object's segments begin with whatever section follows the
     * dynamic-link metadata, which need not be aligned as their most
     * aligned section is: begin lower, over zeros. */
    for (int k = 0; k < 2 && m->type == ET_DYN; k++)
        if (have[k])
            lo[k] &= ~(((uint64_t)1 << L->seg[k].align) - 1);
    mp_seg *c = &L->seg[MODP_SEG_CODE], *d = &L->seg[MODP_SEG_DATA];
    c->base = lo[MODP_SEG_CODE];
    c->size = (uint32_t)(hi[MODP_SEG_CODE] - c->base);
    if ((c->base & ((1u << c->align) - 1)) != 0)
        return mp_error("%s: code starts at 0x%llx, not aligned to its %u-byte alignment",
                        path, (unsigned long long)c->base, 1u << c->align);

    if (have[MODP_SEG_DATA]) {
        d->base = lo[MODP_SEG_DATA];
        /* bss must follow every initialised byte: the image stores data only. */
        for (size_t i = 1; i < m->nsec; i++) {
            const mp_section *s = &m->sec[i];
            if (s->seg == MODP_SEG_DATA && s->bss && s->size && s->addr < data_end)
                return mp_error("%s: bss section %s (0x%llx) lies below the end of data section "
                                "%s (0x%llx); bss must come after all data (see samples/ld/module.ld)",
                                path, s->name, (unsigned long long)s->addr, data_end_name,
                                (unsigned long long)data_end);
        }
        d->size = data_end > d->base ? (uint32_t)(data_end - d->base) : 0;
        d->bss = bss_hi > d->base + d->size ? (uint32_t)(bss_hi - (d->base + d->size)) : 0;
        if (d->base < c->base || d->base - c->base < c->size)
            return mp_error("%s: data section %s (0x%llx) overlaps or precedes the code (%s..%s, "
                            "0x%llx..0x%llx); link code first, then data, then bss",
                            path, d->first, (unsigned long long)d->base, c->first, c->last,
                            (unsigned long long)c->base, (unsigned long long)hi[MODP_SEG_CODE]);
        if (d->base - c->base > 0x7FFFFFFFu)
            return mp_error("%s: data lies more than 2 GiB after the code", path);
        L->data_offset = (uint32_t)(d->base - c->base);
        if (L->data_offset & ((1u << d->align) - 1))
            return mp_error("%s: data starts at 0x%llx, not aligned to its %u-byte alignment",
                            path, (unsigned long long)d->base, 1u << d->align);
        /* A default linker script puts an executable's data on the next
         * page: more padding than its alignment needs, reserved in RAM by
         * every placement as one region. (Shared objects: the README links
         * them with -z max-page-size=64.) */
        uint32_t pad = L->data_offset - c->size;
        if (m->type == ET_EXEC && pad > MAX_PAD && pad >= (1u << d->align))
            fprintf(stderr, "modpack: warning: %s: %u bytes of padding between the code (ends at "
                            "0x%llx) and the data (%s at 0x%llx) are reserved in RAM when the module "
                            "is placed as one region; link with -T samples/ld/module.ld, which puts "
                            "the data right after the code\n", path, pad,
                    (unsigned long long)c->base + c->size, d->first, (unsigned long long)d->base);
    } else {
        L->data_offset = c->size;
        d->base = c->base + c->size;
    }
    if ((uint64_t)L->data_offset + d->size + d->bss > 0x7FFFFFFFu)
        return mp_error("%s: module larger than 2 GiB", path);
    if (check_gaps(m) != 0 || finish_ctor_lists(m, L) != 0)
        return -1;

    for (int k = 0; k < 2; k++) {
        mp_seg *g = &L->seg[k];
        g->cap = g->size ? g->size : 1;
        g->bytes = mp_calloc(g->cap, 1);
    }
    for (size_t i = 1; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        /* An empty section may lie anywhere, even below its segment. */
        if (s->seg == MP_SEG_NONE || s->bss || !s->bytes || s->size == 0)
            continue;
        mp_seg *g = &L->seg[s->seg];
        memcpy(g->bytes + (s->addr - g->base), s->bytes, s->size);
    }
    return 0;
}

void mp_layout_free(mp_layout *L)
{
    free(L->seg[0].bytes);
    free(L->seg[1].bytes);
    memset(L, 0, sizeof *L);
}

uint8_t *mp_seg_at(mp_layout *L, int seg, uint64_t addr, uint32_t width)
{
    if (seg != MODP_SEG_CODE && seg != MODP_SEG_DATA)
        return NULL;
    mp_seg *g = &L->seg[seg];
    if (addr < g->base || addr - g->base > g->size || g->size - (addr - g->base) < width)
        return NULL;
    return g->bytes + (addr - g->base);
}

uint32_t mp_code_append(mp_layout *L, const void *bytes, uint32_t n, unsigned align)
{
    mp_seg *c = &L->seg[MODP_SEG_CODE];
    uint32_t a = (1u << align) - 1;
    uint32_t off = (c->size + a) & ~a;
    if ((size_t)off + n > c->cap) {
        size_t cap = c->cap;
        while (cap < (size_t)off + n)
            cap *= 2;
        c->bytes = mp_realloc(c->bytes, cap);
        memset(c->bytes + c->cap, 0, cap - c->cap);
        c->cap = cap;
    }
    memcpy(c->bytes + off, bytes, n);
    c->size = off + n;
    return off;
}
