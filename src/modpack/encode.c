/* encode.c - the image writer. Field order and encodings follow
 * formats/image-format.md exactly; modload_check is the judge (the tests
 * re-read every image through it). */
#include "encode.h"
#include "compress.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "modformat.h"
#include "modload.h"

static int cmp_fixup(const void *a, const void *b)
{
    const mp_fixup *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->seg != y->seg)
        return x->seg < y->seg ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* The kind's properties: include/modformat.h's table. */
static int is_pair(unsigned kind)
{
    return MODP_KINDS_IN(MODP_KINDS_PAIR, kind);
}

static uint32_t width_of(unsigned kind)
{
    return MODP_KIND_WIDTH(kind);
}

/* Largest unit 2^u (u <= 3) dividing every gap (and every pair delta). */
static unsigned pick_unit(const mp_fixup *f, size_t n)
{
    uint32_t w = width_of(f[0].kind), cursor = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        bits |= f[i].off - cursor;
        if (is_pair(f[i].kind))
            bits |= f[i].off2 - f[i].off;
        cursor = f[i].off + w;
    }
    unsigned u = 0;
    while (u < 3 && !(bits & ((2u << u) - 1)))
        u++;
    return u;
}

/* One group: sites of one kind in one segment, sorted. */
static void encode_group(mp_buf *out, const mp_fixup *f, size_t n)
{
    unsigned kind = f[0].kind, u = pick_unit(f, n);
    uint32_t w = width_of(kind), cursor = 0;
    mp_buf ops = {0};
    size_t nops = 0;
    for (size_t i = 0; i < n;) {
        uint32_t gap = f[i].off - cursor;
        if (MODP_KINDS_IN(MODP_KINDS_OPERAND, kind)) {
            buf_uleb(&ops, gap >> u);           /* gap, then the operand */
            buf_uleb(&ops, f[i].arg);
            cursor = f[i].off + w;
            i++;
        } else if (is_pair(kind)) {
            int32_t delta = (int32_t)(f[i].off2 - f[i].off);
            buf_uleb(&ops, gap >> u);
            buf_sleb(&ops, delta / (1 << u));   /* exact: the unit divides it */
            cursor = f[i].off + w;
            i++;
        } else if (gap) {
            buf_uleb(&ops, (gap >> u) << 1);    /* even: skip, then one fixup */
            cursor = f[i].off + w;
            i++;
        } else {
            size_t r = 1;                       /* odd: r fixups in a row */
            while (i + r < n && f[i + r].off == f[i].off + r * w)
                r++;
            buf_uleb(&ops, (uint32_t)((r - 1) << 1 | 1));
            cursor = f[i].off + (uint32_t)r * w;
            i += r;
        }
        nops++;
    }
    buf_u8(out, MODP_G_HEAD(kind, f[0].seg, u));
    buf_uleb(out, (uint32_t)nops);
    buf_put(out, ops.p, ops.len);
    buf_free(&ops);
}

static void encode_block(mp_buf *out, mp_fixup *f, size_t n, uint32_t target,
                         const mp_import *imp, int stripped)
{
    qsort(f, n, sizeof *f, cmp_fixup);
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++)
        ngroups += i == 0 || f[i].kind != f[i - 1].kind || f[i].seg != f[i - 1].seg;
    /* ngroups <= kinds x segments: far below the 2^30 the uleb allows. */
    if (imp)
        target = imp->weak ? MODP_TGT_WEAK : MODP_TGT_IMPORT;
    buf_uleb(out, (uint32_t)ngroups << 2 | target);
    if (imp) {
        size_t len = stripped ? 0 : strlen(imp->name);
        buf_u8(out, (unsigned)len);
        if (len) {
            buf_put(out, imp->name, len);
            buf_u8(out, 0);
        } else {
            buf_u32(out, imp->hash);
        }
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && f[j].kind == f[i].kind && f[j].seg == f[i].seg)
            j++;
        encode_group(out, f + i, j - i);
        i = j;
    }
}

void mp_encode_fixups(mp_buf *out, const mp_fixup *fx, size_t nfx, const mp_import *imp,
                      size_t nimp, int stripped)
{
    /* Bucket the fixups by target (a stable counting sort): linear in
     * fixups plus targets, however many imports there are. */
    size_t ntgt = MODP_TGT_IMPORT + nimp;
    size_t *start = mp_calloc(ntgt + 1, sizeof *start);
    mp_fixup *tmp = mp_malloc((nfx ? nfx : 1) * sizeof *tmp);
    for (size_t i = 0; i < nfx; i++)
        if (fx[i].target < ntgt)
            start[fx[i].target + 1]++;
    for (size_t t = 0; t < ntgt; t++)
        start[t + 1] += start[t];
    size_t *fill = mp_malloc((ntgt ? ntgt : 1) * sizeof *fill);
    memcpy(fill, start, ntgt * sizeof *fill);
    for (size_t i = 0; i < nfx; i++)
        if (fx[i].target < ntgt)
            tmp[fill[fx[i].target]++] = fx[i];
    for (uint32_t t = 0; t < ntgt; t++) {
        size_t n = start[t + 1] - start[t];
        if (n == 0 && t < MODP_TGT_IMPORT)
            continue;   /* segment blocks only when used; imports always */
        encode_block(out, tmp + start[t], n, t, t >= MODP_TGT_IMPORT ? &imp[t - MODP_TGT_IMPORT] : NULL,
                     stripped);
    }
    free(fill);
    free(start);
    free(tmp);
}

static int meta_string(mp_buf *b, unsigned type, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n > 0xFFFF)
        return mp_error("metadata string too long (%zu bytes)", n);
    buf_u8(b, type);
    buf_u16(b, (unsigned)n);
    buf_put(b, s, n);
    return 0;
}

static uint64_t fnv64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

static int has_ctors(const mp_module *mod)
{
    return mod->L.ctor[MP_INIT].count || mod->L.ctor[MP_FINI].count;
}

/* The oldest minor version whose additions the image uses (spec section
 * 12): 1.2 for compressed segments; 1.1 for the kinds RV_PCREL and REL32,
 * weak imports and constructors; an image without them stays 1.0, byte
 * for byte. */
static unsigned image_minor(const mp_module *mod, const mp_options *opt)
{
    if (opt->compress)
        return 2;
    for (size_t i = 0; i < mod->nfx; i++)
        if (mod->fx[i].kind == MODP_FIX_RV_PCREL || mod->fx[i].kind == MODP_FIX_REL32)
            return 1;
    for (size_t i = 0; i < mod->nimp; i++)
        if (mod->imp[i].weak)
            return 1;
    return has_ctors(mod) ? 1 : 0;
}

int mp_encode_image(const mp_module *mod, const mp_options *opt, const char *name, mp_buf *out)
{
    const mp_seg *code = &mod->L.seg[MODP_SEG_CODE], *data = &mod->L.seg[MODP_SEG_DATA];
    int stripped = (mod->flags & MODP_F_STRIPPED) != 0;

    mp_buf fix = {0}, exp = {0}, str = {0}, meta = {0}, zcode = {0}, zdata = {0};
    mp_encode_fixups(&fix, mod->fx, mod->nfx, mod->imp, mod->nimp, stripped);

    for (size_t i = 0; i < mod->nexp; i++) {
        const mp_export *e = &mod->exp[i];
        unsigned noff = MODP_NO_NAME;
        if (!stripped) {
            if (str.len >= MODP_NO_NAME)
                goto too_many_names;
            noff = (unsigned)str.len;
            buf_put(&str, e->name, strlen(e->name) + 1);
        }
        buf_u32(&exp, e->hash);
        buf_u32(&exp, e->value);
        buf_u16(&exp, noff);
        buf_u8(&exp, e->seg);
        buf_u8(&exp, e->type);
    }

    if (meta_string(&meta, MODP_META_NAME, name) ||
        (opt->description && meta_string(&meta, MODP_META_DESCRIPTION, opt->description)) ||
        (opt->version && meta_string(&meta, MODP_META_VERSION, opt->version)))
        goto fail;
    buf_u8(&meta, MODP_META_BUILD_ID);
    if (mod->build_id) {
        buf_u16(&meta, (unsigned)mod->build_id_len);
        buf_put(&meta, mod->build_id, mod->build_id_len);
    } else {
        uint64_t h = 0xCBF29CE484222325ull;
        h = fnv64(h, code->bytes, code->size);
        h = fnv64(h, data->bytes, data->size);
        h = fnv64(h, fix.p, fix.len);
        buf_u16(&meta, 8);
        for (int i = 0; i < 8; i++)
            buf_u8(&meta, (unsigned)(h >> (8 * i)) & 0xFF);
    }
    /* Informational only (nothing but inspect reads it): 17 bytes of a
     * small image, so written when asked for. */
    if (opt->record_tool && meta_string(&meta, MODP_META_TOOL, MODPACK_TOOL))
        goto fail;
    if (!(mod->flags & MODP_F_SPLIT) && mod->split_reason[0] &&
        meta_string(&meta, MODP_META_NOSPLIT, mod->split_reason))
        goto fail;
    if (opt->abi) {
        buf_u8(&meta, MODP_META_ABI);
        buf_u16(&meta, MODP_META_ABI_SIZE);
        buf_u32(&meta, opt->abi->id);
        buf_u16(&meta, opt->abi->major);
        buf_u16(&meta, opt->abi->minor);
    }
    if (has_ctors(mod)) {
        buf_u8(&meta, MODP_META_INIT);
        buf_u16(&meta, MODP_META_INIT_SIZE);
        for (int k = MP_INIT; k <= MP_FINI; k++) {
            buf_u32(&meta, mod->L.ctor[k].offset);
            buf_u32(&meta, mod->L.ctor[k].count);
        }
    }

    /* The code aligned in the image for execute in place; a compressed
     * image is never run in place, and has its stored sizes after the 1.0
     * fields (section 14). */
    uint32_t calign = opt->compress ? 8 : 1u << code->align;
    uint32_t hstep = calign > 8 ? calign : 8;
    uint32_t hmin = opt->compress ? MODP_HEADER_COMPRESSED : MODP_HEADER_MIN;
    uint32_t hsize = (hmin + hstep - 1) / hstep * hstep;
    const void *cbytes = code->bytes, *dbytes = data->bytes;
    size_t clen = code->size, dlen = data->size;
    if (opt->compress) {
        if (mp_deflate(code->bytes, code->size, &zcode) || mp_deflate(data->bytes, data->size, &zdata))
            goto fail;
        cbytes = zcode.p, clen = zcode.len;
        dbytes = zdata.p, dlen = zdata.len;
    }
    /* The parts in file order (MODP_IMAGE_PARTS); the header is made below. */
    const struct { const void *p; size_t len; } part[MODP_PARTS] = {
        [MODP_PART_CODE] = {cbytes, clen},            [MODP_PART_DATA] = {dbytes, dlen},
        [MODP_PART_FIXUPS] = {fix.p, fix.len},        [MODP_PART_EXPORTS] = {exp.p, exp.len},
        [MODP_PART_STRTAB] = {str.p, str.len},        [MODP_PART_META] = {meta.p, meta.len},
    };
    uint64_t total = (uint64_t)hsize + MODP_CRC_SIZE;
    for (int i = MODP_PART_HEADER + 1; i < MODP_PARTS; i++)
        total += part[i].len;
    if (total > 0x7FFFFFFFu) {
        mp_error("image too large");
        goto fail;
    }

    uint8_t h[MODP_HEADER_COMPRESSED];
    memset(h, 0, sizeof h);
    memcpy(h + MODP_H_MAGIC, MODP_MAGIC, 4);
    h[MODP_H_MAJOR] = MODP_VERSION_MAJOR;
    h[MODP_H_MINOR] = (uint8_t)image_minor(mod, opt);
    wr16(h + MODP_H_HEADER_SIZE, hsize);
    wr16(h + MODP_H_ARCH, mod->arch);
    /* Compressed code does not run from the image: no XIP (cmd_build.c
     * refuses --require xip with --compress). */
    wr16(h + MODP_H_FLAGS, (opt->compress ? (mod->flags & ~MODP_F_XIP) | MODP_F_COMPRESSED : mod->flags) |
                               (has_ctors(mod) ? MODP_F_INIT : 0));
    wr32(h + MODP_H_ARCH_FLAGS, mod->arch_flags);
    wr32(h + MODP_H_IMAGE_SIZE, (uint32_t)total);
    wr32(h + MODP_H_CODE_SIZE, code->size);
    wr32(h + MODP_H_DATA_SIZE, data->size);
    wr32(h + MODP_H_BSS_SIZE, data->bss);
    wr32(h + MODP_H_DATA_OFFSET, mod->L.data_offset);
    h[MODP_H_CODE_ALIGN] = (uint8_t)code->align;
    h[MODP_H_DATA_ALIGN] = (uint8_t)data->align;
    wr32(h + MODP_H_ENTRY, mod->entry);
    wr32(h + MODP_H_EXIT, mod->exit);
    wr32(h + MODP_H_FIXUP_SIZE, (uint32_t)fix.len);
    wr32(h + MODP_H_NFIXUPS, (uint32_t)mod->nfx);
    wr32(h + MODP_H_NIMPORTS, (uint32_t)mod->nimp);
    wr32(h + MODP_H_NEXPORTS, (uint32_t)mod->nexp);
    wr32(h + MODP_H_STRTAB_SIZE, (uint32_t)str.len);
    wr32(h + MODP_H_META_SIZE, (uint32_t)meta.len);
    wr32(h + MODP_H_CODE_STORED, (uint32_t)clen);
    wr32(h + MODP_H_DATA_STORED, (uint32_t)dlen);

    buf_put(out, h, hmin);
    while (out->len < hsize)
        buf_u8(out, 0);
    for (int i = MODP_PART_HEADER + 1; i < MODP_PARTS; i++)
        buf_put(out, part[i].p, part[i].len);
    buf_u32(out, (uint32_t)crc32(0L, out->p, (uInt)out->len));

    buf_free(&zcode);
    buf_free(&zdata);
    buf_free(&fix);
    buf_free(&exp);
    buf_free(&str);
    buf_free(&meta);
    return 0;

too_many_names:
    mp_error("export names take more than 64 KiB; use --strip-names");
fail:
    buf_free(&zcode);
    buf_free(&zdata);
    buf_free(&fix);
    buf_free(&exp);
    buf_free(&str);
    buf_free(&meta);
    return -1;
}
