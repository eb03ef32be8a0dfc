/* fuzz_stream.c - libFuzzer harness: modload's streaming loader.
 *
 * The input is an image. It is streamed through a read callback whose
 * chunk sizes (1 to 600 bytes) come from a generator seeded with the
 * input's CRC, so that every input is fed in its own pattern; one input in
 * sixteen also makes the callback fail part way. Properties:
 *   - every call returns a known code; nothing outside the guarded code,
 *     data and symbol-table blocks is written (guard.h);
 *   - a streaming load succeeds only for an image the buffer check accepts
 *     (up to the metadata, which a stream skips), and then leaves exactly
 *     the bytes a load from the buffer leaves, with the same exports;
 *   - a valid image streams with the result a buffer load has (success,
 *     or the same error: an unresolved import, a refused instruction),
 *     unless the callback failed inside the image first (then the error
 *     is MODLOAD_ERR_READ).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "image_repair.h"
#include "modload.h"

FUZZ_IMAGE_MUTATOR(0)

#define MAX_ROOM (1u << 20)

typedef struct feed {
    const uint8_t *p;
    size_t left, pos, fail_at; /* fail_at: position of the failing read, or SIZE_MAX */
    uint32_t rng;
} feed;

static int feed_read(void *ctx, uint8_t *buf, uint32_t len)
{
    feed *f = ctx;
    size_t n;

    FUZZ_ASSERT(len > 0, "read of 0 bytes");
    f->rng = f->rng * 1103515245u + 12345u;
    n = 1 + (f->rng >> 16) % 600u;
    if (n > len)
        n = len;
    if (n > f->left)
        n = f->left;
    if (f->pos + n > f->fail_at)
        return -1;
    memcpy(buf, f->p, n);
    f->p += n;
    f->pos += n;
    f->left -= n;
    return (int)n;
}

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)name;
    if ((hash & 0xFFu) == 0x5Au) /* one import in 256 stays unresolved */
        return -1;
    *addr = 0x08000001u ^ (hash & 0x00FFFFFEu);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static modload_stream st;
    modload_env env = {NULL, 0, resolve, NULL, NULL, NULL, NULL};
    modload_image img, ref;
    modload_place pl;
    modload_module mod;
    gmem region, symtab;
    feed f;
    uint32_t crc = modload_crc32(0, data, size);
    int rc, ref_rc;

    f.p = data;
    f.left = size;
    f.pos = 0;
    f.rng = crc;
    f.fail_at = (crc & 15u) == 0 && size ? (crc >> 4) % size : SIZE_MAX;

    rc = modload_stream_begin(&st, feed_read, &f, &img);
    FUZZ_ASSERT(rc >= 0 && rc < MODLOAD_ERR_COUNT, "stream_begin returned %d", rc);
    ref_rc = modload_check(data, size, &ref);
    if (rc != MODLOAD_OK) {
        FUZZ_ASSERT(ref_rc != MODLOAD_OK || f.fail_at != SIZE_MAX,
                    "stream_begin refused (%d) an image the buffer check accepts", rc);
        return 0;
    }
    if (modload_region_size(&img) > MAX_ROOM || img.code_size > MAX_ROOM ||
        modload_symtab_size(&img) > MAX_ROOM)
        return 0;

    uint32_t rsize = modload_region_size(&img), ssize = modload_symtab_size(&img);
    uint8_t *mem = gm_alloc(&region, rsize, modload_region_align(&img));
    FUZZ_ASSERT(modload_place_region(&img, mem, rsize, 0x20000000u, &pl) == MODLOAD_OK, "place");
    pl.symtab_write = gm_alloc(&symtab, ssize, 4);
    pl.symtab_room = ssize;
    rc = modload_stream_load(&st, &img, &pl, &env, &mod);
    FUZZ_ASSERT(rc >= 0 && rc < MODLOAD_ERR_COUNT, "stream_load returned %d", rc);
    FUZZ_ASSERT(gm_intact(&region) && gm_intact(&symtab), "stream_load wrote outside (rc %d)", rc);

    if (rc == MODLOAD_OK) {
        /* Only a valid image streams; the buffer path then leaves the same
         * bytes and the same symbols. */
        int nocrc = modload_check_nocrc(data, size, &ref);
        FUZZ_ASSERT(ref_rc == MODLOAD_OK || ref_rc == MODLOAD_ERR_META || nocrc == MODLOAD_ERR_META,
                    "streamed an image the buffer check refuses (%d)", ref_rc);
        if (ref_rc == MODLOAD_OK) {
            modload_place bp;
            modload_module bm;
            uint32_t i;
            uint8_t *copy = calloc(rsize ? rsize : 1, 1);
            FUZZ_ASSERT(copy != NULL, "calloc");
            FUZZ_ASSERT(modload_place_region(&ref, copy, rsize, 0x20000000u, &bp) == MODLOAD_OK, "place");
            FUZZ_ASSERT(modload_load(&ref, &bp, &env, &bm) == MODLOAD_OK, "buffer load failed after a stream");
            FUZZ_ASSERT(memcmp(copy, mem, rsize) == 0, "streamed bytes differ from a buffer load");
            for (i = 0; i < ref.nexports; i++) {
                modload_export ex;
                modload_addr a = 0, b = 0;
                FUZZ_ASSERT(modload_export_at(&ref, i, &ex) == MODLOAD_OK, "export %u", i);
                if (!ex.name)
                    continue;
                FUZZ_ASSERT(modload_find(&mod, ex.name, &a) == MODLOAD_OK &&
                                modload_find(&bm, ex.name, &b) == MODLOAD_OK && a == b,
                            "export '%s' differs", ex.name);
            }
            free(copy);
        }
    } else if (ref_rc == MODLOAD_OK) {
        /* The buffer path may fail the same way (an unresolved import, an
         * instruction a fixup refuses); a read that failed before that
         * point gives MODLOAD_ERR_READ instead. */
        modload_place bp;
        modload_module bm;
        int brc;
        uint8_t *copy = calloc(rsize ? rsize : 1, 1);
        FUZZ_ASSERT(copy != NULL, "calloc");
        FUZZ_ASSERT(modload_place_region(&ref, copy, rsize, 0x20000000u, &bp) == MODLOAD_OK, "place");
        brc = modload_load(&ref, &bp, &env, &bm);
        if (f.fail_at < ref.size)
            FUZZ_ASSERT(rc == MODLOAD_ERR_READ || (rc == brc && brc != MODLOAD_OK),
                        "a failing read gave %d (buffer load %d)", rc, brc);
        else
            FUZZ_ASSERT(brc == rc, "stream failed (%d) where the buffer load gives %d", rc, brc);
        free(copy);
    }
    gm_free(&region);
    gm_free(&symtab);
    return 0;
}
