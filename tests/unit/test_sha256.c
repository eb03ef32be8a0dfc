/* test_sha256.c - modload's SHA-256 (src/modload/sha256.c): the NIST
 * example vectors (FIPS 180-4 examples, SHA256ShortMsg/LongMsg style:
 * "", "abc", the 448- and 896-bit messages, a million 'a'), fed whole and
 * in every chunking of 1..130 bytes, and every length from 0 to 300
 * against OpenSSL's libcrypto, so that each padding case (55, 56, 63, 64
 * bytes in the last block) is compared with an independent implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "modload.h"

static void digest(const void *p, size_t n, size_t chunk, uint8_t out[32])
{
    modload_sha256 s;
    const uint8_t *b = p;
    modload_sha256_init(&s);
    while (n) {
        size_t k = n < chunk ? n : chunk;
        modload_sha256_update(&s, b, k);
        b += k;
        n -= k;
    }
    modload_sha256_final(&s, out);
}

static void hex(const uint8_t *d, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static const struct {
    const char *msg;
    const char *want;
} nist[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void test_nist(void **state)
{
    (void)state;
    uint8_t d[32];
    char h[65];
    for (size_t i = 0; i < sizeof nist / sizeof nist[0]; i++) {
        size_t n = strlen(nist[i].msg);
        for (size_t chunk = 1; chunk <= 130; chunk++) {
            digest(nist[i].msg, n, chunk, d);
            hex(d, h);
            assert_string_equal(h, nist[i].want);
        }
    }
}

static void test_million_a(void **state)
{
    (void)state;
    static uint8_t a[1000000];
    uint8_t d[32];
    char h[65];
    memset(a, 'a', sizeof a);
    digest(a, sizeof a, sizeof a, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    digest(a, sizeof a, 4093, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_against_libcrypto(void **state)
{
    (void)state;
    uint8_t msg[300], d[32], want[32];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131u + 7u);
    for (size_t n = 0; n <= sizeof msg; n++) {
        SHA256(msg, n, want);
        digest(msg, n, n ? n : 1, d);
        assert_memory_equal(d, want, 32);
        digest(msg, n, 7, d);
        assert_memory_equal(d, want, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_against_libcrypto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
