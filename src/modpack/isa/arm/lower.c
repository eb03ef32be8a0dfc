/* isa/arm/lower.c - ARM (Thumb-2, Thumb-1 and ARM state, Cortex-M0..M7 and
 * classic cores) relocation allow-list.
 *
 * Every R_ARM_* type is listed in the table below with the class that
 * decides how it is lowered. Anything not in the table, or listed as
 * REJECT, stops the build with a message naming the site and the flag
 * that avoids it: nothing is silently skipped. */
#include "insn.h"
#include "attributes.h"
#include "lowering.h"
#include "link.h"
#include "util.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modformat.h"

enum cls {
    K_NONE,       /* no effect on the image */
    K_ABS32,      /* 32-bit absolute word */
    K_MOVW, K_MOVT, K_TMOVW, K_TMOVT,  /* absolute MOVW/MOVT halves */
    K_TBRANCH,    /* Thumb BL / B.W: may go through a veneer */
    K_ABRANCH,    /* ARM BL / B / BLX: may go through a veneer */
    K_PREL,       /* PC-relative, fine within a segment */
    K_PBRANCH,    /* short PC-relative branch: as K_PREL, hint -mlong-calls */
    K_GOTOFF,     /* S - GOT_ORG */
    K_GOT_BREL,   /* GOT(S) - GOT_ORG: lower the slot */
    K_GOT_PREL,   /* GOT(S) - P: lower the slot, found by its content */
    K_SMALLABS,   /* 5..16-bit absolute field: only absolute symbols */
    K_TARGET2,    /* ABS32 or REL32, as the linker was told */
    K_REJECT,
};

/* The veneers (arm_veneers): ARM state, Thumb for every M profile, and
 * the shorter Thumb-2 one for a module that needs Thumb-2 anyway. */
enum { V_ARM, V_THUMB, V_THUMB2 };

static uint32_t arm_attr_flags(const mp_elf *m);

typedef mp_rinfo rinfo;

#define SB_WHY   "static-base (SB) relative addressing is not supported"
#define SB_HINT  "do not build with -frwpi/-fropi or a fixed PIC register"
#define GOT12_WHY "GOT offsets encoded in instructions are not supported"
#define PIC_HINT "compile with -fno-pic (or plain -fPIC with gcc)"

static const rinfo table[] = {
    {0, K_NONE, 4, "R_ARM_NONE", 0, 0},
    {1, K_ABRANCH, 4, "R_ARM_PC24", 0, 0},
    {2, K_ABS32, 4, "R_ARM_ABS32", 0, 0},
    {3, K_PREL, 4, "R_ARM_REL32", 0, 0},
    {4, K_PREL, 4, "R_ARM_LDR_PC_G0", 0, 0},
    {5, K_SMALLABS, 2, "R_ARM_ABS16", 0, 0},
    {6, K_SMALLABS, 4, "R_ARM_ABS12", 0, 0},
    {7, K_SMALLABS, 2, "R_ARM_THM_ABS5", 0, 0},
    {8, K_SMALLABS, 1, "R_ARM_ABS8", 0, 0},
    {9, K_REJECT, 4, "R_ARM_SBREL32", SB_WHY, SB_HINT},
    {10, K_TBRANCH, 4, "R_ARM_THM_CALL", 0, 0},
    {11, K_PREL, 2, "R_ARM_THM_PC8", 0, 0},
    {12, K_REJECT, 4, "R_ARM_BREL_ADJ", SB_WHY, SB_HINT},
    {13, K_REJECT, 4, "R_ARM_TLS_DESC", MP_TLS_WHY, MP_TLS_HINT},
    {14, K_REJECT, 2, "R_ARM_THM_SWI8", "obsolete relocation", "rebuild with a current toolchain"},
    {15, K_PBRANCH, 4, "R_ARM_XPC25", 0, 0},
    {16, K_PBRANCH, 4, "R_ARM_THM_XPC22", 0, 0},
    {17, K_REJECT, 4, "R_ARM_TLS_DTPMOD32", MP_TLS_WHY, MP_TLS_HINT},
    {18, K_REJECT, 4, "R_ARM_TLS_DTPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {19, K_REJECT, 4, "R_ARM_TLS_TPOFF32", MP_TLS_WHY, MP_TLS_HINT},
    {20, K_REJECT, 4, "R_ARM_COPY", MP_DYN_WHY, MP_DYN_HINT},
    {21, K_REJECT, 4, "R_ARM_GLOB_DAT", MP_DYN_WHY, MP_DYN_HINT},
    {22, K_REJECT, 4, "R_ARM_JUMP_SLOT", MP_DYN_WHY, MP_DYN_HINT},
    {23, K_REJECT, 4, "R_ARM_RELATIVE", MP_DYN_WHY, MP_DYN_HINT},
    {24, K_GOTOFF, 4, "R_ARM_GOTOFF32", 0, 0},
    {25, K_PREL, 4, "R_ARM_BASE_PREL", 0, 0},
    {26, K_GOT_BREL, 4, "R_ARM_GOT_BREL", 0, 0},
    {27, K_ABRANCH, 4, "R_ARM_PLT32", 0, 0},
    {28, K_ABRANCH, 4, "R_ARM_CALL", 0, 0},
    {29, K_ABRANCH, 4, "R_ARM_JUMP24", 0, 0},
    {30, K_TBRANCH, 4, "R_ARM_THM_JUMP24", 0, 0},
    {31, K_REJECT, 4, "R_ARM_BASE_ABS", "absolute GOT address cannot be relocated", PIC_HINT},
    {32, K_PREL, 4, "R_ARM_ALU_PCREL_7_0", 0, 0},
    {33, K_PREL, 4, "R_ARM_ALU_PCREL_15_8", 0, 0},
    {34, K_PREL, 4, "R_ARM_ALU_PCREL_23_15", 0, 0},
    {35, K_REJECT, 4, "R_ARM_LDR_SBREL_11_0_NC", SB_WHY, SB_HINT},
    {36, K_REJECT, 4, "R_ARM_ALU_SBREL_19_12_NC", SB_WHY, SB_HINT},
    {37, K_REJECT, 4, "R_ARM_ALU_SBREL_27_20_CK", SB_WHY, SB_HINT},
    {38, K_ABS32, 4, "R_ARM_TARGET1", 0, 0},
    {39, K_REJECT, 4, "R_ARM_SBREL31", SB_WHY, SB_HINT},
    {40, K_NONE, 4, "R_ARM_V4BX", 0, 0},
    {41, K_TARGET2, 4, "R_ARM_TARGET2", 0, 0},
    {42, K_PREL, 4, "R_ARM_PREL31", 0, 0},
    {43, K_MOVW, 4, "R_ARM_MOVW_ABS_NC", 0, 0},
    {44, K_MOVT, 4, "R_ARM_MOVT_ABS", 0, 0},
    {45, K_PREL, 4, "R_ARM_MOVW_PREL_NC", 0, 0},
    {46, K_PREL, 4, "R_ARM_MOVT_PREL", 0, 0},
    {47, K_TMOVW, 4, "R_ARM_THM_MOVW_ABS_NC", 0, 0},
    {48, K_TMOVT, 4, "R_ARM_THM_MOVT_ABS", 0, 0},
    {49, K_PREL, 4, "R_ARM_THM_MOVW_PREL_NC", 0, 0},
    {50, K_PREL, 4, "R_ARM_THM_MOVT_PREL", 0, 0},
    {51, K_PBRANCH, 4, "R_ARM_THM_JUMP19", 0, 0},
    {52, K_PBRANCH, 2, "R_ARM_THM_JUMP6", 0, 0},
    {53, K_PREL, 4, "R_ARM_THM_ALU_PREL_11_0", 0, 0},
    {54, K_PREL, 4, "R_ARM_THM_PC12", 0, 0},
    {55, K_ABS32, 4, "R_ARM_ABS32_NOI", 0, 0},
    {56, K_PREL, 4, "R_ARM_REL32_NOI", 0, 0},
    {57, K_PREL, 4, "R_ARM_ALU_PC_G0_NC", 0, 0},
    {58, K_PREL, 4, "R_ARM_ALU_PC_G0", 0, 0},
    {59, K_PREL, 4, "R_ARM_ALU_PC_G1_NC", 0, 0},
    {60, K_PREL, 4, "R_ARM_ALU_PC_G1", 0, 0},
    {61, K_PREL, 4, "R_ARM_ALU_PC_G2", 0, 0},
    {62, K_PREL, 4, "R_ARM_LDR_PC_G1", 0, 0},
    {63, K_PREL, 4, "R_ARM_LDR_PC_G2", 0, 0},
    {64, K_PREL, 4, "R_ARM_LDRS_PC_G0", 0, 0},
    {65, K_PREL, 4, "R_ARM_LDRS_PC_G1", 0, 0},
    {66, K_PREL, 4, "R_ARM_LDRS_PC_G2", 0, 0},
    {67, K_PREL, 4, "R_ARM_LDC_PC_G0", 0, 0},
    {68, K_PREL, 4, "R_ARM_LDC_PC_G1", 0, 0},
    {69, K_PREL, 4, "R_ARM_LDC_PC_G2", 0, 0},
    {70, K_REJECT, 4, "R_ARM_ALU_SB_G0_NC", SB_WHY, SB_HINT},
    {71, K_REJECT, 4, "R_ARM_ALU_SB_G0", SB_WHY, SB_HINT},
    {72, K_REJECT, 4, "R_ARM_ALU_SB_G1_NC", SB_WHY, SB_HINT},
    {73, K_REJECT, 4, "R_ARM_ALU_SB_G1", SB_WHY, SB_HINT},
    {74, K_REJECT, 4, "R_ARM_ALU_SB_G2", SB_WHY, SB_HINT},
    {75, K_REJECT, 4, "R_ARM_LDR_SB_G0", SB_WHY, SB_HINT},
    {76, K_REJECT, 4, "R_ARM_LDR_SB_G1", SB_WHY, SB_HINT},
    {77, K_REJECT, 4, "R_ARM_LDR_SB_G2", SB_WHY, SB_HINT},
    {78, K_REJECT, 4, "R_ARM_LDRS_SB_G0", SB_WHY, SB_HINT},
    {79, K_REJECT, 4, "R_ARM_LDRS_SB_G1", SB_WHY, SB_HINT},
    {80, K_REJECT, 4, "R_ARM_LDRS_SB_G2", SB_WHY, SB_HINT},
    {81, K_REJECT, 4, "R_ARM_LDC_SB_G0", SB_WHY, SB_HINT},
    {82, K_REJECT, 4, "R_ARM_LDC_SB_G1", SB_WHY, SB_HINT},
    {83, K_REJECT, 4, "R_ARM_LDC_SB_G2", SB_WHY, SB_HINT},
    {84, K_REJECT, 4, "R_ARM_MOVW_BREL_NC", SB_WHY, SB_HINT},
    {85, K_REJECT, 4, "R_ARM_MOVT_BREL", SB_WHY, SB_HINT},
    {86, K_REJECT, 4, "R_ARM_MOVW_BREL", SB_WHY, SB_HINT},
    {87, K_REJECT, 4, "R_ARM_THM_MOVW_BREL_NC", SB_WHY, SB_HINT},
    {88, K_REJECT, 4, "R_ARM_THM_MOVT_BREL", SB_WHY, SB_HINT},
    {89, K_REJECT, 4, "R_ARM_THM_MOVW_BREL", SB_WHY, SB_HINT},
    {90, K_REJECT, 4, "R_ARM_TLS_GOTDESC", MP_TLS_WHY, MP_TLS_HINT},
    {91, K_REJECT, 4, "R_ARM_TLS_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {92, K_REJECT, 4, "R_ARM_TLS_DESCSEQ", MP_TLS_WHY, MP_TLS_HINT},
    {93, K_REJECT, 4, "R_ARM_THM_TLS_CALL", MP_TLS_WHY, MP_TLS_HINT},
    {94, K_REJECT, 4, "R_ARM_PLT32_ABS", "absolute PLT address cannot be relocated", MP_DYN_HINT},
    {95, K_REJECT, 4, "R_ARM_GOT_ABS", "absolute GOT address cannot be relocated", PIC_HINT},
    {96, K_GOT_PREL, 4, "R_ARM_GOT_PREL", 0, 0},
    {97, K_REJECT, 4, "R_ARM_GOT_BREL12", GOT12_WHY, PIC_HINT},
    {98, K_REJECT, 4, "R_ARM_GOTOFF12", GOT12_WHY, PIC_HINT},
    {99, K_REJECT, 4, "R_ARM_GOTRELAX", "GOT relaxation is not supported", PIC_HINT},
    {100, K_NONE, 4, "R_ARM_GNU_VTENTRY", 0, 0},
    {101, K_NONE, 4, "R_ARM_GNU_VTINHERIT", 0, 0},
    {102, K_PBRANCH, 2, "R_ARM_THM_JUMP11", 0, 0},
    {103, K_PBRANCH, 2, "R_ARM_THM_JUMP8", 0, 0},
    {104, K_REJECT, 4, "R_ARM_TLS_GD32", MP_TLS_WHY, MP_TLS_HINT},
    {105, K_REJECT, 4, "R_ARM_TLS_LDM32", MP_TLS_WHY, MP_TLS_HINT},
    {106, K_REJECT, 4, "R_ARM_TLS_LDO32", MP_TLS_WHY, MP_TLS_HINT},
    {107, K_REJECT, 4, "R_ARM_TLS_IE32", MP_TLS_WHY, MP_TLS_HINT},
    {108, K_REJECT, 4, "R_ARM_TLS_LE32", MP_TLS_WHY, MP_TLS_HINT},
    {109, K_REJECT, 4, "R_ARM_TLS_LDO12", MP_TLS_WHY, MP_TLS_HINT},
    {110, K_REJECT, 4, "R_ARM_TLS_LE12", MP_TLS_WHY, MP_TLS_HINT},
    {111, K_REJECT, 4, "R_ARM_TLS_IE12GP", MP_TLS_WHY, MP_TLS_HINT},
    {128, K_REJECT, 4, "R_ARM_ME_TOO", "obsolete relocation", "rebuild with a current toolchain"},
    {129, K_REJECT, 2, "R_ARM_THM_TLS_DESCSEQ16", MP_TLS_WHY, MP_TLS_HINT},
    {130, K_REJECT, 4, "R_ARM_THM_TLS_DESCSEQ32", MP_TLS_WHY, MP_TLS_HINT},
    {131, K_REJECT, 4, "R_ARM_THM_GOT_BREL12", GOT12_WHY, PIC_HINT},
    {132, K_REJECT, 2, "R_ARM_THM_ALU_ABS_G0_NC",
     "an address built from 8-bit pieces (execute-only Armv6-M code) cannot be relocated",
     "compile without -mpure-code"},
    {133, K_REJECT, 2, "R_ARM_THM_ALU_ABS_G1_NC",
     "an address built from 8-bit pieces (execute-only Armv6-M code) cannot be relocated",
     "compile without -mpure-code"},
    {134, K_REJECT, 2, "R_ARM_THM_ALU_ABS_G2_NC",
     "an address built from 8-bit pieces (execute-only Armv6-M code) cannot be relocated",
     "compile without -mpure-code"},
    {135, K_REJECT, 2, "R_ARM_THM_ALU_ABS_G3",
     "an address built from 8-bit pieces (execute-only Armv6-M code) cannot be relocated",
     "compile without -mpure-code"},
    {136, K_PBRANCH, 4, "R_ARM_THM_BF16", 0, 0},
    {137, K_PBRANCH, 4, "R_ARM_THM_BF12", 0, 0},
    {138, K_PBRANCH, 4, "R_ARM_THM_BF18", 0, 0},
    {160, K_REJECT, 4, "R_ARM_IRELATIVE", MP_DYN_WHY, "do not use ifunc"},
};

/* ---- cross references ---------------------------------------------------- */

/* A cross-segment relative reference: remember word sites so that the
 * data can still move to make room for veneers; anything else pins it. */
static void cross_ref(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, int target_seg, int is_word,
                      const char *why)
{
    mp_no_split(c, rs, r, why);
    if (is_word)
        mp_add_xword(c, rs, r, c->m->sec[rs->target].seg, r->offset, target_seg == MODP_SEG_DATA ? 1 : -1,
                     r->type == R_ARM_PREL31 ? MP_X_PREL31 : MP_X_WORD32);
    else
        mp_pin(c, rs, r);
}

/* ---- instruction fields ------------------------------------------------ */

/* Does p hold a Thumb-2 MOVW (movt 0) or MOVT (movt 1)? Its destination
 * register, or -1. arm_mov_rd: the same for ARM state. */
static int thm_mov_rd(const uint8_t *p, int movt)
{
    uint32_t h1 = rd16(p), h2 = rd16(p + 2);
    if ((h1 & 0xFBF0u) != (movt ? 0xF2C0u : 0xF240u) || (h2 & 0x8000u))
        return -1;
    return (int)((h2 >> 8) & 0xF);
}

static int arm_mov_rd(const uint8_t *p, int movt)
{
    uint32_t w = rd32(p);
    if ((w & 0x0FF00000u) != (movt ? 0x03400000u : 0x03000000u))
        return -1;
    return (int)((w >> 12) & 0xF);
}

/* ---- MOVW/MOVT pairs ---------------------------------------------------- */

static int lower_pair(mp_ctx *c, const mp_relsec *rs, const mp_reloc *rw, const mp_reloc *rt, int thumb)
{
    int seg, seg2;
    uint8_t *pw = mp_site(c, rs, rw, 4, &seg), *pt = mp_site(c, rs, rt, 4, &seg2);
    if (!pw || !pt)
        return -1;
    mp_target t;
    if (mp_resolve(c, rs, rw, &t) != 0)
        return -1;
    if (t.kind == MP_T_ABS)
        return 0;
    uint32_t (*get)(const uint8_t *) = thumb ? thm_imm16 : arm_imm16;
    void (*set)(uint8_t *, uint32_t) = thumb ? thm_set_imm16 : arm_set_imm16;
    uint32_t v = get(pt) << 16 | get(pw);
    if (t.kind == MP_T_SEG)
        v -= (uint32_t)c->mod->L.seg[t.seg].base;
    set(pw, v & 0xFFFF);
    set(pt, v >> 16);
    mp_add_fixup(c, thumb ? MODP_FIX_THM_MOVW_MOVT : MODP_FIX_ARM_MOVW_MOVT, seg, rw->offset,
                 rt->offset, &t);
    return 0;
}

/* The MOVTs sorted by (class, symbol, register, offset, index), so that the
 * candidates for a MOVW are one run and the nearest is found by a binary
 * search; claimed entries are skipped through two path-compressed "next
 * free" arrays. Linear-logarithmic, and the same pairs as trying every
 * MOVT for every MOVW (nearest first, then the lower index). */
typedef struct movt_key {
    int cls, rd;
    uint32_t sym;
    uint64_t off;
    size_t idx;
} movt_key;

static int cmp_movt(const void *a, const void *b)
{
    const movt_key *x = a, *y = b;
    if (x->cls != y->cls) return x->cls < y->cls ? -1 : 1;
    if (x->sym != y->sym) return x->sym < y->sym ? -1 : 1;
    if (x->rd != y->rd) return x->rd < y->rd ? -1 : 1;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Next free position at or after p (right) or at or before p (left, +1 based). */
static size_t free_right(size_t *nx, size_t p)
{
    size_t r = p;
    while (nx[r] != r)
        r = nx[r];
    while (nx[p] != r) {
        size_t t = nx[p];
        nx[p] = r;
        p = t;
    }
    return r;
}

static void pair_movts(const mp_relsec *rs, const int *cls, const int *rd, long *partner)
{
    size_t n = rs->n, m = 0;
    movt_key *k = mp_malloc((n ? n : 1) * sizeof *k);
    for (size_t j = 0; j < n; j++)
        if (cls[j] == K_MOVT || cls[j] == K_TMOVT)
            k[m++] = (movt_key){cls[j], rd[j], rs->r[j].sym, rs->r[j].offset, j};
    qsort(k, m, sizeof *k, cmp_movt);
    /* right[p]: next free at or after p (m = none); left[p]: next free at or
     * before p - 1, positions shifted by one (0 = none). */
    size_t *right = mp_malloc((m + 1) * sizeof *right), *left = mp_malloc((m + 1) * sizeof *left);
    for (size_t p = 0; p <= m; p++)
        right[p] = left[p] = p;
    for (size_t i = 0; i < n; i++) {
        if (cls[i] != K_MOVW && cls[i] != K_TMOVW)
            continue;
        movt_key want = {cls[i] == K_MOVW ? K_MOVT : K_TMOVT, rd[i], rs->r[i].sym, rs->r[i].offset, 0};
        size_t lo = 0, hi = m;
        while (lo < hi) {   /* first position not below (key, offset) */
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_movt(&k[mid], &want) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t r = free_right(right, lo), l = free_right(left, lo);   /* l: 1-based */
        int rok = r < m && k[r].cls == want.cls && k[r].sym == want.sym && k[r].rd == want.rd;
        int lok = l > 0 && k[l - 1].cls == want.cls && k[l - 1].sym == want.sym && k[l - 1].rd == want.rd;
        if (lok) {   /* the lowest index among free entries at that offset */
            size_t q = l - 1;
            while (q > 0 && k[q - 1].off == k[l - 1].off && k[q - 1].cls == want.cls &&
                   k[q - 1].sym == want.sym && k[q - 1].rd == want.rd)
                q--;
            l = free_right(right, q) + 1;
        }
        size_t pick;
        if (rok && lok) {
            uint64_t dr = k[r].off - want.off, dl = want.off - k[l - 1].off;
            pick = dr < dl || (dr == dl && k[r].idx < k[l - 1].idx) ? r : l - 1;
        } else if (rok || lok) {
            pick = rok ? r : l - 1;
        } else {
            continue;
        }
        partner[i] = (long)k[pick].idx;
        partner[k[pick].idx] = (long)i;
        right[pick] = pick + 1;   /* claimed: skip it both ways */
        left[pick + 1] = pick;
    }
    free(left);
    free(right);
    free(k);
}

/* Pair each absolute MOVW with the nearest MOVT of the same symbol that
 * writes the same register, in either order. */
static int lower_pairs(mp_ctx *c, const mp_relsec *rs)
{
    size_t n = rs->n;
    int *cls = mp_malloc(n * sizeof *cls), *rd = mp_malloc(n * sizeof *rd);
    long *partner = mp_malloc(n * sizeof *partner);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const rinfo *ri = mp_rinfo_find(c->arch, rs->r[i].type);
        cls[i] = ri ? ri->cls : K_REJECT;
        partner[i] = -1;
        rd[i] = -1;
        if (cls[i] == K_MOVW || cls[i] == K_MOVT || cls[i] == K_TMOVW || cls[i] == K_TMOVT) {
            int seg;
            const uint8_t *p = mp_site(c, rs, &rs->r[i], 4, &seg);
            if (!p) {
                rc = -1;
                goto out;
            }
            int thumb = cls[i] == K_TMOVW || cls[i] == K_TMOVT;
            int movt = cls[i] == K_MOVT || cls[i] == K_TMOVT;
            rd[i] = thumb ? thm_mov_rd(p, movt) : arm_mov_rd(p, movt);
            if (rd[i] < 0) {
                rc = mp_reloc_error(c, rs, &rs->r[i], movt ? "the site does not hold a MOVT instruction"
                                                           : "the site does not hold a MOVW instruction",
                                    NULL);
                goto out;
            }
        }
    }
    pair_movts(rs, cls, rd, partner);
    for (size_t i = 0; i < n; i++) {
        if ((cls[i] == K_MOVW || cls[i] == K_MOVT || cls[i] == K_TMOVW || cls[i] == K_TMOVT) &&
            partner[i] < 0) {
            rc = mp_reloc_error(c, rs, &rs->r[i], "MOVW/MOVT half without its partner in the same "
                                "section; the address cannot be relocated as one 32-bit value",
                                "compile with -mword-relocations (gcc) or -mno-movt (clang)");
            goto out;
        }
        if ((cls[i] == K_MOVW || cls[i] == K_TMOVW) &&
            lower_pair(c, rs, &rs->r[i], &rs->r[partner[i]], cls[i] == K_TMOVW) != 0) {
            rc = -1;
            goto out;
        }
    }
out:
    free(cls);
    free(rd);
    free(partner);
    return rc;
}

/* ---- branches to imports ------------------------------------------------ */

static const char *section_at(mp_ctx *c, uint64_t addr, int *seg)
{
    for (size_t i = 1; i < c->m->nsec; i++) {
        const mp_section *s = &c->m->sec[i];
        if (s->seg != MP_SEG_NONE && !s->bss && s->bytes && addr >= s->addr &&
            addr - s->addr < s->size && s->size - (addr - s->addr) >= 4) {
            *seg = s->seg;
            return s->name;
        }
    }
    return NULL;
}

/* Lower the GOT slot at addr so that it holds the address of t. The slot
 * is where the GOT relocation says, in whatever output section the linker
 * script put the GOT (.got, or inside .data as many RTOS scripts do); a
 * static link stored the symbol's link address there (0 for an import). */
static int lower_slot(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r, uint64_t addr,
                      const mp_target *t)
{
    if (mp_find_note(c, addr))
        return 0;  /* one slot per symbol, shared by every reference */
    int seg;
    if (!section_at(c, addr, &seg) || (addr & 3))
        return mp_reloc_error(c, rs, r, "the GOT slot it names is not a word of the module's data", PIC_HINT);
    uint32_t want = t->kind == MP_T_IMPORT ? 0 : (uint32_t)t->value;
    if (rd32(mp_seg_at(&c->mod->L, seg, addr, 4)) != want)
        return mp_reloc_error(c, rs, r, "the GOT slot it names does not hold the symbol's address",
                              "link statically with GNU ld or ld.lld and --emit-relocs");
    mp_add_note(c, addr)->sym = r->sym;
    mp_lower_word(c, seg, addr, t);
    return 0;
}

/* Is the word at addr a GOT slot for t: a word of the module's data that
 * holds t's link value (0 for an import), or lowered for it already? */
static int slot_holds(mp_ctx *c, uint64_t addr, const mp_target *t)
{
    int seg;
    if (mp_find_note(c, addr))
        return 1;
    if (!section_at(c, addr, &seg) || (addr & 3))
        return 0;
    return rd32(mp_seg_at(&c->mod->L, seg, addr, 4)) == (t->kind == MP_T_IMPORT ? 0 : (uint32_t)t->value);
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

/* clang's Thumb GOT load: a literal W = GOT(S) - (Q + 4), read with
 * "ldr rX, [pc, #lit]" and added to the PC by "add rX, pc" at Q. Does the
 * slot at a explain the literal w that way? */
static int thumb_add_pc_reaches(mp_ctx *c, uint32_t w, uint64_t a)
{
    uint64_t q = (a - w - 4) & 0xFFFFFFFFu;
    const uint8_t *p = (q & 1) ? NULL : mp_seg_at(&c->mod->L, MODP_SEG_CODE, q, 2);
    return p && (rd16(p) & 0xFF78) == 0x4478;   /* ADD Rdn, PC (T1) */
}

/* clang's Thumb GOT load from the other end: the LDR (literal) that loads
 * the word at lit into Rt, then the first "add Rt, pc" after it at Q; the
 * slot is then Q + 4 + w exactly. Returns 1 with *slot, or 0. */
static int thumb_literal_slot(mp_ctx *c, uint64_t lit, uint32_t w, uint64_t *slot)
{
    const mp_seg *code = &c->mod->L.seg[MODP_SEG_CODE];
    if (lit < code->base || lit - code->base >= code->size || (lit & 3))
        return 0;
    uint64_t lo = lit - code->base > 4096 ? lit - 4096 : code->base;
    for (uint64_t l = lo & ~(uint64_t)1; l + 4 <= lit; l += 2) {
        const uint8_t *p = mp_seg_at(&c->mod->L, MODP_SEG_CODE, l, 4);
        uint32_t h = rd16(p), h2 = rd16(p + 2), rt;
        uint64_t base = (l + 4) & ~(uint64_t)3;
        if ((h & 0xF800) == 0x4800 && base + (h & 0xFF) * 4u == lit)
            rt = h >> 8 & 7u;                                   /* LDR Rt, [PC, #imm8] (T1) */
        else if (h == 0xF8DF && base + (h2 & 0xFFF) == lit)
            rt = h2 >> 12;                                      /* LDR.W Rt, [PC, #imm12] (T2) */
        else
            continue;
        for (uint64_t q = l + 2; q < l + 64 && q + 2 <= code->base + code->size; q += 2) {
            const uint8_t *pq = mp_seg_at(&c->mod->L, MODP_SEG_CODE, q, 2);
            if (pq && rd16(pq) == (0x4478u | (rt & 8u) << 4 | (rt & 7u))) {   /* ADD Rt, PC */
                *slot = (q + 4 + w) & 0xFFFFFFFFu;
                return 1;
            }
        }
    }
    return 0;
}

/* GOT_PREL: P + stored - A with the REL addend A unknown after the link.
 * For clang's Thumb load (LDR of the literal, then "add rX, pc") the slot
 * follows exactly from the instructions, wherever the linker script put
 * the GOT; otherwise it is the only word of a .got section holding the
 * symbol's value, or when several do (imports all hold 0), the only one
 * such that the literal is what an "add rX, pc" needs (ld.lld output). */
static int find_got_prel_slot(mp_ctx *c, const mp_relsec *rs, const mp_reloc *r,
                              const mp_target *t, uint32_t w, uint64_t *addr)
{
    uint32_t want = t->kind == MP_T_IMPORT ? 0 : (uint32_t)t->value;
    int found = 0, by_add = 0;
    uint64_t add_addr = 0;
    /* GOT[0..2] at _GLOBAL_OFFSET_TABLE_ are reserved (zero in a static link) */
    const mp_symbol *g = mp_got_symbol(c);
    uint64_t resv = g && g->shndx != SHN_UNDEF ? g->value : UINT64_MAX;
    uint64_t exact;
    int sseg;
    if (thumb_literal_slot(c, r->offset, w, &exact) && section_at(c, exact, &sseg) && !(exact & 3)) {
        const uint8_t *sp = mp_seg_at(&c->mod->L, sseg, exact, 4);
        int mine = 0, other = 0;
        for (const mp_note *nt = mp_find_note(c, exact); nt; nt = mp_next_note(c, nt))
            *(strcmp(mp_sym_name(c->m, nt->sym), mp_sym_name(c->m, r->sym)) == 0 ? &mine : &other) = 1;
        if (mine || (!other && sp && rd32(sp) == want)) {
            *addr = exact;
            return 0;
        }
    }
    for (size_t i = 1; i < c->m->nsec; i++) {
        const mp_section *s = &c->m->sec[i];
        if (s->seg == MP_SEG_NONE || !s->bytes || !s->name || strncmp(s->name, ".got", 4) != 0)
            continue;
        for (uint64_t o = (4 - (s->addr & 3)) & 3; o + 4 <= s->size; o += 4) {
            uint64_t a = s->addr + o;
            if (a >= resv && a - resv < 12)
                continue;
            int claimed_by_other = 0, claimed_by_me = 0;
            for (const mp_note *nt = mp_find_note(c, a); nt; nt = mp_next_note(c, nt)) {
                const char *x = mp_sym_name(c->m, nt->sym), *y = mp_sym_name(c->m, r->sym);
                if (strcmp(x, y) == 0)
                    claimed_by_me = 1;
                else
                    claimed_by_other = 1;
            }
            if (claimed_by_me) {
                *addr = a;
                return 0;
            }
            /* the slot still holds the linked value unless lowered already */
            if (!claimed_by_other && rd32(s->bytes + o) == want) {
                found++;
                *addr = a;
                if (thumb_add_pc_reaches(c, w, a)) {
                    by_add++;
                    add_addr = a;
                }
            }
        }
    }
    if (found > 1 && by_add == 1) {
        *addr = add_addr;
        return 0;
    }
    if (found != 1)
        return mp_reloc_error(c, rs, r, found ? "the GOT slot cannot be identified (the REL addend "
                                                "is lost after the link and several slots match)"
                                              : "no GOT slot holds the symbol",
                              "compile with -fno-pic, or with gcc -fPIC, which uses R_ARM_GOT_BREL");
    return 0;
}

/* ---- one relocation ------------------------------------------------------ */

static int arm_lower_rel(mp_ctx *c, mp_rel *x)
{
    const mp_relsec *rs = x->rs;
    const mp_reloc *r = x->r;
    const rinfo *ri = x->ri;
    if (!x->p)
        return 0;   /* MOVW/MOVT: done in lower_pairs */
    int seg = x->seg;
    uint8_t *p = x->p;
    mp_target t = x->t;
    int cls = ri->cls;

    if (cls == K_TARGET2) {
        /* ld resolved it as ABS32 or REL32 (--target2); the value tells which. */
        uint32_t w = rd32(p), s = t.kind == MP_T_IMPORT ? 0 : (uint32_t)t.value;
        if (w == s)
            cls = K_ABS32;
        else if (w == s - (uint32_t)r->offset)
            cls = K_PREL;
        else
            return mp_reloc_error(c, rs, r, "cannot tell whether the linker resolved it as absolute "
                                  "or relative", "link with --target2=abs");
    }

    switch (cls) {
    case K_ABS32:
        mp_lower_word(c, seg, r->offset, &t);
        return 0;
    case K_SMALLABS:
        if (t.kind != MP_T_ABS)
            return mp_reloc_error(c, rs, r, "a field narrower than 32 bits cannot hold a "
                                  "relocatable address", "store the address in a 32-bit word");
        return 0;
    case K_GOTOFF: {
        uint64_t org = 0;
        int gseg = 0;
        if (got_origin(c, rs, r, &org, &gseg) != 0)
            return -1;
        if (t.kind != MP_T_SEG)
            return mp_reloc_error(c, rs, r, "a GOT-relative offset cannot reach an import or "
                                  "absolute symbol", PIC_HINT);
        if (t.seg != gseg)
            cross_ref(c, rs, r, t.seg, 1, "GOT-relative offset between code and data");
        return 0;
    }
    case K_GOT_BREL: {
        uint64_t org = 0;
        int gseg = 0;
        if (got_origin(c, rs, r, &org, &gseg) != 0)
            return -1;
        /* the site holds slot - GOT_ORG and stays; the slot gets the fixup.
         * GNU ld takes as GOT_ORG the start of the output section holding
         * the GOT, which is _GLOBAL_OFFSET_TABLE_ only when that section
         * is .got itself (a script with .got inside .data: the start of
         * .data); the slot must hold the symbol's link value. */
        uint64_t slot = (uint32_t)(org + rd32(p));
        const mp_symbol *g = mp_got_symbol(c);
        uint64_t alt = (uint32_t)(c->m->sec[g->shndx].addr + rd32(p));
        if (!slot_holds(c, slot, &t) && slot_holds(c, alt, &t))
            slot = alt;
        return lower_slot(c, rs, r, slot, &t);
    }
    case K_GOT_PREL: {
        uint64_t a = 0;
        int sseg;
        if (find_got_prel_slot(c, rs, r, &t, rd32(p), &a) != 0)
            return -1;
        if (section_at(c, a, &sseg) && sseg != seg)
            cross_ref(c, rs, r, sseg, 1, "PC-relative reference between code and the GOT");
        return lower_slot(c, rs, r, a, &t);
    }
    default:
        break;
    }

    /* PC-relative: nothing to do within a segment. */
    if (t.kind == MP_T_SEG) {
        const mp_symbol *y = &c->m->sym[r->sym];
        const char *sn = c->m->sec[y->shndx].name;
        if ((cls == K_TBRANCH || cls == K_ABRANCH) &&
            (strncmp(sn, ".plt", 4) == 0 || strncmp(sn, ".iplt", 5) == 0))
            return mp_reloc_error(c, rs, r, "the call goes through a PLT entry", MP_DYN_HINT);
        if (t.seg != seg) {
            int word = ri->width == 4 && (r->type == R_ARM_REL32 || r->type == R_ARM_REL32_NOI ||
                                          r->type == R_ARM_BASE_PREL || r->type == R_ARM_PREL31 ||
                                          r->type == R_ARM_TARGET2);
            cross_ref(c, rs, r, t.seg, word, MP_CROSS_WHY(seg));
        }
        return 0;
    }
    if (cls == K_TBRANCH || cls == K_ABRANCH) {
        unsigned v = cls == K_ABRANCH ? V_ARM : c->mod->arch_flags & MODP_ARM_THUMB2 ? V_THUMB2 : V_THUMB;
        mp_add_branch(c, rs, r, seg, v, r->type, &t);
        if (seg != MODP_SEG_CODE)
            cross_ref(c, rs, r, MODP_SEG_CODE, 0, "data branches to a veneer in code");
        return 0;
    }
    const char *why = t.kind == MP_T_IMPORT ? MP_PCREL_IMPORT_WHY : MP_PCREL_ABS_WHY;
    if (r->type == R_ARM_PREL31 && t.kind == MP_T_IMPORT)
        return mp_reloc_error(c, rs, r, "exception-handling tables (.ARM.exidx, .ARM.extab) name the "
                              "unwinder's personality routine, which a module cannot import",
                              "compile with -fno-exceptions -fno-unwind-tables -fno-asynchronous-unwind-tables");
    if (cls == K_PBRANCH)
        return mp_reloc_error(c, rs, r, why, "compile with -mlong-calls (or -fno-optimize-sibling-calls) "
                              "so that firmware is reached by BL or through a register");
    return mp_reloc_error(c, rs, r, why, "the reference must go through a data word: compile with "
                          "-mlong-calls, -mword-relocations or -fno-pic");
}

static int arm_begin(mp_ctx *c, const mp_relsec *rs)
{
    if (rs->rela && rs->n)
        return mp_error("%s: %s: RELA relocations are not used on ARM", c->m->path,
                        c->m->sec[rs->index].name);
    /* The build attributes' flags, before any branch is lowered: a
     * module that needs Thumb-2 anyway gets the shorter veneer. (Read
     * once per relocation section; arm_flags makes the final flags.) */
    if (!(c->mod->arch_flags & MODP_ARM_ATTRS))
        c->mod->arch_flags |= arm_attr_flags(c->m);
    return lower_pairs(c, rs);
}

/* GNU ld merges duplicate .ARM.exidx entries but still emits the
 * relocations of the removed ones, with offsets past the section. Those
 * entries have no bytes in the output: nothing to lower. */
static int arm_skip(const mp_ctx *c, const mp_relsec *rs, const mp_reloc *r)
{
    const mp_section *t = &c->m->sec[rs->target];
    return t->type == SHT_ARM_EXIDX && (r->type == R_ARM_PREL31 || r->type == R_ARM_NONE) &&
           (r->offset < t->addr || r->offset - t->addr >= t->size);
}

/* ---- veneers --------------------------------------------------------------- */

/* Thumb, every M profile incl. v6-M: push {r0,r1}; ldr r0,[pc,#4];
 * str r0,[sp,#4]; pop {r0,pc}; .word target (Thumb bit set). r0/r1 and lr
 * survive, so it serves BL and tail-calling B.W alike. */
static const uint8_t thumb_veneer[12] = {0x03, 0xB4, 0x01, 0x48, 0x01, 0x90, 0x01, 0xBD};
/* Thumb-2 (a module whose attributes say it needs it anyway): ldr.w pc,
 * [pc,#0]; .word target. Every register survives; 4 bytes shorter. */
static const uint8_t thumb2_veneer[8] = {0xDF, 0xF8, 0x00, 0xF0};
/* ARM: ldr pc,[pc,#-4]; .word target (interworks on v5T and later). */
static const uint8_t arm_veneer[8] = {0x04, 0xF0, 0x1F, 0xE5};

/* Indexed by the variant. The Thumb veneers load their literal from
 * Align(PC, 4): the code segment is raised to 4-byte alignment. */
static const mp_veneer_tpl arm_veneers[3] = {
    [V_ARM] = {arm_veneer, 8, 4, 4, 2, 0},
    [V_THUMB] = {thumb_veneer, 12, 8, 4, 2, 1},
    [V_THUMB2] = {thumb2_veneer, 8, 4, 4, 2, 1},
};

static int arm_patch_branch(mp_ctx *c, const mp_branch *b, uint64_t dest)
{
    uint8_t *p = mp_seg_at(&c->mod->L, b->seg, b->addr, 4);
    int64_t off;
    if (b->kind == R_ARM_THM_CALL || b->kind == R_ARM_THM_JUMP24) {
        off = (int64_t)dest - (int64_t)(b->addr + 4);
        if (off < -(1 << 24) || off > (1 << 24) - 2)
            return mp_reloc_error(c, b->rs, &b->r, "the veneer for this call is out of BL range",
                                  "compile with -mlong-calls");
        /* BL (not BLX) or B.W, whole: the veneer is Thumb, and ld leaves a
         * NOP where a call to a weak symbol it could not find was. */
        wr16(p, 0xF000u);
        wr16(p + 2, b->kind == R_ARM_THM_CALL ? 0xD000u : 0x9000u);
        thm_set_b24(p, off);
    } else {
        off = (int64_t)dest - (int64_t)(b->addr + 8);
        if (off < -(1 << 25) || off > (1 << 25) - 4)
            return mp_reloc_error(c, b->rs, &b->r, "the veneer for this call is out of BL range",
                                  "compile with -mlong-calls");
        uint32_t w = rd32(p);
        if (b->kind == R_ARM_CALL)
            w = 0xEB000000u;   /* BL: the veneer is ARM (was BLX imm, or ld's NOP for a weak call) */
        else if ((w & 0x0F000000u) != 0x0A000000u)
            return mp_reloc_error(c, b->rs, &b->r, "the linker replaced this branch to a weak "
                                  "symbol it could not find by a NOP, losing its condition",
                                  "call weak functions (BL), or compile with -mthumb");
        wr32(p, arm_b24(w, off));
    }
    return 0;
}

/* The "aeabi" attributes' value encodings: Tag_CPU_raw_name (4),
 * Tag_CPU_name (5) and odd tags from 33 on are strings, Tag_compatibility
 * (32) a number and a string, the rest numbers. */
static int arm_attr_kind(uint32_t tag)
{
    if (tag == 4 || tag == 5 || (tag > 32 && (tag & 1)))
        return MP_ATTR_STR;
    return tag == 32 ? MP_ATTR_NUM_STR : MP_ATTR_NUM;
}

/* What the code needs from the CPU, from the build attributes. */
static uint32_t arm_attr_flags(const mp_elf *m)
{
    enum { CPU_ARCH = 6, THUMB_ISA = 9, FP_ARCH = 10, VFP_ARGS = 28 };
    mp_attrs a;
    mp_attrs_read(m, "aeabi", arm_attr_kind, &a);
    if (!(a.seen & (1u << CPU_ARCH | 1u << THUMB_ISA)))
        return 0;
    uint32_t f = MODP_ARM_ATTRS;
    /* Tag_THUMB_ISA_use 2 is 32-bit Thumb; 3 ("allowed") leaves it to
     * Tag_CPU_arch: v6T2 (8), v7 (10), v7E-M (13) and later, except v6-M
     * (11), v6S-M (12) and v8-M baseline (16), which are Thumb-1 cores
     * (v6K, 9, has no Thumb-2 either). */
    uint64_t arch = a.num[CPU_ARCH], thumb = a.num[THUMB_ISA];
    if (thumb == 2 || (thumb == 3 && arch >= 8 && arch != 9 && arch != 11 && arch != 12 && arch != 16))
        f |= MODP_ARM_THUMB2;
    if (a.num[FP_ARCH] != 0)
        f |= MODP_ARM_FP;
    /* Objects carry the float ABI only here (their e_flags leave it out). */
    if ((a.seen & 1u << VFP_ARGS) && a.num[VFP_ARGS] == 1)
        f |= MODP_ARM_HARD_FLOAT;
    return f;
}

/* An M-profile CPU runs Thumb code only: ARM-state code in the module (a
 * $a mapping symbol in the code, typically libgcc's ARM-state helpers when
 * the link lacked -mcpu/-mthumb) would fault at its first instruction. The
 * object it came from is the FILE symbol before it. Elsewhere ARM-state code
 * keeps the code 4-aligned even when Thumb code would need only 2 (arch flag
 * bit 0 tells modload of the Thumb code only). */
static int arm_finish(mp_ctx *c)
{
    enum { CPU_ARCH = 6, PROFILE = 7 };
    const mp_elf *m = c->m;
    const char *file = NULL;
    for (size_t i = 1; i < m->nsym; i++) {
        const mp_symbol *y = &m->sym[i];
        if (y->type == STT_FILE)
            file = y->name;
        if (!(y->name[0] == '$' && y->name[1] == 'a' && (y->name[2] == 0 || y->name[2] == '.')) ||
            y->shndx == SHN_UNDEF || y->shndx >= m->nsec || m->sec[y->shndx].seg != MODP_SEG_CODE)
            continue;
        mp_attrs a;
        mp_attrs_read(m, "aeabi", arm_attr_kind, &a);
        uint64_t arch = a.num[CPU_ARCH];
        int m_profile = ((a.seen >> PROFILE) & 1 && a.num[PROFILE] == 'M') ||
                        ((a.seen >> CPU_ARCH) & 1 && (arch == 11 || arch == 12 || arch == 13 || arch == 16 ||
                                                      arch == 17 || arch == 21));
        if (!m_profile) {   /* ARM-state instructions are 4-aligned, Thumb or not */
            if (c->mod->L.seg[MODP_SEG_CODE].align < 2)
                c->mod->L.seg[MODP_SEG_CODE].align = 2;
            return 0;
        }
        const mp_section *s = &m->sec[y->shndx];
        const char *fn = mp_function_at(m, y->shndx, y->value, 1);
        uint64_t off = m->type == ET_REL ? y->value : y->value - s->addr;
        return mp_error("%s: %s+0x%llx: ARM-state code%s%s%s%s%s in a module for an M-profile CPU, "
                        "which runs Thumb code only; link with the same -mcpu and -mthumb as you "
                        "compile with (the linker then takes libgcc's Thumb helpers)",
                        m->path, s->name, (unsigned long long)off, fn ? " (" : "", fn ? fn : "",
                        file ? (fn ? ", from " : " (from ") : "", file ? file : "", fn || file ? ")" : "");
    }
    return 0;
}

static uint32_t arm_flags(mp_ctx *c)
{
    uint32_t f = 0;
    const mp_elf *m = c->m;
    if (mp_has_veneer(c, V_THUMB) || mp_has_veneer(c, V_THUMB2))
        f |= MODP_ARM_THUMB;
    for (size_t i = 1; i < m->nsym; i++) {
        const mp_symbol *y = &m->sym[i];
        if (y->shndx >= m->nsec || y->shndx == SHN_UNDEF || m->sec[y->shndx].seg != MODP_SEG_CODE)
            continue;
        if ((y->type == STT_FUNC && (y->value & 1)) ||
            (y->name[0] == '$' && y->name[1] == 't' && (y->name[2] == 0 || y->name[2] == '.')))
            f |= MODP_ARM_THUMB;
    }
    if (m->flags & EF_ARM_ABI_FLOAT_HARD)
        f |= MODP_ARM_HARD_FLOAT;
    return f | arm_attr_flags(m);
}

/* build --firmware: the firmware's float ABI and, from its attributes,
 * whether its CPU has Thumb-2. (A soft-float firmware may run on a CPU with
 * an FPU, so FP use alone is not compared.) */
static int arm_fw_check(const char *module, uint32_t mf, const mp_elf *fw)
{
    uint32_t ff = arm_attr_flags(fw) | (fw->flags & EF_ARM_ABI_FLOAT_HARD ? MODP_ARM_HARD_FLOAT : 0);
    if ((mf ^ ff) & MODP_ARM_HARD_FLOAT)
        return mp_error("%s: the module passes floating-point arguments %s, the firmware %s %s; "
                        "build both with the same -mfloat-abi", module,
                        mf & MODP_ARM_HARD_FLOAT ? "in FPU registers (hard-float)" : "in core registers (soft-float)",
                        fw->path, ff & MODP_ARM_HARD_FLOAT ? "in FPU registers (hard-float)"
                                                           : "in core registers (soft-float)");
    if ((mf & MODP_ARM_THUMB2) && (ff & MODP_ARM_ATTRS) && !(ff & MODP_ARM_THUMB2))
        return mp_error("%s: the module uses 32-bit Thumb-2 instructions, but the firmware %s is built "
                        "for a Thumb-1 CPU (ARMv6-M or ARMv8-M baseline); compile and link the module "
                        "with the firmware's -mcpu", module, fw->path);
    return 0;
}

/* Shared objects (dynamic.c): R_ARM_RELATIVE, GLOB_DAT, JUMP_SLOT, ABS32,
 * COPY, IRELATIVE. */
static const mp_dyn_types arm_dyn = {
    .relative = R_ARM_RELATIVE,
    .glob_dat = R_ARM_GLOB_DAT,
    .jump_slot = R_ARM_JUMP_SLOT,
    .abs32 = R_ARM_ABS32,
    .copy = R_ARM_COPY,
    .irelative = R_ARM_IRELATIVE,
};

/* inspect: the words for arm_flags' bits. */
static int arm_flag_words(uint32_t f, char w[8][16])
{
    int n = 0;
#define WORD(cond, s) do { if (cond) snprintf(w[n++], 16, "%s", s); } while (0)
    WORD(f & MODP_ARM_THUMB, "thumb");
    WORD((f & MODP_ARM_ATTRS) && (f & MODP_ARM_THUMB2), "thumb-2");
    WORD((f & (MODP_ARM_ATTRS | MODP_ARM_THUMB | MODP_ARM_THUMB2)) == (MODP_ARM_ATTRS | MODP_ARM_THUMB), "thumb-1");
    WORD((f & MODP_ARM_ATTRS) && (f & MODP_ARM_FP), "fpu");
    WORD(1, f & MODP_ARM_HARD_FLOAT ? "hard-float" : "soft-float");
#undef WORD
    return n;
}

extern const mp_stub_tpl mp_stub_arm; /* stub.c */

const mp_arch mp_arch_arm = {
    .machine = EM_ARM,
    .elfclass = ELFCLASS32,
    .name = "arm",
    .rtable = table,
    .nrtable = sizeof table / sizeof table[0],
    .rprefix = "R_ARM_",
    .own_cls = 1u << K_MOVW | 1u << K_MOVT | 1u << K_TMOVW | 1u << K_TMOVT,
    .begin = arm_begin,
    .skip = arm_skip,
    .lower_rel = arm_lower_rel,
    .veneers = arm_veneers,
    .patch_branch = arm_patch_branch,
    .pinned_where = " in an instruction",
    .pinned_hint = "-mlong-calls",
    .arch_flags = arm_flags,
    .dyn = &arm_dyn,
    .link = mp_link_arm,
    .link_addend = mp_link_addend_arm,
    .got = &mp_got_arm,
    .func_bit0 = 1,
    .flag_words = arm_flag_words,
    .stub = &mp_stub_arm,
    .fw_check = arm_fw_check,
    .finish = arm_finish,
};
