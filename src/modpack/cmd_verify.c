/* cmd_verify.c - `modpack verify`: each whole image checked as modload
 * checks it (inspect.c's mp_verify), and with --key its signatures
 * (sign.c's mp_verify_signatures). */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "inspect.h"
#include "sign.h"
#include "util.h"

const char mp_usage_verify[] =
    "usage: modpack verify IMG... [--key PUB.pem]...\n"
    "  check each whole image (header, tables, fixups, CRC, the shape of its\n"
    "  signature block) as modload does; IMG may be - (standard input); exit\n"
    "  status 1 if any fails\n"
    "  -k, --key PUB.pem     also require a signature that verifies with this\n"
    "                        Ed25519 key (public or private PEM); repeatable:\n"
    "                        any one of the keys will do\n";

enum { O_KEY = 1 };

static const mp_optspec verify_opts[] = {
    {"--key", 'k', 1, O_KEY, NULL},
    {0},
};

int mp_cmd_verify(int argc, char **argv)
{
    mp_cli c;
    int rc = 0;
    size_t n = 0, nkeys = 0;
    const char **v = mp_calloc((size_t)argc + 1, sizeof *v);
    mp_key **keys = mp_calloc((size_t)argc + 1, sizeof(void *)); /* pointers to keys */
    mp_cli_init(&c, "verify", mp_usage_verify, verify_opts, argc, argv);
    for (int r; rc == 0 && (r = mp_cli_next(&c)) != MP_CLI_END;) {
        if (r == MP_CLI_HELP)
            rc = -1;
        else if (r == MP_CLI_ERROR)
            rc = MP_EXIT_USAGE;
        else if (r == MP_CLI_OPERAND)
            v[n++] = c.value;
        else if (r == O_KEY && !(keys[nkeys++] = mp_key_read(c.value, 0)))
            rc = 1;
    }
    if (rc == 0 && !n)
        rc = mp_usage_error("verify", "no image given (IMG..., or - for standard input)", NULL);
    /* Every image is verified; the exit status is the worst. */
    int worst = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int r = mp_verify(v[i], keys, nkeys);
        worst = r > worst ? r : worst;
    }
    for (size_t i = 0; i < nkeys; i++)
        mp_key_free(keys[i]);
    free(keys);
    free(v);
    return rc < 0 ? 0 : rc ? rc : worst;
}
