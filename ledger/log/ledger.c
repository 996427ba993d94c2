/*
 * ledger.c - the git side of the ledger (libgit2): init, open, append with
 * compare-and-swap, index catch-up, entries, checkpoints, proofs.
 */
#define _GNU_SOURCE /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"
#include "pl_rules_engine.h"

#define REF_MAIN "refs/heads/main"

static int git_ready;

int pl_ledger__git_error(int code, const char *what)
{
	const git_error *e = git_error_last();
	(void)code;
	return pl_error_set(PL_ERROR, "git: %s: %s", what, e && e->message ? e->message : "failed");
}

static void ensure_git(void)
{
	if (!git_ready) {
		git_libgit2_init();
		/* Our trees and commits name objects we have just written: skip
		 * libgit2's existence check of every referenced object, and its
		 * re-hash of every object read (verify re-hashes entries itself). */
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
		/* The entries/AAA/BBB tree (up to 1000 names) is read by every append
		 * and every step of verify: keep trees of that size in the cache. */
		git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
		git_ready = 1;
	}
}

void pl_rfc3339(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void pl_ledger__entry_path(char out[64], uint64_t seq)
{
	char digits[32];
	int nd = 9, pos = 0;
	/* 9 digits, then 3 more per level: up to 21 for UINT64_MAX (20 digits) */
	for (uint64_t rest = seq / 1000000000ull; rest > 0; rest /= 1000)
		nd += 3;
	snprintf(digits, sizeof(digits), "%0*llu", nd, (unsigned long long)seq);
	pos = snprintf(out, 64, "entries");
	for (int i = 0; i < nd; i += 3)
		pos += snprintf(out + pos, (size_t)(64 - pos), "/%.3s", digits + i);
	snprintf(out + pos, (size_t)(64 - pos), ".json");
}

/* ---- configuration ---------------------------------------------------- */

static int path_join(pl_buf *out, const char *dir, const char *name)
{
	pl_buf_clear(out);
	return pl_buf_printf(out, "%s/%s", dir, name);
}

static int read_config(pl_ledger *l)
{
	pl_buf path = PL_BUF_INIT, data = PL_BUF_INIT;
	json_t *cfg = NULL;
	const char *origin, *pub, *kp, *name;
	int error;

	struct stat st;
	if (stat(l->dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return pl_error_set(PL_ENOTFOUND, "no ledger at %s (it is not a directory)",
		                    l->dir);
	if ((error = path_join(&path, l->dir, "config")) < 0)
		goto done;
	if ((error = pl_read_file(&data, path.ptr, 1 << 20)) < 0) {
		if (error == PL_ENOTFOUND)
			error = pl_error_set(PL_ENOTFOUND,
			                     "no ledger at %s (run 'provledger init')", l->dir);
		goto done;
	}
	if ((error = pl_json_parse(&cfg, data.ptr, data.len, path.ptr)) < 0)
		goto done;
	origin = json_string_value(json_object_get(cfg, "origin"));
	pub = json_string_value(json_object_get(cfg, "operator_public_key"));
	kp = json_string_value(json_object_get(cfg, "operator_key"));
	name = json_string_value(json_object_get(cfg, "operator_name"));
	if (!origin || !pub || !kp || !name || strlen(origin) >= sizeof(l->origin) ||
	    strlen(name) >= sizeof(l->op_name)) {
		error = pl_error_set(PL_EINVALID, "%s: missing or invalid fields", path.ptr);
		goto done;
	}
	strcpy(l->origin, origin);
	strcpy(l->op_name, name);
	if (json_is_array(json_object_get(cfg, "witnesses")))
		l->witnesses = json_incref(json_object_get(cfg, "witnesses"));
	l->witness_quorum = (unsigned)json_integer_value(json_object_get(cfg, "witness_quorum"));
	if (json_string_value(json_object_get(cfg, "upstream")) &&
	    !(l->upstream = strdup(json_string_value(json_object_get(cfg, "upstream"))))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	l->test_clock = json_is_true(json_object_get(cfg, "test_clock"));
	if ((error = pl_key_from_openssh(&l->op, NULL, pub, strlen(pub))) < 0) {
		pl_error_prefix(error, "%s: operator_public_key", path.ptr);
		goto done;
	}
	/* A relative operator key path is relative to the ledger directory. */
	pl_buf_clear(&path);
	if ((error = kp[0] == '/' ? pl_buf_puts(&path, kp)
	                          : pl_buf_printf(&path, "%s/%s", l->dir, kp)) < 0)
		goto done;
	if ((l->op_key_path = strdup(path.ptr)) == NULL)
		error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	json_decref(cfg);
	pl_buf_free(&path);
	pl_buf_free(&data);
	return error;
}

/* ---- locking ------------------------------------------------------------ */

int pl_ledger__lock(pl_ledger *l)
{
	pl_buf path = PL_BUF_INIT;
	struct flock fl = {0};
	int error = PL_OK;

	if (!l->repo)
		return PL_OK; /* in memory: only this process has it */
	if ((error = path_join(&path, l->dir, "lock")) < 0)
		return error;
	if ((l->lockfd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			error = pl_error_set(PL_ERROR,
			                     "%s is read-only here: it cannot be changed (%s: %s)",
			                     l->dir, path.ptr, strerror(errno));
		else
			error = pl_error_set(PL_ERROR, "%s: %s", path.ptr, strerror(errno));
		goto done;
	}
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(l->lockfd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		error = pl_error_set(PL_ERROR, "%s: lock: %s", path.ptr, strerror(errno));
		close(l->lockfd);
		l->lockfd = -1;
		goto done;
	}
done:
	pl_buf_free(&path);
	return error;
}

void pl_ledger__unlock(pl_ledger *l)
{
	if (l->lockfd >= 0) {
		close(l->lockfd); /* releases the fcntl lock */
		l->lockfd = -1;
	}
}

/* ---- reading git -------------------------------------------------------- */

int pl_ledger__read_path(pl_ledger *l, pl_buf *out, const git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int error, rc;

	if ((rc = git_commit_tree(&tree, c)) < 0) {
		error = pl_ledger__git_error(rc, "commit tree");
		goto done;
	}
	if ((rc = git_tree_entry_bypath(&te, tree, path)) < 0) {
		error = rc == GIT_ENOTFOUND
		            ? pl_error_set(PL_ENOTFOUND, "%s: not in the tree", path)
		            : pl_ledger__git_error(rc, path);
		goto done;
	}
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		error = pl_error_set(PL_EINVALID, "%s: not a file", path);
		goto done;
	}
	if ((rc = git_blob_lookup(&blob, l->repo, git_tree_entry_id(te))) < 0) {
		error = pl_ledger__git_error(rc, path);
		goto done;
	}
	pl_buf_clear(out);
	error = pl_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	return error;
}

/* "seq: N" from a commit message. */
int pl_ledger__message_seq(uint64_t *out, const char *msg)
{
	const char *p = strstr(msg, "\n\nseq: ");
	char *end;
	if (!p)
		return pl_error_set(PL_EINVALID, "commit message lacks \"seq:\"");
	*out = strtoull(p + 7, &end, 10);
	if (*end != '\n')
		return pl_error_set(PL_EINVALID, "commit message has a malformed \"seq:\"");
	return PL_OK;
}

static int read_head(pl_ledger *l, git_oid *out, int *has)
{
	int rc = git_reference_name_to_id(out, l->repo, REF_MAIN);
	if (rc == GIT_ENOTFOUND) {
		*has = 0;
		return PL_OK;
	}
	if (rc < 0)
		return pl_ledger__git_error(rc, REF_MAIN);
	*has = 1;
	return PL_OK;
}

/* The seqs and leaves a commit message names ("seq: N\nleaf: <hex>\n"
 * lines after the title), at most max; *n receives how many. */
int pl_ledger__message_entries(uint64_t *seqs, unsigned char (*leaves)[PL_HASH_LEN], size_t max,
                               size_t *n, const char *msg)
{
	const char *p = strstr(msg, "\n\nseq: ");
	*n = 0;
	if (!p)
		return pl_error_set(PL_EINVALID, "commit message lacks \"seq:\"");
	p += 2;
	while (strncmp(p, "seq: ", 5) == 0) {
		char *end;
		const char *lp;
		if (*n == max)
			return pl_error_set(PL_ELIMIT, "commit message names more than %zu entries",
			                    max);
		if (p[5] < '0' || p[5] > '9')
			return pl_error_set(PL_EINVALID, "commit message has a malformed \"seq:\"");
		seqs[*n] = strtoull(p + 5, &end, 10);
		if (*end != '\n' || strncmp(end + 1, "leaf: ", 6) != 0)
			return pl_error_set(PL_EINVALID, "commit message has a malformed \"seq:\"");
		lp = end + 7;
		/* strnlen first: pl_unhex reads all 64 digits, past a shorter string's end */
		if (strnlen(lp, 65) != 65 || pl_unhex(leaves[*n], PL_HASH_LEN, lp, 64) < 0 ||
		    lp[64] != '\n')
			return pl_error_set(PL_EINVALID,
			                    "commit message has a malformed \"leaf:\"");
		if (*n && seqs[*n] != seqs[*n - 1] + 1)
			return pl_error_set(PL_EINVALID,
			                    "commit message names seqs that are not consecutive");
		(*n)++;
		p = lp + 65;
	}
	while (*p == '\n')
		p++; /* git tools may add a newline */
	return *p ? pl_error_set(PL_EINVALID, "commit message has trailing text") : PL_OK;
}

/* The number of entries git's head commit says the log has (0 when empty). */
static int git_size(pl_ledger *l, uint64_t *out, const git_oid *head)
{
	git_commit *c = NULL;
	uint64_t seqs[1];
	unsigned char leaves[1][PL_HASH_LEN];
	size_t n;
	int rc, error;
	(void)leaves;
	if ((rc = git_commit_lookup(&c, l->repo, head)) < 0)
		return pl_ledger__git_error(rc, "commit");
	error = pl_ledger__message_seq(seqs, git_commit_message(c));
	(void)n;
	if (error == PL_OK) {
		/* the last seq of the head commit, plus one */
		const char *p = git_commit_message(c), *q;
		uint64_t last = seqs[0];
		while ((q = strstr(p, "\nseq: ")) != NULL) {
			last = strtoull(q + 6, NULL, 10);
			p = q + 6;
		}
		*out = last + 1;
	}
	git_commit_free(c);
	return error;
}

/* The index holds a signed checkpoint larger than git's log: keep it as
 * evidence (DIR/rollback-<size>.checkpoint) and say what happened. */
static int rolled_back(pl_ledger *l, uint64_t gsize)
{
	pl_buf cp = PL_BUF_INIT, path = PL_BUF_INIT;
	uint64_t isize = l->size;
	int error;
	if (pl_ledger__meta_get(l, "checkpoint", &cp) == PL_OK) {
		pl_buf_printf(&path, "%s/rollback-%llu.checkpoint", l->dir,
		              (unsigned long long)isize);
		pl_write_file_atomic(path.ptr, cp.ptr, cp.len, 0644);
	}
	error = pl_error_set(PL_EINVALID,
	                     "%s: the log was rolled back: the index holds a signed checkpoint "
	                     "of size %llu, git's head has %llu entries; the checkpoint is kept "
	                     "as %s (check with 'provledger verify --since %s'); 'provledger "
	                     "reindex --accept-rollback' rebuilds the index from git",
	                     l->dir, (unsigned long long)isize, (unsigned long long)gsize,
	                     path.len ? path.ptr : "(unreadable)", path.len ? path.ptr : "FILE");
	pl_buf_free(&cp);
	pl_buf_free(&path);
	return error;
}

#define MAX_BATCH 4096

/* Take one verified commit into the index (inside the caller's
 * transaction): its signature, every entry (rules, signature, time), its
 * checkpoint and its subject index note. */
static int take_commit(pl_ledger *l, const git_oid *id, uint64_t *seqs,
                       unsigned char (*leaves)[PL_HASH_LEN])
{
	git_commit *c = NULL;
	pl_buf env = PL_BUF_INIT, cpnote = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN], sroot[PL_HASH_LEN], want[PL_HASH_LEN];
	const char *sep;
	pl_checkpoint cp;
	size_t n = 0;
	int64_t when;
	int error, rc;

	if ((error = pl_lsess__verify_commit(l, id)) < 0)
		goto done;
	if ((rc = git_commit_lookup(&c, l->repo, id)) < 0) {
		error = pl_ledger__git_error(rc, "commit");
		goto done;
	}
	if ((error = pl_ledger__message_entries(seqs, leaves, MAX_BATCH, &n,
	                                        git_commit_message(c))) < 0)
		goto fail;
	if (seqs[0] != l->size) {
		error = pl_error_set(PL_EINVALID, "it names seq %llu, expected %llu",
		                     (unsigned long long)seqs[0], (unsigned long long)l->size);
		goto fail;
	}
	when = (int64_t)git_commit_time(c);
	if (when < l->last_time) {
		error = pl_error_set(PL_EINVALID, "its time is earlier than the previous commit's");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t seq = seqs[i];
		char path[64], num[32];
		unsigned char leaf[PL_HASH_LEN];
		pl_entry e;
		pl_verdict v;

		pl_ledger__entry_path(path, seq);
		if ((error = pl_ledger__read_path(l, &env, c, path)) < 0)
			goto fail;
		pl_merkle_leaf(leaf, env.ptr, env.len);
		if (memcmp(leaf, leaves[i], PL_HASH_LEN) != 0) {
			error = pl_error_set(PL_EVERIFY,
			                     "seq %llu: the entry is not the leaf the "
			                     "commit message names",
			                     (unsigned long long)seq);
			goto fail;
		}
		if ((error = pl_entry__decode(&e, env.ptr, env.len)) < 0) {
			pl_error_prefix(error, "seq %llu", (unsigned long long)seq);
			goto fail;
		}
		if ((error = pl_lsess__check(l->sess, &v, seq, &e)) < 0 ||
		    (error = pl_rules_check_time(e.created, l->last_created, when)) < 0 ||
		    (error = pl_lsess__add(l->sess, seq, &e, leaf)) < 0) {
			pl_error_prefix(error, "seq %llu (%s %s)", (unsigned long long)seq, e.type,
			                e.name);
			pl_entry__clear(&e);
			pl_verdict_clear(&v);
			goto fail;
		}
		snprintf(l->apply_role, sizeof(l->apply_role), "%s", v.role);
		pl_verdict_clear(&v);
		snprintf(l->last_created, sizeof(l->last_created), "%s", e.created);
		error = pl_index__apply(l, seq, id, &e, leaf);
		pl_entry__clear(&e);
		if (error < 0)
			goto fail;
		l->size++;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)l->size);
		if ((error = pl_ledger__meta_set(l, "size", num)) < 0)
			goto fail;
	}
	/* its checkpoint and subject index note cover exactly the entries so far */
	pl_merkle_builder_root(&l->mb, want);
	if ((error = pl_ledger__read_path(l, &cpnote, c, "checkpoint")) < 0)
		goto fail;
	sep = strstr(cpnote.ptr, "\n\n");
	if (!sep || pl_checkpoint_parse(&cp, cpnote.ptr, (size_t)(sep + 1 - cpnote.ptr)) < 0 ||
	    cp.size != l->size || memcmp(cp.root, want, PL_HASH_LEN) != 0) {
		error = pl_error_set(PL_EVERIFY, "its checkpoint does not match the entries");
		goto fail;
	}
	(void)root;
	if ((error = pl_lsess__subjects_root(l, want, c, l->size)) < 0 ||
	    (error = pl_lsess__root(l->sess, sroot)) < 0)
		goto fail;
	if (memcmp(want, sroot, PL_HASH_LEN) != 0) {
		error =
		    pl_error_set(PL_EVERIFY, "its subject index note does not match the entries");
		goto fail;
	}
	if ((error = pl_ledger__meta_set(l, "checkpoint", cpnote.ptr)) < 0)
		goto fail;
	l->last_time = when;
	goto done;
fail:
	pl_error_prefix(error, "refusing commit %.7s", git_oid_tostr_s(id));
done:
	git_commit_free(c);
	pl_buf_free(&env);
	pl_buf_free(&cpnote);
	return error;
}

/* Apply commits from the index's head (exclusive) to git's head (inclusive),
 * verifying each (signature, entries, rules, checkpoint, subject index). */
int pl_ledger__refresh(pl_ledger *l)
{
	git_oid head, *chain = NULL;
	size_t n = 0, cap = 0;
	int has = 0, error, rc;
	pl_buf ih = PL_BUF_INIT, size = PL_BUF_INIT;
	git_oid index_head;
	int index_has = 0;
	git_commit *c = NULL;
	int retries = 0;
	uint64_t *seqs = NULL;
	unsigned char(*leaves)[PL_HASH_LEN] = NULL;

again:
	/* The index first, in one read transaction (head, size and nodes agree),
	 * then git: the index only ever follows git, so git's head read later is
	 * the index's head or a descendant of it. */
	index_has = 0;
	if ((error = pl_index__exec(l->db, "BEGIN")) < 0)
		goto done;
	l->synced = 0;
	error = pl_ledger__meta_get(l, "head", &ih);
	if (error == PL_OK) {
		index_has = 1;
		if (git_oid_fromstr(&index_head, ih.ptr) < 0)
			error =
			    pl_error_set(PL_EINVALID, "index: bad head; run 'provledger reindex'");
	}
	if (error == PL_OK || error == PL_ENOTFOUND) {
		if ((error = pl_ledger__meta_get(l, "size", &size)) == PL_OK)
			l->size = strtoull(size.ptr, NULL, 10);
		else if (error == PL_ENOTFOUND)
			l->size = 0;
	}
	if (error == PL_OK || error == PL_ENOTFOUND)
		error = pl_index__load_builder(l);
	pl_index__exec(l->db, error < 0 ? "ROLLBACK" : "COMMIT");
	if (error < 0)
		goto done;
	if ((error = read_head(l, &head, &has)) < 0)
		goto done;
	if (!has) {
		if (index_has)
			error = l->size > 0 ? rolled_back(l, 0)
			                    : pl_error_set(PL_EINVALID,
			                                   "%s: git has no entries but the index "
			                                   "has; run 'provledger reindex'",
			                                   l->dir);
		l->has_head = 0;
		l->synced = error == PL_OK;
		goto done;
	}
	/* Walk back from git's head to the index's head. */
	git_oid cur = head;
	for (;;) {
		if (index_has && git_oid_equal(&cur, &index_head))
			break;
		if (n == cap) {
			git_oid *p;
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(chain, cap * sizeof(*chain))) == NULL) {
				error = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			chain = p;
		}
		chain[n++] = cur;
		if ((rc = git_commit_lookup(&c, l->repo, &cur)) < 0) {
			error = pl_ledger__git_error(rc, "commit");
			goto done;
		}
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			c = NULL;
			if (index_has) {
				uint64_t gsize = 0;
				if (git_size(l, &gsize, &head) == PL_OK && gsize < l->size) {
					error = rolled_back(l, gsize);
					goto done;
				}
				/* rewritten: keep the index's signed checkpoint, as
				 * for a rollback */
				pl_buf cpk = PL_BUF_INIT, pk = PL_BUF_INIT;
				if (pl_ledger__meta_get(l, "checkpoint", &cpk) == PL_OK) {
					pl_buf_printf(&pk, "%s/rollback-%llu.checkpoint", l->dir,
					              (unsigned long long)l->size);
					pl_write_file_atomic(pk.ptr, cpk.ptr, cpk.len, 0644);
				}
				error =
				    pl_error_set(PL_EINVALID,
				                 "%s: the log was rewritten: the index does not "
				                 "match the git history; its signed checkpoint of "
				                 "size %llu is kept as %s; run 'provledger verify "
				                 "--since' it, then 'provledger reindex "
				                 "--accept-rollback'",
				                 l->dir, (unsigned long long)l->size,
				                 pk.len ? pk.ptr : "(none)");
				pl_buf_free(&cpk);
				pl_buf_free(&pk);
				goto done;
			}
			break;
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		c = NULL;
	}
	if (n == 0) {
		l->head = head;
		l->has_head = 1;
		l->synced = 1;
		goto done;
	}
	if ((error = pl_index__exec(l->db, "BEGIN IMMEDIATE")) < 0)
		goto done;
	/* Another process may have caught the index up since we read it: then
	 * start again from what it wrote, or we would apply its entries twice. */
	{
		pl_buf now = PL_BUF_INIT;
		int rc2 = pl_ledger__meta_get(l, "head", &now);
		int same = rc2 == PL_OK ? index_has && strcmp(now.ptr, ih.ptr) == 0
		                        : rc2 == PL_ENOTFOUND && !index_has;
		pl_buf_free(&now);
		if (rc2 < 0 && rc2 != PL_ENOTFOUND) {
			error = rc2;
			goto rollback;
		}
		if (!same) {
			pl_index__exec(l->db, "ROLLBACK");
			free(chain);
			chain = NULL;
			n = cap = 0;
			if (++retries > 1000) {
				error = pl_error_set(PL_ECONFLICT, "%s: the index keeps moving",
				                     l->dir);
				goto done;
			}
			goto again;
		}
	}
	/* A session over the index's head (its signature and subject index
	 * checked), to which each commit taken is added. */
	pl_lsess__free(l->sess);
	l->sess = NULL;
	l->last_created[0] = '\0';
	if ((error = pl_lsess__open(&l->sess, l, index_has ? &index_head : NULL, l->size)) < 0)
		goto rollback;
	l->last_time = pl_lsess__base_time(l->sess);
	if (l->size > 0) {
		const pl_fact *f;
		if ((error = pl_lsess__src(l->sess)->fact(l->sess, &f, l->size - 1)) < 0)
			goto rollback;
		snprintf(l->last_created, sizeof(l->last_created), "%s", f->created);
	}
	if (!(seqs = malloc(MAX_BATCH * sizeof(*seqs))) ||
	    !(leaves = malloc(MAX_BATCH * sizeof(*leaves)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto rollback;
	}
	/* Attachments are content-addressed and never removed: read them from
	 * the tip's blobs/ (one tree) rather than from each commit's (a new tree
	 * of all the attachments so far, for every commit: quadratic). */
	l->att_tip = head;
	l->has_att_tip = 1;
	while (n > 0) {
		const git_oid *id = &chain[--n];
		if ((error = take_commit(l, id, seqs, leaves)) < 0)
			goto rollback;
	}
	if ((error = pl_lsess__flush(l->sess)) < 0 || (error = pl_index__exec(l->db, "COMMIT")) < 0)
		goto rollback;
	l->head = head;
	l->has_head = 1;
	l->synced = 1;
	pl_lsess__rebase(l->sess, &head, l->size);
	goto done;
rollback:
	pl_index__exec(l->db, "ROLLBACK");
	pl_lsess__free(l->sess);
	l->sess = NULL;
	l->last_created[0] = '\0';
	{
		/* back to what the index holds */
		pl_buf s2 = PL_BUF_INIT;
		l->size =
		    pl_ledger__meta_get(l, "size", &s2) == PL_OK ? strtoull(s2.ptr, NULL, 10) : 0;
		pl_buf_free(&s2);
		pl_index__load_builder(l);
	}
done:
	l->has_att_tip = 0;
	git_commit_free(c);
	free(chain);
	free(seqs);
	free(leaves);
	pl_buf_free(&ih);
	pl_buf_free(&size);
	return error;
}

/* Like pl_ledger__refresh, but when the index is known to hold our head and
 * git's head has not moved (one read of the ref), there is nothing to do. */
int pl_ledger__sync(pl_ledger *l)
{
	git_oid head;
	int has, error;
	if (!l->repo)
		return PL_OK; /* in memory: nothing to catch up with */
	if (l->synced) {
		if ((error = read_head(l, &head, &has)) < 0)
			return error;
		if (has == l->has_head && (!has || git_oid_equal(&head, &l->head)))
			return PL_OK;
	}
	pl_lsess__free(l->sess);
	l->sess = NULL;
	return pl_ledger__refresh(l);
}

/* ---- open / init -------------------------------------------------------- */

/* The repository's object database, but loose objects written at zlib level
 * 1 instead of libgit2's default 6: about 3x less CPU for each object an
 * append writes, a few percent larger files; any git reads them. fsync as
 * libgit2 would (core.fsyncObjectFiles). Repositories with alternates keep
 * the default database. */
static int durable_writes;

void pl_ledger_durable_writes(int on)
{
	ensure_git();
	durable_writes = on;
}

/* Durable writes: the objects of a commit are written without an fsync each
 * (git's core.fsyncMethod=batch idea) and made durable together by one
 * syncfs of the repository's file system before the ref moves to them; one
 * more after the ref moved (pl_ledger__sync_ref). Two flushes a batch
 * instead of one fsync for every object, tree, directory and the ref. */
int pl_ledger__sync_objects(pl_ledger *l)
{
	int fd, rc;
	if (!durable_writes || !l->repo)
		return PL_OK;
	if ((fd = open(git_repository_path(l->repo), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return pl_error_set(PL_ERROR, "%s: %s", git_repository_path(l->repo),
		                    strerror(errno));
	rc = syncfs(fd);
	close(fd);
	if (rc < 0)
		return pl_error_set(PL_ERROR, "syncfs %s: %s", git_repository_path(l->repo),
		                    strerror(errno));
	return PL_OK;
}

static int fast_odb(git_repository *repo, const char *repo_path)
{
	pl_buf objects = PL_BUF_INIT, alt = PL_BUF_INIT;
	git_odb *odb = NULL;
	git_odb_backend *pack = NULL, *loose = NULL;
	git_config *cfg = NULL;
	struct stat st;
	int fsync_objects = 0, rc = 0;

	if (pl_buf_printf(&objects, "%s/objects", repo_path) < 0 ||
	    pl_buf_printf(&alt, "%s/objects/info/alternates", repo_path) < 0 ||
	    stat(alt.ptr, &st) == 0)
		goto done;
	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_bool(&fsync_objects, cfg, "core.fsyncObjectFiles") < 0)
		fsync_objects = 0;
	/* durable writes fsync the commit's objects together (pl_ledger__sync_objects) */
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_backend_pack(&pack, objects.ptr)) < 0 ||
	    (rc = git_odb_add_backend(odb, pack, 2)) < 0)
		goto done;
	pack = NULL;
	if ((rc = git_odb_backend_loose(&loose, objects.ptr, 1, fsync_objects, 0, 0)) < 0 ||
	    (rc = git_odb_add_backend(odb, loose, 1)) < 0)
		goto done;
	loose = NULL;
	rc = git_repository_set_odb(repo, odb);
done:
	if (pack)
		pack->free(pack);
	if (loose)
		loose->free(loose);
	git_odb_free(odb);
	git_config_free(cfg);
	pl_buf_free(&objects);
	pl_buf_free(&alt);
	return rc;
}

int pl_ledger__open(pl_ledger **out, const char *dir, int do_catch_up)
{
	pl_ledger *l;
	pl_buf path = PL_BUF_INIT;
	int error, rc;

	ensure_git();
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	l->lockfd = -1;
	if ((l->dir = strdup(dir)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = read_config(l)) < 0)
		goto done;
	if ((error = path_join(&path, dir, "repo.git")) < 0)
		goto done;
	if ((rc = git_repository_open_bare(&l->repo, path.ptr)) < 0 ||
	    (rc = fast_odb(l->repo, path.ptr)) < 0) {
		error = pl_ledger__git_error(rc, path.ptr);
		goto done;
	}
	if (do_catch_up < 0) /* reindex: the index is about to be replaced */
		goto done;
	if ((error = path_join(&path, dir, "index.sqlite")) < 0)
		goto done;
	if (do_catch_up > 0 && access(dir, W_OK) != 0 &&
	    (access(path.ptr, F_OK) != 0 || access(path.ptr, W_OK) != 0)) {
		/* a read-only copy (another uid, a mounted archive): the index is
		 * rebuilt in memory from git, verifying every commit */
		if ((error = pl_index__open(&l->db, ":memory:")) < 0)
			goto done;
		l->readonly = 1;
	} else if ((error = pl_index__open(&l->db, path.ptr)) < 0) {
		goto done;
	}
	if (do_catch_up) {
		if ((error = pl_ledger__refresh(l)) < 0)
			goto done;
	} else {
		error = read_head(l, &l->head, &l->has_head);
	}
done:
	pl_buf_free(&path);
	if (error < 0)
		pl_ledger_free(l);
	else
		*out = l;
	return error;
}

int pl_ledger__open_memory(pl_ledger **out, const char *origin, const pl_key *op,
                           int (*att_fn)(void *ctx, pl_buf *out, const char *hex), void *ctx)
{
	pl_ledger *l;
	int error;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	l->lockfd = -1;
	l->att_fn = att_fn;
	l->att_ctx = ctx;
	snprintf(l->origin, sizeof(l->origin), "%s", origin);
	if ((l->dir = strdup("(bundle)")) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_key_public(&l->op, op)) < 0 ||
	    (error = pl_index__open(&l->db, ":memory:")) < 0)
		goto done;
	pl_merkle_builder_init(&l->mb);
	*out = l;
	l = NULL;
done:
	pl_ledger_free(l);
	return error;
}

int pl_ledger_open(pl_ledger **out, const char *dir)
{
	return pl_ledger__open(out, dir, 1);
}

/* A copy with no config (a `git clone --bare`, or DIR/repo.git): the origin
 * is read from the head's checkpoint, the operator key is the trusted one. */
static int open_bare(pl_ledger **out, const char *path, const pl_key *trust)
{
	pl_ledger *l;
	pl_buf p = PL_BUF_INIT, cp = PL_BUF_INIT;
	git_commit *c = NULL;
	git_oid head;
	const char *nl;
	int error, rc;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	l->lockfd = -1;
	if ((l->dir = strdup(path)) == NULL || (error = pl_key_public(&l->op, trust)) < 0) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	pl_buf_printf(&p, "%s/repo.git", path);
	if (access(p.ptr, F_OK) != 0) {
		pl_buf_clear(&p);
		pl_buf_puts(&p, path);
	}
	if ((rc = git_repository_open_bare(&l->repo, p.ptr)) < 0) {
		error = pl_error_set(PL_ENOTFOUND,
		                     "no ledger at %s (no config, and not a git repository)", path);
		goto done;
	}
	if ((rc = git_reference_name_to_id(&head, l->repo, "refs/heads/main")) < 0 ||
	    (rc = git_commit_lookup(&c, l->repo, &head)) < 0) {
		error = pl_error_set(PL_EINVALID, "%s: no refs/heads/main to audit", p.ptr);
		goto done;
	}
	if ((error = pl_ledger__read_path(l, &cp, c, "checkpoint")) < 0 ||
	    (nl = strchr(cp.ptr, '\n')) == NULL || (size_t)(nl - cp.ptr) >= sizeof(l->origin)) {
		error = pl_error_set(PL_EINVALID, "%s: the head has no readable checkpoint", p.ptr);
		goto done;
	}
	memcpy(l->origin, cp.ptr, (size_t)(nl - cp.ptr));
	snprintf(l->op_name, sizeof(l->op_name), "%s", git_commit_author(c)->name);
	*out = l;
	l = NULL;
	error = PL_OK;
done:
	git_commit_free(c);
	pl_buf_free(&p);
	pl_buf_free(&cp);
	pl_ledger_free(l);
	return error;
}

int pl_ledger_open_audit(pl_ledger **out, const char *dir, const pl_key *trust)
{
	pl_buf cfg = PL_BUF_INIT;
	int error, has_config;
	ensure_git();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	pl_buf_printf(&cfg, "%s/config", dir);
	has_config = access(cfg.ptr, F_OK) == 0;
	pl_buf_free(&cfg);
	if (!has_config) {
		pl_buf head = PL_BUF_INIT, head2 = PL_BUF_INIT;
		int is_git;
		pl_buf_printf(&head, "%s/HEAD", dir);
		pl_buf_printf(&head2, "%s/repo.git/HEAD", dir);
		is_git = access(head.ptr, F_OK) == 0 || access(head2.ptr, F_OK) == 0;
		pl_buf_free(&head);
		pl_buf_free(&head2);
		if (!is_git)
			return pl_error_set(PL_ENOTFOUND, "no ledger at %s (run 'provledger init')",
			                    dir);
		if (!trust)
			return pl_error_set(
			    PL_EUSAGE, "%s has no config: give the operator's key with --trust",
			    dir);
		return open_bare(out, dir, trust);
	}
	if ((error = pl_ledger__open(out, dir, -1)) < 0)
		return error;
	if (trust) {
		/* the key given out of band, not the copy's own claim */
		pl_key_free((*out)->op);
		if ((error = pl_key_public(&(*out)->op, trust)) < 0) {
			pl_ledger_free(*out);
			*out = NULL;
		}
	}
	return error;
}

int pl_ledger_open_replay(pl_ledger **out, const char *dir, const pl_key *trust)
{
	pl_ledger *l = NULL;
	int error;
	if ((error = pl_ledger_open_audit(&l, dir, trust)) < 0)
		return error;
	if ((error = pl_index__open(&l->db, ":memory:")) < 0 ||
	    (error = pl_ledger__refresh(l)) < 0) {
		pl_ledger_free(l);
		return error;
	}
	l->readonly = 1;
	*out = l;
	return PL_OK;
}

int pl_ledger_open_for_verify(pl_ledger **out, const char *dir)
{
	ensure_git();
	/* An audit re-hashes every object it reads from git, and reads nothing
	 * else: the index is not opened (it may be absent, broken or read-only). */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	return pl_ledger__open(out, dir, -1);
}

void pl_ledger_free(pl_ledger *l)
{
	if (!l)
		return;
	pl_ledger__unlock(l);
	pl_ledger__rebuilt_free(l);
	pl_lsess__free(l->sess);
	pl_index__finalize_all(l);
	git_tree_free(l->blobs);
	if (l->db)
		sqlite3_close(l->db);
	git_repository_free(l->repo);
	pl_key_free(l->op);
	pl_key_free(l->op_priv);
	free(l->op_key_path);
	free(l->upstream);
	json_decref(l->witnesses);
	free(l->dir);
	free(l);
}

const char *pl_ledger_dir(const pl_ledger *l)
{
	return l->dir;
}

const char *pl_ledger_origin(const pl_ledger *l)
{
	return l->origin;
}
uint64_t pl_ledger_size(const pl_ledger *l)
{
	return l->size;
}
const char *pl_ledger_witness(const pl_ledger *l, size_t i)
{
	return json_string_value(json_array_get(l->witnesses, i));
}

unsigned pl_ledger_witness_quorum(const pl_ledger *l)
{
	return l->witness_quorum;
}

const pl_key *pl_ledger_operator(const pl_ledger *l)
{
	return l->op;
}

static int write_config(const char *dir, const char *origin, const char *pub, const char *kp,
                        const char *name, const pl_ledger_init_opts *o)
{
	json_t *cfg = json_pack("{s:s, s:s, s:s, s:s}", "origin", origin, "operator_public_key",
	                        pub, "operator_key", kp, "operator_name", name);
	pl_buf path = PL_BUF_INIT;
	char *s = NULL;
	int error;
	if (cfg && o->test_clock)
		json_object_set_new(cfg, "test_clock", json_true());
	if (cfg && o->nwitnesses) {
		json_t *w = json_array();
		for (size_t i = 0; i < o->nwitnesses; i++)
			json_array_append_new(w, json_string(o->witnesses[i]));
		json_object_set_new(cfg, "witnesses", w);
		if (o->witness_quorum)
			json_object_set_new(cfg, "witness_quorum", json_integer(o->witness_quorum));
	}
	if (!cfg || (s = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = path_join(&path, dir, "config")) < 0)
		goto done;
	error = pl_write_file_atomic(path.ptr, s, strlen(s), 0644);
done:
	free(s);
	json_decref(cfg);
	pl_buf_free(&path);
	return error;
}

/* dir must not exist, or be an empty directory. */
int pl_ledger__check_init_dir(const char *dir)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	pl_buf cfg = PL_BUF_INIT;
	int error = PL_OK;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? PL_OK
		                       : pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
	pl_buf_printf(&cfg, "%s/config", dir);
	if (stat(cfg.ptr, &st) == 0)
		error = pl_error_set(PL_ECONFLICT, "%s: a ledger already exists here", dir);
	pl_buf_free(&cfg);
	if (error < 0)
		return error;
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return pl_error_set(PL_EINVALID, "%s exists and is not a directory", dir);
	if ((d = opendir(dir)) == NULL)
		return pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			error = pl_error_set(PL_ECONFLICT,
			                     "%s is not empty (it holds '%s'); a ledger is created "
			                     "only in a new or empty directory",
			                     dir, de->d_name);
			break;
		}
	closedir(d);
	return error;
}

/* Remove a directory tree we created (the temporary sibling of init). */
void pl_ledger__remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	if (d) {
		while ((de = readdir(d)) != NULL) {
			pl_buf p = PL_BUF_INIT;
			struct stat st;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			pl_buf_printf(&p, "%s/%s", path, de->d_name);
			if (lstat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode))
				pl_ledger__remove_tree(p.ptr);
			else
				unlink(p.ptr);
			pl_buf_free(&p);
		}
		closedir(d);
	}
	rmdir(path);
}

int pl_ledger_init(pl_ledger **out, const char *dir, const char *origin, const char *operator_key,
                   const char *operator_name)
{
	pl_ledger_init_opts o = {origin, operator_key, operator_name, 0, NULL, NULL, NULL, 0, 0};
	return pl_ledger_init_ex(out, dir, &o);
}

int pl_ledger_init_ex(pl_ledger **out, const char *dir, const pl_ledger_init_opts *o)
{
	pl_buf path = PL_BUF_INIT, pub = PL_BUF_INIT, kp = PL_BUF_INIT, org = PL_BUF_INIT,
	       tmp = PL_BUF_INIT;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	git_repository *repo = NULL;
	git_repository_init_options opts;
	int error, rc, made = 0;
	char host[200];
	json_t *subj = NULL, *pred = NULL;
	unsigned char raw[32];
	char hex[65];
	const char *origin = o->origin, *operator_key = o->operator_key,
	           *operator_name = o->operator_name;

	ensure_git();
	if (!operator_name || !*operator_name)
		operator_name = "operator";
	if ((error = pl_rules_check_key_name(operator_name)) < 0)
		goto done;
	if (!origin || !*origin) {
		if (gethostname(host, sizeof(host)) < 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		pl_buf_printf(&org, "provledger/%s", host);
		origin = org.ptr;
	}
	{
		/* C2SP: no spaces, no '+'; here also printable ASCII only, so that no
		 * control or bidirectional character can disguise whose log it is */
		int bad = strlen(origin) >= 256;
		for (const unsigned char *p = (const unsigned char *)origin; *p; p++)
			bad |= *p <= 0x20 || *p >= 0x7f || *p == '+';
		if (bad) {
			pl_buf shown = PL_BUF_INIT;
			pl_buf_put_escaped(&shown, origin, strlen(origin));
			error =
			    pl_error_set(PL_EINVALID,
			                 "origin '%s': must be one word of printable ASCII under "
			                 "256 bytes, without '+'",
			                 shown.ptr ? shown.ptr : "");
			pl_buf_free(&shown);
			goto done;
		}
	}
	for (size_t i = 0; i < o->nwitnesses; i++) {
		const char *w = o->witnesses[i], *eq = strchr(w, '=');
		pl_key *wk = NULL;
		if (!eq || eq == w ||
		    pl_cosig_parse_verifier_key(&wk, NULL, eq + 1, strlen(eq + 1)) < 0) {
			error =
			    pl_error_set(PL_EUSAGE,
			                 "--witness '%s': not URL=VKEY (a witness's cosignature "
			                 "verifier key: provledger witness key)",
			                 w);
			goto done;
		}
		pl_key_free(wk);
	}
	if (o->witness_quorum > o->nwitnesses) {
		error = pl_error_set(PL_EUSAGE, "--witness-quorum %u of %zu witnesses",
		                     o->witness_quorum, o->nwitnesses);
		goto done;
	}
	if ((error = pl_ledger__check_init_dir(dir)) < 0)
		goto done;
	/* Everything is made in a temporary sibling, renamed into place at the
	 * end: an interrupted init leaves nothing at dir. */
	{
		const char *slash = strrchr(dir, '/');
		pl_buf_printf(&tmp, "%.*s%s.init-%ld-%u", slash ? (int)(slash - dir + 1) : 0, dir,
		              slash ? slash + 1 : dir, (long)getpid(), (unsigned)time(NULL));
		if (mkdir(tmp.ptr, 0755) < 0) {
			error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
			goto done;
		}
		made = 1;
	}
	if (operator_key) {
		if ((error = pl_key_load_private(&key, operator_key)) < 0)
			goto done;
		if (operator_key[0] == '/') {
			error = pl_buf_puts(&kp, operator_key);
		} else {
			char cwd[4096];
			if (!getcwd(cwd, sizeof(cwd))) {
				error = pl_error_set(PL_ERROR, "getcwd: %s", strerror(errno));
				goto done;
			}
			error = pl_buf_printf(&kp, "%s/%s", cwd, operator_key);
		}
		if (error < 0)
			goto done;
	} else {
		if ((error = path_join(&path, tmp.ptr, "keys")) < 0)
			goto done;
		if (mkdir(path.ptr, 0700) < 0) {
			error = pl_error_set(PL_ERROR, "%s: %s", path.ptr, strerror(errno));
			goto done;
		}
		/* Relative to DIR (see read_config), whatever the working directory. */
		if ((error = pl_key_generate(&key)) < 0 ||
		    (error = pl_buf_printf(&kp, "%s/keys/operator.key", tmp.ptr)) < 0 ||
		    (error = pl_key_save_private(key, kp.ptr)) < 0)
			goto done;
		pl_buf_clear(&kp);
		if ((error = pl_buf_puts(&kp, "keys/operator.key")) < 0)
			goto done;
	}
	if ((error = pl_key_openssh(&pub, key, operator_name)) < 0)
		goto done;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	if ((error = path_join(&path, tmp.ptr, "repo.git")) < 0)
		goto done;
	if ((rc = git_repository_init_ext(&repo, path.ptr, &opts)) < 0) {
		error = pl_ledger__git_error(rc, path.ptr);
		goto done;
	}
	git_repository_free(repo);
	repo = NULL;
	if ((error = write_config(tmp.ptr, origin, pub.ptr, kp.ptr, operator_name, o)) < 0)
		goto done;
	/* The operator's public key, for whoever verifies evidence later. */
	if ((error = path_join(&path, tmp.ptr, "operator.pub")) < 0 ||
	    (error = pl_buf_putc(&pub, '\n')) < 0 ||
	    (error = pl_write_file_atomic(path.ptr, pub.ptr, pub.len, 0644)) < 0)
		goto done;
	pub.ptr[--pub.len] = '\0';
	if ((error = pl_ledger_open(&l, tmp.ptr)) < 0)
		goto done;
	if (o->clock && (error = pl_ledger_set_clock(l, o->clock, o->clock_ctx)) < 0)
		goto done;
	/* Entry 0: the operator's key, self-signed. */
	pl_key_raw(key, raw);
	pl_hex(hex, raw, 32);
	{
		pl_buf sname = PL_BUF_INIT;
		pl_buf_printf(&sname, "key:%s", operator_name);
		subj = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
		pl_buf_free(&sname);
	}
	pred = json_pack("{s:s, s:s, s:s}", "name", operator_name, "role", "operator", "public_key",
	                 pub.ptr);
	if (!subj || !pred) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	error = pl_ledger_append_statement(l, NULL, key, "key", subj, pred, NULL, 0);
	subj = pred = NULL;
	if (error < 0)
		goto done;
	pl_ledger_free(l);
	l = NULL;
	/* an existing empty dir is replaced; anything else was refused above */
	rmdir(dir);
	if (rename(tmp.ptr, dir) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
		goto done;
	}
	made = 0;
	if ((error = pl_ledger_open(&l, dir)) < 0)
		goto done;
	if (o->clock && (error = pl_ledger_set_clock(l, o->clock, o->clock_ctx)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	json_decref(subj);
	json_decref(pred);
	pl_ledger_free(l);
	git_repository_free(repo);
	pl_key_free(key);
	if (made)
		pl_ledger__remove_tree(tmp.ptr);
	pl_buf_free(&path);
	pl_buf_free(&pub);
	pl_buf_free(&kp);
	pl_buf_free(&org);
	pl_buf_free(&tmp);
	return error;
}
