/* output.c - atomic output: temp file + fsync + rename. A signal that
 * stops modpack while the temporary file exists removes it first. */
#define _POSIX_C_SOURCE 200809L
#include "output.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Devices and pipes cannot be renamed over (and must not be replaced). */
static int write_direct(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return mp_error("%s: %s", path, strerror(errno));
    if (write_all(fd, data, len) != 0) {
        int e = errno;
        close(fd);
        return mp_error("%s: write failed: %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return mp_error("%s: write failed: %s", path, strerror(errno));
    return 0;
}

/* The temporary file to remove if a signal ends the process. */
static const char *volatile pending_tmp;
static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ};
#define NCAUGHT (sizeof caught / sizeof caught[0])
static struct sigaction saved[NCAUGHT];

static void on_signal(int sig)
{
    const char *t = pending_tmp;
    if (t)
        unlink(t);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_tmp(const char *tmp)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    pending_tmp = tmp;
    for (size_t i = 0; i < NCAUGHT; i++) {
        sigaction(caught[i], NULL, &saved[i]);
        if (saved[i].sa_handler != SIG_IGN)   /* keep what the caller ignores */
            sigaction(caught[i], &sa, NULL);
    }
}

static void unguard_tmp(void)
{
    for (size_t i = 0; i < NCAUGHT; i++)
        sigaction(caught[i], &saved[i], NULL);
    pending_tmp = NULL;
}

static int write_atomic(const char *path, const void *data, size_t len, int links);

/* A symlink is followed: the file it names is replaced (or created), the
 * link stays. /dev/stdout, /dev/fd/N and /proc/self/fd/N name a descriptor
 * that some process holds open, so they are written to, never replaced. */
static int write_through(const char *link, const void *data, size_t len, int links)
{
    char hop[4096];
    ssize_t n = readlink(link, hop, sizeof hop - 1);
    if (n <= 0 || links >= 40 || strncmp(link, "/proc/", 6) == 0 ||
        strncmp(link, "/dev/", 5) == 0 || strncmp(hop, "/proc/", 6) == 0)
        return write_direct(link, data, len);
    hop[n] = 0;
    /* A relative target is relative to the link's directory. */
    const char *slash = strrchr(link, '/');
    int dirlen = hop[0] == '/' || !slash ? 0 : (int)(slash - link) + 1;
    size_t size = (size_t)dirlen + (size_t)n + 1;
    char *target = mp_malloc(size);
    snprintf(target, size, "%.*s%s", dirlen, link, hop);
    int rc = write_atomic(target, data, len, links + 1);
    free(target);
    return rc;
}

int mp_output_not_input(const char *out, const char *in)
{
    struct stat so, si;
    if (!out || !in || strcmp(out, "-") == 0 || strcmp(in, "-") == 0)
        return 0;
    if (stat(out, &so) != 0 || stat(in, &si) != 0)
        return 0;
    if (so.st_dev != si.st_dev || so.st_ino != si.st_ino)
        return 0;
    return mp_error("%s: is the input %s; writing it would replace the input: give another -o",
                    out, in);
}

/* mp_write_secret's: the file is made readable by its owner only. */
static int secret;

int mp_write_secret(const char *path, const void *data, size_t len)
{
    secret = 1;
    int rc = mp_write_atomic(path, data, len);
    secret = 0;
    return rc;
}

int mp_write_atomic(const char *path, const void *data, size_t len)
{
    if (strcmp(path, "-") == 0) {
        /* Standard output: not atomic, but written in one go once the
         * whole content is made. */
        if (fflush(stdout) != 0 || write_all(STDOUT_FILENO, data, len) != 0)
            return mp_error("standard output: write failed: %s", strerror(errno));
        return 0;
    }
    return write_atomic(path, data, len, 0);
}

static int write_atomic(const char *path, const void *data, size_t len, int links)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return write_through(path, data, len, links);
    int exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode))
        return write_direct(path, data, len);

    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return mp_error("%s: not a file name", path);
    size_t n = dirlen + strlen(base) + 16;
    char *tmp = mp_malloc(n);
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, base);

    /* Signals are held from creating the file until the handler knows it. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    int fd = mkstemp(tmp);
    if (fd >= 0)
        guard_tmp(tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return mp_error("%s: cannot create a temporary file next to it: %s", path, strerror(e));
    }
    mode_t mode;
    if (secret) {
        mode = 0600;
    } else if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    const char *what = "write failed";
    if (write_all(fd, data, len) != 0)
        goto fail;
    what = "fchmod failed";
    if (fchmod(fd, mode) != 0)
        goto fail;
    what = "fsync failed";
    if (fsync(fd) != 0)
        goto fail;
    what = "close failed";
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    what = "rename failed";
    if (rename(tmp, path) != 0)
        goto fail;
    unguard_tmp();
    free(tmp);
    return 0;

fail: {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        unguard_tmp();
        free(tmp);
        return mp_error("%s: %s: %s", path, what, strerror(e));
    }
}
