/* test_abi.c - the firmware ABI record (MODP_META_ABI) and its check in
 * modload_load and modload_stream_load, on images assembled here byte by
 * byte from formats/image-format.md (section 10.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modload.h"

#define FW_ID 0x5A17C0DEu

static uint8_t image[256];

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

/* A module of 8 code bytes and 4 data bytes, no fixups, whose metadata is
 * a name record and then meta (len bytes). Returns the image size. */
static uint32_t assemble(const uint8_t *meta, uint32_t len)
{
    static const uint8_t name[] = {MODP_META_NAME, 4, 0, 'a', 'b', 'i', 0};
    uint32_t n = 72, msize = (uint32_t)sizeof name + len;

    memset(image, 0, sizeof image);
    memcpy(image, "MODP", 4);
    image[MODP_H_MAJOR] = 1;
    put16(image + MODP_H_HEADER_SIZE, 72);
    put16(image + MODP_H_ARCH, MODP_ARCH_ARM);
    put16(image + MODP_H_FLAGS, MODP_F_SPLIT | MODP_F_XIP);
    memcpy(image + n, "\x00\xBF\x00\xBF\x70\x47\x00\xBF", 8); /* nop nop bx lr nop */
    n += 8;
    memcpy(image + n, "\x11\x22\x33\x44", 4);
    n += 4;
    memcpy(image + n, name, sizeof name);
    n += (uint32_t)sizeof name;
    if (len)
        memcpy(image + n, meta, len);
    n += len + 4;
    put32(image + MODP_H_IMAGE_SIZE, n);
    put32(image + MODP_H_CODE_SIZE, 8);
    put32(image + MODP_H_DATA_SIZE, 4);
    put32(image + MODP_H_BSS_SIZE, 4);
    put32(image + MODP_H_DATA_OFFSET, 8);
    image[MODP_H_CODE_ALIGN] = 2;
    image[MODP_H_DATA_ALIGN] = 2;
    put32(image + MODP_H_ENTRY, MODP_NONE);
    put32(image + MODP_H_EXIT, MODP_NONE);
    put32(image + MODP_H_META_SIZE, msize);
    put32(image + n - 4, modload_crc32(0, image, n - 4));
    return n;
}

/* An image recording ABI id major.minor. */
static uint32_t with_abi(uint32_t id, unsigned major, unsigned minor)
{
    uint8_t rec[3 + MODP_META_ABI_SIZE] = {MODP_META_ABI, MODP_META_ABI_SIZE, 0};
    put32(rec + 3, id);
    put16(rec + 7, major);
    put16(rec + 9, minor);
    return assemble(rec, sizeof rec);
}

/* ---- loading, from the buffer and streamed ---------------------------- */

static uint8_t mem[64];

static modload_env env_for(const modload_abi *abi)
{
    modload_env env = {0};
    env.abi = abi;
    return env;
}

/* modload_check, then modload_load into mem; mem is 0xA5 where nothing
 * was written. */
static int load_buf(uint32_t size, const modload_abi *fw)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = env_for(fw);
    int rc;

    memset(mem, 0xA5, sizeof mem);
    assert_int_equal(modload_check(image, size, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, sizeof mem, (modload_addr)(uintptr_t)mem, &pl), MODLOAD_OK);
    rc = modload_load(&img, &pl, &env, &mod);
    if (rc == MODLOAD_OK)
        assert_memory_equal(mem + 8, "\x11\x22\x33\x44\0\0\0\0", 8);
    return rc;
}

typedef struct reader {
    const uint8_t *p;
    uint32_t left;
} reader;

static int read3(void *ctx, uint8_t *buf, uint32_t len)
{
    reader *r = ctx;
    uint32_t n = len < 3 ? len : 3; /* small chunks: records span reads */
    if (n > r->left)
        n = r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return (int)n;
}

static int load_stream(uint32_t size, const modload_abi *fw)
{
    modload_stream st;
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = env_for(fw);
    modload_abi none;
    reader r = {image, size};
    int rc;

    memset(mem, 0xA5, sizeof mem);
    if ((rc = modload_stream_begin(&st, read3, &r, &img)) != MODLOAD_OK)
        return rc;
    /* A stream's header carries no metadata: the record is not seen yet. */
    assert_int_equal(modload_image_abi(&img, &none), MODLOAD_ERR_NOT_FOUND);
    memset(&pl, 0, sizeof pl);
    pl.code_write = mem;
    pl.code_run = (modload_addr)(uintptr_t)mem;
    pl.code_room = 8;
    pl.data_write = mem + 8;
    pl.data_run = pl.code_run + 8;
    pl.data_room = 8;
    return modload_stream_load(&st, &img, &pl, &env, &mod);
}

static const modload_abi fw21 = {FW_ID, 2, 1};

static void expect(uint32_t size, const modload_abi *fw, int want)
{
    assert_int_equal(load_buf(size, fw), want);
    if (want == MODLOAD_ERR_ABI) {
        size_t i;
        for (i = 0; i < sizeof mem; i++) /* refused before the first write */
            assert_int_equal(mem[i], 0xA5);
    }
    assert_int_equal(load_stream(size, fw), want);
}

static void test_matching(void **state)
{
    modload_image img;
    modload_abi a;
    uint32_t n = with_abi(FW_ID, 2, 1);
    (void)state;
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_image_abi(&img, &a), MODLOAD_OK);
    assert_int_equal(a.id, FW_ID);
    assert_int_equal(a.major, 2);
    assert_int_equal(a.minor, 1);
    expect(n, &fw21, MODLOAD_OK);
}

static void test_older_minor(void **state)
{
    (void)state;
    expect(with_abi(FW_ID, 2, 0), &fw21, MODLOAD_OK);
}

static void test_other_id(void **state)
{
    (void)state;
    expect(with_abi(FW_ID ^ 0x100u, 2, 1), &fw21, MODLOAD_ERR_ABI);
}

static void test_other_major(void **state)
{
    (void)state;
    expect(with_abi(FW_ID, 3, 1), &fw21, MODLOAD_ERR_ABI);
    expect(with_abi(FW_ID, 1, 1), &fw21, MODLOAD_ERR_ABI);
}

static void test_newer_minor(void **state)
{
    (void)state;
    expect(with_abi(FW_ID, 2, 2), &fw21, MODLOAD_ERR_ABI);
}

static void test_opt_out(void **state)
{
    uint32_t n = with_abi(0x12345678u, 9, 9);
    modload_image img;
    modload_place pl;
    modload_module mod;
    (void)state;
    expect(n, NULL, MODLOAD_OK);
    /* No env at all loads too. */
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_place_region(&img, mem, sizeof mem, (modload_addr)(uintptr_t)mem, &pl), MODLOAD_OK);
    assert_int_equal(modload_load(&img, &pl, NULL, &mod), MODLOAD_OK);
}

static void test_missing_record(void **state)
{
    modload_image img;
    modload_abi a;
    uint32_t n = assemble(NULL, 0);
    (void)state;
    assert_int_equal(modload_check(image, n, &img), MODLOAD_OK);
    assert_int_equal(modload_image_abi(&img, &a), MODLOAD_ERR_NOT_FOUND);
    expect(n, &fw21, MODLOAD_OK);
}

static void test_record_shape(void **state)
{
    modload_image img;
    uint8_t rec[3 + 9] = {MODP_META_ABI, 7, 0};
    uint32_t n;
    (void)state;
    n = assemble(rec, 3 + 7);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_META);
    assert_int_equal(load_stream(n, &fw21), MODLOAD_ERR_META);
    rec[1] = 9;
    n = assemble(rec, 3 + 9);
    assert_int_equal(modload_check(image, n, &img), MODLOAD_ERR_META);
    assert_int_equal(load_stream(n, NULL), MODLOAD_ERR_META);
}

/* A stream compares the CRC before it trusts the record. */
static void test_stream_crc_first(void **state)
{
    uint32_t n = with_abi(FW_ID, 3, 0);
    (void)state;
    image[n - 1] ^= 1;
    assert_int_equal(load_stream(n, &fw21), MODLOAD_ERR_CRC);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(modload_strerror(MODLOAD_ERR_ABI),
                        "image built for another firmware ABI (other id or major, or newer minor)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching),      cmocka_unit_test(test_older_minor),
        cmocka_unit_test(test_other_id),      cmocka_unit_test(test_other_major),
        cmocka_unit_test(test_newer_minor),   cmocka_unit_test(test_opt_out),
        cmocka_unit_test(test_missing_record), cmocka_unit_test(test_record_shape),
        cmocka_unit_test(test_stream_crc_first), cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
