/* elf.c - read an ELF file through libelf/gelf into the mp_elf model.
 *
 * Malformed input must give an error, never a crash: the file is read into
 * memory, handed to elf_memory(), and every offset, size and index libelf
 * returns is checked again against the file and the tables it refers to. */
#include "mpelf.h"
#include "cli.h"
#include "util.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

static int bad(const mp_elf *m, const char *what)
{
    return mp_error("%s: malformed ELF: %s", m->path, what);
}

/* libelf's last error, or what failed when libelf recorded none. */
static const char *libelf_why(const char *what)
{
    int err = elf_errno();
    return err ? elf_errmsg(err) : what;
}

static int read_sections(mp_elf *m, Elf *e)
{
    size_t shnum, shstrndx;
    if (elf_getshdrnum(e, &shnum) != 0)
        return bad(m, "cannot read the section count");
    if (shnum == 0)
        return mp_error("%s: ELF has no section headers", m->path);
    if (shnum > 65536)
        return bad(m, "too many sections");
    if (elf_getshdrstrndx(e, &shstrndx) != 0 || shstrndx >= shnum)
        return bad(m, "bad section name table index");
    m->nsec = shnum;
    m->sec = mp_calloc(shnum, sizeof *m->sec);
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *scn = elf_getscn(e, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            return bad(m, "unreadable section header");
        mp_section *s = &m->sec[i];
        s->seg = MP_SEG_NONE;
        s->type = sh.sh_type;
        s->flags = sh.sh_flags;
        s->addr = sh.sh_addr;
        s->size = sh.sh_size;
        s->align = sh.sh_addralign;
        s->entsize = sh.sh_entsize;
        s->link = sh.sh_link;
        s->info = sh.sh_info;
        s->name = "";
        if (i != 0) {
            const char *n = elf_strptr(e, shstrndx, sh.sh_name);
            if (!n)
                return bad(m, "section name outside the name table");
            s->name = n;
        }
        if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && sh.sh_size) {
            if (sh.sh_offset > m->file_size || sh.sh_size > m->file_size - sh.sh_offset) {
                mp_error("%s: malformed ELF: section %s lies outside the file", m->path, s->name);
                return -1;
            }
            s->bytes = m->file + sh.sh_offset;
        }
        if (sh.sh_addralign > 1 && (sh.sh_addralign & (sh.sh_addralign - 1)))
            return mp_error("%s: malformed ELF: section %s alignment is not a power of two",
                            m->path, s->name);
    }
    return 0;
}

/* Read symbol table section idx (with its SHT_SYMTAB_SHNDX, if any) into
 * *out; out[0] is the null symbol. */
static int read_symtab(mp_elf *m, size_t idx, size_t xindex, mp_symbol **out, size_t *nout)
{
    const mp_section *st = &m->sec[idx];
    size_t esz = m->cls == ELFCLASS32 ? sizeof(Elf32_Sym) : sizeof(Elf64_Sym);
    if (st->link == 0 || st->link >= m->nsec || m->sec[st->link].type != SHT_STRTAB)
        return bad(m, "symbol table has no string table");
    Elf_Scn *scn = elf_getscn((Elf *)m->elf, idx);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (!d || (st->size && !d->d_buf))
        return bad(m, "unreadable symbol table");
    size_t n = d->d_size / esz;
    Elf_Data *xd = NULL;
    if (xindex) {
        Elf_Scn *xs = elf_getscn((Elf *)m->elf, xindex);
        xd = xs ? elf_getdata(xs, NULL) : NULL;
    }
    mp_symbol *sym = mp_calloc(n ? n : 1, sizeof *sym);
    *out = sym;
    *nout = n ? n : 1;
    sym[0].name = "";
    for (size_t i = 0; i < n; i++) {
        GElf_Sym s;
        Elf32_Word xs = 0;
        if (!gelf_getsymshndx(d, xd, (int)i, &s, &xs))
            return bad(m, "unreadable symbol");
        mp_symbol *y = &sym[i];
        const char *nm = elf_strptr((Elf *)m->elf, st->link, s.st_name);
        if (!nm)
            return bad(m, "symbol name outside the string table");
        y->name = nm;
        y->value = s.st_value;
        y->size = s.st_size;
        y->bind = GELF_ST_BIND(s.st_info);
        y->type = GELF_ST_TYPE(s.st_info);
        y->vis = GELF_ST_VISIBILITY(s.st_other);
        y->shndx = s.st_shndx == SHN_XINDEX ? xs : s.st_shndx;
        if (y->shndx >= m->nsec && y->shndx < SHN_LORESERVE)
            return mp_error("%s: malformed ELF: symbol '%s' has section index %u out of range",
                            m->path, nm, (unsigned)y->shndx);
        if (s.st_shndx == SHN_XINDEX && y->shndx >= m->nsec)
            return bad(m, "extended section index out of range");
    }
    return 0;
}

static int read_symbols(mp_elf *m)
{
    /* The static symbol table; --emit-relocs output always has one. A
     * shared object is described by its dynamic symbol table, which its
     * dynamic relocations use; its static one (if not stripped) is kept
     * as ssym for name lookups. */
    size_t symtab = 0, dynsym = 0, xindex = 0;
    for (size_t i = 1; i < m->nsec; i++) {
        if (m->sec[i].type == SHT_SYMTAB && !symtab)
            symtab = i;
        else if (m->sec[i].type == SHT_DYNSYM && !dynsym)
            dynsym = i;
        else if (m->sec[i].type == SHT_SYMTAB_SHNDX)
            xindex = i;
    }
    if (m->type == ET_DYN && dynsym) {
        if (symtab && read_symtab(m, symtab, xindex, &m->ssym, &m->nssym) != 0)
            return -1;
        symtab = dynsym;
        xindex = 0;           /* SHT_SYMTAB_SHNDX belongs to .symtab */
    }
    m->nsym = 0;
    m->symtab = symtab;
    if (!symtab) {
        m->sym = mp_calloc(1, sizeof *m->sym);
        m->sym[0].name = "";
        m->nsym = 1;
        return 0;
    }
    return read_symtab(m, symtab, xindex, &m->sym, &m->nsym);
}

static int read_relocs(mp_elf *m)
{
    size_t cnt = 0;
    for (size_t i = 1; i < m->nsec; i++)
        cnt += m->sec[i].type == SHT_REL || m->sec[i].type == SHT_RELA;
    m->rel = mp_calloc(cnt, sizeof *m->rel);
    for (size_t i = 1; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        if (s->type != SHT_REL && s->type != SHT_RELA)
            continue;
        mp_relsec *rs = &m->rel[m->nrel++];
        rs->index = (uint32_t)i;
        rs->target = s->info;
        rs->rela = s->type == SHT_RELA;
        /* info 0: dynamic relocations (.rela.dyn), not tied to a section */
        if (s->info >= m->nsec)
            return mp_error("%s: malformed ELF: %s patches section %u, out of range",
                            m->path, s->name, (unsigned)s->info);
        /* Only relocations against the symbol table read above: the static
         * one (--emit-relocs), or .dynsym for a shared object (whose
         * .rel.dyn and friends use it). */
        if (s->link != m->symtab || m->symtab == 0)
            continue;
        Elf_Scn *scn = elf_getscn((Elf *)m->elf, i);
        Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
        if (!d || (s->size && !d->d_buf))
            return mp_error("%s: malformed ELF: unreadable %s", m->path, s->name);
        size_t esz = gelf_fsize((Elf *)m->elf, rs->rela ? ELF_T_RELA : ELF_T_REL, 1, EV_CURRENT);
        if (!esz)
            return bad(m, "bad relocation entry size");
        rs->n = d->d_size / esz;
        rs->r = mp_calloc(rs->n, sizeof *rs->r);
        for (size_t k = 0; k < rs->n; k++) {
            mp_reloc *r = &rs->r[k];
            if (rs->rela) {
                GElf_Rela a;
                if (!gelf_getrela(d, (int)k, &a))
                    return bad(m, "unreadable relocation");
                r->offset = a.r_offset;
                r->addend = a.r_addend;
                r->type = (uint32_t)GELF_R_TYPE(a.r_info);
                r->sym = (uint32_t)GELF_R_SYM(a.r_info);
            } else {
                GElf_Rel a;
                if (!gelf_getrel(d, (int)k, &a))
                    return bad(m, "unreadable relocation");
                r->offset = a.r_offset;
                r->type = (uint32_t)GELF_R_TYPE(a.r_info);
                r->sym = (uint32_t)GELF_R_SYM(a.r_info);
            }
            if (r->sym >= m->nsym)
                return mp_error("%s: malformed ELF: %s entry %zu uses symbol %u, out of range",
                                m->path, s->name, k, (unsigned)r->sym);
        }
    }
    return 0;
}

/* The descriptor of an NT_GNU_BUILD_ID note named "GNU", if any. */
static void find_build_id(mp_elf *m)
{
    for (size_t i = 1; i < m->nsec; i++) {
        const mp_section *s = &m->sec[i];
        if (s->type != SHT_NOTE || !s->bytes)
            continue;
        const uint8_t *p = s->bytes;
        uint64_t left = s->size;
        while (left >= 12) {
            uint32_t namesz = rd32(p), descsz = rd32(p + 4), type = rd32(p + 8);
            uint64_t nlen = ((uint64_t)namesz + 3) & ~(uint64_t)3;
            uint64_t dlen = ((uint64_t)descsz + 3) & ~(uint64_t)3;
            if (nlen > left - 12 || dlen > left - 12 - nlen)
                break;
            if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + 12, "GNU", 4) == 0 &&
                descsz > 0 && descsz <= 64) {
                m->build_id = p + 12 + nlen;
                m->build_id_len = descsz;
                return;
            }
            p += 12 + nlen + dlen;
            left -= 12 + nlen + dlen;
        }
    }
}

int mp_elf_open(mp_elf *m, const char *path)
{
    memset(m, 0, sizeof *m);
    m->path = mp_input_name(path);
    if (mp_read_file(path, &m->file, &m->file_size) != 0)
        return -1;
    path = m->path;
    const uint8_t *id = m->file;
    if (m->file_size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
        return mp_error("%s: not an ELF file", path);
    if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
        return mp_error("%s: malformed ELF: unknown ELF class %u", path, id[EI_CLASS]);
    if (id[EI_DATA] == ELFDATA2MSB)
        return mp_error("%s: big-endian ELF is not supported (modules are little-endian)", path);
    if (id[EI_DATA] != ELFDATA2LSB)
        return mp_error("%s: malformed ELF: unknown data encoding %u", path, id[EI_DATA]);
    if (id[EI_VERSION] != EV_CURRENT)   /* libelf refuses it without saying why */
        return mp_error("%s: malformed ELF: ELF version %u in e_ident, expected %u",
                        path, id[EI_VERSION], EV_CURRENT);
    m->cls = id[EI_CLASS];
    size_t ehsize = m->cls == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
    if (m->file_size < ehsize)
        return mp_error("%s: malformed ELF: truncated ELF header", path);

    elf_version(EV_CURRENT);
    Elf *e = elf_memory((char *)m->file, m->file_size);
    if (!e)
        return mp_error("%s: malformed ELF: %s", path, libelf_why("libelf cannot open it"));
    m->elf = e;
    GElf_Ehdr eh;
    if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
        return mp_error("%s: malformed ELF: %s", path, libelf_why("libelf cannot read the ELF header"));
    m->type = eh.e_type;
    m->machine = eh.e_machine;
    m->flags = eh.e_flags;
    m->entry = eh.e_entry;
    /* libelf reports no sections for a table past the end: say what is wrong. */
    if (eh.e_shoff >= m->file_size)
        return eh.e_shoff ? bad(m, "the section headers lie outside the file")
                          : mp_error("%s: ELF has no section headers", path);
    if (read_sections(m, e) || read_symbols(m) || read_relocs(m))
        return -1;
    find_build_id(m);
    return 0;
}

void mp_elf_close(mp_elf *m)
{
    if (m->elf)
        elf_end((Elf *)m->elf);
    for (size_t i = 0; i < m->nrel; i++)
        free(m->rel[i].r);
    free(m->rel);
    free(m->sym);
    free(m->ssym);
    free(m->sec);
    free(m->linked);
    free(m->file);
    memset(m, 0, sizeof *m);
}

const char *mp_sym_name(const mp_elf *m, uint32_t sym)
{
    if (sym >= m->nsym)
        return "?";
    const mp_symbol *y = &m->sym[sym];
    if (y->type == STT_SECTION && y->shndx < m->nsec)
        return m->sec[y->shndx].name;
    return y->name;
}

static const mp_symbol *find_in(const mp_symbol *sym, size_t nsym, const char *name)
{
    /* Prefer a global definition over a local one of the same name. */
    const mp_symbol *found = NULL;
    for (size_t i = 1; i < nsym; i++) {
        const mp_symbol *y = &sym[i];
        if (y->type == STT_SECTION || y->type == STT_FILE || strcmp(y->name, name) != 0)
            continue;
        if (y->bind != STB_LOCAL)
            return y;
        if (!found)
            found = y;
    }
    return found;
}

const char *mp_function_at(const mp_elf *m, uint32_t sec, uint64_t a, int bit0)
{
    for (size_t i = 1; i < m->nsym; i++) {
        const mp_symbol *y = &m->sym[i];
        uint64_t v = bit0 ? y->value & ~(uint64_t)1 : y->value;
        if (y->type == STT_FUNC && y->shndx == sec && y->name[0] && a >= v && a - v < (y->size ? y->size : 1))
            return y->name;
    }
    return NULL;
}

const mp_symbol *mp_find_symbol(const mp_elf *m, const char *name)
{
    const mp_symbol *y = find_in(m->sym, m->nsym, name);
    /* a shared object: a hidden or local symbol is only in .symtab */
    if ((!y || y->shndx == SHN_UNDEF) && m->ssym) {
        const mp_symbol *z = find_in(m->ssym, m->nssym, name);
        if (z && z->shndx != SHN_UNDEF)
            y = z;
    }
    return y;
}
