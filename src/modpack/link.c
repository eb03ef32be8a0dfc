/* link.c - relocatable input (ET_REL): place the sections as
 * samples/ld/module.ld does, then apply the relocations as ld would with the
 * module at address 0 and imports at 0 (--unresolved-symbols=ignore-all).
 *
 * Afterwards the model looks like an ET_EXEC linked with --emit-relocs:
 * section addresses set, symbol values and relocation offsets are
 * addresses, section bytes hold the linked values. The relocations stay,
 * so the normal lowering sees exactly what it sees after a real link. */
#include "link.h"
#include "merge.h"
#include "util.h"

#include <fnmatch.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* module.ld, as lists of input descriptions. A section belongs to the first
 * description one of whose patterns its name matches; within a description,
 * sections keep their file order (ld's behaviour). */
enum { O_TEXT, O_RODATA, O_EXTAB, O_EXIDX, O_RO_ORPHAN, O_DATA, O_INIT, O_FINI, O_RW_ORPHAN, O_GOT,
       O_BSS, O_NOUT };

typedef struct desc {
    int out;
    const char *patterns;     /* space-separated globs */
} desc;

static const desc script[] = {
    {O_TEXT, ".literal .literal.*"},
    {O_TEXT, ".text.module_init"},
    {O_TEXT, ".text .text.* .gnu.linkonce.t.*"},
    {O_TEXT, ".glue_7 .glue_7t .vfp11_veneer .v4_bx"},
    {O_RODATA, ".rodata .rodata.* .gnu.linkonce.r.*"},
    {O_RODATA, ".srodata .srodata.*"},
    {O_EXTAB, ".ARM.extab* .gnu.linkonce.armextab.*"},
    {O_EXIDX, ".ARM.exidx* .gnu.linkonce.armexidx.*"},
    {O_DATA, ".data .data.* .gnu.linkonce.d.*"},
    {O_DATA, ".sdata .sdata.*"},
    {O_INIT, ".preinit_array"},
    {O_INIT, ".init_array"},    /* .init_array.N (priorities): refuse_priorities */
    {O_FINI, ".fini_array"},
    {O_GOT, ".got.plt"},
    {O_GOT, ".got"},
    {O_BSS, ".bss .bss.* .gnu.linkonce.b.*"},
    {O_BSS, ".sbss .sbss.*"},
};
#define NDESC (sizeof script / sizeof script[0])
#define D_ORPHAN_RO NDESC         /* sections no description takes */
#define D_ORPHAN_RW (NDESC + 1)
#define D_ORPHAN_BSS (NDESC + 2)
#define D_COMMON (NDESC + 3)      /* the COMMON symbols' section, last in .bss */
#define D_ALL (NDESC + 4)

static int desc_out(size_t d)
{
    if (d < NDESC)
        return script[d].out;
    return d == D_ORPHAN_RO ? O_RO_ORPHAN : d == D_ORPHAN_RW ? O_RW_ORPHAN : O_BSS;
}

static int matches(const char *patterns, const char *name)
{
    char pat[64];
    for (const char *p = patterns; *p;) {
        size_t n = strcspn(p, " ");
        memcpy(pat, p, n);
        pat[n] = 0;
        if (fnmatch(pat, name, 0) == 0)
            return 1;
        p += n;
        p += *p == ' ';
    }
    return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

static uint64_t sec_align(const mp_section *s)
{
    return s->align ? s->align : 1;
}

/* ---- helpers for isa/<isa>/link.c ------------------------------------------ */

uint64_t mp_link_symval(const mp_elf *m, uint32_t sym)
{
    if (sym == 0 || sym >= m->nsym || m->sym[sym].shndx == SHN_UNDEF)
        return 0;
    return m->sym[sym].value;
}

int mp_link_error(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const char *why,
                  const char *hint)
{
    return mp_rel_error(c->m, c->arch, rs, r, why, hint);
}

int mp_link_room(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
                 uint64_t width)
{
    if (s->room >= width)
        return 0;
    const mp_section *t = &c->m->sec[rs->target];
    return mp_error("%s: malformed ELF: %s relocation at %s+0x%llx needs %llu bytes, past the "
                    "end of the section", c->m->path, MP_RNAME(c, r->type), t->name,
                    (unsigned long long)(s->P - t->addr), (unsigned long long)width);
}

int mp_link_range(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned bits,
                  const char *hint)
{
    char why[128];
    snprintf(why, sizeof why, "the value %s0x%llx does not fit the %u-bit field",
             v < 0 ? "-" : "", (unsigned long long)(v < 0 ? -(uint64_t)v : (uint64_t)v), bits);
    return mp_link_error(c, rs, r, why, hint);
}

int mp_link_align(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, int64_t v, unsigned align)
{
    char why[128];
    snprintf(why, sizeof why, "the value %s0x%llx is not a multiple of %u", v < 0 ? "-" : "",
             (unsigned long long)(v < 0 ? -(uint64_t)v : (uint64_t)v), align);
    return mp_link_error(c, rs, r, why, NULL);
}

/* ---- placement -------------------------------------------------------------- */

/* Keep the first COMDAT group of each signature; the members of a later one
 * are dropped (ld -r of objects that share an inline function or thunk). */
static int drop_duplicate_groups(mp_elf *m, uint8_t *drop)
{
    const char **seen = mp_calloc(m->nsec, sizeof *seen);
    size_t nseen = 0;
    int rc = 0;
    for (size_t i = 1; i < m->nsec && rc == 0; i++) {
        const mp_section *g = &m->sec[i];
        if (g->type != SHT_GROUP)
            continue;
        if (!g->bytes || g->size < 4 || g->size % 4 || g->info == 0 || g->info >= m->nsym ||
            g->link != m->symtab) {
            rc = mp_error("%s: malformed ELF: group section %s", m->path, g->name);
            break;
        }
        if (!(rd32(g->bytes) & GRP_COMDAT))
            continue;
        const char *sig = m->sym[g->info].name;
        int dup = 0;
        for (size_t k = 0; k < nseen; k++)
            dup |= strcmp(seen[k], sig) == 0;
        if (!dup)
            seen[nseen++] = sig;
        for (uint64_t k = 4; k < g->size; k += 4) {
            uint32_t mem = rd32(g->bytes + k);
            if (mem == 0 || mem >= m->nsec) {
                rc = mp_error("%s: malformed ELF: group section %s names section %u, out of range",
                              m->path, g->name, (unsigned)mem);
                break;
            }
            if (dup)
                drop[mem] = 1;
        }
    }
    free(seen);
    return rc;
}

/* Which description takes section s (D_ALL: not loaded). */
static size_t classify(const mp_section *s)
{
    if (!(s->flags & SHF_ALLOC) || s->type == SHT_NOTE || s->type == SHT_GROUP)
        return D_ALL;   /* .note.gnu.property and the like: not part of a module */
    for (size_t d = 0; d < NDESC; d++)
        if (matches(script[d].patterns, s->name))
            return d;
    if (s->type == SHT_NOBITS)
        return D_ORPHAN_BSS;
    return (s->flags & SHF_WRITE) ? D_ORPHAN_RW : D_ORPHAN_RO;
}

/* Append a writable allocated section of modpack's own (COMMON, .got);
 * layout places it like any other. */
static void add_data_section(mp_elf *m, const char *name, uint32_t type, uint64_t size, uint64_t align)
{
    m->sec = mp_realloc(m->sec, (m->nsec + 1) * sizeof *m->sec);
    mp_section *s = &m->sec[m->nsec++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->type = type;
    s->flags = SHF_ALLOC | SHF_WRITE;
    s->size = size;
    s->align = align;
    s->seg = MP_SEG_NONE;
}

/* COMMON symbols get a section of their own at the end of .bss. */
static size_t add_common_section(mp_elf *m)
{
    uint64_t off = 0, maxal = 1;
    size_t n = 0;
    for (size_t i = 1; i < m->nsym; i++) {
        mp_symbol *y = &m->sym[i];
        if (y->shndx != SHN_COMMON)
            continue;
        uint64_t al = y->value && !(y->value & (y->value - 1)) ? y->value : 1;
        if (al > 4096 || y->size > 0x7FFFFFFF)
            return mp_error("%s: common symbol '%s' is too large or too aligned", m->path, y->name), 0;
        off = align_up(off, al);
        y->value = off;
        off += y->size;
        maxal = al > maxal ? al : maxal;
        y->shndx = (uint32_t)m->nsec;
        n++;
    }
    if (n == 0)
        return (size_t)-1;    /* none */
    add_data_section(m, "COMMON", SHT_NOBITS, off, maxal);
    return m->nsec - 1;
}

typedef struct placed {
    size_t sec;
    size_t desc;
    uint64_t key;             /* .ARM.exidx: the address of the code it describes */
} placed;

static int cmp_exidx(const void *a, const void *b)
{
    /* .ARM.exidx entries must follow the order of the code they describe */
    const placed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->sec < y->sec ? -1 : 1;
}

/* Constructor priorities (.init_array.N) need ld's SORT_BY_INIT_PRIORITY,
 * which module.ld has and this linker has not. */
static int refuse_priorities(const mp_elf *m, const uint8_t *drop)
{
    for (size_t i = 1; i < m->nsec; i++)
        if (!drop[i] && m->sec[i].size && matches(".init_array.* .fini_array.*", m->sec[i].name))
            return mp_error("%s: section %s: constructor priorities are not ordered by modpack's "
                            "link; link with ld and samples/ld/module.ld, which sorts them",
                            m->path, m->sec[i].name);
    return 0;
}

/* Addresses for every loaded section; returns the end address, or 0 with
 * an error printed. */
static int place(mp_elf *m, const uint8_t *drop, size_t common, uint64_t *end)
{
    placed *p = mp_calloc(m->nsec + 1, sizeof *p);
    size_t np = 0;
    for (size_t d = 0; d < D_ALL; d++)
        for (size_t i = 1; i < m->nsec; i++) {
            mp_section *s = &m->sec[i];
            size_t cd = i == common ? D_COMMON : drop[i] ? D_ALL : classify(s);
            if (cd == d)
                p[np++] = (placed){i, d, 0};
        }
    /* output sections in order; each aligned to its largest member */
    uint64_t out_align[O_NOUT] = {0};
    for (size_t k = 0; k < np; k++) {
        int o = desc_out(p[k].desc);
        uint64_t a = sec_align(&m->sec[p[k].sec]);
        out_align[o] = a > out_align[o] ? a : out_align[o];
    }
    uint64_t addr = 0;
    int rc = 0;
    for (int o = 0; o < O_NOUT && rc == 0; o++) {
        if (o == O_DATA) {  /* . = ALIGN(MAX(8, MAX(ALIGNOF(.got), ALIGNOF(.bss)))) */
            uint64_t a = 8;
            a = out_align[O_GOT] > a ? out_align[O_GOT] : a;
            a = out_align[O_BSS] > a ? out_align[O_BSS] : a;
            addr = align_up(addr, a);
        }
        if (!out_align[o])
            continue;
        size_t first = np, n = 0;
        for (size_t k = 0; k < np; k++)
            if (desc_out(p[k].desc) == o) {
                first = first == np ? k : first;
                n++;
            }
        if (o == O_EXIDX) {
            for (size_t k = first; k < first + n; k++) {   /* the code is placed by now */
                const mp_section *x = &m->sec[p[k].sec];
                p[k].key = x->link < m->nsec ? m->sec[x->link].addr : 0;
            }
            qsort(p + first, n, sizeof *p, cmp_exidx);
        }
        addr = align_up(addr, out_align[o]);
        for (size_t k = first; k < first + n; k++) {
            mp_section *s = &m->sec[p[k].sec];
            if (s->size > 0x7FFFFFFF) {
                rc = mp_error("%s: section %s is larger than 2 GiB", m->path, s->name);
                break;
            }
            addr = align_up(addr, sec_align(s));
            s->addr = addr;
            addr += s->size;
            if (addr > 0x7FFFFFFF) {
                rc = mp_error("%s: module larger than 2 GiB", m->path);
                break;
            }
        }
    }
    /* what no description took stays out of the module */
    for (size_t i = 1; i < m->nsec; i++) {
        int in = 0;
        for (size_t k = 0; k < np; k++)
            in |= p[k].sec == i;
        if (!in)
            m->sec[i].flags &= ~(uint64_t)SHF_ALLOC;
    }
    free(p);
    *end = addr;
    return rc;
}

/* ---- symbols and relocations --------------------------------------------------- */

static int loaded(const mp_section *s)
{
    return (s->flags & SHF_ALLOC) != 0;
}

static int move_symbols(mp_elf *m)
{
    for (size_t i = 1; i < m->nsym; i++) {
        mp_symbol *y = &m->sym[i];
        if (y->shndx == SHN_UNDEF || y->shndx >= m->nsec)
            continue;   /* imports, absolute symbols */
        const mp_section *s = &m->sec[y->shndx];
        if (!loaded(s))
            continue;   /* debug info, dropped groups: any use is refused */
        if (y->value > s->size)
            return mp_error("%s: malformed ELF: symbol '%s' (0x%llx) lies outside its section %s",
                            m->path, mp_sym_name(m, (uint32_t)i), (unsigned long long)y->value, s->name);
        y->value += s->addr;
    }
    /* A global defined in a dropped COMDAT member is the kept group's one. */
    for (size_t i = 1; i < m->nsym; i++) {
        mp_symbol *y = &m->sym[i];
        if (y->bind == STB_LOCAL || y->shndx == SHN_UNDEF || y->shndx >= m->nsec ||
            loaded(&m->sec[y->shndx]) || !(m->sec[y->shndx].flags & SHF_GROUP))
            continue;
        for (size_t k = 1; k < m->nsym; k++) {
            const mp_symbol *z = &m->sym[k];
            if (k != i && z->bind != STB_LOCAL && z->shndx != SHN_UNDEF && z->shndx < m->nsec &&
                loaded(&m->sec[z->shndx]) && strcmp(z->name, y->name) == 0) {
                y->shndx = z->shndx;
                y->value = z->value;
                break;
            }
        }
    }
    return 0;
}

/* ---- the GOT ------------------------------------------------------------------ */

/* What GNU ld builds for a static link of position-independent code with
 * module.ld (`.got : { *(.got.plt) *(.got) }`): the reserved words of
 * .got.plt and .got, then one slot per symbol referenced through the GOT,
 * holding the symbol's link address (0 for an import; a Thumb function
 * with bit 0 set). ld orders the slots by its symbol hash table; here they
 * follow the first reference, which changes only where the slots lie. */
typedef struct got {
    const mp_got_abi *abi;
    size_t sec;               /* its section, 0 when there is no GOT */
    unsigned word;
    uint64_t org;             /* _GLOBAL_OFFSET_TABLE_ */
    uint32_t gsym;            /* the _GLOBAL_OFFSET_TABLE_ symbol */
    size_t n;
    uint32_t *sym;            /* slot i: its symbol (the first reference's) */
    /* slot_of's lookup, computed once (index_got) for the symbols as they
     * are: per symbol, the first symbol that is the same one (same_symbol)
     * and, per such first symbol, its slot + 1 (0: none yet) */
    size_t nidx;
    uint32_t *canon;
    size_t *slot1;
} got;

static void free_got(got *g)
{
    free(g->sym);
    free(g->canon);
    free(g->slot1);
}

static int listed(const uint32_t *types, size_t n, uint32_t type)
{
    for (size_t i = 0; i < n && types[i]; i++)
        if (types[i] == type)
            return 1;
    return 0;
}

static int slot_type(const got *g, uint32_t type)
{
    return g->abi && listed(g->abi->slot_types, sizeof g->abi->slot_types / sizeof(uint32_t), type);
}

static int org_type(const got *g, uint32_t type)
{
    return g->abi && listed(g->abi->org_types, sizeof g->abi->org_types / sizeof(uint32_t), type);
}

/* Two symbol indices that name one symbol (a global may be listed twice
 * after `ld -r` of COMDAT groups). */
static int same_symbol(const mp_elf *m, uint32_t a, uint32_t b)
{
    const mp_symbol *x = &m->sym[a], *y = &m->sym[b];
    return a == b || (x->bind != STB_LOCAL && y->bind != STB_LOCAL && x->name[0] &&
                      strcmp(x->name, y->name) == 0);
}

/* Index the symbols (canon: the first index of each name among the
 * non-local named symbols, through a hash of the names; itself for the
 * others, so that same_symbol(a, b) is canon[a] == canon[b]) and the slots
 * made so far (slot1: the first slot of each canonical symbol). Called
 * again whenever the symbols change. */
static void index_got(const mp_elf *m, got *g)
{
    free(g->canon);
    free(g->slot1);
    g->nidx = m->nsym;
    g->canon = mp_malloc(g->nidx * sizeof *g->canon);
    g->slot1 = mp_calloc(g->nidx, sizeof *g->slot1);
    size_t nb = 16;
    while (nb < 2 * g->nidx)
        nb *= 2;
    uint32_t *b1 = mp_calloc(nb, sizeof *b1);   /* symbol index + 1, 0 empty */
    for (size_t i = 0; i < g->nidx; i++) {
        const mp_symbol *y = &m->sym[i];
        g->canon[i] = (uint32_t)i;
        if (y->bind == STB_LOCAL || !y->name[0])
            continue;
        for (size_t b = mp_hash(y->name) & (nb - 1);; b = (b + 1) & (nb - 1)) {
            if (!b1[b]) {
                b1[b] = (uint32_t)i + 1;
                break;
            }
            if (strcmp(m->sym[b1[b] - 1].name, y->name) == 0) {
                g->canon[i] = b1[b] - 1;
                break;
            }
        }
    }
    free(b1);
    for (size_t i = 0; i < g->n; i++)
        if (g->sym[i] < g->nidx && !g->slot1[g->canon[g->sym[i]]])
            g->slot1[g->canon[g->sym[i]]] = i + 1;
}

/* The slot of symbol sym, or (size_t)-1: the first slot whose symbol is
 * the same as sym. */
static size_t slot_of(const mp_elf *m, const got *g, uint32_t sym)
{
    if (sym < g->nidx)
        return g->slot1[g->canon[sym]] - 1;
    for (size_t i = 0; i < g->n; i++)   /* not indexed (not seen so far) */
        if (same_symbol(m, g->sym[i], sym))
            return i;
    return (size_t)-1;
}

static void add_slot(got *g, uint32_t sym)
{
    g->sym = mp_realloc(g->sym, (g->n + 1) * sizeof *g->sym);
    g->sym[g->n++] = sym;
    if (sym < g->nidx && !g->slot1[g->canon[sym]])
        g->slot1[g->canon[sym]] = g->n;
}

static uint64_t slot_addr(const mp_elf *m, const got *g, size_t i)
{
    return m->sec[g->sec].addr +
           (uint64_t)(g->abi->plt_words + g->abi->got_words + i) * g->word;
}

/* Which symbols need a slot, in order of first reference; a GOT section
 * when any relocation (or _GLOBAL_OFFSET_TABLE_ itself) needs one. */
static int plan_got(mp_elf *m, const mp_arch *arch, const uint8_t *drop, got *g)
{
    g->abi = arch->got;
    if (!g->abi)
        return 0;
    int need = 0;
    for (size_t i = 1; i < m->nsym; i++)
        need |= m->sym[i].shndx == SHN_UNDEF && strcmp(m->sym[i].name, "_GLOBAL_OFFSET_TABLE_") == 0;
    index_got(m, g);
    for (size_t i = 0; i < m->nrel; i++) {
        const mp_relsec *rs = &m->rel[i];
        if (rs->target >= m->nsec || drop[rs->target] || classify(&m->sec[rs->target]) == D_ALL)
            continue;
        for (size_t k = 0; k < rs->n; k++) {
            const mp_reloc *r = &rs->r[k];
            need |= org_type(g, r->type);
            if (!slot_type(g, r->type))
                continue;
            need = 1;
            if (r->sym == 0)
                return mp_error("%s: malformed ELF: %s entry %zu refers to the GOT slot of no symbol",
                                m->path, m->sec[rs->index].name, k);
            if (slot_of(m, g, r->sym) == (size_t)-1)
                add_slot(g, r->sym);
        }
    }
    if (!need)
        return 0;
    for (size_t i = 1; i < m->nsec; i++)
        if (!drop[i] && classify(&m->sec[i]) < NDESC && script[classify(&m->sec[i])].out == O_GOT)
            return mp_error("%s: the object has a section %s and uses the GOT; modpack builds the "
                            "GOT of a relocatable object itself", m->path, m->sec[i].name);
    g->word = m->cls == ELFCLASS64 ? 8 : 4;
    add_data_section(m, ".got", SHT_PROGBITS,
                     (uint64_t)(g->abi->plt_words + g->abi->got_words + g->n) * g->word, g->word);
    g->sec = m->nsec - 1;
    return 0;
}

/* After placement: _GLOBAL_OFFSET_TABLE_ defined (as ld does, a local
 * symbol), the reserved words and the slots filled. */
static void fill_got(mp_elf *m, got *g)
{
    const mp_section *s = &m->sec[g->sec];
    g->org = s->addr + (g->abi->org_in_got ? (uint64_t)g->abi->plt_words * g->word : 0);
    g->gsym = 0;
    for (size_t i = 1; i < m->nsym && !g->gsym; i++)
        if (strcmp(m->sym[i].name, "_GLOBAL_OFFSET_TABLE_") == 0 && m->sym[i].shndx == SHN_UNDEF)
            g->gsym = (uint32_t)i;
    if (!g->gsym) {
        m->sym = mp_realloc(m->sym, (m->nsym + 1) * sizeof *m->sym);
        g->gsym = (uint32_t)m->nsym++;
    }
    m->sym[g->gsym] = (mp_symbol){"_GLOBAL_OFFSET_TABLE_", g->org, 0, STB_LOCAL, STT_OBJECT,
                                  STV_DEFAULT, (uint32_t)g->sec};
    uint8_t *p = m->linked + s->addr;
    wrn(p, g->word, g->abi->plt0_ones ? UINT64_MAX : 0);
    for (size_t i = 0; i < g->n; i++)
        wrn(m->linked + slot_addr(m, g, i), g->word, mp_link_symval(m, g->sym[i]));
}

/* RISC-V (as_pcrel set): the slot references become PC-relative ones to
 * their slots and the slots get absolute relocations; see got_abi. */
static void rewrite_got(mp_elf *m, got *g)
{
    if (!g->abi->as_pcrel)
        return;
    for (size_t i = 0; i < m->nrel; i++)
        for (size_t k = 0; k < m->rel[i].n; k++) {
            mp_reloc *r = &m->rel[i].r[k];
            if (!slot_type(g, r->type) || !loaded(&m->sec[m->rel[i].target]))
                continue;
            r->addend += (int64_t)(slot_addr(m, g, slot_of(m, g, r->sym)) - g->org);
            r->type = g->abi->as_pcrel;
            r->sym = g->gsym;
        }
    if (g->n == 0)
        return;
    m->sec = mp_realloc(m->sec, (m->nsec + 1) * sizeof *m->sec);
    mp_section *s = &m->sec[m->nsec];
    memset(s, 0, sizeof *s);
    s->name = ".rela.got";
    s->type = SHT_RELA;
    s->link = (uint32_t)m->symtab;
    s->info = (uint32_t)g->sec;
    s->seg = MP_SEG_NONE;
    /* offsets in the section, as read from a file: apply() makes them
     * addresses and applies them, which writes what fill_got wrote */
    mp_relsec rs = {(uint32_t)m->nsec++, (uint32_t)g->sec, 1, g->n, mp_calloc(g->n, sizeof(mp_reloc))};
    for (size_t i = 0; i < g->n; i++)
        rs.r[i] = (mp_reloc){slot_addr(m, g, i) - m->sec[g->sec].addr, g->word == 8 ? g->abi->as_abs64 : g->abi->as_abs32,
                             g->sym[i], 0};
    m->rel = mp_realloc(m->rel, (m->nrel + 1) * sizeof *m->rel);
    m->rel[m->nrel++] = rs;
}

/* ---- relocations by address ------------------------------------------------ */

typedef struct at_entry {
    uint32_t target;
    uint64_t addr;
    size_t seq;                 /* file order */
    const mp_reloc *r;
} at_entry;

struct mp_reloc_index {
    int built;
    size_t n;
    at_entry *e;
};

static int cmp_at(const void *a, const void *b)
{
    const at_entry *x = a, *y = b;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* every relocation of a loaded section (those apply() made addresses) */
static void build_at(const mp_elf *m, struct mp_reloc_index *ix)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nrel; i++)
        if (loaded(&m->sec[m->rel[i].target]) && m->rel[i].r)
            n += m->rel[i].n;
    ix->e = mp_malloc((n ? n : 1) * sizeof *ix->e);
    for (size_t i = 0; i < m->nrel; i++) {
        const mp_relsec *rs = &m->rel[i];
        if (!loaded(&m->sec[rs->target]) || !rs->r)
            continue;
        for (size_t k = 0; k < rs->n; k++, ix->n++)
            ix->e[ix->n] = (at_entry){rs->target, rs->r[k].offset, ix->n, &rs->r[k]};
    }
    qsort(ix->e, ix->n, sizeof *ix->e, cmp_at);
    ix->built = 1;
}

const mp_reloc *mp_link_reloc_at(const mp_linker *c, uint32_t target, uint64_t addr, size_t *pos)
{
    struct mp_reloc_index *ix = c->at;
    if (!ix->built)
        build_at(c->m, ix);
    size_t i = *pos;
    if (i == 0) {   /* the first entry not below (target, addr) */
        size_t lo = 0, hi = ix->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const at_entry *e = &ix->e[mid];
            if (e->target < target || (e->target == target && e->addr < addr))
                lo = mid + 1;
            else
                hi = mid;
        }
        i = lo;
    } else {
        i--;   /* *pos is the next entry + 1 */
    }
    if (i >= ix->n || ix->e[i].target != target || ix->e[i].addr != addr)
        return NULL;
    *pos = i + 2;
    return ix->e[i].r;
}

/* A relocation against the section symbol of a merged section: the
 * symbol + addend ld would give, as the site's S (REL: the field keeps its
 * addend) or addend (RELA). */
static int merged_site(const mp_linker *c, const mp_merge *mg, const mp_relsec *rs, mp_reloc *r,
                       mp_link_site *s)
{
    int64_t a = r->addend;
    uint64_t off;
    if (!rs->rela && (!c->arch->link_addend || c->arch->link_addend(r->type, s->p, s->room, &a) != 0))
        return mp_link_error(c, rs, r, "its addend cannot be moved into the merged strings or constants "
                             "of the section (nor can ld's)", "compile with -fno-merge-constants");
    int rc = mp_merge_offset(mg, c->m, r->sym, a, &off);
    if (rc <= 0)
        return rc;
    uint64_t target = c->m->sec[c->m->sym[r->sym].shndx].addr + off;
    if (rs->rela)
        r->addend = s->A = (int64_t)(target - s->S);
    else
        s->S = target - (uint64_t)a;
    return 0;
}

static int apply(const mp_linker *c, uint8_t *img, const got *g, const mp_merge *mg)
{
    mp_elf *m = c->m;
    for (size_t i = 0; i < m->nrel; i++) {
        mp_relsec *rs = &m->rel[i];
        mp_section *t = &m->sec[rs->target];
        if (!loaded(t) || !rs->r)
            continue;
        for (size_t k = 0; k < rs->n; k++) {
            mp_reloc *r = &rs->r[k];
            if (r->offset >= t->size)
                return mp_error("%s: malformed ELF: %s entry %zu patches offset 0x%llx, outside %s "
                                "(0x%llx bytes)", m->path, m->sec[rs->index].name, k,
                                (unsigned long long)r->offset, t->name, (unsigned long long)t->size);
            r->offset += t->addr;
        }
    }
    /* every offset is an address before any is applied: RISC-V LO12 finds
     * its HI20 by address */
    for (size_t i = 0; i < m->nrel; i++) {
        mp_relsec *rs = &m->rel[i];
        mp_section *t = &m->sec[rs->target];
        if (!loaded(t) || !rs->r)
            continue;
        if (t->type == SHT_NOBITS) {
            if (rs->n)
                return mp_link_error(c, rs, &rs->r[0], "relocation in a NOBITS (bss) section", NULL);
            continue;
        }
        for (size_t k = 0; k < rs->n; k++) {
            mp_reloc *r = &rs->r[k];
            const mp_symbol *y = &m->sym[r->sym];
            if (r->sym && y->shndx != SHN_UNDEF && y->shndx != SHN_ABS && y->shndx < m->nsec &&
                !loaded(&m->sec[y->shndx]))
                return mp_link_error(c, rs, r, "the symbol is in a section that is not part of "
                                      "the loaded module (not allocated, or a dropped COMDAT group)",
                                      NULL);
            if (r->sym && y->shndx >= m->nsec && y->shndx != SHN_ABS)
                return mp_link_error(c, rs, r, "symbol in a special section", NULL);
            mp_link_site s = {0};
            s.P = r->offset;
            s.p = img + r->offset;
            s.room = t->addr + t->size - r->offset;
            s.S = mp_link_symval(m, r->sym);
            s.A = r->addend;
            s.import = r->sym && y->shndx == SHN_UNDEF;
            s.GOT = g->sec ? g->org : 0;
            if (g->sec && slot_type(g, r->type)) {
                size_t slot = slot_of(m, g, r->sym);
                if (slot == (size_t)-1)
                    return mp_link_error(c, rs, r, "no GOT slot was made for the symbol", NULL);
                s.G = slot_addr(m, g, slot);
            }
            if (mg && r->sym && y->type == STT_SECTION && merged_site(c, mg, rs, r, &s) != 0)
                return -1;
            if (c->arch->func_bit0 && r->sym && y->type == STT_FUNC && !s.import) {
                s.thumb = (int)(y->value & 1);
                s.arm_func = !s.thumb;
            }
            if (c->arch->link(c, rs, r, &s) != 0)
                return -1;
        }
    }
    return 0;
}

int mp_link(mp_elf *m, const mp_arch *arch)
{
    if (!arch->link)
        return mp_error("%s: relocatable input (ET_REL) is not supported for %s; link it first: "
                        "%s-ld --emit-relocs --unresolved-symbols=ignore-all -T samples/ld/module.ld",
                        m->path, arch->name, arch->binutils ? arch->binutils : arch->name);
    if (!m->symtab)
        return mp_error("%s: relocatable input without a symbol table", m->path);
    /* one flag per section, and for the COMMON and .got sections added below */
    uint8_t *drop = mp_calloc(m->nsec + 2, 1);
    int rc = drop_duplicate_groups(m, drop);
    /* mergeable strings and constants as ld merges them, in each output section */
    mp_merge *mg = NULL;
    if (rc == 0) {
        int *out = mp_calloc(m->nsec + 1, sizeof *out);
        for (size_t i = 1; i < m->nsec; i++) {
            size_t d = drop[i] ? D_ALL : classify(&m->sec[i]);
            out[i] = d == D_ALL ? -1 : desc_out(d);
        }
        rc = mp_merge_sections(m, out, drop, &mg);
        free(out);
    }
    size_t common = rc == 0 ? add_common_section(m) : 0;
    if (common == 0)
        rc = -1;
    got g = {0};
    if (rc == 0)
        rc = refuse_priorities(m, drop);
    if (rc == 0)
        rc = plan_got(m, arch, drop, &g);
    uint64_t end = 0;
    if (rc == 0)
        rc = place(m, drop, common, &end);
    free(drop);
    if (rc != 0 || move_symbols(m) != 0) {
        free_got(&g);
        mp_merge_free(mg);
        return -1;
    }

    /* one buffer holds every placed section; the model's bytes point there */
    m->linked = mp_calloc(end ? end : 1, 1);
    for (size_t i = 1; i < m->nsec; i++) {
        mp_section *s = &m->sec[i];
        if (!loaded(s) || s->type == SHT_NOBITS)
            continue;
        if (s->size && !s->bytes && i != g.sec) {
            free_got(&g);
            mp_merge_free(mg);
            return mp_error("%s: malformed ELF: section %s has no bytes", m->path, s->name);
        }
        if (s->size && i != g.sec)
            memcpy(m->linked + s->addr, s->bytes, s->size);
        s->bytes = m->linked + s->addr;
    }
    if (g.sec) {
        fill_got(m, &g);
        index_got(m, &g);   /* move_symbols and fill_got changed the symbols */
        rewrite_got(m, &g);
    }
    m->entry = UINT64_MAX;   /* no e_entry: module_init or --entry */
    struct mp_reloc_index at = {0};
    const mp_linker c = {m, arch, &at};
    rc = apply(&c, m->linked, &g, mg);
    free(at.e);
    free_got(&g);
    mp_merge_free(mg);   /* the merged bytes are in m->linked now */
    return rc;
}
