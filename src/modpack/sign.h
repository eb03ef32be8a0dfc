/* sign.h - signed images (formats/image-format.md section 13): Ed25519
 * keys, the SHA-256 digest and signatures, all through OpenSSL's
 * libcrypto (no cryptography of modpack's own). */
#ifndef MODPACK_SIGN_H
#define MODPACK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "modload.h"
#include "util.h"

struct evp_pkey_st;
typedef struct evp_pkey_st mp_key;

/* Read a PEM Ed25519 key (as `openssl genpkey -algorithm ed25519` or
 * `modpack keygen` write it). need_private: only a private key will do;
 * else a public key or a private one (its public half is used). NULL
 * after "modpack: PATH: why, and what to do". */
mp_key *mp_key_read(const char *path, int need_private);
void mp_key_free(mp_key *k);
/* The key id: the first 8 bytes of SHA-256 of the 32-byte raw public key. */
void mp_key_id(mp_key *k, uint8_t id[MODP_SIG_KEY_ID_SIZE]);
/* 16 hex digits, for messages. */
const char *mp_key_id_hex(const uint8_t *id, char out[2 * MODP_SIG_KEY_ID_SIZE + 1]);

/* Write a new key pair: the private key to path (mode 0600), the public
 * key to pub. 0, or -1 after a message. */
int mp_keygen(const char *path, const char *pub, uint8_t id[MODP_SIG_KEY_ID_SIZE]);

/* SHA-256 of an image's image_size bytes. */
void mp_digest(const modload_image *img, uint8_t d[MODP_DIGEST_SIZE]);

/* The image in buf (len bytes, name for messages) with its security
 * version set (when set_version) and, with key, one more signature, into
 * out: its image_size bytes, then the signature block. 0, or -1 after a
 * message. */
int mp_sign_image(const char *name, const uint8_t *buf, size_t len, mp_key *key, int set_version,
                  uint32_t version, mp_buf *out);

/* --security-version N: 0, or MP_EXIT_USAGE after a usage message. */
int mp_security_version(const char *cmd, const char *text, uint32_t *v);

/* modpack verify --key: 0 when some signature of the checked image img
 * verifies with one of keys; else 1 after a message naming why (unsigned,
 * no signature by a given key, a signature that does not verify). */
int mp_verify_signatures(const char *name, const modload_image *img, mp_key **keys, size_t nkeys);

#endif
