/* cmd_keygen.c - `modpack keygen`: a new Ed25519 key pair in PEM, the
 * format `openssl genpkey -algorithm ed25519` writes (sign.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "sign.h"
#include "util.h"

const char mp_usage_keygen[] =
    "usage: modpack keygen -o KEY.pem [--public PUB.pem]\n"
    "  make an Ed25519 key pair: the private key (PEM PKCS#8, mode 0600) for\n"
    "  modpack sign and build --sign, the public key (PEM) for modpack verify\n"
    "  and the firmware; prints the key id\n"
    "  -o, --output FILE     the private key to write (atomically)\n"
    "  --public FILE         the public key (default: OUT with .pem replaced by\n"
    "                        .pub.pem, or OUT.pub)\n";

enum { O_OUTPUT = 1, O_PUBLIC };

static const mp_optspec keygen_opts[] = {
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--public", 0, 1, O_PUBLIC, NULL},
    {0},
};

int mp_cmd_keygen(int argc, char **argv)
{
    const char *out = NULL, *pub = NULL;
    mp_cli c;
    mp_cli_init(&c, "keygen", mp_usage_keygen, keygen_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: return 0;
        case MP_CLI_ERROR: return MP_EXIT_USAGE;
        case MP_CLI_OPERAND: return mp_usage_error("keygen", "takes no operand:", c.value);
        case O_OUTPUT: out = c.value; break;
        case O_PUBLIC: pub = c.value; break;
        }
    }
    if (!out)
        return mp_usage_error("keygen", "no output given (-o KEY.pem)", NULL);
    if (mp_is_stdio(out) && !pub)
        return mp_usage_error("keygen", "the private key goes to standard output: give --public PUB.pem", NULL);
    char *dflt = NULL;
    if (!pub) {
        size_t n = strlen(out);
        dflt = mp_malloc(n + 8);
        if (n > 4 && strcmp(out + n - 4, ".pem") == 0)
            snprintf(dflt, n + 8, "%.*s.pub.pem", (int)(n - 4), out);
        else
            snprintf(dflt, n + 8, "%s.pub", out);
        pub = dflt;
    }
    if (strcmp(pub, out) == 0) {
        int rc = mp_usage_error("keygen", "the public key would overwrite the private key:", pub);
        free(dflt);
        return rc;
    }
    uint8_t id[MODP_SIG_KEY_ID_SIZE];
    char hex[2 * MODP_SIG_KEY_ID_SIZE + 1];
    int rc = mp_keygen(out, pub, id) == 0 ? 0 : 1;
    if (rc == 0)
        fprintf(mp_is_stdio(out) ? stderr : stdout, "key id %s: private key %s, public key %s\n",
                mp_key_id_hex(id, hex), mp_is_stdio(out) ? "(standard output)" : out, pub);
    free(dflt);
    return rc;
}
