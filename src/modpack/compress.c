/* compress.c - compressed segments (formats/image-format.md section 14):
 * zlib's raw deflate on the way in, modload's inflater (the target's code)
 * to check them on the way out. */
#include "compress.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int mp_deflate(const uint8_t *p, size_t n, mp_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* Raw deflate (negative windowBits), the largest window: the target
     * inflates into the segment itself, so the window costs it nothing
     * (section 14); memLevel 9 and level 9: the smallest output zlib makes. */
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return mp_error("zlib: deflateInit2 failed");
    uLong bound = deflateBound(&z, (uLong)n);
    size_t at = out->len;
    for (uLong i = 0; i < bound; i++)
        buf_u8(out, 0);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = out->p + at;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len = at + z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return mp_error("zlib: deflate failed (%d)", rc);
    return 0;
}

typedef struct bounded { const uint8_t *p, *end; } bounded;

static int bounded_next(void *ctx)
{
    bounded *b = ctx;
    return b->p < b->end ? *b->p++ : -1;
}

int mp_inflate_check(const modload_image *img)
{
    if (!(img->flags & MODP_F_COMPRESSED))
        return MODLOAD_OK;
    const struct { const uint8_t *p; uint32_t stored, size; } seg[2] = {
        {img->code, img->code_stored, img->code_size}, {img->data, img->data_stored, img->data_size}};
    for (int i = 0; i < 2; i++) {
        uint8_t *out = mp_malloc(seg[i].size ? seg[i].size : 1);
        bounded b = {seg[i].p, seg[i].p + seg[i].stored};
        int rc = modload_inflate(out, seg[i].size, bounded_next, &b);
        free(out);
        if (rc == MODLOAD_OK && b.p != b.end)
            rc = MODLOAD_ERR_INFLATE; /* stored bytes after the deflate data */
        if (rc != MODLOAD_OK)
            return rc;
    }
    return MODLOAD_OK;
}
