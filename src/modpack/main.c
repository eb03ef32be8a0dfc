/* main.c - the modpack command line: the table of commands (each in a
 * cmd_<name>.c of its own, or exports.c and stubs.c; commands.h) and the
 * dispatch, with help. Every command parses its arguments with cli.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "util.h"

#include "modformat.h"

static const char usage_help[] =
    "usage: modpack help [COMMAND]\n"
    "  the usage of COMMAND, or of every command\n";

static int cmd_help(int argc, char **argv);

/* The commands: each name, its function and its usage, once. */
typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"build", mp_cmd_build, mp_usage_build},
    {"inspect", mp_cmd_inspect, mp_usage_inspect},
    {"verify", mp_cmd_verify, mp_usage_verify},
    {"sign", mp_cmd_sign, mp_usage_sign},
    {"keygen", mp_cmd_keygen, mp_usage_keygen},
    {"relocate", mp_cmd_relocate, mp_usage_relocate},
    {"stubs", mp_cmd_stubs, mp_usage_stubs},
    {"exports", mp_cmd_exports, mp_usage_exports},
    {"help", cmd_help, usage_help},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "modpack %s - turn linked ELF modules into compact, checked images for modload\n\n",
            MODPACK_VERSION);
    /* The synopsis: the first usage line of each command. */
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *u = commands[i].usage + strlen("usage: ");
        fprintf(f, "%s%.*s\n", i ? "       " : "usage: ", (int)strcspn(u, "\n"), u);
    }
    fprintf(f, "       modpack --help | --version\n\n"
               "Options take a value as --opt VALUE, --opt=VALUE, -o VALUE or -oVALUE;\n"
               "-- ends the options; - as a file is standard input or output.\n");
    for (size_t i = 0; i + 1 < NCOMMANDS; i++)
        fprintf(f, "\n%s", commands[i].usage);
}

static int cmd_help(int argc, char **argv)
{
    mp_cli c;
    const char *topic = NULL;
    mp_cli_init(&c, "help", usage_help, NULL, argc, argv);
    for (int r; (r = mp_cli_next(&c)) != MP_CLI_END;) {
        if (r == MP_CLI_HELP)
            return 0;
        if (r == MP_CLI_ERROR)
            return MP_EXIT_USAGE;
        if (topic)
            return mp_usage_error("help", "one command at a time:", c.value);
        topic = c.value;
    }
    if (!topic) {
        usage(stdout);
        return 0;
    }
    const command *cmd = find_command(topic);
    if (!cmd)
        return mp_usage_error("help", "unknown command", topic);
    fputs(cmd->usage, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return mp_usage_error(NULL, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("modpack %s (image format %u.%u)\n", MODPACK_VERSION, MODP_VERSION_MAJOR, MODP_VERSION_MINOR);
        return 0;
    }
    const command *c = find_command(cmd);
    if (!c)
        return mp_usage_error(NULL, "unknown command", cmd);
    return c->run(argc - 2, argv + 2);
}
