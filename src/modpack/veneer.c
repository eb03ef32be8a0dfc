/* veneer.c - what every ISA with veneers shares: one veneer per target
 * appended to the code, branches re-pointed to it, and, when the veneers
 * reach the data, the data moved up with the words between the segments
 * adjusted. The ISA gives the templates (mp_arch.veneers), patches its
 * branches (mp_arch.patch_branch) and its instruction fields
 * (mp_arch.move_site). */
#include "lowering.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

typedef struct mp_veneer {
    unsigned variant;
    mp_target t;                /* import, absolute symbol, or (a GOT slot) module address */
    uint32_t off;               /* code offset, once placed */
} mp_veneer;

/* Append one element to arr (n elements): the capacity doubles whenever n
 * reaches a power of two, so that appending stays linear. */
#define GROW(arr, n)                                                                       \
    ((arr) = ((n) & ((n) - 1)) == 0 ? mp_realloc((arr), ((n) ? 2 * (n) : 1) * sizeof *(arr)) \
                                     : (arr),                                              \
     &(arr)[(n)++])

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
}

static int same_veneer(const mp_veneer *v, unsigned variant, const mp_target *t)
{
    return v->variant == variant && v->t.kind == t->kind &&
           (t->kind == MP_T_IMPORT ? v->t.imp == t->imp : v->t.value == t->value);
}

static size_t veneer_bucket(const mp_lowering *lw, unsigned variant, const mp_target *t)
{
    uint64_t key = t->kind == MP_T_IMPORT ? t->imp : t->value;
    return (size_t)(mix64(key ^ ((uint64_t)variant << 40) ^ ((uint64_t)(unsigned)t->kind << 56)) &
                    (lw->vbuck - 1));
}

/* The veneer of variant for t: its index, or lw->nv when there is none. */
static size_t find_veneer(const mp_lowering *lw, unsigned variant, const mp_target *t)
{
    if (!lw->vbuck)
        return lw->nv;
    for (size_t b = veneer_bucket(lw, variant, t);; b = (b + 1) & (lw->vbuck - 1)) {
        size_t i = lw->vslot[b];
        if (i == 0)
            return lw->nv;
        if (same_veneer(&lw->v[i - 1], variant, t))
            return i - 1;
    }
}

static void index_veneer(mp_lowering *lw, size_t v)
{
    size_t b = veneer_bucket(lw, lw->v[v].variant, &lw->v[v].t);
    while (lw->vslot[b])
        b = (b + 1) & (lw->vbuck - 1);
    lw->vslot[b] = v + 1;
}

void mp_add_branch(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int seg, unsigned variant,
                   uint32_t kind, const mp_target *t)
{
    mp_lowering *lw = &c->lw;
    size_t v = find_veneer(lw, variant, t);
    if (v == lw->nv) {
        *GROW(lw->v, lw->nv) = (mp_veneer){variant, *t, 0};
        if (2 * lw->nv > lw->vbuck) {   /* at most half full */
            free(lw->vslot);
            lw->vbuck = lw->vbuck ? 2 * lw->vbuck : 16;
            lw->vslot = mp_calloc(lw->vbuck, sizeof *lw->vslot);
            for (size_t i = 0; i < lw->nv; i++)
                index_veneer(lw, i);
        } else {
            index_veneer(lw, v);
        }
    }
    *GROW(lw->b, lw->nb) = (mp_branch){seg, r->offset, kind, v, rs, *r};
}

mp_xword *mp_add_xword(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int seg, uint64_t addr,
                       int sign, int form)
{
    mp_xword *x = GROW(c->lw.x, c->lw.nx);
    *x = (mp_xword){seg, addr, sign, form, 0, 0, 0, rs, *r};
    return x;
}

void mp_pin(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r)
{
    if (c->lw.pinned[0])
        return;
    const mp_section *t = &c->m->sec[rs->target];
    snprintf(c->lw.pinned, sizeof c->lw.pinned, "%s+0x%llx: %s against '%s'", t->name,
             (unsigned long long)(r->offset - t->addr), MP_RNAME(c, r->type),
             mp_sym_name(c->m, r->sym));
}

#define NO_NOTE SIZE_MAX

/* note i at the end of its address's chain */
static void chain_note(mp_lowering *lw, size_t i)
{
    size_t b = (size_t)(mix64(lw->n[i].addr) & (lw->nbuck - 1));
    lw->nnext[i] = NO_NOTE;
    if (lw->nhead[b] == NO_NOTE)
        lw->nhead[b] = i;
    else
        lw->nnext[lw->ntail[b]] = i;
    lw->ntail[b] = i;
}

mp_note *mp_add_note(mp_ctx *c, uint64_t addr)
{
    mp_lowering *lw = &c->lw;
    size_t had = lw->nn;
    mp_note *n = GROW(lw->n, lw->nn);
    *n = (mp_note){addr, 0, 0, 0, 0};
    if ((had & (had - 1)) == 0)   /* lw->n grew: nnext grows with it */
        lw->nnext = mp_realloc(lw->nnext, (had ? 2 * had : 1) * sizeof *lw->nnext);
    if (lw->nn > lw->nbuck) {
        free(lw->nhead);
        free(lw->ntail);
        lw->nbuck = lw->nbuck ? 2 * lw->nbuck : 16;
        lw->nhead = mp_malloc(lw->nbuck * sizeof *lw->nhead);
        lw->ntail = mp_malloc(lw->nbuck * sizeof *lw->ntail);
        for (size_t b = 0; b < lw->nbuck; b++)
            lw->nhead[b] = NO_NOTE;
        for (size_t i = 0; i < lw->nn; i++)
            chain_note(lw, i);
    } else {
        chain_note(lw, had);
    }
    return n;
}

static mp_note *note_from(mp_lowering *lw, size_t i, uint64_t addr)
{
    for (; i != NO_NOTE; i = lw->nnext[i])
        if (lw->n[i].addr == addr)
            return &lw->n[i];
    return NULL;
}

mp_note *mp_find_note(mp_ctx *c, uint64_t addr)
{
    mp_lowering *lw = &c->lw;
    if (!lw->nbuck)
        return NULL;
    return note_from(lw, lw->nhead[mix64(addr) & (lw->nbuck - 1)], addr);
}

mp_note *mp_next_note(mp_ctx *c, const mp_note *n)
{
    mp_lowering *lw = &c->lw;
    return note_from(lw, lw->nnext[(size_t)(n - lw->n)], n->addr);
}

const mp_symbol *mp_got_symbol(mp_ctx *c)
{
    if (!c->lw.got_looked) {
        c->lw.got_sym = mp_find_symbol(c->m, "_GLOBAL_OFFSET_TABLE_");
        c->lw.got_looked = 1;
    }
    return c->lw.got_sym;
}

int mp_has_veneer(const mp_ctx *c, unsigned variant)
{
    for (size_t i = 0; i < c->lw.nv; i++)
        if (c->lw.v[i].variant == variant)
            return 1;
    return 0;
}

/* The words between the segments, after the data moved up by moved. */
static int move_words(mp_ctx *c, uint32_t moved)
{
    mp_layout *L = &c->mod->L;
    for (size_t i = 0; i < c->lw.nx; i++) {
        const mp_xword *x = &c->lw.x[i];
        if (x->form == MP_X_ISA) {
            if (c->arch->move_site(c, x, moved) != 0)
                return -1;
            continue;
        }
        uint8_t *p = mp_seg_at(L, x->seg, x->addr, x->form == MP_X_WORD64 ? 8 : 4);
        if (!p)
            return mp_error("%s: internal error: a word between the segments lies outside its segment",
                            c->m->path);
        int64_t d = (int64_t)x->sign * moved;
        uint32_t w = rd32(p);
        switch (x->form) {
        case MP_X_WORD64:
            wrn(p, 8, rdn(p, 8) + (uint64_t)d);
            break;
        case MP_X_REL32: {
            int64_t v = (int64_t)(int32_t)w + d;
            if (v < INT32_MIN || v > INT32_MAX)
                return mp_reloc_error(c, x->rs, &x->r, "moving the data up for the veneers overflows "
                                      "this 32-bit relative field", NULL);
            wr32(p, (uint32_t)(int32_t)v);
            break;
        }
        case MP_X_PREL31: {
            int32_t v = (int32_t)(w << 1) / 2 + x->sign * (int32_t)moved;
            if (v < -(1 << 30) || v >= (1 << 30))
                return mp_error("%s: moving the data overflows an R_ARM_PREL31 word", c->m->path);
            wr32(p, (w & 0x80000000u) | ((uint32_t)v & 0x7FFFFFFFu));
            break;
        }
        default:
            wr32(p, w + (uint32_t)x->sign * moved);
            break;
        }
    }
    return 0;
}

int mp_veneers_finish(mp_ctx *c)
{
    mp_lowering *lw = &c->lw;
    if (lw->nv == 0)
        return 0;
    mp_module *mod = c->mod;
    mp_seg *code = &mod->L.seg[MODP_SEG_CODE];
    uint32_t before = code->size;
    for (size_t i = 0; i < lw->nv; i++) {
        mp_veneer *v = &lw->v[i];
        const mp_veneer_tpl *tp = &c->arch->veneers[v->variant];
        uint8_t buf[32];
        memcpy(buf, tp->code, tp->size);
        /* the literal: an absolute address, an import's addend (0), or an
         * offset in the module's segment (a GOT slot an ISA made) */
        uint64_t lit = v->t.kind == MP_T_ABS ? v->t.value
                       : v->t.kind == MP_T_SEG ? v->t.value - mod->L.seg[v->t.seg].base : 0;
        wrn(buf + tp->lit, tp->width, lit);
        v->off = mp_code_append(&mod->L, buf, tp->size, tp->align);
        if (tp->code_align && code->align < tp->align)   /* the literal stays aligned at run time */
            code->align = tp->align;
        if (v->t.kind != MP_T_ABS) {
            uint64_t a = code->base + v->off + tp->lit;
            mp_add_fixup(c, tp->width == 8 ? MODP_FIX_WORD64 : MODP_FIX_WORD32, MODP_SEG_CODE, a, a, &v->t);
        }
    }
    for (size_t i = 0; i < lw->nb; i++)
        if (c->arch->patch_branch(c, &lw->b[i], code->base + lw->v[lw->b[i].ven].off) != 0)
            return -1;
    if (code->size <= mod->L.data_offset)
        return 0;
    /* Move the data up. Fixups are segment-relative and need nothing;
     * relative references between the segments are adjusted. */
    if (lw->pinned[0])
        return mp_error("%s: the veneers for calls to imports (%u bytes) do not fit between "
                        "code and data, and the data cannot move (%s refers across segments%s); "
                        "compile with %s", c->m->path, (unsigned)(code->size - before), lw->pinned,
                        c->arch->pinned_where ? c->arch->pinned_where : "", c->arch->pinned_hint);
    uint32_t a = (1u << mod->L.seg[MODP_SEG_DATA].align) - 1;
    uint32_t moved = ((code->size + a) & ~a) - mod->L.data_offset;
    if (move_words(c, moved) != 0)
        return -1;
    mod->L.data_offset += moved;
    return 0;
}

void mp_lowering_free(mp_lowering *lw)
{
    free(lw->v);
    free(lw->b);
    free(lw->x);
    free(lw->n);
    free(lw->vslot);
    free(lw->nhead);
    free(lw->ntail);
    free(lw->nnext);
    memset(lw, 0, sizeof *lw);
}
