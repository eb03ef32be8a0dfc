/* cmd_sign.c - `modpack sign`: an image with one more Ed25519 signature
 * (and, with --security-version, its security version set), written
 * atomically (sign.c does the work). */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "sign.h"
#include "util.h"

const char mp_usage_sign[] =
    "usage: modpack sign IMG --key KEY.pem -o OUT [--security-version N]\n"
    "  add an Ed25519 signature by KEY.pem (PEM, as modpack keygen or\n"
    "  'openssl genpkey -algorithm ed25519' writes it) to the image; signatures it\n"
    "  has are kept. IMG or OUT may be - (standard input or output)\n"
    "  -k, --key KEY.pem     the private key\n"
    "  -o, --output FILE     the signed image to write (atomically)\n"
    "  --security-version N  set the security version first (only on an image that\n"
    "                        has no signature yet, or the same version)\n";

enum { O_KEY = 1, O_OUTPUT, O_SECURITY_VERSION };

static const mp_optspec sign_opts[] = {
    {"--key", 'k', 1, O_KEY, NULL},
    {"--output", 'o', 1, O_OUTPUT, NULL},
    {"--security-version", 0, 1, O_SECURITY_VERSION, NULL},
    {0},
};

int mp_cmd_sign(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *keypath = NULL;
    uint32_t version = 0;
    int set_version = 0;
    mp_cli c;
    mp_cli_init(&c, "sign", mp_usage_sign, sign_opts, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        switch (r) {
        case MP_CLI_HELP: return 0;
        case MP_CLI_ERROR: return MP_EXIT_USAGE;
        case MP_CLI_OPERAND:
            if (mp_cli_one_operand(&c, &in, "image"))
                return MP_EXIT_USAGE;
            break;
        case O_KEY: keypath = c.value; break;
        case O_OUTPUT: out = c.value; break;
        case O_SECURITY_VERSION:
            if (mp_security_version("sign", c.value, &version) != 0)
                return MP_EXIT_USAGE;
            set_version = 1;
            break;
        }
    }
    if (!in)
        return mp_usage_error("sign", "no image given (IMG, or - for standard input)", NULL);
    if (!keypath)
        return mp_usage_error("sign", "no key given (--key KEY.pem; modpack keygen makes one)", NULL);
    if (!out)
        return mp_usage_error("sign", "no output given (-o OUT, or -o - for standard output)", NULL);
    if (mp_output_not_input(out, in) != 0)
        return 1;
    mp_key *key = mp_key_read(keypath, 1);
    if (!key)
        return 1;
    uint8_t *buf;
    size_t len;
    int rc = 1;
    if (mp_read_file(in, &buf, &len) == 0) {
        mp_buf img = {0};
        if (mp_sign_image(mp_input_name(in), buf, len, key, set_version, version, &img) == 0 &&
            mp_write_atomic(out, img.p, img.len) == 0)
            rc = 0;
        buf_free(&img);
        free(buf);
    }
    mp_key_free(key);
    return rc;
}
