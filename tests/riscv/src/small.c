/* small.c - a module small enough that every address fits a 12-bit
 * immediate when linked at 0 (relaxation turns LUI+ADDI into x0-relative
 * GPREL_I), or a C.LUI when linked at 0x4000. */
extern int fw_value;
int counter = 5;
static int table[4] = {1, 2, 3, 4};
int module_init(void) { return counter + table[counter & 3] + fw_value; }
