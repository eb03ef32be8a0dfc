/* lower.c - the lowering stage for ET_EXEC and linked ET_REL input: every
 * relocation of every loaded section through the ISA's allow-list to its
 * lower_rel hook, then the veneers and the ISA's finish. */
#include "lower.h"
#include "lowering.h"
#include "util.h"

#include <gelf.h>

#include "modformat.h"

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

int mp_lower_relocs(mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod, int no_relocs)
{
    mp_ctx c;
    mp_lowering_begin(&c, m, arch, L, mod);
    int nrel = 0;
    for (size_t i = 0; i < m->nrel; i++)
        nrel += m->sec[m->rel[i].target].seg != MP_SEG_NONE;
    /* The ELF does not record whether it was linked with --emit-relocs:
     * a module that refers to nothing by address has no relocations either
     * way, so only the user can say so. */
    if (nrel == 0 && m->type == ET_EXEC && !no_relocs)
        return mp_lowering_end(&c, mp_error("%s: no relocation sections: link with --emit-relocs "
                                            "(-Wl,-q) so that modpack can relocate the module; a "
                                            "module that refers to nothing by address (no calls, "
                                            "no globals, no pointers) has none even then: pass "
                                            "--no-relocs", m->path));
    int rc = 0;
    for (size_t i = 0; i < m->nrel && rc == 0; i++) {
        const mp_relsec *rs = &m->rel[i];
        if (m->sec[rs->target].seg == MP_SEG_NONE)
            continue;  /* debug info and other non-loaded sections */
        rc = lower_section(&c, rs);
    }
    if (rc == 0)
        rc = lower_finish(&c);
    return mp_lowering_end(&c, rc);
}
