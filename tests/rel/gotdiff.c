/* gotdiff.c - the differential test of position-independent relocatable
 * objects (tests/rel): modpack's link of a .o against GNU ld's.
 *
 *   gotdiff MANIFEST
 *
 * MANIFEST lines: row NAME OURS.bin LD.elf LD.bin BASE
 *   OURS.bin  `modpack relocate --base BASE` of the image modpack built from the .o
 *   LD.elf    the same .o linked by GNU ld at BASE with module.ld, --emit-relocs
 *             and --no-relax (GOT loads stay GOT loads), imports --defsym'd
 *   LD.bin    objcopy -O binary of LD.elf
 *
 * Both links lay out the GOT alike (reserved words, then one slot per
 * symbol) but order the slots differently: ld by its symbol hash table,
 * modpack by first reference. So the two binaries must be equal byte for
 * byte except
 *   - the GOT slots, which must hold the same values in some order, and
 *   - every field that ld's relocations (kept by --emit-relocs) say refers
 *     to a symbol's GOT slot: there the two values must differ by exactly
 *     how far that symbol's slot moved (ours - ld's); a RISC-V GOT_HI20 is
 *     read with its PCREL_LO12 as one value, their other bits equal.
 * The reserved words, every other byte and the lengths must match. A row
 * with no GOT field fails: it would prove nothing about the GOT.
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bin {
    uint8_t *b;
    size_t n;
} bin;

static int read_bin(const char *path, bin *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16;
    out->b = malloc(cap);
    out->n = 0;
    size_t k;
    while (out->b && (k = fread(out->b + out->n, 1, cap - out->n, f)) > 0) {
        out->n += k;
        if (out->n == cap) {
            uint8_t *nb = realloc(out->b, cap *= 2);
            if (!nb)
                free(out->b);
            out->b = nb;
        }
    }
    fclose(f);
    return out->b ? 0 : -1;
}

static uint64_t rd(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Relocation types whose field refers to the symbol's GOT slot. */
static unsigned slot_field(unsigned machine, uint32_t type)
{
    switch (machine) {
    case EM_386:
        return type == R_386_GOT32 || type == R_386_GOT32X ? 4 : 0;
    case EM_X86_64:
        if (type == R_X86_64_GOT64 || type == R_X86_64_GOTPCREL64)
            return 8;
        return type == R_X86_64_GOT32 || type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
                       type == R_X86_64_REX_GOTPCRELX ? 4 : 0;
    case EM_ARM:
        return type == 26 /* GOT_BREL */ || type == R_ARM_GOT_PREL ? 4 : 0;
    case EM_RISCV:
        return type == R_RISCV_GOT_HI20 ? 4 : 0;
    }
    return 0;
}

/* Reserved words at the start of the output .got (.got.plt, .got header). */
static unsigned reserved_words(unsigned machine)
{
    (void)machine;
    return 3;   /* i386, x86-64, ARM: .got.plt[3]; RISC-V: .got.plt[2] + .got[1] */
}

typedef struct row_ctx {
    const char *name;
    unsigned machine, word;
    uint64_t base, got, got_size;   /* got: offset in the binaries */
    bin ours, ld;
    uint8_t *explained;             /* bytes accounted for by the GOT rules */
    unsigned fields, moved;
} row_ctx;

/* The offset of the slot (past the reserved words) holding v in b, or
 * UINT64_MAX; fails if several do. */
static uint64_t find_slot(const row_ctx *c, const bin *b, uint64_t v, int *dup)
{
    uint64_t at = UINT64_MAX;
    for (uint64_t o = c->got + reserved_words(c->machine) * c->word; o + c->word <= c->got + c->got_size;
         o += c->word)
        if (rd(b->b + o, c->word) == v) {
            *dup |= at != UINT64_MAX;
            at = o;
        }
    return at;
}

static int64_t sext(uint64_t v, unsigned bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)(v ^ m) - (int64_t)m;
}

/* RISC-V: the AUIPC at off and its LO12 instruction at lo as one value. */
static int64_t rv_pair(const uint8_t *b, uint64_t off, uint64_t lo, int store)
{
    uint32_t hi = (uint32_t)rd(b + off, 4), l = (uint32_t)rd(b + lo, 4);
    int64_t imm = store ? sext((l >> 25) << 5 | ((l >> 7) & 0x1F), 12) : sext(l >> 20, 12);
    return sext(hi & 0xFFFFF000u, 32) + imm;
}

static int fail(const row_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%-28s FAIL: ", c->name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    return 1;
}

/* Every GOT relocation ld kept: the field moved by exactly its slot's move. */
static int check_fields(row_ctx *c, Elf *e)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA))
            continue;
        Elf_Scn *tscn = elf_getscn(e, sh.sh_info), *sscn = elf_getscn(e, sh.sh_link);
        GElf_Shdr tsh;
        if (!tscn || !sscn || !gelf_getshdr(tscn, &tsh) || !(tsh.sh_flags & SHF_ALLOC))
            continue;
        Elf_Data *d = elf_getdata(scn, NULL), *sd = elf_getdata(sscn, NULL);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < n; i++) {
            GElf_Rela r;
            GElf_Rel rel;
            if (sh.sh_type == SHT_RELA ? !gelf_getrela(d, (int)i, &r) : !gelf_getrel(d, (int)i, &rel))
                return fail(c, "cannot read relocation %zu", i);
            if (sh.sh_type == SHT_REL)
                r = (GElf_Rela){rel.r_offset, rel.r_info, 0};
            uint32_t type = (uint32_t)GELF_R_TYPE(r.r_info);
            unsigned w = slot_field(c->machine, type);
            if (!w)
                continue;
            GElf_Sym y;
            if (!gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &y))
                return fail(c, "relocation %zu names no symbol", i);
            uint64_t off = r.r_offset - c->base;
            if (off + w > c->ld.n)
                return fail(c, "GOT field at 0x%" PRIx64 " past the binary (0x%zx)", off, c->ld.n);
            int dup = 0;
            uint64_t ls = find_slot(c, &c->ld, y.st_value, &dup), os = find_slot(c, &c->ours, y.st_value, &dup);
            if (ls == UINT64_MAX || os == UINT64_MAX || dup)
                return fail(c, "no single GOT slot holds 0x%" PRIx64 " (field at 0x%" PRIx64 ")",
                            y.st_value, off);
            uint64_t delta = os - ls;
            c->moved += delta != 0;
            if (c->machine == EM_RISCV) {
                /* the LO12 whose symbol is the label on this AUIPC */
                uint64_t lo = UINT64_MAX;
                int store = 0;
                for (size_t k = 0; k < n && lo == UINT64_MAX; k++) {
                    GElf_Rela q;
                    GElf_Sym z;
                    if (!gelf_getrela(d, (int)k, &q) || !gelf_getsym(sd, (int)GELF_R_SYM(q.r_info), &z))
                        continue;
                    uint32_t qt = (uint32_t)GELF_R_TYPE(q.r_info);
                    if ((qt == R_RISCV_PCREL_LO12_I || qt == R_RISCV_PCREL_LO12_S) &&
                        z.st_value + (uint64_t)q.r_addend == r.r_offset) {
                        lo = q.r_offset - c->base;
                        store = qt == R_RISCV_PCREL_LO12_S;
                    }
                }
                if (lo == UINT64_MAX || lo + 4 > c->ld.n)
                    return fail(c, "GOT_HI20 at 0x%" PRIx64 " has no PCREL_LO12", off);
                uint32_t lmask = store ? 0x01FFF07Fu : 0x000FFFFFu;
                if (((rd(c->ours.b + off, 4) ^ rd(c->ld.b + off, 4)) & 0xFFF) ||
                    ((rd(c->ours.b + lo, 4) ^ rd(c->ld.b + lo, 4)) & lmask) ||
                    (uint64_t)(rv_pair(c->ours.b, off, lo, store) - rv_pair(c->ld.b, off, lo, store)) != delta)
                    return fail(c, "AUIPC/LO12 pair at 0x%" PRIx64 " does not follow its slot's move 0x%" PRIx64,
                                off, delta);
                memset(c->explained + lo, 1, 4);
            } else {
                uint64_t m = w == 8 ? UINT64_MAX : 0xFFFFFFFFu;
                if (((rd(c->ours.b + off, w) - rd(c->ld.b + off, w)) & m) != (delta & m))
                    return fail(c, "GOT field at 0x%" PRIx64 " does not follow its slot's move 0x%" PRIx64,
                                off, delta);
            }
            memset(c->explained + off, 1, w);
            c->fields++;
        }
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int run_row(row_ctx *c, const char *elfpath)
{
    int fd = open(elfpath, O_RDONLY);
    if (fd < 0) {
        perror(elfpath);
        return 1;
    }
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t shstr = 0;
    int rc = 1;
    if (!e || !gelf_getehdr(e, &eh) || elf_getshdrstrndx(e, &shstr) != 0) {
        printf("%-28s FAIL: %s is not an ELF file\n", c->name, elfpath);
        goto out;
    }
    c->machine = eh.e_machine;
    c->word = gelf_getclass(e) == ELFCLASS64 ? 8 : 4;
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    int have_got = 0;
    while ((scn = elf_nextscn(e, scn)) != NULL)
        if (gelf_getshdr(scn, &sh) && strcmp(elf_strptr(e, shstr, sh.sh_name), ".got") == 0) {
            c->got = sh.sh_addr - c->base;
            c->got_size = sh.sh_size;
            have_got = 1;
        }
    if (!have_got) {
        printf("%-28s FAIL: ld made no .got: the row proves nothing about the GOT\n", c->name);
        goto out;
    }
    if (c->ours.n != c->ld.n) {
        rc = fail(c, "lengths differ: modpack 0x%zx, ld 0x%zx", c->ours.n, c->ld.n);
        goto out;
    }
    if (c->got + c->got_size > c->ld.n) {
        rc = fail(c, ".got at 0x%" PRIx64 " past the binary (0x%zx)", c->got, c->ld.n);
        goto out;
    }
    c->explained = calloc(c->ld.n + 1, 1);
    if (!c->explained || check_fields(c, e) != 0)
        goto out;
    if (c->fields == 0) {
        printf("%-28s FAIL: no GOT relocation in ld's output: the row proves nothing\n", c->name);
        goto out;
    }
    /* the slots: the same values in some order; the reserved words equal */
    uint64_t first = c->got + reserved_words(c->machine) * c->word;
    size_t ns = (size_t)((c->got + c->got_size - first) / c->word);
    uint64_t *a = calloc(ns + 1, 8), *b = calloc(ns + 1, 8);
    for (size_t i = 0; a && b && i < ns; i++) {
        a[i] = rd(c->ours.b + first + i * c->word, c->word);
        b[i] = rd(c->ld.b + first + i * c->word, c->word);
    }
    int same = a && b;
    if (same) {
        qsort(a, ns, 8, cmp_u64);
        qsort(b, ns, 8, cmp_u64);
        same = memcmp(a, b, ns * 8) == 0;
    }
    free(a);
    free(b);
    if (!same) {
        rc = fail(c, "the GOT slots (0x%" PRIx64 ", %" PRIu64 " bytes) hold different values", c->got,
                  c->got_size);
        goto out;
    }
    memset(c->explained + first, 1, ns * c->word);
    for (size_t i = 0; i < c->ld.n; i++)
        if (!c->explained[i] && c->ours.b[i] != c->ld.b[i]) {
            rc = fail(c, "byte 0x%zx differs: modpack 0x%02x, ld 0x%02x", i, c->ours.b[i], c->ld.b[i]);
            goto out;
        }
    printf("%-28s ok: %zu bytes, %zu GOT slots, %u GOT fields (%u at a moved slot)\n", c->name,
           c->ld.n, ns, c->fields, c->moved);
    rc = 0;
out:
    free(c->explained);
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gotdiff MANIFEST\n");
        return 2;
    }
    if (elf_version(EV_CURRENT) == EV_NONE)
        return 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char line[4096];
    int failed = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        char name[256], ours[1024], elfp[1024], ldp[1024];
        unsigned long long base;
        if (sscanf(line, "row %255s %1023s %1023s %1023s %llx", name, ours, elfp, ldp, &base) != 5)
            continue;
        row_ctx c;
        memset(&c, 0, sizeof c);
        c.name = name;
        c.base = base;
        rows++;
        if (read_bin(ours, &c.ours) != 0 || read_bin(ldp, &c.ld) != 0)
            failed |= fail(&c, "cannot read %s or %s", ours, ldp);
        else
            failed |= run_row(&c, elfp);
        free(c.ours.b);
        free(c.ld.b);
    }
    fclose(f);
    if (rows == 0) {
        fprintf(stderr, "%s: no rows\n", argv[1]);
        return 1;
    }
    return failed ? 1 : 0;
}
