/* modslot.c - A/B module slots on a flash-like store (see modslot.h and
 * formats/slot-store.md).
 *
 * The store: record copy 0, record copy 1, then slot 0 and slot 1 of each
 * module entry. The record in force is the valid copy with the higher
 * sequence number. A commit writes the other copy: erase it, write
 * everything but the magic, then the magic, so that a copy whose writing
 * was cut short never reads as valid and the copy in force is never
 * touched. Slots are written only while the record does not name them as
 * committed; the record's CRC of each slot tells a slot overwritten since
 * from the image the record vouched for.
 */
#include "modslot.h"
#include "modload_internal.h" /* memcpy, memset, without a libc header */

#define CHUNK 64u

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int name_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The length of a usable name, or 0. */
static uint32_t name_len(const char *name)
{
    uint32_t n = 0;
    if (!name)
        return 0;
    while (n < MODSLOT_NAME_SIZE && name[n])
        n++;
    return n < MODSLOT_NAME_SIZE ? n : 0;
}

/* a / b (b > 0) by shifts: modload links no libgcc, and some cores (the
 * ESP8266's lx106) have no divide instruction. */
static uint32_t udiv(uint32_t a, uint32_t b)
{
    uint32_t q = 0, bit = 1;
    while (b < a && !(b & 0x80000000u)) {
        b <<= 1;
        bit <<= 1;
    }
    for (; bit; b >>= 1, bit >>= 1)
        if (a >= b) {
            a -= b;
            q |= bit;
        }
    return q;
}

static uint32_t record_bytes(uint32_t n)
{
    return MODSLOT_HEADER_SIZE + n * MODSLOT_ENTRY_SIZE + 4u;
}

static uint32_t slot_base(const modslot *ms, uint32_t entry, uint32_t slot)
{
    return 2u * ms->rec_size + (2u * entry + slot) * ms->slot_size;
}

/* CRC-32 of len stored bytes at off; MODSLOT_ERR_STORE when a read fails. */
static int store_crc(const modslot *ms, uint32_t off, uint32_t len, uint32_t *crc)
{
    uint8_t buf[CHUNK];
    uint32_t c = 0;

    while (len) {
        uint32_t n = len < CHUNK ? len : CHUNK;
        if (ms->store.read(ms->store.ctx, off, buf, n) != 0)
            return MODSLOT_ERR_STORE;
        c = modload_crc32(c, buf, n);
        off += n;
        len -= n;
    }
    *crc = c;
    return MODLOAD_OK;
}

/* ---- the record ------------------------------------------------------------ */

/* Entry bytes e into en (a free entry: all zero, no slot). */
static void entry_parse(const modslot *ms, modslot_entry *en, const uint8_t *e)
{
    uint32_t s;
    memset(en, 0, sizeof *en);
    memcpy(en->name, e, MODSLOT_NAME_SIZE);
    en->name[MODSLOT_NAME_SIZE - 1] = 0;
    en->active = e[24];
    en->booted = MODSLOT_NONE;
    for (s = 0; s < 2; s++) {
        en->len[s] = get32(e + 28 + 4 * s);
        en->crc[s] = get32(e + 36 + 4 * s);
        if (en->len[s] > ms->slot_size)
            en->len[s] = 0; /* vouches for nothing a slot can hold */
    }
    if (!en->name[0] || en->active > 1) { /* free (a removed module's is all zero) */
        memset(en, 0, sizeof *en);
        en->active = en->booted = MODSLOT_NONE;
    }
}

/* Check record copy `copy`: MODLOAD_OK with its sequence number, entry
 * count and slot size, or MODSLOT_ERR_LAYOUT for a copy that is not a
 * whole record (blank, torn, or damaged), MODSLOT_ERR_STORE for a read
 * that failed. parse: also read its entries into the table (a copy
 * already checked, of the layout's entry count). */
static int record_read(modslot *ms, uint32_t copy, int parse, uint32_t *seq, uint32_t *n,
                       uint32_t *slot_size)
{
    uint8_t h[MODSLOT_HEADER_SIZE], e[MODSLOT_ENTRY_SIZE];
    uint32_t base = copy * ms->rec_size, i, crc;

    if (ms->store.read(ms->store.ctx, base, h, sizeof h) != 0)
        return MODSLOT_ERR_STORE;
    *n = h[6] | (uint32_t)h[7] << 8;
    if (get32(h) != MODSLOT_MAGIC || (h[4] | (uint32_t)h[5] << 8) != MODSLOT_FORMAT ||
        record_bytes(*n) > ms->rec_size)
        return MODSLOT_ERR_LAYOUT;
    crc = modload_crc32(0, h + 4, sizeof h - 4);
    for (i = 0; i < *n; i++) {
        if (ms->store.read(ms->store.ctx, base + MODSLOT_HEADER_SIZE + i * MODSLOT_ENTRY_SIZE, e,
                           sizeof e) != 0)
            return MODSLOT_ERR_STORE;
        crc = modload_crc32(crc, e, sizeof e);
        if (parse)
            entry_parse(ms, &ms->table[i], e);
    }
    if (ms->store.read(ms->store.ctx, base + record_bytes(*n) - 4u, e, 4) != 0)
        return MODSLOT_ERR_STORE;
    if (get32(e) != crc)
        return MODSLOT_ERR_LAYOUT;
    *seq = get32(h + 8);
    *slot_size = get32(h + 12);
    return MODLOAD_OK;
}

static void entry_bytes(const modslot_entry *en, uint8_t *e)
{
    uint32_t s;
    memset(e, 0, MODSLOT_ENTRY_SIZE);
    memcpy(e, en->name, MODSLOT_NAME_SIZE);
    e[24] = en->name[0] ? en->active : MODSLOT_NONE;
    for (s = 0; s < 2; s++) {
        put32(e + 28 + 4 * s, en->name[0] ? en->len[s] : 0);
        put32(e + 36 + 4 * s, en->name[0] ? en->crc[s] : 0);
    }
}

/* Write the table as the next record, into the copy not in force: erase
 * it, write bytes 4 to the end, then the magic. */
static int record_write(modslot *ms)
{
    uint8_t h[MODSLOT_HEADER_SIZE], e[MODSLOT_ENTRY_SIZE];
    uint32_t copy = 1u - ms->copy, base = copy * ms->rec_size, i, crc;
    const modslot_store *st = &ms->store;

    put32(h, MODSLOT_MAGIC);
    h[4] = (uint8_t)MODSLOT_FORMAT;
    h[5] = 0;
    h[6] = (uint8_t)ms->nmodules;
    h[7] = (uint8_t)(ms->nmodules >> 8);
    put32(h + 8, ms->seq + 1u);
    put32(h + 12, ms->slot_size);
    if (st->erase(st->ctx, base, ms->rec_size) != 0 ||
        st->write(st->ctx, base + 4u, h + 4, sizeof h - 4) != 0)
        return MODSLOT_ERR_STORE;
    crc = modload_crc32(0, h + 4, sizeof h - 4);
    for (i = 0; i < ms->nmodules; i++) {
        entry_bytes(&ms->table[i], e);
        crc = modload_crc32(crc, e, sizeof e);
        if (st->write(st->ctx, base + MODSLOT_HEADER_SIZE + i * MODSLOT_ENTRY_SIZE, e, sizeof e) != 0)
            return MODSLOT_ERR_STORE;
    }
    put32(e, crc);
    if (st->write(st->ctx, base + record_bytes(ms->nmodules) - 4u, e, 4) != 0 ||
        st->write(st->ctx, base, h, 4) != 0)
        return MODSLOT_ERR_STORE;
    ms->seq++;
    ms->copy = (uint8_t)copy;
    return MODLOAD_OK;
}

/* ---- opening and booting ------------------------------------------------------ */

int modslot_open(modslot *ms, const modslot_store *store, modreg *reg, uint32_t nmodules)
{
    uint32_t es, seq[2], n[2], sz[2], c, i;
    int rc[2];

    if (!ms || !store || !reg || !store->read || !store->write || !store->erase)
        return MODLOAD_ERR_ARG;
    memset(ms, 0, sizeof *ms);
    ms->store = *store;
    ms->reg = reg;
    es = store->erase_size;
    if (!es || (es & (es - 1u)) || !nmodules || nmodules > MODSLOT_MAX_MODULES)
        return MODSLOT_ERR_LAYOUT;
    ms->nmodules = nmodules;
    ms->rec_size = (record_bytes(nmodules) + es - 1u) & ~(es - 1u);
    if (store->size / 2u < ms->rec_size)
        return MODSLOT_ERR_LAYOUT;
    ms->slot_size = udiv(store->size - 2u * ms->rec_size, 2u * nmodules) & ~(es - 1u);
    if (!ms->slot_size)
        return MODSLOT_ERR_LAYOUT;
    for (i = 0; i < MODSLOT_MAX_MODULES; i++)
        ms->table[i].active = ms->table[i].booted = MODSLOT_NONE;

    for (c = 0; c < 2; c++) {
        rc[c] = record_read(ms, c, 0, &seq[c], &n[c], &sz[c]);
        if (rc[c] == MODSLOT_ERR_STORE)
            return rc[c];
    }
    if (rc[0] != MODLOAD_OK && rc[1] != MODLOAD_OK) {
        ms->copy = 1; /* a blank store: no module yet; the first record goes to copy 0 */
        return MODLOAD_OK;
    }
    c = rc[0] != MODLOAD_OK || (rc[1] == MODLOAD_OK && (int32_t)(seq[1] - seq[0]) > 0) ? 1u : 0u;
    if (n[c] != nmodules || sz[c] != ms->slot_size)
        return MODSLOT_ERR_LAYOUT;
    ms->seq = seq[c];
    ms->copy = (uint8_t)c;
    return record_read(ms, c, 1, &seq[c], &n[c], &sz[c]);
}

uint32_t modslot_slot_size(const modslot *ms)
{
    return ms->slot_size;
}

/* The registry's read callback over the slot bytes [rd_off, rd_end). */
static int slot_read(void *ctx, uint8_t *buf, uint32_t len)
{
    modslot *ms = (modslot *)ctx;
    uint32_t n = ms->rd_end - ms->rd_off;

    if (n > len)
        n = len;
    if (!n)
        return 0;
    if (ms->store.read(ms->store.ctx, ms->rd_off, buf, n) != 0)
        return -1;
    ms->rd_off += n;
    return (int)n;
}

/* Load (old < 0) or reload the image in slot `slot` of entry e (len bytes
 * whose CRC the caller checked) under the entry's name. */
static int load_slot(modslot *ms, uint32_t e, uint32_t slot, uint32_t len, const char *name,
                     int reload, const modreg_hooks *hooks, modreg_info *info)
{
    modreg_source src;
    modreg_info own;
    int rc;

    if (!info)
        info = &own;
    memset(&src, 0, sizeof src);
    src.read = slot_read;
    src.ctx = ms;
    ms->rd_off = slot_base(ms, e, slot);
    ms->rd_end = ms->rd_off + len;
    if (reload)
        return modreg_reload(ms->reg, name, &src, hooks, info);
    if ((rc = modreg_load_stream(ms->reg, slot_read, ms, info)) != MODLOAD_OK)
        return rc;
    if (!name_eq(info->name, name)) {
        modreg_unload(ms->reg, info->name);
        memset(info, 0, sizeof *info);
        return MODREG_ERR_MISMATCH;
    }
    return MODLOAD_OK;
}

/* The slot's bytes are what the record vouches for, then they load. */
static int boot_slot(modslot *ms, uint32_t e, uint32_t slot)
{
    modslot_entry *en = &ms->table[e];
    uint32_t crc;
    int rc;

    if (!en->len[slot])
        return MODSLOT_ERR_EMPTY;
    if ((rc = store_crc(ms, slot_base(ms, e, slot), en->len[slot], &crc)) != MODLOAD_OK)
        return rc;
    if (crc != en->crc[slot])
        return MODLOAD_ERR_CRC;
    return load_slot(ms, e, slot, en->len[slot], en->name, 0, 0, 0);
}

/* In record order, and again while a pass loaded something: an entry
 * freed and reused puts a module before the one it imports from. */
uint32_t modslot_boot(modslot *ms)
{
    uint32_t e, failed = 0, progress = 1;

    for (e = 0; e < ms->nmodules; e++)
        ms->table[e].booted = MODSLOT_NONE;
    while (progress) {
        progress = failed = 0;
        for (e = 0; e < ms->nmodules; e++) {
            modslot_entry *en = &ms->table[e];
            int rc;
            if (!en->name[0] || en->active > 1 || en->booted != MODSLOT_NONE)
                continue;
            if ((rc = boot_slot(ms, e, en->active)) == MODLOAD_OK)
                en->booted = en->active;
            else if (boot_slot(ms, e, 1u - en->active) == MODLOAD_OK)
                en->booted = (uint8_t)(1u - en->active);
            en->boot_rc = (int16_t)rc; /* why the committed slot did not load */
            if (en->booted == MODSLOT_NONE)
                failed++;
            else
                progress = 1;
        }
    }
    return failed;
}

/* ---- updates -------------------------------------------------------------------- */

static int find_entry(const modslot *ms, const char *name)
{
    uint32_t i;
    for (i = 0; i < ms->nmodules; i++)
        if (ms->table[i].name[0] && name_eq(ms->table[i].name, name))
            return (int)i;
    return -1;
}

int modslot_update_begin(modslot *ms, const char *name)
{
    uint32_t len = name_len(name), i;
    int e;

    if (!ms || !ms->reg)
        return MODLOAD_ERR_ARG;
    if (ms->updating)
        return MODSLOT_ERR_BUSY;
    if (!len)
        return MODSLOT_ERR_NAME;
    if ((e = find_entry(ms, name)) >= 0) {
        /* Never the slot the module runs from: after a boot that fell
         * back to it, it is the only good one. */
        const modslot_entry *en = &ms->table[e];
        ms->up_slot = (en->booted <= 1 ? en->booted : en->active) == 0 ? 1u : 0u;
    } else {
        for (i = 0; i < ms->nmodules && ms->table[i].name[0]; i++)
            ;
        if (i == ms->nmodules)
            return MODSLOT_ERR_TABLE;
        e = (int)i;
        ms->up_slot = 0;
    }
    ms->updating = 1;
    ms->up_entry = (uint8_t)e;
    ms->up_len = ms->up_erased = ms->up_crc = 0;
    ms->up_err = MODLOAD_OK;
    memset(ms->up_name, 0, sizeof ms->up_name);
    memcpy(ms->up_name, name, len);
    return MODLOAD_OK;
}

int modslot_update_write(modslot *ms, const void *buf, uint32_t len)
{
    const modslot_store *st;
    uint32_t base;

    if (!ms || !ms->updating)
        return MODSLOT_ERR_IDLE;
    if (ms->up_err)
        return ms->up_err;
    if (!len)
        return MODLOAD_OK;
    if (!buf)
        return MODLOAD_ERR_ARG;
    st = &ms->store;
    base = slot_base(ms, ms->up_entry, ms->up_slot);
    if (len > ms->slot_size - ms->up_len)
        return ms->up_err = MODSLOT_ERR_SIZE;
    while (ms->up_erased < ms->up_len + len) {
        if (st->erase(st->ctx, base + ms->up_erased, st->erase_size) != 0)
            return ms->up_err = MODSLOT_ERR_STORE;
        ms->up_erased += st->erase_size;
    }
    if (st->write(st->ctx, base + ms->up_len, buf, len) != 0)
        return ms->up_err = MODSLOT_ERR_STORE;
    ms->up_crc = modload_crc32(ms->up_crc, buf, len);
    ms->up_len += len;
    return MODLOAD_OK;
}

void modslot_update_abort(modslot *ms)
{
    if (ms)
        ms->updating = 0;
}

int modslot_update_finish(modslot *ms, const modreg_hooks *hooks, modreg_info *info)
{
    modslot_entry *en, was;
    uint32_t e, slot, crc;
    int running, rc;

    if (info)
        memset(info, 0, sizeof *info);
    if (!ms || !ms->updating)
        return MODSLOT_ERR_IDLE;
    ms->updating = 0;
    if (ms->up_err)
        return ms->up_err;
    if (!ms->up_len)
        return MODSLOT_ERR_EMPTY;
    e = ms->up_entry;
    slot = ms->up_slot;
    en = &ms->table[e];
    /* The store holds what was sent (a write that did not stick is a
     * store failure, not a bad image). */
    if ((rc = store_crc(ms, slot_base(ms, e, slot), ms->up_len, &crc)) != MODLOAD_OK)
        return rc;
    if (crc != ms->up_crc)
        return MODSLOT_ERR_STORE;
    running = modreg_find(ms->reg, ms->up_name, 0) == MODLOAD_OK;
    if ((rc = load_slot(ms, e, slot, ms->up_len, ms->up_name, running, hooks, info)) != MODLOAD_OK)
        return rc;

    /* In service: commit it. */
    was = *en;
    if (!en->name[0]) {
        memset(en, 0, sizeof *en);
        memcpy(en->name, ms->up_name, MODSLOT_NAME_SIZE);
    }
    en->active = (uint8_t)slot;
    en->booted = (uint8_t)slot;
    en->len[slot] = ms->up_len;
    en->crc[slot] = crc;
    if ((rc = record_write(ms)) == MODLOAD_OK)
        return MODLOAD_OK;

    /* Not committed: back to what the store boots. */
    *en = was;
    if (running && was.active <= 1 && was.len[was.active] &&
        load_slot(ms, e, was.active, was.len[was.active], ms->up_name, 1, hooks, 0) == MODLOAD_OK) {
        en->booted = was.active;
    } else if (!running) {
        modreg_unload(ms->reg, ms->up_name);
    }
    if (info)
        memset(info, 0, sizeof *info);
    return rc;
}

int modslot_install(modslot *ms, const char *name, const void *image, uint32_t len,
                    const modreg_hooks *hooks, modreg_info *info)
{
    int rc;
    if (info)
        memset(info, 0, sizeof *info);
    if ((rc = modslot_update_begin(ms, name)) != MODLOAD_OK)
        return rc;
    if ((rc = modslot_update_write(ms, image, len)) != MODLOAD_OK) {
        modslot_update_abort(ms);
        return rc;
    }
    return modslot_update_finish(ms, hooks, info);
}

int modslot_remove(modslot *ms, const char *name)
{
    modslot_entry was;
    int e, rc;

    if (!ms || !name)
        return MODLOAD_ERR_ARG;
    if (ms->updating)
        return MODSLOT_ERR_BUSY;
    if ((e = find_entry(ms, name)) < 0)
        return MODREG_ERR_NO_MODULE;
    rc = modreg_unload(ms->reg, name);
    if (rc != MODLOAD_OK && rc != MODREG_ERR_NO_MODULE)
        return rc;
    was = ms->table[e];
    memset(&ms->table[e], 0, sizeof ms->table[e]);
    ms->table[e].active = ms->table[e].booted = MODSLOT_NONE;
    if ((rc = record_write(ms)) != MODLOAD_OK) {
        was.booted = MODSLOT_NONE; /* unloaded, still in the record */
        ms->table[e] = was;
    }
    return rc;
}

/* ---- looking up ------------------------------------------------------------------ */

const modslot_entry *modslot_find(const modslot *ms, const char *name)
{
    int e = ms && name ? find_entry(ms, name) : -1;
    return e < 0 ? 0 : &ms->table[e];
}

const modslot_entry *modslot_next(const modslot *ms, uint32_t *pos)
{
    for (; *pos < ms->nmodules; (*pos)++)
        if (ms->table[*pos].name[0])
            return &ms->table[(*pos)++];
    return 0;
}

int modslot_image_read(const modslot *ms, const modslot_entry *en, uint32_t slot, uint32_t off, void *buf,
                       uint32_t len)
{
    uint32_t e;
    if (!ms || !en || en < ms->table || en >= ms->table + ms->nmodules || slot > 1 || !buf ||
        off > ms->slot_size || len > ms->slot_size - off)
        return MODLOAD_ERR_ARG;
    e = (uint32_t)(en - ms->table);
    return ms->store.read(ms->store.ctx, slot_base(ms, e, slot) + off, buf, len) ? MODSLOT_ERR_STORE
                                                                                 : MODLOAD_OK;
}

uint32_t modslot_seq(const modslot *ms)
{
    return ms->seq;
}

static const char *const messages[MODSLOT_ERR_END - MODSLOT_ERR_STORE] = {
    "the slot store's read, write or erase failed",
    "the slot store is too small, or its record has another layout",
    "the image does not fit in a slot",
    "another update is in progress",
    "no update is in progress",
    "every module entry of the slot record is in use",
    "no module name, or one longer than MODSLOT_NAME_SIZE - 1",
    "the update wrote no byte",
};

const char *modslot_strerror(int err)
{
    if (err >= MODSLOT_ERR_STORE && err < MODSLOT_ERR_END)
        return messages[err - MODSLOT_ERR_STORE];
    return modreg_strerror(err);
}
