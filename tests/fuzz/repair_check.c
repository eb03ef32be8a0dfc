/* repair_check.c - the structure-aware mutator must do its job: mutated
 * images it repairs pass modload_check far more often than libFuzzer's
 * bytes alone would, and they reach fixup application.
 *
 * Usage: fuzz-repair-check MIN_PERCENT FILE|DIR...
 * Each image is mutated ROUNDS times by a stand-in for LLVMFuzzerMutate
 * (byte flips, inserts, erases: what libFuzzer does most) and repaired;
 * the share of repaired images that modload_check accepts, and of those
 * that load with at least one fixup applied, is printed; fails when the
 * accepted share is below MIN_PERCENT. Every repaired image is also run
 * through modload_check with the raw mutation for comparison.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image_repair.h"
#include "modload.h"

#define ROUNDS 200
#define MAX (1u << 16)

static uint32_t rng = 12345u;

static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* The stand-in: 1 to 4 byte edits. */
size_t LLVMFuzzerMutate(uint8_t *d, size_t size, size_t max);
size_t LLVMFuzzerMutate(uint8_t *d, size_t size, size_t max)
{
    uint32_t edits = 1 + rnd() % 4, i;
    for (i = 0; i < edits; i++) {
        size_t at = size ? rnd() % size : 0;
        switch (rnd() % 3) {
        case 0:
            if (size)
                d[at] ^= (uint8_t)(1u << rnd() % 8);
            break;
        case 1:
            if (size < max) {
                memmove(d + at + 1, d + at, size - at);
                d[at] = (uint8_t)rnd();
                size++;
            }
            break;
        default:
            if (size) {
                memmove(d + at, d + at + 1, size - at - 1);
                size--;
            }
            break;
        }
    }
    return size;
}

static unsigned long tried, accepted, raw_accepted, loaded_fixed;

static int count_fixup(modload_walker *w, const modload_fixup *fx)
{
    (void)w;
    (void)fx;
    loaded_fixed++;
    return 1; /* one is enough */
}

static void run(const uint8_t *img, size_t len)
{
    static uint8_t buf[MAX], raw[MAX];
    modload_image mi;
    int r;
    if (len > MAX / 2 || modload_check(img, len, &mi) != MODLOAD_OK)
        return;
    for (r = 0; r < ROUNDS; r++) {
        size_t n, m;
        memcpy(buf, img, len);
        n = fuzz_image_mutate(buf, len, MAX, rnd(), 0);
        memcpy(raw, img, len);
        m = LLVMFuzzerMutate(raw, len, MAX);
        tried++;
        raw_accepted += modload_check(raw, m, &mi) == MODLOAD_OK;
        if (modload_check(buf, n, &mi) == MODLOAD_OK) {
            modload_walker w = {NULL, count_fixup};
            accepted++;
            modload_walk(&mi, &w);
        }
    }
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char sub[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            run_path(sub);
        }
        if (d)
            closedir(d);
        return;
    }
    FILE *f = fopen(path, "rb");
    static uint8_t img[MAX];
    size_t n = f ? fread(img, 1, sizeof img, f) : 0;
    if (f)
        fclose(f);
    run(img, n);
}

int main(int argc, char **argv)
{
    int i, min;
    if (argc < 3) {
        fprintf(stderr, "usage: %s MIN_PERCENT FILE|DIR...\n", argv[0]);
        return 2;
    }
    min = atoi(argv[1]);
    for (i = 2; i < argc; i++)
        run_path(argv[i]);
    if (!tried) {
        fprintf(stderr, "repair-check: no valid image among the inputs\n");
        return 1;
    }
    printf("repair-check: %lu mutations; valid after repair %lu (%lu%%), without %lu (%lu%%); "
           "with a fixup %lu\n", tried, accepted, 100 * accepted / tried, raw_accepted,
           100 * raw_accepted / tried, loaded_fixed);
    return 100 * accepted / tried >= (unsigned long)min ? 0 : 1;
}
