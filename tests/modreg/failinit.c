/* failinit: its init refuses to start (tests/modreg). */
#include "modreg_test.h"

int failinit_value(void) { return 7; }

int module_init(void)
{
    fw_note(NOTE_FAILINIT_INIT);
    return 42;
}

void module_exit(void) { fw_note(NOTE_FAILINIT_EXIT); } /* must never run */
