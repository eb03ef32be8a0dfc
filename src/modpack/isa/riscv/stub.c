/* isa/riscv/stub.c - `modpack stubs` for rv32 and rv64. */
#include "arch.h"
#include "util.h"

static void align4(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn, (void)table, (void)i;
    buf_printf(b, "    \"\\t.balign 4\\n\"\n");
}

/* t1 is a temporary no argument uses. */
static void jump(mp_buf *b, const char *table, uint32_t i, unsigned xlen)
{
    buf_printf(b, "    \"1:\\tauipc t1, %%pcrel_hi(%s+%u)\\n\"\n"
           "    \"\\t%s t1, %%pcrel_lo(1b)(t1)\\n\"\n"
           "    \"\\tjr t1\\n\"\n", table, xlen / 8u * i, xlen == 64 ? "ld" : "lw");
}

static void jump32(mp_buf *b, const char *fn, const char *table, uint32_t i) { (void)fn; jump(b, table, i, 32); }
static void jump64(mp_buf *b, const char *fn, const char *table, uint32_t i) { (void)fn; jump(b, table, i, 64); }

const mp_stub_tpl mp_stub_riscv = {"RISC-V rv32", "defined(__riscv) && __riscv_xlen == 32", align4, NULL, jump32};
const mp_stub_tpl mp_stub_riscv64 = {"RISC-V rv64", "defined(__riscv) && __riscv_xlen == 64", align4, NULL, jump64};
