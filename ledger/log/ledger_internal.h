/* ledger_internal.h - state shared by ledger.c, index.c, entry.c, verify.c. */
#ifndef PL_LEDGER_INTERNAL_H
#define PL_LEDGER_INTERNAL_H

#include <git2.h>
#include <sqlite3.h>

#include "pl_dsse.h"
#include "pl_ledger.h"

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
};

/* A decoded entry. */
typedef struct {
	pl_dsse dsse;
	json_t *statement;
	char type[32];    /* from predicateType https://provledger.dev/<type>/v1 */
	const char *name; /* what to call it: NAME@VERSION for a dataset or a model,
	                   * else subject[0].name (borrowed), or "-" */
	char label[300];  /* NAME@VERSION (name points here; do not copy a pl_entry) */
	const char *created;
} pl_entry;

int pl_entry__decode(pl_entry *out, const char *env, size_t len);
void pl_entry__clear(pl_entry *e);
/* Sign a statement; subjects and predicate are stolen. */
int pl_entry__sign(pl_buf *env, const pl_key *k, const char *type, json_t *subjects,
                   json_t *predicate);

/* "entries/000/000/012.json" for seq 12. */
void pl_ledger__entry_path(char out[64], uint64_t seq);

/* Translate the last libgit2 / SQLite error into ours. */
int pl_ledger__git_error(int code, const char *what);
int pl_ledger__db_error(sqlite3 *db, const char *what);

/* Index extensions: a module that keeps its own tables in the index (the
 * registry, lineage, ...) declares its schema and a function called for
 * every entry as it is indexed (in the same transaction), so that `reindex`
 * rebuilds everything from git. The list is in index_ext.c. */
typedef struct {
	const char *name;
	const char *schema; /* CREATE TABLE IF NOT EXISTS ...; run at every open */
	int (*apply)(pl_ledger *l, uint64_t seq, const pl_entry *e);
} pl_index_ext;
extern const pl_index_ext *const pl_index__exts[]; /* NULL-terminated */

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

/* The attachment blobs/<hex> in the commit being indexed (l->apply_commit),
 * checked against its digest. For index extensions. */
int pl_ledger__attachment_applying(pl_ledger *l, pl_buf *out, const char *sha256_hex);

/* Read a blob at path in commit's tree. PL_ENOTFOUND when absent. */
int pl_ledger__read_path(pl_ledger *l, pl_buf *out, const git_commit *c, const char *path);

/* The ledger lock (DIR/lock, fcntl, exclusive): serialises appends. */
int pl_ledger__lock(pl_ledger *l);
void pl_ledger__unlock(pl_ledger *l);

/* Bring the index (and l->size, l->mb, l->head) up to git's head. */
int pl_ledger__refresh(pl_ledger *l);
int pl_ledger__sync(pl_ledger *l);
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

/* An index in memory with no git behind it (verify-bundle computes the
 * lineage and the policy findings of a bundle's entries on it): entries are
 * added with pl_index__apply; attachments come from att_fn. */
int pl_ledger__open_memory(pl_ledger **out, const char *origin, const pl_key *op,
                           int (*att_fn)(void *ctx, pl_buf *out, const char *hex), void *ctx);

/* A proof computed from the index's nodes, not checked (benchmarks). */
int pl_ledger__prove_index(pl_ledger *l, pl_buf *out, uint64_t a, uint64_t size, int consistency);

/* Open l->sess, the validation session at l's head, unless it is open. */
int pl_ledger__session(pl_ledger *l);

/* Open; catch_up 1: the index catches up with git; 0: it does not (verify);
 * -1: the index is not opened at all (reindex replaces it). */
int pl_ledger__open(pl_ledger **out, const char *dir, int catch_up);

#endif
