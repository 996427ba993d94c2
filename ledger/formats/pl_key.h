/*
 * pl_key.h - Ed25519 keys (OpenSSL EVP): generation, private key files (PEM
 * PKCS#8, and OpenSSH's own format, plain or passphrase-protected), keys held
 * by ssh-agent, OpenSSH public lines, OpenSSH SHA256 fingerprints (our
 * keyids), signing. Private key material is wiped (OPENSSL_cleanse) when
 * freed; the library never prompts: passphrases come through a callback.
 */
#ifndef PL_KEY_H
#define PL_KEY_H

#include <stddef.h>

#include "pl_common.h"

typedef struct pl_key pl_key;

/* A fresh Ed25519 key pair. */
int pl_key_generate(pl_key **out);

/* Largest private key or passphrase file read, in bytes. */
#define PL_KEY_MAX_FILE 65536

/* Options of pl_key_load_private_ex; zero-initialise (fields may be added at
 * the end). */
typedef struct {
	/* Called at most once, and only for a passphrase-protected key, with the
	 * key file's path: append the passphrase to out (empty on entry) and
	 * return PL_OK, or return a negative code after pl_error_set (the load
	 * then fails with that code and message). The library owns out: it
	 * wipes and frees it. NULL: a protected key is refused (PL_EINVALID). */
	int (*passphrase)(void *ctx, pl_buf *out, const char *path);
	void *passphrase_ctx; /* handed to passphrase as ctx */
} pl_key_load_opts;

/* Load an Ed25519 private key file: PEM PKCS#8 (unencrypted), or an OpenSSH
 * private key as `ssh-keygen -t ed25519` writes it ("-----BEGIN OPENSSH
 * PRIVATE KEY-----", openssh-key-v1), unencrypted or protected by a
 * passphrase (cipher aes256-ctr or aes256-gcm@openssh.com, KDF bcrypt).
 * *out is the caller's (pl_key_free); untouched on failure.
 *
 * The file is read as pl_key_read_secret does (no FIFO, device, directory or
 * symbolic link; no group or other permission bit; at most PL_KEY_MAX_FILE
 * bytes). Errors name the file: PL_ENOTFOUND when it does not exist;
 * PL_ELIMIT when too large; PL_EINVALID for everything refused: the file
 * checks above, another key type or format, an encrypted PKCS#8 key, a
 * damaged or tampered OpenSSH key (magic, check integers, padding, lengths,
 * a public key that is not the private key's), an unsupported cipher or KDF,
 * "<path>: incorrect passphrase", or a protected key and no callback;
 * whatever the passphrase callback returned. */
int pl_key_load_private_ex(pl_key **out, const char *path, const pl_key_load_opts *opts);

/* pl_key_load_private_ex with no options: passphrase-protected keys are
 * refused. Permission errors read "<path>: permissions 0644 are too open
 * (must be 0600)", as ssh's do. */
int pl_key_load_private(pl_key **out, const char *path);

/* Read a file holding a secret (a private key, a passphrase) into out
 * (appended), safely: opened without following a final symbolic link and
 * without blocking ("<path>: is a symbolic link; refusing to read <what>
 * through it", "<path>: not a regular file" for a FIFO, socket, device or
 * directory: all PL_EINVALID), refused when group or others have any
 * permission bit (PL_EINVALID, ssh's rule) or when larger than
 * PL_KEY_MAX_FILE bytes (PL_ELIMIT); PL_ENOTFOUND when missing. what is a
 * noun phrase such as "a private key". out's storage is allocated once so
 * that no copy of the secret is left behind by a reallocation; the caller
 * wipes it (OPENSSL_cleanse over out->cap bytes) before freeing it. */
int pl_key_read_secret(pl_buf *out, const char *path, const char *what);

/* The Ed25519 key whose fingerprint is fingerprint ("SHA256:" and 43 base64
 * characters, exactly as `ssh-keygen -lf` prints it) among the keys of the
 * ssh-agent listening at the Unix socket socket_path (what $SSH_AUTH_SOCK
 * names; the library does not read the environment). The key signs through
 * the agent (SSH2_AGENTC_SIGN_REQUEST, one connection per signature, each
 * signature checked before it is returned); pl_key_has_private is 1, and
 * every other function works on its public half, except
 * pl_key_save_private (PL_EUSAGE). *out is the caller's; untouched on
 * failure. Errors: PL_EUSAGE when socket_path is NULL or empty; PL_EINVALID
 * for a malformed fingerprint or a malformed answer; PL_ERROR when the agent
 * cannot be reached or refuses to list its keys; PL_ENOTFOUND when it holds
 * no ssh-ed25519 key with that fingerprint. */
int pl_key_from_agent(pl_key **out, const char *socket_path, const char *fingerprint);

/* Write the private key as PEM PKCS#8 with mode 0600, atomically; refuses to
 * overwrite an existing file (PL_ECONFLICT); PL_EUSAGE for a public key or a
 * key held by ssh-agent. */
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

/* 1 when k can sign (it holds the private half, or ssh-agent does), 0 otherwise. */
int pl_key_has_private(const pl_key *k);

/* Ed25519 signature of msg. PL_EUSAGE when k has no private half. For a key
 * held by ssh-agent: PL_ELIMIT when msg is too long for the agent (256 KiB
 * with its framing), PL_ERROR when the agent is unreachable, refuses, or
 * answers with a signature that does not verify, PL_EINVALID for a
 * malformed answer. The signature is the same bytes either way (Ed25519 is
 * deterministic). */
int pl_key_sign(const pl_key *k, unsigned char sig[64], const void *msg, size_t len);

/* PL_OK when sig is k's signature of msg, PL_EVERIFY otherwise. */
int pl_key_verify(const pl_key *k, const unsigned char sig[64], const void *msg, size_t len);

/* A copy holding only the public half. */
int pl_key_public(pl_key **out, const pl_key *k);

void pl_key_free(pl_key *k); /* NULL-safe; wipes private material */

#endif
