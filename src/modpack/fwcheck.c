/* fwcheck.c - refuse a module that imports what the firmware does not
 * export, naming every such import and where it is used. */
#include "fwcheck.h"
#include "arch.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <string.h>

#define MAX_USES 4 /* listed per import; the rest are counted */

/* Print the relocations that use the undefined symbol name; how many. */
static size_t print_uses(const mp_elf *m, const char *name)
{
    const mp_arch *arch = mp_arch_find(m->machine);
    int bit0 = arch && arch->func_bit0;   /* ARM: the Thumb bit is not part of the address */
    size_t n = 0;
    for (size_t k = 0; k < m->nrel; k++) {
        const mp_relsec *rs = &m->rel[k];
        if (rs->target == 0 || rs->target >= m->nsec || m->sec[rs->target].seg == MP_SEG_NONE)
            continue;
        const mp_section *s = &m->sec[rs->target];
        for (size_t j = 0; j < rs->n; j++) {
            const mp_symbol *y = &m->sym[rs->r[j].sym];
            if (rs->r[j].sym == 0 || y->shndx != SHN_UNDEF || strcmp(y->name, name) != 0)
                continue;
            if (n++ >= MAX_USES)
                continue;
            uint64_t a = rs->r[j].offset;
            uint64_t off = m->type != ET_REL && a >= s->addr ? a - s->addr : a;
            const char *fn = mp_function_at(m, rs->target, m->type != ET_REL ? a : s->addr + a, bit0);
            fprintf(stderr, "%s%s+0x%llx", n > 1 ? ", " : " used at ", s->name, (unsigned long long)off);
            if (fn)
                fprintf(stderr, " (in %s)", fn);
        }
    }
    if (n > MAX_USES)
        fprintf(stderr, " and %zu more", n - MAX_USES);
    return n;
}

/* The firmware ELF inputs are for the module's ISA, ELF class, CPU and ABI. */
static int check_isa(const mp_elf *m, const mp_module *mod, const mp_fwnames *fw)
{
    const mp_arch *ma = mp_arch_find_elf(m->machine, m->cls);
    for (size_t i = 0; i < fw->nelf; i++) {
        mp_elf f;
        if (mp_elf_open(&f, fw->elfs[i]) != 0)
            return -1;
        const mp_arch *fa = mp_arch_find_elf(f.machine, f.cls);
        int rc = 0;
        if (f.machine != m->machine || f.cls != m->cls) {
            char what[32];
            snprintf(what, sizeof what, "machine %u", f.machine);
            rc = mp_error("%s: the module is for %s, but the firmware %s is for %s; give --firmware "
                          "the firmware this module runs on", m->path, ma ? ma->name : "?",
                          fw->elfs[i], fa && fa->machine == f.machine && fa->elfclass == f.cls ? fa->name
                                                                                              : what);
        } else if (ma && ma->fw_check) {
            rc = ma->fw_check(m->path, mod->arch_flags, &f);
        }
        mp_elf_close(&f);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int mp_fwcheck(const mp_elf *m, const mp_module *mod, const mp_fwnames *fw, const char *fwdesc)
{
    size_t missing = 0;
    if (check_isa(m, mod, fw) != 0)
        return -1;
    /* A weak import the firmware lacks is bound to 0 at load: the module
     * tests for it, so it is worth a note, not a refusal. */
    for (size_t i = 0; i < mod->nimp; i++) {
        if (mp_fwnames_find(fw, mod->imp[i].name))
            continue;
        if (mod->imp[i].weak)
            fprintf(stderr, "modpack: note: %s: weak import '%s' is not exported by the firmware "
                    "(%s): modload binds it to 0\n", m->path, mod->imp[i].name, fwdesc);
        else
            missing++;
    }
    if (!missing)
        return 0;
    mp_error("%s: %zu import%s not exported by the firmware (%s); nothing written:", m->path,
             missing, missing == 1 ? " is" : "s are", fwdesc);
    for (size_t i = 0; i < mod->nimp; i++) {
        if (mod->imp[i].weak || mp_fwnames_find(fw, mod->imp[i].name))
            continue;
        fprintf(stderr, "  %s", mod->imp[i].name);
        if (!print_uses(m, mod->imp[i].name))
            fprintf(stderr, " (used by a dynamic relocation)");
        fputc('\n', stderr);
    }
    return mp_error("export them from the firmware (MODLOAD_EXPORT, then modpack exports), remove "
                    "their uses from the module, or give --firmware the firmware it is built for");
}
