/* fwnames.c - read the firmware's export names (MODLOAD_EXPORT sections,
 * global symbols, or a name list), sort them as modload_lookup searches
 * them; and the ABI name and version options. */
#include "fwnames.h"
#include "mpelf.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

/* Names end up in C source as identifiers. */
static int is_ident(const char *s, size_t n)
{
    if (!n || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static void add(mp_fwnames *fw, const char *name, size_t n, const char *from)
{
    fw->v = mp_realloc(fw->v, (fw->n + 1) * sizeof *fw->v);
    mp_fwname *e = &fw->v[fw->n++];
    e->name = mp_malloc(n + 1);
    memcpy(e->name, name, n);
    e->name[n] = 0;
    e->hash = mp_hash(e->name);
    e->from = from;
}

/* NUL-separated names; padding NULs between them are allowed. */
static int read_section(mp_fwnames *fw, const mp_elf *m, const mp_section *s)
{
    const char *p = (const char *)s->bytes, *end = p + s->size;
    if (s->type == SHT_NOBITS || !p)
        return 0;
    if (s->size && end[-1] != 0)
        return mp_error("%s: section %s does not end with a NUL: it holds names written by "
                        "MODLOAD_EXPORT (include/modload_export.h) and nothing else", m->path, s->name);
    while (p < end) {
        size_t n = strlen(p);
        if (n && !is_ident(p, n))
            return mp_error("%s: %s+0x%zx: '%s' is not a C identifier", m->path, s->name,
                            (size_t)(p - (const char *)s->bytes), p);
        if (n)
            add(fw, p, n, m->path);
        p += n + 1;
    }
    return 0;
}

static int read_elf(mp_fwnames *fw, const char *path, int all_globals)
{
    mp_elf m;
    int rc = -1;
    if (mp_elf_open(&m, path) != 0)
        goto done;
    if (all_globals) {
        for (size_t i = 1; i < m.nsym; i++) {
            const mp_symbol *y = &m.sym[i];
            if ((y->bind == STB_GLOBAL || y->bind == STB_WEAK) &&
                (y->type == STT_FUNC || y->type == STT_OBJECT) && y->shndx != SHN_UNDEF &&
                y->vis != STV_HIDDEN && y->vis != STV_INTERNAL && is_ident(y->name, strlen(y->name)))
                add(fw, y->name, strlen(y->name), path);
        }
    } else {
        for (size_t i = 1; i < m.nsec; i++)
            if (strcmp(m.sec[i].name, MP_EXPORTS_SECTION) == 0 && read_section(fw, &m, &m.sec[i]) != 0)
                goto done;
    }
    rc = 0;
done:
    mp_elf_close(&m);
    return rc;
}

static int read_list(mp_fwnames *fw, const char *path, const uint8_t *data, size_t len)
{
    if (len >= 8 && memcmp(data, "!<arch>\n", 8) == 0)
        return mp_error("%s: an archive: give its objects (ar x), the linked firmware, or a list "
                        "of names", path);
    if (memchr(data, 0, len))
        return mp_error("%s: neither an ELF file nor a list of names (it holds NUL bytes)", path);
    const char *p = (const char *)data, *end = p + len;
    for (unsigned line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *a = p, *b = eol;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if (a < b && *a != '#') {
            if (!is_ident(a, (size_t)(b - a)))
                return mp_error("%s:%u: '%.*s' is not a C identifier (one name a line, '#' starts "
                                "a comment)", path, line, (int)(b - a), a);
            add(fw, a, (size_t)(b - a), path);
        }
        p = eol + 1;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    const mp_fwname *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);
}

int mp_fwnames_read(mp_fwnames *fw, char *const *paths, size_t npaths, int all_globals)
{
    memset(fw, 0, sizeof *fw);
    for (size_t i = 0; i < npaths; i++) {
        uint8_t *data;
        size_t len;
        if (mp_read_file(paths[i], &data, &len) != 0)
            return -1;
        int elf = len >= 4 && memcmp(data, "\177ELF", 4) == 0;
        int rc = elf ? read_elf(fw, paths[i], all_globals) : read_list(fw, paths[i], data, len);
        if (elf) {
            fw->elfs = mp_realloc(fw->elfs, (fw->nelf + 1) * sizeof *fw->elfs);
            fw->elfs[fw->nelf++] = paths[i];
        }
        free(data);
        if (rc != 0)
            return -1;
    }
    if (!fw->n)
        return mp_error("no firmware exports found in %s%s: mark them with MODLOAD_EXPORT(name) "
                        "(include/modload_export.h), list them one a line, or pass --all-globals",
                        npaths ? paths[0] : "(no input)", npaths > 1 ? " and the other inputs" : "");

    qsort(fw->v, fw->n, sizeof *fw->v, cmp_name);
    for (size_t i = 1; i < fw->n; i++) {
        const mp_fwname *a = &fw->v[i - 1], *b = &fw->v[i];
        if (a->hash == b->hash && strcmp(a->name, b->name) != 0)
            return mp_error("firmware exports '%s' (%s) and '%s' (%s) have the same hash 0x%08x: "
                            "modload could not tell them apart in a stripped module; rename one "
                            "of them", a->name, a->from, b->name, b->from, a->hash);
    }
    size_t out = 0;
    for (size_t i = 0; i < fw->n; i++) {
        if (out && strcmp(fw->v[out - 1].name, fw->v[i].name) == 0)
            free(fw->v[i].name); /* the same name twice: one export */
        else
            fw->v[out++] = fw->v[i];
    }
    fw->n = out;

    return 0;
}

const mp_fwname *mp_fwnames_find(const mp_fwnames *fw, const char *name)
{
    mp_fwname key = {(char *)name, mp_hash(name), NULL};
    return bsearch(&key, fw->v, fw->n, sizeof *fw->v, cmp_name);
}

void mp_fwnames_free(mp_fwnames *fw)
{
    for (size_t i = 0; i < fw->n; i++)
        free(fw->v[i].name);
    free(fw->v);
    free(fw->elfs);
    memset(fw, 0, sizeof *fw);
}

int mp_abi_version(const char *s, unsigned *major, unsigned *minor)
{
    char *end;
    unsigned long a, b;
    if (*s < '0' || *s > '9')
        goto bad;
    a = strtoul(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        goto bad;
    b = strtoul(end + 1, &end, 10);
    if (*end || a > 0xFFFF || b > 0xFFFF)
        goto bad;
    *major = (unsigned)a;
    *minor = (unsigned)b;
    return 0;
bad:
    return mp_error("--abi-version '%s': give MAJOR.MINOR, each 0 to 65535 (e.g. 2.1)", s);
}

int mp_abi_name(const char *s, uint32_t *id)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.'))
            n = 0;
    }
    if (!n)
        return mp_error("--abi-name '%s': give the firmware's ABI name in letters, digits, '.', '_' and '-' "
                        "(e.g. acme-sensor)", s);
    *id = mp_hash(s); /* spec 10.1 */
    return 0;
}
