/* options.h - what `modpack build` was asked for, as the pipeline's stages
 * read it (the command line is cmd_build.c's). */
#ifndef MODPACK_OPTIONS_H
#define MODPACK_OPTIONS_H

struct modload_abi;

typedef struct mp_options {
    const char *name, *description, *version;
    const char *entry, *exit;   /* symbol names, or NULL for the defaults */
    int strip;
    /* --export-entry-exit: export the entry and exit functions too (by
     * default they are only in the header) */
    int export_entry_exit;
    int record_tool;            /* --record-tool: the tool metadata record */
    /* --no-relocs: an ET_EXEC without relocation sections is packed as it is */
    int no_relocs;
    int compress;               /* --compress: segments as raw deflate (format 1.2) */
    int verbose;
    /* --firmware: the MODP_META_ABI record to write, or NULL */
    const struct modload_abi *abi;
} mp_options;

#endif
