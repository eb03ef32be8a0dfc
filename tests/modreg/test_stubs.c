/* test_stubs.c - firmware code that calls a module's functions by their own
 * names (counter_next(), ... declared in modreg_test.h) through the stubs
 * `modpack stubs` generated from counter1.mod (counter_stubs.c), across
 * hot reloads; an unbound stub must trap. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "counter_stubs.h"
#include "modreg.h"
#include "host_test.h"

static int notes[32];
static unsigned nnotes;

void fw_note(int what)
{
    if (nnotes < sizeof notes / sizeof notes[0])
        notes[nnotes++] = what;
}

static modload_symbol fw_syms[1];
static modload_env fw_env;

/* The trap: what modreg_unbound calls for the table; it must not return. */
static jmp_buf trapped;
static const modreg_stubs *trap_table;

static void on_unbound(const modreg_stubs *s)
{
    trap_table = s;
    longjmp(trapped, 1);
}

/* Call counter_next() and report whether it trapped instead. */
static int next_or_trap(int *value)
{
    trap_table = NULL;
    if (setjmp(trapped))
        return 1;
    *value = counter_next();
    return 0;
}

static void calls_through_stubs(void **state)
{
    (void)state;
    enum { POOL = 32768 };
    uint8_t *pool = mmap(NULL, POOL, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(pool != MAP_FAILED);
    modreg_slot slots[3];
    modreg reg;
    modreg_init(&reg, slots, 3, pool, POOL, &fw_env);
    image c1 = load_file("counter1", 0), c2 = load_file("counter2", 0), c3 = load_file("counter3", 0);
    int v = 0, saved = 0;
    modreg_hooks hooks = {save_count, restore_count, &saved};

    counter_stubs.unbound = on_unbound;
    /* nothing loaded: the stub traps, naming its table */
    assert_int_equal(counter_bind(&reg), MODREG_ERR_NO_MODULE);
    assert_int_equal(next_or_trap(&v), 1);
    assert_ptr_equal(trap_table, &counter_stubs);

    /* bound: the same calls reach version 1, arguments and results intact */
    assert_int_equal(modreg_load(&reg, c1.p, c1.len, NULL), MODLOAD_OK);
    assert_int_equal(counter_bind(&reg), MODLOAD_OK);
    assert_int_equal(next_or_trap(&v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(counter_next(), 2);
    assert_int_equal(counter_version(), 1);
    assert_int_equal(counter_sum3(3, 40, 500), 1543);
    modload_addr a;
    assert_int_equal(modreg_sym(&reg, "counter", "counter_next", &a), MODLOAD_OK);
    assert_true(counter_table[1] == (uintptr_t)a); /* names are sorted: get, next, ... */
    assert_true((uintptr_t)counter_next != (uintptr_t)a); /* the stub, not the module */

    /* reload: the firmware's calls now reach version 2, with the count kept */
    modreg_source src = {.image = c2.p, .len = c2.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODLOAD_OK);
    assert_int_equal(saved, 2);
    assert_int_equal(counter_version(), 2);
    assert_int_equal(counter_next(), 12);
    assert_int_equal(counter_sum3(3, 40, 500), 2543);

    /* a failed reload (corrupt image) changes nothing */
    uint8_t *bad = malloc(c1.len);
    memcpy(bad, c1.p, c1.len);
    bad[c1.len - 9] ^= 0x10;
    src = (modreg_source){.image = bad, .len = c1.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODLOAD_ERR_CRC);
    free(bad);
    assert_int_equal(counter_next(), 22);

    /* version 3 lacks counter_sum3, which the table needs: refused */
    src = (modreg_source){.image = c3.p, .len = c3.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODREG_ERR_STUB);
    assert_int_equal(counter_version(), 2);
    assert_int_equal(counter_next(), 32);
    /* without the table it may come: the unbound table traps */
    modreg_unbind(&reg, &counter_stubs);
    assert_int_equal(next_or_trap(&v), 1);
    assert_int_equal(modreg_reload(&reg, "counter", &src, &hooks, NULL), MODLOAD_OK);
    assert_int_equal(modreg_sym(&reg, "counter", "counter_next", &a), MODLOAD_OK);
    assert_int_equal(((int (*)(void))(uintptr_t)a)(), 132);

    /* back to version 1, bound again; unload: the stubs trap */
    src = (modreg_source){.image = c1.p, .len = c1.len};
    assert_int_equal(modreg_reload(&reg, "counter", &src, NULL, NULL), MODLOAD_OK);
    assert_int_equal(counter_bind(&reg), MODLOAD_OK);
    assert_int_equal(counter_next(), 1);
    assert_int_equal(modreg_unload(&reg, "counter"), MODLOAD_OK);
    assert_int_equal(next_or_trap(&v), 1);
    assert_ptr_equal(trap_table, &counter_stubs);
    for (uint32_t i = 0; i < counter_stubs.n; i++)
        assert_true(counter_table[i] == counter_stubs.trap);

    modreg_stats st;
    modreg_stats_get(&reg, &st);
    assert_int_equal(st.pool_used, 0);
    free(c1.p);
    free(c2.p);
    free(c3.p);
    munmap(pool, POOL);
}

int main(void)
{
    fw_note_symbol(&fw_syms[0]);
    fw_env.syms = fw_syms;
    fw_env.nsyms = 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(calls_through_stubs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
