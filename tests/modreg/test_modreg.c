/* test_modreg.c - the module registry with real x86-64 modules (see
 * CMakeLists.txt), loaded into an mmap'd pool of this process and run. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "modreg.h"
#include "host_test.h"

/* ---- the firmware ------------------------------------------------------------ */

static int notes[64];
static unsigned nnotes;

void fw_note(int what)
{
    if (nnotes < sizeof notes / sizeof notes[0])
        notes[nnotes++] = what;
}

static int noted(int what)
{
    for (unsigned i = 0; i < nnotes; i++)
        if (notes[i] == what)
            return (int)i + 1;
    return 0;
}

static modload_symbol fw_syms[1];
static modload_env fw_env;

static void fw_setup(void)
{
    fw_note_symbol(&fw_syms[0]);
    fw_env.syms = fw_syms;
    fw_env.nsyms = 1;
}

static image mathlib, user, counter1, counter2, counter3, failinit, big, longname;

/* The block a module takes: one region, then exports and names. */
static uint32_t block_size(const image *im)
{
    modload_image img;
    assert_int_equal(modload_check(im->p, im->len, &img), MODLOAD_OK);
    return modload_region_size(&img) + modload_symtab_size(&img);
}

/* ---- a registry over an executable pool ---------------------------------------- */

#define POOL_SIZE (64u * 1024u)
#define NSLOTS 6

static uint8_t *pool;
static modreg_slot slots[NSLOTS];
static modreg reg;
static modreg_stats start;

static int setup(void **state)
{
    (void)state;
    pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED)
        return -1;
    memset(pool, 0xA5, POOL_SIZE); /* no zero the registry forgot would go unseen */
    modreg_init(&reg, slots, NSLOTS, pool, POOL_SIZE, &fw_env);
    modreg_stats_get(&reg, &start);
    nnotes = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    modreg_unload_all(&reg);
    munmap(pool, POOL_SIZE);
    return 0;
}

static void assert_stats_equal(const modreg_stats *a, const modreg_stats *b)
{
    assert_int_equal(a->pool_total, b->pool_total);
    assert_int_equal(a->pool_used, b->pool_used);
    assert_int_equal(a->pool_free, b->pool_free);
    assert_int_equal(a->largest_free, b->largest_free);
    assert_int_equal(a->modules, b->modules);
}

static void assert_back_to_start(void)
{
    modreg_stats now;
    modreg_stats_get(&reg, &now);
    assert_stats_equal(&now, &start);
}

/* A stream from memory in chunks of 5 bytes; fail_at >= 0 makes it fail there. */
typedef struct memstream {
    const image *im;
    size_t pos;
    long fail_at;
} memstream;

static int mem_read(void *ctx, uint8_t *buf, uint32_t len)
{
    memstream *s = ctx;
    size_t n = s->im->len - s->pos;
    if (s->fail_at >= 0 && s->pos >= (size_t)s->fail_at)
        return -1;
    if (n > len)
        n = len;
    if (n > 5)
        n = 5;
    memcpy(buf, s->im->p + s->pos, n);
    s->pos += n;
    return (int)n;
}

/* Files through the path callbacks. */
static void *fs_open(void *ctx, const char *path)
{
    (void)ctx;
    char full[512];
    snprintf(full, sizeof full, "%s/%s", MODREG_MODS, path);
    return fopen(full, "rb");
}

static int fs_read(void *h, uint8_t *buf, uint32_t len)
{
    size_t n = fread(buf, 1, len, (FILE *)h);
    return ferror((FILE *)h) ? -1 : (int)n;
}

static void fs_close(void *h) { fclose((FILE *)h); }

static const modreg_fs fs = {fs_open, fs_read, fs_close, NULL};

static int call_ii(const char *mod, const char *fn, int a, int b)
{
    modload_addr addr;
    assert_int_equal(modreg_sym(&reg, mod, fn, &addr), MODLOAD_OK);
    return ((int (*)(int, int))(uintptr_t)addr)(a, b);
}

static int call_v(const char *mod, const char *fn)
{
    modload_addr addr;
    assert_int_equal(modreg_sym(&reg, mod, fn, &addr), MODLOAD_OK);
    return ((int (*)(void))(uintptr_t)addr)();
}

/* ---- tests ------------------------------------------------------------------------ */

/* Three modules, by buffer, stream and path; user imports from mathlib. */
static void three_modules(void **state)
{
    (void)state;
    modreg_info info;
    memstream ms = {&user, 0, -1};

    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, &info), MODLOAD_OK);
    assert_string_equal(info.name, "mathlib");
    assert_int_equal(info.state, MODREG_LIVE);
    assert_int_equal(modreg_load_stream(&reg, mem_read, &ms, &info), MODLOAD_OK);
    assert_string_equal(info.name, "user");
    assert_string_equal(info.version, "0.9");
    assert_int_equal(info.ndeps, 1);
    assert_int_equal(modreg_load_path(&reg, &fs, "counter1.mod", &info), MODLOAD_OK);
    assert_string_equal(info.name, "counter");
    assert_true(noted(NOTE_MATHLIB_INIT) && noted(NOTE_USER_INIT) && noted(NOTE_COUNTER_INIT + 1));

    /* user's code calls mathlib's through the bound imports */
    assert_int_equal(call_ii("user", "user_calc", 5, 0), 26);
    assert_int_equal(call_ii("mathlib", "math_mul", 6, 7), 42);
    assert_int_equal(call_v("counter", "counter_next"), 1);
    assert_int_equal(call_v("counter", "counter_next"), 2);

    /* the list: names, versions, sizes as the images record, refcounts */
    const image *ims[3] = {&mathlib, &user, &counter1};
    const char *names[3] = {"mathlib", "user", "counter"};
    const char *versions[3] = {"1.2.0", "0.9", "1.0"};
    uint32_t pos = 0, n = 0, used = 0;
    while (modreg_next(&reg, &pos, &info)) {
        modload_image img;
        assert_true(n < 3);
        assert_string_equal(info.name, names[n]);
        assert_string_equal(info.version, versions[n]);
        assert_int_equal(modload_check(ims[n]->p, ims[n]->len, &img), MODLOAD_OK);
        assert_int_equal(info.code_size, img.code_size);
        assert_int_equal(info.data_size, img.data_size);
        assert_int_equal(info.bss_size, img.bss_size);
        assert_int_equal(info.mem_size, block_size(ims[n]));
        assert_int_equal(info.refs, n == 0 ? 1 : 0);
        assert_int_equal(info.state, MODREG_LIVE);
        used += info.mem_size;
        n++;
    }
    assert_int_equal(n, 3);

    modreg_stats st;
    modreg_stats_get(&reg, &st);
    assert_int_equal(st.modules, 3);
    assert_int_equal(st.slots, NSLOTS);
    assert_int_equal(st.pool_total, POOL_SIZE);
    assert_int_equal(st.pool_used, used);
    assert_int_equal(st.pool_free, POOL_SIZE - used);
    assert_true(st.largest_free <= st.pool_free && st.largest_free > POOL_SIZE - used - 64);

    /* mathlib serves user: refused, and still serving */
    assert_int_equal(modreg_unload(&reg, "mathlib"), MODREG_ERR_IN_USE);
    assert_false(noted(NOTE_MATHLIB_EXIT));
    assert_int_equal(call_ii("user", "user_calc", 2, 0), 5);
    assert_int_equal(modreg_reload(&reg, "mathlib", &(modreg_source){.image = mathlib.p, .len = mathlib.len},
                                   NULL, NULL), MODREG_ERR_IN_USE);

    /* symbols: found, missing, no module */
    modload_addr a;
    assert_int_equal(modreg_sym(&reg, "user", "math_add", &a), MODLOAD_ERR_NOT_FOUND);
    assert_int_equal(modreg_sym(&reg, "nosuch", "math_add", &a), MODREG_ERR_NO_MODULE);
    assert_int_equal(modreg_find(&reg, "nosuch", &info), MODREG_ERR_NO_MODULE);

    /* users first: then mathlib goes, and everything is back */
    assert_int_equal(modreg_unload(&reg, "user"), MODLOAD_OK);
    assert_true(noted(NOTE_USER_EXIT));
    assert_int_equal(modreg_find(&reg, "mathlib", &info), MODLOAD_OK);
    assert_int_equal(info.refs, 0);
    assert_int_equal(modreg_unload(&reg, "mathlib"), MODLOAD_OK);
    assert_true(noted(NOTE_MATHLIB_EXIT));
    assert_int_equal(modreg_unload(&reg, "user"), MODREG_ERR_NO_MODULE);
    assert_int_equal(modreg_unload(&reg, "counter"), MODLOAD_OK);
    assert_back_to_start();
}

static void unload_all_in_order(void **state)
{
    (void)state;
    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&reg, user.p, user.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&reg, counter1.p, counter1.len, NULL), MODLOAD_OK);
    modreg_unload_all(&reg);
    assert_true(noted(NOTE_USER_EXIT) && noted(NOTE_USER_EXIT) < noted(NOTE_MATHLIB_EXIT));
    assert_true(noted(NOTE_COUNTER_EXIT - 1));
    assert_back_to_start();
}

static void refusals(void **state)
{
    (void)state;
    modreg_info info;
    modreg_stats one;

    /* a name already present */
    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    modreg_stats_get(&reg, &one);
    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, NULL), MODREG_ERR_EXISTS);
    memstream ms = {&mathlib, 0, -1};
    assert_int_equal(modreg_load_stream(&reg, mem_read, &ms, NULL), MODREG_ERR_EXISTS);
    modreg_stats now;
    modreg_stats_get(&reg, &now);
    assert_stats_equal(&now, &one);
    assert_int_equal(modreg_unload(&reg, "mathlib"), MODLOAD_OK);

    /* user without mathlib: the import is named */
    assert_int_equal(modreg_load(&reg, user.p, user.len, &info), MODLOAD_ERR_UNRESOLVED);
    assert_true(strcmp(modreg_missing(&reg), "math_add") == 0 || strcmp(modreg_missing(&reg), "math_mul") == 0);
    assert_false(noted(NOTE_USER_INIT));
    assert_back_to_start();

    /* a corrupt image, a failing stream, a missing file */
    uint8_t *bad = malloc(mathlib.len);
    memcpy(bad, mathlib.p, mathlib.len);
    bad[mathlib.len / 2] ^= 0x40;
    assert_int_equal(modreg_load(&reg, bad, mathlib.len, NULL), MODLOAD_ERR_CRC);
    image badim = {bad, mathlib.len};
    ms = (memstream){&badim, 0, -1};
    assert_int_equal(modreg_load_stream(&reg, mem_read, &ms, NULL), MODLOAD_ERR_CRC);
    free(bad);
    ms = (memstream){&mathlib, 0, (long)mathlib.len - 10};
    assert_int_equal(modreg_load_stream(&reg, mem_read, &ms, NULL), MODLOAD_ERR_READ);
    assert_int_equal(modreg_load_path(&reg, &fs, "nosuch.mod", NULL), MODREG_ERR_OPEN);
    assert_back_to_start();

    /* a name as long as MODREG_NAME_MAX (24): no room for its NUL */
    assert_int_equal(modreg_load(&reg, longname.p, longname.len, NULL), MODREG_ERR_NAME);
    ms = (memstream){&longname, 0, -1};
    assert_int_equal(modreg_load_stream(&reg, mem_read, &ms, NULL), MODREG_ERR_NAME);
    assert_false(noted(NOTE_FAILINIT_INIT));
    assert_back_to_start();

    /* every slot taken */
    modreg_slot two[2];
    modreg small;
    modreg_init(&small, two, 2, pool, POOL_SIZE, &fw_env);
    assert_int_equal(modreg_load(&small, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&small, counter1.p, counter1.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&small, user.p, user.len, NULL), MODREG_ERR_FULL);
    modreg_unload_all(&small);
    modreg_stats_get(&small, &now);
    assert_int_equal(now.pool_used, 0);
    assert_int_equal(now.modules, 0);

    /* every message exists and says something */
    for (int e = 0; e < MODREG_ERR_END; e++)
        if (e < MODLOAD_ERR_COUNT || e >= MODREG_ERR_FULL)
            assert_string_not_equal(modreg_strerror(e), "unknown error");
    assert_string_equal(modreg_strerror(MODREG_ERR_END), "unknown error");
    assert_string_equal(modreg_strerror(MODREG_ERR_IN_USE), "other modules import from this module");
}

static void init_failure(void **state)
{
    (void)state;
    modreg_info info;
    assert_int_equal(modreg_load(&reg, failinit.p, failinit.len, &info), MODREG_ERR_INIT);
    assert_int_equal(info.init_rc, 42);
    assert_true(noted(NOTE_FAILINIT_INIT));
    assert_false(noted(NOTE_FAILINIT_EXIT));
    assert_int_equal(modreg_find(&reg, "failinit", NULL), MODREG_ERR_NO_MODULE);
    assert_back_to_start();
}

/* A pool with room for big alone: with mathlib in it, big does not fit. */
static void pool_exhaustion(void **state)
{
    (void)state;
    modreg_slot s[4];
    modreg r;
    modreg_stats st0, st1, now;
    uint32_t need = block_size(&big);
    modreg_info info;

    modreg_init(&r, s, 4, pool, need + 64, &fw_env);
    modreg_stats_get(&r, &st0);
    assert_int_equal(modreg_load(&r, big.p, big.len, &info), MODLOAD_OK);
    assert_int_equal(info.bss_size, BIG_BSS);
    modreg_stats_get(&r, &now);
    assert_int_equal(now.pool_used, need);
    assert_int_equal(modreg_unload(&r, "big"), MODLOAD_OK);

    assert_int_equal(modreg_load(&r, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    modreg_stats_get(&r, &st1);
    assert_true(st1.largest_free < need);
    assert_int_equal(modreg_load(&r, big.p, big.len, NULL), MODREG_ERR_NOMEM);
    memstream ms = {&big, 0, -1};
    assert_int_equal(modreg_load_stream(&r, mem_read, &ms, NULL), MODREG_ERR_NOMEM);
    modreg_stats_get(&r, &now);
    assert_stats_equal(&now, &st1); /* nothing leaked */
    assert_int_equal(modreg_unload(&r, "mathlib"), MODLOAD_OK);
    modreg_stats_get(&r, &now);
    assert_stats_equal(&now, &st0);
    assert_int_equal(now.largest_free, need + 64);
}

/* A hole in the middle is reused first; freed neighbours merge. */
static void fragmentation(void **state)
{
    (void)state;
    modreg_info a, b, c, b2;
    modreg_stats st;

    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, &a), MODLOAD_OK);
    assert_int_equal(modreg_load(&reg, counter1.p, counter1.len, &b), MODLOAD_OK);
    assert_int_equal(modreg_load(&reg, user.p, user.len, &c), MODLOAD_OK);
    modload_addr b_run = b.mod->code_run;
    uint32_t b_size = b.mem_size;
    /* first fit: one after the other from the pool's start */
    assert_true(a.mod->code_run == (modload_addr)(uintptr_t)pool);
    assert_true(b_run > a.mod->code_run && c.mod->code_run > b_run);

    assert_int_equal(modreg_unload(&reg, "counter"), MODLOAD_OK);
    modreg_stats_get(&reg, &st);
    assert_int_equal(st.pool_used, a.mem_size + c.mem_size);
    uint32_t tail = POOL_SIZE - (uint32_t)(c.mod->code_run - (modload_addr)(uintptr_t)pool) - c.mem_size;
    assert_int_equal(st.largest_free, tail);          /* the hole is separate */
    assert_true(st.pool_free > st.largest_free);

    /* the hole fits counter again: first fit puts it there */
    assert_int_equal(modreg_load(&reg, counter1.p, counter1.len, &b2), MODLOAD_OK);
    assert_int_equal(b2.mem_size, b_size);
    assert_true(b2.mod->code_run == b_run);
    assert_int_equal(call_v("counter", "counter_next"), 1);

    /* free the last two: hole and tail merge into one block */
    assert_int_equal(modreg_unload(&reg, "user"), MODLOAD_OK);
    assert_int_equal(modreg_unload(&reg, "counter"), MODLOAD_OK);
    modreg_stats_get(&reg, &st);
    assert_int_equal(st.pool_used, a.mem_size);
    assert_int_equal(st.largest_free, st.pool_free);
    assert_int_equal(st.largest_free, POOL_SIZE - a.mem_size);
    assert_int_equal(modreg_unload(&reg, "mathlib"), MODLOAD_OK);
    assert_back_to_start();
}

/* ---- hot reload --------------------------------------------------------------------- */

typedef struct carry {
    int saved, pre_calls, post_calls, fail_pre, fail_post;
} carry;

static int sym_call(const modload_module *m, const char *fn, int arg, int with_arg)
{
    modload_addr a;
    assert_int_equal(modload_find(m, fn, &a), MODLOAD_OK);
    if (with_arg) {
        ((void (*)(int))(uintptr_t)a)(arg);
        return 0;
    }
    return ((int (*)(void))(uintptr_t)a)();
}

static int save_state(void *ctx, const modload_module *old_mod)
{
    carry *c = ctx;
    c->pre_calls++;
    c->saved = sym_call(old_mod, "counter_get", 0, 0);
    return c->fail_pre;
}

static int restore_state(void *ctx, const modload_module *new_mod)
{
    carry *c = ctx;
    c->post_calls++;
    assert_int_equal(sym_call(new_mod, "counter_version", 0, 0), 2); /* its init ran */
    sym_call(new_mod, "counter_set", c->saved, 1);
    return c->fail_post;
}

static void reload_carries_state(void **state)
{
    (void)state;
    carry c = {0};
    modreg_hooks hooks = {save_state, restore_state, &c};
    modreg_info info, before;

    assert_int_equal(modreg_load(&reg, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&reg, counter1.p, counter1.len, &before), MODLOAD_OK);
    modload_addr slot_code = before.mod->code_run;
    for (int i = 1; i <= 3; i++)
        assert_int_equal(call_v("counter", "counter_next"), i);
    assert_int_equal(call_v("counter", "counter_version"), 1);

    memstream ms = {&counter2, 0, -1};
    modreg_source src = {.read = mem_read, .ctx = &ms};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, &info), MODLOAD_OK);
    assert_int_equal(c.pre_calls, 1);
    assert_int_equal(c.post_calls, 1);
    assert_string_equal(info.name, "counter");
    assert_string_equal(info.version, "2.0");
    assert_int_equal(info.state, MODREG_LIVE);
    /* the new one's init before the old one's exit */
    assert_true(noted(NOTE_COUNTER_INIT + 2) && noted(NOTE_COUNTER_INIT + 2) < noted(NOTE_COUNTER_EXIT - 1));
    assert_true(info.mod->code_run != slot_code);     /* loaded next to the old one */
    assert_int_equal(call_v("counter", "counter_version"), 2);
    assert_int_equal(call_v("counter", "counter_next"), 13); /* 3 carried, then + 10 */

    /* one module of that name in the list, the old memory is free again */
    uint32_t pos = 0, n = 0;
    modreg_stats st;
    while (modreg_next(&reg, &pos, &info))
        n++;
    assert_int_equal(n, 2);
    modreg_stats_get(&reg, &st);
    assert_int_equal(st.pool_used, block_size(&mathlib) + block_size(&counter2));

    /* and back to version 1 from a path */
    c = (carry){0};
    modreg_hooks plain = {save_state, NULL, &c};
    src = (modreg_source){.fs = &fs, .path = "counter1.mod"};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &plain, &info), MODLOAD_OK);
    assert_int_equal(c.saved, 13);
    assert_int_equal(call_v("counter", "counter_next"), 1); /* no post hook: fresh state */
    modreg_unload_all(&reg);
    assert_back_to_start();
}

/* Whatever fails before the swap leaves the old version serving. */
static void reload_failures(void **state)
{
    (void)state;
    carry c = {0};
    modreg_hooks hooks = {save_state, restore_state, &c};
    modreg_stats st1, now;

    assert_int_equal(modreg_load(&reg, counter1.p, counter1.len, NULL), MODLOAD_OK);
    assert_int_equal(call_v("counter", "counter_next"), 1);
    modreg_stats_get(&reg, &st1);

    /* a corrupt new image: by buffer and by stream */
    uint8_t *bad = malloc(counter2.len);
    memcpy(bad, counter2.p, counter2.len);
    bad[100] ^= 1;
    modreg_source src = {.image = bad, .len = counter2.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODLOAD_ERR_CRC);
    image badim = {bad, counter2.len};
    memstream ms = {&badim, 0, -1};
    src = (modreg_source){.read = mem_read, .ctx = &ms};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODLOAD_ERR_CRC);
    free(bad);
    assert_int_equal(c.pre_calls, 0);
    assert_false(noted(NOTE_COUNTER_INIT + 2));
    assert_int_equal(call_v("counter", "counter_next"), 2); /* the old one, still counting */

    /* a hook that fails: the new one ran its init and now its exit */
    c.fail_post = 1;
    src = (modreg_source){.image = counter2.p, .len = counter2.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODREG_ERR_HOOK);
    assert_true(noted(NOTE_COUNTER_INIT + 2) && noted(NOTE_COUNTER_EXIT - 2));
    assert_false(noted(NOTE_COUNTER_EXIT - 1));
    assert_int_equal(call_v("counter", "counter_version"), 1);
    assert_int_equal(call_v("counter", "counter_next"), 3);
    c = (carry){.fail_pre = 1};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODREG_ERR_HOOK);
    assert_int_equal(c.post_calls, 0);
    assert_int_equal(call_v("counter", "counter_next"), 4);

    /* another module's image, a module not loaded, no room for two */
    src = (modreg_source){.image = mathlib.p, .len = mathlib.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, NULL, NULL), MODREG_ERR_MISMATCH);
    assert_false(noted(NOTE_MATHLIB_INIT));
    assert_int_equal(modreg_reload(&reg, "nosuch", &src, NULL, NULL), MODREG_ERR_NO_MODULE);
    modreg_slot one[1];
    modreg r1;
    modreg_init(&r1, one, 1, pool + POOL_SIZE / 2, POOL_SIZE / 2, &fw_env);
    assert_int_equal(modreg_load(&r1, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_reload(&r1, "mathlib", &src, NULL, NULL), MODREG_ERR_FULL);
    assert_int_equal(modreg_unload(&r1, "mathlib"), MODLOAD_OK);

    modreg_stats_get(&reg, &now);
    assert_stats_equal(&now, &st1);
    assert_int_equal(call_v("counter", "counter_next"), 5);
    assert_int_equal(modreg_unload(&reg, "counter"), MODLOAD_OK);
    assert_back_to_start();
}

/* ---- allocator callbacks instead of the pool ---------------------------------------------- */

typedef struct arena {
    uint8_t *base;
    uint32_t used, live, allocs, frees;
} arena;

static void *arena_alloc(void *ctx, uint32_t size, uint32_t align)
{
    arena *a = ctx;
    uint32_t at = (a->used + align - 1) & ~(align - 1);
    if (at + size > POOL_SIZE)
        return NULL;
    a->used = at + size;
    a->live += size;
    a->allocs++;
    return a->base + at;
}

static void arena_free(void *ctx, void *mem, uint32_t size)
{
    arena *a = ctx;
    assert_true((uint8_t *)mem >= a->base && (uint8_t *)mem < a->base + POOL_SIZE);
    a->live -= size;
    a->frees++;
}

static void allocator_callbacks(void **state)
{
    (void)state;
    arena ar = {pool, 0, 0, 0, 0};
    modreg_alloc al = {arena_alloc, arena_free, &ar};
    modreg_slot s[3];
    modreg r;
    modreg_stats st;

    modreg_init(&r, s, 3, NULL, 0, &fw_env);
    modreg_set_alloc(&r, &al);
    assert_int_equal(modreg_load(&r, mathlib.p, mathlib.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&r, user.p, user.len, NULL), MODLOAD_OK);
    assert_int_equal(modreg_load(&r, failinit.p, failinit.len, NULL), MODREG_ERR_INIT);
    modreg_stats_get(&r, &st);
    assert_int_equal(st.pool_used, ar.live);
    assert_int_equal(st.modules, 2);
    modload_addr a;
    assert_int_equal(modreg_sym(&r, "user", "user_calc", &a), MODLOAD_OK);
    assert_int_equal(((int (*)(int))(uintptr_t)a)(4), 17);
    modreg_unload_all(&r);
    assert_int_equal(ar.live, 0);
    assert_int_equal(ar.allocs, 3);
    assert_int_equal(ar.frees, 3);
}

int main(void)
{
    fw_setup();
    mathlib = load_file("mathlib", 0);
    user = load_file("user", 0);
    counter1 = load_file("counter1", 0);
    counter2 = load_file("counter2", 0);
    counter3 = load_file("counter3", 0);
    failinit = load_file("failinit", 0);
    big = load_file("big", 0);
    longname = load_file("longname", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(unload_all_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(init_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(pool_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(fragmentation, setup, teardown),
        cmocka_unit_test_setup_teardown(reload_carries_state, setup, teardown),
        cmocka_unit_test_setup_teardown(reload_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(allocator_callbacks, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(mathlib.p);
    free(user.p);
    free(counter1.p);
    free(counter2.p);
    free(counter3.p);
    free(failinit.p);
    free(big.p);
    free(longname.p);
    return rc;
}
