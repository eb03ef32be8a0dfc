/* abiapi.c - the firmware API the ABI test module imports, exported with
 * MODLOAD_EXPORT (the table comes from `modpack exports` over this object
 * and abifw.c's). */
#include <stdint.h>

#include "abiapi.h"
#include "modload_export.h"

uint32_t fw_total;
MODLOAD_EXPORT(fw_total);

uint32_t fw_mul3(uint32_t x)
{
    return x * 3u;
}
#ifndef ABIFW_NO_MUL3
MODLOAD_EXPORT(fw_mul3);
#endif

void fw_accumulate(uint32_t x)
{
    fw_total += x ^ 0x5Au;
}
MODLOAD_EXPORT(fw_accumulate);
#ifndef ABIFW_NO_MUL3
MODLOAD_EXPORT(fw_mul3); /* twice: one export */
#endif

#ifdef ABIFW_ADDED
/* Added in a newer minor: modules built before it know nothing of it. */
uint32_t fw_added(uint32_t x)
{
    return x + 1u;
}
MODLOAD_EXPORT(fw_added);
#endif

/* Exported, not used by the module: part of the ABI id all the same. */
const uint32_t fw_abi_table[3] = {7, 11, 13};
MODLOAD_EXPORT(fw_abi_table);
