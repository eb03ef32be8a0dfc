/* modreg_test.h - what the tests/modreg modules and test firmware share. */
#ifndef MODREG_TEST_H
#define MODREG_TEST_H

/* The firmware records each init and exit. */
void fw_note(int what);

enum {
    NOTE_MATHLIB_INIT = 1, NOTE_MATHLIB_EXIT = -1,
    NOTE_USER_INIT = 2, NOTE_USER_EXIT = -2,
    NOTE_FAILINIT_INIT = 3, NOTE_FAILINIT_EXIT = -3,
    NOTE_COUNTER_INIT = 100, NOTE_COUNTER_EXIT = -100 /* +/- the version */
};

/* mathlib's exports, which user imports. */
int math_add(int a, int b);
int math_mul(int a, int b);
int user_calc(int x);

/* counter's exports: the stubs test calls them by these names. */
int counter_next(void);
int counter_get(void);
void counter_set(int v);
int counter_version(void);
int counter_sum3(int a, int b, int c);

#define BIG_BSS 40000

#endif
