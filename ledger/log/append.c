/*
 * append.c - appending entries: under the ledger lock, the index is caught up
 * with git (every commit it takes is verified), each entry is checked by the
 * rules (rules.c) against a session whose every fact comes from signed git
 * data, then one signed commit adds the entries, their attachments, the new
 * signed checkpoint and the new signed subject index note; the ref moves by
 * compare-and-swap and the index follows in the same SQLite transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"
#include "pl_rules_engine.h"

static int load_operator_private(pl_ledger *l)
{
	pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;
	int error;
	if (l->op_priv)
		return PL_OK;
	if ((error = pl_key_load_private(&l->op_priv, l->op_key_path)) < 0)
		return pl_error_prefix(error, "operator key");
	if ((error = pl_key_fingerprint(&a, l->op)) == PL_OK &&
	    (error = pl_key_fingerprint(&b, l->op_priv)) == PL_OK && strcmp(a.ptr, b.ptr) != 0)
		error = pl_error_set(PL_EINVALID, "%s is not the operator key in the config",
		                     l->op_key_path);
	pl_buf_free(&a);
	pl_buf_free(&b);
	if (error < 0) {
		pl_key_free(l->op_priv);
		l->op_priv = NULL;
	}
	return error;
}

/* refs/heads/main.lock while we hold DIR/lock: every provledger writer takes
 * DIR/lock first, so the lock file is either left by an appender that was
 * killed (stale: remove it, or the ledger could never grow again) or held for
 * a moment by a foreign git process (wait for it). A lock file untouched for
 * STALE_LOCK_SECONDS counts as stale. */
#define STALE_LOCK_SECONDS 2
static int clear_stale_ref_lock(pl_ledger *l)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/repo.git/refs/heads/main.lock", l->dir);
	for (int tries = 0; tries < 10 * STALE_LOCK_SECONDS + 5; tries++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		if (stat(path, &st) < 0)
			return PL_OK;
		if (time(NULL) - st.st_mtime >= STALE_LOCK_SECONDS) {
			if (unlink(path) < 0 && errno != ENOENT)
				return pl_error_set(PL_ERROR, "%s: stale lock: %s", path,
				                    strerror(errno));
			return PL_OK;
		}
		nanosleep(&ts, NULL);
	}
	return PL_OK; /* still held: git_reference_create_matching reports it */
}

/* One entry of a batch being appended. */
typedef struct {
	pl_buf env; /* owned copy of the envelope */
	pl_entry e;
	int decoded;
	unsigned char leaf[PL_HASH_LEN];
	const pl_attachment *att;
	size_t natt;
	pl_verdict v;
} item;

/* Write the blobs, the tree and the signed commit object (the ref is not
 * moved). */
static int write_commit(pl_ledger *l, git_oid *out, uint64_t seq0, item *it, size_t n,
                        const pl_buf *checkpoint, const pl_buf *subjects, int64_t when)
{
	git_tree_update *up = NULL;
	char(*paths)[80] = NULL;
	git_oid *ids = NULL, tree_id;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_buf cbuf = GIT_BUF_INIT;
	pl_buf msg = PL_BUF_INIT, ssig = PL_BUF_INIT;
	size_t nup = 2, k;
	int error = PL_OK, rc;

	for (size_t i = 0; i < n; i++)
		nup += 1 + it[i].natt;
	if (!(up = calloc(nup, sizeof(*up))) || !(paths = calloc(nup, sizeof(*paths))) ||
	    !(ids = calloc(nup, sizeof(*ids)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	strcpy(paths[0], "checkpoint");
	strcpy(paths[1], "subjects");
	if ((rc = git_blob_create_from_buffer(&ids[0], l->repo, checkpoint->ptr, checkpoint->len)) <
	        0 ||
	    (rc = git_blob_create_from_buffer(&ids[1], l->repo, subjects->ptr, subjects->len)) <
	        0) {
		error = pl_ledger__git_error(rc, "write blob");
		goto done;
	}
	k = 2;
	for (size_t i = 0; i < n; i++) {
		pl_ledger__entry_path(paths[k], seq0 + i);
		if ((rc = git_blob_create_from_buffer(&ids[k], l->repo, it[i].env.ptr,
		                                      it[i].env.len)) < 0) {
			error = pl_ledger__git_error(rc, "write blob");
			goto done;
		}
		k++;
		for (size_t j = 0; j < it[i].natt; j++, k++) {
			unsigned char d[PL_HASH_LEN];
			char hex[65];
			pl_sha256(d, it[i].att[j].data, it[i].att[j].len);
			pl_hex(hex, d, PL_HASH_LEN);
			snprintf(paths[k], sizeof(paths[0]), "blobs/%s", hex);
			if ((rc = git_blob_create_from_buffer(&ids[k], l->repo, it[i].att[j].data,
			                                      it[i].att[j].len)) < 0) {
				error = pl_ledger__git_error(rc, "write blob");
				goto done;
			}
		}
	}
	for (size_t i = 0; i < nup; i++) {
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].id = ids[i];
		up[i].filemode = GIT_FILEMODE_BLOB;
		up[i].path = paths[i];
	}
	if (l->has_head) {
		if ((rc = git_commit_lookup(&parent, l->repo, &l->head)) < 0 ||
		    (rc = git_commit_tree(&base, parent)) < 0) {
			error = pl_ledger__git_error(rc, "read head");
			goto done;
		}
	}
	/* A NULL baseline starts from the empty tree without writing it. */
	if ((rc = git_tree_create_updated(&tree_id, l->repo, base, nup, up)) < 0 ||
	    (rc = git_tree_lookup(&tree, l->repo, &tree_id)) < 0) {
		error = pl_ledger__git_error(rc, "write tree");
		goto done;
	}
	if (n == 1)
		error = pl_buf_printf(&msg, "%s %s\n\n", it[0].e.type, it[0].e.name);
	else
		error = pl_buf_printf(&msg, "%zu entries: %s %s ... %s %s\n\n", n, it[0].e.type,
		                      it[0].e.name, it[n - 1].e.type, it[n - 1].e.name);
	for (size_t i = 0; i < n && error == PL_OK; i++) {
		char lhex[65];
		pl_hex(lhex, it[i].leaf, PL_HASH_LEN);
		error = pl_buf_printf(&msg, "seq: %llu\nleaf: %s\n", (unsigned long long)(seq0 + i),
		                      lhex);
	}
	if (error < 0)
		goto done;
	if ((rc = git_signature_new(&sig, l->op_name, l->origin, (git_time_t)when, 0)) < 0) {
		error = pl_ledger__git_error(rc, "signature");
		goto done;
	}
	{
		const git_commit *parents[1] = {parent};
		if ((rc = git_commit_create_buffer(&cbuf, l->repo, sig, sig, NULL, msg.ptr, tree,
		                                   parent ? 1 : 0, parents)) < 0) {
			error = pl_ledger__git_error(rc, "commit");
			goto done;
		}
	}
	if ((error = pl_sshsig_sign(&ssig, l->op_priv, "git", cbuf.ptr, cbuf.size)) < 0)
		goto done;
	/* libgit2 writes each line of the header value; no trailing newline. */
	while (ssig.len && ssig.ptr[ssig.len - 1] == '\n')
		ssig.ptr[--ssig.len] = '\0';
	if ((rc = git_commit_create_with_signature(out, l->repo, cbuf.ptr, ssig.ptr, "gpgsig")) < 0)
		error = pl_ledger__git_error(rc, "commit");
done:
	git_buf_dispose(&cbuf);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	free(up);
	free(paths);
	free(ids);
	pl_buf_free(&msg);
	pl_buf_free(&ssig);
	return error;
}

/* Move refs/heads/main from l->head to commit by compare-and-swap. */
static int move_ref(pl_ledger *l, const git_oid *commit)
{
	git_reference *ref = NULL;
	int rc, error = PL_OK;
	if ((error = clear_stale_ref_lock(l)) < 0)
		return error;
	rc = git_reference_create_matching(&ref, l->repo, "refs/heads/main", commit, l->has_head,
	                                   l->has_head ? &l->head : NULL, NULL);
	if (rc == GIT_ELOCKED)
		/* Appends serialise on DIR/lock: another git process holds it. */
		error =
		    pl_error_set(PL_ECONFLICT,
		                 "%s/repo.git/refs/heads/main.lock exists: another git process is "
		                 "updating the ledger, or one crashed (then remove that file)",
		                 l->dir);
	else if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		error = pl_error_set(PL_ECONFLICT, "another writer moved the ledger; try again");
	else if (rc < 0)
		error = pl_ledger__git_error(rc, "update refs/heads/main");
	git_reference_free(ref);
	return error;
}

int64_t pl_ledger_time(pl_ledger *l)
{
	return l->clock ? l->clock(l->clock_ctx) : (int64_t)time(NULL);
}

/* The session at l's head (reused while the index stays at it). */
int pl_ledger__session(pl_ledger *l)
{
	if (l->sess)
		return PL_OK;
	if (l->rebuilt)
		return pl_error_set(PL_ECONFLICT,
		                    "%s: the log moved on while this command ran (others "
		                    "appended): run it again",
		                    l->dir);
	return pl_lsess__open(&l->sess, l, l->has_head ? &l->head : NULL, l->size);
}

static void drop_session(pl_ledger *l)
{
	pl_lsess__free(l->sess);
	l->sess = NULL;
}

/* Supplies entry i of a batch (its seq and the references of the items
 * before it given) as envelope bytes and attachments. */
typedef int (*supply_fn)(void *ctx, size_t i, uint64_t seq, const pl_entry_ref *prev,
                         const char *created, pl_buf *env, const pl_attachment **att, size_t *natt);

/* A rebuilt ledger's appends: to l->submit, then kept in l (rebuilt.c). */
static int submit_items(pl_ledger *l, item *it, size_t n, pl_entry_ref *refs)
{
	pl_submission *sub = calloc(n, sizeof(*sub));
	pl_entry_ref *got = calloc(n, sizeof(*got));
	int error = PL_OK;
	if (!sub || !got) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		sub[i].env = it[i].env.ptr;
		sub[i].len = it[i].env.len;
		sub[i].att = it[i].att;
		sub[i].natt = it[i].natt;
	}
	if ((error = l->submit(l->submit_ctx, sub, n, got)) < 0)
		goto done;
	for (size_t i = 0; i < n && error == PL_OK; i++) {
		refs[i] = got[i];
		error = pl_ledger__rebuilt_took(l, got[i].seq, &it[i].e, it[i].leaf, it[i].v.role,
		                                it[i].env.ptr, it[i].env.len);
	}
done:
	free(sub);
	free(got);
	return error;
}

/* With res (one per item), an item that is refused is skipped and its error
 * kept in res[i]; the others are appended (consecutive seqs, one commit), and
 * the call fails only when the commit does. Without res: all or nothing. */
static int append_items(pl_ledger *l, pl_entry_ref *out, size_t n, supply_fn supply, void *ctx,
                        int check, pl_batch_result *res)
{
	size_t k = 0, n_in = n; /* items taken so far (it[0..k-1]); items given */
	item *it = NULL;
	pl_entry_ref *refs = NULL;
	pl_merkle_builder mb;
	pl_buf body = PL_BUF_INIT, cp = PL_BUF_INIT, sbody = PL_BUF_INIT, snote = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN], sroot[PL_HASH_LEN];
	char created[32], prev_created[40];
	uint64_t seq0 = 0, old_size;
	int64_t now;
	git_oid commit;
	int error, in_tx = 0, touched = 0;

	if (n == 0)
		return pl_error_set(PL_EUSAGE, "nothing to append");
	if (l->readonly)
		return pl_error_set(PL_ERROR, "%s is read-only here: nothing can be appended",
		                    l->dir);
	if (l->upstream && !l->dry_run)
		return pl_error_set(PL_ERROR,
		                    "%s is a mirror of %s: entries are appended upstream, and come "
		                    "here by 'provledger pull'",
		                    l->dir, l->upstream);
	if (l->rebuilt && !l->submit && !l->dry_run)
		return pl_error_set(PL_ERROR, "%s: a copy in memory: nothing can be appended to it",
		                    l->dir);
	if ((!l->dry_run && !l->rebuilt && (error = load_operator_private(l)) < 0) ||
	    (error = pl_ledger__lock(l)) < 0)
		return error;
	if (!(it = calloc(n, sizeof(*it))) || !(refs = calloc(n, sizeof(*refs)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	/* Another process may have appended since we opened: catch up (every
	 * commit taken from git is verified). */
	if ((error = pl_ledger__sync(l)) < 0 || (error = pl_ledger__session(l)) < 0)
		goto done;
	seq0 = l->size;
	old_size = l->size;
	mb = l->mb;
	if (l->size > 0 && !l->last_created[0]) {
		const pl_fact *f;
		if ((error = pl_lsess__src(l->sess)->fact(l->sess, &f, l->size - 1)) < 0)
			goto done;
		snprintf(l->last_created, sizeof(l->last_created), "%s", f->created);
		l->last_time = pl_lsess__base_time(l->sess);
	}
	now = pl_ledger_time(l);
	if (now < l->last_time)
		now = l->last_time; /* the clock went back: commit times stay monotonic */
	snprintf(prev_created, sizeof(prev_created), "%s", l->last_created);
	for (size_t i = 0; i < n; i++) {
		uint64_t seq = seq0 + k;
		const char *okcreated = created;
		item *x = &it[k];
		pl_rfc3339(created, now);
		if (strcmp(created, prev_created) < 0)
			okcreated = prev_created;
		touched = 1;
		if ((error = supply(ctx, i, seq, refs, okcreated, &x->env, &x->att, &x->natt)) < 0)
			goto refused;
		if ((error = pl_entry__decode(&x->e, x->env.ptr, x->env.len)) < 0) {
			pl_error_prefix(error, "refused entry");
			goto refused;
		}
		x->decoded = 1;
		if (check) {
			if ((error = pl_lsess__check(l->sess, &x->v, seq, &x->e)) < 0 ||
			    (error = pl_rules_check_time(x->e.created, prev_created, now)) < 0) {
				pl_error_prefix(error, "refused %s entry", x->e.type);
				goto refused;
			}
			for (size_t j = 0; j < x->natt; j++) {
				unsigned char d[PL_HASH_LEN];
				char hex[65];
				pl_sha256(d, x->att[j].data, x->att[j].len);
				pl_hex(hex, d, PL_HASH_LEN);
				if (!strstr(x->e.dsse.payload.ptr, hex)) {
					error =
					    pl_error_set(PL_EINVALID,
					                 "refused %s entry: attachment %s is not "
					                 "named by the entry",
					                 x->e.type, hex);
					goto refused;
				}
			}
		}
		pl_merkle_leaf(x->leaf, x->env.ptr, x->env.len);
		if ((error = pl_lsess__add(l->sess, seq, &x->e, x->leaf)) < 0)
			goto done;
		pl_merkle_builder_add(&mb, x->leaf);
		refs[k].seq = seq;
		memcpy(refs[k].leaf, x->leaf, PL_HASH_LEN);
		snprintf(prev_created, sizeof(prev_created), "%s", x->e.created);
		if (res) {
			res[i].code = PL_OK;
			res[i].taken = k;
		}
		k++;
		continue;
	refused:
		if (!res)
			goto done;
		res[i].code = error;
		res[i].taken = (size_t)-1;
		snprintf(res[i].message, sizeof(res[i].message), "%s", pl_error_last());
		pl_buf_free(&x->env);
		if (x->decoded)
			pl_entry__clear(&x->e);
		pl_verdict_clear(&x->v);
		memset(x, 0, sizeof(*x));
	}
	if (k == 0) {
		error = PL_OK; /* every item refused (res says why): nothing to commit */
		goto done;
	}
	n = k;
	pl_merkle_builder_root(&mb, root);
	if ((error = pl_lsess__root(l->sess, sroot)) < 0)
		goto done;
	if (l->submit && !l->dry_run) {
		if ((error = submit_items(l, it, n, refs)) < 0)
			goto done;
		for (size_t i = 0; out && i < n; i++)
			out[i] = refs[i];
		for (size_t i = 0; res && i < n_in; i++)
			if (res[i].code == PL_OK)
				res[i].ref = refs[res[i].taken];
		/* the session holds the entries at the seqs they got, unless others
		 * came in between (then it is dropped, and l refuses more work) */
		touched = l->moved;
		goto done;
	}
	if (l->dry_run) {
		for (size_t i = 0; i < n; i++) {
			if ((error = pl_buf_printf(l->dry_run, "%llu ",
			                           (unsigned long long)(seq0 + i))) < 0 ||
			    (error = pl_buf_put(l->dry_run, it[i].env.ptr, it[i].env.len)) < 0 ||
			    (error = pl_buf_putc(l->dry_run, '\n')) < 0)
				goto done;
		}
		error = PL_OK;
		goto done; /* the session holds what was not appended: dropped below */
	}
	if ((error = pl_checkpoint_format(&body, l->origin, seq0 + n, root)) < 0 ||
	    (error = pl_note_sign(&cp, body.ptr, body.len, l->origin, l->op_priv)) < 0 ||
	    (error = pl_subjects_note_format(&sbody, l->origin, seq0 + n, sroot)) < 0 ||
	    (error = pl_note_sign(&snote, sbody.ptr, sbody.len, l->origin, l->op_priv)) < 0)
		goto done;
	if ((error = write_commit(l, &commit, seq0, it, n, &cp, &snote, now)) < 0)
		goto done;
	/* The index follows in one transaction, committed only once the ref has
	 * moved: a crash in between leaves git ahead, and the next open catches
	 * the index up from git (verifying the commit). */
	if ((error = pl_index__exec(l->db, "BEGIN IMMEDIATE")) < 0)
		goto done;
	in_tx = 1;
	for (size_t i = 0; i < n; i++) {
		char num[32];
		snprintf(l->apply_role, sizeof(l->apply_role), "%s", it[i].v.role);
		if ((error = pl_index__apply(l, seq0 + i, &commit, &it[i].e, it[i].leaf)) < 0)
			goto done;
		l->size = seq0 + i + 1;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)l->size);
		if ((error = pl_ledger__meta_set(l, "size", num)) < 0)
			goto done;
	}
	if ((error = pl_lsess__flush(l->sess)) < 0 ||
	    (error = pl_ledger__meta_set(l, "checkpoint", cp.ptr)) < 0)
		goto done;
	if ((error = pl_ledger__sync_objects(l)) < 0 || (error = move_ref(l, &commit)) < 0)
		goto done;
	/* The entries are in git: the append stands whatever happens next. */
	l->head = commit;
	l->has_head = 1;
	l->last_time = now;
	snprintf(l->last_created, sizeof(l->last_created), "%s", prev_created);
	if (pl_index__exec(l->db, "COMMIT") < 0) {
		pl_index__exec(l->db, "ROLLBACK");
		l->synced = 0;
		drop_session(l);
	} else {
		l->synced = 1;
		pl_lsess__rebase(l->sess, &commit, l->size);
	}
	in_tx = 0;
	touched = 0;
	/* the ref durable too before anyone is told (durable writes); should
	 * that fail, the append stands but is not reported (a client resends it
	 * and is answered as a duplicate) */
	if ((error = pl_ledger__sync_objects(l)) < 0)
		goto done;
	for (size_t i = 0; out && i < n; i++) {
		out[i] = refs[i];
		git_oid_tostr(out[i].commit, sizeof(out[i].commit), &commit);
	}
	for (size_t i = 0; res && i < n_in; i++)
		if (res[i].code == PL_OK) {
			res[i].ref = refs[res[i].taken];
			git_oid_tostr(res[i].ref.commit, sizeof(res[i].ref.commit), &commit);
		}
	error = PL_OK;
	touched = 0;
done:
	if (l->dry_run && error == PL_OK)
		for (size_t i = 0; out && i < n; i++)
			out[i] = refs[i];
	if (in_tx) {
		pl_index__exec(l->db, "ROLLBACK");
		l->size = old_size;
		pl_index__load_builder(l);
		l->synced = 0;
	}
	if (touched)
		drop_session(l); /* it holds entries that were not appended */
	pl_ledger__unlock(l);
	for (size_t i = 0; it && i < n; i++) {
		pl_buf_free(&it[i].env);
		if (it[i].decoded)
			pl_entry__clear(&it[i].e);
		pl_verdict_clear(&it[i].v);
	}
	free(it);
	free(refs);
	pl_buf_free(&body);
	pl_buf_free(&cp);
	pl_buf_free(&sbody);
	pl_buf_free(&snote);
	return error;
}

/* ---- pre-signed envelopes ------------------------------------------------ */

typedef struct {
	const char *env;
	size_t len;
	const pl_attachment *att;
	size_t natt;
} raw_ctx;

static int supply_raw(void *ctx, size_t i, uint64_t seq, const pl_entry_ref *prev,
                      const char *created, pl_buf *env, const pl_attachment **att, size_t *natt)
{
	const raw_ctx *r = ctx;
	(void)seq;
	(void)prev;
	(void)created;
	*att = r[i].att;
	*natt = r[i].natt;
	return pl_buf_put(env, r[i].env, r[i].len);
}

int pl_ledger_append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                     const pl_attachment *att, size_t natt)
{
	return pl_ledger__append(l, out, env, len, att, natt, 1);
}

int pl_ledger__append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                      const pl_attachment *att, size_t natt, int check)
{
	raw_ctx r = {env, len, att, natt};
	return append_items(l, out, 1, supply_raw, &r, check, NULL);
}

int pl_ledger_append_batch(pl_ledger *l, const pl_submission *sub, size_t n, pl_batch_result *res)
{
	raw_ctx *r;
	int error;
	if (n == 0)
		return PL_OK;
	if (!(r = calloc(n, sizeof(*r))))
		return pl_error_set(PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r[i].env = sub[i].env;
		r[i].len = sub[i].len;
		r[i].att = sub[i].att;
		r[i].natt = sub[i].natt;
		memset(&res[i], 0, sizeof(res[i]));
	}
	error = append_items(l, NULL, n, supply_raw, r, 1, res);
	free(r);
	return error;
}

/* ---- statements signed under the lock ------------------------------------- */

typedef struct {
	pl_statement *st;
	size_t n;
} st_ctx;

static int supply_statement(void *ctx, size_t i, uint64_t seq, const pl_entry_ref *prev,
                            const char *created, pl_buf *env, const pl_attachment **att,
                            size_t *natt)
{
	st_ctx *c = ctx;
	pl_statement *s = &c->st[i];
	json_t *subj, *pred;
	int error;
	(void)seq;
	if (!s->predicate || !s->subjects)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (json_object_set_new(s->predicate, "created", json_string(created)) < 0)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (s->link && (error = s->link(s->link_ctx, s->predicate, prev, i)) < 0)
		return error;
	/* pl_entry__sign steals them; keep ours for a retry */
	subj = json_deep_copy(s->subjects);
	pred = json_deep_copy(s->predicate);
	if ((error = pl_entry__sign(env, s->signer, s->type, subj, pred)) < 0)
		return error;
	*att = s->att;
	*natt = s->natt;
	return PL_OK;
}

int pl_ledger_append_statements(pl_ledger *l, pl_entry_ref *out, pl_statement *st, size_t n)
{
	st_ctx c = {st, n};
	int error = append_items(l, out, n, supply_statement, &c, 1, NULL);
	for (size_t i = 0; i < n; i++) {
		json_decref(st[i].subjects);
		json_decref(st[i].predicate);
		st[i].subjects = st[i].predicate = NULL;
	}
	return error;
}

int pl_ledger_append_statement(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                               const char *type, json_t *subjects, json_t *predicate,
                               const pl_attachment *att, size_t natt)
{
	pl_statement s = {signer, type, subjects, predicate, att, natt, NULL, NULL};
	return pl_ledger_append_statements(l, out, &s, 1);
}

void pl_ledger_set_dry_run(pl_ledger *l, pl_buf *envelopes)
{
	l->dry_run = envelopes;
}

int pl_ledger_set_clock(pl_ledger *l, int64_t (*clock)(void *ctx), void *ctx)
{
	if (clock && !l->test_clock && !l->upstream) /* a mirror never appends */
		return pl_error_set(PL_EUSAGE,
		                    "%s was not created with a test clock; a pinned time "
		                    "(PROVLEDGER_TIME) is refused",
		                    l->dir);
	l->clock = clock;
	l->clock_ctx = ctx;
	return PL_OK;
}
