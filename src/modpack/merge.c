/* merge.c - SHF_MERGE sections of relocatable input merged as GNU ld does
 * (merge.h): the same groups, entries, tail merging, order and padding, so
 * that the packed object matches the ld link of it byte for byte. */
#include "merge.h"
#include "util.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    const uint8_t *str;
    uint32_t len;               /* with its terminator */
    uint32_t align;             /* 0: lies inside another entry (tail) */
    uint64_t index;             /* offset in the merged bytes */
    uint32_t suffix;            /* align 0: the entry it is the tail of */
} entry;

/* One input section of a group: where each of its entries started. */
typedef struct member {
    uint8_t *copy;              /* its bytes, which its entries point into */
    uint64_t size;              /* before merging */
    uint32_t n;
    uint32_t *ofs, *ent;
} member;

typedef struct group {
    uint32_t first;             /* the section that takes the merged bytes */
    int strings;
    uint64_t entsize, align;
    int out;
    size_t nmem;
    member *mem;
    size_t nent, cap;
    entry *e;
    size_t *slot;               /* open hash of entries (index + 1) */
    size_t nslot;
    uint8_t *bytes;
    uint64_t size;
} group;

struct mp_merge {
    size_t ngroup;
    group *g;
    /* per symbol: 1 + the member (group << 20 | member) of a section
     * symbol, and the value it had there (0 in practice) */
    size_t nsym;
    uint32_t *secsym;
    uint64_t *secval;
};

static uint64_t hash_bytes(const uint8_t *p, uint32_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3u;
    return h;
}

static void rehash(group *g)
{
    free(g->slot);
    g->nslot = g->nslot ? g->nslot * 2 : 64;
    g->slot = mp_calloc(g->nslot, sizeof *g->slot);
    for (size_t i = 0; i < g->nent; i++) {
        size_t k = hash_bytes(g->e[i].str, g->e[i].len) & (g->nslot - 1);
        while (g->slot[k])
            k = (k + 1) & (g->nslot - 1);
        g->slot[k] = i + 1;
    }
}

/* The entry of these bytes, added on first sight; its alignment is the
 * largest any occurrence has. */
static uint32_t lookup(group *g, const uint8_t *p, uint32_t len, uint32_t align)
{
    if ((g->nent + 1) * 3 > g->nslot * 2)
        rehash(g);
    if (g->nent == g->cap) {   /* room for a new one first: e is never NULL below */
        g->cap = g->cap ? g->cap * 2 : 64;
        g->e = mp_realloc(g->e, g->cap * sizeof *g->e);
    }
    size_t k = hash_bytes(p, len) & (g->nslot - 1);
    for (; g->slot[k]; k = (k + 1) & (g->nslot - 1)) {
        entry *e = &g->e[g->slot[k] - 1];
        if (e->len == len && memcmp(e->str, p, len) == 0) {
            e->align = align > e->align ? align : e->align;
            return (uint32_t)(g->slot[k] - 1);
        }
    }
    g->e[g->nent] = (entry){p, len, align, 0, 0};
    g->slot[k] = ++g->nent;
    return (uint32_t)(g->nent - 1);
}

/* Length of the string at p (in units of entsize, with its terminator);
 * the last one may lack it: ld reads a zero unit past the end. */
static uint32_t string_len(const uint8_t *p, const uint8_t *end, uint64_t entsize)
{
    const uint8_t *q = p;
    for (; q < end; q += entsize) {
        uint64_t i = 0;
        while (i < entsize && !q[i])
            i++;
        if (i == entsize)
            return (uint32_t)(q + entsize - p);
    }
    return (uint32_t)(end - p + entsize);
}

static void record(group *g, member *mb, const mp_section *s)
{
    /* a copy with one zero unit after it, for a string without terminator */
    uint8_t *buf = mb->copy = mp_calloc(s->size + g->entsize, 1);
    memcpy(buf, s->bytes, s->size);
    const uint8_t *end = buf + s->size;
    uint64_t mask = g->align - 1;
    for (const uint8_t *p = buf; p < end;) {
        uint32_t len = g->strings ? string_len(p, end, g->entsize) : (uint32_t)g->entsize;
        uint64_t ofs = (uint64_t)(p - buf);
        uint64_t al = ofs & -ofs;          /* the alignment the offset has */
        if (!al || al > mask)
            al = mask + 1;
        mb->ofs = mp_realloc(mb->ofs, (mb->n + 1) * sizeof *mb->ofs);
        mb->ent = mp_realloc(mb->ent, (mb->n + 1) * sizeof *mb->ent);
        mb->ofs[mb->n] = (uint32_t)ofs;
        mb->ent[mb->n++] = lookup(g, p, len, (uint32_t)al);
        p += len;
    }
}

/* ld's order for finding tails: the strings compared from their last
 * character (terminator excluded) backwards, a tail before the longer
 * string; with one alignment above the entry size, by length modulo it
 * first. */
static uint32_t sort_align;
static const entry *sort_e;
static uint32_t sort_entsize;

static int cmp_rev(const void *a, const void *b)
{
    const entry *x = &sort_e[*(const uint32_t *)a], *y = &sort_e[*(const uint32_t *)b];
    uint32_t lx = x->len - sort_entsize, ly = y->len - sort_entsize;
    if (sort_align) {
        int t = (int)(lx & (sort_align - 1)) - (int)(ly & (sort_align - 1));
        if (t)
            return t;
    }
    const uint8_t *s = x->str + lx, *t = y->str + ly;
    for (uint32_t l = lx < ly ? lx : ly; l; l--) {
        s--, t--;
        if (*s != *t)
            return (int)*s - (int)*t;
    }
    return lx < ly ? -1 : lx > ly;
}

static void merge_tails(group *g)
{
    uint32_t *v = mp_malloc((g->nent ? g->nent : 1) * sizeof *v);
    uint32_t align = 0;
    for (size_t i = 0; i < g->nent; i++) {
        v[i] = (uint32_t)i;
        if (align != g->e[i].align)
            align = align == 0 ? g->e[i].align : UINT32_MAX;
    }
    sort_e = g->e;
    sort_entsize = (uint32_t)g->entsize;
    sort_align = align != UINT32_MAX && align > g->entsize ? align : 0;
    qsort(v, g->nent, sizeof *v, cmp_rev);
    entry *e = &g->e[v[g->nent - 1]];
    for (size_t i = g->nent - 1; i-- > 0;) {
        entry *c = &g->e[v[i]];
        if (e->align >= c->align && !((e->len - c->len) & (c->align - 1)) && e->len > c->len &&
            memcmp(e->str + (e->len - c->len), c->str, c->len) == 0) {
            c->suffix = (uint32_t)(e - g->e);
            c->align = 0;
        } else {
            e = c;
        }
    }
    free(v);
}

static void lay_out(mp_elf *m, group *g)
{
    if (g->strings && g->nent)
        merge_tails(g);
    uint64_t size = 0;
    for (size_t i = 0; i < g->nent; i++) {
        entry *e = &g->e[i];
        if (!e->align)
            continue;
        size = (size + e->align - 1) & ~(uint64_t)(e->align - 1);
        e->index = size;
        size += e->len;
    }
    for (size_t i = 0; i < g->nent; i++) {
        entry *e = &g->e[i];
        if (!e->align)
            e->index = g->e[e->suffix].index + (g->e[e->suffix].len - e->len);
    }
    /* padded to the alignment when every input was */
    int padded = 1;
    for (size_t k = 0; k < g->nmem; k++)
        padded &= (g->mem[k].size & (g->align - 1)) == 0;
    if (padded)
        size = (size + g->align - 1) & ~(g->align - 1);
    g->size = size;
    g->bytes = mp_calloc(size ? size : 1, 1);
    for (size_t i = 0; i < g->nent; i++)
        if (g->e[i].align)
            memcpy(g->bytes + g->e[i].index, g->e[i].str, g->e[i].len);
    mp_section *f = &m->sec[g->first];
    f->bytes = g->bytes;
    f->size = size;
}

/* Can ld merge section i (its rules, _bfd_add_merge_section)? */
static int mergeable(const mp_elf *m, size_t i, const uint8_t *has_rel)
{
    const mp_section *s = &m->sec[i];
    uint64_t es = s->entsize, al = s->align ? s->align : 1;
    if (!(s->flags & SHF_MERGE) || s->type != SHT_PROGBITS || !s->bytes || !s->size || !es ||
        s->size % es || has_rel[i] || s->size > UINT32_MAX || al > 0x80000000u)
        return 0;
    if (es < al && ((es & (es - 1)) || !(s->flags & SHF_STRINGS)))
        return 0;
    return !(es > al && (es & (al - 1)));
}

static void free_groups(mp_merge *mg)
{
    for (size_t k = 0; k < mg->ngroup; k++) {
        group *g = &mg->g[k];
        for (size_t j = 0; j < g->nmem; j++) {
            free(g->mem[j].copy);
            free(g->mem[j].ofs);
            free(g->mem[j].ent);
        }
        free(g->mem);
        free(g->e);
        free(g->slot);
        free(g->bytes);
    }
    free(mg->g);
}

void mp_merge_free(mp_merge *mg)
{
    if (!mg)
        return;
    free_groups(mg);
    free(mg->secsym);
    free(mg->secval);
    free(mg);
}

/* The merged offset of offset o of member mb (ld's
 * _bfd_merged_section_offset): the entry that covers o, moved. */
static uint64_t map(const group *g, const member *mb, uint64_t o)
{
    if (o >= mb->size)
        return g->size;
    uint32_t lo = 0, hi = mb->n;     /* the last entry starting at or before o */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (mb->ofs[mid] <= o)
            lo = mid;
        else
            hi = mid;
    }
    return g->e[mb->ent[lo]].index + (o - mb->ofs[lo]);
}

int mp_merge_sections(mp_elf *m, const int *out, uint8_t *drop, mp_merge **mgp)
{
    *mgp = NULL;
    uint8_t *has_rel = mp_calloc(m->nsec + 1, 1);
    for (size_t i = 0; i < m->nrel; i++)
        if (m->rel[i].target < m->nsec)
            has_rel[m->rel[i].target] = 1;
    mp_merge *mg = mp_calloc(1, sizeof *mg);
    /* member index of each section: 1 + (group << 20 | member) */
    uint32_t *where = mp_calloc(m->nsec + 1, sizeof *where);
    for (size_t i = 1; i < m->nsec; i++) {
        if (out[i] < 0 || drop[i] || !mergeable(m, i, has_rel))
            continue;
        const mp_section *s = &m->sec[i];
        int strings = (s->flags & SHF_STRINGS) != 0;
        uint64_t al = s->align ? s->align : 1;
        size_t k = 0;
        while (k < mg->ngroup && !(mg->g[k].strings == strings && mg->g[k].entsize == s->entsize &&
                                   mg->g[k].align == al && mg->g[k].out == out[i]))
            k++;
        if (k == mg->ngroup) {
            mg->g = mp_realloc(mg->g, (mg->ngroup + 1) * sizeof *mg->g);
            mg->g[mg->ngroup++] = (group){.first = (uint32_t)i, .strings = strings, .entsize = s->entsize,
                                          .align = al, .out = out[i]};
        }
        group *g = &mg->g[k];
        if (g->nmem >= (1u << 20) || mg->ngroup >= (1u << 11)) {
            free(where);
            free(has_rel);
            mp_merge_free(mg);
            return mp_error("%s: too many mergeable sections", m->path);
        }
        g->mem = mp_realloc(g->mem, (g->nmem + 1) * sizeof *g->mem);
        member *mb = &g->mem[g->nmem];
        memset(mb, 0, sizeof *mb);
        mb->size = s->size;
        record(g, mb, s);
        where[i] = 1 + (uint32_t)(k << 20 | g->nmem);
        g->nmem++;
    }
    free(has_rel);
    if (!mg->ngroup) {
        free(where);
        mp_merge_free(mg);
        return 0;
    }
    for (size_t k = 0; k < mg->ngroup; k++)
        lay_out(m, &mg->g[k]);
    /* the symbols defined in the members move to the group's first */
    mg->nsym = m->nsym;
    mg->secsym = mp_calloc(m->nsym + 1, sizeof *mg->secsym);
    mg->secval = mp_calloc(m->nsym + 1, sizeof *mg->secval);
    for (size_t i = 1; i < m->nsym; i++) {
        mp_symbol *y = &m->sym[i];
        if (y->shndx == SHN_UNDEF || y->shndx >= m->nsec || !where[y->shndx])
            continue;
        uint32_t w = where[y->shndx] - 1;
        const group *g = &mg->g[w >> 20];
        const member *mb = &g->mem[w & 0xFFFFF];
        if (y->type == STT_SECTION) {
            mg->secsym[i] = w + 1;
            mg->secval[i] = y->value;
            y->value = 0;
        } else {
            y->value = map(g, mb, y->value);
        }
        y->shndx = g->first;
    }
    for (size_t i = 1; i < m->nsec; i++)
        if (where[i] && i != mg->g[(where[i] - 1) >> 20].first)
            drop[i] = 1;
    free(where);
    *mgp = mg;
    return 0;
}

int mp_merge_offset(const mp_merge *mg, const mp_elf *m, uint32_t sym, int64_t a, uint64_t *merged)
{
    if (!mg || sym >= mg->nsym || !mg->secsym[sym])
        return 0;
    uint32_t w = mg->secsym[sym] - 1;
    const group *g = &mg->g[w >> 20];
    const member *mb = &g->mem[w & 0xFFFFF];
    int64_t o = (int64_t)(mg->secval[sym] + (uint64_t)a);   /* ld maps symbol + addend */
    if (o < 0 || (uint64_t)o > mb->size)
        return mp_error("%s: a relocation against section %s points at offset %s0x%llx, outside the "
                        "section (0x%llx bytes)", m->path, mp_sym_name(m, sym), o < 0 ? "-" : "",
                        (unsigned long long)(o < 0 ? -(uint64_t)o : (uint64_t)o),
                        (unsigned long long)mb->size);
    *merged = map(g, mb, (uint64_t)o);
    return 1;
}
