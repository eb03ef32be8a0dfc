/* isa/list.h - the ISAs modpack supports: one MP_ISA(mp_arch variable)
 * per line, each defined in isa/<isa>/lower.c. lower.c expands the list
 * into its table of ISAs; everything else that lists ISAs (the
 * "supported:" message, inspect's names) is derived from that table. */
MP_ISA(mp_arch_arm)
MP_ISA(mp_arch_riscv)
MP_ISA(mp_arch_riscv64)
MP_ISA(mp_arch_i386)
MP_ISA(mp_arch_x86_64)
MP_ISA(mp_arch_xtensa)
