/* got.c - -fPIC code reaches a firmware variable through the GOT. */
extern int fw_value;
int module_init(void) { return fw_value; }
