/* insn.h - what the x86 lowering (lower.c) and the host link of objects
 * (link.c) share. Every x86 relocation patches a plain little-endian
 * field (disp32, imm32, rel32 or data), so there are no instruction
 * encoders to share: the field readers and writers are util.h's. */
#ifndef MODPACK_ISA_X86_INSN_H
#define MODPACK_ISA_X86_INSN_H

#include "arch.h"

/* isa/x86/link.c, for the mp_arch rows in lower.c. */
int mp_link_i386(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
int mp_link_addend_i386(uint32_t type, const uint8_t *p, uint64_t room, int64_t *a);
int mp_link_x86_64(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const struct mp_link_site *s);
extern const struct mp_got_abi mp_got_i386, mp_got_x86_64;

#endif
