/*
 * append.c - appending an entry: validation against the registered keys,
 * then one signed commit with the entry, its attachments and a new signed
 * checkpoint; the ref moves by compare-and-swap under the ledger lock.
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

static const char *const roles[] = {"operator",  "lab",     "rights-holder", "authority",
                                    "evaluator", "witness", "auditor",       NULL};

static int valid_role(const char *r)
{
	for (int i = 0; roles[i]; i++)
		if (strcmp(r, roles[i]) == 0)
			return 1;
	return 0;
}

/* A registered key: PL_ENOTFOUND when keyid is not registered. */
static int key_lookup(pl_ledger *l, const char *keyid, pl_key **key, pl_buf *role,
                      int64_t *revoked_seq)
{
	sqlite3_stmt *st = pl_index__stmt(
	    l, PL_ST_KEY_GET, "SELECT public_key, role, revoked_seq FROM keys WHERE keyid = ?");
	int rc, error;
	if (!st)
		return PL_ERROR;
	sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		error = pl_error_set(PL_ENOTFOUND, "key %s is not registered", keyid);
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error = pl_ledger__db_error(l->db, "keys");
		goto done;
	}
	{
		const char *pub = (const char *)sqlite3_column_text(st, 0);
		if (key && (error = pl_key_from_openssh(key, NULL, pub, strlen(pub))) < 0)
			goto done;
		if (role) {
			pl_buf_clear(role);
			if ((error = pl_buf_puts(role, (const char *)sqlite3_column_text(st, 1))) <
			    0)
				goto done;
		}
		if (revoked_seq)
			*revoked_seq = sqlite3_column_int64(st, 2);
	}
	error = PL_OK;
done:
	sqlite3_reset(st);
	return error;
}

int pl_ledger_key(pl_ledger *l, pl_key **out, pl_buf *role, const char *keyid)
{
	return key_lookup(l, keyid, out, role, NULL);
}

static int check_key_entry(pl_ledger *l, const pl_entry *e, uint64_t seq)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	json_t *subj = json_array_get(json_object_get(e->statement, "subject"), 0);
	const char *name = json_string_value(json_object_get(pred, "name"));
	const char *role = json_string_value(json_object_get(pred, "role"));
	const char *pub = json_string_value(json_object_get(pred, "public_key"));
	const char *revokes = json_string_value(json_object_get(pred, "revokes"));
	const char *dig =
	    json_string_value(json_object_get(json_object_get(subj, "digest"), "sha256"));
	pl_key *k = NULL, *signer = NULL;
	pl_buf fp = PL_BUF_INIT, opfp = PL_BUF_INIT;
	unsigned char raw[32];
	char hex[65];
	int64_t revoked;
	int error;

	if (!name || !*name || !role || !pub || !dig) {
		error =
		    pl_error_set(PL_EINVALID, "key entry lacks name, role, public_key or digest");
		goto done;
	}
	if (!valid_role(role)) {
		error = pl_error_set(PL_EINVALID,
		                     "unknown role '%s' (operator, lab, rights-holder, authority, "
		                     "evaluator, witness, auditor)",
		                     role);
		goto done;
	}
	if ((error = pl_key_from_openssh(&k, NULL, pub, strlen(pub))) < 0 ||
	    (error = pl_key_fingerprint(&fp, k)) < 0 ||
	    (error = pl_key_fingerprint(&opfp, l->op)) < 0)
		goto done;
	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	if (strcmp(hex, dig) != 0) {
		error =
		    pl_error_set(PL_EINVALID, "key entry: subject digest is not the public key");
		goto done;
	}
	if (seq == 0 && (strcmp(role, "operator") != 0 || strcmp(fp.ptr, opfp.ptr) != 0)) {
		error = pl_error_set(PL_EINVALID, "entry 0 must be the operator's key");
		goto done;
	}
	if ((error = key_lookup(l, fp.ptr, NULL, NULL, NULL)) == PL_OK) {
		error = pl_error_set(PL_ECONFLICT, "key %s is already registered", fp.ptr);
		goto done;
	} else if (error != PL_ENOTFOUND) {
		goto done;
	}
	if (revokes) {
		/* A revocation is signed by the revoked key itself or by the operator. */
		if ((error = key_lookup(l, revokes, NULL, NULL, &revoked)) < 0)
			goto done;
		if (revoked >= 0) {
			error = pl_error_set(PL_ECONFLICT, "key %s was already revoked at seq %lld",
			                     revokes, (long long)revoked);
			goto done;
		}
		if (strcmp(e->dsse.keyid, revokes) != 0 && strcmp(e->dsse.keyid, opfp.ptr) != 0) {
			error =
			    pl_error_set(PL_EVERIFY,
			                 "a key entry that revokes %s must be signed by that key "
			                 "or by the operator",
			                 revokes);
			goto done;
		}
		if ((error = key_lookup(l, e->dsse.keyid, &signer, NULL, NULL)) < 0)
			goto done;
		error = pl_dsse_verify(&e->dsse, signer);
	} else {
		if (strcmp(e->dsse.keyid, fp.ptr) != 0) {
			error = pl_error_set(PL_EVERIFY,
			                     "a key entry must be signed by the key it registers "
			                     "(signed by %s, registers %s)",
			                     e->dsse.keyid, fp.ptr);
			goto done;
		}
		error = pl_dsse_verify(&e->dsse, k);
	}
done:
	pl_key_free(k);
	pl_key_free(signer);
	pl_buf_free(&fp);
	pl_buf_free(&opfp);
	return error;
}

static int check_entry(pl_ledger *l, const pl_entry *e, uint64_t seq, const pl_attachment *att,
                       size_t natt)
{
	pl_key *signer = NULL;
	int64_t revoked;
	int error;

	if (strcmp(e->type, "key") == 0) {
		error = check_key_entry(l, e, seq);
	} else if (seq == 0) {
		error = pl_error_set(PL_EINVALID, "entry 0 must be the operator's key");
	} else if ((error = key_lookup(l, e->dsse.keyid, &signer, NULL, &revoked)) < 0) {
		if (error == PL_ENOTFOUND)
			error = pl_error_set(PL_EVERIFY, "signer %s is not a registered key",
			                     e->dsse.keyid);
	} else if (revoked >= 0) {
		error = pl_error_set(PL_EVERIFY, "signer %s was revoked at seq %lld", e->dsse.keyid,
		                     (long long)revoked);
	} else {
		error = pl_dsse_verify(&e->dsse, signer);
	}
	for (size_t i = 0; error == PL_OK && i < natt; i++) {
		unsigned char d[PL_HASH_LEN];
		char hex[65];
		pl_sha256(d, att[i].data, att[i].len);
		pl_hex(hex, d, PL_HASH_LEN);
		if (!strstr(e->dsse.payload.ptr, hex))
			error = pl_error_set(PL_EINVALID, "attachment %s is not named by the entry",
			                     hex);
	}
	pl_key_free(signer);
	return error;
}

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

/* Write blobs, the tree and the signed commit; move the ref by CAS. */
static int write_commit(pl_ledger *l, git_oid *out, uint64_t seq, const pl_entry *e,
                        const char *env, size_t len, const unsigned char leaf[PL_HASH_LEN],
                        const char *checkpoint, size_t cplen, const pl_attachment *att, size_t natt)
{
	git_tree_update *up = NULL;
	char(*paths)[80] = NULL;
	git_oid *ids = NULL, tree_id;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_buf cbuf = GIT_BUF_INIT;
	git_reference *ref = NULL;
	pl_buf msg = PL_BUF_INIT, ssig = PL_BUF_INIT;
	size_t nup = 2 + natt;
	char lhex[65];
	int error = PL_OK, rc;

	if (!(up = calloc(nup, sizeof(*up))) || !(paths = calloc(nup, sizeof(*paths))) ||
	    !(ids = calloc(nup, sizeof(*ids)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	pl_ledger__entry_path(paths[0], seq);
	strcpy(paths[1], "checkpoint");
	if ((rc = git_blob_create_from_buffer(&ids[0], l->repo, env, len)) < 0 ||
	    (rc = git_blob_create_from_buffer(&ids[1], l->repo, checkpoint, cplen)) < 0) {
		error = pl_ledger__git_error(rc, "write blob");
		goto done;
	}
	for (size_t i = 0; i < natt; i++) {
		unsigned char d[PL_HASH_LEN];
		char hex[65];
		pl_sha256(d, att[i].data, att[i].len);
		pl_hex(hex, d, PL_HASH_LEN);
		snprintf(paths[2 + i], sizeof(paths[0]), "blobs/%s", hex);
		if ((rc = git_blob_create_from_buffer(&ids[2 + i], l->repo, att[i].data,
		                                      att[i].len)) < 0) {
			error = pl_ledger__git_error(rc, "write blob");
			goto done;
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
	pl_hex(lhex, leaf, PL_HASH_LEN);
	if ((error = pl_buf_printf(&msg, "%s %s\n\nseq: %llu\nleaf: %s\n", e->type, e->name,
	                           (unsigned long long)seq, lhex)) < 0)
		goto done;
	if ((rc = git_signature_new(&sig, l->op_name, l->origin, (git_time_t)pl_ledger_now(), 0)) <
	    0) {
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
	if ((rc = git_commit_create_with_signature(out, l->repo, cbuf.ptr, ssig.ptr, "gpgsig")) <
	    0) {
		error = pl_ledger__git_error(rc, "commit");
		goto done;
	}
	if ((error = clear_stale_ref_lock(l)) < 0)
		goto done;
	rc = git_reference_create_matching(&ref, l->repo, "refs/heads/main", out, l->has_head,
	                                   l->has_head ? &l->head : NULL, NULL);
	if (rc == GIT_ELOCKED) {
		/* Appends serialise on DIR/lock: another git process holds it. */
		error =
		    pl_error_set(PL_ECONFLICT,
		                 "%s/repo.git/refs/heads/main.lock exists: another git process is "
		                 "updating the ledger, or one crashed (then remove that file)",
		                 l->dir);
		goto done;
	}
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		error = pl_error_set(PL_ECONFLICT, "another writer moved the ledger; try again");
		goto done;
	}
	if (rc < 0)
		error = pl_ledger__git_error(rc, "update refs/heads/main");
done:
	git_reference_free(ref);
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

int pl_ledger_append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                     const pl_attachment *att, size_t natt)
{
	return pl_ledger__append(l, out, env, len, att, natt, 1);
}

int pl_ledger__append(pl_ledger *l, pl_entry_ref *out, const char *env, size_t len,
                      const pl_attachment *att, size_t natt, int check)
{
	pl_entry e = {0};
	pl_merkle_builder mb;
	unsigned char leaf[PL_HASH_LEN], root[PL_HASH_LEN];
	pl_buf body = PL_BUF_INIT, note = PL_BUF_INIT;
	git_oid commit, old_head;
	uint64_t seq;
	int error, decoded = 0, old_has, was_synced;

	if ((error = load_operator_private(l)) < 0)
		return error;
	if ((error = pl_ledger__lock(l)) < 0)
		return error;
	/* Another process may have appended since we opened. */
	if ((error = pl_ledger__sync(l)) < 0)
		goto done;
	seq = l->size;
	if ((error = pl_entry__decode(&e, env, len)) < 0) {
		pl_error_prefix(error, "refused entry");
		goto done;
	}
	decoded = 1;
	if (check && (error = check_entry(l, &e, seq, att, natt)) < 0) {
		pl_error_prefix(error, "refused %s entry", e.type);
		goto done;
	}
	pl_merkle_leaf(leaf, env, len);
	mb = l->mb;
	pl_merkle_builder_add(&mb, leaf);
	pl_merkle_builder_root(&mb, root);
	if ((error = pl_checkpoint_format(&body, l->origin, seq + 1, root)) < 0 ||
	    (error = pl_note_sign(&note, body.ptr, body.len, l->origin, l->op_priv)) < 0)
		goto done;
	old_head = l->head;
	old_has = l->has_head;
	was_synced = l->synced;
	if ((error = write_commit(l, &commit, seq, &e, env, len, leaf, note.ptr, note.len, att,
	                          natt)) < 0)
		goto done;
	/* The entry is in git. The index follows; if that fails, the next open
	 * catches it up from git, so the append still stands. */
	l->head = commit;
	l->has_head = 1;
	l->synced = 0;
	if (out) {
		out->seq = seq;
		memcpy(out->leaf, leaf, PL_HASH_LEN);
		git_oid_tostr(out->commit, sizeof(out->commit), &commit);
	}
	/* Index the entry we hold; or catch the index up as any open would
	 * (another process may be doing the same); if that fails, the next open
	 * does it, so the append stands. */
	if (!was_synced ||
	    pl_ledger__apply_appended(l, old_has ? &old_head : NULL, seq, &commit, &e, leaf) < 0)
		pl_ledger__refresh(l);
	error = PL_OK;
done:
	pl_ledger__unlock(l);
	if (decoded)
		pl_entry__clear(&e);
	pl_buf_free(&body);
	pl_buf_free(&note);
	return error;
}

int pl_ledger_append_statement(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                               const char *type, json_t *subjects, json_t *predicate,
                               const pl_attachment *att, size_t natt)
{
	pl_buf env = PL_BUF_INIT;
	int error;
	if ((error = pl_entry__sign(&env, signer, type, subjects, predicate)) == PL_OK)
		error = pl_ledger_append(l, out, env.ptr, env.len, att, natt);
	pl_buf_free(&env);
	return error;
}
