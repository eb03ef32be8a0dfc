/* commands.h - the modpack commands main.c's table dispatches to: each one
 * runs with the arguments after its name and returns the exit status, and
 * has its usage text (printed for --help, by help, and in the synopsis). */
#ifndef MODPACK_COMMANDS_H
#define MODPACK_COMMANDS_H

#define MP_COMMAND(name)                                                                           \
    extern const char mp_usage_##name[];                                                           \
    int mp_cmd_##name(int argc, char **argv)

MP_COMMAND(build);      /* cmd_build.c */
MP_COMMAND(inspect);    /* cmd_inspect.c */
MP_COMMAND(verify);     /* cmd_verify.c */
MP_COMMAND(relocate);   /* cmd_relocate.c */
MP_COMMAND(stubs);      /* stubs.c */
MP_COMMAND(exports);    /* exports.c */
MP_COMMAND(sign);       /* cmd_sign.c */
MP_COMMAND(keygen);     /* cmd_keygen.c */

#undef MP_COMMAND

#endif
