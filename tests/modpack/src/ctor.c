static int ready;
__attribute__((constructor)) static void setup(void) { ready = 1; }
int module_init(void) { return ready; }
