/* main.c - the modpack command line: the table of commands, and build,
 * inspect, verify and relocate (exports and stubs live in their own files).
 * Every command parses its arguments with cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpelf.h"
#include "encode.h"
#include "exports.h"
#include "fwcheck.h"
#include "fwnames.h"
#include "inspect.h"
#include "pipeline.h"
#include "modload.h"
#include "output.h"
#include "relocate.h"
#include "stubs.h"
#include "util.h"

static const char usage_build[] =
    "usage: modpack build IN.elf -o OUT.mod [options]\n"
    "  IN.elf or OUT.mod may be -: standard input or output\n"
    "  -o, --output FILE     image to write (atomically)\n"
    "  --name S              module name (default: OUT without directory and extension;\n"
    "                        IN's when OUT is -)\n"
    "  --description S       description metadata\n"
    "  --module-version S    the module's version metadata (--version S inside build\n"
    "                        is a deprecated spelling)\n"
    "  --entry SYM           entry function (default: module_init, else e_entry)\n"
    "  --exit SYM            exit function (default: module_exit if defined)\n"
    "  --strip-names         drop import and export names; bind by hash only\n"
    "  --require CAP         fail unless the image can be placed that way: split\n"
    "                        (code and data apart) or xip (code runs in place)\n"
    "  --firmware FW         fail unless the firmware exports every import, and\n"
    "                        record its ABI; FW as modpack exports reads it (the\n"
    "                        firmware ELF, its objects, or a list of names); repeatable\n"
    "  --all-globals         take every global of the --firmware ELF files (as\n"
    "                        modpack exports --all-globals; --firmware-all-globals is\n"
    "                        a deprecated spelling)\n"
    "  --abi-version M.N     the firmware's API version to record (default 1.0)\n"
    "  -v, --verbose         print a summary, and why the module cannot be split\n";
static const char usage_inspect[] =
    "usage: modpack inspect IMG... [--fixups] [--json]\n"
    "  IMG may be - (standard input); with several, each under a FILE: heading\n"
    "  exit status 1 if any image fails verification (still reported)\n"
    "  --fixups              list every fixup\n"
    "  --json                one JSON object (an array of them for several images),\n"
    "                        as formats/inspect.schema.json describes\n";
static const char usage_relocate[] =
    "usage: modpack relocate IMG --base ADDR -o OUT.bin [symbols]\n"
    "       modpack relocate IMG --code-base ADDR --data-base ADDR -o CODE.bin\n"
    "                        --data-output DATA.bin [symbols]\n"
    "  place the image as modload would for those run addresses and write the\n"
    "  stored bytes (one region: code, zero gap, data; bss is not written);\n"
    "  IMG, OUT and FILE may be - (standard input or output)\n"
    "  --defsym NAME=ADDR    address of an import (repeatable)\n"
    "  --symbols FILE        addresses of imports, as nm prints them\n";
static const char usage_verify[] =
    "usage: modpack verify IMG...\n"
    "  check each whole image (header, tables, fixups, CRC) as modload does;\n"
    "  IMG may be - (standard input); exit status 1 if any fails\n";
static const char usage_help[] =
    "usage: modpack help [COMMAND]\n"
    "  the usage of COMMAND, or of every command\n";

static int cmd_build(int argc, char **argv);
static int cmd_inspect(int argc, char **argv);
static int cmd_verify(int argc, char **argv);
static int cmd_relocate(int argc, char **argv);
static int cmd_help(int argc, char **argv);

/* The commands: each name, its function and its usage, once. */
typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"build", cmd_build, usage_build},
    {"inspect", cmd_inspect, usage_inspect},
    {"verify", cmd_verify, usage_verify},
    {"relocate", cmd_relocate, usage_relocate},
    {"stubs", mp_cmd_stubs, mp_usage_stubs},
    {"exports", mp_cmd_exports, mp_usage_exports},
    {"help", cmd_help, usage_help},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "modpack %s - turn linked ELF modules into compact, checked images for modload\n\n",
            MODPACK_VERSION);
    /* The synopsis: the first usage line of each command. */
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *u = commands[i].usage + strlen("usage: ");
        fprintf(f, "%s%.*s\n", i ? "       " : "usage: ", (int)strcspn(u, "\n"), u);
    }
    fprintf(f, "       modpack --help | --version\n\n"
               "Options take a value as --opt VALUE, --opt=VALUE, -o VALUE or -oVALUE;\n"
               "-- ends the options; - as a file is standard input or output.\n");
    for (size_t i = 0; i + 1 < NCOMMANDS; i++)
        fprintf(f, "\n%s", commands[i].usage);
}

static int cmd_help(int argc, char **argv)
{
    mp_cli c;
    const char *topic = NULL;
    mp_cli_init(&c, "help", usage_help, NULL, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        if (r == MP_CLI_HELP)
            return 0;
        if (r == MP_CLI_ERROR)
            return MP_EXIT_USAGE;
        if (topic)
            return mp_usage_error("help", "one command at a time:", c.value);
        topic = c.value;
    }
    if (!topic) {
        usage(stdout);
        return 0;
    }
    const command *cmd = find_command(topic);
    if (!cmd)
        return mp_usage_error("help", "unknown command", topic);
    fputs(cmd->usage, stdout);
    return 0;
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

enum {
    O_OUTPUT = 1, O_NAME, O_DESCRIPTION, O_MODULE_VERSION, O_ENTRY, O_EXIT, O_STRIP, O_REQUIRE,
    O_FIRMWARE, O_ALL_GLOBALS, O_ABI_VERSION, O_VERBOSE, O_FIXUPS, O_JSON, O_BASE, O_CODE_BASE,
    O_DATA_BASE, O_DATA_OUTPUT, O_DEFSYM, O_SYMBOLS
};

static const mp_optspec build_opts[] = {
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--name", 0, 1, O_NAME, NULL},
    {"--description", 0, 1, O_DESCRIPTION, NULL},
    {"--module-version", 0, 1, O_MODULE_VERSION, NULL},
    {"--version", 0, 1, O_MODULE_VERSION,
     "--version S is deprecated inside build (it reads like modpack --version): use --module-version S"},
    {"--entry", 0, 1, O_ENTRY, NULL},
    {"--exit", 0, 1, O_EXIT, NULL},
    {"--strip-names", 0, 0, O_STRIP, NULL},
    {"--require", 0, 1, O_REQUIRE, NULL},
    {"--firmware", 0, 1, O_FIRMWARE, NULL},
    {"--all-globals", 0, 0, O_ALL_GLOBALS, NULL},
    {"--firmware-all-globals", 0, 0, O_ALL_GLOBALS,
     "--firmware-all-globals is deprecated: use --all-globals (the same option as in modpack exports)"},
    {"--abi-version", 0, 1, O_ABI_VERSION, NULL},
    {"--verbose", 'v', 0, O_VERBOSE, NULL},
    {0},
};

/* fwpaths: room for argc --firmware inputs */
static int build(int argc, char **argv, char **fwpaths)
{
    mp_options opt = {0};
    const char *in = NULL, *out = NULL, *abiver = NULL;
    unsigned required = 0;
    size_t nfw = 0;
    int fw_globals = 0;
    mp_cli c;
    mp_cli_init(&c, "build", usage_build, build_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: return 0;
        case MP_CLI_ERROR: return MP_EXIT_USAGE;
        case MP_CLI_OPERAND:
            if (in)
                return mp_usage_error("build", "more than one input:", c.value);
            in = c.value;
            break;
        case O_OUTPUT: out = c.value; break;
        case O_NAME: opt.name = c.value; break;
        case O_DESCRIPTION: opt.description = c.value; break;
        case O_MODULE_VERSION: opt.version = c.value; break;
        case O_ENTRY: opt.entry = c.value; break;
        case O_EXIT: opt.exit = c.value; break;
        case O_STRIP: opt.strip = 1; break;
        case O_REQUIRE:
            if (strcmp(c.value, "split") == 0)
                required |= MODP_F_SPLIT;
            else if (strcmp(c.value, "xip") == 0)
                required |= MODP_F_XIP;
            else
                return mp_usage_error("build", "--require takes split or xip, not", c.value);
            break;
        case O_FIRMWARE: fwpaths[nfw++] = (char *)c.value; break;
        case O_ALL_GLOBALS: fw_globals = 1; break;
        case O_ABI_VERSION: abiver = c.value; break;
        case O_VERBOSE: opt.verbose = 1; break;
        }
    }
    if (!in)
        return mp_usage_error("build", "no input ELF given (IN.elf, or - for standard input)", NULL);
    if (!out)
        return mp_usage_error("build", "no output given (-o OUT.mod, or -o - for standard output)", NULL);
    if (abiver && !nfw)
        return mp_usage_error("build", "--abi-version needs --firmware FW", NULL);
    if (fw_globals && !nfw)
        return mp_usage_error("build", "--all-globals needs --firmware FW (it applies to the firmware's ELF)", NULL);
    if (!opt.name && mp_is_stdio(in) && mp_is_stdio(out))
        return mp_usage_error("build", "input and output are both standard streams: give --name NAME", NULL);
    if (mp_output_not_input(out, in) != 0)
        return 1;
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
    /* The default name: OUT's, or IN's when OUT is standard output. */
    char *name = opt.name ? NULL : default_name(mp_is_stdio(out) ? in : out);
    const char *outname = mp_is_stdio(out) ? "(standard output)" : out;
    int rc = 1;
    memset(&mod, 0, sizeof mod);
    if (mp_elf_open(&m, in) != 0 || mp_module_from_elf(&m, &opt, &mod) != 0 ||
        check_required(&m, &mod, required) != 0 || (nfw && mp_fwcheck(&m, &mod, &fw, fwdesc) != 0) ||
        mp_encode_image(&mod, &opt, opt.name ? opt.name : name, &img) != 0)
        goto done;
    /* The same checks the target makes: never write an image modload refuses. */
    modload_image chk;
    int err = modload_check(img.p, img.len, &chk);
    if (err != MODLOAD_OK) {
        mp_error("%s: internal error: the image fails modload_check: %s", outname, modload_strerror(err));
        goto done;
    }
    if (mp_write_atomic(out, img.p, img.len) != 0)
        goto done;
    if (opt.verbose) {
        fprintf(stderr, "modpack: %s: %zu bytes: code %u, data %u, bss %u; %zu fixups in %u bytes; "
                        "%zu imports, %zu exports\n", outname, img.len, chk.code_size, chk.data_size,
                chk.bss_size, mod.nfx, chk.fixup_size, mod.nimp, mod.nexp);
        if (!(mod.flags & MODP_F_SPLIT))
            fprintf(stderr, "modpack: %s: not splittable: %s\n", outname, mod.split_reason);
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

static const mp_optspec inspect_opts[] = {
    {"--fixups", 0, 0, O_FIXUPS, NULL},
    {"--json", 0, 0, O_JSON, NULL},
    {0},
};

/* The image operands of inspect and verify, collected; NULL after an error
 * or --help (*rc says which). */
static const char **images(mp_cli *c, int *fixups, int *json, size_t *n, int *rc)
{
    const char **v = mp_calloc((size_t)c->argc + 1, sizeof *v);
    *n = 0;
    for (int r; (r = mp_cli_next(c)) != MP_CLI_END;) {
        if (r == MP_CLI_HELP || r == MP_CLI_ERROR) {
            *rc = r == MP_CLI_HELP ? 0 : MP_EXIT_USAGE;
            free(v);
            return NULL;
        }
        if (r == MP_CLI_OPERAND)
            v[(*n)++] = c->value;
        else if (r == O_FIXUPS)
            *fixups = 1;
        else if (r == O_JSON)
            *json = 1;
    }
    if (!*n) {
        *rc = mp_usage_error(c->cmd, "no image given (IMG..., or - for standard input)", NULL);
        free(v);
        return NULL;
    }
    return v;
}

static int cmd_inspect(int argc, char **argv)
{
    mp_cli c;
    int fixups = 0, json = 0, rc = 0;
    size_t n;
    mp_cli_init(&c, "inspect", usage_inspect, inspect_opts, argc, argv);
    const char **v = images(&c, &fixups, &json, &n, &rc);
    if (!v)
        return rc;
    /* Several images: a JSON array, or text under a FILE: heading each. */
    if (json && n > 1)
        printf("[\n");
    for (size_t i = 0; i < n; i++) {
        if (json && i)
            printf(",\n");
        else if (!json && n > 1)
            printf("%s%s:\n", i ? "\n" : "", mp_input_name(v[i]));
        int r = mp_inspect(v[i], fixups, json);
        rc = r > rc ? r : rc;
    }
    if (json && n > 1)
        printf("]\n");
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = 1, mp_error("write error on standard output");
    free(v);
    return rc;
}

static int cmd_verify(int argc, char **argv)
{
    mp_cli c;
    int fixups = 0, json = 0, rc = 0;
    size_t n;
    mp_cli_init(&c, "verify", usage_verify, NULL, argc, argv);
    const char **v = images(&c, &fixups, &json, &n, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int r = mp_verify(v[i]);
        rc = r > rc ? r : rc;
    }
    free(v);
    return rc;
}

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

static int cmd_relocate(int argc, char **argv)
{
    const char *img = NULL, *base = NULL, *cbase = NULL, *dbase = NULL;
    mp_relocate_opts o = {0};
    mp_symbols syms = {0};
    int rc = MP_EXIT_USAGE;
    mp_cli c;

    mp_cli_init(&c, "relocate", usage_relocate, relocate_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: rc = 0; goto done;
        case MP_CLI_ERROR: goto done;
        case MP_CLI_OPERAND:
            if (img) {
                mp_usage_error("relocate", "more than one image:", c.value);
                goto done;
            }
            img = c.value;
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

int main(int argc, char **argv)
{
    if (argc < 2)
        return mp_usage_error(NULL, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("modpack %s (image format %u.%u)\n", MODPACK_VERSION, MODP_VERSION_MAJOR, MODP_VERSION_MINOR);
        return 0;
    }
    const command *c = find_command(cmd);
    if (!c)
        return mp_usage_error(NULL, "unknown command", cmd);
    return c->run(argc - 2, argv + 2);
}
