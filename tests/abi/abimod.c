/* abimod.c - the module of the ABI test: imports functions and data the
 * firmware exports with MODLOAD_EXPORT, and computes with them. */
#include <stdint.h>

#include "abiapi.h"

static const uint32_t init_values[3] = ABI_INIT_VALUES;
static uint32_t calls;

int module_init(void)
{
    for (unsigned i = 0; i < 3; i++)
        fw_accumulate(init_values[i]);
    return 0;
}

uint32_t abi_compute(uint32_t a, uint32_t b)
{
    calls++;
    return fw_mul3(a) + b * fw_total + fw_version_word() + calls;
}
