/* attributes.c - read the File attributes of a build-attributes section. */
#include <stdio.h>
#include <string.h>

#include "attributes.h"
#include "util.h"

typedef struct rd {
    const uint8_t *p;
    uint64_t pos, end;
    const char *why;            /* set on the first error */
    uint64_t at;                /* and where it lies */
} rd;

static void fail(rd *r, const char *why, uint64_t at)
{
    if (!r->why)
        r->why = why, r->at = at;
}

static uint64_t rd_uleb(rd *r)
{
    uint64_t v = 0, at = r->pos;
    for (unsigned shift = 0; r->pos < r->end; shift += 7) {
        uint8_t b = r->p[r->pos++];
        if (shift > 63 || (shift == 63 && (b & 0x7E)))
            break;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail(r, "ULEB128 number runs past its end or beyond 64 bits", at);
    return 0;
}

static const char *rd_str(rd *r)
{
    const uint8_t *z = r->pos < r->end ? memchr(r->p + r->pos, 0, r->end - r->pos) : NULL;
    if (!z) {
        fail(r, "string without its terminating zero", r->pos);
        return NULL;
    }
    const char *s = (const char *)r->p + r->pos;
    r->pos = (uint64_t)(z - r->p) + 1;
    return s;
}

/* A u32 length at r->pos counting itself (and lead bytes before it):
 * the end it gives, which must lie within the enclosing part. */
static uint64_t rd_len(rd *r, uint64_t start)
{
    if (r->end - r->pos < 4) {
        fail(r, "length field cut short", r->pos);
        return r->end;
    }
    uint64_t n = rd32(r->p + r->pos);
    r->pos += 4;
    if (n < r->pos - start || n > r->end - start) {
        fail(r, "length outside its enclosing part", r->pos - 4);
        return r->end;
    }
    return start + n;
}

/* The attributes of one File sub-subsection, up to r->end. */
static void rd_file(rd *r, int (*kind)(uint32_t tag), mp_attrs *a)
{
    while (!r->why && r->pos < r->end) {
        uint64_t tag = rd_uleb(r), num = 0;
        const char *str = NULL;
        int k = kind(tag > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)tag);
        if (k != MP_ATTR_STR)
            num = rd_uleb(r);
        if (k != MP_ATTR_NUM && !r->why)
            str = rd_str(r);
        if (!r->why && tag < 64) {
            a->seen |= (uint64_t)1 << tag;
            a->num[tag] = num;
            a->str[tag] = str;
        }
    }
}

void mp_attrs_read(const mp_elf *m, const char *vendor, int (*kind)(uint32_t tag), mp_attrs *a)
{
    memset(a, 0, sizeof *a);
    const mp_section *s = NULL;
    for (size_t i = 1; i < m->nsec && !s; i++)
        if (m->sec[i].type == SHT_MP_ATTRIBUTES && m->sec[i].bytes)
            s = &m->sec[i];
    if (!s || s->size == 0)
        return;

    rd r = {s->bytes, 1, s->size, NULL, 0};
    if (s->bytes[0] != 'A')
        fail(&r, "format version is not 'A'", 0);
    while (!r.why && r.pos < s->size) {
        uint64_t start = r.pos;
        r.end = s->size;
        uint64_t end = rd_len(&r, start);
        r.end = end;
        const char *name = r.why ? NULL : rd_str(&r);
        if (!name)
            break;
        if (strcmp(name, vendor) != 0) {
            r.pos = end;
            continue;
        }
        while (!r.why && r.pos < end) {
            uint64_t sub = r.pos;
            uint64_t tag = rd_uleb(&r);
            r.end = end;
            uint64_t sub_end = rd_len(&r, sub);
            if (r.why)
                break;
            r.end = sub_end;
            if (tag == 1)   /* Tag_File; Section and Symbol attributes are not the whole module's */
                rd_file(&r, kind, a);
            r.pos = sub_end;
            r.end = end;
        }
        r.pos = end;
    }
    if (r.why) {
        fprintf(stderr, "modpack: warning: %s: %s+0x%llx: malformed build attributes (%s); ignored, so the "
                "image records no CPU requirement from them\n", m->path, s->name, (unsigned long long)r.at,
                r.why);
        memset(a, 0, sizeof *a);
    }
}
