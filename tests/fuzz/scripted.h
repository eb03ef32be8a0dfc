/* scripted.h - what the script-driven harnesses (fuzz_modreg.c,
 * fuzz_modslot.c) share: an input cut into an image and the script of
 * steps after it, the firmware the image imports from, and a copy of the
 * image that runs no module code (the host must not run it).
 */
#ifndef FUZZ_SCRIPTED_H
#define FUZZ_SCRIPTED_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_table.h"
#include "modload.h"

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The input is an image and then its script, of which at most max_steps
 * bytes count; an input whose header leaves no room for a script is all
 * image and runs def[ndef]. Returns 0 for one too short for an image. */
static inline int split_input(const uint8_t *data, size_t size, const uint8_t *def, size_t ndef,
                              size_t max_steps, size_t *ilen, const uint8_t **script, size_t *nscript)
{
    if (size < MODP_HEADER_MIN + 4)
        return 0;
    *ilen = rd32(data + MODP_H_IMAGE_SIZE);
    if (*ilen < MODP_HEADER_MIN + 4 || *ilen >= size) {
        *ilen = size;
        *script = def;
        *nscript = ndef;
    } else {
        *script = data + *ilen;
        *nscript = size - *ilen;
        if (*nscript > max_steps)
            *nscript = max_steps;
    }
    return 1;
}

/* ---- the firmware --------------------------------------------------------- */

static const char *const fw_names[] = {"fw_puts", "fw_printf", "fw_val", "module_helper"};
#define NFW (sizeof fw_names / sizeof fw_names[0])
static modload_symbol fw_syms[NFW];

static inline void init_fw(void)
{
    static int done;
    if (!done) {
        fw_table(fw_syms, fw_names, NFW);
        done = 1;
    }
}

/* The firmware knows 31 imports in 32 by hash; the rest must come from the
 * other modules (or stay unresolved). */
static inline int fw_resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)name;
    if ((hash & 31u) == 31u)
        return -1;
    *addr = 0x08000000u | (hash & 0x00FFFFFEu);
    return 0;
}

/* fw_syms (after init_fw) and fw_resolve. */
static const modload_env fw_env = {fw_syms, NFW, fw_resolve, NULL, NULL, NULL, NULL};

/* ---- an image that runs no module code ------------------------------------- */

/* img[len] copied to dst with entry and exit MODP_NONE and the constructor
 * and destructor lists empty, the CRC made right again when it was; on_name
 * sees each name record's bytes in dst (and may change them) before the
 * CRC is made right. Returns what modload_check says of the copy. */
static inline int copy_inert(uint8_t *dst, const uint8_t *img, size_t len,
                             void (*on_name)(void *ctx, uint8_t *bytes, uint32_t n), void *ctx)
{
    modload_image mi;
    modload_meta m;
    uint32_t pos = 0, isize = rd32(img + MODP_H_IMAGE_SIZE);
    int rc;

    memcpy(dst, img, len);
    wr32(dst + MODP_H_ENTRY, MODP_NONE);
    wr32(dst + MODP_H_EXIT, MODP_NONE);
    if (isize >= MODP_HEADER_MIN + 4 && isize <= len && modload_crc32(0, img, isize - 4) == rd32(img + isize - 4))
        wr32(dst + isize - 4, modload_crc32(0, dst, isize - 4));
    if ((rc = modload_check(dst, len, &mi)) != MODLOAD_OK)
        return rc;
    while (modload_meta_next(&mi, &pos, &m) == MODLOAD_OK)
        if (m.type == MODP_META_NAME) {
            on_name(ctx, dst + (m.bytes - dst), m.len);
        } else if (m.type == MODP_META_INIT) {
            wr32(dst + (m.bytes - dst) + MODP_INIT_COUNT, 0);
            wr32(dst + (m.bytes - dst) + MODP_FINI_COUNT, 0);
        }
    wr32(dst + mi.size - 4, modload_crc32(0, dst, mi.size - 4));
    return modload_check(dst, len, &mi);
}

#endif
