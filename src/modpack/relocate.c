/* relocate.c - `modpack relocate`: place an image for fixed addresses on the
 * host, with modload itself, and write the bytes as the target would hold
 * them (a flat binary for a kernel or firmware without a loader). */
#include "relocate.h"
#include "cli.h"
#include "output.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modload.h"

/* Parse a whole string as an address (0x... hex, or decimal). */
static int parse_addr(const char *s, int base, modload_addr *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (!*s || *end || errno)
        return -1;
    *out = (modload_addr)v;
    return 0;
}

int mp_symbols_add(mp_symbols *t, const char *name, modload_addr addr)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0) {
            t->addr[i] = addr; /* the last definition wins, as with ld --defsym */
            return 0;
        }
    t->name = mp_realloc(t->name, (t->n + 1) * sizeof *t->name);
    t->addr = mp_realloc(t->addr, (t->n + 1) * sizeof *t->addr);
    t->name[t->n] = mp_strdup(name);
    t->addr[t->n++] = addr;
    return 0;
}

int mp_symbols_defsym(mp_symbols *t, const char *arg)
{
    const char *eq = strchr(arg, '=');
    modload_addr a;
    if (!eq || eq == arg || parse_addr(eq + 1, 0, &a) != 0)
        return mp_error("--defsym %s: expected NAME=ADDRESS", arg);
    char *name = mp_strdup(arg);
    name[eq - arg] = 0;
    mp_symbols_add(t, name, a);
    free(name);
    return 0;
}

/* `nm` output: "ADDRESS TYPE NAME" per line; undefined symbols ("U NAME")
 * and other lines are skipped. */
int mp_symbols_read_nm(mp_symbols *t, const char *path)
{
    uint8_t *data;
    size_t len;
    if (mp_read_file(path, &data, &len) != 0)
        return -1;
    path = mp_input_name(path);
    char line[1024], addr[64], type[8], name[512];
    int used = 0;
    for (size_t pos = 0; pos < len;) {
        size_t n = 0;
        while (pos < len && data[pos] != '\n') {
            if (n + 1 < sizeof line)
                line[n++] = (char)data[pos];
            pos++;
        }
        pos++;
        line[n] = 0;
        modload_addr a;
        if (sscanf(line, "%63s %7s %511s", addr, type, name) == 3 && parse_addr(addr, 16, &a) == 0) {
            mp_symbols_add(t, name, a);
            used++;
        }
    }
    free(data);
    if (!used)
        return mp_error("%s: no symbols found (expected the output of nm: ADDRESS TYPE NAME)", path);
    return 0;
}

void mp_symbols_free(mp_symbols *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->name[i]);
    free(t->name);
    free(t->addr);
    memset(t, 0, sizeof *t);
}

/* An import without an address fails the load, unless it is weak (bound
 * to 0, as modload does on the target). */
static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    const mp_symbols *syms = ctx;
    for (size_t i = 0; i < syms->n; i++)
        if (name[0] ? strcmp(syms->name[i], name) == 0 : modload_hash(syms->name[i]) == hash) {
            *addr = syms->addr[i];
            return 0;
        }
    return -1;
}

int mp_relocate(const char *path, const mp_relocate_opts *o)
{
    uint8_t *buf = NULL, *code = NULL, *data = NULL;
    size_t len;
    modload_image img;
    modload_place pl;
    modload_module mod = {0};
    modload_env env = {NULL, 0, resolve, (void *)o->syms, NULL, NULL, NULL};
    int err, ret = 1;

    if (mp_read_file(path, &buf, &len) != 0)
        return 1;
    path = mp_input_name(path);
    if ((err = modload_check(buf, len, &img)) != MODLOAD_OK) {
        mp_error("%s: %s", path, modload_strerror(err));
        goto done;
    }
    uint32_t region = modload_region_size(&img);
    memset(&pl, 0, sizeof pl);
    if (!o->split) {
        /* One region: code, the zero gap up to data_offset, data, bss. */
        code = mp_calloc(region ? region : 1, 1);
        err = modload_place_region(&img, code, region, o->code_base, &pl);
    } else {
        code = mp_calloc(img.code_size ? img.code_size : 1, 1);
        data = mp_calloc(img.data_size + img.bss_size ? img.data_size + img.bss_size : 1, 1);
        pl.code_write = code;
        pl.code_run = o->code_base;
        pl.code_room = img.code_size;
        pl.data_write = data;
        pl.data_run = o->data_base;
        pl.data_room = img.data_size + img.bss_size;
        err = MODLOAD_OK;
    }
    if (err == MODLOAD_OK)
        err = modload_load(&img, &pl, &env, &mod);
    if (err != MODLOAD_OK) {
        if (err == MODLOAD_ERR_UNRESOLVED && mod.unresolved.name && mod.unresolved.name[0]) {
            const char *name = mod.unresolved.name;
            mp_error("%s: import '%s' has no address: give --defsym %s=ADDRESS or --symbols FILE",
                     path, name, name);
        } else if (err == MODLOAD_ERR_UNRESOLVED) {
            mp_error("%s: stripped import 0x%08x has no address among the symbols given", path,
                     mod.unresolved.hash);
        } else {
            const char *why = err == MODLOAD_ERR_ALIGN ? "; the image needs its segments aligned to "
                                                         "the code and data alignment inspect shows"
                            : err == MODLOAD_ERR_PLACEMENT ? "; the image cannot be split (see inspect)"
                                                           : "";
            mp_error("%s: cannot place it there: %s%s", path, modload_strerror(err), why);
        }
        goto done;
    }
    /* Stored bytes only, as objcopy -O binary writes a linked image: the
     * bss that follows is for the target to zero. */
    if (!o->split)
        ret = mp_write_atomic(o->out, code, img.data_offset + img.data_size) != 0;
    else
        ret = mp_write_atomic(o->out, code, img.code_size) != 0 ||
              mp_write_atomic(o->data_out, data, img.data_size) != 0;
done:
    free(buf);
    free(code);
    free(data);
    return ret;
}
