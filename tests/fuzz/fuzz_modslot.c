/* fuzz_modslot.c - libFuzzer harness: the slot library (modslot.c) on a
 * RAM store with flash semantics (tests/modreg/slotcut.c's ramstore).
 *
 * The input is an image followed by a script, one byte per step (bits
 * 0..2 the operation, 3..7 its argument). Two versions of the image are
 * uploaded under its name: A, the image with entry, exit and constructor
 * lists cleared (the host runs no module code), and B, A with one byte
 * more after it (the slot's length and CRC tell them apart). Operations:
 * install A or B, install cut after a number of store units (then a
 * reboot), reboot, flip a byte of the store (then a reboot), remove, an
 * update written in chunks, an update abandoned, refused calls (finish
 * without begin, begin twice).
 *
 * After every step:
 *   - no byte of the store was written twice without an erase, and no
 *     erase or write went outside it or was not of whole blocks;
 *   - a successful install committed exactly that version: the entry's
 *     committed slot holds its length and CRC, and the module runs;
 *   - a refused or cut install left the record's entry as it was;
 *   - as long as no byte was flipped behind the library's back, every
 *     reboot opens the store and boots every module it records, and the
 *     entry is the one committed last (old or new, never neither).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "image_repair.h"
#include "scripted.h"
#include "slotcut.h"

FUZZ_IMAGE_MUTATOR(FUZZ_REPAIR_NO_ENTRY | FUZZ_REPAIR_NAME)

#define STORE (16u * 1024u)
#define ERASE 512u
#define POOL (64u * 1024u)
#define NSLOTS 4

/* Version A's name record, when it is one a slot can hold, into ctx (a
 * char[MODSLOT_NAME_SIZE]). */
static void take_name(void *ctx, uint8_t *bytes, uint32_t n)
{
    if (n > 1 && n < MODSLOT_NAME_SIZE && !bytes[n - 1])
        memcpy(ctx, bytes, n);
}

static uint8_t mem[STORE];
static ramstore rs;
static modslot_store st;
static modreg_slot slots[NSLOTS];
static modreg reg;
static modslot ms;
static gmem pool;

/* Power on. Returns modslot_open's code; *failed what modslot_boot could not load. */
static int reboot(uint32_t *failed)
{
    int rc;
    modreg_unload_all(&reg);
    modreg_init(&reg, slots, NSLOTS, pool.p, POOL, &fw_env);
    rs.frozen = 0;
    rs.budget = -1;
    *failed = 0;
    if ((rc = modslot_open(&ms, &st, &reg, 2)) == MODLOAD_OK)
        *failed = modslot_boot(&ms);
    return rc;
}

static int same_entry(const modslot_entry *a, const modslot_entry *b)
{
    if (!a || !b)
        return !a && !b;
    return a->active == b->active && !memcmp(a->len, b->len, sizeof a->len) && !memcmp(a->crc, b->crc, sizeof a->crc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t img[2][1u << 15];
    /* install A, B; cuts at 5, 22, 28..31 / 32 of an update; reboot; chunks; ... */
    static const uint8_t default_script[] = {0x00, 0x08, 0x01, 0x29, 0xB1, 0xE1, 0xE9, 0xF1, 0xF9, 0xE9, 0xF9,
                                             0x02, 0x05, 0x0C, 0x13, 0x06, 0x07, 0x04, 0x02};
    char name[MODSLOT_NAME_SIZE];
    size_t ilen, i, nscript;
    uint32_t len[2], crc[2], failed;
    const uint8_t *script;
    int valid, dirty = 0;

    init_fw();
    if (!split_input(data, size, default_script, sizeof default_script, 48, &ilen, &script, &nscript))
        return 0;
    if (ilen + 1 > sizeof img[0])
        return 0;
    /* A: the image with entry, exit and constructor lists cleared; its name (or "") in name */
    name[0] = 0;
    valid = copy_inert(img[0], data, ilen, take_name, name) == MODLOAD_OK && name[0];
    if (!name[0])
        memcpy(name, "m", 2);
    memcpy(img[1], img[0], ilen);
    img[1][ilen] = 0x5A;
    for (i = 0; i < 2; i++) {
        len[i] = (uint32_t)(ilen + i);
        crc[i] = modload_crc32(0, img[i], len[i]);
    }

    gm_alloc_at(&pool, POOL, 4096, 0);
    memset(&reg, 0, sizeof reg);
    modreg_init(&reg, slots, NSLOTS, pool.p, POOL, &fw_env);
    ramstore_init(&rs, &st, mem, STORE, ERASE);
    FUZZ_ASSERT(reboot(&failed) == MODLOAD_OK && failed == 0, "a blank store opens");

    for (i = 0; i < nscript; i++) {
        uint32_t op = script[i] & 7u, arg = script[i] >> 3, k = arg & 1u;
        modslot_entry before, *bp = NULL;
        const modslot_entry *en = modslot_find(&ms, name);
        uint32_t seq = modslot_seq(&ms);
        int rc = -1, tried = 0;

        if (en) {
            before = *en;
            bp = &before;
        }
        switch (op) {
        case 0: /* install A or B */
        case 5: /* ... in chunks of arg + 1 bytes */
            tried = 1;
            if (op == 0) {
                rc = modslot_install(&ms, name, img[k], len[k], NULL, NULL);
            } else if ((rc = modslot_update_begin(&ms, name)) == MODLOAD_OK) {
                uint32_t at = 0, step = arg + 1u;
                while (rc == MODLOAD_OK && at < len[k]) {
                    uint32_t n = len[k] - at < step ? len[k] - at : step;
                    rc = modslot_update_write(&ms, img[k] + at, n);
                    at += n;
                }
                if (rc == MODLOAD_OK)
                    rc = modslot_update_finish(&ms, NULL, NULL);
                else
                    modslot_update_abort(&ms);
            }
            break;
        case 1: /* install, the power cut at arg / 32 of its units (about: the
                 * image's bytes and blocks, then the record's), then a reboot */
            rs.budget = (int32_t)((len[k] + len[k] / ERASE + 2u + MODSLOT_HEADER_SIZE + 2u * MODSLOT_ENTRY_SIZE + 6u) *
                                  arg / 32u);
            rc = modslot_install(&ms, name, img[k], len[k], NULL, NULL);
            if (rs.frozen) {
                FUZZ_ASSERT(rc != MODLOAD_OK, "a cut install reported success");
                FUZZ_ASSERT(same_entry(modslot_find(&ms, name), bp), "a cut install changed the entry");
                rc = reboot(&failed);
                FUZZ_ASSERT(dirty || (rc == MODLOAD_OK && failed == 0), "reboot after a cut: %d, %u failed", rc,
                            failed);
                FUZZ_ASSERT(dirty || same_entry(modslot_find(&ms, name), bp), "the cut changed the record");
                continue;
            }
            rs.budget = -1;
            tried = 1;
            break;
        case 2: /* reboot */
            rc = reboot(&failed);
            FUZZ_ASSERT(dirty || (rc == MODLOAD_OK && failed == 0), "reboot: %d, %u failed", rc, failed);
            FUZZ_ASSERT(dirty || same_entry(modslot_find(&ms, name), bp), "a reboot changed the record");
            if (!dirty && bp)
                FUZZ_ASSERT(modreg_find(&reg, name, NULL) == MODLOAD_OK, "%s recorded but not booted", name);
            continue;
        case 3: /* a byte of the store changed behind the library's back */
            mem[(arg * 613u + i * 97u) % STORE] ^= (uint8_t)(1u << (i & 7u));
            dirty = 1;
            (void)reboot(&failed);
            continue;
        case 4:
            rc = modslot_remove(&ms, name);
            FUZZ_ASSERT(rc != MODLOAD_OK || !modslot_find(&ms, name), "removed, still recorded");
            FUZZ_ASSERT(rc != MODLOAD_OK || modreg_find(&reg, name, NULL) != MODLOAD_OK, "removed, still running");
            continue;
        case 6: /* an update abandoned half way */
            if (modslot_update_begin(&ms, name) == MODLOAD_OK) {
                (void)modslot_update_write(&ms, img[k], len[k] / 2);
                modslot_update_abort(&ms);
            }
            FUZZ_ASSERT(same_entry(modslot_find(&ms, name), bp) && modslot_seq(&ms) == seq,
                        "an abandoned update changed the record");
            continue;
        default: /* refused calls */
            FUZZ_ASSERT(modslot_update_finish(&ms, NULL, NULL) == MODSLOT_ERR_IDLE, "finish without begin");
            FUZZ_ASSERT(modslot_update_begin(&ms, name) == MODLOAD_OK, "begin");
            FUZZ_ASSERT(modslot_update_begin(&ms, name) == MODSLOT_ERR_BUSY, "begin twice");
            modslot_update_abort(&ms);
            continue;
        }
        if (!tried)
            continue;
        en = modslot_find(&ms, name);
        if (rc == MODLOAD_OK) {
            FUZZ_ASSERT(valid || dirty, "an image modload_check refuses was installed");
            FUZZ_ASSERT(en && en->active <= 1 && en->len[en->active] == len[k] && en->crc[en->active] == crc[k],
                        "the committed slot is not the version installed");
            FUZZ_ASSERT(modslot_seq(&ms) == seq + 1u, "one commit, one sequence number");
            FUZZ_ASSERT(modreg_find(&reg, name, NULL) == MODLOAD_OK, "installed, not running");
        } else {
            FUZZ_ASSERT(same_entry(en, bp) && modslot_seq(&ms) == seq, "a refused install changed the record");
        }
        FUZZ_ASSERT(rs.rewrites == 0, "%u bytes written twice without an erase", rs.rewrites);
    }
    FUZZ_ASSERT(rs.rewrites == 0, "%u bytes written twice without an erase", rs.rewrites);
    modreg_unload_all(&reg);
    gm_free(&pool);
    return 0;
}
