/* mergestr.c - the strings of a small hashing library, compiled twice
 * (MERGESTR_PART 1 and 2) and linked with `ld -r` to the test module for
 * the rel.diff "str" rows: literals that repeat across the two objects,
 * and tails of longer ones, which ld merges (SHF_MERGE|SHF_STRINGS
 * sections such as .rodata.str1.1) and modpack must merge the same way.
 * On x86 a floating-point constant in both objects exercises the merging
 * of fixed-size constants (.rodata.cst8) too. Nothing runs it: the rows
 * compare the placed bytes with ld's link. */
#if MERGESTR_PART == 1
#define F(n) hash1_##n
#else
#define F(n) hash2_##n
#endif

const char *F(name)(unsigned i)
{
    switch (i) {
    case 0: return "fnv1a-32";
    case 1: return "hmac-sha256";
#if MERGESTR_PART == 1
    case 2: return "sha256";            /* the tail of hmac-sha256 */
    case 3: return "crc32";
#else
    case 2: return "crc32";             /* the same literal as in part 1 */
    case 3: return "murmur3-32";
#endif
    default: return "unknown hash";
    }
}

const char *F(error)(int e)
{
    if (e == 1)
        return "invalid argument";
    if (e == 2)
        return "buffer too small";
#if MERGESTR_PART == 2
    if (e == 3)
        return "argument";              /* the tail of "invalid argument" */
#endif
    return "unknown hash";
}

unsigned F(hash)(const char *s)
{
    unsigned h = 0x811C9DC5u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x01000193u;
    return h;
}

#if defined(__x86_64__) || defined(__i386__)
double F(load)(double x)
{
    return x * 0.75 + 1.0 / 3.0;
}
#endif
