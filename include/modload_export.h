/* modload_export.h - export firmware symbols to modules.
 *
 * In the firmware source, next to a function or object modules may use:
 *
 *   #include "modload_export.h"
 *   void fw_puts(const char *s) { ... }
 *   MODLOAD_EXPORT(fw_puts);
 *
 * MODLOAD_EXPORT only records the name, in the section .modload_exports of
 * the object file; it adds no code or data to the firmware (the section is
 * not allocated, see samples/ld/modload_exports.ld). modpack turns the names
 * into the table modload searches, in one pass before the link:
 *
 *   cc -c fw.c api.c
 *   modpack exports fw.o api.o --abi-version 2.1 -o fw_exports.c
 *   cc -c fw_exports.c && cc fw.o api.o fw_exports.o -o fw.elf
 *
 * and fw_exports.c defines the three objects declared below, for the
 * firmware's modload_env:
 *
 *   modload_env env = { .syms = modload_fw_syms, .nsyms = modload_fw_nsyms,
 *                       .abi = &modload_fw_abi };
 *
 * Modules built with `modpack build --firmware fw.elf --abi-version 2.1`
 * (or the objects, or a list of the names) are checked against the same
 * names at build time and carry the same ABI.
 *
 * The symbol must be global (not static) and have a C identifier as name.
 * Exporting a name twice is harmless.
 */
#ifndef MODLOAD_EXPORT_H
#define MODLOAD_EXPORT_H

#include "modload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The table and ABI that `modpack exports` generates. */
extern const modload_symbol modload_fw_syms[];
extern const uint32_t modload_fw_nsyms;
extern const modload_abi modload_fw_abi;

/* The name, NUL-terminated, in a section without the alloc flag: it stays
 * in objects and in the linked ELF for modpack, and is never loaded. The
 * sizeof makes an undeclared name a compile error and costs nothing. */
#define MODLOAD_EXPORT(sym)                                                        \
    __asm__(".pushsection .modload_exports,\"\",%progbits\n\t.asciz \"" #sym "\"\n\t" \
            ".popsection");                                                        \
    extern char modload_export_check_##sym[sizeof(&(sym)) ? 1 : 1]

#ifdef __cplusplus
}
#endif

#endif
