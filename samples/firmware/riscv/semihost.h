/* semihost.h - RISC-V semihosting for firmware under QEMU
 * (-semihosting-config enable=on,target=native) or a debugger.
 *
 * A call is the sequence "slli x0,x0,0x1f; ebreak; srai x0,x0,7" with the
 * operation in a0 and a pointer to its arguments in a1 (the RISC-V
 * Semihosting specification); the numbers are ARM's. Only the calls the
 * harness needs.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdint.h>

#define SH_SYS_OPEN        0x01
#define SH_SYS_CLOSE       0x02
#define SH_SYS_WRITE0      0x04
#define SH_SYS_READ        0x06
#define SH_SYS_FLEN        0x0C
#define SH_SYS_GET_CMDLINE 0x15
#define SH_SYS_EXIT        0x18
#define SH_SYS_EXIT_EXTENDED 0x20

/* SYS_EXIT reasons (RV32 passes the reason itself in a1). QEMU exits with
 * status 0 for ApplicationExit and 1 for anything else. */
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026
#define SH_ADP_STOPPED_RUNTIME_ERROR    0x20023

/* Per ISA (semihost.c): one semihosting call; stop for good. */
int sh_trap(int op, const void *arg);
void sh_halt(void) __attribute__((noreturn));

/* The calls (../common/semihost_calls.c). */
int sh_open(const char *path, int mode);          /* mode 1 = "rb"; -1 on error */
int sh_close(int fd);
int sh_read(int fd, void *buf, uint32_t len);     /* bytes NOT read, -1 on error */
int sh_flen(int fd);                              /* file length or -1 */
void sh_write0(const char *s);                    /* NUL-terminated to the console */
int sh_get_cmdline(char *buf, uint32_t size);     /* 0 on success */
void sh_exit(int status) __attribute__((noreturn)); /* 0 pass, else fail */

#endif
