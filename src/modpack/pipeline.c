/* pipeline.c - the stages of `modpack build` from an opened ELF to a
 * lowered module (pipeline.h). */
#include "pipeline.h"
#include "dynamic.h"
#include "finish.h"
#include "layout.h"
#include "link.h"
#include "lower.h"
#include "util.h"

#include <gelf.h>
#include <string.h>

static const char *etype_name(unsigned t)
{
    switch (t) {
    case ET_REL: return "a relocatable object (ET_REL)";
    case ET_DYN: return "a shared object or PIE (ET_DYN)";
    case ET_CORE: return "a core file";
    default: return "not an executable";
    }
}

int mp_normalise(mp_elf *m, const mp_arch **arch)
{
    const mp_arch *a = mp_arch_find_elf(m->machine, m->cls);
    if (!a)
        return mp_error("%s: ELF machine %u is not supported (supported: %s)", m->path,
                        (unsigned)m->machine, mp_arch_names());
    if (m->cls != a->elfclass)
        return mp_error("%s: %s modules must be ELF%s", m->path, a->name,
                        a->elfclass == ELFCLASS32 ? "32" : "64");
    if (m->type != ET_REL && m->type != ET_DYN && m->type != ET_EXEC)
        return mp_error("%s: input is %s; modpack takes an executable linked with --emit-relocs "
                        "-T module.ld (ET_EXEC), a shared object (ET_DYN) or an object file (ET_REL)",
                        m->path, etype_name(m->type));
    if (m->type == ET_REL && mp_link(m, a) != 0)   /* modpack links it itself */
        return -1;
    *arch = a;
    return 0;
}

int mp_module_from_elf(mp_elf *m, const mp_options *opt, mp_module *mod)
{
    const mp_arch *arch = NULL;
    mp_layout L;
    memset(mod, 0, sizeof *mod);
    if (mp_normalise(m, &arch) != 0)
        return -1;
    if (mp_layout_build(m, &L) != 0) {
        mp_layout_free(&L);
        return -1;
    }
    /* the lowering takes over L */
    int rc = m->type == ET_DYN ? mp_lower_dynamic(m, arch, &L, mod) : mp_lower_relocs(m, arch, &L, mod, opt->no_relocs);
    if (rc != 0)
        return -1;
    return mp_finish(m, opt, mod);
}
