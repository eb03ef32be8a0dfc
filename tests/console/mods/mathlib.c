/* mathlib.c - a library module: other modules import its functions. */
void fw_puts(const char *s);

static int calls;   /* how often lib_mul ran, for lib_calls */

int lib_mul(int a, int b)
{
    int r = 0, neg = b < 0;
    unsigned n = neg ? 0u - (unsigned)b : (unsigned)b;
    calls++;
    while (n--)           /* by addition: no multiply instruction needed */
        r += a;
    return neg ? -r : r;
}

int lib_calls(void)
{
    return calls;
}

int module_init(void)
{
    fw_puts("mathlib: init\n");
    return 0;
}

void module_exit(void)
{
    fw_puts("mathlib: exit\n");
}
