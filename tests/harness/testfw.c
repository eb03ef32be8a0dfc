/* testfw.c - test firmware for the Cortex-M (tests/arm), RISC-V
 * (tests/riscv), Xtensa (tests/xtensa) and x86 (tests/x86) end-to-end
 * tests; testfw_arch.h, found on the include path of each, holds what
 * differs.
 *
 *   fw run MODULE.mod       check that bad placements and an unbound import
 *                           are refused; then load testmod at three
 *                           addresses and, when the image allows it, split
 *                           (data below code); run it each time and check
 *                           every value it computed
 *   fw corrupt MODULE.mod   flip every byte of the image in turn (three
 *                           patterns) and require that modload_check refuses
 *                           each copy, that nothing ran and nothing was
 *                           written; then load and run the intact image
 *   fw stream MODULE.mod    stream it from the file in chunks of 1, 7 and
 *                           512 bytes and run it; refuse a stream whose
 *                           last byte is corrupted
 *   fw arch MODULE.mod      an image needing what this CPU lacks (Thumb-2,
 *                           RVC, another float ABI): checking, loading and
 *                           streaming all refuse it with MODLOAD_ERR_ARCH,
 *                           nothing runs and nothing is written
 *   fw xip MODULE.mod       (ARM) run it in place from the flash partition
 *   fw profile MODULE.mod   (a firmware built with the minimal modload
 *                           profile) load one region at two addresses and
 *                           check every result; a stream, a split or
 *                           in-place placement, 32-bit code stores, an
 *                           ABI check and a signing policy are refused with
 *                           MODLOAD_ERR_PROFILE, nothing written and nothing run
 *   fw trust SIGNED.mod UNSIGNED.mod DIGEST [PUB.pem]
 *                           a signing policy (spec section 13): a digest
 *                           allow-list holding DIGEST (the test's sha256sum
 *                           of SIGNED's image bytes) accepts SIGNED, in
 *                           memory and streamed, and it runs; every covered
 *                           byte flipped, the security version raised, a
 *                           downgrade and UNSIGNED are refused, nothing
 *                           runs; with PUB.pem (FW_ED25519, the hosted
 *                           x86-64 harness: libcrypto) the same with real
 *                           Ed25519 verification, and every byte of the
 *                           signature and key id flipped is refused
 *
 * Runs on the MPS2 harness (samples/firmware/cortex-m), the RISC-V virt
 * harness (samples/firmware/riscv) or, as a freestanding Linux program
 * under qemu-xtensa user mode, on samples/firmware/xtensa (memory from
 * mmap; split placement in two mappings, the code written by 32-bit stores
 * only) or, as a native Linux process, on i386 and x86-64 (also a region
 * across the 4 GiB or 2 GiB line, and x86extra.c's results). Exit status 0
 * only when every check passed. The AN385 build is compiled for Cortex-M0
 * (modload included) and traps unaligned accesses (FW_TRAP_UNALIGNED), so
 * that it behaves as a Cortex-M0 would although QEMU models a Cortex-M3. On
 * RISC-V the three run addresses put the code at offsets whose low 12 bits
 * differ, so that RV_LO12 additions carry into RV_HI20.
 */
#include <stdint.h>

#include "fwutil.h"
#include "modload.h"
#include "semihost.h"
#include "testapi.h"

/* Split placement: code and data areas, each size bytes (the same area on
 * bare metal), and where in its area the code goes. */
typedef struct fw_split {
    uint8_t *code, *data;
    uint32_t size, code_off;
    uint32_t flags; /* modload_place.flags */
} fw_split;

#include <testfw_arch.h> /* the ISA's, from the include path (not this directory) */

#ifndef FW_FUNC_OK /* can a be a function's address? */
#define FW_FUNC_OK(a) (((a) & 1) == FW_FUNC_BIT)
#endif
#define FW_FUNC_ADDR(a) ((a) & ~(modload_addr)FW_FUNC_BIT) /* the bytes it starts at */

#ifndef FW_ARCH_SYMS
#define FW_ARCH_SYMS /* the firmware table entries the ISA adds */
#endif

#ifndef FW_SPLIT_MAPPED
/* Bare metal: a static pool; split placement puts data low in the pool and
 * code far above it. */
static uint8_t *fw_pool_alloc(uint32_t size)
{
    static uint8_t mem[128u * 1024u] __attribute__((aligned(4096)));
    return size <= sizeof mem ? mem : 0;
}

static int fw_split_begin(fw_split *s, uint8_t *pool, uint32_t pool_size)
{
    s->code = s->data = pool;
    s->size = pool_size;
    s->code_off = 0x9000u;
    s->flags = 0;
    return 1;
}
#define fw_split_seal(s) ((void)(s))
#define fw_split_end(s) ((void)(s))
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
    if (fw_check(key < K_NKEYS, "bad key %u", (unsigned)key)) {
        fw_check(!(recorded & (1u << key)), "key %u recorded twice", (unsigned)key);
        records[key] = value;
        recorded |= 1u << key;
    }
}

void fw_register(uint32_t (*cb)(uint32_t))
{
    record_calls++;
    registered = cb;
}

/* A deliberately non-linear mix so that a wrong argument or a call to the
 * wrong function is visible. */
/* The weak import the firmware has. */
uint32_t fw_weak_here(uint32_t x)
{
    return x * 3u + 1u;
}

__attribute__((noinline)) uint32_t fw_mix(uint32_t a, uint32_t b)
{
    uint32_t h = a * 2654435761u;
    h ^= (b << 7) | (b >> 25);
    return h + 0x9E3779B9u;
}

#define SYM(name) { 0, #name, (modload_addr)(uintptr_t)&name }
static modload_symbol fw_syms[] = {
    SYM(fw_weak_here),
    SYM(fw_record),
    SYM(fw_register),
    SYM(fw_shared),
    SYM(fw_table),
    FW_ARCH_SYMS
};
#define NSYMS (sizeof fw_syms / sizeof fw_syms[0])

/* Fallback for names outside the table: only fw_mix. modload must try the
 * table first, so being asked for a table name is an error too. */
static unsigned resolve_calls, resolve_mix, resolve_weak;

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    fw_check(ctx == (void *)&resolve_calls, "resolve: ctx not passed through");
    resolve_calls++;
    if (hash == modload_hash("fw_mix") && (name[0] == '\0' || modload_hash(name) == hash)) {
        resolve_mix++;
        *addr = (modload_addr)(uintptr_t)&fw_mix;
        return 0;
    }
    if (hash == modload_hash("fw_weak_absent")) {   /* weak: modload binds it to 0 */
        resolve_weak++;
        return -1;
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
    fw_code_barrier();
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
static uint8_t *pool; /* fw_pool_alloc's, where one-region placements go */

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
    resolve_calls = resolve_mix = resolve_weak = 0;
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

/* Split placement (the image says SPLIT): code and data in the areas
 * fw_split_begin gives, data below code and far apart, so that a loader
 * confusing the two bases or assuming data_offset fails. */
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
    fw_split s;
    if (!fw_split_begin(&s, pool, POOL_SIZE))
        return;
    for (uint32_t i = 0; i < s.size; i++)
        s.code[i] = s.data[i] = POOL_FILL;
    uint32_t data_total = m.img.data_size + m.img.bss_size;
    uint32_t code_room = m.img.code_size;
    if (s.flags & MODLOAD_CODE_WORDS)
        code_room = (code_room + 3u) & ~3u;
    uint32_t data_off = (0x124u + m.img.data_align - 1) & ~(m.img.data_align - 1);
    uint32_t code_off = (s.code_off + m.img.code_align - 1) & ~(m.img.code_align - 1);
    if (!fw_check(data_off + data_total <= s.size && code_off + code_room <= s.size &&
                      (s.code != s.data || data_off + data_total <= code_off),
                  "split placement does not fit"))
        return;
    fw_printf("split: code at %p, data at %p%s\n", (void *)(s.code + code_off),
              (void *)(s.data + data_off), (s.flags & MODLOAD_CODE_WORDS) ? ", 32-bit code stores" : "");
    modload_place pl = {
        .code_write = s.code + code_off,
        .code_run = (modload_addr)(uintptr_t)(s.code + code_off),
        .code_room = code_room,
        .data_write = s.data + data_off,
        .data_run = (modload_addr)(uintptr_t)(s.data + data_off),
        .data_room = data_total,
        .flags = s.flags,
    };
    m.pl = pl;
    m.mem = s.code + code_off;
    m.size = m.img.code_size;
    err = modload_load(&m.img, &m.pl, &env, &m.mod);
    if ((m.img.flags & MODP_F_COMPRESSED) && (s.flags & MODLOAD_CODE_WORDS)) {
        /* inflating reads and writes bytes, which 32-bit-only code memory
         * (ESP IRAM) cannot take: refused before any write */
        uint32_t touched = 0;
        for (uint32_t i = 0; i < s.size; i++)
            touched += (s.code[i] != POOL_FILL) + (s.code != s.data && s.data[i] != POOL_FILL);
        fw_check(err == MODLOAD_ERR_PLACEMENT && touched == 0 && record_calls == 0,
                 "compressed image in code-word mode: %s, %u bytes written", modload_strerror(err),
                 (unsigned)touched);
        fw_printf("split: compressed image refused in code-word mode: %s\n", modload_strerror(err));
        fw_split_end(&s);
        return;
    }
    if (!fw_check(err == MODLOAD_OK, "split load failed: %s", modload_strerror(err)))
        return;
    fw_check(m.mod.code_run == pl.code_run && m.mod.data_run == pl.data_run,
             "split run addresses 0x%08x/0x%08x", (unsigned)m.mod.code_run,
             (unsigned)m.mod.data_run);
    uint32_t dirty = 0, nz = 0;
    for (uint32_t i = 0; i < s.size; i++) {
        int in_code_part = i >= code_off && i < code_off + code_room;
        int in_data_part = i >= data_off && i < data_off + data_total;
        if (s.code == s.data)
            dirty += !in_code_part && !in_data_part && s.code[i] != POOL_FILL;
        else
            dirty += (!in_code_part && s.code[i] != POOL_FILL) + (!in_data_part && s.data[i] != POOL_FILL);
    }
    fw_check(dirty == 0, "split: %u bytes written outside code and data", (unsigned)dirty);
    for (uint32_t i = m.img.code_size; i < code_room; i++)
        nz += s.code[code_off + i] != 0;
    for (uint32_t i = m.img.data_size; i < data_total; i++)
        nz += s.data[data_off + i] != 0;
    fw_check(nz == 0, "split: %u padding or bss bytes not zero", (unsigned)nz);
    fw_split_seal(&s);
    run_checks(&m);
    fw_split_end(&s);
}

/* Everything after placement: run the module and check what it computed. */
static void run_checks(fw_module *mp)
{
    fw_module m = *mp;
    modload_addr a;
    int err;

#if FW_PIC_BASE
    if (modload_find(&m.mod, "_GLOBAL_OFFSET_TABLE_", &a) == MODLOAD_OK) {
        fw_check(a >= m.mod.data_run && a < m.mod.data_run + m.img.data_size,
                 "_GLOBAL_OFFSET_TABLE_ 0x%08x is not in the data", (unsigned)a);
        fw_set_pic_base((uint32_t)a);
    }
#endif
    if (m.pl.code_write) /* code written: the cache hook ran */
        fw_check(sync_calls >= 1 && sync_run == m.mod.code_run && sync_len >= m.img.code_size,
                 "sync_code: %u calls, last run=0x%08x len=%u", sync_calls, (unsigned)sync_run,
                 (unsigned)sync_len);
    else
        fw_check(sync_calls == 0, "sync_code called for code that runs in place");
    fw_check(resolve_mix >= 1, "fw_mix was not bound through the resolve callback");
    fw_check(resolve_weak == 1, "modload asked for fw_weak_absent %u times, not once", resolve_weak);

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
    /* the entry and exit are the header's, not exports as well */
    fw_check(modload_find(&m.mod, "module_init", &a) == MODLOAD_ERR_NOT_FOUND &&
                 modload_find(&m.mod, "module_exit", &a) == MODLOAD_ERR_NOT_FOUND,
             "module_init or module_exit is exported as well as the entry and exit");

    /* module_init */
    modload_addr entry = modload_entry(&m.mod);
    if (!fw_check(entry != 0 && in_code(&m, FW_FUNC_ADDR(entry)) && FW_FUNC_OK(entry),
                  "entry 0x%08x is not %s address in the code", (unsigned)entry, FW_FUNC_KIND))
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
     *  K_WEAK       fw_weak_here(0x21) + 0x1000 (fw_weak_absent is 0) +
     *               0x20000 (weak_fns holds the two addresses)
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
    check_record(K_WEAK, "weak imports", fw_weak_here(0x21u) + 0x1000u + 0x20000u);
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
                fw_check(in_code(&m, FW_FUNC_ADDR(ops_tab[i])) && FW_FUNC_OK(ops_tab[i]),
                         "mod_ops[%d] = 0x%08x is not %s address in the code", i,
                         (unsigned)ops_tab[i], FW_FUNC_KIND);
    }

    /* callbacks */
    if (fw_check(registered != 0, "module did not register its callback")) {
        fw_check(in_code(&m, FW_FUNC_ADDR((uintptr_t)registered)), "callback %p outside the module",
                 (void *)registered);
        static const uint32_t xs[] = { 0, 1, 7, 1000, 65535, 0x12345678u };
        for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++)
            fw_check_u32("registered callback", registered(xs[i]), xs[i] * xs[i] + 3u);
    }
    static const uint32_t pairs[][2] = {
        { 0, 0 }, { 1, 1 }, { 1000, 7 }, { 0xFFFFFFFFu, 2 }, { 0x80000000u, 0xFFFFFFFFu },
        { 12345678, 0 }, { (uint32_t)-123456, 7 }, { 0xDEADBEEFu, 0x1234 }, { 6, 0xFFFFFFF0u },
    };
    err = modload_find(&m.mod, "mod_compute", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(mod_compute): %s", modload_strerror(err))) {
        uint32_t (*compute)(uint32_t, uint32_t, uint32_t) =
            FW_FUNC(uint32_t (*)(uint32_t, uint32_t, uint32_t), a);
        fw_check(in_code(&m, FW_FUNC_ADDR(a)) && FW_FUNC_OK(a), "mod_compute at 0x%08x", (unsigned)a);
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
#ifdef FW_ARCH_RUN_CHECKS
    FW_ARCH_RUN_CHECKS(&m, pairs, sizeof pairs / sizeof pairs[0]);
#endif

    /* module_exit: counter was 100, module_init added 5 -> 105 = 0x69 */
    modload_addr ex = modload_exit(&m.mod);
    if (fw_check(ex != 0 && in_code(&m, FW_FUNC_ADDR(ex)), "exit 0x%08x", (unsigned)ex)) {
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
#ifdef FW_IMAGE_ARCH_FLAGS
    fw_check_u32("image arch flags", img.arch_flags, FW_IMAGE_ARCH_FLAGS);
#endif
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
#ifdef FW_EDGE_POOL
    uint8_t *own = pool;
    pool = fw_edge_pool(POOL_SIZE);
    if (pool) {
        fw_printf("pool at %p, 8 KiB below the edge\n", (void *)pool);
        run_once((uint32_t)len, 0x1F00);
        fw_pool_free(pool, POOL_SIZE);
    } else {
        fw_printf("no pool at the edge: straddling placement skipped\n");
    }
    pool = own;
#endif
    run_split((uint32_t)len);
    return 0;
}

/* ---- stream mode ------------------------------------------------------------------------- */

/* A read callback over a semihosting file, or over the image in RAM when
 * fd < 0, handing out at most chunk bytes a call. */
typedef struct stream_src {
    int fd;
    uint32_t chunk, pos, len;
    uint32_t calls;
} stream_src;

static int stream_read(void *ctx, uint8_t *buf, uint32_t len)
{
    stream_src *s = ctx;
    uint32_t n = len < s->chunk ? len : s->chunk;

    s->calls++;
    if (s->fd < 0) {
        if (n > s->len - s->pos)
            n = s->len - s->pos;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = image[s->pos + i];
        s->pos += n;
        return (int)n;
    }
    int left = sh_read(s->fd, buf, n);
    if (left < 0)
        return -1;
    return (int)(n - (uint32_t)left);
}

/* Stream the module into the pool: nothing but the modload_stream state and
 * the module's own memory; exports kept after the region. */
static const modload_env *stream_env = &env; /* trust mode adds a policy */

static int stream_once(stream_src *src, fw_module *m)
{
    static modload_stream st;
    reset_state();
    pool_fill();
    int err = modload_stream_begin(&st, stream_read, src, &m->img);
    if (err != MODLOAD_OK)
        return err;
    uint32_t align = modload_region_align(&m->img);
    m->mem = pool + ((align - ((uintptr_t)pool & (align - 1))) & (align - 1));
    m->size = modload_region_size(&m->img);
    err = modload_place_region(&m->img, m->mem, POOL_SIZE - (uint32_t)(m->mem - pool),
                               (modload_addr)(uintptr_t)m->mem, &m->pl);
    if (err != MODLOAD_OK)
        return err;
    m->pl.symtab_write = m->mem + ((m->size + 3u) & ~3u);
    m->pl.symtab_room = modload_symtab_size(&m->img);
    return modload_stream_load(&st, &m->img, &m->pl, stream_env, &m->mod);
}

static int mode_stream(const char *path)
{
    static const uint32_t chunks[] = {1, 7, 512};
    for (unsigned i = 0; i < 3; i++) {
        stream_src src = {sh_open(path, 1 /* "rb" */), chunks[i], 0, 0, 0};
        fw_module m;
        if (!fw_check(src.fd >= 0, "cannot open %s", path))
            return 1;
        int err = stream_once(&src, &m);
        sh_close(src.fd);
        fw_printf("stream in chunks of %u: %u reads: %s\n", (unsigned)chunks[i], (unsigned)src.calls,
                  modload_strerror(err));
        if (!fw_check(err == MODLOAD_OK, "streaming load failed: %s", modload_strerror(err)))
            continue;
        uint32_t lo = (uint32_t)(m.mem - pool);
        uint32_t hi = (uint32_t)((uint8_t *)m.pl.symtab_write - pool) + m.pl.symtab_room;
        fw_check(pool_dirty(lo, hi) == 0, "stream: pool bytes written outside the region");
        run_checks(&m);
    }

    /* The image with its last byte (part of the CRC) corrupted, streamed
     * from RAM: refused at the end, and nothing ran. */
    int32_t len = fw_read_file(path, image, sizeof image);
    if (len < 0)
        return 1;
    image[len - 1] ^= 0x01;
    stream_src ram = {-1, 7, 0, (uint32_t)len, 0};
    fw_module m;
    int err = stream_once(&ram, &m);
    fw_check(err == MODLOAD_ERR_CRC, "corrupted last byte: got '%s', want the CRC error",
             modload_strerror(err));
    fw_check(record_calls == 0, "the module ran");
    return 0;
}

/* ---- arch mode: code this CPU cannot run (arch flags) ---------------------------------------- */

/* modload_check, a load from memory and a streamed load all refuse the
 * image with MODLOAD_ERR_ARCH; nothing ran and the pool is untouched. */
static int mode_arch(const char *path)
{
    int32_t n = fw_read_file(path, image, sizeof image);
    if (n < 0)
        return 1;
    modload_image img;
    int err = modload_check(image, (uint32_t)n, &img);
    fw_printf("modload_check: %s\n", modload_strerror(err));
    fw_check(err == MODLOAD_ERR_ARCH, "modload_check returned %d, not MODLOAD_ERR_ARCH", err);
    reset_state();
    pool_fill();
    fw_module m;
    err = fw_load(image, (uint32_t)n, pool, POOL_SIZE, &env, &m);
    fw_check(err == MODLOAD_ERR_ARCH, "load returned %d, not MODLOAD_ERR_ARCH", err);
    fw_check(pool_dirty(0, 0) == 0, "the pool was written");
    stream_src src = {sh_open(path, 1 /* "rb" */), 512, 0, 0, 0};
    if (!fw_check(src.fd >= 0, "cannot open %s", path))
        return 1;
    err = stream_once(&src, &m);
    sh_close(src.fd);
    fw_check(err == MODLOAD_ERR_ARCH, "streamed load returned %d, not MODLOAD_ERR_ARCH", err);
    fw_check(pool_dirty(0, 0) == 0, "the pool was written");
    fw_check(record_calls == 0 && registered == 0, "the module ran");
    return 0;
}

/* ---- xip mode ------------------------------------------------------------------------------ */
#if FW_PIC_BASE

/* The image in the firmware's flash partition; its code runs from there. */
static uint8_t flash_image[32 * 1024] __attribute__((section(".flash_images"), aligned(4096)));

static int mode_xip(const char *path)
{
    fw_module m;
    int32_t len = fw_read_file(path, flash_image, sizeof flash_image);
    if (len < 0)
        return 1;
    reset_state();
    pool_fill();
    int err = modload_check(flash_image, (uint32_t)len, &m.img);
    if (!fw_check(err == MODLOAD_OK, "modload_check: %s", modload_strerror(err)) ||
        !fw_check(m.img.flags & MODP_F_XIP, "the image cannot run in place"))
        return 1;
    uint32_t crc_before = modload_crc32(0, flash_image, (uint32_t)len);
    uint32_t data_off = 0x340u; /* far from where one region would put it */
    data_off = (data_off + m.img.data_align - 1) & ~(m.img.data_align - 1);
    modload_place pl = {
        .code_write = 0, /* execute in place */
        .code_run = (modload_addr)(uintptr_t)m.img.code,
        .data_write = pool + data_off,
        .data_run = (modload_addr)(uintptr_t)(pool + data_off),
        .data_room = m.img.data_size + m.img.bss_size,
    };
    m.pl = pl;
    m.mem = pool + data_off;
    m.size = pl.data_room;
    fw_printf("xip: code at %p in flash, data at pool+0x%x\n", (void *)m.img.code, (unsigned)data_off);
    err = modload_load(&m.img, &m.pl, &env, &m.mod);
    if (!fw_check(err == MODLOAD_OK, "xip load failed: %s", modload_strerror(err)))
        return 1;
    fw_check(modload_crc32(0, flash_image, (uint32_t)len) == crc_before, "the image in flash changed");
    fw_check(pool_dirty(data_off, data_off + pl.data_room) == 0, "xip: pool bytes written outside the data");
    fw_check(in_code(&m, modload_entry(&m.mod)), "module_init is not in the flash image");
    run_checks(&m);
    fw_check(modload_crc32(0, flash_image, (uint32_t)len) == crc_before, "running changed the image");
    return 0;
}
#endif

/* ---- profile mode: what the minimal profile leaves out ------------------------------------ */

/* Load with pl and e; it must fail with MODLOAD_ERR_PROFILE, without a
 * byte of the pool written or the module run. */
static void refused(const char *what, const modload_image *img, const modload_place *pl,
                    const modload_env *e)
{
    modload_module mod;
    reset_state();
    pool_fill();
    int err = modload_load(img, pl, e, &mod);
    fw_printf("%s: %s\n", what, modload_strerror(err));
    fw_check(err == MODLOAD_ERR_PROFILE, "%s: got %d, want MODLOAD_ERR_PROFILE", what, err);
    fw_check(pool_dirty(0, 0) == 0, "%s: the pool was written", what);
    fw_check(record_calls == 0 && sync_calls == 0 && resolve_calls == 0, "%s: the module ran or was bound", what);
}

static int mode_profile(const char *path)
{
    int32_t n = fw_read_file(path, image, sizeof image);
    if (n < 0)
        return 1;
    uint32_t len = (uint32_t)n;
    fw_check(MODLOAD_PROFILE == MODLOAD_PROFILE_MINIMAL && !MODLOAD_WITH_STREAM && !MODLOAD_WITH_SPLIT &&
                 !MODLOAD_WITH_XIP && !MODLOAD_WITH_ABI && !MODLOAD_WITH_INFLATE,
             "this firmware is not built with the minimal profile");
    if (len >= MODP_HEADER_MIN && (image[MODP_H_FLAGS] & MODP_F_COMPRESSED)) {
        /* a compressed image: refused by the first check, nothing written or run */
        modload_image img;
        reset_state();
        pool_fill();
        int err = modload_check(image, len, &img);
        fw_printf("compressed image: %s\n", modload_strerror(err));
        fw_check(err == MODLOAD_ERR_PROFILE, "modload_check: got %d, want MODLOAD_ERR_PROFILE", err);
        fw_check(pool_dirty(0, 0) == 0 && record_calls == 0, "the pool was written or the module ran");
        return 0;
    }
    /* what the profile keeps: one region, results checked */
    run_once(len, 0);
    run_once(len, 0x2A28);

    modload_image img;
    if (!fw_check(modload_check(image, len, &img) == MODLOAD_OK, "modload_check"))
        return 1;
    uint32_t align = modload_region_align(&img);
    uint8_t *mem = pool + 0x1000u;
    modload_place one;
    if (!fw_check(modload_place_region(&img, mem, POOL_SIZE - 0x1000u, (modload_addr)(uintptr_t)mem, &one) ==
                      MODLOAD_OK && align <= 0x1000u,
                  "modload_place_region"))
        return 1;

    /* a stream */
    static modload_stream st;
    stream_src src = {-1, 7, 0, len, 0};
    reset_state();
    pool_fill();
    int err = modload_stream_begin(&st, stream_read, &src, &img);
    fw_printf("stream: %s\n", modload_strerror(err));
    fw_check(err == MODLOAD_ERR_PROFILE && src.calls == 0, "stream_begin: got %d, want MODLOAD_ERR_PROFILE", err);
    fw_check(modload_stream_load(&st, &img, &one, &env, &(modload_module){0}) == MODLOAD_ERR_PROFILE,
             "stream_load not refused");
    fw_check(pool_dirty(0, 0) == 0 && record_calls == 0, "stream: the pool was written or the module ran");
    if (!fw_check(modload_check(image, len, &img) == MODLOAD_OK, "modload_check"))
        return 1;

    /* an ABI check the firmware asks for */
    static const modload_abi abi = {0x12345678u, 1, 0};
    modload_env abi_env = env;
    abi_env.abi = &abi;
    refused("abi check", &img, &one, &abi_env);

    /* a signing policy */
    static const modload_policy any = {0, 0, 0};
    modload_env policy_env = env;
    policy_env.policy = &any;
    refused("signing policy", &img, &one, &policy_env);

    /* 32-bit code stores */
    modload_place words = one;
    words.flags = MODLOAD_CODE_WORDS;
    refused("code words", &img, &words, &env);

    /* split: data far below the code (the image must allow it, or the
     * refusal is MODLOAD_ERR_PLACEMENT as in the full profile) */
    modload_place split = one;
    split.data_write = pool + 0x40u;
    split.data_run = (modload_addr)(uintptr_t)(pool + 0x40u);
    if (img.flags & MODP_F_SPLIT)
        refused("split placement", &img, &split, &env);
    else
        fw_printf("split placement: not allowed by the image, skipped\n");

    /* execute in place */
    modload_place xip = one;
    xip.code_write = 0;
    xip.code_run = (modload_addr)(uintptr_t)img.code;
    if (img.flags & MODP_F_XIP)
        refused("execute in place", &img, &xip, &env);
    else
        fw_printf("execute in place: not allowed by the image, skipped\n");

    /* and after all that, the module still loads */
    run_once(len, 0x400);
    return 0;
}

/* ---- trust mode: a signing policy (MODLOAD_WITH_SHA256) ------------------------------------ */
#if MODLOAD_WITH_SHA256

static uint8_t allowed[MODLOAD_SHA256_SIZE]; /* the one digest the allow-list holds */
static unsigned accept_calls;

/* The allow-list: only the digest the firmware holds, signed or not. */
static int accept_listed(void *ctx, const modload_signature *s)
{
    (void)ctx;
    accept_calls++;
    unsigned diff = 0;
    for (unsigned i = 0; i < sizeof allowed; i++)
        diff |= s->digest[i] ^ allowed[i];
    return diff == 0 ? 0 : -1;
}

#ifdef FW_ED25519
/* Real Ed25519: the signature's key id names the firmware's key and the
 * signature verifies (testfw_arch.h: libcrypto on the hosted harness). */
static int accept_ed25519(void *ctx, const modload_signature *s)
{
    (void)ctx;
    accept_calls++;
    return s->sig && fw_ed25519_verify(s->key_id, s->digest, s->sig) ? 0 : -1;
}
#endif

static modload_policy policy;

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A load from memory without messages: the first error, or MODLOAD_OK;
 * *loaded says whether modload_load was reached (a flip of a size may make
 * the placement fail first). */
static int quiet_load(uint32_t len, const modload_env *e, int *loaded)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    int err = modload_check(image, len, &img);
    *loaded = 0;
    if (err != MODLOAD_OK)
        return err;
    uint32_t align = modload_region_align(&img);
    uint8_t *mem = pool + ((align - ((uintptr_t)pool & (align - 1))) & (align - 1));
    err = modload_place_region(&img, mem, POOL_SIZE - (uint32_t)(mem - pool), (modload_addr)(uintptr_t)mem, &pl);
    *loaded = err == MODLOAD_OK;
    return err != MODLOAD_OK ? err : modload_load(&img, &pl, e, &mod);
}

/* image[0, len) under the policy, from memory and streamed from RAM: both
 * give want. Accepted, the module runs and its results are checked;
 * refused, nothing ran, and a load from memory wrote nothing. */
/* Another refusal a streamed case may end with (0: none): a compressed
 * image's tampered deflate data can fail to inflate as it streams, before
 * the policy's verdict at the end (spec section 14). */
static int trust_stream_alt;

static void trust_case(const char *what, uint32_t len, int want)
{
    modload_env e = env;
    e.policy = &policy;
    fw_module m;
    reset_state();
    pool_fill();
    accept_calls = 0;
    int loaded;
    int err = quiet_load(len, &e, &loaded);
    fw_printf("%s: %s (policy called %u times)\n", what, modload_strerror(err), accept_calls);
    fw_check(err == want, "%s: got '%s', want '%s'", what, modload_strerror(err), modload_strerror(want));
    if (err == MODLOAD_OK) {
        reset_state();
        if (fw_check(fw_load(image, len, pool, POOL_SIZE, &e, &m) == MODLOAD_OK, "%s: fw_load", what))
            run_checks(&m);
    } else {
        fw_check(pool_dirty(0, 0) == 0, "%s: the pool was written", what);
        fw_check(record_calls == 0 && resolve_calls == 0 && sync_calls == 0, "%s: the module was bound or ran", what);
    }
    stream_src src = {-1, 7, 0, len, 0};
    stream_env = &e;
    reset_state();
    err = stream_once(&src, &m);
    stream_env = &env;
    fw_check(err == want || (trust_stream_alt && err == trust_stream_alt), "%s, streamed: got '%s', want '%s'", what,
             modload_strerror(err), modload_strerror(want));
    if (err == MODLOAD_OK)
        run_checks(&m);
    else
        fw_check(record_calls == 0 && sync_calls == 0, "%s, streamed: the module ran", what);
}

/* Flip bit 0 of image[at, at + n) one byte at a time (the CRC made anew
 * for a byte before it, so that only the policy can notice): every copy
 * is refused, with want when modload_check passes it; nothing written. */
static void trust_flips(const char *what, uint32_t len, uint32_t size, uint32_t at, uint32_t n, int want)
{
    modload_env e = env;
    e.policy = &policy;
    uint32_t crc = get32(image + size - 4), checked = 0;
    reset_state();
    pool_fill();
    for (uint32_t i = at; i < at + n; i++) {
        int ok;
        image[i] ^= 0x01u;
        if (i < size - 4)
            put32(image + size - 4, modload_crc32(0, image, size - 4));
        int err = quiet_load(len, &e, &ok);
        if (ok)
            checked++;
        fw_check(err != MODLOAD_OK && (!ok || err == want), "%s: byte %u flipped: got '%s'", what, (unsigned)i,
                 modload_strerror(err));
        image[i] ^= 0x01u;
        put32(image + size - 4, crc);
    }
    fw_printf("%s: %u bytes flipped, each refused (%u passed modload_check and placement and were refused by the policy)\n",
              what, (unsigned)n, (unsigned)checked);
    fw_check(checked > 0, "%s: no flip reached the policy", what);
    fw_check(pool_dirty(0, 0) == 0, "%s: the pool was written", what);
    fw_check(record_calls == 0 && resolve_calls == 0, "%s: the module was bound or ran", what);
}

static int mode_trust(int argc, char **argv)
{
    const char *hex = argv[4];
    for (unsigned i = 0; i < sizeof allowed; i++) {
        int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (!fw_check(hi >= 0 && lo >= 0, "DIGEST: not 64 hex digits: %s", hex))
            return 1;
        allowed[i] = (uint8_t)(hi << 4 | lo);
    }
    int32_t n = fw_read_file(argv[2], image, sizeof image);
    modload_image img;
    if (n < 0 || !fw_check(modload_check(image, (uint32_t)n, &img) == MODLOAD_OK, "modload_check"))
        return 1;
    uint32_t len = (uint32_t)n, size = img.size, version = modload_security_version(&img);
    const uint8_t *sigs;
    uint32_t nsigs;
    fw_check(modload_sig_block(&img, &sigs, &nsigs) == MODLOAD_OK && nsigs == 1 && len == size + 8 + 72,
             "the signed image has not one signature");
    fw_check(version > 0, "the signed image has security version 0");
    fw_printf("signed image: %u bytes, security version %u, %u bytes of signature block\n", (unsigned)size,
              (unsigned)version, (unsigned)(len - size));

    /* the digest allow-list */
    policy.accept = accept_listed;
    policy.ctx = 0;
    policy.min_security_version = version;
    trust_case("allow-list, signed image", len, MODLOAD_OK);
    trust_case("allow-list, the same bytes without the block", size, MODLOAD_OK);
    policy.min_security_version = version + 1;
    trust_case("allow-list, minimum above the image's version (downgrade)", len, MODLOAD_ERR_DOWNGRADE);
    policy.min_security_version = 0;
    trust_flips("allow-list, covered bytes", len, size, 0, size, MODLOAD_ERR_SIGNATURE);
    /* the security version raised by one (an attacker passing a minimum) */
    uint32_t pos = 0;
    modload_meta m;
    while (modload_meta_next(&img, &pos, &m) == MODLOAD_OK && m.type != MODP_META_SECURITY)
        ;
    if (fw_check(m.type == MODP_META_SECURITY, "no security record")) {
        uint8_t *rec = image + (m.bytes - image);
        put32(rec, version + 1);
        put32(image + size - 4, modload_crc32(0, image, size - 4));
        policy.min_security_version = version;
        trust_case("allow-list, security version raised", len, MODLOAD_ERR_SIGNATURE);
        put32(rec, version);
        put32(image + size - 4, modload_crc32(0, image, size - 4));
    }
    /* a byte of the code flipped (CRC made anew), streamed too */
    image[img.code - image] ^= 0x80u;
    put32(image + size - 4, modload_crc32(0, image, size - 4));
    trust_stream_alt = (img.flags & MODP_F_COMPRESSED) ? MODLOAD_ERR_INFLATE : 0;
    trust_case("allow-list, first code byte flipped", len, MODLOAD_ERR_SIGNATURE);
    trust_stream_alt = 0;
    image[img.code - image] ^= 0x80u;
    put32(image + size - 4, modload_crc32(0, image, size - 4));

#ifdef FW_ED25519
    if (argc == 6) {
        if (!fw_check(fw_ed25519_load(argv[5]), "cannot read the public key %s", argv[5]))
            return 1;
        policy.accept = accept_ed25519;
        policy.min_security_version = version;
        trust_case("ed25519, signed image", len, MODLOAD_OK);
        trust_case("ed25519, the block cut off (unsigned)", size, MODLOAD_ERR_UNSIGNED);
        trust_case("ed25519, the block cut short", len - 1, MODLOAD_ERR_SIGNATURE);
        policy.min_security_version = version + 1;
        trust_case("ed25519, downgrade", len, MODLOAD_ERR_DOWNGRADE);
        policy.min_security_version = 0;
        trust_flips("ed25519, covered bytes", len, size, 0, size, MODLOAD_ERR_SIGNATURE);
        trust_flips("ed25519, key id and signature", len, size, size + 8, 72, MODLOAD_ERR_SIGNATURE);
        trust_flips("ed25519, block count, algorithm, reserved", len, size, size + 4, 4, MODLOAD_ERR_SIGNATURE);
        trust_flips("ed25519, block magic (then no block)", len, size, size, 4, MODLOAD_ERR_UNSIGNED);
        image[size + 8 + 8] ^= 0x01u; /* a signature byte, streamed */
        trust_case("ed25519, signature byte flipped", len, MODLOAD_ERR_SIGNATURE);
        image[size + 8 + 8] ^= 0x01u;
        image[size + 8] ^= 0x01u; /* the key id, streamed */
        trust_case("ed25519, key id flipped", len, MODLOAD_ERR_SIGNATURE);
        image[size + 8] ^= 0x01u;
        trust_case("ed25519, intact again", len, MODLOAD_OK);
    } else {
        fw_check(0, "FW_ED25519 harness: give PUB.pem");
    }
#else
    (void)argc;
#endif

    /* an image without signatures or a listed digest */
    n = fw_read_file(argv[3], image, sizeof image);
    if (n < 0)
        return 1;
    policy.accept = accept_listed;
    policy.min_security_version = 0;
    trust_case("allow-list, unsigned image not listed", (uint32_t)n, MODLOAD_ERR_UNSIGNED);
    return 0;
}
#endif

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
    char *argv[6];
    pool = fw_pool_alloc(POOL_SIZE);
    if (!pool) {
        fw_printf("FAIL: no pool of %u bytes\n", (unsigned)POOL_SIZE);
        return 1;
    }
    int argc = fw_args(argv, 6);
    fw_symtab_init(fw_syms, NSYMS);
    int rc;
    if (argc == 3 && argv[1][0] == 'r')
        rc = mode_run(argv[2]);
    else if (argc == 3 && argv[1][0] == 'c')
        rc = mode_corrupt(argv[2]);
    else if (argc == 3 && argv[1][0] == 's')
        rc = mode_stream(argv[2]);
    else if (argc == 3 && argv[1][0] == 'a')
        rc = mode_arch(argv[2]);
    else if (argc == 3 && argv[1][0] == 'p')
        rc = mode_profile(argv[2]);
#if MODLOAD_WITH_SHA256
    else if ((argc == 5 || argc == 6) && argv[1][0] == 't')
        rc = mode_trust(argc, argv);
#endif
#if FW_PIC_BASE
    else if (argc == 3 && argv[1][0] == 'x')
        rc = mode_xip(argv[2]);
#endif
    else {
        fw_printf("usage: fw run|corrupt|stream|arch|xip|profile MODULE.mod\n"
                  "       fw trust SIGNED.mod UNSIGNED.mod DIGEST [PUB.pem]\n");
        return 2;
    }
    if (rc)
        fw_failures++;
    fw_printf("%s: %u checks, %u failed: %s\n", FW_BOARD, fw_checks, fw_failures,
              fw_failures ? "FAIL" : "PASS");
    return fw_failures ? 1 : 0;
}
