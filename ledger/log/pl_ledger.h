/*
 * pl_ledger.h - the ledger: a bare git repository (the source of truth, one
 * SSHSIG-signed commit per entry, an RFC 6962 tree over the entries and a
 * signed C2SP checkpoint in every commit) and a derived SQLite index.
 *
 * Appends serialise on an exclusive lock (DIR/lock) and move refs/heads/main
 * by compare-and-swap; a crash leaves the old or the new state and the index
 * catches up from git on the next open.
 */
#ifndef PL_LEDGER_H
#define PL_LEDGER_H

#include <jansson.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_hash.h"
#include "pl_key.h"

typedef struct pl_ledger pl_ledger;

/* A reference to an appended entry: {"seq": N, "leaf": "<hex>"} in JSON. */
typedef struct {
	uint64_t seq;
	unsigned char leaf[PL_HASH_LEN];
	char commit[41];
} pl_entry_ref;

/* An attachment, stored at blobs/<sha256 hex of data>. */
typedef struct {
	const void *data;
	size_t len;
} pl_attachment;

/* Create a ledger in dir (which must not already hold one): the bare repo, the
 * index, the config, the operator key (generated into dir/keys/operator.key
 * unless operator_key names a PEM file) and entry 0, the operator's key entry.
 * origin NULL means "provledger/<hostname>". */
int pl_ledger_init(pl_ledger **out, const char *dir, const char *origin, const char *operator_key,
                   const char *operator_name);

/* pl_ledger_init with options. dir must not exist or be empty: everything is
 * made in a temporary sibling and renamed into place, so an interrupted init
 * leaves nothing behind. test_clock records in the config that the clock
 * may be pinned (pl_ledger_set_clock), for tests and demos only. */
typedef struct {
	const char *origin, *operator_key, *operator_name;
	int test_clock;
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	/* witnesses the operator asks to cosign each checkpoint ("URL=VKEY",
	 * kept in the config) and how many must (0: all) */
	const char *const *witnesses;
	size_t nwitnesses;
	unsigned witness_quorum;
} pl_ledger_init_opts;
int pl_ledger_init_ex(pl_ledger **out, const char *dir, const pl_ledger_init_opts *opts);

/* Open an existing ledger; the index catches up with git if it is behind.
 * PL_ENOTFOUND with "no ledger at DIR (run 'provledger init')" when absent. */
int pl_ledger_open(pl_ledger **out, const char *dir);

/* Open for `verify`: git and the config only; the index is not caught up,
 * so a ledger whose history was rewritten can still be audited. */
int pl_ledger_open_for_verify(pl_ledger **out, const char *dir);

/* Open for an audit (`verify`): like pl_ledger_open_for_verify, and with
 * trust (may be NULL) the operator key given out of band replaces the copy's
 * own config; with trust, dir may also be a copy without config (a `git
 * clone --bare`, or DIR/repo.git): the origin then comes from its head's
 * checkpoint. PL_EUSAGE for a copy without config and no trust. */
int pl_ledger_open_audit(pl_ledger **out, const char *dir, const pl_key *trust);

/* Open with an index rebuilt in memory from git alone (every commit
 * verified, as reindex would), ignoring DIR/index.sqlite: what an audit
 * computes lineage and policy findings on. Appends are refused. */
int pl_ledger_open_replay(pl_ledger **out, const char *dir, const pl_key *trust);

void pl_ledger_free(pl_ledger *l); /* NULL-safe */

/* Mirrors (through git). Make dir a mirror of source (a ledger directory, a
 * bare repository or any git URL libgit2 fetches): the log is cloned and
 * every commit verified under trust (the operator's key) as the index is
 * built; nothing is left at dir when it fails. The mirror refuses local
 * appends. */
int pl_ledger_mirror_init(pl_ledger **out, const char *dir, const char *source,
                          const pl_key *trust);
/* Fetch the upstream's main and accept it only as an append: a descendant
 * of the mirror's head whose new commits verify, its checkpoint consistent
 * with the one held. A rewrite or a fork is PL_EVERIFY naming both
 * checkpoints, and nothing changes. */
typedef struct {
	uint64_t old_size, new_size;
	int pulled; /* 0: up to date */
} pl_pull_result;
int pl_ledger_pull(pl_ledger *l, pl_pull_result *res);
/* Push main to a plain git remote (a path or URL), as a fast-forward. */
int pl_ledger_push(pl_ledger *l, const char *remote);
/* A git pre-receive hook (input: git's "OLD NEW REF" lines): only
 * refs/heads/main may change, never be deleted, only by a fast-forward whose
 * new commits are all signed by trust. PL_EVERIFY (why set) otherwise. The
 * repository is found as git gives it to hooks (GIT_DIR, the quarantine). */
int pl_hook_pre_receive(const pl_key *trust, const char *input, size_t len, pl_buf *why);

/* A ledger in memory rebuilt from another copy of the log (a remote log's
 * entry bundles), with no git behind it: pl_ledger_rebuild_add for entries
 * 0, 1, ... in order, then pl_ledger_rebuild_finish with the signed
 * checkpoint of that size. Attachments come from att_fn (by SHA-256 hex;
 * the ledger checks the digest of what it returns, PL_ENOTFOUND when absent). */
int pl_ledger_open_rebuilt(pl_ledger **out, const char *origin, const pl_key *op,
                           int (*att_fn)(void *ctx, pl_buf *out, const char *hex), void *ctx);
/* Add entry pl_ledger_size(l) (its envelope bytes), judged by every rule an
 * append applies against the entries before it (signer registered and in
 * force, references, time order, DSSE signature): PL_EINVALID / PL_EVERIFY /
 * PL_ENOTFOUND / PL_ECONFLICT naming the entry when refused (nothing added). */
int pl_ledger_rebuild_add(pl_ledger *l, const char *env, size_t len);
/* The checkpoint note (signed by the operator key l was opened with) must be
 * the tree of the entries added: PL_EVERIFY otherwise. It becomes what
 * pl_ledger_checkpoint answers. */
int pl_ledger_rebuild_finish(pl_ledger *l, const char *note, size_t len);
/* The log's signed subject index note at the same size (what `export`
 * puts in bundles): PL_EVERIFY unless it is signed by the operator and its
 * root is the one the entries added give. */
int pl_ledger_rebuild_subjects(pl_ledger *l, const char *note, size_t len);

/* From now on (for ledgers opened after the call), every object, ref and
 * packed-refs write is fsync'd before an append returns: what a server
 * needs before it answers a client with a seq. Off by default (git's own
 * default, core.fsyncObjectFiles). */
void pl_ledger_durable_writes(int on);

const char *pl_ledger_origin(const pl_ledger *l);
/* The ledger's directory (borrowed). */
const char *pl_ledger_dir(const pl_ledger *l);
uint64_t pl_ledger_size(const pl_ledger *l);
/* The witnesses of the config ("URL=VKEY", i from 0; NULL past the last)
 * and their quorum (0: all). */
const char *pl_ledger_witness(const pl_ledger *l, size_t i);
unsigned pl_ledger_witness_quorum(const pl_ledger *l);
/* The operator's public key (borrowed). */
const pl_key *pl_ledger_operator(const pl_ledger *l);

/* Append one signed entry (DSSE envelope bytes, verbatim) with attachments.
 * Refused (PL_EINVALID / PL_EVERIFY) when the envelope is malformed, its
 * signer is not registered or revoked, or its attachments are not named by it.
 * out (may be NULL) receives the reference. */
int pl_ledger_append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                     const pl_attachment *att, size_t natt);

/* A batch of pre-signed envelopes from several clients (`serve`). Each is
 * validated as pl_ledger_append validates one, against the ledger and the
 * batch's entries before it; those refused are skipped, with their error in
 * res[i] (code < 0, message), and the rest are appended as one commit (one
 * checkpoint, consecutive seqs): res[i].ref for each. Fails (< 0, nothing
 * appended) only when the commit cannot be made; every item refused is not
 * a failure (nothing to commit). */
typedef struct {
	const char *env;
	size_t len;
	const pl_attachment *att;
	size_t natt;
} pl_submission;
typedef struct {
	int code;         /* PL_OK: appended as ref */
	pl_entry_ref ref; /* seq, leaf, commit */
	size_t taken;     /* internal: its place in the commit */
	char message[512];
} pl_batch_result;
int pl_ledger_append_batch(pl_ledger *l, const pl_submission *sub, size_t n, pl_batch_result *res);

/* Appends to a rebuilt ledger, once validated, are given to fn instead of
 * git (net/ posts them to the log's server and verifies the answers): fn
 * fills refs[0..n-1] with the seq and leaf the log gave each (and may leave
 * commit empty), or fails (nothing reported as appended). */
typedef int (*pl_ledger_submit_fn)(void *ctx, const pl_submission *sub, size_t n,
                                   pl_entry_ref *refs);
void pl_ledger_set_submit(pl_ledger *l, pl_ledger_submit_fn fn, void *ctx);

/* Sign a statement (subjects and predicate are stolen) as signer and append
 * it. The predicate's "created" is set under the ledger lock (the current
 * time, never earlier than the previous entry's). */
int pl_ledger_append_statement(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                               const char *type, json_t *subjects, json_t *predicate,
                               const pl_attachment *att, size_t natt);

/* One statement of a batch. link (may be NULL) is called under the lock
 * before the statement is signed, with the references of the batch's
 * earlier entries (prev[0..i-1]), to name them in predicate. */
typedef struct {
	const pl_key *signer;
	const char *type;
	json_t *subjects, *predicate; /* stolen */
	const pl_attachment *att;
	size_t natt;
	int (*link)(void *ctx, json_t *predicate, const pl_entry_ref *prev, size_t i);
	void *link_ctx;
} pl_statement;

/* Append n statements as one commit (one checkpoint, consecutive seqs): all
 * or nothing. out (may be NULL) receives n references. */
int pl_ledger_append_statements(pl_ledger *l, pl_entry_ref *out, pl_statement *st, size_t n);

/* Dry run: from now on appends validate everything under the lock but write
 * nothing; each entry that would be appended is added to envelopes as a line
 * "<seq> <envelope>", and out references name the seqs it would get (commit
 * ""). NULL ends the dry run. */
void pl_ledger_set_dry_run(pl_ledger *l, pl_buf *envelopes);

/* The time source of entries and commits: a test hook, refused (PL_EUSAGE)
 * unless the ledger was created with a test clock (pl_ledger_init_opts). */
int pl_ledger_set_clock(pl_ledger *l, int64_t (*clock)(void *ctx), void *ctx);
/* The current time as the ledger sees it. */
int64_t pl_ledger_time(pl_ledger *l);

/* The envelope bytes of entry seq, as stored in git. */
int pl_ledger_entry(pl_ledger *l, pl_buf *out, uint64_t seq);

/* The statement (decoded payload) of entry seq, from the index. */
int pl_ledger_statement(pl_ledger *l, json_t **out, uint64_t seq);

/* The bytes of attachment blobs/<hex> from git. */
int pl_ledger_attachment(pl_ledger *l, pl_buf *out, const char *sha256_hex);

/* The latest signed checkpoint note, as stored in the head commit's tree. */
int pl_ledger_checkpoint(pl_ledger *l, pl_buf *out);

/* The signed checkpoint for tree size `size` (1..size), as stored in the
 * commit that appended entry size-1. */
int pl_ledger_checkpoint_at(pl_ledger *l, pl_buf *out, uint64_t size);
/* The checkpoint of size with the witnesses' cosignatures kept for it
 * (DIR/cosigned/<size>, outside git: a cosignature adds nothing to the log
 * itself), or without any. */
int pl_ledger_cosigned_at(pl_ledger *l, pl_buf *out, uint64_t size);
/* Keep a cosignature line ("— NAME BASE64\n") for the checkpoint of size
 * (the caller verified it); a line already kept is not added again. */
int pl_ledger_add_cosignature(pl_ledger *l, uint64_t size, const char *line, size_t len);

/* The signed subject index note (section 5 of SPEC: origin, size, root of the
 * subject map) of the commit that ends at size. */
int pl_ledger_subjects_at(pl_ledger *l, pl_buf *out, uint64_t size);

/* The RFC 6962 hash of the complete subtree of 2^level leaves numbered idx at
 * that level (leaves idx*2^level ...): PL_ENOTFOUND unless the ledger holds
 * all its leaves. What a c2sp.org/tlog-tiles tile is made of. */
int pl_ledger_node(pl_ledger *l, unsigned level, uint64_t idx, unsigned char out[PL_HASH_LEN]);

/* The seq of the entry whose leaf hash is leaf: PL_ENOTFOUND when none. */
int pl_ledger_find_leaf(pl_ledger *l, uint64_t *seq, const unsigned char leaf[PL_HASH_LEN]);

/* RFC 6962 root of the first size entries (size <= the ledger's size). */
int pl_ledger_root(pl_ledger *l, unsigned char out[PL_HASH_LEN], uint64_t size);

/* RFC 9162 proofs over the ledger (32-byte hashes appended to out). */
int pl_ledger_prove_inclusion(pl_ledger *l, pl_buf *out, uint64_t seq, uint64_t size);
int pl_ledger_prove_consistency(pl_ledger *l, pl_buf *out, uint64_t old_size, uint64_t size);

/* Rebuild dir/index.sqlite from git alone, verifying every commit. When the
 * old index holds a signed checkpoint larger than git's log (the log was
 * rolled back), that checkpoint is kept as DIR/rollback-<size>.checkpoint
 * and the rebuild is refused (PL_EVERIFY) unless accept_rollback. */
int pl_ledger_reindex(const char *dir);
int pl_ledger_reindex_ex(const char *dir, int accept_rollback);

/* Entry summaries for `log`: calls fn for each entry (newest first when
 * reverse), filtered by type (NULL: all), at most limit (0: no limit). */
typedef struct {
	uint64_t seq;
	const char *type, *name, *keyid, *created, *commit;
	const unsigned char *leaf;
} pl_entry_info;
typedef int (*pl_entry_fn)(void *ctx, const pl_entry_info *e);
int pl_ledger_list(pl_ledger *l, const char *type, uint64_t limit, int reverse, pl_entry_fn fn,
                   void *ctx);
int pl_ledger_entry_info(pl_ledger *l, uint64_t seq, pl_entry_fn fn, void *ctx);

/* Registered keys (from the index: a listing, not an authorisation). */
typedef struct {
	const char *keyid, *name, *role, *public_key;
	uint64_t seq;
	int64_t revoked_seq; /* -1: not revoked */
} pl_key_info;
typedef int (*pl_key_fn)(void *ctx, const pl_key_info *k);
int pl_ledger_keys(pl_ledger *l, pl_key_fn fn, void *ctx);

/* The state of a key now, judged by the rules from signed git data. */
typedef struct {
	int registered;
	uint64_t seq; /* its key entry */
	char name[160];
	char role[32];        /* declared */
	int in_force;         /* the role is in force */
	int vouched;          /* a rights-holder granted by an authority */
	int64_t revoked_seq;  /* -1: not revoked */
	int64_t grant_seq;    /* the grant in force, -1: none */
	char granted_by[128]; /* that grant's signer (or the key it was rotated from) */
	int64_t rotated_from; /* in force by a rotation at this seq, -1: no */
} pl_key_status;
/* PL_OK with registered 0 when keyid is unknown. */
int pl_ledger_key_status(pl_ledger *l, pl_key_status *out, const char *keyid);

/* The key statement (SPEC §6.1) for k: subject key:<name>, predicate name,
 * role, public_key (OpenSSH line with name as its comment), contact and
 * revokes when not NULL. The caller owns *subjects and *predicate. */
int pl_key_statement(json_t **subjects, json_t **predicate, const pl_key *k, const char *name,
                     const char *role, const char *contact, const char *revokes);

/* Append a key entry for k signed by signer (k itself, or for a rotation
 * with revokes, the revoked key or the operator). */
int pl_ledger_register_key(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const pl_key *k,
                           const char *name, const char *role, const char *contact,
                           const char *revokes);

/* Grant role to the key keyid (whose key entry declares it), signed by
 * granter, whose own role must be the granting role (pl_rules.h). */
int pl_ledger_grant(pl_ledger *l, pl_entry_ref *out, const pl_key *granter, const char *keyid,
                    const char *role);
/* Revoke the grant of role in force for keyid (signed by that grant's
 * signer or the operator). PL_ENOTFOUND when there is none. */
int pl_ledger_revoke_grant(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const char *keyid,
                           const char *role);

/* PL_OK when signer's key holds role in force now (keyid, may be NULL,
 * receives its keyid); otherwise PL_EVERIFY with the reason, naming what
 * ("dataset register"). For early, friendly refusals: the append checks again. */
int pl_ledger_require_role(pl_ledger *l, pl_buf *keyid, const pl_key *signer, const char *role,
                           const char *what);

/* The public key registered as keyid and its role in force ("" when its
 * declared role is not in force or it was revoked); PL_ENOTFOUND when not
 * registered. key and role may be NULL. */
int pl_ledger_key(pl_ledger *l, pl_key **out, pl_buf *role, const char *keyid);

/* RFC 3339 UTC of t ("2026-11-28T18:00:00Z"). */
void pl_rfc3339(char out[32], int64_t t);

/* `verify` (SPEC §5.5). Every problem is appended to problems as one line
 * "seq N (commit abcdef0): what is wrong"; returns PL_OK when there are
 * none, PL_EVERIFY when there are, another code when verification could not
 * run. since: an old signed checkpoint note (may be NULL). */
typedef struct {
	pl_buf problems;
	size_t nproblems;
	uint64_t size;
	unsigned char root[PL_HASH_LEN];
} pl_verify_report;
int pl_ledger_verify(pl_ledger *l, pl_verify_report *r, const char *since, size_t since_len);
void pl_verify_report_free(pl_verify_report *r);

#endif
