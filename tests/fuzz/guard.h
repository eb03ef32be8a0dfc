/* guard.h - memory for the fuzz harnesses that catches what ASan cannot.
 *
 * modload writes into memory the caller gives it; the harness gives it
 * mmap()ed pages, which ASan does not track. Each block sits between two
 * PROT_NONE pages and ends as close to the second one as its alignment
 * allows; every other byte of its pages is a canary checked after use. A
 * write past the end faults at once, a write before the start or into the
 * slack is found by gm_intact(). An image copy can be made read-only the
 * same way, so that a read past its end or any write into it faults.
 */
#ifndef FUZZ_GUARD_H
#define FUZZ_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GM_CANARY 0xA5u

typedef struct gmem {
    uint8_t *map;     /* first guard page */
    size_t maplen;
    uint8_t *lo, *hi; /* the usable pages */
    uint8_t *p;       /* the block */
    size_t n;
} gmem;

static inline size_t gm_page(void)
{
    static size_t pg;
    if (!pg)
        pg = (size_t)sysconf(_SC_PAGESIZE);
    return pg;
}

/* n bytes aligned to align (a power of two), ending near a guard page
 * (front 0) or starting right after one (front 1: a read or write before
 * the block faults at once). */
static inline uint8_t *gm_alloc_at(gmem *g, size_t n, size_t align, int front)
{
    size_t pg = gm_page();
    size_t body = (n + align + pg - 1) / pg * pg;
    if (body == 0)
        body = pg;
    memset(g, 0, sizeof *g);
    g->maplen = body + 2 * pg;
    g->map = mmap(NULL, g->maplen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        perror("guard: mmap");
        abort();
    }
    g->lo = g->map + pg;
    g->hi = g->lo + body;
    if (mprotect(g->lo, body, PROT_READ | PROT_WRITE) != 0) {
        perror("guard: mprotect");
        abort();
    }
    memset(g->lo, GM_CANARY, body);
    g->p = front ? g->lo : (uint8_t *)(((uintptr_t)(g->hi - n)) & ~(uintptr_t)(align - 1));
    g->n = n;
    return g->p;
}

static inline uint8_t *gm_alloc(gmem *g, size_t n, size_t align)
{
    return gm_alloc_at(g, n, align, 0);
}

/* 1 when no byte of the pages changed, the block's own included (a call
 * that failed before writing anything). */
static inline int gm_untouched(const gmem *g)
{
    const uint8_t *q;
    for (q = g->lo; q < g->hi; q++)
        if (*q != GM_CANARY)
            return 0;
    return 1;
}

/* 1 when no byte outside [p, p+n) changed. */
static inline int gm_intact(const gmem *g)
{
    const uint8_t *q;
    for (q = g->lo; q < g->p; q++)
        if (*q != GM_CANARY)
            return 0;
    for (q = g->p + g->n; q < g->hi; q++)
        if (*q != GM_CANARY)
            return 0;
    return 1;
}

/* No more writes: the block and its canaries become read-only. */
static inline void gm_readonly(gmem *g)
{
    if (mprotect(g->lo, (size_t)(g->hi - g->lo), PROT_READ) != 0) {
        perror("guard: mprotect");
        abort();
    }
}

static inline void gm_free(gmem *g)
{
    if (g->map)
        munmap(g->map, g->maplen);
    memset(g, 0, sizeof *g);
}

/* A finding: print what and stop the way sanitizers do. */
#define FUZZ_ASSERT(cond, ...)                                                  \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz: %s:%d: assertion failed: %s: ", __FILE__,   \
                    __LINE__, #cond);                                           \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif
