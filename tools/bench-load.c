/* bench-load.c - tools/bench's load driver: one image, one path, so that
 * callgrind counts each path's instructions alone; and its runner.
 *
 *   bench-load run CMD ARG...
 *                           runs CMD, prints "SECONDS MAXRSS_KB" of it (wall
 *                           time; the child's peak RSS from wait4, which a
 *                           child of python would have inherited python's
 *                           from before its exec); the status is CMD's
 *   bench-load load IMAGE   modload_open + modload_place_region +
 *                           modload_load, every import bound by the resolve
 *                           callback (an address made of its hash)
 *   bench-load check IMAGE  the same with modload_check for modload_open: the
 *                           whole verdict (a walk of the fixups) before the
 *                           load walks them again
 *   bench-load stream IMAGE modload_stream_begin + modload_place_region +
 *                           modload_stream_load from a read callback that
 *                           copies 512-byte chunks of the image in memory
 *   bench-load copy IMAGE   the baseline: memcpy of the image into a buffer
 *                           and modload_crc32 over it
 *   bench-load inflate IMAGE
 *                           a compressed image's code and data segments
 *                           inflated by modload_inflate (tools/compress-report;
 *                           prints "BYTES_OUT" so that the instructions can be
 *                           divided by the bytes inflated)
 *
 * tools/bench builds it against the host modload (every src/modload/ source
 * with MODLOAD_HOST=1, -O2) and runs it under
 * valgrind --tool=callgrind --toggle-collect=bench_load_path (or
 * bench_stream_path, bench_copy_path, bench_inflate_path): only the path
 * itself (with the read callback's copies) is counted,
 * not reading the file.
 * Exits 0 when the path ran without an error, 1 otherwise.
 */
#define _DEFAULT_SOURCE 1   /* wait4 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-paths.h"

static int run(char **argv)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f %ld\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end > 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)end);
            if (buf)
                n = fread(buf, 1, (size_t)end, f);
            if (n != (size_t)end) {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(f);
    if (!buf)
        fprintf(stderr, "%s: cannot read\n", path);
    *len = n;
    return buf;
}

__attribute__((noinline)) int bench_load_path(const uint8_t *image, size_t len, uint8_t *region,
                                              uint32_t room, int whole)
{
    const char *stage;
    int err = bench_load(image, len, region, room, whole, &stage);
    if (err != MODLOAD_OK) {
        fprintf(stderr, "%s: %s\n", stage, modload_strerror(err));
        return 1;
    }
    return 0;
}

typedef struct source { const uint8_t *p, *end; } source;

static int read_chunk(void *ctx, uint8_t *buf, uint32_t len)
{
    source *s = ctx;
    size_t n = (size_t)(s->end - s->p);
    if (n > len)
        n = len;
    if (n > 512)
        n = 512;
    memcpy(buf, s->p, n);
    s->p += n;
    return (int)n;
}

__attribute__((noinline)) int bench_stream_path(const uint8_t *image, size_t len, uint8_t *region,
                                                uint32_t room)
{
    static modload_stream st;
    source src = {image, image + len};
    modload_image img;
    int err = modload_stream_begin(&st, read_chunk, &src, &img);
    if (err != MODLOAD_OK) {
        fprintf(stderr, "modload_stream_begin: %s\n", modload_strerror(err));
        return 1;
    }
    uint32_t size = modload_region_size(&img);
    modload_place pl;
    if (size > room || modload_place_region(&img, region, size, (modload_addr)(uintptr_t)region, &pl)) {
        fprintf(stderr, "region of %u bytes does not fit %u\n", (unsigned)size, (unsigned)room);
        return 1;
    }
    modload_env env = {.resolve = bench_resolve};
    modload_module mod;
    err = modload_stream_load(&st, &img, &pl, &env, &mod);
    if (err != MODLOAD_OK) {
        fprintf(stderr, "modload_stream_load: %s\n", modload_strerror(err));
        return 1;
    }
    return 0;
}

__attribute__((noinline)) uint32_t bench_copy_path(const uint8_t *image, size_t len, uint8_t *buf)
{
    return bench_copy(image, len, buf);
}

typedef struct bytes { const uint8_t *p, *end; } bytes;

static int next_byte(void *ctx)
{
    bytes *b = ctx;
    return b->p < b->end ? *b->p++ : -1;
}

/* Both segments of a checked compressed image, each into its buffer. */
__attribute__((noinline)) int bench_inflate_path(const modload_image *img, uint8_t *code, uint8_t *data)
{
    bytes c = {img->code, img->code + img->code_stored}, d = {img->data, img->data + img->data_stored};
    return modload_inflate(code, img->code_size, next_byte, &c) != MODLOAD_OK ||
           modload_inflate(data, img->data_size, next_byte, &d) != MODLOAD_OK;
}

static int inflate_image(const uint8_t *image, size_t len)
{
    modload_image img;
    int err = modload_check(image, len, &img);
    if (err != MODLOAD_OK || !(img.flags & MODP_F_COMPRESSED)) {
        fprintf(stderr, "%s\n", err != MODLOAD_OK ? modload_strerror(err) : "not a compressed image");
        return 1;
    }
    uint8_t *code = malloc(img.code_size + 1), *data = malloc(img.data_size + 1);
    int rc = !code || !data || bench_inflate_path(&img, code, data);
    if (rc)
        fprintf(stderr, "modload_inflate failed\n");
    else
        printf("%u\n", (unsigned)(img.code_size + img.data_size));
    free(code);
    free(data);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argv + 2);
    if (argc != 3 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "check") != 0 &&
                      strcmp(argv[1], "stream") != 0 && strcmp(argv[1], "copy") != 0 &&
                      strcmp(argv[1], "inflate") != 0)) {
        fprintf(stderr, "usage: bench-load load|check|stream|copy|inflate IMAGE | bench-load run CMD ARG...\n");
        return 2;
    }
    size_t len = 0;
    uint8_t *image = read_file(argv[2], &len);
    if (!image)
        return 1;
    int rc;
    if (strcmp(argv[1], "inflate") == 0) {
        rc = inflate_image(image, len);
    } else if (strcmp(argv[1], "copy") != 0) {
        /* the region is at most the image's size plus its bss; its size is
         * known after the check, so take it from a check outside the path */
        modload_image img;
        int err = modload_check(image, len, &img);
        uint32_t room = err == MODLOAD_OK ? modload_region_size(&img) : 0;
        size_t align = err == MODLOAD_OK && modload_region_align(&img) > 64 ? modload_region_align(&img) : 64;
        uint8_t *region = aligned_alloc(align, room ? (room + align - 1) / align * align : align);
        if (!region)
            rc = 1;
        else if (argv[1][0] != 's')
            rc = bench_load_path(image, len, region, room, argv[1][0] == 'c');
        else
            rc = bench_stream_path(image, len, region, room);
        free(region);
    } else {
        uint8_t *buf = malloc(len);
        rc = buf ? (bench_copy_path(image, len, buf), 0) : 1;
        free(buf);
    }
    free(image);
    return rc;
}
