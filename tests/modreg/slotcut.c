/* slotcut.c - the power-cut test of the slot library (see slotcut.h). */
#include "slotcut.h"
#include "modreg_test.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/* ---- the RAM store ---------------------------------------------------------- */

static int rs_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    ramstore *rs = (ramstore *)ctx;
    if (off > rs->size || len > rs->size - off)
        return -1;
    memcpy(buf, rs->mem + off, len);
    return 0;
}

/* One more unit may be done: 1, or 0 when the cut comes now (freezing). */
static int unit(ramstore *rs)
{
    if (rs->frozen)
        return 0;
    if (rs->budget == 0) {
        rs->frozen = 1;
        return 0;
    }
    if (rs->budget > 0)
        rs->budget--;
    rs->units++;
    return 1;
}

static int rs_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    ramstore *rs = (ramstore *)ctx;
    const uint8_t *b = (const uint8_t *)buf;
    uint32_t i;

    if (off > rs->size || len > rs->size - off)
        return -1;
    for (i = 0; i < len; i++) {
        if (rs->frozen)
            return -1;
        if (!unit(rs)) {
            rs->mem[off + i] &= (uint8_t)(b[i] | 0xF0u); /* half programmed */
            return -1;
        }
        if (rs->mem[off + i] != 0xFF)
            rs->rewrites++;
        rs->mem[off + i] &= b[i]; /* flash: programming only clears bits */
    }
    return 0;
}

static int rs_erase(void *ctx, uint32_t off, uint32_t len)
{
    ramstore *rs = (ramstore *)ctx;
    uint32_t at;

    if (off > rs->size || len > rs->size - off || off % rs->erase_size || len % rs->erase_size) {
        rs->rewrites++; /* not whole blocks: a misuse, counted with the rewrites */
        return -1;
    }
    for (at = off; at < off + len; at += rs->erase_size) {
        if (rs->frozen)
            return -1;
        if (!unit(rs)) {
            memset(rs->mem + at, 0xFF, rs->erase_size / 2u); /* half erased */
            return -1;
        }
        memset(rs->mem + at, 0xFF, rs->erase_size);
    }
    return 0;
}

void ramstore_init(ramstore *rs, modslot_store *st, uint8_t *mem, uint32_t size, uint32_t erase_size)
{
    memset(rs, 0, sizeof *rs);
    rs->mem = mem;
    rs->size = size;
    rs->erase_size = erase_size;
    rs->budget = -1;
    memset(mem, 0xFF, size);
    memset(st, 0, sizeof *st);
    st->read = rs_read;
    st->write = rs_write;
    st->erase = rs_erase;
    st->ctx = rs;
    st->erase_size = erase_size;
    st->size = size;
}

/* ---- the counter module --------------------------------------------------------- */

static int sym(slotcut *c, const char *name, modload_addr *a)
{
    return modreg_sym(&c->reg, "counter", name, a);
}

int slotcut_version(slotcut *c)
{
    modload_addr ver, get, next;
    int v, before, after;

    if (sym(c, "counter_version", &ver) == MODREG_ERR_NO_MODULE)
        return 0;
    if (sym(c, "counter_version", &ver) || sym(c, "counter_get", &get) || sym(c, "counter_next", &next))
        return -1;
    v = ((int (*)(void))(uintptr_t)ver)();
    before = ((int (*)(void))(uintptr_t)get)();
    after = ((int (*)(void))(uintptr_t)next)();
    if (v < 1 || after - before != (v == 1 ? 1 : v == 2 ? 10 : 100))
        return -1;
    return v;
}

static int count(slotcut *c)
{
    modload_addr get;
    if (sym(c, "counter_get", &get))
        return -1;
    return ((int (*)(void))(uintptr_t)get)();
}

/* The reload hooks carry the count. */
static int save_count(void *ctx, const modload_module *old_mod)
{
    modload_addr a;
    if (modload_find(old_mod, "counter_get", &a) != MODLOAD_OK)
        return 1;
    ((slotcut *)ctx)->carried = ((int (*)(void))(uintptr_t)a)();
    return 0;
}

static int restore_count(void *ctx, const modload_module *new_mod)
{
    modload_addr a;
    if (modload_find(new_mod, "counter_set", &a) != MODLOAD_OK)
        return 1;
    ((void (*)(int))(uintptr_t)a)(((slotcut *)ctx)->carried);
    return 0;
}

/* ---- the test -------------------------------------------------------------------- */

static void check(slotcut *c, int ok, const char *what, uint32_t pos, int got, int want)
{
    if (!ok) {
        c->failed_checks++;
        c->fail(c->ctx, what, pos, got, want);
    }
}

int slotcut_boot(slotcut *c, uint32_t *failed)
{
    int rc;
    modreg_unload_all(&c->reg);
    modreg_init(&c->reg, c->slots, 4, c->pool, c->pool_size, &c->env);
    c->rs.frozen = 0; /* the power is back */
    c->rs.budget = -1;
    *failed = 0;
    if ((rc = modslot_open(&c->ms, &c->st, &c->reg, c->nmodules)) == MODLOAD_OK)
        *failed = modslot_boot(&c->ms);
    return rc;
}

uint32_t slotcut_run(slotcut *c, const cut_image *base, uint32_t nbase, const cut_image *to)
{
    modreg_hooks hooks = {save_count, restore_count, c};
    uint32_t i, k, total = 0, failed;
    int from = nbase ? base[nbase - 1].version : 0, rc, v, before, cut, want;

    /* The store before the update. */
    ramstore_init(&c->rs, &c->st, c->mem, c->size, c->erase_size);
    check(c, slotcut_boot(c, &failed) == MODLOAD_OK, "open a blank store", 0, 0, 0);
    for (i = 0; i < nbase; i++) {
        rc = modslot_install(&c->ms, "counter", base[i].p, base[i].len, &hooks, 0);
        check(c, rc == MODLOAD_OK, "install a base version", i, rc, 0);
    }
    memcpy(c->snap, c->mem, c->size);

    for (k = 0;; k++) {
        memcpy(c->mem, c->snap, c->size);
        rc = slotcut_boot(c, &failed);
        check(c, rc == MODLOAD_OK && failed == 0, "boot before the update", k, rc, 0);
        v = slotcut_version(c);
        check(c, v == from, "version before the update", k, v, from);
        if (v > 0) {
            slotcut_version(c); /* a count the update must carry */
            before = count(c);
        } else {
            before = 0;
        }
        c->rs.units = 0;
        c->rs.budget = (int32_t)k;
        rc = modslot_install(&c->ms, "counter", to->p, to->len, &hooks, 0);
        cut = c->rs.frozen;
        want = cut ? from : to->version;
        if (!cut) /* no cut: the whole update */
            total = c->rs.units;
        check(c, (rc == MODLOAD_OK) == !cut, "the update succeeds exactly when it is not cut", k, rc,
              cut ? MODSLOT_ERR_STORE : MODLOAD_OK);
        v = slotcut_version(c);
        check(c, v == want, "the version running after the update", k, v, want);
        if (v > 0)
            check(c, count(c) == before + (v == 1 ? 1 : v == 2 ? 10 : 100), "the count carried", k,
                  count(c), before);

        /* The power cut, and the reboot. */
        rc = slotcut_boot(c, &failed);
        check(c, rc == MODLOAD_OK, "open after the cut", k, rc, 0);
        check(c, failed == 0, "no module fails to boot after the cut", k, (int)failed, 0);
        v = slotcut_version(c);
        check(c, v == want, "the version booted after the cut is the one that ran", k, v, want);
        c->positions++;
        if (v == to->version)
            c->new_boots++;
        else if (v > 0)
            c->old_boots++;
        else
            c->none_boots++;
        if (total)
            break;
    }
    check(c, c->rs.rewrites == 0, "no byte written twice without an erase", k, (int)c->rs.rewrites, 0);
    modreg_unload_all(&c->reg);
    return total;
}
