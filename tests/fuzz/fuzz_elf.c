/* fuzz_elf.c - libFuzzer harness: modpack's ELF reading and lowering.
 *
 * The input is an ELF file (seeds: the test modules of every ISA modpack
 * supports). It goes through what `modpack build` does before writing:
 * mp_elf_open, mp_module_from_elf, mp_encode_image. Properties: no crash, no
 * sanitizer report, no hang; and an image modpack produces always passes
 * modload_check (modpack must never produce an image the target refuses).
 * Messages go to stderr; run with -close_fd_mask=2 to hide them.
 */
#include <stdint.h>
#include <string.h>

#include "memfile.h"
#include "mpelf.h"
#include "encode.h"
#include "pipeline.h"
#include "modload.h"
#include "util.h"
#include "guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = memfile(data, size);
    mp_options opt;
    mp_elf m;
    mp_module mod;
    mp_buf img = {0};

    memset(&opt, 0, sizeof opt);
    opt.strip = size & 1; /* both ways, decided by the input */
    memset(&mod, 0, sizeof mod);
    if (mp_elf_open(&m, path) == 0 && mp_module_from_elf(&m, &opt, &mod) == 0 &&
        mp_encode_image(&mod, &opt, "fuzz", &img) == 0) {
        modload_image chk;
        int rc = modload_check(img.p, img.len, &chk);
        FUZZ_ASSERT(rc == MODLOAD_OK, "modpack made an image modload refuses: %s", modload_strerror(rc));
    }
    buf_free(&img);
    mp_module_free(&mod);
    mp_elf_close(&m);
    return 0;
}
