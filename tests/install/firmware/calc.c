/* calc.c - the install test's module: imports fw_scale from the firmware,
 * reads a table through a pointer (a fixup), keeps state in .data and .bss. */
#include <stdint.h>

int32_t fw_scale(int32_t v); /* the firmware's */

static const int32_t primes[] = { 2, 3, 5, 7, 11, 13 };
static const int32_t *const table = primes;
static int32_t bias = 100; /* .data */
static int32_t calls;      /* .bss */

int module_init(void)
{
    return calls == 0 && bias == 100 && table[5] == 13 ? 0 : -1;
}

/* bias + 10 * (the first n primes) + the number of calls so far */
int32_t calc_sum(int32_t n)
{
    int32_t s = bias;
    for (int32_t i = 0; i < n && i < 6; i++)
        s += fw_scale(table[i]);
    return s + ++calls;
}
