/* main.c - sample firmware that loads one modpack module, built by the
 * Cortex-M and the RISC-V harnesses:
 *
 *   qemu-system-arm -M mps2-an386 -nographic -kernel fw-an386.elf \
 *     -semihosting-config enable=on,target=native,arg=fw,arg=hello.mod
 *   qemu-system-riscv32 -M virt -bios none -nographic -kernel fw-virt32.elf \
 *     -semihosting-config enable=on,target=native,arg=fw,arg=hello.mod
 *
 * The steps every firmware takes:
 *   1. get the image bytes (here: a host file read through semihosting);
 *   2. modload_open: header, sizes, exports, metadata, CRC;
 *   3. find memory for it (here: a static pool) and modload_place_region;
 *   4. modload_load with a modload_env: a sorted export table (syms) and,
 *      for names not in it, a resolve callback; it checks each fixup and
 *      import as it applies them;
 *   5. run its constructors (modload_run_init: C++ global objects), call
 *      module_init (modload_entry), look up and call the module's exported
 *      functions (modload_find), call module_exit (modload_exit), then its
 *      destructors (modload_run_fini).
 *
 * The firmware API the sample modules (samples/hello/hello.c, and in C++
 * samples/hello-cxx/hello.cc) import:
 * fw_puts, fw_print_u32, fw_led (through the table), fw_board_name
 * (through the resolve callback). Exits 0 when every check passed.
 */
#include <stdint.h>

#include "fwutil.h"
#include "modload.h"
#include "semihost.h"

#ifndef FW_BOARD
#define FW_BOARD "unknown board" /* the build names it */
#endif

/* ---- the firmware API modules may import ------------------------------ */

void fw_puts(const char *s);
void fw_print_u32(const char *label, uint32_t v);
volatile uint32_t fw_led;
const char fw_board_name[] = FW_BOARD;

void fw_puts(const char *s)
{
    fw_printf("%s", s);
}

void fw_print_u32(const char *label, uint32_t v)
{
    fw_printf("%s: %u\n", label, (unsigned)v);
}

/* The export table: names and addresses here, hashes and order computed
 * at start-up by fw_symtab_init, so adding an entry needs no tool. */
#define SYM(name) { 0, #name, (modload_addr)(uintptr_t)&name }
static modload_symbol fw_syms[] = {
    SYM(fw_puts),
    SYM(fw_print_u32),
    SYM(fw_led),
};
#define NSYMS (sizeof fw_syms / sizeof fw_syms[0])

/* Names the table does not hold are asked of this callback (a firmware
 * might look them up in a second table, a ROM, or refuse them). */
static unsigned resolved;

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    if (hash == modload_hash("fw_board_name") &&
        (name[0] == '\0' || modload_hash(name) == hash)) {
        *addr = (modload_addr)(uintptr_t)fw_board_name;
        resolved++;
        return 0;
    }
    fw_printf("unresolved import %s (0x%08x)\n", name[0] ? name : "(stripped)", (unsigned)hash);
    return -1;
}

/* ---- loading ------------------------------------------------------------ */

static uint8_t image[64 * 1024] __attribute__((aligned(8)));
static uint8_t pool[64 * 1024] __attribute__((aligned(4096)));

int main(void)
{
    char *argv[4];
    int argc = fw_args(argv, 4);
    if (argc < 2) {
        fw_printf("usage: %s MODULE.mod\n", argc > 0 ? argv[0] : "fw");
        return 1;
    }
    int32_t len = fw_read_file(argv[1], image, sizeof image);
    if (len < 0)
        return 1;

    fw_symtab_init(fw_syms, NSYMS);
    modload_env env = { .syms = fw_syms, .nsyms = NSYMS, .resolve = resolve };

    fw_module m;
    if (fw_load(image, (uint32_t)len, pool, sizeof pool, &env, &m) != MODLOAD_OK) {
        fw_printf("FAIL\n");
        return 1;
    }
    fw_describe(&m);
    fw_check(resolved == 1, "fw_board_name resolved %u times through the callback", resolved);

    modload_run_init(&m.mod);
    modload_addr entry = modload_entry(&m.mod);
    if (!fw_check(entry != 0, "module has no module_init"))
        return 1;
    int rc = FW_FUNC(int (*)(void), entry)();
    fw_check(rc == 0, "module_init returned %d", rc);
    fw_check_u32("fw_led after module_init", fw_led, 1);

    modload_addr a;
    int err = modload_find(&m.mod, "hello_greet", &a);
    if (fw_check(err == MODLOAD_OK, "modload_find(hello_greet): %s", modload_strerror(err))) {
        uint32_t (*greet)(const char *) = FW_FUNC(uint32_t (*)(const char *), a);
        fw_check_u32("hello_greet #1", greet("QEMU"), 1);
        fw_check_u32("hello_greet #2", greet("world"), 2);
    }
    fw_check(modload_find(&m.mod, "no_such_symbol", &a) == MODLOAD_ERR_NOT_FOUND,
             "modload_find(no_such_symbol) should fail");

    modload_addr ex = modload_exit(&m.mod);
    if (fw_check(ex != 0, "module has no module_exit")) {
        FW_FUNC(void (*)(void), ex)();
        modload_run_fini(&m.mod);
        fw_check_u32("fw_led after module_exit and the destructors", fw_led, 0);
    }

    fw_printf("%u checks, %u failed: %s\n", fw_checks, fw_failures, fw_failures ? "FAIL" : "PASS");
    return fw_failures ? 1 : 0;
}
