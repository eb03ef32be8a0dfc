/* diffplace.c - the differential test's host side (tests/diff).
 *
 *   diffplace MANIFEST
 *
 * MANIFEST lines (written by tests/diff/CMakeLists.txt):
 *   import NAME ADDR          firmware symbol, the same address both links used
 *   row NAME CPU OPT MOD BIN BASE
 *       MOD  the base-0 link packed by modpack
 *       BIN  arm-none-eabi-objcopy -O binary of the same module linked at
 *            BASE (--defsym=__module_base=BASE, imports --defsym'd)
 *
 * For each row: modload_check the image, place it with modload (host build,
 * 64-bit modload_addr) as one region running at BASE, binding imports from
 * the table, and compare the region byte for byte with BIN (the region's
 * bytes past BIN, i.e. bss, must be zero). Prints one table line per row;
 * exits 1 if any byte of any row differs or any step fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modload.h"

#define MAX_IMPORTS 64
#define FILL 0xA5

static modload_symbol syms[MAX_IMPORTS];
static char names[MAX_IMPORTS][64];
static uint32_t nsyms;
/* Every import must be in the manifest, except weak ones, which the
 * reference link (and modload) bind to 0. */
static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)name;
    (void)hash;
    (void)addr;
    return -1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    if (ferror(f)) {
        perror(path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int sym_cmp(const void *a, const void *b)
{
    const modload_symbol *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* which part of the region an offset lies in, for messages */
static const char *where(const modload_image *img, uint32_t off, uint32_t *rel)
{
    if (off < img->code_size) {
        *rel = off;
        return "code";
    }
    if (off < img->data_offset) {
        *rel = off - img->code_size;
        return "pad";
    }
    *rel = off - img->data_offset;
    return *rel < img->data_size ? "data" : "bss";
}

/* returns 0 when the row passes */
static int run_row(const char *name, const char *cpu, const char *opt, const char *modpath,
                   const char *binpath, uint64_t base)
{
    int fail = 1;
    size_t modlen = 0, binlen = 0;
    uint8_t *mod = read_file(modpath, &modlen);
    uint8_t *bin = read_file(binpath, &binlen);
    uint8_t *region = NULL;
    char result[160] = "";
    modload_image img;
    memset(&img, 0, sizeof img);
    uint32_t patched = 0;

    if (!mod || !bin) {
        snprintf(result, sizeof result, "FAIL: cannot read inputs");
        goto out;
    }
    int err = modload_check(mod, modlen, &img);
    if (err != MODLOAD_OK) {
        snprintf(result, sizeof result, "FAIL: modload_check: %s", modload_strerror(err));
        goto out;
    }
    uint32_t size = modload_region_size(&img), align = modload_region_align(&img);
    if (align == 0 || base % align != 0) {
        snprintf(result, sizeof result, "FAIL: base 0x%" PRIx64 " not aligned to %" PRIu32,
                 base, align);
        goto out;
    }
    region = malloc(size ? size : 1);
    if (!region) {
        snprintf(result, sizeof result, "FAIL: out of memory");
        goto out;
    }
    memset(region, FILL, size);
    modload_place pl;
    err = modload_place_region(&img, region, size, (modload_addr)base, &pl);
    if (err != MODLOAD_OK) {
        snprintf(result, sizeof result, "FAIL: modload_place_region: %s", modload_strerror(err));
        goto out;
    }
    modload_env env = { .syms = syms, .nsyms = nsyms, .resolve = resolve };
    modload_module mm;
    err = modload_load(&img, &pl, &env, &mm);
    if (err != MODLOAD_OK) {
        snprintf(result, sizeof result, "FAIL: modload_load: %s%s%s", modload_strerror(err),
                 err == MODLOAD_ERR_UNRESOLVED ? " not in the manifest: " : "",
                 err == MODLOAD_ERR_UNRESOLVED ? mm.unresolved.name : "");
        goto out;
    }
    if (mm.code_run != base || mm.data_run != base + img.data_offset) {
        snprintf(result, sizeof result, "FAIL: run addresses 0x%" PRIx64 "/0x%" PRIx64,
                 (uint64_t)mm.code_run, (uint64_t)mm.data_run);
        goto out;
    }
    if (binlen > size) {
        snprintf(result, sizeof result, "FAIL: base-B link has %zu bytes, region %" PRIu32,
                 binlen, size);
        goto out;
    }

    /* how many bytes the fixups had to change: unrelocated image bytes
     * against the base-B link (shows the comparison is not vacuous) */
    for (uint32_t i = 0; i < img.code_size && i < binlen; i++)
        patched += img.code[i] != bin[i];
    for (uint32_t i = 0; i < img.data_size && img.data_offset + i < binlen; i++)
        patched += img.data[i] != bin[img.data_offset + i];

    uint32_t ndiff = 0, first = 0;
    for (uint32_t i = 0; i < size; i++) {
        uint8_t want = i < binlen ? bin[i] : 0;
        if (region[i] != want) {
            if (ndiff < 8) {
                uint32_t rel;
                const char *seg = where(&img, i, &rel);
                fprintf(stderr, "  %s: byte 0x%" PRIx32 " (%s+0x%" PRIx32 "): placed 0x%02x, "
                        "base-B link 0x%02x\n", name, i, seg, rel, region[i], want);
            }
            if (!ndiff)
                first = i;
            ndiff++;
        }
    }
    if (ndiff) {
        snprintf(result, sizeof result, "FAIL: %" PRIu32 " bytes differ, first at 0x%" PRIx32,
                 ndiff, first);
        goto out;
    }
    if (patched == 0) {
        /* every module in the manifest holds absolute addresses: if the two
         * links agree everywhere, the row compared nothing */
        snprintf(result, sizeof result, "FAIL: vacuous, the two links do not differ");
        goto out;
    }
    snprintf(result, sizeof result, "ok (%" PRIu32 " bytes, %" PRIu32 " patched)", size, patched);
    fail = 0;
out:
    printf("%-22s %-10s %-46s %7" PRIu32 " %6" PRIu32 "  0x%08" PRIx64 "  %s\n", name, cpu, opt,
           img.nfixups, img.fixup_size, base, result);
    fflush(stdout);
    free(region);
    free(mod);
    free(bin);
    return fail;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char line[2048];
    unsigned rows = 0, failed = 0;
    int header = 0;
    while (fgets(line, sizeof line, f)) {
        char a[5][1024];
        unsigned long long v;
        if (sscanf(line, "import %63s %llx", names[nsyms < MAX_IMPORTS ? nsyms : 0], &v) == 2) {
            if (nsyms == MAX_IMPORTS) {
                fprintf(stderr, "too many imports\n");
                return 2;
            }
            syms[nsyms].name = names[nsyms];
            syms[nsyms].hash = modload_hash(names[nsyms]);
            syms[nsyms].addr = (modload_addr)v;
            nsyms++;
            qsort(syms, nsyms, sizeof syms[0], sym_cmp);
            continue;
        }
        if (sscanf(line, "row %1023s %1023s %1023s %1023s %1023s %llx", a[0], a[1], a[2], a[3],
                   a[4], &v) == 6) {
            if (!header) {
                printf("%-22s %-10s %-46s %7s %6s  %-10s  %s\n", "module", "cpu", "options",
                       "fixups", "bytes", "base", "result");
                header = 1;
            }
            /* options are written with '+' for spaces */
            for (char *p = a[2]; *p; p++)
                if (*p == '+')
                    *p = ' ';
            rows++;
            failed += (unsigned)run_row(a[0], a[1], a[2], a[3], a[4], (uint64_t)v);
        }
    }
    fclose(f);
    printf("%u rows, %u failed: %s\n", rows, failed, failed || !rows ? "FAIL" : "PASS");
    return failed || !rows ? 1 : 0;
}
