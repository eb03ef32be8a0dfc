/* inspect.c - `modpack inspect` (text or JSON) and `modpack verify`.
 *
 * No parsing of our own: modload_check_nocrc validates the image,
 * modload_walk decodes fixups and imports, modload_export_at and
 * modload_meta_next read the tables. */
#include "inspect.h"
#include "cli.h"
#include "arch.h"
#include "util.h"
#include "sign.h"
#include "compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modload.h"

#ifdef MODPACK_HAVE_DEMANGLE
#include <libiberty/demangle.h>
#endif

typedef struct collect {
    modload_walker w;          /* first: the callbacks get this pointer */
    modload_import *imp;
    size_t nimp, imp_cap;
    modload_fixup *fx;
    size_t nfx, fx_cap;        /* both arrays grow by doubling: linear */
    uint32_t import_bytes;     /* stream bytes that name imports (format 5) */
    size_t by_kind[MODP_FIX_KINDS];
    size_t *by_target;         /* MODP_TGT_IMPORT + nimp counts */
} collect;

/* The fixups per kind and per target, counted once for both outputs. */
static void count_fixups(collect *c)
{
    c->by_target = mp_calloc(MODP_TGT_IMPORT + c->nimp, sizeof *c->by_target);
    for (size_t i = 0; i < c->nfx; i++) {
        c->by_kind[c->fx[i].kind]++;
        c->by_target[c->fx[i].target]++;
    }
}

static int on_import(modload_walker *w, const modload_import *imp)
{
    collect *c = (collect *)w;
    if (c->nimp == c->imp_cap) {
        c->imp_cap = c->imp_cap ? 2 * c->imp_cap : 16;
        c->imp = mp_realloc(c->imp, c->imp_cap * sizeof *c->imp);
    }
    c->imp[c->nimp++] = *imp;
    c->import_bytes += 1u + (imp->name[0] ? (uint32_t)strlen(imp->name) + 1u : 4u);
    return 0;
}

static int on_fixup(modload_walker *w, const modload_fixup *fx)
{
    collect *c = (collect *)w;
    if (c->nfx == c->fx_cap) {
        c->fx_cap = c->fx_cap ? 2 * c->fx_cap : 64;
        c->fx = mp_realloc(c->fx, c->fx_cap * sizeof *c->fx);
    }
    c->fx[c->nfx++] = *fx;
    return 0;
}

static const char *kind_name(unsigned k)
{
#define KIND_NAME(name, num, width, ops, isa) [num] = #name,
    static const char *const names[MODP_FIX_KINDS] = {MODP_FIXUP_KINDS(KIND_NAME)};
#undef KIND_NAME
    return k < MODP_FIX_KINDS && names[k] ? names[k] : "?";
}

static const char *seg_name(unsigned s) { return s == MODP_SEG_CODE ? "code" : "data"; }

static const char *arch_name(unsigned a)
{
    const mp_arch *ar = mp_arch_find((uint16_t)a);
    return ar ? ar->name : "unknown";
}

static const char *meta_key(unsigned t)
{
    switch (t) {
    case MODP_META_NAME: return "name";
    case MODP_META_DESCRIPTION: return "description";
    case MODP_META_VERSION: return "version";
    case MODP_META_BUILD_ID: return "build_id";
    case MODP_META_TOOL: return "tool";
    case MODP_META_NOSPLIT: return "nosplit";
    default: return NULL;
    }
}

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7F)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void target_buf(mp_buf *b, const collect *c, uint32_t t)
{
    if (t < MODP_TGT_IMPORT)
        buf_printf(b, "%s", seg_name(t));
    else if (t - MODP_TGT_IMPORT < c->nimp && c->imp[t - MODP_TGT_IMPORT].name[0])
        buf_printf(b, "import %s", c->imp[t - MODP_TGT_IMPORT].name);
    else
        buf_printf(b, "import #%u", (unsigned)(t - MODP_TGT_IMPORT));
}

static void target_text(const collect *c, uint32_t t)
{
    mp_buf b = {0};
    target_buf(&b, c, t);
    printf("%.*s", (int)b.len, (const char *)b.p);
    buf_free(&b);
}

/* Why the image cannot be split: the first reference that ties the
 * segments, as modpack recorded it. */
static const char *split_reason(const modload_image *img, int *len)
{
    uint32_t pos = 0;
    modload_meta m;
    const char *why = "code and data refer to each other relatively";
    *len = (int)strlen(why);
    while (modload_meta_next(img, &pos, &m) == MODLOAD_OK)
        if (m.type == MODP_META_NOSPLIT)
            why = (const char *)m.bytes, *len = m.len ? (int)m.len - 1 : 0;
    return why;
}

/* Why the code cannot run in place: how many sites in code, and the three
 * lowest (the stream is ordered by target); without any, that the data
 * cannot move away from the code. */
static void xip_reason(mp_buf *b, const modload_image *img, const collect *c)
{
    size_t incode = 0;
    for (size_t i = 0; i < c->nfx; i++)
        incode += c->fx[i].seg == MODP_SEG_CODE;
    if (img->flags & MODP_F_COMPRESSED) {
        buf_printf(b, "compressed: the code is inflated into RAM (build without --compress to run it in place)");
        return;
    }
    if (!incode) {
        buf_printf(b, "the data must lie 0x%x bytes after the code (not split), inside the image",
                   img->data_offset);
        return;
    }
    buf_printf(b, "%zu fixup sites in code", incode);
    const modload_fixup *prev = NULL;
    for (int shown = 0; shown < 3; shown++) {
        const modload_fixup *low = NULL;
        for (size_t i = 0; i < c->nfx; i++) {
            const modload_fixup *f = &c->fx[i];
            if (f->seg == MODP_SEG_CODE && (!prev || f->offset > prev->offset) &&
                (!low || f->offset < low->offset))
                low = f;
        }
        if (!low)
            break;
        buf_printf(b, "%s code+0x%x %s -> ", shown ? "," : ", first", low->offset, kind_name(low->kind));
        target_buf(b, c, low->target);
        prev = low;
    }
}

/* The arch flags as words ("thumb thumb-2 soft-float", "rv32imac
 * soft-float"); returns how many. */
/* arch_flags as words, by the image's ISA (its mp_arch's flag_words). */
static int arch_words(const modload_image *img, char w[8][16])
{
    const mp_arch *a = mp_arch_find(img->arch);
    return a && a->flag_words ? a->flag_words(img->arch_flags, w) : 0;
}

/* The image's parts in file order (include/modformat.h), then the CRC:
 * names in lower case, sizes in bytes. */
typedef struct part_size { char name[8]; uint32_t size; } part_size;

static int image_parts(const modload_image *img, part_size *out)
{
#define PART_ROW(NAME, part, count, unit) {#NAME, img->count * (unit)},
    const part_size rows[] = {MODP_IMAGE_PARTS(PART_ROW) {"CRC", MODP_CRC_SIZE}};
#undef PART_ROW
    int n = (int)(sizeof rows / sizeof rows[0]);
    for (int i = 0; i < n; i++) {
        out[i] = rows[i];
        for (char *ch = out[i].name; *ch; ch++)
            *ch = (char)(*ch >= 'A' && *ch <= 'Z' ? *ch - 'A' + 'a' : *ch);
    }
    return n;
}

/* Text output: the fixups, counts and with --fixups each one. */
static void text_fixups(const modload_image *img, const collect *c, int list)
{
    /* Bytes per fixup counts the site encoding; the import names are the
     * import table that happens to live in the stream. */
    uint32_t site_bytes = img->fixup_size - c->import_bytes;
    printf("\nFixups:       %u in %u bytes: %u encode the sites", img->nfixups, img->fixup_size,
           site_bytes);
    if (img->nfixups)
        printf(" (%.2f bytes/fixup)", (double)site_bytes / img->nfixups);
    printf(", %u name %zu imports", c->import_bytes, c->nimp);
    printf("\n  by kind:   ");
    int any = 0;
    for (unsigned k = 0; k < MODP_FIX_KINDS; k++)
        if (c->by_kind[k])
            printf("%s %s %zu", any++ ? "," : "", kind_name(k), c->by_kind[k]);
    printf("%s\n  by target: ", any ? "" : " -");
    any = 0;
    for (uint32_t t = 0; t < MODP_TGT_IMPORT + c->nimp; t++) {
        if (!c->by_target[t])
            continue;
        printf("%s ", any++ ? "," : "");
        target_text(c, t);
        printf(" %zu", c->by_target[t]);
    }
    printf("%s\n", any ? "" : " -");
    if (list) {
        for (size_t i = 0; i < c->nfx; i++) {
            const modload_fixup *f = &c->fx[i];
            printf("  %-14s %s+0x%08x", kind_name(f->kind), seg_name(f->seg), f->offset);
            if (MODP_KINDS_IN(MODP_KINDS_PAIR, f->kind))
                printf(",0x%08x", f->offset2);
            else if (MODP_KINDS_IN(MODP_KINDS_OPERAND, f->kind))
                printf(" lo12=0x%03x", (unsigned)f->operand);
            else
                printf("           ");
            printf("  -> ");
            target_text(c, f->target);
            printf("\n");
        }
    }
}

/* A symbol name for the text output, then a newline: a C++ name is
 * followed by its demangled form when modpack was built with libiberty. */
/* name, its demangled form (C++), then what follows it on the line. */
static void name_line(const char *name, const char *after)
{
#ifdef MODPACK_HAVE_DEMANGLE
    char *d = name[0] == '_' && name[1] == 'Z' ? cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI) : NULL;
    if (d) {
        printf("%s (%s)%s\n", name, d, after);
        free(d);
        return;
    }
#endif
    printf("%s%s\n", name, after);
}

/* Text output: imports, exports, metadata. */
static void text_tables(const modload_image *img, const collect *c)
{
    printf("\nImports:      %zu\n", c->nimp);
    for (size_t i = 0; i < c->nimp; i++) {
        printf("  [%zu] 0x%08x ", i, c->imp[i].hash);
        name_line(c->imp[i].name[0] ? c->imp[i].name : "(stripped)",
                  c->imp[i].weak ? "  weak: 0 when the firmware lacks it" : "");
    }

    printf("\nExports:      %u\n", img->nexports);
    if (img->nexports)
        printf("  hash        seg   value       type    name\n");
    for (uint32_t i = 0; i < img->nexports; i++) {
        modload_export e;
        if (modload_export_at(img, i, &e) != MODLOAD_OK)
            continue;
        printf("  0x%08x  %s  0x%08x  %-6s  ", e.hash, seg_name(e.seg), e.value,
               e.type == MODP_SYM_FUNC ? "func" : "object");
        name_line(e.name ? e.name : "(stripped)", "");
    }

    printf("\nMetadata:\n");
    uint32_t pos = 0;
    modload_meta m;
    while (modload_meta_next(img, &pos, &m) == MODLOAD_OK) {
        const char *k = meta_key(m.type);
        if (m.type == MODP_META_BUILD_ID) {
            printf("  %-12s ", "build-id");
            hex(m.bytes, m.len);
            printf("\n");
        } else if (m.type == MODP_META_SECURITY) {
            printf("  %-12s %u\n", "security", rd32(m.bytes));
        } else if (m.type == MODP_META_ABI) {
            printf("  %-12s firmware ABI id 0x%08x, version %u.%u\n", "abi", rd32(m.bytes),
                   rd16(m.bytes + 4), rd16(m.bytes + 6));
        } else if (m.type == MODP_META_INIT) {
            printf("  %-12s %u constructors at data+0x%x, %u destructors at data+0x%x\n", "init",
                   rd32(m.bytes + MODP_INIT_COUNT), rd32(m.bytes + MODP_INIT_OFFSET),
                   rd32(m.bytes + MODP_FINI_COUNT), rd32(m.bytes + MODP_FINI_OFFSET));
        } else if (k) {
            printf("  %-12s %.*s\n", k, m.len ? (int)m.len - 1 : 0, (const char *)m.bytes);
        } else {
            printf("  type %-7u %u bytes\n", m.type, m.len);
        }
    }
}

/* The header flags' names, bit 0 first. */
static const char *const flag_names[] = {"split", "xip", "stripped", "init", "compressed"};
#define NFLAGS (int)(sizeof flag_names / sizeof flag_names[0])

/* The digest the signatures cover, the security version and the
 * signature block (spec section 13). */
static void text_signatures(const modload_image *img)
{
    uint8_t d[MODP_DIGEST_SIZE];
    const uint8_t *e;
    uint32_t n;
    char id[2 * MODP_SIG_KEY_ID_SIZE + 1];
    mp_digest(img, d);
    printf("Digest:       sha256 ");
    hex(d, sizeof d);
    printf(" (of the %u image bytes)\n", img->size);
    printf("Security:     version %u\n", modload_security_version(img));
    if (modload_sig_block(img, &e, &n) != MODLOAD_OK) {
        printf("Signatures:   malformed block after the image\n");
        return;
    }
    printf("Signatures:   %u%s\n", n, n ? " (Ed25519 over the digest)" : "");
    for (uint32_t i = 0; i < n; i++, e += MODP_SIG_ENTRY) {
        printf("  [%u] key id %s signature ", i, mp_key_id_hex(e, id));
        hex(e + MODP_SIG_KEY_ID_SIZE, MODP_SIG_SIZE);
        printf("\n");
    }
}

static void json_signatures(const modload_image *img)
{
    uint8_t d[MODP_DIGEST_SIZE];
    const uint8_t *e;
    uint32_t n;
    char id[2 * MODP_SIG_KEY_ID_SIZE + 1];
    mp_digest(img, d);
    printf("  \"digest\": \"");
    hex(d, sizeof d);
    printf("\",\n  \"security_version\": %u,\n  \"signatures\": ", modload_security_version(img));
    if (modload_sig_block(img, &e, &n) != MODLOAD_OK) {
        printf("null,\n");
        return;
    }
    printf("[");
    for (uint32_t i = 0; i < n; i++, e += MODP_SIG_ENTRY) {
        printf("%s{\"algorithm\": \"ed25519\", \"key_id\": \"%s\", \"signature\": \"", i ? ", " : "",
               mp_key_id_hex(e, id));
        hex(e + MODP_SIG_KEY_ID_SIZE, MODP_SIG_SIZE);
        printf("\"}");
    }
    printf("],\n");
}

/* A compressed segment's stored bytes and what they save; nothing more
 * for a segment stored as it is. */
static void stored_text(uint32_t size, uint32_t stored, unsigned flags)
{
    if (flags & MODP_F_COMPRESSED)
        printf("  stored %u bytes, deflate (%.1f%%)", stored, size ? 100.0 * stored / size : 100.0);
    printf("\n");
}

static void print_text(const modload_image *img, const collect *c, uint32_t crc, int list)
{
    printf("Format:       %u.%u\n", img->major, img->minor);
    printf("Arch:         %s (%u), arch flags 0x%08x", arch_name(img->arch), img->arch, img->arch_flags);
    char words[8][16];
    for (int i = 0, n = arch_words(img, words); i < n; i++)
        printf(" %s", words[i]);
    printf("\nFlags:        0x%04x", img->flags);
    for (int i = 0; i < NFLAGS; i++)
        if (img->flags & (1u << i))
            printf(" %s", flag_names[i]);
    printf("\nImage size:   %u bytes (header %u)\n", img->size,
           (unsigned)(img->code - img->base));
    part_size parts[MODP_PARTS + 1];
    printf("Parts:       ");
    for (int i = 0, n = image_parts(img, parts); i < n; i++)
        printf("%s %s %u", i ? "," : "", parts[i].name, parts[i].size);
    printf("\n");
    printf("\nSegments:\n");
    printf("  code  size 0x%08x  align %-5u", img->code_size, img->code_align);
    stored_text(img->code_size, img->code_stored, img->flags);
    printf("  data  size 0x%08x  align %-5u offset 0x%08x", img->data_size, img->data_align,
           img->data_offset);
    stored_text(img->data_size, img->data_stored, img->flags);
    printf("  bss   size 0x%08x\n", img->bss_size);
    printf("  entry ");
    if (img->entry == MODP_NONE) printf("none\n"); else printf("code+0x%x\n", img->entry);
    printf("  exit  ");
    if (img->exit == MODP_NONE) printf("none\n"); else printf("code+0x%x\n", img->exit);

    printf("\nPlacement:\n");
    printf("  one region   yes (%u bytes, align %u)\n", modload_region_size(img), modload_region_align(img));
    if (img->flags & MODP_F_SPLIT) {
        printf("  split        yes\n");
    } else {
        int len;
        const char *why = split_reason(img, &len);
        printf("  split        no: %.*s\n", len, why);
    }
    if (img->flags & MODP_F_XIP) {
        printf("  xip          yes\n");
    } else {
        mp_buf b = {0};
        xip_reason(&b, img, c);
        printf("  xip          no: %.*s\n", (int)b.len, (const char *)b.p);
        buf_free(&b);
    }

    text_fixups(img, c, list);
    text_tables(img, c);

    printf("\nCRC:          %s (stored 0x%08x, computed 0x%08x)\n", crc == img->crc ? "ok" : "BAD",
           img->crc, crc);
    text_signatures(img);
}

/* The keys every JSON report starts with (formats/inspect.schema.json). */
static void json_head(const char *path, int ok, int err, const char *why)
{
    printf("{\n  \"format_version\": \"%s\",\n  \"file\": ", MP_INSPECT_JSON_VERSION);
    json_str(path, strlen(path));
    printf(",\n  \"ok\": %s,\n  \"error\": ", ok ? "true" : "false");
    if (why)
        json_str(why, strlen(why));
    else
        printf("null");
    if (err)
        printf(",\n  \"error_code\": %d,\n", err);
    else
        printf(",\n  \"error_code\": null,\n");
}

/* The fixups: counts by kind and target, and with --fixups each one. */
static void json_fixups(const modload_image *img, const collect *c, int list)
{
    size_t incode = 0;
    for (size_t i = 0; i < c->nfx; i++)
        incode += c->fx[i].seg == MODP_SEG_CODE;
    printf(",\n  \"code_fixups\": %zu,\n", incode);
    printf("  \"fixup_size\": %u,\n  \"nfixups\": %u,\n  \"import_desc_size\": %u,\n",
           img->fixup_size, img->nfixups, c->import_bytes);
    printf("  \"fixups_by_kind\": {");
    for (unsigned k = 0; k < MODP_FIX_KINDS; k++)
        printf("%s\"%s\": %zu", k ? ", " : "", kind_name(k), c->by_kind[k]);
    printf("},\n  \"fixups_by_target\": {");
    int any = 0;
    for (uint32_t t = 0; t < MODP_TGT_IMPORT + c->nimp; t++) {
        size_t n = c->by_target[t];
        if (!n)
            continue;
        printf("%s", any++ ? ", " : "");
        if (t < MODP_TGT_IMPORT)
            printf("\"%s\"", seg_name(t));
        else {
            char key[32];
            snprintf(key, sizeof key, "import:%u", (unsigned)(t - MODP_TGT_IMPORT));
            json_str(key, strlen(key));
        }
        printf(": %zu", n);
    }
    printf("},\n");
    if (list) {
        printf("  \"fixups\": [");
        for (size_t i = 0; i < c->nfx; i++) {
            const modload_fixup *f = &c->fx[i];
            printf("%s\n    {\"kind\": \"%s\", \"seg\": \"%s\", \"offset\": %u", i ? "," : "",
                   kind_name(f->kind), seg_name(f->seg), f->offset);
            if (MODP_KINDS_IN(MODP_KINDS_PAIR, f->kind))
                printf(", \"offset2\": %u", f->offset2);
            if (MODP_KINDS_IN(MODP_KINDS_OPERAND, f->kind))
                printf(", \"lo12\": %u", (unsigned)f->operand);
            if (f->target < MODP_TGT_IMPORT)
                printf(", \"target\": \"%s\"}", seg_name(f->target));
            else
                printf(", \"target\": \"import\", \"import\": %u}", (unsigned)(f->target - MODP_TGT_IMPORT));
        }
        printf("%s],\n", c->nfx ? "\n  " : "");
    }
}

static void json_symbols(const modload_image *img, const collect *c)
{
    printf("  \"imports\": [");
    for (size_t i = 0; i < c->nimp; i++) {
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_str(c->imp[i].name, strlen(c->imp[i].name));
        printf(", \"hash\": %u, \"weak\": %s}", c->imp[i].hash, c->imp[i].weak ? "true" : "false");
    }
    printf("%s],\n", c->nimp ? "\n  " : "");
    printf("  \"exports\": [");
    for (uint32_t i = 0; i < img->nexports; i++) {
        modload_export e;
        if (modload_export_at(img, i, &e) != MODLOAD_OK)
            continue;
        printf("%s\n    {\"name\": ", i ? "," : "");
        if (e.name)
            json_str(e.name, strlen(e.name));
        else
            printf("null");
        printf(", \"hash\": %u, \"seg\": \"%s\", \"value\": %u, \"type\": \"%s\"}", e.hash,
               seg_name(e.seg), e.value, e.type == MODP_SYM_FUNC ? "func" : "object");
    }
    printf("%s],\n", img->nexports ? "\n  " : "");
}

static void json_meta(const modload_image *img)
{
    /* One key per record type 1..MODP_META_NOSPLIT, in type order. */
    enum { NKEYS = MODP_META_NOSPLIT };
    const char *keys[NKEYS] = {"name", "description", "version", "build_id", "tool", "nosplit"};
    modload_meta found[NKEYS];
    int have[NKEYS] = {0};
    const uint8_t *init = NULL;  /* the first init record's bytes */
    uint32_t pos = 0;
    modload_meta m;
    while (modload_meta_next(img, &pos, &m) == MODLOAD_OK)
        if (m.type >= 1 && m.type <= NKEYS && !have[m.type - 1]) {
            have[m.type - 1] = 1;
            found[m.type - 1] = m;
        } else if (m.type == MODP_META_INIT && !init) {
            init = m.bytes;
        }
    printf("  \"meta\": {");
    for (int i = 0; i < NKEYS; i++) {
        printf("%s\"%s\": ", i ? ", " : "", keys[i]);
        if (!have[i]) {
            printf("null");
        } else if (i + 1 == MODP_META_BUILD_ID) {
            putchar('"');
            hex(found[i].bytes, found[i].len);
            putchar('"');
        } else {
            json_str((const char *)found[i].bytes, found[i].len ? found[i].len - 1u : 0);
        }
    }
    modload_abi abi;
    if (modload_image_abi(img, &abi) == MODLOAD_OK)
        printf(", \"abi\": {\"id\": %u, \"major\": %u, \"minor\": %u}", abi.id, abi.major, abi.minor);
    else
        printf(", \"abi\": null");
    if (init)
        printf(", \"init\": {\"ctors_offset\": %u, \"ctors\": %u, \"dtors_offset\": %u, \"dtors\": %u}",
               rd32(init + MODP_INIT_OFFSET), rd32(init + MODP_INIT_COUNT),
               rd32(init + MODP_FINI_OFFSET), rd32(init + MODP_FINI_COUNT));
    else
        printf(", \"init\": null");
    printf("},\n");
}

static void print_json(const modload_image *img, const collect *c, uint32_t crc, int list)
{
    printf("  \"format\": \"%u.%u\",\n", img->major, img->minor);
    printf("  \"arch\": \"%s\",\n  \"arch_id\": %u,\n  \"arch_flags\": %u,\n", arch_name(img->arch),
           img->arch, img->arch_flags);
    char words[8][16];
    printf("  \"arch_flag_names\": [");
    for (int i = 0, n = arch_words(img, words); i < n; i++)
        printf("%s\"%s\"", i ? ", " : "", words[i]);
    printf("],\n");
    printf("  \"flags\": [");
    int any = 0;
    for (int i = 0; i < NFLAGS; i++)
        if (img->flags & (1u << i))
            printf("%s\"%s\"", any++ ? ", " : "", flag_names[i]);
    printf("],\n");
    printf("  \"image_size\": %u,\n  \"header_size\": %u,\n", img->size, (unsigned)(img->code - img->base));
    part_size parts[MODP_PARTS + 1];
    printf("  \"parts\": [");
    for (int i = 0, n = image_parts(img, parts); i < n; i++)
        printf("%s{\"name\": \"%s\", \"size\": %u}", i ? ", " : "", parts[i].name, parts[i].size);
    printf("],\n");
    printf("  \"code_size\": %u,\n  \"data_size\": %u,\n  \"bss_size\": %u,\n", img->code_size,
           img->data_size, img->bss_size);
    printf("  \"compressed\": %s,\n  \"code_stored\": %u,\n  \"data_stored\": %u,\n",
           img->flags & MODP_F_COMPRESSED ? "true" : "false", img->code_stored, img->data_stored);
    printf("  \"data_offset\": %u,\n  \"code_align\": %u,\n  \"data_align\": %u,\n", img->data_offset,
           img->code_align, img->data_align);
    if (img->entry == MODP_NONE) printf("  \"entry\": null,\n"); else printf("  \"entry\": %u,\n", img->entry);
    if (img->exit == MODP_NONE) printf("  \"exit\": null,\n"); else printf("  \"exit\": %u,\n", img->exit);
    printf("  \"region_size\": %u,\n  \"region_align\": %u,\n", modload_region_size(img),
           modload_region_align(img));
    printf("  \"split\": %s,\n  \"split_reason\": ", img->flags & MODP_F_SPLIT ? "true" : "false");
    if (img->flags & MODP_F_SPLIT) {
        printf("null");
    } else {
        int len;
        const char *why = split_reason(img, &len);
        json_str(why, (size_t)len);
    }
    printf(",\n  \"xip\": %s,\n  \"xip_reason\": ", img->flags & MODP_F_XIP ? "true" : "false");
    if (img->flags & MODP_F_XIP) {
        printf("null");
    } else {
        mp_buf b = {0};
        xip_reason(&b, img, c);
        json_str((const char *)b.p, b.len);
        buf_free(&b);
    }
    json_fixups(img, c, list);
    json_symbols(img, c);
    json_meta(img);
    json_signatures(img);
    printf("  \"crc\": {\"stored\": %u, \"computed\": %u, \"ok\": %s}\n}\n", img->crc, crc,
           crc == img->crc ? "true" : "false");
}

/* MODLOAD_ERR_SIGNATURE when the bytes after the image are a malformed
 * signature block, which a firmware with a policy refuses. */
static int sig_block_ok(const modload_image *img)
{
    const uint8_t *e;
    uint32_t n;
    return modload_sig_block(img, &e, &n);
}

/* Report on one image: 0 when it passes modload_check, 1 when not (what
 * can be read is still printed, and why it fails). */
int mp_inspect(const char *path, int list_fixups, int json)
{
    uint8_t *buf;
    size_t len;
    modload_image img;
    const char *name = mp_input_name(path);
    if (mp_read_file(path, &buf, &len) != 0) {
        if (json) {
            json_head(name, 0, 0, "cannot read the file");
            printf("  \"file_size\": null\n}\n");
        } else {
            printf("Status:       refused: cannot read the file\n");
        }
        return 1;
    }
    /* The header, tables and fixup stream first: without them there is
     * nothing to report but the reason. */
    int rc = modload_check_nocrc(buf, len, &img);
    collect c = {{on_import, on_fixup}, NULL, 0, 0, NULL, 0, 0, 0, {0}, NULL};
    if (rc == MODLOAD_OK)
        rc = modload_walk(&img, &c.w);
    if (rc != MODLOAD_OK) {
        mp_error("%s: %s", name, modload_strerror(rc));
        if (json) {
            json_head(name, 0, rc, modload_strerror(rc));
            printf("  \"file_size\": %zu\n}\n", len);
        } else {
            printf("File size:    %zu bytes\nStatus:       refused: %s\n", len, modload_strerror(rc));
        }
    } else {
        uint32_t crc = modload_crc32(0, img.base, img.size - 4);
        modload_image full;
        count_fixups(&c);
        rc = modload_check(buf, len, &full);
        if (rc == MODLOAD_OK && crc != img.crc)
            rc = MODLOAD_ERR_CRC;
        if (rc == MODLOAD_OK)
            rc = mp_inflate_check(&img);
        if (rc == MODLOAD_OK)
            rc = sig_block_ok(&img);
        if (rc == MODLOAD_ERR_CRC)
            mp_error("%s: CRC mismatch: stored 0x%08x, computed 0x%08x", name, img.crc, crc);
        else if (rc != MODLOAD_OK)
            mp_error("%s: %s", name, modload_strerror(rc));
        if (json) {
            json_head(name, rc == MODLOAD_OK, rc, rc == MODLOAD_OK ? NULL : modload_strerror(rc));
            printf("  \"file_size\": %zu,\n", len);
            print_json(&img, &c, crc, list_fixups);
        } else {
            print_text(&img, &c, crc, list_fixups);
            if (rc != MODLOAD_OK)
                printf("Status:       refused: %s\n", modload_strerror(rc));
        }
    }
    free(c.imp);
    free(c.fx);
    free(c.by_target);
    free(buf);
    return rc == MODLOAD_OK ? 0 : 1;
}

int mp_verify(const char *path, mp_key **keys, size_t nkeys)
{
    uint8_t *buf;
    size_t len;
    modload_image img;
    if (mp_read_file(path, &buf, &len) != 0)
        return 1;
    path = mp_input_name(path);
    int rc = modload_check_nocrc(buf, len, &img);
    if (rc != MODLOAD_OK) {
        mp_error("%s: %s", path, modload_strerror(rc));
        free(buf);
        return 1;
    }
    uint32_t crc = modload_crc32(0, img.base, img.size - 4);
    modload_image full;
    rc = modload_check(buf, len, &full);
    const uint8_t *sigs;
    uint32_t nsigs = 0;
    if (rc == MODLOAD_OK && crc == img.crc)
        rc = mp_inflate_check(&img); /* what modload finds only as it loads */
    if (rc == MODLOAD_ERR_CRC || (rc == MODLOAD_OK && crc != img.crc)) {
        mp_error("%s: CRC mismatch: stored 0x%08x, computed 0x%08x", path, img.crc, crc);
        rc = MODLOAD_ERR_CRC;
    } else if (rc != MODLOAD_OK) {
        mp_error("%s: %s", path, modload_strerror(rc));
    } else if ((rc = modload_sig_block(&img, &sigs, &nsigs)) != MODLOAD_OK) {
        mp_error("%s: the %u bytes after the image start a malformed signature block (bad count, "
                 "algorithm or length): %s", path, img.after, modload_strerror(rc));
    } else if (nkeys && mp_verify_signatures(path, &img, keys, nkeys) != 0) {
        rc = MODLOAD_ERR_SIGNATURE;
    } else if (nsigs && !nkeys) {
        printf("%s: ok (%u bytes, CRC 0x%08x; %u signature%s not checked: give --key)\n", path, img.size,
               img.crc, nsigs, nsigs == 1 ? "" : "s");
    } else {
        printf("%s: ok (%u bytes, CRC 0x%08x)\n", path, img.size, img.crc);
    }
    free(buf);
    return rc == MODLOAD_OK ? 0 : 1;
}
