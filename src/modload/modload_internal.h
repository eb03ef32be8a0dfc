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
#else
#  error "modload: unknown target ISA; build with MODLOAD_HOST for a host tool"
#endif

/* Aligned 32-bit code access (MODLOAD_CODE_WORDS), for ESP IRAM. */
#ifndef MODLOAD_CODE_WORD_STORES
#  if defined(MODLOAD_HOST) || defined(__xtensa__)
#    define MODLOAD_CODE_WORD_STORES 1
#  else
#    define MODLOAD_CODE_WORD_STORES 0
#  endif
#endif

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
/* Apply a RISC-V kind (RV_HI20, RV_LO12_I, RV_LO12_S) at site; lo12 is the
 * RV_HI20 operand; rv64: the address must be a sign-extended 32-bit value. */
int modload_apply_riscv(unsigned kind, uint8_t *site, modload_addr value, uint32_t lo12, unsigned rv64);
#endif

#endif
