/* ref_reloc.h - a reference relocation, written from
 * formats/image-format.md alone (sections 2, 3, 5, 6, 6.1), for the place
 * harness to compare modload's placed bytes with.
 *
 * It shares no code with modload (nor modformat.h): its own header reader,
 * LEB128 reader, stream walk and instruction patching. It assumes an image
 * modload_check accepted (it still never reads outside the image or writes
 * outside the two copies) and applies every fixup, in stream order, to
 * copies of the code and data segments.
 */
#ifndef FUZZ_REF_RELOC_H
#define FUZZ_REF_RELOC_H

#include <stddef.h>
#include <stdint.h>

enum ref_result {
    REF_OK = 0,
    REF_MALFORMED,    /* the stream breaks the spec (a checked image never does) */
    REF_UNKNOWN_KIND, /* a kind this reference does not implement: no comparison */
    REF_UNRESOLVED,   /* the import callback knows no address */
    REF_BAD_INSN,     /* the site holds no instruction of the kind's type */
    REF_RANGE,        /* rv64 RV_HI20 beyond what a LUI reaches */
    REF_XIP_SITE,     /* a code site while the code runs in place */
    REF_WORDS_PAIR    /* a code pair while code is written in aligned words */
};

typedef struct ref_reloc {
    uint8_t *code, *data;        /* copies of the stored segment bytes, patched */
    uint32_t code_size, data_size;
    uint64_t code_run, data_run;
    int xip, code_words;         /* placement: code in place; code in words */
    /* address of an import; 0 when unknown. name "" when stripped. */
    int (*import)(void *ctx, const char *name, uint32_t hash, uint64_t *addr);
    void *ctx;
    uint32_t fixups;             /* out: fixups applied */
    uint32_t kinds;              /* out: bit k for each kind met */
} ref_reloc;

/* Read the segment sizes of image (len bytes) and allocate r->code and
 * r->data as copies (free with ref_free); 0 on a header too short. */
int ref_init(ref_reloc *r, const uint8_t *image, size_t len);
void ref_free(ref_reloc *r);

/* Apply the image's fixups to r->code and r->data; an enum ref_result. */
int ref_apply(ref_reloc *r, const uint8_t *image, size_t len);

#endif
