/* modload_internal.h - what modload's files share and callers need not see. */
#ifndef MODLOAD_INTERNAL_H
#define MODLOAD_INTERNAL_H

#include "modload.h"

/* The only libc modload uses; declared here so that no libc header is needed. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Which ISA this build loads, and which ISA-specific fixup kinds it has.
 * A host build reads images of every ISA. */
#if defined(MODLOAD_HOST)
#  define MODLOAD_KINDS_ARM 1
#  define MODLOAD_KINDS_64 1
#  define MODLOAD_KINDS_RISCV 1
#  define MODLOAD_KINDS_386 1
#elif defined(__arm__) || defined(__thumb__)
#  define MODLOAD_ARCH MODP_ARCH_ARM
#  define MODLOAD_KINDS_ARM 1
#elif defined(__xtensa__)
#  define MODLOAD_ARCH MODP_ARCH_XTENSA
#elif defined(__riscv)
#  define MODLOAD_ARCH MODP_ARCH_RISCV
#  define MODLOAD_KINDS_RISCV 1
#  if __riscv_xlen == 64
#    define MODLOAD_KINDS_64 1
#  endif
#elif defined(__x86_64__)
#  define MODLOAD_ARCH MODP_ARCH_X86_64
#  define MODLOAD_KINDS_64 1
#elif defined(__i386__)
#  define MODLOAD_ARCH MODP_ARCH_386
#  define MODLOAD_KINDS_386 1
#else
#  error "modload: unknown target ISA; build with MODLOAD_HOST for a host tool"
#endif
/* MOVW/MOVT exist only where Thumb-2 or the ARM state does: a v6-M or
 * v8-M baseline build refuses those kinds (MODLOAD_ERR_FIXUP_KIND). */
#if MODLOAD_KINDS_ARM && !defined(MODLOAD_HOST) && !defined(__ARM_ARCH_ISA_ARM) && \
    (!defined(__ARM_ARCH_ISA_THUMB) || __ARM_ARCH_ISA_THUMB < 2)
#  undef MODLOAD_KINDS_ARM
#endif
#ifndef MODLOAD_KINDS_ARM
#  define MODLOAD_KINDS_ARM 0
#endif
#ifndef MODLOAD_KINDS_RISCV
#  define MODLOAD_KINDS_RISCV 0
#endif
#ifndef MODLOAD_KINDS_64
#  define MODLOAD_KINDS_64 0
#endif
#ifndef MODLOAD_KINDS_386
#  define MODLOAD_KINDS_386 0
#endif

/* The fixup kinds this build applies (include/modformat.h's table): a host
 * build all of them; a target build those of its ISA and those of any ISA,
 * but 64-bit words only with 64-bit addresses. An image may use a kind when
 * it is built and belongs to the image's ISA (modload.c kind_ok). */
#if defined(MODLOAD_HOST)
#  define MODLOAD_KINDS_BUILT MODP_KINDS_ALL
#else
#  define MODP_KINDS_ARCH MODLOAD_ARCH
#  define MODLOAD_KINDS_BUILT (MODP_KINDS_OF_ARCH & (MODLOAD_KINDS_64 ? ~0u : ~MODP_KINDS_WIDE) & \
                               (MODLOAD_KINDS_ARM ? ~0u : ~MODLOAD_KINDS_MOVW_MOVT))
/* the ARM pair kinds (RV_PCREL is a pair too, but of RISC-V) */
#  define MODLOAD_KINDS_MOVW_MOVT (1u << MODP_FIX_THM_MOVW_MOVT | 1u << MODP_FIX_ARM_MOVW_MOVT)
#endif
/* The image's ISA where it matters at compile time: a target build loads
 * only its own (arch_ok). */
#if defined(MODLOAD_HOST)
#  define MODLOAD_ISA(arch) (arch)
#else
#  define MODLOAD_ISA(arch) MODLOAD_ARCH
#endif

/* Whether built kind k has a property of the table: constant 0 in a build
 * that has no such kind, so the code reading it drops out. */
#define MODLOAD_KIND_IS(mask, k) MODP_KINDS_IN((mask) & MODLOAD_KINDS_BUILT, k)

/* What the image's code needs from the CPU (arch_flags, spec section 9),
 * decided at compile time from the compiler's predefined macros: an image
 * may set no bit of MODLOAD_ARCH_LACKS, and its MODLOAD_ARCH_MATCH bits
 * must equal MODLOAD_ARCH_HAS (an ABI, or XLEN, both sides must share).
 * A host build checks nothing. modload_arch_flags_ok is the test. */
#define MODLOAD_ARCH_LACKS 0u
#define MODLOAD_ARCH_MATCH 0u
#define MODLOAD_ARCH_HAS 0u
#if defined(MODLOAD_HOST)
#elif defined(__arm__) || defined(__thumb__)
#  undef MODLOAD_ARCH_LACKS
#  undef MODLOAD_ARCH_MATCH
#  undef MODLOAD_ARCH_HAS
#  if !defined(__ARM_ARCH_ISA_THUMB) || __ARM_ARCH_ISA_THUMB < 2
#    define MODLOAD_ARCH_THUMB2 0u /* v6-M, v8-M baseline, ARM11: no 32-bit Thumb-2 */
#  else
#    define MODLOAD_ARCH_THUMB2 MODP_ARM_THUMB2
#  endif
#  if defined(__ARM_FP)
#    define MODLOAD_ARCH_FP MODP_ARM_FP
#  else
#    define MODLOAD_ARCH_FP 0u     /* no FPU, or one the firmware never enabled */
#  endif
#  if defined(__ARM_PCS_VFP)
#    define MODLOAD_ARCH_HAS MODP_ARM_HARD_FLOAT
#  else
#    define MODLOAD_ARCH_HAS 0u
#  endif
#  define MODLOAD_ARCH_LACKS ((MODP_ARM_THUMB2 | MODP_ARM_FP) & ~(MODLOAD_ARCH_THUMB2 | MODLOAD_ARCH_FP))
#  define MODLOAD_ARCH_MATCH MODP_ARM_HARD_FLOAT
#elif defined(__riscv)
#  undef MODLOAD_ARCH_LACKS
#  undef MODLOAD_ARCH_MATCH
#  undef MODLOAD_ARCH_HAS
#  if defined(__riscv_compressed)
#    define MODLOAD_RV_C MODP_RV_RVC
#  else
#    define MODLOAD_RV_C 0u
#  endif
#  if defined(__riscv_mul) && defined(__riscv_div)
#    define MODLOAD_RV_M MODP_RV_M
#  else
#    define MODLOAD_RV_M 0u
#  endif
#  if defined(__riscv_atomic)
#    define MODLOAD_RV_A MODP_RV_A
#  else
#    define MODLOAD_RV_A 0u
#  endif
#  if defined(__riscv_flen) && __riscv_flen >= 64
#    define MODLOAD_RV_FD (MODP_RV_F | MODP_RV_D)
#  elif defined(__riscv_flen) && __riscv_flen >= 32
#    define MODLOAD_RV_FD MODP_RV_F
#  else
#    define MODLOAD_RV_FD 0u
#  endif
#  if defined(__riscv_float_abi_double)
#    define MODLOAD_RV_ABI 0x0004u
#  elif defined(__riscv_float_abi_single)
#    define MODLOAD_RV_ABI 0x0002u
#  else
#    define MODLOAD_RV_ABI 0u
#  endif
#  define MODLOAD_ARCH_LACKS ((MODP_RV_RVC | MODP_RV_M | MODP_RV_A | MODP_RV_F | MODP_RV_D) & \
                              ~(MODLOAD_RV_C | MODLOAD_RV_M | MODLOAD_RV_A | MODLOAD_RV_FD))
#  define MODLOAD_ARCH_MATCH (MODP_RV_64 | MODP_RV_FLOAT_ABI)
#  define MODLOAD_ARCH_HAS ((__riscv_xlen == 64 ? MODP_RV_64 : 0u) | MODLOAD_RV_ABI)
#endif

/* Whether an image with arch flags f runs where lacks, match and has (the
 * three masks above) describe. */
#define modload_arch_flags_ok(f, lacks, match, has) \
    (((f) & (lacks)) == 0 && (((f) ^ (has)) & (match)) == 0)

/* Aligned 32-bit code access (MODLOAD_CODE_WORDS), for ESP IRAM
 * (modload_config.h decides). */
#undef MODLOAD_CODE_WORD_STORES
#define MODLOAD_CODE_WORD_STORES MODLOAD_WITH_CODE_WORDS

/* Header runs are copied straight into struct fields (modload.c). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#  error "modload needs a little-endian CPU (every supported ISA is)"
#endif

/* Little-endian fields at any alignment (modload.c); out of line, as they
 * are called from many places and a byte-wise access is not small. */
uint32_t modload_rd16(const uint8_t *p);
uint32_t modload_rd32(const uint8_t *p);
void modload_wr32(uint8_t *p, uint32_t v);

#if MODLOAD_KINDS_ARM
/* Apply an ARM pair kind: MOVW at movw, MOVT at movt. */
int modload_apply_arm(unsigned kind, uint8_t *movw, uint8_t *movt, uint32_t value);
#endif

#if MODLOAD_KINDS_RISCV
/* Apply a RISC-V kind (RV_HI20, RV_LO12_I, RV_LO12_S, RV_PCREL) at site
 * (and RV_PCREL's second site, site2); fx->operand is the RV_HI20 operand,
 * and RV_PCREL's value is the address minus the run address of its
 * segment; rv64: the address must be a sign-extended 32-bit value. */
int modload_apply_riscv(const modload_fixup *fx, uint8_t *site, uint8_t *site2, modload_addr value,
                        unsigned rv64);
#endif

#endif
