/* diffmod.c - fixup patterns for the differential test (tests/diff).
 *
 * Never run: the differential test links it at base 0 and at base B, lets
 * modload place the packed base-0 link at B and compares the bytes. So it
 * collects the shapes a fixup stream has to encode: long runs of adjacent
 * pointers, irregular gaps, unaligned sites, addends (positive, past the
 * end, into the middle of a word), pointers from each segment to each
 * segment and to imports, strings. Imports are referenced only by address
 * (compile with -mlong-calls if the code calls them), so that both links
 * contain the same instructions.
 */
#include <stdint.h>

extern const uint32_t fw_table[];
extern volatile uint32_t fw_shared;
uint32_t fw_mix(uint32_t a, uint32_t b);

typedef uint32_t (*fn)(uint32_t);

static uint32_t f0(uint32_t x) { return x + 1; }
static uint32_t f1(uint32_t x) { return x * 3; }
static uint32_t f2(uint32_t x) { return x ^ 0x55; }
static uint32_t f3(uint32_t x) { return x >> 1; }
static uint32_t f4(uint32_t x) { return fw_mix(x, 4); }

static const uint32_t ro[64] = { 1, 2, 3, 4, 5, 6, 7, 8, [63] = 64 };
static uint32_t rw[64] = { 9, 8, 7, 6, [63] = 1 };
static uint32_t zz[64];

/* runs of adjacent pointers */
const fn ro_fns[40] = {
    f0, f1, f2, f3, f4, f0, f1, f2, f3, f4, f0, f1, f2, f3, f4, f0, f1, f2, f3, f4,
    f0, f1, f2, f3, f4, f0, f1, f2, f3, f4, f0, f1, f2, f3, f4, f0, f1, f2, f3, f4,
};
fn rw_fns[40] = {
    f4, f3, f2, f1, f0, f4, f3, f2, f1, f0, f4, f3, f2, f1, f0, f4, f3, f2, f1, f0,
    f4, f3, f2, f1, f0, f4, f3, f2, f1, f0, f4, f3, f2, f1, f0, f4, f3, f2, f1, f0,
};

/* every segment to every segment, with addends */
const void *const ro_mixed[] = {
    &ro[0], &ro[63], &rw[5], &zz[0], &zz[63], &zz[64], (const char *)&ro[1] + 1,
    &fw_table[0], &fw_table[3], (const void *)&fw_shared, (const void *)fw_mix,
    ro_fns, &rw_fns[39], "a string", (const void *)f2,
};
const void *rw_mixed[] = {
    &ro[7], &rw[0], &rw[64], &zz[1], (const char *)&zz[2] + 3, &fw_table[1],
    (const void *)&fw_shared, (const void *)fw_mix, &ro_fns[20], rw_fns, ro_mixed, "another",
};

/* irregular gaps: a pointer every 12 bytes, then every 20 */
struct rec12 { uint32_t a; const char *name; uint16_t b; };
const struct rec12 ro_recs[] = {
    { 1, "one", 1 }, { 2, "two", 2 }, { 3, "three", 3 }, { 4, "four", 4 }, { 5, "five", 5 },
};
struct rec20 { const uint32_t *p; uint32_t pad[3]; fn f; };
struct rec20 rw_recs[] = {
    { &ro[1], { 0 }, f1 }, { &rw[2], { 0 }, f2 }, { &zz[3], { 0 }, f3 }, { fw_table, { 0 }, f4 },
};

/* unaligned sites */
struct __attribute__((packed)) up { uint8_t c; const void *p; };
struct up rw_packed[5] = {
    { 1, &ro[1] }, { 2, &rw[2] }, { 3, &zz[3] }, { 4, &fw_table[1] }, { 5, (const void *)f3 },
};
const struct up ro_packed[3] = { { 6, &rw[6] }, { 7, &ro[7] }, { 8, (const void *)&fw_shared } };
struct __attribute__((packed, aligned(2))) hp { uint16_t h; const void *p; };
const struct hp ro_half[3] = { { 1, &ro[0] }, { 2, &zz[0] }, { 3, &fw_table[2] } };

uint32_t diff_entry(uint32_t i)
{
    uint32_t v = ro_fns[i % 40](i) + rw_fns[i % 40](i);
    v += *(const uint32_t *)ro_mixed[i % 3] + *(const uint32_t *)rw_mixed[i % 3];
    v += ro_recs[i % 5].a + rw_recs[i % 4].p[0] + rw_recs[i % 4].f(i);
    v += *(const uint8_t *)rw_packed[i % 5].p + *(const uint8_t *)ro_packed[i % 3].p;
    v += *(const uint8_t *)ro_half[i % 3].p;
    zz[i % 64] = v;
    rw[i % 64] += fw_table[i % 4] + fw_shared;
    return v + ro[i % 64];
}

int module_init(void)
{
    return (int)diff_entry(3);
}
