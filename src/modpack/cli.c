/* cli.c - the one option parser of every modpack command (cli.h). */
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_cli_init(mp_cli *c, const char *cmd, const char *usage, const mp_optspec *specs,
                 int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->usage = usage;
    c->specs = specs;
    c->argc = argc;
    c->argv = argv;
}

int mp_usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "modpack: %s%s%s%s%s%s\n", cmd ? cmd : "", cmd ? ": " : "", msg,
            arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    if (cmd)
        fprintf(stderr, "Try 'modpack help %s'.\n", cmd);
    else
        fprintf(stderr, "Try 'modpack --help'.\n");
    return MP_EXIT_USAGE;
}

int mp_cli_one_operand(const mp_cli *c, const char **slot, const char *what)
{
    char msg[64];
    if (!*slot) {
        *slot = c->value;
        return 0;
    }
    snprintf(msg, sizeof msg, "more than one %s:", what);
    return mp_usage_error(c->cmd, msg, c->value);
}

static int found(mp_cli *c, const mp_optspec *s, const char *opt, const char *value)
{
    c->opt = opt;
    c->value = value;
    if (s->deprecated)
        fprintf(stderr, "modpack: %s: note: %s\n", c->cmd, s->deprecated);
    return s->id;
}

static int error(mp_cli *c, const char *msg, const char *arg)
{
    mp_usage_error(c->cmd, msg, arg);
    return MP_CLI_ERROR;
}

int mp_cli_next(mp_cli *c)
{
    if (c->i >= c->argc)
        return MP_CLI_END;
    const char *a = c->argv[c->i++];
    c->opt = NULL;
    c->value = NULL;
    if (c->only_operands || a[0] != '-' || a[1] == 0) {
        c->value = a;
        return MP_CLI_OPERAND;
    }
    if (strcmp(a, "--") == 0) {
        c->only_operands = 1;
        return mp_cli_next(c);
    }
    if (a[1] == '-') {
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "--help") == 0)
            goto help;
        for (const mp_optspec *s = c->specs; s && s->name; s++) {
            if (strlen(s->name) != n || strncmp(s->name, a, n) != 0)
                continue;
            if (!s->has_value) {
                if (eq)
                    return error(c, "option takes no value:", a);
                return found(c, s, a, NULL);
            }
            if (eq)
                return found(c, s, a, eq + 1);
            if (c->i >= c->argc)
                return error(c, "option needs a value:", a);
            return found(c, s, a, c->argv[c->i++]);
        }
        return error(c, "unknown option", a);
    }
    /* -x, -xVALUE, -x VALUE */
    if (a[1] == 'h' && a[2] == 0)
        goto help;
    for (const mp_optspec *s = c->specs; s && s->name; s++) {
        if (!s->short_name || s->short_name != a[1])
            continue;
        if (!s->has_value) {
            if (a[2])
                return error(c, "unknown option", a);
            return found(c, s, a, NULL);
        }
        if (a[2])
            return found(c, s, a, a + 2);
        if (c->i >= c->argc)
            return error(c, "option needs a value:", a);
        return found(c, s, a, c->argv[c->i++]);
    }
    return error(c, "unknown option", a);
help:
    if (c->usage)
        fputs(c->usage, stdout);
    return MP_CLI_HELP;
}

int mp_is_stdio(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

const char *mp_input_name(const char *path)
{
    return mp_is_stdio(path) ? "(standard input)" : path;
}

const char **mp_cli_images(mp_cli *c, unsigned *flags, size_t *n, int *rc)
{
    const char **v = mp_calloc((size_t)c->argc + 1, sizeof *v);
    *n = 0;
    for (int r; (r = mp_cli_next(c)) != MP_CLI_END;) {
        if (r == MP_CLI_HELP || r == MP_CLI_ERROR) {
            *rc = r == MP_CLI_HELP ? 0 : MP_EXIT_USAGE;
            free(v);
            return NULL;
        }
        if (r == MP_CLI_OPERAND)
            v[(*n)++] = c->value;
        else if (r > 0 && r < 32)
            *flags |= 1u << r;
    }
    if (!*n) {
        *rc = mp_usage_error(c->cmd, "no image given (IMG..., or - for standard input)", NULL);
        free(v);
        return NULL;
    }
    return v;
}
