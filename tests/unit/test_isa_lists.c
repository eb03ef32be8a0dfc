/* test_isa_lists.c - the lists of ISAs agree: modpack's table (src/modpack/
 * isa/list.h, one mp_arch per ISA) and the format's MODP_ARCHES (include/
 * modformat.h) name the same machines; the host modload accepts an image
 * of each and refuses any other; every ISA has its name in the "supported"
 * list, a stub template for `modpack stubs`, and words for inspect when it
 * has arch flags to name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"
#include "modload.h"

static const uint16_t format_arches[] = {
#define ROW(a) (uint16_t)(a),
    MODP_ARCHES(ROW)
#undef ROW
};
#define NFORMAT (sizeof format_arches / sizeof format_arches[0])

static int in_format(uint16_t machine)
{
    for (size_t i = 0; i < NFORMAT; i++)
        if (format_arches[i] == machine)
            return 1;
    return 0;
}

/* The smallest valid image: a header, no parts, the CRC. */
static uint32_t empty_image(uint8_t *b, uint16_t arch)
{
    uint32_t size = MODP_HEADER_MIN + MODP_CRC_SIZE, crc;
    memset(b, 0, size);
    memcpy(b, MODP_MAGIC, 4);
    b[MODP_H_MAJOR] = MODP_VERSION_MAJOR;
    b[MODP_H_HEADER_SIZE] = MODP_HEADER_MIN;
    b[MODP_H_ARCH] = (uint8_t)arch;
    b[MODP_H_ARCH + 1] = (uint8_t)(arch >> 8);
    b[MODP_H_IMAGE_SIZE] = (uint8_t)size;
    b[MODP_H_CODE_ALIGN] = 2;           /* 4 bytes: every ISA's instructions */
    memset(b + MODP_H_ENTRY, 0xFF, 8);  /* no entry, no exit */
    crc = modload_crc32(0, b, size - 4);
    for (int i = 0; i < 4; i++)
        b[size - 4 + (uint32_t)i] = (uint8_t)(crc >> (8 * i));
    return size;
}

static void test_modpack_table_is_the_format_list(void **state)
{
    const mp_arch *a;
    size_t n = 0;
    (void)state;
    for (size_t i = 0; (a = mp_arch_at(i)) != NULL; i++, n++) {
        if (!in_format(a->machine))
            fail_msg("modpack ISA %s (machine %u) is not in MODP_ARCHES", a->name, a->machine);
        assert_non_null(strstr(mp_arch_names(), mp_arch_find(a->machine)->name)); /* one name per machine */
        if (!a->stub)
            fail_msg("modpack ISA %s has no stub template (isa/<isa>/stub.c)", a->name);
    }
    assert_true(n >= NFORMAT);
    for (size_t i = 0; i < NFORMAT; i++)
        if (!mp_arch_find(format_arches[i]))
            fail_msg("MODP_ARCHES names machine %u, which no modpack ISA lowers", format_arches[i]);
}

static void test_host_modload_takes_each(void **state)
{
    uint8_t b[128];
    modload_image img;
    const mp_arch *a;
    (void)state;
    for (size_t i = 0; (a = mp_arch_at(i)) != NULL; i++) {
        uint32_t n = empty_image(b, a->machine);
        if (modload_check(b, n, &img) != MODLOAD_OK)
            fail_msg("host modload refuses an empty %s image", a->name);
    }
    assert_int_equal(modload_check(b, empty_image(b, 0x1234), &img), MODLOAD_ERR_ARCH);
    assert_int_equal(modload_check(b, empty_image(b, 0), &img), MODLOAD_ERR_ARCH);
}

/* ISAs with arch flags (ARM, RISC-V, Xtensa) name them; an image of each
 * says at least one word. */
static void test_flag_words(void **state)
{
    static const struct { uint16_t machine; uint32_t flags; const char *first; } rows[] = {
        {MODP_ARCH_ARM, MODP_ARM_THUMB, "thumb"},
        {MODP_ARCH_RISCV, MODP_RV_RVC, "rv32"},
        {MODP_ARCH_XTENSA, MODP_XT_CALL0, "call0"},
    };
    char w[8][16];
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const mp_arch *a = mp_arch_find(rows[i].machine);
        assert_non_null(a);
        assert_non_null(a->flag_words);
        assert_true(a->flag_words(rows[i].flags, w) >= 1);
        assert_string_equal(w[0], rows[i].first);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modpack_table_is_the_format_list),
        cmocka_unit_test(test_host_modload_takes_each),
        cmocka_unit_test(test_flag_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
