/* x86extra.c - x86-specific shapes linked into the x86 test module next to
 * tests/harness/testmod.c: a switch compiled to a jump table (relative or
 * absolute entries), tail calls and a conditional tail call to an import
 * (JMP/Jcc rel32 through a veneer), pointers to an import's element and
 * to own functions in read-only data. The harness (tests/harness/testfw.c
 * with tests/x86/testfw_arch.h) computes the same results itself. */
#include <stdint.h>

#include "testapi.h"

static uint32_t e_shl(uint32_t a) { return a << 3; }
static uint32_t e_not(uint32_t a) { return ~a; }

static const uint32_t *const fwt_ptr = &fw_table[2];
static uint32_t (*const e_fns[2])(uint32_t) = { e_shl, e_not };

uint32_t x86_extra(uint32_t sel, uint32_t a)
{
    switch (sel) {
    case 0: return a + 11;
    case 1: return a * 7;
    case 2: return fw_mix(a, 3);
    case 3: return e_fns[0](a);
    case 4: return e_fns[1](a);
    case 5: return *fwt_ptr + a;
    case 6: return fw_table[3] ^ a;
    case 7: return a ? fw_mix(a, a) : 0;
    default: return 0xEEEEEEEEu;
    }
}
