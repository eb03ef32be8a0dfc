/* isa/x86/link.c - i386 (REL) and x86-64 (RELA) relocations of relocatable
 * input, applied as ld does with --no-relax: GOT loads stay GOT loads,
 * through the slots link.c made (G), relative to _GLOBAL_OFFSET_TABLE_
 * (GOT) where the ABI says so. */
#include "insn.h"
#include "link.h"
#include "util.h"

#include <gelf.h>

#define PLT_HINT "compile with -fno-plt"
#define OTHER_HINT "link it with ld --emit-relocs -T samples/ld/module.ld and pack the result"

/* Write v into an n-byte field: signed fields must fit signed; "either"
 * fields (ld's bitfield check) may hold a signed or an unsigned value. */
enum { F_SIGNED, F_UNSIGNED, F_EITHER, F_WRAP };

static int put(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s,
               unsigned n, int check, int64_t v)
{
    unsigned bits = 8 * n;
    int ok = 1;
    if (n < 8 && check == F_SIGNED)
        ok = mp_fits_signed(v, bits);
    else if (n < 8 && check == F_UNSIGNED)
        ok = v >= 0 && (uint64_t)v < (uint64_t)1 << bits;
    else if (n < 8 && check == F_EITHER)
        ok = mp_fits_signed(v, bits) || (v >= 0 && (uint64_t)v < (uint64_t)1 << bits);
    if (!ok)
        return mp_link_range(c, rs, r, v, bits, NULL);
    wrn(s->p, n, (uint64_t)v);
    return 0;
}

static int64_t sext(uint64_t v, unsigned n)
{
    if (n >= 8)
        return (int64_t)v;
    uint64_t m = (uint64_t)1 << (8 * n - 1);
    return (int64_t)((v & ((m << 1) - 1)) ^ m) - (int64_t)m;
}

/* The GOT of a -fPIC object (link.c). */
const mp_got_abi mp_got_i386 = {
    .plt_words = 3,
    .slot_types = {R_386_GOT32, R_386_GOT32X},
    .org_types = {R_386_GOTOFF, R_386_GOTPC},
};

const mp_got_abi mp_got_x86_64 = {
    .plt_words = 3,
    .slot_types = {R_X86_64_GOT32, R_X86_64_GOTPCREL, R_X86_64_GOT64, R_X86_64_GOTPCREL64,
                   R_X86_64_GOTPCRELX, R_X86_64_REX_GOTPCRELX},
    .org_types = {R_X86_64_GOTOFF64, R_X86_64_GOTPC32, R_X86_64_GOTPC64},
};

int mp_link_i386(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    unsigned n;
    int pcrel;
    switch (r->type) {
    case R_386_NONE: return 0;
    case R_386_32: n = 4; pcrel = 0; break;
    case R_386_PC32: case R_386_PLT32: n = 4; pcrel = 1; break;
    case R_386_16: n = 2; pcrel = 0; break;
    case R_386_PC16: n = 2; pcrel = 1; break;
    case R_386_8: n = 1; pcrel = 0; break;
    case R_386_PC8: n = 1; pcrel = 1; break;
    case R_386_SIZE32:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        wr32(s->p, rd32(s->p) + (uint32_t)(r->sym ? c->m->sym[r->sym].size : 0));
        return 0;
    case R_386_GOT32: case R_386_GOT32X: case R_386_GOTOFF: case R_386_GOTPC: {
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        /* G + A - GOT; without a base register (ModRM mod 00, r/m 101, no
         * PIC register) the slot's absolute address G + A */
        const mp_section *t = &c->m->sec[rs->target];
        int absolute = (r->type == R_386_GOT32 || r->type == R_386_GOT32X) && s->P > t->addr &&
                       (t->flags & SHF_EXECINSTR) && (s->p[-1] & 0xC7) == 0x05;
        uint64_t base = r->type == R_386_GOTOFF ? s->S : r->type == R_386_GOTPC ? s->GOT : s->G;
        uint64_t minus = r->type == R_386_GOTPC ? s->P : absolute ? 0 : s->GOT;
        wr32(s->p, (uint32_t)(base + (uint64_t)(int64_t)(int32_t)rd32(s->p) - minus));
        return 0;
    }
    case R_386_TLS_TPOFF: case R_386_TLS_IE: case R_386_TLS_GOTIE: case R_386_TLS_LE:
    case R_386_TLS_GD: case R_386_TLS_LDM: case R_386_TLS_LDO_32: case R_386_TLS_IE_32:
    case R_386_TLS_LE_32: case R_386_TLS_GOTDESC: case R_386_TLS_DESC_CALL:
        return mp_link_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    default:
        return mp_link_error(c, rs, r, "not supported in relocatable input", OTHER_HINT);
    }
    if (mp_link_room(c, rs, r, s, n) != 0)
        return -1;
    int64_t v = (int64_t)s->S + sext(rdn(s->p, n), n) - (pcrel ? (int64_t)s->P : 0);
    if (n == 4)   /* the 32-bit address space wraps */
        v = pcrel ? (int32_t)(uint32_t)v : (int64_t)(uint32_t)v;
    return put(c, rs, r, s, n, pcrel ? F_SIGNED : F_EITHER, v);
}

/* The addend of a relocation against a merged section: the field, signed
 * (ld reads it by the relocation's width). */
int mp_link_addend_i386(uint32_t type, const uint8_t *p, uint64_t room, int64_t *a)
{
    unsigned n = type == R_386_32 || type == R_386_PC32 || type == R_386_GOTOFF ? 4
                 : type == R_386_16 || type == R_386_PC16                      ? 2
                 : type == R_386_8 || type == R_386_PC8                        ? 1
                                                                                : 0;
    if (!n || room < n)
        return -1;
    *a = sext(rdn(p, n), n);
    return 0;
}

int mp_link_x86_64(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    unsigned n;
    int check, pcrel = 0;
    switch (r->type) {
    case R_X86_64_NONE: return 0;
    case R_X86_64_64: n = 8; check = F_WRAP; break;
    case R_X86_64_PC64: n = 8; check = F_WRAP; pcrel = 1; break;
    case R_X86_64_PC32: case R_X86_64_PLT32: n = 4; check = F_SIGNED; pcrel = 1; break;
    case R_X86_64_32: n = 4; check = F_UNSIGNED; break;
    case R_X86_64_32S: n = 4; check = F_SIGNED; break;
    case R_X86_64_16: n = 2; check = F_EITHER; break;
    case R_X86_64_PC16: n = 2; check = F_SIGNED; pcrel = 1; break;
    case R_X86_64_8: n = 1; check = F_EITHER; break;
    case R_X86_64_PC8: n = 1; check = F_SIGNED; pcrel = 1; break;
    case R_X86_64_SIZE32: case R_X86_64_SIZE64: {
        n = r->type == R_X86_64_SIZE32 ? 4 : 8;
        if (mp_link_room(c, rs, r, s, n) != 0)
            return -1;
        int64_t v = (int64_t)(r->sym ? c->m->sym[r->sym].size : 0) + s->A;
        return put(c, rs, r, s, n, n == 4 ? F_UNSIGNED : F_WRAP, v);
    }
    case R_X86_64_GOTPCREL: case R_X86_64_GOTPCRELX: case R_X86_64_REX_GOTPCRELX:
    case R_X86_64_GOTPCREL64: {  /* G + A - P */
        n = r->type == R_X86_64_GOTPCREL64 ? 8 : 4;
        if (mp_link_room(c, rs, r, s, n) != 0)
            return -1;
        return put(c, rs, r, s, n, n == 4 ? F_SIGNED : F_WRAP, (int64_t)(s->G + (uint64_t)s->A - s->P));
    }
    case R_X86_64_GOT32: case R_X86_64_GOT64:       /* G + A, G from the GOT */
    case R_X86_64_GOTOFF64:                         /* S + A - GOT */
    case R_X86_64_GOTPC32: case R_X86_64_GOTPC64: { /* GOT + A - P */
        n = r->type == R_X86_64_GOT32 || r->type == R_X86_64_GOTPC32 ? 4 : 8;
        if (mp_link_room(c, rs, r, s, n) != 0)
            return -1;
        uint64_t v = r->type == R_X86_64_GOTOFF64 ? s->S - s->GOT
                     : r->type == R_X86_64_GOTPC32 || r->type == R_X86_64_GOTPC64 ? s->GOT - s->P
                                                                                  : s->G - s->GOT;
        return put(c, rs, r, s, n, n == 4 ? F_SIGNED : F_WRAP, (int64_t)(v + (uint64_t)s->A));
    }
    case R_X86_64_GOTPLT64: case R_X86_64_PLTOFF64:
        return mp_link_error(c, rs, r, "PLT-relative addressing needs a PLT, which modules do not have",
                              PLT_HINT);
    case R_X86_64_DTPMOD64: case R_X86_64_DTPOFF64: case R_X86_64_TPOFF64: case R_X86_64_TLSGD:
    case R_X86_64_TLSLD: case R_X86_64_DTPOFF32: case R_X86_64_GOTTPOFF: case R_X86_64_TPOFF32:
    case R_X86_64_GOTPC32_TLSDESC: case R_X86_64_TLSDESC_CALL: case R_X86_64_TLSDESC:
        return mp_link_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    default:
        return mp_link_error(c, rs, r, "not supported in relocatable input", OTHER_HINT);
    }
    if (mp_link_room(c, rs, r, s, n) != 0)
        return -1;
    int64_t v = (int64_t)(s->S + (uint64_t)s->A - (pcrel ? s->P : 0));
    return put(c, rs, r, s, n, check, v);
}
