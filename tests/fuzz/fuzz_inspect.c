/* fuzz_inspect.c - libFuzzer harness: `modpack inspect` and `modpack
 * verify` on arbitrary bytes (text, text with every fixup, JSON).
 * Properties: no crash, no sanitizer report, no hang, exit status 0 or 1,
 * and inspect's status is verify's (both refuse what modload_check does).
 * Standard output goes to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>

#include "memfile.h"
#include "inspect.h"
#include "guard.h"
#include "image_repair.h"

FUZZ_IMAGE_MUTATOR(0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    const char *path = memfile(data, size);
    int rc, inspected;

    if (!quiet) {
        if (!freopen("/dev/null", "w", stdout))
            abort();
        quiet = 1;
    }
    rc = mp_inspect(path, 0, 0);
    FUZZ_ASSERT(rc == 0 || rc == 1, "inspect returned %d", rc);
    if (rc == 0) {
        FUZZ_ASSERT(mp_inspect(path, 1, 0) == 0, "inspect --fixups disagrees");
        FUZZ_ASSERT(mp_inspect(path, 1, 1) == 0, "inspect --json --fixups disagrees");
    }
    inspected = rc;
    rc = mp_verify(path, NULL, 0);
    FUZZ_ASSERT(rc == 0 || rc == 1, "verify returned %d", rc);
    FUZZ_ASSERT(rc == inspected, "inspect exits %d, verify %d", inspected, rc);
    return 0;
}
