/* abifw.c - Cortex-M firmware of the ABI test (tests/abi), under
 * qemu-system-arm -M mps2-an386 with semihosting:
 *
 *   abifw ok MODULE.mod       the module was built against this firmware's
 *                             ABI: it loads from a buffer and streamed, and
 *                             what it computes is checked
 *   abifw refuse MODULE.mod   it was built against another ABI: modload_load
 *                             and modload_stream_load refuse it with
 *                             MODLOAD_ERR_ABI (the buffer load before writing
 *                             a byte); with env.abi = NULL it loads and runs
 *   abifw unresolved MODULE.mod NAME
 *                             its ABI matches but it imports NAME, which this
 *                             firmware does not export: both loads refuse it
 *                             with MODLOAD_ERR_UNRESOLVED, naming NAME in
 *                             mod.unresolved
 *
 * Its export table and ABI are not written here: `modpack exports` made
 * them (fw_exports.c) from the MODLOAD_EXPORT marks in this file and in
 * abiapi.c, and both modes first check that table on the target.
 * Exit status 0 only when every check passed.
 */
#include <stdint.h>

#include "abiapi.h"
#include "fwutil.h"
#include "modload_export.h"
#include "semihost.h"

uint32_t fw_version_word(void)
{
    return ABIFW_VERSION_WORD;
}
MODLOAD_EXPORT(fw_version_word);

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static const char abi_text[] = "image built for another firmware ABI (other id or major, or newer minor)";

/* The generated table: sorted, hashed, bound to the right addresses, and
 * its ABI id recomputed from the ABI name as the spec defines it. */
static void check_table(void)
{
    static const struct { const char *name; modload_addr addr; } want[] = {
        {"fw_total", (modload_addr)(uintptr_t)&fw_total},
#ifndef ABIFW_NO_MUL3
        {"fw_mul3", (modload_addr)(uintptr_t)&fw_mul3},
#endif
        {"fw_accumulate", (modload_addr)(uintptr_t)&fw_accumulate},
        {"fw_abi_table", (modload_addr)(uintptr_t)fw_abi_table},
        {"fw_version_word", (modload_addr)(uintptr_t)&fw_version_word},
#ifdef ABIFW_ADDED
        {"fw_added", (modload_addr)(uintptr_t)&fw_added},
#endif
    };
    const char *s = ABIFW_NAME;
    uint32_t i, id = 0x811C9DC5u;

    fw_check_u32("exports in the table", modload_fw_nsyms, sizeof want / sizeof want[0]);
    for (i = 0; i < modload_fw_nsyms; i++) {
        fw_check(modload_fw_syms[i].hash == modload_hash(modload_fw_syms[i].name), "hash of %s",
                 modload_fw_syms[i].name);
        fw_check(i == 0 || modload_fw_syms[i - 1].hash < modload_fw_syms[i].hash, "table order at %u", (unsigned)i);
    }
    for (; *s; s++)
        id = (id ^ (uint8_t)*s) * 0x01000193u;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        modload_addr a = 0;
        int rc = modload_lookup(modload_fw_syms, modload_fw_nsyms, want[i].name, modload_hash(want[i].name), &a);
        fw_check(rc == MODLOAD_OK && a == want[i].addr, "%s in the table at 0x%x, want 0x%x", want[i].name,
                 (unsigned)a, (unsigned)want[i].addr);
    }
    fw_check(id == modload_fw_abi.id, "ABI id 0x%08x, recomputed 0x%08x", (unsigned)modload_fw_abi.id, (unsigned)id);
    fw_check(modload_fw_abi.major == ABIFW_MAJOR && modload_fw_abi.minor == ABIFW_MINOR,
             "ABI version %u.%u, want %u.%u", modload_fw_abi.major, modload_fw_abi.minor, ABIFW_MAJOR, ABIFW_MINOR);
}

static uint8_t image[16 * 1024] __attribute__((aligned(8)));
static uint8_t pool[8 * 1024] __attribute__((aligned(4096)));
static uint32_t image_len;

/* Run the loaded module and check what it computed. */
static void run(const modload_module *mod)
{
    static const uint32_t values[3] = ABI_INIT_VALUES;
    uint32_t total = 0, i, r;
    modload_addr a = 0;

    for (i = 0; i < 3; i++)
        total += values[i] ^ 0x5Au;
    fw_total = 0;
    fw_check(FW_FUNC(int (*)(void), modload_entry(mod))() == 0, "module_init returned non-zero");
    fw_check_u32("fw_total after module_init", fw_total, total);
    if (!fw_check(modload_find(mod, "abi_compute", &a) == MODLOAD_OK, "abi_compute not exported"))
        return;
    for (i = 1; i <= 2; i++) {
        r = FW_FUNC(uint32_t (*)(uint32_t, uint32_t), a)(5u * i, 7u);
        fw_check_u32("abi_compute", r, 15u * i + 7u * total + ABIFW_VERSION_WORD + i);
    }
}

/* Buffer load into pool (filled with 0xA5 first); returns the error. */
static int load_buffer(const modload_env *env, modload_module *mod, int *untouched)
{
    modload_image img;
    modload_place pl;
    uint32_t i;
    int rc;

    for (i = 0; i < sizeof pool; i++)
        pool[i] = 0xA5;
    if ((rc = modload_check(image, image_len, &img)) != MODLOAD_OK ||
        (rc = modload_place_region(&img, pool, sizeof pool, (modload_addr)(uintptr_t)pool, &pl)) != MODLOAD_OK)
        return rc;
    rc = modload_load(&img, &pl, env, mod);
    for (i = 0, *untouched = 1; i < sizeof pool; i++)
        if (pool[i] != 0xA5)
            *untouched = 0;
    return rc;
}

typedef struct reader {
    uint32_t pos;
} reader;

static int read7(void *ctx, uint8_t *buf, uint32_t len)
{
    reader *r = ctx;
    uint32_t n = len < 7 ? len : 7, i;
    if (n > image_len - r->pos)
        n = image_len - r->pos;
    for (i = 0; i < n; i++)
        buf[i] = image[r->pos + i];
    r->pos += n;
    return (int)n;
}

static uint8_t symtab[256];

static int load_stream(const modload_env *env, modload_module *mod)
{
    static modload_stream st;
    modload_image img;
    modload_place pl;
    reader r = {0};
    int rc;

    if ((rc = modload_stream_begin(&st, read7, &r, &img)) != MODLOAD_OK ||
        (rc = modload_place_region(&img, pool, sizeof pool, (modload_addr)(uintptr_t)pool, &pl)) != MODLOAD_OK)
        return rc;
    pl.symtab_write = symtab;
    pl.symtab_room = sizeof symtab;
    return modload_stream_load(&st, &img, &pl, env, mod);
}

int main(void)
{
    char *argv[5];
    int argc = fw_args(argv, 5), rc, untouched;
    modload_env env = {.syms = modload_fw_syms, .nsyms = modload_fw_nsyms, .abi = &modload_fw_abi};
    modload_module mod;
    modload_image img;
    modload_abi rec;
    int32_t len;

    if (argc != 3 && !(argc == 4 && streq(argv[1], "unresolved"))) {
        fw_printf("usage: abifw ok|refuse MODULE.mod, abifw unresolved MODULE.mod NAME\n");
        return 1;
    }
    if ((len = fw_read_file(argv[2], image, sizeof image)) < 0)
        return 1;
    image_len = (uint32_t)len;
    check_table();

    if (modload_check(image, image_len, &img) == MODLOAD_OK && modload_image_abi(&img, &rec) == MODLOAD_OK)
        fw_printf("%s: built for ABI 0x%08x %u.%u; firmware ABI 0x%08x %u.%u\n", argv[2], (unsigned)rec.id,
                  rec.major, rec.minor, (unsigned)modload_fw_abi.id, modload_fw_abi.major, modload_fw_abi.minor);
    else
        fw_check(0, "%s: no ABI record", argv[2]);

    if (streq(argv[1], "ok")) {
        rc = load_buffer(&env, &mod, &untouched);
        if (fw_check(rc == MODLOAD_OK, "modload_load: %s", modload_strerror(rc)))
            run(&mod);
        rc = load_stream(&env, &mod);
        if (fw_check(rc == MODLOAD_OK, "modload_stream_load: %s", modload_strerror(rc)))
            run(&mod);
    } else if (streq(argv[1], "refuse")) {
        rc = load_buffer(&env, &mod, &untouched);
        fw_check(rc == MODLOAD_ERR_ABI, "modload_load gave %d (%s), want MODLOAD_ERR_ABI", rc, modload_strerror(rc));
        fw_check(streq(modload_strerror(rc), abi_text), "message: %s", modload_strerror(rc));
        fw_check(untouched, "the refused load wrote to its memory");
        fw_printf("refused: %s\n", modload_strerror(rc));
        rc = load_stream(&env, &mod);
        fw_check(rc == MODLOAD_ERR_ABI, "modload_stream_load gave %d (%s), want MODLOAD_ERR_ABI", rc,
                 modload_strerror(rc));
        /* Opting out: the same image loads and runs. */
        env.abi = 0;
        rc = load_buffer(&env, &mod, &untouched);
        if (fw_check(rc == MODLOAD_OK, "opt-out modload_load: %s", modload_strerror(rc)))
            run(&mod);
    } else if (streq(argv[1], "unresolved")) {
        /* The ABI matches; the import the firmware dropped is named. */
        rc = load_buffer(&env, &mod, &untouched);
        fw_check(rc == MODLOAD_ERR_UNRESOLVED, "modload_load gave %d (%s), want MODLOAD_ERR_UNRESOLVED", rc,
                 modload_strerror(rc));
        if (rc == MODLOAD_ERR_UNRESOLVED)
            fw_check(streq(mod.unresolved.name, argv[3]) && mod.unresolved.hash == modload_hash(argv[3]),
                     "modload_load named '%s' (hash 0x%08x), want %s", mod.unresolved.name,
                     (unsigned)mod.unresolved.hash, argv[3]);
        fw_printf("refused: %s: %s\n", modload_strerror(rc), rc == MODLOAD_ERR_UNRESOLVED ? mod.unresolved.name : "");
        rc = load_stream(&env, &mod);
        fw_check(rc == MODLOAD_ERR_UNRESOLVED, "modload_stream_load gave %d (%s), want MODLOAD_ERR_UNRESOLVED",
                 rc, modload_strerror(rc));
        if (rc == MODLOAD_ERR_UNRESOLVED)
            fw_check(streq(mod.unresolved.name, argv[3]), "modload_stream_load named '%s', want %s",
                     mod.unresolved.name, argv[3]);
    } else {
        fw_printf("unknown mode %s\n", argv[1]);
        return 1;
    }
    fw_printf("%u checks, %u failed: %s\n", fw_checks, fw_failures, fw_failures ? "FAIL" : "PASS");
    return fw_failures ? 1 : 0;
}
