/* image_repair.h - the structure-aware mutator of the image harnesses.
 *
 * libFuzzer's byte mutations of an image almost never survive modload's
 * checks: one changed byte of the fixup stream breaks the CRC, an inserted
 * one shifts every part after it, a changed export name breaks its hash.
 * fuzz_image_mutate cuts the image into its parts (formats/image-format.md
 * section 2), lets libFuzzer mutate one part (or the header), and then
 * fuzz_image_repair makes true again what the spec makes checkable: part
 * sizes summed into the header, the fixup stream re-encoded with every site
 * inside its segment and nfixups/nimports recounted, export names and
 * hashes recomputed and the table re-sorted, metadata records that fill
 * their part, the CRC. So mutated images reach placement and fixup
 * application, where the interesting bugs are.
 *
 * A harness gets the mutator with one line after its includes:
 *   FUZZ_IMAGE_MUTATOR(options)
 * which defines LLVMFuzzerCustomMutator in the libFuzzer build (compiled
 * with FUZZ_WITH_MUTATOR) and nothing in the replay build.
 */
#ifndef FUZZ_IMAGE_REPAIR_H
#define FUZZ_IMAGE_REPAIR_H

#include <stddef.h>
#include <stdint.h>

/* Options. */
#define FUZZ_REPAIR_NO_ENTRY 0x1u /* entry and exit MODP_NONE: the harness runs no module code */
#define FUZZ_REPAIR_NAME     0x2u /* keep a short name record (modreg knows modules by name) */

/* Make data[0..size) a valid-looking image in place (at most max bytes);
 * returns the new size. *rng drives the choices where a field is out of
 * range; bytes after image_size are kept after the new image. */
size_t fuzz_image_repair(uint8_t *data, size_t size, size_t max, uint32_t *rng, unsigned opts);

/* Mutate one part with LLVMFuzzerMutate, then repair (most of the time:
 * one call in eight leaves libFuzzer's bytes alone, so the checks that
 * refuse broken images stay covered). */
size_t fuzz_image_mutate(uint8_t *data, size_t size, size_t max, unsigned seed, unsigned opts);

#ifdef FUZZ_WITH_MUTATOR
#define FUZZ_IMAGE_MUTATOR(opts)                                                          \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned seed); \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned seed)  \
    {                                                                                     \
        return fuzz_image_mutate(data, size, max, seed, (opts));                          \
    }
#else
#define FUZZ_IMAGE_MUTATOR(opts)
#endif

#endif
