/* isa/x86/stub.c - `modpack stubs` for i386 and x86-64: one indirect jump
 * through the table entry, no register touched. */
#include "arch.h"
#include "util.h"

static void align16(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn, (void)table, (void)i;
    buf_printf(b, "    \"\\t.p2align 4\\n\"\n");
}

static void jmp_x86_64(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn;
    buf_printf(b, "    \"\\tjmp *%s+%u(%%rip)\\n\"\n", table, 8u * i);
}

static void jmp_i386(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn;
    buf_printf(b, "    \"\\tjmp *%s+%u\\n\"\n", table, 4u * i);
}

const mp_stub_tpl mp_stub_x86_64 = {"x86-64", "defined(__x86_64__)", align16, NULL, jmp_x86_64};
const mp_stub_tpl mp_stub_i386 = {"i386", "defined(__i386__)", align16, NULL, jmp_i386};
