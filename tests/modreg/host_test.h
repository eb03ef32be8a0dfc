/* host_test.h - what the host test programs (test_modreg.c, test_slot.c,
 * test_stubs.c) share: a module image read from the build, the firmware's
 * one symbol and the reload hooks that carry counter's count. Host only
 * (stdio, malloc, cmocka); modreg_test.h is what the modules and the
 * Cortex-M firmware share. */
#ifndef HOST_TEST_H
#define HOST_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "modload.h"
#include "modreg_test.h"

typedef struct image {
    uint8_t *p;
    uint32_t len;
} image;

/* MODREG_MODS/<name>.mod in a malloc'd buffer with slack bytes to spare
 * after it, so that a test can make the image longer. */
static inline image load_file(const char *name, uint32_t slack)
{
    char path[512];
    image im = {0};
    snprintf(path, sizeof path, "%s/%s.mod", MODREG_MODS, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    im.len = (uint32_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    im.p = malloc(im.len + slack);
    assert_non_null(im.p);
    assert_int_equal(fread(im.p, 1, im.len, f), im.len);
    fclose(f);
    return im;
}

/* The firmware symbol the modules import: fw_note. */
static inline void fw_note_symbol(modload_symbol *sym)
{
    sym->name = "fw_note";
    sym->hash = modload_hash("fw_note");
    sym->addr = (modload_addr)(uintptr_t)fw_note;
}

/* modreg_hooks for a counter reload: the old version's count read into
 * *(int *)ctx, then set in the new version. */
static inline int save_count(void *ctx, const modload_module *old_mod)
{
    modload_addr a;
    assert_int_equal(modload_find(old_mod, "counter_get", &a), MODLOAD_OK);
    *(int *)ctx = ((int (*)(void))(uintptr_t)a)();
    return 0;
}

static inline int restore_count(void *ctx, const modload_module *new_mod)
{
    modload_addr a;
    assert_int_equal(modload_find(new_mod, "counter_set", &a), MODLOAD_OK);
    ((void (*)(int))(uintptr_t)a)(*(int *)ctx);
    return 0;
}

#endif
