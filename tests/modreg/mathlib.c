/* mathlib: a module other modules import from (tests/modreg). */
#include "modreg_test.h"

int math_add(int a, int b) { return a + b; }
int math_mul(int a, int b) { return a * b; }

int module_init(void)
{
    fw_note(NOTE_MATHLIB_INIT);
    return 0;
}

void module_exit(void) { fw_note(NOTE_MATHLIB_EXIT); }
