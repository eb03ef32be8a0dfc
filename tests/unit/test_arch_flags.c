/* test_arch_flags.c - modload's arch-flag rule (modload_arch_flags_ok) for
 * the masks modload_internal.h derives on each target, written out here
 * as that header derives them; and the host build, which accepts any
 * arch flags. The derivation itself is proven on the targets
 * (arm.arch.*, riscv.arch.*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "modload_internal.h"
#include "modformat.h"

typedef struct cpu {
    uint32_t lacks, match, has;
} cpu;

#define ARM_MATCH MODP_ARM_HARD_FLOAT
static const cpu cortex_m0 = {MODP_ARM_THUMB2 | MODP_ARM_FP, ARM_MATCH, 0};
static const cpu cortex_m4_soft = {MODP_ARM_FP, ARM_MATCH, 0};
static const cpu cortex_m4f_hard = {0, ARM_MATCH, MODP_ARM_HARD_FLOAT};
#define RV_ALL (MODP_RV_RVC | MODP_RV_M | MODP_RV_A | MODP_RV_F | MODP_RV_D)
#define RV_MATCH (MODP_RV_64 | MODP_RV_FLOAT_ABI)
static const cpu rv32im = {RV_ALL & ~MODP_RV_M, RV_MATCH, 0};
static const cpu rv32imc = {MODP_RV_A | MODP_RV_F | MODP_RV_D, RV_MATCH, 0};
static const cpu rv32imac = {MODP_RV_F | MODP_RV_D, RV_MATCH, 0};
static const cpu rv64gc_lp64d = {0, RV_MATCH, MODP_RV_64 | 0x0004u};

static int ok(const cpu *c, uint32_t f)
{
    return modload_arch_flags_ok(f, c->lacks, c->match, c->has);
}

/* What modpack writes for gcc -mcpu=... -mthumb (see tests/isa). */
#define M0_IMAGE (MODP_ARM_THUMB | MODP_ARM_ATTRS)
#define M4_IMAGE (MODP_ARM_THUMB | MODP_ARM_THUMB2 | MODP_ARM_ATTRS)
#define M4F_HARD_IMAGE (M4_IMAGE | MODP_ARM_FP | MODP_ARM_HARD_FLOAT)
#define M4_SOFTFP_IMAGE (M4_IMAGE | MODP_ARM_FP)

static void test_arm(void **state)
{
    (void)state;
    assert_true(ok(&cortex_m0, M0_IMAGE));
    assert_false(ok(&cortex_m0, M4_IMAGE));          /* Thumb-2 on a Thumb-1 core */
    assert_false(ok(&cortex_m0, M4_SOFTFP_IMAGE));
    assert_true(ok(&cortex_m4_soft, M0_IMAGE));
    assert_true(ok(&cortex_m4_soft, M4_IMAGE));
    assert_false(ok(&cortex_m4_soft, M4_SOFTFP_IMAGE)); /* no FPU in this build */
    assert_false(ok(&cortex_m4_soft, M4F_HARD_IMAGE));
    assert_true(ok(&cortex_m4f_hard, M4F_HARD_IMAGE));
    assert_true(ok(&cortex_m4f_hard, M4_SOFTFP_IMAGE | MODP_ARM_HARD_FLOAT));
    assert_false(ok(&cortex_m4f_hard, M4_IMAGE));     /* soft-float module, hard-float firmware */
    assert_false(ok(&cortex_m4f_hard, M4_SOFTFP_IMAGE));
    /* an image from before the attributes claims nothing */
    assert_true(ok(&cortex_m0, MODP_ARM_THUMB));
    assert_true(ok(&cortex_m4_soft, MODP_ARM_THUMB));
}

static void test_riscv(void **state)
{
    (void)state;
    uint32_t imc = MODP_RV_ATTRS | MODP_RV_M | MODP_RV_RVC, imac = imc | MODP_RV_A;
    assert_true(ok(&rv32im, MODP_RV_ATTRS | MODP_RV_M));
    assert_false(ok(&rv32im, imc));
    assert_false(ok(&rv32im, MODP_RV_ATTRS | MODP_RV_M | MODP_RV_A));
    assert_true(ok(&rv32imc, imc));
    assert_false(ok(&rv32imc, imac));
    assert_true(ok(&rv32imac, imac));
    assert_false(ok(&rv32imac, imac | MODP_RV_F));
    assert_false(ok(&rv32imac, imac | MODP_RV_64));   /* rv64 image, rv32 hart */
    assert_false(ok(&rv32imac, imac | 0x0002u));      /* single-float ABI */
    assert_true(ok(&rv64gc_lp64d, imac | MODP_RV_F | MODP_RV_D | MODP_RV_64 | 0x0004u));
    assert_false(ok(&rv64gc_lp64d, imac | MODP_RV_64)); /* soft-float image */
    assert_false(ok(&rv64gc_lp64d, imac | 0x0004u));    /* rv32 image */
    /* before the attributes: only RVC, from e_flags */
    assert_true(ok(&rv32im, 0));
    assert_false(ok(&rv32im, MODP_RV_RVC));
}

/* The host build reads images of any CPU: its masks claim nothing. */
static void test_host(void **state)
{
    (void)state;
    assert_int_equal(MODLOAD_ARCH_LACKS, 0);
    assert_int_equal(MODLOAD_ARCH_MATCH, 0);
    assert_true(modload_arch_flags_ok(0xFFFFFFFFu, MODLOAD_ARCH_LACKS, MODLOAD_ARCH_MATCH, MODLOAD_ARCH_HAS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arm),
        cmocka_unit_test(test_riscv),
        cmocka_unit_test(test_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
