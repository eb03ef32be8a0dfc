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
 *   -DMODLOAD_PROFILE=MODLOAD_PROFILE_FULL
 *       the minimal profile plus streaming, split and execute-in-place
 *       placement, the ABI record, arch flags and code words.
 *   -DMODLOAD_PROFILE=MODLOAD_PROFILE_ALL (the default)
 *       the full profile plus constructors (MODLOAD_WITH_INIT),
 *       signatures (MODLOAD_WITH_SHA256) and compressed images
 *       (MODLOAD_WITH_INFLATE): every MODLOAD_WITH_* below.
 *
 * A request for a feature the build left out (a stream, a split or
 * execute-in-place placement, MODLOAD_CODE_WORDS, an image's ABI record
 * when env->abi asks for the check, a signing policy, an image with
 * constructors or a compressed one) fails with MODLOAD_ERR_PROFILE before
 * anything is written.
 */
#ifndef MODLOAD_CONFIG_H
#define MODLOAD_CONFIG_H

#define MODLOAD_PROFILE_MINIMAL 1
#define MODLOAD_PROFILE_FULL    2
#define MODLOAD_PROFILE_ALL     3

#ifndef MODLOAD_PROFILE
#  define MODLOAD_PROFILE MODLOAD_PROFILE_ALL
#endif
#if MODLOAD_PROFILE != MODLOAD_PROFILE_MINIMAL && MODLOAD_PROFILE != MODLOAD_PROFILE_FULL && \
    MODLOAD_PROFILE != MODLOAD_PROFILE_ALL
#  error "MODLOAD_PROFILE: MODLOAD_PROFILE_MINIMAL, MODLOAD_PROFILE_FULL or MODLOAD_PROFILE_ALL"
#endif
/* at least the full profile; the add-ons of the "all" profile */
#define MODLOAD_PROFILE_IS_FULL (MODLOAD_PROFILE >= MODLOAD_PROFILE_FULL)
#define MODLOAD_PROFILE_IS_ALL  (MODLOAD_PROFILE == MODLOAD_PROFILE_ALL)

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
/* constructors and destructors (C++ global objects, .init_array and
 * .fini_array: images with MODP_F_INIT), run by modload_run_init/fini */
#ifndef MODLOAD_WITH_INIT
#  define MODLOAD_WITH_INIT MODLOAD_PROFILE_IS_ALL
#endif
/* SHA-256 of the image and the signing policy (modload_env.policy,
 * spec section 13; src/modload/sha256.c) */
#ifndef MODLOAD_WITH_SHA256
#  define MODLOAD_WITH_SHA256 MODLOAD_PROFILE_IS_ALL
#endif
/* compressed images (MODP_F_COMPRESSED, spec section 14): raw deflate
 * inflated straight into place (src/modload/inflate.c) */
#ifndef MODLOAD_WITH_INFLATE
#  define MODLOAD_WITH_INFLATE MODLOAD_PROFILE_IS_ALL
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

/* How modload_crc32 trades flash for speed (instructions per byte on an
 * x86-64 host, tools/size-report measures them): 1 a bit at a time, no
 * table (about 48 bytes of Thumb code, 71 per byte; the minimal
 * profile's default), 4 a nibble at a time with a 64-byte table (~116
 * bytes, 14 per byte; the full profile's), 8 a byte at a time with a 1 KiB
 * table (9 per byte). MODLOAD_CRC_TABLE=1 asks for 8. */
#ifndef MODLOAD_CRC_BITS
#  if defined(MODLOAD_CRC_TABLE) && MODLOAD_CRC_TABLE
#    define MODLOAD_CRC_BITS 8
#  elif MODLOAD_PROFILE_IS_FULL
#    define MODLOAD_CRC_BITS 4
#  else
#    define MODLOAD_CRC_BITS 1
#  endif
#endif
#if MODLOAD_CRC_BITS != 1 && MODLOAD_CRC_BITS != 4 && MODLOAD_CRC_BITS != 8
#  error "MODLOAD_CRC_BITS: 1, 4 or 8"
#endif

#endif
