/* pcrel_import.c - medany code reaching a firmware variable PC-relatively. */
extern int fw_value;
int module_init(void) { return fw_value; }
