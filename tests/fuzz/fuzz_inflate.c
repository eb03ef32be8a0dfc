/* fuzz_inflate.c - libFuzzer harness: modload_inflate against zlib.
 *
 * The input is one mode byte, two size bytes and raw deflate data. zlib's
 * inflate (raw, 32 KiB window) decodes the data first; the size modload is
 * asked for is zlib's output size when zlib reached the end of the data
 * (mode % 4: 0 exactly, 1 one byte less, 2 one byte more), else the two
 * size bytes. Asserted:
 *   - the data zlib decodes to exactly size bytes gives modload the same
 *     bytes, from the same number of input bytes;
 *   - modload accepts nothing else (no other size, nothing zlib refuses);
 *   - modload writes only inside the size bytes it was given (a guard
 *     page after them, canaries before), reads no input byte past the end
 *     nor one twice, and always returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "guard.h"
#include "modload.h"

#define MAX_OUT (1u << 20)

typedef struct source {
    const uint8_t *p;
    size_t n, used;
} source;

static int next(void *ctx)
{
    source *s = ctx;

    if (s->used == s->n)
        return -1;
    return s->p[s->used++];
}

/* zlib's verdict: 1 when the data ends within n bytes and decodes to at
 * most MAX_OUT bytes (*out, *outlen, *inlen), else 0. */
static int zlib_inflate(const uint8_t *p, size_t n, uint8_t *out, size_t *outlen, size_t *inlen)
{
    z_stream z;
    int rc;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        abort();
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = MAX_OUT;
    rc = inflate(&z, Z_FINISH);
    *outlen = z.total_out;
    *inlen = z.total_in;
    inflateEnd(&z);
    return rc == Z_STREAM_END;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ref;
    size_t reflen = 0, refin = 0, want;
    source src;
    gmem g;
    uint8_t *dst;
    int zok, rc, mode;

    if (size < 3)
        return 0;
    if (!ref && !(ref = malloc(MAX_OUT)))
        abort();
    mode = data[0] & 3;
    src.p = data + 3;
    src.n = size - 3;
    src.used = 0;
    zok = zlib_inflate(src.p, src.n, ref, &reflen, &refin);
    want = (size_t)data[1] | (size_t)data[2] << 8;
    if (zok && mode < 3)
        want = mode == 0 ? reflen : mode == 1 ? reflen - (reflen > 0) : reflen + 1;
    /* front: a read or write before dst faults; the canaries after it catch
     * a write past it */
    dst = gm_alloc_at(&g, want, 1, (data[0] >> 2) & 1);
    rc = modload_inflate(dst, (uint32_t)want, next, &src);
    FUZZ_ASSERT(gm_intact(&g), "write outside the %zu bytes given", want);
    FUZZ_ASSERT(rc == MODLOAD_OK || rc == MODLOAD_ERR_INFLATE, "returned %d", rc);
    FUZZ_ASSERT(src.used <= src.n, "read past the input");
    if (zok && reflen == want) {
        FUZZ_ASSERT(rc == MODLOAD_OK, "refused data zlib inflates to %zu bytes", want);
        FUZZ_ASSERT(memcmp(dst, ref, want) == 0, "bytes differ from zlib's");
        FUZZ_ASSERT(src.used == refin, "used %zu input bytes, zlib %zu", src.used, refin);
    } else {
        FUZZ_ASSERT(rc != MODLOAD_OK, "accepted data zlib %s", zok ? "inflates to another size" : "refuses");
    }
    gm_free(&g);
    return 0;
}
