/* fwutil.c - console, command line, file and module helpers, shared by the
 * harnesses of every ISA: each provides semihost.h (ARM and RISC-V
 * semihosting, or Linux system calls under qemu-user for Xtensa). */
#include "fwutil.h"

#include "semihost.h"

/* ---- console -------------------------------------------------------- */

static char outbuf[256];
static unsigned outlen;

static void out_flush(void)
{
    if (outlen) {
        outbuf[outlen] = '\0';
        sh_write0(outbuf);
        outlen = 0;
    }
}

static void out_char(char c)
{
    if (outlen == sizeof outbuf - 1)
        out_flush();
    outbuf[outlen++] = c;
}

static void out_num(uint32_t v, unsigned base, int upper, int width, char pad, int left, int neg)
{
    char tmp[12];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + (neg != 0);
    if (left)
        pad = ' ';
    if (neg && pad == '0')
        out_char('-');
    if (!left)
        for (int i = len; i < width; i++)
            out_char(pad);
    if (neg && pad != '0')
        out_char('-');
    while (n)
        out_char(tmp[--n]);
    if (left)
        for (int i = len; i < width; i++)
            out_char(' ');
}

void fw_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(*fmt);
            continue;
        }
        fmt++;
        int left = 0, width = 0;
        char pad = ' ';
        if (*fmt == '-') {
            left = 1;
            fmt++;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n = 0;
            if (!s)
                s = "(null)";
            while (s[n])
                n++;
            if (!left)
                for (int i = n; i < width; i++)
                    out_char(' ');
            for (int i = 0; i < n; i++)
                out_char(s[i]);
            if (left)
                for (int i = n; i < width; i++)
                    out_char(' ');
            break;
        }
        case 'c':
            out_char((char)va_arg(ap, int));
            break;
        case 'd': {
            int v = va_arg(ap, int);
            out_num(v < 0 ? 0u - (uint32_t)v : (uint32_t)v, 10, 0, width, pad, left, v < 0);
            break;
        }
        case 'u':
            out_num(va_arg(ap, unsigned), 10, 0, width, pad, left, 0);
            break;
        case 'x':
        case 'X':
            out_num(va_arg(ap, unsigned), 16, *fmt == 'X', width, pad, left, 0);
            break;
        case 'p':
            out_char('0');
            out_char('x');
            out_num((uint32_t)(uintptr_t)va_arg(ap, void *), 16, 0, 8, '0', 0, 0);
            break;
        case '%':
            out_char('%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            out_char('%');
            out_char(*fmt);
            break;
        }
    }
    out_flush();
}

void fw_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fw_vprintf(fmt, ap);
    va_end(ap);
}

/* ---- checks ---------------------------------------------------------- */

unsigned fw_checks, fw_failures;

int fw_check(int ok, const char *fmt, ...)
{
    va_list ap;
    fw_checks++;
    if (!ok) {
        fw_failures++;
        fw_printf("  FAIL: ");
        va_start(ap, fmt);
        fw_vprintf(fmt, ap);
        va_end(ap);
        fw_printf("\n");
    }
    return ok;
}

int fw_check_u32(const char *what, uint32_t got, uint32_t want)
{
    return fw_check(got == want, "%s = 0x%08x (%d), expected 0x%08x (%d)", what, (unsigned)got,
                    (int)got, (unsigned)want, (int)want);
}

/* ---- command line ----------------------------------------------------- */

static char cmdline[512];

int fw_args(char **argv, int maxargs)
{
    if (sh_get_cmdline(cmdline, sizeof cmdline) != 0)
        return -1;
    int argc = 0;
    char *p = cmdline;
    while (*p && argc < maxargs) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return argc;
}

/* ---- files ------------------------------------------------------------ */

int32_t fw_read_file(const char *path, uint8_t *buf, uint32_t cap)
{
    int fd = sh_open(path, 1 /* "rb" */);
    if (fd < 0) {
        fw_printf("cannot open %s\n", path);
        return -1;
    }
    int len = sh_flen(fd);
    if (len < 0 || (uint32_t)len > cap) {
        fw_printf("%s: length %d does not fit in %u bytes\n", path, len, (unsigned)cap);
        sh_close(fd);
        return -1;
    }
    int left = sh_read(fd, buf, (uint32_t)len);
    sh_close(fd);
    if (left != 0) {
        fw_printf("%s: short read\n", path);
        return -1;
    }
    return len;
}

/* ---- firmware export table ---------------------------------------------- */

static int sym_less(const modload_symbol *a, const modload_symbol *b)
{
    if (a->hash != b->hash)
        return a->hash < b->hash;
    const unsigned char *x = (const unsigned char *)a->name, *y = (const unsigned char *)b->name;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x < *y;
}

void fw_symtab_init(modload_symbol *syms, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        syms[i].hash = modload_hash(syms[i].name);
    /* insertion sort: the table is small and this keeps the firmware free
     * of qsort */
    for (uint32_t i = 1; i < n; i++) {
        modload_symbol s = syms[i];
        uint32_t j = i;
        while (j > 0 && sym_less(&s, &syms[j - 1])) {
            syms[j] = syms[j - 1];
            j--;
        }
        syms[j] = s;
    }
}

/* ---- loading -------------------------------------------------------------- */

int fw_load(const uint8_t *image, uint32_t len, uint8_t *pool, uint32_t room,
            const modload_env *env, fw_module *m)
{
    int err = modload_open(image, len, &m->img);
    if (err != MODLOAD_OK) {
        fw_printf("modload_open: %s (%d)\n", modload_strerror(err), err);
        return err;
    }
    uint32_t size = modload_region_size(&m->img);
    uint32_t align = modload_region_align(&m->img);
    uintptr_t at = ((uintptr_t)pool + align - 1) & ~(uintptr_t)(align - 1);
    uint32_t skip = (uint32_t)(at - (uintptr_t)pool);
    if (align == 0 || skip > room || room - skip < size) {
        fw_printf("module needs %u bytes aligned to %u; pool has %u\n", (unsigned)size,
                  (unsigned)align, (unsigned)room);
        return MODLOAD_ERR_SPACE;
    }
    m->mem = (uint8_t *)at;
    m->size = size;
    err = modload_place_region(&m->img, m->mem, room - skip, (modload_addr)at, &m->pl);
    if (err != MODLOAD_OK) {
        fw_printf("modload_place_region: %s (%d)\n", modload_strerror(err), err);
        return err;
    }
    err = modload_load(&m->img, &m->pl, env, &m->mod);
    if (err != MODLOAD_OK) {
        fw_printf("modload_load: %s (%d)\n", modload_strerror(err), err);
        return err;
    }
    return MODLOAD_OK;
}

void fw_describe(const fw_module *m)
{
    const modload_image *i = &m->img;
    fw_printf("module: %u bytes image, code %u, data %u, bss %u, %u fixups (%u bytes), "
              "%u imports, %u exports; placed at %p (%u bytes)\n",
              (unsigned)i->size, (unsigned)i->code_size, (unsigned)i->data_size,
              (unsigned)i->bss_size, (unsigned)i->nfixups, (unsigned)i->fixup_size,
              (unsigned)i->nimports, (unsigned)i->nexports, (void *)m->mem, (unsigned)m->size);
}
