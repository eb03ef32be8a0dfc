/* util.c - diagnostics, allocation and byte buffers. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mp_error(const char *fmt, ...)
{
    va_list ap;
    fputs("modpack: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static void *oom(void *p)
{
    if (!p) {
        fputs("modpack: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void *mp_malloc(size_t n) { return oom(malloc(n ? n : 1)); }
void *mp_calloc(size_t n, size_t size) { return oom(calloc(n ? n : 1, size ? size : 1)); }
void *mp_realloc(void *p, size_t n) { return oom(realloc(p, n ? n : 1)); }
char *mp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(mp_malloc(n), s, n);
}

void buf_put(mp_buf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        b->p = mp_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void buf_u8(mp_buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    buf_put(b, &c, 1);
}

void buf_u16(mp_buf *b, unsigned v)
{
    uint8_t c[2];
    wr16(c, v);
    buf_put(b, c, 2);
}

void buf_u32(mp_buf *b, uint32_t v)
{
    uint8_t c[4];
    wr32(c, v);
    buf_put(b, c, 4);
}

void buf_uleb(mp_buf *b, uint32_t v)
{
    do {
        unsigned c = v & 0x7F;
        v >>= 7;
        buf_u8(b, c | (v ? 0x80u : 0u));
    } while (v);
}

void buf_sleb(mp_buf *b, int32_t v)
{
    int64_t x = v; /* arithmetic shifts on a wide type: no implementation-defined cases */
    for (;;) {
        unsigned c = (unsigned)(x & 0x7F);
        x = (x - (int64_t)c) / 128;
        if ((x == 0 && !(c & 0x40)) || (x == -1 && (c & 0x40))) {
            buf_u8(b, c);
            return;
        }
        buf_u8(b, c | 0x80u);
    }
}

void buf_printf(mp_buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n < (int)sizeof line) {
        buf_put(b, line, (size_t)n);
        return;
    }
    char *big = mp_malloc((size_t)n + 1);   /* a long name: format again in full */
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_put(b, big, (size_t)n);
    free(big);
}

void buf_free(mp_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

uint32_t mp_hash(const char *name)
{
    uint32_t h = 0x811C9DC5u;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        h = (h ^ *s) * 0x01000193u;
    return h;
}

/* Standard input can be read once: its bytes are kept for a second reader
 * ("-" given twice, or a firmware list read and then opened as ELF). */
static uint8_t *stdin_data;
static size_t stdin_len;
static int stdin_read;

int mp_read_file(const char *path, uint8_t **data, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    if (is_stdin && stdin_read) {
        *data = mp_malloc(stdin_len ? stdin_len : 1);
        if (stdin_len)
            memcpy(*data, stdin_data, stdin_len);
        *len = stdin_len;
        return 0;
    }
    if (is_stdin)
        path = "(standard input)";
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return mp_error("%s: %s", path, strerror(errno));
    mp_buf b = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_put(&b, chunk, n);
        if (b.len > ((size_t)1 << 30)) {
            fclose(f);
            buf_free(&b);
            return mp_error("%s: file too large", path);
        }
    }
    int bad = ferror(f);
    int e = errno;
    if (!is_stdin)
        fclose(f);
    if (bad) {
        buf_free(&b);
        return mp_error("%s: %s", path, strerror(e));
    }
    *data = b.p ? b.p : mp_malloc(1);
    *len = b.len;
    if (is_stdin) {
        stdin_read = 1;
        stdin_len = b.len;
        stdin_data = mp_malloc(b.len ? b.len : 1);
        memcpy(stdin_data, *data, b.len);
    }
    return 0;
}
