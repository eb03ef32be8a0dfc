/* pipeline.h - `modpack build` as stages, each with its own context:
 *
 *   open       mp_elf_open                       mpelf.h  (elf.c)
 *   normalise  mp_normalise: the ISA; ET_REL     this     (pipeline.c,
 *              linked on the host, ET_DYN and             link.c)
 *              ET_EXEC taken as they are
 *   layout     mp_layout_build                   layout.h (layout.c)
 *   lower      mp_lower_relocs (ET_EXEC, ET_REL) lower.h  (lower.c)
 *              or mp_lower_dynamic (ET_DYN)      dynamic.h (dynamic.c)
 *   finish     mp_finish                         finish.h (finish.c)
 *   encode     mp_encode_image                   encode.h (encode.c)
 *   self-check modload_check, then write         cmd_build.c
 *
 * mp_module_from_elf runs normalise to finish; cmd_build.c (and the ELF
 * fuzzer) call it between open and encode. */
#ifndef MODPACK_PIPELINE_H
#define MODPACK_PIPELINE_H

#include "arch.h"
#include "module.h"
#include "options.h"

/* The ISA of m, and m ready to be laid out: a relocatable object is placed
 * and relocated on the host (link.c) as ld would. Returns 0, or -1 after
 * printing the error. */
int mp_normalise(mp_elf *m, const mp_arch **arch);

/* normalise -> layout -> lower -> finish: the opened m as a lowered module
 * (mod is set up here; free it with mp_module_free whatever the result).
 * Returns 0, or -1 after printing the error. */
int mp_module_from_elf(mp_elf *m, const mp_options *opt, mp_module *mod);

#endif
