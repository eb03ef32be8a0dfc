/* user: imports math_add and math_mul from the module mathlib and fw_note
 * from the firmware (tests/modreg). */
#include "modreg_test.h"

int user_calc(int x) { return math_add(math_mul(x, x), 1); }

int module_init(void)
{
    fw_note(NOTE_USER_INIT);
    return user_calc(3) == 10 ? 0 : 1;
}

void module_exit(void) { fw_note(NOTE_USER_EXIT); }
