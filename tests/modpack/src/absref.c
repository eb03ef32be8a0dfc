/* absref.c - firmware bound at link time (--defsym/--just-symbols): the
 * call goes through a veneer whose literal is absolute; no import. */
extern int fw_abs_func(int);
extern int fw_abs_var;
int module_init(void) { return fw_abs_func(fw_abs_var); }
