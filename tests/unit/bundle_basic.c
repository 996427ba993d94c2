/* Unit tests of ledger/bundle*.c: the closures of the fixture ledger, export
 * and verification, and forged bundles: each must fail, naming the problem. */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <zlib.h>

#include "bundle_fixture.h"
#include "harness.h"
#include "ledger_internal.h"
#include "pl_bundle.h"
#include "pl_note.h"

static void build(fix_ledger *f)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(fix_build(f, dir));
}

static void check_seqs(const pl_seqs *s, const uint64_t *want, size_t n)
{
	CHECK_EQ_INT(s->n, n);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(s->seq[i], want[i]);
}

static const uint64_t big_closure[] = {0, 1, 2, 3, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 21, 22};

PL_TEST(bundle, closure_of_model)
{
	fix_ledger f;
	pl_seqs s = {0};
	uint64_t seq;
	static const uint64_t base[] = {0, 1, 2, 3, 5, 6, 8, 10, 11, 12, 21};

	build(&f);
	CHECK_OK(pl_bundle_find_model(f.l, &seq, "big@1"));
	CHECK_EQ_INT(seq, 15);
	CHECK_OK(pl_bundle_closure(&s, f.l, PL_BUNDLE_MODEL, seq));
	check_seqs(&s, big_closure, 16);
	/* other@1: its own dataset, check, matched work W2 and evaluation */
	CHECK_OK(pl_bundle_find_model(f.l, &seq, "other@1"));
	CHECK_OK(pl_bundle_closure(&s, f.l, PL_BUNDLE_MODEL, seq));
	{
		uint64_t want[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 17, 18, 19, 20};
		check_seqs(&s, want, 13);
	}
	/* base@1 has no descendants in its closure */
	CHECK_OK(pl_bundle_find_model(f.l, &seq, "base@1"));
	CHECK_OK(pl_bundle_closure(&s, f.l, PL_BUNDLE_MODEL, seq));
	check_seqs(&s, base, 11);
	CHECK_ERR(pl_bundle_find_model(f.l, &seq, "nope@1"), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "nope@1");
	CHECK_ERR(pl_bundle_find_model(f.l, &seq, "big"), PL_EUSAGE);
	pl_seqs_free(&s);
	fix_free(&f);
}

PL_TEST(bundle, closure_of_work)
{
	fix_ledger f;
	pl_seqs s = {0};
	uint64_t seq;
	static const uint64_t w2[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 17, 18, 19, 20};

	build(&f);
	CHECK_OK(pl_bundle_find_work(f.l, &seq, f.w1));
	CHECK_EQ_INT(seq, 8);
	CHECK_OK(pl_bundle_closure(&s, f.l, PL_BUNDLE_WORK, seq));
	check_seqs(&s, big_closure, 16);
	CHECK_OK(pl_bundle_find_work(f.l, &seq, f.w2));
	CHECK_OK(pl_bundle_closure(&s, f.l, PL_BUNDLE_WORK, seq));
	check_seqs(&s, w2, 13);
	CHECK_ERR(pl_bundle_find_work(f.l, &seq, "W0000000000000000"), PL_ENOTFOUND);
	/* a model root is not a work */
	CHECK_ERR(pl_bundle_closure(&s, f.l, PL_BUNDLE_WORK, 15), PL_EINVALID);
	pl_seqs_free(&s);
	fix_free(&f);
}

/* ---- helpers to forge bundles ------------------------------------------- */

static json_t *load_bundle(const char *path)
{
	gzFile g = gzopen(path, "rb");
	pl_buf b = PL_BUF_INIT;
	json_t *j = NULL;
	int n;
	CHECK(g != NULL);
	do {
		CHECK_OK(pl_buf_grow(&b, 1 << 16));
		n = gzread(g, b.ptr + b.len, 1 << 16);
		CHECK(n >= 0);
		b.len += (size_t)n;
	} while (n > 0);
	gzclose(g);
	CHECK_OK(pl_json_parse(&j, b.ptr, b.len, path));
	pl_buf_free(&b);
	return j;
}

static void gz_write(const char *path, const void *data, size_t len)
{
	gzFile g = gzopen(path, "wb");
	CHECK(g != NULL);
	CHECK(len == 0 || gzwrite(g, data, (unsigned)len) == (int)len);
	CHECK(gzclose(g) == Z_OK);
}

static void save_bundle(const char *path, json_t *j)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_json_canonical(&b, j));
	gz_write(path, b.ptr, b.len);
	pl_buf_free(&b);
}

static const char *tmp(const char *name)
{
	static char path[8][4096];
	static int i;
	i = (i + 1) % 8;
	snprintf(path[i], sizeof(path[i]), "%s/%s", pl_tmpdir(), name);
	return path[i];
}

static json_t *entry_of(json_t *b, uint64_t seq)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(b, "entries"), i,
	                   e) if ((uint64_t)json_integer_value(json_object_get(e, "seq")) ==
	                          seq) return e;
	return NULL;
}

/* Verify path: expect code and, for PL_EVERIFY, a problem holding what. */
static void expect_verify(const char *path, const pl_key *k, int code, const char *what)
{
	pl_bundle_report r;
	int error = pl_bundle_verify(&r, path, k, NULL);
	if (error != code)
		pl_test_fail(__FILE__, __LINE__, "verify %s returned %d, expected %d: %s (%s)",
		             path, error, code, pl_error_last(),
		             r.problems.ptr ? r.problems.ptr : "");
	if (code == PL_EVERIFY)
		CHECK_CONTAINS(r.problems.ptr, what);
	else if (what)
		CHECK_CONTAINS(pl_error_last(), what);
	pl_bundle_report_free(&r);
}

/* ---- export and verify -------------------------------------------------- */

PL_TEST(bundle, export_verifies_without_the_ledger)
{
	fix_ledger f;
	pl_bundle_stats st;
	pl_bundle_report r;
	pl_key *op = NULL;
	const char *path = tmp("big.bundle");
	char cmd[8300];

	build(&f);
	CHECK_OK(pl_key_public(&op, pl_ledger_operator(f.l)));
	CHECK_OK(pl_bundle_write(f.l, path, PL_BUNDLE_MODEL, 15, &st));
	CHECK_EQ_INT(st.entries, 16);
	CHECK_EQ_INT(st.attachments, 3); /* the work's fingerprints, robust ones, span hashes */
	CHECK_EQ_INT(st.size, 23);
	fix_free(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/L'", pl_tmpdir());
	CHECK(system(cmd) == 0);
	CHECK_OK(pl_bundle_verify(&r, path, op, NULL));
	CHECK_EQ_INT(r.nentries, 16);
	CHECK_EQ_INT(r.nproblems, 0);
	CHECK(r.checkpoint_verified);
	CHECK_STR(r.subject_name, "model:big@1");
	CHECK_STR(r.origin, "example.org/bundle-test");
	for (size_t i = 0; i < r.nentries; i++)
		CHECK(r.entries[i].verified);
	CHECK_STR(r.entries[0].signer_name, "operator");
	CHECK_STR(r.entries[1].signer_name, "lab");
	CHECK(r.subjects_verified);
	pl_bundle_report_free(&r);
	pl_key_free(op);
}

PL_TEST(bundle, export_is_reproducible)
{
	fix_ledger f;
	pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;
	build(&f);
	CHECK_OK(pl_bundle_write(f.l, tmp("a"), PL_BUNDLE_WORK, 8, NULL));
	CHECK_OK(pl_bundle_write(f.l, tmp("b"), PL_BUNDLE_WORK, 8, NULL));
	CHECK_OK(pl_read_file(&a, tmp("a"), 1 << 24));
	CHECK_OK(pl_read_file(&b, tmp("b"), 1 << 24));
	CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	pl_buf_free(&a);
	pl_buf_free(&b);
	fix_free(&f);
}

/* Each forgery of a valid bundle, and the problem it must produce. */
PL_TEST(bundle, forgeries_fail)
{
	fix_ledger f;
	pl_key *op = NULL, *other = NULL;
	const char *good = tmp("good.bundle"), *bad = tmp("bad.bundle");
	json_t *b, *e, *o;
	pl_buf s = PL_BUF_INIT, note = PL_BUF_INIT;
	char *env;

	build(&f);
	CHECK_OK(pl_key_public(&op, pl_ledger_operator(f.l)));
	CHECK_OK(pl_bundle_write(f.l, good, PL_BUNDLE_MODEL, 15, NULL));
	CHECK_OK(pl_bundle_write(f.l, tmp("other.bundle"), PL_BUNDLE_MODEL, 19, NULL));
	expect_verify(good, op, PL_OK, NULL);

	/* a changed byte in an envelope */
	b = load_bundle(good);
	e = entry_of(b, 14);
	env = strdup(json_string_value(json_object_get(e, "envelope")));
	env[40] = env[40] == 'A' ? 'B' : 'A';
	json_object_set_new(e, "envelope", json_string(env));
	free(env);
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "seq 14");
	expect_verify(bad, op, PL_EVERIFY, "inclusion proof does not lead");

	/* a swapped proof */
	b = load_bundle(good);
	o = json_incref(json_object_get(entry_of(b, 14), "proof"));
	json_object_set(entry_of(b, 14), "proof", json_object_get(entry_of(b, 15), "proof"));
	json_object_set_new(entry_of(b, 15), "proof", o);
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "seq 15 (model big@1): inclusion proof");

	/* a checkpoint signed by another key (under the same origin) */
	b = load_bundle(good);
	CHECK_OK(pl_key_generate(&other));
	{
		const char *cp = json_string_value(json_object_get(b, "checkpoint"));
		const char *sep = strstr(cp, "\n\n");
		CHECK_OK(pl_note_sign(&note, cp, (size_t)(sep + 1 - cp), "example.org/bundle-test",
		                      other));
	}
	json_object_set_new(b, "checkpoint", json_string(note.ptr));
	save_bundle(bad, b);
	expect_verify(bad, op, PL_EVERIFY, "checkpoint: not signed by the trusted operator key");
	/* ... and the bundle's operator_key swapped to match it: still refused */
	pl_buf_clear(&s);
	CHECK_OK(pl_note_verifier_key(&s, "example.org/bundle-test", other));
	json_object_set_new(b, "operator_key", json_string(s.ptr));
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "operator_key in the bundle is not the trusted key");
	/* the right bundle, the wrong trust */
	expect_verify(good, other, PL_EVERIFY, "checkpoint: not signed");

	/* a missing entry the lineage needs: the dataset of big@1 */
	b = load_bundle(good);
	{
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(b, "entries"), i,
		                   x) if (json_integer_value(json_object_get(x, "seq")) ==
		                          14) break;
		json_array_remove(json_object_get(b, "entries"), i);
	}
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "seq 15 (model big@1): its dataset (seq 14) is missing");

	/* an extra unrelated entry, with a valid proof and signature */
	b = load_bundle(good);
	{
		json_t *ob = load_bundle(tmp("other.bundle")), *x = entry_of(ob, 19);
		json_t *arr = json_object_get(b, "entries"), *sorted = json_array();
		size_t i;
		json_t *y;
		json_array_foreach(arr, i, y)
		{
			if (json_integer_value(json_object_get(y, "seq")) == 21)
				json_array_append(sorted, x);
			json_array_append(sorted, y);
		}
		json_object_set_new(b, "entries", sorted);
		json_decref(ob);
	}
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "seq 19 (model other@1): not part of the lineage");

	/* an altered attachment */
	b = load_bundle(good);
	{
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(b, "attachments"), k, v) json_object_set_new(
		    json_object_get(b, "attachments"), k, json_string("ZmluZ2VycHJpbnRzIG9mIFcy"));
	}
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "its bytes hash to");

	/* a dropped attachment */
	b = load_bundle(good);
	json_object_clear(json_object_get(b, "attachments"));
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "): its fingerprint attachment");
	expect_verify(bad, op, PL_EVERIFY, "): its robust_fingerprint attachment");

	/* entries out of order, and the subject moved */
	b = load_bundle(good);
	json_object_set_new(json_object_get(b, "subject"), "seq", json_integer(12));
	save_bundle(bad, b);
	expect_verify(bad, op, PL_EVERIFY, "the bundle's subject names it 'model:big@1'");
	json_object_set_new(json_object_get(b, "subject"), "name", json_string("model:base@1"));
	save_bundle(bad, b);
	json_decref(b);
	expect_verify(bad, op, PL_EVERIFY, "seq 15 (model big@1): not part of the lineage");

	pl_key_free(op);
	pl_key_free(other);
	pl_buf_free(&s);
	pl_buf_free(&note);
	fix_free(&f);
}

PL_TEST(bundle, revoked_signer_fails)
{
	fix_ledger f;
	pl_key *lab2 = NULL, *op = NULL;
	pl_buf env = PL_BUF_INIT, fp = PL_BUF_INIT, pub = PL_BUF_INIT;
	unsigned char raw[32];
	char hex[65], created[32];
	json_t *pred;
	const char *path = tmp("rev.bundle");

	build(&f);
	CHECK_OK(pl_key_public(&op, pl_ledger_operator(f.l)));
	/* 23: the lab rotates to lab2, revoking its old key (signed by the old key) */
	CHECK_OK(pl_key_generate(&lab2));
	CHECK_OK(pl_key_openssh(&pub, lab2, "lab2"));
	CHECK_OK(pl_key_fingerprint(&fp, f.lab));
	pl_key_raw(lab2, raw);
	pl_hex(hex, raw, 32);
	pl_rfc3339(created, (int64_t)time(NULL));
	pred = json_pack("{s:s, s:s, s:s, s:s, s:s}", "created", created, "name", "lab2", "role",
	                 "lab", "public_key", pub.ptr, "revokes", fp.ptr);
	CHECK_OK(pl_entry__sign(
	    &env, f.lab, "key",
	    json_pack("[{s:s, s:{s:s}}]", "name", "key:lab2", "digest", "sha256", hex), pred));
	CHECK_OK(pl_ledger_append(f.l, NULL, env.ptr, env.len, NULL, 0));
	/* 24: a malicious operator accepts an attestation by the revoked key */
	pl_buf_clear(&env);
	pred =
	    json_pack("{s:s, s:s, s:o, s:s, s:s}", "created", created, "kind", "evaluation",
	              "subject", fix_ref(&f.ref[15], "big@1"), "issuer_role", "lab", "suite", "x");
	CHECK_OK(pl_entry__sign(&env, f.lab, "attestation",
	                        json_pack("[{s:s, s:{s:s}}]", "name",
	                                  "attestation:evaluation:big@1", "digest", "sha256", "00"),
	                        pred));
	CHECK_ERR(pl_ledger_append(f.l, NULL, env.ptr, env.len, NULL, 0), PL_EVERIFY);
	CHECK_OK(pl_ledger__append(f.l, NULL, env.ptr, env.len, NULL, 0, 0));
	CHECK_OK(pl_bundle_write(f.l, path, PL_BUNDLE_MODEL, 15, NULL));
	{
		json_t *b = load_bundle(path);
		CHECK(entry_of(b, 23) != NULL); /* the revocation travels with the key */
		CHECK(entry_of(b, 24) != NULL);
		json_decref(b);
	}
	expect_verify(path, op, PL_EVERIFY,
	              "seq 24 (attestation attestation:evaluation:big@1): "
	              "signer SHA256:");
	expect_verify(path, op, PL_EVERIFY, "(lab) was revoked at seq 23");
	pl_key_free(lab2);
	pl_key_free(op);
	pl_buf_free(&env);
	pl_buf_free(&fp);
	pl_buf_free(&pub);
	fix_free(&f);
}

/* ---- malformed input ---------------------------------------------------- */

PL_TEST(bundle, malformed_input_is_refused)
{
	pl_key *k = NULL;
	const char *p = tmp("x.bundle");
	pl_buf good = PL_BUF_INIT;
	fix_ledger f;

	build(&f);
	CHECK_OK(pl_key_public(&k, pl_ledger_operator(f.l)));
	CHECK_OK(pl_bundle_write(f.l, tmp("g.bundle"), PL_BUNDLE_MODEL, 15, NULL));
	fix_free(&f);
	CHECK_OK(pl_read_file(&good, tmp("g.bundle"), 1 << 24));

	expect_verify(tmp("absent"), k, PL_ENOTFOUND, "absent");
	CHECK_OK(pl_write_file_atomic(p, good.ptr, good.len / 2, 0644));
	expect_verify(p, k, PL_EINVALID, "truncated gzip stream");
	CHECK_OK(pl_write_file_atomic(p, "{\"format\":1}", 12, 0644));
	expect_verify(p, k, PL_EINVALID, "not a gzip file");
	CHECK_OK(pl_write_file_atomic(p, "", 0, 0644));
	expect_verify(p, k, PL_EINVALID, "empty file");
	gz_write(p, "this is not JSON", 16);
	expect_verify(p, k, PL_EINVALID, "invalid JSON");
	gz_write(p, "{\"format\":\"other/v1\"}", 21);
	expect_verify(p, k, PL_EINVALID, "\"format\" is not");
	gz_write(p, "{\"format\":\"provledger-bundle/v1\"}", 33);
	expect_verify(p, k, PL_EINVALID, "it lacks origin");
	/* trailing garbage after the gzip member */
	{
		pl_buf t = PL_BUF_INIT;
		pl_buf_put(&t, good.ptr, good.len);
		pl_buf_puts(&t, "junk");
		CHECK_OK(pl_write_file_atomic(p, t.ptr, t.len, 0644));
		pl_buf_free(&t);
		expect_verify(p, k, PL_EINVALID, "trailing bytes after the gzip stream");
	}
	/* a corrupted deflate stream (CRC mismatch or bad data) */
	{
		pl_buf t = PL_BUF_INIT;
		pl_buf_put(&t, good.ptr, good.len);
		t.ptr[t.len - 6] ^= 0x55; /* inside the CRC-32 */
		CHECK_OK(pl_write_file_atomic(p, t.ptr, t.len, 0644));
		pl_buf_free(&t);
		expect_verify(p, k, PL_EINVALID, "corrupt gzip data");
	}
	pl_buf_free(&good);
	pl_key_free(k);
}

PL_TEST(bundle, decompression_bomb_is_refused_at_the_cap)
{
	pl_key *k = NULL;
	pl_bundle_report r;
	pl_bundle_opts o = {.max_size = 1 << 20};
	const char *p = tmp("bomb.gz");
	gzFile g = gzopen(p, "wb9");
	static char zeros[1 << 16];

	CHECK(g != NULL);
	for (int i = 0; i < 256; i++) /* 16 MiB of zeros */
		CHECK(gzwrite(g, zeros, sizeof(zeros)) == (int)sizeof(zeros));
	CHECK(gzclose(g) == Z_OK);
	CHECK_OK(pl_key_generate(&k));
	CHECK_ERR(pl_bundle_verify(&r, p, k, &o), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(), "decompresses to more than 1048576 bytes");
	CHECK_EQ_INT(r.nentries, 0);
	pl_key_free(k);
}

PL_TEST(bundle, trust_file_forms)
{
	pl_key *k = NULL;
	const char *p = tmp("trust");
	static const char vk[] =
	    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k\n";
	pl_buf data = PL_BUF_INIT;

	CHECK_OK(pl_read_file(&data, pl_fixture("key/test.pub"), 4096));
	CHECK_OK(pl_write_file_atomic(p, data.ptr, data.len, 0644));
	CHECK_OK(pl_bundle_load_trust(&k, p));
	pl_key_free(k);
	k = NULL;
	pl_buf_clear(&data);
	pl_buf_puts(&data, "{\n  \"operator_public_key\": \"");
	{
		pl_buf pub = PL_BUF_INIT;
		CHECK_OK(pl_read_file(&pub, pl_fixture("key/test.pub"), 4096));
		pub.ptr[strcspn(pub.ptr, "\n")] = '\0';
		pl_buf_puts(&data, pub.ptr);
		pl_buf_free(&pub);
	}
	pl_buf_puts(&data, "\"\n}\n");
	CHECK_OK(pl_write_file_atomic(p, data.ptr, data.len, 0644));
	CHECK_OK(pl_bundle_load_trust(&k, p));
	pl_key_free(k);
	k = NULL;
	CHECK_OK(pl_write_file_atomic(p, vk, strlen(vk), 0644));
	CHECK_OK(pl_bundle_load_trust(&k, p));
	pl_key_free(k);
	k = NULL;
	CHECK_OK(pl_write_file_atomic(p, "hello\n", 6, 0644));
	CHECK_ERR(pl_bundle_load_trust(&k, p), PL_EINVALID);
	CHECK_ERR(pl_bundle_load_trust(&k, tmp("nope")), PL_ENOTFOUND);
	pl_buf_free(&data);
}
