/* basic.c - a small module: pointers in data, strings, a call to the
 * firmware, an exported table. Used by several modpack tests. */
extern int fw_printf(const char *, ...);
extern int fw_val;

int counter = 5;
static int tbl[4];
int *ptrs[] = {&counter, &tbl[1], 0};
const char *msg = "hello";

static int helper(int x) { return x * 3 + counter; }
int (*fp)(int) = helper;

int module_init(void)
{
    fw_printf("%s %d\n", msg, helper(fw_val));
    tbl[2] = fp(3);
    return 0;
}

void module_exit(void) { counter = 0; }

int twice(int x) { return 2 * x; }     /* an exported function */
