/* ledger_internal.h - the log room's private state (struct pl_ledger) and
 * functions, shared by its files only; other rooms use pl_index.h. */
#ifndef PL_LEDGER_INTERNAL_H
#define PL_LEDGER_INTERNAL_H

#include <git2.h>
#include <sqlite3.h>

#include "pl_index.h"
#include "pl_rules_engine.h"

typedef struct pl_lsess pl_lsess;

struct pl_ledger {
	char *dir;
	git_repository *repo;
	sqlite3 *db;
	sqlite3_stmt *node_get;
	pl_key *op;      /* operator public key (from config) */
	pl_key *op_priv; /* loaded on first append */
	char *op_key_path;
	char origin[256];
	char op_name[128];
	uint64_t size;
	git_oid head;
	int has_head;
	pl_merkle_builder mb;
	int lockfd;
	git_oid apply_commit; /* the commit being indexed (for index extensions) */
	/* While pl_ledger__refresh catches up: the commit it catches up to, whose
	 * blobs/ holds every attachment of the commits before it. */
	git_oid att_tip;
	int has_att_tip;
	git_tree *blobs; /* the last blobs/ tree read (trees are immutable), or NULL */
	/* The index holds exactly git's commit `head` (and size and mb match
	 * it): set by a successful catch-up or append, cleared on failure. */
	int synced;
	sqlite3_stmt *st[8];         /* prepared once (pl_index__stmt) */
	pl_lsess *sess;              /* validation state at `head`, kept while synced */
	char apply_role[32];         /* the role in force of the entry being indexed */
	int64_t (*clock)(void *ctx); /* the time source (NULL: time(NULL)) */
	void *clock_ctx;
	int test_clock;        /* the config allows a pinned clock (tests) */
	char last_created[40]; /* created of entry size-1 */
	int64_t last_time;     /* author time of the head commit */
	pl_buf *dry_run;       /* appends only validate, envelopes go here */
	int readonly;          /* the index is in memory (a read-only copy) */
	/* a ledger in memory (no git): where attachments come from */
	int (*att_fn)(void *ctx, pl_buf *out, const char *sha256_hex);
	void *att_ctx;
	char *upstream;    /* a mirror: the git remote it follows (config "upstream") */
	json_t *witnesses; /* config "witnesses": ["URL=VKEY"...], or NULL */
	unsigned witness_quorum;
	/* the checkpoint note verified last (signed_root): size, SHA-256, root */
	uint64_t vnote_size;
	unsigned char vnote_digest[PL_HASH_LEN], vnote_root[PL_HASH_LEN];
	/* a ledger rebuilt from another copy's entries (rebuilt.c) */
	int rebuilt;
	pl_buf *envs; /* their envelopes, by seq */
	size_t capenvs;
	char *note;                 /* the signed checkpoint it was rebuilt to */
	char *subjects_note;        /* and the signed subject index of that size */
	int moved;                  /* an append was sequenced past entries it lacks */
	pl_ledger_submit_fn submit; /* appends go here instead of git */
	void *submit_ctx;
};

/* Make what was written so far durable (one syncfs) when durable writes
 * are on: the objects before the ref moves to them, the ref after. */
int pl_ledger__sync_objects(pl_ledger *l);

/* dir is absent or an empty directory (PL_EINVALID naming it otherwise). */
int pl_ledger__check_init_dir(const char *dir);
/* Remove a directory tree this process made. */
void pl_ledger__remove_tree(const char *path);

/* rebuilt.c */
int pl_ledger__rebuilt_entry(pl_ledger *l, pl_buf *out, uint64_t seq);
/* An append the submit function sequenced at seq: kept when seq follows
 * what l holds; otherwise l is marked as moved (behind the log). */
int pl_ledger__rebuilt_took(pl_ledger *l, uint64_t seq, const pl_entry *e,
                            const unsigned char leaf[PL_HASH_LEN], const char *role,
                            const char *env, size_t len);
void pl_ledger__rebuilt_free(pl_ledger *l);

/* "entries/000/000/012.json" for seq 12. */
void pl_ledger__entry_path(char out[64], uint64_t seq);

/* index.c */
int pl_index__open(sqlite3 **out, const char *path);
int pl_index__exec(sqlite3 *db, const char *sql);
int pl_index__meta_get(sqlite3 *db, const char *k, pl_buf *v);
int pl_index__meta_set(sqlite3 *db, const char *k, const char *v);
/* Record entry seq in the index and add its leaf to l->mb. */
int pl_index__apply(pl_ledger *l, uint64_t seq, const git_oid *commit, const pl_entry *e,
                    const unsigned char leaf[PL_HASH_LEN]);
int pl_index__node(pl_ledger *l, unsigned level, uint64_t idx, unsigned char out[PL_HASH_LEN]);
/* Rebuild l->mb for l->size from stored nodes. */
int pl_index__load_builder(pl_ledger *l);
/* A statement of l->db prepared on first use and kept (reset before reuse). */
enum { PL_ST_META_GET, PL_ST_META_SET, PL_ST_ENTRY_INS, PL_ST_NODE_INS, PL_ST_KEY_GET };
sqlite3_stmt *pl_index__stmt(pl_ledger *l, int which, const char *sql);
void pl_index__finalize_all(pl_ledger *l);
int pl_ledger__meta_get(pl_ledger *l, const char *k, pl_buf *v);
int pl_ledger__meta_set(pl_ledger *l, const char *k, const char *v);

/* The ledger lock (DIR/lock, fcntl, exclusive): serialises appends. */
int pl_ledger__lock(pl_ledger *l);
void pl_ledger__unlock(pl_ledger *l);

/* Bring the index (and l->size, l->mb, l->head) up to git's head. */
int pl_ledger__refresh(pl_ledger *l);
/* The seqs and leaves a commit message names; *n receives how many (at most
 * max). */
int pl_ledger__message_entries(uint64_t *seqs, unsigned char (*leaves)[PL_HASH_LEN], size_t max,
                               size_t *n, const char *msg);

/* Append; check = 0 skips the validation of the signer and attachments, so
 * that tests can play a malicious operator whose bad entries `verify` must
 * catch. Nothing outside tests passes 0. */
int pl_ledger__append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                      const pl_attachment *att, size_t natt, int check);

/* The seq a commit message names ("\n\nseq: N\n"). */
int pl_ledger__message_seq(uint64_t *out, const char *msg);

/* A proof computed from the index's nodes, not checked (benchmarks). */
int pl_ledger__prove_index(pl_ledger *l, pl_buf *out, uint64_t a, uint64_t size, int consistency);

/* Open; catch_up 1: the index catches up with git; 0: it does not (verify);
 * -1: the index is not opened at all (reindex replaces it). */
int pl_ledger__open(pl_ledger **out, const char *dir, int catch_up);

/* ---- a validation session over the ledger (logsess.c) ------------------ */

/* PL_OK when commit id carries an SSHSIG by the operator key, else
 * PL_EVERIFY naming the commit. */
int pl_lsess__verify_commit(pl_ledger *l, const git_oid *id);
/* The subject index root signed in commit c's `subjects` note, which must be
 * for l's origin and size (PL_EVERIFY otherwise). */
int pl_lsess__subjects_root(pl_ledger *l, unsigned char root[PL_HASH_LEN], const git_commit *c,
                            uint64_t size);
/* A session over the state at commit base (size entries; base NULL: the
 * empty ledger). base's signature and subjects note are checked first. */
int pl_lsess__open(pl_lsess **out, pl_ledger *l, const git_oid *base, uint64_t size);
void pl_lsess__free(pl_lsess *s); /* NULL-safe */
const pl_rsrc *pl_lsess__src(pl_lsess *s);
/* Its subject index (the index's, checked against the signed root). */
pl_smap *pl_lsess__smap(pl_lsess *s);
/* The author time of the base commit (0 for the empty ledger). */
int64_t pl_lsess__base_time(const pl_lsess *s);
/* After an append: the base is now commit (size entries); what the session
 * added stays (it is in the index and in git now). */
int pl_lsess__rebase(pl_lsess *s, const git_oid *commit, uint64_t size);
/* The rules and the DSSE signature of entry e at seq (v: pl_verdict_clear). */
int pl_lsess__check(pl_lsess *s, pl_verdict *v, uint64_t seq, const pl_entry *e);
int pl_lsess__key_state(pl_lsess *s, pl_keystate *out, const char *keyid, uint64_t seq);
/* Add an accepted entry (its fact and its edges). */
int pl_lsess__add(pl_lsess *s, uint64_t seq, const pl_entry *e,
                  const unsigned char leaf[PL_HASH_LEN]);
/* The subject index root with everything added. */
int pl_lsess__root(pl_lsess *s, unsigned char root[PL_HASH_LEN]);
/* Write what was added to the index's subjects and smt tables (in the
 * caller's transaction). */
int pl_lsess__flush(pl_lsess *s);

#endif
