/* cmd_verify.c - `modpack verify`: each whole image checked as modload
 * checks it (inspect.c's mp_verify). */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "inspect.h"
#include "util.h"

const char mp_usage_verify[] =
    "usage: modpack verify IMG...\n"
    "  check each whole image (header, tables, fixups, CRC) as modload does;\n"
    "  IMG may be - (standard input); exit status 1 if any fails\n";

int mp_cmd_verify(int argc, char **argv)
{
    mp_cli c;
    unsigned flags = 0;
    int rc = 0;
    size_t n;
    mp_cli_init(&c, "verify", mp_usage_verify, NULL, argc, argv);
    const char **v = mp_cli_images(&c, &flags, &n, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int r = mp_verify(v[i]);
        rc = r > rc ? r : rc;
    }
    free(v);
    return rc;
}
