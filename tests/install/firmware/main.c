/* main.c - the install test's firmware: reads calc.mod through semihosting,
 * loads it with modload (compiled from the installed sources), binds its
 * import fw_scale, runs its init and prints what its export calc_sum
 * computes. Exits 0 when every modload call succeeded. */
#include <modload.h>
#include <stdint.h>

#include "fw.h"

int32_t fw_scale(int32_t v);
int32_t fw_scale(int32_t v)
{
    return v * 10;
}

static void put_int(int32_t v)
{
    char buf[12], *p = buf + sizeof buf;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    sh_puts(p);
}

static int fail(const char *what, int rc)
{
    sh_puts(what);
    sh_puts(": ");
    sh_puts(modload_strerror(rc));
    sh_puts("\n");
    return 1;
}

static int resolve(void *ctx, const char *name, uint32_t hash, modload_addr *addr)
{
    (void)ctx;
    (void)name;
    if (hash != modload_hash("fw_scale"))
        return -1;
    *addr = (modload_addr)(uintptr_t)&fw_scale;
    return 0;
}

static uint8_t image[8192] __attribute__((aligned(8)));
static uint8_t pool[8192] __attribute__((aligned(8)));

int main(void)
{
    static const char path[] = "calc.mod";
    uint32_t open_args[3] = { (uint32_t)(uintptr_t)path, 1 /* "rb" */, sizeof path - 1 };
    int fd = sh_call(0x01, open_args); /* SYS_OPEN */
    if (fd < 0) {
        sh_puts("cannot open calc.mod\n");
        return 1;
    }
    uint32_t fd_arg = (uint32_t)fd;
    int len = sh_call(0x0C, &fd_arg); /* SYS_FLEN */
    if (len <= 0 || (uint32_t)len > sizeof image)
        return fail("calc.mod size", MODLOAD_ERR_TRUNCATED);
    uint32_t read_args[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)image, (uint32_t)len };
    if (sh_call(0x06, read_args) != 0) /* SYS_READ: bytes not read */
        return fail("reading calc.mod", MODLOAD_ERR_TRUNCATED);
    sh_call(0x02, &fd_arg); /* SYS_CLOSE */

    modload_image img;
    int rc = modload_open(image, (size_t)len, &img);
    if (rc)
        return fail("modload_open", rc);
    modload_place pl;
    rc = modload_place_region(&img, pool, sizeof pool, (modload_addr)(uintptr_t)pool, &pl);
    if (rc)
        return fail("modload_place_region", rc);
    modload_env env = { 0 };
    env.resolve = resolve;
    modload_module mod;
    rc = modload_load(&img, &pl, &env, &mod);
    if (rc)
        return fail("modload_load", rc);
    int (*init)(void) = (int (*)(void))(uintptr_t)modload_entry(&mod);
    if (init() != 0) {
        sh_puts("module_init failed\n");
        return 1;
    }
    modload_addr a;
    rc = modload_find(&mod, "calc_sum", &a);
    if (rc)
        return fail("modload_find calc_sum", rc);
    int32_t (*calc_sum)(int32_t) = (int32_t (*)(int32_t))(uintptr_t)a;
    int32_t r1 = calc_sum(6), r2 = calc_sum(3);
    sh_puts("calc_sum(6) = ");
    put_int(r1);
    sh_puts(", calc_sum(3) = ");
    put_int(r2);
    sh_puts("\n");
    return 0;
}
