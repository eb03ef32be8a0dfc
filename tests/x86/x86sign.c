/* x86sign.c - Ed25519 for the hosted x86-64 test firmware's signing
 * policy (testfw.c trust mode), through OpenSSL's libcrypto, the library
 * modpack signs with. One public key: its key id (spec section 13: the
 * first 8 bytes of SHA-256 of the raw key) selects it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

/* declared for testfw.c in testfw_arch.h, which needs testfw.c's context */
int fw_ed25519_load(const char *pem_path);
int fw_ed25519_verify(const uint8_t *id, const uint8_t *digest, const uint8_t *sig);

static EVP_PKEY *key;
static uint8_t key_id[8];

int fw_ed25519_load(const char *pem_path)
{
    FILE *f = fopen(pem_path, "r");
    uint8_t raw[32], d[32];
    size_t n = sizeof raw;
    if (!f)
        return 0;
    key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 || n != sizeof raw)
        return 0;
    EVP_Digest(raw, n, d, NULL, EVP_sha256(), NULL);
    memcpy(key_id, d, sizeof key_id);
    return 1;
}

int fw_ed25519_verify(const uint8_t *id, const uint8_t *digest, const uint8_t *sig)
{
    if (!key || memcmp(id, key_id, sizeof key_id) != 0)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, 64, digest, 32) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}
