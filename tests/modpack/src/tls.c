__thread int per_thread = 3;
int module_init(void) { return per_thread; }
