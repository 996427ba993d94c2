/*
 * pl_index.h - what the log offers the rooms above it (registry, lineage,
 * evidence): decoded entries, index extensions (modules that keep their own
 * tables in the index, rebuilt by reindex), the store's handles, and ledgers
 * in memory. The log's own state stays in ledger_internal.h.
 */
#ifndef PL_INDEX_H
#define PL_INDEX_H

#include <git2.h>
#include <sqlite3.h>

#include "pl_dsse.h"
#include "pl_ledger.h"
#include "pl_subjects.h"

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

/* Translate the last libgit2 / SQLite error into ours. */
int pl_ledger__git_error(int code, const char *what);
int pl_ledger__db_error(sqlite3 *db, const char *what);

/* Index extensions: a module that keeps its own tables in the index (the
 * registry, lineage, ...) declares its schema and a function called for
 * every entry as it is indexed (in the same transaction), so that `reindex`
 * rebuilds everything from git. The list, pl_index__exts, is in
 * ledger/index_ext.c, above the rooms: the log does not know them. */
typedef struct pl_index_ext {
	const char *name;
	const char *schema; /* CREATE TABLE IF NOT EXISTS ...; run at every open */
	int (*apply)(pl_ledger *l, uint64_t seq, const pl_entry *e);
} pl_index_ext;
extern const pl_index_ext *const pl_index__exts[]; /* NULL-terminated */

/* The attachment blobs/<hex> in the commit being indexed (l->apply_commit),
 * checked against its digest. For index extensions. */
int pl_ledger__attachment_applying(pl_ledger *l, pl_buf *out, const char *sha256_hex);

/* Read a blob at path in commit's tree. PL_ENOTFOUND when absent. */
int pl_ledger__read_path(pl_ledger *l, pl_buf *out, const git_commit *c, const char *path);

/* Bring the index up to git's head (and open the validation session). */
int pl_ledger__sync(pl_ledger *l);

/* An index in memory with no git behind it (verify-bundle computes the
 * lineage and the policy findings of a bundle's entries on it): entries are
 * added with pl_index__apply; attachments come from att_fn. */
int pl_ledger__open_memory(pl_ledger **out, const char *origin, const pl_key *op,
                           int (*att_fn)(void *ctx, pl_buf *out, const char *hex), void *ctx);

/* Open l->sess, the validation session at l's head, unless it is open. */
int pl_ledger__session(pl_ledger *l);

/* The index's SQLite handle (index extensions keep their tables there). */
sqlite3 *pl_ledger__db(pl_ledger *l);

/* 1 when l has git behind it (0: a ledger in memory). */
int pl_ledger__has_git(const pl_ledger *l);

/* The head commit (the caller frees it); PL_ENOTFOUND when l is empty. */
int pl_ledger__head_commit(pl_ledger *l, git_commit **out);

/* The role in force of the entry being indexed ("" for key entries): for
 * index extensions, which record it. */
const char *pl_ledger__applying_role(const pl_ledger *l);

/* The subject index at l's head, authenticated against its signed root
 * (pl_ledger__session first). */
pl_smap *pl_ledger__smap(pl_ledger *l);

/* A ledger in memory: index entry seq (decoded, its leaf, the role in force it
 * was signed under) as its seq-th entry; then, once all are in, set its size. */
int pl_ledger__memory_add(pl_ledger *l, uint64_t seq, const pl_entry *e,
                          const unsigned char leaf[PL_HASH_LEN], const char *role);
void pl_ledger__memory_size(pl_ledger *l, uint64_t size);

#endif
