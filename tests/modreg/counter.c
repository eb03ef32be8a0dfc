/* counter: three versions (COUNTER_VERSION 1, 2, 3) of a stateful module
 * for the hot-reload tests; version 2 counts in steps of 10, version 3 in
 * steps of 100 and lacks counter_sum3 (a version 4 built with
 * -DCOUNTER_FAIL_INIT=N returns N from its init). counter_get and counter_set let the
 * reload hooks carry the count across (tests/modreg). */
#include "modreg_test.h"

#if COUNTER_VERSION == 1
#define STEP 1
#elif COUNTER_VERSION == 2
#define STEP 10
#else
#define STEP 100 /* and no counter_sum3: stubs bound to it cannot move here */
#endif

static int count;
static int initialised;       /* bss: zero until init ran */

int counter_next(void) { return count += STEP; }
int counter_get(void) { return count; }
void counter_set(int v) { count = v; }
int counter_version(void) { return initialised ? COUNTER_VERSION : -1; }
#if COUNTER_VERSION != 3
int counter_sum3(int a, int b, int c) { return a + b + c + COUNTER_VERSION * 1000; }
#endif

int module_init(void)
{
    initialised = 1;
    fw_note(NOTE_COUNTER_INIT + COUNTER_VERSION);
#ifdef COUNTER_FAIL_INIT
    return COUNTER_FAIL_INIT; /* a version that refuses to start (tests of rollback) */
#else
    return 0;
#endif
}

void module_exit(void) { fw_note(NOTE_COUNTER_EXIT - COUNTER_VERSION); }
