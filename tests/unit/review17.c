/* Regression tests of the adversarial review's 17 defects, where the CLI
 * cannot reach (tests/cli/review17.sh has the rest): a malicious operator
 * forces entries the rules refuse into the log (pl_ledger__append with
 * check = 0), and verify, verify-bundle and the index catch-up must each
 * refuse them, naming the seq; pre-signed envelopes whose time goes back.
 * Each test names its defect (dN) or the "Done when" check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_fixture.h"
#include "harness.h"
#include "ledgertest.h"
#include "pl_bundle.h"

/* The fixture ledger of bundle_fixture.h (big@1 is seq 15, web@1 seq 14,
 * the lab's key seq 1, the authority's licence of big@1 seq 16). */
static void build(fix_ledger *f)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(fix_build(f, dir));
}

static const char *tmp(const char *name)
{
	static char p[4][4096];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", pl_tmpdir(), name);
	return p[i];
}

/* An attestation envelope of kind on subject, signed by k, claiming
 * issuer_role; extra (stolen, may be NULL) adds predicate fields. */
static void attest_env(pl_buf *env, const pl_key *k, const char *kind, const pl_entry_ref *subject,
                       const char *sname, const char *issuer_role, json_t *extra)
{
	char name[160], hex[65];
	json_t *pred = extra ? extra : json_object();
	snprintf(name, sizeof(name), "attestation:%s:%s", kind, sname);
	pl_hex(hex, subject->leaf, 32);
	json_object_set_new(pred, "created", json_string(lt_now()));
	json_object_set_new(pred, "kind", json_string(kind));
	json_object_set_new(pred, "subject", fix_ref(subject, sname));
	json_object_set_new(pred, "issuer_role", json_string(issuer_role));
	pl_buf_clear(env);
	CHECK_OK(pl_entry__sign(
	    env, k, "attestation",
	    json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256", hex), pred));
}

static void licence_env(pl_buf *env, const pl_key *k, const pl_entry_ref *subject,
                        const char *sname, const char *issuer_role)
{
	attest_env(env, k, "training-licence", subject, sname, issuer_role,
	           json_pack("{s:s, s:s}", "max_training_flop", "1e26", "conditions", "none"));
}

/* A model entry n@1 signed by the lab, trained on datasets (stolen). */
static void model_env(pl_buf *env, const fix_ledger *f, const char *n, json_t *datasets)
{
	char name[80];
	json_t *pred = json_object();
	snprintf(name, sizeof(name), "model:%s@1", n);
	json_object_set_new(pred, "created", json_string(lt_now()));
	json_object_set_new(pred, "name", json_string(n));
	json_object_set_new(pred, "version", json_string("1"));
	json_object_set_new(pred, "lab", json_string(fix_keyid(f->lab)));
	json_object_set_new(pred, "datasets", datasets);
	json_object_set_new(pred, "base_models", json_array());
	json_object_set_new(pred, "training_flop", json_string("1e20"));
	json_object_set_new(pred, "parameters", json_string("1e9"));
	json_object_set_new(pred, "frontier", json_false());
	pl_buf_clear(env);
	CHECK_OK(pl_entry__sign(
	    env, f->lab, "model",
	    json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256",
	              "4444444444444444444444444444444444444444444444444444444444444444"),
	    pred));
}

/* The honest append refuses env (PL_EVERIFY or PL_EINVALID), holding msg, and
 * appends nothing; then the malicious operator forces it in: *forced. */
static void refused_then_forced(pl_ledger *l, pl_entry_ref *forced, const pl_buf *env,
                                const char *msg)
{
	uint64_t n = pl_ledger_size(l);
	int rc = pl_ledger_append(l, NULL, env->ptr, env->len, NULL, 0);
	if (rc != PL_EVERIFY && rc != PL_EINVALID)
		pl_test_fail(__FILE__, __LINE__, "append returned %d, expected a refusal (%s)", rc,
		             pl_error_last());
	CHECK_CONTAINS(pl_error_last(), msg);
	CHECK_EQ_INT(pl_ledger_size(l), n);
	CHECK_OK(pl_ledger__append(l, forced, env->ptr, env->len, NULL, 0, 0));
	CHECK_EQ_INT(forced->seq, n);
}

/* The index catch-up (every open) refuses the forced commit when it
 * rebuilds from git: the index is deleted and the ledger opened again. */
static void catch_up_refuses(const char *dir, const pl_entry_ref *forced, const char *msg)
{
	char p[4200], c7[8];
	pl_ledger *l = NULL;
	snprintf(p, sizeof(p), "%s/index.sqlite", dir);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/index.sqlite-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/index.sqlite-shm", dir);
	unlink(p);
	CHECK(pl_ledger_open(&l, dir) < 0);
	snprintf(c7, sizeof(c7), "%.7s", forced->commit);
	CHECK_CONTAINS(pl_error_last(), c7);
	CHECK_CONTAINS(pl_error_last(), msg);
	pl_ledger_free(l);
}

/* Someone with write access to repo.git but no operator key adds a commit:
 * the head tree plus entry seq = env, a well-formed message, no signature
 * (or, with signer, an SSHSIG by that key instead of the operator's).
 * out receives the commit's hex id. */
static void unsigned_commit(pl_ledger *l, const pl_buf *env, uint64_t seq, const pl_key *signer,
                            char out[41])
{
	git_oid head, blob, tree_id, id;
	git_commit *c = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update up;
	git_buf cbuf = GIT_BUF_INIT;
	git_reference *ref = NULL;
	git_signature *who = NULL;
	unsigned char leaf[32];
	char path[64], hex[65], msg[256];
	const git_commit *parents[1];

	CHECK(git_reference_name_to_id(&head, l->repo, "refs/heads/main") == 0);
	CHECK(git_commit_lookup(&c, l->repo, &head) == 0);
	CHECK(git_commit_tree(&base, c) == 0);
	pl_ledger__entry_path(path, seq);
	CHECK(git_blob_create_from_buffer(&blob, l->repo, env->ptr, env->len) == 0);
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.path = path;
	up.filemode = GIT_FILEMODE_BLOB;
	up.id = blob;
	CHECK(git_tree_create_updated(&tree_id, l->repo, base, 1, &up) == 0);
	CHECK(git_tree_lookup(&tree, l->repo, &tree_id) == 0);
	pl_merkle_leaf(leaf, env->ptr, env->len);
	pl_hex(hex, leaf, 32);
	snprintf(msg, sizeof(msg), "work forged\n\nseq: %llu\nleaf: %s\n", (unsigned long long)seq,
	         hex);
	CHECK(git_signature_now(&who, "mallory", "m@example.org") == 0);
	parents[0] = c;
	if (signer) {
		pl_buf sig = PL_BUF_INIT;
		CHECK(git_commit_create_buffer(&cbuf, l->repo, who, who, NULL, msg, tree, 1,
		                               parents) == 0);
		CHECK_OK(pl_sshsig_sign(&sig, signer, "git", cbuf.ptr, cbuf.size));
		while (sig.len && sig.ptr[sig.len - 1] == '\n')
			sig.ptr[--sig.len] = '\0';
		CHECK(git_commit_create_with_signature(&id, l->repo, cbuf.ptr, sig.ptr, "gpgsig") ==
		      0);
		pl_buf_free(&sig);
	} else {
		CHECK(git_commit_create(&id, l->repo, NULL, who, who, NULL, msg, tree, 1,
		                        parents) == 0);
	}
	CHECK(git_reference_create(&ref, l->repo, "refs/heads/main", &id, 1, NULL) == 0);
	git_oid_tostr(out, 41, &id);
	git_reference_free(ref);
	git_signature_free(who);
	git_buf_dispose(&cbuf);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(c);
}

/* d1: an unsigned commit (or one signed by a registered key that is not the
 * operator's) holding an entry signed by a registered key is never
 * countersigned: an append through a handle opened before it was added
 * refuses, naming the commit, and leaves the head where it was; a fresh
 * open refuses; verify reports "commit is not signed". */
PL_TEST(review17, d1_unsigned_commit_not_countersigned)
{
	for (int variant = 0; variant < 2; variant++) {
		pl_ledger *l = lt_init(variant ? "S" : "U"), *o = NULL;
		pl_key *k = lt_genkey();
		pl_buf env = PL_BUF_INIT;
		git_oid head;
		char commit[41], c7[8], now_head[41], dir[4096];
		const char *why = variant ? "does not verify under the operator key"
		                          : "is not signed by the operator";
		uint64_t n;
		CHECK_OK(lt_register(l, NULL, k, "holder", "rights-holder"));
		n = pl_ledger_size(l);
		lt_work_entry(&env, k, "slipped in", NULL);
		unsigned_commit(l, &env, n, variant ? k : NULL, commit);
		snprintf(c7, sizeof(c7), "%.7s", commit);
		/* the open handle appends: refused under the lock, nothing written */
		CHECK(lt_work(l, NULL, k, "the next append", 1) < 0);
		CHECK_CONTAINS(pl_error_last(), c7);
		CHECK_CONTAINS(pl_error_last(), why);
		CHECK(git_reference_name_to_id(&head, l->repo, "refs/heads/main") == 0);
		git_oid_tostr(now_head, sizeof(now_head), &head);
		CHECK_STR(now_head, commit);
		snprintf(dir, sizeof(dir), "%s", l->dir);
		CHECK(pl_ledger_open(&o, dir) < 0);
		CHECK_CONTAINS(pl_error_last(), c7);
		CHECK_CONTAINS(pl_error_last(), why);
		lt_expect_problem(l, NULL, (long long)n, commit,
		                  variant ? "commit signature" : "commit is not signed");
		pl_buf_free(&env);
		pl_key_free(k);
		pl_ledger_free(l);
	}
}

/* d3 (a): a training licence signed by a lab key that says "issuer_role":
 * "authority". Append refuses it; forced in, verify names it; a bundle of
 * big@1 exported with the forged licence in the log fails verify-bundle. */
PL_TEST(review17, d3a_licence_by_lab_claiming_authority)
{
	fix_ledger f;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	char dir[4096];
	build(&f);
	snprintf(dir, sizeof(dir), "%s", pl_ledger_dir(f.l));
	licence_env(&env, f.lab, &f.ref[15], "big@1", "authority");
	refused_then_forced(f.l, &forced, &env, "attest training-licence needs an authority key");
	lt_expect_problem(f.l, NULL, (long long)forced.seq, forced.commit,
	                  "attest training-licence needs an authority key; lab (");
	/* and with the lab's own role written in: still not an authority's licence */
	licence_env(&env, f.lab, &f.ref[15], "big@1", "lab");
	{
		pl_entry_ref r2;
		refused_then_forced(f.l, &r2, &env, "needs an authority key");
		lt_expect_problem(f.l, NULL, (long long)r2.seq, r2.commit,
		                  "attest training-licence needs an authority key");
	}
	pl_buf_free(&env);
	fix_free(&f);
	catch_up_refuses(dir, &forced, "attest training-licence needs an authority key");
}

/* d3 (a), verify-bundle: the bundle is written by the same handle that
 * forced the entry in (reopening the ledger would refuse it). If export
 * itself refuses the broken lineage, that is a refusal too. */
PL_TEST(review17, d3a_verify_bundle_refuses_forged_licence)
{
	fix_ledger f;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	pl_bundle_report r;
	pl_key *op = NULL;
	const char *path = tmp("forged.bundle");
	char want[128];
	int rc;
	build(&f);
	CHECK_OK(pl_key_public(&op, pl_ledger_operator(f.l)));
	licence_env(&env, f.lab, &f.ref[15], "big@1", "authority");
	CHECK_OK(pl_ledger__append(f.l, &forced, env.ptr, env.len, NULL, 0, 0));
	rc = pl_bundle_write(f.l, path, PL_BUNDLE_MODEL, 15, NULL);
	if (rc < 0) {
		/* export refused: nothing written */
		struct stat st;
		CHECK(stat(path, &st) < 0);
		pl_buf_free(&env);
		pl_key_free(op);
		fix_free(&f);
		return;
	}
	memset(&r, 0, sizeof(r));
	CHECK_ERR(pl_bundle_verify(&r, path, op, NULL), PL_EVERIFY);
	snprintf(want, sizeof(want), "seq %llu (attestation ", (unsigned long long)forced.seq);
	CHECK_CONTAINS(r.problems.ptr, want);
	CHECK_CONTAINS(r.problems.ptr, "attest training-licence needs an authority key");
	for (size_t i = 0; i < r.nentries; i++)
		if (r.entries[i].seq == forced.seq)
			CHECK(!r.entries[i].verified);
	/* the finding stands: big@1 has no licence from an authority besides 16 */
	pl_bundle_report_free(&r);
	pl_buf_free(&env);
	pl_key_free(op);
	fix_free(&f);
}

/* d3 (b): a model whose dataset reference says "ins@1" but points at the
 * seq and leaf of web@1. */
PL_TEST(review17, d3b_reference_name_mismatch)
{
	fix_ledger f;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	char dir[4096];
	build(&f);
	snprintf(dir, sizeof(dir), "%s", pl_ledger_dir(f.l));
	model_env(&env, &f, "ins-model", json_pack("[o]", fix_ref(&f.ref[14], "ins@1")));
	refused_then_forced(f.l, &forced, &env,
	                    "datasets[0] says ins@1, but seq 14 is dataset web@1");
	lt_expect_problem(f.l, NULL, (long long)forced.seq, forced.commit,
	                  "datasets[0] says ins@1, but seq 14 is dataset web@1");
	pl_buf_free(&env);
	fix_free(&f);
	catch_up_refuses(dir, &forced, "datasets[0] says ins@1, but seq 14 is dataset web@1");
}

/* d3 (c): a model whose "datasets" reference points at a key entry (with
 * that entry's right leaf). */
PL_TEST(review17, d3c_reference_to_wrong_type)
{
	fix_ledger f;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	char dir[4096];
	build(&f);
	snprintf(dir, sizeof(dir), "%s", pl_ledger_dir(f.l));
	model_env(&env, &f, "keyed", json_pack("[o]", fix_ref(&f.ref[1], NULL)));
	refused_then_forced(f.l, &forced, &env,
	                    "datasets[0] (seq 1) is a key entry, not a dataset");
	lt_expect_problem(f.l, NULL, (long long)forced.seq, forced.commit,
	                  "datasets[0] (seq 1) is a key entry, not a dataset");
	/* and a reference with the right seq but another entry's leaf */
	{
		pl_entry_ref wrong = f.ref[14], r2;
		memcpy(wrong.leaf, f.ref[11].leaf, 32);
		model_env(&env, &f, "leafy", json_pack("[o]", fix_ref(&wrong, "web@1")));
		refused_then_forced(f.l, &r2, &env, "datasets[0] names leaf");
		lt_expect_problem(f.l, NULL, (long long)r2.seq, r2.commit,
		                  "but that entry's leaf is");
	}
	pl_buf_free(&env);
	fix_free(&f);
	catch_up_refuses(dir, &forced, "datasets[0] (seq 1) is a key entry, not a dataset");
}

/* d4 and "Done when" (i): a self-made authority (a key entry declaring
 * authority, never granted by the operator) cannot license: the append is
 * refused; forced into the log by the operator, verify reports it. */
PL_TEST(review17, done_i_self_made_authority_forced)
{
	fix_ledger f;
	pl_key *fake = NULL;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	char dir[4096];
	build(&f);
	snprintf(dir, sizeof(dir), "%s", pl_ledger_dir(f.l));
	CHECK_OK(pl_key_generate(&fake));
	CHECK_OK(
	    pl_ledger_register_key(f.l, NULL, fake, fake, "self-made", "authority", NULL, NULL));
	licence_env(&env, fake, &f.ref[15], "big@1", "authority");
	refused_then_forced(f.l, &forced, &env,
	                    "declares authority but no operator has granted it");
	lt_expect_problem(f.l, NULL, (long long)forced.seq, forced.commit,
	                  "declares authority but no operator has granted it");
	/* nor can it grant: a lab grant signed by it, forced in */
	{
		pl_key *lab2 = NULL;
		pl_entry_ref g;
		uint64_t n;
		CHECK_OK(pl_key_generate(&lab2));
		CHECK_OK(pl_ledger_register_key(f.l, NULL, lab2, lab2, "lab2", "lab", NULL, NULL));
		n = pl_ledger_size(f.l);
		CHECK(pl_ledger_grant(f.l, &g, fake, fix_keyid(lab2), "lab") < 0);
		CHECK_EQ_INT(pl_ledger_size(f.l), n);
		pl_key_free(lab2);
	}
	pl_buf_free(&env);
	pl_key_free(fake);
	fix_free(&f);
	catch_up_refuses(dir, &forced, "declares authority but no operator has granted it");
}

/* "Done when" (iii): time never goes back. A pre-signed envelope whose
 * created is earlier than the previous entry's is refused by append; one
 * far in the future too; forced in, verify reports the earlier one. */
PL_TEST(review17, done_iii_presigned_earlier_created)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey(), *old = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	json_t *subj = NULL, *pred = NULL;
	uint64_t n;
	CHECK_OK(lt_register(l, NULL, k, "holder", "rights-holder"));
	/* a key entry signed in 2020 */
	CHECK_OK(pl_key_statement(&subj, &pred, old, "old", "rights-holder", NULL, NULL));
	json_object_set_new(pred, "created", json_string("2020-01-01T00:00:00Z"));
	CHECK_OK(pl_entry__sign(&env, old, "key", subj, pred));
	n = pl_ledger_size(l);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "created 2020-01-01T00:00:00Z is earlier than the previous "
	                                "entry's");
	CHECK_EQ_INT(pl_ledger_size(l), n);
	/* one from 2999 */
	CHECK_OK(pl_key_statement(&subj, &pred, old, "old", "rights-holder", NULL, NULL));
	json_object_set_new(pred, "created", json_string("2999-01-01T00:00:00Z"));
	pl_buf_clear(&env);
	CHECK_OK(pl_entry__sign(&env, old, "key", subj, pred));
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "is later than the append time");
	CHECK_EQ_INT(pl_ledger_size(l), n);
	/* forced in: verify names it */
	CHECK_OK(pl_key_statement(&subj, &pred, old, "old", "rights-holder", NULL, NULL));
	json_object_set_new(pred, "created", json_string("2020-01-01T00:00:00Z"));
	pl_buf_clear(&env);
	CHECK_OK(pl_entry__sign(&env, old, "key", subj, pred));
	CHECK_OK(pl_ledger__append(l, &forced, env.ptr, env.len, NULL, 0, 0));
	lt_expect_problem(l, NULL, (long long)forced.seq, forced.commit,
	                  "is earlier than the previous entry's");
	pl_buf_free(&env);
	pl_key_free(k);
	pl_key_free(old);
	pl_ledger_free(l);
}

static int64_t fixed_clock(void *ctx)
{
	return *(int64_t *)ctx;
}

/* "Done when" (iii): a pinned clock is refused on a ledger not created with
 * a test clock; on one that was, a clock set back does not set entries back
 * (created = max(now, previous)). */
PL_TEST(review17, done_iii_test_clock)
{
	pl_ledger *l = lt_init("plain"), *t = NULL;
	pl_ledger_init_opts o;
	pl_key *k = lt_genkey();
	int64_t now = 1790000000;
	char dir[4096], want[32];
	json_t *st = NULL;
	pl_entry_ref ref;
	CHECK_ERR(pl_ledger_set_clock(l, fixed_clock, &now), PL_EUSAGE);
	CHECK_CONTAINS(pl_error_last(), "was not created with a test clock");
	pl_ledger_free(l);

	memset(&o, 0, sizeof(o));
	o.origin = LT_ORIGIN;
	o.test_clock = 1;
	o.clock = fixed_clock;
	o.clock_ctx = &now;
	snprintf(dir, sizeof(dir), "%s/clocked", pl_tmpdir());
	CHECK_OK(pl_ledger_init_ex(&t, dir, &o));
	CHECK_OK(pl_ledger_register_key(t, NULL, k, k, "k", "rights-holder", NULL, NULL));
	now = 1700000000; /* back by three years */
	{
		pl_key *k2 = lt_genkey();
		CHECK_OK(
		    pl_ledger_register_key(t, &ref, k2, k2, "k2", "rights-holder", NULL, NULL));
		pl_key_free(k2);
	}
	CHECK_OK(pl_ledger_statement(t, &st, ref.seq));
	pl_rfc3339(want, 1790000000);
	CHECK_STR(json_string_value(json_object_get(json_object_get(st, "predicate"), "created")),
	          want);
	json_decref(st);
	lt_expect_clean(t, NULL);
	pl_key_free(k);
	pl_ledger_free(t);
}
