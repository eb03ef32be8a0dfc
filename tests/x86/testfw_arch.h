/* testfw_arch.h - what tests/harness/testfw.c needs to know of i386 and x86-64:
 * the test firmware is a native Linux process (semihost.h over the C
 * library: hosted.c), its memory comes from mmap. */
#ifndef TESTFW_ARCH_H
#define TESTFW_ARCH_H

#include <stdint.h>
#include <sys/mman.h>

/* Functions may start at any byte. */
#define FW_FUNC_BIT 0u
#define FW_FUNC_OK(a) ((void)(a), 1)
#define FW_FUNC_KIND "an x86"

/* x86 keeps instruction fetch coherent with stores. */
static inline void fw_code_barrier(void)
{
}

#define FW_PIC_BASE 0

/* mmap at hint exactly (or anywhere when hint is 0): the mapping, or 0 */
static inline uint8_t *fw_map(void *hint, uint32_t size, int prot)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (hint ? MAP_FIXED_NOREPLACE : 0);
    void *p = mmap(hint, size, prot, flags, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    if (hint && p != hint) {
        munmap(p, size);
        return 0;
    }
    return p;
}

static inline uint8_t *fw_pool_alloc(uint32_t size)
{
    return fw_map(0, size, PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* One more pool, from 8 KiB below the address where the upper half of a
 * pointer changes (4 GiB on x86-64, 2 GiB on i386): a region at +0x1F00 has
 * its code below and its data above, so that adding the base carries into
 * the upper half of 64-bit words, or sets bit 31. 0 when it cannot be had
 * (ASan keeps its shadow there). */
#define FW_EDGE_POOL 1
static inline uint8_t *fw_edge_pool(uint32_t size)
{
    uintptr_t edge = (uintptr_t)1 << (sizeof(void *) == 8 ? 32 : 31);
    return fw_map((void *)(edge - 0x2000u), size, PROT_READ | PROT_WRITE | PROT_EXEC);
}

static inline void fw_pool_free(uint8_t *p, uint32_t size)
{
    munmap(p, size);
}

/* Split placement: code and data in mappings of their own, the code made
 * read-execute after the load. */
#define FW_SPLIT_MAPPED 1
static inline int fw_split_begin(fw_split *s, uint8_t *pool, uint32_t pool_size)
{
    (void)pool, (void)pool_size;
    s->size = 0x10000u;
    s->code_off = 0;
    s->flags = 0;
    s->code = fw_map(0, s->size, PROT_READ | PROT_WRITE);
    s->data = fw_map(0, s->size, PROT_READ | PROT_WRITE);
    return fw_check(s->code && s->data, "mmap for the split placement failed");
}

static inline void fw_split_seal(fw_split *s)
{
    fw_check(mprotect(s->code, s->size, PROT_READ | PROT_EXEC) == 0, "mprotect code r-x");
}

static inline void fw_split_end(fw_split *s)
{
    munmap(s->code, s->size);
    munmap(s->data, s->size);
}

/* What x86extra.c's x86_extra(sel, a) must return. */
static uint32_t ref_extra(uint32_t sel, uint32_t a)
{
    switch (sel) {
    case 0: return a + 11;
    case 1: return a * 7;
    case 2: return fw_mix(a, 3);
    case 3: return a << 3;
    case 4: return ~a;
    case 5: return fw_table[2] + a;
    case 6: return fw_table[3] ^ a;
    case 7: return a ? fw_mix(a, a) : 0;
    default: return 0xEEEEEEEEu;
    }
}

/* The x86 modules add x86extra.c: check x86_extra over the same pairs. */
#define FW_ARCH_RUN_CHECKS fw_x86_extra
static void fw_x86_extra(const fw_module *m, const uint32_t (*pairs)[2], unsigned npairs)
{
    modload_addr a;
    int err = modload_find(&m->mod, "x86_extra", &a);
    if (!fw_check(err == MODLOAD_OK, "modload_find(x86_extra): %s", modload_strerror(err)) ||
        !fw_check(a >= m->mod.code_run && a < m->mod.code_run + m->img.code_size, "x86_extra outside the code"))
        return;
    uint32_t (*extra)(uint32_t, uint32_t) = FW_FUNC(uint32_t (*)(uint32_t, uint32_t), a);
    unsigned bad = 0;
    for (uint32_t sel = 0; sel <= 9; sel++)
        for (unsigned p = 0; p < npairs; p++) {
            uint32_t got = extra(sel, pairs[p][0]), want = ref_extra(sel, pairs[p][0]);
            bad += !fw_check(got == want, "x86_extra(%u, 0x%x) = 0x%08x, expected 0x%08x", (unsigned)sel,
                             (unsigned)pairs[p][0], (unsigned)got, (unsigned)want);
        }
    fw_printf("x86_extra: %u of %u results right\n", 10 * npairs - bad, 10 * npairs);
}

/* The x86-64 harness links OpenSSL's libcrypto (x86sign.c) for real
 * Ed25519 verification in the trust mode's policy. */
#ifdef FW_ED25519
int fw_ed25519_load(const char *pem_path);
int fw_ed25519_verify(const uint8_t *key_id, const uint8_t *digest, const uint8_t *sig);
#endif

#endif
