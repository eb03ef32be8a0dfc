/* modload.c - validate, place, bind and relocate a modpack image.
 *
 * Everything read from the image is checked against the image length before
 * it is used, and every write goes through a site already checked against
 * the segment it lies in and the room the caller gave. formats/image-format.md
 * is the specification this file implements.
 */
#include "modload_internal.h"

/* ---- small readers ---------------------------------------------------- */

uint32_t modload_rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

uint32_t modload_rd32(const uint8_t *p)
{
    return modload_rd16(p) | modload_rd16(p + 2) << 16;
}

void modload_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- byte source: the image in memory, or a stream ------------------- */

/* The stream behind a cursor; constant NULL without MODLOAD_WITH_STREAM,
 * so that the stream's paths drop out. */
#if MODLOAD_WITH_STREAM
#  define CUR_ST(c) ((c)->st)
#else
#  define CUR_ST(c) ((modload_stream *)0)
#endif

/* Start the next part of the image, n bytes long. The previous part has
 * been used up. */
static void cur_part(modload_cursor *c, uint32_t n)
{
    if (CUR_ST(c))
        c->rest = n;
    else
        c->end = c->p + n;
}

#if MODLOAD_WITH_STREAM
/* Read up to max bytes of the current part from the stream into dst;
 * the count, or 0 when there is nothing more (the stream's pull). */
static uint32_t cur_read(modload_cursor *c, uint8_t *dst, uint32_t max)
{
    modload_stream *st = CUR_ST(c);
    uint32_t want = c->rest < max ? c->rest : max;
    int got;

    if (!st || !want || c->err)
        return 0;
    got = st->read(st->ctx, dst, want);
    if (got <= 0 || (uint32_t)got > want) {
        c->err = got == 0 ? MODLOAD_ERR_TRUNCATED : MODLOAD_ERR_READ;
        return 0;
    }
    st->crc = modload_crc32(st->crc, dst, (uint32_t)got);
#if MODLOAD_WITH_SHA256
    if (st->digesting)
        modload_sha256_update(&st->sha, dst, (uint32_t)got);
#endif
    c->rest -= (uint32_t)got;
    return (uint32_t)got;
}
#endif

/* Refill the window from the stream; 0 when there is nothing more. */
static int cur_fill(modload_cursor *c)
{
    modload_stream *st = CUR_ST(c);
    uint32_t got;

    /* An image in memory has no more (nor a build without streams, where
     * st is a constant NULL never dereferenced) */
    if (!st || !(got = st->pull(c, st->chunk, MODLOAD_STREAM_CHUNK)))
        return 0;
    c->p = st->chunk;
    c->end = c->p + got;
    return 1;
}

static int cur_byte(modload_cursor *c, uint8_t *b)
{
    if (c->p == c->end && !cur_fill(c))
        return 0;
    *b = *c->p++;
    return 1;
}

/* Copy n bytes of the current part to dst, or skip them when dst is NULL. */
static int cur_copy(modload_cursor *c, uint8_t *dst, uint32_t n)
{
    while (n) {
        uint32_t k;
        /* Segment bytes go straight to their place, not through the window. */
        if (c->p == c->end && dst && CUR_ST(c)) {
            if (!(k = CUR_ST(c)->pull(c, dst, n)))
                return 0;
            dst += k;
            n -= k;
            continue;
        }
        if (c->p == c->end && !cur_fill(c))
            return 0;
        k = (uint32_t)(c->end - c->p) < n ? (uint32_t)(c->end - c->p) : n;
        if (dst) {
            memcpy(dst, c->p, k);
            dst += k;
        }
        c->p += k;
        n -= k;
    }
    return 1;
}

static int cur_more(const modload_cursor *c)
{
    return c->p < c->end || (CUR_ST(c) && c->rest);
}

/* LEB128 of at most 32 bits (5 bytes); 0 on a truncated or too wide value. */
static int read_leb(modload_cursor *c, uint32_t *out, int is_signed)
{
    uint32_t v = 0;
    unsigned shift = 0;
    uint8_t b;

    do {
        if (shift > 28 || !cur_byte(c, &b))
            return 0;
        if (shift == 28) {
            /* Bits above 31 must be zero (unsigned) or copies of bit 31. */
            unsigned high = b & 0x78u;
            if (is_signed ? (high != 0 && high != 0x78u) : (b & 0x70u) != 0)
                return 0;
        }
        v |= (uint32_t)(b & 0x7Fu) << shift;
        shift += 7;
    } while (b & 0x80u);
    if (is_signed && shift < 32 && (b & 0x40u))
        v |= ~0u << shift;
    *out = v;
    return 1;
}

uint32_t modload_hash(const char *name)
{
    uint32_t h = MODP_HASH_INIT;
    while (*name)
        h = (h ^ (uint8_t)*name++) * MODP_HASH_PRIME;
    return h;
}

/* strcmp without libc: <0, 0, >0 by unsigned bytes. */
static int name_cmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (int)(uint8_t)*a - (int)(uint8_t)*b;
}

/* The first NUL at or after p and before end, or NULL. */
static const uint8_t *find_nul(const uint8_t *p, const uint8_t *end)
{
    for (; p < end; p++)
        if (*p == 0)
            return p;
    return 0;
}

static int arch_ok(uint32_t arch)
{
#ifdef MODLOAD_HOST
#  define IS_ARCH(a) || arch == (a)
    return 0 MODP_ARCHES(IS_ARCH);
#else
    return arch == MODLOAD_ARCH;
#endif
}

/* A kind this build applies and the image's ISA may use (the table in
 * include/modformat.h); a target build loads only its own ISA's images. */
#ifdef MODLOAD_HOST
#  define MODP_KINDS_ARCH arch /* kind_ok's argument */
#endif
static int kind_ok(unsigned kind, uint32_t arch)
{
    /* Bit kind of the refused kinds, ~mask written as -mask - 1 in signed
     * arithmetic: smaller Thumb code than mask >> kind & 1 (which way the
     * shift fills does not matter, kind < 16). */
    int32_t refused = -(int32_t)(MODLOAD_KINDS_BUILT & MODP_KINDS_OF_ARCH) - 1;

    (void)arch;
    return (refused >> kind & 1) == 0;
}

/* ---- header ------------------------------------------------------------ */

/* Where modload_image keeps each 32-bit word of the header from byte 12
 * on, decoded one by one: the struct's layout and the CPU's byte order are
 * free of the file format. The word at 36 holds the two alignment bytes
 * and the reserved field, decoded apart (code_align is set again). */
#define HEADER_WORDS_AT MODP_H_ARCH_FLAGS
#define MEMBER(m) (uint8_t)offsetof(modload_image, m)
static const uint8_t header_words[] = {
    MEMBER(arch_flags), MEMBER(size), MEMBER(code_size), MEMBER(data_size), MEMBER(bss_size),
    MEMBER(data_offset), MEMBER(code_align), MEMBER(entry), MEMBER(exit), MEMBER(fixup_size),
    MEMBER(nfixups), MEMBER(nimports), MEMBER(nexports), MEMBER(strtab_size), MEMBER(meta_size),
};
typedef char header_words_end_at_72[HEADER_WORDS_AT + 4 * sizeof header_words == MODP_HEADER_MIN &&
                                    MODP_H_META_SIZE == MODP_HEADER_MIN - 4 && MODP_H_CODE_ALIGN == 36 ? 1 : -1];
typedef char members_fit_a_byte[offsetof(modload_image, code_align) < 256 ? 1 : -1];

/* Without inflate a segment is stored as it is (an image saying otherwise
 * is refused): its stored size is its size, with no code to set it. */
#if !MODLOAD_WITH_INFLATE
#  define code_stored code_size
#  define data_stored data_size
#endif

/* Image parts (include/modformat.h): where modload_image keeps each one's
 * count and pointer, and which ones count export entries, not bytes. */
#define PART_COUNT(NAME, part, count, unit) MEMBER(count),
#define PART_PTR(NAME, part, count, unit)   MEMBER(part),
#define PART_WIDE(NAME, part, count, unit)  | ((unit) > 1u ? 1u << MODP_PART_##NAME : 0u)
static const uint8_t part_count[] = { MODP_IMAGE_PARTS(PART_COUNT) };
static const uint8_t part_ptr[] = { MODP_IMAGE_PARTS(PART_PTR) };
#define PARTS_WIDE (0u MODP_IMAGE_PARTS(PART_WIDE))
typedef char only_exports_are_wide[PARTS_WIDE == 1u << MODP_PART_EXPORTS && MODP_PART_HEADER == 0 ? 1 : -1];
#define PART_NOT_AT_HAND(NAME, part, count, unit) img->part = 0;

static int parse_header(const uint8_t *b, size_t len, modload_image *img)
{
    uint32_t hsize, i, thumb, at, data_end;

    if (len < 4 || memcmp(b, MODP_MAGIC, 4) != 0)
        return len < 4 ? MODLOAD_ERR_TRUNCATED : MODLOAD_ERR_MAGIC;
    if (len < MODP_HEADER_MIN)
        return MODLOAD_ERR_TRUNCATED;
    img->major = b[MODP_H_MAJOR];
    img->minor = b[MODP_H_MINOR];
    if (img->major != MODP_VERSION_MAJOR)
        return MODLOAD_ERR_VERSION;
    img->arch = (uint16_t)modload_rd16(b + MODP_H_ARCH);
    if (!arch_ok(img->arch))
        return MODLOAD_ERR_ARCH;

    hsize = modload_rd16(b + MODP_H_HEADER_SIZE);
    img->header_size = (uint16_t)hsize;
    img->flags = (uint16_t)modload_rd16(b + MODP_H_FLAGS);
#if !MODLOAD_WITH_INFLATE
    if (img->flags & MODP_F_COMPRESSED)
        return MODLOAD_ERR_PROFILE; /* before anything else is read */
#endif
    for (i = 0; i < sizeof header_words; i++)
        *(uint32_t *)((uint8_t *)img + header_words[i]) = modload_rd32(b + HEADER_WORDS_AT + 4 * i);
#if MODLOAD_WITH_ARCH_FLAGS
    /* Code needing what this CPU lacks (Thumb-2, RVC, an FPU...), or built
     * for another float ABI or XLEN, would fault or misbehave. */
    if (!modload_arch_flags_ok(img->arch_flags, MODLOAD_ARCH_LACKS, MODLOAD_ARCH_MATCH, MODLOAD_ARCH_HAS))
        return MODLOAD_ERR_ARCH;
#endif
    img->code_align = 1u << (b[MODP_H_CODE_ALIGN] & 31u);
    img->data_align = 1u << (b[MODP_H_DATA_ALIGN] & 31u);
#if MODLOAD_WITH_INFLATE
    img->code_stored = img->code_size;
    img->data_stored = img->data_size;
    if (img->flags & MODP_F_COMPRESSED) {
        /* Never in place (the stored bytes are not the code), and the
         * stored sizes in the header. */
        if ((img->flags & MODP_F_XIP) || hsize < MODP_HEADER_COMPRESSED)
            return MODLOAD_ERR_HEADER;
        if (len < MODP_HEADER_COMPRESSED)
            return MODLOAD_ERR_TRUNCATED;
        img->code_stored = modload_rd32(b + MODP_H_CODE_STORED);
        img->data_stored = modload_rd32(b + MODP_H_DATA_STORED);
    }
#endif

    /* The parts follow the header in file order, with no gaps, and add up
     * to image_size exactly, without wrapping; pointers to those that
     * start inside the buffer (the others are refused below). */
    for (at = hsize, i = MODP_PART_HEADER + 1; i < MODP_PARTS; i++) {
        uint32_t n = *(const uint32_t *)(const void *)((const uint8_t *)img + part_count[i]);
        if (PARTS_WIDE >> i & 1u) {
            if (n > 0xFFFFFFFFu / MODP_EXPORT_SIZE)
                return MODLOAD_ERR_HEADER;
            n *= MODP_EXPORT_SIZE;
        }
        *(const uint8_t **)(void *)((uint8_t *)img + part_ptr[i]) = b + (at <= len ? at : 0);
        if ((at += n) < n)
            return MODLOAD_ERR_HEADER;
    }
    img->base = b;
    if (at > 0xFFFFFFFFu - MODP_CRC_SIZE || at + MODP_CRC_SIZE != img->size)
        return MODLOAD_ERR_HEADER;
    if (hsize < MODP_HEADER_MIN || (hsize & 7u) || (img->flags & ~MODP_F_KNOWN) ||
        modload_rd16(b + MODP_H_RESERVED) != 0 || b[MODP_H_CODE_ALIGN] > MODP_MAX_ALIGN_LOG2 ||
        b[MODP_H_CODE_ALIGN] < MODP_INSN_ALIGN_LOG2(MODLOAD_ISA(img->arch), img->arch_flags) ||
        b[MODP_H_DATA_ALIGN] > MODP_MAX_ALIGN_LOG2)
        return MODLOAD_ERR_HEADER;
    if (img->size > len)
        return MODLOAD_ERR_TRUNCATED;

    /* One-region layout: data after code and aligned; each segment and the
     * region stay below 2^31, which keeps all offset arithmetic exact. In
     * 32 bits: when no term and no partial sum has bit 31 set, no sum
     * wrapped, and the last is the region's size. */
    data_end = img->data_offset + img->data_size;
    if (img->data_offset < img->code_size || (img->data_offset & (img->data_align - 1u)) ||
        (img->data_offset | img->data_size | img->bss_size | data_end | (data_end + img->bss_size)) > 0x7FFFFFFFu)
        return MODLOAD_ERR_HEADER;

    /* Entry and exit lie in the code; only ARM uses bit 0 (Thumb), other
     * ISAs' functions may start at any byte (x86 -Os). */
    thumb = MODLOAD_ISA(img->arch) == MODP_ARCH_ARM;
    for (i = 0; i < 2; i++) {
        uint32_t fn = i ? img->exit : img->entry;
        if (fn != MODP_NONE && (fn & ~thumb) >= img->code_size)
            return MODLOAD_ERR_HEADER;
    }
    return MODLOAD_OK;
}

/* ---- fixup stream -------------------------------------------------------- */

/* An import descriptor: a name (n bytes, then NUL) or, stripped, only its
 * hash. A name in memory is used where it lies; a streamed one is kept in
 * the stream's name buffer while its block is applied. */
static int read_import(modload_cursor *c, uint32_t n, modload_import *imp)
{
    uint8_t h[4];

    if (!n) {
        if (!cur_copy(c, h, 4))
            return 0;
        imp->name = "";
        imp->hash = modload_rd32(h);
        return 1;
    }
    if (CUR_ST(c)) {
        if (!cur_copy(c, (uint8_t *)CUR_ST(c)->name, n + 1))
            return 0;
        imp->name = CUR_ST(c)->name;
    } else {
        if ((uint32_t)(c->end - c->p) <= n)
            return 0;
        imp->name = (const char *)c->p;
        c->p += n + 1;
    }
    /* The NUL where the length says, before hashing up to it. */
    if (find_nul((const uint8_t *)imp->name, (const uint8_t *)imp->name + n + 1) != (const uint8_t *)imp->name + n)
        return 0;
    imp->hash = modload_hash(imp->name);
    return 1;
}

/* A load's walk: bind_import and apply_fixup as the walker, and the sites
 * of the kinds that add an address patched by the walk itself. */
typedef struct load_state {
    modload_walker w;         /* first: the walker callbacks get this back */
    const modload_place *pl;
    const modload_env *env;
    modload_module *mod;      /* says which import is unresolved */
    uint8_t *write[2];        /* by MODP_SEG_*: pl's code_write and data_write */
    modload_addr run[3];      /* by target (the import's last): the value added */
    unsigned rv64;            /* rv64 image: RV_HI20 sign-extends */
} load_state;
typedef char targets_index_run[MODP_TGT_CODE == MODP_SEG_CODE && MODP_TGT_DATA == MODP_SEG_DATA &&
                               MODP_SEG_CODE == 0 && MODP_SEG_DATA == 1 && MODP_TGT_IMPORT == 2 ? 1 : -1];

/* Kinds that add the target's address to the word at the site, applied
 * inline by the walk (every other kind, and code written as words, goes
 * through apply_fixup). */
#define KINDS_ADD (1u << MODP_FIX_WORD32 | 1u << MODP_FIX_WORD64)
/* Whether load ever needs apply_fixup (a Cortex-M0 build, say, does not). */
#define APPLY_OTHERS ((MODLOAD_KINDS_BUILT & ~KINDS_ADD) != 0 || MODLOAD_CODE_WORD_STORES)

/* One group of the stream as its ops are decoded. */
typedef struct group {
    modload_fixup fx;         /* kind, seg, target; offsets of the site at hand */
    uint32_t end;             /* bytes of the segment: sites lie below */
    uint32_t unit, wlog;      /* log2 of the gap unit and of the site width */
    uint32_t nops;
    uint8_t *add;             /* loading a kind of KINDS_ADD: the segment written */
    modload_addr value;       /* and the address added at each site */
} group;

/* The ops of a group: each a gap and a site, or (kinds of one uleb per
 * site) a run of v/2 + 1 adjacent sites; a pair kind's op has an sleb
 * delta to its second site, an operand kind's a uleb operand (RV_HI20:
 * the low 12 bits of its addend). Sites of a kind that adds an address are
 * patched here when loading; the others are visited through w. The loop
 * the loading time goes into: ops are read through a local pointer, which
 * the stores to the sites cannot alias. */
static int group_ops(modload_cursor *c, group *g, uint32_t *nfixups, uint32_t max, modload_walker *w)
{
    const uint8_t *p = c->p, *e = c->end;
    /* 8-byte sites only where a kind has them (a constant 2 elsewhere) */
    uint32_t cursor = 0, n = *nfixups, end = g->end, wlog = MODLOAD_KINDS_BUILT & MODP_KINDS_WIDE ? g->wlog : 2u;
    uint32_t nops = g->nops, unit = g->unit;
    int pair = MODLOAD_KIND_IS(MODP_KINDS_PAIR, g->fx.kind), arg = MODLOAD_KIND_IS(MODP_KINDS_OPERAND, g->fx.kind);
    uint8_t *add = g->add;
    modload_addr value = g->value;
    int rc;

    while (nops--) {
        uint32_t v, count = 1, delta = 0, second = 0;

        /* Gaps of up to 63 units take one byte, of up to 8191 two (read
         * here too by the full profiles: the minimal one keeps its bytes). */
        if (p < e && *p < 0x80u) {
            v = *p++;
        } else if (MODLOAD_PROFILE_IS_FULL && e - p >= 2 && p[1] < 0x80u) {
            v = (p[0] & 0x7Fu) | (uint32_t)p[1] << 7;
            p += 2;
        } else {
            uint32_t t; /* v stays in a register: no address taken */
            c->p = p;
            if (!read_leb(c, &t, 0))
                return MODLOAD_ERR_FIXUP;
            v = t;
            p = c->p;
            e = c->end;
        }
        if (pair || arg) {
            /* one read for both: a pair's delta is signed */
            uint32_t t;
            c->p = p;
            if (!read_leb(c, &t, pair) || (arg && t > 0xFFFu))
                return MODLOAD_ERR_FIXUP;
            delta = t;
            if (arg)
                g->fx.operand = t;
            p = c->p;
            e = c->end;
        } else if (v & 1u) {
            count = (v >> 1) + 1u;
            v = 0;
        } else {
            v >>= 1;
        }
        /* The gap, then count sites in the segment: segments are below
         * 2^31 (parse_header), so no sum here wraps. */
        if (v > end >> unit)
            return MODLOAD_ERR_FIXUP_RANGE;
        cursor += v << unit;
        if (cursor > end || count > (end - cursor) >> wlog)
            return MODLOAD_ERR_FIXUP_RANGE;
        /* Second site of a pair: |delta| < 2^27 units, so the sum wraps to
         * a huge value rather than into range; inside the segment, and not
         * overlapping the first (the result would depend on which half is
         * written last). */
        if (pair) {
            second = cursor + (delta << unit);
            if (delta + 0x08000000u >= 0x10000000u || second > end || (end - second) >> wlog == 0 ||
                second - cursor + 3u < 7u)
                return MODLOAD_ERR_FIXUP_RANGE;
        }
        if ((n += count) > max)
            return MODLOAD_ERR_FIXUP;
        if (!add && !(w && w->fixup)) {
            cursor += count << wlog; /* only checked */
            continue;
        }
        for (; count; count--, cursor += 1u << wlog) {
            uint8_t *site;
            if (!add) {
                g->fx.offset = cursor;
                g->fx.offset2 = pair ? second : cursor;
                if ((rc = w->fixup(w, &g->fx)) != 0)
                    return rc;
                continue;
            }
            site = add + cursor;
            if (wlog == 3u) {
                uint64_t x = ((uint64_t)modload_rd32(site + 4) << 32 | modload_rd32(site)) + value;
                modload_wr32(site, (uint32_t)x);
                modload_wr32(site + 4, (uint32_t)(x >> 32));
            } else {
                modload_wr32(site, modload_rd32(site) + (uint32_t)value);
            }
        }
    }
    c->p = p;
    *nfixups = n;
    return MODLOAD_OK;
}

/* Decode and check the stream; w (may be NULL) visits each import and
 * site; s, when loading, is w. */
static int walk(const modload_image *img, modload_cursor *c, modload_walker *w, load_state *s)
{
    uint32_t nimports = 0, nfixups = 0;
    int rc;

    while (cur_more(c)) {
        uint32_t target, ngroups;

        /* One uleb: the group count above the target. */
        if (!read_leb(c, &ngroups, 0))
            return MODLOAD_ERR_FIXUP;
        target = ngroups & 3u;
        ngroups >>= 2;
        if (target >= MODP_TGT_IMPORT) {   /* IMPORT or WEAK: an import block */
            modload_import imp;
            uint8_t n;

            imp.weak = target == MODP_TGT_WEAK;
            target = MODP_TGT_IMPORT;
            imp.index = nimports++;
            if (!cur_byte(c, &n) || ((img->flags & MODP_F_STRIPPED) != 0) != (n == 0) ||
                imp.index >= img->nimports || !read_import(c, n, &imp))
                return MODLOAD_ERR_IMPORT;
            if (w && w->import && (rc = w->import(w, &imp)) != 0)
                return rc;
            target += imp.index;
        }

        while (ngroups--) {
            group g;
            uint8_t hb;

            if (!cur_byte(c, &hb) || (hb & 0x80u))
                return MODLOAD_ERR_FIXUP;
            g.fx.kind = (uint8_t)MODP_G_KIND(hb);
            g.fx.seg = (uint8_t)MODP_G_SEG(hb);
            g.fx.target = target;
            g.fx.operand = 0;
            g.unit = MODP_G_UNIT(hb);
            if (!kind_ok(g.fx.kind, img->arch))
                return MODLOAD_ERR_FIXUP_KIND;
            g.wlog = MODLOAD_KIND_IS(MODP_KINDS_WIDE, g.fx.kind) ? 3u : 2u;
            g.end = g.fx.seg == MODP_SEG_CODE ? img->code_size : img->data_size;
            if (!read_leb(c, &g.nops, 0))
                return MODLOAD_ERR_FIXUP;
            g.add = 0;
            g.value = 0;
            if (s && MODLOAD_KIND_IS(KINDS_ADD, g.fx.kind) &&
                !(MODLOAD_CODE_WORD_STORES && g.fx.seg == MODP_SEG_CODE && (s->pl->flags & MODLOAD_CODE_WORDS))) {
                /* The same segment and address for every site of the group
                 * (each op has a site). */
                if (!(g.add = s->write[g.fx.seg]) && g.nops)
                    return MODLOAD_ERR_PLACEMENT; /* code executed in place cannot be patched */
                g.value = s->run[target < MODP_TGT_IMPORT ? target : MODP_TGT_IMPORT];
            }
            if ((rc = group_ops(c, &g, &nfixups, img->nfixups, w)) != MODLOAD_OK)
                return rc;
        }
    }
    if (nimports != img->nimports || nfixups != img->nfixups)
        return MODLOAD_ERR_FIXUP;
    return MODLOAD_OK;
}

int modload_walk(const modload_image *img, modload_walker *w)
{
    modload_cursor c;

    memset(&c, 0, sizeof c);
    c.p = img->fixups;
    c.end = img->fixups + img->fixup_size;
    return walk(img, &c, w, 0);
}

/* ---- exports and metadata ------------------------------------------------ */

int modload_export_at(const modload_image *img, uint32_t i, modload_export *ex)
{
    const uint8_t *e;
    uint32_t name, limit;

    if (i >= img->nexports)
        return MODLOAD_ERR_ARG;
    e = img->exports + i * MODP_EXPORT_SIZE;
    ex->hash = modload_rd32(e + MODP_E_HASH);
    ex->value = modload_rd32(e + MODP_E_VALUE);
    name = modload_rd16(e + MODP_E_NAME);
    ex->seg = e[MODP_E_SEG];
    ex->type = e[MODP_E_TYPE];
    ex->name = 0;

    if (ex->seg == MODP_SEG_CODE) {
        uint32_t thumb = MODLOAD_ISA(img->arch) == MODP_ARCH_ARM ? 1u : 0u;
        limit = ex->value & ~thumb;
        if (limit >= img->code_size)
            return MODLOAD_ERR_EXPORT;
    } else if (ex->seg != MODP_SEG_DATA || ex->value > img->data_size + img->bss_size) {
        return MODLOAD_ERR_EXPORT;
    }
    if (ex->type != MODP_SYM_FUNC && ex->type != MODP_SYM_OBJECT)
        return MODLOAD_ERR_EXPORT;
    if (img->flags & MODP_F_STRIPPED)
        return name == MODP_NO_NAME ? MODLOAD_OK : MODLOAD_ERR_EXPORT;
    /* The string table ends with NUL (check_exports), so every name in it is
     * terminated. */
    if (name >= img->strtab_size)
        return MODLOAD_ERR_EXPORT;
    ex->name = (const char *)img->strtab + name;
    if (modload_hash(ex->name) != ex->hash)
        return MODLOAD_ERR_EXPORT;
    return MODLOAD_OK;
}

/* Each entry valid, hashes strictly ascending. */
static int check_exports(const modload_image *img)
{
    modload_export ex;
    uint32_t i, prev = 0;
    int rc;

    /* A stripped image has no names: an empty string table (spec 7). */
    if (img->strtab_size && ((img->flags & MODP_F_STRIPPED) || img->strtab[img->strtab_size - 1] != 0))
        return MODLOAD_ERR_EXPORT;
    for (i = 0; i < img->nexports; i++) {
        if ((rc = modload_export_at(img, i, &ex)) != MODLOAD_OK)
            return rc;
        if (i && ex.hash <= prev)
            return MODLOAD_ERR_EXPORT;
        prev = ex.hash;
    }
    return MODLOAD_OK;
}

/* A security record (spec section 13) is 4 bytes; a build without the
 * signing policy skips the record as a 1.0 reader does. */
#if MODLOAD_WITH_SHA256
#  define SECURITY_BAD(type, len) ((type) == MODP_META_SECURITY && (len) != MODP_META_SECURITY_SIZE)
#else
#  define SECURITY_BAD(type, len) 0
#endif

/* The types of the string records, as bits. */
#define META_STRINGS (1u << MODP_META_NAME | 1u << MODP_META_DESCRIPTION | 1u << MODP_META_VERSION | \
                      1u << MODP_META_TOOL)

/* The record at *pos: 1 with one, 0 after the last, -MODLOAD_ERR_META for
 * a broken one (signs make the loops over it smallest). */
static int meta_step(const modload_image *img, uint32_t *pos, modload_meta *m)
{
    const uint8_t *p;
    uint32_t left;

    if (*pos >= img->meta_size)
        return 0;
    p = img->meta + *pos;
    left = img->meta_size - *pos;
    if (left < 3)
        return -MODLOAD_ERR_META;
    m->type = p[0];
    m->len = (uint16_t)modload_rd16(p + 1);
    m->bytes = p + 3;
    if (m->type == 0 || m->len > left - 3)
        return -MODLOAD_ERR_META;
    /* Strings: one NUL, at the end. */
    if (m->type < 32u && (META_STRINGS >> m->type & 1u) && find_nul(m->bytes, m->bytes + m->len) != m->bytes + m->len - 1)
        return -MODLOAD_ERR_META;
    if ((m->type == MODP_META_ABI && m->len != MODP_META_ABI_SIZE) ||
        (m->type == MODP_META_INIT && m->len != MODP_META_INIT_SIZE))
        return -MODLOAD_ERR_META;
    if (SECURITY_BAD(m->type, m->len))
        return -MODLOAD_ERR_META;
    *pos += 3u + m->len;
    return 1;
}

int modload_meta_next(const modload_image *img, uint32_t *pos, modload_meta *m)
{
    int rc = meta_step(img, pos, m);

    return rc > 0 ? MODLOAD_OK : rc == 0 ? MODLOAD_ERR_NOT_FOUND : -rc;
}

/* The bytes of the image's first record of a type, or NULL. */
static const uint8_t *meta_record(const modload_image *img, unsigned type)
{
    uint32_t pos = 0;
    modload_meta m;

    while (img->meta && meta_step(img, &pos, &m) > 0)
        if (m.type == type)
            return m.bytes;
    return 0;
}

#define abi_record(img) meta_record(img, MODP_META_ABI)

#if MODLOAD_WITH_INIT
/* The INIT record's two lists: whole pointer-sized words of the stored
 * data, at offsets aligned to the word, so that the firmware can call
 * through them once the fixups have made them run addresses. mod, if
 * given, gets the lists at data_run. */
static int init_lists(const modload_image *img, const uint8_t *rec, modload_addr data_run,
                      modload_module *mod)
{
    /* log2 of the word: a shift, not a division (none in libgcc on M0) */
    uint32_t shift = MODLOAD_ISA(img->arch) == MODP_ARCH_X86_64 ||
                     (MODLOAD_ISA(img->arch) == MODP_ARCH_RISCV && (img->arch_flags & MODP_RV_64)) ? 3u : 2u;
    uint32_t i;

    for (i = 0; i < 2; i++) {
        uint32_t off = modload_rd32(rec + 8u * i), n = modload_rd32(rec + 8u * i + 4u);
        if ((off & ((1u << shift) - 1u)) || off > img->data_size ||
            n > (img->data_size - off) >> shift || (n && img->data_align < (1u << shift)))
            return MODLOAD_ERR_META;
        if (mod && i) {
            mod->fini_array = data_run + off;
            mod->nfini = n;
        } else if (mod) {
            mod->init_array = data_run + off;
            mod->ninit = n;
        }
    }
    return MODLOAD_OK;
}
#endif

void modload_run_init(const modload_module *mod)
{
    uint32_t i;

    for (i = 0; i < mod->ninit; i++)
        ((void (*const *)(void))(uintptr_t)mod->init_array)[i]();
}

void modload_run_fini(const modload_module *mod)
{
    uint32_t i = mod->nfini;

    while (i--)
        ((void (*const *)(void))(uintptr_t)mod->fini_array)[i]();
}

int modload_image_abi(const modload_image *img, modload_abi *abi)
{
    const uint8_t *rec = abi_record(img);

    if (!rec)
        return MODLOAD_ERR_NOT_FOUND;
    memcpy(abi, rec, MODP_META_ABI_SIZE); /* the record's layout, little-endian */
    return MODLOAD_OK;
}

/* An ABI record against the firmware's, if it gave one: same id and major,
 * and a minor no newer than the firmware's. */
typedef char abi_is_the_record[sizeof(modload_abi) == MODP_META_ABI_SIZE ? 1 : -1];
#if MODLOAD_WITH_ABI || MODLOAD_WITH_STREAM

static int abi_ok(const modload_env *env, const uint8_t *rec)
{
    const modload_abi *fw = env ? env->abi : 0;
    modload_abi a;

    if (!rec || !fw)
        return MODLOAD_OK;
    if (!MODLOAD_WITH_ABI)
        return MODLOAD_ERR_PROFILE; /* asked to compare, and cannot */
    memcpy(&a, rec, sizeof a);
    return a.id == fw->id && a.major == fw->major && a.minor <= fw->minor ? MODLOAD_OK : MODLOAD_ERR_ABI;
}
#endif

/* ---- signing policy (spec section 13) ------------------------------------ */
#if MODLOAD_WITH_SHA256

uint32_t modload_security_version(const modload_image *img)
{
    uint32_t pos = 0;
    modload_meta m;

    while (img->meta && meta_step(img, &pos, &m) > 0)
        if (m.type == MODP_META_SECURITY)
            return modload_rd32(m.bytes);
    return 0;
}

/* The head of a signature block: its count, 0 when the bytes are not one
 * (no block), or -1 when it is malformed. */
static int sig_head(const uint8_t *b)
{
    if (memcmp(b, MODP_SIG_MAGIC, 4) != 0)
        return 0;
    if (b[MODP_SIG_COUNT] == 0 || b[MODP_SIG_ALG] != MODP_SIG_ALG_ED25519 ||
        modload_rd16(b + MODP_SIG_RESERVED) != 0)
        return -1;
    return b[MODP_SIG_COUNT];
}

int modload_sig_block(const modload_image *img, const uint8_t **entries, uint32_t *count)
{
    const uint8_t *b = img->base + img->size;
    int n = img->after >= MODP_SIG_HEAD ? sig_head(b) : 0;

    *entries = b + MODP_SIG_HEAD;
    *count = n > 0 ? (uint32_t)n : 0;
    if (n < 0 || img->after - MODP_SIG_HEAD < *count * MODP_SIG_ENTRY)
        return MODLOAD_ERR_SIGNATURE;
    return MODLOAD_OK;
}

/* The verdict that needs no signature: a downgrade, or an unsigned image
 * (s->count 0) the policy takes or refuses; -1 to go on with the
 * signatures. */
static int policy_first(const modload_policy *p, const modload_signature *s)
{
    if (s->security_version < p->min_security_version)
        return MODLOAD_ERR_DOWNGRADE;
    if (s->count == 0)
        return p->accept(p->ctx, s) == 0 ? MODLOAD_OK : MODLOAD_ERR_UNSIGNED;
    return -1;
}

/* Signature i: the entry at e offered to the policy; 1 when accepted. */
static int policy_offer(const modload_policy *p, modload_signature *s, uint32_t i, const uint8_t *e)
{
    s->index = i;
    s->key_id = e;
    s->sig = e + MODP_SIG_KEY_ID_SIZE;
    return p->accept(p->ctx, s) == 0;
}

static void sig_init(modload_signature *s, const uint8_t *digest, uint32_t version, uint32_t count)
{
    memset(s, 0, sizeof *s);
    s->digest = digest;
    s->security_version = version;
    s->count = count;
    s->alg = MODP_SIG_ALG_ED25519;
}

/* An image in memory: the digest of its bytes, then the policy, before
 * anything is written. */
static int policy_memory(const modload_image *img, const modload_policy *p)
{
    uint8_t digest[MODLOAD_SHA256_SIZE];
    modload_sha256 sha;
    modload_signature s;
    const uint8_t *e;
    uint32_t n, i;
    int rc;

    if (!p->accept)
        return MODLOAD_ERR_ARG;
    if ((rc = modload_sig_block(img, &e, &n)) != MODLOAD_OK)
        return rc;
    modload_sha256_init(&sha);
    modload_sha256_update(&sha, img->base, img->size);
    modload_sha256_final(&sha, digest);
    sig_init(&s, digest, modload_security_version(img), n);
    if ((rc = policy_first(p, &s)) >= 0)
        return rc;
    for (i = 0; i < n; i++, e += MODP_SIG_ENTRY)
        if (policy_offer(p, &s, i, e))
            return MODLOAD_OK;
    return MODLOAD_ERR_SIGNATURE;
}
#endif

/* ---- validation ---------------------------------------------------------- */

/* Everything but the CRC and the fixup stream. */
static int check_parts(const void *image, size_t len, modload_image *img)
{
    uint32_t pos = 0;
    modload_meta m;
    int rc;

    if (!image || !img)
        return MODLOAD_ERR_ARG;
    if ((rc = parse_header((const uint8_t *)image, len, img)) != MODLOAD_OK)
        return rc;
    /* Not in parse_header: a stream has only the header at hand. */
    img->crc = modload_rd32(img->meta + img->meta_size);
#if MODLOAD_WITH_SHA256
    /* What follows the image in the buffer: its signature block, if any. */
    img->after = (uint32_t)(len - img->size);
    if (img->after != len - img->size)
        img->after = 0xFFFFFFFFu; /* more than 4 GiB: as much as a block can need */
#endif
    if ((rc = check_exports(img)) != MODLOAD_OK)
        return rc;
    while ((rc = meta_step(img, &pos, &m)) > 0)
        ;
    if (rc < 0)
        return -rc;
#if MODLOAD_WITH_INIT
    {
        /* The flag says a loader must run the lists: it and the record
         * come together. */
        const uint8_t *rec = meta_record(img, MODP_META_INIT);
        if (!rec != !(img->flags & MODP_F_INIT))
            return MODLOAD_ERR_META;
        if (rec)
            return init_lists(img, rec, 0, 0);
    }
#endif
    return MODLOAD_OK;
}

/* A header that passed gives the size to check; a corrupted one fails
 * before, which is as safe and more precise than "bad CRC". */
static int crc_after(int rc, const modload_image *img)
{
    if (rc == MODLOAD_OK && modload_crc32(0, img->base, img->size - 4u) != img->crc)
        rc = MODLOAD_ERR_CRC;
    return rc;
}

int modload_check_nocrc(const void *image, size_t len, modload_image *img)
{
    int rc = check_parts(image, len, img);

    return rc == MODLOAD_OK ? modload_walk(img, 0) : rc;
}

int modload_check(const void *image, size_t len, modload_image *img)
{
    return crc_after(modload_check_nocrc(image, len, img), img);
}

/* modload_load checks each op of the stream before it writes the site the
 * op names (it always has: the image may change after its check), so the
 * stream needs no walk of its own before: one pass instead of two. */
int modload_open(const void *image, size_t len, modload_image *img)
{
    return crc_after(check_parts(image, len, img), img);
}

uint32_t modload_region_size(const modload_image *img)
{
    return img->data_offset + img->data_size + img->bss_size;
}

uint32_t modload_region_align(const modload_image *img)
{
    return img->code_align > img->data_align ? img->code_align : img->data_align;
}

uint32_t modload_symtab_size(const modload_image *img)
{
    return img->nexports * MODP_EXPORT_SIZE + img->strtab_size;
}

/* ---- placement and loading ----------------------------------------------- */

int modload_place_region(const modload_image *img, void *mem, uint32_t room,
                         modload_addr run, modload_place *pl)
{
    if (!img || !mem || !pl)
        return MODLOAD_ERR_ARG;
    if (room < modload_region_size(img))
        return MODLOAD_ERR_SPACE;
    if (run & (modload_region_align(img) - 1u))
        return MODLOAD_ERR_ALIGN;
    memset(pl, 0, sizeof *pl);
    pl->code_write = mem;
    pl->code_run = run;
    pl->code_room = img->data_offset;
    pl->data_write = (uint8_t *)mem + img->data_offset;
    pl->data_run = run + img->data_offset;
    pl->data_room = img->data_size + img->bss_size;
    return MODLOAD_OK;
}

int modload_lookup(const modload_symbol *syms, uint32_t nsyms, const char *name,
                   uint32_t hash, modload_addr *addr)
{
    uint32_t lo = 0, hi = nsyms, i;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (syms[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* lo is the first entry with this hash; confirm the name among them. A
     * stripped name ("") binds only when the hash is unambiguous. */
    for (i = lo; i < nsyms && syms[i].hash == hash; i++) {
        if (*name ? name_cmp(syms[i].name, name) == 0
                  : (i + 1 == nsyms || syms[i + 1].hash != hash)) {
            *addr = syms[i].addr;
            return MODLOAD_OK;
        }
        if (!*name)
            break;
    }
    return MODLOAD_ERR_NOT_FOUND;
}

static int bind_import(modload_walker *w, const modload_import *imp)
{
    load_state *s = (load_state *)w;
    const modload_env *env = s->env;   /* NULL: no firmware symbols at all */

    s->mod->unresolved = *imp;   /* the answer if it fails */
    if (env && env->syms &&
        modload_lookup(env->syms, env->nsyms, imp->name, imp->hash, &s->run[MODP_TGT_IMPORT]) == 0)
        return MODLOAD_OK;
    if (env && env->resolve && env->resolve(env->ctx, imp->name, imp->hash, &s->run[MODP_TGT_IMPORT]) == 0)
        return MODLOAD_OK;
    s->run[MODP_TGT_IMPORT] = 0;          /* a weak import the firmware lacks, as ld.so binds it */
    return imp->weak ? MODLOAD_OK : MODLOAD_ERR_UNRESOLVED;
}

static int apply_at(const modload_fixup *fx, uint8_t *site, uint8_t *site2, modload_addr value,
                    unsigned rv64);

#if MODLOAD_CODE_WORD_STORES
/* Patch a code site through the aligned words around it: read them with
 * 32-bit loads, patch a copy, store them back with 32-bit stores. */
static int apply_code_words(const modload_fixup *fx, uint8_t *seg, modload_addr value, unsigned rv64)
{
    /* The site starts d bytes into its first word and spans 4 or 8 bytes:
     * 1 to 3 words, the first always read. */
    uint32_t w[3], i, d = fx->offset & 3u, width = MODP_KIND_WIDTH(fx->kind);
    uint32_t n = (d + width + 3u) / 4u;
    volatile uint32_t *p = (volatile uint32_t *)(void *)(seg + (fx->offset - d));
    int rc;

    if (MODLOAD_KIND_IS(MODP_KINDS_PAIR, fx->kind))
        return MODLOAD_ERR_PLACEMENT; /* two sites: not in this mode */
    for (i = 0; i < n; i++)
        w[i] = p[i];
    rc = apply_at(fx, (uint8_t *)w + d, 0, value, rv64);
    for (i = 0; i < n; i++)
        p[i] = w[i];
    return rc;
}

#endif

#if MODLOAD_WITH_INFLATE
static int cur_next(void *c)
{
    uint8_t b;

    return cur_byte((modload_cursor *)c, &b) ? b : -1;
}

/* The segment of n bytes at dst from the current part: copied, or
 * inflated (MODP_F_COMPRESSED), the stored bytes used up exactly. */
static int copy_seg(modload_cursor *c, const modload_image *img, uint8_t *dst, uint32_t n)
{
    int rc;

    if (!(img->flags & MODP_F_COMPRESSED))
        return cur_copy(c, dst, n) ? MODLOAD_OK : MODLOAD_ERR_TRUNCATED;
    rc = modload_inflate(dst, n, cur_next, c);
    if (rc == MODLOAD_OK && cur_more(c))
        rc = MODLOAD_ERR_INFLATE; /* stored bytes after the end of the deflate data */
    return c->err ? c->err : rc; /* a failed read explains more */
}
#else
#  define copy_seg(c, img, dst, n) (cur_copy(c, dst, n) ? MODLOAD_OK : MODLOAD_ERR_TRUNCATED)
#endif

/* Copy the code segment (unless it runs in place) and zero the padding up
 * to the data: with aligned 32-bit stores in MODLOAD_CODE_WORDS mode. */
static int copy_code(modload_cursor *c, const modload_image *img, const modload_place *pl)
{
    uint32_t off, end = pl->code_room < img->data_offset ? pl->code_room : img->data_offset;

#if MODLOAD_CODE_WORD_STORES
    if (pl->flags & MODLOAD_CODE_WORDS) {
        volatile uint32_t *dst = (volatile uint32_t *)pl->code_write;
        for (off = 0; off < img->code_size || off < (end & ~3u); off += 4) {
            uint32_t w = 0, k = off < img->code_size ? img->code_size - off : 0;
            if (!cur_copy(c, (uint8_t *)&w, k < 4 ? k : 4))
                return MODLOAD_ERR_TRUNCATED;
            dst[off / 4] = w;
        }
        /* A data start inside a word: the padding bytes before it share
         * that word with the data, which is written bytewise anyway. */
        for (; off < end; off++)
            ((uint8_t *)pl->code_write)[off] = 0;
        return MODLOAD_OK;
    }
#endif
    for (off = img->code_size; pl->code_write && off < end; off++)
        ((uint8_t *)pl->code_write)[off] = 0;
    return copy_seg(c, img, (uint8_t *)pl->code_write, img->code_size);
}

static int apply_fixup(modload_walker *w, const modload_fixup *fx)
{
    load_state *s = (load_state *)w;
    uint8_t *seg = s->write[fx->seg];
    uint8_t *site;
    modload_addr value = s->run[fx->target < MODP_TGT_IMPORT ? fx->target : MODP_TGT_IMPORT];

    if (!seg) /* code executed in place cannot be patched */
        return MODLOAD_ERR_PLACEMENT;
    site = seg + fx->offset;
#if MODLOAD_KINDS_RISCV || MODLOAD_KINDS_386
    /* PC-relative kinds: the value minus the run address of the segment
     * (RV_PCREL: arch_riscv.c subtracts its AUIPC's offset), or of the site */
    if (fx->kind == MODP_FIX_RV_PCREL || fx->kind == MODP_FIX_REL32)
        value -= s->run[fx->seg] +
                 (fx->kind == MODP_FIX_REL32 ? fx->offset : 0u);
#endif
#if MODLOAD_CODE_WORD_STORES
    /* A build whose kinds all add an address (the walk patches those)
     * comes here only for code written as words. */
    if ((MODLOAD_KINDS_BUILT & ~KINDS_ADD) == 0 ||
        (fx->seg == MODP_SEG_CODE && (s->pl->flags & MODLOAD_CODE_WORDS)))
        return apply_code_words(fx, seg, value, s->rv64);
#endif
    return apply_at(fx, site, seg + fx->offset2, value, s->rv64);
}

/* Patch one site (and the second site of a pair) in place. */
static int apply_at(const modload_fixup *fx, uint8_t *site, uint8_t *site2, modload_addr value,
                    unsigned rv64)
{
    (void)site;
    (void)site2;
    (void)value;
    (void)rv64;
    switch (fx->kind) {
    /* The walk adds to the sites of WORD32 and WORD64 itself, but for code
     * written as words: the cases only where that is built (or REL32). */
#if MODLOAD_CODE_WORD_STORES || MODLOAD_KINDS_386
#  if MODLOAD_CODE_WORD_STORES
    case MODP_FIX_WORD32:
#  endif
#  if MODLOAD_KINDS_386
    case MODP_FIX_REL32: /* the value is already minus the site's run address */
#  endif
        modload_wr32(site, modload_rd32(site) + (uint32_t)value);
        return MODLOAD_OK;
#endif
#if MODLOAD_KINDS_64 && MODLOAD_CODE_WORD_STORES
    case MODP_FIX_WORD64: {
        uint64_t v = ((uint64_t)modload_rd32(site + 4) << 32 | modload_rd32(site)) + (uint64_t)value;
        modload_wr32(site, (uint32_t)v);
        modload_wr32(site + 4, (uint32_t)(v >> 32));
        return MODLOAD_OK;
    }
#endif
#if MODLOAD_KINDS_ARM
    case MODP_FIX_THM_MOVW_MOVT:
    case MODP_FIX_ARM_MOVW_MOVT:
        return modload_apply_arm(fx->kind, site, site2, (uint32_t)value);
#endif
#if MODLOAD_KINDS_RISCV
    case MODP_FIX_RV_HI20:
    case MODP_FIX_RV_LO12_I:
    case MODP_FIX_RV_LO12_S:
    case MODP_FIX_RV_PCREL:
        return modload_apply_riscv(fx, site, site2, value, rv64);
#endif
    default:
        return MODLOAD_ERR_FIXUP_KIND;
    }
}

/* Place, bind and fix up from a cursor at the start of the code segment:
 * the part the buffer and the streaming loads share. */
/* load() and the stream read the parts in file order, one after the other:
 * code, data, fixups, exports with their names (one copy), metadata. */
typedef char parts_in_load_order[MODP_PART_CODE == MODP_PART_HEADER + 1 && MODP_PART_DATA == MODP_PART_CODE + 1 &&
                                 MODP_PART_FIXUPS == MODP_PART_DATA + 1 && MODP_PART_EXPORTS == MODP_PART_FIXUPS + 1 &&
                                 MODP_PART_STRTAB == MODP_PART_EXPORTS + 1 && MODP_PART_META == MODP_PART_STRTAB + 1 &&
                                 MODP_PARTS == MODP_PART_META + 1 ? 1 : -1];

static int load(const modload_image *img, modload_cursor *c, const modload_place *pl,
                const modload_env *env, modload_module *mod)
{
    load_state s;
    uint32_t symtab = modload_symtab_size(img);
    int rc;

    if (!pl || !mod || !pl->data_write)
        return MODLOAD_ERR_ARG;

    /* Check every room and alignment before the first write. */
    if ((pl->code_write && pl->code_room < img->code_size) ||
        pl->data_room < img->data_size + img->bss_size ||
        (pl->symtab_write && pl->symtab_room < symtab))
        return MODLOAD_ERR_SPACE;
    if ((pl->code_run & (img->code_align - 1u)) || (pl->data_run & (img->data_align - 1u)))
        return MODLOAD_ERR_ALIGN;
    if ((!pl->code_write && (!(img->flags & MODP_F_XIP) || CUR_ST(c))) ||
        (pl->data_run - pl->code_run != img->data_offset && !(img->flags & MODP_F_SPLIT)))
        return MODLOAD_ERR_PLACEMENT;
#if !MODLOAD_WITH_XIP || !MODLOAD_WITH_SPLIT || !MODLOAD_WITH_INIT
    /* What the image allows or needs and this build left out. */
    if ((!MODLOAD_WITH_XIP && !pl->code_write) ||
        (!MODLOAD_WITH_SPLIT && pl->data_run - pl->code_run != img->data_offset) ||
        (!MODLOAD_WITH_INIT && (img->flags & MODP_F_INIT)))
        return MODLOAD_ERR_PROFILE;
#endif
    if (pl->flags & MODLOAD_CODE_WORDS) {
#if MODLOAD_CODE_WORD_STORES
        /* inflate reads back and stores bytes: not through an instruction bus */
        if (img->flags & MODP_F_COMPRESSED)
            return MODLOAD_ERR_PLACEMENT;
        if (!pl->code_write || ((uintptr_t)pl->code_write & 3u))
            return MODLOAD_ERR_ALIGN;
        if (pl->code_room < ((img->code_size + 3u) & ~3u))
            return MODLOAD_ERR_SPACE;
#else
        /* Not built: as before in a full build, which never had it here. */
        return MODLOAD_PROFILE_IS_FULL ? MODLOAD_ERR_PLACEMENT : MODLOAD_ERR_PROFILE;
#endif
    }

    cur_part(c, img->code_stored);
    if ((rc = copy_code(c, img, pl)) != MODLOAD_OK)
        return rc;
    cur_part(c, img->data_stored);
    if ((rc = copy_seg(c, img, (uint8_t *)pl->data_write, img->data_size)) != MODLOAD_OK)
        return rc;
    memset((uint8_t *)pl->data_write + img->data_size, 0, img->bss_size);

    s.w.import = bind_import;
    /* Left NULL, a build whose kinds all add an address loses nothing:
     * the walk patches those sites itself. */
    s.w.fixup = APPLY_OTHERS ? apply_fixup : 0;
    s.pl = pl;
    s.env = env;
    s.mod = mod;
    /* Only RV_HI20 and RV_PCREL read it: 0 where they are not built. */
    s.rv64 = MODLOAD_KIND_IS(1u << MODP_FIX_RV_HI20, MODP_FIX_RV_HI20) && MODLOAD_KINDS_64 &&
             MODLOAD_ISA(img->arch) == MODP_ARCH_RISCV && (img->arch_flags & MODP_RV_64);
    s.write[MODP_SEG_CODE] = (uint8_t *)pl->code_write;
    s.write[MODP_SEG_DATA] = (uint8_t *)pl->data_write;
    s.run[MODP_TGT_CODE] = pl->code_run;
    s.run[MODP_TGT_DATA] = pl->data_run;
    s.run[MODP_TGT_IMPORT] = 0;
    cur_part(c, img->fixup_size);
    if ((rc = walk(img, c, &s.w, &s)) != MODLOAD_OK)
        return rc;

    /* Exports and names are adjacent: one copy keeps both. */
    mod->nexports = img->nexports;
    mod->exports = img->exports;
    mod->strtab = img->strtab;
    mod->strtab_size = img->strtab_size;
    cur_part(c, symtab);
    if (!cur_copy(c, (uint8_t *)pl->symtab_write, symtab))
        return MODLOAD_ERR_TRUNCATED;
    if (pl->symtab_write) {
        mod->exports = (const uint8_t *)pl->symtab_write;
        mod->strtab = mod->exports + img->nexports * MODP_EXPORT_SIZE;
    }
    mod->code_run = pl->code_run;
    mod->data_run = pl->data_run;
    mod->entry = img->entry;
    mod->exit = img->exit;
    mod->init_array = mod->fini_array = 0;
    mod->ninit = mod->nfini = 0;
    return MODLOAD_OK;
}

int modload_load(const modload_image *img, const modload_place *pl,
                 const modload_env *env, modload_module *mod)
{
    modload_cursor c;
    int rc;

    if (!img)
        return MODLOAD_ERR_ARG;
    /* The ABI first: nothing is written for a module of another firmware. A
     * build without the comparison refuses to be asked for it. */
#if MODLOAD_WITH_ABI
    if (env && env->abi && (rc = abi_ok(env, abi_record(img))) != MODLOAD_OK)
        return rc;
#else
    if (env && env->abi)
        return MODLOAD_ERR_PROFILE;
#endif
    /* The signing policy over the whole image, before the first write. */
#if MODLOAD_WITH_SHA256
    if (env && env->policy && (rc = policy_memory(img, env->policy)) != MODLOAD_OK)
        return rc;
#else
    if (env && env->policy)
        return MODLOAD_ERR_PROFILE;
#endif
    memset(&c, 0, sizeof c);
    c.p = c.end = img->code;
    rc = load(img, &c, pl, env, mod);
#if MODLOAD_WITH_INIT
    if (rc == MODLOAD_OK && (img->flags & MODP_F_INIT))
        rc = init_lists(img, meta_record(img, MODP_META_INIT), pl->data_run, mod);
#endif
    if (rc == MODLOAD_OK && pl->code_write && env && env->sync_code)
        env->sync_code(env->ctx, pl->code_run, img->code_size);
    return rc;
}

/* ---- streaming ------------------------------------------------------------ */
#if MODLOAD_WITH_STREAM

int modload_stream_begin(modload_stream *st, modload_read_fn read, void *ctx, modload_image *img)
{
    modload_cursor *c;
    uint8_t *hdr;
    uint32_t n;
    int rc;

    if (!st || !read || !img)
        return MODLOAD_ERR_ARG;
    c = &st->cur;
    hdr = (uint8_t *)st->name;
    memset(st, 0, sizeof *st);
    st->read = read;
    st->ctx = ctx;
    c->st = st;
    st->pull = cur_read;
#if MODLOAD_WITH_SHA256
    /* From the first byte: stream_load learns only then whether a policy
     * wants the digest. */
    st->digesting = 1;
    modload_sha256_init(&st->sha);
#endif
    c->p = c->end = st->chunk;
    cur_part(c, MODP_HEADER_MIN);
    if (!cur_copy(c, hdr, MODP_HEADER_MIN))
        return c->err;
    n = MODP_HEADER_MIN;
#if MODLOAD_WITH_INFLATE
    /* A compressed image's stored sizes follow the 1.0 fields. */
    if (modload_rd16(hdr + MODP_H_FLAGS) & MODP_F_COMPRESSED) {
        n = MODP_HEADER_COMPRESSED;
        cur_part(c, n - MODP_HEADER_MIN);
        if (!cur_copy(c, hdr + MODP_HEADER_MIN, n - MODP_HEADER_MIN))
            return c->err;
    }
#endif
    /* The length is not known yet: a short stream shows at its end. */
    if ((rc = parse_header(hdr, (size_t)-1, img)) != MODLOAD_OK)
        return rc;
    MODP_IMAGE_PARTS(PART_NOT_AT_HAND)
    img->after = 0;
    /* Header bytes past the fields read (alignment padding, newer minors). */
    cur_part(c, img->header_size - n);
    return cur_copy(c, 0, c->rest) ? MODLOAD_OK : c->err;
}

/* The metadata records as they pass: their framing is checked, the ABI
 * record compared (into *abi), the security version kept (*version) and
 * the INIT record's lists given to mod; the rest is skipped. */
static int stream_meta(modload_cursor *c, const modload_image *img, const modload_place *pl,
                       const modload_env *env, modload_module *mod, int *abi, uint32_t *version)
{
    uint32_t left = img->meta_size, len, init = 0;
    uint8_t rec[MODP_META_INIT_SIZE], type;

    cur_part(c, left);
    while (left) {
        if (left < 3 || !cur_copy(c, rec, 3))
            return left < 3 ? MODLOAD_ERR_META : MODLOAD_ERR_TRUNCATED;
        type = rec[0];
        len = modload_rd16(rec + 1);
        if (type == 0 || len > left - 3 ||
            (type == MODP_META_ABI && len != MODP_META_ABI_SIZE) ||
            (type == MODP_META_INIT && len != MODP_META_INIT_SIZE) || SECURITY_BAD(type, len))
            return MODLOAD_ERR_META;
        left -= 3 + len;
        if (type != MODP_META_ABI && type != MODP_META_INIT &&
            (type != MODP_META_SECURITY || !MODLOAD_WITH_SHA256)) {
            if (!cur_copy(c, 0, len))
                return MODLOAD_ERR_TRUNCATED;
        } else if (!cur_copy(c, rec, len)) {
            return MODLOAD_ERR_TRUNCATED;
        } else if (type == MODP_META_SECURITY) {
            *version = modload_rd32(rec);
        } else if (type == MODP_META_ABI) {
            if (*abi == MODLOAD_OK)
                *abi = abi_ok(env, rec);
        } else if (!init++) {
#if MODLOAD_WITH_INIT
            int rc = init_lists(img, rec, pl->data_run, mod);
            if (rc != MODLOAD_OK)
                return rc;
#else
            (void)pl, (void)mod;
#endif
        }
    }
    /* The flag (which load() checked against the profile) and the record
     * come together. */
    return !init != !(img->flags & MODP_F_INIT) ? MODLOAD_ERR_META : MODLOAD_OK;
}

#if MODLOAD_WITH_SHA256
/* After the image: its digest, then the signature block read from the
 * stream one entry at a time (in the name buffer, free by now) and offered
 * to the policy. The input ending within 8 bytes of the image's end, or
 * bytes that are not a block, mean no signatures. */
/* A block cut short is malformed, as in memory; a failed read stays one. */
static int sig_cut(modload_cursor *c)
{
    if (c->err == MODLOAD_ERR_TRUNCATED)
        c->err = MODLOAD_OK;
    return c->err ? c->err : MODLOAD_ERR_SIGNATURE;
}

static int stream_policy(modload_stream *st, const modload_policy *p, uint32_t version)
{
    modload_cursor *c = &st->cur;
    uint8_t digest[MODLOAD_SHA256_SIZE], *b = (uint8_t *)st->name;
    modload_signature s;
    uint32_t got = 0, k, i;
    int rc;

    modload_sha256_final(&st->sha, digest);
    st->digesting = 0;
    sig_init(&s, digest, version, 0);
    cur_part(c, MODP_SIG_HEAD);
    while (got < MODP_SIG_HEAD && (k = cur_read(c, b + got, MODP_SIG_HEAD - got)) != 0)
        got += k;
    if (got < MODP_SIG_HEAD && c->err == MODLOAD_ERR_TRUNCATED)
        c->err = MODLOAD_OK; /* fewer bytes than a head: no block, as in memory */
    else if (got < MODP_SIG_HEAD)
        return c->err;
    else if ((rc = sig_head(b)) < 0)
        return MODLOAD_ERR_SIGNATURE;
    else
        s.count = (uint32_t)rc;
    if ((rc = policy_first(p, &s)) >= 0)
        return rc;
    /* Every entry is read, as in memory the whole block is checked: one
     * cut short refuses the image even after an accepted one. */
    for (i = 0, rc = MODLOAD_ERR_SIGNATURE; i < s.count; i++) {
        cur_part(c, MODP_SIG_ENTRY);
        if (!cur_copy(c, b, MODP_SIG_ENTRY))
            return sig_cut(c);
        if (rc != MODLOAD_OK && policy_offer(p, &s, i, b))
            rc = MODLOAD_OK;
    }
    return rc;
}
#endif

int modload_stream_load(modload_stream *st, const modload_image *img, const modload_place *pl,
                        const modload_env *env, modload_module *mod)
{
    modload_cursor *c;
    uint8_t tail[4];
    uint32_t crc, version = 0;
    int rc, abi = MODLOAD_OK;
    const modload_policy *policy = env ? env->policy : 0;

    if (!st || !img || !st->read || (policy && !policy->accept))
        return MODLOAD_ERR_ARG;
#if MODLOAD_WITH_SHA256
    if (!policy)
        st->digesting = 0; /* nobody asks for the digest */
#else
    if (policy)
        return MODLOAD_ERR_PROFILE;
#endif
    c = &st->cur;
    rc = load(img, c, pl, env, mod);
    if (rc == MODLOAD_OK && pl->symtab_write) {
        /* The copied exports are checked as the image's would be. */
        modload_image t = *img;
        t.exports = mod->exports;
        t.strtab = mod->strtab;
        rc = check_exports(&t);
    }
    if (rc == MODLOAD_OK && !pl->symtab_write)
        mod->nexports = 0; /* nothing kept to look symbols up in */
    if (rc == MODLOAD_OK)
        rc = stream_meta(c, img, pl, env, mod, &abi, &version);
    if (rc == MODLOAD_OK) {
        crc = st->crc; /* everything before the CRC field */
        cur_part(c, 4);
        if (!cur_copy(c, tail, 4))
            rc = MODLOAD_ERR_TRUNCATED;
        else if (modload_rd32(tail) != crc)
            rc = MODLOAD_ERR_CRC;
        else
            rc = abi; /* a corrupted record must not pose as another ABI */
    }
#if MODLOAD_WITH_SHA256
    if (rc == MODLOAD_OK && policy)
        rc = stream_policy(st, policy, version);
#endif
    (void)version;
    /* A failed read explains more than what it made the parser see. */
    if (c->err)
        rc = c->err;
    if (rc == MODLOAD_OK && env && env->sync_code)
        env->sync_code(env->ctx, pl->code_run, img->code_size);
    return rc;
}

#else /* !MODLOAD_WITH_STREAM */

int modload_stream_begin(modload_stream *st, modload_read_fn read, void *ctx, modload_image *img)
{
    (void)st, (void)read, (void)ctx, (void)img;
    return MODLOAD_ERR_PROFILE;
}

int modload_stream_load(modload_stream *st, const modload_image *img, const modload_place *pl,
                        const modload_env *env, modload_module *mod)
{
    (void)st, (void)img, (void)pl, (void)env, (void)mod;
    return MODLOAD_ERR_PROFILE;
}
#endif

modload_addr modload_entry(const modload_module *mod)
{
    return mod->entry == MODP_NONE ? 0 : mod->code_run + mod->entry;
}

modload_addr modload_exit(const modload_module *mod)
{
    return mod->exit == MODP_NONE ? 0 : mod->code_run + mod->exit;
}

int modload_find(const modload_module *mod, const char *name, modload_addr *addr)
{
    uint32_t hash = modload_hash(name), lo = 0, hi = mod->nexports;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (modload_rd32(mod->exports + mid * MODP_EXPORT_SIZE) < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Hashes are unique; names were checked to be terminated in the table. */
    if (lo < mod->nexports) {
        const uint8_t *e = mod->exports + lo * MODP_EXPORT_SIZE;
        uint32_t off = modload_rd16(e + MODP_E_NAME);
        if (modload_rd32(e) == hash &&
            (off == MODP_NO_NAME || name_cmp((const char *)mod->strtab + off, name) == 0)) {
            *addr = (e[MODP_E_SEG] == MODP_SEG_CODE ? mod->code_run : mod->data_run) +
                    modload_rd32(e + MODP_E_VALUE);
            return MODLOAD_OK;
        }
    }
    return MODLOAD_ERR_NOT_FOUND;
}
