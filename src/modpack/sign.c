/* sign.c - keys, digests and signatures of signed images (sign.h), with
 * OpenSSL's libcrypto; the signature block is read with modload's own
 * parser (modload_sig_block), as the target reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"
#include "output.h"
#include "sign.h"

static int contains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return 1;
    return 0;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1; /* never prompt: an encrypted key is refused with a message */
}

mp_key *mp_key_read(const char *path, int need_private)
{
    uint8_t *text;
    size_t len;
    if (mp_read_file(path, &text, &len) != 0)
        return NULL;
    const char *hint = "make one with 'modpack keygen -o KEY.pem' or "
                       "'openssl genpkey -algorithm ed25519 -out KEY.pem'";
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    int is_public = 0;
    if (!k) {
        (void)BIO_reset(bio);
        k = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
        is_public = k != NULL;
    }
    BIO_free(bio);
    ERR_clear_error();
    int encrypted = contains(text, len, "ENCRYPTED");
    int pem = contains(text, len, "-----BEGIN ");
    free(text);
    path = mp_input_name(path);
    if (!k && encrypted) {
        mp_error("%s: an encrypted private key: modpack reads plain PEM keys only "
                 "('openssl pkey -in %s -out PLAIN.pem' decrypts it)", path, path);
        return NULL;
    }
    if (!k) {
        mp_error("%s: not a PEM key%s: %s", path, pem ? " modpack can read" : " (no -----BEGIN line)", hint);
        return NULL;
    }
    if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        mp_error("%s: key type %s; images are signed with Ed25519 keys only: %s", path,
                 EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "non-Ed25519", hint);
        EVP_PKEY_free(k);
        return NULL;
    }
    if (need_private && is_public) {
        mp_error("%s: a public key; signing needs the private key (the file 'modpack keygen -o' "
                 "wrote, or 'openssl genpkey -algorithm ed25519' made)", path);
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

void mp_key_free(mp_key *k)
{
    EVP_PKEY_free(k);
}

void mp_key_id(mp_key *k, uint8_t id[MODP_SIG_KEY_ID_SIZE])
{
    uint8_t raw[32], d[32];
    size_t n = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != sizeof raw) {
        mp_error("cannot read the raw Ed25519 public key");
        exit(1);
    }
    EVP_Digest(raw, n, d, NULL, EVP_sha256(), NULL);
    memcpy(id, d, MODP_SIG_KEY_ID_SIZE);
}

const char *mp_key_id_hex(const uint8_t *id, char out[2 * MODP_SIG_KEY_ID_SIZE + 1])
{
    for (unsigned i = 0; i < MODP_SIG_KEY_ID_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", id[i]);
    return out;
}

/* The PEM text write writes for k, into a fresh buffer. */
static int pem_of(mp_key *k, int private, char **text, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = private ? PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)
                     : PEM_write_bio_PUBKEY(bio, k);
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    if (ok != 1 || n <= 0 || !p) {
        BIO_free(bio);
        mp_error("cannot write the key as PEM");
        return -1;
    }
    *text = mp_malloc((size_t)n);
    memcpy(*text, p, (size_t)n);
    *len = (size_t)n;
    BIO_free(bio);
    return 0;
}

int mp_keygen(const char *path, const char *pub, uint8_t id[MODP_SIG_KEY_ID_SIZE])
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *priv_pem = NULL, *pub_pem = NULL;
    size_t priv_len = 0, pub_len = 0;
    int rc = -1;
    if (!k)
        return mp_error("cannot generate an Ed25519 key (libcrypto)");
    mp_key_id(k, id);
    /* The public key first: a failure leaves no private key without it. */
    if (pem_of(k, 1, &priv_pem, &priv_len) == 0 && pem_of(k, 0, &pub_pem, &pub_len) == 0 &&
        mp_write_atomic(pub, pub_pem, pub_len) == 0 && mp_write_secret(path, priv_pem, priv_len) == 0)
        rc = 0;
    if (priv_pem)
        OPENSSL_cleanse(priv_pem, priv_len);
    free(priv_pem);
    free(pub_pem);
    EVP_PKEY_free(k);
    return rc;
}

void mp_digest(const modload_image *img, uint8_t d[MODP_DIGEST_SIZE])
{
    EVP_Digest(img->base, img->size, d, NULL, EVP_sha256(), NULL);
}

static int ed25519_sign(mp_key *k, const uint8_t d[MODP_DIGEST_SIZE], uint8_t sig[MODP_SIG_SIZE])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = MODP_SIG_SIZE;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(ctx, sig, &n, d, MODP_DIGEST_SIZE) == 1 && n == MODP_SIG_SIZE;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : mp_error("Ed25519 signing failed (libcrypto)");
}

static int ed25519_verify(mp_key *k, const uint8_t d[MODP_DIGEST_SIZE], const uint8_t *sig)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, MODP_SIG_SIZE, d, MODP_DIGEST_SIZE) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* The image with its metadata's security record set to version: every
 * other record kept in order, the record last, sizes and CRC made anew. */
static void with_version(const modload_image *img, uint32_t version, mp_buf *out)
{
    uint32_t before = (uint32_t)(img->meta - img->base), pos = 0;
    modload_meta m;
    buf_put(out, img->base, before);
    while (modload_meta_next(img, &pos, &m) == MODLOAD_OK)
        if (m.type != MODP_META_SECURITY) {
            buf_u8(out, m.type);
            buf_u16(out, m.len);
            buf_put(out, m.bytes, m.len);
        }
    buf_u8(out, MODP_META_SECURITY);
    buf_u16(out, MODP_META_SECURITY_SIZE);
    buf_u32(out, version);
    wr32(out->p + MODP_H_META_SIZE, (uint32_t)(out->len - before));
    wr32(out->p + MODP_H_IMAGE_SIZE, (uint32_t)out->len + MODP_CRC_SIZE);
    buf_u32(out, modload_crc32(0, out->p, out->len));
}

int mp_sign_image(const char *name, const uint8_t *buf, size_t len, mp_key *key, int set_version,
                  uint32_t version, mp_buf *out)
{
    modload_image img;
    const uint8_t *sigs;
    uint32_t nsigs;
    int rc = modload_check(buf, len, &img);
    if (rc != MODLOAD_OK)
        return mp_error("%s: not a valid image: %s (modpack verify %s says more)", name,
                        modload_strerror(rc), name);
    if (modload_sig_block(&img, &sigs, &nsigs) != MODLOAD_OK)
        return mp_error("%s: the signature block after its %u bytes is malformed: sign the image "
                        "without it (the first %u bytes)", name, img.size, img.size);
    uint32_t old = modload_security_version(&img);
    mp_buf image = {0};
    if (set_version && nsigs && old != version)
        return mp_error("%s: has %u signature%s; setting its security version (%u, was %u) would "
                        "invalidate %s: give the same --security-version, or sign the unsigned image",
                        name, nsigs, nsigs == 1 ? "" : "s", version, old, nsigs == 1 ? "it" : "them");
    if (set_version && old != version) {
        with_version(&img, version, &image);
        rc = modload_check(image.p, image.len, &img);
        if (rc != MODLOAD_OK) {
            buf_free(&image);
            return mp_error("%s: internal error: the re-versioned image fails modload_check: %s", name,
                            modload_strerror(rc));
        }
    } else {
        buf_put(&image, buf, img.size);
        img.base = image.p; /* the rest of img describes the same bytes */
    }

    /* Signatures kept, one added (a key that signed already is not added
     * twice: Ed25519 signatures are deterministic). */
    mp_buf block = {0};
    uint32_t n = nsigs;
    buf_put(&block, sigs, (size_t)nsigs * MODP_SIG_ENTRY);
    if (key) {
        uint8_t id[MODP_SIG_KEY_ID_SIZE], d[MODP_DIGEST_SIZE], sig[MODP_SIG_SIZE];
        char hex[2 * MODP_SIG_KEY_ID_SIZE + 1];
        mp_key_id(key, id);
        int dup = 0;
        for (uint32_t i = 0; i < nsigs; i++)
            dup |= memcmp(sigs + (size_t)i * MODP_SIG_ENTRY, id, sizeof id) == 0;
        if (dup) {
            fprintf(stderr, "modpack: %s: note: already signed by key id %s\n", name, mp_key_id_hex(id, hex));
        } else if (n == 255) {
            buf_free(&image);
            buf_free(&block);
            return mp_error("%s: has 255 signatures, the most a block holds", name);
        } else {
            mp_digest(&img, d);
            if (ed25519_sign(key, d, sig) != 0) {
                buf_free(&image);
                buf_free(&block);
                return -1;
            }
            buf_put(&block, id, sizeof id);
            buf_put(&block, sig, sizeof sig);
            n++;
        }
    }
    *out = image;
    if (n) {
        uint8_t head[MODP_SIG_HEAD] = {0};
        for (unsigned i = 0; i < 4; i++) /* the magic's 4 bytes, no NUL */
            head[i] = (uint8_t)MODP_SIG_MAGIC[i];
        head[MODP_SIG_COUNT] = (uint8_t)n;
        head[MODP_SIG_ALG] = MODP_SIG_ALG_ED25519;
        buf_put(out, head, sizeof head);
        buf_put(out, block.p, block.len);
    }
    buf_free(&block);
    return 0;
}

int mp_verify_signatures(const char *name, const modload_image *img, mp_key **keys, size_t nkeys)
{
    const uint8_t *e;
    uint32_t n;
    char hex[2 * MODP_SIG_KEY_ID_SIZE + 1];
    if (modload_sig_block(img, &e, &n) != MODLOAD_OK) {
        mp_error("%s: the signature block after its %u bytes is malformed", name, img->size);
        return 1;
    }
    if (n == 0) {
        mp_error("%s: not signed (nothing follows its %u bytes): sign it with 'modpack sign %s "
                 "--key KEY.pem -o OUT'", name, img->size, name);
        return 1;
    }
    uint8_t d[MODP_DIGEST_SIZE];
    mp_digest(img, d);
    int matched = 0;
    for (uint32_t i = 0; i < n; i++, e += MODP_SIG_ENTRY) {
        for (size_t k = 0; k < nkeys; k++) {
            uint8_t id[MODP_SIG_KEY_ID_SIZE];
            mp_key_id(keys[k], id);
            if (memcmp(id, e, sizeof id) != 0)
                continue;
            matched++;
            if (ed25519_verify(keys[k], d, e + MODP_SIG_KEY_ID_SIZE)) {
                printf("%s: signature %u by key id %s verifies (security version %u)\n", name, i,
                       mp_key_id_hex(id, hex), modload_security_version(img));
                return 0;
            }
            mp_error("%s: signature %u (key id %s) does not verify: the image or the signature was "
                     "altered after signing", name, i, mp_key_id_hex(id, hex));
        }
    }
    if (!matched) {
        mp_error("%s: signed by %u key%s (key id %s%s), none of them a given --key", name, n,
                 n == 1 ? "" : "s", mp_key_id_hex(e - (size_t)n * MODP_SIG_ENTRY, hex),
                 n > 1 ? ", ..." : "");
    }
    return 1;
}

int mp_security_version(const char *cmd, const char *text, uint32_t *v)
{
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end || n > 0xFFFFFFFFull)
        return mp_usage_error(cmd, "--security-version takes a number from 0 to 4294967295, not", text);
    *v = (uint32_t)n;
    return 0;
}
