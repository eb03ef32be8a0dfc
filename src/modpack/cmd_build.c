/* cmd_build.c - `modpack build`: an ELF module to a checked image.
 *
 *   open -> normalise -> layout -> lower -> finish   mp_module_from_elf
 *   (pipeline.h), then the --require and --firmware checks, encode,
 *   self-check (modload_check, as the target checks) and write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "compress.h"
#include "encode.h"
#include "fwcheck.h"
#include "fwnames.h"
#include "modload.h"
#include "mpelf.h"
#include "output.h"
#include "pipeline.h"
#include "sign.h"
#include "util.h"

#include "modformat.h"

const char mp_usage_build[] =
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
    "  --export-entry-exit   export the entry and exit functions too (by default they\n"
    "                        are only the header's entry and exit)\n"
    "  --strip-names         drop import and export names; bind by hash only\n"
    "  --record-tool         record the modpack version in the metadata (tool)\n"
    "  --no-relocs           IN.elf has no relocation sections because the module\n"
    "                        refers to nothing by address (without it, such an\n"
    "                        executable is refused: link with --emit-relocs)\n"
    "  --compress            store code and data as raw deflate (format 1.2); modload\n"
    "                        inflates them into place; never execute in place\n"
    "  --require CAP         fail unless the image can be placed that way: split\n"
    "                        (code and data apart) or xip (code runs in place)\n"
    "  --firmware FW         fail unless the firmware exports every import, and\n"
    "                        record its ABI; FW as modpack exports reads it (the\n"
    "                        firmware ELF, its objects, or a list of names); repeatable\n"
    "  --all-globals         take every global of the --firmware ELF files (as\n"
    "                        modpack exports --all-globals; --firmware-all-globals is\n"
    "                        a deprecated spelling)\n"
    "  --abi-name NAME       the firmware's ABI name to record (its hash is the id;\n"
    "                        default: the empty name), as given to modpack exports\n"
    "  --abi-version M.N     the firmware's API version to record (default 1.0)\n"
    "  --sign KEY.pem        sign the image with this Ed25519 private key (as\n"
    "                        modpack sign does)\n"
    "  --security-version N  record security version N (0..4294967295) in the signed\n"
    "                        part; a firmware may refuse images below its minimum\n"
    "  -v, --verbose         print a summary, and why the module cannot be split\n";

enum {
    O_OUTPUT = 1, O_NAME, O_DESCRIPTION, O_MODULE_VERSION, O_ENTRY, O_EXIT, O_STRIP, O_REQUIRE,
    O_FIRMWARE, O_ALL_GLOBALS, O_ABI_NAME, O_ABI_VERSION, O_VERBOSE, O_SIGN, O_SECURITY_VERSION,
    O_NO_RELOCS, O_COMPRESS, O_EXPORT_ENTRY_EXIT, O_RECORD_TOOL
};

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
        if (!n)
            return mp_error("%s: --require xip: the code reaches its data at a fixed distance (%s), so "
                            "the data would have to lie 0x%x bytes after the code, inside the image in "
                            "flash; reach the data through a base register instead (ARM: -fPIC "
                            "-msingle-pic-base -mpic-register=r9 -mno-pic-data-is-text-relative), or "
                            "load the module into RAM", m->path, mod->split_reason, mod->L.data_offset);
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

static const mp_optspec build_opts[] = {
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--name", 0, 1, O_NAME, NULL},
    {"--description", 0, 1, O_DESCRIPTION, NULL},
    {"--module-version", 0, 1, O_MODULE_VERSION, NULL},
    {"--version", 0, 1, O_MODULE_VERSION,
     "--version S is deprecated inside build (it reads like modpack --version): use --module-version S"},
    {"--entry", 0, 1, O_ENTRY, NULL},
    {"--exit", 0, 1, O_EXIT, NULL},
    {"--export-entry-exit", 0, 0, O_EXPORT_ENTRY_EXIT, NULL},
    {"--strip-names", 0, 0, O_STRIP, NULL},
    {"--record-tool", 0, 0, O_RECORD_TOOL, NULL},
    {"--no-relocs", 0, 0, O_NO_RELOCS, NULL},
    {"--compress", 0, 0, O_COMPRESS, NULL},
    {"--require", 0, 1, O_REQUIRE, NULL},
    {"--firmware", 0, 1, O_FIRMWARE, NULL},
    {"--all-globals", 0, 0, O_ALL_GLOBALS, NULL},
    {"--firmware-all-globals", 0, 0, O_ALL_GLOBALS,
     "--firmware-all-globals is deprecated: use --all-globals (the same option as in modpack exports)"},
    {"--abi-name", 0, 1, O_ABI_NAME, NULL},
    {"--abi-version", 0, 1, O_ABI_VERSION, NULL},
    {"--verbose", 'v', 0, O_VERBOSE, NULL},
    {"--sign", 0, 1, O_SIGN, NULL},
    {"--security-version", 0, 1, O_SECURITY_VERSION, NULL},
    {0},
};

/* What the pipeline needs once the command line and the firmware are read. */
typedef struct pack_job {
    const char *in, *out;
    const char *outname;        /* out, for messages */
    const char *name;           /* the module name */
    const mp_options *opt;
    unsigned required;          /* --require: MODP_F_SPLIT, MODP_F_XIP */
    const mp_fwnames *fw;       /* --firmware's names, or NULL */
    const char *fwdesc;         /* the firmware inputs, for messages */
    mp_key *key;                /* --sign, or NULL */
    int set_version;            /* --security-version given */
    uint32_t version;
} pack_job;

/* The same checks the target makes: never write an image modload refuses
 * (compressed segments inflated by modload's inflater). */
static int self_check(const char *outname, const mp_buf *img, modload_image *chk)
{
    int err = modload_check(img->p, img->len, chk);
    if (err == MODLOAD_OK)
        err = mp_inflate_check(chk);
    if (err != MODLOAD_OK)
        return mp_error("%s: internal error: the image fails modload_check: %s", outname,
                        modload_strerror(err));
    return 0;
}

static void summary(const char *outname, const mp_buf *img, const modload_image *chk,
                    const mp_module *mod)
{
    fprintf(stderr, "modpack: %s: %zu bytes: code %u, data %u, bss %u; %zu fixups in %u bytes; "
                    "%zu imports, %zu exports\n", outname, img->len, chk->code_size, chk->data_size,
            chk->bss_size, mod->nfx, chk->fixup_size, mod->nimp, mod->nexp);
    if (chk->flags & MODP_F_COMPRESSED)
        fprintf(stderr, "modpack: %s: compressed: code %u -> %u bytes, data %u -> %u bytes\n", outname,
                chk->code_size, chk->code_stored, chk->data_size, chk->data_stored);
    if (!(mod->flags & MODP_F_SPLIT))
        fprintf(stderr, "modpack: %s: not splittable: %s\n", outname, mod->split_reason);
}

/* open -> normalise -> layout -> lower -> finish (mp_module_from_elf,
 * pipeline.h) -> --require and --firmware -> encode -> self-check -> write */
static int pack(const pack_job *j)
{
    mp_elf m;
    mp_module mod;
    mp_buf img = {0}, out = {0};
    modload_image chk;
    int rc = 1;
    memset(&mod, 0, sizeof mod);
    if (mp_elf_open(&m, j->in) == 0 &&
        mp_module_from_elf(&m, j->opt, &mod) == 0 &&
        check_required(&m, &mod, j->required) == 0 &&
        (!j->fw || mp_fwcheck(&m, &mod, j->fw, j->fwdesc) == 0) &&
        mp_encode_image(&mod, j->opt, j->name, &img) == 0 &&
        self_check(j->outname, &img, &chk) == 0 &&
        (!j->key && !j->set_version ? (buf_put(&out, img.p, img.len), 0)
                                    : mp_sign_image(j->outname, img.p, img.len, j->key, j->set_version,
                                                    j->version, &out)) == 0 &&
        mp_write_atomic(j->out, out.p, out.len) == 0) {
        if (j->opt->verbose)
            summary(j->outname, &img, &chk, &mod);
        rc = 0;
    }
    buf_free(&img);
    buf_free(&out);
    mp_module_free(&mod);
    mp_elf_close(&m);
    return rc;
}

/* fwpaths: room for argc --firmware inputs */
static int build(int argc, char **argv, char **fwpaths)
{
    mp_options opt = {0};
    const char *in = NULL, *out = NULL, *abiver = NULL, *abiname = NULL, *keypath = NULL;
    unsigned required = 0;
    uint32_t version = 0;
    int set_version = 0;
    size_t nfw = 0;
    int fw_globals = 0;
    mp_cli c;
    mp_cli_init(&c, "build", mp_usage_build, build_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: return 0;
        case MP_CLI_ERROR: return MP_EXIT_USAGE;
        case MP_CLI_OPERAND:
            if (mp_cli_one_operand(&c, &in, "input"))
                return MP_EXIT_USAGE;
            break;
        case O_OUTPUT: out = c.value; break;
        case O_NAME: opt.name = c.value; break;
        case O_DESCRIPTION: opt.description = c.value; break;
        case O_MODULE_VERSION: opt.version = c.value; break;
        case O_ENTRY: opt.entry = c.value; break;
        case O_EXIT: opt.exit = c.value; break;
        case O_EXPORT_ENTRY_EXIT: opt.export_entry_exit = 1; break;
        case O_STRIP: opt.strip = 1; break;
        case O_RECORD_TOOL: opt.record_tool = 1; break;
        case O_NO_RELOCS: opt.no_relocs = 1; break;
        case O_COMPRESS: opt.compress = 1; break;
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
        case O_ABI_NAME: abiname = c.value; break;
        case O_ABI_VERSION: abiver = c.value; break;
        case O_VERBOSE: opt.verbose = 1; break;
        case O_SIGN: keypath = c.value; break;
        case O_SECURITY_VERSION:
            if (mp_security_version("build", c.value, &version) != 0)
                return MP_EXIT_USAGE;
            set_version = 1;
            break;
        }
    }
    if (!in)
        return mp_usage_error("build", "no input ELF given (IN.elf, or - for standard input)", NULL);
    if (opt.compress && (required & MODP_F_XIP))
        return mp_usage_error("build", "--compress and --require xip exclude each other: compressed code "
                              "is inflated into RAM and cannot run in place; drop one of them", NULL);
    if (!out)
        return mp_usage_error("build", "no output given (-o OUT.mod, or -o - for standard output)", NULL);
    if (abiver && !nfw)
        return mp_usage_error("build", "--abi-version needs --firmware FW", NULL);
    if (abiname && !nfw)
        return mp_usage_error("build", "--abi-name needs --firmware FW", NULL);
    if (fw_globals && !nfw)
        return mp_usage_error("build", "--all-globals needs --firmware FW (it applies to the firmware's ELF)", NULL);
    if (!opt.name && mp_is_stdio(in) && mp_is_stdio(out))
        return mp_usage_error("build", "input and output are both standard streams: give --name NAME", NULL);
    if (mp_output_not_input(out, in) != 0)
        return 1;
    mp_key *key = keypath ? mp_key_read(keypath, 1) : NULL;
    if (keypath && !key)
        return 1;
    /* The firmware's names first: the imports are checked against them. */
    mp_fwnames fw = {0};
    modload_abi abi = {MODP_HASH_INIT, 1, 0}; /* the empty name's hash */
    unsigned major, minor;
    if (abiver && mp_abi_version(abiver, &major, &minor) != 0) {
        mp_key_free(key);
        return 1;
    }
    if (abiname && mp_abi_name(abiname, &abi.id) != 0) {
        mp_key_free(key);
        return 1;
    }
    if (abiver) {
        abi.major = (uint16_t)major;
        abi.minor = (uint16_t)minor;
    }
    if (nfw && mp_fwnames_read(&fw, fwpaths, nfw, fw_globals) != 0) {
        mp_fwnames_free(&fw);
        mp_key_free(key);
        return 1;
    }
    if (nfw)
        opt.abi = &abi;
    char fwdesc[256];
    snprintf(fwdesc, sizeof fwdesc, "%s%s", nfw ? fwpaths[0] : "", nfw > 1 ? " and the other --firmware inputs" : "");

    /* The default name: OUT's, or IN's when OUT is standard output. */
    char *name = opt.name ? NULL : default_name(mp_is_stdio(out) ? in : out);
    const pack_job job = {in, out, mp_is_stdio(out) ? "(standard output)" : out,
                          opt.name ? opt.name : name, &opt, required, nfw ? &fw : NULL, fwdesc,
                          key, set_version, version};
    int rc = pack(&job);
    mp_key_free(key);
    mp_fwnames_free(&fw);
    free(name);
    return rc;
}

int mp_cmd_build(int argc, char **argv)
{
    char **fwpaths = mp_calloc((size_t)argc + 1, sizeof *fwpaths);
    int rc = build(argc, argv, fwpaths);
    free(fwpaths);
    return rc;
}

