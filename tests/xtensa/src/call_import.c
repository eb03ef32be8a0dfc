/* A call to the firmware compiled without -mlongcalls: a direct CALL0 to
 * an import, which modpack refuses naming -mlongcalls. */
extern int fw_func(int);
int module_init(void) { return fw_func(3) + 1; }
