/* inflate.c - raw deflate (RFC 1951) decoded straight into its place.
 *
 * A compressed segment (spec section 14) inflates into the memory it will
 * run from: the bytes already written are the window, so there is no
 * window buffer, and a back-reference may reach only inside the segment.
 * The input is pulled one byte at a time from a callback (the image in
 * memory, or a stream delivering chunks of any size), so the whole state
 * is the struct below, on the stack of one call.
 *
 * Bounded: every write is at an offset below size, every back-reference
 * reads at least one byte after dst; every loop consumes input bits or
 * writes output; the final block must end with exactly size bytes out.
 * The code tables are canonical Huffman codes kept as a count per length
 * and the symbols in code order, decoded a bit at a time (small, no
 * lookup tables to build).
 */
#include "modload_internal.h"

#if MODLOAD_WITH_INFLATE

#define MAXBITS 15u       /* longest code */
#define NLIT 288u         /* literal/length symbols of the fixed code */
#define NDIST 30u         /* distance symbols */
#define NCLEN 19u         /* code length code symbols */

typedef struct inflater {
    modload_inflate_in in;
    void *ctx;
    uint32_t bits;        /* unread input bits, low bit first */
    uint32_t nbits;
    uint8_t *out;
    uint32_t pos, size;
    uint16_t lcount[MAXBITS + 1], dcount[MAXBITS + 1]; /* codes per length */
    uint16_t lsym[NLIT], dsym[32];                     /* symbols in code order */
    uint8_t lens[NLIT + 32];                           /* code lengths being read */
} inflater;

/* n (<= 16) bits of input, or -1 when the input ends first. */
static int32_t getbits(inflater *z, uint32_t n)
{
    int32_t v;

    while (z->nbits < n) {
        int b = z->in(z->ctx);
        if (b < 0)
            return -1;
        z->bits |= (uint32_t)b << z->nbits;
        z->nbits += 8;
    }
    v = (int32_t)(z->bits & ((1u << n) - 1u));
    z->bits >>= n;
    z->nbits -= n;
    return v;
}

/* Canonical code from n lengths: counts per length and symbols sorted by
 * (length, symbol). -1 when over-subscribed, else the codes left unused
 * (0: complete). */
static int32_t build(uint16_t *count, uint16_t *sym, const uint8_t *len, uint32_t n)
{
    uint16_t next[MAXBITS + 1];
    int32_t left = 1;
    uint32_t i;

    memset(count, 0, (MAXBITS + 1) * sizeof *count);
    for (i = 0; i < n; i++)
        count[len[i]]++;
    next[1] = 0;
    for (i = 1; i <= MAXBITS; i++) {
        left = 2 * left - count[i];
        if (left < 0)
            return -1;
        if (i < MAXBITS)
            next[i + 1] = (uint16_t)(next[i] + count[i]);
    }
    for (i = 0; i < n; i++)
        if (len[i])
            sym[next[len[i]]++] = (uint16_t)i;
    return left;
}

/* The next symbol of a code, or -1 (input ended or no such code). */
static int32_t decode(inflater *z, const uint16_t *count, const uint16_t *sym)
{
    /* code - first: the code's rank among those of its length */
    int32_t code = 0, first = 0, index = 0, b;
    uint32_t len;

    for (len = 1; len <= MAXBITS; len++) {
        /* a bit at a time from the buffer: the inner loop of inflating */
        if (!z->nbits) {
            if ((b = z->in(z->ctx)) < 0)
                return -1;
            z->bits = (uint32_t)b;
            z->nbits = 8;
        }
        code |= (int32_t)(z->bits & 1u);
        z->bits >>= 1;
        z->nbits--;
        /* unsigned: a code below first (no valid code) never matches */
        if ((uint32_t)(code - first) < count[len])
            return sym[index + code - first];
        index += count[len];
        first = (first + count[len]) << 1;
        code <<= 1;
    }
    return -1;
}

/* A stored block: LEN, its complement, LEN bytes. */
static int stored(inflater *z)
{
    int32_t len, nlen, b;

    z->bits = z->nbits = 0; /* the rest of the byte: fewer than 8 bits */
    if ((len = getbits(z, 16)) < 0 || (nlen = getbits(z, 16)) < 0 || (len ^ nlen) != 0xFFFF ||
        (uint32_t)len > z->size - z->pos)
        return 0;
    while (len--) {
        if ((b = z->in(z->ctx)) < 0)
            return 0;
        z->out[z->pos++] = (uint8_t)b;
    }
    return 1;
}

/* Length and distance symbols above their first codes: base + extra bits,
 * computed (the RFC's tables follow a pattern). */
static int32_t length_of(inflater *z, uint32_t s)
{
    uint32_t extra;
    int32_t x;

    if (s < 8)
        return (int32_t)s + 3;
    if (s == 28)
        return 258;
    extra = (s >> 2) - 1u;
    x = getbits(z, extra);
    return x < 0 ? -1 : (int32_t)(((4u + (s & 3u)) << extra) + 3u) + x;
}

static int32_t distance_of(inflater *z, uint32_t s)
{
    uint32_t extra;
    int32_t x;

    if (s < 4)
        return (int32_t)s + 1;
    extra = (s >> 1) - 1u;
    x = getbits(z, extra);
    return x < 0 ? -1 : (int32_t)(((2u + (s & 1u)) << extra) + 1u) + x;
}

/* The symbols of one block with the codes in z. */
static int codes(inflater *z)
{
    for (;;) {
        int32_t s = decode(z, z->lcount, z->lsym), len, dist;

        if (s < 0)
            return 0;
        if (s < 256) {
            if (z->pos == z->size)
                return 0;
            z->out[z->pos++] = (uint8_t)s;
            continue;
        }
        if (s == 256)
            return 1;
        if (s > 285 || (len = length_of(z, (uint32_t)s - 257u)) < 0 ||
            (s = decode(z, z->dcount, z->dsym)) < 0 || s >= (int32_t)NDIST ||
            (dist = distance_of(z, (uint32_t)s)) < 0)
            return 0;
        /* Inside the segment: back to its first byte at most, forward to
         * its last. */
        if ((uint32_t)dist > z->pos || (uint32_t)len > z->size - z->pos)
            return 0;
        while (len--) {
            z->out[z->pos] = z->out[z->pos - (uint32_t)dist];
            z->pos++;
        }
    }
}

/* The fixed codes of block type 1. */
static void fixed(inflater *z)
{
    uint32_t i;

    for (i = 0; i < NLIT; i++)
        z->lens[i] = (uint8_t)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    build(z->lcount, z->lsym, z->lens, NLIT);
    memset(z->lens, 5, NDIST);
    build(z->dcount, z->dsym, z->lens, NDIST);
}

/* Whether build's result is a code zlib accepts: complete, a single code
 * of length 1, or no code at all (distances of a block of literals). */
static int code_ok(int32_t left, const uint16_t *count)
{
    return left == 0 || (count[1] == 1 && left == 1 << (MAXBITS - 1)) || left == 1 << MAXBITS;
}

/* The code descriptions of block type 2. */
static int dynamic(inflater *z)
{
    static const uint8_t order[NCLEN] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int32_t nlen, ndist, ncode, s, rep;
    uint32_t i, n;

    if ((nlen = getbits(z, 5)) < 0 || (ndist = getbits(z, 5)) < 0 || (ncode = getbits(z, 4)) < 0)
        return 0;
    nlen += 257;
    ndist += 1;
    if (nlen > 286 || ndist > (int32_t)NDIST)
        return 0;
    /* The code length code, in the distance tables for a while. */
    memset(z->lens, 0, NCLEN);
    for (i = 0; i < (uint32_t)ncode + 4u; i++) {
        if ((s = getbits(z, 3)) < 0)
            return 0;
        z->lens[order[i]] = (uint8_t)s;
    }
    if (build(z->dcount, z->dsym, z->lens, NCLEN) != 0)
        return 0;
    n = (uint32_t)(nlen + ndist);
    for (i = 0; i < n;) {
        uint8_t fill = 0;

        if ((s = decode(z, z->dcount, z->dsym)) < 0)
            return 0;
        if (s < 16) {
            z->lens[i++] = (uint8_t)s;
            continue;
        }
        if (s == 16) {
            if (i == 0)
                return 0;
            fill = z->lens[i - 1];
            rep = getbits(z, 2);
            rep = rep < 0 ? -1 : rep + 3;
        } else if (s == 17) {
            rep = getbits(z, 3);
            rep = rep < 0 ? -1 : rep + 3;
        } else {
            rep = getbits(z, 7);
            rep = rep < 0 ? -1 : rep + 11;
        }
        if (rep < 0 || (uint32_t)rep > n - i)
            return 0;
        while (rep--)
            z->lens[i++] = fill;
    }
    if (z->lens[256] == 0)
        return 0; /* no end of block */
    return code_ok(build(z->lcount, z->lsym, z->lens, (uint32_t)nlen), z->lcount) &&
           code_ok(build(z->dcount, z->dsym, z->lens + nlen, (uint32_t)ndist), z->dcount);
}

int modload_inflate(uint8_t *dst, uint32_t size, modload_inflate_in in, void *ctx)
{
    inflater z;
    int32_t last, type;

    if (!in || (!dst && size))
        return MODLOAD_ERR_ARG;
    z.in = in;
    z.ctx = ctx;
    z.bits = z.nbits = 0;
    z.out = dst;
    z.pos = 0;
    z.size = size;
    do {
        if ((last = getbits(&z, 1)) < 0 || (type = getbits(&z, 2)) < 0)
            return MODLOAD_ERR_INFLATE;
        if (type == 1)
            fixed(&z);
        if (type == 0 ? !stored(&z) : type == 3 || (type == 2 && !dynamic(&z)) || !codes(&z))
            return MODLOAD_ERR_INFLATE;
    } while (!last);
    return z.pos == size ? MODLOAD_OK : MODLOAD_ERR_INFLATE;
}

#endif
