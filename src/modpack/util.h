/* util.h - small helpers shared by the modpack sources: diagnostics,
 * checked allocation and a growable little-endian byte buffer. */
#ifndef MODPACK_UTIL_H
#define MODPACK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MODPACK_VERSION "0.1.0"
#define MODPACK_TOOL    "modpack " MODPACK_VERSION

#if defined(__GNUC__)
#define MP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MP_PRINTF(a, b)
#endif

/* "modpack: " + message + newline on stderr. Always returns -1 so that
 * callers can write `return mp_error(...)`. */
int mp_error(const char *fmt, ...) MP_PRINTF(1, 2);

/* Allocation failure is not recoverable for a host tool: exit(1). */
void *mp_malloc(size_t n);
void *mp_calloc(size_t n, size_t size);
void *mp_realloc(void *p, size_t n);
char *mp_strdup(const char *s);

typedef struct mp_buf {
    uint8_t *p;
    size_t len, cap;
} mp_buf;

void buf_put(mp_buf *b, const void *src, size_t n);
void buf_u8(mp_buf *b, unsigned v);
void buf_u16(mp_buf *b, unsigned v);
void buf_u32(mp_buf *b, uint32_t v);
void buf_uleb(mp_buf *b, uint32_t v);
void buf_sleb(mp_buf *b, int32_t v);
/* printf into the buffer (no NUL), for generated source text. */
void buf_printf(mp_buf *b, const char *fmt, ...) MP_PRINTF(2, 3);
void buf_free(mp_buf *b);

static inline uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* n-byte little-endian fields, n <= 8 */
static inline uint64_t rdn(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static inline void wrn(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t mp_hash(const char *name);      /* FNV-1a 32, spec section 8 */

/* Read a whole file ("-": standard input, read once and kept for a second
 * call); returns 0, or -1 after printing "modpack: PATH: why". */
int mp_read_file(const char *path, uint8_t **data, size_t *len);

#endif
