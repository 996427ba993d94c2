/*
 * pl_note.h - C2SP signed notes (Ed25519), verifier keys, and C2SP
 * tlog-checkpoint bodies (SPEC §5.2, §5.3).
 */
#ifndef PL_NOTE_H
#define PL_NOTE_H

#include <stdint.h>

#include "pl_common.h"
#include "pl_hash.h"
#include "pl_key.h"

/* Key ID = SHA-256(name || "\n" || 0x01 || pub32)[:4], big-endian. Names are
 * non-empty UTF-8 without '+', control characters or Unicode spaces. */
uint32_t pl_note_keyid(const char *name, const pl_key *k);

/* Append "NAME+HEX8(keyid)+BASE64(0x01 || pub32)"; PL_EINVALID for a bad name. */
int pl_note_verifier_key(pl_buf *out, const char *name, const pl_key *k);

/* Parse a verifier key string (a final newline is allowed); name (may be NULL)
 * is replaced by NAME. PL_EINVALID if malformed, not Ed25519, or when the key
 * ID does not match the name and key. */
int pl_note_parse_verifier_key(pl_key **out, pl_buf *name, const char *vkey, size_t len);

/* Sign text as name; out receives (appended) text, "\n", and the line
 * "— NAME BASE64(keyid||sig)\n". text must be non-empty UTF-8 ending in "\n"
 * with no control character but "\n" (PL_EINVALID otherwise). */
int pl_note_sign(pl_buf *out, const char *text, size_t len, const char *name, const pl_key *k);

/* Verify that note carries a valid signature by (name, k); signature lines of
 * other names or key IDs are ignored (at most 100 lines). text (may be NULL)
 * is replaced by the signed text. PL_EINVALID for a malformed note (no final
 * newline, no blank line, no signature line, a line not "— NAME BASE64" with
 * canonical base64); PL_EVERIFY when no signature by that key, or when a line
 * with its name and key ID does not verify. */
int pl_note_verify(pl_buf *text, const char *note, size_t len, const char *name, const pl_key *k);

/* c2sp.org/tlog-cosignature/v1 (Ed25519): a witness's timestamped
 * cosignature of a checkpoint. Key ID = SHA-256(name || "\n" || 0x04 ||
 * pub32)[:4]; verifier keys NAME+HEX8+BASE64(0x04 || pub32). */
uint32_t pl_cosig_keyid(const char *name, const pl_key *k);
int pl_cosig_verifier_key(pl_buf *out, const char *name, const pl_key *k);
int pl_cosig_parse_verifier_key(pl_key **out, pl_buf *name, const char *vkey, size_t len);
/* Append the signature line "— NAME base64(keyid || u64 t || sig)\n", sig
 * the Ed25519 signature of "cosignature/v1\ntime T\n" || text (the whole
 * note text, every line). */
int pl_cosig_sign(pl_buf *out, const char *text, size_t len, const char *name, const pl_key *k,
                  uint64_t t);
/* PL_OK when note carries a valid cosignature by (name, k) (*t, may be NULL:
 * its time, the latest of several); PL_EVERIFY when none, or one with that
 * name and key ID does not verify; PL_EINVALID for a malformed note. */
int pl_cosig_verify(uint64_t *t, const char *note, size_t len, const char *name, const pl_key *k);

/* A checkpoint body: "<origin>\n<size>\n<base64 root>\n". */
typedef struct {
	char origin[256];
	uint64_t size;
	unsigned char root[PL_HASH_LEN];
} pl_checkpoint;

/* Append the checkpoint body; PL_EINVALID for an empty, multi-line or
 * over-long (>= 256 bytes) origin. */
int pl_checkpoint_format(pl_buf *out, const char *origin, uint64_t size,
                         const unsigned char root[PL_HASH_LEN]);

/* Parse a checkpoint body (the note text; non-empty extension lines after the
 * root are allowed and ignored). PL_EINVALID if malformed: size must be
 * decimal without leading zeros, root canonical base64 of exactly 32 bytes. */
int pl_checkpoint_parse(pl_checkpoint *out, const char *text, size_t len);

/* The operator key a verifier trusts, from arg: a C2SP verifier key
 * NAME+HEX8+BASE64 or an OpenSSH line "ssh-ed25519 AAAA... [comment]" given
 * literally, or a file holding exactly one such key (a .pub file, DIR/config,
 * DIR/operator.pub). A file (or value) holding several keys is refused
 * (PL_EINVALID) unless select names one (a verifier key's name or an
 * OpenSSH comment). name (may be NULL) receives the verifier key's name, ""
 * for an OpenSSH key: a verifier key's name must equal the log's origin.
 * PL_ENOTFOUND for a missing file. */
int pl_trust_parse(pl_key **out, pl_buf *name, const char *arg, const char *select);

/* Which witnesses a verifier requires (c2sp.org/tlog-cosignature/v1 keys)
 * and how many of them must have cosigned a checkpoint. Zero-initialise;
 * pl_cosig_policy_free. */
#define PL_COSIG_MAX 64
typedef struct {
	pl_key *keys[PL_COSIG_MAX];
	char names[PL_COSIG_MAX][256];
	size_t n;
	size_t quorum; /* 0: all of them */
} pl_cosig_policy;
/* Add a witness: a cosignature verifier key NAME+HEX8+BASE64(0x04||pub), or
 * a file holding one (a .vkey). PL_EINVALID naming what is wrong. */
int pl_cosig_policy_add(pl_cosig_policy *p, const char *arg);
/* Read a policy file in the Sigsum policy style: lines "witness NAME VKEY"
 * (or "witness VKEY"), "quorum K" (a count, "all" or "any"), blank lines and
 * # comments. PL_EINVALID naming the line. */
int pl_cosig_policy_load(pl_cosig_policy *p, const char *path);
/* PL_OK when note carries valid cosignatures by at least the quorum of the
 * policy's witnesses (a policy with no witness: always); otherwise
 * PL_EVERIFY saying how many of how many, and which are missing. *got (may
 * be NULL) gets the count. */
int pl_cosig_policy_check(const pl_cosig_policy *p, const char *note, size_t len, size_t *got);
void pl_cosig_policy_free(pl_cosig_policy *p);

#endif
