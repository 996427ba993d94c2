/* read.c - reading the ledger: entries, statements, attachments, the
 * checkpoint, roots and proofs over the indexed tree, listings, reindex. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_rules_engine.h"

int pl_ledger__head_commit(pl_ledger *l, git_commit **out)
{
	int rc;
	if (!l->has_head)
		return pl_error_set(PL_ENOTFOUND, "the ledger is empty");
	if ((rc = git_commit_lookup(out, l->repo, &l->head)) < 0)
		return pl_ledger__git_error(rc, "head commit");
	return PL_OK;
}

static int no_entry(pl_ledger *l, uint64_t seq)
{
	return pl_error_set(PL_ENOTFOUND, "no entry %llu (the ledger has %llu)",
	                    (unsigned long long)seq, (unsigned long long)l->size);
}

int pl_ledger_entry(pl_ledger *l, pl_buf *out, uint64_t seq)
{
	git_commit *c = NULL;
	char path[64];
	int error;
	if (seq >= l->size)
		return no_entry(l, seq);
	if (l->rebuilt)
		return pl_ledger__rebuilt_entry(l, out, seq);
	if ((error = pl_ledger__head_commit(l, &c)) < 0)
		return error;
	pl_ledger__entry_path(path, seq);
	error = pl_ledger__read_path(l, out, c, path);
	git_commit_free(c);
	return error;
}

int pl_ledger_statement(pl_ledger *l, json_t **out, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int error;
	if (sqlite3_prepare_v2(l->db, "SELECT statement FROM entries WHERE seq = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "entries");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		error = pl_json_parse(out, s, strlen(s), "index statement");
	} else {
		error = no_entry(l, seq);
	}
	sqlite3_finalize(st);
	return error;
}

/* The blob blobs/<name> of commit c: its blobs/ tree is kept in l->blobs, so
 * that reading many attachments of one commit inflates that tree once. */
static int read_blob(pl_ledger *l, pl_buf *out, const git_commit *c, const char *name)
{
	git_tree *root = NULL;
	const git_tree_entry *te;
	git_blob *blob = NULL;
	int error = PL_OK, rc;

	if ((rc = git_commit_tree(&root, c)) < 0)
		return pl_ledger__git_error(rc, "commit tree");
	if ((te = git_tree_entry_byname(root, "blobs")) == NULL ||
	    git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		error = pl_error_set(PL_ENOTFOUND, "blobs/%s: not in the tree", name);
		goto done;
	}
	if (!l->blobs || !git_oid_equal(git_tree_id(l->blobs), git_tree_entry_id(te))) {
		git_tree_free(l->blobs);
		l->blobs = NULL;
		if ((rc = git_tree_lookup(&l->blobs, l->repo, git_tree_entry_id(te))) < 0) {
			error = pl_ledger__git_error(rc, "blobs/");
			goto done;
		}
	}
	if ((te = git_tree_entry_byname(l->blobs, name)) == NULL) {
		error = pl_error_set(PL_ENOTFOUND, "blobs/%s: not in the tree", name);
		goto done;
	}
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		error = pl_error_set(PL_EINVALID, "blobs/%s: not a file", name);
		goto done;
	}
	if ((rc = git_blob_lookup(&blob, l->repo, git_tree_entry_id(te))) < 0) {
		error = pl_ledger__git_error(rc, name);
		goto done;
	}
	pl_buf_clear(out);
	error = pl_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	git_tree_free(root);
	return error;
}

/* blobs/<hex> in commit id's tree, checked against its digest. */
static int attachment_at(pl_ledger *l, pl_buf *out, const git_oid *id, const char *sha256_hex)
{
	git_commit *c = NULL;
	unsigned char d[PL_HASH_LEN];
	char hex[65];
	int error, rc;
	if (strlen(sha256_hex) != 64)
		return pl_error_set(PL_EINVALID, "'%s' is not a SHA-256", sha256_hex);
	if ((rc = git_commit_lookup(&c, l->repo, id)) < 0)
		return pl_ledger__git_error(rc, "commit");
	if ((error = read_blob(l, out, c, sha256_hex)) == PL_OK) {
		pl_sha256(d, out->ptr, out->len);
		pl_hex(hex, d, PL_HASH_LEN);
		if (strcmp(hex, sha256_hex) != 0)
			error = pl_error_set(PL_EVERIFY, "attachment %s: content does not match",
			                     sha256_hex);
	}
	git_commit_free(c);
	return error;
}

int pl_ledger_attachment(pl_ledger *l, pl_buf *out, const char *sha256_hex)
{
	if (l->att_fn)
		return l->att_fn(l->att_ctx, out, sha256_hex);
	if (!l->has_head)
		return pl_error_set(PL_ENOTFOUND, "the ledger is empty");
	return attachment_at(l, out, &l->head, sha256_hex);
}

int pl_ledger__attachment_applying(pl_ledger *l, pl_buf *out, const char *sha256_hex)
{
	int error;
	if (l->att_fn)
		return l->att_fn(l->att_ctx, out, sha256_hex);
	if (l->has_att_tip &&
	    (error = attachment_at(l, out, &l->att_tip, sha256_hex)) != PL_ENOTFOUND)
		return error;
	return attachment_at(l, out, &l->apply_commit, sha256_hex);
}

int pl_ledger_checkpoint(pl_ledger *l, pl_buf *out)
{
	git_commit *c = NULL;
	int error;
	if (l->rebuilt) {
		pl_buf_clear(out);
		if (!l->note)
			return pl_error_set(PL_ENOTFOUND, "the ledger has no checkpoint yet");
		return pl_buf_puts(out, l->note);
	}
	if ((error = pl_ledger__head_commit(l, &c)) < 0)
		return error;
	error = pl_ledger__read_path(l, out, c, "checkpoint");
	git_commit_free(c);
	return error;
}

static int note_at(pl_ledger *l, pl_buf *out, uint64_t size, const char *file);

int pl_ledger_checkpoint_at(pl_ledger *l, pl_buf *out, uint64_t size)
{
	return note_at(l, out, size, "checkpoint");
}

int pl_ledger_subjects_at(pl_ledger *l, pl_buf *out, uint64_t size)
{
	return note_at(l, out, size, "subjects");
}

/* The signed note `file` (checkpoint, subjects) of the commit that ends at
 * size: for a rebuilt ledger, the one it was rebuilt to. */
static int note_at(pl_ledger *l, pl_buf *out, uint64_t size, const char *file)
{
	sqlite3_stmt *st = NULL;
	git_commit *c = NULL;
	git_oid id;
	int error, rc;
	if (size == 0 || size > l->size)
		return pl_error_set(PL_EINVALID,
		                    "no checkpoint for size %llu (the ledger has %llu)",
		                    (unsigned long long)size, (unsigned long long)l->size);
	if (l->rebuilt) {
		/* a remote log's client holds the notes it verified, no older ones */
		const char *n = strcmp(file, "checkpoint") == 0 ? l->note : l->subjects_note;
		pl_buf_clear(out);
		if (size == l->size && n)
			return pl_buf_puts(out, n);
		return pl_error_set(PL_EINVALID,
		                    "no %s of size %llu here: a client of a remote log holds the "
		                    "latest it verified only (size %llu)%s",
		                    file, (unsigned long long)size, (unsigned long long)l->size,
		                    n ? "" : "; the log does not serve its signed subject index");
	}
	if (sqlite3_prepare_v2(l->db, "SELECT commit_id FROM entries WHERE seq = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "entries");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(size - 1));
	if (sqlite3_step(st) != SQLITE_ROW ||
	    git_oid_fromstr(&id, (const char *)sqlite3_column_text(st, 0)) < 0) {
		error = no_entry(l, size - 1);
		goto done;
	}
	if ((rc = git_commit_lookup(&c, l->repo, &id)) < 0) {
		error = pl_ledger__git_error(rc, "commit");
		goto done;
	}
	error = pl_ledger__read_path(l, out, c, file);
done:
	git_commit_free(c);
	sqlite3_finalize(st);
	return error;
}

/* MTH(D[start:end]) from stored complete subtrees. */
static int subtree(void *ctx, uint64_t start, uint64_t end, unsigned char out[PL_HASH_LEN])
{
	pl_ledger *l = ctx;
	uint64_t n = end - start;
	int error;
	if ((n & (n - 1)) == 0 && start % n == 0) {
		unsigned level = 0;
		while ((1ull << level) < n)
			level++;
		return pl_index__node(l, level, start >> level, out);
	} else {
		unsigned char left[PL_HASH_LEN], right[PL_HASH_LEN];
		uint64_t k = pl_merkle_split(n);
		if ((error = subtree(ctx, start, start + k, left)) < 0 ||
		    (error = subtree(ctx, start + k, end, right)) < 0)
			return error;
		pl_merkle_node(out, left, right);
		return PL_OK;
	}
}

static int check_size(pl_ledger *l, uint64_t size)
{
	if (size > l->size)
		return pl_error_set(PL_EINVALID, "size %llu is beyond the ledger's %llu entries",
		                    (unsigned long long)size, (unsigned long long)l->size);
	return PL_OK;
}

/* The root the signed checkpoint of size holds, from git (its signature
 * checked): what every root and proof computed from the index must match. */
static int signed_root(pl_ledger *l, unsigned char out[PL_HASH_LEN], uint64_t size)
{
	pl_buf note = PL_BUF_INIT, text = PL_BUF_INIT;
	unsigned char digest[PL_HASH_LEN];
	pl_checkpoint cp;
	int error;
	if (l->rebuilt && size < l->size)
		/* every leaf was verified against the signed head: so is any root
		 * computed from them */
		return subtree(l, 0, size, out);
	if ((error = pl_ledger_checkpoint_at(l, &note, size)) < 0)
		goto done;
	/* the same note as the last one verified: its root (a server proves
	 * every entry of a batch to the same checkpoint) */
	pl_sha256(digest, note.ptr, note.len);
	if (l->vnote_size == size && memcmp(l->vnote_digest, digest, PL_HASH_LEN) == 0) {
		memcpy(out, l->vnote_root, PL_HASH_LEN);
		goto done;
	}
	if (pl_note_verify(&text, note.ptr, note.len, l->origin, l->op) == PL_OK &&
	    pl_checkpoint_parse(&cp, text.ptr, text.len) == PL_OK && cp.size > size) {
		/* a commit of several entries: only its last size was signed */
		error =
		    pl_error_set(PL_EINVALID,
		                 "no signed checkpoint of size %llu: entry %llu was appended in "
		                 "one commit with the entries after it, up to size %llu (proofs "
		                 "are to signed sizes only)",
		                 (unsigned long long)size, (unsigned long long)size - 1,
		                 (unsigned long long)cp.size);
		goto done;
	}
	if (pl_note_verify(&text, note.ptr, note.len, l->origin, l->op) < 0 ||
	    pl_checkpoint_parse(&cp, text.ptr, text.len) < 0 || cp.size != size) {
		error = pl_error_set(PL_EINVALID,
		                     "index: the commit it names for size %llu does not hold the "
		                     "signed checkpoint of that size: the index is corrupt; run "
		                     "'provledger reindex'",
		                     (unsigned long long)size);
		goto done;
	}
	memcpy(out, cp.root, PL_HASH_LEN);
	l->vnote_size = size;
	memcpy(l->vnote_digest, digest, PL_HASH_LEN);
	memcpy(l->vnote_root, cp.root, PL_HASH_LEN);
done:
	pl_buf_free(&note);
	pl_buf_free(&text);
	return error;
}

static int corrupt(uint64_t size)
{
	return pl_error_set(PL_EINVALID,
	                    "index: the tree nodes do not lead to the signed checkpoint of size "
	                    "%llu: the index is corrupt; run 'provledger reindex'",
	                    (unsigned long long)size);
}

int pl_ledger_root(pl_ledger *l, unsigned char out[PL_HASH_LEN], uint64_t size)
{
	unsigned char want[PL_HASH_LEN];
	int error;
	if ((error = check_size(l, size)) < 0)
		return error;
	if (size == 0) {
		pl_merkle_empty(out);
		return PL_OK;
	}
	if ((error = subtree(l, 0, size, out)) < 0)
		return error;
	/* the index's nodes are not trusted: the signed checkpoint is */
	if (l->repo && (error = signed_root(l, want, size)) < 0)
		return error;
	if (l->repo && memcmp(out, want, PL_HASH_LEN) != 0)
		return corrupt(size);
	return PL_OK;
}

int pl_ledger_prove_inclusion(pl_ledger *l, pl_buf *out, uint64_t seq, uint64_t size)
{
	unsigned char root[PL_HASH_LEN], leaf[PL_HASH_LEN];
	pl_buf env = PL_BUF_INIT;
	size_t before = out->len;
	int error;
	if ((error = check_size(l, size)) < 0)
		return error;
	if (seq >= size)
		return pl_error_set(PL_EINVALID, "entry %llu is not in a tree of size %llu",
		                    (unsigned long long)seq, (unsigned long long)size);
	if ((error = pl_merkle_inclusion_proof(out, seq, size, subtree, l)) < 0)
		return error;
	/* checked before anyone sees it: the entry's bytes from git, the root of
	 * the signed checkpoint */
	if ((error = signed_root(l, root, size)) < 0 || (error = pl_ledger_entry(l, &env, seq)) < 0)
		goto done;
	pl_merkle_leaf(leaf, env.ptr, env.len);
	if (pl_merkle_verify_inclusion(seq, size, leaf, (const unsigned char *)out->ptr + before,
	                               (out->len - before) / PL_HASH_LEN, root) < 0)
		error = corrupt(size);
done:
	if (error < 0)
		out->len = before;
	pl_buf_free(&env);
	return error;
}

int pl_ledger_prove_consistency(pl_ledger *l, pl_buf *out, uint64_t old_size, uint64_t size)
{
	unsigned char a[PL_HASH_LEN], b[PL_HASH_LEN];
	size_t before = out->len;
	int error;
	if ((error = check_size(l, size)) < 0)
		return error;
	if (old_size > size)
		return pl_error_set(PL_EINVALID, "old size %llu is larger than size %llu",
		                    (unsigned long long)old_size, (unsigned long long)size);
	if ((error = pl_merkle_consistency_proof(out, old_size, size, subtree, l)) < 0)
		return error;
	if (old_size == 0 || old_size == size)
		return PL_OK;
	if ((error = signed_root(l, a, old_size)) < 0 || (error = signed_root(l, b, size)) < 0)
		goto done;
	if (pl_merkle_verify_consistency(old_size, size, a, b,
	                                 (const unsigned char *)out->ptr + before,
	                                 (out->len - before) / PL_HASH_LEN) < 0)
		error = corrupt(size);
done:
	if (error < 0)
		out->len = before;
	return error;
}

int pl_ledger__prove_index(pl_ledger *l, pl_buf *out, uint64_t a, uint64_t size, int consistency)
{
	return consistency ? pl_merkle_consistency_proof(out, a, size, subtree, l)
	                   : pl_merkle_inclusion_proof(out, a, size, subtree, l);
}

static int row_info(sqlite3_stmt *st, pl_entry_fn fn, void *ctx)
{
	pl_entry_info e;
	e.seq = (uint64_t)sqlite3_column_int64(st, 0);
	e.leaf = sqlite3_column_blob(st, 1);
	e.commit = (const char *)sqlite3_column_text(st, 2);
	e.type = (const char *)sqlite3_column_text(st, 3);
	e.name = (const char *)sqlite3_column_text(st, 4);
	e.keyid = (const char *)sqlite3_column_text(st, 5);
	e.created = (const char *)sqlite3_column_text(st, 6);
	return fn(ctx, &e);
}

int pl_ledger_list(pl_ledger *l, const char *type, uint64_t limit, int reverse, pl_entry_fn fn,
                   void *ctx)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int rc, error = PL_OK;
	snprintf(sql, sizeof(sql),
	         "SELECT seq, leaf, commit_id, type, name, keyid, created FROM entries"
	         " WHERE (?1 IS NULL OR type = ?1) ORDER BY seq %s LIMIT ?2",
	         reverse ? "DESC" : "ASC");
	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "entries");
	if (type)
		sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((error = row_info(st, fn, ctx)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = pl_ledger__db_error(l->db, "entries");
	sqlite3_finalize(st);
	return error;
}

int pl_ledger_entry_info(pl_ledger *l, uint64_t seq, pl_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int error;
	if (sqlite3_prepare_v2(
	        l->db,
	        "SELECT seq, leaf, commit_id, type, name, keyid, created FROM entries"
	        " WHERE seq = ?",
	        -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "entries");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		error = row_info(st, fn, ctx);
	else
		error = no_entry(l, seq);
	sqlite3_finalize(st);
	return error;
}

int pl_ledger_keys(pl_ledger *l, pl_key_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, error = PL_OK;
	if (sqlite3_prepare_v2(l->db,
	                       "SELECT keyid, name, role, public_key, seq, revoked_seq FROM keys"
	                       " ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "keys");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_key_info k;
		k.keyid = (const char *)sqlite3_column_text(st, 0);
		k.name = (const char *)sqlite3_column_text(st, 1);
		k.role = (const char *)sqlite3_column_text(st, 2);
		k.public_key = (const char *)sqlite3_column_text(st, 3);
		k.seq = (uint64_t)sqlite3_column_int64(st, 4);
		k.revoked_seq = sqlite3_column_int64(st, 5);
		if ((error = fn(ctx, &k)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return error;
}

int pl_ledger_key_status(pl_ledger *l, pl_key_status *out, const char *keyid)
{
	pl_keystate ks;
	int error;
	memset(out, 0, sizeof(*out));
	out->revoked_seq = out->grant_seq = out->rotated_from = -1;
	if ((error = pl_ledger__sync(l)) < 0 || (error = pl_ledger__session(l)) < 0 ||
	    (error = pl_lsess__key_state(l->sess, &ks, keyid, l->size)) < 0)
		return error;
	out->registered = ks.registered;
	out->seq = ks.key_seq;
	snprintf(out->name, sizeof(out->name), "%s", ks.name);
	snprintf(out->role, sizeof(out->role), "%s", ks.role);
	out->in_force = ks.in_force && ks.revoked_seq < 0;
	out->vouched = ks.vouched;
	out->revoked_seq = ks.revoked_seq;
	out->grant_seq = ks.grant_seq;
	snprintf(out->granted_by, sizeof(out->granted_by), "%s", ks.granted_by);
	out->rotated_from = ks.rotated_from;
	return PL_OK;
}

int pl_ledger_require_role(pl_ledger *l, pl_buf *keyid, const pl_key *signer, const char *role,
                           const char *what)
{
	pl_buf fp = PL_BUF_INIT;
	pl_keystate ks;
	int error;
	if ((error = pl_key_fingerprint(&fp, signer)) < 0 || (error = pl_ledger__sync(l)) < 0 ||
	    (error = pl_ledger__session(l)) < 0 ||
	    (error = pl_lsess__key_state(l->sess, &ks, fp.ptr, l->size)) < 0)
		goto done;
	if ((error = pl_rules_require(&ks, fp.ptr, role, what)) < 0)
		goto done;
	if (keyid) {
		pl_buf_clear(keyid);
		error = pl_buf_puts(keyid, fp.ptr);
	}
done:
	pl_buf_free(&fp);
	return error;
}

int pl_ledger_key(pl_ledger *l, pl_key **out, pl_buf *role, const char *keyid)
{
	pl_keystate ks;
	int error;
	if ((error = pl_ledger__sync(l)) < 0 || (error = pl_ledger__session(l)) < 0 ||
	    (error = pl_lsess__key_state(l->sess, &ks, keyid, l->size)) < 0)
		return error;
	if (!ks.registered)
		return pl_error_set(PL_ENOTFOUND, "key %s is not registered", keyid);
	if (out && (error = pl_key_public(out, ks.key->pub)) < 0)
		return error;
	if (role) {
		pl_buf_clear(role);
		error = pl_buf_puts(role, ks.in_force && ks.revoked_seq < 0 ? ks.role : "");
	}
	return error;
}

int pl_ledger_reindex(const char *dir)
{
	return pl_ledger_reindex_ex(dir, 0);
}

/* When the old index holds a signed checkpoint larger than git's log, the
 * log was rolled back: keep that checkpoint and refuse unless accepted. */
static int check_rollback(pl_ledger *l, int accept)
{
	pl_buf path = PL_BUF_INIT, cp = PL_BUF_INIT, text = PL_BUF_INIT;
	sqlite3 *db = NULL;
	pl_checkpoint c;
	uint64_t gsize = 0;
	git_oid head;
	int error = PL_OK;
	const char *sep;

	pl_buf_printf(&path, "%s/index.sqlite", l->dir);
	if (access(path.ptr, F_OK) != 0 ||
	    sqlite3_open_v2(path.ptr, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    pl_index__meta_get(db, "checkpoint", &cp) != PL_OK)
		goto done; /* no index, or nothing to compare: nothing to keep */
	sep = strstr(cp.ptr, "\n\n");
	if (!sep || pl_note_verify(&text, cp.ptr, cp.len, l->origin, l->op) < 0 ||
	    pl_checkpoint_parse(&c, text.ptr, text.len) < 0)
		goto done; /* not signed by the operator: not evidence of anything */
	if (git_reference_name_to_id(&head, l->repo, "refs/heads/main") == 0) {
		git_commit *hc = NULL;
		pl_buf hcp = PL_BUF_INIT;
		pl_checkpoint h;
		const char *hs;
		if (git_commit_lookup(&hc, l->repo, &head) == 0 &&
		    pl_ledger__read_path(l, &hcp, hc, "checkpoint") == PL_OK &&
		    (hs = strstr(hcp.ptr, "\n\n")) != NULL &&
		    pl_checkpoint_parse(&h, hcp.ptr, (size_t)(hs + 1 - hcp.ptr)) == PL_OK)
			gsize = h.size;
		git_commit_free(hc);
		pl_buf_free(&hcp);
	}
	if (c.size <= gsize) {
		/* a longer log must still contain that checkpoint: find the commit
		 * whose checkpoint is of its size and compare the roots */
		int found = 0;
		git_oid cur = head;
		for (;;) {
			git_commit *hc = NULL;
			pl_buf hcp = PL_BUF_INIT;
			pl_checkpoint h;
			const char *hs;
			int ok =
			    git_commit_lookup(&hc, l->repo, &cur) == 0 &&
			    pl_ledger__read_path(l, &hcp, hc, "checkpoint") == PL_OK &&
			    (hs = strstr(hcp.ptr, "\n\n")) != NULL &&
			    pl_checkpoint_parse(&h, hcp.ptr, (size_t)(hs + 1 - hcp.ptr)) == PL_OK;
			if (ok && h.size == c.size)
				found = memcmp(h.root, c.root, PL_HASH_LEN) == 0 ? 1 : -1;
			if (!ok || h.size <= c.size || git_commit_parentcount(hc) == 0) {
				git_commit_free(hc);
				pl_buf_free(&hcp);
				break;
			}
			cur = *git_commit_parent_id(hc, 0);
			git_commit_free(hc);
			pl_buf_free(&hcp);
		}
		pl_error_clear();
		if (found == 1)
			goto done; /* a consistent extension: nothing was lost */
	}
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s/rollback-%llu.checkpoint", l->dir, (unsigned long long)c.size);
	if ((error = pl_write_file_atomic(path.ptr, cp.ptr, cp.len, 0644)) < 0)
		goto done;
	if (!accept)
		error = pl_error_set(
		    PL_EVERIFY,
		    "%s: the log was rolled back: the index holds a signed "
		    "checkpoint of size %llu, git's head has %llu entries; the "
		    "checkpoint is kept as %s; rebuilding the index would lose that "
		    "evidence from it: run 'provledger reindex --accept-rollback' "
		    "to rebuild anyway",
		    l->dir, (unsigned long long)c.size, (unsigned long long)gsize, path.ptr);
done:
	if (db)
		sqlite3_close(db);
	pl_buf_free(&path);
	pl_buf_free(&cp);
	pl_buf_free(&text);
	return error;
}

int pl_ledger_reindex_ex(const char *dir, int accept_rollback)
{
	pl_buf path = PL_BUF_INIT, tmp = PL_BUF_INIT;
	pl_ledger *l = NULL;
	int error;
	static const char *const sfx[] = {"", "-wal", "-shm"};

	/* Hold the lock while the index is replaced, so no append interleaves. */
	if ((error = pl_ledger__open(&l, dir, -1)) < 0)
		goto done;
	if ((error = pl_ledger__lock(l)) < 0)
		goto done;
	if ((error = check_rollback(l, accept_rollback)) < 0)
		goto done;
	for (int i = 0; i < 3; i++) {
		pl_buf_clear(&path);
		pl_buf_printf(&path, "%s/index.sqlite%s", dir, sfx[i]);
		unlink(path.ptr);
	}
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s/index.sqlite", dir);
	if ((error = pl_index__open(&l->db, path.ptr)) < 0)
		goto done;
	error = pl_ledger__refresh(l);
done:
	pl_ledger_free(l);
	pl_buf_free(&path);
	pl_buf_free(&tmp);
	return error;
}

/* ---- for the rooms above the log (pl_index.h) --------------------------- */

sqlite3 *pl_ledger__db(pl_ledger *l)
{
	return l->db;
}

int pl_ledger__has_git(const pl_ledger *l)
{
	return l->repo != NULL;
}

const char *pl_ledger__applying_role(const pl_ledger *l)
{
	return l->apply_role;
}

pl_smap *pl_ledger__smap(pl_ledger *l)
{
	return l->sess ? pl_lsess__smap(l->sess) : NULL;
}

int pl_ledger__memory_add(pl_ledger *l, uint64_t seq, const pl_entry *e,
                          const unsigned char leaf[PL_HASH_LEN], const char *role)
{
	git_oid zero;
	memset(&zero, 0, sizeof(zero));
	snprintf(l->apply_role, sizeof(l->apply_role), "%s", role ? role : "");
	l->size = seq;
	return pl_index__apply(l, seq, &zero, e, leaf);
}

void pl_ledger__memory_size(pl_ledger *l, uint64_t size)
{
	l->size = size;
}

int pl_ledger_node(pl_ledger *l, unsigned level, uint64_t idx, unsigned char out[PL_HASH_LEN])
{
	int error;
	if ((error = pl_ledger__sync(l)) < 0)
		return error;
	if (level >= 64 || idx >= (UINT64_MAX >> level) || ((idx + 1) << level) > l->size)
		return pl_error_set(PL_ENOTFOUND,
		                    "tree node (%u, %llu) is not complete at size %llu", level,
		                    (unsigned long long)idx, (unsigned long long)l->size);
	return pl_index__node(l, level, idx, out);
}

int pl_ledger_find_leaf(pl_ledger *l, uint64_t *seq, const unsigned char leaf[PL_HASH_LEN])
{
	sqlite3_stmt *st = NULL;
	int rc, error;
	if ((error = pl_ledger__sync(l)) < 0)
		return error;
	if (sqlite3_prepare_v2(l->db, "SELECT seq FROM entries WHERE leaf = ? ORDER BY seq LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "entries");
	sqlite3_bind_blob(st, 1, leaf, PL_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		error = PL_OK;
	} else if (rc == SQLITE_DONE) {
		error = pl_error_set(PL_ENOTFOUND, "no entry has that leaf hash");
	} else {
		error = pl_ledger__db_error(l->db, "entries");
	}
	sqlite3_finalize(st);
	return error;
}

/* ---- cosignatures (DIR/cosigned/<size>: the checkpoint with them) ------------ */

static void cosigned_path(pl_buf *out, const pl_ledger *l, uint64_t size)
{
	pl_buf_clear(out);
	pl_buf_printf(out, "%s/cosigned/%llu", l->dir, (unsigned long long)size);
}

int pl_ledger_cosigned_at(pl_ledger *l, pl_buf *out, uint64_t size)
{
	pl_buf path = PL_BUF_INIT, kept = PL_BUF_INIT, a = PL_BUF_INIT, b = PL_BUF_INIT;
	int error;
	if ((error = pl_ledger_checkpoint_at(l, out, size)) < 0 || l->rebuilt)
		return error;
	cosigned_path(&path, l, size);
	/* kept only when its text is the signed checkpoint's */
	if (access(path.ptr, F_OK) == 0 && pl_read_file(&kept, path.ptr, 1 << 16) == PL_OK &&
	    pl_note_verify(&a, kept.ptr, kept.len, l->origin, l->op) == PL_OK &&
	    pl_note_verify(&b, out->ptr, out->len, l->origin, l->op) == PL_OK && a.len == b.len &&
	    memcmp(a.ptr, b.ptr, a.len) == 0) {
		pl_buf_clear(out);
		error = pl_buf_put(out, kept.ptr, kept.len);
	}
	pl_buf_free(&path);
	pl_buf_free(&kept);
	pl_buf_free(&a);
	pl_buf_free(&b);
	return error;
}

static int contains(const pl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; b->len >= n && i <= b->len - n; i++)
		if (memcmp(b->ptr + i, s, n) == 0)
			return 1;
	return 0;
}

int pl_ledger_add_cosignature(pl_ledger *l, uint64_t size, const char *line, size_t len)
{
	pl_buf note = PL_BUF_INIT, path = PL_BUF_INIT, dir = PL_BUF_INIT;
	int error;
	if (len < 4 || memcmp(line, "\xe2\x80\x94 ", 4) != 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1))
		return pl_error_set(PL_EINVALID, "a cosignature is one signature line");
	if ((error = pl_ledger_cosigned_at(l, &note, size)) < 0)
		goto done;
	if (!l->repo) {
		error = pl_error_set(PL_EUSAGE, "cosignatures are kept by the log's operator");
		goto done;
	}
	if (!contains(&note, line, len)) {
		if ((error = pl_buf_put(&note, line, len)) < 0)
			goto done;
		pl_buf_printf(&dir, "%s/cosigned", l->dir);
		if (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST) {
			error = pl_error_set(PL_ERROR, "%s: %s", dir.ptr, strerror(errno));
			goto done;
		}
		cosigned_path(&path, l, size);
		error = pl_write_file_atomic(path.ptr, note.ptr, note.len, 0644);
	}
done:
	pl_buf_free(&note);
	pl_buf_free(&path);
	pl_buf_free(&dir);
	return error;
}
