/* modreg.c - a registry of loaded modules on top of modload (see modreg.h).
 *
 * Memory: each module takes one block (its one-region placement, then a
 * copy of its exports and names). Blocks are recorded in the slots only,
 * never inside the pool, so a module cannot damage the allocator's books:
 * allocation is first fit over the gaps between the slots' blocks, and a
 * freed block merges with the free space around it by construction.
 */
#include "modreg.h"
#include "modload_internal.h" /* memset, without a libc header */

static int name_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Copy at most max - 1 bytes of a string and terminate it. */
static void copy_cut(char *dst, const char *src, uint32_t max)
{
    uint32_t i;
    for (i = 0; i + 1 < max && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* The slot of the module in service under name, or -1. */
static int find_live(const modreg *reg, const char *name)
{
    uint32_t i;
    if (!reg || !name)
        return -1;
    for (i = 0; i < reg->nslots; i++)
        if (reg->slots[i].state == MODREG_LIVE && name_eq(reg->slots[i].name, name))
            return (int)i;
    return -1;
}

static void call_void(modload_addr fn)
{
    if (fn)
        ((void (*)(void))(uintptr_t)fn)();
}

/* A module's end: its exit, then its destructors (C++ global objects). */
static void stop(const modload_module *mod)
{
    call_void(modload_exit(mod));
    modload_run_fini(mod);
}

static void fill_info(const modreg_slot *sl, modreg_info *info);

/* ---- the pool ---------------------------------------------------------------- */

static int block_alloc(modreg *reg, modreg_slot *sl, uint32_t size, uint32_t align)
{
    uintptr_t base = (uintptr_t)reg->pool;
    uint32_t pos = 0, i;

    if (size == 0)
        size = 1; /* every block has an extent: the gap walk always advances */
    if (reg->alloc.alloc) {
        sl->mem = reg->alloc.alloc(reg->alloc.ctx, size, align);
        sl->size = size;
        return sl->mem ? MODLOAD_OK : MODREG_ERR_NOMEM;
    }
    for (;;) {
        uint32_t pad = (uint32_t)((align - ((base + pos) & (align - 1u))) & (align - 1u));
        uint32_t start = pos + pad, next = 0;
        int hit = 0;
        if (!reg->pool || start < pos || start > reg->pool_size || size > reg->pool_size - start)
            return MODREG_ERR_NOMEM;
        for (i = 0; i < reg->nslots; i++) {
            const modreg_slot *t = &reg->slots[i];
            if (t == sl || !t->mem || t->off >= start + size || start >= t->off + t->size)
                continue;
            hit = 1;
            if (t->off + t->size > next)
                next = t->off + t->size;
        }
        if (!hit) {
            sl->off = start;
            sl->size = size;
            sl->mem = reg->pool + start;
            return MODLOAD_OK;
        }
        pos = next;
    }
}

static void block_free(modreg *reg, modreg_slot *sl)
{
    if (sl->mem && reg->alloc.alloc && reg->alloc.free)
        reg->alloc.free(reg->alloc.ctx, sl->mem, sl->size);
    sl->mem = 0;
    sl->off = sl->size = 0;
}

void modreg_stats_get(const modreg *reg, modreg_stats *st)
{
    uint32_t i, pos = 0;

    memset(st, 0, sizeof *st);
    st->slots = reg->nslots;
    for (i = 0; i < reg->nslots; i++) {
        if (reg->slots[i].state == MODREG_FREE)
            continue;
        st->modules++;
        st->pool_used += reg->slots[i].size;
    }
    if (reg->alloc.alloc)
        return;
    st->pool_total = reg->pool_size;
    st->pool_free = reg->pool_size - st->pool_used;
    /* Gaps in address order: the lowest block at or after pos, each time. */
    for (;;) {
        const modreg_slot *low = 0;
        for (i = 0; i < reg->nslots; i++) {
            const modreg_slot *t = &reg->slots[i];
            if (t->mem && t->off >= pos && (!low || t->off < low->off))
                low = t;
        }
        uint32_t end = low ? low->off : reg->pool_size;
        if (end - pos > st->largest_free)
            st->largest_free = end - pos;
        if (!low)
            return;
        pos = low->off + low->size;
    }
}

/* ---- binding ------------------------------------------------------------------ */

/* modload's resolve callback: the caller's own, then the modules in
 * service; a module that supplies a symbol is counted once. */
static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    modreg *reg = (modreg *)ctx;
    modreg_slot *cur = &reg->slots[reg->cur];
    uint32_t i, d;

    if (reg->fw.resolve && reg->fw.resolve(reg->fw.ctx, name, hash, addr) == 0)
        return 0;
    for (i = 0; *name && i < reg->nslots; i++) {
        modreg_slot *t = &reg->slots[i];
        if ((int)i == reg->cur || (int)i == reg->skip || t->state != MODREG_LIVE ||
            modload_find(&t->mod, name, addr) != MODLOAD_OK)
            continue;
        for (d = 0; d < cur->ndeps && cur->deps[d] != i; d++)
            ;
        if (d == cur->ndeps) {
            if (d == MODREG_MAX_DEPS) {
                reg->bind_err = MODREG_ERR_DEPS;
                copy_cut(reg->missing, name, MODREG_NAME_MAX);
                return -1;
            }
            cur->deps[cur->ndeps++] = (uint8_t)i;
            t->refs++;
        }
        return 0;
    }
    copy_cut(reg->missing, name, MODREG_NAME_MAX);
    return -1;
}

static void stubs_fill(modreg_stubs *s, const modload_module *mod)
{
    uint32_t i;
    for (i = 0; i < s->n; i++) {
        modload_addr a = 0;
        if (!mod || modload_find(mod, s->names[i], &a) != MODLOAD_OK)
            a = 0;
        s->table[i] = a ? (uintptr_t)a : s->trap;
    }
}

static int stubs_complete(const modreg_stubs *s, const modload_module *mod)
{
    uint32_t i;
    modload_addr a;
    for (i = 0; i < s->n; i++)
        if (modload_find(mod, s->names[i], &a) != MODLOAD_OK)
            return 0;
    return 1;
}

/* Free a slot: its suppliers' counts, its stub tables (back to the trap),
 * its memory. */
static void release(modreg *reg, modreg_slot *sl)
{
    uint32_t d;
    modreg_stubs *s = sl->stubs, *next;

    for (d = 0; d < sl->ndeps; d++)
        reg->slots[sl->deps[d]].refs--;
    for (; s; s = next) {
        next = s->next;
        s->next = 0;
        stubs_fill(s, 0);
    }
    block_free(reg, sl);
    memset(sl, 0, sizeof *sl);
}

/* ---- loading ------------------------------------------------------------------ */

void modreg_init(modreg *reg, modreg_slot *slots, uint32_t nslots, void *pool,
                 uint32_t pool_size, const modload_env *env)
{
    memset(reg, 0, sizeof *reg);
    memset(slots, 0, nslots * sizeof *slots);
    reg->slots = slots;
    reg->nslots = nslots > 255 ? 255 : nslots; /* slot numbers fit deps[] */
    reg->pool = (uint8_t *)pool;
    reg->pool_size = pool ? pool_size : 0;
    if (env)
        reg->fw = *env;
    reg->env = reg->fw;
    reg->env.resolve = resolve;
    reg->env.ctx = reg;
    reg->cur = reg->skip = -1;
}

void modreg_set_alloc(modreg *reg, const modreg_alloc *alloc)
{
    reg->alloc = *alloc;
}

const char *modreg_missing(const modreg *reg)
{
    return reg->missing;
}

/* The name is usable, unique, and the old one's when replacing. */
static int check_name(const modreg *reg, const modreg_slot *sl)
{
    uint32_t i;

    if (!sl->name[0] || sl->name[MODREG_NAME_MAX - 1])
        return MODREG_ERR_NAME;
    if (reg->skip >= 0 && !name_eq(sl->name, reg->slots[reg->skip].name))
        return MODREG_ERR_MISMATCH;
    for (i = 0; i < reg->nslots; i++)
        if ((int)i != reg->cur && (int)i != reg->skip && reg->slots[i].state != MODREG_FREE &&
            name_eq(reg->slots[i].name, sl->name))
            return MODREG_ERR_EXISTS;
    return MODLOAD_OK;
}

/* Keep a name (too long: left unterminated for check_name) or a version. */
static void take_meta(modreg_slot *sl, uint8_t type, const uint8_t *b, uint32_t len)
{
    uint32_t i;
    if (type == MODP_META_NAME) {
        memset(sl->name, 0, sizeof sl->name);
        for (i = 0; i < len && i < MODREG_NAME_MAX; i++)
            sl->name[i] = (char)b[i];
        if (len > MODREG_NAME_MAX || (len && b[len - 1]))
            sl->name[MODREG_NAME_MAX - 1] = 1;
    } else if (type == MODP_META_VERSION) {
        for (i = 0; i < len && i + 1 < MODREG_VERSION_MAX && b[i]; i++)
            sl->version[i] = (char)b[i];
        sl->version[i] = 0;
    }
}

/* One block: the region, then the exports and names. */
static int place(modreg *reg, modreg_slot *sl, const modload_image *img, modload_place *pl)
{
    /* Both sizes are bounded by the checked image (< 2 GiB each); 32-bit
     * arithmetic only, as targets without a 64-bit multiply need. */
    uint32_t region = modload_region_size(img), sym = modload_symtab_size(img);
    int rc;

    if (region > 0x7FFFFFFFu || sym > 0x7FFFFFFFu - region)
        return MODREG_ERR_NOMEM;
    if ((rc = block_alloc(reg, sl, region + sym, modload_region_align(img))) != MODLOAD_OK)
        return rc;
    if ((rc = modload_place_region(img, sl->mem, region, (modload_addr)(uintptr_t)sl->mem, pl)) != MODLOAD_OK)
        return rc;
    pl->symtab_write = (uint8_t *)sl->mem + region;
    pl->symtab_room = sym;
    sl->code_size = img->code_size;
    sl->data_size = img->data_size;
    sl->bss_size = img->bss_size;
    return MODLOAD_OK;
}

static int load_buffer(modreg *reg, modreg_slot *sl, const void *image, size_t len)
{
    modload_image img;
    modload_place pl;
    modload_meta m;
    uint32_t pos = 0;
    int rc;

    if ((rc = modload_open(image, len, &img)) != MODLOAD_OK)
        return rc;
    while (modload_meta_next(&img, &pos, &m) == MODLOAD_OK)
        take_meta(sl, m.type, m.bytes, m.len);
    if ((rc = check_name(reg, sl)) != MODLOAD_OK || (rc = place(reg, sl, &img, &pl)) != MODLOAD_OK)
        return rc;
    return modload_load(&img, &pl, &reg->env, &sl->mod);
}

/* A read callback between modload and the caller's: it watches the bytes
 * of the metadata go by and keeps the name and version records. */
typedef struct tap {
    modload_read_fn read;
    void *ctx;
    modreg_slot *sl;
    uint32_t pos, meta_at, meta_end; /* image offsets */
    uint32_t have, len;              /* bytes of the record so far, its length */
    uint8_t rec[3 + MODREG_NAME_MAX + 1];
} tap;

static int tap_read(void *ctx, uint8_t *buf, uint32_t len)
{
    tap *t = (tap *)ctx;
    int n = t->read(t->ctx, buf, len), i;

    for (i = 0; i < n; i++, t->pos++) {
        if (t->pos < t->meta_at || t->pos >= t->meta_end)
            continue;
        if (t->have < sizeof t->rec)
            t->rec[t->have] = buf[i];
        if (++t->have == 3)
            t->len = 3u + (t->rec[1] | (uint32_t)t->rec[2] << 8);
        if (t->have >= 3 && t->have == t->len) {
            uint32_t keep = t->len < sizeof t->rec ? t->len : (uint32_t)sizeof t->rec;
            if (t->len == keep || t->rec[0] == MODP_META_VERSION)
                take_meta(t->sl, t->rec[0], t->rec + 3, keep - 3);
            else if (t->rec[0] == MODP_META_NAME)
                t->sl->name[MODREG_NAME_MAX - 1] = 1; /* too long */
            t->have = 0;
        }
    }
    return n;
}

static int load_stream(modreg *reg, modreg_slot *sl, modload_read_fn read, void *ctx)
{
    modload_stream st;
    modload_image img;
    modload_place pl;
    tap t;
    int rc;

    memset(&t, 0, sizeof t);
    t.read = read;
    t.ctx = ctx;
    t.sl = sl;
    t.meta_at = t.meta_end = 0xFFFFFFFFu;
    if (!read)
        return MODLOAD_ERR_ARG;
    if ((rc = modload_stream_begin(&st, tap_read, &t, &img)) != MODLOAD_OK)
        return rc;
    /* The parts follow each other: header_size was checked to add up. */
    t.meta_at = img.size - 4u - img.meta_size;
    t.meta_end = img.size - 4u;
    if ((rc = place(reg, sl, &img, &pl)) != MODLOAD_OK ||
        (rc = modload_stream_load(&st, &img, &pl, &reg->env, &sl->mod)) != MODLOAD_OK)
        return rc;
    return check_name(reg, sl);
}

/* Load from src into a free slot (*out) and run init. replacing: the slot
 * of the module a reload replaces, or -1. */
static int load_source(modreg *reg, const modreg_source *src, int replacing, int *out,
                       modreg_info *info)
{
    uint32_t i;
    modreg_slot *sl = 0;
    int rc, init_rc;
    modload_addr entry;

    if (info)
        memset(info, 0, sizeof *info);
    if (!reg || !src)
        return MODLOAD_ERR_ARG;
    reg->missing[0] = 0;
    for (i = 0; i < reg->nslots && !sl; i++)
        if (reg->slots[i].state == MODREG_FREE)
            sl = &reg->slots[i];
    if (!sl)
        return MODREG_ERR_FULL;
    *out = (int)(sl - reg->slots);
    memset(sl, 0, sizeof *sl);
    sl->state = MODREG_LOADING;
    reg->cur = *out;
    reg->skip = replacing;
    reg->bind_err = 0;

    if (src->image) {
        rc = load_buffer(reg, sl, src->image, src->len);
    } else if (src->read) {
        rc = load_stream(reg, sl, src->read, src->ctx);
    } else if (src->fs && src->fs->open && src->path) {
        void *h = src->fs->open(src->fs->ctx, src->path);
        if (!h) {
            rc = MODREG_ERR_OPEN;
        } else {
            rc = load_stream(reg, sl, src->fs->read, h);
            if (src->fs->close)
                src->fs->close(h);
        }
    } else {
        rc = MODLOAD_ERR_ARG;
    }
    if (rc == MODLOAD_ERR_UNRESOLVED && reg->bind_err)
        rc = reg->bind_err;
    reg->cur = reg->skip = -1;
    if (rc == MODLOAD_OK)
        modload_run_init(&sl->mod);   /* constructors before module_init */
    if (rc == MODLOAD_OK && (entry = modload_entry(&sl->mod)) != 0 &&
        (init_rc = ((int (*)(void))(uintptr_t)entry)()) != 0) {
        if (info)
            info->init_rc = init_rc;
        modload_run_fini(&sl->mod);   /* what the constructors made */
        rc = MODREG_ERR_INIT;
    }
    if (rc != MODLOAD_OK) {
        release(reg, sl);
        return rc;
    }
    sl->state = replacing >= 0 ? MODREG_STANDBY : MODREG_LIVE;
    if (info)
        fill_info(sl, info);
    return MODLOAD_OK;
}

int modreg_load(modreg *reg, const void *image, size_t len, modreg_info *info)
{
    modreg_source src;
    int slot;
    memset(&src, 0, sizeof src);
    src.image = image;
    src.len = len;
    return image ? load_source(reg, &src, -1, &slot, info) : MODLOAD_ERR_ARG;
}

int modreg_load_stream(modreg *reg, modload_read_fn read, void *ctx, modreg_info *info)
{
    modreg_source src;
    int slot;
    memset(&src, 0, sizeof src);
    src.read = read;
    src.ctx = ctx;
    return read ? load_source(reg, &src, -1, &slot, info) : MODLOAD_ERR_ARG;
}

int modreg_load_path(modreg *reg, const modreg_fs *fs, const char *path, modreg_info *info)
{
    modreg_source src;
    int slot;
    memset(&src, 0, sizeof src);
    src.fs = fs;
    src.path = path;
    return fs && path ? load_source(reg, &src, -1, &slot, info) : MODLOAD_ERR_ARG;
}

int modreg_unload(modreg *reg, const char *name)
{
    int s = find_live(reg, name);
    if (s < 0)
        return MODREG_ERR_NO_MODULE;
    if (reg->slots[s].refs)
        return MODREG_ERR_IN_USE;
    stop(&reg->slots[s].mod);
    release(reg, &reg->slots[s]);
    return MODLOAD_OK;
}

void modreg_unload_all(modreg *reg)
{
    uint32_t i;
    int again = 1;

    /* Dependencies always point at modules loaded earlier: no cycles. */
    while (again) {
        again = 0;
        for (i = 0; i < reg->nslots; i++)
            if (reg->slots[i].state == MODREG_LIVE && !reg->slots[i].refs &&
                modreg_unload(reg, reg->slots[i].name) == MODLOAD_OK)
                again = 1;
    }
}

/* ---- looking up ------------------------------------------------------------------ */

static void fill_info(const modreg_slot *sl, modreg_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = sl->name;
    info->version = sl->version;
    info->code_size = sl->code_size;
    info->data_size = sl->data_size;
    info->bss_size = sl->bss_size;
    info->mem_size = sl->size;
    info->refs = sl->refs;
    info->state = sl->state;
    info->ndeps = sl->ndeps;
    info->mod = &sl->mod;
}

int modreg_find(const modreg *reg, const char *name, modreg_info *info)
{
    int s = find_live(reg, name);
    if (s < 0)
        return MODREG_ERR_NO_MODULE;
    if (info)
        fill_info(&reg->slots[s], info);
    return MODLOAD_OK;
}

int modreg_next(const modreg *reg, uint32_t *pos, modreg_info *info)
{
    for (; *pos < reg->nslots; (*pos)++) {
        if (reg->slots[*pos].state != MODREG_FREE) {
            fill_info(&reg->slots[(*pos)++], info);
            return 1;
        }
    }
    return 0;
}

int modreg_sym(const modreg *reg, const char *module, const char *symbol, modload_addr *addr)
{
    int s = find_live(reg, module);
    if (s < 0)
        return MODREG_ERR_NO_MODULE;
    if (!symbol || !addr)
        return MODLOAD_ERR_ARG;
    return modload_find(&reg->slots[s].mod, symbol, addr);
}

/* ---- stubs and reload ---------------------------------------------------------- */

void modreg_unbind(modreg *reg, modreg_stubs *stubs)
{
    uint32_t i;
    for (i = 0; i < reg->nslots; i++) {
        modreg_stubs **p = &reg->slots[i].stubs;
        while (*p && *p != stubs)
            p = &(*p)->next;
        if (*p)
            *p = stubs->next;
    }
    stubs->next = 0;
    stubs_fill(stubs, 0);
}

int modreg_bind(modreg *reg, const char *module, modreg_stubs *stubs)
{
    int s = find_live(reg, module);
    if (s < 0)
        return MODREG_ERR_NO_MODULE;
    if (!stubs_complete(stubs, &reg->slots[s].mod))
        return MODREG_ERR_STUB;
    modreg_unbind(reg, stubs);
    stubs_fill(stubs, &reg->slots[s].mod);
    stubs->next = reg->slots[s].stubs;
    reg->slots[s].stubs = stubs;
    return MODLOAD_OK;
}

void modreg_unbound(const modreg_stubs *stubs)
{
    if (stubs && stubs->unbound)
        stubs->unbound(stubs);
    for (;;) {
    }
}

int modreg_reload(modreg *reg, const char *name, const modreg_source *src,
                  const modreg_hooks *hooks, modreg_info *info)
{
    int o = find_live(reg, name), n, rc;
    modreg_slot *old, *new_;
    modreg_stubs *s;

    if (info)
        memset(info, 0, sizeof *info);
    if (o < 0)
        return MODREG_ERR_NO_MODULE;
    old = &reg->slots[o];
    if (old->refs)
        return MODREG_ERR_IN_USE;
    if ((rc = load_source(reg, src, o, &n, info)) != MODLOAD_OK)
        return rc;
    new_ = &reg->slots[n];
    for (s = old->stubs; s && rc == MODLOAD_OK; s = s->next)
        if (!stubs_complete(s, &new_->mod))
            rc = MODREG_ERR_STUB;
    if (rc == MODLOAD_OK && hooks && hooks->pre && hooks->pre(hooks->ctx, &old->mod) != 0)
        rc = MODREG_ERR_HOOK;
    if (rc == MODLOAD_OK && hooks && hooks->post && hooks->post(hooks->ctx, &new_->mod) != 0)
        rc = MODREG_ERR_HOOK;
    if (rc != MODLOAD_OK) {
        stop(&new_->mod);
        release(reg, new_);
        if (info)
            memset(info, 0, sizeof *info);
        return rc;
    }

    /* The swap: tables first, so that no call reaches the old code after
     * its exit. */
    for (s = old->stubs; s; s = s->next)
        stubs_fill(s, &new_->mod);
    new_->stubs = old->stubs;
    old->stubs = 0;
    stop(&old->mod);
    release(reg, old);
    *old = *new_;
    memset(new_, 0, sizeof *new_);
    old->state = MODREG_LIVE;
    if (info)
        fill_info(old, info);
    return MODLOAD_OK;
}

/* ---- messages ---------------------------------------------------------------------- */

static const char *const messages[MODREG_ERR_END - MODREG_ERR_FULL] = {
    "every registry slot is in use",
    "no free block in the module pool is large enough",
    "a module of this name is already loaded",
    "no module of this name is loaded",
    "other modules import from this module",
    "the module's init returned non-zero",
    "the image has no name record or a name longer than MODREG_NAME_MAX",
    "the module imports from more than MODREG_MAX_DEPS modules",
    "the new image records another module name",
    "a bound stub table names a symbol the module does not export",
    "the reload's pre or post hook failed",
    "the path could not be opened",
};

const char *modreg_strerror(int err)
{
    if (err >= MODREG_ERR_FULL && err < MODREG_ERR_END)
        return messages[err - MODREG_ERR_FULL];
    return modload_strerror(err);
}
