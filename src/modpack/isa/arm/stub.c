/* isa/arm/stub.c - `modpack stubs` for Thumb (ARMv6-M and up). */
#include "arch.h"
#include "util.h"

static void align4(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)fn, (void)table, (void)i;
    buf_printf(b, "    \"\\t.syntax unified\\n\\t.thumb\\n\\t.balign 4\\n\"\n");
}

/* ARMv6-M safe: r0 is saved around the load, ip (r12) is the scratch
 * register the AAPCS allows a veneer to clobber. */
static void jump(mp_buf *b, const char *fn, const char *table, uint32_t i)
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

const mp_stub_tpl mp_stub_arm = {"ARM Thumb", "defined(__arm__)", align4, "\\t.thumb_func\\n", jump};
