/* sha256.c - SHA-256 (FIPS 180-4) for the image digest a signing policy
 * checks (modload.h, modload_policy). Freestanding, one block buffer, no
 * tables but the 64 round constants; a rolled loop keeps Thumb code small.
 * Checked against the NIST vectors by tests/unit (unit.sha256). */
#include "modload_internal.h"

#if MODLOAD_WITH_SHA256

static const uint32_t k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t ror(uint32_t x, unsigned n)
{
    return x >> n | x << (32u - n);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One 64-byte block. The message schedule is kept as a 16-word ring. */
static void block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[16], v[8], i, j, t1, t2;

    for (i = 0; i < 8; i++)
        v[i] = h[i];
    for (i = 0; i < 64; i++) {
        if (i < 16) {
            w[i] = be32(p + 4 * i);
        } else {
            uint32_t a = w[(i + 1) & 15], b = w[(i + 14) & 15];
            w[i & 15] += (ror(a, 7) ^ ror(a, 18) ^ a >> 3) + w[(i + 9) & 15] +
                         (ror(b, 17) ^ ror(b, 19) ^ b >> 10);
        }
        t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
             k[i] + w[i & 15];
        t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        /* shift the working variables down by one: h=g, g=f, ... (a
         * loop: smaller than eight moves) */
        for (j = 7; j > 0; j--)
            v[j] = v[j - 1];
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++)
        h[i] += v[i];
}

void modload_sha256_init(modload_sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(s->h, iv, sizeof iv);
    s->n = 0;
}

void modload_sha256_update(modload_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    while (len) {
        uint32_t at = s->n & 63u, k = 64u - at;
        if (k > len)
            k = (uint32_t)len;
        /* Whole blocks straight from the input; the rest through buf. */
        if (at == 0 && k == 64u) {
            block(s->h, p);
        } else {
            memcpy(s->buf + at, p, k);
            if (at + k == 64u)
                block(s->h, s->buf);
        }
        s->n += k;
        p += k;
        len -= k;
    }
}

void modload_sha256_final(modload_sha256 *s, uint8_t out[MODLOAD_SHA256_SIZE])
{
    /* The length in bits, big-endian, as 64 bits: n counts bytes (< 2^32). */
    uint32_t n = s->n, i;
    uint8_t pad[72];

    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    i = ((55u - (n & 63u)) & 63u) + 1u; /* 0x80 and zeros up to 56 mod 64 */
    pad[i + 3] = (uint8_t)(n >> 29);
    pad[i + 4] = (uint8_t)(n >> 21);
    pad[i + 5] = (uint8_t)(n >> 13);
    pad[i + 6] = (uint8_t)(n >> 5);
    pad[i + 7] = (uint8_t)(n << 3);
    modload_sha256_update(s, pad, i + 8u);
    for (i = 0; i < 32; i++)
        out[i] = (uint8_t)(s->h[i >> 2] >> (24 - 8 * (i & 3u)));
}

#endif
