/* mpelf.h - the input ELF, read through libelf into a plain model.
 *
 * Everything here has been bounds-checked: section bytes lie inside the
 * file, symbol and section indices are in range, names are valid strings.
 * Later stages never touch libelf. */
#ifndef MODPACK_ELF_H
#define MODPACK_ELF_H

#include <stddef.h>
#include <stdint.h>

#define MP_SEG_NONE (-1)

typedef struct mp_section {
    const char *name;
    uint32_t type;
    uint64_t flags, addr, size, align;
    uint64_t entsize;         /* SHF_MERGE sections: the size of an entry */
    uint32_t link, info;
    const uint8_t *bytes;     /* size bytes in the file; NULL for NOBITS */
    int seg;                  /* set by layout: MODP_SEG_CODE/DATA or MP_SEG_NONE */
    int bss;                  /* set by layout: NOBITS part of the data segment */
} mp_section;

typedef struct mp_symbol {
    const char *name;         /* "" when unnamed */
    uint64_t value, size;
    uint8_t bind, type, vis;
    uint32_t shndx;           /* SHN_XINDEX already resolved */
} mp_symbol;

typedef struct mp_reloc {
    uint64_t offset;
    uint32_t type, sym;
    int64_t addend;           /* RELA only */
} mp_reloc;

typedef struct mp_relsec {
    uint32_t index;           /* the relocation section */
    uint32_t target;          /* the section it patches */
    int rela;
    size_t n;
    mp_reloc *r;
} mp_relsec;

typedef struct mp_elf {
    const char *path;
    uint8_t *file;
    size_t file_size;
    void *elf;                /* Elf *, kept open: names point into it */
    unsigned cls;             /* ELFCLASS32 / ELFCLASS64 */
    uint16_t type, machine;
    uint32_t flags;
    uint64_t entry;
    size_t nsec;
    mp_section *sec;
    size_t symtab;            /* index of SHT_SYMTAB (ET_DYN: SHT_DYNSYM), 0 if none */
    size_t nsym;
    mp_symbol *sym;           /* sym[0] is the null symbol */
    size_t nssym;
    mp_symbol *ssym;          /* ET_DYN: .symtab beside .dynsym (sym), or NULL */
    size_t nrel;
    mp_relsec *rel;
    const uint8_t *build_id;  /* GNU build-id note descriptor, or NULL */
    size_t build_id_len;
    uint8_t *linked;          /* ET_REL: the placed section bytes (link.c) */
} mp_elf;

/* Read and check path. Returns 0, or -1 after printing the error. */
int mp_elf_open(mp_elf *m, const char *path);
void mp_elf_close(mp_elf *m);

/* Printable name of a symbol: section symbols take their section's name. */
const char *mp_sym_name(const mp_elf *m, uint32_t sym);
/* Symbol lookup by name (a global definition before a local one); NULL
 * when absent. */
const mp_symbol *mp_find_symbol(const mp_elf *m, const char *name);
/* The function of section sec whose bytes hold address a, for messages
 * (bit0: function symbols carry the instruction set in bit 0, as on ARM;
 * a function of size 0, as assembler often leaves them, holds its first
 * byte); NULL when none does. */
const char *mp_function_at(const mp_elf *m, uint32_t sec, uint64_t a, int bit0);

#endif
