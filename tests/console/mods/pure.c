/* pure.c - a module that refers to nothing by address: no calls, no
 * globals, no pointers. Linked with --emit-relocs it still has no
 * relocation sections, so it is packed with --no-relocs (modpack(1)),
 * and compressed. */
int module_init(void)
{
    return 0;
}

int pure_gcd(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}
