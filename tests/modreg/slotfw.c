/* slotfw.c - Cortex-M firmware for slot.powercut.*.arm: the slot library on
 * a RAM-backed store with flash semantics, power cuts at every unit of an
 * update (slotcut.c, the same scenarios as the host test), run under
 * qemu-system-arm with counter modules built for the CPU.
 *
 *   slotfw COUNTER1.mod COUNTER2.mod COUNTER3.mod
 *
 * Exit status 0 only when every check passed.
 */
#include <stdint.h>

#include "fwutil.h"
#include "modreg_test.h"
#include "slotcut.h"

void fw_note(int what) { (void)what; }

static modload_symbol fw_syms[] = {{0, "fw_note", (modload_addr)(uintptr_t)fw_note}};

#define STORE_SIZE (8u * 1024u)
static uint8_t images[3][2048] __attribute__((aligned(8)));
static uint8_t mem[STORE_SIZE], snap[STORE_SIZE];
static uint8_t pool[8192] __attribute__((aligned(8)));
static slotcut cut;

static void on_fail(void *ctx, const char *what, uint32_t pos, int got, int want)
{
    (void)ctx;
    fw_check(0, "%s: cut at unit %u: got %d, want %d", what, (unsigned)pos, got, want);
}

static void scenario(const char *what, const cut_image *base, uint32_t nbase, const cut_image *to)
{
    uint32_t positions = cut.positions, olds = cut.old_boots, news = cut.new_boots, nones = cut.none_boots;
    uint32_t units = slotcut_run(&cut, base, nbase, to);
    fw_printf("%s: %u units, %u cut positions + the uncut run: %u booted the old version, %u the new, %u none\n",
              what, (unsigned)units, (unsigned)(cut.positions - positions - 1), (unsigned)(cut.old_boots - olds),
              (unsigned)(cut.new_boots - news), (unsigned)(cut.none_boots - nones));
    fw_check(units > to->len, "%s: the update took more units than its image has bytes", what);
    fw_check(cut.positions - positions == units + 1, "%s: every position tried", what);
    fw_check(cut.new_boots - news == 1, "%s: only the uncut update boots the new version", what);
    fw_check((nbase ? cut.old_boots - olds : cut.none_boots - nones) == units,
             "%s: every cut boots the old version (or none before a first install)", what);
}

int main(void)
{
    char *argv[5];
    int argc = fw_args(argv, 5), i;
    int32_t lens[3];
    cut_image im[3];

    fw_printf("slotfw on " FW_BOARD "\n");
    if (argc != 4) {
        fw_printf("FAIL: usage: slotfw COUNTER1.mod COUNTER2.mod COUNTER3.mod\n");
        return 1;
    }
    for (i = 0; i < 3; i++) {
        if ((lens[i] = fw_read_file(argv[i + 1], images[i], sizeof images[i])) < 0) {
            fw_printf("FAIL: cannot read %s\n", argv[i + 1]);
            return 1;
        }
        im[i].p = images[i];
        im[i].len = (uint32_t)lens[i];
        im[i].version = i + 1;
    }
    fw_symtab_init(fw_syms, 1);
    cut.mem = mem;
    cut.snap = snap;
    cut.size = STORE_SIZE;
    cut.erase_size = 256;
    cut.nmodules = 2;
    cut.pool = pool;
    cut.pool_size = sizeof pool;
    cut.env.syms = fw_syms;
    cut.env.nsyms = 1;
    cut.fail = on_fail;

    scenario("first install", 0, 0, &im[0]);
    scenario("update 1 -> 2", &im[0], 1, &im[1]);
    scenario("update 2 -> 3 over the slot of 1", &im[0], 2, &im[2]);
    fw_check(cut.failed_checks == 0, "%u failed checks in the scenarios", (unsigned)cut.failed_checks);

    fw_printf("%u checks, %u failures\n", fw_checks, fw_failures);
    if (fw_failures)
        fw_printf("FAIL\n");
    return fw_failures ? 1 : 0;
}
