/* stubs.c - `modpack stubs`: firmware-side stubs for a module's functions.
 *
 * Each stub is a few instructions that load one entry of a table and jump
 * there, leaving arguments, return address and result alone, so one stub
 * serves every signature. The firmware calls the module's functions by
 * their own names; modreg_bind fills the table, modreg_reload re-points it,
 * and an entry nothing is bound to holds a trap that calls modreg_unbound.
 * The image is read with the host modload (modload_export_at), as inspect
 * does. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "modload.h"
#include "output.h"
#include "util.h"

const char mp_usage_stubs[] =
    "usage: modpack stubs IMG -o OUT.c [--header OUT.h] [options]\n"
    "  firmware-side stubs that call the module's functions through a table\n"
    "  which modreg_bind fills and modreg_reload re-points (see modreg(3))\n"
    "  IMG may be - (standard input)\n"
    "  -o, --output FILE     C source: table, names, trap, bind function and the\n"
    "                        stubs in assembly for the image's ISA\n"
    "  --header FILE         C header declaring the table and the bind function\n"
    "                        (either output may be -: standard output)\n"
    "  --prefix P            names of the generated objects (default: the module name)\n"
    "  --module NAME         registry name to bind to (default: the image's name)\n"
    "  --symbol NAME         make a stub for this function only (repeatable;\n"
    "                        default: every exported function but entry and exit)\n";

static int ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_ident(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!ident_char(*s))
            return 0;
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One stub per ISA: jump through TABLE entry i. */
static void stub_x86_64(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    buf_printf(b, "    \"\\tjmp *%s+%u(%%rip)\\n\"\n", table, 8u * i);
    (void)fn;
}

static void stub_i386(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    buf_printf(b, "    \"\\tjmp *%s+%u\\n\"\n", table, 4u * i);
    (void)fn;
}

/* Thumb, ARMv6-M safe: r0 is saved around the load, ip (r12) is the
 * scratch register the AAPCS allows a veneer to clobber. */
static void stub_thumb(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn;
    buf_printf(b, "    \"\\tpush {r0}\\n\"\n"
           "    \"\\tldr r0, 1f\\n\"\n"
           "    \"\\tldr r0, [r0]\\n\"\n"
           "    \"\\tmov ip, r0\\n\"\n"
           "    \"\\tpop {r0}\\n\"\n"
           "    \"\\tbx ip\\n\"\n"
           "    \"\\t.balign 4\\n\"\n"
           "    \"1:\\t.word %s+%u\\n\"\n", table, 4u * i);
}

/* t1 is a temporary no argument uses. */
static void stub_rv(mp_buf *b, const char *fn, const char *table, uint32_t i, unsigned xlen)
{
    (void)fn;
    buf_printf(b, "    \"1:\\tauipc t1, %%pcrel_hi(%s+%u)\\n\"\n"
           "    \"\\t%s t1, %%pcrel_lo(1b)(t1)\\n\"\n"
           "    \"\\tjr t1\\n\"\n", table, xlen / 8u * i, xlen == 64 ? "ld" : "lw");
}

/* call0 ABI: a8 is a scratch register no argument uses. */
static void stub_xtensa(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    buf_printf(b, "    \"\\tl32r a8, .Lmodpack_stub_%s\\n\"\n"
           "    \"\\tl32i a8, a8, 0\\n\"\n"
           "    \"\\tjx a8\\n\"\n", fn);
    (void)table;
    (void)i;
}

typedef struct isa {
    uint16_t arch;
    const char *name;
    const char *cond;              /* preprocessor test for the compiler's target */
    const char *pre;               /* assembler lines before each stub's label */
    void (*stub)(mp_buf *b, const char *fn, const char *table, uint32_t i);
} isa;

static void stub_rv32(mp_buf *b, const char *fn, const char *table, uint32_t i) { stub_rv(b, fn, table, i, 32); }
static void stub_rv64(mp_buf *b, const char *fn, const char *table, uint32_t i) { stub_rv(b, fn, table, i, 64); }

static const isa isas[] = {
    {MODP_ARCH_X86_64, "x86-64", "defined(__x86_64__)", "\\t.p2align 4\\n", stub_x86_64},
    {MODP_ARCH_386, "i386", "defined(__i386__)", "\\t.p2align 4\\n", stub_i386},
    {MODP_ARCH_ARM, "ARM Thumb", "defined(__arm__)", "\\t.syntax unified\\n\\t.thumb\\n\\t.balign 4\\n",
     stub_thumb},
    {MODP_ARCH_RISCV, "RISC-V rv32", "defined(__riscv) && __riscv_xlen == 32", "\\t.balign 4\\n", stub_rv32},
    {MODP_ARCH_RISCV, "RISC-V rv64", "defined(__riscv) && __riscv_xlen == 64", "\\t.balign 4\\n", stub_rv64},
    {MODP_ARCH_XTENSA, "Xtensa call0", "defined(__xtensa__) && defined(__XTENSA_CALL0_ABI__)", "", stub_xtensa},
};

typedef struct stubs_opts {
    const char *out, *header, *prefix, *module;
    char **only;
    size_t nonly;
} stubs_opts;

static void gen_source(mp_buf *b, const char *img, const modload_image *im, const stubs_opts *o,
                       const char *prefix, const char *module, char **names, uint32_t n)
{
    buf_printf(b, "/* Generated by modpack stubs from %s (module \"%s\"); do not edit.\n"
           " *\n"
           " * The firmware calls the module's functions by their own names: each stub\n"
           " * below jumps through %s_table, which %s_bind() points at the module\n"
           " * (modreg_bind), modreg_reload re-points and modreg_unload resets to\n"
           " * %s_unbound. Link modreg (src/modload/modreg.c) into the firmware. */\n"
           "#include <stdint.h>\n\n#include <modreg.h>\n\n",
        img, module, prefix, prefix, prefix);
    buf_printf(b, "modreg_stubs %s_stubs;\n"
           "int %s_bind(modreg *reg);\n\n"
           "/* Where a call without a module ends: modreg_unbound never returns. */\n"
           "static void %s_unbound(void)\n{\n    modreg_unbound(&%s_stubs);\n}\n\n",
        prefix, prefix, prefix, prefix);
    buf_printf(b, "uintptr_t %s_table[%u] = {\n", prefix, n);
    for (uint32_t i = 0; i < n; i++)
        buf_printf(b, "    (uintptr_t)%s_unbound, /* %s */\n", prefix, names[i]);
    buf_printf(b, "};\n\nstatic const char *const %s_names[%u] = {\n", prefix, n);
    for (uint32_t i = 0; i < n; i++)
        buf_printf(b, "    \"%s\",\n", names[i]);
    buf_printf(b, "};\n\n"
           "modreg_stubs %s_stubs = {\"%s\", %s_names, %s_table, %u, (uintptr_t)%s_unbound, 0, 0};\n\n"
           "int %s_bind(modreg *reg)\n{\n    return modreg_bind(reg, %s_stubs.module, &%s_stubs);\n}\n\n",
        prefix, module, prefix, prefix, n, prefix, prefix, prefix, prefix);

    /* Every ISA the image's arch covers: the compiler's target picks one. */
    const char *kw = "#if";
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
        const isa *a = &isas[k];
        if (a->arch != im->arch)
            continue;
        buf_printf(b, "%s %s\n/* %s: load the entry, jump; registers of the call untouched. */\n__asm__(\n",
            kw, a->cond, a->name);
        kw = "#elif";
        char *table = mp_malloc(strlen(prefix) + 7);
        sprintf(table, "%s_table", prefix);
        for (uint32_t i = 0; i < n; i++) {
            const char *fn = names[i];
            buf_printf(b, "    \"\\t.pushsection .text.%s,\\\"ax\\\",%%progbits\\n\"\n", fn);
            if (a->arch == MODP_ARCH_XTENSA)
                buf_printf(b, "    \"\\t.literal_position\\n\"\n"
                       "    \"\\t.literal .Lmodpack_stub_%s, %s+%u\\n\"\n"
                       "    \"\\t.align 4\\n\"\n", fn, table, 4u * i);
            else
                buf_printf(b, "    \"%s\"\n", a->pre);
            buf_printf(b, "    \"\\t.globl %s\\n\"\n    \"\\t.type %s, %%function\\n\"\n", fn, fn);
            if (a->arch == MODP_ARCH_ARM)
                buf_printf(b, "    \"\\t.thumb_func\\n\"\n");
            buf_printf(b, "    \"%s:\\n\"\n", fn);
            a->stub(b, fn, table, i);
            buf_printf(b, "    \"\\t.size %s, .-%s\\n\"\n    \"\\t.popsection\\n\"\n", fn, fn);
        }
        buf_printf(b, ");\n");
        free(table);
    }
    buf_printf(b, "#else\n#error \"stubs for the ISA of %s; this compiler targets another\"\n#endif\n", img);
    (void)o;
}

static void gen_header(mp_buf *b, const char *img, const char *prefix, const char *module,
                       char **names, uint32_t n)
{
    char guard[256];
    size_t g = 0;
    for (const char *p = prefix; *p && g + 10 < sizeof guard; p++)
        guard[g++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    memcpy(guard + g, "_STUBS_H", 9);
    buf_printf(b, "/* Generated by modpack stubs from %s (module \"%s\"); do not edit. */\n"
           "#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n#include <modreg.h>\n\n"
           "/* Stubs, declared by the module's own header:", img, module, guard, guard);
    for (uint32_t i = 0; i < n; i++)
        buf_printf(b, "%s %s", i ? "," : "", names[i]);
    buf_printf(b, " */\n\nextern uintptr_t %s_table[%u];\nextern modreg_stubs %s_stubs;\n\n"
           "/* Bind the stubs to module \"%s\" in reg (modreg_bind). */\nint %s_bind(modreg *reg);\n\n"
           "#endif\n", prefix, n, prefix, module, prefix);
}

static int stubs(const char *path, const stubs_opts *o)
{
    uint8_t *buf = NULL;
    size_t len;
    modload_image im;
    int rc = 1;
    char **names = NULL, *module = NULL, *prefix = NULL;
    uint32_t n = 0;
    mp_buf src = {0}, hdr = {0};

    if (mp_read_file(path, &buf, &len) != 0)
        return 1;
    path = mp_input_name(path);
    int err = modload_check(buf, len, &im);
    if (err != MODLOAD_OK) {
        mp_error("%s: %s", path, modload_strerror(err));
        goto done;
    }
    int have_isa = 0;
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++)
        have_isa |= isas[k].arch == im.arch;
    if (!have_isa) {
        mp_error("%s: no stubs for this image's ISA (arch %u)", path, im.arch);
        goto done;
    }

    /* The registry name: the image's name record unless --module. */
    uint32_t pos = 0;
    modload_meta m;
    while (!o->module && modload_meta_next(&im, &pos, &m) > 0)
        if (m.type == MODP_META_NAME && m.len > 1)
            module = mp_strdup((const char *)m.bytes);
    if (o->module)
        module = mp_strdup(o->module);
    if (!module) {
        mp_error("%s: the image records no module name; give --module NAME", path);
        goto done;
    }
    if (o->prefix) {
        prefix = mp_strdup(o->prefix);
    } else {
        prefix = mp_strdup(module);
        for (char *p = prefix; *p; p++)
            if (!ident_char(*p))
                *p = '_';
    }
    if (!is_ident(prefix)) {
        mp_error("%s: prefix '%s' is not a C identifier; give --prefix P", path, prefix);
        goto done;
    }
    for (const char *p = module; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
            mp_error("%s: module name '%s' cannot be written as a C string; give --module NAME", path, module);
            goto done;
        }

    /* The functions: every exported one but entry and exit, or --symbol's. */
    names = mp_calloc(im.nexports + 1, sizeof *names);
    for (uint32_t i = 0; i < im.nexports; i++) {
        modload_export ex;
        if (modload_export_at(&im, i, &ex) != MODLOAD_OK)
            continue;
        if (!ex.name) {
            mp_error("%s: export names are stripped; stubs need them (pack without --strip-names)", path);
            goto done;
        }
        int want = ex.seg == MODP_SEG_CODE && ex.type == MODP_SYM_FUNC;
        if (o->nonly) {
            int listed = 0;
            for (size_t k = 0; k < o->nonly; k++)
                listed |= strcmp(o->only[k], ex.name) == 0;
            if (listed && !want) {
                mp_error("%s: --symbol %s: not an exported function (code segment, function type)", path, ex.name);
                goto done;
            }
            want = listed;
        } else if (ex.value == im.entry || ex.value == im.exit) {
            want = 0;
        }
        if (!want)
            continue;
        if (!is_ident(ex.name)) {
            mp_error("%s: export '%s' is not a C identifier, so no stub can carry its name; "
                     "choose the stubs with --symbol", path, ex.name);
            goto done;
        }
        names[n++] = (char *)ex.name;
    }
    for (size_t k = 0; k < o->nonly; k++) {
        int found = 0;
        for (uint32_t i = 0; i < n; i++)
            found |= strcmp(names[i], o->only[k]) == 0;
        if (!found) {
            mp_error("%s: --symbol %s: the image exports no function of that name", path, o->only[k]);
            goto done;
        }
    }
    if (!n) {
        mp_error("%s: the image exports no function to make a stub for", path);
        goto done;
    }
    qsort(names, n, sizeof *names, by_name);

    gen_source(&src, path, &im, o, prefix, module, names, n);
    if (o->header)
        gen_header(&hdr, path, prefix, module, names, n);
    if (mp_write_atomic(o->out, src.p, src.len) == 0 &&
        (!o->header || mp_write_atomic(o->header, hdr.p, hdr.len) == 0))
        rc = 0;
done:
    buf_free(&src);
    buf_free(&hdr);
    free(names);
    free(module);
    free(prefix);
    free(buf);
    return rc;
}

enum { O_OUTPUT = 1, O_HEADER, O_PREFIX, O_MODULE, O_SYMBOL };

static const mp_optspec stubs_options[] = {
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--header", 0, 1, O_HEADER, NULL},
    {"--prefix", 0, 1, O_PREFIX, NULL},
    {"--module", 0, 1, O_MODULE, NULL},
    {"--symbol", 0, 1, O_SYMBOL, NULL},
    {0},
};

int mp_cmd_stubs(int argc, char **argv)
{
    stubs_opts o = {0};
    const char *img = NULL;
    int rc = MP_EXIT_USAGE;
    mp_cli c;

    o.only = mp_calloc((size_t)argc + 1, sizeof *o.only);
    mp_cli_init(&c, "stubs", mp_usage_stubs, stubs_options, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: rc = 0; goto done;
        case MP_CLI_ERROR: goto done;
        case MP_CLI_OPERAND:
            if (img) {
                mp_usage_error("stubs", "more than one image:", c.value);
                goto done;
            }
            img = c.value;
            break;
        case O_OUTPUT: o.out = c.value; break;
        case O_HEADER: o.header = c.value; break;
        case O_PREFIX: o.prefix = c.value; break;
        case O_MODULE: o.module = c.value; break;
        case O_SYMBOL: o.only[o.nonly++] = (char *)c.value; break;
        }
    }
    if (!img || !o.out) {
        mp_usage_error("stubs", "give IMG and -o OUT.c", NULL);
        goto done;
    }
    if (o.header && mp_is_stdio(o.out) && mp_is_stdio(o.header)) {
        mp_usage_error("stubs", "-o and --header cannot both be standard output", NULL);
        goto done;
    }
    rc = mp_output_not_input(o.out, img) != 0 || mp_output_not_input(o.header, img) != 0
             ? 1 : stubs(img, &o);
done:
    free(o.only);
    return rc;
}
