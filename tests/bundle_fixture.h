/*
 * bundle_fixture.h - a small ledger with a model lineage, built through the
 * library (pl_ledger_append_statement) following docs/entries.md, for the
 * bundle tests (unit tests and tests/tools/bundle_fixture for the CLI tests).
 *
 *   0 key operator               12 model base@1 (ds 11)
 *   1 key lab                    13 check web@1: no match
 *   2 key holder                 14 dataset web@1 (check 13)
 *   3 key authority              15 model big@1 (datasets 14, base 12)
 *   4 key evaluator              16 attestation training-licence on big@1
 *   5 grant authority (operator) 17 check other@1: matches W2
 *   6 grant lab (authority)      18 dataset other@1 (check 17)
 *   7 grant evaluator (authority) 19 model other@1 (datasets 18)
 *   8 work W1 (registered)       20 attestation evaluation on other@1
 *   9 work W2 (registered)       21 attestation claim by holder: W1, subject base@1, check 10
 *  10 check base-data@1: W1      22 check: recheck of web@1 (dataset 14), matches W1
 *  11 dataset base-data@1
 *
 * The closure of big@1 is 0 1 2 3 5 6 8 10 11 12 13 14 15 16 21 22 (the
 * grant chain of each signer: lab <- authority <- operator); of W1 the same.
 */
#ifndef PL_BUNDLE_FIXTURE_H
#define PL_BUNDLE_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "pl_ledger.h"
#include "pl_registry.h"

typedef struct {
	pl_ledger *l;
	pl_key *lab, *holder, *authority, *evaluator, *op;
	pl_entry_ref ref[32];
	int n;
	char w1[24], w2[24]; /* the work ids */
} fix_ledger;

static inline json_t *fix_ref(const pl_entry_ref *r, const char *name)
{
	char hex[65];
	json_t *o;
	pl_hex(hex, r->leaf, 32);
	o = json_pack("{s:I, s:s}", "seq", (json_int_t)r->seq, "leaf", hex);
	if (name)
		json_object_set_new(o, "name", json_string(name));
	return o;
}

static inline json_t *fix_pred(void)
{
	/* append sets created under the lock */
	return json_pack("{s:s}", "created", "2026-01-01T00:00:00Z");
}

static inline char *fix_keyid(const pl_key *k)
{
	static char id[128];
	pl_buf fp = PL_BUF_INIT;
	pl_key_fingerprint(&fp, k);
	snprintf(id, sizeof(id), "%s", fp.ptr ? fp.ptr : "");
	pl_buf_free(&fp);
	return id;
}

static inline int fix_grant(fix_ledger *f, const pl_key *granter, const pl_key *k, const char *role)
{
	int error = pl_ledger_grant(f->l, &f->ref[f->n], granter, fix_keyid(k), role);
	if (error == PL_OK)
		f->n++;
	return error;
}

static inline int fix_append(fix_ledger *f, const pl_key *k, const char *type, json_t *subj,
                             json_t *pred, const pl_attachment *att, size_t natt)
{
	int error = pl_ledger_append_statement(f->l, &f->ref[f->n], k, type, subj, pred, att, natt);
	if (error == PL_OK)
		f->n++;
	return error;
}

static inline int fix_key(fix_ledger *f, pl_key **out, const char *name, const char *role)
{
	pl_buf pub = PL_BUF_INIT;
	unsigned char raw[32];
	char hex[65], sname[80];
	json_t *pred;
	int error;
	if ((error = pl_key_generate(out)) < 0 || (error = pl_key_openssh(&pub, *out, name)) < 0)
		return error;
	pl_key_raw(*out, raw);
	pl_hex(hex, raw, 32);
	snprintf(sname, sizeof(sname), "key:%s", name);
	pred = fix_pred();
	json_object_set_new(pred, "name", json_string(name));
	json_object_set_new(pred, "role", json_string(role));
	json_object_set_new(pred, "public_key", json_string(pub.ptr));
	error = fix_append(f, *out, "key",
	                   json_pack("[{s:s, s:{s:s}}]", "name", sname, "digest", "sha256", hex),
	                   pred, NULL, 0);
	pl_buf_free(&pub);
	return error;
}

/* Register a work through the registry (real fingerprints and attachments):
 * 300 words seeded by seed. id receives the work id. */
static inline int fix_work(fix_ledger *f, char id[24], const char *title, unsigned seed)
{
	static const char *const creators[] = {"A. Author"};
	pl_work_meta meta = {title, "Holder Press", "all-rights-reserved", creators, 1};
	pl_work_prints p;
	pl_buf text = PL_BUF_INIT;
	int error;
	memset(&p, 0, sizeof(p));
	for (unsigned i = 0; i < 300; i++)
		pl_buf_printf(&text, "w%u ", (i * 7919u + seed * 104729u) % 100003u);
	if ((error = pl_work_prints_compute(&p, title, text.ptr, text.len)) == PL_OK &&
	    (error = pl_work_register(f->l, &f->ref[f->n], f->holder, &p, &meta)) == PL_OK) {
		f->n++;
		memcpy(id, p.id, 24);
	}
	pl_work_prints_free(&p);
	pl_buf_free(&text);
	return error;
}

static inline int fix_check(fix_ledger *f, const char *ds, const char *work,
                            const pl_entry_ref *dataset)
{
	char name[80];
	json_t *pred = fix_pred(), *matches = json_array();
	snprintf(name, sizeof(name), "check:%s", ds);
	if (work)
		json_array_append_new(
		    matches,
		    json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:[i,i], s:i, s:s, s:s, s:s}",
		              "shard", "a.jsonl", "shard_sha256",
		              "1111111111111111111111111111111111111111111111111111111111111111",
		              "record", 3, "offset", 0, "length", 500, "work", work, "work_span", 0,
		              120, "matched_tokens", 120, "containment", "1.0000", "coverage",
		              "0.9000", "class", "exact"));
	json_object_set_new(pred, "registry", json_pack("{s:i, s:s}", "size", 5, "root", "AAAA"));
	json_object_set_new(pred, "params",
	                    json_pack("{s:i, s:i, s:i}", "k", 13, "w", 38, "min_tokens", 50));
	json_object_set_new(
	    pred, "shards",
	    json_pack("[{s:s, s:s, s:i, s:i}]", "path", "a.jsonl", "sha256",
	              "1111111111111111111111111111111111111111111111111111111111111111", "records",
	              10, "bytes", 5000));
	json_object_set_new(
	    pred, "scanned",
	    json_pack("{s:i, s:i, s:i}", "records", 10, "bytes", 5000, "tokens", 900));
	json_object_set_new(pred, "matches", matches);
	if (dataset)
		json_object_set_new(pred, "dataset", fix_ref(dataset, NULL));
	return fix_append(
	    f, f->lab, "check",
	    json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256",
	              "2222222222222222222222222222222222222222222222222222222222222222"),
	    pred, NULL, 0);
}

static inline int fix_dataset(fix_ledger *f, const char *n, const pl_entry_ref *check)
{
	json_t *pred = fix_pred();
	json_object_set_new(pred, "name", json_string(n));
	json_object_set_new(pred, "version", json_string("1"));
	json_object_set_new(pred, "lab", json_string(fix_keyid(f->lab)));
	json_object_set_new(pred, "sources", json_pack("[s]", "https://example.org/crawl"));
	json_object_set_new(pred, "licences", json_array());
	json_object_set_new(pred, "totals",
	                    json_pack("{s:i, s:i, s:i, s:i}", "shards", 1, "bytes", 5000, "records",
	                              10, "tokens", 900));
	json_object_set_new(pred, "shards",
	                    json_pack("[{s:s, s:i, s:s, s:s, s:s, s:i, s:i}]", "path", "a.jsonl",
	                              "bytes", 5000, "format", "jsonl", "compression", "none",
	                              "merkle", "AAAA", "records", 10, "tokens", 900));
	json_object_set_new(pred, "check", fix_ref(check, NULL));
	return fix_append(
	    f, f->lab, "dataset",
	    json_pack("[{s:s, s:{s:s}}]", "name", "a.jsonl", "digest", "sha256",
	              "1111111111111111111111111111111111111111111111111111111111111111"),
	    pred, NULL, 0);
}

static inline int fix_model(fix_ledger *f, const char *n, json_t *datasets, json_t *bases)
{
	char name[80];
	json_t *pred = fix_pred();
	snprintf(name, sizeof(name), "model:%s@1", n);
	json_object_set_new(pred, "name", json_string(n));
	json_object_set_new(pred, "version", json_string("1"));
	json_object_set_new(pred, "lab", json_string(fix_keyid(f->lab)));
	json_object_set_new(pred, "datasets", datasets);
	json_object_set_new(pred, "base_models", bases);
	json_object_set_new(pred, "training_flop", json_string("3.8e25"));
	json_object_set_new(pred, "parameters", json_string("1.2e12"));
	json_object_set_new(pred, "frontier", json_true());
	return fix_append(
	    f, f->lab, "model",
	    json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256",
	              "3333333333333333333333333333333333333333333333333333333333333333"),
	    pred, NULL, 0);
}

static inline int fix_attest(fix_ledger *f, const pl_key *k, const char *kind,
                             const pl_entry_ref *subject, const char *sname, json_t *extra)
{
	char name[128], hex[65];
	json_t *pred = extra ? extra : json_object(), *c = fix_pred();
	json_object_update(pred, c);
	json_decref(c);
	snprintf(name, sizeof(name), "attestation:%s:%s", kind, sname);
	pl_hex(hex, subject->leaf, 32);
	json_object_set_new(pred, "kind", json_string(kind));
	json_object_set_new(pred, "subject", fix_ref(subject, sname));
	json_object_set_new(pred, "issuer_role",
	                    json_string(k == f->holder      ? "rights-holder"
	                                : k == f->evaluator ? "evaluator"
	                                                    : "authority"));
	return fix_append(f, k, "attestation",
	                  json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256", hex),
	                  pred, NULL, 0);
}

/* Build the ledger above in dir (which must not exist yet). */
static inline int fix_build(fix_ledger *f, const char *dir)
{
	char kp[4200];
	int e;
	memset(f, 0, sizeof(*f));
	if ((e = pl_ledger_init(&f->l, dir, "example.org/bundle-test", NULL, "operator")) < 0)
		return e;
	snprintf(kp, sizeof(kp), "%s/keys/operator.key", dir);
	if ((e = pl_key_load_private(&f->op, kp)) < 0)
		return e;
	f->n = 1; /* entry 0: the operator key */
	if ((e = fix_key(f, &f->lab, "lab", "lab")) < 0 ||
	    (e = fix_key(f, &f->holder, "holder", "rights-holder")) < 0 ||
	    (e = fix_key(f, &f->authority, "authority", "authority")) < 0 ||
	    (e = fix_key(f, &f->evaluator, "evaluator", "evaluator")) < 0 ||
	    (e = fix_grant(f, f->op, f->authority, "authority")) < 0 ||        /* 5 */
	    (e = fix_grant(f, f->authority, f->lab, "lab")) < 0 ||             /* 6 */
	    (e = fix_grant(f, f->authority, f->evaluator, "evaluator")) < 0 || /* 7 */
	    (e = fix_work(f, f->w1, "The First Work", 1)) < 0 ||
	    (e = fix_work(f, f->w2, "The Second Work", 2)) < 0 ||
	    (e = fix_check(f, "base-data@1", f->w1, NULL)) < 0 || /* 10 */
	    (e = fix_dataset(f, "base-data", &f->ref[10])) < 0 || /* 11 */
	    (e = fix_model(f, "base", json_pack("[o]", fix_ref(&f->ref[11], "base-data@1")),
	                   json_array())) < 0 ||            /* 12 */
	    (e = fix_check(f, "web@1", NULL, NULL)) < 0 ||  /* 13 */
	    (e = fix_dataset(f, "web", &f->ref[13])) < 0 || /* 14 */
	    (e = fix_model(f, "big", json_pack("[o]", fix_ref(&f->ref[14], "web@1")),
	                   json_pack("[o]", fix_ref(&f->ref[12], "base@1")))) < 0 || /* 15 */
	    (e = fix_attest(f, f->authority, "training-licence", &f->ref[15], "big@1",
	                    json_pack("{s:s, s:s}", "max_training_flop", "1e26", "conditions",
	                              "none"))) < 0 ||        /* 16 */
	    (e = fix_check(f, "other@1", f->w2, NULL)) < 0 || /* 17 */
	    (e = fix_dataset(f, "other", &f->ref[17])) < 0 || /* 18 */
	    (e = fix_model(f, "other", json_pack("[o]", fix_ref(&f->ref[18], "other@1")),
	                   json_array())) < 0 || /* 19 */
	    (e = fix_attest(f, f->evaluator, "evaluation", &f->ref[19], "other@1",
	                    json_pack("{s:s, s:{s:s}, s:[]}", "suite", "s", "results", "cbrn",
	                              "pass", "dangerous_capabilities"))) < 0 || /* 20 */
	    (e = fix_attest(f, f->holder, "claim", &f->ref[12], "base@1",
	                    json_pack("{s:s, s:o, s:i, s:s}", "work", f->w1, "check",
	                              fix_ref(&f->ref[10], NULL), "match", 0, "statement",
	                              "base@1 was trained on my book"))) < 0 || /* 21 */
	    (e = fix_check(f, "web@1", f->w1, &f->ref[14])) < 0)                /* 22 */
		return e;
	return PL_OK;
}

static inline void fix_free(fix_ledger *f)
{
	pl_key_free(f->lab);
	pl_key_free(f->holder);
	pl_key_free(f->authority);
	pl_key_free(f->evaluator);
	pl_key_free(f->op);
	pl_ledger_free(f->l);
	memset(f, 0, sizeof(*f));
}

#endif
