/*
 * pl_client.h - a client of a remote log (`--remote URL`, libcurl) that
 * trusts nothing it is told but the operator's key:
 *
 *   - the checkpoint must carry the operator's signature (c2sp.org/signed-note);
 *   - the last checkpoint seen of each log is kept in a state directory
 *     (${XDG_CONFIG_HOME:-~/.config}/provledger/logs/<origin>), and a newer one
 *     is accepted only with an RFC 9162 consistency proof computed from the
 *     log's hash tiles; an older one, or one of the same size with another
 *     root, or one the proof does not lead to, is a split view (PL_EVERIFY,
 *     both checkpoints named, the new one kept beside the state file);
 *   - reads rebuild the log in memory from its entry bundles, every entry
 *     judged by the rules of an append, and the tree of the entries must be
 *     the checkpoint's;
 *   - appends are signed locally and posted to /add (attachments first by
 *     PUT /blob/<sha256>); the answer's checkpoint, its consistency with the
 *     last one seen and the entry's inclusion proof are verified before the
 *     append is reported.
 *
 * URLs are http://, https:// (the system's CAs, or PROVLEDGER_CA_FILE) or
 * file:// (a directory written by `tiles export`: read-only).
 */
#ifndef PL_CLIENT_H
#define PL_CLIENT_H

#include <jansson.h>

#include "pl_hash.h"
#include "pl_key.h"
#include "pl_ledger.h"
#include "pl_note.h"

typedef struct pl_remote pl_remote;

typedef struct {
	const char *state_dir; /* NULL: ${XDG_CONFIG_HOME:-$HOME/.config}/provledger/logs */
	const char *ca_file;   /* PEM certificates to trust for https; NULL: the system's */
	long timeout;          /* seconds per request; 0: 120 */
	/* witnesses whose cosignatures the log's checkpoint must carry (a
	 * quorum of them) before anything is read from it; NULL: none */
	const pl_cosig_policy *witnesses;
} pl_remote_opts;

/* Fetch url's checkpoint, verify its signature under trust and its
 * consistency with the last checkpoint seen of that log, and remember it. */
int pl_remote_open(pl_remote **out, const char *url, const pl_key *trust,
                   const pl_remote_opts *opts);
void pl_remote_free(pl_remote *r); /* NULL-safe */

/* The checkpoint verified last (its note text, and parsed). */
const char *pl_remote_note(const pl_remote *r);
const pl_checkpoint *pl_remote_checkpoint(const pl_remote *r);
/* The state file of this log. */
const char *pl_remote_state_path(const pl_remote *r);

/* The log in memory at the verified checkpoint (pl_ledger_open_rebuilt):
 * appends to it are posted to the server and verified (r must outlive it). */
int pl_remote_rebuild(pl_remote *r, pl_ledger **out);

/* Post one envelope (its attachments first) and verify the answer; ref gets
 * its seq and leaf, *dup (may be NULL) whether the log already held it. */
int pl_remote_submit(pl_remote *r, const pl_submission *s, pl_entry_ref *ref, int *dup);

/* An /add answer parsed: {"seq", "leaf", "size", "checkpoint", "proof":
 * [base64...], "duplicate"}. PL_EVERIFY when it is not one (a field
 * missing or of the wrong type, seq not below size, a leaf not 64 hex
 * digits, a proof hash not base64 of 32 bytes). Nothing is verified here:
 * pl_remote_submit checks the note, the leaf and the proof. */
typedef struct {
	uint64_t seq, size;
	unsigned char leaf[PL_HASH_LEN];
	pl_buf proof;     /* the hashes, 32 bytes each */
	const char *note; /* the checkpoint (in doc) */
	int duplicate;
	json_t *doc;
} pl_added;
int pl_remote_parse_added(pl_added *out, const char *body, size_t len);
void pl_added_free(pl_added *a); /* NULL-safe */

/* POST body (Content-Type type) to url; *status the HTTP status, out the
 * answer (at most max bytes). PL_ERROR when there is no answer. For the
 * witness protocol (pl_witness_request). */
int pl_http_post(const char *url, const char *type, const void *body, size_t len, long *status,
                 pl_buf *out, size_t max, long timeout);

/* A tile's bytes from the log ("tile/0/000", ...), for tests and tools. */
int pl_remote_get(pl_remote *r, pl_buf *out, const char *path, size_t max);

#endif
