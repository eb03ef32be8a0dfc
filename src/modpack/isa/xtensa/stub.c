/* isa/xtensa/stub.c - `modpack stubs` for the call0 ABI (ESP8266). */
#include "arch.h"
#include "util.h"

/* The table entry's address, as a literal before the stub. */
static void literal(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    buf_printf(b, "    \"\\t.literal_position\\n\"\n"
           "    \"\\t.literal .Lmodpack_stub_%s, %s+%u\\n\"\n"
           "    \"\\t.align 4\\n\"\n", fn, table, 4u * i);
}

/* a8 is a scratch register no argument uses. */
static void jump(mp_buf *b, const char *fn, const char *table, uint32_t i)
{
    (void)table, (void)i;
    buf_printf(b, "    \"\\tl32r a8, .Lmodpack_stub_%s\\n\"\n"
           "    \"\\tl32i a8, a8, 0\\n\"\n"
           "    \"\\tjx a8\\n\"\n", fn);
}

const mp_stub_tpl mp_stub_xtensa = {"Xtensa call0", "defined(__xtensa__) && defined(__XTENSA_CALL0_ABI__)",
                                    literal, NULL, jump};
