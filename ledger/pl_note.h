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

/* Key ID = SHA-256(name || "\n" || 0x01 || pub32)[:4], big-endian. */
uint32_t pl_note_keyid(const char *name, const pl_key *k);

/* "NAME+HEX8(keyid)+BASE64(0x01 || pub32)". */
int pl_note_verifier_key(pl_buf *out, const char *name, const pl_key *k);

/* Parse a verifier key string; name receives NAME. PL_EINVALID if malformed. */
int pl_note_parse_verifier_key(pl_key **out, pl_buf *name, const char *vkey, size_t len);

/* Sign text (UTF-8, must end in "\n", no blank... per C2SP) as name; out
 * receives text, "\n", and the line "— NAME BASE64(keyid||sig)\n". */
int pl_note_sign(pl_buf *out, const char *text, size_t len, const char *name, const pl_key *k);

/* Verify that note carries a valid signature by (name, k); other signature
 * lines are ignored. text (may be NULL) receives the signed text. PL_EINVALID
 * for a malformed note, PL_EVERIFY when no valid signature by that key. */
int pl_note_verify(pl_buf *text, const char *note, size_t len, const char *name, const pl_key *k);

/* A checkpoint body: "<origin>\n<size>\n<base64 root>\n". */
typedef struct {
	char origin[256];
	uint64_t size;
	unsigned char root[PL_HASH_LEN];
} pl_checkpoint;

int pl_checkpoint_format(pl_buf *out, const char *origin, uint64_t size,
                         const unsigned char root[PL_HASH_LEN]);

/* Parse a checkpoint body (the note text; extension lines after the root are
 * allowed and ignored). PL_EINVALID if malformed. */
int pl_checkpoint_parse(pl_checkpoint *out, const char *text, size_t len);

#endif
