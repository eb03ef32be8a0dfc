/* modformat.h - on-disk layout of a modpack image, format 1.0.
 *
 * Shared by modpack (host, encoder) and modload (target, decoder).
 * formats/image-format.md is normative; this header only names its numbers.
 * Every multi-byte field is little-endian and may sit at any alignment, so
 * readers assemble fields from bytes.
 */
#ifndef MODFORMAT_H
#define MODFORMAT_H

/* ---- header ---------------------------------------------------------- */

#define MODP_MAGIC            "MODP"  /* bytes 0..3 */
#define MODP_VERSION_MAJOR    1u
#define MODP_VERSION_MINOR    0u
#define MODP_HEADER_MIN       72u     /* size of the 1.0 header fields */

/* Byte offsets of the header fields (size in the comment). */
#define MODP_H_MAGIC          0u   /* 4  "MODP" */
#define MODP_H_MAJOR          4u   /* 1  format major version */
#define MODP_H_MINOR          5u   /* 1  format minor version */
#define MODP_H_HEADER_SIZE    6u   /* 2  bytes before the code segment */
#define MODP_H_ARCH           8u   /* 2  ISA, as ELF e_machine */
#define MODP_H_FLAGS          10u  /* 2  MODP_F_* */
#define MODP_H_ARCH_FLAGS     12u  /* 4  ISA details, see the spec per ISA */
#define MODP_H_IMAGE_SIZE     16u  /* 4  whole image including the CRC */
#define MODP_H_CODE_SIZE      20u  /* 4  code segment bytes */
#define MODP_H_DATA_SIZE      24u  /* 4  initialised data bytes */
#define MODP_H_BSS_SIZE       28u  /* 4  zeroed bytes after the data */
#define MODP_H_DATA_OFFSET    32u  /* 4  data start minus code start, one region */
#define MODP_H_CODE_ALIGN     36u  /* 1  log2 of the code segment alignment */
#define MODP_H_DATA_ALIGN     37u  /* 1  log2 of the data segment alignment */
#define MODP_H_RESERVED       38u  /* 2  zero */
#define MODP_H_ENTRY          40u  /* 4  code offset of the entry, or MODP_NONE */
#define MODP_H_EXIT           44u  /* 4  code offset of the exit, or MODP_NONE */
#define MODP_H_FIXUP_SIZE     48u  /* 4  bytes of the fixup stream */
#define MODP_H_NFIXUPS        52u  /* 4  fixup sites in the stream */
#define MODP_H_NIMPORTS       56u  /* 4  import blocks in the stream */
#define MODP_H_NEXPORTS       60u  /* 4  export table entries */
#define MODP_H_STRTAB_SIZE    64u  /* 4  bytes of the export name table */
#define MODP_H_META_SIZE      68u  /* 4  bytes of the metadata records */

#define MODP_NONE             0xFFFFFFFFu
#define MODP_MAX_ALIGN_LOG2   12u  /* 4 KiB */

/* Header flags. Capability bits are facts modpack proved at build time. */
#define MODP_F_SPLIT          0x0001u /* code and data may be placed independently */
#define MODP_F_XIP            0x0002u /* code segment has no fixups: may run in place */
#define MODP_F_STRIPPED       0x0004u /* names removed; symbols match by hash only */
#define MODP_F_KNOWN          0x0007u /* 1.0 defines these; others must be zero */

/* ISAs (ELF e_machine numbers). */
#define MODP_ARCH_386         3u
#define MODP_ARCH_ARM         40u
#define MODP_ARCH_X86_64      62u
#define MODP_ARCH_XTENSA      94u
#define MODP_ARCH_RISCV       243u

/* ARM arch_flags. */
#define MODP_ARM_THUMB        0x0001u /* code contains Thumb instructions */
#define MODP_ARM_HARD_FLOAT   0x0002u /* VFP argument passing (EF_ARM_ABI_FLOAT_HARD) */
/* From the build attributes (.ARM.attributes, format 1.0 minor additions:
 * older images have them clear, which claims nothing). */
#define MODP_ARM_THUMB2       0x0004u /* needs 32-bit Thumb-2 (v6T2, v7-M, v7E-M, v8-M mainline) */
#define MODP_ARM_FP           0x0008u /* uses floating-point instructions */
#define MODP_ARM_ATTRS        0x0010u /* bits 2..3 are known: the input had attributes */

/* Xtensa arch_flags: the ABI GNU as records in .xtensa.info (neither bit
 * when the input does not say). */
#define MODP_XT_CALL0         0x0001u /* call0 ABI (ESP8266, lx106) */
#define MODP_XT_WINDOWED      0x0002u /* windowed ABI (ESP32) */

/* RISC-V arch_flags: ELF e_flags bits 0..4. */
#define MODP_RV_RVC           0x0001u /* compressed instructions (EF_RISCV_RVC) */
#define MODP_RV_FLOAT_ABI     0x0006u /* 0 soft, 2 single, 4 double, 6 quad */
#define MODP_RV_RVE           0x0008u /* RV32E register set */
#define MODP_RV_TSO           0x0010u /* total store ordering */
#define MODP_RV_64            0x0020u /* rv64 (ELFCLASS64): XLEN 64, RV_HI20 sign-extends */
/* From Tag_RISCV_arch in .riscv.attributes (minor additions, clear in older
 * images: no claim). */
#define MODP_RV_M             0x0040u /* multiply and divide */
#define MODP_RV_A             0x0080u /* atomics */
#define MODP_RV_F             0x0100u /* single-precision floating point */
#define MODP_RV_D             0x0200u /* double-precision floating point */
#define MODP_RV_ATTRS         0x0400u /* bits 6..9 are known: the input named its ISA */

/* ---- fixup stream ------------------------------------------------------ */

/* A block starts with a ULEB128 target. */
#define MODP_TGT_CODE         0u   /* value = run address of the code segment */
#define MODP_TGT_DATA         1u   /* value = run address of the data segment */
#define MODP_TGT_IMPORT       2u   /* value = address of the import described next */

/* Group head byte: kind in bits 0..3, location segment in bit 4,
 * log2 of the gap unit in bits 5..6, bit 7 zero. */
#define MODP_G_KIND(h)        ((h) & 0x0Fu)
#define MODP_G_SEG(h)         (((h) >> 4) & 1u)
#define MODP_G_UNIT(h)        (((h) >> 5) & 3u)
#define MODP_G_HEAD(kind, seg, unit) \
    ((unsigned)(kind) | ((unsigned)(seg) << 4) | ((unsigned)(unit) << 5))

#define MODP_SEG_CODE         0u
#define MODP_SEG_DATA         1u

/* Fixup kinds. Width is the bytes a site occupies (the cursor step). */
#define MODP_FIX_WORD32       0u   /* 32-bit word += value               width 4 */
#define MODP_FIX_WORD64       1u   /* 64-bit word += value               width 8 */
#define MODP_FIX_THM_MOVW_MOVT 2u  /* Thumb-2 MOVW at site, MOVT at site+delta width 4 */
#define MODP_FIX_ARM_MOVW_MOVT 3u  /* ARM MOVW at site, MOVT at site+delta     width 4 */
#define MODP_FIX_RV_HI20      4u   /* RISC-V LUI; op carries lo12 of the addend width 4 */
#define MODP_FIX_RV_LO12_I    5u   /* RISC-V I-type imm12 += value (mod 4096)  width 4 */
#define MODP_FIX_RV_LO12_S    6u   /* RISC-V S-type imm12 += value (mod 4096)  width 4 */
#define MODP_FIX_KINDS        7u   /* kinds 1.0 defines */

/* ---- export table ------------------------------------------------------ */

#define MODP_EXPORT_SIZE      12u
#define MODP_E_HASH           0u   /* 4  FNV-1a of the name */
#define MODP_E_VALUE          4u   /* 4  offset in its segment (Thumb bit kept) */
#define MODP_E_NAME           8u   /* 2  offset in the string table, or 0xFFFF */
#define MODP_E_SEG            10u  /* 1  MODP_SEG_CODE or MODP_SEG_DATA */
#define MODP_E_TYPE           11u  /* 1  MODP_SYM_* */
#define MODP_NO_NAME          0xFFFFu

#define MODP_SYM_FUNC         1u
#define MODP_SYM_OBJECT       2u

/* ---- metadata records: type u8, length u16, bytes --------------------- */

#define MODP_META_NAME        1u   /* string, NUL included in length */
#define MODP_META_DESCRIPTION 2u   /* string */
#define MODP_META_VERSION     3u   /* string */
#define MODP_META_BUILD_ID    4u   /* bytes */
#define MODP_META_TOOL        5u   /* string: the modpack that wrote the image */
#define MODP_META_NOSPLIT     6u   /* string: why code and data cannot be placed apart */
#define MODP_META_ABI         7u   /* 8 bytes: firmware ABI id u32, major u16, minor u16 */
#define MODP_META_ABI_SIZE    8u

/* ---- names -------------------------------------------------------------- */

/* FNV-1a, 32 bit: h = 2166136261; for each byte: h ^= byte; h *= 16777619. */
#define MODP_HASH_INIT        0x811C9DC5u
#define MODP_HASH_PRIME       0x01000193u

#endif
