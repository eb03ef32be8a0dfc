/* user.c - a module that imports lib_mul from the mathlib module (bound
 * by the registry at load time, like a firmware import). */
void fw_puts(const char *s);
int lib_mul(int a, int b);

int user_area(int w, int h)
{
    return lib_mul(w, h);
}

int user_volume(int w, int h, int d)
{
    return lib_mul(lib_mul(w, h), d);
}

int module_init(void)
{
    fw_puts("user: init\n");
    return 0;
}

void module_exit(void)
{
    fw_puts("user: exit\n");
}
