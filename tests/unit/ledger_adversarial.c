/* Adversarial tests of `verify` (ledger/verify.c): a malicious operator who
 * holds the operator key appends entries that append would refuse
 * (pl_ledger__append with check = 0) or rewrites the head commit and signs
 * it again. verify must return PL_EVERIFY and name each problem with its
 * sequence number and commit. */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ledgertest.h"

PL_TEST(ledger_adv, clean_ledger_verifies)
{
	pl_ledger *l = lt_ledger_of("L", 12);
	pl_verify_report r;
	unsigned char root[32];
	CHECK_OK(lt_verify(l, &r, NULL));
	CHECK_EQ_INT(r.nproblems, 0);
	CHECK_EQ_INT(r.size, 12);
	CHECK_OK(pl_ledger_root(l, root, 12));
	CHECK(memcmp(root, r.root, 32) == 0);
	pl_verify_report_free(&r);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, unregistered_signer)
{
	pl_ledger *l = lt_ledger_of("L", 4);
	pl_key *x = lt_genkey();
	pl_entry_ref ref;
	char kid[128], msg[256];
	lt_keyid(kid, x);
	CHECK_OK(lt_work(l, &ref, x, "by a stranger", 0));
	CHECK_EQ_INT(ref.seq, 4);
	snprintf(msg, sizeof(msg), "signer %s is not a registered key", kid);
	lt_expect_problem(l, NULL, 4, ref.commit, msg);
	pl_key_free(x);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, signer_revoked_before)
{
	pl_ledger *l = lt_init("L");
	pl_key *op = lt_operator(l), *k = lt_genkey(), *k2 = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref ref, rev;
	char kid[128];
	lt_keyid(kid, k);
	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	CHECK_OK(lt_work(l, NULL, k, "before", 1));
	lt_key_entry(&env, op, k2, "k2", "rights-holder", kid);
	CHECK_OK(pl_ledger_append(l, &rev, env.ptr, env.len, NULL, 0));
	lt_expect_clean(l, NULL);
	CHECK_OK(lt_work(l, &ref, k, "after the revocation", 0));
	{
		char msg[256];
		snprintf(msg, sizeof(msg), "signer %s (k) was revoked at seq %llu", kid,
		         (unsigned long long)rev.seq);
		lt_expect_problem(l, NULL, (long long)ref.seq, ref.commit, msg);
	}
	pl_buf_free(&env);
	pl_key_free(op);
	pl_key_free(k);
	pl_key_free(k2);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, bad_key_entries)
{
	pl_ledger *l = lt_init("L");
	pl_key *op = lt_operator(l), *k = lt_genkey(), *j = lt_genkey(), *x = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref r1, r2, r3;
	char jid[128];
	lt_keyid(jid, j);
	/* registered by someone else: no proof of possession */
	lt_key_entry(&env, op, k, "k", "rights-holder", NULL);
	CHECK_OK(pl_ledger__append(l, &r1, env.ptr, env.len, NULL, 0, 0));
	/* registered twice */
	lt_key_entry(&env, j, j, "j", "rights-holder", NULL);
	CHECK_OK(pl_ledger__append(l, NULL, env.ptr, env.len, NULL, 0, 0));
	CHECK_OK(pl_ledger__append(l, &r2, env.ptr, env.len, NULL, 0, 0));
	/* a revocation of j signed by an unrelated key */
	lt_key_entry(&env, k, x, "x", "rights-holder", jid);
	CHECK_OK(pl_ledger__append(l, &r3, env.ptr, env.len, NULL, 0, 0));
	lt_expect_problem(l, NULL, (long long)r1.seq, r1.commit,
	                  "a key entry must be signed by the key it registers");
	lt_expect_problem(l, NULL, (long long)r2.seq, r2.commit, "is already registered");
	lt_expect_problem(l, NULL, (long long)r3.seq, r3.commit,
	                  "must be signed by that key or by the operator");
	pl_buf_free(&env);
	pl_key_free(op);
	pl_key_free(k);
	pl_key_free(j);
	pl_key_free(x);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, entry_zero_not_operator)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey();
	git_reference *ref = NULL;
	char dir[4096], p[4200];
	pl_entry_ref r0;
	snprintf(dir, sizeof(dir), "%s", l->dir);
	CHECK(git_reference_lookup(&ref, l->repo, "refs/heads/main") == 0);
	CHECK(git_reference_delete(ref) == 0);
	git_reference_free(ref);
	pl_ledger_free(l);
	snprintf(p, sizeof(p), "%s/index.sqlite", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/index.sqlite-wal", dir);
	unlink(p);
	CHECK_OK(pl_ledger_open(&l, dir));
	{
		pl_buf env = PL_BUF_INIT;
		lt_key_entry(&env, k, k, "k", "operator", NULL);
		CHECK_OK(pl_ledger__append(l, &r0, env.ptr, env.len, NULL, 0, 0));
		pl_buf_free(&env);
	}
	CHECK_EQ_INT(r0.seq, 0);
	lt_expect_problem(l, NULL, 0, r0.commit, "entry 0 must be the operator's key");
	pl_key_free(k);
	pl_ledger_free(l);
}

/* The operator signs a checkpoint, then the signature bytes are altered. */
PL_TEST(ledger_adv, forged_checkpoint_signature)
{
	pl_ledger *l = lt_ledger_of("L", 5);
	pl_buf note = PL_BUF_INIT;
	char commit[41];
	char *sig;
	CHECK_OK(pl_ledger_checkpoint(l, &note));
	sig = strstr(note.ptr, "\xe2\x80\x94 ");
	CHECK(sig != NULL);
	sig = strchr(sig + 4, ' ') + 10;
	*sig = *sig == 'A' ? 'B' : 'A';
	lt_rewrite_head(l, "checkpoint", note.ptr, note.len, commit);
	lt_expect_problem(l, NULL, 4, commit, "checkpoint: ");
	pl_buf_free(&note);
	pl_ledger_free(l);
}

/* A checkpoint validly signed by another key (same origin). */
PL_TEST(ledger_adv, checkpoint_signed_by_another_key)
{
	pl_ledger *l = lt_ledger_of("L", 5);
	pl_key *x = lt_genkey();
	pl_buf body = PL_BUF_INIT, note = PL_BUF_INIT;
	unsigned char root[32];
	char commit[41];
	CHECK_OK(pl_ledger_root(l, root, 5));
	CHECK_OK(pl_checkpoint_format(&body, LT_ORIGIN, 5, root));
	CHECK_OK(pl_note_sign(&note, body.ptr, body.len, LT_ORIGIN, x));
	lt_rewrite_head(l, "checkpoint", note.ptr, note.len, commit);
	lt_expect_problem(l, NULL, 4, commit, "checkpoint: ");
	pl_buf_free(&body);
	pl_buf_free(&note);
	pl_key_free(x);
	pl_ledger_free(l);
}

/* The operator signs a checkpoint whose root is not the entries'. */
PL_TEST(ledger_adv, checkpoint_wrong_root)
{
	pl_ledger *l = lt_ledger_of("L", 5);
	pl_key *op = lt_operator(l);
	pl_buf body = PL_BUF_INIT, note = PL_BUF_INIT;
	unsigned char root[32];
	char commit[41];
	CHECK_OK(pl_ledger_root(l, root, 4));
	CHECK_OK(pl_checkpoint_format(&body, LT_ORIGIN, 5, root));
	CHECK_OK(pl_note_sign(&note, body.ptr, body.len, LT_ORIGIN, op));
	lt_rewrite_head(l, "checkpoint", note.ptr, note.len, commit);
	lt_expect_problem(l, NULL, 4, commit, "checkpoint root does not match the entries");
	pl_buf_clear(&body);
	pl_buf_clear(&note);
	CHECK_OK(pl_ledger_root(l, root, 5));
	CHECK_OK(pl_checkpoint_format(&body, LT_ORIGIN, 4, root));
	CHECK_OK(pl_note_sign(&note, body.ptr, body.len, LT_ORIGIN, op));
	lt_rewrite_head(l, "checkpoint", note.ptr, note.len, commit);
	lt_expect_problem(l, NULL, 4, commit, "checkpoint size 4, expected 5");
	lt_rewrite_head(l, "checkpoint", NULL, 0, commit);
	lt_expect_problem(l, NULL, 4, commit, "checkpoint is missing");
	pl_buf_free(&body);
	pl_buf_free(&note);
	pl_key_free(op);
	pl_ledger_free(l);
}

/* The entry bytes of the head commit rewritten (and the commit re-signed). */
PL_TEST(ledger_adv, entry_rewritten_in_head)
{
	pl_ledger *l = lt_ledger_of("L", 6);
	pl_key *k = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	char commit[41];
	lt_work_entry(&env, k, "a different work", NULL);
	lt_rewrite_head(l, "entries/000/000/005.json", env.ptr, env.len, commit);
	lt_expect_problem(l, NULL, 5, commit, "leaf hash is not the one the commit message names");
	lt_expect_problem(l, NULL, 5, commit, "checkpoint root does not match");
	pl_buf_free(&env);
	pl_key_free(k);
	pl_ledger_free(l);
}

/* An old entry changed by the latest commit. */
PL_TEST(ledger_adv, old_entry_changed_later)
{
	pl_ledger *l = lt_ledger_of("L", 6);
	pl_buf env = PL_BUF_INIT;
	char commit[41], hex[41];
	pl_key *k = lt_genkey();
	lt_work_entry(&env, k, "replacement", NULL);
	lt_rewrite_head(l, "entries/000/000/003.json", env.ptr, env.len, commit);
	/* named at seq 3, with the commit that appended it */
	lt_commit_of(l, 3, hex);
	lt_expect_problem(l, NULL, 3, hex, "was changed or removed by a later commit");
	lt_rewrite_head(l, "entries/000/000/003.json", NULL, 0, commit);
	lt_expect_problem(l, NULL, -1, NULL, "was changed or removed by a later commit");
	pl_buf_free(&env);
	pl_key_free(k);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, unexpected_paths)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	char commit[41];
	lt_rewrite_head(l, "README", "hi\n", 3, commit);
	lt_expect_problem(l, NULL, -1, commit, "unexpected path README in the tree");
	lt_rewrite_head(l, "entries/000/000/007.json", "{}", 2, commit);
	lt_expect_problem(l, NULL, -1, commit, "unexpected path entries/000/000/007.json");
	pl_ledger_free(l);
}

static void append_with_attachment(pl_ledger *l, pl_entry_ref *ref, char hex[65])
{
	static const char data[] = "winnow fingerprint records";
	pl_attachment att = {data, sizeof(data)};
	pl_key *k = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	CHECK_OK(lt_register(l, NULL, k, "holder2", "rights-holder"));
	lt_sha256_hex(hex, data, sizeof(data));
	lt_work_entry(&env, k, "with attachment", hex);
	CHECK_OK(pl_ledger_append(l, ref, env.ptr, env.len, &att, 1));
	pl_buf_free(&env);
	pl_key_free(k);
}

PL_TEST(ledger_adv, attachment_bytes_changed)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	pl_entry_ref ref;
	char hex[65], path[128], commit[41], msg[256];
	append_with_attachment(l, &ref, hex);
	lt_expect_clean(l, NULL);
	snprintf(path, sizeof(path), "blobs/%s", hex);
	lt_rewrite_head(l, path, "tampered", 8, commit);
	snprintf(msg, sizeof(msg), "attachment blobs/%s: its bytes hash to", hex);
	lt_expect_problem(l, NULL, (long long)ref.seq, commit, msg);
	pl_ledger_free(l);
}

/* An attachment changed or removed by a later commit. */
PL_TEST(ledger_adv, attachment_changed_later)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	pl_key *k = lt_genkey();
	pl_entry_ref ref;
	char hex[65], path[128], commit[41], msg[256];
	append_with_attachment(l, &ref, hex);
	CHECK_OK(lt_register(l, NULL, k, "later", "rights-holder"));
	snprintf(path, sizeof(path), "blobs/%s", hex);
	lt_rewrite_head(l, path, NULL, 0, commit);
	snprintf(msg, sizeof(msg), "attachment blobs/%s was changed or removed", hex);
	lt_expect_problem(l, NULL, (long long)ref.seq + 1, commit, msg);
	lt_rewrite_head(l, path, "x", 1, commit);
	lt_expect_problem(l, NULL, (long long)ref.seq + 1, commit, msg);
	pl_key_free(k);
	pl_ledger_free(l);
}

/* After a rewrite of history, the index must be rebuilt before appending. */
static void reopen_reindexed(pl_ledger **l)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", (*l)->dir);
	pl_ledger_free(*l);
	CHECK_OK(pl_ledger_reindex(dir));
	CHECK_OK(pl_ledger_open(l, dir));
}

/* An attachment removed in the middle of history (later entries follow), and
 * a stray blob added beside a declared one then removed again: each is
 * found at its commit although the head no longer shows the stray. */
PL_TEST(ledger_adv, attachment_removed_mid_history)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	pl_key *k = lt_genkey();
	pl_entry_ref ref, later;
	char hex[65], path[128], commit[41], msg[256];
	append_with_attachment(l, &ref, hex);
	CHECK_OK(lt_register(l, NULL, k, "later", "rights-holder"));
	snprintf(path, sizeof(path), "blobs/%s", hex);
	lt_rewrite_head(l, path, NULL, 0, commit);
	reopen_reindexed(&l);
	CHECK_OK(lt_work(l, &later, k, "after the removal", 1));
	CHECK_OK(lt_work(l, NULL, k, "and another", 1));
	snprintf(msg, sizeof(msg), "attachment blobs/%s was changed or removed", hex);
	lt_expect_problem(l, NULL, (long long)ref.seq + 1, commit, msg);
	pl_key_free(k);
	pl_ledger_free(l);
}

PL_TEST(ledger_adv, stray_blob_added_and_removed)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	pl_key *k = lt_genkey();
	pl_entry_ref ref;
	char hex[65], stray[65], path[128], commit[41], c2[41], msg[256];
	append_with_attachment(l, &ref, hex);
	lt_sha256_hex(stray, "stray", 5);
	snprintf(path, sizeof(path), "blobs/%s", stray);
	lt_rewrite_head(l, path, "stray", 5, commit);
	reopen_reindexed(&l);
	CHECK_OK(lt_register(l, NULL, k, "later", "rights-holder"));
	lt_rewrite_head(l, path, NULL, 0, c2);
	reopen_reindexed(&l);
	CHECK_OK(lt_work(l, NULL, k, "after", 1));
	snprintf(msg, sizeof(msg), "attachment blobs/%s is not named by the entry", stray);
	lt_expect_problem(l, NULL, (long long)ref.seq, commit, msg);
	snprintf(msg, sizeof(msg), "attachment blobs/%s was changed or removed", stray);
	lt_expect_problem(l, NULL, (long long)ref.seq + 1, c2, msg);
	pl_key_free(k);
	pl_ledger_free(l);
}

/* A blob added by a commit whose entry does not name it. */
PL_TEST(ledger_adv, attachment_not_named)
{
	pl_ledger *l = lt_ledger_of("L", 3);
	char hex[65], path[128], commit[41], msg[256];
	lt_sha256_hex(hex, "stray", 5);
	snprintf(path, sizeof(path), "blobs/%s", hex);
	lt_rewrite_head(l, path, "stray", 5, commit);
	snprintf(msg, sizeof(msg), "attachment blobs/%s is not named by the entry", hex);
	lt_expect_problem(l, NULL, 2, commit, msg);
	pl_ledger_free(l);
}

/* --since: a checkpoint of a forked ledger (same operator key and origin). */
PL_TEST(ledger_adv, since_forked_history)
{
	pl_ledger *a = lt_ledger_of("A", 6), *b = NULL;
	pl_key *lab = lt_genkey();
	pl_buf old = PL_BUF_INIT, fork = PL_BUF_INIT;
	char dir[4096];

	CHECK_OK(pl_ledger_checkpoint_at(a, &old, 4));
	lt_expect_clean(a, &old);
	snprintf(dir, sizeof(dir), "%s/B", pl_tmpdir());
	CHECK_OK(pl_ledger_init(&b, dir, LT_ORIGIN, a->op_key_path, NULL));
	CHECK_OK(lt_register(b, NULL, lab, "lab", "rights-holder"));
	CHECK_OK(lt_work(b, NULL, lab, "forked 1", 1));
	CHECK_OK(lt_work(b, NULL, lab, "forked 2", 1));
	CHECK_OK(pl_ledger_checkpoint(b, &fork));
	lt_expect_clean(b, &fork);
	lt_expect_problem(a, &fork, -1, NULL, "is not a prefix of this ledger");
	/* and a checkpoint that is longer than the ledger */
	for (int i = 0; i < 4; i++) {
		char t[32];
		snprintf(t, sizeof(t), "more %d", i);
		CHECK_OK(lt_work(b, NULL, lab, t, 1));
	}
	pl_buf_clear(&fork);
	CHECK_OK(pl_ledger_checkpoint(b, &fork));
	lt_expect_problem(a, &fork, -1, NULL, "history was truncated");
	pl_buf_free(&old);
	pl_buf_free(&fork);
	pl_key_free(lab);
	pl_ledger_free(a);
	pl_ledger_free(b);
}

PL_TEST(ledger_adv, since_not_signed_by_operator)
{
	pl_ledger *l = lt_ledger_of("L", 4);
	pl_key *x = lt_genkey();
	pl_buf body = PL_BUF_INIT, note = PL_BUF_INIT;
	unsigned char root[32];
	CHECK_OK(pl_ledger_root(l, root, 3));
	CHECK_OK(pl_checkpoint_format(&body, LT_ORIGIN, 3, root));
	CHECK_OK(pl_note_sign(&note, body.ptr, body.len, LT_ORIGIN, x));
	lt_expect_problem(l, &note, -1, NULL, "--since checkpoint: ");
	pl_buf_clear(&note);
	CHECK_OK(pl_note_sign(&note, "garbage\n", 8, LT_ORIGIN, x));
	lt_expect_problem(l, &note, -1, NULL, "--since checkpoint: ");
	pl_buf_free(&body);
	pl_buf_free(&note);
	pl_key_free(x);
	pl_ledger_free(l);
}

/* The operator resets the branch, then appends different entries: every
 * signature is valid, only --since with an old checkpoint shows it. */
PL_TEST(ledger_adv, history_rewritten_with_the_key)
{
	pl_ledger *l = lt_ledger_of("L", 8);
	pl_key *lab = lt_genkey();
	pl_buf old = PL_BUF_INIT;
	git_oid id;
	git_reference *ref = NULL;
	pl_buf commit = PL_BUF_INIT;
	char dir[4096], hex[41];

	CHECK_OK(pl_ledger_checkpoint(l, &old));
	lt_commit_of(l, 4, hex);
	CHECK(git_oid_fromstr(&id, hex) == 0);
	CHECK(git_reference_create(&ref, l->repo, "refs/heads/main", &id, 1, NULL) == 0);
	git_reference_free(ref);
	snprintf(dir, sizeof(dir), "%s", l->dir);
	pl_ledger_free(l);
	/* the stale index refuses to open: the log was rolled back; the signed
	 * checkpoint of size 8 is kept as evidence, and reindex needs consent */
	CHECK(pl_ledger_open(&l, dir) < 0);
	CHECK_CONTAINS(pl_error_last(), "the log was rolled back");
	CHECK_CONTAINS(pl_error_last(), "rollback-8.checkpoint");
	CHECK(pl_ledger_reindex(dir) < 0);
	CHECK_CONTAINS(pl_error_last(), "--accept-rollback");
	{
		char p[4200];
		struct stat st;
		snprintf(p, sizeof(p), "%s/rollback-8.checkpoint", dir);
		CHECK(stat(p, &st) == 0 && st.st_size > 0);
	}
	CHECK_OK(pl_ledger_reindex_ex(dir, 1));
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_EQ_INT(pl_ledger_size(l), 5);
	CHECK_OK(lt_register(l, NULL, lab, "lab2", "rights-holder"));
	for (int i = 0; i < 4; i++) {
		char t[32];
		snprintf(t, sizeof(t), "rewritten %d", i);
		CHECK_OK(lt_work(l, NULL, lab, t, 1));
	}
	lt_expect_clean(l, NULL);
	lt_expect_problem(l, &old, -1, NULL,
	                  "--since checkpoint (size 8) is not a prefix of this ledger");
	pl_buf_free(&old);
	pl_buf_free(&commit);
	pl_key_free(lab);
	pl_ledger_free(l);
}
