/* modcxx.c - the C++ run-time support a module with global objects needs,
 * compiled into the module itself (freestanding C, no heap):
 *
 *   arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -c modcxx.c
 *
 * g++ constructs each global object from .init_array, which modload runs
 * (modload_run_init), and registers its destructor with __cxa_atexit
 * (ARM EABI: __aeabi_atexit), naming the module by &__dso_handle. Here the
 * registrations are kept in the module's own bss and run, last first, from
 * the module's .fini_array, which modload runs at unload
 * (modload_run_fini): so each module destroys its own objects, and nothing
 * of it is left in the firmware after it is gone.
 *
 * Everything here is hidden: it is the module's own, never an export.
 * At most MODCXX_MAX_DTORS objects with destructors (-DMODCXX_MAX_DTORS=N);
 * __cxa_atexit returns -1 beyond that, and those objects are not destroyed.
 */
#ifndef MODCXX_MAX_DTORS
#define MODCXX_MAX_DTORS 32
#endif

#define MODCXX_HIDDEN __attribute__((visibility("hidden")))

/* Any address unique to the module: g++ passes it, and nothing compares it. */
MODCXX_HIDDEN void *__dso_handle = &__dso_handle;

static struct {
    void (*fn)(void *);
    void *obj;
} dtors[MODCXX_MAX_DTORS];
static unsigned ndtors;

MODCXX_HIDDEN int __cxa_atexit(void (*fn)(void *), void *obj, void *dso);
MODCXX_HIDDEN int __aeabi_atexit(void *obj, void (*fn)(void *), void *dso);
MODCXX_HIDDEN void __cxa_pure_virtual(void);

int __cxa_atexit(void (*fn)(void *), void *obj, void *dso)
{
    (void)dso;
    if (ndtors == MODCXX_MAX_DTORS)
        return -1;
    dtors[ndtors].fn = fn;
    dtors[ndtors].obj = obj;
    ndtors++;
    return 0;
}

int __aeabi_atexit(void *obj, void (*fn)(void *), void *dso)
{
    return __cxa_atexit(fn, obj, dso);
}

/* A call through a vtable slot of an abstract class: a bug, stop here. */
void __cxa_pure_virtual(void)
{
    __builtin_trap();
}

static void run_dtors(void)
{
    while (ndtors) {
        ndtors--;
        dtors[ndtors].fn(dtors[ndtors].obj);
    }
}

static void (*const modcxx_fini)(void) __attribute__((section(".fini_array"), used)) = run_dtors;
