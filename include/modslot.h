/* modslot.h - A/B module slots on a flash-like store, on top of modreg.
 * Freestanding C99.
 *
 * Optional, like modreg. The firmware gives a store as callbacks (read,
 * write, erase of whole erase blocks: RAM, a file or real flash behind
 * them). The store holds two copies of one small commit record and two
 * slots per module. An update is written to the module's inactive slot as
 * its bytes arrive, then loaded from there by the registry (CRC, signing
 * policy, ABI, imports: modload's own checks) and initialised next to the
 * running version (modreg_reload), and only then committed by writing the
 * record. A power cut at any point leaves the store booting the old or
 * the new version; a refused update or a failed init leaves the old one
 * running and committed. formats/slot-store.md describes the store.
 *
 *   static modslot ms;
 *   modslot_open(&ms, &store, &reg, 4);     // reads the newest valid record
 *   modslot_boot(&ms);                      // loads every committed module
 *   modslot_update_begin(&ms, "calc");
 *   while (more) rc = modslot_update_write(&ms, buf, n);
 *   rc = modslot_update_finish(&ms, &hooks, &info);   // verify, reload, commit
 *   if (rc) puts(modslot_strerror(rc));
 *
 * Not reentrant: one caller at a time, one update at a time.
 */
#ifndef MODSLOT_H
#define MODSLOT_H

#include "modreg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most modules one store holds (the record's table). It shapes
 * modslot: build every file that includes this header with one value. */
#ifndef MODSLOT_MAX_MODULES
#define MODSLOT_MAX_MODULES 8
#endif

/* Bytes of a module name in the record, NUL included (the format fixes it). */
#define MODSLOT_NAME_SIZE 24

/* The record's numbers (formats/slot-store.md). */
#define MODSLOT_MAGIC 0x544C534Du   /* "MSLT" little-endian */
#define MODSLOT_FORMAT 1u
#define MODSLOT_HEADER_SIZE 16u
#define MODSLOT_ENTRY_SIZE 44u
#define MODSLOT_NONE 0xFFu          /* entry.active: no committed slot */

/* Errors: a modreg or modload error, or one of these. */
enum {
    MODSLOT_ERR_STORE = 96,   /* the store's read, write or erase failed */
    MODSLOT_ERR_LAYOUT,       /* the store is too small, or its record has another layout */
    MODSLOT_ERR_SIZE,         /* the image does not fit in a slot */
    MODSLOT_ERR_BUSY,         /* another update is in progress */
    MODSLOT_ERR_IDLE,         /* no update is in progress */
    MODSLOT_ERR_TABLE,        /* every module entry of the record is in use */
    MODSLOT_ERR_NAME,         /* no name, or one longer than MODSLOT_NAME_SIZE - 1 */
    MODSLOT_ERR_EMPTY,        /* the update wrote no byte */
    MODSLOT_ERR_END
};

/* A short English description of a modslot, modreg or modload error. */
const char *modslot_strerror(int err);

/* The store. Offsets are from its start. Return 0 on success, non-zero on
 * failure. write may only be asked for bytes erased since their last
 * write (flash semantics: modslot never writes a byte twice without an
 * erase); erase is asked for whole erase blocks (off and len multiples of
 * erase_size). */
typedef struct modslot_store {
    int (*read)(void *ctx, uint32_t off, void *buf, uint32_t len);
    int (*write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
    int (*erase)(void *ctx, uint32_t off, uint32_t len);
    void *ctx;
    uint32_t erase_size;      /* bytes of one erase block, a power of two */
    uint32_t size;            /* bytes of the store */
} modslot_store;

/* One module of the record: its name, its committed slot, and what each
 * slot held when the record was written (len 0: nothing). */
typedef struct modslot_entry {
    char name[MODSLOT_NAME_SIZE];
    uint8_t active;           /* 0, 1 or MODSLOT_NONE */
    uint8_t booted;           /* slot loaded at boot or by the last update, or MODSLOT_NONE */
    int16_t boot_rc;          /* modslot_boot: why it failed (0: it did not) */
    uint32_t len[2], crc[2];  /* image bytes and their CRC-32, per slot */
} modslot_entry;

/* The library's state. Fields are private; read them through the functions. */
typedef struct modslot {
    modslot_store store;
    modreg *reg;
    uint32_t nmodules;        /* entries in the record */
    uint32_t rec_size;        /* bytes the record area of one copy takes (erase blocks) */
    uint32_t slot_size;       /* bytes of one slot (erase blocks) */
    uint32_t seq;             /* sequence number of the newest valid record (0: none yet) */
    uint8_t copy;             /* the copy that holds it (blank store: 1, so that copy 0 is next) */
    /* the update in progress */
    uint8_t updating;
    uint8_t up_slot;          /* the slot being written */
    uint8_t up_entry;         /* its entry (may be a new one) */
    uint32_t up_len;          /* bytes written */
    uint32_t up_erased;       /* bytes of the slot erased so far */
    uint32_t up_crc;          /* CRC-32 of the bytes written */
    int up_err;               /* the first error of the update */
    char up_name[MODSLOT_NAME_SIZE];
    /* reading a slot back */
    uint32_t rd_off, rd_end;
    modslot_entry table[MODSLOT_MAX_MODULES];
} modslot;

/* Lay out the store for nmodules modules (at most MODSLOT_MAX_MODULES):
 * two record copies, then two slots per module, each a whole number of
 * erase blocks. Read the newest valid record (none on a blank store: an
 * empty table). The registry must outlive ms. MODSLOT_ERR_LAYOUT when the
 * store is too small or holds a record written for another layout. */
int modslot_open(modslot *ms, const modslot_store *store, modreg *reg, uint32_t nmodules);

/* Bytes one slot holds: the largest image an update takes. */
uint32_t modslot_slot_size(const modslot *ms);

/* Load every committed module into the registry, in record order and
 * again while a pass loads something (a module that imports from another
 * may come first in the record): its committed slot,
 * and when that is torn or refused, the other slot if the record still
 * vouches for it. Returns how many modules could be loaded from neither
 * slot (each entry's boot_rc says why its committed slot did not load).
 * Writes nothing to the store. */
uint32_t modslot_boot(modslot *ms);

/* ---- updates -------------------------------------------------------------- */

/* Start an update of module name (installed or new): the inactive slot
 * of its entry (or of a free entry) is erased as the bytes arrive.
 * MODSLOT_ERR_BUSY while another update is in progress. */
int modslot_update_begin(modslot *ms, const char *name);

/* Append bytes to the slot. MODSLOT_ERR_SIZE past the slot's end,
 * MODSLOT_ERR_STORE when the store fails; either ends the update
 * (modslot_update_abort is still to be called). */
int modslot_update_write(modslot *ms, const void *buf, uint32_t len);

/* Load the written image from the store: modreg_reload with hooks when
 * the module is running (the old version keeps serving on any failure),
 * modreg_load otherwise; then commit: write the record that names the new
 * slot. A load that fails leaves the record as it was. A commit that fails
 * reloads the committed version (hooks again), so that the module that
 * runs is the one the store boots. The update is over in any case. */
int modslot_update_finish(modslot *ms, const modreg_hooks *hooks, modreg_info *info);

/* Forget the update in progress (the half-written slot stays unused). */
void modslot_update_abort(modslot *ms);

/* An update from memory: begin, one write, finish. */
int modslot_install(modslot *ms, const char *name, const void *image, uint32_t len,
                    const modreg_hooks *hooks, modreg_info *info);

/* Unload the module from the registry (MODREG_ERR_IN_USE while others
 * import from it) and commit a record without it. A module that is in the
 * record but not running (it failed at boot) is removed from the record. */
int modslot_remove(modslot *ms, const char *name);

/* ---- looking up ------------------------------------------------------------ */

/* The record's entry of module name, or NULL. */
const modslot_entry *modslot_find(const modslot *ms, const char *name);

/* Iterate the record's modules: *pos starts at 0; NULL at the end. */
const modslot_entry *modslot_next(const modslot *ms, uint32_t *pos);

/* Read len bytes at off of slot `slot` (0 or 1) of entry en: the image the
 * record vouches for when off + len <= en->len[slot] (a firmware reads its
 * metadata, or sends it back). MODLOAD_ERR_ARG outside the slot,
 * MODSLOT_ERR_STORE when the store fails. */
int modslot_image_read(const modslot *ms, const modslot_entry *en, uint32_t slot, uint32_t off, void *buf,
                       uint32_t len);

/* The sequence number of the record in force (0: none yet). */
uint32_t modslot_seq(const modslot *ms);

#ifdef __cplusplus
}
#endif

#endif
