/* fuzz_modreg.c - libFuzzer harness: the module registry (modreg.c).
 *
 * The input is an image followed by a script, one byte per step (bits
 * 0..2 the operation, 3..4 which of four copies of the image, bits 5..7 a
 * chunk size or a failure to inject). The copies differ in their name's
 * first byte, so up to four modules of the same image coexist; entry, exit
 * and the constructor lists are cleared in every copy (the host runs no
 * module code). The first
 * script byte picks a guarded pool (bit 0 clear) or allocator callbacks
 * that hand out guarded blocks and may fail. Operations: load from the
 * buffer, load from a stream, load from a "path", unload, reload from the
 * buffer or a stream, unload everything, look up.
 *
 * After every step:
 *   - the pool's canaries and every callback block's are intact, and
 *     every callback block handed out is live exactly while a module holds
 *     it (freed with the size it was allocated with; none leaks);
 *   - loaded modules lie inside the pool, do not overlap, and the stats
 *     add up; a failed load leaves the registry as it was;
 *   - a load succeeds only for an image modload_check accepts (a stream:
 *     but for the metadata's content, which streams do not check); every
 *     export of a loaded module is found at its run address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "image_repair.h"
#include "modreg.h"
#include "scripted.h"

FUZZ_IMAGE_MUTATOR(FUZZ_REPAIR_NO_ENTRY | FUZZ_REPAIR_NAME)

#define NSLOTS 4
#define POOL (64u * 1024u)
#define MAX_BLOCKS 16

/* ---- allocator callbacks ------------------------------------------------- */

typedef struct blocks {
    gmem g[MAX_BLOCKS];
    uint32_t size[MAX_BLOCKS];
    int live[MAX_BLOCKS];
    int fail_next;
} blocks;

static void *cb_alloc(void *ctx, uint32_t size, uint32_t align)
{
    blocks *b = ctx;
    int i;
    FUZZ_ASSERT(align && !(align & (align - 1u)) && align <= 4096, "alloc: align %u", align);
    if (b->fail_next) {
        b->fail_next = 0;
        return NULL;
    }
    if (size > (1u << 20))
        return NULL;
    for (i = 0; i < MAX_BLOCKS && b->live[i]; i++)
        ;
    if (i == MAX_BLOCKS)
        return NULL;
    b->live[i] = 1;
    b->size[i] = size;
    return gm_alloc_at(&b->g[i], size, align, i & 1);
}

static void cb_free(void *ctx, void *mem, uint32_t size)
{
    blocks *b = ctx;
    int i;
    for (i = 0; i < MAX_BLOCKS; i++)
        if (b->live[i] && b->g[i].p == mem)
            break;
    FUZZ_ASSERT(i < MAX_BLOCKS, "free of a block never allocated (or freed twice)");
    FUZZ_ASSERT(b->size[i] == size, "free with size %u, allocated %u", size, b->size[i]);
    FUZZ_ASSERT(gm_intact(&b->g[i]), "a module wrote outside its block");
    gm_free(&b->g[i]);
    b->live[i] = 0;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct feed {
    const uint8_t *p;
    size_t left;
    uint32_t chunk;
    int fail_at; /* bytes before the read that fails, or -1 */
} feed;

static int feed_read(void *ctx, uint8_t *buf, uint32_t len)
{
    feed *f = ctx;
    size_t n = f->chunk < len ? f->chunk : len;
    if (n > f->left)
        n = f->left;
    if (f->fail_at >= 0 && (size_t)f->fail_at < n)
        return -1;
    if (f->fail_at >= 0)
        f->fail_at -= (int)n;
    memcpy(buf, f->p, n);
    f->p += n;
    f->left -= n;
    return (int)n;
}

static feed path_feed;

static void *fs_open(void *ctx, const char *path)
{
    (void)ctx;
    return path[0] == 'x' ? NULL : &path_feed;
}

static void fs_close(void *h)
{
    FUZZ_ASSERT(h == &path_feed, "close of another handle");
}

/* ---- checks --------------------------------------------------------------- */

static void check_registry(const modreg *reg, const gmem *pool, const blocks *b, int use_pool)
{
    modreg_stats st;
    modreg_info info[NSLOTS + 1];
    uint32_t pos = 0, n = 0, i, j, used = 0, live = 0;

    if (use_pool)
        FUZZ_ASSERT(gm_intact(pool), "a module wrote outside the pool");
    for (i = 0; i < MAX_BLOCKS; i++)
        if (b->live[i]) {
            FUZZ_ASSERT(gm_intact(&b->g[i]), "a module wrote outside its block");
            live++;
        }
    while (n <= NSLOTS && modreg_next(reg, &pos, &info[n]))
        n++;
    FUZZ_ASSERT(n <= NSLOTS, "more modules than slots");
    modreg_stats_get(reg, &st);
    FUZZ_ASSERT(st.modules == n && st.slots == NSLOTS, "stats: %u modules, %u listed", st.modules, n);
    if (!use_pool)
        FUZZ_ASSERT(live == n, "%u callback blocks live for %u modules", live, n);
    for (i = 0; i < n; i++) {
        modload_addr lo = info[i].mod->code_run, hi = lo + info[i].mem_size;
        used += info[i].mem_size;
        FUZZ_ASSERT(info[i].state == MODREG_LIVE, "a module not live between calls");
        if (use_pool)
            FUZZ_ASSERT(lo >= (uintptr_t)pool->p && hi <= (uintptr_t)pool->p + POOL, "module outside the pool");
        for (j = 0; j < i; j++) {
            modload_addr lo2 = info[j].mod->code_run, hi2 = lo2 + info[j].mem_size;
            FUZZ_ASSERT(hi <= lo2 || hi2 <= lo, "modules %s and %s overlap", info[i].name, info[j].name);
            FUZZ_ASSERT(strcmp(info[i].name, info[j].name) != 0, "two modules named %s", info[i].name);
        }
    }
    FUZZ_ASSERT(st.pool_used == used, "stats: %u bytes used, blocks %u", st.pool_used, used);
    if (use_pool)
        FUZZ_ASSERT(st.pool_total == POOL && st.pool_free == POOL - used && st.largest_free <= st.pool_free,
                    "pool stats");
}

/* Every export of a loaded module found where its table says (mi: its
 * checked image, name: its name record). */
static void check_exports(const modreg *reg, const modload_image *mi, const char *name)
{
    modreg_info info;
    uint32_t i;
    if (!name || modreg_find(reg, name, &info) != MODLOAD_OK)
        return;
    FUZZ_ASSERT(info.code_size == mi->code_size && info.data_size == mi->data_size &&
                info.bss_size == mi->bss_size, "info sizes");
    for (i = 0; i < mi->nexports; i++) {
        modload_export ex;
        modload_addr a = 0;
        if (modload_export_at(mi, i, &ex) != MODLOAD_OK || !ex.name)
            continue;
        FUZZ_ASSERT(modreg_sym(reg, name, ex.name, &a) == MODLOAD_OK, "export %s of %s not found", ex.name, name);
        FUZZ_ASSERT(a == (ex.seg ? info.mod->data_run : info.mod->code_run) + ex.value, "export %s address",
                    ex.name);
    }
}

/* The first name record of copy k (the int at ctx) gets 'A' + k for its
 * first byte; the int is then -1. */
static void rename_copy(void *ctx, uint8_t *bytes, uint32_t n)
{
    int *k = ctx;
    if (n > 1 && *k >= 0) {
        bytes[0] = (uint8_t)('A' + *k);
        *k = -1;
    }
}

/* The name record of a checked image, or NULL. */
static const char *name_of(const modload_image *mi)
{
    uint32_t pos = 0;
    modload_meta m;
    while (modload_meta_next(mi, &pos, &m) == MODLOAD_OK)
        if (m.type == MODP_META_NAME)
            return (const char *)m.bytes;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static modreg_slot slots[NSLOTS];
    static modreg reg;
    static blocks b;
    static uint8_t copy[4][1u << 16];
    static const uint8_t default_script[] = {0x00, 0x00, 0x09, 0x31, 0x10, 0x04, 0x2C, 0x03, 0x0D, 0x06,
                                             0x01, 0x1A, 0x07, 0x08, 0x0B, 0x06};
    modreg_alloc al = {cb_alloc, cb_free, &b};
    modreg_fs fs = {fs_open, feed_read, fs_close, NULL};
    gmem pool;
    size_t ilen, i, nscript;
    const uint8_t *script;
    int use_pool, valid[4], streams[4], k;
    modload_image mi[4];
    const char *names[4];

    init_fw();
    if (!split_input(data, size, default_script, sizeof default_script, 64, &ilen, &script, &nscript))
        return 0;
    if (ilen > sizeof copy[0])
        return 0;
    for (k = 0; k < 4; k++) {
        /* copy k: entry, exit and constructor lists cleared, the name's
         * first byte 'A' + k (when it has one) */
        int tag = k, rc = copy_inert(copy[k], data, ilen, rename_copy, &tag);
        valid[k] = rc == MODLOAD_OK;
        /* a stream checks the metadata's framing only (modload.h) */
        streams[k] = valid[k] || rc == MODLOAD_ERR_META;
        names[k] = valid[k] && modload_check(copy[k], ilen, &mi[k]) == MODLOAD_OK ? name_of(&mi[k]) : NULL;
    }

    memset(&b, 0, sizeof b);
    use_pool = !(script[0] & 1u);
    memset(&pool, 0, sizeof pool);
    if (use_pool) {
        uint8_t *p = gm_alloc_at(&pool, POOL, 4096, script[0] >> 1 & 1);
        modreg_init(&reg, slots, NSLOTS, p, POOL, &fw_env);
    } else {
        modreg_init(&reg, slots, NSLOTS, NULL, 0, &fw_env);
        modreg_set_alloc(&reg, &al);
    }

    for (i = 1; i < nscript; i++) {
        uint32_t op = script[i] & 7u, arg = script[i] >> 5;
        int c = script[i] >> 3 & 3, rc = -1, loading = 0;
        modreg_stats before, after;
        modreg_info info;
        modreg_source src;
        feed f = {copy[c], ilen, 1u << arg, arg == 7 ? (int)(ilen / 2) : -1};
        char name[MODREG_NAME_MAX + 1];

        modreg_stats_get(&reg, &before);
        snprintf(name, sizeof name, "%s", names[c] ? names[c] : "?");
        memset(&src, 0, sizeof src);
        switch (op) {
        case 0:
            rc = modreg_load(&reg, copy[c], ilen, &info);
            loading = 1;
            break;
        case 1:
            rc = modreg_load_stream(&reg, feed_read, &f, &info);
            loading = 1;
            break;
        case 2:
            path_feed = f;
            rc = modreg_load_path(&reg, &fs, arg == 0 ? "x" : "mod", &info);
            loading = 1;
            break;
        case 3:
            modreg_unload(&reg, name);
            break;
        case 4:
        case 5: {
            /* reload the module of copy c with copy c or the next (another name) */
            int from = arg & 1 ? (c + 1) & 3 : c;
            f.p = copy[from];
            src.image = op == 4 ? copy[from] : NULL;
            src.len = ilen;
            src.read = op == 5 ? feed_read : NULL;
            src.ctx = &f;
            rc = modreg_reload(&reg, name, &src, NULL, &info);
            if (rc == MODLOAD_OK)
                FUZZ_ASSERT(op == 4 ? valid[from] : streams[from], "reload from an image modload_check refuses");
            break;
        }
        case 6:
            modreg_unload_all(&reg);
            modreg_stats_get(&reg, &after);
            FUZZ_ASSERT(after.modules == 0, "unload_all left %u modules", after.modules);
            break;
        default:
            b.fail_next = 1;
            break;
        }
        FUZZ_ASSERT(rc == -1 || (rc >= 0 && rc < MODREG_ERR_END && modreg_strerror(rc) != NULL),
                    "op %u returned %d", op, rc);
        if (loading) {
            modreg_stats_get(&reg, &after);
            if (rc == MODLOAD_OK) {
                FUZZ_ASSERT(op == 0 ? valid[c] : streams[c], "modreg loaded an image modload_check refuses");
                FUZZ_ASSERT(after.modules == before.modules + 1, "a load that added no module");
            } else {
                FUZZ_ASSERT(after.modules == before.modules && after.pool_used == before.pool_used,
                            "a failed load (%d) changed the registry", rc);
            }
        }
        if (getenv("FUZZ_MODREG_TRACE"))
            fprintf(stderr, "op %u copy %d: %d\n", op, c, rc);
        check_registry(&reg, &pool, &b, use_pool);
        for (k = 0; k < 4; k++)
            if (names[k])
                check_exports(&reg, &mi[k], names[k]);
    }
    modreg_unload_all(&reg);
    check_registry(&reg, &pool, &b, use_pool);
    for (k = 0; k < MAX_BLOCKS; k++)
        FUZZ_ASSERT(!b.live[k], "callback block %d never freed", k);
    gm_free(&pool);
    return 0;
}
