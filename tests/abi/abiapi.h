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
uint32_t fw_added(uint32_t x);

/* The firmware's ABI, set per firmware build (tests/abi/target): version
 * ABIFW_MAJOR.ABIFW_MINOR of the line ABIFW_NAME (default: 2.1 of the empty
 * name). ABIFW_ADDED exports fw_added too (a newer minor that only adds);
 * ABIFW_NO_MUL3 no longer exports fw_mul3 (removed without the major bump
 * the spec asks for: the modules that import it must be refused by name). */
#ifndef ABIFW_NAME
#define ABIFW_NAME ""
#endif
#ifndef ABIFW_MAJOR
#define ABIFW_MAJOR 2
#define ABIFW_MINOR 1
#endif
#define ABIFW_VERSION_WORD (((uint32_t)ABIFW_MAJOR << 16) | ABIFW_MINOR)

/* module_init passes each to fw_accumulate; the n-th call of
 * abi_compute(a, b) returns fw_mul3(a) + b * fw_total + fw_version_word() + n. */
#define ABI_INIT_VALUES {3u, 1000u, 77777u}

#endif
