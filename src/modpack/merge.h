/* merge.h - the SHF_MERGE sections of relocatable input, merged as GNU ld
 * merges them (link.c calls it before placing the sections).
 *
 * Sections with the same output section, the same SHF_STRINGS flag, entry
 * size and alignment form a group. Their entries (zero-terminated strings,
 * or fixed-size constants) are kept once each, in order of first
 * occurrence; a string that is the tail of a longer one (at an offset its
 * alignment allows) lies inside that one. The group's first section takes
 * the merged bytes, the others are dropped. */
#ifndef MODPACK_MERGE_H
#define MODPACK_MERGE_H

#include <stdint.h>

#include "mpelf.h"

typedef struct mp_merge mp_merge;

/* Merge m's mergeable sections. out[i] is the output section that section
 * i goes to, or -1 when it is not loaded (dropped, not allocated); drop[i]
 * is set for every merged section but each group's first, whose bytes
 * (in *mg) and size change. Symbols defined in a merged section move to
 * the group's first: a section symbol to its start (the offset it stands
 * for depends on the addend: mp_merge_offset), any other to the merged
 * offset of its value. Returns 0 (*mg NULL when nothing merges), or -1
 * after the error. */
int mp_merge_sections(mp_elf *m, const int *out, uint8_t *drop, mp_merge **mg);

/* sym was the section symbol of a merged section: 1 and *merged, the
 * offset in the group's first section of sym + a as ld maps it; 0 when
 * sym is no such symbol; -1 after the error when a points past the
 * section's end. */
int mp_merge_offset(const mp_merge *mg, const mp_elf *m, uint32_t sym, int64_t a, uint64_t *merged);

void mp_merge_free(mp_merge *mg);

#endif
