/* image_repair.c - the structure-aware mutator (see image_repair.h).
 *
 * The image is cut into its parts by the header's sizes (clamped to the
 * bytes there are), each part is repaired into a fresh buffer, and the
 * image is assembled again with the header's sizes, counts and CRC taken
 * from what was assembled. Where a value is out of range the repair folds
 * it into range (a modulo of the mutated value) rather than resetting it,
 * so that the mutation still decides where a site or an export lands.
 */
#include "image_repair.h"

#include <stdlib.h>
#include <string.h>

#include "modformat.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }

static uint32_t next(uint32_t *rng)
{
    *rng = *rng * 1103515245u + 12345u;
    return *rng >> 8;
}

/* v folded into [0, n]. */
static uint32_t fold(uint32_t v, uint32_t n)
{
    return n == 0xFFFFFFFFu ? v : v % (n + 1u);
}

static uint32_t fnv(const uint8_t *s)
{
    uint32_t h = MODP_HASH_INIT;
    for (; *s; s++)
        h = (h ^ *s) * MODP_HASH_PRIME;
    return h;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xEDB88320u & -(c & 1u));
    }
    return ~c;
}

/* ---- output buffer ------------------------------------------------------- */

typedef struct out {
    uint8_t *p;
    size_t n, cap;
    int full;
} out;

static void put(out *o, const void *b, size_t n)
{
    if (o->n + n > o->cap) {
        o->full = 1;
        return;
    }
    memcpy(o->p + o->n, b, n);
    o->n += n;
}

static void put8(out *o, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    put(o, &b, 1);
}

static void put_uleb(out *o, uint32_t v)
{
    do {
        put8(o, (v & 0x7Fu) | (v > 0x7Fu ? 0x80u : 0u));
        v >>= 7;
    } while (v);
}

static void put_sleb(out *o, int32_t v)
{
    for (;;) {
        uint32_t b = (uint32_t)v & 0x7Fu;
        int32_t rest = v >> 7; /* arithmetic on every compiler we use */
        if ((rest == 0 && !(b & 0x40u)) || (rest == -1 && (b & 0x40u))) {
            put8(o, b);
            return;
        }
        put8(o, b | 0x80u);
        v = rest;
    }
}

/* ---- input cursor ---------------------------------------------------------- */

typedef struct in {
    const uint8_t *p, *end;
} in;

static int get8(in *c, uint32_t *v)
{
    if (c->p >= c->end)
        return 0;
    *v = *c->p++;
    return 1;
}

/* Lenient LEB128: up to 5 bytes, high bits dropped. */
static int get_leb(in *c, uint32_t *v, int is_signed)
{
    uint32_t b, shift = 0;
    *v = 0;
    do {
        if (shift > 28 || !get8(c, &b))
            return 0;
        *v |= (b & 0x7Fu) << shift;
        shift += 7;
    } while (b & 0x80u);
    if (is_signed && shift < 32 && (b & 0x40u))
        *v |= ~0u << shift;
    return 1;
}

/* ---- the fixup stream -------------------------------------------------------- */

typedef struct seg_info {
    uint32_t size[2];   /* stored bytes of code and data */
    uint16_t arch, flags;
    uint32_t rv64;
} seg_info;

/* Sites whose instruction the repair may make match its kind. */
typedef struct site {
    uint8_t kind, seg;
    uint32_t off, off2;
} site;

#define MAX_SITES 256

typedef struct stream_fix {
    out o;
    uint32_t nfixups, nimports, code_sites;
    site sites[MAX_SITES];
    uint32_t nsites;
} stream_fix;

static int kind_allowed(uint32_t kind, uint32_t arch)
{
    switch (kind) {
    case MODP_FIX_WORD32:
    case MODP_FIX_WORD64:
        return 1;
    case MODP_FIX_THM_MOVW_MOVT:
    case MODP_FIX_ARM_MOVW_MOVT:
        return arch == MODP_ARCH_ARM;
    case MODP_FIX_RV_HI20:
    case MODP_FIX_RV_LO12_I:
    case MODP_FIX_RV_LO12_S:
        return arch == MODP_ARCH_RISCV;
    default:
        return 0;
    }
}

static uint32_t fix_kind(uint32_t kind, uint32_t arch)
{
    static const uint8_t arm[] = {0, 1, 2, 3}, rv[] = {0, 1, 4, 5, 6}, other[] = {0, 1};
    if (kind_allowed(kind, arch))
        return kind;
    if (arch == MODP_ARCH_ARM)
        return arm[kind % sizeof arm];
    if (arch == MODP_ARCH_RISCV)
        return rv[kind % sizeof rv];
    return other[kind % sizeof other];
}

/* One group: its ops re-encoded so that every site fits its segment; the
 * ops are written to o once their number is known. Returns 0 when nothing
 * of the group is usable (no segment can hold one site). */
static int fix_group(in *c, const seg_info *si, stream_fix *sf, out *o, uint32_t head, uint32_t *rng)
{
    uint32_t kind = fix_kind(MODP_G_KIND(head), si->arch), seg = MODP_G_SEG(head), u = MODP_G_UNIT(head);
    uint32_t width = kind == MODP_FIX_WORD64 ? 8u : 4u, nops, done = 0, cursor = 0, limit, i;
    int pair = kind == MODP_FIX_THM_MOVW_MOVT || kind == MODP_FIX_ARM_MOVW_MOVT;
    int operand = kind == MODP_FIX_RV_HI20;
    uint8_t ops[2048];
    out oo = {ops, 0, sizeof ops, 0};

    if (si->size[seg] < width)
        seg ^= 1u;
    if (si->size[seg] < width)
        return 0;
    limit = si->size[seg] - width;
    if (!get_leb(c, &nops, 0))
        nops = 0;
    if (nops > 64)
        nops = 64 + nops % 64;
    for (i = 0; i < nops && cursor <= limit && !oo.full; i++) {
        uint32_t v, delta = 0, arg = 0, room = limit - cursor, count = 1;
        if (!get_leb(c, &v, 0) || (pair && !get_leb(c, &delta, 1)) || (operand && !get_leb(c, &arg, 0)))
            break;
        if (!pair && !operand && (v & 1u)) {
            count = fold(v >> 1, room / width) + 1u;
            put_uleb(&oo, (count - 1u) << 1 | 1u);
        } else {
            uint32_t gap = fold(pair || operand ? v : v >> 1, room >> u);
            put_uleb(&oo, pair || operand ? gap : gap << 1);
            cursor += gap << u;
        }
        if (pair) {
            /* the second site in [0, limit] */
            int32_t lo = -(int32_t)(cursor >> u), hi = (int32_t)((limit - cursor) >> u), d = (int32_t)delta;
            if (d < lo || d > hi)
                d = lo + (int32_t)(((uint32_t)(d < 0 ? -(int64_t)d : d)) % (uint32_t)(hi - lo + 1));
            put_sleb(&oo, d);
            delta = (uint32_t)d;
        }
        if (operand)
            put_uleb(&oo, arg & 0xFFFu);
        while (count--) {
            if (sf->nsites < MAX_SITES && kind != MODP_FIX_WORD32 && kind != MODP_FIX_WORD64) {
                site *s = &sf->sites[sf->nsites++];
                s->kind = (uint8_t)kind;
                s->seg = (uint8_t)seg;
                s->off = cursor;
                s->off2 = cursor + (delta << u);
            }
            sf->nfixups++;
            sf->code_sites += seg == MODP_SEG_CODE;
            cursor += width;
        }
        done++;
    }
    (void)rng;
    put8(o, MODP_G_HEAD(kind, seg, u));
    put_uleb(o, done);
    put(o, ops, oo.n);
    return 1;
}

static void fix_stream(const uint8_t *p, uint32_t n, const seg_info *si, stream_fix *sf, uint32_t *rng)
{
    in c = {p, p + n};
    uint32_t blocks = 0;

    while (c.p < c.end && blocks++ < 64 && !sf->o.full) {
        uint32_t v, target, ngroups, g, made = 0, b;
        uint8_t body[24576];
        out ob = {body, 0, sizeof body, 0};

        if (!get_leb(&c, &v, 0))
            break;
        target = v & 3u;
        if (target == 3u)
            target = MODP_TGT_IMPORT;
        ngroups = v >> 2;
        if (ngroups > 8)
            ngroups = 8 + ngroups % 8;
        if (target == MODP_TGT_IMPORT) {
            uint8_t name[256];
            uint32_t len = 0;
            if (!get8(&c, &b))
                break;
            if (si->flags & MODP_F_STRIPPED) {
                /* namelen 0, the hash as 4 bytes (the first bytes of a
                 * name, if there was one, whose rest is skipped) */
                uint8_t h[4] = {0, 0, 0, 0};
                uint32_t skip = b ? b + 1u : 4u;
                for (len = 0; len < skip && get8(&c, &v); len++)
                    if (len < 4)
                        h[len] = (uint8_t)v;
                put8(&ob, 0);
                put(&ob, h, 4);
            } else {
                uint32_t want = b ? b : 4u;
                while (len < want && get8(&c, &v))
                    name[len++] = v ? (uint8_t)v : (uint8_t)('a' + v % 26);
                if (len == 0)
                    name[len++] = 'f';
                get8(&c, &v); /* the terminator, whatever it was */
                put8(&ob, len);
                put(&ob, name, len);
                put8(&ob, 0);
            }
            sf->nimports++;
        }
        for (g = 0; g < ngroups; g++) {
            if (!get8(&c, &b))
                break;
            made += (uint32_t)fix_group(&c, si, sf, &ob, b & 0x7Fu, rng);
        }
        if (ob.full)
            break;
        put_uleb(&sf->o, made << 2 | target);
        put(&sf->o, body, ob.n);
    }
}

/* Make the instruction at a patched site one its kind accepts (most of the
 * time: a mismatch must stay possible). */
static void fix_insns(const stream_fix *sf, uint8_t *seg[2], uint32_t *rng)
{
    uint32_t i;
    for (i = 0; i < sf->nsites; i++) {
        const site *s = &sf->sites[i];
        uint8_t *a = seg[s->seg] + s->off, *b = seg[s->seg] + s->off2;
        if (next(rng) % 8 == 0)
            continue;
        switch (s->kind) {
        case MODP_FIX_THM_MOVW_MOVT: /* T3 MOVW, T1 MOVT; hw2 bit 15 clear */
            wr32(a, (rd32(a) & ~0x8000FBF0u) | 0x0000F240u);
            wr32(b, (rd32(b) & ~0x8000FBF0u) | 0x0000F2C0u);
            break;
        case MODP_FIX_ARM_MOVW_MOVT:
            wr32(a, (rd32(a) & ~0x0FF00000u) | 0x03000000u);
            wr32(b, (rd32(b) & ~0x0FF00000u) | 0x03400000u);
            break;
        case MODP_FIX_RV_HI20:
            wr32(a, (rd32(a) & ~0x7Fu) | 0x37u);
            break;
        case MODP_FIX_RV_LO12_I: /* addi, or a load */
            wr32(a, (rd32(a) & ~0x707Fu) | (next(rng) & 1 ? 0x13u : 0x2003u));
            break;
        case MODP_FIX_RV_LO12_S: /* sw */
            wr32(a, (rd32(a) & ~0x707Fu) | 0x2023u);
            break;
        default:
            break;
        }
    }
}

/* ---- exports ---------------------------------------------------------------- */

static int cmp_export(const void *a, const void *b)
{
    uint32_t x = rd32(a), y = rd32(b);
    return x < y ? -1 : x > y;
}

/* The entries (n of them) made valid, sorted, and without equal hashes;
 * returns how many remain. strtab is terminated and non-empty when named. */
static uint32_t fix_exports(uint8_t *e, uint32_t n, const uint8_t *strtab, uint32_t strtab_size,
                            const seg_info *si, uint32_t data_room, uint32_t *rng)
{
    uint32_t i, k, thumb = si->arch == MODP_ARCH_ARM;
    int stripped = (si->flags & MODP_F_STRIPPED) != 0;

    for (i = 0; i < n; i++) {
        uint8_t *x = e + i * MODP_EXPORT_SIZE;
        uint32_t value = rd32(x + MODP_E_VALUE), seg = x[MODP_E_SEG] & 1u;
        if (seg == MODP_SEG_CODE && si->size[0] == 0)
            seg = MODP_SEG_DATA;
        if (seg == MODP_SEG_CODE && (value & ~thumb) >= si->size[0])
            value = (value % si->size[0]) | (value & thumb);
        if (seg == MODP_SEG_CODE && (value & ~thumb) >= si->size[0])
            value &= ~thumb;
        if (seg == MODP_SEG_DATA && value > data_room)
            value = fold(value, data_room);
        wr32(x + MODP_E_VALUE, value);
        x[MODP_E_SEG] = (uint8_t)seg;
        if (x[MODP_E_TYPE] != MODP_SYM_FUNC && x[MODP_E_TYPE] != MODP_SYM_OBJECT)
            x[MODP_E_TYPE] = (uint8_t)(1u + (x[MODP_E_TYPE] & 1u));
        if (stripped) {
            wr16(x + MODP_E_NAME, MODP_NO_NAME);
        } else {
            uint32_t name = rd16(x + MODP_E_NAME);
            if (name >= strtab_size)
                name = name % strtab_size;
            wr16(x + MODP_E_NAME, name);
            wr32(x + MODP_E_HASH, fnv(strtab + name));
        }
    }
    (void)rng;
    qsort(e, n, MODP_EXPORT_SIZE, cmp_export);
    for (i = k = 0; i < n; i++) {
        if (k && rd32(e + (k - 1) * MODP_EXPORT_SIZE) == rd32(e + i * MODP_EXPORT_SIZE))
            continue;
        memmove(e + k * MODP_EXPORT_SIZE, e + i * MODP_EXPORT_SIZE, MODP_EXPORT_SIZE);
        k++;
    }
    return k;
}

/* ---- metadata ------------------------------------------------------------------ */

static int is_string(uint32_t type)
{
    return type == MODP_META_NAME || type == MODP_META_DESCRIPTION || type == MODP_META_VERSION ||
           type == MODP_META_TOOL || type == MODP_META_NOSPLIT;
}

static void fix_meta(const uint8_t *p, uint32_t n, out *o, unsigned opts, uint32_t *rng)
{
    uint32_t pos = 0;
    int named = 0;

    while (n - pos >= 3) {
        uint32_t type = p[pos], len = rd16(p + pos + 1), i;
        uint8_t rec[3 + 65535];
        if (len > n - pos - 3)
            len = n - pos - 3;
        if (type == 0)
            type = MODP_META_BUILD_ID;
        if (type == MODP_META_ABI && len != MODP_META_ABI_SIZE)
            type = MODP_META_BUILD_ID;
        if (is_string(type) && len == 0)
            type = MODP_META_BUILD_ID;
        if (type == MODP_META_NAME && named)
            type = MODP_META_DESCRIPTION;
        rec[0] = (uint8_t)type;
        wr16(rec + 1, len);
        memcpy(rec + 3, p + pos + 3, len);
        if (is_string(type)) {
            for (i = 0; i + 1 < len; i++)
                if (!rec[3 + i])
                    rec[3 + i] = 'x';
            rec[3 + len - 1] = 0;
        }
        if (type == MODP_META_NAME)
            named = 1;
        put(o, rec, 3 + len);
        pos += 3 + len;
    }
    if ((opts & FUZZ_REPAIR_NAME) && !named) {
        /* a few names, so that modreg meets duplicates */
        uint8_t rec[6] = {MODP_META_NAME, 3, 0, 'm', (uint8_t)('0' + next(rng) % 4), 0};
        put(o, rec, sizeof rec);
    }
}

/* ---- the image ------------------------------------------------------------------- */

typedef struct parts {
    const uint8_t *p[MODP_PARTS];
    uint32_t n[MODP_PARTS];
    const uint8_t *tail;      /* bytes after the image */
    size_t ntail;
} parts;

/* The parts by the header's sizes, each clamped to what is left. */
static int cut(const uint8_t *d, size_t size, parts *pt)
{
    static const uint8_t at[MODP_PARTS] = {0, MODP_H_CODE_SIZE, MODP_H_DATA_SIZE, MODP_H_FIXUP_SIZE,
                                           MODP_H_NEXPORTS, MODP_H_STRTAB_SIZE, MODP_H_META_SIZE};
    size_t pos = 0, left, isize;
    int k;

    if (size < MODP_HEADER_MIN + MODP_CRC_SIZE || memcmp(d, MODP_MAGIC, 4) != 0)
        return 0;
    isize = rd32(d + MODP_H_IMAGE_SIZE);
    if (isize > size || isize < MODP_HEADER_MIN + MODP_CRC_SIZE)
        isize = size;
    left = isize - MODP_CRC_SIZE;
    for (k = 0; k < MODP_PARTS; k++) {
        uint64_t n = k == 0 ? rd16(d + MODP_H_HEADER_SIZE) : rd32(d + at[k]);
        if (k == MODP_PART_EXPORTS)
            n *= MODP_EXPORT_SIZE;
        if (k == 0 && n < MODP_HEADER_MIN)
            n = MODP_HEADER_MIN;
        if (n > left - pos)
            n = k == MODP_PART_EXPORTS ? (left - pos) / MODP_EXPORT_SIZE * MODP_EXPORT_SIZE : left - pos;
        pt->p[k] = d + pos;
        pt->n[k] = (uint32_t)n;
        pos += (size_t)n;
    }
    pt->tail = d + isize;
    pt->ntail = size - isize;
    return 1;
}

static size_t assemble(const parts *pt, uint8_t *dst, size_t max, uint32_t *rng, unsigned opts)
{
    static uint8_t buf[1u << 20], hdr[4096], fix[1u << 18], exp[1u << 16], meta[1u << 17];
    static stream_fix sf;
    static const uint16_t arches[] = {MODP_ARCH_386, MODP_ARCH_ARM, MODP_ARCH_X86_64, MODP_ARCH_XTENSA,
                                      MODP_ARCH_RISCV};
    out o = {buf, 0, sizeof buf < max ? sizeof buf : max, 0}, om = {meta, 0, sizeof meta, 0};
    seg_info si;
    uint8_t *seg[2];
    uint32_t hsize = pt->n[0], i, nexp, code_size = pt->n[1], data_size = pt->n[2], bss, align, doff;
    uint32_t strtab_size = pt->n[MODP_PART_STRTAB], entry, exitf, thumb;
    const uint8_t *strtab = pt->p[MODP_PART_STRTAB];
    static const uint8_t one_name[] = "e";

    /* header: known arch, flags and alignments; the sizes come later */
    if (hsize > sizeof hdr || hsize < MODP_HEADER_MIN)
        hsize = MODP_HEADER_MIN;
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, pt->p[0], pt->n[0] < hsize ? pt->n[0] : hsize);
    hsize = (hsize + 7u) & ~7u;
    memcpy(hdr, MODP_MAGIC, 4);
    hdr[MODP_H_MAJOR] = MODP_VERSION_MAJOR;
    wr16(hdr + MODP_H_HEADER_SIZE, hsize);
    si.arch = (uint16_t)rd16(hdr + MODP_H_ARCH);
    for (i = 0; i < sizeof arches / sizeof arches[0] && arches[i] != si.arch; i++)
        ;
    if (i == sizeof arches / sizeof arches[0])
        si.arch = arches[si.arch % i];
    wr16(hdr + MODP_H_ARCH, si.arch);
    /* (compressed images are fuzz_inflate.c's: their stored sizes are not
     * the segments' sizes this repair writes) */
    si.flags = (uint16_t)(rd16(hdr + MODP_H_FLAGS) & MODP_F_KNOWN & ~MODP_F_COMPRESSED);
    wr16(hdr + MODP_H_RESERVED, 0);
    hdr[MODP_H_CODE_ALIGN] %= MODP_MAX_ALIGN_LOG2 + 1;
    hdr[MODP_H_DATA_ALIGN] %= MODP_MAX_ALIGN_LOG2 + 1;
    si.size[0] = code_size;
    si.size[1] = data_size;
    si.rv64 = 0;

    /* the bytes of code and data, which the fixups' instructions may change */
    if (code_size + data_size > sizeof buf)
        return 0;
    seg[0] = buf + hsize;
    seg[1] = seg[0] + code_size;
    o.n = hsize;
    put(&o, pt->p[1], code_size);
    put(&o, pt->p[2], data_size);
    if (o.full)
        return 0;

    memset(&sf, 0, sizeof sf);
    sf.o.p = fix;
    sf.o.cap = sizeof fix;
    fix_stream(pt->p[MODP_PART_FIXUPS], pt->n[MODP_PART_FIXUPS], &si, &sf, rng);
    fix_insns(&sf, seg, rng);
    if (sf.code_sites && next(rng) % 8)
        si.flags &= (uint16_t)~MODP_F_XIP; /* XIP: the code has no sites */
    wr16(hdr + MODP_H_FLAGS, si.flags);
    put(&o, fix, sf.o.n);

    /* bss and the one-region layout */
    bss = rd32(hdr + MODP_H_BSS_SIZE);
    if (bss > 0x10000u)
        bss &= 0xFFFFu;
    align = 1u << hdr[MODP_H_DATA_ALIGN];
    doff = rd32(hdr + MODP_H_DATA_OFFSET);
    if (doff < code_size || doff - code_size > 0x10000u || (doff & (align - 1u)))
        doff = (code_size + (doff - code_size) % 64u + align - 1u) & ~(align - 1u);
    if (doff < code_size)
        doff = (code_size + align - 1u) & ~(align - 1u);
    thumb = si.arch == MODP_ARCH_ARM;
    entry = rd32(hdr + MODP_H_ENTRY);
    exitf = rd32(hdr + MODP_H_EXIT);
    if (entry != MODP_NONE && (entry & ~thumb) >= code_size)
        entry = code_size ? entry % code_size : MODP_NONE;
    if (exitf != MODP_NONE && (exitf & ~thumb) >= code_size)
        exitf = code_size ? exitf % code_size : MODP_NONE;
    if (opts & FUZZ_REPAIR_NO_ENTRY)
        entry = exitf = MODP_NONE;

    /* exports and their names */
    nexp = pt->n[MODP_PART_EXPORTS] / MODP_EXPORT_SIZE;
    if (si.flags & MODP_F_STRIPPED) {
        strtab_size = 0;
    } else if (nexp && strtab_size == 0) {
        strtab = one_name;
        strtab_size = sizeof one_name;
    }
    memcpy(exp, pt->p[MODP_PART_EXPORTS], nexp * MODP_EXPORT_SIZE);
    {
        uint8_t *st = o.p + o.n + nexp * MODP_EXPORT_SIZE; /* the names' place, filled below */
        if (o.n + nexp * MODP_EXPORT_SIZE + strtab_size > o.cap)
            return 0;
        memcpy(st, strtab, strtab_size);
        if (strtab_size)
            st[strtab_size - 1] = 0;
        nexp = fix_exports(exp, nexp, st, strtab_size, &si, data_size + bss, rng);
        memmove(o.p + o.n + nexp * MODP_EXPORT_SIZE, st, strtab_size);
        memcpy(o.p + o.n, exp, nexp * MODP_EXPORT_SIZE);
        o.n += nexp * MODP_EXPORT_SIZE + strtab_size;
    }

    fix_meta(pt->p[MODP_PART_META], pt->n[MODP_PART_META], &om, opts, rng);
    put(&o, meta, om.n);

    wr32(hdr + MODP_H_CODE_SIZE, code_size);
    wr32(hdr + MODP_H_DATA_SIZE, data_size);
    wr32(hdr + MODP_H_BSS_SIZE, bss);
    wr32(hdr + MODP_H_DATA_OFFSET, doff);
    wr32(hdr + MODP_H_ENTRY, entry);
    wr32(hdr + MODP_H_EXIT, exitf);
    wr32(hdr + MODP_H_FIXUP_SIZE, (uint32_t)sf.o.n);
    wr32(hdr + MODP_H_NFIXUPS, sf.nfixups);
    wr32(hdr + MODP_H_NIMPORTS, sf.nimports);
    wr32(hdr + MODP_H_NEXPORTS, nexp);
    wr32(hdr + MODP_H_STRTAB_SIZE, strtab_size);
    wr32(hdr + MODP_H_META_SIZE, (uint32_t)om.n);
    wr32(hdr + MODP_H_IMAGE_SIZE, (uint32_t)(o.n + MODP_CRC_SIZE));
    memcpy(o.p, hdr, hsize);
    {
        uint32_t crc = crc32(o.p, o.n);
        uint8_t c[4];
        if (next(rng) % 32 == 0)
            crc ^= 1u << next(rng) % 32; /* sometimes wrong */
        wr32(c, crc);
        put(&o, c, 4);
    }
    put(&o, pt->tail, pt->ntail);
    if (o.full || o.n > max)
        return 0;
    memcpy(dst, o.p, o.n);
    return o.n;
}

size_t fuzz_image_repair(uint8_t *data, size_t size, size_t max, uint32_t *rng, unsigned opts)
{
    parts pt;
    size_t n;
    if (!cut(data, size, &pt))
        return size;
    n = assemble(&pt, data, max, rng, opts);
    return n ? n : size;
}

size_t fuzz_image_mutate(uint8_t *data, size_t size, size_t max, unsigned seed, unsigned opts)
{
    static uint8_t scratch[1u << 20];
    uint32_t rng = seed, r = next(&rng) % 8, k;
    parts pt;
    size_t n, before, after, room;

    if (r == 0 || max > sizeof scratch / 2 || !cut(data, size, &pt))
        return LLVMFuzzerMutate(data, size, max);
    /* which part: the fixups most often, the header least */
    r = next(&rng) % 20;
    k = r < 7 ? MODP_PART_FIXUPS : r < 10 ? MODP_PART_EXPORTS : r < 12 ? MODP_PART_STRTAB : r < 14 ? MODP_PART_META
        : r < 16 ? MODP_PART_CODE : r < 18 ? MODP_PART_DATA : MODP_PART_HEADER;
    before = (size_t)(pt.p[k] - data);
    after = size - before - pt.n[k];
    room = max > before + after ? max - before - after : pt.n[k];
    /* data, with the part replaced by its mutation, in scratch */
    memcpy(scratch, data, before);
    memcpy(scratch + before + room, pt.p[k] + pt.n[k], after);
    memcpy(scratch + before, pt.p[k], pt.n[k]);
    n = LLVMFuzzerMutate(scratch + before, pt.n[k], room);
    if (k == MODP_PART_EXPORTS)
        n -= n % MODP_EXPORT_SIZE;
    if (k == MODP_PART_HEADER && n < MODP_HEADER_MIN)
        return size;
    memmove(scratch + before + n, scratch + before + room, after);
    /* the new size of the part into the header, so that cut finds it */
    if (k == MODP_PART_HEADER) {
        wr16(scratch + MODP_H_HEADER_SIZE, (uint32_t)n);
    } else {
        static const uint8_t at[MODP_PARTS] = {0, MODP_H_CODE_SIZE, MODP_H_DATA_SIZE, MODP_H_FIXUP_SIZE,
                                               MODP_H_NEXPORTS, MODP_H_STRTAB_SIZE, MODP_H_META_SIZE};
        wr32(scratch + at[k], (uint32_t)(k == MODP_PART_EXPORTS ? n / MODP_EXPORT_SIZE : n));
    }
    wr32(scratch + MODP_H_IMAGE_SIZE, (uint32_t)(before + n + after - pt.ntail));
    n = before + n + after;
    if (n > max)
        return LLVMFuzzerMutate(data, size, max);
    memcpy(data, scratch, n);
    return fuzz_image_repair(data, n, max, &rng, opts);
}
