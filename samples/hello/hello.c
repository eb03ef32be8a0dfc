/* hello.c - a small modpack module for the Cortex-M sample firmware
 * (samples/firmware/cortex-m). Copy this directory to start a module:
 *
 *   make CPU=cortex-m4 MODPACK=/path/to/modpack     # hello.mod
 *
 * A module is freestanding C: no C library, only what the firmware exports
 * (declared below; left undefined at link time, bound by modload at load
 * time) and libgcc (division and the like, linked in).
 *
 * module_init and module_exit are found by name by modpack and become the
 * image's entry and exit (modload_entry, modload_exit; not exports, which
 * saves their names). Every other global symbol is exported and can be
 * looked up by the firmware with modload_find; keep helpers static.
 */
#include <stdint.h>

/* ---- imports: provided by the firmware -------------------------------- */

void fw_puts(const char *s);
void fw_print_u32(const char *label, uint32_t v);
extern volatile uint32_t fw_led;
extern const char fw_board_name[];

/* ---- the module's own data -------------------------------------------- */

/* .rodata: a table of pointers (modpack turns each into a fixup) */
static const char *const greetings[] = { "Hello", "Hallo", "Bonjour", "Hej" };
#define NGREETINGS (sizeof greetings / sizeof greetings[0])

static uint32_t language = 2;   /* .data */
static uint32_t greeted;        /* .bss, zero at load */
static uint32_t letters;        /* .bss */

static uint32_t length(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- exported: the firmware finds it with modload_find and calls it --- */

uint32_t hello_greet(const char *who)
{
    const char *g = greetings[language % NGREETINGS];
    fw_puts(g);
    fw_puts(", ");
    fw_puts(who);
    fw_puts("!\n");
    letters += length(g) + length(who);
    language++;
    return ++greeted;
}

/* ---- entry and exit ------------------------------------------------------- */

int module_init(void)
{
    fw_puts("hello: module_init on ");
    fw_puts(fw_board_name);
    fw_puts("\n");
    fw_led = 1;
    return (greeted == 0 && language == 2) ? 0 : -1;
}

void module_exit(void)
{
    fw_print_u32("hello: greetings", greeted);
    if (greeted)   /* a division: libgcc's __aeabi_uidiv on Cortex-M0 */
        fw_print_u32("hello: letters per greeting", letters / greeted);
    fw_led = 0;
}
