/* big.c - a module shaped like a real driver: command tables with function
 * pointers and strings, state structures, several firmware calls. Used to
 * measure the fixup stream size. */
extern int fw_printf(const char *, ...);
extern void fw_gpio_set(int pin, int on);
extern int fw_uart_write(const void *buf, unsigned len);
extern unsigned fw_ticks(void);
extern void *fw_memcpy(void *d, const void *s, unsigned n);
extern int fw_config[16];

struct cmd { const char *name; const char *help; int (*fn)(int argc, const char **argv); int flags; };

static int st_led, st_count;
static char line[64];
static unsigned last;

static int c_led(int argc, const char **argv) { st_led = argc > 1 && argv[1][0] == '1'; fw_gpio_set(5, st_led); return 0; }
static int c_count(int argc, const char **argv) { (void)argv; st_count += argc; return fw_printf("%d\n", st_count); }
static int c_echo(int argc, const char **argv) { for (int i = 1; i < argc; i++) fw_uart_write(argv[i], 4); return 0; }
static int c_time(int argc, const char **argv) { (void)argc; (void)argv; last = fw_ticks(); return fw_printf("%u\n", last); }
static int c_cfg(int argc, const char **argv) { (void)argv; return fw_config[argc & 15]; }
static int c_copy(int argc, const char **argv) { fw_memcpy(line, argv[0], (unsigned)argc); return line[0]; }
static int c_help(int argc, const char **argv);

const struct cmd commands[] = {
    {"led", "led 0|1: switch the LED", c_led, 1},
    {"count", "count: add arguments", c_count, 0},
    {"echo", "echo words: print them", c_echo, 0},
    {"time", "time: ticks since boot", c_time, 2},
    {"cfg", "cfg n: read a setting", c_cfg, 0},
    {"copy", "copy: copy into the line", c_copy, 0},
    {"help", "help: this list", c_help, 0},
};

static int c_help(int argc, const char **argv)
{
    (void)argc; (void)argv;
    for (unsigned i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fw_printf("%s\t%s\n", commands[i].name, commands[i].help);
    return 0;
}

const char *const names[] = {"zero", "one", "two", "three", "four", "five", "six", "seven"};
int *const state_ptrs[] = {&st_led, &st_count, (int *)&last, (int *)line};

int run(const char *name, int argc, const char **argv)
{
    for (unsigned i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const char *a = commands[i].name, *b = name;
        while (*a && *a == *b) a++, b++;
        if (*a == *b)
            return commands[i].fn(argc, argv);
    }
    return fw_printf("unknown: %s (%s)\n", name, names[argc & 7]);
}

int module_init(void) { return run("help", 0, 0) + *state_ptrs[1]; }
void module_exit(void) { fw_gpio_set(5, 0); }
