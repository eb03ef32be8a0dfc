/* cmd_inspect.c - `modpack inspect`: what is inside images, readelf-style
 * (inspect.c), as text or JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "inspect.h"
#include "util.h"

const char mp_usage_inspect[] =
    "usage: modpack inspect IMG... [--fixups] [--json]\n"
    "  IMG may be - (standard input); with several, each under a FILE: heading\n"
    "  exit status 1 if any image fails verification (still reported)\n"
    "  --fixups              list every fixup\n"
    "  --json                one JSON object (an array of them for several images),\n"
    "                        as formats/inspect.schema.json describes\n";

enum { O_FIXUPS = 1, O_JSON };

static const mp_optspec inspect_opts[] = {
    {"--fixups", 0, 0, O_FIXUPS, NULL},
    {"--json", 0, 0, O_JSON, NULL},
    {0},
};

int mp_cmd_inspect(int argc, char **argv)
{
    mp_cli c;
    unsigned flags = 0;
    int rc = 0;
    size_t n;
    mp_cli_init(&c, "inspect", mp_usage_inspect, inspect_opts, argc, argv);
    const char **v = mp_cli_images(&c, &flags, &n, &rc);
    if (!v)
        return rc;
    int fixups = (flags >> O_FIXUPS) & 1, json = (flags >> O_JSON) & 1;
    /* Several images: a JSON array, or text under a FILE: heading each. */
    if (json && n > 1)
        printf("[\n");
    for (size_t i = 0; i < n; i++) {
        if (json && i)
            printf(",\n");
        else if (!json && n > 1)
            printf("%s%s:\n", i ? "\n" : "", mp_input_name(v[i]));
        int r = mp_inspect(v[i], fixups, json);
        rc = r > rc ? r : rc;
    }
    if (json && n > 1)
        printf("]\n");
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = 1, mp_error("write error on standard output");
    free(v);
    return rc;
}

