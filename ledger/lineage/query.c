/* query.c - `query` (see pl_query.h) and the sketch-stale policy finding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_index.h"
#include "lineage_internal.h"
#include "pl_match.h"
#include "pl_check.h"
#include "pl_query.h"
#include "pl_registry.h"

static int prepare(pl_ledger *l, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(pl_ledger__db(l), sql, -1, st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "query");
	return PL_OK;
}

int pl_query__dataset_sketch(pl_ledger *l, pl_sketch *sk, pl_buf *storage, uint64_t dataset_seq)
{
	json_t *st = NULL, *s;
	const char *sha;
	int error;
	if ((error = pl_ledger_statement(l, &st, dataset_seq)) < 0)
		return error;
	s = json_object_get(json_object_get(st, "predicate"), "sketch");
	sha = json_string_value(json_object_get(s, "sha256"));
	if (!sha) {
		error = pl_error_set(PL_ENOTFOUND, "dataset entry %llu has no sketch",
		                     (unsigned long long)dataset_seq);
		goto done;
	}
	pl_buf_clear(storage);
	if ((error = pl_ledger_attachment(l, storage, sha)) < 0)
		goto done;
	error = pl_sketch_view(sk, storage->ptr, storage->len,
	                       (uint64_t)json_integer_value(json_object_get(s, "bits")),
	                       (unsigned)json_integer_value(json_object_get(s, "hashes")),
	                       (uint64_t)json_integer_value(json_object_get(s, "count")));
done:
	json_decref(st);
	return error;
}

int pl_query__work_fps(pl_ledger *l, pl_fps *out, const char *work_id)
{
	sqlite3_stmt *st = NULL;
	int error;
	out->count = 0;
	if ((error = prepare(l, &st,
	                     "SELECT data FROM work_fps WHERE work = ? AND scheme = "
	                     "'k13w38'")) < 0)
		return error;
	sqlite3_bind_text(st, 1, work_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0) / 12;
		if (n > out->cap) {
			pl_fp *v = realloc(out->v, n * sizeof(*v));
			if (!v) {
				sqlite3_finalize(st);
				return pl_error_set(PL_ENOMEM, "out of memory");
			}
			out->v = v;
			out->cap = n;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t h = 0;
			uint32_t p = 0;
			for (int b = 7; b >= 0; b--)
				h = h << 8 | d[12 * i + (size_t)b];
			for (int b = 3; b >= 0; b--)
				p = p << 8 | d[12 * i + 8 + (size_t)b];
			out->v[i].hash = h;
			out->v[i].pos = p;
		}
		out->count = n;
	}
	sqlite3_finalize(st);
	return PL_OK;
}

/* {"seq", "leaf"} of entry seq (JSON null when seq < 0), with "name" when
 * name is given. */
static json_t *ref_of(pl_ledger *l, int64_t seq, const char *name)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;
	if (seq < 0)
		return json_null();
	if (prepare(l, &st, "SELECT lower(hex(leaf)) FROM entries WHERE seq = ?") < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = pl_lineage__ref((uint64_t)seq, (const char *)sqlite3_column_text(st, 0), name);
	sqlite3_finalize(st);
	return o ? o : json_null();
}

static json_t *dataset_json(pl_ledger *l, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;
	if (prepare(l, &st, "SELECT name, version, created FROM datasets WHERE seq = ?") < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char nv[300];
		snprintf(nv, sizeof(nv), "%s@%s", sqlite3_column_text(st, 0),
		         sqlite3_column_text(st, 1));
		o = ref_of(l, (int64_t)seq, nv);
		json_object_set_new(o, "created",
		                    json_string((const char *)sqlite3_column_text(st, 2)));
	}
	sqlite3_finalize(st);
	return o;
}

/* The newest check of a dataset (its own or a recheck), or -1. */
static int64_t newest_check(pl_ledger *l, uint64_t dataset_seq)
{
	sqlite3_stmt *st = NULL;
	int64_t s = -1;
	if (prepare(l, &st,
	            "SELECT max(seq) FROM (SELECT seq FROM checks WHERE dataset_seq = ?1"
	            " UNION SELECT check_seq AS seq FROM datasets WHERE seq = ?1)") < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dataset_seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		s = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return s;
}

static int has_seq(json_t *arr, uint64_t seq)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if ((uint64_t)json_integer_value(json_object_get(v, "seq")) ==
	                                  seq) return 1;
	return 0;
}

/* How many paths query lists per model, and how deep a chain of base models
 * it follows: past either, the model carries "paths_truncated". */
#define QUERY_MAX_PATHS 64
#define QUERY_MAX_DEPTH 256

typedef struct {
	uint64_t seq;
	char name[300];
} model_ref;

/* The models that take input_seq as kind ("dataset" or "base"), by seq. */
static int users_of(pl_ledger *l, const char *kind, uint64_t input_seq, model_ref **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, error;
	*out = NULL;
	*n = 0;
	if ((error =
	         prepare(l, &st,
	                 "SELECT i.model_seq, m.name, m.version FROM model_inputs i JOIN models m"
	                 " ON m.seq = i.model_seq WHERE i.kind = ? AND i.input_seq = ?"
	                 " ORDER BY i.model_seq")) < 0)
		return error;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)input_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			model_ref *v = realloc(*out, (cap = cap ? 2 * cap : 8) * sizeof(*v));
			if (!v) {
				error = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			*out = v;
		}
		(*out)[*n].seq = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf((*out)[*n].name, sizeof((*out)[*n].name), "%s@%s",
		         sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(l), "model_inputs");
done:
	sqlite3_finalize(st);
	if (error < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return error;
}

/* The entry of models for m, added (with "via" the path that reached it
 * first) when missing; path is appended to its "paths". Borrowed. */
static json_t *add_path(pl_ledger *l, json_t *models, const model_ref *m, json_t *path, int lead)
{
	size_t i, n = json_array_size(models);
	json_t *v = NULL, *paths;
	for (i = 0; i < n; i++) {
		v = json_array_get(models, i);
		if ((uint64_t)json_integer_value(json_object_get(v, "seq")) == m->seq)
			break;
	}
	if (i == n) {
		v = ref_of(l, (int64_t)m->seq, m->name);
		json_object_set(v, "via", path);
		json_object_set_new(v, "paths", json_array());
		if (lead)
			json_object_set_new(v, "lead", json_true());
		json_array_append_new(models, v);
	}
	paths = json_object_get(v, "paths");
	if (json_array_size(paths) >= QUERY_MAX_PATHS)
		json_object_set_new(v, "paths_truncated", json_true());
	else
		json_array_append(paths, path);
	return v;
}

/* Every path from node (a dataset, or a model reached by path) to the models
 * trained on it directly or through any chain of base models. */
static int walk(pl_ledger *l, json_t *models, const char *kind, uint64_t node, json_t *path,
                int depth, int lead)
{
	model_ref *users = NULL;
	size_t n = 0;
	int error;
	if ((error = users_of(l, kind, node, &users, &n)) < 0)
		return error;
	for (size_t i = 0; i < n && error == PL_OK; i++) {
		json_t *p = json_copy(path), *v;
		json_array_append_new(p, json_string(users[i].name));
		v = add_path(l, models, &users[i], p, lead);
		if (depth < QUERY_MAX_DEPTH)
			error = walk(l, models, "base", users[i].seq, p, depth + 1, lead);
		else
			json_object_set_new(v, "paths_truncated", json_true());
		json_decref(p);
	}
	free(users);
	return error;
}

/* Shortest paths first (stable), "via" the shortest; models by the length
 * of their shortest path, then seq: the order of a breadth-first walk. */
static void settle_models(json_t *models)
{
	size_t n = json_array_size(models);
	json_t **v;
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(models, i), *paths = json_object_get(m, "paths");
		size_t np = json_array_size(paths);
		for (size_t a = 1; a < np; a++) {
			json_t *x = json_incref(json_array_get(paths, a));
			size_t b = a;
			while (b > 0 &&
			       json_array_size(json_array_get(paths, b - 1)) > json_array_size(x)) {
				json_array_set(paths, b, json_array_get(paths, b - 1));
				b--;
			}
			json_array_set_new(paths, b, x);
		}
		if (np)
			json_object_set(m, "via", json_array_get(paths, 0));
	}
	if (n < 2 || !(v = malloc(n * sizeof(*v))))
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(models, i));
	for (size_t a = 1; a < n; a++) {
		json_t *x = v[a];
		size_t b = a, lx = json_array_size(json_object_get(x, "via"));
		json_int_t sx = json_integer_value(json_object_get(x, "seq"));
		while (b > 0) {
			size_t lb = json_array_size(json_object_get(v[b - 1], "via"));
			if (lb < lx || (lb == lx &&
			                json_integer_value(json_object_get(v[b - 1], "seq")) <= sx))
				break;
			v[b] = v[b - 1];
			b--;
		}
		v[b] = x;
	}
	json_array_clear(models);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(models, v[i]);
	free(v);
}

/* Models trained on dataset_seq directly or through base models, each with
 * every path that reaches it (also from datasets added before). */
static int add_models(pl_ledger *l, json_t *models, uint64_t dataset_seq, const char *dname,
                      int lead)
{
	json_t *path = json_pack("[s]", dname);
	int error = walk(l, models, "dataset", dataset_seq, path, 0, lead);
	json_decref(path);
	settle_models(models);
	return error;
}

/* The matches of check entry seq that name work, each with "match": its
 * index in the entry's list (what a claim names: attest claim --match I). */
static json_t *check_matches(pl_ledger *l, uint64_t seq, const char *work)
{
	json_t *st = NULL, *out = json_array(), *m;
	size_t i;
	if (pl_ledger_statement(l, &st, seq) < 0)
		return out;
	json_array_foreach(json_object_get(json_object_get(st, "predicate"), "matches"), i, m)
	{
		const char *w = json_string_value(json_object_get(m, "work"));
		if (w && strcmp(w, work) == 0) {
			json_t *c = json_copy(m);
			json_object_set_new(c, "match", json_integer((json_int_t)i));
			json_array_append_new(out, c);
		}
	}
	json_decref(st);
	return out;
}

static int evidence_for(pl_ledger *l, json_t *evidence, json_t *datasets, json_t *models,
                        const char *work)
{
	sqlite3_stmt *st = NULL;
	int error;
	if ((error =
	         prepare(l, &st,
	                 "SELECT c.seq, c.dataset_seq, c.created FROM check_works w JOIN checks c"
	                 " ON c.seq = w.check_seq WHERE w.work = ? ORDER BY c.seq")) < 0)
		return error;
	sqlite3_bind_text(st, 1, work, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t cseq = (uint64_t)sqlite3_column_int64(st, 0);
		int has_ds = sqlite3_column_type(st, 1) != SQLITE_NULL;
		uint64_t dseq = (uint64_t)sqlite3_column_int64(st, 1);
		json_t *ds = has_ds ? dataset_json(l, dseq) : NULL;
		json_array_append_new(evidence,
		                      json_pack("{s:o, s:s, s:o, s:o}", "check",
		                                ref_of(l, (int64_t)cseq, NULL), "created",
		                                (const char *)sqlite3_column_text(st, 2), "dataset",
		                                ds ? json_incref(ds) : json_null(), "matches",
		                                check_matches(l, cseq, work)));
		if (ds && !has_seq(datasets, dseq)) {
			json_array_append(datasets, ds);
			if ((error = add_models(l, models, dseq,
			                        json_string_value(json_object_get(ds, "name")),
			                        0)) < 0) {
				json_decref(ds);
				break;
			}
		}
		json_decref(ds);
	}
	sqlite3_finalize(st);
	return error;
}

/* Datasets whose sketch holds a run of >= 8 of fps; a lead unless a check of
 * the dataset newer than registered_seq (the work's registration; -1: not
 * registered) exists, which is the evidence either way. */
static int sketch_leads(pl_ledger *l, json_t *leads, const pl_fps *fps, int64_t registered_seq,
                        json_t *evidence_datasets)
{
	sqlite3_stmt *st = NULL;
	pl_buf storage = PL_BUF_INIT;
	int error;
	if (fps->count < PL_SKETCH_RUN)
		return PL_OK;
	if ((error = prepare(l, &st, "SELECT seq FROM datasets ORDER BY seq")) < 0)
		return error;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t dseq = (uint64_t)sqlite3_column_int64(st, 0);
		int64_t nc = newest_check(l, dseq);
		pl_sketch sk;
		size_t run;
		char odds[32];
		if (has_seq(evidence_datasets, dseq))
			continue;
		if (registered_seq >= 0 && nc > registered_seq)
			continue; /* checked after the work was registered: that check decides */
		if (pl_query__dataset_sketch(l, &sk, &storage, dseq) < 0)
			continue;
		if ((run = pl_sketch_longest_run(&sk, fps)) < PL_SKETCH_RUN)
			continue;
		/* two significant digits, as a JSON number */
		snprintf(odds, sizeof(odds), "%.1e",
		         pl_sketch_false_odds(&sk, fps->count, PL_SKETCH_RUN));
		{
			json_t *ds = dataset_json(l, dseq), *models = json_array();
			if ((error = add_models(l, models, dseq,
			                        json_string_value(json_object_get(ds, "name")),
			                        1)) < 0) {
				json_decref(ds);
				json_decref(models);
				break;
			}
			json_array_append_new(
			    leads,
			    json_pack("{s:o, s:I, s:I, s:f, s:o, s:s, s:o}", "dataset", ds, "run",
			              (json_int_t)run, "fingerprints", (json_int_t)fps->count,
			              "false_positive_odds", strtod(odds, NULL), "newest_check",
			              ref_of(l, nc, NULL), "action",
			              "a lead, not proof: the lab must run 'provledger "
			              "dataset recheck'",
			              "models", models));
		}
	}
	sqlite3_finalize(st);
	pl_buf_free(&storage);
	return error;
}

typedef struct {
	json_t *w;
	int64_t seq;
} work_ctx;

static int got(void *ctx, const pl_work_info *w)
{
	work_ctx *c = ctx;
	c->seq = (int64_t)w->seq;
	c->w = json_pack("{s:s, s:s, s:s, s:s}", "work", w->id, "title", w->title, "holder",
	                 w->holder, "terms", w->terms);
	return 0;
}

int pl_query_work(json_t **out, pl_ledger *l, const char *work_id)
{
	work_ctx wc = {NULL, -1};
	json_t *evidence = json_array(), *datasets = json_array(), *models = json_array(),
	       *leads = json_array();
	pl_fps fps = {0};
	int error;
	if ((error = pl_registry_get(l, work_id, got, &wc)) < 0 ||
	    (error = evidence_for(l, evidence, datasets, models, work_id)) < 0 ||
	    (error = pl_query__work_fps(l, &fps, work_id)) < 0 ||
	    (error = sketch_leads(l, leads, &fps, wc.seq, datasets)) < 0)
		goto done;
	/* the work's fields, its entry, then what holds it */
	{
		json_t *ref = ref_of(l, wc.seq, NULL);
		json_object_update(wc.w, ref);
		json_decref(ref);
	}
	json_object_set(wc.w, "evidence", evidence);
	json_object_set(wc.w, "datasets", datasets);
	json_object_set(wc.w, "models", models);
	json_object_set(wc.w, "leads", leads);
	*out = json_incref(wc.w);
done:
	pl_fps_free(&fps);
	json_decref(wc.w);
	json_decref(evidence);
	json_decref(datasets);
	json_decref(models);
	json_decref(leads);
	return error;
}

int pl_query_file(json_t **out, pl_ledger *l, const char *name, const char *text, size_t len)
{
	pl_tokens t = {0};
	pl_fps fps = {0};
	pl_matcher *m = NULL;
	pl_matches ms = {0};
	pl_match_scratch sc = {0};
	pl_match_opts mo = {50, 1000000};
	unsigned char sha[PL_HASH_LEN];
	char hex[65];
	json_t *works = json_array(), *leads = json_array(), *seen = json_array(),
	       *no_datasets = json_array();
	int error;

	if ((error = pl_tokenize(&t, text, len, 0)) < 0) {
		if (error == PL_EINVALID)
			error = pl_error_set(PL_EINVALID, "%s: byte %llu: %s", name,
			                     (unsigned long long)t.bad_offset, pl_error_last());
		goto done;
	}
	pl_sha256(sha, t.text.ptr ? t.text.ptr : "", t.text.len);
	pl_hex(hex, sha, PL_HASH_LEN);
	if ((error = pl_winnow(&fps, t.hash, t.count, PL_WINNOW_K, PL_WINNOW_W)) < 0 ||
	    (error = pl_registry_matcher(&m, l, 0)) < 0 ||
	    (error = pl_matcher_match(m, &ms, &sc, &t, &fps, sha, &mo)) < 0)
		goto done;
	for (size_t i = 0; i < ms.count; i++) {
		const char *id = pl_matcher_work(m, ms.v[i].work)->id;
		json_t *q = NULL;
		char cont[16], cov[16];
		size_t j;
		json_t *v;
		int dup = 0;
		json_array_foreach(seen, j, v) if (strcmp(json_string_value(v), id) == 0) dup = 1;
		if (dup)
			continue;
		json_array_append_new(seen, json_string(id));
		if ((error = pl_query_work(&q, l, id)) < 0)
			goto done;
		pl_ratio4(cont, ms.v[i].containment);
		pl_ratio4(cov, ms.v[i].coverage);
		json_object_set_new(
		    q, "match",
		    json_pack("{s:s, s:[I, I], s:I, s:f, s:f, s:s}", "class",
		              pl_match_class_name(ms.v[i].cls), "work_span",
		              (json_int_t)ms.v[i].work_tok0, (json_int_t)ms.v[i].work_tok1,
		              "matched_tokens", (json_int_t)ms.v[i].matched_tokens, "containment",
		              strtod(cont, NULL), "coverage", strtod(cov, NULL), "span",
		              ms.v[i].span_exact ? "exact" : "lower-bound"));
		json_array_append_new(works, q);
	}
	/* leads for the file itself, whether or not it is registered */
	if ((error = sketch_leads(l, leads, &fps, -1, no_datasets)) < 0)
		goto done;
	*out = json_pack("{s:{s:s, s:I, s:s, s:I}, s:O, s:O}", "file", "name", name, "tokens",
	                 (json_int_t)t.count, "normalized_sha256", hex, "fingerprints",
	                 (json_int_t)fps.count, "works", works, "leads", leads);
done:
	pl_tokens_free(&t);
	pl_fps_free(&fps);
	pl_matches_free(&ms);
	pl_match_scratch_free(&sc);
	pl_matcher_free(m);
	json_decref(works);
	json_decref(leads);
	json_decref(seen);
	json_decref(no_datasets);
	return error;
}

/* SPEC §6.7: a dataset whose sketch probably holds a work registered after
 * its newest check. */
int pl_lineage__sketch_findings(pl_ledger *l, json_t *findings, uint64_t dataset_seq,
                                const char *dataset_name)
{
	sqlite3_stmt *st = NULL;
	pl_buf storage = PL_BUF_INIT;
	pl_fps fps = {0};
	pl_sketch sk;
	int64_t nc = newest_check(l, dataset_seq);
	int error;
	if (pl_query__dataset_sketch(l, &sk, &storage, dataset_seq) < 0) {
		pl_buf_free(&storage);
		return PL_OK; /* no sketch: nothing to say */
	}
	if ((error = prepare(l, &st, "SELECT id, title FROM works WHERE seq > ? ORDER BY seq")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, nc);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		char msg[600];
		size_t run;
		if ((error = pl_query__work_fps(l, &fps, id)) < 0)
			break;
		if ((run = pl_sketch_longest_run(&sk, &fps)) < PL_SKETCH_RUN)
			continue;
		snprintf(msg, sizeof(msg),
		         "dataset %s: its sketch probably holds %s \"%s\", registered after its "
		         "newest check (seq %lld); the lab must run 'provledger dataset recheck'",
		         dataset_name, id, (const char *)sqlite3_column_text(st, 1), (long long)nc);
		json_array_append_new(findings,
		                      pl_lineage__finding("dataset-sketch-stale", dataset_name,
		                                          dataset_seq, "%s", msg));
	}
done:
	sqlite3_finalize(st);
	pl_fps_free(&fps);
	pl_buf_free(&storage);
	return error;
}
