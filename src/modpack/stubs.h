/* stubs.h - `modpack stubs`: firmware-side stubs and table for hot reload. */
#ifndef MODPACK_STUBS_H
#define MODPACK_STUBS_H

extern const char mp_usage_stubs[];

/* The command: arguments after "stubs"; returns the exit status. */
int mp_cmd_stubs(int argc, char **argv);

#endif
