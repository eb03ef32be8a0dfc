/* testmod.c - the end-to-end test module of every ISA: Cortex-M
 * (tests/arm), RISC-V (tests/riscv), Xtensa (tests/xtensa) and x86
 * (tests/x86), and the module of the differential, relocatable and
 * shared-object tests (tests/diff, tests/rel, tests/dyn).
 *
 * It exercises every kind of address a module contains and reports what it
 * computed through fw_record; the firmware (testfw.c) compares each value
 * with one it computes itself or with a constant derived there in a
 * comment. Built for Cortex-M0 (Thumb-1) and Cortex-M4 at -O0/-Os/-O2, with
 * and without -mlong-calls, -mslow-flash-data (MOVW/MOVT) and -fPIC; for
 * rv32imac, rv32imc and rv64 at -O0/-Os/-O2, -mcmodel=medlow and medany,
 * with and without relaxation; for Xtensa, i386 and x86-64.
 *
 * What it contains, and the fixups that result:
 *   .text      code; calls to the firmware (ARM: direct BL calls with
 *              host-made veneers, or literal-pool addresses with
 *              -mlong-calls; RISC-V: CALL_PLT, host-made veneers);
 *              RISC-V medlow: LUI + ADDI/load/store pairs (RV_HI20,
 *              RV_LO12_I/S) for every global address, including firmware
 *              variables; medany: AUIPC pairs, which need nothing inside
 *              the module and are RV_PCREL pairs to firmware variables
 *   .rodata    const tables of pointers to own functions (code -> code),
 *              to own data (code -> data), to an import (code -> import),
 *              strings
 *   .data      writable tables of pointers to own functions (data -> code),
 *              to .rodata (data -> code), to .data (data -> data), to a
 *              firmware function and variable (data -> import)
 *              and at unaligned offsets (packed struct)
 *   .bss       zeroed by the loader, written through pointers
 *   weak       two weak imports (MODP_TGT_WEAK): one the firmware has,
 *              called after a test for 0, and one it lacks, bound to 0
 *              (ARM: ld leaves a NOP at the BL, which modpack rewrites)
 *   exports    mod_compute (callback), mod_ops (data), mod_state (data),
 *              mod_version (rodata); a static callback handed to the
 *              firmware with fw_register
 *   libgcc     __aeabi_idiv/__aeabi_uidiv(mod) on Cortex-M0
 *
 * What differs per ISA is behind the compiler's own macros.
 * TEST_FW_CALLS_BY_POINTER (the differential tests) also calls the firmware
 * through pointers, since a call's veneer exists only in the packed image,
 * and reads const_ops through a volatile pointer so that no call to fw_mix
 * becomes direct.
 */
#include <stdint.h>

#include "testapi.h"


#ifdef TEST_FW_CALLS_BY_POINTER
static void (*volatile fw_record_p)(uint32_t, uint32_t) = fw_record;
static void (*volatile fw_register_p)(uint32_t (*)(uint32_t)) = fw_register;
static uint32_t (*volatile fw_mix_p)(uint32_t, uint32_t) = fw_mix;
#define fw_record(k, v) fw_record_p(k, v)
#define fw_register(f) fw_register_p(f)
#define fw_mix_call(a, b) fw_mix_p(a, b)
/* clang -O2 would unroll the loop over const_ops into a direct call */
#define const_op(i) (((const volatile binop *)const_ops)[i])
#else
#define fw_mix_call(a, b) fw_mix(a, b)
#define const_op(i) const_ops[i]
#endif

typedef uint32_t (*binop)(uint32_t, uint32_t);

/* ---- .rodata ------------------------------------------------------------- */

static const uint32_t primes[8] = { 2, 3, 5, 7, 11, 13, 17, 19 };
static const char name_a[] = "testmod";

/* ---- .data ------------------------------------------------------------------ */

static uint32_t counter = 100;
static int32_t svals[4] = { -7, 1000, -123456, 77 };
static volatile int32_t sdivisor = 7;
static volatile uint32_t udividend = 1000000007u;
static volatile uint32_t udivisor = 13;
static uint32_t bias = 3;

/* ---- .bss ------------------------------------------------------------------- */

static uint32_t accum;
static uint32_t scratch[16];

/* ---- functions the tables point to ----------------------------------------- */

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_udiv(uint32_t a, uint32_t b) { return b ? a / b : 0; }
static uint32_t op_umod(uint32_t a, uint32_t b) { return b ? a % b : 0; }
static uint32_t op_sdiv(uint32_t a, uint32_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    if (y == 0)
        return 0;
    if (y == -1)
        return 0u - a;
    return (uint32_t)(x / y);
}

/* ---- pointer tables ------------------------------------------------------------ */

/* const: in .rodata, i.e. fixup sites in the code segment */
static const binop const_ops[6] = { op_add, op_mul, op_xor, op_udiv, fw_mix, op_sdiv };
static uint32_t *const data_ptrs[3] = { &counter, &accum, &scratch[15] };
static const char *const strings[3] = { name_a, "abc", "" };

/* writable: in .data, i.e. fixup sites in the data segment */
binop mod_ops[4] = { op_sub, op_umod, fw_mix, op_add };       /* exported */
static uint32_t (*weak_fns[2])(uint32_t) = { fw_weak_here, fw_weak_absent };
static const uint32_t *rodata_ptrs[2] = { primes, &primes[7] };
static uint32_t *self_ptr = &bias;
/* RISC-V and the differential tests: the pointer itself is volatile, so
 * that medany does not fold it */
#if defined(__riscv) || defined(TEST_FW_CALLS_BY_POINTER)
#define SHARED_PTR_QUAL volatile
#else
#define SHARED_PTR_QUAL
#endif
static volatile uint32_t *SHARED_PTR_QUAL shared_ptr = &fw_shared;

/* pointers at odd offsets (1 and 7): fixup sites that are not word
 * aligned; the loader must patch them byte by byte */
struct __attribute__((packed)) unaligned_ptrs {
    uint8_t tag;
    const uint32_t *p;
    uint8_t pad[2];
    uint32_t *q;
};
static struct unaligned_ptrs unaligned = { 0x5A, &primes[3], { 0, 0 }, &counter };

/* exported objects */
uint32_t mod_state = 0xC0DE0001u;
const uint32_t mod_version = 0x00010002u;

/* ---- helpers ------------------------------------------------------------------- */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 0x811C9DC5u;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 0x01000193u;
    }
    return h;
}

/* handed to the firmware through fw_register */
static uint32_t square_plus_bias(uint32_t x)
{
    return x * x + *self_ptr;
}

/* ---- exported callback ----------------------------------------------------------- */

uint32_t mod_compute(uint32_t sel, uint32_t a, uint32_t b)
{
    if (sel < 6)
        return const_ops[sel](a, b);
    if (sel < 10)
        return mod_ops[sel - 6](a, b);
    if (sel == 10)
        return rodata_ptrs[a & 1][0] + b;
    return 0xFFFFFFFFu;
}

/* Weak imports, each tested before it is called, as C code must: directly,
 * and as words in .data. Only through weak_fns where the toolchain leaves no
 * fixable address of a missing weak symbol in the code: RISC-V (ld relaxes
 * the address 0 into an x0-relative immediate; medany reaches it
 * PC-relatively), x86-64 -fPIC (ld turns the GOT load into mov $0 even
 * with --no-relax), and the differential tests (no veneers in the
 * reference link). */
#if defined(TEST_FW_CALLS_BY_POINTER) || defined(__riscv) || (defined(__x86_64__) && defined(__PIC__))
#define TEST_WEAK_BY_POINTER 1
#endif

static uint32_t weak_imports(void)
{
    uint32_t v = 0;
#ifdef TEST_WEAK_BY_POINTER
    uint32_t (*volatile *fns)(uint32_t) = weak_fns;
    if (fns[0])
        v += fns[0](0x21u);
    v += fns[1] ? fns[1](1u) : 0x1000u;
#else
    if (fw_weak_here)
        v += fw_weak_here(0x21u);
    v += fw_weak_absent ? fw_weak_absent(1u) : 0x1000u;
#endif
#ifdef TEST_WEAK_BY_POINTER
    if (((uint32_t (*volatile *)(uint32_t))weak_fns)[1] == 0)
        v += 0x20000u;
#else
    if (weak_fns[0] == fw_weak_here && weak_fns[1] == 0)
        v += 0x20000u;
#endif
    return v;
}

/* ---- entry and exit ---------------------------------------------------------------- */

int module_init(void)
{
    uint32_t v = accum;
    for (int i = 0; i < 16; i++)
        v |= scratch[i];
    fw_record(K_BSS, v);

    int32_t s = (int32_t)counter;
    for (int i = 0; i < 4; i++)
        s += svals[i];
    fw_record(K_DATA, (uint32_t)s);

    fw_record(K_SHARED_PTR, *shared_ptr);
    fw_record(K_SHARED, fw_shared);
    fw_shared = fw_shared ^ 0xFFFFFFFFu;

    v = 0;
    for (int i = 0; i < 4; i++)
        v += fw_table[i];
    fw_record(K_FWTABLE, v);

    v = 0;
    for (int i = 0; i < 8; i++)
        v += rodata_ptrs[0][i];
    v += rodata_ptrs[1][0];
    fw_record(K_PRIMES, v);

    fw_record(K_STRHASH, fnv1a(strings[0]) ^ (fnv1a(strings[1]) * 3u) ^ (fnv1a(strings[2]) * 5u));

    fw_record(K_SDIV_Q, (uint32_t)(svals[2] / sdivisor));
    fw_record(K_SDIV_R, (uint32_t)(svals[2] % sdivisor));
    fw_record(K_UDIV_Q, udividend / udivisor);
    fw_record(K_UDIV_R, udividend % udivisor);

    fw_record(K_MIX, fw_mix_call(0x1234u, 0x5678u));

    v = 0;
    for (uint32_t i = 0; i < 6; i++)
        v += const_op(i)(1000u + i, 7u);
    fw_record(K_OPS, v);

    v = (uint32_t)(data_ptrs[0] == &counter) | (uint32_t)(self_ptr == &bias) << 1 |
        (uint32_t)(rodata_ptrs[1] == &primes[7]) << 2 | (uint32_t)(strings[0] == name_a) << 3 |
        (uint32_t)(shared_ptr == &fw_shared) << 4;
    fw_record(K_SELF, v);

    *data_ptrs[1] = 0x1111u;       /* accum */
    *data_ptrs[2] = 0x2222u;       /* scratch[15] */
    fw_record(K_BSS_WRITE, accum + scratch[15]);

    fw_record(K_UNALIGNED, unaligned.p[0] * 1000u + *unaligned.q + unaligned.tag);

    fw_record(K_WEAK, weak_imports());

    counter += 5;
    mod_state += 1;
    fw_register(square_plus_bias);
    return MOD_INIT_OK;
}

void module_exit(void)
{
    fw_shared = 0xE0000000u | counter;
}
