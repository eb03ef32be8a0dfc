/* modload_config.h - what a modload build contains, chosen at compile time.
 *
 * One macro picks a profile; the feature macros it sets may also be given
 * one by one (-DMODLOAD_WITH_STREAM=0 ...) to cut a profile of one's own.
 * modload and the firmware that calls it see the same values (this header
 * is included by modload.h); the structures do not depend on them.
 *
 *   -DMODLOAD_PROFILE=MODLOAD_PROFILE_MINIMAL
 *       one-region placement of an image in memory: CRC-32, every bound
 *       check, the ISA's own fixup kinds, imports through the sorted
 *       firmware table or the resolve callback, modload_find.
 *   -DMODLOAD_PROFILE=MODLOAD_PROFILE_FULL (the default)
 *       the minimal profile plus every MODLOAD_WITH_* feature below.
 *
 * A request for a feature the build left out (a stream, a split or
 * execute-in-place placement, MODLOAD_CODE_WORDS, an image's ABI record
 * when env->abi asks for the check) fails with MODLOAD_ERR_PROFILE before
 * anything is written.
 */
#ifndef MODLOAD_CONFIG_H
#define MODLOAD_CONFIG_H

#define MODLOAD_PROFILE_MINIMAL 1
#define MODLOAD_PROFILE_FULL    2

#ifndef MODLOAD_PROFILE
#  define MODLOAD_PROFILE MODLOAD_PROFILE_FULL
#endif
#if MODLOAD_PROFILE != MODLOAD_PROFILE_MINIMAL && MODLOAD_PROFILE != MODLOAD_PROFILE_FULL
#  error "MODLOAD_PROFILE: MODLOAD_PROFILE_MINIMAL or MODLOAD_PROFILE_FULL"
#endif
#define MODLOAD_PROFILE_IS_FULL (MODLOAD_PROFILE == MODLOAD_PROFILE_FULL)

/* modload_stream_begin / modload_stream_load */
#ifndef MODLOAD_WITH_STREAM
#  define MODLOAD_WITH_STREAM MODLOAD_PROFILE_IS_FULL
#endif
/* code and data placed apart (images with MODP_F_SPLIT) */
#ifndef MODLOAD_WITH_SPLIT
#  define MODLOAD_WITH_SPLIT MODLOAD_PROFILE_IS_FULL
#endif
/* code executed in place, code_write NULL (images with MODP_F_XIP) */
#ifndef MODLOAD_WITH_XIP
#  define MODLOAD_WITH_XIP MODLOAD_PROFILE_IS_FULL
#endif
/* the image's ABI record compared with modload_env.abi */
#ifndef MODLOAD_WITH_ABI
#  define MODLOAD_WITH_ABI MODLOAD_PROFILE_IS_FULL
#endif
/* the image's arch flags compared with what the compiler targets
 * (Thumb-2, FPU, float ABI, RVC, XLEN...); without it the firmware's
 * build must match its modules' */
#ifndef MODLOAD_WITH_ARCH_FLAGS
#  define MODLOAD_WITH_ARCH_FLAGS MODLOAD_PROFILE_IS_FULL
#endif
/* MODLOAD_CODE_WORDS (aligned 32-bit code stores, ESP IRAM): by default
 * in full Xtensa and host builds; MODLOAD_CODE_WORD_STORES is its older
 * name */
#ifndef MODLOAD_WITH_CODE_WORDS
#  if defined(MODLOAD_CODE_WORD_STORES)
#    define MODLOAD_WITH_CODE_WORDS MODLOAD_CODE_WORD_STORES
#  elif MODLOAD_PROFILE_IS_FULL && (defined(MODLOAD_HOST) || defined(__xtensa__))
#    define MODLOAD_WITH_CODE_WORDS 1
#  else
#    define MODLOAD_WITH_CODE_WORDS 0
#  endif
#endif

/* CRC-32 with a 1 KiB table (about 4x faster) instead of a 64-byte one. */
#ifndef MODLOAD_CRC_TABLE
#  define MODLOAD_CRC_TABLE 0
#endif

#endif
