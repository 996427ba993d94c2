/*
 * lineage.c - a model's lineage (base models, datasets, works, attestations)
 * and the policy findings of SPEC §6.7, from the lineage index tables.
 *
 * Everything is looked up by indexed seq or name; what is loaded once is
 * cached in a context, so `verify --policy` over the whole ledger costs one
 * pass over models and datasets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lineage_internal.h"

typedef struct {
	pl_ledger *l;
	json_t *models;   /* "seq" -> MODEL (public fields) */
	json_t *inputs;   /* "seq" -> {"datasets": [seq], "bases": [seq]} */
	json_t *datasets; /* "seq" -> DATASET */
	json_t *works;    /* "W..." -> WORK */
	json_t *atts;     /* "seq" of the subject -> [ATTESTATION] */
	json_t *reserved; /* "seq" of a model -> [dataset names]; null while visiting */
	sqlite3_stmt *q_inputs, *q_checks, *q_cworks, *q_atts, *q_work, *q_key;
} lctx;

static void key_of(char key[24], uint64_t seq)
{
	snprintf(key, 24, "%llu", (unsigned long long)seq);
}

static int ctx_init(lctx *c, pl_ledger *l)
{
	int error;
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->models = json_object();
	c->inputs = json_object();
	c->datasets = json_object();
	c->works = json_object();
	c->atts = json_object();
	c->reserved = json_object();
	if (!c->models || !c->inputs || !c->datasets || !c->works || !c->atts || !c->reserved)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_lineage__prepare(l, &c->q_inputs,
	                                 "SELECT kind, input_seq FROM model_inputs WHERE"
	                                 " model_seq = ? ORDER BY rowid")) < 0 ||
	    (error = pl_lineage__prepare(l, &c->q_checks,
	                                 "SELECT c.seq, c.created, c.records, c.matches,"
	                                 " lower(hex(e.leaf)) FROM checks c JOIN entries e"
	                                 " ON e.seq = c.seq WHERE c.seq = ?1 OR"
	                                 " c.dataset_seq = ?2 ORDER BY c.seq")) < 0 ||
	    (error = pl_lineage__prepare(l, &c->q_cworks,
	                                 "SELECT work, sum(matches) FROM check_works WHERE"
	                                 " check_seq IN (SELECT seq FROM checks WHERE seq = ?1"
	                                 " OR dataset_seq = ?2) GROUP BY work ORDER BY work")) <
	        0 ||
	    (error = pl_lineage__prepare(l, &c->q_atts,
	                                 "SELECT a.seq, a.issuer_role, a.revoked_by_seq,"
	                                 " lower(hex(r.leaf)) FROM attestations a LEFT JOIN"
	                                 " entries r ON r.seq = a.revoked_by_seq WHERE"
	                                 " a.subject_seq = ? AND a.kind != 'revocation'"
	                                 " ORDER BY a.seq")) < 0 ||
	    (error = pl_lineage__prepare(l, &c->q_work,
	                                 "SELECT seq FROM entries WHERE type = 'work' AND"
	                                 " name = 'work:' || ? ORDER BY seq LIMIT 1")) < 0 ||
	    (error = pl_lineage__prepare(l, &c->q_key, "SELECT name FROM keys WHERE keyid = ?")) <
	        0)
		return error;
	return PL_OK;
}

static void ctx_free(lctx *c)
{
	json_decref(c->models);
	json_decref(c->inputs);
	json_decref(c->datasets);
	json_decref(c->works);
	json_decref(c->atts);
	json_decref(c->reserved);
	sqlite3_finalize(c->q_inputs);
	sqlite3_finalize(c->q_checks);
	sqlite3_finalize(c->q_cworks);
	sqlite3_finalize(c->q_atts);
	sqlite3_finalize(c->q_work);
	sqlite3_finalize(c->q_key);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int is_reserved_terms(const char *t)
{
	return t && (strcmp(t, "all-rights-reserved") == 0 || strcmp(t, "opt-out") == 0);
}

/* "NAME@VERSION" of a model or dataset predicate. */
static json_t *nv_of(const json_t *pred)
{
	return json_sprintf("%s@%s", str(pred, "name") ? str(pred, "name") : "?",
	                    str(pred, "version") ? str(pred, "version") : "?");
}

/* Copy the listed keys of src into dst, when present. */
static void copy_keys(json_t *dst, const json_t *src, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(src, *keys);
		if (v)
			json_object_set(dst, *keys, v);
	}
}

static json_t *ref_names(const json_t *refs)
{
	json_t *out = json_array(), *r;
	size_t i;
	json_array_foreach(refs, i, r) json_array_append(out, json_object_get(r, "name"));
	return out;
}

/* The inputs of model seq: {"datasets": [seq...], "bases": [seq...]} (borrowed). */
static int inputs_of(lctx *c, json_t **out, uint64_t seq)
{
	char key[24];
	json_t *in, *ds, *bs;
	key_of(key, seq);
	if ((*out = json_object_get(c->inputs, key)) != NULL)
		return PL_OK;
	ds = json_array();
	bs = json_array();
	in = json_pack("{s:o, s:o}", "datasets", ds, "bases", bs);
	sqlite3_reset(c->q_inputs);
	sqlite3_bind_int64(c->q_inputs, 1, (sqlite3_int64)seq);
	while (sqlite3_step(c->q_inputs) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(c->q_inputs, 0);
		json_array_append_new(strcmp(kind, "base") == 0 ? bs : ds,
		                      json_integer(sqlite3_column_int64(c->q_inputs, 1)));
	}
	json_object_set_new(c->inputs, key, in);
	*out = in;
	return PL_OK;
}

/* The registered name of key keyid as a JSON string; null when the index
 * does not know the key (or the name is not UTF-8, which jansson refuses). */
static json_t *key_name(lctx *c, const char *keyid)
{
	const char *name;
	json_t *v;
	sqlite3_reset(c->q_key);
	sqlite3_bind_text(c->q_key, 1, keyid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(c->q_key) != SQLITE_ROW ||
	    (name = (const char *)sqlite3_column_text(c->q_key, 0)) == NULL ||
	    (v = json_string(name)) == NULL)
		return json_null();
	return v;
}

/* A key as JSON output names it: {"keyid", "name"}. */
static json_t *key_obj(lctx *c, const char *keyid)
{
	return json_pack("{s:s, s:o}", "keyid", keyid ? keyid : "", "name",
	                 key_name(c, keyid ? keyid : ""));
}

/* Replace o's "lab" keyid (copied from a predicate) by its key object. */
static void lab_obj(lctx *c, json_t *o)
{
	const char *lab = str(o, "lab");
	if (lab)
		json_object_set_new(o, "lab", key_obj(c, lab));
}

/* MODEL (borrowed from the cache). */
static int model_of(lctx *c, json_t **out, uint64_t seq)
{
	static const char *const keys[] = {"created",    "lab",      "training_flop",
	                                   "parameters", "frontier", "hardware",
	                                   "started",    "finished", NULL};
	pl_lineage_row row;
	json_t *pred, *m, *weights, *s;
	char key[24];
	size_t i;
	int error;

	key_of(key, seq);
	if ((*out = json_object_get(c->models, key)) != NULL)
		return PL_OK;
	if ((error = pl_lineage__row(c->l, &row, seq)) < 0)
		return error;
	if (strcmp(row.type, "model") != 0) {
		pl_lineage__row_clear(&row);
		return pl_error_set(PL_EINVALID, "entry %llu is a %s, not a model",
		                    (unsigned long long)seq, row.type);
	}
	pred = json_object_get(row.statement, "predicate");
	m = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)seq, "leaf", row.leaf, "name",
	              nv_of(pred));
	copy_keys(m, pred, keys);
	lab_obj(c, m);
	weights = json_array();
	json_array_foreach(json_object_get(row.statement, "subject"), i, s)
	{
		const char *n = str(s, "name");
		if (n && strncmp(n, "model:", 6) != 0)
			json_array_append_new(
			    weights,
			    json_pack("{s:s, s:O}", "name", n, "sha256",
			              json_object_get(json_object_get(s, "digest"), "sha256")));
	}
	json_object_set_new(m, "weights", weights);
	json_object_set_new(m, "datasets", ref_names(json_object_get(pred, "datasets")));
	json_object_set_new(m, "base_models", ref_names(json_object_get(pred, "base_models")));
	json_object_set_new(c->models, key, m);
	pl_lineage__row_clear(&row);
	*out = m;
	return PL_OK;
}

/* WORK (borrowed from the cache). */
static int work_of(lctx *c, json_t **out, const char *id)
{
	static const char *const keys[] = {"title", "creators", "holder", "terms", NULL};
	json_t *w;
	int error;

	if ((*out = json_object_get(c->works, id)) != NULL)
		return PL_OK;
	w = json_pack("{s:s}", "work", id);
	sqlite3_reset(c->q_work);
	sqlite3_bind_text(c->q_work, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(c->q_work) == SQLITE_ROW) {
		pl_lineage_row row;
		uint64_t seq = (uint64_t)sqlite3_column_int64(c->q_work, 0);
		if ((error = pl_lineage__row(c->l, &row, seq)) < 0) {
			json_decref(w);
			return error;
		}
		json_object_set_new(w, "seq", json_integer((json_int_t)seq));
		json_object_set_new(w, "leaf", json_string(row.leaf));
		copy_keys(w, json_object_get(row.statement, "predicate"), keys);
		pl_lineage__row_clear(&row);
		json_object_set_new(w, "registered", json_true());
	} else {
		/* a check names it, but no work entry does (a forged or pruned ledger) */
		json_object_set_new(w, "seq", json_null());
		json_object_set_new(w, "leaf", json_null());
		json_object_set_new(w, "registered", json_false());
	}
	json_object_set_new(w, "reserved", json_boolean(is_reserved_terms(str(w, "terms"))));
	json_object_set_new(c->works, id, w);
	*out = w;
	return PL_OK;
}

/* DATASET (borrowed from the cache). */
static int dataset_of(lctx *c, json_t **out, uint64_t seq)
{
	static const char *const keys[] = {"created", "lab", "sources", "licences", "totals", NULL};
	pl_lineage_row row;
	json_t *pred, *d, *shards, *checks, *works, *reserved, *sh, *subj, *digests;
	char key[24];
	int64_t check;
	size_t i;
	int error = PL_OK;

	key_of(key, seq);
	if ((*out = json_object_get(c->datasets, key)) != NULL)
		return PL_OK;
	if ((error = pl_lineage__row(c->l, &row, seq)) < 0)
		return error;
	if (strcmp(row.type, "dataset") != 0) {
		pl_lineage__row_clear(&row);
		return pl_error_set(PL_EINVALID, "entry %llu is a %s, not a dataset",
		                    (unsigned long long)seq, row.type);
	}
	pred = json_object_get(row.statement, "predicate");
	d = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)seq, "leaf", row.leaf, "name",
	              nv_of(pred));
	copy_keys(d, pred, keys);
	lab_obj(c, d);
	/* shard digests are the subjects, by path */
	digests = json_object();
	json_array_foreach(json_object_get(row.statement, "subject"), i, subj)
	{
		if (str(subj, "name"))
			json_object_set(digests, str(subj, "name"),
			                json_object_get(json_object_get(subj, "digest"), "sha256"));
	}
	shards = json_array();
	json_array_foreach(json_object_get(pred, "shards"), i, sh)
	{
		static const char *const sk[] = {"records", "tokens",      "bytes",
		                                 "format",  "compression", NULL};
		const char *path = str(sh, "path");
		json_t *o = json_pack("{s:s, s:O}", "path", path ? path : "", "sha256",
		                      path && json_object_get(digests, path)
		                          ? json_object_get(digests, path)
		                          : json_null());
		copy_keys(o, sh, sk);
		json_array_append_new(shards, o);
	}
	json_decref(digests);
	json_object_set_new(d, "shards", shards);
	{
		json_t *cr = json_object_get(json_object_get(pred, "check"), "seq");
		check = json_is_integer(cr) ? (int64_t)json_integer_value(cr) : -1;
	}
	checks = json_array();
	sqlite3_reset(c->q_checks);
	sqlite3_bind_int64(c->q_checks, 1, check);
	sqlite3_bind_int64(c->q_checks, 2, (sqlite3_int64)seq);
	while (sqlite3_step(c->q_checks) == SQLITE_ROW)
		json_array_append_new(
		    checks, json_pack("{s:I, s:s, s:s, s:I, s:I}", "seq",
		                      (json_int_t)sqlite3_column_int64(c->q_checks, 0), "leaf",
		                      (const char *)sqlite3_column_text(c->q_checks, 4), "created",
		                      (const char *)sqlite3_column_text(c->q_checks, 1), "records",
		                      (json_int_t)sqlite3_column_int64(c->q_checks, 2), "matches",
		                      (json_int_t)sqlite3_column_int64(c->q_checks, 3)));
	json_object_set_new(d, "checks", checks);
	works = json_array();
	reserved = json_array();
	json_object_set_new(d, "works", works);
	json_object_set_new(d, "reserved_works", reserved);
	json_object_set_new(c->datasets, key, d);
	sqlite3_reset(c->q_cworks);
	sqlite3_bind_int64(c->q_cworks, 1, check);
	sqlite3_bind_int64(c->q_cworks, 2, (sqlite3_int64)seq);
	while (error == PL_OK && sqlite3_step(c->q_cworks) == SQLITE_ROW) {
		char id[64];
		json_t *w;
		json_int_t n = sqlite3_column_int64(c->q_cworks, 1);
		snprintf(id, sizeof(id), "%s", sqlite3_column_text(c->q_cworks, 0));
		json_array_append_new(works, json_pack("{s:s, s:I}", "work", id, "matches", n));
		/* work_of runs another query; q_cworks keeps its place */
		if ((error = work_of(c, &w, id)) == PL_OK &&
		    json_is_true(json_object_get(w, "reserved")))
			json_array_append_new(reserved, json_string(id));
	}
	pl_lineage__row_clear(&row);
	*out = d;
	return error;
}

/* [ATTESTATION] about subject seq (borrowed from the cache). */
static int atts_of(lctx *c, json_t **out, uint64_t subject, const char *subject_name)
{
	static const char *const skip[] = {"created", "kind", "subject", "issuer_role", NULL};
	json_t *arr;
	char key[24];
	int error = PL_OK;

	key_of(key, subject);
	if ((*out = json_object_get(c->atts, key)) != NULL)
		return PL_OK;
	arr = json_array();
	json_object_set_new(c->atts, key, arr);
	*out = arr;
	sqlite3_reset(c->q_atts);
	sqlite3_bind_int64(c->q_atts, 1, (sqlite3_int64)subject);
	while (sqlite3_step(c->q_atts) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(c->q_atts, 0);
		int revoked = sqlite3_column_type(c->q_atts, 2) != SQLITE_NULL;
		pl_lineage_row row;
		json_t *pred, *a, *v;
		const char *k;
		if ((error = pl_lineage__row(c->l, &row, seq)) < 0)
			break;
		pred = json_object_get(row.statement, "predicate");
		const char *rleaf = (const char *)sqlite3_column_text(c->q_atts, 3);
		json_t *sref = json_object_get(pred, "subject");
		a = json_pack(
		    "{s:I, s:s, s:s?, s:o, s:o, s:s, s:s, s:b, s:o}", "seq", (json_int_t)seq,
		    "leaf", row.leaf, "kind", str(pred, "kind"), "subject",
		    pl_lineage__ref(subject, str(sref, "leaf") ? str(sref, "leaf") : "",
		                    subject_name),
		    "signer", key_obj(c, row.keyid), "issuer_role",
		    (const char *)sqlite3_column_text(c->q_atts, 1), "created", row.created,
		    "revoked", revoked, "revoked_by",
		    revoked ? pl_lineage__ref((uint64_t)sqlite3_column_int64(c->q_atts, 2),
		                              rleaf ? rleaf : "", NULL)
		            : json_null());
		json_object_foreach(pred, k, v)
		{
			int s = 0;
			for (int i = 0; skip[i]; i++)
				s |= strcmp(k, skip[i]) == 0;
			if (!s)
				json_object_set(a, k, v);
		}
		json_array_append_new(arr, a);
		pl_lineage__row_clear(&row);
	}
	return error;
}

json_t *pl_lineage__finding(const char *code, const char *severity, const char *subject_type,
                            const char *subject, uint64_t seq, const char *fmt, ...)
{
	pl_buf msg = PL_BUF_INIT;
	json_t *f;
	va_list ap;
	va_start(ap, fmt);
	pl_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "code", code, "severity", severity,
	              "subject", subject, "subject_type", subject_type, "seq", (json_int_t)seq,
	              "message", msg.ptr ? msg.ptr : "");
	pl_buf_free(&msg);
	return f;
}

/* The names of the datasets with reserved works in model seq's lineage
 * (borrowed). A model met again while being visited (a cycle, only in a
 * forged ledger) adds nothing. */
static int reserved_closure(lctx *c, json_t **out, uint64_t seq)
{
	json_t *arr, *in, *v, *d, *sub;
	char key[24];
	size_t i, j;
	int error;

	key_of(key, seq);
	if ((arr = json_object_get(c->reserved, key)) != NULL) {
		*out = json_is_array(arr) ? arr : NULL;
		return PL_OK;
	}
	json_object_set_new(c->reserved, key, json_null());
	arr = json_array();
	if ((error = inputs_of(c, &in, seq)) < 0)
		goto fail;
	json_array_foreach(json_object_get(in, "datasets"), i, v)
	{
		if ((error = dataset_of(c, &d, (uint64_t)json_integer_value(v))) < 0)
			goto fail;
		if (json_array_size(json_object_get(d, "reserved_works")))
			json_array_append(arr, json_object_get(d, "name"));
	}
	json_array_foreach(json_object_get(in, "bases"), i, v)
	{
		if ((error = reserved_closure(c, &sub, (uint64_t)json_integer_value(v))) < 0)
			goto fail;
		json_array_foreach(sub, j, d)
		{
			int dup = 0;
			json_t *e;
			size_t k;
			json_array_foreach(arr, k, e) dup |= json_equal(e, d);
			if (!dup)
				json_array_append(arr, d);
		}
	}
	json_object_set_new(c->reserved, key, arr);
	*out = arr;
	return PL_OK;
fail:
	json_decref(arr);
	return error;
}

static int model_findings(lctx *c, json_t *findings, uint64_t seq)
{
	json_t *m, *atts, *a, *res;
	const char *name, *flop;
	size_t i, nlic = 0, covered = 0, approvals = 0, safe = 0;
	uint64_t approval = 0;
	pl_buf maxes = PL_BUF_INIT;
	int error;

	if ((error = model_of(c, &m, seq)) < 0)
		return error;
	name = str(m, "name");
	flop = str(m, "training_flop");
	if ((error = atts_of(c, &atts, seq, name)) < 0)
		return error;
	json_array_foreach(atts, i, a)
	{
		const char *kind = str(a, "kind"), *role = str(a, "issuer_role");
		if (json_is_true(json_object_get(a, "revoked")) || !kind || !role)
			continue;
		if (strcmp(kind, "training-licence") == 0 && strcmp(role, "authority") == 0) {
			const char *max = str(a, "max_training_flop");
			nlic++;
			if (max && flop && pl_lineage_number_cmp(flop, max) <= 0)
				covered++;
			pl_buf_printf(&maxes, "%s%s (seq %lld)", maxes.len ? ", " : "",
			              max ? max : "?",
			              (long long)json_integer_value(json_object_get(a, "seq")));
		} else if (strcmp(kind, "deployment-approval") == 0 &&
		           strcmp(role, "authority") == 0) {
			if (!approvals++)
				approval = (uint64_t)json_integer_value(json_object_get(a, "seq"));
		} else if (strcmp(kind, "evaluation") == 0 && strcmp(role, "evaluator") == 0 &&
		           json_array_size(json_object_get(a, "dangerous_capabilities")) == 0) {
			safe++;
		}
	}
	if (json_is_true(json_object_get(m, "frontier")) && nlic == 0)
		json_array_append_new(
		    findings, pl_lineage__finding(
		                  "unlicensed-frontier-model", "error", "model", name, seq,
		                  "frontier model %s (training_flop %s, parameters %s) has no "
		                  "unrevoked training-licence from an authority key",
		                  name, flop, str(m, "parameters")));
	if (nlic > 0 && covered == 0)
		json_array_append_new(
		    findings, pl_lineage__finding("licence-exceeded", "error", "model", name, seq,
		                                  "model %s: training_flop %s exceeds the "
		                                  "max_training_flop of every training-licence: %s",
		                                  name, flop, maxes.ptr));
	pl_buf_free(&maxes);
	if (approvals > 0 && safe == 0)
		json_array_append_new(
		    findings, pl_lineage__finding(
		                  "deployment-without-safe-evaluation", "error", "model", name, seq,
		                  "model %s has a deployment-approval (seq %llu) but no "
		                  "unrevoked evaluation by an evaluator key that found no "
		                  "dangerous capability",
		                  name, (unsigned long long)approval));
	if ((error = reserved_closure(c, &res, seq)) < 0)
		return error;
	if (json_array_size(res)) {
		pl_buf list = PL_BUF_INIT;
		json_t *d;
		json_array_foreach(res, i, d)
		    pl_buf_printf(&list, "%s%s", i ? ", " : "", json_string_value(d));
		json_array_append_new(
		    findings,
		    pl_lineage__finding(
		        "model-reserved-works", "warning", "model", name, seq,
		        "model %s: its lineage contains %s %s, whose check found works "
		        "under all-rights-reserved or opt-out terms",
		        name, json_array_size(res) == 1 ? "dataset" : "datasets", list.ptr));
		pl_buf_free(&list);
	}
	return PL_OK;
}

static int dataset_findings(lctx *c, json_t *findings, uint64_t seq)
{
	json_t *d, *id;
	const char *name;
	size_t i;
	int error;

	if ((error = dataset_of(c, &d, seq)) < 0)
		return error;
	name = str(d, "name");
	if (json_array_size(json_object_get(d, "reserved_works"))) {
		pl_buf list = PL_BUF_INIT;
		json_array_foreach(json_object_get(d, "reserved_works"), i, id)
		{
			json_t *w = json_object_get(c->works, json_string_value(id));
			pl_buf_printf(&list, "%s%s \"%s\" (%s, %s)", i ? ", " : "",
			              json_string_value(id), str(w, "title") ? str(w, "title") : "",
			              str(w, "holder") ? str(w, "holder") : "?",
			              str(w, "terms") ? str(w, "terms") : "?");
		}
		json_array_append_new(
		    findings,
		    pl_lineage__finding("dataset-reserved-works", "warning", "dataset", name, seq,
		                        "dataset %s: its check found works under "
		                        "all-rights-reserved or opt-out terms: %s",
		                        name, list.ptr));
		pl_buf_free(&list);
	}
	return pl_lineage__sketch_findings(c->l, findings, seq, name);
}

int pl_lineage_get(json_t **out, pl_ledger *l, const char *name_at_version)
{
	lctx c;
	json_t *doc = NULL, *order = json_array(), *bases = json_array(), *dsl = json_array(),
	       *worksl = json_array(), *attl = json_array(), *findings = json_array(),
	       *seen = json_object(), *dseen = json_object(), *v, *m, *in, *d, *w, *atts;
	uint64_t root;
	size_t i, j;
	int error;

	if ((error = ctx_init(&c, l)) < 0)
		goto done;
	if ((error = pl_lineage_find(l, &root, "model", name_at_version)) < 0)
		goto done;
	/* breadth-first over base models; seen ends cycles */
	json_array_append_new(order, json_integer((json_int_t)root));
	for (i = 0; i < json_array_size(order); i++) {
		uint64_t seq = (uint64_t)json_integer_value(json_array_get(order, i));
		char key[24];
		if ((error = model_of(&c, &m, seq)) < 0 || (error = inputs_of(&c, &in, seq)) < 0)
			goto done;
		if (i > 0)
			json_array_append(bases, m);
		key_of(key, seq);
		json_object_set_new(seen, key, json_true());
		json_array_foreach(json_object_get(in, "datasets"), j, v)
		{
			key_of(key, (uint64_t)json_integer_value(v));
			if (json_object_get(dseen, key))
				continue;
			json_object_set_new(dseen, key, json_true());
			if ((error = dataset_of(&c, &d, (uint64_t)json_integer_value(v))) < 0)
				goto done;
			json_array_append(dsl, d);
		}
		json_array_foreach(json_object_get(in, "bases"), j, v)
		{
			key_of(key, (uint64_t)json_integer_value(v));
			if (!json_object_get(seen, key)) {
				json_object_set_new(seen, key, json_true());
				json_array_append(order, v);
			}
		}
	}
	/* works, in order of first appearance, each with the datasets holding it */
	{
		json_t *wseen = json_object(), *ref;
		json_array_foreach(dsl, i, d)
		{
			json_array_foreach(json_object_get(d, "works"), j, ref)
			{
				const char *id = str(ref, "work");
				json_t *entry = json_object_get(wseen, id);
				if (!entry) {
					if ((error = work_of(&c, &w, id)) < 0) {
						json_decref(wseen);
						goto done;
					}
					entry = json_deep_copy(w);
					json_object_set_new(entry, "datasets", json_array());
					json_object_set_new(wseen, id, entry);
					json_array_append(worksl, entry);
				}
				json_array_append(json_object_get(entry, "datasets"),
				                  json_object_get(d, "name"));
			}
		}
		json_decref(wseen);
	}
	/* attestations about every model, then every dataset, of the lineage */
	json_array_foreach(order, i, v)
	{
		if ((error = model_of(&c, &m, (uint64_t)json_integer_value(v))) < 0 ||
		    (error = atts_of(&c, &atts, (uint64_t)json_integer_value(v), str(m, "name"))) <
		        0)
			goto done;
		json_array_extend(attl, atts);
	}
	json_array_foreach(dsl, i, d)
	{
		if ((error =
		         atts_of(&c, &atts, (uint64_t)json_integer_value(json_object_get(d, "seq")),
		                 str(d, "name"))) < 0)
			goto done;
		json_array_extend(attl, atts);
	}
	json_array_foreach(order, i, v)
	{
		if ((error = model_findings(&c, findings, (uint64_t)json_integer_value(v))) < 0)
			goto done;
	}
	json_array_foreach(dsl, i, d)
	{
		if ((error = dataset_findings(
		         &c, findings, (uint64_t)json_integer_value(json_object_get(d, "seq")))) <
		    0)
			goto done;
	}
	if ((error = model_of(&c, &m, root)) < 0)
		goto done;
	doc =
	    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "model", m, "base_models", bases,
	              "datasets", dsl, "works", worksl, "attestations", attl, "findings", findings);
	if (!doc) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	/* the cache's objects are shared with the document: hand over a copy */
	*out = json_deep_copy(doc);
	json_decref(doc);
	doc = NULL;
	if (!*out)
		error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	ctx_free(&c);
	json_decref(order);
	json_decref(bases);
	json_decref(dsl);
	json_decref(worksl);
	json_decref(attl);
	json_decref(findings);
	json_decref(seen);
	json_decref(dseen);
	return error;
}

int pl_lineage_policy(pl_ledger *l, json_t **findings)
{
	lctx c;
	sqlite3_stmt *st = NULL;
	json_t *f = json_array();
	int error, rc;

	if ((error = ctx_init(&c, l)) < 0)
		goto done;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq, 'model' FROM models UNION ALL SELECT seq,"
	                                 " 'dataset' FROM datasets ORDER BY 1")) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		if ((error = t[0] == 'm' ? model_findings(&c, f, seq)
		                         : dataset_findings(&c, f, seq)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		error = pl_ledger__db_error(pl_ledger__db(l), "policy");
		goto done;
	}
	*findings = f;
	f = NULL;
done:
	sqlite3_finalize(st);
	ctx_free(&c);
	json_decref(f);
	return error;
}
