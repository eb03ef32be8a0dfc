/* modformat.h - on-disk layout of a modpack image, format 1.2.
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
#define MODP_VERSION_MINOR    2u      /* the newest minor modpack writes (spec section 12) */
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
/* With MODP_F_COMPRESSED (1.2, spec section 14): the bytes each segment
 * takes in the image, a raw deflate stream that inflates to exactly
 * code_size and data_size bytes. Without the flag they are not there and
 * the stored sizes are code_size and data_size. */
#define MODP_H_CODE_STORED    72u  /* 4  stored bytes of the code segment */
#define MODP_H_DATA_STORED    76u  /* 4  stored bytes of the data segment */
#define MODP_HEADER_COMPRESSED 80u /* the header fields of a compressed image */

/* ---- image parts ------------------------------------------------------- */

/* The parts of an image, in file order with no gaps (spec section 2, whose
 * table a test checks against these rows):
 *   X(NAME, part, count, unit)
 * part:  modload_image's pointer to it (base: the header);
 * count: the header field, a modload_image member of the same name, that
 *        with unit gives the part's size in bytes (code_stored and
 *        data_stored: code_size and data_size unless MODP_F_COMPRESSED).
 * The 4-byte CRC-32 of every byte before it follows the last part.
 * Adding a part: one row here, its encoder in modpack, its reader where
 * modload's load() and stream walk the parts in this order, its row in the
 * spec. */
#define MODP_IMAGE_PARTS(X) \
    X(HEADER,  base,    header_size, 1u)               \
    X(CODE,    code,    code_stored, 1u)               \
    X(DATA,    data,    data_stored, 1u)               \
    X(FIXUPS,  fixups,  fixup_size,  1u)               \
    X(EXPORTS, exports, nexports,    MODP_EXPORT_SIZE) \
    X(STRTAB,  strtab,  strtab_size, 1u)               \
    X(META,    meta,    meta_size,   1u)

#define MODP_X_PART_NUM(NAME, part, count, unit) MODP_PART_##NAME,
enum modp_image_part { MODP_IMAGE_PARTS(MODP_X_PART_NUM) MODP_PARTS };
#define MODP_CRC_SIZE         4u

#define MODP_NONE             0xFFFFFFFFu
#define MODP_MAX_ALIGN_LOG2   12u  /* 4 KiB */
/* The least code_align of an ISA's images, its instructions' alignment
 * (spec section 3): ARM and RISC-V 2 bytes when arch flag bit 0 says Thumb
 * or RVC code, else 4; Xtensa 4; x86 1. */
#define MODP_INSN_ALIGN_LOG2(arch, arch_flags) \
    ((arch) == MODP_ARCH_386 || (arch) == MODP_ARCH_X86_64 ? 0u \
     : (arch) == MODP_ARCH_XTENSA ? 2u : 2u - ((arch_flags) & 1u))

/* Header flags. Capability bits are facts modpack proved at build time. */
#define MODP_F_SPLIT          0x0001u /* code and data may be placed independently */
#define MODP_F_XIP            0x0002u /* no fixups in code, and SPLIT: may run in place */
#define MODP_F_STRIPPED       0x0004u /* names removed; symbols match by hash only */
#define MODP_F_INIT           0x0008u /* constructors/destructors to run: MODP_META_INIT (1.1) */
#define MODP_F_COMPRESSED     0x0010u /* segments stored as raw deflate: section 14 (1.2) */
#define MODP_F_KNOWN          0x001Fu /* 1.2 defines these; others must be zero */

/* ISAs (ELF e_machine numbers). */
#define MODP_ARCH_386         3u
#define MODP_ARCH_ARM         40u
#define MODP_ARCH_X86_64      62u
#define MODP_ARCH_XTENSA      94u
#define MODP_ARCH_RISCV       243u
/* Every ISA above, for lists derived from it (a test checks it against
 * modpack's ISA table, src/modpack/isa/list.h). */
#define MODP_ARCHES(X) X(MODP_ARCH_386) X(MODP_ARCH_ARM) X(MODP_ARCH_X86_64) X(MODP_ARCH_XTENSA) X(MODP_ARCH_RISCV)

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
#define MODP_TGT_WEAK         3u   /* the same, or 0 when the firmware lacks it (1.1) */

/* Group head byte: kind in bits 0..3, location segment in bit 4,
 * log2 of the gap unit in bits 5..6, bit 7 zero. */
#define MODP_G_KIND(h)        ((h) & 0x0Fu)
#define MODP_G_SEG(h)         (((h) >> 4) & 1u)
#define MODP_G_UNIT(h)        (((h) >> 5) & 3u)
#define MODP_G_HEAD(kind, seg, unit) \
    ((unsigned)(kind) | ((unsigned)(seg) << 4) | ((unsigned)(unit) << 5))

#define MODP_SEG_CODE         0u
#define MODP_SEG_DATA         1u

/* Fixup kinds, one row each, the single description encoder, loader,
 * inspect and the spec's table (section 6, checked by a test) share:
 *   X(NAME, number, width, ops, isa)
 * width: bytes a site occupies (the cursor step), 4 or 8;
 * ops:   how the stream encodes a site (spec section 5): MODP_OPS_SITE one
 *        uleb (a gap, or a run of adjacent sites), MODP_OPS_PAIR a gap and
 *        an sleb delta to the second site, MODP_OPS_OPERAND a gap and a
 *        uleb operand (at most 0xFFF);
 * isa:   the ELF e_machine of the only images that may use the kind, or 0
 *        for any (WORD64: a loader built for a 32-bit ISA has no 64-bit
 *        words to patch and refuses it).
 * Adding a kind: one row here, its apply code in modload, its row in the
 * spec. */
#define MODP_OPS_SITE         0u
#define MODP_OPS_PAIR         1u
#define MODP_OPS_OPERAND      2u

#define MODP_FIXUP_KINDS(X) \
    X(WORD32,        0, 4, MODP_OPS_SITE,    0u)                /* 32-bit word += value */ \
    X(WORD64,        1, 8, MODP_OPS_SITE,    0u)                /* 64-bit word += value */ \
    X(THM_MOVW_MOVT, 2, 4, MODP_OPS_PAIR,    MODP_ARCH_ARM)     /* Thumb-2 MOVW at site, MOVT at site+delta */ \
    X(ARM_MOVW_MOVT, 3, 4, MODP_OPS_PAIR,    MODP_ARCH_ARM)     /* ARM MOVW at site, MOVT at site+delta */ \
    X(RV_HI20,       4, 4, MODP_OPS_OPERAND, MODP_ARCH_RISCV)   /* LUI; operand: lo12 of the addend */ \
    X(RV_LO12_I,     5, 4, MODP_OPS_SITE,    MODP_ARCH_RISCV)   /* I-type imm12 += value (mod 4096) */ \
    X(RV_LO12_S,     6, 4, MODP_OPS_SITE,    MODP_ARCH_RISCV)   /* S-type imm12 += value (mod 4096) */ \
    X(RV_PCREL,      7, 4, MODP_OPS_PAIR,    MODP_ARCH_RISCV)   /* AUIPC pair += value - P (format 1.1) */ \
    X(REL32,         8, 4, MODP_OPS_SITE,    MODP_ARCH_386)     /* 32-bit word += value - P (format 1.1) */

#define MODP_X_KIND_NUM(name, num, width, ops, isa) MODP_FIX_##name = (num),
enum modp_fixup_kind { MODP_FIXUP_KINDS(MODP_X_KIND_NUM) };

/* Bit masks over kind numbers (bit k: kind k), for tests that cost one
 * shift: MODP_KINDS_IN(mask, k). */
#define MODP_X_KIND_ALL(name, num, width, ops, isa)     | 1u << (num)
#define MODP_X_KIND_WIDE(name, num, width, ops, isa)    | ((width) == 8 ? 1u << (num) : 0u)
#define MODP_X_KIND_PAIR(name, num, width, ops, isa)    | ((ops) == MODP_OPS_PAIR ? 1u << (num) : 0u)
#define MODP_X_KIND_OPERAND(name, num, width, ops, isa) | ((ops) == MODP_OPS_OPERAND ? 1u << (num) : 0u)
#define MODP_X_KIND_ARCH(name, num, width, ops, isa) \
    | ((isa) == 0u || (isa) == (MODP_KINDS_ARCH) ? 1u << (num) : 0u)
#define MODP_X_KIND_COUNT(name, num, width, ops, isa)   + 1u /* NOLINT(bugprone-macro-parentheses): a term of a sum */

#define MODP_FIX_KINDS        (0u MODP_FIXUP_KINDS(MODP_X_KIND_COUNT)) /* kinds 1.0 defines */
#define MODP_KINDS_ALL        (0u MODP_FIXUP_KINDS(MODP_X_KIND_ALL))
#define MODP_KINDS_WIDE       (0u MODP_FIXUP_KINDS(MODP_X_KIND_WIDE))    /* width 8, else 4 */
#define MODP_KINDS_PAIR       (0u MODP_FIXUP_KINDS(MODP_X_KIND_PAIR))
#define MODP_KINDS_OPERAND    (0u MODP_FIXUP_KINDS(MODP_X_KIND_OPERAND))
/* The kinds an image of ISA MODP_KINDS_ARCH may use; the user defines
 * MODP_KINDS_ARCH (a constant or an expression) first. */
#define MODP_KINDS_OF_ARCH    (0u MODP_FIXUP_KINDS(MODP_X_KIND_ARCH))
#define MODP_KINDS_IN(mask, k) (((mask) >> (k) & 1u) != 0)
#define MODP_KIND_WIDTH(k)    (MODP_KINDS_IN(MODP_KINDS_WIDE, k) ? 8u : 4u)

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
#define MODP_META_INIT        8u   /* 16 bytes, with MODP_F_INIT: the lists below (1.1) */
#define MODP_META_INIT_SIZE   16u
/* Offsets in the INIT record, each a u32: the constructor list (run in
 * order) and the destructor list (run in reverse), as a data-segment
 * offset and a count of pointer-sized words holding run addresses. */
#define MODP_INIT_OFFSET      0u
#define MODP_INIT_COUNT       4u
#define MODP_FINI_OFFSET      8u
#define MODP_FINI_COUNT       12u
#define MODP_META_SECURITY    9u   /* 4 bytes: security version u32 (spec section 13) */
#define MODP_META_SECURITY_SIZE 4u

/* ---- signature block: after image_size bytes (spec section 13) ---------- */

/* An image's signatures follow it, outside image_size, so that a 1.x
 * reader that does not know them ignores them (section 2: bytes after the
 * image are not part of it). The digest is SHA-256 of the image_size bytes
 * as stored, the CRC included; each signature is Ed25519 over that digest. */
#define MODP_SIG_MAGIC        "MSIG"  /* bytes 0..3 of the block */
#define MODP_SIG_HEAD         8u   /* magic 4, count u8, alg u8, reserved u16 */
#define MODP_SIG_COUNT        4u   /* offset of count (1..255) */
#define MODP_SIG_ALG          5u   /* offset of alg */
#define MODP_SIG_ALG_ED25519  1u   /* Ed25519 (RFC 8032, pure) over the 32-byte SHA-256 digest */
#define MODP_SIG_RESERVED     6u   /* offset of the reserved u16, zero */
#define MODP_SIG_KEY_ID_SIZE  8u   /* first 8 bytes of SHA-256 of the 32-byte raw public key */
#define MODP_SIG_SIZE         64u  /* Ed25519 signature */
#define MODP_SIG_ENTRY        (MODP_SIG_KEY_ID_SIZE + MODP_SIG_SIZE) /* 72: key id, signature */
#define MODP_DIGEST_SIZE      32u  /* SHA-256 */

/* ---- names -------------------------------------------------------------- */

/* FNV-1a, 32 bit: h = 2166136261; for each byte: h ^= byte; h *= 16777619. */
#define MODP_HASH_INIT        0x811C9DC5u
#define MODP_HASH_PRIME       0x01000193u

#endif
