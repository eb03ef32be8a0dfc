/* semihost.h - the semihosting calls fwutil.c and tests/harness/testfw.c use,
 * implemented in hosted.c over the C library: on x86 the test firmware is a
 * native Linux process. */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdint.h>

int sh_open(const char *path, int mode);          /* mode 1 = "rb"; -1 on error */
int sh_close(int fd);
int sh_read(int fd, void *buf, uint32_t len);     /* bytes NOT read, -1 on error */
int sh_flen(int fd);                              /* file length or -1 */
void sh_write0(const char *s);                    /* NUL-terminated to stdout */
int sh_get_cmdline(char *buf, uint32_t size);     /* argv joined by spaces; 0 on success */
void sh_exit(int status) __attribute__((noreturn));

#endif
