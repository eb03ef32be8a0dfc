/* arch.c - the table of ISAs (isa/list.h) and what every part of modpack
 * asks of it: which ISA an ELF is for, the supported names, relocation
 * names and the message that names a relocation. */
#include "arch.h"
#include "util.h"

#include <stdio.h>

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

const mp_arch *mp_arch_at(size_t i)
{
    return i < sizeof arches / sizeof arches[0] ? arches[i] : NULL;
}

const mp_arch *mp_arch_find_elf(uint16_t machine, unsigned elfclass)
{
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        if (arches[i]->machine == machine && arches[i]->elfclass == elfclass)
            return arches[i];
    return mp_arch_find(machine);   /* the normalise stage reports the class mismatch */
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

int mp_rel_error(const mp_elf *m, const mp_arch *a, const mp_relsec *rs, const mp_reloc *r,
                 const char *why, const char *hint)
{
    const mp_section *s = &m->sec[rs->target];
    char buf[MP_RNAME_MAX];
    return mp_error("%s: %s+0x%llx: %s against '%s': %s%s%s", m->path, s->name,
                    (unsigned long long)(r->offset - s->addr), mp_reloc_name(a, r->type, buf),
                    mp_sym_name(m, r->sym), why, hint ? "; " : "", hint ? hint : "");
}
