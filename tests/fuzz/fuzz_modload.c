/* fuzz_modload.c - libFuzzer harness: modload's validation and loading
 * from a buffer.
 *
 * The input is an image. Properties checked on every input:
 *   - modload_check and modload_check_nocrc return a known code, agree with
 *     each other, and give the same answer on an exact-size copy of the
 *     image (bytes after image_size are not part of it);
 *   - modload_open gives modload_check's answer, or passes an image whose
 *     only fault is in its fixup stream (modload_walk's answer);
 *   - an image that passes either is loaded one-region, split (SPLIT) and
 *     execute in place (XIP) into guarded memory (guard.h): nothing outside the
 *     memory given is written, the image copy (read-only, ending at a
 *     PROT_NONE page) is neither written nor read past its end;
 *   - after a successful load the entry, exit and every export resolve to
 *     the run address the tables say, also from the symbol table copy
 *     once the image is gone; a load of a stream modload_check refuses
 *     fails.
 * Loops that never end are caught by libFuzzer's -timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_table.h"
#include "guard.h"
#include "image_repair.h"
#include "modload.h"

FUZZ_IMAGE_MUTATOR(0)

#define MAX_ROOM (1u << 20) /* larger modules are checked, not loaded */

typedef struct sync_rec {
    modload_addr run;
    uint32_t len;
    int calls;
} sync_rec;

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    FUZZ_ASSERT(name != NULL, "resolve got a NULL name");
    if (name[0])
        FUZZ_ASSERT(modload_hash(name) == hash, "import name and hash disagree");
    if ((hash & 0xFFu) == 0x5Au) /* one import in 256 stays unresolved */
        return -1;
    *addr = 0x08000001u ^ (hash & 0x00FFFFFEu);
    return 0;
}

static void sync_code(void *ctx, modload_addr run, uint32_t len)
{
    sync_rec *s = ctx;
    s->run = run;
    s->len = len;
    s->calls++;
}

/* Firmware symbols, sorted by hash as modload_lookup wants. */
static const char *const fw_names[] = {"fw_puts", "fw_printf", "fw_val", "fw_get",
                                       "fw_record", "fw_register", "fw_table", "fw_led"};
#define NFW (sizeof fw_names / sizeof fw_names[0])
static modload_symbol fw_syms[NFW];

static void init_fw(void)
{
    static int done;
    if (!done) {
        fw_table(fw_syms, fw_names, NFW);
        done = 1;
    }
}

/* Export names and values, copied out of the image before it goes away. */
typedef struct expt {
    char name[64];
    int named;
    uint8_t seg;
    uint32_t value;
} expt;

static size_t collect_exports(const modload_image *img, expt *out, size_t max)
{
    size_t n = 0;
    uint32_t i;
    for (i = 0; i < img->nexports && n < max; i++) {
        modload_export ex;
        FUZZ_ASSERT(modload_export_at(img, i, &ex) == MODLOAD_OK, "export %u of a checked image", i);
        out[n].named = ex.name != NULL && strlen(ex.name) < sizeof out[n].name;
        if (out[n].named)
            strcpy(out[n].name, ex.name);
        out[n].seg = ex.seg;
        out[n].value = ex.value;
        n++;
    }
    return n;
}

static void check_module(const modload_image *img, const modload_module *mod, const expt *ex, size_t nex)
{
    size_t i;
    FUZZ_ASSERT(modload_entry(mod) == (img->entry == MODP_NONE ? 0 : mod->code_run + img->entry), "entry");
    FUZZ_ASSERT(modload_exit(mod) == (img->exit == MODP_NONE ? 0 : mod->code_run + img->exit), "exit");
    for (i = 0; i < nex; i++) {
        modload_addr a = 0, want;
        if (!ex[i].named)
            continue;
        want = (ex[i].seg == MODP_SEG_CODE ? mod->code_run : mod->data_run) + ex[i].value;
        FUZZ_ASSERT(modload_find(mod, ex[i].name, &a) == MODLOAD_OK, "export '%s' not found", ex[i].name);
        FUZZ_ASSERT(a == want, "export '%s' at 0x%llx, want 0x%llx", ex[i].name, (unsigned long long)a,
                    (unsigned long long)want);
    }
}

/* A signing policy that takes some signatures and some unsigned images, by
 * bits of what it is shown, so that every path of the policy runs. */
static int accept_some(void *ctx, const modload_signature *s)
{
    (void)ctx;
    FUZZ_ASSERT(s->digest && (s->count == 0) == (s->sig == NULL) && (s->sig == NULL) == (s->key_id == NULL) &&
                    s->index < (s->count ? s->count : 1u),
                "policy shown an inconsistent signature");
    return s->sig ? (s->sig[63] & 1) : (s->digest[0] & 1);
}

static void check_rc(int rc, const char *what)
{
    FUZZ_ASSERT(rc >= 0 && rc < MODLOAD_ERR_COUNT, "%s returned %d", what, rc);
    FUZZ_ASSERT(modload_strerror(rc) != NULL, "%s: no text for %d", what, rc);
}

/* One load with the given placement; blocks are checked for stray writes. */
static int load_once(const modload_image *img, modload_place *pl, gmem *blocks, size_t nblocks,
                     const expt *ex, size_t nex, int use_table, int checked, modload_module *out)
{
    sync_rec sr = {0, 0, 0};
    modload_env env = {use_table ? fw_syms : NULL, use_table ? (uint32_t)NFW : 0, resolve, NULL, sync_code, NULL, NULL};
    modload_module mod;
    size_t i;
    int rc;

    env.ctx = &sr;
    rc = modload_load(img, pl, &env, &mod);
    check_rc(rc, "modload_load");
    for (i = 0; i < nblocks; i++)
        FUZZ_ASSERT(gm_intact(&blocks[i]), "modload_load wrote outside block %zu (rc %d)", i, rc);
    FUZZ_ASSERT(checked || rc != MODLOAD_OK, "modload_load took a fixup stream modload_check refuses");
    if (rc != MODLOAD_OK)
        return rc;
    FUZZ_ASSERT(mod.code_run == pl->code_run && mod.data_run == pl->data_run, "run addresses");
    if (pl->code_write)
        FUZZ_ASSERT(sr.calls == 1 && sr.run == pl->code_run && sr.len == img->code_size, "sync_code");
    else
        FUZZ_ASSERT(sr.calls == 0, "sync_code for code in place");
    check_module(img, &mod, ex, nex);
    if (out)
        *out = mod;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static expt ex[256];
    modload_image img, img2;
    gmem ro, blk[2];
    size_t nex;
    uint8_t *copy;
    int rc, rc2, rco;

    memset(blk, 0, sizeof blk);
    init_fw();
    rc = modload_check(data, size, &img);
    check_rc(rc, "modload_check");
    rc2 = modload_check_nocrc(data, size, &img);
    check_rc(rc2, "modload_check_nocrc");
    FUZZ_ASSERT(rc == rc2 || (rc == MODLOAD_ERR_CRC && rc2 == MODLOAD_OK), "check %d, nocrc %d", rc, rc2);
    rco = modload_open(data, size, &img);
    check_rc(rco, "modload_open");
    if (rco == MODLOAD_OK && rc != MODLOAD_OK)
        FUZZ_ASSERT(modload_walk(&img, NULL) == rc2, "open passes where check gives %d, not the walk's", rc);
    else
        FUZZ_ASSERT(rco == rc || (rco == MODLOAD_ERR_CRC && rc != MODLOAD_OK), "check %d, open %d", rc, rco);
    if (rc2 != MODLOAD_OK && rco != MODLOAD_OK)
        return 0;
    /* img: filled by modload_open, which fails (if at all) only at the CRC */
    FUZZ_ASSERT(img.size <= size && img.size >= MODP_HEADER_MIN + 4, "image_size %u of %zu", img.size, size);

    /* The image alone, read-only, its last byte just before a guard page. */
    copy = gm_alloc(&ro, img.size, 1);
    memcpy(copy, data, img.size);
    gm_readonly(&ro);
    FUZZ_ASSERT(modload_check(copy, img.size, &img2) == rc, "exact-size copy checks differently");
    FUZZ_ASSERT((rc2 == MODLOAD_OK ? modload_check_nocrc : modload_open)(copy, img.size, &img) == MODLOAD_OK,
                "exact-size copy");
    nex = collect_exports(&img, ex, sizeof ex / sizeof ex[0]);

    if (modload_region_size(&img) <= MAX_ROOM && img.code_size <= MAX_ROOM) {
        uint32_t rsize = modload_region_size(&img), ralign = modload_region_align(&img);
        uint32_t ssize = modload_symtab_size(&img);
        modload_place pl;
        modload_module mod;
        uint8_t *mem;

        /* Split: code and data apart, write and run addresses differ. */
        if (img.flags & MODP_F_SPLIT) {
            memset(&pl, 0, sizeof pl);
            pl.code_write = gm_alloc(&blk[0], img.code_size, img.code_align);
            pl.code_room = img.code_size;
            pl.code_run = 0x10000000u;
            pl.data_write = gm_alloc(&blk[1], img.data_size + img.bss_size, img.data_align);
            pl.data_room = img.data_size + img.bss_size;
            pl.data_run = 0x20000000u;
            load_once(&img, &pl, blk, 2, ex, nex, 0, rc2 == MODLOAD_OK, NULL);
            gm_free(&blk[0]);
            gm_free(&blk[1]);
        }

        /* Execute in place: only data is written. */
        if (img.flags & MODP_F_XIP) {
            memset(&pl, 0, sizeof pl);
            pl.code_run = 0x08000000u;
            pl.data_write = gm_alloc(&blk[0], img.data_size + img.bss_size, img.data_align);
            pl.data_room = img.data_size + img.bss_size;
            pl.data_run = pl.code_run + img.data_offset;
            load_once(&img, &pl, blk, 1, ex, nex, 1, rc2 == MODLOAD_OK, NULL);
            gm_free(&blk[0]);
        }
        /* One region, symbols copied; then the image goes away. */
        mem = gm_alloc(&blk[0], rsize, ralign);
        FUZZ_ASSERT(modload_place_region(&img, mem, rsize, (modload_addr)(uintptr_t)mem, &pl) == MODLOAD_OK,
                    "place_region");
        if (rsize)
            FUZZ_ASSERT(modload_place_region(&img, mem, rsize - 1, (modload_addr)(uintptr_t)mem, &pl) ==
                            MODLOAD_ERR_SPACE, "room - 1");
        if (ralign > 1)
            FUZZ_ASSERT(modload_place_region(&img, mem, rsize, (modload_addr)(uintptr_t)mem + ralign / 2, &pl) ==
                            MODLOAD_ERR_ALIGN, "misaligned run");
        modload_place_region(&img, mem, rsize, (modload_addr)(uintptr_t)mem, &pl);
        if (ssize <= MAX_ROOM) {
            pl.symtab_write = gm_alloc(&blk[1], ssize, 1);
            pl.symtab_room = ssize;
        }
        if (load_once(&img, &pl, blk, pl.symtab_write ? 2 : 1, ex, nex, 1, rc2 == MODLOAD_OK, &mod) == MODLOAD_OK &&
            pl.symtab_write) {
            /* The copy alone must serve every lookup. */
            gm_free(&ro);
            check_module(&img, &mod, ex, nex);
        }
        gm_free(&blk[0]);
        gm_free(&blk[1]);
    }
    gm_free(&ro); /* no-op when freed above */

    /* The signing policy, over the input as given: the bytes after the
     * image are its signature block. A refusal writes nothing. */
    if (rc == MODLOAD_OK && modload_region_size(&img) <= MAX_ROOM) {
        static const modload_policy pol = {accept_some, NULL, 2};
        modload_env env = {fw_syms, (uint32_t)NFW, resolve, NULL, NULL, NULL, &pol};
        uint32_t rsize, i, dirty = 0;
        modload_place pl;
        modload_module mod;
        uint8_t *mem;

        FUZZ_ASSERT(modload_check(data, size, &img) == MODLOAD_OK, "check again");
        rsize = modload_region_size(&img);
        mem = gm_alloc(&blk[0], rsize, modload_region_align(&img));
        memset(mem, 0x5A, rsize);
        modload_place_region(&img, mem, rsize, (modload_addr)(uintptr_t)mem, &pl);
        rc = modload_load(&img, &pl, &env, &mod);
        check_rc(rc, "modload_load with a policy");
        FUZZ_ASSERT(gm_intact(&blk[0]), "modload_load with a policy wrote outside the region");
        if (rc == MODLOAD_ERR_UNSIGNED || rc == MODLOAD_ERR_SIGNATURE || rc == MODLOAD_ERR_DOWNGRADE) {
            for (i = 0; i < rsize; i++)
                dirty += mem[i] != 0x5A;
            FUZZ_ASSERT(dirty == 0, "a refused image wrote %u bytes", dirty);
        }
        gm_free(&blk[0]);
    }
    return 0;
}
