/* counter.c - a module for the sample device (samples/device): a counter
 * whose step is its VERSION (build with -DVERSION=N), and whose count a
 * hot reload carries to the next version (reload_save, reload_restore). */
#include <stdint.h>

extern void dev_log(const char *s);     /* from the device */

static int count;

#ifdef MISSING_IMPORT
extern void dev_reboot(void);           /* the device has no such function */
#endif

int module_init(void)
{
    dev_log("counter: init");
#ifdef MISSING_IMPORT
    dev_reboot();
#endif
#ifdef FAIL_INIT
    return FAIL_INIT;                   /* a version that refuses to start */
#else
    return 0;
#endif
}

void module_exit(void) { dev_log("counter: exit"); }

int counter_next(void) { return count += VERSION; }
int counter_get(void) { return count; }
int counter_version(void) { return VERSION; }

/* The device's reload hooks: the old version saves, the new one restores. */
uint32_t reload_save(void *buf, uint32_t room)
{
    if (room < sizeof count)
        return 0;
    *(int *)buf = count;
    return sizeof count;
}

int reload_restore(const void *buf, uint32_t len)
{
    if (len != sizeof count)
        return -1;
    count = *(const int *)buf;
    return 0;
}
