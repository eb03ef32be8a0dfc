/* semihost_calls.c - the semihosting calls the harnesses use, the same on
 * ARM and RISC-V (the RISC-V specification reuses ARM's numbers and
 * argument blocks). Each harness's semihost.c provides the trap, sh_trap,
 * and sh_halt. */
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
    uint32_t args[3] = { (uint32_t)(uintptr_t)path, (uint32_t)mode, sh_strlen(path) };
    return sh_trap(SH_SYS_OPEN, args);
}

int sh_close(int fd)
{
    uint32_t args[1] = { (uint32_t)fd };
    return sh_trap(SH_SYS_CLOSE, args);
}

int sh_read(int fd, void *buf, uint32_t len)
{
    uint32_t args[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)buf, len };
    return sh_trap(SH_SYS_READ, args);
}

int sh_flen(int fd)
{
    uint32_t args[1] = { (uint32_t)fd };
    return sh_trap(SH_SYS_FLEN, args);
}

void sh_write0(const char *s)
{
    sh_trap(SH_SYS_WRITE0, s);
}

int sh_get_cmdline(char *buf, uint32_t size)
{
    uint32_t args[2] = { (uint32_t)(uintptr_t)buf, size };
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
    sh_trap(SH_SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? SH_ADP_STOPPED_APPLICATION_EXIT
                                                                : SH_ADP_STOPPED_RUNTIME_ERROR));
    sh_halt(); /* if the host does not stop us */
}
