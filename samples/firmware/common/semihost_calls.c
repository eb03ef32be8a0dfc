/* semihost_calls.c - the semihosting calls the harnesses use, the same on
 * ARM and RISC-V (the RISC-V specification reuses ARM's numbers and
 * argument blocks, whose fields are register-sized: 64-bit on rv64). Each
 * harness's semihost.c provides the trap, sh_trap, and sh_halt. */
#include "semihost.h"

#include <stddef.h>

static uint32_t sh_strlen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

int sh_open(const char *path, int mode)
{
    uintptr_t args[3] = { (uintptr_t)path, (uintptr_t)mode, sh_strlen(path) };
    return sh_trap(SH_SYS_OPEN, args);
}

int sh_close(int fd)
{
    uintptr_t args[1] = { (uintptr_t)fd };
    return sh_trap(SH_SYS_CLOSE, args);
}

int sh_read(int fd, void *buf, uint32_t len)
{
    uintptr_t args[3] = { (uintptr_t)fd, (uintptr_t)buf, len };
    return sh_trap(SH_SYS_READ, args);
}

int sh_flen(int fd)
{
    uintptr_t args[1] = { (uintptr_t)fd };
    return sh_trap(SH_SYS_FLEN, args);
}

void sh_write0(const char *s)
{
    sh_trap(SH_SYS_WRITE0, s);
}

int sh_get_cmdline(char *buf, uint32_t size)
{
    uintptr_t args[2] = { (uintptr_t)buf, size };
    if (size == 0)
        return -1;
    int r = sh_trap(SH_SYS_GET_CMDLINE, args);
    if (r != 0)
        return -1;
    buf[args[1] < size ? args[1] : size - 1] = '\0';
    return 0;
}

void sh_exit(int status)
{
    uintptr_t reason = status == 0 ? SH_ADP_STOPPED_APPLICATION_EXIT : SH_ADP_STOPPED_RUNTIME_ERROR;
#if UINTPTR_MAX > 0xFFFFFFFFu
    /* 64-bit semihosting: the argument is a block of reason and exit code */
    uintptr_t args[2] = { reason, (uintptr_t)status };
    sh_trap(SH_SYS_EXIT, args);
#else
    sh_trap(SH_SYS_EXIT, (const void *)reason);
#endif
    sh_halt(); /* if the host does not stop us */
}
