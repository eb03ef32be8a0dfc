/* testfw.c - test firmware for the Xtensa end-to-end tests (tests/xtensa),
 * the Xtensa version of tests/riscv/testfw.c: a freestanding Linux program
 * for qemu-xtensa -cpu lx106 (samples/firmware/xtensa: raw system calls,
 * its own _start), built with xtensa-lx106-elf-gcc, with modload compiled
 * for Xtensa (not MODLOAD_HOST). Built -mabi=windowed (windowed.cmake) it
 * runs windowed modules under qemu-xtensa -cpu dc233c.
 *
 *   fw run MODULE.mod       check that bad placements and an unbound import
 *                           are refused; then load testmod at three
 *                           addresses in one RWX mapping and, when the image
 *                           allows it, split into two separate mappings
 *                           256 MiB apart with the code written by
 *                           aligned 32-bit stores only (MODLOAD_CODE_WORDS);
 *                           run it each time and check every value it
 *                           computed
 *   fw corrupt MODULE.mod   flip every byte of the image in turn (three
 *                           patterns) and require that modload_check refuses
 *                           each copy, that nothing ran and nothing was
 *                           written; then load and run the intact image
 *
 * The module imports the ESP8266 ROM's division helpers (__divsi3,
 * __udivsi3, __umodsi3: the lx106 libgcc lacks them) from the firmware
 * table. Exit status 0 only when every check passed.
 */
#include <stdint.h>

#include "fwutil.h"
#include "modload.h"
#include "semihost.h"
#include "testapi.h"
#include "xtlinux.h"

#ifdef __XTENSA_WINDOWED_ABI__
#define FW_XT_ABI MODP_XT_WINDOWED
#else
#define FW_XT_ABI MODP_XT_CALL0
#endif

/* ---- the firmware API the module imports ----------------------------------- */

volatile uint32_t fw_shared;
const uint32_t fw_table[4] = { 1, 10, 100, 1000 };

static uint32_t records[K_NKEYS];
static uint32_t recorded;      /* bit per key */
static unsigned record_calls;  /* any call at all: the module ran */
static uint32_t (*registered)(uint32_t);

void fw_record(uint32_t key, uint32_t value)
{
    record_calls++;
    if (key < K_NKEYS) {
        if (recorded & (1u << key))
            fw_printf("  FAIL: key %u recorded twice\n", (unsigned)key), fw_failures++;
        records[key] = value;
        recorded |= 1u << key;
    } else {
        fw_printf("  FAIL: bad key %u\n", (unsigned)key);
        fw_failures++;
    }
}

void fw_register(uint32_t (*cb)(uint32_t))
{
    record_calls++;
    registered = cb;
}

/* A deliberately non-linear mix so that a wrong argument or a call to the
 * wrong function is visible. */
__attribute__((noinline)) uint32_t fw_mix(uint32_t a, uint32_t b)
{
    uint32_t h = a * 2654435761u;
    h ^= (b << 7) | (b >> 25);
    return h + 0x9E3779B9u;
}

#define SYM(name) { 0, #name, (modload_addr)(uintptr_t)&name }
static modload_symbol fw_syms[] = {
    SYM(fw_record),
    SYM(fw_register),
    SYM(fw_shared),
    SYM(fw_table),
    SYM(__divsi3),
    SYM(__udivsi3),
    SYM(__umodsi3),
};
#define NSYMS (sizeof fw_syms / sizeof fw_syms[0])

/* Fallback for names outside the table: only fw_mix. modload must try the
 * table first, so being asked for a table name is an error too. */
static unsigned resolve_calls, resolve_mix;

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    fw_check(ctx == (void *)&resolve_calls, "resolve: ctx not passed through");
    resolve_calls++;
    if (hash == modload_hash("fw_mix") && (name[0] == '\0' || modload_hash(name) == hash)) {
        resolve_mix++;
        *addr = (modload_addr)(uintptr_t)&fw_mix;
        return 0;
    }
    fw_check(0, "resolve asked for %s (0x%08x)", name[0] ? name : "(stripped)", (unsigned)hash);
    return -1;
}

static unsigned sync_calls;
static modload_addr sync_run;
static uint32_t sync_len;

static void sync_code(void *ctx, modload_addr run, uint32_t len)
{
    (void)ctx;
    sync_calls++;
    sync_run = run;
    sync_len = len;
    __asm__ volatile("isync" ::: "memory");
}

static modload_env env = {
    .syms = fw_syms, .nsyms = NSYMS, .resolve = resolve, .ctx = &resolve_calls, .sync_code = sync_code,
};

/* ---- reference results, computed by the firmware's own code ------------- */

static uint32_t ref_sdiv(uint32_t a, uint32_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (y == 0)
        return 0;
    if (y == -1)
        return 0u - a;
    return (uint32_t)(x / y);
}

/* What mod_compute(sel, a, b) must return (testmod.c's tables):
 * 0..5 const_ops = add mul xor udiv fw_mix sdiv; 6..9 mod_ops = sub umod
 * fw_mix add; 10: primes[0] = 2 or primes[7] = 19 (by a & 1) plus b. */
static uint32_t ref_compute(uint32_t sel, uint32_t a, uint32_t b)
{
    switch (sel) {
    case 0: return a + b;
    case 1: return a * b;
    case 2: return a ^ b;
    case 3: return b ? a / b : 0;
    case 4: return fw_mix(a, b);
    case 5: return ref_sdiv(a, b);
    case 6: return a - b;
    case 7: return b ? a % b : 0;
    case 8: return fw_mix(a, b);
    case 9: return a + b;
    case 10: return ((a & 1) ? 19u : 2u) + b;
    default: return 0xFFFFFFFFu;
    }
}

/* ---- memory ------------------------------------------------------------------------------ */

#define POOL_SIZE (128u * 1024u)
#define POOL_FILL 0xA5u
static uint8_t image[32 * 1024] __attribute__((aligned(8)));
static uint8_t *pool;          /* one RWX mapping */

/* Split placement: code and data in two mappings of their own, 256 MiB
 * apart, data below code (the ESP8266's IRAM and DRAM addresses,
 * 0x40100000 and 0x3FFE8000, lie where qemu-xtensa keeps its own). */
#define IRAM_HINT ((void *)0x20000000u)
#define DRAM_HINT ((void *)0x10000000u)
#define SPLIT_MAP 0x10000u

static void pool_fill(void)
{
    for (uint32_t i = 0; i < POOL_SIZE; i++)
        pool[i] = POOL_FILL;
}

/* bytes of the pool outside [lo1, hi1) and [lo2, hi2) that are not the
 * fill pattern */
static uint32_t pool_dirty2(uint32_t lo1, uint32_t hi1, uint32_t lo2, uint32_t hi2)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < POOL_SIZE; i++)
        if ((i < lo1 || i >= hi1) && (i < lo2 || i >= hi2) && pool[i] != POOL_FILL)
            n++;
    return n;
}

static uint32_t pool_dirty(uint32_t lo, uint32_t hi)
{
    return pool_dirty2(lo, hi, lo, hi);
}

static void reset_state(void)
{
    for (int i = 0; i < K_NKEYS; i++)
        records[i] = 0;
    recorded = 0;
    record_calls = 0;
    registered = 0;
    resolve_calls = resolve_mix = 0;
    sync_calls = 0;
    sync_run = 0;
    sync_len = 0;
    fw_shared = FW_SHARED_INIT;
}

static int in_code(const fw_module *m, modload_addr a)
{
    return a >= m->mod.code_run && a < m->mod.code_run + m->img.code_size;
}

/* ---- run mode ---------------------------------------------------------------------------- */

static void check_record(uint32_t key, const char *what, uint32_t want)
{
    if (!fw_check(recorded & (1u << key), "%s (key %u) not recorded", what, (unsigned)key))
        return;
    fw_check_u32(what, records[key], want);
}

static void run_checks(fw_module *m);

/* One region at the first suitably aligned address from pool + offset. */
static void run_once(uint32_t len, uint32_t offset)
{
    reset_state();
    pool_fill();
    fw_module m;
    fw_printf("load at pool+0x%x\n", (unsigned)offset);
    int err = fw_load(image, len, pool + offset, POOL_SIZE - offset, &env, &m);
    if (!fw_check(err == MODLOAD_OK, "load failed: %s", modload_strerror(err)))
        return;
    fw_describe(&m);
    uint32_t lo = (uint32_t)(m.mem - pool);

    /* placement */
    fw_check(m.mod.code_run == (modload_addr)(uintptr_t)m.mem, "code_run 0x%08x, region at %p",
             (unsigned)m.mod.code_run, (void *)m.mem);
    fw_check_u32("data_run - code_run", (uint32_t)(m.mod.data_run - m.mod.code_run),
                 m.img.data_offset);
    fw_check(pool_dirty(lo, lo + m.size) == 0, "%u pool bytes written outside the region",
             (unsigned)pool_dirty(lo, lo + m.size));
    uint32_t nz = 0;
    for (uint32_t i = m.img.code_size; i < m.img.data_offset; i++)
        nz += m.mem[i] != 0;
    for (uint32_t i = m.img.data_offset + m.img.data_size; i < m.size; i++)
        nz += m.mem[i] != 0;
    fw_check(nz == 0, "%u bytes of padding or bss not zero", (unsigned)nz);
    run_checks(&m);
}

/* Split placement (the image says SPLIT): code and data in two separate
 * mappings, the code written with aligned 32-bit stores only
 * (MODLOAD_CODE_WORDS, as ESP IRAM requires) at an offset that is not a
 * multiple of 8, and made read-execute before it runs. */
static void run_split(uint32_t len)
{
    reset_state();
    fw_module m;
    int err = modload_check(image, len, &m.img);
    if (!fw_check(err == MODLOAD_OK, "modload_check: %s", modload_strerror(err)))
        return;
    if (!(m.img.flags & MODP_F_SPLIT)) {
        fw_printf("split placement: not allowed by the image, skipped\n");
        return;
    }
    uint8_t *iram = xt_map(IRAM_HINT, SPLIT_MAP, XT_PROT_READ | XT_PROT_WRITE | XT_PROT_EXEC);
    uint8_t *dram = xt_map(DRAM_HINT, SPLIT_MAP, XT_PROT_READ | XT_PROT_WRITE);
    if (!fw_check(iram && dram, "mmap for the split placement failed"))
        return;
    /* far apart: a loader that used data_offset would write outside */
    fw_check((uintptr_t)(iram - dram) > 0x100000u, "the two mappings are only %u bytes apart",
             (unsigned)(iram - dram));
    for (uint32_t i = 0; i < SPLIT_MAP; i++)
        iram[i] = dram[i] = POOL_FILL;
    uint32_t data_total = m.img.data_size + m.img.bss_size;
    uint32_t code_room = (m.img.code_size + 3u) & ~3u;
    uint32_t data_off = 0x124u, code_off = 0x4u;
    data_off = (data_off + m.img.data_align - 1) & ~(m.img.data_align - 1);
    code_off = (code_off + m.img.code_align - 1) & ~(m.img.code_align - 1);
    if (!fw_check(data_off + data_total <= SPLIT_MAP && code_off + code_room <= SPLIT_MAP,
                  "split placement does not fit the mappings"))
        return;
    fw_printf("split: code at %p (%s), data at %p (%s), 32-bit code stores\n", (void *)(iram + code_off),
              iram == IRAM_HINT ? "as asked" : "not where asked", (void *)(dram + data_off),
              dram == DRAM_HINT ? "as asked" : "not where asked");
    modload_place pl = {
        .code_write = iram + code_off,
        .code_run = (modload_addr)(uintptr_t)(iram + code_off),
        .code_room = code_room,
        .data_write = dram + data_off,
        .data_run = (modload_addr)(uintptr_t)(dram + data_off),
        .data_room = data_total,
        .flags = MODLOAD_CODE_WORDS,
    };
    m.pl = pl;
    m.mem = iram + code_off;
    m.size = m.img.code_size;
    err = modload_load(&m.img, &m.pl, &env, &m.mod);
    if (!fw_check(err == MODLOAD_OK, "split load failed: %s", modload_strerror(err)))
        return;
    fw_check(m.mod.code_run == pl.code_run && m.mod.data_run == pl.data_run,
             "split run addresses 0x%08x/0x%08x", (unsigned)m.mod.code_run,
             (unsigned)m.mod.data_run);
    uint32_t dirty = 0, nz = 0;
    for (uint32_t i = 0; i < SPLIT_MAP; i++) {
        dirty += (i < code_off || i >= code_off + code_room) && iram[i] != POOL_FILL;
        dirty += (i < data_off || i >= data_off + data_total) && dram[i] != POOL_FILL;
    }
    fw_check(dirty == 0, "split: %u bytes written outside code and data", (unsigned)dirty);
    for (uint32_t i = m.img.code_size; i < code_room; i++)
        nz += iram[code_off + i] != 0;
    for (uint32_t i = m.img.data_size; i < data_total; i++)
        nz += dram[data_off + i] != 0;
    fw_check(nz == 0, "split: %u padding or bss bytes not zero", (unsigned)nz);
    fw_check(xt_protect(iram, SPLIT_MAP, XT_PROT_READ | XT_PROT_EXEC) == 0, "mprotect r-x");
    run_checks(&m);
    xt_unmap(iram, SPLIT_MAP);
    xt_unmap(dram, SPLIT_MAP);
}

/* Everything after placement: run the module and check what it computed. */
static void run_checks(fw_module *mp)
{
    fw_module m = *mp;
    modload_addr a;
    int err;

    fw_check(sync_calls >= 1 && sync_run == m.mod.code_run && sync_len >= m.img.code_size,
             "sync_code: %u calls, last run=0x%08x len=%u", sync_calls, (unsigned)sync_run,
             (unsigned)sync_len);
    fw_check(resolve_mix >= 1, "fw_mix was not bound through the resolve callback");

    /* exports readable before init */
    err = modload_find(&m.mod, "mod_version", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(mod_version): %s", modload_strerror(err))) {
        fw_check(in_code(&m, a), "mod_version at 0x%08x is not in the code segment", (unsigned)a);
        fw_check_u32("mod_version", *FW_PTR(const uint32_t, a), 0x00010002u);
    }
    fw_check(modload_find(&m.mod, "no_such_symbol", &a) == MODLOAD_ERR_NOT_FOUND,
             "modload_find(no_such_symbol) did not fail with NOT_FOUND");
    fw_check(modload_find(&m.mod, "op_add", &a) == MODLOAD_ERR_NOT_FOUND,
             "static function op_add is exported");

    /* module_init */
    modload_addr entry = modload_entry(&m.mod);
    if (!fw_check(entry != 0 && in_code(&m, entry) && !(entry & 1),
                  "entry 0x%08x is not an even address in the code", (unsigned)entry))
        return;
    int rc = FW_FUNC(int (*)(void), entry)();
    fw_check_u32("module_init return", (uint32_t)rc, MOD_INIT_OK);

    /* Values the module computed. The expected numbers:
     *  K_BSS        0: .bss is zeroed (the pool was filled with 0xA5).
     *  K_DATA       counter 100 + svals -7 + 1000 - 123456 + 77 = -122286.
     *  K_SHARED*    FW_SHARED_INIT, which reset_state stored.
     *  K_FWTABLE    sum of our fw_table.
     *  K_PRIMES     2+3+5+7+11+13+17+19 = 77, plus primes[7] = 19: 96.
     *  K_STRHASH    modload_hash of "testmod", "abc", "" combined as in testmod.c.
     *  K_SDIV_*     -123456 / 7: 7 * 17636 = 123452, so q = -17636, r = -4
     *               (C truncates toward zero).
     *  K_UDIV_*     1000000007 / 13: 13 * 76923077 = 1000000001, r = 6.
     *  K_MIX        our own fw_mix(0x1234, 0x5678).
     *  K_OPS        sum over i = 0..5 of mod_compute's table at (1000 + i, 7).
     *  K_SELF       0x1F: five pointer identities hold.
     *  K_BSS_WRITE  0x1111 + 0x2222 = 0x3333.
     *  K_UNALIGNED  primes[3] = 7, times 1000, + counter 100 + tag 0x5A (90)
     *               = 7190. */
    check_record(K_BSS, "bss before writes", 0);
    check_record(K_DATA, "counter + svals", (uint32_t)-122286);
    check_record(K_SHARED_PTR, "fw_shared via .data pointer", FW_SHARED_INIT);
    check_record(K_SHARED, "fw_shared", FW_SHARED_INIT);
    check_record(K_FWTABLE, "sum of fw_table", fw_table[0] + fw_table[1] + fw_table[2] + fw_table[3]);
    check_record(K_PRIMES, "primes via pointers", 96);
    check_record(K_STRHASH, "string hashes",
                 modload_hash("testmod") ^ (modload_hash("abc") * 3u) ^ (modload_hash("") * 5u));
    check_record(K_SDIV_Q, "-123456 / 7", (uint32_t)-17636);
    check_record(K_SDIV_R, "-123456 % 7", (uint32_t)-4);
    check_record(K_UDIV_Q, "1000000007 / 13", 76923077u);
    check_record(K_UDIV_R, "1000000007 % 13", 6u);
    check_record(K_MIX, "fw_mix(0x1234, 0x5678)", fw_mix(0x1234u, 0x5678u));
    uint32_t ops = 0;
    for (uint32_t i = 0; i < 6; i++)
        ops += ref_compute(i, 1000u + i, 7u);
    check_record(K_OPS, "const_ops sum", ops);
    check_record(K_SELF, "pointer identities", 0x1Fu);
    check_record(K_BSS_WRITE, "bss writes", 0x3333u);
    check_record(K_UNALIGNED, "unaligned pointers", 7190u);
    fw_check_u32("fw_shared after init", fw_shared, FW_SHARED_INIT ^ 0xFFFFFFFFu);

    /* the module's data as the firmware sees it through exports */
    err = modload_find(&m.mod, "mod_state", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(mod_state): %s", modload_strerror(err))) {
        fw_check(a >= m.mod.data_run && a < m.mod.data_run + m.img.data_size,
                 "mod_state at 0x%08x is not in the data segment", (unsigned)a);
        fw_check_u32("mod_state", *FW_PTR(volatile uint32_t, a), 0xC0DE0002u);
    }
    err = modload_find(&m.mod, "mod_ops", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(mod_ops): %s", modload_strerror(err))) {
        const uintptr_t *ops_tab = FW_PTR(const uintptr_t, a);
        fw_check(ops_tab[2] == (uintptr_t)&fw_mix, "mod_ops[2] = 0x%08x, fw_mix is at %p",
                 (unsigned)ops_tab[2], (void *)&fw_mix);
        for (int i = 0; i < 4; i++)
            if (i != 2)
                fw_check(in_code(&m, ops_tab[i]) && !(ops_tab[i] & 1),
                         "mod_ops[%d] = 0x%08x is not an even address in the code", i,
                         (unsigned)ops_tab[i]);
    }

    /* callbacks */
    if (fw_check(registered != 0, "module did not register its callback")) {
        fw_check(in_code(&m, (uintptr_t)registered & ~1u), "callback %p outside the module",
                 (void *)registered);
        static const uint32_t xs[] = { 0, 1, 7, 1000, 65535, 0x12345678u };
        for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++)
            fw_check_u32("registered callback", registered(xs[i]), xs[i] * xs[i] + 3u);
    }
    err = modload_find(&m.mod, "mod_compute", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(mod_compute): %s", modload_strerror(err))) {
        uint32_t (*compute)(uint32_t, uint32_t, uint32_t) =
            FW_FUNC(uint32_t (*)(uint32_t, uint32_t, uint32_t), a);
        fw_check(in_code(&m, a) && !(a & 1), "mod_compute at 0x%08x",
                 (unsigned)a);
        static const uint32_t pairs[][2] = {
            { 0, 0 }, { 1, 1 }, { 1000, 7 }, { 0xFFFFFFFFu, 2 }, { 0x80000000u, 0xFFFFFFFFu },
            { 12345678, 0 }, { (uint32_t)-123456, 7 }, { 0xDEADBEEFu, 0x1234 }, { 6, 0xFFFFFFF0u },
        };
        unsigned bad = 0;
        for (uint32_t sel = 0; sel <= 11; sel++)
            for (unsigned p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
                uint32_t got = compute(sel, pairs[p][0], pairs[p][1]);
                uint32_t want = ref_compute(sel, pairs[p][0], pairs[p][1]);
                if (!fw_check(got == want, "mod_compute(%u, 0x%x, 0x%x) = 0x%08x, expected 0x%08x",
                              (unsigned)sel, (unsigned)pairs[p][0], (unsigned)pairs[p][1],
                              (unsigned)got, (unsigned)want))
                    bad++;
            }
        fw_printf("mod_compute: %u of %u results right\n",
                  (unsigned)(12 * (sizeof pairs / sizeof pairs[0]) - bad),
                  (unsigned)(12 * (sizeof pairs / sizeof pairs[0])));
    }

    /* module_exit: counter was 100, module_init added 5 -> 105 = 0x69 */
    modload_addr ex = modload_exit(&m.mod);
    if (fw_check(ex != 0 && in_code(&m, ex & ~(modload_addr)1), "exit 0x%08x", (unsigned)ex)) {
        FW_FUNC(void (*)(void), ex)();
        fw_check_u32("fw_shared after exit", fw_shared, 0xE0000069u);
    }
}

/* What must fail, before the module is run for real: the firmware table
 * lookup itself, a placement with too little room or a misaligned run
 * address, and a load whose import cannot be bound. */
static void negative_checks(uint32_t len)
{
    modload_addr a = 0;
    fw_check(modload_lookup(fw_syms, NSYMS, "fw_record", modload_hash("fw_record"), &a) ==
                     MODLOAD_OK && a == (modload_addr)(uintptr_t)&fw_record,
             "modload_lookup(fw_record) in the firmware table");
    fw_check(modload_lookup(fw_syms, NSYMS, "fw_mix", modload_hash("fw_mix"), &a) ==
                 MODLOAD_ERR_NOT_FOUND,
             "modload_lookup(fw_mix) found a name the table does not hold");

    modload_image img;
    if (!fw_check(modload_check(image, len, &img) == MODLOAD_OK, "modload_check"))
        return;
    /* the image names the ABI it was compiled for: this firmware's */
    fw_check_u32("image arch flags (ABI)", img.arch_flags, FW_XT_ABI);
    uint32_t size = modload_region_size(&img), align = modload_region_align(&img);
    modload_place pl;
    fw_check(modload_place_region(&img, pool, size - 1, (modload_addr)(uintptr_t)pool, &pl) ==
                 MODLOAD_ERR_SPACE,
             "placing %u bytes in %u did not fail with ERR_SPACE", (unsigned)size,
             (unsigned)(size - 1));
    if (align > 1)
        fw_check(modload_place_region(&img, pool + 1, size, (modload_addr)(uintptr_t)pool + 1,
                                      &pl) == MODLOAD_ERR_ALIGN,
                 "run address misaligned for %u did not fail with ERR_ALIGN", (unsigned)align);

    /* without the resolve callback fw_mix is unknown */
    reset_state();
    modload_env table_only = { .syms = fw_syms, .nsyms = NSYMS };
    modload_module mod;
    int err = modload_place_region(&img, pool, POOL_SIZE, (modload_addr)(uintptr_t)pool, &pl);
    if (fw_check(err == MODLOAD_OK, "modload_place_region: %s", modload_strerror(err)))
        fw_check(modload_load(&img, &pl, &table_only, &mod) == MODLOAD_ERR_UNRESOLVED,
                 "a load with fw_mix unresolvable did not fail with ERR_UNRESOLVED");
    fw_check(record_calls == 0, "the module ran");
}

static int mode_run(const char *path)
{
    int32_t len = fw_read_file(path, image, sizeof image);
    if (len < 0)
        return 1;
    negative_checks((uint32_t)len);
    /* Three run addresses: the pool's start; an offset that is not 4 KiB
     * aligned (fw_load rounds it up to what the image asks); and 256 bytes
     * below a 64 KiB boundary, so that adding the base to most MOVW halves
     * carries into the MOVT and most words change their upper half. */
    uint32_t below64k = (uint32_t)((0x10000u - ((uintptr_t)pool & 0xFFFFu) - 0x100u) & 0xFFFFu);
    run_once((uint32_t)len, 0);
    run_once((uint32_t)len, 0x2A28);
    if (below64k + 0x4000u <= POOL_SIZE)
        run_once((uint32_t)len, below64k);
    else
        fw_check(0, "pool %p has no 64 KiB boundary to straddle", (void *)pool);
    run_split((uint32_t)len);
    return 0;
}

/* ---- corrupt mode ---------------------------------------------------------------------- */

static int mode_corrupt(const char *path)
{
    int32_t n = fw_read_file(path, image, sizeof image);
    if (n < 0)
        return 1;
    uint32_t len = (uint32_t)n;
    modload_image good;
    int err = modload_check(image, len, &good);
    if (!fw_check(err == MODLOAD_OK, "the intact image is refused: %s", modload_strerror(err)))
        return 1;

    /* part boundaries from the layout of the intact image */
    struct part {
        const char *name;
        uint32_t lo, hi;
        unsigned flips, refused;
    } parts[] = {
        { "header", 0, (uint32_t)(good.code - good.base), 0, 0 },
        { "code", (uint32_t)(good.code - good.base), (uint32_t)(good.data - good.base), 0, 0 },
        { "data", (uint32_t)(good.data - good.base), (uint32_t)(good.fixups - good.base), 0, 0 },
        { "fixups", (uint32_t)(good.fixups - good.base), (uint32_t)(good.exports - good.base), 0, 0 },
        { "exports", (uint32_t)(good.exports - good.base), (uint32_t)(good.strtab - good.base), 0, 0 },
        { "strings", (uint32_t)(good.strtab - good.base), (uint32_t)(good.meta - good.base), 0, 0 },
        { "meta", (uint32_t)(good.meta - good.base), good.size - 4, 0, 0 },
        { "crc", good.size - 4, good.size, 0, 0 },
    };
    const unsigned nparts = sizeof parts / sizeof parts[0];
    fw_check(good.size == len, "image_size %u, file %u bytes", (unsigned)good.size, (unsigned)len);

    static const uint8_t patterns[] = { 0xFF, 0x01, 0x80 };
    unsigned errs[MODLOAD_ERR_COUNT] = { 0 };
    unsigned accepted = 0;

    reset_state();
    pool_fill();
    for (uint32_t off = 0; off < len; off++) {
        unsigned p = 0;
        while (p + 1 < nparts && off >= parts[p].hi)
            p++;
        for (unsigned k = 0; k < sizeof patterns; k++) {
            image[off] ^= patterns[k];
            parts[p].flips++;
            /* modload_check is the gate a firmware passes before it writes or
             * runs anything; every flip must be caught there */
            modload_image img;
            err = modload_check(image, len, &img);
            if (err == MODLOAD_OK) {
                accepted++;
                fw_check(0, "byte %u (%s) ^ 0x%02x accepted by modload_check", (unsigned)off,
                         parts[p].name, patterns[k]);
            } else {
                parts[p].refused++;
                if (err > 0 && err < MODLOAD_ERR_COUNT)
                    errs[err]++;
                else
                    fw_check(0, "modload_check returned %d", err);
            }
            image[off] ^= patterns[k];
        }
    }

    /* truncated images */
    static const uint32_t cuts[] = { 0, 1, 4, 71, 72 };
    for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        modload_image img;
        fw_check(modload_check(image, cuts[i], &img) != MODLOAD_OK, "%u-byte prefix accepted",
                 (unsigned)cuts[i]);
    }
    {
        modload_image img;
        fw_check(modload_check(image, len - 1, &img) == MODLOAD_ERR_TRUNCATED,
                 "image without its last byte not refused as truncated");
    }

    fw_printf("%-8s %6s %6s %6s %8s\n", "part", "from", "to", "flips", "refused");
    for (unsigned p = 0; p < nparts; p++) {
        fw_printf("%-8s %6u %6u %6u %8u\n", parts[p].name, (unsigned)parts[p].lo,
                  (unsigned)parts[p].hi, parts[p].flips, parts[p].refused);
        if (parts[p].hi > parts[p].lo)
            fw_check(parts[p].refused == parts[p].flips, "%s: %u of %u flips accepted",
                     parts[p].name, parts[p].flips - parts[p].refused, parts[p].flips);
    }
    fw_printf("errors:");
    for (int e = 1; e < MODLOAD_ERR_COUNT; e++)
        if (errs[e])
            fw_printf(" %s=%u", modload_strerror(e), errs[e]);
    fw_printf("\n");

    /* nothing ran and nothing was written */
    fw_check(record_calls == 0 && registered == 0, "the module ran");
    fw_check_u32("fw_shared", fw_shared, FW_SHARED_INIT);
    fw_check(pool_dirty(0, 0) == 0, "the pool was written");
    fw_check(accepted == 0, "%u corrupted images accepted", accepted);

    /* the intact image still loads and runs, so the refusals above are
     * not an artefact of the test */
    fw_check(modload_check(image, len, &good) == MODLOAD_OK, "intact image refused after the flips");
    run_once(len, 0x400);
    return 0;
}

int main(void)
{
    char *argv[4];
    pool = xt_map(0, POOL_SIZE, XT_PROT_READ | XT_PROT_WRITE | XT_PROT_EXEC);
    if (!pool) {
        fw_printf("FAIL: cannot map %u bytes RWX\n", (unsigned)POOL_SIZE);
        return 1;
    }
    int argc = fw_args(argv, 4);
    fw_symtab_init(fw_syms, NSYMS);
    int rc;
    if (argc == 3 && argv[1][0] == 'r')
        rc = mode_run(argv[2]);
    else if (argc == 3 && argv[1][0] == 'c')
        rc = mode_corrupt(argv[2]);
    else {
        fw_printf("usage: fw run|corrupt MODULE.mod\n");
        return 2;
    }
    if (rc)
        fw_failures++;
    fw_printf("%s: %u checks, %u failed: %s\n", FW_BOARD, fw_checks, fw_failures,
              fw_failures ? "FAIL" : "PASS");
    return fw_failures ? 1 : 0;
}
