/*
 * pl_key.h - Ed25519 keys (OpenSSL EVP): generation, PEM PKCS#8 private keys,
 * OpenSSH public lines, OpenSSH SHA256 fingerprints (our keyids), signing.
 * Private key material is wiped (OPENSSL_cleanse) when freed.
 */
#ifndef PL_KEY_H
#define PL_KEY_H

#include <stddef.h>

#include "pl_common.h"

typedef struct pl_key pl_key;

/* A fresh Ed25519 key pair. */
int pl_key_generate(pl_key **out);

/* Load a PEM PKCS#8 Ed25519 private key. Refuses (PL_EINVALID) a file with
 * any group or other permission bit, as ssh does: "<path>: permissions 0644
 * are too open (must be 0600)"; a missing file is PL_ENOTFOUND; anything but
 * an unencrypted Ed25519 PKCS#8 key is PL_EINVALID. */
int pl_key_load_private(pl_key **out, const char *path);

/* Write the private key as PEM PKCS#8 with mode 0600, atomically; refuses to
 * overwrite an existing file (PL_ECONFLICT); PL_EUSAGE for a public key. */
int pl_key_save_private(const pl_key *k, const char *path);

/* Parse "ssh-ed25519 AAAA... [comment]" (one line, trailing newline allowed).
 * comment (may be NULL) is replaced by the comment ("" when none).
 * PL_EINVALID on anything else: another key type, non-canonical base64, a
 * blob that is not exactly string("ssh-ed25519") || string(pub32). */
int pl_key_from_openssh(pl_key **out, pl_buf *comment, const char *line, size_t len);

/* A public key from its raw 32 bytes. */
int pl_key_from_raw(pl_key **out, const unsigned char pub[32]);

/* Append "ssh-ed25519 AAAA... comment" (no newline; no comment when NULL or
 * ""). PL_EINVALID when comment holds a line break. */
int pl_key_openssh(pl_buf *out, const pl_key *k, const char *comment);

/* The raw 32-byte public key. */
void pl_key_raw(const pl_key *k, unsigned char out[32]);

/* Append "SHA256:<base64 without padding>", exactly what `ssh-keygen -lf` prints. */
int pl_key_fingerprint(pl_buf *out, const pl_key *k);

/* 1 when k holds the private half, 0 otherwise. */
int pl_key_has_private(const pl_key *k);

/* Ed25519 signature of msg. PL_EUSAGE when k has no private half. */
int pl_key_sign(const pl_key *k, unsigned char sig[64], const void *msg, size_t len);

/* PL_OK when sig is k's signature of msg, PL_EVERIFY otherwise. */
int pl_key_verify(const pl_key *k, const unsigned char sig[64], const void *msg, size_t len);

/* A copy holding only the public half. */
int pl_key_public(pl_key **out, const pl_key *k);

void pl_key_free(pl_key *k); /* NULL-safe; wipes private material */

#endif
