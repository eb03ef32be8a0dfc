/* linux.c - the platform under the Xtensa harness: a freestanding program
 * for qemu-xtensa user mode (-cpu lx106; built with -mabi=windowed, -cpu
 * dc233c), with its own _start and raw Linux system calls instead of a C
 * library.
 *
 * Xtensa Linux system calls: the `syscall` instruction, the number in a2,
 * the arguments in a6, a3, a4, a5, a8, a9, the result in a2 (-4095..-1 is
 * -errno). The numbers are Xtensa's own (arch/xtensa/include/uapi/asm/
 * unistd.h), and so are the mmap flags (MAP_ANONYMOUS is 0x800, as on MIPS).
 */
#include <stddef.h>
#include <stdint.h>

#include "semihost.h"
#include "xtlinux.h"

#define NR_open       8
#define NR_close      9
#define NR_read       12
#define NR_write      13
#define NR_lseek      15
#define NR_mmap2      80
#define NR_munmap     81
#define NR_mprotect   82
#define NR_exit_group 119

#define XT_MAP_PRIVATE   0x002
#define XT_MAP_ANONYMOUS 0x800

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long a2 __asm__("a2") = nr;
    register long a6 __asm__("a6") = a;
    register long a3 __asm__("a3") = b;
    register long a4 __asm__("a4") = c;
    register long a5 __asm__("a5") = d;
    register long a8 __asm__("a8") = e;
    register long a9 __asm__("a9") = f;
    __asm__ volatile("syscall"
                     : "+r"(a2)
                     : "r"(a6), "r"(a3), "r"(a4), "r"(a5), "r"(a8), "r"(a9)
                     : "memory");
    return a2;
}

#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static int failed(long r)
{
    return r < 0 && r > -4096;
}

/* ---- memory ------------------------------------------------------------- */

void *xt_map(void *hint, uint32_t len, int prot)
{
    long r = sys6(NR_mmap2, (long)hint, (long)len, prot, XT_MAP_PRIVATE | XT_MAP_ANONYMOUS, -1, 0);
    return failed(r) ? 0 : (void *)r;
}

int xt_unmap(void *p, uint32_t len)
{
    return failed(sys3(NR_munmap, p, len, 0)) ? -1 : 0;
}

int xt_protect(void *p, uint32_t len, int prot)
{
    return failed(sys3(NR_mprotect, p, len, prot)) ? -1 : 0;
}

/* ---- "semihosting" ---------------------------------------------------------- */

static int g_argc;
static char **g_argv;

int sh_open(const char *path, int mode)
{
    (void)mode;
    long r = sys3(NR_open, path, 0 /* O_RDONLY */, 0);
    return failed(r) ? -1 : (int)r;
}

int sh_close(int fd)
{
    return failed(sys3(NR_close, fd, 0, 0)) ? -1 : 0;
}

int sh_read(int fd, void *buf, uint32_t len)
{
    uint8_t *p = buf;
    while (len) {
        long r = sys3(NR_read, fd, p, len);
        if (failed(r))
            return -1;
        if (r == 0)
            break;
        p += r;
        len -= (uint32_t)r;
    }
    return (int)len;
}

int sh_flen(int fd)
{
    long end = sys3(NR_lseek, fd, 0, 2 /* SEEK_END */);
    if (failed(end) || failed(sys3(NR_lseek, fd, 0, 0 /* SEEK_SET */)))
        return -1;
    return (int)end;
}

void sh_write0(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    while (n) {
        long r = sys3(NR_write, 1, s, n);
        if (failed(r) || r == 0)
            return;
        s += r;
        n -= (size_t)r;
    }
}

int sh_get_cmdline(char *buf, uint32_t size)
{
    uint32_t k = 0;
    for (int i = 0; i < g_argc; i++) {
        for (const char *s = g_argv[i]; *s; s++) {
            if (k + 2 >= size)
                return -1;
            buf[k++] = *s;
        }
        if (i + 1 < g_argc)
            buf[k++] = ' ';
    }
    buf[k] = '\0';
    return 0;
}

void sh_exit(int status)
{
    for (;;)
        sys3(NR_exit_group, status, 0, 0);
}

/* ---- ROM division helpers ------------------------------------------------------ */

uint32_t __udivsi3(uint32_t a, uint32_t b)
{
    uint32_t q = 0, r = 0;
    if (b == 0)
        return 0xFFFFFFFFu;
    for (int i = 31; i >= 0; i--) {
        r = r << 1 | (a >> i & 1u);
        if (r >= b) {
            r -= b;
            q |= 1u << i;
        }
    }
    return q;
}

uint32_t __umodsi3(uint32_t a, uint32_t b)
{
    return b ? a - __udivsi3(a, b) * b : a;
}

int32_t __divsi3(int32_t a, int32_t b)
{
    uint32_t ua = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    uint32_t ub = b < 0 ? 0u - (uint32_t)b : (uint32_t)b;
    uint32_t q = __udivsi3(ua, ub);
    return (int32_t)((a < 0) != (b < 0) ? 0u - q : q);
}

/* ---- start ------------------------------------------------------------------------ */

int main(void);
void xt_start(long *sp) __attribute__((noreturn, used));

/* The kernel (and qemu-user) enters with a1 = sp -> argc, argv[], NULL,
 * envp[]. */
#ifdef __XTENSA_WINDOWED_ABI__
/* Windowed: a0 = 0 marks the outermost frame. CALLX4, not CALLX8: when the
 * window spills _start's frame, a call4 frame saves only a0..a3 (into the
 * top of xt_start's frame), while a call8 frame would also save a4..a7 into
 * its caller's frame, which _start does not have. (The lx106 assembler does
 * not know CALLX4: tests/xtensa/winasm.py rewrites it as bytes.) */
__asm__(".section .text._start, \"ax\"\n"
        ".global _start\n"
        ".align 4\n"
        "_start:\n"
        "  movi a0, 0\n"
        "  mov a6, a1\n"
        "  movi a4, xt_start\n"
        "  callx4 a4\n"
        "  ill\n"
        ".previous\n");
#else
__asm__(".section .text._start, \"ax\"\n"
        ".global _start\n"
        ".align 4\n"
        "_start:\n"
        "  mov a2, a1\n"
        "  movi a0, 0\n"
        "  call0 xt_start\n"
        "  ill\n"
        ".previous\n");
#endif

void xt_start(long *sp)
{
    g_argc = (int)sp[0];
    g_argv = (char **)(sp + 1);
    sh_exit(main());
}
