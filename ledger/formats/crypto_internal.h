/*
 * crypto_internal.h - helpers shared by key.c, sshsig.c, note.c and json.c:
 * SSH wire encoding (RFC 4251 §5: u32 big-endian, string = u32 length +
 * bytes), bcrypt_pbkdf and UTF-8 validation. Not part of the public API.
 */
#ifndef PL_CRYPTO_INTERNAL_H
#define PL_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_key.h"

int pl_ssh__put_u32(pl_buf *b, uint32_t v);
int pl_ssh__put_string(pl_buf *b, const void *data, size_t len);

/* A cursor over SSH wire data; the getters return -1 when too short. */
typedef struct {
	const unsigned char *p;
	size_t n;
} pl_ssh__reader;

int pl_ssh__get_u32(pl_ssh__reader *r, uint32_t *v);
int pl_ssh__get_string(pl_ssh__reader *r, const unsigned char **data, size_t *len);
/* 1 when the next string equals s (and consumes it), 0 otherwise. */
int pl_ssh__get_string_eq(pl_ssh__reader *r, const char *s);

/* string("ssh-ed25519") || string(pub32), appended to out. */
int pl_ssh__pubkey_blob(pl_buf *out, const pl_key *k);

/* Parse exactly a public key blob; PL_EINVALID on anything else (what names
 * the input in the message). */
int pl_ssh__key_from_blob(pl_key **out, const unsigned char *blob, size_t len, const char *what);

/* OpenBSD bcrypt_pbkdf(3) (bcrypt_pbkdf.c), the KDF of OpenSSH key files:
 * keylen bytes (1..1024) from pass (non-empty), salt (1 byte..1 MiB) and
 * rounds (>= 1); PL_EUSAGE on other parameters. */
int pl_bcrypt__pbkdf(uint8_t *key, size_t keylen, const void *pass, size_t passlen,
                     const uint8_t *salt, size_t saltlen, unsigned rounds);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF), 0 otherwise. */
int pl_utf8__valid(const char *s, size_t len);

#endif
