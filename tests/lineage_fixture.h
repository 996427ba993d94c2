/*
 * lineage_fixture.h - test-only builders of the entries the lineage module
 * reads but does not write (keys, works, check reports, datasets), shaped as
 * docs/entries.md says, appended through the library. Used by the unit tests
 * and by tests/tools/pl_fixture.c (the CLI tests and bench/lineage.sh).
 * Fingerprints, sketches and Merkle roots are placeholders: nothing here
 * reads them.
 */
#ifndef PL_LINEAGE_FIXTURE_H
#define PL_LINEAGE_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "pl_dsse.h"
#include "pl_ledger.h"

#define FX_UNUSED __attribute__((unused))

static FX_UNUSED void fx_hex_of(char hex[65], const char *s)
{
	unsigned char d[PL_HASH_LEN];
	pl_sha256(d, s, strlen(s));
	pl_hex(hex, d, PL_HASH_LEN);
}

/* The fixture's granting keys: the operator's (from DIR/keys/operator.key)
 * and an authority made on first need, per ledger. */
static pl_key *fx_op_key, *fx_auth_key;
static const pl_ledger *fx_granting_for;

static FX_UNUSED int fx_granter(pl_ledger *l, const pl_key **out, const char *role)
{
	int error;
	if (fx_granting_for != l) {
		pl_key_free(fx_op_key);
		pl_key_free(fx_auth_key);
		fx_op_key = fx_auth_key = NULL;
		fx_granting_for = l;
	}
	if (!fx_op_key) {
		char kp[4200];
		snprintf(kp, sizeof(kp), "%s/keys/operator.key", pl_ledger_dir(l));
		if ((error = pl_key_load_private(&fx_op_key, kp)) < 0)
			return error;
	}
	if (strcmp(role, "authority") == 0 || strcmp(role, "witness") == 0 ||
	    strcmp(role, "auditor") == 0) {
		*out = fx_op_key;
		return PL_OK;
	}
	if (!fx_auth_key) {
		pl_buf fp = PL_BUF_INIT;
		if ((error = pl_key_generate(&fx_auth_key)) < 0 ||
		    (error = pl_ledger_register_key(l, NULL, fx_auth_key, fx_auth_key,
		                                    "fixture authority", "authority", NULL, NULL)) <
		        0 ||
		    (error = pl_key_fingerprint(&fp, fx_auth_key)) < 0 ||
		    (error = pl_ledger_grant(l, NULL, fx_op_key, fp.ptr, "authority")) < 0) {
			pl_buf_free(&fp);
			return error;
		}
		pl_buf_free(&fp);
	}
	*out = fx_auth_key;
	return PL_OK;
}

/* Register k (generated when *k is NULL) under name and role, self-signed,
 * and grant the role (rights-holders stay unvouched unless vouch is set). */
static FX_UNUSED int fx_key_ex(pl_ledger *l, pl_key **k, const char *name, const char *role,
                               uint64_t *seq, int vouch)
{
	pl_entry_ref ref;
	pl_buf fp = PL_BUF_INIT;
	const pl_key *granter;
	int error;
	if (!*k && (error = pl_key_generate(k)) < 0)
		return error;
	if ((error = pl_ledger_register_key(l, &ref, *k, *k, name, role, NULL, NULL)) < 0)
		return error;
	if (seq)
		*seq = ref.seq;
	if (strcmp(role, "rights-holder") == 0 && !vouch)
		return PL_OK;
	if ((error = fx_granter(l, &granter, role)) == PL_OK &&
	    (error = pl_key_fingerprint(&fp, *k)) == PL_OK)
		error = pl_ledger_grant(l, NULL, granter, fp.ptr, role);
	pl_buf_free(&fp);
	return error;
}

static FX_UNUSED int fx_key(pl_ledger *l, pl_key **k, const char *name, const char *role,
                            uint64_t *seq)
{
	return fx_key_ex(l, k, name, role, seq, 0);
}

static FX_UNUSED json_t *fx_fingerprint(int k, int w, const char *seed)
{
	char hex[65];
	fx_hex_of(hex, seed);
	return json_pack("{s:s, s:i, s:i, s:i, s:s}", "scheme", "winnow-v1", "k", k, "w", w,
	                 "count", 10, "sha256", hex);
}

/* A work entry "work:<id>" (id: W + 16 hex). */
static FX_UNUSED int fx_work(pl_ledger *l, const pl_key *k, const char *id, const char *title,
                             const char *holder, const char *terms, uint64_t *seq)
{
	char hex[65], created[32] = "2026-01-01T00:00:00Z";
	pl_buf sname = PL_BUF_INIT;
	pl_entry_ref ref;
	int error;
	fx_hex_of(hex, title);
	memcpy(hex, id + 1, 16); /* the work id is W + the first 16 hex digits */
	pl_buf_printf(&sname, "work:%s", id);
	error = pl_ledger_append_statement(
	    l, &ref, k, "work",
	    json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex),
	    json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:i, s:o, s:o}", "created", created,
	              "title", title, "creators", holder, "holder", holder, "terms", terms,
	              "normalized_sha256", hex, "tokens", 1000, "fingerprint",
	              fx_fingerprint(13, 38, title), "robust_fingerprint",
	              fx_fingerprint(8, 17, title)),
	    NULL, 0);
	if (error == PL_OK && seq)
		*seq = ref.seq;
	pl_buf_free(&sname);
	return error;
}

static FX_UNUSED int fx_leaf_fn(void *ctx, const pl_entry_info *e)
{
	pl_hex(ctx, e->leaf, PL_HASH_LEN);
	return 0;
}

typedef struct {
	const char *path;
	int records, tokens;
} fx_shard;

/* A check entry matching each of works[] once (in shards[0]), then the dataset
 * entry referring to it. recheck_of >= 0 appends only a recheck of that
 * dataset seq. */
static FX_UNUSED int fx_dataset(pl_ledger *l, const pl_key *k, const char *name,
                                const char *version, const fx_shard *shards, size_t nshards,
                                const char *const *works, size_t nworks, int64_t recheck_of,
                                uint64_t *check_seq, uint64_t *dataset_seq)
{
	json_t *cshards = json_array(), *dshards = json_array(), *subjects = json_array(),
	       *matches = json_array(), *pred;
	pl_buf canon = PL_BUF_INIT, cname = PL_BUF_INIT, keyid = PL_BUF_INIT;
	char created[32] = "2026-01-01T00:00:00Z", hex[65], sh[65];
	int records = 0, tokens = 0, error;
	pl_entry_ref cref, dref;

	pl_key_fingerprint(&keyid, k);
	for (size_t i = 0; i < nshards; i++) {
		fx_hex_of(sh, shards[i].path);
		records += shards[i].records;
		tokens += shards[i].tokens;
		json_array_append_new(cshards,
		                      json_pack("{s:s, s:s, s:i, s:i}", "path", shards[i].path,
		                                "sha256", sh, "records", shards[i].records, "bytes",
		                                shards[i].tokens * 5));
		json_array_append_new(
		    dshards, json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:i}", "path",
		                       shards[i].path, "bytes", shards[i].tokens * 5, "format",
		                       "jsonl", "compression", "none", "merkle", sh, "records",
		                       shards[i].records, "tokens", shards[i].tokens));
		json_array_append_new(subjects, json_pack("{s:s, s:{s:s}}", "name", shards[i].path,
		                                          "digest", "sha256", sh));
	}
	for (size_t i = 0; i < nworks; i++) {
		fx_hex_of(sh, shards[0].path);
		json_array_append_new(
		    matches,
		    json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[i,i], s:i, s:s, s:s, "
		              "s:s}",
		              "shard", shards[0].path, "shard_sha256", sh, "record", (int)i,
		              "offset", 0, "length", 400, "stream_offset", 10, "stream_length", 410,
		              "work", works[i], "work_span", 0, 80, "matched_tokens", 80,
		              "containment", "0.0800", "coverage", "1.0000", "class", "partial"));
	}
	pl_json_canonical(&canon, cshards);
	fx_hex_of(hex, canon.ptr);
	pl_buf_printf(&cname, "check:%s@%s", name, version);
	pred =
	    json_pack("{s:s, s:{s:I, s:s}, s:{s:i, s:i, s:i, s:i, s:b}, s:o, s:{s:i, s:i, "
	              "s:i}, s:i, s:o}",
	              "created", created, "registry", "size", (json_int_t)pl_ledger_size(l), "root",
	              "AAAA", "params", "k", 13, "w", 38, "min_tokens", 50, "max_df", 50, "robust",
	              0, "shards", cshards, "scanned", "records", records, "bytes", tokens * 5,
	              "tokens", tokens, "ignored_fingerprints", 0, "matches", matches);
	if (recheck_of >= 0) {
		char leaf[65] = "";
		pl_ledger_entry_info(l, (uint64_t)recheck_of, fx_leaf_fn, leaf);
		json_object_set_new(pred, "dataset",
		                    json_pack("{s:I, s:s, s:s++}", "seq", (json_int_t)recheck_of,
		                              "leaf", leaf, "name", name, "@", version));
	}
	error = pl_ledger_append_statement(
	    l, &cref, k, "check",
	    json_pack("[{s:s, s:{s:s}}]", "name", cname.ptr, "digest", "sha256", hex), pred, NULL,
	    0);
	if (error < 0 || recheck_of >= 0) {
		json_decref(dshards);
		json_decref(subjects);
		if (error == PL_OK && check_seq)
			*check_seq = cref.seq;
		goto done;
	}
	pl_hex(hex, cref.leaf, PL_HASH_LEN);
	pred = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[], s:{s:i, s:i, s:i, s:i}, s:o, "
	                 "s:{s:I, s:s}, s:{s:s, s:i, s:i, s:i, s:i, s:i, s:s}}",
	                 "created", created, "name", name, "version", version, "lab", keyid.ptr,
	                 "sources", "https://example.org/crawl", "licences", "totals", "shards",
	                 (int)nshards, "bytes", tokens * 5, "records", records, "tokens", tokens,
	                 "shards", dshards, "check", "seq", (json_int_t)cref.seq, "leaf", hex,
	                 "sketch", "scheme", "bloom-winnow-v1", "k", 13, "w", 38, "bits", 1024,
	                 "hashes", 7, "count", 0, "sha256", hex);
	error = pl_ledger_append_statement(l, &dref, k, "dataset", subjects, pred, NULL, 0);
	if (error == PL_OK) {
		if (check_seq)
			*check_seq = cref.seq;
		if (dataset_seq)
			*dataset_seq = dref.seq;
	}
done:
	pl_buf_free(&canon);
	pl_buf_free(&cname);
	pl_buf_free(&keyid);
	return error;
}

#endif
