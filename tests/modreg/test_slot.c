/* test_slot.c - the slot library (src/modload/modslot.c) with real x86-64
 * counter modules on a RAM store with flash semantics: power cuts at every
 * unit of an update (slotcut.c), the record's bytes as
 * formats/slot-store.md lays them out (read here with zlib's crc32, not
 * modload's), refusals that keep the old version serving and committed,
 * a failed init rolled back, the boot falling back to the other slot, a
 * torn record, removal, layouts, and 200 alternating updates. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#include <cmocka.h>

#include "host_test.h"
#include "slotcut.h"

void fw_note(int what) { (void)what; }

/* The images, read with SLACK bytes to spare after each, room to make one longer. */
#define SLACK 4096u
static image c1, c2, c3, cfail, failinit, mathlib, user;

#define STORE_SIZE (16u * 1024u)
#define ERASE 512u
#define POOL_SIZE (64u * 1024u)

static uint8_t mem[STORE_SIZE], snap[STORE_SIZE];
static uint8_t *pool;
static modload_symbol fw_syms[1];
static slotcut cut;

static void on_fail(void *ctx, const char *what, uint32_t pos, int got, int want)
{
    (void)ctx;
    print_error("%s: cut at unit %u: got %d, want %d\n", what, pos, got, want);
}

static int setup(void **state)
{
    (void)state;
    memset(&cut, 0, sizeof cut);
    cut.mem = mem;
    cut.snap = snap;
    cut.size = STORE_SIZE;
    cut.erase_size = ERASE;
    cut.nmodules = 2;
    cut.pool = pool;
    cut.pool_size = POOL_SIZE;
    cut.env.syms = fw_syms;
    cut.env.nsyms = 1;
    cut.fail = on_fail;
    ramstore_init(&cut.rs, &cut.st, mem, STORE_SIZE, ERASE);
    modreg_init(&cut.reg, cut.slots, 4, pool, POOL_SIZE, &cut.env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    modreg_unload_all(&cut.reg);
    return 0;
}

static cut_image ci(const image *im, int version)
{
    cut_image c = {im->p, im->len, version};
    return c;
}

static void reboot(uint32_t want_failed)
{
    uint32_t failed;
    assert_int_equal(slotcut_boot(&cut, &failed), MODLOAD_OK);
    assert_int_equal(failed, want_failed);
}

static void install(const image *im, int want)
{
    int rc = modslot_install(&cut.ms, "counter", im->p, im->len, NULL, NULL);
    if (rc != want)
        fail_msg("install: %d (%s), want %d (%s)", rc, modslot_strerror(rc), want, modslot_strerror(want));
}

/* ---- power cuts ------------------------------------------------------------------- */

static void report(const char *what, uint32_t units)
{
    printf("slot.powercut %s: %u units, %u cut positions + the uncut run: %u booted the old version, "
           "%u the new, %u none (first install)\n",
           what, units, cut.positions - 1, cut.old_boots, cut.new_boots, cut.none_boots);
}

static void powercut_first_install(void **state)
{
    (void)state;
    cut_image to = ci(&c1, 1);
    uint32_t units = slotcut_run(&cut, NULL, 0, &to);
    report("first install", units);
    assert_int_equal(cut.failed_checks, 0);
    assert_true(units > c1.len);
    assert_int_equal(cut.positions, units + 1);
    assert_int_equal(cut.new_boots, 1);
    assert_int_equal(cut.none_boots, units);
}

static void powercut_update(void **state)
{
    (void)state;
    cut_image base = ci(&c1, 1), to = ci(&c2, 2);
    uint32_t units = slotcut_run(&cut, &base, 1, &to);
    report("update 1 -> 2", units);
    assert_int_equal(cut.failed_checks, 0);
    assert_true(units > c2.len);
    assert_int_equal(cut.old_boots, units);
    assert_int_equal(cut.new_boots, 1);
    assert_int_equal(cut.none_boots, 0);
}

/* Version 3 goes to the slot that holds version 1, the fallback. */
static void powercut_over_fallback(void **state)
{
    (void)state;
    cut_image base[2] = {ci(&c1, 1), ci(&c2, 2)}, to = ci(&c3, 3);
    uint32_t units = slotcut_run(&cut, base, 2, &to);
    report("update 2 -> 3 over the slot of 1", units);
    assert_int_equal(cut.failed_checks, 0);
    assert_int_equal(cut.old_boots, units);
    assert_int_equal(cut.new_boots, 1);
    assert_int_equal(cut.none_boots, 0);
}

/* ---- the record, as formats/slot-store.md lays it out -------------------------------- */

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

typedef struct rec {
    uint32_t seq, n, slot_size;
    char name[24];
    uint32_t active, len[2], crc[2];
} rec;

/* Copy `copy` if valid (1), else 0. Record area: 512 bytes (one erase block). */
static int read_rec(int copy, rec *r)
{
    const uint8_t *b = mem + copy * 512;
    if (le32(b) != 0x544C534Du || (b[4] | b[5] << 8) != 1)
        return 0;
    r->n = b[6] | b[7] << 8;
    uint32_t end = 16 + 44 * r->n;
    if ((uint32_t)crc32(0, b + 4, end - 4) != le32(b + end))
        return 0;
    r->seq = le32(b + 8);
    r->slot_size = le32(b + 12);
    memcpy(r->name, b + 16, 24);
    r->active = b[16 + 24];
    for (int s = 0; s < 2; s++) {
        r->len[s] = le32(b + 16 + 28 + 4 * s);
        r->crc[s] = le32(b + 16 + 36 + 4 * s);
    }
    return 1;
}

static void record_layout(void **state)
{
    (void)state;
    rec r;
    uint32_t slot_size = ((STORE_SIZE - 2 * 512) / 4) & ~(ERASE - 1);

    reboot(0);
    assert_int_equal(modslot_slot_size(&cut.ms), slot_size);
    assert_int_equal(modslot_seq(&cut.ms), 0);
    install(&c1, MODLOAD_OK);
    assert_true(read_rec(0, &r));
    assert_false(read_rec(1, &r) && r.seq);
    read_rec(0, &r);
    assert_int_equal(r.seq, 1);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.slot_size, slot_size);
    assert_string_equal(r.name, "counter");
    assert_int_equal(r.active, 0);
    assert_int_equal(r.len[0], c1.len);
    assert_int_equal(r.crc[0], (uint32_t)crc32(0, c1.p, c1.len));
    assert_int_equal(r.len[1], 0);
    /* slot 0 of entry 0 follows the two record copies */
    assert_memory_equal(mem + 1024, c1.p, c1.len);

    install(&c2, MODLOAD_OK);
    assert_true(read_rec(1, &r));
    assert_int_equal(r.seq, 2);
    assert_int_equal(r.active, 1);
    assert_int_equal(r.len[0], c1.len); /* the previous version, kept */
    assert_int_equal(r.len[1], c2.len);
    assert_int_equal(r.crc[1], (uint32_t)crc32(0, c2.p, c2.len));
    assert_memory_equal(mem + 1024 + slot_size, c2.p, c2.len);
    /* the entry after: free, all zero but its active byte */
    const uint8_t *e1 = mem + 512 + 16 + 44;
    for (int i = 0; i < 44; i++)
        assert_int_equal(e1[i], i == 24 ? 0xFF : 0);

    install(&c3, MODLOAD_OK);
    assert_true(read_rec(0, &r));
    assert_int_equal(r.seq, 3);
    assert_int_equal(r.active, 0);
    assert_int_equal(cut.rs.rewrites, 0);
}

/* ---- refusals and rollback ------------------------------------------------------------ */

static int refuse_unsigned(void *ctx, const modload_signature *s)
{
    (void)ctx;
    (void)s;
    return -1;
}

/* Every refusal leaves version 1 serving, the record as it was, and the
 * store booting version 1. */
static void refusals(void **state)
{
    (void)state;
    modslot_entry was;
    uint32_t seq;
    int rc;

    reboot(0);
    install(&c1, MODLOAD_OK);
    seq = modslot_seq(&cut.ms);
    was = *modslot_find(&cut.ms, "counter");

    install(&(image){c2.p, c2.len - 10}, MODLOAD_ERR_TRUNCATED);
    c2.p[c2.len / 2] ^= 0x10;
    install(&c2, MODLOAD_ERR_CRC);
    c2.p[c2.len / 2] ^= 0x10;
    install(&cfail, MODREG_ERR_INIT);           /* rolled back by the registry */
    install(&failinit, MODREG_ERR_MISMATCH);    /* another module's image */
    image big = {c2.p, modslot_slot_size(&cut.ms) + 1};
    install(&big, MODSLOT_ERR_SIZE);
    install(&(image){c2.p, 0}, MODSLOT_ERR_EMPTY);
    assert_int_equal(modslot_install(&cut.ms, "a_name_of_twenty_four_ch", c2.p, c2.len, NULL, NULL),
                     MODSLOT_ERR_NAME);
    assert_int_equal(modslot_update_begin(&cut.ms, "counter"), MODLOAD_OK);
    assert_int_equal(modslot_update_begin(&cut.ms, "counter"), MODSLOT_ERR_BUSY);
    assert_int_equal(modslot_update_write(&cut.ms, c2.p, 100), MODLOAD_OK);
    modslot_update_abort(&cut.ms);
    assert_int_equal(modslot_update_finish(&cut.ms, NULL, NULL), MODSLOT_ERR_IDLE);
    assert_int_equal(modslot_update_write(&cut.ms, c2.p, 1), MODSLOT_ERR_IDLE);

    assert_int_equal(slotcut_version(&cut), 1);
    assert_int_equal(modslot_seq(&cut.ms), seq);
    assert_memory_equal(modslot_find(&cut.ms, "counter"), &was, sizeof was);

    /* a signing policy that takes nothing: refused, still version 1 */
    modload_policy pol = {refuse_unsigned, NULL, 0};
    cut.env.policy = &pol;
    reboot(1); /* version 1 is unsigned too: it no longer boots */
    const modslot_entry *en = modslot_find(&cut.ms, "counter");
    assert_int_equal(en->boot_rc, MODLOAD_ERR_UNSIGNED);
    assert_int_equal(en->booted, MODSLOT_NONE);
    assert_int_equal(slotcut_version(&cut), 0);
    rc = modslot_install(&cut.ms, "counter", c2.p, c2.len, NULL, NULL);
    assert_int_equal(rc, MODLOAD_ERR_UNSIGNED);
    cut.env.policy = NULL;
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 1);
    assert_int_equal(modslot_seq(&cut.ms), seq);
    assert_int_equal(cut.rs.rewrites, 0);
}

/* The committed slot torn (a byte changed behind the library's back): the
 * boot falls back to the other slot, and the next update never writes
 * the slot the module runs from. */
static void boot_fallback(void **state)
{
    (void)state;
    reboot(0);
    install(&c1, MODLOAD_OK);
    install(&c2, MODLOAD_OK);
    uint32_t slot1 = 1024 + modslot_slot_size(&cut.ms);
    mem[slot1 + 100] ^= 0x01;
    reboot(0);
    const modslot_entry *en = modslot_find(&cut.ms, "counter");
    assert_int_equal(en->active, 1);
    assert_int_equal(en->booted, 0);
    assert_int_equal(en->boot_rc, MODLOAD_ERR_CRC);
    assert_int_equal(slotcut_version(&cut), 1);

    /* slot 1 is rewritten; slot 0 (version 1) stays as it is */
    uint8_t keep[4096];
    memcpy(keep, mem + 1024, c1.len);
    cut.rs.budget = (int32_t)c3.len / 2; /* and cut half way */
    install(&c3, MODSLOT_ERR_STORE);
    assert_memory_equal(mem + 1024, keep, c1.len);
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 1);
    install(&c3, MODLOAD_OK);
    assert_int_equal(modslot_find(&cut.ms, "counter")->active, 1);
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 3);
}

/* A record copy damaged: the other one is in force. */
static void torn_record(void **state)
{
    (void)state;
    reboot(0);
    install(&c1, MODLOAD_OK);
    install(&c2, MODLOAD_OK);             /* seq 2 in copy 1 */
    mem[512 + 20] ^= 0x40;
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 1);
    assert_int_equal(slotcut_version(&cut), 1);
    install(&c3, MODLOAD_OK);             /* seq 2 again, written to copy 1 */
    assert_int_equal(modslot_seq(&cut.ms), 2);
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 3);
    assert_int_equal(cut.rs.rewrites, 0);
}

/* Sequence numbers wrap: the record after 0xFFFFFFFF is 0, and the one
 * after that still goes to the other copy (a cut while writing it leaves
 * the record with sequence number 0 in force). */
static void set_seq(int copy, uint32_t seq)
{
    uint8_t *b = mem + copy * 512;
    put_le32(b + 8, seq);
    put_le32(b + 16 + 88, (uint32_t)crc32(0, b + 4, 16 + 88 - 4));
}

static void sequence_wrap(void **state)
{
    (void)state;
    reboot(0);
    install(&c1, MODLOAD_OK);             /* copy 0 */
    install(&c2, MODLOAD_OK);             /* copy 1 */
    set_seq(0, 0xFFFFFFFEu);
    set_seq(1, 0xFFFFFFFFu);
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 0xFFFFFFFFu);
    install(&c3, MODLOAD_OK);             /* copy 0, sequence number 0 */
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 0);
    assert_int_equal(slotcut_version(&cut), 3);
    cut.rs.budget = (int32_t)c1.len + 8;  /* cut inside the next commit */
    install(&c1, MODSLOT_ERR_STORE);
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 0);
    assert_int_equal(slotcut_version(&cut), 3);
    install(&c1, MODLOAD_OK);
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 1);
    assert_int_equal(slotcut_version(&cut), 1);
}

static void remove_and_layout(void **state)
{
    (void)state;
    reboot(0);
    install(&c1, MODLOAD_OK);
    assert_int_equal(modslot_remove(&cut.ms, "nosuch"), MODREG_ERR_NO_MODULE);
    assert_int_equal(modslot_remove(&cut.ms, "counter"), MODLOAD_OK);
    assert_int_equal(slotcut_version(&cut), 0);
    assert_null(modslot_find(&cut.ms, "counter"));
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 0);
    assert_int_equal(modslot_seq(&cut.ms), 2);
    uint32_t pos = 0;
    assert_null(modslot_next(&cut.ms, &pos));

    /* another layout over the same store: refused, nothing written */
    install(&c1, MODLOAD_OK);
    memcpy(snap, mem, STORE_SIZE);
    modslot other;
    assert_int_equal(modslot_open(&other, &cut.st, &cut.reg, 3), MODSLOT_ERR_LAYOUT);
    modslot_store small = cut.st;
    small.size = 2048;
    assert_int_equal(modslot_open(&other, &small, &cut.reg, 2), MODSLOT_ERR_LAYOUT);
    small.size = STORE_SIZE;
    small.erase_size = 384;
    assert_int_equal(modslot_open(&other, &small, &cut.reg, 2), MODSLOT_ERR_LAYOUT);
    assert_memory_equal(snap, mem, STORE_SIZE);
    /* a new module whose init fails is not recorded */
    assert_int_equal(modslot_install(&cut.ms, "failinit", failinit.p, failinit.len, NULL, NULL),
                     MODREG_ERR_INIT);
    assert_null(modslot_find(&cut.ms, "failinit"));
    /* two modules, each in its own slots; a third does not fit the table */
    assert_int_equal(modslot_install(&cut.ms, "mathlib", mathlib.p, mathlib.len, NULL, NULL), MODLOAD_OK);
    assert_int_equal(modslot_install(&cut.ms, "user", user.p, user.len, NULL, NULL), MODSLOT_ERR_TABLE);
    assert_memory_equal(mem + 1024 + 2 * modslot_slot_size(&cut.ms), mathlib.p, mathlib.len);
    reboot(0);
    assert_int_equal(slotcut_version(&cut), 1);
    modload_addr a;
    assert_int_equal(modreg_sym(&cut.reg, "mathlib", "math_mul", &a), MODLOAD_OK);
    assert_int_equal(((int (*)(int, int))(uintptr_t)a)(6, 7), 42);
}

/* An entry freed and taken again: user (which imports from mathlib) comes
 * before mathlib in the record, and still boots. */
static void boot_order(void **state)
{
    (void)state;
    cut.nmodules = 3;
    reboot(0);
    install(&c1, MODLOAD_OK);                                    /* entry 0 */
    assert_int_equal(modslot_install(&cut.ms, "mathlib", mathlib.p, mathlib.len, NULL, NULL), MODLOAD_OK);
    assert_int_equal(modslot_remove(&cut.ms, "counter"), MODLOAD_OK);
    assert_int_equal(modslot_install(&cut.ms, "user", user.p, user.len, NULL, NULL), MODLOAD_OK);
    uint32_t pos = 0;
    assert_string_equal(modslot_next(&cut.ms, &pos)->name, "user");  /* entry 0 now */
    reboot(0);
    modload_addr a;
    assert_int_equal(modreg_sym(&cut.reg, "user", "user_calc", &a), MODLOAD_OK);
    assert_int_equal(((int (*)(int))(uintptr_t)a)(5), 26);     /* through mathlib's math_mul */
    assert_int_equal(modslot_find(&cut.ms, "user")->boot_rc, 0);
    /* mathlib cannot go while user imports from it */
    assert_int_equal(modslot_remove(&cut.ms, "mathlib"), MODREG_ERR_IN_USE);
    assert_non_null(modslot_find(&cut.ms, "mathlib"));
}

/* A record with a right CRC and wrong contents (a store written by
 * something else): lengths past the slot, a committed slot 7, a name
 * without its NUL, a second entry of the same name. Nothing is read
 * outside the store, nothing boots that the record does not vouch for. */
static void hostile_record(void **state)
{
    (void)state;
    reboot(0);
    install(&c1, MODLOAD_OK);
    uint8_t *b = mem; /* copy 0, seq 1, in force */
    uint8_t *e0 = b + 16, *e1 = b + 16 + 44;
    const uint32_t lens[] = {0xFFFFFFFFu, modslot_slot_size(&cut.ms) + 1, c1.len};
    for (unsigned k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        put_le32(e0 + 28, lens[k]);
        memcpy(e1, e0, 44);                   /* the same name twice */
        e1[24] = 7;                           /* no such slot */
        memset(e1, 'x', 24);                  /* ... and a name without its NUL */
        put_le32(b + 16 + 88, (uint32_t)crc32(0, b + 4, 16 + 88 - 4));
        uint32_t failed;
        assert_int_equal(slotcut_boot(&cut, &failed), MODLOAD_OK);
        int v = slotcut_version(&cut);
        assert_int_equal(v, lens[k] == c1.len ? 1 : 0);  /* only a length the slot holds loads */
        assert_int_equal(failed, lens[k] == c1.len ? 0 : 1);
        assert_null(modslot_find(&cut.ms, "xxxxxxxxxxxxxxxxxxxxxxxx"));
    }
    /* a record claiming more entries than its area holds: not valid */
    b[6] = 200;
    put_le32(b + 16 + 88, (uint32_t)crc32(0, b + 4, 16 + 88 - 4));
    reboot(0);
    assert_int_equal(modslot_seq(&cut.ms), 0);
}

/* 200 updates alternating versions 1 and 2, the count carried; the
 * registry's memory is back to where it started. */
static void alternating(void **state)
{
    (void)state;
    int carried = 0, expect = 0;
    modreg_hooks hooks = {save_count, restore_count, &carried};
    modreg_stats start, now;

    reboot(0);
    modreg_stats_get(&cut.reg, &start);
    for (int i = 0; i < 200; i++) {
        const image *im = i % 2 ? &c2 : &c1;
        assert_int_equal(modslot_install(&cut.ms, "counter", im->p, im->len, &hooks, NULL), MODLOAD_OK);
        int v = slotcut_version(&cut);
        assert_int_equal(v, i % 2 ? 2 : 1);
        expect += i % 2 ? 10 : 1;
        modload_addr a;
        assert_int_equal(modreg_sym(&cut.reg, "counter", "counter_get", &a), MODLOAD_OK);
        assert_int_equal(((int (*)(void))(uintptr_t)a)(), expect);
    }
    assert_int_equal(modslot_seq(&cut.ms), 200);
    assert_int_equal(modslot_remove(&cut.ms, "counter"), MODLOAD_OK);
    modreg_stats_get(&cut.reg, &now);
    assert_int_equal(now.pool_used, start.pool_used);
    assert_int_equal(now.largest_free, start.largest_free);
    assert_int_equal(now.modules, 0);
    assert_int_equal(cut.rs.rewrites, 0);
}

int main(void)
{
    fw_note_symbol(&fw_syms[0]);
    pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED)
        return 1;
    c1 = load_file("counter1", SLACK);
    c2 = load_file("counter2", SLACK);
    c3 = load_file("counter3", SLACK);
    cfail = load_file("counter4fail", SLACK);
    failinit = load_file("failinit", SLACK);
    mathlib = load_file("mathlib", SLACK);
    user = load_file("user", SLACK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(record_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(boot_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_record, setup, teardown),
        cmocka_unit_test_setup_teardown(sequence_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_and_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(boot_order, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_record, setup, teardown),
        cmocka_unit_test_setup_teardown(alternating, setup, teardown),
        cmocka_unit_test_setup_teardown(powercut_first_install, setup, teardown),
        cmocka_unit_test_setup_teardown(powercut_update, setup, teardown),
        cmocka_unit_test_setup_teardown(powercut_over_fallback, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(c1.p);
    free(c2.p);
    free(c3.p);
    free(cfail.p);
    free(failinit.p);
    free(mathlib.p);
    free(user.p);
    munmap(pool, POOL_SIZE);
    return rc;
}
