/* fw.h - the install test firmware's helpers (startup.c). */
#ifndef FW_H
#define FW_H
int main(void);
int sh_call(int op, const void *arg);
void sh_puts(const char *s);
void sh_exit(int status) __attribute__((noreturn));
#endif
