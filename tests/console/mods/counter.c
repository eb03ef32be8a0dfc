/* counter.c - a counter whose state survives a hot reload. Built three
 * times, all images named "counter": COUNTER_VERSION 1 adds n, version 2
 * adds n * 10, version 3 changed the state's layout and refuses the state
 * of the others. The console's reload hooks call reload_save on the old
 * version and reload_restore on the new one. */
#include <stdint.h>

#ifndef COUNTER_VERSION
#define COUNTER_VERSION 1
#endif

void fw_print_int(const char *label, int v);

struct counter_state {
    uint32_t magic;
    int32_t value;
    int32_t incs;
};
#if COUNTER_VERSION < 3
#define COUNTER_MAGIC 0x434e5452u
#else
#define COUNTER_MAGIC 0x434e5433u   /* another layout */
#endif

static struct counter_state st = { COUNTER_MAGIC, 0, 0 };

int counter_inc(int n)
{
#if COUNTER_VERSION == 1
    st.value += n;
#else
    st.value += n * 10;
#endif
    st.incs++;
    return st.value;
}

int counter_get(void)
{
    return st.value;
}

int counter_incs(void)
{
    return st.incs;
}

int counter_version(void)
{
    return COUNTER_VERSION;
}

uint32_t reload_save(void *buf, uint32_t room)
{
    uint8_t *d = buf;
    const uint8_t *s = (const uint8_t *)&st;
    if (room < sizeof st)
        return sizeof st;   /* the caller sees it does not fit */
    for (uint32_t i = 0; i < sizeof st; i++)
        d[i] = s[i];
    return sizeof st;
}

int reload_restore(const void *buf, uint32_t len)
{
    struct counter_state in;
    uint8_t *d = (uint8_t *)&in;
    const uint8_t *s = buf;
    if (len != sizeof in)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        d[i] = s[i];
    if (in.magic != COUNTER_MAGIC)
        return -2;
    st = in;
    return 0;
}

int module_init(void)
{
    fw_print_int("counter: init, version", COUNTER_VERSION);
    return 0;
}

void module_exit(void)
{
    fw_print_int("counter: exit, version", COUNTER_VERSION);
}
