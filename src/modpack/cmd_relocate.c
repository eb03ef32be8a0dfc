/* cmd_relocate.c - `modpack relocate`: an image placed as modload would
 * place it for given run addresses, its stored bytes written (relocate.c). */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "relocate.h"
#include "util.h"

const char mp_usage_relocate[] =
    "usage: modpack relocate IMG --base ADDR -o OUT.bin [symbols]\n"
    "       modpack relocate IMG --code-base ADDR --data-base ADDR -o CODE.bin\n"
    "                        --data-output DATA.bin [symbols]\n"
    "  place the image as modload would for those run addresses and write the\n"
    "  stored bytes (one region: code, zero gap, data; bss is not written);\n"
    "  IMG, OUT and FILE may be - (standard input or output)\n"
    "  --defsym NAME=ADDR    address of an import (repeatable)\n"
    "  --symbols FILE        addresses of imports, as nm prints them\n";

enum { O_BASE = 1, O_CODE_BASE, O_DATA_BASE, O_OUTPUT, O_DATA_OUTPUT, O_DEFSYM, O_SYMBOLS };

static int parse_base(const char *opt, const char *s, modload_addr *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end)
        return mp_usage_error("relocate", opt, s);
    *out = (modload_addr)v;
    return 0;
}

static const mp_optspec relocate_opts[] = {
    {"--base", 0, 1, O_BASE, NULL},
    {"--code-base", 0, 1, O_CODE_BASE, NULL},
    {"--data-base", 0, 1, O_DATA_BASE, NULL},
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--data-output", 0, 1, O_DATA_OUTPUT, NULL},
    {"--defsym", 0, 1, O_DEFSYM, NULL},
    {"--symbols", 0, 1, O_SYMBOLS, NULL},
    {0},
};

int mp_cmd_relocate(int argc, char **argv)
{
    const char *img = NULL, *base = NULL, *cbase = NULL, *dbase = NULL;
    mp_relocate_opts o = {0};
    mp_symbols syms = {0};
    int rc = MP_EXIT_USAGE;
    mp_cli c;

    mp_cli_init(&c, "relocate", mp_usage_relocate, relocate_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: rc = 0; goto done;
        case MP_CLI_ERROR: goto done;
        case MP_CLI_OPERAND:
            if (mp_cli_one_operand(&c, &img, "image"))
                goto done;
            break;
        case O_BASE: base = c.value; break;
        case O_CODE_BASE: cbase = c.value; break;
        case O_DATA_BASE: dbase = c.value; break;
        case O_OUTPUT: o.out = c.value; break;
        case O_DATA_OUTPUT: o.data_out = c.value; break;
        /* Symbols accumulate in command-line order. */
        case O_DEFSYM:
            if (mp_symbols_defsym(&syms, c.value) != 0)
                goto fail;
            break;
        case O_SYMBOLS:
            if (mp_symbols_read_nm(&syms, c.value) != 0)
                goto fail;
            break;
        }
    }
    if (!img || !o.out || (!base == !cbase) || (!cbase != !dbase) || (!dbase != !o.data_out)) {
        mp_usage_error("relocate", "give IMG, -o OUT and either --base ADDR, or --code-base, "
                       "--data-base and --data-output", NULL);
        goto done;
    }
    if (o.data_out && mp_is_stdio(o.out) && mp_is_stdio(o.data_out)) {
        mp_usage_error("relocate", "-o and --data-output cannot both be standard output", NULL);
        goto done;
    }
    if (mp_output_not_input(o.out, img) != 0 || mp_output_not_input(o.data_out, img) != 0) {
        rc = 1;
        goto done;
    }
    if ((rc = parse_base("bad address", base ? base : cbase, &o.code_base)) != 0 ||
        (dbase && (rc = parse_base("bad address", dbase, &o.data_base)) != 0))
        goto done;
    o.split = dbase != NULL;
    o.syms = &syms;
    rc = mp_relocate(img, &o);
    goto done;
fail:
    rc = 1;
done:
    mp_symbols_free(&syms);
    return rc;
}

