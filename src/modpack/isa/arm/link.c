/* isa/arm/link.c - ARM relocations of relocatable input, applied as ld does
 * (AAELF: REL, the addend is in the field). T is 1 when the symbol is a
 * Thumb function; Thumb BL to ARM code becomes BLX and ARM BL to Thumb code
 * becomes BLX, as on ARMv5T and later. GOT forms use the slots link.c made
 * (G) and _GLOBAL_OFFSET_TABLE_ (GOT_ORG). */
#include "insn.h"
#include "link.h"
#include "util.h"

#include <gelf.h>

#define FAR_HINT "the module is too large for this branch; compile with -mlong-calls"

/* A PC-relative value in the 32-bit address space */
static int64_t rel32(uint32_t target, uint64_t P)
{
    return (int64_t)(int32_t)(target - (uint32_t)P);
}

/* (S + A) | T */
static uint32_t sat(const mp_link_site *s, int64_t a)
{
    uint64_t base = s->thumb ? s->S & ~(uint64_t)1 : s->S;
    return (uint32_t)(base + (uint64_t)a) | (uint32_t)s->thumb;
}

static int thumb_branch(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    if (mp_link_room(c, rs, r, s, 4) != 0)
        return -1;
    int64_t a = r->type == R_ARM_THM_JUMP19 ? thm_b19(s->p) : thm_b24(s->p);
    if (r->type == R_ARM_THM_JUMP19) {
        if (s->arm_func)
            return mp_link_error(c, rs, r, "a Thumb conditional branch cannot switch to ARM code", NULL);
        int64_t v = rel32(sat(s, a), s->P);
        if (!mp_fits_signed(v, 21))
            return mp_link_range(c, rs, r, v, 21, NULL);
        thm_set_b19(s->p, v);
        return 0;
    }
    if (s->arm_func && r->type != R_ARM_THM_CALL)
        return mp_link_error(c, rs, r, "a Thumb B.W cannot switch to ARM code", "call it with BL");
    int blx = s->arm_func;   /* BL to ARM code: BLX, relative to the word-aligned PC */
    int64_t v = blx ? rel32((uint32_t)(s->S + (uint64_t)a), s->P & ~(uint64_t)3)
                    : rel32(sat(s, a), s->P);
    if (!mp_fits_signed(v, 25))
        return mp_link_range(c, rs, r, v, 25, FAR_HINT);
    if (blx)
        v &= ~(int64_t)3;
    thm_set_b24(s->p, v);
    if (r->type == R_ARM_THM_CALL)
        wr16(s->p + 2, blx ? rd16(s->p + 2) & ~0x1000u : rd16(s->p + 2) | 0x1000u);
    return 0;
}

static int short_thumb_branch(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r,
                              const mp_link_site *s, unsigned bits)
{
    if (mp_link_room(c, rs, r, s, 2) != 0)
        return -1;
    if (s->arm_func)
        return mp_link_error(c, rs, r, "a 16-bit Thumb branch cannot switch to ARM code", NULL);
    uint32_t h = rd16(s->p), mask = (1u << (bits - 1)) - 1;   /* imm field, in halfwords */
    int64_t v = rel32(sat(s, arm_sext((h & mask) << 1, bits)), s->P);
    if (!mp_fits_signed(v, bits))
        return mp_link_range(c, rs, r, v, bits, NULL);
    wr16(s->p, (h & ~mask) | (((uint32_t)v >> 1) & mask));
    return 0;
}

static int arm_branch(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    if (mp_link_room(c, rs, r, s, 4) != 0)
        return -1;
    uint32_t w = rd32(s->p);
    int64_t a = arm_sext((w & 0xFFFFFF) << 2, 26);
    int is_blx = (w >> 28) == 0xF;
    if (is_blx)
        a |= ((w >> 24) & 1) << 1;
    uint64_t target = (s->thumb ? s->S & ~(uint64_t)1 : s->S) + (uint64_t)a;
    int64_t v = rel32((uint32_t)target, s->P);
    if (!mp_fits_signed(v, 26))
        return mp_link_range(c, rs, r, v, 26, FAR_HINT);
    if (s->thumb || is_blx) {
        if (r->type != R_ARM_CALL && !(is_blx && !s->thumb))
            return mp_link_error(c, rs, r, "an ARM B cannot switch to Thumb code", "call it with BL");
        if (s->thumb) {   /* BLX imm: H is bit 1 of the offset */
            if ((w >> 28) != 0xE && !is_blx)
                return mp_link_error(c, rs, r, "a conditional BL cannot switch to Thumb code", NULL);
            wr32(s->p, 0xFA000000u | ((uint32_t)(v >> 1) & 1) << 24 | ((uint32_t)(v >> 2) & 0xFFFFFF));
            return 0;
        }
        w = 0xEB000000u;   /* BLX to ARM code: a plain BL */
    }
    if (v & 3)
        return mp_link_align(c, rs, r, v, 4);
    wr32(s->p, arm_b24(w, v));
    return 0;
}

/* The GOT of a -fPIC object (link.c). */
const mp_got_abi mp_got_arm = {
    .plt_words = 3,
    .slot_types = {R_ARM_GOT_BREL, R_ARM_GOT_PREL},
    .org_types = {R_ARM_GOTOFF32, R_ARM_BASE_PREL},
};

/* The addend of a relocation against a merged section, as ld reads it:
 * MOVW/MOVT's 16-bit immediate, or the whole word of a data or GOT-origin
 * word (branches shift theirs, which ld refuses too). */
int mp_link_addend_arm(uint32_t type, const uint8_t *p, uint64_t room, int64_t *a)
{
    if (room < 4)
        return -1;
    switch (type) {
    case R_ARM_MOVW_ABS_NC: case R_ARM_MOVT_ABS:
        *a = arm_sext(arm_imm16(p), 16);
        return 0;
    case R_ARM_THM_MOVW_ABS_NC: case R_ARM_THM_MOVT_ABS:
        *a = arm_sext(thm_imm16(p), 16);
        return 0;
    case R_ARM_ABS32: case R_ARM_TARGET1: case R_ARM_REL32: case R_ARM_GOTOFF32:
        *a = (int32_t)rd32(p);
        return 0;
    case R_ARM_PREL31:
        *a = arm_sext(rd32(p), 31);
        return 0;
    default:
        return -1;
    }
}

int mp_link_arm(const mp_linker *c, const mp_relsec *rs, const mp_reloc *r, const mp_link_site *s)
{
    switch (r->type) {
    case R_ARM_NONE:
    case R_ARM_V4BX:
        return 0;
    case R_ARM_ABS32:
    case R_ARM_TARGET1:     /* ld's default, --target1-abs */
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        wr32(s->p, sat(s, (int32_t)rd32(s->p)));
        return 0;
    case R_ARM_REL32:
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        wr32(s->p, sat(s, (int32_t)rd32(s->p)) - (uint32_t)s->P);
        return 0;
    case R_ARM_PREL31: {
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        uint32_t w = rd32(s->p);
        int64_t v = rel32(sat(s, arm_sext(w, 31)), s->P);
        if (!mp_fits_signed(v, 31))
            return mp_link_range(c, rs, r, v, 31, NULL);
        wr32(s->p, (w & 0x80000000u) | ((uint32_t)v & 0x7FFFFFFFu));
        return 0;
    }
    case R_ARM_THM_CALL:
    case R_ARM_THM_JUMP24:
    case R_ARM_THM_JUMP19:
        return thumb_branch(c, rs, r, s);
    case R_ARM_THM_JUMP11:
        return short_thumb_branch(c, rs, r, s, 12);
    case R_ARM_THM_JUMP8:
        return short_thumb_branch(c, rs, r, s, 9);
    case R_ARM_CALL:
    case R_ARM_JUMP24:
    case R_ARM_PC24:
        return arm_branch(c, rs, r, s);
    case R_ARM_MOVW_ABS_NC:
    case R_ARM_MOVT_ABS:
    case R_ARM_THM_MOVW_ABS_NC:
    case R_ARM_THM_MOVT_ABS: {
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        int thumb = r->type == R_ARM_THM_MOVW_ABS_NC || r->type == R_ARM_THM_MOVT_ABS;
        int movt = r->type == R_ARM_MOVT_ABS || r->type == R_ARM_THM_MOVT_ABS;
        int64_t a = arm_sext(thumb ? thm_imm16(s->p) : arm_imm16(s->p), 16);
        uint32_t v = movt ? (uint32_t)(s->S + (uint64_t)a) >> 16 : sat(s, a) & 0xFFFF;
        if (movt && s->thumb)
            v = (uint32_t)((s->S & ~(uint64_t)1) + (uint64_t)a) >> 16;
        (thumb ? thm_set_imm16 : arm_set_imm16)(s->p, v);
        return 0;
    }
    case R_ARM_GOTOFF32:          /* ((S + A) | T) - GOT_ORG */
    case R_ARM_BASE_PREL:         /* GOT_ORG + A - P */
    case R_ARM_GOT_BREL:          /* GOT(S) + A - GOT_ORG */
    case R_ARM_GOT_PREL: {  /* GOT(S) + A - P */
        if (mp_link_room(c, rs, r, s, 4) != 0)
            return -1;
        int32_t a = (int32_t)rd32(s->p);
        uint32_t v = r->type == R_ARM_GOTOFF32    ? sat(s, a) - (uint32_t)s->GOT
                     : r->type == R_ARM_BASE_PREL ? (uint32_t)(s->GOT + (uint64_t)(int64_t)a - s->P)
                     : r->type == R_ARM_GOT_BREL  ? (uint32_t)(s->G + (uint64_t)(int64_t)a - s->GOT)
                                            : (uint32_t)(s->G + (uint64_t)(int64_t)a - s->P);
        wr32(s->p, v);
        return 0;
    }
    case R_ARM_TLS_GD32: case R_ARM_TLS_LDM32: case R_ARM_TLS_LDO32: case R_ARM_TLS_IE32:
    case R_ARM_TLS_LE32: case R_ARM_TLS_DESC: case R_ARM_TLS_CALL: case R_ARM_THM_TLS_CALL:
    case R_ARM_TLS_GOTDESC: case R_ARM_TLS_DESCSEQ: case R_ARM_THM_TLS_DESCSEQ16:
    case R_ARM_THM_TLS_DESCSEQ32:
        return mp_link_error(c, rs, r, MP_TLS_WHY, MP_TLS_HINT);
    default:
        return mp_link_error(c, rs, r, "not supported in relocatable input",
                              "link it with ld --emit-relocs -T samples/ld/module.ld and pack the result");
    }
}
