/*
 * ledgertest.h - helpers for the ledger tests: a fresh ledger in the test's
 * temp dir, generated keys, key and "work" entries signed by any key, and a
 * malicious operator who rewrites the head commit (re-signed with the
 * operator key, so only the tampering itself is left for verify to find).
 */
#ifndef PL_LEDGERTEST_H
#define PL_LEDGERTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"

#define LT_ORIGIN "example.org/test"

/* Now, as entries' "created" (append refuses a time earlier than the
 * previous entry's). */
static inline const char *lt_now(void)
{
	static char t[32];
	pl_rfc3339(t, (int64_t)time(NULL));
	return t;
}

/* A ledger at <tmpdir>/name with a generated operator key. */
static inline pl_ledger *lt_init(const char *name)
{
	char dir[4096];
	pl_ledger *l = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", pl_tmpdir(), name);
	CHECK_OK(pl_ledger_init(&l, dir, LT_ORIGIN, NULL, NULL));
	CHECK_EQ_INT(pl_ledger_size(l), 1);
	return l;
}

static inline pl_ledger *lt_reopen(pl_ledger *l)
{
	char dir[4096];
	pl_ledger *n = NULL;
	snprintf(dir, sizeof(dir), "%s", l->dir);
	pl_ledger_free(l);
	CHECK_OK(pl_ledger_open(&n, dir));
	return n;
}

/* The operator's private key (a malicious operator holds it). */
static inline pl_key *lt_operator(pl_ledger *l)
{
	pl_key *k = NULL;
	CHECK_OK(pl_key_load_private(&k, l->op_key_path));
	return k;
}

static inline pl_key *lt_genkey(void)
{
	pl_key *k = NULL;
	CHECK_OK(pl_key_generate(&k));
	return k;
}

/* keyid ("SHA256:…") of k into out[128]. */
static inline void lt_keyid(char out[128], const pl_key *k)
{
	pl_buf fp = PL_BUF_INIT;
	CHECK_OK(pl_key_fingerprint(&fp, k));
	snprintf(out, 128, "%s", fp.ptr);
	pl_buf_free(&fp);
}

/* A key entry for k (name, role, optional revokes), signed by signer. */
static inline void lt_key_entry(pl_buf *env, const pl_key *signer, const pl_key *k,
                                const char *name, const char *role, const char *revokes)
{
	pl_buf pub = PL_BUF_INIT, sname = PL_BUF_INIT;
	unsigned char raw[32];
	char hex[65];
	json_t *subj, *pred;

	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	CHECK_OK(pl_key_openssh(&pub, k, name));
	CHECK_OK(pl_buf_printf(&sname, "key:%s", name));
	subj = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
	pred = json_pack("{s:s, s:s, s:s, s:s}", "created", lt_now(), "name", name, "role", role,
	                 "public_key", pub.ptr);
	CHECK(subj && pred);
	if (revokes)
		json_object_set_new(pred, "revokes", json_string(revokes));
	pl_buf_clear(env);
	CHECK_OK(pl_entry__sign(env, signer, "key", subj, pred));
	pl_buf_free(&pub);
	pl_buf_free(&sname);
}

/* Register k (self-signed); returns pl_ledger_append's code. */
static inline int lt_register(pl_ledger *l, pl_entry_ref *ref, const pl_key *k, const char *name,
                              const char *role)
{
	pl_buf env = PL_BUF_INIT;
	int rc;
	lt_key_entry(&env, k, k, name, role, NULL);
	rc = pl_ledger_append(l, ref, env.ptr, env.len, NULL, 0);
	pl_buf_free(&env);
	return rc;
}

/* A work entry for a text titled title (its id from the title's SHA-256),
 * signed by signer (a rights-holder key); attachment_hex (may be NULL) is
 * named in its predicate. */
static inline void lt_work_entry(pl_buf *env, const pl_key *signer, const char *title,
                                 const char *attachment_hex)
{
	pl_buf sname = PL_BUF_INIT;
	unsigned char d[32];
	char hex[65];
	json_t *subj, *pred;

	pl_sha256(d, title, strlen(title));
	pl_hex(hex, d, 32);
	CHECK_OK(pl_buf_printf(&sname, "work:W%.16s", hex));
	subj = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
	pred = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:[]}", "created", lt_now(), "title",
	                 title, "holder", "Holder", "terms", "all-rights-reserved",
	                 "normalized_sha256", hex, "tokens", 100, "creators");
	CHECK(subj && pred);
	if (attachment_hex)
		json_object_set_new(pred, "fingerprint",
		                    json_pack("{s:s}", "sha256", attachment_hex));
	pl_buf_clear(env);
	CHECK_OK(pl_entry__sign(env, signer, "work", subj, pred));
	pl_buf_free(&sname);
}

/* Append a work entry; check = 0 plays the malicious operator. */
static inline int lt_work(pl_ledger *l, pl_entry_ref *ref, const pl_key *signer, const char *title,
                          int check)
{
	pl_buf env = PL_BUF_INIT;
	int rc;
	lt_work_entry(&env, signer, title, NULL);
	rc = pl_ledger__append(l, ref, env.ptr, env.len, NULL, 0, check);
	pl_buf_free(&env);
	return rc;
}

static inline void lt_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char d[32];
	pl_sha256(d, data, len);
	pl_hex(out, d, 32);
}

/* A ledger of n entries: the operator's key, a rights holder's key, then works. */
static inline pl_ledger *lt_ledger_of(const char *name, uint64_t n)
{
	pl_ledger *l = lt_init(name);
	pl_key *lab = lt_genkey();
	char title[64];
	if (n > 1)
		CHECK_OK(lt_register(l, NULL, lab, "holder", "rights-holder"));
	for (uint64_t i = 2; i < n; i++) {
		snprintf(title, sizeof(title), "work %llu", (unsigned long long)i);
		CHECK_OK(lt_work(l, NULL, lab, title, 1));
	}
	CHECK_EQ_INT(pl_ledger_size(l), n);
	pl_key_free(lab);
	return l;
}

/* The commit that appended seq (from the index) into out[41]. */
static inline void lt_commit_of(pl_ledger *l, uint64_t seq, char out[41])
{
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(l->db, "SELECT commit_id FROM entries WHERE seq = ?", -1, &st,
	                         NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	snprintf(out, 41, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * The malicious operator rewrites the head commit: the head tree with path
 * set to data (or removed when data is NULL), the same parent, author and
 * message, signed with the operator key, and refs/heads/main forced to it.
 * new_commit (may be NULL) receives the new commit's hex id.
 */
static inline void lt_rewrite_head(pl_ledger *l, const char *path, const void *data, size_t len,
                                   char new_commit[41])
{
	git_oid head, blob, tree_id, out;
	git_commit *c = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update up;
	git_buf cbuf = GIT_BUF_INIT;
	git_reference *ref = NULL;
	pl_buf sig = PL_BUF_INIT;
	pl_key *op = lt_operator(l);
	const git_commit *parents[1];
	git_commit *parent = NULL;

	CHECK(git_reference_name_to_id(&head, l->repo, "refs/heads/main") == 0);
	CHECK(git_commit_lookup(&c, l->repo, &head) == 0);
	CHECK(git_commit_tree(&base, c) == 0);
	memset(&up, 0, sizeof(up));
	up.path = path;
	up.filemode = GIT_FILEMODE_BLOB;
	if (data) {
		CHECK(git_blob_create_from_buffer(&blob, l->repo, data, len) == 0);
		up.action = GIT_TREE_UPDATE_UPSERT;
		up.id = blob;
	} else {
		up.action = GIT_TREE_UPDATE_REMOVE;
	}
	CHECK(git_tree_create_updated(&tree_id, l->repo, base, 1, &up) == 0);
	CHECK(git_tree_lookup(&tree, l->repo, &tree_id) == 0);
	if (git_commit_parentcount(c) > 0)
		CHECK(git_commit_parent(&parent, c, 0) == 0);
	parents[0] = parent;
	CHECK(git_commit_create_buffer(&cbuf, l->repo, git_commit_author(c),
	                               git_commit_committer(c), NULL, git_commit_message(c), tree,
	                               parent ? 1 : 0, parents) == 0);
	CHECK_OK(pl_sshsig_sign(&sig, op, "git", cbuf.ptr, cbuf.size));
	while (sig.len && sig.ptr[sig.len - 1] == '\n')
		sig.ptr[--sig.len] = '\0';
	CHECK(git_commit_create_with_signature(&out, l->repo, cbuf.ptr, sig.ptr, "gpgsig") == 0);
	CHECK(git_reference_create(&ref, l->repo, "refs/heads/main", &out, 1, NULL) == 0);
	if (new_commit)
		git_oid_tostr(new_commit, 41, &out);
	git_reference_free(ref);
	git_buf_dispose(&cbuf);
	git_commit_free(parent);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(c);
	pl_buf_free(&sig);
	pl_key_free(op);
}

/* Run verify on the ledger at l->dir (opened afresh for verify) with an
 * optional --since note; returns the code, report in r (caller frees). */
static inline int lt_verify(pl_ledger *l, pl_verify_report *r, const pl_buf *since)
{
	pl_ledger *v = NULL;
	int rc;
	CHECK_OK(pl_ledger_open_for_verify(&v, l->dir));
	rc = pl_ledger_verify(v, r, since ? since->ptr : NULL, since ? since->len : 0);
	pl_ledger_free(v);
	return rc;
}

/* verify must fail and name the problem: "seq N (commit XXXXXXX): …msg". */
static inline void lt_expect_problem(pl_ledger *l, const pl_buf *since, long long seq,
                                     const char *commit, const char *msg)
{
	pl_verify_report r;
	char head[128];
	CHECK_ERR(lt_verify(l, &r, since), PL_EVERIFY);
	CHECK(r.nproblems > 0);
	if (seq >= 0)
		snprintf(head, sizeof(head), "seq %lld (commit %.7s): ", seq, commit);
	else if (commit)
		snprintf(head, sizeof(head), "commit %.7s: ", commit);
	else
		head[0] = '\0';
	CHECK_CONTAINS(r.problems.ptr, head);
	CHECK_CONTAINS(r.problems.ptr, msg);
	pl_verify_report_free(&r);
}

static inline void lt_expect_clean(pl_ledger *l, const pl_buf *since)
{
	pl_verify_report r;
	int rc = lt_verify(l, &r, since);
	if (rc != PL_OK)
		pl_test_fail(__FILE__, __LINE__, "verify returned %d: %s", rc,
		             r.problems.ptr ? r.problems.ptr : pl_error_last());
	CHECK_EQ_INT(r.size, pl_ledger_size(l));
	pl_verify_report_free(&r);
}

#endif
