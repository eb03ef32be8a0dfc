/* console.c - a module console for Cortex-M under QEMU, on the module
 * registry (modreg.h). Commands come from the console, one per line (the
 * board's UART0: see console_getc); output goes to the semihosting console
 * and module files come from the host's file system (semihosting
 * SYS_OPEN/SYS_READ):
 *
 *   modlist                          the loaded modules
 *   modload <path>                   load a module and run its init
 *   modunload <name>                 run its exit and free it
 *   modstats                         pool and slot use
 *   modsym <module> <symbol>         a symbol's address
 *   modcall <module> <fn> [ints]     call fn with up to four int arguments
 *   modreload <name> <path>          replace a module, keeping its state
 *   help, quit
 *
 *   qemu-system-arm -M mps2-an386 -display none -monitor none -serial stdio \
 *     -kernel console-an386.elf -semihosting-config enable=on,target=native
 *
 * (type commands, or feed a session on stdin). Every line read is echoed
 * after "> ", so the output is a readable transcript of the session.
 *
 * Hot reload carries a module's state across versions: before the swap
 * the pre hook calls the old version's `reload_save(buf, room)` (bytes
 * saved), after it the post hook gives them to the new version's
 * `reload_restore(buf, len)` (0 when taken). A module without reload_save
 * has no state to carry; a new version that cannot take the saved state
 * makes the reload fail and the old version stays in service.
 */
#include <stdint.h>

#include "fwutil.h"
#include "modreg.h"
#include "semihost.h"

/* ---- the firmware API modules may import ------------------------------- */

/* The same API as the sample firmware (../common/main.c), so that the
 * sample module samples/hello loads here too, plus fw_print_int. */
void fw_puts(const char *s);
void fw_print_int(const char *label, int v);
void fw_print_u32(const char *label, uint32_t v);
volatile uint32_t fw_led;
#ifndef FW_BOARD
#define FW_BOARD "mps2-an386"
#endif
const char fw_board_name[] = FW_BOARD;

void fw_puts(const char *s)
{
    fw_printf("%s", s);
}

void fw_print_int(const char *label, int v)
{
    fw_printf("%s: %d\n", label, v);
}

void fw_print_u32(const char *label, uint32_t v)
{
    fw_printf("%s: %u\n", label, (unsigned)v);
}

#define SYM(name) { 0, #name, (modload_addr)(uintptr_t)&name }
static modload_symbol fw_syms[] = {
    SYM(fw_puts),
    SYM(fw_print_int),
    SYM(fw_print_u32),
    SYM(fw_led),
    SYM(fw_board_name),
};
#define NSYMS (sizeof fw_syms / sizeof fw_syms[0])

/* ---- module files through semihosting ----------------------------------- */

/* A handle is the semihosting file descriptor + 1 (never NULL). */
static void *file_open(void *ctx, const char *path)
{
    (void)ctx;
    int fd = sh_open(path, 1);   /* "rb" */
    return fd < 0 ? NULL : (void *)(uintptr_t)(fd + 1);
}

static int file_read(void *handle, uint8_t *buf, uint32_t len)
{
    int left = sh_read((int)(uintptr_t)handle - 1, buf, len);   /* bytes NOT read */
    if (left < 0 || (uint32_t)left > len)
        return -1;
    return (int)(len - (uint32_t)left);
}

static void file_close(void *handle)
{
    sh_close((int)(uintptr_t)handle - 1);
}

static const modreg_fs host_fs = { file_open, file_read, file_close, NULL };

/* ---- the registry ----------------------------------------------------------- */

#define NSLOTS 8
static modreg_slot slots[NSLOTS];
static uint8_t pool[32 * 1024] __attribute__((aligned(8)));
static modreg reg;

static const char *state_name(uint8_t s)
{
    switch (s) {
    case MODREG_LOADING: return "loading";
    case MODREG_LIVE: return "live";
    case MODREG_STANDBY: return "standby";
    default: return "free";
    }
}

static void report(const char *cmd, const char *arg, int rc, const modreg_info *info)
{
    fw_printf("%s %s: error %d: %s", cmd, arg, rc, modreg_strerror(rc));
    if (rc == MODLOAD_ERR_UNRESOLVED && modreg_missing(&reg)[0])
        fw_printf(" (%s)", modreg_missing(&reg));
    if (rc == MODREG_ERR_INIT)
        fw_printf(" (init returned %d)", info->init_rc);
    fw_printf("\n");
}

static void describe(const char *what, const modreg_info *info)
{
    fw_printf("%s %s %s: code %u, data %u, bss %u; %u bytes\n", what, info->name,
              info->version[0] ? info->version : "-", (unsigned)info->code_size,
              (unsigned)info->data_size, (unsigned)info->bss_size, (unsigned)info->mem_size);
}

/* ---- state carried across a reload -------------------------------------------- */

typedef struct saved_state {
    uint8_t buf[256];
    uint32_t len;
} saved_state;

static int save_state(void *ctx, const modload_module *old_mod)
{
    saved_state *st = ctx;
    modload_addr a;
    st->len = 0;
    if (modload_find(old_mod, "reload_save", &a) != MODLOAD_OK)
        return 0;   /* no state to carry */
    uint32_t n = FW_FUNC(uint32_t (*)(void *, uint32_t), a)(st->buf, sizeof st->buf);
    if (n > sizeof st->buf) {
        fw_printf("pre hook: reload_save returned %u bytes, room for %u\n", (unsigned)n,
                  (unsigned)sizeof st->buf);
        return -1;
    }
    st->len = n;
    fw_printf("pre hook: saved %u bytes of state\n", (unsigned)n);
    return 0;
}

static int restore_state(void *ctx, const modload_module *new_mod)
{
    saved_state *st = ctx;
    modload_addr a;
    if (st->len == 0)
        return 0;
    if (modload_find(new_mod, "reload_restore", &a) != MODLOAD_OK) {
        fw_printf("post hook: the new version has no reload_restore\n");
        return -1;
    }
    int rc = FW_FUNC(int (*)(const void *, uint32_t), a)(st->buf, st->len);
    if (rc != 0)
        fw_printf("post hook: reload_restore refused the state (%d)\n", rc);
    else
        fw_printf("post hook: restored %u bytes of state\n", (unsigned)st->len);
    return rc;
}

static saved_state saved;

/* ---- commands ---------------------------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* A decimal or 0x-hex integer, optionally negative. Returns 0 if not one. */
static int parse_int(const char *s, int32_t *out)
{
    int neg = 0;
    uint32_t v = 0, base = 10;
    if (*s == '-')
        neg = 1, s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    if (!*s)
        return 0;
    for (; *s; s++) {
        uint32_t d;
        if (*s >= '0' && *s <= '9')
            d = (uint32_t)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (uint32_t)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (uint32_t)(*s - 'A' + 10);
        else
            return 0;
        v = v * base + d;
    }
    *out = neg ? (int32_t)(0u - v) : (int32_t)v;
    return 1;
}

static void cmd_modlist(void)
{
    uint32_t pos = 0;
    modreg_info info;
    unsigned n = 0;
    while (modreg_next(&reg, &pos, &info)) {
        fw_printf("  %-10s %-8s code %5u  data %4u  bss %4u  mem %5u  refs %u  deps %u  %s\n",
                  info.name, info.version[0] ? info.version : "-", (unsigned)info.code_size,
                  (unsigned)info.data_size, (unsigned)info.bss_size, (unsigned)info.mem_size,
                  (unsigned)info.refs, (unsigned)info.ndeps, state_name(info.state));
        n++;
    }
    fw_printf("%u module%s\n", n, n == 1 ? "" : "s");
}

static void cmd_modstats(void)
{
    modreg_stats st;
    modreg_stats_get(&reg, &st);
    fw_printf("pool %u bytes: used %u, free %u, largest free %u; modules %u of %u\n",
              (unsigned)st.pool_total, (unsigned)st.pool_used, (unsigned)st.pool_free,
              (unsigned)st.largest_free, (unsigned)st.modules, (unsigned)st.slots);
}

static void cmd_modload(const char *path)
{
    modreg_info info;
    int rc = modreg_load_path(&reg, &host_fs, path, &info);
    if (rc != MODLOAD_OK) {
        report("modload", path, rc, &info);
        return;
    }
    describe("loaded", &info);
}

static void cmd_modunload(const char *name)
{
    int rc = modreg_unload(&reg, name);
    if (rc != MODLOAD_OK) {
        report("modunload", name, rc, NULL);
        return;
    }
    fw_printf("unloaded %s\n", name);
}

static void cmd_modsym(const char *module, const char *symbol)
{
    modload_addr a;
    int rc = modreg_sym(&reg, module, symbol, &a);
    if (rc != MODLOAD_OK) {
        report("modsym", symbol, rc, NULL);
        return;
    }
    fw_printf("%s.%s = 0x%08x\n", module, symbol, (unsigned)a);
}

static void cmd_modcall(const char *module, const char *fn, char **args, int nargs)
{
    int32_t v[4] = { 0, 0, 0, 0 };
    if (nargs > 4) {
        fw_printf("modcall: at most 4 arguments\n");
        return;
    }
    for (int i = 0; i < nargs; i++) {
        if (!parse_int(args[i], &v[i])) {
            fw_printf("modcall: '%s' is not an integer\n", args[i]);
            return;
        }
    }
    modload_addr a;
    int rc = modreg_sym(&reg, module, fn, &a);
    if (rc != MODLOAD_OK) {
        report("modcall", fn, rc, NULL);
        return;
    }
    /* AAPCS: the callee reads as many of r0-r3 as it takes */
    int32_t r = FW_FUNC(int32_t (*)(int32_t, int32_t, int32_t, int32_t), a)(v[0], v[1], v[2], v[3]);
    fw_printf("%s.%s(", module, fn);
    for (int i = 0; i < nargs; i++)
        fw_printf(i ? ", %d" : "%d", (int)v[i]);
    fw_printf(") = %d\n", (int)r);
}

static void cmd_modreload(const char *name, const char *path)
{
    modreg_source src = { 0 };
    src.fs = &host_fs;
    src.path = path;
    modreg_hooks hooks = { save_state, restore_state, &saved };
    modreg_info info;
    int rc = modreg_reload(&reg, name, &src, &hooks, &info);
    if (rc != MODLOAD_OK) {
        report("modreload", name, rc, &info);
        return;
    }
    describe("reloaded", &info);
}

static void help(void)
{
    fw_printf("commands: modlist | modload <path> | modunload <name> | modstats |\n"
              "  modsym <module> <symbol> | modcall <module> <function> [int...] |\n"
              "  modreload <name> <path> | help | quit\n");
}

/* Run one command line; returns 0 for quit. */
static int run(char *line)
{
    char *argv[8];
    int argc = 0;
    for (char *p = line; *p && argc < 8;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (argc == 0 || argv[0][0] == '#')
        return 1;
    const char *c = argv[0];
    if (str_eq(c, "quit") || str_eq(c, "exit"))
        return 0;
    if (str_eq(c, "modlist") && argc == 1)
        cmd_modlist();
    else if (str_eq(c, "modstats") && argc == 1)
        cmd_modstats();
    else if (str_eq(c, "modload") && argc == 2)
        cmd_modload(argv[1]);
    else if (str_eq(c, "modunload") && argc == 2)
        cmd_modunload(argv[1]);
    else if (str_eq(c, "modsym") && argc == 3)
        cmd_modsym(argv[1], argv[2]);
    else if (str_eq(c, "modcall") && argc >= 3)
        cmd_modcall(argv[1], argv[2], argv + 3, argc - 3);
    else if (str_eq(c, "modreload") && argc == 3)
        cmd_modreload(argv[1], argv[2]);
    else
        help();
    return 1;
}

/* The console's input: UART0 of the MPS2 board (a CMSDK APB UART; QEMU
 * connects it with -serial), polled. Output goes through semihosting
 * (fw_printf). Why not semihosting input (SYS_READC, or SYS_READ on
 * ":tt"): QEMU 7.2 parks an M-profile CPU in such a read while no input
 * is buffered, and its wake-up loses or never delivers the bytes, so a
 * scripted session stalls at random. */
#define UART0_DATA     (*(volatile uint32_t *)0x40004000u)
#define UART0_STATE    (*(volatile uint32_t *)0x40004004u)
#define UART0_CTRL     (*(volatile uint32_t *)0x40004008u)
#define UART0_BAUDDIV  (*(volatile uint32_t *)0x40004010u)
#define UART_RX_FULL   2u
#define UART_RX_EN     2u
#define UART_TX_EN     1u

static void console_init(void)
{
    UART0_BAUDDIV = 16;
    UART0_CTRL = UART_RX_EN | UART_TX_EN;
}

static int console_getc(void)
{
    while (!(UART0_STATE & UART_RX_FULL))
        ;
    return (int)(UART0_DATA & 0xff);
}

/* One line from the console, without its end. Returns its length, or -1
 * after ^D with nothing read. */
static int read_line(char *buf, unsigned size)
{
    unsigned n = 0;
    for (;;) {
        int c = console_getc();
        if (c == 4) {
            if (n == 0)
                return -1;
            break;
        }
        if (c == '\n')
            break;
        if (c == '\r')
            continue;
        if (n + 1 < size)
            buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return (int)n;
}

int main(void)
{
    fw_symtab_init(fw_syms, NSYMS);
    modload_env env = { .syms = fw_syms, .nsyms = NSYMS };
    modreg_init(&reg, slots, NSLOTS, pool, sizeof pool, &env);
    console_init();
    fw_printf("modpack console on " FW_BOARD "; type help\n");

    static char line[160];
    while (read_line(line, sizeof line) >= 0) {
        fw_printf("> %s\n", line);
        if (!run(line))
            break;
    }
    fw_printf("bye\n");
    return 0;
}
