/* catalogue.c - the malformed-image catalogue (tests/catalogue/README.md).
 *
 * Usage: catalogue MODULE.mod STRIPPED.mod SIGNED.mod COMPRESSED.mod OUTDIR
 *                  [--write-only | --table]
 *
 * Starts from a real module packed by modpack (and its --strip-names,
 * signed and --compress twins), takes it apart with modload, and puts it
 * back together with one
 * thing wrong per case: every size and count recomputed and the CRC made
 * right again unless the case is about them, so that exactly one rule is
 * broken. Each case names the modload error it must produce and the call
 * that must produce it (modload_check unless said otherwise). Fixup
 * streams are made with modpack's own encoder, so the cases do not depend
 * on how blocks are laid out, only on what they say.
 *
 * Writes every image to OUTDIR/NAME.mod (seeds for the fuzzers) and
 * OUTDIR/manifest.txt ("NAME CODE TEXT" for `modpack verify`), prints one
 * line per case and exits 1 if any case gives another code or any
 * modload_err code has no case (0 with --write-only, which the build uses
 * to make the fuzzers' seeds). --table prints the cases as the rows of
 * README.md's table instead, which run.sh compares with it.
 *
 * The signed twin is signed with the key of formats/image-format.md 13.5
 * (tests/sign/vector-key.pem) at security version 1. The minimal-profile
 * cases run the same calls in modload built with MODLOAD_PROFILE_MINIMAL,
 * a shared object (CATALOGUE_MINIMAL) opened beside the "all" profile
 * this program links.
 */
#include <dlfcn.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "encode.h"
#include "module.h"
#include "modload.h"
#include "util.h"

/* ---- an image taken apart ----------------------------------------------- */

typedef struct edit {
    uint32_t off, width, value;
} edit;

typedef struct model {
    uint8_t hdr[MODP_HEADER_COMPRESSED];
    uint32_t hsize;
    mp_buf code, data, fix, exp, str, meta; /* code and data as stored (deflate
                                             * when MODP_F_COMPRESSED) */
    mp_buf sig;            /* what follows the image: its signature block */
    edit post[8];          /* header edits after the sizes are computed */
    int npost;
    int bad_crc;           /* flip one CRC bit after computing it */
    int bad_block;         /* the signature block is malformed (modpack verify says so) */
    uint32_t cut;          /* bytes cut off the end of the assembled image */
} model;

/* The module, its stripped, signed and compressed twins (kase.src). */
enum source { PLAIN, STRIPPED, SIGNED, COMPRESSED, NSOURCES };
static model base, sbase, gbase, zbase;
static const char *const source_suffix[NSOURCES] = {"", "-stripped", "-signed", "-compressed"};
static mp_fixup base_fx[4096];
static mp_import base_imp[64];
static size_t base_nfx, base_nimp;

static void put_buf(mp_buf *b, const uint8_t *p, size_t n)
{
    b->len = 0;
    buf_put(b, p, n);
}

static void copy_model(model *dst, const model *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->hdr, src->hdr, sizeof dst->hdr);
    dst->hsize = src->hsize;
    put_buf(&dst->code, src->code.p, src->code.len);
    put_buf(&dst->data, src->data.p, src->data.len);
    put_buf(&dst->fix, src->fix.p, src->fix.len);
    put_buf(&dst->exp, src->exp.p, src->exp.len);
    put_buf(&dst->str, src->str.p, src->str.len);
    put_buf(&dst->meta, src->meta.p, src->meta.len);
    put_buf(&dst->sig, src->sig.p, src->sig.len);
}

static void free_model(model *m)
{
    buf_free(&m->code);
    buf_free(&m->data);
    buf_free(&m->fix);
    buf_free(&m->exp);
    buf_free(&m->str);
    buf_free(&m->meta);
    buf_free(&m->sig);
}

static void hset32(model *m, uint32_t off, uint32_t v) { wr32(m->hdr + off, v); }
static void set_flag(model *m, unsigned flag) { wr16(m->hdr + MODP_H_FLAGS, rd16(m->hdr + MODP_H_FLAGS) | flag); }
static uint32_t hget32(const model *m, uint32_t off) { return rd32(m->hdr + off); }
/* A header field set after the sizes are computed (sizes and image_size). */
static void post(model *m, uint32_t off, uint32_t width, uint32_t v)
{
    m->post[m->npost++] = (edit){off, width, v};
}
static uint32_t image_size(const model *m)
{
    return m->hsize + (uint32_t)(m->code.len + m->data.len + m->fix.len + m->exp.len + m->str.len +
                                 m->meta.len) + 4u;
}

static void assemble(const model *m, mp_buf *out)
{
    uint8_t h[MODP_HEADER_COMPRESSED];
    int i;
    out->len = 0;
    memcpy(h, m->hdr, sizeof h);
    wr32(h + MODP_H_IMAGE_SIZE, image_size(m));
    if (rd16(h + MODP_H_FLAGS) & MODP_F_COMPRESSED) {
        /* the sizes inflated stay; the stored ones follow the streams */
        wr32(h + MODP_H_CODE_STORED, (uint32_t)m->code.len);
        wr32(h + MODP_H_DATA_STORED, (uint32_t)m->data.len);
    } else {
        wr32(h + MODP_H_CODE_SIZE, (uint32_t)m->code.len);
        wr32(h + MODP_H_DATA_SIZE, (uint32_t)m->data.len);
    }
    wr32(h + MODP_H_FIXUP_SIZE, (uint32_t)m->fix.len);
    wr32(h + MODP_H_STRTAB_SIZE, (uint32_t)m->str.len);
    wr32(h + MODP_H_META_SIZE, (uint32_t)m->meta.len);
    for (i = 0; i < m->npost; i++) {
        const edit *e = &m->post[i];
        if (e->width == 1)
            h[e->off] = (uint8_t)e->value;
        else if (e->width == 2)
            wr16(h + e->off, e->value);
        else
            wr32(h + e->off, e->value);
    }
    buf_put(out, h, m->hsize < sizeof h ? m->hsize : sizeof h);
    while (out->len < m->hsize)
        buf_u8(out, 0);
    buf_put(out, m->code.p, m->code.len);
    buf_put(out, m->data.p, m->data.len);
    buf_put(out, m->fix.p, m->fix.len);
    buf_put(out, m->exp.p, m->exp.len);
    buf_put(out, m->str.p, m->str.len);
    buf_put(out, m->meta.p, m->meta.len);
    buf_u32(out, modload_crc32(0, out->p, out->len));
    if (m->bad_crc)
        out->p[out->len - 1] ^= 0x01;
    buf_put(out, m->sig.p, m->sig.len);
    out->len -= m->cut;
}

/* ---- taking the module apart ----------------------------------------------- */

typedef struct collect {
    modload_walker w;
    uint32_t nimp;
    int keep;
} collect;

static int on_import(modload_walker *w, const modload_import *imp)
{
    collect *c = (collect *)w;
    if (c->keep && base_nimp < 64) {
        base_imp[base_nimp].name = mp_strdup(imp->name);
        base_imp[base_nimp].hash = imp->hash;
        base_nimp++;
    }
    c->nimp++;
    return 0;
}

static int on_fixup(modload_walker *w, const modload_fixup *fx)
{
    collect *c = (collect *)w;
    if (c->keep && base_nfx < 4096)
        base_fx[base_nfx++] = (mp_fixup){.kind = fx->kind, .seg = fx->seg, .off = fx->offset,
                                         .off2 = fx->offset2, .target = fx->target};
    return 0;
}

static void take_apart(const char *path, model *m, int keep)
{
    uint8_t *buf;
    size_t len;
    modload_image img;
    collect c = {{on_import, on_fixup}, 0, keep};
    int rc;

    if (mp_read_file(path, &buf, &len) != 0)
        exit(2);
    if ((rc = modload_check(buf, len, &img)) != MODLOAD_OK || modload_walk(&img, &c.w) != MODLOAD_OK) {
        fprintf(stderr, "catalogue: %s: not a valid image: %s\n", path, modload_strerror(rc));
        exit(2);
    }
    memset(m, 0, sizeof *m);
    m->hsize = (uint32_t)(img.code - img.base);
    memcpy(m->hdr, buf, m->hsize < sizeof m->hdr ? m->hsize : sizeof m->hdr);
    put_buf(&m->code, img.code, img.code_stored);
    put_buf(&m->data, img.data, img.data_stored);
    put_buf(&m->fix, img.fixups, img.fixup_size);
    put_buf(&m->exp, img.exports, img.nexports * MODP_EXPORT_SIZE);
    put_buf(&m->str, img.strtab, img.strtab_size);
    put_buf(&m->meta, img.meta, img.meta_size);
    put_buf(&m->sig, buf + img.size, len - img.size);
    free(buf);
}

/* ---- fixup streams made by modpack's encoder ------------------------------ */

/* The stream for the given fixups (targets code/data only). */
static void set_stream(model *m, const mp_fixup *fx, size_t n)
{
    m->fix.len = 0;
    mp_encode_fixups(&m->fix, fx, n, NULL, 0, 0);
    hset32(m, MODP_H_NFIXUPS, (uint32_t)n);
    hset32(m, MODP_H_NIMPORTS, 0);
}

static void one_fixup(model *m, unsigned kind, unsigned seg, uint32_t off, uint32_t off2)
{
    mp_fixup f = {.kind = (uint8_t)kind, .seg = (uint8_t)seg, .off = off, .off2 = off2, .target = MODP_TGT_CODE};
    set_stream(m, &f, 1);
}

/* One group of one op, with the op's bytes replaced: the encoder writes a
 * lone site at offset 0 as one trailing byte (a run of one), a pair at
 * 0 and 4 as two (gap 0, delta 1 unit of 4). */
static void raw_op(model *m, unsigned kind, const uint8_t *op, size_t n, uint32_t nfixups)
{
    int pair = kind == MODP_FIX_THM_MOVW_MOVT || kind == MODP_FIX_ARM_MOVW_MOVT;
    one_fixup(m, kind, MODP_SEG_CODE, 0, pair ? 4 : 0);
    m->fix.len -= pair ? 2 : 1;
    buf_put(&m->fix, op, n);
    hset32(m, MODP_H_NFIXUPS, nfixups);
}

/* The module's own fixups with the import names, re-encoded. */
static void own_stream(model *m, int stripped)
{
    m->fix.len = 0;
    mp_encode_fixups(&m->fix, base_fx, base_nfx, base_imp, base_nimp, stripped);
}

static uint8_t *find_bytes(mp_buf *b, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, needle, n) == 0)
            return b->p + i;
    return NULL;
}

static uint8_t *export_entry(model *m, uint32_t i) { return m->exp.p + i * MODP_EXPORT_SIZE; }

/* ---- actions --------------------------------------------------------------- */

enum action {
    A_CHECK,        /* modload_check on the image */
    A_LOAD,         /* check, then one region with the firmware table, modload_load */
    A_LOAD_NOENV,   /* the same without any firmware symbols */
    A_LOAD_NODATA,  /* modload_load with data_write NULL */
    A_CHECK_NULL,   /* modload_check(NULL, ...) */
    A_ROOM_SHORT,   /* modload_place_region with one byte too few */
    A_CODE_ROOM,    /* modload_load with code_room one byte short */
    A_SYMTAB_ROOM,  /* modload_load with symtab_room one byte short */
    A_MISALIGNED,   /* modload_place_region at a run address off by 2 */
    A_XIP,          /* modload_load with code in place */
    A_SPLIT,        /* modload_load with data apart from the code */
    A_FIND,         /* load, then modload_find("no_such_symbol") */
    A_TRUNCATE,     /* modload_check at every length from 0 to size - 1 */
    A_LOAD_ABI,     /* A_LOAD with the firmware ABI cat_abi in the env */
    A_STREAM_FAIL,  /* stream it through a read callback that fails at byte 100 */
    A_OPEN_LOAD,    /* modload_open, then as A_LOAD: every check case again, the
                     * same error from one of the two, nothing written outside */
    A_POLICY,       /* A_LOAD with a signing policy: the vector key, minimum 1 */
    A_POLICY_OTHER, /* the same trusting another key only */
    A_POLICY_MIN2,  /* the vector key, minimum security version 2 */
    A_LOAD_PLAIN,   /* A_LOAD, and the region must hold what the plain module's does */
    A_MIN_CHECK,    /* A_CHECK in the minimal profile */
    A_MIN_LOAD,     /* A_LOAD in the minimal profile: the region as the "all" profile's */
    A_MIN_SPLIT,    /* A_SPLIT in the minimal profile */
    A_MIN_POLICY,   /* A_POLICY in the minimal profile */
    NACTIONS
};

static const char *const action_text[NACTIONS] = {
    "check", "load", "load, no firmware symbols", "load, data_write NULL", "check(NULL)",
    "place_region, room - 1", "load, code_room - 1", "load, symtab_room - 1",
    "place_region, run + 2", "load, code in place (XIP)", "load, split placement",
    "find(\"no_such_symbol\")", "check at every shorter length",
    "load, firmware ABI 2.1", "stream, read fails at 100", "open, then load",
    "load, policy: key, min 1", "load, policy: other key", "load, policy: key, min 2",
    "load, as the plain module", "minimal: check", "minimal: load", "minimal: split placement",
    "minimal: load, policy",
};

/* The firmware ABI of A_LOAD_ABI; the meta_abi cases record it or another. */
static const modload_abi cat_abi = {0xCA7AB1u, 2, 1};

static int fail_at_100(void *ctx, uint8_t *buf, uint32_t len)
{
    const uint8_t **p = ctx;
    if (len > 100 - (uint32_t)(p[0] - p[1]))
        return -1;
    memcpy(buf, p[0], len);
    p[0] += len;
    return (int)len;
}

static const modload_symbol *fw_table(uint32_t *n)
{
    static modload_symbol s[2];
    s[0] = (modload_symbol){modload_hash("fw_counter"), "fw_counter", 0x20000100u};
    s[1] = (modload_symbol){modload_hash("fw_get"), "fw_get", 0x00001235u};
    if (s[0].hash > s[1].hash) {
        modload_symbol t = s[0];
        s[0] = s[1];
        s[1] = t;
    }
    *n = 2;
    return s;
}

/* ---- the signing policy (spec 13.4) ---------------------------------------- */

/* Ed25519 public keys: RFC 8032's first test key, which signed the signed
 * twin (spec 13.5), and its second, which signed nothing here. */
static const uint8_t vector_key[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
static const uint8_t other_key[32] = {
    0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
    0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c};

/* A firmware's policy: signed images only, by the key ctx points to (its
 * key id selects it, then the signature must verify over the digest). */
static int accept_key(void *ctx, const modload_signature *s)
{
    const uint8_t *key = ctx;
    uint8_t id[MODLOAD_SHA256_SIZE];
    modload_sha256 sha;
    EVP_PKEY *k;
    EVP_MD_CTX *md;
    int ok;

    if (s->count == 0)
        return -1;
    modload_sha256_init(&sha);
    modload_sha256_update(&sha, key, 32);
    modload_sha256_final(&sha, id);
    if (memcmp(id, s->key_id, MODP_SIG_KEY_ID_SIZE) != 0)
        return -1;
    k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
    md = EVP_MD_CTX_new();
    ok = k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
         EVP_DigestVerify(md, s->sig, MODP_SIG_SIZE, s->digest, MODLOAD_SHA256_SIZE) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

/* ---- the two modload builds ------------------------------------------------ */

/* The calls of a load, from the "all" profile this program links or from
 * the minimal one (dlopen, RTLD_LOCAL: its own modload beside this one). */
typedef struct loader {
    int (*check)(const void *image, size_t len, modload_image *img);
    uint32_t (*region_size)(const modload_image *img);
    uint32_t (*symtab_size)(const modload_image *img);
    int (*place_region)(const modload_image *img, void *mem, uint32_t room, modload_addr run,
                        modload_place *pl);
    int (*load)(const modload_image *img, const modload_place *pl, const modload_env *env,
                modload_module *mod);
} loader;

static const loader all_profile = {modload_check, modload_region_size, modload_symtab_size,
                                   modload_place_region, modload_load};
/* The same with modload_open first: the fixup stream and its imports are
 * modload_load's to check, which must give modload_check's answer. */
static const loader open_first = {modload_open, modload_region_size, modload_symtab_size,
                                  modload_place_region, modload_load};
static loader minimal_profile;

static void open_minimal(void)
{
    void *h = dlopen(CATALOGUE_MINIMAL, RTLD_NOW | RTLD_LOCAL);
    loader *L = &minimal_profile;

    if (!h) {
        fprintf(stderr, "catalogue: %s\n", dlerror());
        exit(2);
    }
    L->check = (int (*)(const void *, size_t, modload_image *))dlsym(h, "modload_check");
    L->region_size = (uint32_t(*)(const modload_image *))dlsym(h, "modload_region_size");
    L->symtab_size = (uint32_t(*)(const modload_image *))dlsym(h, "modload_symtab_size");
    L->place_region = (int (*)(const modload_image *, void *, uint32_t, modload_addr,
                               modload_place *))dlsym(h, "modload_place_region");
    L->load = (int (*)(const modload_image *, const modload_place *, const modload_env *,
                       modload_module *))dlsym(h, "modload_load");
    if (!L->check || !L->region_size || !L->symtab_size || !L->place_region || !L->load ||
        (void *)L->check == (void *)modload_check) {
        fprintf(stderr, "catalogue: %s: not a modload of its own\n", CATALOGUE_MINIMAL);
        exit(2);
    }
}

static uint8_t mem[1 << 16] __attribute__((aligned(4096)));
static uint8_t mem_before[sizeof mem];
static uint8_t symtab[1 << 14];
static uint32_t loaded_room;  /* the region the last load filled */
static mp_buf plain;          /* the plain module, assembled */

/* Whether a byte past room in mem, or past symtab_room in symtab, lost
 * the fill it had before the load. */
static int wrote_outside(uint32_t room, uint32_t symtab_room)
{
    uint32_t i;

    for (i = room; i < sizeof mem; i++)
        if (mem[i] != 0xA5)
            return 1;
    for (i = symtab_room; i < sizeof symtab; i++)
        if (symtab[i] != 0xA5)
            return 1;
    return 0;
}

/* An action of the load family through loader L: -3 when the load wrote
 * outside the region or the symbol table it was given. */
static int load_with(const loader *L, enum action a, const uint8_t *p, size_t len)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = {0};
    modload_policy policy = {accept_key, (void *)vector_key, 1};
    modload_addr addr;
    uint32_t room;
    int rc;

    if ((rc = L->check(p, len, &img)) != MODLOAD_OK || a == A_CHECK)
        return rc;
    room = L->region_size(&img);
    /* These two write nothing: any claimed size will do. */
    if (a == A_ROOM_SHORT)
        return L->place_region(&img, mem, room - 1, (modload_addr)(uintptr_t)mem, &pl);
    if (a == A_MISALIGNED)
        return L->place_region(&img, mem, room, (modload_addr)(uintptr_t)mem + 2, &pl);
    if (room > sizeof mem || L->symtab_size(&img) > sizeof symtab)
        return -1;
    memset(mem, 0xA5, sizeof mem);
    memset(symtab, 0xA5, sizeof symtab);
    if ((rc = L->place_region(&img, mem, room, 0x20010000u, &pl)) != MODLOAD_OK)
        return rc;
    if (a != A_LOAD_NOENV)
        env.syms = fw_table(&env.nsyms);
    if (a == A_LOAD_ABI)
        env.abi = &cat_abi;
    if (a == A_POLICY_OTHER)
        policy.ctx = (void *)other_key;
    if (a == A_POLICY_MIN2)
        policy.min_security_version = 2;
    if (a == A_POLICY || a == A_POLICY_OTHER || a == A_POLICY_MIN2)
        env.policy = &policy;
    pl.symtab_write = symtab;
    pl.symtab_room = L->symtab_size(&img);
    switch (a) {
    case A_LOAD_NODATA: pl.data_write = NULL; break;
    case A_CODE_ROOM: pl.code_room = img.code_size - 1; break;
    case A_SYMTAB_ROOM: pl.symtab_room--; break;
    case A_XIP: pl.code_write = NULL; break;
    case A_SPLIT: pl.data_run += 0x1000; break;
    default: break;
    }
    loaded_room = room;
    rc = L->load(&img, &pl, &env, &mod);
    if (wrote_outside(room, pl.symtab_room))
        return -3;
    if (rc != MODLOAD_OK || a != A_FIND)
        return rc;
    if ((rc = modload_find(&mod, "cat_sum", &addr)) != MODLOAD_OK)
        return -2;
    return modload_find(&mod, "no_such_symbol", &addr);
}

/* A load of p through L that must fill the region as the reference
 * load (through R, of ref) did: -4 if the bytes differ. */
static int same_as(const loader *R, const uint8_t *ref, size_t ref_len, const loader *L,
                   const uint8_t *p, size_t len)
{
    uint32_t room;
    int rc;

    if ((rc = load_with(R, A_LOAD, ref, ref_len)) != MODLOAD_OK)
        return -4;
    room = loaded_room;
    memcpy(mem_before, mem, room);
    if ((rc = load_with(L, A_LOAD, p, len)) != MODLOAD_OK)
        return rc;
    return room == loaded_room && memcmp(mem, mem_before, room) == 0 ? MODLOAD_OK : -4;
}

static int act(enum action a, const uint8_t *p, size_t len)
{
    modload_image img;
    modload_place pl;
    modload_module mod;
    modload_env env = {0};
    int rc;

    switch (a) {
    case A_CHECK_NULL: return modload_check(NULL, len, &img);
    case A_OPEN_LOAD: return load_with(&open_first, A_LOAD, p, len);
    case A_LOAD_PLAIN: return same_as(&all_profile, plain.p, plain.len, &all_profile, p, len);
    case A_MIN_CHECK: return load_with(&minimal_profile, A_CHECK, p, len);
    case A_MIN_LOAD: return same_as(&all_profile, p, len, &minimal_profile, p, len);
    case A_MIN_SPLIT: return load_with(&minimal_profile, A_SPLIT, p, len);
    case A_MIN_POLICY: return load_with(&minimal_profile, A_POLICY, p, len);
    default: break;
    }
    if (a == A_STREAM_FAIL) {
        static modload_stream st;
        const uint8_t *cur[2] = {p, p};
        if ((rc = modload_stream_begin(&st, fail_at_100, cur, &img)) != MODLOAD_OK ||
            (rc = modload_place_region(&img, mem, sizeof mem, 0x20010000u, &pl)) != MODLOAD_OK)
            return rc;
        return modload_stream_load(&st, &img, &pl, &env, &mod);
    }
    if (a == A_TRUNCATE) {
        for (size_t n = 0; n < len; n++)
            if ((rc = modload_check(p, n, &img)) != MODLOAD_ERR_TRUNCATED) {
                fprintf(stderr, "  length %zu: %s\n", n, modload_strerror(rc));
                return rc;
            }
        return MODLOAD_ERR_TRUNCATED;
    }
    return load_with(&all_profile, a, p, len);
}

/* ---- the cases ---------------------------------------------------------------- */

typedef struct kase {
    const char *name;
    enum source src;    /* the module it starts from */
    enum action action;
    int err;
    void (*mutate)(model *m);
    const char *what;
} kase;

#define M(name) static void name(model *m)

M(nothing) { (void)m; }
/* header */
M(magic) { memcpy(m->hdr, "MODQ", 4); }
M(major2) { m->hdr[MODP_H_MAJOR] = 2; }
M(major0) { m->hdr[MODP_H_MAJOR] = 0; }
M(minor_newer) { m->hdr[MODP_H_MINOR] = 9; }
M(arch_mips) { wr16(m->hdr + MODP_H_ARCH, 8); }
M(arch_ffff) { wr16(m->hdr + MODP_H_ARCH, 0xFFFF); }
M(flag_unknown) { set_flag(m, 0x0010); }
M(flag_top) { set_flag(m, 0x8000); }
M(reserved) { m->hdr[MODP_H_RESERVED + 1] = 1; }
M(hsize_64) { post(m, MODP_H_HEADER_SIZE, 2, 64); }
M(hsize_76) { post(m, MODP_H_HEADER_SIZE, 2, 76); }
M(hsize_80) { m->hsize = 80; wr16(m->hdr + MODP_H_HEADER_SIZE, 80); }
M(code_align_13) { m->hdr[MODP_H_CODE_ALIGN] = 13; }
M(data_align_255) { m->hdr[MODP_H_DATA_ALIGN] = 255; }
M(size_plus4) { post(m, MODP_H_IMAGE_SIZE, 4, image_size(m) + 4); }
M(size_minus1) { post(m, MODP_H_IMAGE_SIZE, 4, image_size(m) - 1); }
/* code_size 0xFFFFFFF0, meta_size + code_size + 16: the 32-bit sum still matches */
M(code_size_wrap)
{
    post(m, MODP_H_CODE_SIZE, 4, 0xFFFFFFF0u);
    post(m, MODP_H_META_SIZE, 4, (uint32_t)(m->meta.len + m->code.len) + 16u);
}
/* 12 * (nexports + 0x15555555) = 12 * nexports - 4 (mod 2^32) */
M(nexports_wrap)
{
    hset32(m, MODP_H_NEXPORTS, hget32(m, MODP_H_NEXPORTS) + 0x15555555u);
    post(m, MODP_H_META_SIZE, 4, (uint32_t)m->meta.len + 4u);
}
M(fixup_size_wrap)
{
    post(m, MODP_H_FIXUP_SIZE, 4, (uint32_t)m->fix.len + 0x80000000u);
    post(m, MODP_H_META_SIZE, 4, (uint32_t)m->meta.len + 0x80000000u);
}
M(all_sizes_ffff)
{
    post(m, MODP_H_CODE_SIZE, 4, 0xFFFFFFFFu);
    post(m, MODP_H_DATA_SIZE, 4, 0xFFFFFFFFu);
    post(m, MODP_H_FIXUP_SIZE, 4, 0xFFFFFFFFu);
    post(m, MODP_H_STRTAB_SIZE, 4, 0xFFFFFFFFu);
    post(m, MODP_H_META_SIZE, 4, 0xFFFFFFFFu);
    post(m, MODP_H_NEXPORTS, 4, 0xFFFFFFFFu);
}
M(data_offset_low) { hset32(m, MODP_H_DATA_OFFSET, (uint32_t)m->code.len - 4u); }
M(data_offset_odd) { hset32(m, MODP_H_DATA_OFFSET, hget32(m, MODP_H_DATA_OFFSET) + 2u); }
M(bss_2g) { hset32(m, MODP_H_BSS_SIZE, 0x80000000u - hget32(m, MODP_H_DATA_OFFSET) - (uint32_t)m->data.len); }
M(bss_2g_minus1) { hset32(m, MODP_H_BSS_SIZE, 0x7FFFFFFFu - hget32(m, MODP_H_DATA_OFFSET) - (uint32_t)m->data.len); }
M(bss_wrap) { hset32(m, MODP_H_BSS_SIZE, 0x100000000ull - hget32(m, MODP_H_DATA_OFFSET) - m->data.len); }
M(data_offset_ffff) { hset32(m, MODP_H_DATA_OFFSET, 0xFFFFFFF8u); }
M(entry_end) { hset32(m, MODP_H_ENTRY, (uint32_t)m->code.len); }
M(entry_fffe) { hset32(m, MODP_H_ENTRY, 0xFFFFFFFEu); }
M(exit_end_thumb) { hset32(m, MODP_H_EXIT, (uint32_t)m->code.len + 1u); }
M(entry_none) { hset32(m, MODP_H_ENTRY, MODP_NONE); hset32(m, MODP_H_EXIT, MODP_NONE); }
M(crc_code) { m->bad_crc = 2; }
M(crc_field) { m->bad_crc = 1; }
/* fixup stream: syntax */
M(target_3) { static const uint8_t op[] = {0x01}; raw_op(m, MODP_FIX_WORD32, op, 1, 1); m->fix.p[0] |= 3; }
M(leb_33bits) { static const uint8_t op[] = {0x81, 0x80, 0x80, 0x80, 0x10}; raw_op(m, MODP_FIX_WORD32, op, 5, 1); }
M(leb_6bytes) { static const uint8_t op[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x00}; raw_op(m, MODP_FIX_WORD32, op, 6, 1); }
M(leb_unterminated) { static const uint8_t op[] = {0x81, 0x80}; raw_op(m, MODP_FIX_WORD32, op, 2, 1); }
M(stream_cut) { own_stream(m, 0); m->fix.len--; }
M(stream_extra) { own_stream(m, 0); buf_u8(&m->fix, 0x80); }
M(nfixups_plus1) { hset32(m, MODP_H_NFIXUPS, hget32(m, MODP_H_NFIXUPS) + 1u); }
M(nfixups_minus1) { hset32(m, MODP_H_NFIXUPS, hget32(m, MODP_H_NFIXUPS) - 1u); }
M(nfixups_ffff) { hset32(m, MODP_H_NFIXUPS, 0xFFFFFFFFu); }
M(nimports_plus1) { hset32(m, MODP_H_NIMPORTS, hget32(m, MODP_H_NIMPORTS) + 1u); }
M(head_bit7) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, 0, 0); m->fix.p[m->fix.len - 3] |= 0x80; }
/* exports now start inside the stream's last bytes (tables overlap) */
M(stream_into_exports)
{
    post(m, MODP_H_FIXUP_SIZE, 4, (uint32_t)m->fix.len + 12u);
    post(m, MODP_H_NEXPORTS, 4, hget32(m, MODP_H_NEXPORTS) - 1u);
}
/* fixup kinds */
M(kind_4) { one_fixup(m, 4, MODP_SEG_CODE, 0, 0); }
M(kind_15) { one_fixup(m, 15, MODP_SEG_CODE, 0, 0); }
/* fixup sites at the ends of the segments */
M(code_last4) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, (uint32_t)m->code.len - 4u, 0); }
M(code_last3) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, (uint32_t)m->code.len - 3u, 0); }
M(code_last2) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, (uint32_t)m->code.len - 2u, 0); }
M(code_last1) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, (uint32_t)m->code.len - 1u, 0); }
M(code_end) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_CODE, (uint32_t)m->code.len, 0); }
M(data_last4) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_DATA, (uint32_t)m->data.len - 4u, 0); }
M(data_last3) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_DATA, (uint32_t)m->data.len - 3u, 0); }
M(data_last1) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_DATA, (uint32_t)m->data.len - 1u, 0); }
M(w64_last8) { one_fixup(m, MODP_FIX_WORD64, MODP_SEG_DATA, (uint32_t)m->data.len - 8u, 0); }
M(w64_last7) { one_fixup(m, MODP_FIX_WORD64, MODP_SEG_DATA, (uint32_t)m->data.len - 7u, 0); }
M(w64_last4) { one_fixup(m, MODP_FIX_WORD64, MODP_SEG_DATA, (uint32_t)m->data.len - 4u, 0); }
M(w64_last1) { one_fixup(m, MODP_FIX_WORD64, MODP_SEG_DATA, (uint32_t)m->data.len - 1u, 0); }
M(bss_site) { one_fixup(m, MODP_FIX_WORD32, MODP_SEG_DATA, (uint32_t)m->data.len, 0); }
M(pair_second_last2)
{
    one_fixup(m, MODP_FIX_THM_MOVW_MOVT, MODP_SEG_CODE, 0, (uint32_t)m->code.len - 2u);
}
M(pair_delta_2_27)
{
    static const uint8_t op[] = {0x00, 0x80, 0x80, 0x80, 0xC0, 0x00}; /* gap 0, delta 2^27 */
    raw_op(m, MODP_FIX_THM_MOVW_MOVT, op, sizeof op, 1);
}
M(pair_delta_neg)
{
    static const uint8_t op[] = {0x00, 0x7F}; /* gap 0, delta -1 unit: before offset 0 */
    raw_op(m, MODP_FIX_THM_MOVW_MOVT, op, sizeof op, 1);
}
M(gap_2_31) { static const uint8_t op[] = {0xFE, 0xFF, 0xFF, 0xFF, 0x0F}; raw_op(m, MODP_FIX_WORD32, op, 5, 1); }
M(run_2_31) { static const uint8_t op[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}; raw_op(m, MODP_FIX_WORD32, op, 5, 0x80000000u); }
M(pair_not_movw) { one_fixup(m, MODP_FIX_THM_MOVW_MOVT, MODP_SEG_DATA, 0, 4); }
/* imports */
M(import_no_nul)
{
    uint8_t *p = find_bytes(&m->fix, "fw_get", 7);
    if (p)
        p[6] = 'x';
}
M(import_inner_nul)
{
    uint8_t *p = find_bytes(&m->fix, "fw_get", 7);
    if (p)
        p[3] = 0;
}
M(import_len_past_end)
{
    /* the last import block's name runs past the stream's end */
    uint8_t *p = find_bytes(&m->fix, "fw_get", 7);
    if (p)
        p[-1] = 0xFF;
}
M(nimports_minus1) { hset32(m, MODP_H_NIMPORTS, hget32(m, MODP_H_NIMPORTS) - 1u); }
/* The STRIPPED flag says how exports are named too: without exports only
 * the imports (checked after them) break the rule. */
static void no_exports(model *m)
{
    m->exp.len = m->str.len = 0;
    hset32(m, MODP_H_NEXPORTS, 0);
}
M(named_but_stripped) { no_exports(m); set_flag(m, MODP_F_STRIPPED); }
M(hash_but_named) { no_exports(m); wr16(m->hdr + MODP_H_FLAGS, rd16(m->hdr + MODP_H_FLAGS) & ~MODP_F_STRIPPED); }
M(hash_cut) { m->fix.len = 0; buf_u8(&m->fix, MODP_TGT_IMPORT); buf_u8(&m->fix, 0); buf_u8(&m->fix, 0xAB);
              hset32(m, MODP_H_NIMPORTS, 1); hset32(m, MODP_H_NFIXUPS, 0); }
/* exports */
M(export_code_end) { wr32(export_entry(m, 0) + 4, (uint32_t)m->code.len); export_entry(m, 0)[10] = MODP_SEG_CODE; }
M(export_data_end)
{
    wr32(export_entry(m, 0) + 4, (uint32_t)m->data.len + hget32(m, MODP_H_BSS_SIZE));
    export_entry(m, 0)[10] = MODP_SEG_DATA;
}
M(export_data_past) { export_data_end(m); wr32(export_entry(m, 0) + 4, rd32(export_entry(m, 0) + 4) + 1u); }
M(export_seg_2) { export_entry(m, 0)[10] = 2; }
M(export_type_0) { export_entry(m, 0)[11] = 0; }
M(export_type_3) { export_entry(m, 0)[11] = 3; }
M(export_name_past) { wr16(export_entry(m, 0) + 8, (uint32_t)m->str.len); }
M(export_name_ffff) { wr16(export_entry(m, 0) + 8, MODP_NO_NAME); }
M(export_name_mid) { wr16(export_entry(m, 0) + 8, rd16(export_entry(m, 0) + 8) + 1u); }
M(export_order)
{
    uint8_t t[MODP_EXPORT_SIZE];
    memcpy(t, export_entry(m, 0), sizeof t);
    memcpy(export_entry(m, 0), export_entry(m, 1), sizeof t);
    memcpy(export_entry(m, 1), t, sizeof t);
}
M(export_dup) { memcpy(export_entry(m, 1), export_entry(m, 0), MODP_EXPORT_SIZE); }
M(strtab_no_nul) { m->str.p[m->str.len - 1] = 'x'; }
M(stripped_named_export) { wr16(export_entry(m, 0) + 8, 0); }
/* the export table runs into the names: one more entry, 12 fewer name bytes */
M(exports_into_strtab)
{
    post(m, MODP_H_NEXPORTS, 4, hget32(m, MODP_H_NEXPORTS) + 1u);
    post(m, MODP_H_STRTAB_SIZE, 4, (uint32_t)m->str.len - 12u);
}
/* metadata */
M(meta_len_past) { wr16(m->meta.p + 1, (uint32_t)m->meta.len); }
M(meta_type_0) { m->meta.p[0] = 0; }
M(meta_no_nul) { m->meta.p[3 + rd16(m->meta.p + 1) - 1] = 'x'; }
M(meta_inner_nul) { m->meta.p[3] = 0; }
M(meta_short) { buf_u8(&m->meta, MODP_META_NAME); buf_u8(&m->meta, 0); }
M(meta_unknown) { buf_u8(&m->meta, 200); buf_u16(&m->meta, 2); buf_u16(&m->meta, 0xBEEF); }
/* firmware ABI (spec 10.1) */
static void abi_record(model *m, uint32_t id, unsigned major, unsigned minor, unsigned len)
{
    buf_u8(&m->meta, MODP_META_ABI);
    buf_u16(&m->meta, len);
    buf_u32(&m->meta, id);
    buf_u16(&m->meta, major);
    buf_u16(&m->meta, minor);
    m->meta.len -= 8 - len;
}
M(meta_abi) { abi_record(m, cat_abi.id, 2, 1, 8); }
M(meta_abi_older) { abi_record(m, cat_abi.id, 2, 0, 8); }
M(meta_abi_id) { abi_record(m, cat_abi.id ^ 0x10u, 2, 1, 8); }
M(meta_abi_major) { abi_record(m, cat_abi.id, 3, 1, 8); }
M(meta_abi_minor) { abi_record(m, cat_abi.id, 2, 2, 8); }
M(meta_abi_len7) { abi_record(m, cat_abi.id, 2, 1, 7); }
/* constructor lists (spec 10, MODP_META_INIT with MODP_F_INIT) */
static void init_record(model *m, uint32_t off, uint32_t n, int flag)
{
    buf_u8(&m->meta, MODP_META_INIT);
    buf_u16(&m->meta, MODP_META_INIT_SIZE);
    buf_u32(&m->meta, off);
    buf_u32(&m->meta, n);
    buf_u32(&m->meta, off);
    buf_u32(&m->meta, 0);
    if (flag)
        set_flag(m, MODP_F_INIT);
}
M(init_empty) { init_record(m, 0, 0, 1); }
M(init_no_flag) { init_record(m, 0, 0, 0); }
M(init_flag_alone) { set_flag(m, MODP_F_INIT); }
M(init_past_data) { init_record(m, 0, 0x10000, 1); }
M(init_unaligned) { init_record(m, 2, 1, 1); }
/* placement */
M(no_split) { wr16(m->hdr + MODP_H_FLAGS, rd16(m->hdr + MODP_H_FLAGS) & ~MODP_F_SPLIT); }
/* signatures (spec 13): the signed twin's block, one entry by the vector key */
M(security_len3) { buf_u8(&m->meta, MODP_META_SECURITY); buf_u16(&m->meta, 3); buf_u16(&m->meta, 2); buf_u8(&m->meta, 0); }
M(signed_code_bit) { m->code.p[m->code.len - 1] ^= 0x10; }
M(sig_bit) { m->sig.p[m->sig.len - 1] ^= 0x01; }
M(key_id_bit) { m->sig.p[MODP_SIG_HEAD] ^= 0x01; }
M(no_block) { m->sig.len = 0; }
M(block_7) { m->sig.len = 7; }
M(block_magic) { m->sig.p[3] = 'H'; }
M(block_count_0) { m->sig.p[MODP_SIG_COUNT] = 0; m->bad_block = 1; }
M(block_count_2) { m->sig.p[MODP_SIG_COUNT] = 2; m->bad_block = 1; }
M(block_alg_2) { m->sig.p[MODP_SIG_ALG] = 2; m->bad_block = 1; }
M(block_reserved) { m->sig.p[MODP_SIG_RESERVED + 1] = 1; m->bad_block = 1; }
M(block_cut) { m->sig.len--; m->bad_block = 1; }
/* compressed segments (spec 14): the compressed twin's raw deflate streams */
M(compressed_xip) { set_flag(m, MODP_F_XIP); }
/* the code as one stored block: LEN, then NLEN its complement (or not) */
static void stored_code(model *m, uint16_t nlen_flip)
{
    m->code.len = 0;
    buf_u8(&m->code, 0x01); /* BFINAL, BTYPE 00 */
    buf_u16(&m->code, (uint32_t)base.code.len);
    buf_u16(&m->code, (uint16_t)(~base.code.len ^ nlen_flip));
    buf_put(&m->code, base.code.p, base.code.len);
}
M(stored_block) { stored_code(m, 0); }
M(stored_nlen) { stored_code(m, 1); }
M(block_type_3) { m->code.p[0] |= 0x06; }
/* BFINAL, fixed codes, then length 3 (code 257: 0000001) at distance 1
 * (distance code 0: 00000) before any byte was inflated */
M(distance_far) { m->code.len = 0; buf_u8(&m->code, 0x03); buf_u8(&m->code, 0x02); }
M(code_stream_cut) { m->code.len--; }
M(data_stream_extra) { buf_u8(&m->data, 0); }
/* the plain data one byte longer or shorter, deflated by modpack */
static void data_deflated(model *m, size_t n)
{
    mp_buf d = {0};
    buf_put(&d, base.data.p, base.data.len);
    buf_u8(&d, 0);
    m->data.len = 0;
    if (mp_deflate(d.p, n, &m->data) != 0)
        exit(2);
    buf_free(&d);
}
M(data_longer) { data_deflated(m, base.data.len + 1); }
M(data_shorter) { data_deflated(m, base.data.len - 1); }

/* s: the module it starts from, 0 and 1 for PLAIN and STRIPPED */
#define T(name, s, a, e, what) {#name, s, a, MODLOAD_##e, name, what}
static const kase cases[] = {
    T(nothing, 0, A_LOAD, OK, "the module as modpack wrote it"),
    T(nothing, 1, A_LOAD, OK, "its --strip-names twin"),
    T(nothing, 0, A_TRUNCATE, ERR_TRUNCATED, "truncated at every length from 0 to its size - 1"),
    T(size_minus1, 0, A_CHECK, ERR_HEADER, "image_size one less than the parts"),
    T(magic, 0, A_CHECK, ERR_MAGIC, "magic MODQ"),
    T(major2, 0, A_CHECK, ERR_VERSION, "unknown major version 2"),
    T(major0, 0, A_CHECK, ERR_VERSION, "major version 0"),
    T(minor_newer, 0, A_LOAD, OK, "newer minor version 1.9 (readable)"),
    T(arch_mips, 0, A_CHECK, ERR_ARCH, "foreign ISA: MIPS (8), which no modload reads"),
    T(arch_ffff, 0, A_CHECK, ERR_ARCH, "arch 0xFFFF"),
    T(flag_unknown, 0, A_CHECK, ERR_HEADER, "undefined flag 0x0010"),
    T(flag_top, 0, A_CHECK, ERR_HEADER, "undefined flag 0x8000"),
    T(reserved, 0, A_CHECK, ERR_HEADER, "reserved field not 0"),
    T(hsize_64, 0, A_CHECK, ERR_HEADER, "header_size 64 (< 72)"),
    T(hsize_76, 0, A_CHECK, ERR_HEADER, "header_size 76 (not a multiple of 8)"),
    T(hsize_80, 0, A_LOAD, OK, "header_size 80, zero padding (a larger minor header)"),
    T(code_align_13, 0, A_CHECK, ERR_HEADER, "code alignment 2^13"),
    T(data_align_255, 0, A_CHECK, ERR_HEADER, "data alignment 2^255"),
    T(size_plus4, 0, A_CHECK, ERR_HEADER, "image_size 4 more than the parts"),
    T(code_size_wrap, 0, A_CHECK, ERR_HEADER, "code_size 0xFFFFFFF0, meta_size grown so that the 32-bit sum matches"),
    T(nexports_wrap, 0, A_CHECK, ERR_HEADER, "nexports + 0x15555555: 12 * nexports wraps to 4 less"),
    T(fixup_size_wrap, 0, A_CHECK, ERR_HEADER, "fixup_size and meta_size + 2^31: the sum wraps"),
    T(all_sizes_ffff, 0, A_CHECK, ERR_HEADER, "every size and nexports 0xFFFFFFFF"),
    T(data_offset_low, 0, A_CHECK, ERR_HEADER, "data_offset inside the code"),
    T(data_offset_odd, 0, A_CHECK, ERR_HEADER, "data_offset not aligned to the data"),
    T(data_offset_ffff, 0, A_CHECK, ERR_HEADER, "data_offset 0xFFFFFFF8: the region wraps"),
    T(bss_2g, 0, A_CHECK, ERR_HEADER, "one region of exactly 2^31 bytes"),
    T(bss_2g_minus1, 0, A_ROOM_SHORT, ERR_SPACE, "one region of 2^31 - 1 bytes (valid; no memory for it)"),
    T(bss_wrap, 0, A_CHECK, ERR_HEADER, "data_offset + data_size + bss_size = 2^32"),
    T(entry_end, 0, A_CHECK, ERR_HEADER, "entry = code_size"),
    T(entry_fffe, 0, A_CHECK, ERR_HEADER, "entry 0xFFFFFFFE"),
    T(exit_end_thumb, 0, A_CHECK, ERR_HEADER, "exit = code_size + 1 (Thumb bit)"),
    T(entry_none, 0, A_LOAD, OK, "no entry and no exit"),
    T(crc_code, 0, A_CHECK, ERR_CRC, "a code bit flipped, CRC not updated"),
    T(crc_field, 0, A_CHECK, ERR_CRC, "the stored CRC with one bit flipped"),
    T(target_3, 0, A_CHECK, ERR_IMPORT, "block target 3 (a weak import) without its import"),
    T(leb_33bits, 0, A_CHECK, ERR_FIXUP, "op uleb with a 33rd bit"),
    T(leb_6bytes, 0, A_CHECK, ERR_FIXUP, "op uleb of 6 bytes"),
    T(leb_unterminated, 0, A_CHECK, ERR_FIXUP, "op uleb runs off the stream's end"),
    T(stream_cut, 0, A_CHECK, ERR_FIXUP, "the module's stream, last byte cut"),
    T(stream_extra, 0, A_CHECK, ERR_FIXUP, "the module's stream, then a block head cut inside its uleb"),
    T(nfixups_plus1, 0, A_CHECK, ERR_FIXUP, "nfixups one more than the stream holds"),
    T(nfixups_minus1, 0, A_CHECK, ERR_FIXUP, "nfixups one less"),
    T(nfixups_ffff, 0, A_CHECK, ERR_FIXUP, "nfixups 0xFFFFFFFF"),
    T(nimports_plus1, 0, A_CHECK, ERR_FIXUP, "nimports one more than the import blocks"),
    T(head_bit7, 0, A_CHECK, ERR_FIXUP, "group head with bit 7 set"),
    T(stream_into_exports, 0, A_CHECK, ERR_IMPORT, "stream overlaps the first export entry (read as a weak import)"),
    T(kind_4, 0, A_CHECK, ERR_FIXUP_KIND, "reserved fixup kind 4"),
    T(kind_15, 0, A_CHECK, ERR_FIXUP_KIND, "reserved fixup kind 15"),
    T(code_last4, 0, A_CHECK, OK, "WORD32 on the last 4 code bytes (valid)"),
    T(code_last3, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at code_size - 3"),
    T(code_last2, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at code_size - 2"),
    T(code_last1, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at code_size - 1"),
    T(code_end, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at code_size"),
    T(data_last4, 0, A_CHECK, OK, "WORD32 on the last 4 data bytes (valid)"),
    T(data_last3, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at data_size - 3"),
    T(data_last1, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 at data_size - 1"),
    T(w64_last8, 0, A_CHECK, OK, "WORD64 on the last 8 data bytes (valid on a 64-bit loader)"),
    T(w64_last7, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD64 at data_size - 7"),
    T(w64_last4, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD64 at data_size - 4"),
    T(w64_last1, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD64 at data_size - 1"),
    T(bss_site, 0, A_CHECK, ERR_FIXUP_RANGE, "WORD32 in bss (at data_size)"),
    T(pair_second_last2, 0, A_CHECK, ERR_FIXUP_RANGE, "MOVW/MOVT pair, MOVT at code_size - 2"),
    T(pair_delta_2_27, 0, A_CHECK, ERR_FIXUP_RANGE, "MOVW/MOVT pair delta 2^27 units"),
    T(pair_delta_neg, 0, A_CHECK, ERR_FIXUP_RANGE, "MOVW/MOVT pair, MOVT before offset 0"),
    T(gap_2_31, 0, A_CHECK, ERR_FIXUP_RANGE, "gap of 2^31 - 1 units (<< unit overflows)"),
    T(run_2_31, 0, A_CHECK, ERR_FIXUP_RANGE, "run of 2^31 fixups"),
    T(pair_not_movw, 0, A_LOAD, ERR_FIXUP, "MOVW/MOVT pair on data bytes that are no MOVW (load)"),
    T(import_no_nul, 0, A_CHECK, ERR_IMPORT, "import name without its NUL"),
    T(import_inner_nul, 0, A_CHECK, ERR_IMPORT, "import name with a NUL inside"),
    T(import_len_past_end, 0, A_CHECK, ERR_IMPORT, "import name length 255, past the stream's end"),
    T(nimports_minus1, 0, A_CHECK, ERR_IMPORT, "import index = nimports"),
    T(named_but_stripped, 0, A_CHECK, ERR_IMPORT, "STRIPPED set, imports named (no exports)"),
    T(hash_but_named, 1, A_CHECK, ERR_IMPORT, "stripped imports, STRIPPED clear (no exports)"),
    T(hash_cut, 1, A_CHECK, ERR_IMPORT, "stripped import with 1 of its 4 hash bytes"),
    T(nothing, 0, A_LOAD_NOENV, ERR_UNRESOLVED, "imports, no firmware symbols"),
    T(nothing, 1, A_LOAD_NOENV, ERR_UNRESOLVED, "stripped imports, no firmware symbols"),
    T(export_code_end, 0, A_CHECK, ERR_EXPORT, "export value = code_size"),
    T(export_data_end, 0, A_CHECK, OK, "export value = data_size + bss_size (valid: end of data)"),
    T(export_data_past, 0, A_CHECK, ERR_EXPORT, "export value = data_size + bss_size + 1"),
    T(export_seg_2, 0, A_CHECK, ERR_EXPORT, "export segment 2"),
    T(export_type_0, 0, A_CHECK, ERR_EXPORT, "export type 0"),
    T(export_type_3, 0, A_CHECK, ERR_EXPORT, "export type 3"),
    T(export_name_past, 0, A_CHECK, ERR_EXPORT, "export name offset = strtab_size"),
    T(export_name_ffff, 0, A_CHECK, ERR_EXPORT, "export name 0xFFFF in a named image"),
    T(export_name_mid, 0, A_CHECK, ERR_EXPORT, "export name offset inside another name"),
    T(export_order, 0, A_CHECK, ERR_EXPORT, "exports not sorted by hash"),
    T(export_dup, 0, A_CHECK, ERR_EXPORT, "two exports with one hash"),
    T(strtab_no_nul, 0, A_CHECK, ERR_EXPORT, "string table's last byte not NUL"),
    T(stripped_named_export, 1, A_CHECK, ERR_EXPORT, "stripped image, export name offset 0"),
    T(exports_into_strtab, 0, A_CHECK, ERR_EXPORT, "export table overlaps the names"),
    T(meta_len_past, 0, A_CHECK, ERR_META, "metadata record longer than the rest"),
    T(meta_type_0, 0, A_CHECK, ERR_META, "metadata type 0"),
    T(meta_no_nul, 0, A_CHECK, ERR_META, "metadata string without NUL"),
    T(meta_inner_nul, 0, A_CHECK, ERR_META, "metadata string with a NUL inside"),
    T(meta_short, 0, A_CHECK, ERR_META, "metadata record cut inside its 3-byte head"),
    T(meta_unknown, 0, A_LOAD, OK, "unknown metadata type 200 (skipped)"),
    T(nothing, 0, A_CHECK_NULL, ERR_ARG, "modload_check(NULL)"),
    T(nothing, 0, A_LOAD_NODATA, ERR_ARG, "placement without data memory"),
    T(nothing, 0, A_ROOM_SHORT, ERR_SPACE, "one-region memory one byte short"),
    T(nothing, 0, A_CODE_ROOM, ERR_SPACE, "code memory one byte short"),
    T(nothing, 0, A_SYMTAB_ROOM, ERR_SPACE, "symbol table memory one byte short"),
    T(nothing, 0, A_MISALIGNED, ERR_ALIGN, "run address 2 bytes off"),
    T(nothing, 0, A_XIP, ERR_PLACEMENT, "code in place, image without XIP"),
    T(no_split, 0, A_SPLIT, ERR_PLACEMENT, "data moved from the code, image without SPLIT"),
    T(nothing, 0, A_SPLIT, OK, "the same with SPLIT (valid)"),
    T(nothing, 0, A_FIND, ERR_NOT_FOUND, "modload_find of a name not exported"),
    T(meta_abi, 0, A_LOAD_ABI, OK, "firmware ABI record matching the firmware's"),
    T(meta_abi_older, 0, A_LOAD_ABI, OK, "firmware ABI record of an older minor"),
    T(meta_abi_id, 0, A_LOAD_ABI, ERR_ABI, "firmware ABI record with another id"),
    T(meta_abi_major, 0, A_LOAD_ABI, ERR_ABI, "firmware ABI record with another major"),
    T(meta_abi_minor, 0, A_LOAD_ABI, ERR_ABI, "firmware ABI record with a newer minor"),
    T(meta_abi_id, 0, A_LOAD, OK, "the same without a firmware ABI (not compared)"),
    T(nothing, 0, A_LOAD_ABI, OK, "no ABI record, firmware ABI given"),
    T(meta_abi_len7, 0, A_CHECK, ERR_META, "firmware ABI record of 7 bytes"),
    T(init_empty, 0, A_LOAD, OK, "init flag and record, empty lists (valid)"),
    T(init_no_flag, 0, A_CHECK, ERR_META, "init record without the init flag"),
    T(init_flag_alone, 0, A_CHECK, ERR_META, "init flag without the init record"),
    T(init_past_data, 0, A_CHECK, ERR_META, "constructor list past the end of the data"),
    T(init_unaligned, 0, A_CHECK, ERR_META, "constructor list at an offset not a multiple of the pointer size"),
    T(nothing, 0, A_STREAM_FAIL, ERR_READ, "stream whose read callback fails"),
    /* signatures (spec 13) */
    T(nothing, SIGNED, A_POLICY, OK, "signed by the policy's key, security version 1"),
    T(nothing, SIGNED, A_LOAD, OK, "the same without a policy (the block is not read)"),
    T(nothing, SIGNED, A_POLICY_OTHER, ERR_SIGNATURE, "signed by a key the policy does not trust"),
    T(signed_code_bit, SIGNED, A_POLICY, ERR_SIGNATURE, "a code bit flipped, CRC made right: the signature fails"),
    T(sig_bit, SIGNED, A_POLICY, ERR_SIGNATURE, "a bit of the signature flipped"),
    T(key_id_bit, SIGNED, A_POLICY, ERR_SIGNATURE, "a bit of the key id flipped (selects no key)"),
    T(block_count_0, SIGNED, A_POLICY, ERR_SIGNATURE, "signature block count 0"),
    T(block_count_2, SIGNED, A_POLICY, ERR_SIGNATURE, "signature block count 2, one entry"),
    T(block_alg_2, SIGNED, A_POLICY, ERR_SIGNATURE, "signature block algorithm 2"),
    T(block_reserved, SIGNED, A_POLICY, ERR_SIGNATURE, "signature block reserved field not 0"),
    T(block_cut, SIGNED, A_POLICY, ERR_SIGNATURE, "signature block, last byte cut"),
    T(no_block, SIGNED, A_POLICY, ERR_UNSIGNED, "security version 1, no signature block"),
    T(block_7, SIGNED, A_POLICY, ERR_UNSIGNED, "7 bytes of the block after the image (no block)"),
    T(block_magic, SIGNED, A_POLICY, ERR_UNSIGNED, "block magic MSIH (no block)"),
    T(nothing, SIGNED, A_POLICY_MIN2, ERR_DOWNGRADE, "security version 1, firmware minimum 2"),
    T(nothing, 0, A_POLICY, ERR_DOWNGRADE, "no security record (version 0), firmware minimum 1"),
    T(security_len3, 0, A_CHECK, ERR_META, "security record of 3 bytes"),
    /* compressed segments (spec 14) */
    T(nothing, COMPRESSED, A_LOAD_PLAIN, OK, "compressed: loads the plain module's bytes"),
    T(stored_block, COMPRESSED, A_LOAD_PLAIN, OK, "code as one stored block (valid)"),
    T(stored_nlen, COMPRESSED, A_LOAD, ERR_INFLATE, "code as one stored block, NLEN not LEN's complement"),
    T(block_type_3, COMPRESSED, A_LOAD, ERR_INFLATE, "code stream's first block of type 3"),
    T(distance_far, COMPRESSED, A_LOAD, ERR_INFLATE, "code stream's first symbol a match at distance 1"),
    T(code_stream_cut, COMPRESSED, A_LOAD, ERR_INFLATE, "code stream, last byte cut"),
    T(data_stream_extra, COMPRESSED, A_LOAD, ERR_INFLATE, "data stream, then one more stored byte"),
    T(data_longer, COMPRESSED, A_LOAD, ERR_INFLATE, "data stream inflating to data_size + 1 bytes"),
    T(data_shorter, COMPRESSED, A_LOAD, ERR_INFLATE, "data stream inflating to data_size - 1 bytes"),
    T(compressed_xip, COMPRESSED, A_CHECK, ERR_HEADER, "COMPRESSED and XIP"),
    /* modload built with the minimal profile (include/modload_config.h) */
    T(nothing, 0, A_MIN_LOAD, OK, "the module, minimal profile (the same bytes)"),
    T(nothing, COMPRESSED, A_MIN_CHECK, ERR_PROFILE, "compressed, minimal profile (no inflater)"),
    T(nothing, SIGNED, A_MIN_POLICY, ERR_PROFILE, "a signing policy, minimal profile (no SHA-256)"),
    T(nothing, 0, A_MIN_SPLIT, ERR_PROFILE, "split placement, minimal profile"),
    T(init_empty, 0, A_MIN_LOAD, ERR_PROFILE, "init flag and record, minimal profile (no constructors)"),
};

/* Every modload_err code by name: a code added to modload.h stops the
 * build here until it is named, and fails the catalogue until a case gives it. */
static const char *const code_names[] = {
    "OK", "ERR_ARG", "ERR_TRUNCATED", "ERR_MAGIC", "ERR_VERSION", "ERR_ARCH", "ERR_HEADER",
    "ERR_CRC", "ERR_FIXUP", "ERR_FIXUP_KIND", "ERR_FIXUP_RANGE", "ERR_IMPORT", "ERR_UNRESOLVED",
    "ERR_EXPORT", "ERR_META", "ERR_SPACE", "ERR_ALIGN", "ERR_PLACEMENT", "ERR_NOT_FOUND",
    "ERR_READ", "ERR_ABI", "ERR_PROFILE", "ERR_UNSIGNED", "ERR_SIGNATURE", "ERR_DOWNGRADE",
    "ERR_INFLATE"};
typedef char every_code_named[sizeof code_names / sizeof code_names[0] == MODLOAD_ERR_COUNT ? 1 : -1];

static const char *code_name(int rc)
{
    static char buf[32];
    if (rc >= 0 && rc < MODLOAD_ERR_COUNT)
        return code_names[rc];
    snprintf(buf, sizeof buf, "(harness %d)", rc);
    return buf;
}

/* What `modpack verify` must say of an image (run.sh), or -1 when it does
 * not judge the case (a load's placement or environment): modload_check's
 * answer, and what it finds beyond: malformed deflate data, a malformed
 * signature block. */
static int verify_code(const kase *k, const model *m)
{
    if (k->action == A_CHECK || k->err == MODLOAD_ERR_INFLATE)
        return k->err;
    return m->bad_block ? MODLOAD_ERR_SIGNATURE : -1;
}

int main(int argc, char **argv)
{
    static model *const sources[NSOURCES] = {&base, &sbase, &gbase, &zbase};
    int seen[MODLOAD_ERR_COUNT] = {0}, failed = 0, table;
    size_t i;
    FILE *manifest;
    char path[4096];

    if (argc != 6 && !(argc == 7 && (strcmp(argv[6], "--write-only") == 0 || strcmp(argv[6], "--table") == 0))) {
        fprintf(stderr, "usage: catalogue MODULE.mod STRIPPED.mod SIGNED.mod COMPRESSED.mod OUTDIR "
                        "[--write-only | --table]\n");
        return 2;
    }
    table = argc == 7 && strcmp(argv[6], "--table") == 0;
    if (argc == 7 && !table && !freopen("/dev/null", "w", stdout))
        return 2;
    take_apart(argv[1], &base, 1);
    take_apart(argv[2], &sbase, 0);
    take_apart(argv[3], &gbase, 0);
    take_apart(argv[4], &zbase, 0);
    if (!gbase.sig.len || !(rd16(zbase.hdr + MODP_H_FLAGS) & MODP_F_COMPRESSED)) {
        fprintf(stderr, "catalogue: %s not signed or %s not compressed\n", argv[3], argv[4]);
        return 2;
    }
    assemble(&base, &plain);
    open_minimal();
    snprintf(path, sizeof path, "%s/manifest.txt", argv[5]);
    if (!(manifest = fopen(path, "w"))) {
        perror(path);
        return 2;
    }
    if (!table)
        printf("%-22s %-26s %-16s %-16s %s\n", "case", "call", "want", "got", "what");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const kase *k = &cases[i];
        model m;
        mp_buf img = {0};
        char name[128];
        int rc, vc;
        FILE *f;

        copy_model(&m, sources[k->src]);
        k->mutate(&m);
        if (m.bad_crc == 2) { /* crc_code: the flip comes after the CRC */
            m.bad_crc = 0;
            assemble(&m, &img);
            img.p[m.hsize] ^= 0x10;
        } else {
            assemble(&m, &img);
        }
        rc = act(k->action, img.p, img.len);
        snprintf(name, sizeof name, "%03zu-%s%s", i, k->name, source_suffix[k->src]);
        if (table)
            printf("| %s | %s | %s%s | %s |\n", name, action_text[k->action], k->err ? "MODLOAD_" : "",
                   k->err ? code_names[k->err] : "OK (valid)", k->what);
        else
            printf("%-22.22s %-26.26s %-16s %-16s %s\n", name, action_text[k->action], code_name(k->err),
                   code_name(rc), k->what);
        if (rc != k->err) {
            printf("  FAIL: %s gives %s (%s), want %s\n", name, code_name(rc),
                   rc >= 0 ? modload_strerror(rc) : "harness", code_name(k->err));
            failed = 1;
        } else {
            seen[rc] = 1;
        }
        if (k->action == A_CHECK && (rc = act(A_OPEN_LOAD, img.p, img.len)) != k->err) {
            printf("  FAIL: %s gives %s (%s) through %s, want %s\n", name, code_name(rc),
                   rc >= 0 ? modload_strerror(rc) : "harness", action_text[A_OPEN_LOAD], code_name(k->err));
            failed = 1;
        }
        snprintf(path, sizeof path, "%s/%s.mod", argv[5], name);
        if (!(f = fopen(path, "wb")) || fwrite(img.p, 1, img.len, f) != img.len || fclose(f) != 0) {
            perror(path);
            return 2;
        }
        if ((vc = verify_code(k, &m)) >= 0)
            fprintf(manifest, "%s.mod %d %s\n", name, vc, modload_strerror(vc));
        buf_free(&img);
        free_model(&m);
    }
    fclose(manifest);
    for (i = 0; i < MODLOAD_ERR_COUNT; i++)
        if (!seen[i]) {
            printf("FAIL: no case gives %s (%s)\n", code_name((int)i), modload_strerror((int)i));
            failed = 1;
        }
    if (!table)
        printf("%zu cases, every modload error code covered: %s\n", sizeof cases / sizeof cases[0],
               failed ? "NO" : "yes");
    return argc == 7 && !table ? 0 : failed;
}
