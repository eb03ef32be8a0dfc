/* dynamic.c - shared objects (-shared -fPIC, as RT-Thread dlmodule and ESP
 * hot-reload modules are built) lowered to image fixups.
 *
 * A shared object linked at 0 lists what a dynamic linker would do in its
 * dynamic relocation tables (.rel[a].dyn, .rel[a].plt, against .dynsym):
 *   RELATIVE              base + addend     -> WORD fixup to the segment the
 *                                              address lies in
 *   GLOB_DAT, JUMP_SLOT   symbol            -> WORD fixup to an import (an
 *   native-width ABS      symbol + addend      undefined symbol) or to the
 *                                              segment defining the symbol
 * REL ISAs (ARM, i386) keep RELATIVE and ABS addends in the word; GLOB_DAT
 * and JUMP_SLOT words are replaced (a JUMP_SLOT holds the lazy PLT0 address).
 * RELA ISAs (x86-64, RISC-V) give the addend in r_addend. Either way the
 * word is rewritten to hold the segment-relative value (or the addend of an
 * import) and the loader adds the run-time base or the import's address.
 * PLT stubs reach the GOT PC-relatively and need nothing.
 *
 * Anything else (COPY, IRELATIVE, TLS, text relocations such as a PC32
 * against an import) is refused. The dynamic tables do not show code that
 * addresses data PC-relatively, so a shared object is never split-capable.
 */
#include "dynamic.h"
#include "lowering.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <string.h>

#include "modformat.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif

/* The allocated section holding [addr, addr + width), or 0. */
static uint32_t section_at(const mp_elf *m, uint64_t addr, unsigned width)
{
    for (size_t i = 1; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        if ((s->flags & SHF_ALLOC) && s->size >= width && addr >= s->addr &&
            addr - s->addr <= s->size - width)
            return (uint32_t)i;
    }
    return 0;
}

static int is_tls(const char *type_name)
{
    return strstr(type_name, "TLS") || strstr(type_name, "DTP") || strstr(type_name, "TPOFF") ||
           strstr(type_name, "TPREL");
}

/* The allow-list's refusals: every type this file does not lower. */
static int refuse(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, unsigned word)
{
    const mp_dyn_types *t = c->arch->dyn;
    if (r->type == t->copy)
        return mp_reloc_error(c, rs, r, "a copy relocation (a firmware variable copied into the "
                              "module) cannot be made at load time",
                              "compile with -fPIC and link with -shared, not -fPIE/-pie");
    if (r->type == t->irelative)
        return mp_reloc_error(c, rs, r, "an ifunc resolver would have to run at load time",
                              "do not use ifunc");
    if (is_tls(MP_RNAME(c, r->type)))
        return mp_reloc_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    if (r->type == (word == 8 ? t->abs32 : t->abs64))
        return mp_reloc_error(c, rs, r, "an absolute field that is not address-sized",
                              "compile every object of the module with -fPIC");
    return mp_reloc_error(c, rs, r, "a dynamic relocation of this type cannot be lowered "
                          "(only RELATIVE, GLOB_DAT, JUMP_SLOT and address-sized absolute words "
                          "can)", "compile every object of the module with -fPIC, so that the "
                          "linker leaves no text relocations");
}

/* The segment that link address v lies in (an address just past the code
 * counts as code only when it is not also the start of the data). */
static int segment_of(const mp_layout *L, uint64_t v)
{
    const mp_seg *cs = &L->seg[MODP_SEG_CODE], *ds = &L->seg[MODP_SEG_DATA];
    if (v >= cs->base && v - cs->base < cs->size)
        return MODP_SEG_CODE;
    if (v >= ds->base && v - ds->base <= (uint64_t)ds->size + ds->bss)
        return MODP_SEG_DATA;
    if (v == cs->base + cs->size)
        return MODP_SEG_CODE;
    return MP_SEG_NONE;
}

static int lower_one(mp_ctx *c, const mp_relsec *table, const mp_reloc *r, unsigned word)
{
    const mp_dyn_types *t = c->arch->dyn;
    mp_module *mod = c->mod;
    if (r->type == 0)                   /* R_*_NONE: nothing to do */
        return 0;
    /* Messages name the section the site lies in, not the table. */
    mp_relsec rs = *table;
    rs.target = section_at(c->m, r->offset, word);
    const mp_section *s = &c->m->sec[rs.target];

    int relative = r->type == t->relative;
    int replace = r->type == t->glob_dat || r->type == t->jump_slot;
    int abs = r->type == (word == 8 ? t->abs64 : t->abs32);
    if (!relative && !replace && !abs)
        return refuse(c, &rs, r, word);
    if (rs.target == 0)
        return mp_error("%s: malformed ELF: %s relocation at 0x%llx lies outside every section",
                        c->m->path, MP_RNAME(c, r->type), (unsigned long long)r->offset);
    if (s->seg == MP_SEG_NONE)
        return mp_reloc_error(c, &rs, r, "the relocation patches a section that is not part "
                              "of the module", NULL);
    if (s->bss)
        return mp_reloc_error(c, &rs, r, "relocation in a NOBITS (bss) section", NULL);
    uint8_t *p = mp_seg_at(&mod->L, s->seg, r->offset, word);
    if (!p)
        return mp_reloc_error(c, &rs, r, "the site lies outside the segment's stored bytes", NULL);

    uint64_t addend = table->rela ? (uint64_t)r->addend : replace ? 0 : rdn(p, word);
    mp_target tg;
    if (relative) {
        memset(&tg, 0, sizeof tg);
        tg.kind = MP_T_SEG;
        tg.seg = segment_of(&mod->L, addend);
        if (tg.seg == MP_SEG_NONE) {
            char why[160];
            snprintf(why, sizeof why, "the address 0x%llx lies outside the module's code and data",
                     (unsigned long long)addend);
            return mp_reloc_error(c, &rs, r, why, NULL);
        }
    } else if (mp_resolve(c, &rs, r, &tg) != 0) {
        return -1;
    } else if (c->m->sym[r->sym].type == STT_GNU_IFUNC) {
        return mp_reloc_error(c, &rs, r, "the symbol is an ifunc, whose resolver would have "
                              "to run at load time", "do not use ifunc");
    } else {
        addend += tg.value;             /* S + A; an import's value is 0 */
    }
    if (tg.kind == MP_T_ABS) {          /* absolute: the linker's value stands */
        wrn(p, word, addend);
        return 0;
    }
    if (tg.kind == MP_T_SEG)
        addend -= mod->L.seg[tg.seg].base;
    wrn(p, word, addend);
    mp_add_fixup(c, word == 8 ? MODP_FIX_WORD64 : MODP_FIX_WORD32, s->seg, r->offset, r->offset,
                 &tg);
    return 0;
}

static int lower_dynamic(mp_ctx *c)
{
    mp_elf *m = c->m;
    mp_module *mod = c->mod;
    if (!c->arch->dyn)
        return mp_error("%s: shared objects (ET_DYN) are not supported for %s; link an executable "
                        "with --emit-relocs -T module.ld", m->path, c->arch->name);
    size_t dynamic = 0;
    for (size_t i = 1; i < m->nsec && !dynamic; i++)
        dynamic = m->sec[i].type == SHT_DYNAMIC ? i : 0;
    if (!dynamic || m->symtab == 0 || m->sec[m->symtab].type != SHT_DYNSYM)
        return mp_error("%s: input is a shared object or PIE (ET_DYN); it has no %s: link it with "
                        "-shared, or link an executable with --emit-relocs -T module.ld", m->path,
                        dynamic ? "dynamic symbol table (.dynsym)" : ".dynamic section");
    unsigned word = m->cls == ELFCLASS64 ? 8 : 4;
    for (size_t i = 1; i < m->nsec; i++)
        if (m->sec[i].type == SHT_RELR)
            return mp_error("%s: section %s: packed relative relocations are not supported; link "
                            "without -z pack-relative-relocs", m->path, m->sec[i].name);
    for (size_t i = 0; i < m->nrel; i++) {
        const mp_relsec *rs = &m->rel[i];
        const mp_section *s = &m->sec[rs->index];
        if (!(s->flags & SHF_ALLOC))
            continue;   /* static relocations (-Wl,-q): against .symtab, not needed here */
        if (s->link != m->symtab)
            return mp_error("%s: section %s: dynamic relocations that do not use the dynamic "
                            "symbol table", m->path, s->name);
        for (size_t k = 0; k < rs->n; k++)
            if (lower_one(c, rs, &rs->r[k], word) != 0)
                return -1;
    }
    mod->flags &= (uint16_t)~MODP_F_SPLIT;
    snprintf(mod->split_reason, sizeof mod->split_reason,
             "shared object (ET_DYN) input: code may address data PC-relatively, "
             "which the dynamic relocations do not show");
    return 0;
}

int mp_lower_dynamic(mp_elf *m, const mp_arch *arch, mp_layout *L, mp_module *mod)
{
    mp_ctx c;
    mp_lowering_begin(&c, m, arch, L, mod);
    return mp_lowering_end(&c, lower_dynamic(&c));
}
