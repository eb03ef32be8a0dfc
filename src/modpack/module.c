/* module.c - the lowered module's storage. */
#include "module.h"

#include <stdlib.h>
#include <string.h>

void mp_module_free(mp_module *mod)
{
    for (size_t i = 0; i < mod->nimp; i++)
        free(mod->imp[i].name);
    free(mod->imp);
    free(mod->imp_slots);
    free(mod->exp);
    free(mod->fx);
    mp_layout_free(&mod->L);
    memset(mod, 0, sizeof *mod);
}
