/* ref_reloc.c - the reference relocation (see ref_reloc.h). Numbers are
 * the spec's, written out here on purpose rather than taken from
 * modformat.h: a misreading there must not hide in both. */
#include "ref_reloc.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le(const uint8_t *p, int n)
{
    uint32_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static void put_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Header (spec section 3): the fields this reference needs. */
typedef struct hdr {
    uint32_t header_size, arch, flags, arch_flags, code_size, data_size, fixup_size, nfixups, nimports;
} hdr;

static int read_hdr(const uint8_t *b, size_t len, hdr *h)
{
    if (len < 72)
        return 0;
    h->header_size = le(b + 6, 2);
    h->arch = le(b + 8, 2);
    h->flags = le(b + 10, 2);
    h->arch_flags = le(b + 12, 4);
    h->code_size = le(b + 20, 4);
    h->data_size = le(b + 24, 4);
    h->fixup_size = le(b + 48, 4);
    h->nfixups = le(b + 52, 4);
    h->nimports = le(b + 56, 4);
    /* the fixups follow header, code and data (section 2) */
    return (uint64_t)h->header_size + h->code_size + h->data_size + h->fixup_size <= len;
}

int ref_init(ref_reloc *r, const uint8_t *image, size_t len)
{
    hdr h;
    if (!read_hdr(image, len, &h))
        return 0;
    r->code_size = h.code_size;
    r->data_size = h.data_size;
    r->code = malloc(h.code_size + 1);
    r->data = malloc(h.data_size + 1);
    if (!r->code || !r->data)
        abort();
    memcpy(r->code, image + h.header_size, h.code_size);
    memcpy(r->data, image + h.header_size + h.code_size, h.data_size);
    return 1;
}

void ref_free(ref_reloc *r)
{
    free(r->code);
    free(r->data);
    r->code = r->data = NULL;
}

typedef struct rd {
    const uint8_t *p, *end;
} rd;

static int byte(rd *s, uint32_t *v)
{
    if (s->p >= s->end)
        return 0;
    *v = *s->p++;
    return 1;
}

/* LEB128 (section 1): at most 5 bytes; signed extends bit 6 of the last. */
static int leb(rd *s, uint32_t *v, int is_signed)
{
    uint32_t b;
    int i;
    *v = 0;
    for (i = 0; i < 5; i++) {
        if (!byte(s, &b))
            return 0;
        *v |= (b & 0x7Fu) << (7 * i);
        if (!(b & 0x80u)) {
            if (is_signed && i < 4 && (b & 0x40u))
                *v |= ~0u << (7 * (i + 1));
            return 1;
        }
    }
    return 0;
}

/* ---- the kinds (section 6) ----------------------------------------------------- */

/* Thumb-2: hw1, hw2; imm16 = imm4:i:imm3:imm8 (hw1[3:0], hw1[10], hw2[14:12], hw2[7:0]). */
static uint32_t thm_imm(const uint8_t *p)
{
    uint32_t hw1 = le(p, 2), hw2 = le(p + 2, 2);
    return (hw1 & 0xFu) << 12 | (hw1 >> 10 & 1u) << 11 | (hw2 >> 12 & 7u) << 8 | (hw2 & 0xFFu);
}

static void thm_set(uint8_t *p, uint32_t imm)
{
    uint32_t hw1 = le(p, 2), hw2 = le(p + 2, 2);
    hw1 = (hw1 & ~0x040Fu) | (imm >> 12 & 0xFu) | (imm >> 11 & 1u) << 10;
    hw2 = (hw2 & ~0x70FFu) | (imm >> 8 & 7u) << 12 | (imm & 0xFFu);
    p[0] = (uint8_t)hw1;
    p[1] = (uint8_t)(hw1 >> 8);
    p[2] = (uint8_t)hw2;
    p[3] = (uint8_t)(hw2 >> 8);
}

/* ARM: imm16 = imm4:imm12 (w[19:16], w[11:0]). */
static uint32_t arm_imm(const uint8_t *p)
{
    uint32_t w = le(p, 4);
    return (w >> 16 & 0xFu) << 12 | (w & 0xFFFu);
}

static void arm_set(uint8_t *p, uint32_t imm)
{
    uint32_t w = le(p, 4);
    put_le(p, (w & ~0x000F0FFFu) | (imm >> 12 & 0xFu) << 16 | (imm & 0xFFFu));
}

/* Is the pair what its kind names: Thumb-2 MOVW T3 (11110 i 100100 imm4,
 * 0 imm3 Rd imm8) and MOVT T1 (11110 i 101100 imm4, ...), or ARM-state
 * MOVW A2 (cond 00110000 imm4 Rd imm12) and MOVT A1 (cond 00110100 ...)?
 * Encodings from the Arm Architecture Reference Manual. */
static int pair_ok(int thumb, const uint8_t *a, const uint8_t *b)
{
    if (thumb) {
        uint32_t a1 = le(a, 2), a2 = le(a + 2, 2), b1 = le(b, 2), b2 = le(b + 2, 2);
        return (a1 & 0xFBF0u) == 0xF240u && !(a2 & 0x8000u) && (b1 & 0xFBF0u) == 0xF2C0u && !(b2 & 0x8000u);
    }
    return (le(a, 4) >> 20 & 0xFFu) == 0x30u && (le(b, 4) >> 20 & 0xFFu) == 0x34u;
}

/* Section 6.1: the I-type and S-type checks. */
static int rv_itype(uint32_t w)
{
    uint32_t major = w >> 2 & 0x1Fu;
    if ((w & 3u) != 3u)
        return 0;
    if (major == 4 || major == 6)
        return (w >> 12 & 3u) != 1u; /* not the shifts */
    return major == 0 || major == 1 || major == 25;
}

static int rv_stype(uint32_t w)
{
    uint32_t major = w >> 2 & 0x1Fu;
    return (w & 3u) == 3u && (major == 8 || major == 9);
}

static int apply(const hdr *h, uint32_t kind, uint8_t *s1, uint8_t *s2, uint32_t lo12,
                 uint64_t value)
{
    uint32_t v32 = (uint32_t)value, w;

    switch (kind) {
    case 0: /* WORD32 */
        put_le(s1, le(s1, 4) + v32);
        return REF_OK;
    case 1: { /* WORD64 */
        uint64_t x = ((uint64_t)le(s1 + 4, 4) << 32 | le(s1, 4)) + value;
        put_le(s1, (uint32_t)x);
        put_le(s1 + 4, (uint32_t)(x >> 32));
        return REF_OK;
    }
    case 2: /* THM_MOVW_MOVT */
    case 3: { /* ARM_MOVW_MOVT */
        int thumb = kind == 2;
        uint32_t x;
        if (!pair_ok(thumb, s1, s2))
            return REF_BAD_INSN;
        x = ((thumb ? thm_imm(s2) : arm_imm(s2)) << 16 | (thumb ? thm_imm(s1) : arm_imm(s1))) + v32;
        if (thumb) {
            thm_set(s1, x & 0xFFFFu);
            thm_set(s2, x >> 16);
        } else {
            arm_set(s1, x & 0xFFFFu);
            arm_set(s2, x >> 16);
        }
        return REF_OK;
    }
    case 4: { /* RV_HI20 */
        uint32_t a;
        w = le(s1, 4);
        if ((w & 0x7Fu) != 0x37u)
            return REF_BAD_INSN;
        a = (w & 0xFFFFF000u) + (lo12 >= 0x800u ? lo12 - 0x1000u : lo12);
        if (h->arch_flags & 0x20u) { /* rv64: T = value + sext32(A) */
            int64_t t = (int64_t)value + (int64_t)(int32_t)a;
            if (t < -(int64_t)0x80000000 - 0x800 || t >= (int64_t)0x80000000 - 0x800)
                return REF_RANGE;
        }
        put_le(s1, (w & 0xFFFu) | ((a + v32 + 0x800u) & 0xFFFFF000u));
        return REF_OK;
    }
    case 5: /* RV_LO12_I */
        w = le(s1, 4);
        if (!rv_itype(w))
            return REF_BAD_INSN;
        put_le(s1, (w & 0x000FFFFFu) | (((w >> 20) + v32) & 0xFFFu) << 20);
        return REF_OK;
    case 6: { /* RV_LO12_S */
        uint32_t imm;
        w = le(s1, 4);
        if (!rv_stype(w))
            return REF_BAD_INSN;
        imm = ((w >> 25) << 5 | (w >> 7 & 0x1Fu)) + v32;
        put_le(s1, (w & 0x01FFF07Fu) | (imm >> 5 & 0x7Fu) << 25 | (imm & 0x1Fu) << 7);
        return REF_OK;
    }
    default:
        return REF_UNKNOWN_KIND;
    }
}

static uint32_t hash(const uint8_t *s, uint32_t n)
{
    uint32_t h = 0x811C9DC5u;
    while (n--)
        h = (h ^ *s++) * 0x01000193u;
    return h;
}

int ref_apply(ref_reloc *r, const uint8_t *image, size_t len)
{
    hdr h;
    rd s;
    uint32_t imports = 0;

    r->fixups = r->kinds = 0;
    if (!read_hdr(image, len, &h))
        return REF_MALFORMED;
    s.p = image + h.header_size + h.code_size + h.data_size;
    s.end = s.p + h.fixup_size;
    while (s.p < s.end) {
        uint32_t first, target, ngroups;
        uint64_t value = 0;
        if (!leb(&s, &first, 0))
            return REF_MALFORMED;
        target = first & 3u;
        ngroups = first >> 2;
        if (target == 0)
            value = r->code_run;
        else if (target == 1)
            value = r->data_run;
        else {  /* 2 an import, 3 a weak one (0 when unresolved) */
            uint32_t n, hv;
            char name[256];
            if (!byte(&s, &n))
                return REF_MALFORMED;
            if (n == 0) {
                if (s.end - s.p < 4)
                    return REF_MALFORMED;
                hv = le(s.p, 4);
                s.p += 4;
                name[0] = 0;
            } else {
                if ((uint32_t)(s.end - s.p) < n + 1 || s.p[n] != 0 || memchr(s.p, 0, n))
                    return REF_MALFORMED;
                memcpy(name, s.p, n + 1);
                hv = hash(s.p, n);
                s.p += n + 1;
            }
            imports++;
            if (!r->import(r->ctx, name, hv, &value)) {
                if (target == 2)
                    return REF_UNRESOLVED;
                value = 0;
            }
        }

        while (ngroups--) {
            uint32_t head, kind, seg, unit, nops, width, cursor = 0, size;
            uint8_t *base;
            if (!byte(&s, &head) || (head & 0x80u) || !leb(&s, &nops, 0))
                return REF_MALFORMED;
            kind = head & 0xFu;
            seg = head >> 4 & 1u;
            unit = head >> 5 & 3u;
            if (kind > 6)
                return REF_UNKNOWN_KIND;
            width = kind == 1 ? 8u : 4u;
            size = seg ? r->data_size : r->code_size;
            base = seg ? r->data : r->code;
            while (nops--) {
                uint32_t v, count = 1, a2 = 0, lo12 = 0;
                uint64_t at, at2;
                int rc;
                if (!leb(&s, &v, 0))
                    return REF_MALFORMED;
                if (kind == 2 || kind == 3) { /* pair: gap, delta */
                    if (!leb(&s, &a2, 1))
                        return REF_MALFORMED;
                    cursor += v << unit;
                } else if (kind == 4) { /* operand: gap, lo12 */
                    if (!leb(&s, &lo12, 0) || lo12 > 0xFFFu)
                        return REF_MALFORMED;
                    cursor += v << unit;
                } else if (v & 1u) {
                    count = (v >> 1) + 1u;
                } else {
                    cursor += (v >> 1) << unit;
                }
                while (count--) {
                    at = cursor;
                    at2 = (kind == 2 || kind == 3) ? (uint64_t)((int64_t)cursor + (int64_t)(int32_t)a2 * (1 << unit))
                                                   : at;
                    if (at + width > size || at2 + width > size)
                        return REF_MALFORMED;
                    if ((kind == 2 || kind == 3) && at2 + 4 > at && at + 4 > at2)
                        return REF_MALFORMED; /* the two sites overlap */
                    if (seg == 0 && r->xip)
                        return REF_XIP_SITE;
                    if (seg == 0 && r->code_words && (kind == 2 || kind == 3))
                        return REF_WORDS_PAIR;
                    r->kinds |= 1u << kind;
                    if ((rc = apply(&h, kind, base + at, base + at2, lo12, value)) != REF_OK)
                        return rc;
                    r->fixups++;
                    cursor += width;
                }
            }
        }
    }
    if (imports != h.nimports || r->fixups != h.nfixups)
        return REF_MALFORMED;
    return REF_OK;
}
