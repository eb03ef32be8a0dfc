/* hosted.c - semihost.h for the x86 test firmware, a native Linux process:
 * files through open/read, output to stdout, the command line from
 * /proc/self/cmdline (qemu-i386 emulates it too). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "semihost.h"

int sh_open(const char *path, int mode)
{
    (void)mode; /* always "rb" */
    return open(path, O_RDONLY);
}

int sh_close(int fd)
{
    return close(fd);
}

int sh_read(int fd, void *buf, uint32_t len)
{
    uint32_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (uint32_t)n;
    }
    return (int)(len - done);
}

int sh_flen(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (int)st.st_size : -1;
}

void sh_write0(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

int sh_get_cmdline(char *buf, uint32_t size)
{
    int fd = open("/proc/self/cmdline", O_RDONLY);
    if (fd < 0 || size == 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0 || (uint32_t)n == size - 1)
        return -1;
    /* argv words end in NULs: join them with spaces */
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
    return 0;
}

void sh_exit(int status)
{
    exit(status);
}
