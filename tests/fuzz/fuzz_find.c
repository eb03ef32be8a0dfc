/* fuzz_find.c - libFuzzer harness: symbol lookup.
 *
 * The input is an image followed by query names separated by NUL bytes
 * (the bytes after image_size are not part of the image). For an image
 * that passes modload_check_nocrc:
 *   - modload_find, on the export table in the image and on an exact-size
 *     copy of exports and names (as modload_load's symtab copy), answers
 *     every query and every export name exactly as a linear search does;
 *   - modload_lookup on a firmware table made of the queries (sorted by
 *     hash, then name) answers named and hash-only (stripped) lookups as a
 *     linear search does.
 * The queries alone also drive modload_lookup when the image is invalid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "image_repair.h"
#include "modload.h"

FUZZ_IMAGE_MUTATOR(0)

#define MAXQ 64

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The reference: a linear scan of the export table. */
static int ref_find(const modload_module *mod, const char *name, modload_addr *addr)
{
    uint32_t h = modload_hash(name), i;
    for (i = 0; i < mod->nexports; i++) {
        const uint8_t *e = mod->exports + i * MODP_EXPORT_SIZE;
        uint32_t off = (uint32_t)e[8] | (uint32_t)e[9] << 8;
        if (rd32(e) != h)
            continue;
        if (off != MODP_NO_NAME && strcmp((const char *)mod->strtab + off, name) != 0)
            continue;
        *addr = (e[10] == MODP_SEG_CODE ? mod->code_run : mod->data_run) + rd32(e + 4);
        return MODLOAD_OK;
    }
    return MODLOAD_ERR_NOT_FOUND;
}

static int ref_lookup(const modload_symbol *s, uint32_t n, const char *name, uint32_t hash, modload_addr *addr)
{
    uint32_t i, hits = 0, at = 0;
    for (i = 0; i < n; i++) {
        if (s[i].hash != hash)
            continue;
        if (*name && strcmp(s[i].name, name) == 0) {
            *addr = s[i].addr;
            return MODLOAD_OK;
        }
        hits++;
        at = i;
    }
    if (!*name && hits == 1) {
        *addr = s[at].addr;
        return MODLOAD_OK;
    }
    return MODLOAD_ERR_NOT_FOUND;
}

static int cmp_sym(const void *a, const void *b)
{
    const modload_symbol *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash ? 1 : strcmp(x->name, y->name);
}

static void same_find(const modload_module *mod, const char *q)
{
    modload_addr a = 0, b = 0;
    int rc = modload_find(mod, q, &a), want = ref_find(mod, q, &b);
    FUZZ_ASSERT(rc == want, "modload_find('%s') = %d, linear search %d", q, rc, want);
    FUZZ_ASSERT(rc != MODLOAD_OK || a == b, "modload_find('%s') = 0x%llx, linear search 0x%llx", q,
                (unsigned long long)a, (unsigned long long)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char qbuf[MAXQ][65];
    static modload_symbol syms[MAXQ];
    modload_image img;
    size_t nq = 0, start = 0, i, n;
    uint32_t k;

    /* Queries: after the image when it is one, else the whole input. */
    if (modload_check_nocrc(data, size, &img) == MODLOAD_OK)
        start = img.size;
    else
        img.size = 0;
    for (i = start; i < size && nq < MAXQ;) {
        size_t len = 0;
        while (i + len < size && data[i + len] && len < 64)
            len++;
        memcpy(qbuf[nq], data + i, len);
        qbuf[nq][len] = 0;
        nq++;
        i += len + 1;
    }

    /* Firmware table of the distinct query names. */
    n = 0;
    for (i = 0; i < nq; i++) {
        size_t j;
        for (j = 0; j < n && strcmp(syms[j].name, qbuf[i]) != 0; j++)
            ;
        if (j < n || !qbuf[i][0])
            continue;
        syms[n].name = qbuf[i];
        syms[n].hash = modload_hash(qbuf[i]);
        syms[n].addr = 0x1000u + 16u * n;
        n++;
    }
    qsort(syms, n, sizeof syms[0], cmp_sym);
    for (i = 0; i < nq; i++) {
        modload_addr a = 0, b = 0;
        uint32_t h = modload_hash(qbuf[i]);
        int rc = modload_lookup(syms, (uint32_t)n, qbuf[i], h, &a), want = ref_lookup(syms, (uint32_t)n, qbuf[i], h, &b);
        FUZZ_ASSERT(rc == want && (rc != MODLOAD_OK || a == b), "modload_lookup('%s') = %d", qbuf[i], rc);
        rc = modload_lookup(syms, (uint32_t)n, "", h, &a);
        want = ref_lookup(syms, (uint32_t)n, "", h, &b);
        FUZZ_ASSERT(rc == want && (rc != MODLOAD_OK || a == b), "modload_lookup(hash 0x%08x) = %d", h, rc);
    }

    if (img.size) {
        modload_module mod;
        uint32_t ssize = modload_symtab_size(&img);
        uint8_t *copy = malloc(ssize ? ssize : 1);

        memset(&mod, 0, sizeof mod);
        mod.code_run = 0x08000000u;
        mod.data_run = 0x20000000u;
        mod.entry = img.entry;
        mod.exit = img.exit;
        mod.nexports = img.nexports;
        mod.exports = img.exports;
        mod.strtab = img.strtab;
        mod.strtab_size = img.strtab_size;
        for (int pass = 0; pass < 2; pass++) {
            if (pass) { /* exports and names alone, as modload_load copies them */
                memcpy(copy, img.exports, ssize);
                mod.exports = copy;
                mod.strtab = copy + img.nexports * MODP_EXPORT_SIZE;
            }
            for (i = 0; i < nq; i++)
                same_find(&mod, qbuf[i]);
            for (k = 0; k < img.nexports && k < 1024; k++) {
                modload_export ex;
                FUZZ_ASSERT(modload_export_at(&img, k, &ex) == MODLOAD_OK, "export %u", k);
                if (ex.name)
                    same_find(&mod, ex.name);
            }
        }
        free(copy);
    }
    return 0;
}
