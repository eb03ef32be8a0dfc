/* catmod.c - the real module the catalogue starts from: code and data
 * fixups (words and, with -mslow-flash-data, MOVW/MOVT pairs), named
 * imports (a function and a variable), exports in both segments, bss. */
extern int fw_get(int);
extern int fw_counter;

static int calls;                       /* bss */
int cat_table[4] = {1, 2, 3, 4};        /* data */
int *cat_ptrs[2] = {&cat_table[1], &calls};   /* data -> data, data -> bss */
int (*cat_hook)(int) = fw_get;          /* data -> import */
const char cat_msg[] = "catalogue";
const char *cat_msgp = cat_msg;         /* data -> code */

int module_init(void)
{
    calls++;
    return fw_get(fw_counter) + cat_table[0] + cat_hook(1);
}

void module_exit(void)
{
    calls = 0;
}

int cat_sum(int a, int b)
{
    return a + b + calls + *cat_ptrs[0];
}
