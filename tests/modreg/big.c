/* big: BIG_BSS bytes of bss, to fill the registry's pool (tests/modreg). */
#include "modreg_test.h"

unsigned char big_block[BIG_BSS]; /* exported: it stays, though nothing reads it */

int big_touch(int i)
{
    big_block[i % BIG_BSS] = (unsigned char)i;
    return big_block[i % BIG_BSS] + BIG_BSS;
}

int module_init(void) { return big_touch(1) == BIG_BSS + 1 ? 0 : 1; }
