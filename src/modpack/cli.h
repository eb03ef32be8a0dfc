/* cli.h - the one option parser every modpack command uses, and the
 * command-line conventions it implements (modpack(1), "CONVENTIONS"):
 *
 *   --name VALUE, --name=VALUE, -x VALUE, -xVALUE   an option with a value
 *   --                                              ends the options
 *   -                                               an operand (standard
 *                                                   input or output)
 *   -h, --help                                      the command's usage
 *
 * Each command describes its options in a table of mp_optspec; mp_cli_next
 * returns them one at a time, in command-line order. */
#ifndef MODPACK_CLI_H
#define MODPACK_CLI_H

#include <stddef.h>

#define MP_EXIT_USAGE 2

typedef struct mp_optspec {
    const char *name;        /* long name with its dashes: "--output" */
    char short_name;         /* 'o' for -o, or 0 */
    int has_value;           /* 1: takes a value */
    int id;                  /* > 0: what mp_cli_next returns for it */
    const char *deprecated;  /* non-NULL: the note printed when it is used */
} mp_optspec;

typedef struct mp_cli {
    const char *cmd;         /* command name, for messages */
    const char *usage;       /* printed for -h/--help */
    const mp_optspec *specs; /* ends with a zero entry */
    int argc;
    char **argv;
    int i;                   /* next argument */
    int only_operands;       /* after "--" */
    const char *value;       /* the option's value, or the operand */
    const char *opt;         /* the option as written ("--output", "-o") */
} mp_cli;

enum {
    MP_CLI_END = 0,          /* no arguments left */
    MP_CLI_OPERAND = -1,     /* c->value is an operand */
    MP_CLI_HELP = -2,        /* usage printed on stdout: exit 0 */
    MP_CLI_ERROR = -3        /* message printed on stderr: exit MP_EXIT_USAGE */
};

void mp_cli_init(mp_cli *c, const char *cmd, const char *usage, const mp_optspec *specs,
                 int argc, char **argv);
/* The next option's id (c->value its value, c->opt its spelling), or one of
 * the MP_CLI_ codes above. */
int mp_cli_next(mp_cli *c);

/* For a command of one operand (c->value just returned as MP_CLI_OPERAND):
 * keep it in *slot; 0, or MP_EXIT_USAGE after "more than one WHAT". */
int mp_cli_one_operand(const mp_cli *c, const char **slot, const char *what);

/* "modpack: CMD: MSG 'ARG'" and a hint on stderr; returns MP_EXIT_USAGE. */
int mp_usage_error(const char *cmd, const char *msg, const char *arg);

/* The image operands of a command that reads images (inspect, verify),
 * collected in order (free the array); an option whose id is below 32 sets
 * bit 1 << id in *flags. NULL after --help or a usage error, with *rc the
 * exit status. */
const char **mp_cli_images(mp_cli *c, unsigned *flags, size_t *n, int *rc);
/* "-" names standard input or standard output. */
int mp_is_stdio(const char *path);
/* The name messages use for path: "(standard input)" for "-". */
const char *mp_input_name(const char *path);

#endif
