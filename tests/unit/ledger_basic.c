/* Unit tests of the ledger (ledger/{ledger,append,index,read,entry}.c):
 * init/open/append, entry paths, Merkle roots and proofs against an
 * independent builder, reindex and index catch-up, and the append rules
 * (entry 0, registered signers, duplicates, revocation, attachments). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ledgertest.h"

PL_TEST(ledger, init_open_append_reopen)
{
	pl_ledger *l = lt_init("L");
	pl_key *lab = lt_genkey();
	pl_entry_ref ref;
	pl_buf env = PL_BUF_INIT, got = PL_BUF_INIT;
	json_t *st = NULL;
	unsigned char leaf[32];

	CHECK_STR(pl_ledger_origin(l), LT_ORIGIN);
	CHECK_OK(lt_register(l, &ref, lab, "lab", "rights-holder"));
	CHECK_EQ_INT(ref.seq, 1);
	CHECK_EQ_INT(strlen(ref.commit), 40);
	lt_work_entry(&env, lab, "a book", NULL);
	CHECK_OK(pl_ledger_append(l, &ref, env.ptr, env.len, NULL, 0));
	CHECK_EQ_INT(ref.seq, 2);
	pl_merkle_leaf(leaf, env.ptr, env.len);
	CHECK(memcmp(leaf, ref.leaf, 32) == 0);
	CHECK_EQ_INT(pl_ledger_size(l), 3);

	l = lt_reopen(l);
	CHECK_EQ_INT(pl_ledger_size(l), 3);
	CHECK_STR(pl_ledger_origin(l), LT_ORIGIN);
	/* the bytes in git are the envelope exactly as signed */
	CHECK_OK(pl_ledger_entry(l, &got, 2));
	CHECK(got.len == env.len && memcmp(got.ptr, env.ptr, env.len) == 0);
	CHECK_OK(pl_ledger_statement(l, &st, 2));
	CHECK_STR(json_string_value(json_object_get(json_object_get(st, "predicate"), "title")),
	          "a book");
	CHECK_ERR(pl_ledger_entry(l, &got, 3), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "no entry 3");
	/* another handle appends; this one sees it on its next append */
	{
		pl_ledger *l2 = NULL;
		CHECK_OK(pl_ledger_open(&l2, l->dir));
		CHECK_OK(lt_work(l2, &ref, lab, "second", 1));
		CHECK_EQ_INT(ref.seq, 3);
		pl_ledger_free(l2);
		CHECK_OK(lt_work(l, &ref, lab, "third", 1));
		CHECK_EQ_INT(ref.seq, 4);
	}
	lt_expect_clean(l, NULL);
	json_decref(st);
	pl_buf_free(&env);
	pl_buf_free(&got);
	pl_key_free(lab);
	pl_ledger_free(l);
}

PL_TEST(ledger, init_twice_and_open_missing)
{
	pl_ledger *l = lt_init("L"), *l2 = NULL;
	char dir[4096];
	CHECK_ERR(pl_ledger_init(&l2, l->dir, LT_ORIGIN, NULL, NULL), PL_ECONFLICT);
	CHECK_CONTAINS(pl_error_last(), "already exists");
	snprintf(dir, sizeof(dir), "%s/nothing-here", pl_tmpdir());
	CHECK_ERR(pl_ledger_open(&l2, dir), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "no ledger at");
	CHECK(l2 == NULL);
	pl_ledger_free(l);
}

/* The generated operator key is found whatever the working directory. */
PL_TEST(ledger, relative_dir_then_other_cwd)
{
	pl_ledger *l = NULL;
	pl_key *lab = lt_genkey();
	char cwd[4096], dir[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(pl_tmpdir()) == 0);
	CHECK_OK(pl_ledger_init(&l, "rel", LT_ORIGIN, NULL, NULL));
	pl_ledger_free(l);
	CHECK(chdir("/") == 0);
	snprintf(dir, sizeof(dir), "%s/rel", pl_tmpdir());
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_OK(lt_register(l, NULL, lab, "lab", "rights-holder"));
	CHECK(chdir(cwd) == 0);
	pl_key_free(lab);
	pl_ledger_free(l);
}

PL_TEST(ledger, entry_paths)
{
	static const struct {
		uint64_t seq;
		const char *path;
	} cases[] = {
	    {0, "entries/000/000/000.json"},
	    {12, "entries/000/000/012.json"},
	    {1000, "entries/000/001/000.json"},
	    {999999999ull, "entries/999/999/999.json"},
	    {1000000000ull, "entries/001/000/000/000.json"},
	    {123456789012ull, "entries/123/456/789/012.json"},
	    {999999999999ull, "entries/999/999/999/999.json"},
	    {1000000000000ull, "entries/001/000/000/000/000.json"},
	    {999999999999999999ull, "entries/999/999/999/999/999/999.json"},
	    {1000000000000000000ull, "entries/001/000/000/000/000/000/000.json"},
	    {1000000000000000001ull, "entries/001/000/000/000/000/000/001.json"},
	    {18446744073709551615ull, "entries/018/446/744/073/709/551/615.json"},
	};
	char p[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_ledger__entry_path(p, cases[i].seq);
		CHECK_STR(p, cases[i].path);
	}
}

/* Leaf hashes of the first n entries, straight from git. */
static void leaves_of(pl_ledger *l, unsigned char (*leaf)[32], uint64_t n)
{
	pl_buf env = PL_BUF_INIT;
	for (uint64_t i = 0; i < n; i++) {
		CHECK_OK(pl_ledger_entry(l, &env, i));
		pl_merkle_leaf(leaf[i], env.ptr, env.len);
	}
	pl_buf_free(&env);
}

PL_TEST(ledger, root_matches_builder_1_to_70)
{
	pl_ledger *l = lt_ledger_of("L", 70);
	unsigned char leaf[70][32], want[32], got[32];
	pl_merkle_builder b;
	pl_buf note = PL_BUF_INIT, text = PL_BUF_INIT;
	pl_checkpoint cp;

	leaves_of(l, leaf, 70);
	pl_merkle_builder_init(&b);
	pl_merkle_empty(want);
	CHECK_OK(pl_ledger_root(l, got, 0));
	CHECK(memcmp(want, got, 32) == 0);
	for (uint64_t n = 1; n <= 70; n++) {
		pl_merkle_builder_add(&b, leaf[n - 1]);
		pl_merkle_builder_root(&b, want);
		CHECK_OK(pl_ledger_root(l, got, n));
		if (memcmp(want, got, 32) != 0)
			pl_test_fail(__FILE__, __LINE__, "root of size %llu differs",
			             (unsigned long long)n);
		/* the checkpoint stored for size n is signed and names that root */
		CHECK_OK(pl_ledger_checkpoint_at(l, &note, n));
		CHECK_OK(pl_note_verify(&text, note.ptr, note.len, LT_ORIGIN, l->op));
		CHECK_OK(pl_checkpoint_parse(&cp, text.ptr, text.len));
		CHECK_EQ_INT(cp.size, n);
		CHECK(memcmp(cp.root, want, 32) == 0);
	}
	CHECK_ERR(pl_ledger_root(l, got, 71), PL_EINVALID);
	CHECK_OK(pl_ledger_checkpoint(l, &note));
	CHECK_OK(pl_note_verify(&text, note.ptr, note.len, LT_ORIGIN, l->op));
	CHECK_OK(pl_checkpoint_parse(&cp, text.ptr, text.len));
	CHECK_EQ_INT(cp.size, 70);
	pl_buf_free(&note);
	pl_buf_free(&text);
	pl_ledger_free(l);
}

PL_TEST(ledger, proofs_all_pairs_to_40)
{
	pl_ledger *l = lt_ledger_of("L", 40);
	unsigned char leaf[40][32], root[41][32];
	pl_buf proof = PL_BUF_INIT;

	leaves_of(l, leaf, 40);
	for (uint64_t n = 0; n <= 40; n++)
		CHECK_OK(pl_ledger_root(l, root[n], n));
	for (uint64_t n = 1; n <= 40; n++) {
		for (uint64_t i = 0; i < n; i++) {
			pl_buf_clear(&proof);
			CHECK_OK(pl_ledger_prove_inclusion(l, &proof, i, n));
			if (pl_merkle_verify_inclusion(i, n, leaf[i], (unsigned char *)proof.ptr,
			                               proof.len / 32, root[n]) != PL_OK)
				pl_test_fail(__FILE__, __LINE__, "inclusion %llu in %llu: %s",
				             (unsigned long long)i, (unsigned long long)n,
				             pl_error_last());
			/* and not for a neighbour's leaf */
			if (n > 1)
				CHECK_ERR(pl_merkle_verify_inclusion(i, n, leaf[(i + 1) % n],
				                                     (unsigned char *)proof.ptr,
				                                     proof.len / 32, root[n]),
				          PL_EVERIFY);
		}
		for (uint64_t m = 0; m <= n; m++) {
			pl_buf_clear(&proof);
			CHECK_OK(pl_ledger_prove_consistency(l, &proof, m, n));
			if (m == 0 || m == n)
				CHECK_EQ_INT(proof.len, 0);
			if (pl_merkle_verify_consistency(m, n, root[m], root[n],
			                                 (unsigned char *)proof.ptr,
			                                 proof.len / 32) != PL_OK)
				pl_test_fail(__FILE__, __LINE__, "consistency %llu -> %llu: %s",
				             (unsigned long long)m, (unsigned long long)n,
				             pl_error_last());
			if (m > 0 && m < n)
				CHECK_ERR(pl_merkle_verify_consistency(m, n, root[m], root[n - 1],
				                                       (unsigned char *)proof.ptr,
				                                       proof.len / 32),
				          PL_EVERIFY);
		}
	}
	CHECK_ERR(pl_ledger_prove_inclusion(l, &proof, 5, 3), PL_EINVALID);
	CHECK_ERR(pl_ledger_prove_inclusion(l, &proof, 0, 41), PL_EINVALID);
	CHECK_ERR(pl_ledger_prove_consistency(l, &proof, 6, 5), PL_EINVALID);
	pl_buf_free(&proof);
	pl_ledger_free(l);
}

/* Everything the index says, as one string: entries, keys, nodes, meta. */
static void dump_index(pl_buf *out, pl_ledger *l)
{
	static const char *const q[] = {
	    "SELECT seq, hex(leaf), commit_id, type, name, keyid, created, statement, role FROM "
	    "entries ORDER BY seq",
	    "SELECT keyid, name, role, public_key, seq, revoked_seq FROM keys ORDER BY keyid",
	    "SELECT level, idx, hex(hash) FROM nodes ORDER BY level, idx",
	    "SELECT k, v FROM meta ORDER BY k",
	    "SELECT subject, bucket, hex(k), hex(leaf), refs FROM subjects ORDER BY subject",
	    "SELECT level, idx, hex(hash) FROM smt ORDER BY level, idx"};
	pl_buf_clear(out);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st = NULL;
		CHECK(sqlite3_prepare_v2(l->db, q[i], -1, &st, NULL) == SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++)
				pl_buf_printf(out, "%s|", (const char *)sqlite3_column_text(st, c));
			pl_buf_putc(out, '\n');
		}
		sqlite3_finalize(st);
		pl_buf_puts(out, "--\n");
	}
}

static void rm_index(const char *dir)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char p[4200];
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/index.sqlite%s", dir, sfx[i]);
		unlink(p);
	}
}

PL_TEST(ledger, reindex_same_rows_and_root)
{
	pl_ledger *l = lt_ledger_of("L", 23);
	pl_key *k = lt_genkey(), *op = lt_operator(l);
	pl_buf before = PL_BUF_INIT, after = PL_BUF_INIT, env = PL_BUF_INIT;
	unsigned char r1[32], r2[32];
	char dir[4096], kid[128];

	/* a revoked key too, so that keys.revoked_seq is rebuilt */
	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	lt_keyid(kid, k);
	{
		pl_key *k2 = lt_genkey();
		lt_key_entry(&env, op, k2, "k2", "rights-holder", kid);
		CHECK_OK(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0));
		pl_key_free(k2);
	}
	snprintf(dir, sizeof(dir), "%s", l->dir);
	dump_index(&before, l);
	CHECK_OK(pl_ledger_root(l, r1, pl_ledger_size(l)));
	pl_ledger_free(l);
	CHECK_OK(pl_ledger_reindex(dir));
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_EQ_INT(pl_ledger_size(l), 25);
	dump_index(&after, l);
	CHECK_OK(pl_ledger_root(l, r2, pl_ledger_size(l)));
	CHECK(memcmp(r1, r2, 32) == 0);
	CHECK_STR(after.ptr, before.ptr);

	/* the index file deleted: open rebuilds it from git */
	pl_ledger_free(l);
	rm_index(dir);
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_EQ_INT(pl_ledger_size(l), 25);
	dump_index(&after, l);
	CHECK_STR(after.ptr, before.ptr);
	pl_buf_free(&before);
	pl_buf_free(&after);
	pl_buf_free(&env);
	pl_key_free(k);
	pl_key_free(op);
	pl_ledger_free(l);
}

static void copy_file(const char *from, const char *to)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_read_file(&b, from, 1 << 26));
	CHECK_OK(pl_write_file_atomic(to, b.ptr ? b.ptr : "", b.len, 0644));
	pl_buf_free(&b);
}

/* A crash between the git commit and the index commit leaves git ahead of
 * the index: simulate it by putting back an older index file. */
PL_TEST(ledger, index_catches_up_after_crash)
{
	pl_ledger *l = lt_ledger_of("L", 9);
	pl_key *lab = lt_genkey(), *k = lt_genkey();
	pl_buf want = PL_BUF_INIT, got = PL_BUF_INIT;
	char dir[4096], idx[4200], saved[4200];
	pl_entry_ref ref;

	snprintf(dir, sizeof(dir), "%s", l->dir);
	snprintf(idx, sizeof(idx), "%s/index.sqlite", dir);
	snprintf(saved, sizeof(saved), "%s/saved.sqlite", pl_tmpdir());
	pl_ledger_free(l); /* the last close folds the WAL into the file */
	copy_file(idx, saved);
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_OK(lt_register(l, NULL, lab, "lab2", "rights-holder"));
	CHECK_OK(lt_work(l, NULL, lab, "after the copy", 1));
	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	dump_index(&want, l);
	pl_ledger_free(l);

	rm_index(dir);
	copy_file(saved, idx);
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_EQ_INT(pl_ledger_size(l), 12);
	dump_index(&got, l);
	CHECK_STR(got.ptr, want.ptr);
	/* the caught-up index knows the keys registered meanwhile */
	CHECK_ERR(lt_register(l, NULL, k, "k", "rights-holder"), PL_ECONFLICT);
	CHECK_OK(lt_work(l, &ref, k, "next", 1));
	CHECK_EQ_INT(ref.seq, 12);

	/* the same when an append catches up (not open) */
	pl_ledger_free(l);
	rm_index(dir);
	copy_file(saved, idx);
	CHECK_OK(pl_ledger__open(&l, dir, 0));
	CHECK_OK(lt_work(l, &ref, k, "next 2", 1));
	CHECK_EQ_INT(ref.seq, 13);
	lt_expect_clean(l, NULL);
	pl_buf_free(&want);
	pl_buf_free(&got);
	pl_key_free(lab);
	pl_key_free(k);
	pl_ledger_free(l);
}

PL_TEST(ledger, duplicate_key_refused)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey(), *op = lt_operator(l);
	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	CHECK_ERR(lt_register(l, NULL, k, "k", "rights-holder"), PL_ECONFLICT);
	CHECK_CONTAINS(pl_error_last(), "already registered");
	CHECK_ERR(lt_register(l, NULL, k, "other-name", "rights-holder"), PL_ECONFLICT);
	CHECK_ERR(lt_register(l, NULL, op, "operator", "operator"), PL_ECONFLICT);
	CHECK_EQ_INT(pl_ledger_size(l), 2);
	pl_key_free(k);
	pl_key_free(op);
	pl_ledger_free(l);
}

PL_TEST(ledger, key_entry_rules)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey(), *other = lt_genkey();
	pl_buf env = PL_BUF_INIT;
	/* signed by another key: no proof of possession */
	lt_key_entry(&env, other, k, "k", "rights-holder", NULL);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "must be signed by the key it registers");
	lt_key_entry(&env, k, k, "k", "pirate", NULL);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "unknown role");
	/* a tampered envelope: the signature no longer covers the payload */
	lt_key_entry(&env, k, k, "k", "rights-holder", NULL);
	{
		char *p = strstr(env.ptr, "\"sig\":\"") + 7;
		*p = *p == 'A' ? 'B' : 'A';
	}
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EVERIFY);
	CHECK_ERR(pl_ledger_append(l, NULL, "{}", 2, NULL, 0), PL_EINVALID);
	CHECK_ERR(pl_ledger_append(l, NULL, "not json", 8, NULL, 0), PL_EINVALID);
	CHECK_EQ_INT(pl_ledger_size(l), 1);
	pl_buf_free(&env);
	pl_key_free(k);
	pl_key_free(other);
	pl_ledger_free(l);
}

/* An empty ledger (refs/heads/main and the index removed after init). */
static pl_ledger *empty_ledger(pl_key **op)
{
	pl_ledger *l = lt_init("L");
	char dir[4096];
	git_reference *ref = NULL;
	*op = lt_operator(l);
	snprintf(dir, sizeof(dir), "%s", l->dir);
	CHECK(git_reference_lookup(&ref, l->repo, "refs/heads/main") == 0);
	CHECK(git_reference_delete(ref) == 0);
	git_reference_free(ref);
	pl_ledger_free(l);
	rm_index(dir);
	CHECK_OK(pl_ledger_open(&l, dir));
	CHECK_EQ_INT(pl_ledger_size(l), 0);
	return l;
}

PL_TEST(ledger, entry_zero_must_be_operator_key)
{
	pl_key *op = NULL, *k = lt_genkey();
	pl_ledger *l = empty_ledger(&op);
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref ref;

	CHECK_ERR(lt_work(l, NULL, op, "first", 1), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "entry 0 must be the operator's key");
	CHECK_ERR(lt_register(l, NULL, k, "k", "operator"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "entry 0 must be the operator's key");
	CHECK_ERR(lt_register(l, NULL, op, "operator", "rights-holder"), PL_EINVALID);
	CHECK_EQ_INT(pl_ledger_size(l), 0);
	lt_key_entry(&env, op, op, "operator", "operator", NULL);
	CHECK_OK(pl_ledger_append(l, &ref, env.ptr, env.len, NULL, 0));
	CHECK_EQ_INT(ref.seq, 0);
	lt_expect_clean(l, NULL);
	pl_buf_free(&env);
	pl_key_free(op);
	pl_key_free(k);
	pl_ledger_free(l);
}

PL_TEST(ledger, unregistered_signer_refused)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey();
	char kid[128];
	lt_keyid(kid, k);
	CHECK_ERR(lt_work(l, NULL, k, "w", 1), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "not a registered key");
	CHECK_CONTAINS(pl_error_last(), kid);
	CHECK_EQ_INT(pl_ledger_size(l), 1);
	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	CHECK_OK(lt_work(l, NULL, k, "w", 1));
	pl_key_free(k);
	pl_ledger_free(l);
}

typedef struct {
	const char *keyid;
	int64_t revoked_seq;
	int found;
} find_key_ctx;

static int find_key_cb(void *vctx, const pl_key_info *k)
{
	find_key_ctx *c = vctx;
	if (strcmp(k->keyid, c->keyid) == 0) {
		c->found = 1;
		c->revoked_seq = k->revoked_seq;
	}
	return 0;
}

static int64_t revoked_seq(pl_ledger *l, const char *kid)
{
	find_key_ctx c = {kid, -2, 0};
	CHECK_OK(pl_ledger_keys(l, find_key_cb, &c));
	CHECK(c.found);
	return c.revoked_seq;
}

PL_TEST(ledger, revocation)
{
	pl_ledger *l = lt_init("L");
	pl_key *op = lt_operator(l), *a = lt_genkey(), *a2 = lt_genkey(), *b = lt_genkey(),
	       *b2 = lt_genkey(), *c = lt_genkey(), *c2 = lt_genkey();
	char aid[128], bid[128], cid[128];
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref ref;

	lt_keyid(aid, a);
	lt_keyid(bid, b);
	lt_keyid(cid, c);
	CHECK_OK(lt_register(l, NULL, a, "a", "rights-holder"));
	CHECK_OK(lt_register(l, NULL, b, "b", "rights-holder"));
	CHECK_OK(lt_register(l, NULL, c, "c", "rights-holder"));
	CHECK_OK(lt_work(l, NULL, a, "by a", 1));
	CHECK_EQ_INT(revoked_seq(l, aid), -1);

	/* a revokes itself (rotating to a2) */
	lt_key_entry(&env, a, a2, "a2", "rights-holder", aid);
	CHECK_OK(pl_ledger_append(l, &ref, env.ptr, env.len, NULL, 0));
	CHECK_EQ_INT(revoked_seq(l, aid), (int64_t)ref.seq);
	CHECK_ERR(lt_work(l, NULL, a, "by a, revoked", 1), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "revoked at seq");
	CHECK_OK(lt_work(l, NULL, a2, "by a2", 1));

	/* c may not revoke b; the operator may */
	lt_key_entry(&env, c, b2, "b2", "rights-holder", bid);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "must be signed by that key or by the operator");
	lt_key_entry(&env, op, b2, "b2", "rights-holder", bid);
	CHECK_OK(pl_ledger_append(l, &ref, env.ptr, env.len, NULL, 0));
	CHECK_EQ_INT(revoked_seq(l, bid), (int64_t)ref.seq);
	CHECK_ERR(lt_work(l, NULL, b, "by b, revoked", 1), PL_EVERIFY);
	/* a revoked key cannot revoke again, nor be revoked twice */
	lt_key_entry(&env, op, c2, "c2", "rights-holder", bid);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0), PL_ECONFLICT);
	CHECK_CONTAINS(pl_error_last(), "already revoked");
	/* revoking an unknown key */
	{
		pl_key *x = lt_genkey();
		char xid[128];
		lt_keyid(xid, x);
		lt_key_entry(&env, op, c2, "c2", "rights-holder", xid);
		CHECK(pl_ledger_append(l, NULL, env.ptr, env.len, NULL, 0) < 0);
		pl_key_free(x);
	}
	CHECK_OK(lt_work(l, NULL, c, "c still fine", 1));
	/* the revocations survive a reindex */
	{
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", l->dir);
		pl_ledger_free(l);
		CHECK_OK(pl_ledger_reindex(dir));
		CHECK_OK(pl_ledger_open(&l, dir));
		CHECK(revoked_seq(l, aid) >= 0 && revoked_seq(l, bid) >= 0);
		CHECK_ERR(lt_work(l, NULL, a, "by a, still revoked", 1), PL_EVERIFY);
	}
	lt_expect_clean(l, NULL);
	pl_buf_free(&env);
	pl_key_free(op);
	pl_key_free(a);
	pl_key_free(a2);
	pl_key_free(b);
	pl_key_free(b2);
	pl_key_free(c);
	pl_key_free(c2);
	pl_ledger_free(l);
}

PL_TEST(ledger, attachments)
{
	pl_ledger *l = lt_init("L");
	pl_key *k = lt_genkey();
	static const char data[] = "fingerprint bytes \x00\x01\x02";
	static const char other[] = "something else";
	pl_attachment att[2] = {{data, sizeof(data)}, {other, sizeof(other)}};
	pl_buf env = PL_BUF_INIT, got = PL_BUF_INIT;
	char hex[65], ohex[65], path[128];
	pl_entry_ref ref;
	git_commit *c = NULL;
	git_oid id;

	CHECK_OK(lt_register(l, NULL, k, "k", "rights-holder"));
	lt_sha256_hex(hex, data, sizeof(data));
	lt_sha256_hex(ohex, other, sizeof(other));
	lt_work_entry(&env, k, "with attachment", hex);
	/* an attachment the entry does not name is refused */
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, att, 2), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "not named by the entry");
	CHECK_CONTAINS(pl_error_last(), ohex);
	CHECK_ERR(pl_ledger_append(l, NULL, env.ptr, env.len, att + 1, 1), PL_EINVALID);
	CHECK_EQ_INT(pl_ledger_size(l), 2);
	CHECK_OK(pl_ledger_append(l, &ref, env.ptr, env.len, att, 1));
	CHECK_OK(pl_ledger_attachment(l, &got, hex));
	CHECK(got.len == sizeof(data) && memcmp(got.ptr, data, sizeof(data)) == 0);
	/* stored at blobs/<sha256> in the commit's tree */
	snprintf(path, sizeof(path), "blobs/%s", hex);
	CHECK(git_oid_fromstr(&id, ref.commit) == 0);
	CHECK(git_commit_lookup(&c, l->repo, &id) == 0);
	CHECK_OK(pl_ledger__read_path(l, &got, c, path));
	CHECK(got.len == sizeof(data) && memcmp(got.ptr, data, sizeof(data)) == 0);
	CHECK_ERR(pl_ledger_attachment(l, &got, ohex), PL_ENOTFOUND);
	CHECK_ERR(pl_ledger_attachment(l, &got, "abc"), PL_EINVALID);
	lt_expect_clean(l, NULL);
	git_commit_free(c);
	pl_buf_free(&env);
	pl_buf_free(&got);
	pl_key_free(k);
	pl_ledger_free(l);
}

static int count_cb(void *ctx, const pl_entry_info *e)
{
	uint64_t *n = ctx;
	(void)e;
	(*n)++;
	return 0;
}

PL_TEST(ledger, list_and_info)
{
	pl_ledger *l = lt_ledger_of("L", 6);
	uint64_t n = 0;
	CHECK_OK(pl_ledger_list(l, NULL, 0, 0, count_cb, &n));
	CHECK_EQ_INT(n, 6);
	n = 0;
	CHECK_OK(pl_ledger_list(l, "work", 0, 1, count_cb, &n));
	CHECK_EQ_INT(n, 4);
	n = 0;
	CHECK_OK(pl_ledger_list(l, "key", 1, 1, count_cb, &n));
	CHECK_EQ_INT(n, 1);
	n = 0;
	CHECK_OK(pl_ledger_entry_info(l, 5, count_cb, &n));
	CHECK_EQ_INT(n, 1);
	CHECK_ERR(pl_ledger_entry_info(l, 6, count_cb, &n), PL_ENOTFOUND);
	pl_ledger_free(l);
}
