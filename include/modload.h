/* modload.h - load, relocate and run modpack images. Freestanding C99.
 *
 * Typical use, one region:
 *
 *   modload_image img;
 *   if (modload_open(buf, len, &img) != MODLOAD_OK) fail;
 *   void *mem = my_alloc(modload_region_size(&img), modload_region_align(&img));
 *   modload_place pl;
 *   modload_place_region(&img, mem, room, (modload_addr)(uintptr_t)mem, &pl);
 *   modload_module mod;
 *   if (modload_load(&img, &pl, &env, &mod) != MODLOAD_OK) fail;
 *   int (*init)(void) = (int (*)(void))modload_entry(&mod);
 *
 * modload never allocates. It reads only inside the image and writes only
 * inside the memory a modload_place describes.
 */
#ifndef MODLOAD_H
#define MODLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "modformat.h"
#include "modload_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Run addresses. A host build (MODLOAD_HOST) uses 64 bits so that it can
 * place images for any target; on the target it is the native pointer size. */
#ifdef MODLOAD_HOST
typedef uint64_t modload_addr;
#else
typedef uintptr_t modload_addr;
#endif

typedef enum modload_err {
    MODLOAD_OK = 0,
    MODLOAD_ERR_ARG,          /* NULL or inconsistent argument from the caller */
    MODLOAD_ERR_TRUNCATED,    /* image shorter than its header or its image_size */
    MODLOAD_ERR_MAGIC,        /* not a modpack image */
    MODLOAD_ERR_VERSION,      /* format major version not supported */
    MODLOAD_ERR_ARCH,         /* built for another ISA, or needs what this CPU lacks (arch flags) */
    MODLOAD_ERR_HEADER,       /* header fields inconsistent (sizes, flags, alignment) */
    MODLOAD_ERR_CRC,          /* CRC-32 mismatch */
    MODLOAD_ERR_FIXUP,        /* fixup stream malformed */
    MODLOAD_ERR_FIXUP_KIND,   /* fixup kind unknown or not built into this modload */
    MODLOAD_ERR_FIXUP_RANGE,  /* fixup site outside its segment, or an address its field
                               * cannot hold (rv64 RV_HI20 beyond +-2 GiB) */
    MODLOAD_ERR_IMPORT,       /* import descriptor malformed */
    MODLOAD_ERR_UNRESOLVED,   /* import not found in the firmware */
    MODLOAD_ERR_EXPORT,       /* export table or string table malformed */
    MODLOAD_ERR_META,         /* metadata records malformed */
    MODLOAD_ERR_SPACE,        /* caller's memory too small */
    MODLOAD_ERR_ALIGN,        /* caller's memory not aligned as the image needs */
    MODLOAD_ERR_PLACEMENT,    /* placement the image's capabilities forbid */
    MODLOAD_ERR_NOT_FOUND,    /* no such symbol or record; the end of the metadata */
    MODLOAD_ERR_READ,         /* the stream's read callback failed */
    MODLOAD_ERR_ABI,          /* built for another firmware ABI (modload_env.abi) */
    MODLOAD_ERR_PROFILE,      /* needs a feature this modload build left out (modload_config.h) */
    MODLOAD_ERR_UNSIGNED,     /* no signature, and the policy refused the unsigned image */
    MODLOAD_ERR_SIGNATURE,    /* signature block malformed, or the policy accepted none of its signatures */
    MODLOAD_ERR_DOWNGRADE,    /* security version below the policy's minimum */
    MODLOAD_ERR_INFLATE,      /* a compressed segment's deflate data malformed, or not its size */
    MODLOAD_ERR_COUNT
} modload_err;

/* A short English description of an error code. */
const char *modload_strerror(int err);

/* ---- validation ------------------------------------------------------- */

/* A validated image. Pointers point into the caller's image buffer. */
typedef struct modload_image {
    const uint8_t *base;      /* first byte of the image */
    uint16_t arch, flags;
    uint32_t arch_flags;
    uint8_t major, minor;
    uint16_t header_size;     /* bytes before the code segment */
    /* These two runs of fields mirror header bytes 16..35 and 40..71 in
     * order, so that a little-endian loader reads each run with one copy. */
    uint32_t size;            /* image_size, CRC included */
    uint32_t code_size, data_size, bss_size, data_offset;
    uint32_t entry, exit;     /* code offsets or MODP_NONE */
    uint32_t fixup_size, nfixups, nimports, nexports, strtab_size, meta_size;
    uint32_t code_align, data_align;   /* bytes, powers of two */
    const uint8_t *code, *data, *fixups, *exports, *strtab, *meta;
    uint32_t crc;
    uint32_t after;           /* bytes the buffer holds after image_size (a signature
                               * block, spec section 13); 0 for a stream */
    uint32_t code_stored, data_stored; /* bytes the segments take in the image: code_size
                               * and data_size, or less with MODP_F_COMPRESSED; set
                               * only by builds with MODLOAD_WITH_INFLATE (the others
                               * refuse compressed images and never read them) */
} modload_image;

/* Check everything: header, sizes, CRC, every fixup, import, export and
 * metadata record. Accepts only images for the ISA modload was built for
 * (a MODLOAD_HOST build accepts every ISA). */
int modload_check(const void *image, size_t len, modload_image *img);

/* Same, but the CRC is not compared (img->crc still holds the stored one);
 * for tools that report a bad CRC next to everything else. */
int modload_check_nocrc(const void *image, size_t len, modload_image *img);

/* The way to load an image in memory: modload_check but for the fixup
 * stream and its imports, which modload_load checks op by op as it applies
 * them, each before it writes the site the op names, and only inside the
 * placement. One pass over the fixups instead of two; an image whose
 * stream is broken fails modload_load with the error modload_check would
 * have given (or MODLOAD_ERR_UNRESOLVED first, for an import the firmware
 * lacks), having written only into the placement, and nothing of it may
 * run. Use modload_check for a whole verdict before anything is written
 * (loading over memory still in use) or without loading. */
int modload_open(const void *image, size_t len, modload_image *img);

/* One-region placement: bytes and alignment the whole module needs. */
uint32_t modload_region_size(const modload_image *img);
uint32_t modload_region_align(const modload_image *img);

/* Bytes the export table and its names take when copied by modload_load
 * (so that symbols can be found after the image buffer is gone). */
uint32_t modload_symtab_size(const modload_image *img);

/* ---- placement ---------------------------------------------------------- */

/* Where each segment is written and where it runs. Write and run addresses
 * differ when code is written through a data-bus alias, or when a host
 * prepares an image for another address. code_write NULL means execute in
 * place: the code runs at code_run from the image bytes and is not copied. */
typedef struct modload_place {
    void *code_write;         /* NULL: execute in place */
    modload_addr code_run;
    uint32_t code_room;       /* bytes writable at code_write */
    void *data_write;         /* data then bss */
    modload_addr data_run;
    uint32_t data_room;       /* bytes writable at data_write */
    void *symtab_write;       /* optional: copy of exports and names */
    uint32_t symtab_room;
    uint32_t flags;           /* MODLOAD_CODE_WORDS */
} modload_place;

/* Write and patch the code segment with aligned 32-bit loads and stores
 * only, as ESP32/ESP8266 IRAM requires: code_write 4-aligned, code_room at
 * least code_size rounded up to 4. Built into full-profile modload for
 * Xtensa and host builds (define MODLOAD_WITH_CODE_WORDS=1 for others;
 * without it the flag fails with MODLOAD_ERR_PLACEMENT in a full build
 * and MODLOAD_ERR_PROFILE in a minimal one); MOVW/MOVT pairs
 * are refused in this mode. */
#define MODLOAD_CODE_WORDS 0x1u

/* Fill *pl for the one-region layout in mem (room bytes), which runs at
 * run (usually the address of mem itself). */
int modload_place_region(const modload_image *img, void *mem, uint32_t room,
                         modload_addr run, modload_place *pl);

/* ---- binding ------------------------------------------------------------ */

/* A firmware export. Tables are sorted by hash, then by name. */
typedef struct modload_symbol {
    uint32_t hash;            /* modload_hash(name) */
    const char *name;
    modload_addr addr;
} modload_symbol;

/* A firmware ABI: what the firmware offers (modload_env.abi) and what an
 * image was built against (its MODP_META_ABI record). modpack exports
 * generates the firmware's; modpack build --firmware records the image's. */
typedef struct modload_abi {
    uint32_t id;              /* FNV-1a of the firmware's ABI name (spec 10.1) */
    uint16_t major, minor;    /* API version the firmware's author sets: the
                               * minor rises when exports are added, the
                               * major when one is removed or changed */
} modload_abi;

/* ---- signing policy (spec section 13; MODLOAD_WITH_SHA256) --------------- */

#define MODLOAD_SHA256_SIZE 32

/* SHA-256 of at most 2^32 - 1 bytes: init, update any number of times,
 * final. modload's own (sha256.c); the state is about 108 bytes. */
typedef struct modload_sha256 {
    uint32_t h[8];
    uint32_t n;               /* bytes so far */
    uint8_t buf[64];
} modload_sha256;

void modload_sha256_init(modload_sha256 *s);
void modload_sha256_update(modload_sha256 *s, const void *data, size_t len);
void modload_sha256_final(modload_sha256 *s, uint8_t out[MODLOAD_SHA256_SIZE]);

/* What the policy decides on: the digest of the image (its image_size
 * bytes, the CRC included), its security version, and one signature of its
 * block, or none (count 0: key_id and sig NULL). */
typedef struct modload_signature {
    const uint8_t *digest;    /* MODLOAD_SHA256_SIZE bytes */
    uint32_t security_version; /* the MODP_META_SECURITY record, 0 without */
    uint32_t index, count;    /* this signature, of count in the block */
    uint32_t alg;             /* MODP_SIG_ALG_ED25519 */
    const uint8_t *key_id;    /* MODP_SIG_KEY_ID_SIZE bytes */
    const uint8_t *sig;       /* MODP_SIG_SIZE bytes: Ed25519 over digest */
} modload_signature;

/* A firmware's signing policy (modload_env.policy). modload refuses with
 * MODLOAD_ERR_DOWNGRADE an image whose security version is below
 * min_security_version; else it calls accept once per signature until one
 * returns 0, or once with count 0 for an image without signatures. No
 * acceptance: MODLOAD_ERR_SIGNATURE (signed) or MODLOAD_ERR_UNSIGNED. */
typedef struct modload_policy {
    int (*accept)(void *ctx, const modload_signature *s);
    void *ctx;
    uint32_t min_security_version;
} modload_policy;

/* The image's security version (0 without the record), and its signature
 * block: entries (count * MODP_SIG_ENTRY bytes, key id then signature) and
 * count, 0 when the buffer holds no block after the image. MODLOAD_OK, or
 * MODLOAD_ERR_SIGNATURE for a malformed block. For tools (modpack verify). */
uint32_t modload_security_version(const modload_image *img);
int modload_sig_block(const modload_image *img, const uint8_t **entries, uint32_t *count);

typedef struct modload_env {
    const modload_symbol *syms; /* optional sorted firmware exports */
    uint32_t nsyms;
    /* Optional fallback: return 0 and set *addr when name (hash) is known.
     * name is "" in stripped images. */
    int (*resolve)(void *ctx, const char *name, uint32_t hash, modload_addr *addr);
    void *ctx;
    /* Optional: called once code is written (cache clean / invalidate). */
    void (*sync_code)(void *ctx, modload_addr run, uint32_t len);
    /* Optional: the firmware's ABI. An image that records another ABI id or
     * major, or a newer minor, is refused with MODLOAD_ERR_ABI by
     * modload_load (before it writes a byte) and modload_stream_load (where
     * the record passes, at the end: an import the firmware lacks may be
     * reported first). NULL opts out; images without the record always load.
     * modload_check needs no env and only checks the record's shape. */
    const modload_abi *abi;
    /* Optional: the signing policy. When set, modload_load computes the
     * image's digest and applies the policy before it writes a byte;
     * modload_stream_load digests the bytes as they pass and applies it
     * at the end, after the CRC (the signature block is read from the
     * stream after the image). Refused: nothing may run. A build without
     * MODLOAD_WITH_SHA256 refuses to be asked (MODLOAD_ERR_PROFILE). */
    const modload_policy *policy;
} modload_env;

/* The ABI an image records: MODLOAD_OK, or MODLOAD_ERR_NOT_FOUND without
 * the record (and for the header of a stream, which has no metadata yet). */
int modload_image_abi(const modload_image *img, modload_abi *abi);

uint32_t modload_hash(const char *name);

/* Binary search in a firmware table; the name is confirmed on a hash hit
 * unless name is "" (stripped image). */
int modload_lookup(const modload_symbol *syms, uint32_t nsyms, const char *name,
                   uint32_t hash, modload_addr *addr);

/* ---- loading ------------------------------------------------------------ */

/* An import of the image: its index in the image's import order. */
typedef struct modload_import {
    uint32_t index, hash;
    const char *name;         /* NUL-terminated, "" when stripped */
    int weak;                 /* optional: bound to 0 when the firmware lacks it */
} modload_import;

typedef struct modload_module {
    modload_addr code_run, data_run;
    uint32_t entry, exit;
    uint32_t nexports;
    const uint8_t *exports, *strtab;   /* in the image or in symtab_write */
    uint32_t strtab_size;
    /* After MODLOAD_ERR_UNRESOLVED: the import neither env->syms nor
     * env->resolve knows (its name lies in the image, or in the stream's
     * buffer until the stream is used again). */
    modload_import unresolved;
    /* Constructor and destructor lists (MODP_F_INIT): run addresses of
     * arrays of function pointers in the module's data, and their lengths. */
    modload_addr init_array, fini_array;
    uint32_t ninit, nfini;
} modload_module;

/* Copy the segments, zero bss, bind imports, apply fixups, sync code. */
int modload_load(const modload_image *img, const modload_place *pl,
                 const modload_env *env, modload_module *mod);

/* Run addresses (Thumb bit kept) of the entry and exit, 0 when absent. */
modload_addr modload_entry(const modload_module *mod);
modload_addr modload_exit(const modload_module *mod);

/* Run the module's constructors (C++ global objects, functions marked
 * __attribute__((constructor)): its .init_array) in order. Call after the
 * load succeeded and before module_init. */
void modload_run_init(const modload_module *mod);

/* Run its destructors (.fini_array, which in a C++ module built with
 * modcxx.c also runs the destructors of its global objects) in reverse
 * order. Call after module_exit, before the module's memory is reused. */
void modload_run_fini(const modload_module *mod);

/* Run address of an exported symbol. */
int modload_find(const modload_module *mod, const char *name, modload_addr *addr);

/* ---- streaming ------------------------------------------------------------ */

/* Read up to len bytes into buf. Return how many (1..len), 0 at the end of
 * the input, or a negative number on an error. Any chunk size works. */
typedef int (*modload_read_fn)(void *ctx, uint8_t *buf, uint32_t len);

/* Where the next byte comes from: the image in memory, or a stream. */
typedef struct modload_cursor {
    const uint8_t *p, *end;   /* bytes at hand in the current part */
    uint32_t rest;            /* bytes of the part still to be read (stream) */
    int err;                  /* MODLOAD_ERR_TRUNCATED or _READ once the stream failed */
    struct modload_stream *st; /* NULL: the image is in memory */
} modload_cursor;

#define MODLOAD_STREAM_CHUNK 32

/* A streaming load's whole state: this, and nothing else, is the extra RAM
 * (428 bytes on a 32-bit target, 104 of them the SHA-256 state). Fields are
 * private. */
typedef struct modload_stream {
    modload_cursor cur;
    modload_read_fn read;
    void *ctx;
    uint32_t crc;             /* CRC-32 of every byte read so far */
    uint32_t digesting;       /* sha holds the SHA-256 of every byte read so far */
    modload_sha256 sha;
    /* The stream's reader, set by modload_stream_begin: loads from memory
     * reach it only through here, so that a firmware that never streams
     * does not link it (nor the hashing behind it). */
    uint32_t (*pull)(modload_cursor *c, uint8_t *dst, uint32_t max);
    uint8_t chunk[MODLOAD_STREAM_CHUNK];
    char name[256];           /* the header, then the import being bound */
} modload_stream;

/* Read and check the header. img then holds the sizes, alignments and
 * capabilities (its pointers are NULL): allocate, fill a modload_place,
 * and call modload_stream_load. */
int modload_stream_begin(modload_stream *st, modload_read_fn read, void *ctx, modload_image *img);

/* Read the rest, writing code and data straight to their places and
 * applying fixups as they pass; the exports are kept only when
 * pl->symtab_write is given. The CRC is compared at the end, then
 * env->policy applied (reading the signature block that follows the
 * image): on any error only the memory in pl was written and nothing from
 * the image may run. */
int modload_stream_load(modload_stream *st, const modload_image *img, const modload_place *pl,
                        const modload_env *env, modload_module *mod);

/* ---- decoding, shared by modload_load and modpack inspect ----------- */

typedef struct modload_fixup {
    uint8_t kind;             /* MODP_FIX_* */
    uint8_t seg;              /* segment of the site, MODP_SEG_* */
    uint32_t offset;          /* site offset in its segment */
    uint32_t offset2;         /* second site of pair kinds */
    uint32_t operand;         /* RV_HI20: low 12 bits of the addend; else 0 */
    uint32_t target;          /* MODP_TGT_CODE, MODP_TGT_DATA or MODP_TGT_IMPORT + index */
} modload_fixup;


/* Visitors for modload_walk; either may be NULL. A non-zero return stops the
 * walk and is returned from it. */
typedef struct modload_walker {
    int (*import)(struct modload_walker *w, const modload_import *imp);
    int (*fixup)(struct modload_walker *w, const modload_fixup *fx);
} modload_walker;

/* Decode the fixup stream, checking each site against its segment. */
int modload_walk(const modload_image *img, modload_walker *w);

typedef struct modload_export {
    uint32_t hash, value;
    const char *name;         /* NULL when stripped */
    uint8_t seg, type;
} modload_export;

int modload_export_at(const modload_image *img, uint32_t i, modload_export *ex);

typedef struct modload_meta {
    uint8_t type;
    uint16_t len;
    const uint8_t *bytes;
} modload_meta;

/* Iterate metadata records: *pos starts at 0; returns MODLOAD_OK with a
 * record, MODLOAD_ERR_NOT_FOUND after the last, MODLOAD_ERR_META for a
 * broken one. */
int modload_meta_next(const modload_image *img, uint32_t *pos, modload_meta *m);

/* Inflate raw deflate data (RFC 1951) into exactly size bytes at dst, the
 * output being its own window (a distance reaches back inside dst only).
 * in returns the next input byte (0..255), or a negative number at the
 * end; it is called only for bytes the data needs, so a caller can tell
 * how many were used. MODLOAD_OK, or MODLOAD_ERR_INFLATE for malformed
 * data or another size (dst[0..size) may then hold anything, and nothing
 * outside it was written). Its state, code tables included, lives on its
 * stack: about 1.2 KiB with its callees (Cortex-M0: 1160 bytes), plus what
 * in uses (src/modload/inflate.c; MODLOAD_WITH_INFLATE). */
typedef int (*modload_inflate_in)(void *ctx);
int modload_inflate(uint8_t *dst, uint32_t size, modload_inflate_in in, void *ctx);

/* CRC-32 as zlib's crc32(): crc = modload_crc32(0, buf, len). */
uint32_t modload_crc32(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
