/* dataset.c - dataset register and recheck (see pl_dataset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_index.h"
#include "pl_check_part.h"
#include "pl_dataset.h"
#include "pl_lineage.h"
#include "pl_sketch.h"

/* The dataset's fingerprints go to a temporary file while the check runs, so
 * the sketch can be sized for their number afterwards without holding them. */
typedef struct {
	FILE *f;
	uint64_t count;
} fp_spool;

static int spool_fps(void *ctx, const pl_fps *fps)
{
	fp_spool *s = ctx;
	for (size_t i = 0; i < fps->count; i++)
		if (fwrite(&fps->v[i].hash, 8, 1, s->f) != 1)
			return pl_error_set(PL_ERROR, "sketch: cannot write the temporary file");
	s->count += fps->count;
	return PL_OK;
}

static int build_sketch(pl_sketch *sk, fp_spool *s)
{
	uint64_t buf[4096];
	size_t n;
	int error;
	if ((error = pl_sketch_init(sk, s->count)) < 0)
		return error;
	rewind(s->f);
	while ((n = fread(buf, 8, 4096, s->f)) > 0)
		for (size_t i = 0; i < n; i++)
			pl_sketch_add(sk, buf[i]);
	if (ferror(s->f))
		return pl_error_set(PL_ERROR, "sketch: cannot read the temporary file");
	return PL_OK;
}

static int require_lab(pl_ledger *l, const pl_key *signer, pl_buf *keyid)
{
	return pl_ledger_require_role(l, keyid, signer, "lab", "dataset register");
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *ref_json(const pl_entry_ref *r, const char *name)
{
	char hex[65];
	pl_hex(hex, r->leaf, PL_HASH_LEN);
	json_t *o = json_pack("{s:I, s:s}", "seq", (json_int_t)r->seq, "leaf", hex);
	if (name)
		json_object_set_new(o, "name", json_string(name));
	return o;
}

/* The check statement for res (a recheck when dataset is not NULL). */
static int check_statement(pl_statement *out, const pl_key *signer, const char *label,
                           pl_check_result *res, json_t *dataset)
{
	json_t *pred = json_deep_copy(res->report), *subj;
	pl_buf canon = PL_BUF_INIT;
	unsigned char d[PL_HASH_LEN];
	char hex[65], name[300];
	int error;

	if (!pred) {
		json_decref(dataset);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	if (dataset)
		json_object_set_new(pred, "dataset", dataset);
	if ((error = pl_json_canonical(&canon, json_object_get(pred, "shards"))) < 0) {
		json_decref(pred);
		return error;
	}
	pl_sha256(d, canon.ptr, canon.len);
	pl_hex(hex, d, PL_HASH_LEN);
	snprintf(name, sizeof(name), "check:%s", label);
	subj = json_pack("[{s:s, s:{s:s}}]", "name", name, "digest", "sha256", hex);
	pl_buf_free(&canon);
	memset(out, 0, sizeof(*out));
	out->signer = signer;
	out->type = "check";
	out->subjects = subj;
	out->predicate = pred;
	return PL_OK;
}

/* The dataset names the check appended just before it in the same commit. */
static int link_check(void *ctx, json_t *pred, const pl_entry_ref *prev, size_t i)
{
	(void)ctx;
	if (i < 1)
		return pl_error_set(PL_EUSAGE, "the dataset must follow its check");
	return json_object_set_new(pred, "check", ref_json(&prev[i - 1], NULL)) < 0
	           ? pl_error_set(PL_ENOMEM, "out of memory")
	           : PL_OK;
}

/* Checks before a registration: a lab key, a new name@version. */
static int register_prologue(pl_ledger *l, pl_buf *keyid, pl_buf *nv, const pl_key *signer,
                             const pl_dataset_meta *meta)
{
	uint64_t seq;
	int error;
	if ((error = pl_lineage_check_name(meta->name, "name")) < 0 ||
	    (error = pl_lineage_check_name(meta->version, "version")) < 0 ||
	    (error = require_lab(l, signer, keyid)) < 0)
		return error;
	pl_buf_printf(nv, "%s@%s", meta->name, meta->version);
	if ((error = pl_lineage_find(l, &seq, "dataset", nv->ptr)) == PL_OK)
		return pl_error_set(PL_ECONFLICT, "dataset %s is already registered (entry %llu)",
		                    nv->ptr, (unsigned long long)seq);
	return error == PL_ENOTFOUND ? PL_OK : error;
}

/* Append res's check entry and the manifest with sketch sk, in one commit. */
static int append_manifest(pl_ledger *l, pl_entry_ref *check_ref, pl_entry_ref *dataset_ref,
                           pl_check_result *res, const pl_key *signer, const char *keyid,
                           const char *nv, const pl_dataset_meta *meta, const pl_sketch *sk)
{
	json_t *subj = json_array(), *pred = NULL, *shards = json_array();
	pl_attachment att;
	unsigned char d[PL_HASH_LEN];
	char hex[65], created[32];
	uint64_t bytes = 0;
	int error;

	for (size_t i = 0; i < res->nshards; i++) {
		const pl_check_shard *cs = &res->shards[i];
		char mhex[65];
		pl_hex(hex, cs->info.sha256, PL_HASH_LEN);
		pl_hex(mhex, cs->info.merkle, PL_HASH_LEN);
		json_array_append_new(
		    subj, json_pack("{s:s, s:{s:s}}", "name", cs->path, "digest", "sha256", hex));
		json_array_append_new(
		    shards,
		    json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "path", cs->path, "bytes",
		              (json_int_t)cs->info.stored_bytes, "format",
		              pl_shard_format_name(cs->info.format), "compression",
		              pl_compression_name(cs->info.compression), "merkle", mhex, "records",
		              (json_int_t)cs->info.records, "tokens", (json_int_t)cs->tokens));
		bytes += cs->info.stored_bytes;
	}
	pl_sha256(d, sk->bits, sk->nbits / 8);
	pl_hex(hex, d, PL_HASH_LEN);
	pl_rfc3339(created, pl_ledger_time(l));
	pred = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, "
	                 "s:{s:s, s:i, s:i, s:I, s:i, s:I, s:s}}",
	                 "created", created, "name", meta->name, "version", meta->version, "lab",
	                 keyid, "sources", strings(meta->sources, meta->nsources), "licences",
	                 strings(meta->licences, meta->nlicences), "totals", "shards",
	                 (json_int_t)res->nshards, "bytes", (json_int_t)bytes, "records",
	                 (json_int_t)res->records, "tokens", (json_int_t)res->tokens, "shards",
	                 shards, "sketch", "scheme", "bloom-winnow-v1", "k", PL_WINNOW_K, "w",
	                 PL_WINNOW_W, "bits", (json_int_t)sk->nbits, "hashes", (int)sk->hashes,
	                 "count", (json_int_t)sk->count, "sha256", hex);
	shards = NULL;
	att.data = sk->bits;
	att.len = sk->nbits / 8;
	{
		/* the check and the manifest: one commit, both or neither */
		pl_statement st[2];
		pl_entry_ref refs[2];
		if ((error = check_statement(&st[0], signer, nv, res, NULL)) < 0)
			goto done;
		memset(&st[1], 0, sizeof(st[1]));
		st[1].signer = signer;
		st[1].type = "dataset";
		st[1].subjects = subj;
		st[1].predicate = pred;
		st[1].att = &att;
		st[1].natt = 1;
		st[1].link = link_check;
		subj = pred = NULL;
		if ((error = pl_ledger_append_statements(l, refs, st, 2)) < 0)
			goto done;
		if (check_ref)
			*check_ref = refs[0];
		if (dataset_ref)
			*dataset_ref = refs[1];
	}
done:
	json_decref(subj);
	json_decref(pred);
	json_decref(shards);
	return error;
}

int pl_dataset_register(pl_ledger *l, pl_entry_ref *check_ref, pl_entry_ref *dataset_ref,
                        pl_check_result *res, const pl_key *signer, const char *const *paths,
                        size_t n, const pl_dataset_meta *meta, const pl_check_opts *o)
{
	pl_buf keyid = PL_BUF_INIT, nv = PL_BUF_INIT;
	pl_check_opts co = *o;
	fp_spool spool = {NULL, 0};
	pl_sketch sk = {0};
	int error;

	memset(res, 0, sizeof(*res));
	if ((error = register_prologue(l, &keyid, &nv, signer, meta)) < 0)
		goto done;
	if (n == 0) {
		error = pl_error_set(PL_EUSAGE, "a dataset needs at least one shard");
		goto done;
	}
	if ((spool.f = tmpfile()) == NULL) {
		error = pl_error_set(PL_ERROR, "cannot create a temporary file for the sketch");
		goto done;
	}
	co.robust = 0; /* the manifest's check and sketch use the default scheme */
	co.on_fps = spool_fps;
	co.on_fps_ctx = &spool;
	if ((error = pl_check_run(res, l, paths, n, &co)) < 0 ||
	    (error = build_sketch(&sk, &spool)) < 0)
		goto done;
	error =
	    append_manifest(l, check_ref, dataset_ref, res, signer, keyid.ptr, nv.ptr, meta, &sk);
done:
	if (spool.f)
		fclose(spool.f);
	pl_sketch_free(&sk);
	pl_buf_free(&keyid);
	pl_buf_free(&nv);
	if (error < 0)
		pl_check_result_free(res);
	return error;
}

/* A part's fingerprint sidecar, checked against its count and digest, into sk
 * (count_only: just check it). */
static int read_sidecar(pl_sketch *sk, const pl_check_part *p, uint64_t *count, int count_only)
{
	const char *path;
	unsigned char want[PL_HASH_LEN], got[PL_HASH_LEN], buf[8 * 4096];
	pl_sha256_ctx *h = NULL;
	uint64_t n = 0;
	size_t r;
	FILE *f = NULL;
	int error = PL_OK;

	if (!pl_check_part_fps(p, &path, count, want))
		return pl_error_set(PL_EINVALID,
		                    "part %u/%u has no fingerprints: check it with --for-dataset",
		                    pl_check_part_index(p), pl_check_part_count(p));
	if ((f = fopen(path, "rb")) == NULL)
		return pl_error_set(PL_ENOTFOUND, "%s: cannot open the fingerprints of part %u/%u",
		                    path, pl_check_part_index(p), pl_check_part_count(p));
	if ((error = pl_sha256_new(&h)) < 0)
		goto done;
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
		pl_sha256_update(h, buf, r);
		for (size_t i = 0; !count_only && i + 8 <= r; i += 8) {
			uint64_t x = 0;
			for (int b = 7; b >= 0; b--)
				x = x << 8 | buf[i + (size_t)b];
			pl_sketch_add(sk, x);
		}
		n += r;
	}
	pl_sha256_final(h, got);
	if (ferror(f) || n != *count * 8 || memcmp(got, want, PL_HASH_LEN) != 0)
		error =
		    pl_error_set(PL_EINVALID,
		                 "%s: the fingerprints of part %u/%u do not match the part (%llu "
		                 "bytes; %llu fingerprints expected)",
		                 path, pl_check_part_index(p), pl_check_part_count(p),
		                 (unsigned long long)n, (unsigned long long)*count);
done:
	pl_sha256_free(h);
	fclose(f);
	return error;
}

static int sidecar_skipped(const pl_check_part *p)
{
	uint32_t ri, rc;
	return pl_check_part_registry(p, &ri, &rc) && ri != 0;
}

int pl_dataset_register_parts(pl_ledger *l, pl_entry_ref *check_ref, pl_entry_ref *dataset_ref,
                              pl_check_result *res, const pl_key *signer,
                              pl_check_part *const *parts, size_t n, const pl_dataset_meta *meta)
{
	pl_buf keyid = PL_BUF_INIT, nv = PL_BUF_INIT, rootb = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN];
	pl_sketch sk = {0};
	uint64_t total = 0, c;
	json_t *reg;
	int error;

	memset(res, 0, sizeof(*res));
	if ((error = register_prologue(l, &keyid, &nv, signer, meta)) < 0 ||
	    (error = pl_check_merge(res, parts, n)) < 0)
		goto done;
	if (json_integer_value(json_object_get(json_object_get(res->report, "params"), "max_df")) !=
	    50) {
		error =
		    pl_error_set(PL_EINVALID, "the parts were checked with --max-df other than 50: "
		                              "a dataset's check uses the default");
		goto done;
	}
	if (pl_check_part_robust(parts[0])) {
		error =
		    pl_error_set(PL_EINVALID, "the parts were checked with robust (k=8, w=17): a "
		                              "dataset's check uses the default scheme");
		goto done;
	}
	reg = json_object_get(res->report, "registry");
	if ((error = pl_ledger_root(l, root, pl_ledger_size(l))) < 0 ||
	    (error = pl_base64_encode(&rootb, root, PL_HASH_LEN)) < 0)
		goto done;
	if ((uint64_t)json_integer_value(json_object_get(reg, "size")) != pl_ledger_size(l) ||
	    strcmp(json_string_value(json_object_get(reg, "root")), rootb.ptr) != 0) {
		error =
		    pl_error_set(PL_EINVALID,
		                 "the parts were checked against ledger size %lld; the ledger is "
		                 "now at size %llu: check the shards again",
		                 (long long)json_integer_value(json_object_get(reg, "size")),
		                 (unsigned long long)pl_ledger_size(l));
		goto done;
	}
	/* every registry part of a shard part read the same records: the
	 * fingerprints are registry part 0's */
	for (size_t i = 0; i < n; i++) {
		if (sidecar_skipped(parts[i]))
			continue;
		if ((error = read_sidecar(NULL, parts[i], &c, 1)) < 0)
			goto done;
		total += c;
	}
	if ((error = pl_sketch_init(&sk, total)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (!sidecar_skipped(parts[i]) && (error = read_sidecar(&sk, parts[i], &c, 0)) < 0)
			goto done;
	error =
	    append_manifest(l, check_ref, dataset_ref, res, signer, keyid.ptr, nv.ptr, meta, &sk);
done:
	pl_sketch_free(&sk);
	pl_buf_free(&keyid);
	pl_buf_free(&nv);
	pl_buf_free(&rootb);
	if (error < 0)
		pl_check_result_free(res);
	return error;
}

int pl_dataset_recheck(pl_ledger *l, pl_entry_ref *check_ref, pl_check_result *res,
                       const pl_key *signer, const char *name_at_version, const char *const *paths,
                       size_t n, const pl_check_opts *o)
{
	pl_buf keyid = PL_BUF_INIT, env = PL_BUF_INIT;
	json_t *st = NULL, *subj;
	pl_entry_ref dref;
	uint64_t seq;
	int error;
	size_t i, j;

	memset(res, 0, sizeof(*res));
	if ((error = require_lab(l, signer, &keyid)) < 0 ||
	    (error = pl_lineage_find(l, &seq, "dataset", name_at_version)) < 0 ||
	    (error = pl_ledger_statement(l, &st, seq)) < 0 ||
	    (error = pl_ledger_entry(l, &env, seq)) < 0)
		goto done;
	subj = json_object_get(st, "subject");
	if ((error = pl_check_run(res, l, paths, n, o)) < 0)
		goto done;
	/* The shards must be the manifest's, no more, no fewer. */
	for (i = 0; i < res->nshards; i++) {
		char hex[65];
		int found = 0;
		pl_hex(hex, res->shards[i].info.sha256, PL_HASH_LEN);
		for (j = 0; j < json_array_size(subj); j++) {
			const char *h = json_string_value(json_object_get(
			    json_object_get(json_array_get(subj, j), "digest"), "sha256"));
			if (h && strcmp(h, hex) == 0)
				found = 1;
		}
		if (!found) {
			error = pl_error_set(PL_EINVALID,
			                     "%s: its SHA-256 %s is not in the manifest of %s",
			                     res->shards[i].path, hex, name_at_version);
			goto done;
		}
	}
	for (i = 0; i < res->nshards; i++)
		for (j = i + 1; j < res->nshards; j++)
			if (memcmp(res->shards[i].info.sha256, res->shards[j].info.sha256,
			           PL_HASH_LEN) == 0) {
				error = pl_error_set(PL_EINVALID, "%s and %s are the same shard",
				                     res->shards[i].path, res->shards[j].path);
				goto done;
			}
	if (res->nshards != json_array_size(subj)) {
		error = pl_error_set(PL_EINVALID,
		                     "%s has %zu shards; %zu were given (give every shard)",
		                     name_at_version, json_array_size(subj), res->nshards);
		goto done;
	}
	dref.seq = seq;
	pl_merkle_leaf(dref.leaf, env.ptr, env.len);
	{
		pl_statement cs;
		if ((error = check_statement(&cs, signer, name_at_version, res,
		                             ref_json(&dref, name_at_version))) == PL_OK)
			error = pl_ledger_append_statements(l, check_ref, &cs, 1);
	}
done:
	json_decref(st);
	pl_buf_free(&keyid);
	pl_buf_free(&env);
	if (error < 0)
		pl_check_result_free(res);
	return error;
}
