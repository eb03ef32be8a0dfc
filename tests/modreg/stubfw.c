/* stubfw.c - Cortex-M firmware for modreg.cortexm.*.arm: the registry and the
 * Thumb stubs of `modpack stubs` on the target (built for Cortex-M0, so the
 * stubs must be ARMv6-M code, and for Cortex-M4), under qemu-system-arm.
 *
 *   stubfw COUNTER1.mod COUNTER2.mod COUNTER3.mod
 *
 * Calls counter_next() & co. by their names through counter_stubs.c,
 * hot-reloads version 2 with the count carried by hooks, refuses version 3
 * (it lacks a stubbed function), checks that an unbound stub traps, and
 * that the pool is empty at the end. Exit status 0 only when every check
 * passed.
 */
#include <stdint.h>

#include "counter_stubs.h"
#include "fwutil.h"
#include "modreg.h"
#include "modreg_test.h"

static int notes[16];
static unsigned nnotes;

void fw_note(int what)
{
    if (nnotes < sizeof notes / sizeof notes[0])
        notes[nnotes++] = what;
}

static modload_symbol fw_syms[] = {{0, "fw_note", (modload_addr)(uintptr_t)fw_note}};

static uint8_t images[3][4096] __attribute__((aligned(8)));
static int32_t lens[3];
static uint8_t pool[8192] __attribute__((aligned(8)));
static modreg_slot slots[2];
static modreg reg;

/* The trap cannot return: it goes back to the setjmp point. */
static void *trap_buf[5];
static const modreg_stubs *trapped;

static void on_unbound(const modreg_stubs *s)
{
    trapped = s;
    __builtin_longjmp(trap_buf, 1);
}

static __attribute__((noinline)) int traps(void)
{
    trapped = 0;
    if (__builtin_setjmp(trap_buf))
        return trapped == &counter_stubs;
    (void)counter_next();
    return 0;
}

static int save_state(void *ctx, const modload_module *old_mod)
{
    modload_addr a;
    if (modload_find(old_mod, "counter_get", &a) != MODLOAD_OK)
        return 1;
    *(int *)ctx = FW_FUNC(int (*)(void), a)();
    return 0;
}

static int restore_state(void *ctx, const modload_module *new_mod)
{
    modload_addr a;
    if (modload_find(new_mod, "counter_set", &a) != MODLOAD_OK)
        return 1;
    FW_FUNC(void (*)(int), a)(*(int *)ctx);
    return 0;
}

static void check_rc(const char *what, int rc, int want)
{
    fw_check(rc == want, "%s: %d (%s), expected %d (%s)", what, rc, modreg_strerror(rc), want,
             modreg_strerror(want));
}

int main(void)
{
    char *argv[5];
    int argc = fw_args(argv, 5), saved = 0, i;
    modload_env env = {0};
    modreg_hooks hooks = {save_state, restore_state, &saved};
    modreg_source src = {0};
    modreg_stats st;

    fw_printf("stubfw on " FW_BOARD "\n");
    if (argc != 4) {
        fw_printf("FAIL: usage: stubfw COUNTER1.mod COUNTER2.mod COUNTER3.mod\n");
        return 1;
    }
    for (i = 0; i < 3; i++)
        if ((lens[i] = fw_read_file(argv[i + 1], images[i], sizeof images[i])) < 0) {
            fw_printf("FAIL: cannot read %s\n", argv[i + 1]);
            return 1;
        }
    fw_symtab_init(fw_syms, 1);
    env.syms = fw_syms;
    env.nsyms = 1;
    modreg_init(&reg, slots, 2, pool, sizeof pool, &env);
    counter_stubs.unbound = on_unbound;

    fw_check(traps(), "a stub before any bind traps");
    check_rc("load counter 1", modreg_load(&reg, images[0], (size_t)lens[0], 0), MODLOAD_OK);
    check_rc("bind", counter_bind(&reg), MODLOAD_OK);
    fw_check(counter_next() == 1 && counter_next() == 2, "version 1 counts by 1");
    fw_check(counter_version() == 1, "version 1");
    fw_check(counter_sum3(3, 40, 500) == 1543, "three arguments pass through the stub");

    src.image = images[1];
    src.len = (size_t)lens[1];
    check_rc("reload counter 2", modreg_reload(&reg, "counter", &src, &hooks, 0), MODLOAD_OK);
    fw_check(saved == 2, "the pre hook saw the count (%d)", saved);
    fw_check(counter_version() == 2, "the same call reaches version 2");
    fw_check(counter_next() == 12, "version 2 counts by 10 from the carried count");
    fw_check(counter_sum3(3, 40, 500) == 2543, "sum3 of version 2");

    images[0][lens[0] - 7] ^= 0x20;
    src.image = images[0];
    src.len = (size_t)lens[0];
    check_rc("reload a corrupt image", modreg_reload(&reg, "counter", &src, &hooks, 0), MODLOAD_ERR_CRC);
    src.image = images[2];
    src.len = (size_t)lens[2];
    check_rc("reload version 3 (no counter_sum3)", modreg_reload(&reg, "counter", &src, &hooks, 0),
             MODREG_ERR_STUB);
    fw_check(counter_next() == 22, "version 2 still serves");

    check_rc("unload", modreg_unload(&reg, "counter"), MODLOAD_OK);
    fw_check(traps(), "an unloaded module's stub traps");
    modreg_stats_get(&reg, &st);
    fw_check(st.pool_used == 0 && st.modules == 0 && st.largest_free == sizeof pool, "the pool is empty again");
    fw_check(nnotes == 6, "inits and exits: %u notes", nnotes);

    fw_printf("%u checks, %u failures\n", fw_checks, fw_failures);
    if (fw_failures)
        fw_printf("FAIL\n");
    return fw_failures ? 1 : 0;
}
