/* layout.h - sort the ELF's allocated sections into the code and data
 * segments of the image (formats/image-format.md section 4). */
#ifndef MODPACK_LAYOUT_H
#define MODPACK_LAYOUT_H

#include "mpelf.h"

typedef struct mp_seg {
    uint64_t base;            /* link address of the segment's first byte */
    uint32_t size;            /* stored bytes (code grows with veneers) */
    uint32_t bss;             /* data only: zero bytes after the stored ones */
    unsigned align;           /* log2 */
    uint8_t *bytes;           /* size bytes, gaps zero-filled */
    size_t cap;
    const char *first, *last; /* section names, for messages */
} mp_seg;

/* A constructor or destructor list: its link addresses, then (once the
 * data segment is laid out) its data offset and pointer-sized entries. */
typedef struct mp_ctor_list {
    uint64_t lo, hi, bytes;   /* span of its sections, and their sizes summed */
    const char *name;         /* a section of it, for messages */
    uint32_t offset, count;
} mp_ctor_list;

enum { MP_INIT, MP_FINI };

typedef struct mp_layout {
    mp_seg seg[2];            /* MODP_SEG_CODE, MODP_SEG_DATA */
    uint32_t data_offset;     /* data link address minus code link address */
    mp_ctor_list ctor[2];     /* MP_INIT (.preinit_array then .init_array), MP_FINI */
} mp_layout;

/* Classify every section (sets mp_section.seg), check the rules, copy bytes. */
int mp_layout_build(mp_elf *m, mp_layout *L);
void mp_layout_free(mp_layout *L);

/* Pointer to width bytes at link address addr of segment seg, or NULL when
 * they are not all stored bytes of that segment. */
uint8_t *mp_seg_at(mp_layout *L, int seg, uint64_t addr, uint32_t width);

/* Append n bytes to the code segment at an offset aligned to 2^align;
 * returns that offset. */
uint32_t mp_code_append(mp_layout *L, const void *bytes, uint32_t n, unsigned align);

#endif
