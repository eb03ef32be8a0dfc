/* x86fw.c - native Linux "firmware" for the i386 and x86-64 end-to-end
 * tests (tests/x86). Built for -m32 and -m64 with modload compiled for the
 * same ISA (not MODLOAD_HOST: native modload_addr, native fixup kinds).
 *
 *   x86fw run MODULE.mod       refuse bad placements and an unbound import;
 *                              load the module (tests/arm/testmod.c +
 *                              x86extra.c) at several addresses in mmap'd
 *                              memory, and split (code in its own mapping,
 *                              made read-execute) when the image allows it;
 *                              run it each time and check every value
 *   x86fw corrupt MODULE.mod   flip every byte of the image (three patterns)
 *                              and require modload_check to refuse each copy
 *                              before anything runs; then run the intact one
 *
 * Exit status 0 only when every check passed.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "modload.h"
#include "testapi.h"

#if defined(__x86_64__)
#define FW_ISA "x86-64"
#elif defined(__i386__)
#define FW_ISA "i386"
#else
#error "x86fw is for i386 and x86-64"
#endif

static unsigned checks, failures;

static int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int check(int ok, const char *fmt, ...)
{
    checks++;
    if (!ok) {
        va_list ap;
        va_start(ap, fmt);
        printf("  FAIL: ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        failures++;
    }
    return ok;
}

static int check_u32(const char *what, uint32_t got, uint32_t want)
{
    return check(got == want, "%s = 0x%08" PRIx32 ", expected 0x%08" PRIx32, what, got, want);
}

/* ---- the firmware API the module imports ---------------------------------- */

volatile uint32_t fw_shared;
const uint32_t fw_table[4] = { 1, 10, 100, 1000 };

static uint32_t records[K_NKEYS];
static uint32_t recorded;
static unsigned record_calls;
static uint32_t (*registered)(uint32_t);

void fw_record(uint32_t key, uint32_t value)
{
    record_calls++;
    if (key < K_NKEYS) {
        check(!(recorded & (1u << key)), "key %" PRIu32 " recorded twice", key);
        records[key] = value;
        recorded |= 1u << key;
    } else {
        check(0, "bad key %" PRIu32, key);
    }
}

void fw_register(uint32_t (*cb)(uint32_t))
{
    record_calls++;
    registered = cb;
}

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
};
#define NSYMS ((uint32_t)(sizeof fw_syms / sizeof fw_syms[0]))

static int sym_cmp(const void *a, const void *b)
{
    const modload_symbol *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);
}

static unsigned resolve_calls, resolve_mix;

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    check(ctx == (void *)&resolve_calls, "resolve: ctx not passed through");
    resolve_calls++;
    if (hash == modload_hash("fw_mix") && (name[0] == '\0' || modload_hash(name) == hash)) {
        resolve_mix++;
        *addr = (modload_addr)(uintptr_t)&fw_mix;
        return 0;
    }
    check(0, "resolve asked for %s (0x%08" PRIx32 ")", name[0] ? name : "(stripped)", hash);
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
}

static modload_env env = {
    .syms = fw_syms, .nsyms = NSYMS, .resolve = resolve, .ctx = &resolve_calls, .sync_code = sync_code,
};

/* ---- reference results -------------------------------------------------------- */

static uint32_t ref_sdiv(uint32_t a, uint32_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (y == 0)
        return 0;
    if (y == -1)
        return 0u - a;
    return (uint32_t)(x / y);
}

/* testmod.c's mod_compute */
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

/* x86extra.c's x86_extra */
static uint32_t ref_extra(uint32_t sel, uint32_t a)
{
    switch (sel) {
    case 0: return a + 11;
    case 1: return a * 7;
    case 2: return fw_mix(a, 3);
    case 3: return a << 3;
    case 4: return ~a;
    case 5: return fw_table[2] + a;
    case 6: return fw_table[3] ^ a;
    case 7: return a ? fw_mix(a, a) : 0;
    default: return 0xEEEEEEEEu;
    }
}

/* ---- memory ------------------------------------------------------------------------ */

#define POOL_SIZE (256u * 1024u)
#define POOL_FILL 0xA5u

static uint8_t *image;
static uint8_t *pool;         /* RWX, where one-region placements go */

static uint8_t *map(void *hint, size_t size, int prot)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (hint)
        flags |= MAP_FIXED_NOREPLACE;
    void *p = mmap(hint, size, prot, flags, -1, 0);
    if (p == MAP_FAILED || (hint && p != hint)) {
        if (p != MAP_FAILED)
            munmap(p, size);
        return NULL;
    }
    return p;
}

static uint32_t pool_dirty(const uint8_t *base, uint32_t size, uint32_t lo, uint32_t hi)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < size; i++)
        if ((i < lo || i >= hi) && base[i] != POOL_FILL)
            n++;
    return n;
}

static void reset_state(void)
{
    memset(records, 0, sizeof records);
    recorded = 0;
    record_calls = 0;
    registered = 0;
    resolve_calls = resolve_mix = 0;
    sync_calls = 0;
    sync_run = 0;
    sync_len = 0;
    fw_shared = FW_SHARED_INIT;
}

typedef struct loaded {
    modload_image img;
    modload_place pl;
    modload_module mod;
} loaded;

static int in_code(const loaded *m, modload_addr a)
{
    return a >= m->mod.code_run && a < m->mod.code_run + m->img.code_size;
}

#define FUNC(type, addr) ((type)(uintptr_t)(addr))
#define PTR(type, addr) ((type *)(uintptr_t)(addr))

static void check_record(uint32_t key, const char *what, uint32_t want)
{
    if (!check(recorded & (1u << key), "%s (key %" PRIu32 ") not recorded", what, key))
        return;
    check_u32(what, records[key], want);
}

/* Run the loaded module and check what it computed (see tests/arm/testfw.c
 * for the derivation of each expected number). */
static void run_checks(const loaded *m)
{
    modload_addr a;
    int err;

    check(sync_calls >= 1 && sync_run == m->mod.code_run && sync_len >= m->img.code_size,
          "sync_code: %u calls", sync_calls);
    check(resolve_mix >= 1, "fw_mix was not bound through the resolve callback");

    err = modload_find(&m->mod, "mod_version", &a);
    if (check(err == MODLOAD_OK, "modload_find(mod_version): %s", modload_strerror(err))) {
        check(in_code(m, a), "mod_version is not in the code segment");
        check_u32("mod_version", *PTR(const uint32_t, a), 0x00010002u);
    }
    check(modload_find(&m->mod, "no_such_symbol", &a) == MODLOAD_ERR_NOT_FOUND,
          "modload_find(no_such_symbol) did not fail with NOT_FOUND");
    check(modload_find(&m->mod, "op_add", &a) == MODLOAD_ERR_NOT_FOUND, "static op_add is exported");

    modload_addr entry = modload_entry(&m->mod);
    if (!check(entry != 0 && in_code(m, entry), "entry 0x%" PRIx64 " is not in the code",
               (uint64_t)entry))
        return;
    int rc = FUNC(int (*)(void), entry)();
    check_u32("module_init return", (uint32_t)rc, MOD_INIT_OK);

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
    check_u32("fw_shared after init", fw_shared, FW_SHARED_INIT ^ 0xFFFFFFFFu);

    err = modload_find(&m->mod, "mod_state", &a);
    if (check(err == MODLOAD_OK, "modload_find(mod_state): %s", modload_strerror(err))) {
        check(a >= m->mod.data_run && a < m->mod.data_run + m->img.data_size,
              "mod_state is not in the data segment");
        check_u32("mod_state", *PTR(volatile uint32_t, a), 0xC0DE0002u);
    }
    err = modload_find(&m->mod, "mod_ops", &a);
    if (check(err == MODLOAD_OK, "modload_find(mod_ops): %s", modload_strerror(err))) {
        const uintptr_t *tab = PTR(const uintptr_t, a);
        check(tab[2] == (uintptr_t)&fw_mix, "mod_ops[2] = 0x%" PRIxPTR ", fw_mix is at %p", tab[2],
              (void *)&fw_mix);
        for (int i = 0; i < 4; i++)
            if (i != 2)
                check(in_code(m, tab[i]), "mod_ops[%d] = 0x%" PRIxPTR " is not in the code", i, tab[i]);
    }

    if (check(registered != 0, "module did not register its callback")) {
        check(in_code(m, (uintptr_t)registered), "callback %p outside the module", (void *)(uintptr_t)registered);
        static const uint32_t xs[] = { 0, 1, 7, 1000, 65535, 0x12345678u };
        for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++)
            check_u32("registered callback", registered(xs[i]), xs[i] * xs[i] + 3u);
    }
    static const uint32_t pairs[][2] = {
        { 0, 0 }, { 1, 1 }, { 1000, 7 }, { 0xFFFFFFFFu, 2 }, { 0x80000000u, 0xFFFFFFFFu },
        { 12345678, 0 }, { (uint32_t)-123456, 7 }, { 0xDEADBEEFu, 0x1234 }, { 6, 0xFFFFFFF0u },
    };
    const unsigned npairs = sizeof pairs / sizeof pairs[0];
    err = modload_find(&m->mod, "mod_compute", &a);
    if (check(err == MODLOAD_OK, "modload_find(mod_compute): %s", modload_strerror(err)) &&
        check(in_code(m, a), "mod_compute outside the code")) {
        uint32_t (*compute)(uint32_t, uint32_t, uint32_t) = FUNC(uint32_t (*)(uint32_t, uint32_t, uint32_t), a);
        unsigned bad = 0;
        for (uint32_t sel = 0; sel <= 11; sel++)
            for (unsigned p = 0; p < npairs; p++)
                bad += !check(compute(sel, pairs[p][0], pairs[p][1]) == ref_compute(sel, pairs[p][0], pairs[p][1]),
                              "mod_compute(%" PRIu32 ", 0x%" PRIx32 ", 0x%" PRIx32 ")", sel, pairs[p][0],
                              pairs[p][1]);
        printf("mod_compute: %u of %u results right\n", 12 * npairs - bad, 12 * npairs);
    }
    err = modload_find(&m->mod, "x86_extra", &a);
    if (check(err == MODLOAD_OK, "modload_find(x86_extra): %s", modload_strerror(err)) &&
        check(in_code(m, a), "x86_extra outside the code")) {
        uint32_t (*extra)(uint32_t, uint32_t) = FUNC(uint32_t (*)(uint32_t, uint32_t), a);
        unsigned bad = 0;
        for (uint32_t sel = 0; sel <= 9; sel++)
            for (unsigned p = 0; p < npairs; p++)
                bad += !check(extra(sel, pairs[p][0]) == ref_extra(sel, pairs[p][0]),
                              "x86_extra(%" PRIu32 ", 0x%" PRIx32 ") = 0x%08" PRIx32 ", expected 0x%08" PRIx32,
                              sel, pairs[p][0], extra(sel, pairs[p][0]), ref_extra(sel, pairs[p][0]));
        printf("x86_extra: %u of %u results right\n", 10 * npairs - bad, 10 * npairs);
    }

    modload_addr ex = modload_exit(&m->mod);
    if (check(ex != 0 && in_code(m, ex), "exit 0x%" PRIx64, (uint64_t)ex)) {
        FUNC(void (*)(void), ex)();
        check_u32("fw_shared after exit", fw_shared, 0xE0000069u);
    }
}

/* One region in [base, base + room) at the first address from base + offset
 * aligned as the image needs. */
static void run_once(uint32_t len, uint8_t *base, uint32_t room, uint32_t offset, const char *what)
{
    reset_state();
    memset(base, POOL_FILL, room);
    loaded m;
    int err = modload_check(image, len, &m.img);
    if (!check(err == MODLOAD_OK, "modload_check: %s", modload_strerror(err)))
        return;
    uint32_t align = modload_region_align(&m.img), size = modload_region_size(&m.img);
    uintptr_t at = ((uintptr_t)base + offset + align - 1) & ~(uintptr_t)(align - 1);
    uint32_t lo = (uint32_t)(at - (uintptr_t)base);
    printf("load at %p (%s), %" PRIu32 " bytes\n", (void *)at, what, size);
    if (!check(lo + size <= room, "region does not fit"))
        return;
    err = modload_place_region(&m.img, (void *)at, room - lo, (modload_addr)at, &m.pl);
    if (!check(err == MODLOAD_OK, "modload_place_region: %s", modload_strerror(err)))
        return;
    err = modload_load(&m.img, &m.pl, &env, &m.mod);
    if (!check(err == MODLOAD_OK, "modload_load: %s", modload_strerror(err)))
        return;
    check(m.mod.code_run == (modload_addr)at, "code_run");
    check_u32("data_run - code_run", (uint32_t)(m.mod.data_run - m.mod.code_run), m.img.data_offset);
    check(pool_dirty(base, room, lo, lo + size) == 0, "bytes written outside the region");
    uint32_t nz = 0;
    for (uint32_t i = m.img.code_size; i < m.img.data_offset; i++)
        nz += ((uint8_t *)at)[i] != 0;
    for (uint32_t i = m.img.data_offset + m.img.data_size; i < size; i++)
        nz += ((uint8_t *)at)[i] != 0;
    check(nz == 0, "%" PRIu32 " bytes of padding or bss not zero", nz);
    run_checks(&m);
}

/* Split: code in a mapping of its own, made read-execute after the load,
 * data in the pool below it. */
static void run_split(uint32_t len)
{
    reset_state();
    loaded m;
    int err = modload_check(image, len, &m.img);
    if (!check(err == MODLOAD_OK, "modload_check: %s", modload_strerror(err)))
        return;
    if (!(m.img.flags & MODP_F_SPLIT)) {
        printf("split placement: not allowed by the image, skipped\n");
        return;
    }
    uint32_t data_total = m.img.data_size + m.img.bss_size;
    uint32_t code_map = (m.img.code_size + 0xFFFu) & ~0xFFFu;
    uint8_t *code = map(NULL, code_map ? code_map : 4096, PROT_READ | PROT_WRITE);
    if (!check(code != NULL, "mmap for split code"))
        return;
    memset(pool, POOL_FILL, POOL_SIZE);
    uint32_t data_off = (0x124u + m.img.data_align - 1) & ~(m.img.data_align - 1);
    m.pl = (modload_place){
        .code_write = code,
        .code_run = (modload_addr)(uintptr_t)code,
        .code_room = m.img.code_size,
        .data_write = pool + data_off,
        .data_run = (modload_addr)(uintptr_t)(pool + data_off),
        .data_room = data_total,
    };
    printf("split: code at %p, data at %p\n", (void *)code, (void *)(pool + data_off));
    err = modload_load(&m.img, &m.pl, &env, &m.mod);
    if (check(err == MODLOAD_OK, "split load: %s", modload_strerror(err)) &&
        check(mprotect(code, code_map, PROT_READ | PROT_EXEC) == 0, "mprotect code RX")) {
        check(pool_dirty(pool, POOL_SIZE, data_off, data_off + data_total) == 0,
              "split: pool bytes written outside the data");
        run_checks(&m);
    }
    munmap(code, code_map);
}

static void negative_checks(uint32_t len)
{
    modload_addr a = 0;
    check(modload_lookup(fw_syms, NSYMS, "fw_record", modload_hash("fw_record"), &a) == MODLOAD_OK &&
              a == (modload_addr)(uintptr_t)&fw_record,
          "modload_lookup(fw_record)");
    check(modload_lookup(fw_syms, NSYMS, "fw_mix", modload_hash("fw_mix"), &a) == MODLOAD_ERR_NOT_FOUND,
          "modload_lookup(fw_mix) found a name the table does not hold");
    modload_image img;
    if (!check(modload_check(image, len, &img) == MODLOAD_OK, "modload_check"))
        return;
    uint32_t size = modload_region_size(&img), align = modload_region_align(&img);
    modload_place pl;
    check(modload_place_region(&img, pool, size - 1, (modload_addr)(uintptr_t)pool, &pl) == MODLOAD_ERR_SPACE,
          "placing in one byte too few did not fail with ERR_SPACE");
    if (align > 1)
        check(modload_place_region(&img, pool + 1, size, (modload_addr)(uintptr_t)pool + 1, &pl) ==
                  MODLOAD_ERR_ALIGN,
              "misaligned run address did not fail with ERR_ALIGN");
    reset_state();
    modload_env table_only = { .syms = fw_syms, .nsyms = NSYMS };
    modload_module mod;
    if (check(modload_place_region(&img, pool, POOL_SIZE, (modload_addr)(uintptr_t)pool, &pl) == MODLOAD_OK,
              "modload_place_region"))
        check(modload_load(&img, &pl, &table_only, &mod) == MODLOAD_ERR_UNRESOLVED,
              "a load with fw_mix unresolvable did not fail with ERR_UNRESOLVED");
    check(record_calls == 0, "the module ran");
}

static int mode_run(uint32_t len)
{
    negative_checks(len);
    run_once(len, pool, POOL_SIZE, 0, "pool");
    run_once(len, pool, POOL_SIZE, 0x2A28, "pool+0x2A28");
    /* a region straddling a 4 GiB (x86-64) or 2 GiB (i386) boundary: code
     * below, data above, so that adding the base carries into the upper
     * half of 64-bit words, or sets bit 31 */
#if defined(__x86_64__)
    uintptr_t edge = (uintptr_t)1 << 32;
#else
    uintptr_t edge = (uintptr_t)1 << 31;
#endif
    uint8_t *hi = map((void *)(edge - 0x2000u), 0x40000u, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (hi) {
        run_once(len, hi, 0x40000u, 0x1F00u, "straddling");
        munmap(hi, 0x40000u);
    } else {
        printf("cannot map at %p: straddling placement skipped\n", (void *)(edge - 0x2000u));
    }
    run_split(len);
    return 0;
}

static int mode_corrupt(uint32_t len)
{
    modload_image good;
    int err = modload_check(image, len, &good);
    if (!check(err == MODLOAD_OK, "the intact image is refused: %s", modload_strerror(err)))
        return 1;
    static const uint8_t patterns[] = { 0xFF, 0x01, 0x80 };
    unsigned errs[MODLOAD_ERR_COUNT] = { 0 }, accepted = 0, flips = 0;
    reset_state();
    for (uint32_t off = 0; off < len; off++)
        for (unsigned k = 0; k < sizeof patterns; k++) {
            image[off] ^= patterns[k];
            flips++;
            modload_image img;
            err = modload_check(image, len, &img);
            if (err == MODLOAD_OK) {
                accepted++;
                check(0, "byte %" PRIu32 " ^ 0x%02x accepted by modload_check", off, patterns[k]);
            } else if (err > 0 && err < MODLOAD_ERR_COUNT) {
                errs[err]++;
            } else {
                check(0, "modload_check returned %d", err);
            }
            image[off] ^= patterns[k];
        }
    static const uint32_t cuts[] = { 0, 1, 4, 71, 72 };
    for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        modload_image img;
        check(modload_check(image, cuts[i], &img) != MODLOAD_OK, "%" PRIu32 "-byte prefix accepted", cuts[i]);
    }
    modload_image img;
    check(modload_check(image, len - 1, &img) == MODLOAD_ERR_TRUNCATED, "image without its last byte");
    printf("%u flips, %u refused:", flips, flips - accepted);
    for (int e = 1; e < MODLOAD_ERR_COUNT; e++)
        if (errs[e])
            printf(" %s=%u", modload_strerror(e), errs[e]);
    printf("\n");
    check(record_calls == 0 && registered == 0, "the module ran");
    check_u32("fw_shared", fw_shared, FW_SHARED_INIT);
    check(accepted == 0, "%u corrupted images accepted", accepted);
    run_once(len, pool, POOL_SIZE, 0x400, "pool+0x400, intact");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "corrupt") != 0)) {
        fprintf(stderr, "usage: %s run|corrupt MODULE.mod\n", argv[0]);
        return 2;
    }
    for (uint32_t i = 0; i < NSYMS; i++)
        fw_syms[i].hash = modload_hash(fw_syms[i].name);
    qsort(fw_syms, NSYMS, sizeof fw_syms[0], sym_cmp);

    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    static uint8_t buf[256 * 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n == 0 || n == sizeof buf) {
        fprintf(stderr, "%s: empty or too large\n", argv[2]);
        return 2;
    }
    image = buf;
    pool = map(NULL, POOL_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (!pool) {
        perror("mmap");
        return 2;
    }
    int rc = argv[1][0] == 'r' ? mode_run((uint32_t)n) : mode_corrupt((uint32_t)n);
    if (rc)
        failures++;
    printf("%s: %u checks, %u failed: %s\n", FW_ISA, checks, failures, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}
