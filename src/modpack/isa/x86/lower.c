/* isa/x86/lower.c - i386 and x86-64 relocation allow-lists.
 *
 * Every R_386_* and R_X86_64_* type is in one of the tables below with the
 * class that decides how it is lowered; anything else, or a REJECT entry,
 * stops the build with a message naming the site and the flag that avoids
 * it. On x86 every relocated field is a plain little-endian word at any
 * alignment (an instruction's disp32/imm32/rel32, or data), so:
 *
 *   - absolute words become WORD32 (i386) or WORD64 (x86-64) fixups;
 *   - PC- and GOT-relative words need nothing within a segment; between the
 *     segments they clear SPLIT and are remembered, so that the data can
 *     move up when veneers grow the code (the word is adjusted then);
 *   - GOT loads the linker did not relax leave a .got slot holding an
 *     address: the slot gets the fixup (like R_ARM_GOT_BREL on ARM);
 *   - a CALL/JMP/Jcc rel32 to an import: on i386 bound directly (REL32:
 *     the rel32 reaches all 4 GiB); on x86-64 through a host-made veneer
 *     at the end of the code, `jmp *0(%rip); .quad addr`, whose literal
 *     gets the import fixup (i386 `push imm32; ret` for an absolute
 *     symbol);
 *   - x86-64 32-bit absolute fields (R_X86_64_32/32S) cannot hold a 64-bit
 *     run address and are refused (see man/modpack.1 for the flags).
 */
#include "lowering.h"
#include "insn.h"
#include "link.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

enum cls {
    K_NONE,       /* no effect on the image (also: SIZE32/64, constants) */
    K_ABS,        /* absolute word of the native width: WORD32 / WORD64 */
    K_ABS32_64,   /* x86-64 32-bit absolute: only absolute symbols */
    K_SMALLABS,   /* 8/16-bit absolute: only absolute symbols */
    K_PC,         /* S + A - P: intra-segment nothing; CALL/JMP to import: veneer */
    K_SMALLPC,    /* 8/16-bit S + A - P: within a segment only */
    K_GOTPC,      /* GOT + A - P */
    K_GOTOFF,     /* S + A - GOT */
    K_GOT,        /* i386 GOT32/GOT32X, x86-64 GOT32/GOT64: slot - GOT (or slot) */
    K_GOTPCREL,   /* x86-64: slot + A - P */
    K_REJECT,
};

typedef mp_rinfo rinfo;

enum { X86_VENEER, X86_SLOT };  /* veneer template variants (x86-64 has both) */

#define PLT_WHY  "PLT-relative addressing needs a PLT, which modules do not have"
#define PLT_HINT "compile with -fno-plt, or without -mcmodel=large -fPIC"
#define OLD_WHY  "obsolete relocation"
#define OLD_HINT "rebuild with a current toolchain"

static const rinfo i386_table[] = {
    {0, K_NONE, 4, "R_386_NONE", 0, 0},
    {1, K_ABS, 4, "R_386_32", 0, 0},
    {2, K_PC, 4, "R_386_PC32", 0, 0},
    {3, K_GOT, 4, "R_386_GOT32", 0, 0},
    {4, K_PC, 4, "R_386_PLT32", 0, 0},
    {5, K_REJECT, 4, "R_386_COPY", MP_DYN_WHY, MP_DYN_HINT},
    {6, K_REJECT, 4, "R_386_GLOB_DAT", MP_DYN_WHY, MP_DYN_HINT},
    {7, K_REJECT, 4, "R_386_JMP_SLOT", MP_DYN_WHY, MP_DYN_HINT},
    {8, K_REJECT, 4, "R_386_RELATIVE", MP_DYN_WHY, MP_DYN_HINT},
    {9, K_GOTOFF, 4, "R_386_GOTOFF", 0, 0},
    {10, K_GOTPC, 4, "R_386_GOTPC", 0, 0},
    {11, K_REJECT, 4, "R_386_32PLT", OLD_WHY, OLD_HINT},
    {14, K_REJECT, 4, "R_386_TLS_TPOFF", MP_TLS_WHY, MP_TLS_HINT},
    {15, K_REJECT, 4, "R_386_TLS_IE", MP_TLS_WHY, MP_TLS_HINT},
    {16, K_REJECT, 4, "R_386_TLS_GOTIE", MP_TLS_WHY, MP_TLS_HINT},
    {17, K_REJECT, 4, "R_386_TLS_LE", MP_TLS_WHY, MP_TLS_HINT},
    {18, K_REJECT, 4, "R_386_TLS_GD", MP_TLS_WHY, MP_TLS_HINT},
    {19, K_REJECT, 4, "R_386_TLS_LDM", MP_TLS_WHY, MP_TLS_HINT},
    {20, K_SMALLABS, 2, "R_386_16", 0, 0},
    {21, K_SMALLPC, 2, "R_386_PC16", 0, 0},
    {22, K_SMALLABS, 1, "R_386_8", 0, 0},
    {23, K_SMALLPC, 1, "R_386_PC8", 0, 0},
    {24, K_REJECT, 4, "R_386_TLS_GD_32", MP_TLS_WHY, MP_TLS_HINT},
    {25, K_REJECT, 4, "R_386_TLS_GD_PUSH", MP_TLS_WHY, MP_TLS_HINT},
    {26, K_REJECT, 4, "R_386_TLS_GD_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {27, K_REJECT, 4, "R_386_TLS_GD_POP", MP_TLS_WHY, MP_TLS_HINT},
    {28, K_REJECT, 4, "R_386_TLS_LDM_32", MP_TLS_WHY, MP_TLS_HINT},
    {29, K_REJECT, 4, "R_386_TLS_LDM_PUSH", MP_TLS_WHY, MP_TLS_HINT},
    {30, K_REJECT, 4, "R_386_TLS_LDM_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {31, K_REJECT, 4, "R_386_TLS_LDM_POP", MP_TLS_WHY, MP_TLS_HINT},
    {32, K_REJECT, 4, "R_386_TLS_LDO_32", MP_TLS_WHY, MP_TLS_HINT},
    {33, K_REJECT, 4, "R_386_TLS_IE_32", MP_TLS_WHY, MP_TLS_HINT},
    {34, K_REJECT, 4, "R_386_TLS_LE_32", MP_TLS_WHY, MP_TLS_HINT},
    {35, K_REJECT, 4, "R_386_TLS_DTPMOD32", MP_TLS_WHY, MP_TLS_HINT},
    {36, K_REJECT, 4, "R_386_TLS_DTPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {37, K_REJECT, 4, "R_386_TLS_TPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {38, K_NONE, 4, "R_386_SIZE32", 0, 0},
    {39, K_REJECT, 4, "R_386_TLS_GOTDESC", MP_TLS_WHY, MP_TLS_HINT},
    {40, K_REJECT, 4, "R_386_TLS_DESC_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {41, K_REJECT, 4, "R_386_TLS_DESC", MP_TLS_WHY, MP_TLS_HINT},
    {42, K_REJECT, 4, "R_386_IRELATIVE", MP_DYN_WHY, "do not use ifunc"},
    {43, K_GOT, 4, "R_386_GOT32X", 0, 0},
};

#define ABS32_WHY  "a 32-bit absolute field cannot hold the module's 64-bit run address"
#define ABS32_HINT "compile with -fPIE or -fPIC (-mcmodel=small) or -fno-pic -mcmodel=large"

static const rinfo x86_64_table[] = {
    {0, K_NONE, 8, "R_X86_64_NONE", 0, 0},
    {1, K_ABS, 8, "R_X86_64_64", 0, 0},
    {2, K_PC, 4, "R_X86_64_PC32", 0, 0},
    {3, K_GOT, 4, "R_X86_64_GOT32", 0, 0},
    {4, K_PC, 4, "R_X86_64_PLT32", 0, 0},
    {5, K_REJECT, 8, "R_X86_64_COPY", MP_DYN_WHY, MP_DYN_HINT},
    {6, K_REJECT, 8, "R_X86_64_GLOB_DAT", MP_DYN_WHY, MP_DYN_HINT},
    {7, K_REJECT, 8, "R_X86_64_JUMP_SLOT", MP_DYN_WHY, MP_DYN_HINT},
    {8, K_REJECT, 8, "R_X86_64_RELATIVE", MP_DYN_WHY, MP_DYN_HINT},
    {9, K_GOTPCREL, 4, "R_X86_64_GOTPCREL", 0, 0},
    {10, K_ABS32_64, 4, "R_X86_64_32", 0, 0},
    {11, K_ABS32_64, 4, "R_X86_64_32S", 0, 0},
    {12, K_SMALLABS, 2, "R_X86_64_16", 0, 0},
    {13, K_SMALLPC, 2, "R_X86_64_PC16", 0, 0},
    {14, K_SMALLABS, 1, "R_X86_64_8", 0, 0},
    {15, K_SMALLPC, 1, "R_X86_64_PC8", 0, 0},
    {16, K_REJECT, 8, "R_X86_64_DTPMOD64", MP_TLS_WHY, MP_TLS_HINT},
    {17, K_REJECT, 8, "R_X86_64_DTPOFF64", MP_TLS_WHY, MP_TLS_HINT},
    {18, K_REJECT, 8, "R_X86_64_TPOFF64", MP_TLS_WHY, MP_TLS_HINT},
    {19, K_REJECT, 4, "R_X86_64_TLSGD", MP_TLS_WHY, MP_TLS_HINT},
    {20, K_REJECT, 4, "R_X86_64_TLSLD", MP_TLS_WHY, MP_TLS_HINT},
    {21, K_REJECT, 4, "R_X86_64_DTPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {22, K_REJECT, 4, "R_X86_64_GOTTPOFF", MP_TLS_WHY, MP_TLS_HINT},
    {23, K_REJECT, 4, "R_X86_64_TPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {24, K_PC, 8, "R_X86_64_PC64", 0, 0},
    {25, K_GOTOFF, 8, "R_X86_64_GOTOFF64", 0, 0},
    {26, K_GOTPC, 4, "R_X86_64_GOTPC32", 0, 0},
    {27, K_GOT, 8, "R_X86_64_GOT64", 0, 0},
    {28, K_GOTPCREL, 8, "R_X86_64_GOTPCREL64", 0, 0},
    {29, K_GOTPC, 8, "R_X86_64_GOTPC64", 0, 0},
    {30, K_REJECT, 8, "R_X86_64_GOTPLT64", PLT_WHY, PLT_HINT},
    {31, K_REJECT, 8, "R_X86_64_PLTOFF64", PLT_WHY, PLT_HINT},
    {32, K_NONE, 4, "R_X86_64_SIZE32", 0, 0},
    {33, K_NONE, 8, "R_X86_64_SIZE64", 0, 0},
    {34, K_REJECT, 4, "R_X86_64_GOTPC32_TLSDESC", MP_TLS_WHY, MP_TLS_HINT},
    {35, K_REJECT, 4, "R_X86_64_TLSDESC_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {36, K_REJECT, 8, "R_X86_64_TLSDESC", MP_TLS_WHY, MP_TLS_HINT},
    {37, K_REJECT, 8, "R_X86_64_IRELATIVE", MP_DYN_WHY, "do not use ifunc"},
    {38, K_REJECT, 8, "R_X86_64_RELATIVE64", MP_DYN_WHY, MP_DYN_HINT},
    {41, K_GOTPCREL, 4, "R_X86_64_GOTPCRELX", 0, 0},
    {42, K_GOTPCREL, 4, "R_X86_64_REX_GOTPCRELX", 0, 0},
};

static int is64(const mp_ctx *c)
{
    return c->arch->machine == EM_X86_64;
}

/* A relation between two addresses in the segments `a` (added) and `b`
 * (subtracted), stored in a word: nothing within a segment; across them the
 * module cannot be split and the word moves with the data. */
static void relation(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int site_seg, int a, int b,
                     unsigned width)
{
    if (a == b)
        return;
    mp_no_split(c, rs, r, a == MODP_SEG_DATA ? "code refers to data relatively"
                                             : "data refers to code relatively");
    mp_add_xword(c, rs, r, site_seg, r->offset, a == MODP_SEG_DATA ? 1 : -1,
                 width == 4 ? MP_X_REL32 : MP_X_WORD64);
}

/* Lower the absolute word of the native width at seg/addr that holds t's
 * address plus an addend. */
static void lower_abs(mp_ctx *c, int seg, uint64_t addr, const mp_target *t, unsigned width)
{
    if (t->kind == MP_T_ABS)
        return;
    if (width == 4) {
        mp_lower_word(c, seg, addr, t);
        return;
    }
    uint8_t *p = mp_seg_at(&c->mod->L, seg, addr, 8);
    if (t->kind == MP_T_SEG)
        wrn(p, 8, rdn(p, 8) - c->mod->L.seg[t->seg].base);
    mp_add_fixup(c, MODP_FIX_WORD64, seg, addr, addr, t);
}

static const mp_section *section_at(mp_ctx *c, uint64_t addr, unsigned width)
{
    for (size_t i = 1; i < c->m->nsec; i++) {
        const mp_section *s = &c->m->sec[i];
        if (s->seg != MP_SEG_NONE && !s->bss && s->bytes && addr >= s->addr &&
            addr - s->addr < s->size && s->size - (addr - s->addr) >= width)
            return s;
    }
    return NULL;
}

#define PIC_HINT "compile with -fPIC or -fno-pic"
#define STALE_WHY "the linker rewrote this GOT load (relaxation) but kept the GOT relocation, so " \
                  "the instruction no longer matches it"
#define STALE_HINT "link with -Wl,--no-relax"

/* The GOT slot at addr must hold t's address at run time. The slot is
 * where the GOT relocation says, in whatever output section the linker
 * script put the GOT (.got, or inside .data). */
static int lower_slot(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, uint64_t addr,
                      const mp_target *t)
{
    unsigned w = is64(c) ? 8 : 4;
    if (mp_find_note(c, addr))
        return 0;   /* one slot per symbol, shared by every reference */
    const mp_section *s = section_at(c, addr, w);
    if (!s || (addr & (w - 1)))
        return mp_reloc_error(c, rs, r, "the GOT slot it names is not a word of the module's data", PIC_HINT);
    /* a static link stores the symbol's link address (0 for an import) */
    uint64_t want = t->kind == MP_T_IMPORT ? 0 : t->value;
    if (rdn(s->bytes + (addr - s->addr), w) != want)
        return mp_reloc_error(c, rs, r, "the GOT slot does not hold the symbol's address",
                              "link statically with GNU ld or lld and --emit-relocs");
    mp_add_note(c, addr);
    lower_abs(c, s->seg, addr, t, w);
    return 0;
}

static int got_origin(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, uint64_t *org, int *seg)
{
    const mp_symbol *g = mp_got_symbol(c);
    if (!g || g->shndx == SHN_UNDEF || g->shndx >= c->m->nsec || c->m->sec[g->shndx].seg == MP_SEG_NONE)
        return mp_reloc_error(c, rs, r, "_GLOBAL_OFFSET_TABLE_ is not defined in the module", PIC_HINT);
    *org = g->value;
    *seg = c->m->sec[g->shndx].seg;
    return 0;
}

static int64_t sext32(uint32_t v)
{
    return (int64_t)(int32_t)v;
}

/* Is the rel32 at p (in an executable section at offset off) the operand
 * of CALL (E8), JMP (E9) or Jcc (0F 80..8F)? A RIP-relative memory operand
 * has a ModRM byte (mod 00, r/m 101) there instead, never these values. */
static int is_branch(const mp_section *s, uint64_t off, const uint8_t *p)
{
    if (!(s->flags & SHF_EXECINSTR) || off < 1)
        return 0;
    if (p[-1] == 0xE8 || p[-1] == 0xE9)
        return 1;
    return off >= 2 && p[-2] == 0x0F && (p[-1] & 0xF0) == 0x80;
}

/* What a linker left at an x86-64 GOTPCRELX site in code. GNU ld gives a
 * relaxed site a new relocation type; ld.lld (14) rewrites the instruction
 * and keeps the GOT type, so the bytes say which form the field belongs to. */
enum xform {
    X_LOAD,       /* still an instruction with a RIP-relative memory operand */
    X_LEA,        /* mov sym@GOTPCREL(%rip) -> lea sym(%rip): rel32 to sym */
    X_CALL,       /* call *sym@GOTPCREL(%rip) -> addr32 call sym: rel32 to sym */
    X_JMP,        /* jmp *sym@GOTPCREL(%rip) -> jmp sym; nop: rel32 at -1 */
    X_IMM,        /* test/binop (non-PIC output) -> op $sym, %reg: imm32 absolute */
    X_OTHER
};

static enum xform gotpcrelx_form(const mp_section *s, uint64_t off, const uint8_t *p)
{
    if (!(s->flags & SHF_EXECINSTR) || off < 2)
        return X_OTHER;
    uint8_t op = p[-2], modrm = p[-1];
    int riprel = (modrm & 0xC7) == 0x05;
    if (riprel && (op == 0x8B || op == 0x85 || (op & 0xC7) == 0x03))  /* mov, test, binop */
        return X_LOAD;
    if (riprel && op == 0xFF && ((modrm & 0x38) == 0x10 || (modrm & 0x38) == 0x20))
        return X_LOAD;                                                  /* call, jmp */
    if (riprel && op == 0x8D)
        return X_LEA;
    if (op == 0x67 && modrm == 0xE8)
        return X_CALL;
    if (op == 0xE9 && p[3] == 0x90)
        return X_JMP;
    if ((op == 0xC7 || op == 0xF7 || op == 0x81) && (modrm & 0xC0) == 0xC0)
        return X_IMM;
    return X_OTHER;
}

#define LLD_RELAX_HINT "link with -Wl,--no-relax (ld.lld --no-relax)"

/* An x86-64 GOTPCRELX site that ld.lld relaxed: lowered here (0), refused
 * (-1), or still a GOT load for the caller (1). */
static int relaxed_gotpcrelx(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const mp_section *sec,
                             uint64_t soff, const uint8_t *p, int seg, const mp_target *t)
{
    enum xform form = gotpcrelx_form(sec, soff, p);
    if (form == X_LOAD)
        return 1;
    if (form == X_IMM)
        return mp_reloc_error(c, rs, r, "the linker rewrote this GOT load into a 32-bit absolute "
                              "immediate (relaxation) but kept the GOT relocation; a 32-bit field "
                              "cannot hold the module's 64-bit run address", LLD_RELAX_HINT);
    if (form == X_OTHER)
        return mp_reloc_error(c, rs, r, STALE_WHY, STALE_HINT);
    /* LEA, CALL, JMP: a rel32 to the symbol's link address (0 for an import
     * left undefined), at p, or at p - 1 for JMP */
    mp_reloc at = *r;
    if (form == X_JMP)
        at.offset--;
    const uint8_t *field = form == X_JMP ? p - 1 : p;
    uint64_t want = t->kind == MP_T_IMPORT ? 0 : t->value;
    uint64_t dest = at.offset + 4 + (uint64_t)sext32(rd32(field));
    if (t->kind == MP_T_ABS || dest != want)
        return mp_reloc_error(c, rs, r, STALE_WHY, STALE_HINT);
    if (t->kind == MP_T_SEG) {   /* PC-relative within the module */
        relation(c, rs, &at, seg, t->seg, seg, 4);
        return 0;
    }
    if (form == X_LEA)
        return mp_reloc_error(c, rs, r, "the linker rewrote this GOT load of an import into a "
                              "PC-relative LEA of its link-time address 0 (relaxation), which cannot "
                              "reach the import", LLD_RELAX_HINT);
    if (seg != MODP_SEG_CODE)
        return mp_reloc_error(c, rs, r, "a branch to an import outside the code", NULL);
    mp_add_branch(c, rs, &at, MODP_SEG_CODE, 0, 0, t);   /* a direct call or jump now: through a veneer */
    return 0;
}

/* GNU ld's default relaxation of an x86-64 GOT load (REX_GOTPCRELX) whose
 * symbol has a 32-bit link address: "mov sym@GOTPCREL(%rip), %reg" becomes
 * "mov $sym, %reg" (REX C7 /0), "test %reg, sym@GOTPCREL(%rip)" becomes
 * "test $sym, %reg" (REX F7 /0) and "op sym@GOTPCREL(%rip), %reg" becomes
 * "op $sym, %reg" (REX 81 /op), each with an R_X86_64_32(S) at the imm32.
 * A 32-bit immediate cannot hold the module's run address, so the load is
 * restored: the same 7 bytes as "REX op' disp32(%rip)" from a slot modpack
 * appends to the code (a veneer variant holding the address, with its
 * fixup), reached PC-relatively like a call's veneer. Returns 0 when done,
 * 1 when the site is not such an instruction (the caller refuses it). */
static int unrelax_imm(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, const mp_section *sec,
                       uint64_t soff, uint8_t *p, const mp_target *t)
{
    if (!(sec->flags & SHF_EXECINSTR) || soff < 3 || r->offset + 4 > sec->addr + sec->size)
        return 1;
    uint8_t rex = p[-3], op = p[-2], modrm = p[-1], ext = modrm >> 3 & 7u;
    if ((rex & 0xF2) != 0x40 || (modrm & 0xC0) != 0xC0 ||       /* REX without R, X; register operand */
        !((op == 0xC7 && ext == 0) || (op == 0xF7 && ext == 0) || op == 0x81))
        return 1;
    mp_target slot = *t;   /* the slot holds S + A */
    slot.value = (t->kind == MP_T_IMPORT ? 0 : t->value) + (uint64_t)r->addend;
    if (t->kind != MP_T_IMPORT && rd32(p) != (uint32_t)slot.value)
        return mp_reloc_error(c, rs, r, STALE_WHY, STALE_HINT);
    uint8_t *w = mp_seg_at(&c->mod->L, MODP_SEG_CODE, r->offset - 3, 7);
    if (!w || c->m->sec[rs->target].seg != MODP_SEG_CODE)
        return 1;
    /* REX.B (the register's high bit) moves back to REX.R; mov loads 64 bits */
    w[0] = (uint8_t)(0x40 | (op == 0xC7 ? 8 : rex & 8) | (rex & 1) << 2);
    w[1] = op == 0xC7 ? 0x8B : op == 0xF7 ? 0x85 : (uint8_t)(ext << 3 | 3);
    w[2] = (uint8_t)(0x05 | (modrm & 7) << 3);
    mp_add_branch(c, rs, r, MODP_SEG_CODE, X86_SLOT, 0, &slot);
    return 0;
}

/* ---- one relocation --------------------------------------------------------- */

/* The GOT forms: GOT32/GOT32X (i386) and GOT32/GOT64 (x86-64) hold the
 * slot's offset from the GOT (or, i386 without a base register, its
 * address); GOTPCREL and friends (x86-64) hold slot + A - P. The slot gets
 * the fixup; a load the linker relaxed into an LEA is a plain relation. */
static int lower_got(mp_ctx *c, const mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    int seg = x->seg;
    const uint8_t *p = x->p;
    const mp_target t = x->t;
    const mp_section *sec = &c->m->sec[rs->target];
    uint64_t soff = r->offset - sec->addr;
    /* the addend: explicit with RELA (x86-64); REL (i386) keeps it in the
     * field before the link only, and the GOT forms that need it use 0 */
    int64_t a = r->addend;
    uint64_t f = rdn(p, ri->width), slot;
    int64_t v = ri->width == 4 ? sext32((uint32_t)f) : (int64_t)f;
    int base;                   /* the segment the field is relative to */
    unsigned sw;                /* the slot's width, as looked for */
    if (ri->cls == K_GOTPCREL) {
        if (r->type == R_X86_64_GOTPCRELX || r->type == R_X86_64_REX_GOTPCRELX) {
            int rc = relaxed_gotpcrelx(c, rs, r, sec, soff, p, seg, &t);
            if (rc <= 0)
                return rc;
        }
        slot = r->offset + (uint64_t)(v - a);
        base = seg;
        sw = 8;
    } else {
        uint64_t org = 0;
        int gseg = 0;
        if (got_origin(c, rs, r, &org, &gseg) != 0)
            return -1;
        /* i386 GOT32X without a base register (ModRM mod 00, r/m 101) holds
         * the slot's absolute address; otherwise slot - GOT. */
        int absolute = !is64(c) && soff >= 1 && (sec->flags & SHF_EXECINSTR) && (p[-1] & 0xC7) == 0x05;
        if (absolute) {
            mp_target gt = {MP_T_SEG, gseg, 0, org};
            if (lower_slot(c, rs, r, f, &t) != 0)
                return -1;
            mp_lower_word(c, seg, r->offset, &gt);
            return 0;
        }
        slot = org + (uint64_t)(v - a);   /* G + A (A is 0 with REL) */
        base = gseg;
        sw = ri->width;
    }
    const mp_section *gs = section_at(c, slot, sw);
    /* relaxed to LEA sym@GOTOFF / sym(%rip) with the GOT type kept (lld):
     * the "slot" is the symbol itself */
    if (t.kind == MP_T_SEG && slot == t.value && soff >= 2 && p[-2] == 0x8D) {
        relation(c, rs, r, seg, t.seg, base, ri->width);
        return 0;
    }
    if (!gs)
        return mp_reloc_error(c, rs, r, STALE_WHY, STALE_HINT);
    if (lower_slot(c, rs, r, slot, &t) != 0)
        return -1;
    if (ri->cls == K_GOTPCREL)
        relation(c, rs, r, seg, gs->seg, seg, ri->width);
    return 0;
}

static int x86_lower_rel(mp_ctx *c, mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    int seg = x->seg;
    uint8_t *p = x->p;
    mp_target t = x->t;
    const mp_section *sec = &c->m->sec[rs->target];
    uint64_t soff = r->offset - sec->addr;

    switch (ri->cls) {
    case K_ABS:
        lower_abs(c, seg, r->offset, &t, ri->width);
        return 0;
    case K_ABS32_64:
        if (t.kind != MP_T_ABS && is64(c)) {
            int rc = unrelax_imm(c, rs, r, sec, soff, p, &t);
            if (rc <= 0)
                return rc;
        }
        /* fall through */
    case K_SMALLABS:
        if (t.kind != MP_T_ABS)
            return ri->cls == K_ABS32_64
                       ? mp_reloc_error(c, rs, r, ABS32_WHY, ABS32_HINT)
                       : mp_reloc_error(c, rs, r, "a field narrower than the address cannot hold a "
                                        "relocatable address", "store the address in a pointer-sized word");
        return 0;
    case K_SMALLPC:
        if (t.kind == MP_T_SEG && t.seg == seg)
            return 0;
        return mp_reloc_error(c, rs, r, "an 8/16-bit relative field can only refer within its segment",
                              "use 32-bit branches and offsets (no .code16, no hand-written short jumps "
                              "to other segments)");
    case K_GOTPC: {
        uint64_t org = 0;
        int gseg = 0;
        if (got_origin(c, rs, r, &org, &gseg) != 0)
            return -1;
        relation(c, rs, r, seg, gseg, seg, ri->width);
        return 0;
    }
    case K_GOTOFF: {
        uint64_t org = 0;
        int gseg = 0;
        if (got_origin(c, rs, r, &org, &gseg) != 0)
            return -1;
        if (t.kind != MP_T_SEG)
            return mp_reloc_error(c, rs, r, "a GOT-relative offset cannot reach an import or "
                                  "absolute symbol", PIC_HINT);
        relation(c, rs, r, seg, t.seg, gseg, ri->width);
        return 0;
    }
    case K_GOT:
    case K_GOTPCREL:
        return lower_got(c, x);
    default:
        break;
    }

    /* K_PC: S + A - P */
    if (t.kind == MP_T_SEG) {
        const mp_symbol *y = &c->m->sym[r->sym];
        const char *sn = c->m->sec[y->shndx].name;
        if (strncmp(sn, ".plt", 4) == 0 || strncmp(sn, ".iplt", 5) == 0)
            return mp_reloc_error(c, rs, r, "the reference goes through a PLT entry", MP_DYN_HINT);
        relation(c, rs, r, seg, t.seg, seg, ri->width);
        return 0;
    }
    if (ri->width == 4 && is_branch(sec, soff, p)) {
        if (seg != MODP_SEG_CODE)
            return mp_reloc_error(c, rs, r, "a branch to an import outside the code", NULL);
        if (!is64(c) && t.kind == MP_T_IMPORT) {
            /* i386: the rel32 reaches every address, bound directly (REL32).
             * ld stored S + A - P with S = 0; the field keeps A. */
            wr32(p, rd32(p) + (uint32_t)r->offset);
            mp_add_fixup(c, MODP_FIX_REL32, seg, r->offset, r->offset, &t);
            return 0;
        }
        mp_add_branch(c, rs, r, MODP_SEG_CODE, 0, 0, &t);
        return 0;
    }
    const char *why = t.kind == MP_T_IMPORT
                          ? "a PC-relative data reference cannot reach an import (its address is known only at load time)"
                          : "a PC-relative reference to an absolute address breaks when the module moves";
    return mp_reloc_error(c, rs, r, why, is64(c) ? "compile with -fPIC so that the reference goes through the GOT"
                                                 : "compile with -fPIC or -fno-pic");
}

static int x86_begin(mp_ctx *c, const mp_relsec *rs)
{
    if (is64(c) && !rs->rela && rs->n)
        return mp_error("%s: %s: REL relocations are not used on x86-64", c->m->path,
                        c->m->sec[rs->index].name);
    if (!is64(c) && rs->rela && rs->n)
        return mp_error("%s: %s: RELA relocations are not used on i386", c->m->path,
                        c->m->sec[rs->index].name);
    return 0;
}

/* ---- veneers ------------------------------------------------------------------ */

/* i386: push imm32; ret. x86-64: jmp *0(%rip); .quad target. Both leave
 * every register and the stack as the branch found them. */
static const uint8_t i386_veneer[6] = {0x68, 0, 0, 0, 0, 0xC3};
static const uint8_t x86_64_veneer[14] = {0xFF, 0x25, 0, 0, 0, 0};
/* x86-64, X86_SLOT: a GOT slot for a load unrelax_imm restored */
static const uint8_t x86_64_slot[8] = {0};
static const mp_veneer_tpl i386_veneers[1] = {{i386_veneer, 6, 1, 4, 2, 0}};
static const mp_veneer_tpl x86_64_veneers[2] = {{x86_64_veneer, 14, 6, 8, 3, 0}, {x86_64_slot, 8, 0, 8, 3, 0}};

/* A CALL/JMP/Jcc rel32 to its veneer, or a RIP-relative disp32 (the
 * instruction's last field) to its slot. */
static int x86_patch_branch(mp_ctx *c, const mp_branch *b, uint64_t dest)
{
    int64_t rel = (int64_t)dest - (int64_t)(b->addr + 4);
    if (rel < INT32_MIN || rel > INT32_MAX)
        return mp_reloc_error(c, b->rs, &b->r, "the veneer is out of rel32 range", NULL);
    wr32(mp_seg_at(&c->mod->L, MODP_SEG_CODE, b->addr, 4), (uint32_t)(int32_t)rel);
    return 0;
}

static uint32_t x86_flags(mp_ctx *c)
{
    (void)c;
    return 0;
}

/* Shared objects (dynamic.c): RELATIVE, GLOB_DAT, JUMP_SLOT, 32/64, COPY,
 * IRELATIVE of R_386_* and R_X86_64_*. */
static const mp_dyn_types i386_dyn = {
    .relative = R_386_RELATIVE,
    .glob_dat = R_386_GLOB_DAT,
    .jump_slot = R_386_JMP_SLOT,
    .abs32 = R_386_32,
    .copy = R_386_COPY,
    .irelative = R_386_IRELATIVE,
};
static const mp_dyn_types x86_64_dyn = {
    .relative = R_X86_64_RELATIVE,
    .glob_dat = R_X86_64_GLOB_DAT,
    .jump_slot = R_X86_64_JUMP_SLOT,
    .abs64 = R_X86_64_64,
    .copy = R_X86_64_COPY,
    .irelative = R_X86_64_IRELATIVE,
};

extern const mp_stub_tpl mp_stub_i386, mp_stub_x86_64; /* stub.c */

/* What i386 and x86-64 share. */
#define X86_COMMON \
    .begin = x86_begin, \
    .lower_rel = x86_lower_rel, \
    .patch_branch = x86_patch_branch, \
    .arch_flags = x86_flags

const mp_arch mp_arch_i386 = {
    .machine = EM_386,
    .elfclass = ELFCLASS32,
    .name = "i386",
    .rtable = i386_table,
    .nrtable = sizeof i386_table / sizeof i386_table[0],
    .rprefix = "R_386_",
    X86_COMMON,
    .veneers = i386_veneers,
    .dyn = &i386_dyn,
    .link = mp_link_i386,
    .link_addend = mp_link_addend_i386,
    .got = &mp_got_i386,
    .stub = &mp_stub_i386,
};

const mp_arch mp_arch_x86_64 = {
    .machine = EM_X86_64,
    .elfclass = ELFCLASS64,
    .name = "x86-64",
    .rtable = x86_64_table,
    .nrtable = sizeof x86_64_table / sizeof x86_64_table[0],
    .rprefix = "R_X86_64_",
    X86_COMMON,
    .veneers = x86_64_veneers,
    .dyn = &x86_64_dyn,
    .link = mp_link_x86_64,
    .got = &mp_got_x86_64,
    .stub = &mp_stub_x86_64,
};
