/* abiapi.h - the ABI test's firmware API (abiapi.c) and what the module
 * computes with it (abimod.c), shared so that the firmware can check it. */
#ifndef ABIAPI_H
#define ABIAPI_H

#include <stdint.h>

extern uint32_t fw_total;
extern const uint32_t fw_abi_table[3];
uint32_t fw_mul3(uint32_t x);
void fw_accumulate(uint32_t x);
uint32_t fw_version_word(void);

/* module_init passes each to fw_accumulate; the n-th call of
 * abi_compute(a, b) returns fw_mul3(a) + b * fw_total + fw_version_word() + n. */
#define ABI_INIT_VALUES {3u, 1000u, 77777u}

#endif
