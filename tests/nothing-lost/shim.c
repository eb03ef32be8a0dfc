/* shim.c - LD_PRELOAD library that makes modpack's output fail on cue.
 *   SHIM_MODE=enospc   write() to a file (fd > 2) fails with ENOSPC once
 *                      SHIM_AFTER bytes have been written (a full disk)
 *   SHIM_MODE=eio      the same with EIO
 *   SHIM_MODE=fsync    fsync() fails with EIO
 *   SHIM_MODE=rename   rename() fails with EXDEV
 *   SHIM_MODE=kill     after SHIM_AFTER bytes, the process sends itself
 *                      SHIM_SIGNAL (a number; default SIGKILL) mid-write
 * Writes of at most SHIM_AFTER bytes go through; a larger write is cut to
 * what is left, as a disk that fills up does. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t written;

static const char *mode(void)
{
    const char *m = getenv("SHIM_MODE");
    return m ? m : "";
}

static size_t after(void)
{
    const char *a = getenv("SHIM_AFTER");
    return a ? (size_t)strtoul(a, NULL, 0) : 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    const char *m = mode();
    if (!real)
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (fd > 2 && (!strcmp(m, "enospc") || !strcmp(m, "eio") || !strcmp(m, "kill"))) {
        size_t left = after() > written ? after() - written : 0;
        if (left == 0) {
            if (!strcmp(m, "kill")) {
                const char *s = getenv("SHIM_SIGNAL");
                kill(getpid(), s ? atoi(s) : SIGKILL);
                sleep(5);
            }
            errno = !strcmp(m, "eio") ? EIO : ENOSPC;
            return -1;
        }
        if (n > left)
            n = left;
        ssize_t r = real(fd, buf, n);
        if (r > 0)
            written += (size_t)r;
        return r;
    }
    return real(fd, buf, n);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (!strcmp(mode(), "fsync")) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int rename(const char *a, const char *b)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (!strcmp(mode(), "rename")) {
        errno = EXDEV;
        return -1;
    }
    return real(a, b);
}
