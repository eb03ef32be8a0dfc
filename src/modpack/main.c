/* main.c - the modpack command line: build, inspect, verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpelf.h"
#include "encode.h"
#include "exports.h"
#include "fwcheck.h"
#include "fwnames.h"
#include "inspect.h"
#include "lower.h"
#include "modload.h"
#include "output.h"
#include "relocate.h"
#include "stubs.h"
#include "util.h"

#define EXIT_USAGE 2

static const char usage_build[] =
    "usage: modpack build IN.elf -o OUT.mod [options]\n"
    "  -o, --output FILE     image to write (atomically)\n"
    "  --name S              module name (default: OUT without directory and extension)\n"
    "  --description S       description metadata\n"
    "  --version S           version metadata\n"
    "  --entry SYM           entry function (default: module_init, else e_entry)\n"
    "  --exit SYM            exit function (default: module_exit if defined)\n"
    "  --strip-names         drop import and export names; bind by hash only\n"
    "  --require CAP         fail unless the image can be placed that way: split\n"
    "                        (code and data apart) or xip (code runs in place)\n"
    "  --firmware FW         fail unless the firmware exports every import, and\n"
    "                        record its ABI; FW as modpack exports reads it (the\n"
    "                        firmware ELF, its objects, or a list of names); repeatable\n"
    "  --firmware-all-globals  take every global of the --firmware ELF files\n"
    "  --abi-version M.N     the firmware's API version to record (default 1.0)\n"
    "  -v, --verbose         print a summary, and why the module cannot be split\n";
static const char usage_inspect[] =
    "usage: modpack inspect IMG [--fixups] [--json]\n"
    "  --fixups              list every fixup\n"
    "  --json                one JSON object instead of text\n";
static const char usage_relocate[] =
    "usage: modpack relocate IMG --base ADDR -o OUT.bin [symbols]\n"
    "       modpack relocate IMG --code-base ADDR --data-base ADDR -o CODE.bin\n"
    "                        --data-output DATA.bin [symbols]\n"
    "  place the image as modload would for those run addresses and write the\n"
    "  stored bytes (one region: code, zero gap, data; bss is not written)\n"
    "  --defsym NAME=ADDR    address of an import (repeatable)\n"
    "  --symbols FILE        addresses of imports, as nm prints them\n";
static const char usage_verify[] =
    "usage: modpack verify IMG\n"
    "  check the whole image (header, tables, fixups, CRC) as modload does\n";

static void usage(FILE *f)
{
    fprintf(f, "modpack %s - turn linked ELF modules into compact, checked images for modload\n\n"
               "usage: modpack build IN.elf -o OUT.mod [options]\n"
               "       modpack inspect IMG [--fixups] [--json]\n"
               "       modpack verify IMG\n"
               "       modpack relocate IMG --base ADDR -o OUT.bin [options]\n"
               "       modpack stubs IMG -o OUT.c [--header OUT.h] [options]\n"
               "       modpack exports FW.o... -o FW_EXPORTS.c [options]\n"
               "       modpack help [build|inspect|verify|relocate|exports|stubs]\n"
               "       modpack --help | --version\n\n%s\n%s\n%s\n%s",
            MODPACK_VERSION, usage_build, usage_inspect, usage_verify, usage_relocate);
    fprintf(f, "\n%s", mp_usage_stubs);
    fprintf(f, "\n%s", mp_usage_exports);
}

static int usage_error(const char *msg, const char *arg)
{
    if (arg)
        fprintf(stderr, "modpack: %s '%s'\n", msg, arg);
    else
        fprintf(stderr, "modpack: %s\n", msg);
    fprintf(stderr, "Try 'modpack --help'.\n");
    return EXIT_USAGE;
}

/* Match "--opt VALUE" and "--opt=VALUE"; advances *i. Returns 1 on a match,
 * -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

static char *default_name(const char *out)
{
    const char *b = strrchr(out, '/');
    b = b ? b + 1 : out;
    char *s = mp_strdup(b);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = 0;
    return s;
}

/* The section holding offset off of segment seg, for messages. */
static const char *section_at(const mp_elf *m, const mp_module *mod, int seg, uint32_t off,
                              uint64_t *sec_off)
{
    uint64_t a = mod->L.seg[seg].base + off;
    for (size_t i = 0; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        if (s->seg == seg && a >= s->addr && a - s->addr < s->size) {
            *sec_off = a - s->addr;
            return s->name;
        }
    }
    *sec_off = off;
    return "(veneers)";
}

/* --require: the capabilities the image must have, explained when absent. */
static int check_required(const mp_elf *m, const mp_module *mod, unsigned want)
{
    if ((want & MODP_F_SPLIT) && !(mod->flags & MODP_F_SPLIT))
        return mp_error("%s: --require split: code and data cannot be placed apart: %s; "
                        "such references come from position-independent code (-fPIC, -fpie): "
                        "build without it, or load the module as one region",
                        m->path, mod->split_reason);
    if ((want & MODP_F_XIP) && !(mod->flags & MODP_F_XIP)) {
        size_t n = 0, first = 0;
        for (size_t i = 0; i < mod->nfx; i++)
            if (mod->fx[i].seg == MODP_SEG_CODE && (!n++ || mod->fx[i].off < mod->fx[first].off))
                first = i;
        uint64_t so;
        const char *sec = section_at(m, mod, MODP_SEG_CODE, mod->fx[first].off, &so);
        return mp_error("%s: --require xip: %zu fixups patch the code segment, the first at "
                        "%s+0x%llx (code+0x%x); code holding addresses (literal pools, "
                        "MOVW/MOVT, pointer tables in .rodata, veneers to the firmware) must be "
                        "patched at load, so it cannot run from flash: keep pointer tables in "
                        ".data, call the firmware through pointers in .data, or load it into RAM",
                        m->path, n, sec, (unsigned long long)so, mod->fx[first].off);
    }
    return 0;
}

/* fwpaths: room for argc --firmware inputs */
static int build(int argc, char **argv, char **fwpaths)
{
    mp_options opt = {0};
    const char *in = NULL, *out = NULL, *req = NULL, *fwin = NULL, *abiver = NULL;
    unsigned required = 0;
    size_t nfw = 0;
    int fw_globals = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        struct { const char *name; const char **dst; } vals[] = {
            {"--output", &out}, {"-o", &out}, {"--name", &opt.name},
            {"--description", &opt.description}, {"--version", &opt.version},
            {"--entry", &opt.entry}, {"--exit", &opt.exit}, {"--require", &req},
            {"--firmware", &fwin}, {"--abi-version", &abiver},
        };
        int matched = 0;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && !matched; k++) {
            int r = opt_value(argc, argv, &i, vals[k].name, vals[k].dst);
            if (r < 0)
                return usage_error("option needs a value:", a);
            matched = r;
        }
        if (matched && fwin) {
            fwpaths[nfw++] = (char *)fwin;
            fwin = NULL;
        }
        if (matched && req) {
            if (strcmp(req, "split") == 0)
                required |= MODP_F_SPLIT;
            else if (strcmp(req, "xip") == 0)
                required |= MODP_F_XIP;
            else
                return usage_error("build: --require takes split or xip, not", req);
            req = NULL;
        }
        if (matched)
            continue;
        if (strcmp(a, "--strip-names") == 0)
            opt.strip = 1;
        else if (strcmp(a, "--firmware-all-globals") == 0)
            fw_globals = 1;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            opt.verbose = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_build, stdout);
            return 0;
        } else if (a[0] == '-' && a[1])
            return usage_error("build: unknown option", a);
        else if (!in)
            in = a;
        else
            return usage_error("build: more than one input:", a);
    }
    if (!in)
        return usage_error("build: no input ELF given", NULL);
    if (!out)
        return usage_error("build: no output given (-o OUT.mod)", NULL);
    if ((abiver || fw_globals) && !nfw)
        return usage_error("build: --abi-version and --firmware-all-globals need --firmware FW", NULL);
    /* The firmware's names first: they are the ABI the image records. */
    mp_fwnames fw = {0};
    modload_abi abi = {0, 1, 0};
    unsigned major, minor;
    if (abiver && mp_abi_version(abiver, &major, &minor) != 0)
        return 1;
    if (abiver) {
        abi.major = (uint16_t)major;
        abi.minor = (uint16_t)minor;
    }
    if (nfw && mp_fwnames_read(&fw, fwpaths, nfw, fw_globals) != 0) {
        mp_fwnames_free(&fw);
        return 1;
    }
    abi.id = fw.id;
    if (nfw)
        opt.abi = &abi;
    char fwdesc[256];
    snprintf(fwdesc, sizeof fwdesc, "%s%s", nfw ? fwpaths[0] : "", nfw > 1 ? " and the other --firmware inputs" : "");

    mp_elf m;
    mp_module mod;
    mp_buf img = {0};
    char *name = opt.name ? NULL : default_name(out);
    int rc = 1;
    memset(&mod, 0, sizeof mod);
    if (mp_elf_open(&m, in) != 0 || mp_lower(&m, &opt, &mod) != 0 ||
        check_required(&m, &mod, required) != 0 || (nfw && mp_fwcheck(&m, &mod, &fw, fwdesc) != 0) ||
        mp_encode_image(&mod, &opt, opt.name ? opt.name : name, &img) != 0)
        goto done;
    /* The same checks the target makes: never write an image modload refuses. */
    modload_image chk;
    int err = modload_check(img.p, img.len, &chk);
    if (err != MODLOAD_OK) {
        mp_error("%s: internal error: the image fails modload_check: %s", out, modload_strerror(err));
        goto done;
    }
    if (mp_write_atomic(out, img.p, img.len) != 0)
        goto done;
    if (opt.verbose) {
        fprintf(stderr, "modpack: %s: %zu bytes: code %u, data %u, bss %u; %zu fixups in %u bytes; "
                        "%zu imports, %zu exports\n", out, img.len, chk.code_size, chk.data_size,
                chk.bss_size, mod.nfx, chk.fixup_size, mod.nimp, mod.nexp);
        if (!(mod.flags & MODP_F_SPLIT))
            fprintf(stderr, "modpack: %s: not splittable: %s\n", out, mod.split_reason);
    }
    rc = 0;
done:
    buf_free(&img);
    mp_module_free(&mod);
    mp_elf_close(&m);
    mp_fwnames_free(&fw);
    free(name);
    return rc;
}

static int cmd_build(int argc, char **argv)
{
    char **fwpaths = mp_calloc((size_t)argc + 1, sizeof *fwpaths);
    int rc = build(argc, argv, fwpaths);
    free(fwpaths);
    return rc;
}

static int cmd_inspect(int argc, char **argv)
{
    const char *img = NULL;
    int fixups = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--fixups") == 0)
            fixups = 1;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_inspect, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("inspect: unknown option", argv[i]);
        else if (!img)
            img = argv[i];
        else
            return usage_error("inspect: more than one image:", argv[i]);
    }
    if (!img)
        return usage_error("inspect: no image given", NULL);
    return mp_inspect(img, fixups, json);
}

static int cmd_verify(int argc, char **argv)
{
    if (argc == 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
        fputs(usage_verify, stdout);
        return 0;
    }
    if (argc != 1 || (argv[0][0] == '-' && argv[0][1]))
        return usage_error("verify: expects exactly one image", NULL);
    return mp_verify(argv[0]);
}

static int parse_base(const char *opt, const char *s, modload_addr *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end)
        return usage_error(opt, s);
    *out = (modload_addr)v;
    return 0;
}

static int cmd_relocate(int argc, char **argv)
{
    const char *img = NULL, *base = NULL, *cbase = NULL, *dbase = NULL, *defsym = NULL, *symfile = NULL;
    mp_relocate_opts o = {0};
    mp_symbols syms = {0};
    int rc = EXIT_USAGE;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        struct { const char *name; const char **dst; } vals[] = {
            {"--base", &base}, {"--code-base", &cbase}, {"--data-base", &dbase},
            {"--output", &o.out}, {"-o", &o.out}, {"--data-output", &o.data_out},
            {"--defsym", &defsym}, {"--symbols", &symfile},
        };
        int matched = 0;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && !matched; k++) {
            int r = opt_value(argc, argv, &i, vals[k].name, vals[k].dst);
            if (r < 0) {
                rc = usage_error("option needs a value:", a);
                goto done;
            }
            matched = r;
        }
        if (matched) {
            /* Symbols accumulate in command-line order. */
            if (defsym && mp_symbols_defsym(&syms, defsym) != 0)
                goto fail;
            if (symfile && mp_symbols_read_nm(&syms, symfile) != 0)
                goto fail;
            defsym = symfile = NULL;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_relocate, stdout);
            rc = 0;
            goto done;
        }
        if ((a[0] == '-' && a[1]) || img) {
            rc = usage_error(img ? "relocate: more than one image:" : "relocate: unknown option", a);
            goto done;
        }
        img = a;
    }
    if (!img || !o.out || (!base == !cbase) || (!cbase != !dbase) || (!dbase != !o.data_out)) {
        rc = usage_error("relocate: give IMG, -o OUT and either --base ADDR, or --code-base, "
                         "--data-base and --data-output", NULL);
        goto done;
    }
    if ((rc = parse_base("relocate: bad address", base ? base : cbase, &o.code_base)) != 0 ||
        (dbase && (rc = parse_base("relocate: bad address", dbase, &o.data_base)) != 0))
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

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("modpack %s (image format %u.%u)\n", MODPACK_VERSION, MODP_VERSION_MAJOR, MODP_VERSION_MINOR);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        const char *t = argc > 2 ? argv[2] : "";
        if (strcmp(t, "build") == 0) fputs(usage_build, stdout);
        else if (strcmp(t, "inspect") == 0) fputs(usage_inspect, stdout);
        else if (strcmp(t, "verify") == 0) fputs(usage_verify, stdout);
        else if (strcmp(t, "relocate") == 0) fputs(usage_relocate, stdout);
        else if (strcmp(t, "exports") == 0) fputs(mp_usage_exports, stdout);
        else if (strcmp(t, "stubs") == 0) fputs(mp_usage_stubs, stdout);
        else if (!*t) usage(stdout);
        else return usage_error("help: unknown command", t);
        return 0;
    }
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(cmd, "relocate") == 0)
        return cmd_relocate(argc - 2, argv + 2);
    if (strcmp(cmd, "exports") == 0)
        return mp_cmd_exports(argc - 2, argv + 2);
    if (strcmp(cmd, "stubs") == 0)
        return mp_cmd_stubs(argc - 2, argv + 2);
    return usage_error("unknown command", cmd);
}
