/*
 * lineage.c - a model's lineage (base models, datasets, works, attestations)
 * from the lineage index tables; the policy findings (SPEC §6.7) are policy.c.
 *
 * Everything is looked up by indexed seq or name; what is loaded once is
 * cached in a context, so `verify --policy` over the whole ledger costs one
 * pass over models and datasets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lineage_internal.h"

void pl_lineage__key(char key[24], uint64_t seq)
{
	snprintf(key, 24, "%llu", (unsigned long long)seq);
}

int pl_lineage__ctx_init(pl_lineage_ctx *c, pl_ledger *l)
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

void pl_lineage__ctx_free(pl_lineage_ctx *c)
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

static int is_reserved_terms(const char *t)
{
	return t && (strcmp(t, "all-rights-reserved") == 0 || strcmp(t, "opt-out") == 0);
}

/* "NAME@VERSION" of a model or dataset predicate. */
static json_t *nv_of(const json_t *pred)
{
	return json_sprintf("%s@%s", pl_json_str(pred, "name") ? pl_json_str(pred, "name") : "?",
	                    pl_json_str(pred, "version") ? pl_json_str(pred, "version") : "?");
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
int pl_lineage__inputs(pl_lineage_ctx *c, json_t **out, uint64_t seq)
{
	char key[24];
	json_t *in, *ds, *bs;
	pl_lineage__key(key, seq);
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
static json_t *key_name(pl_lineage_ctx *c, const char *keyid)
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
static json_t *key_obj(pl_lineage_ctx *c, const char *keyid)
{
	return json_pack("{s:s, s:o}", "keyid", keyid ? keyid : "", "name",
	                 key_name(c, keyid ? keyid : ""));
}

/* Replace o's "lab" keyid (copied from a predicate) by its key object. */
static void lab_obj(pl_lineage_ctx *c, json_t *o)
{
	const char *lab = pl_json_str(o, "lab");
	if (lab)
		json_object_set_new(o, "lab", key_obj(c, lab));
}

/* MODEL (borrowed from the cache). */
int pl_lineage__model(pl_lineage_ctx *c, json_t **out, uint64_t seq)
{
	static const char *const keys[] = {
	    "created", "lab",      "training_flop", "parameters",   "frontier",         "hardware",
	    "started", "finished", "base_relation", "jurisdiction", "hardware_batches", "mitigates",
	    NULL};
	pl_lineage_row row;
	json_t *pred, *m, *weights, *s;
	char key[24];
	size_t i;
	int error;

	pl_lineage__key(key, seq);
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
		const char *n = pl_json_str(s, "name");
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
static int pl_lineage__work(pl_lineage_ctx *c, json_t **out, const char *id)
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
	json_object_set_new(w, "reserved",
	                    json_boolean(is_reserved_terms(pl_json_str(w, "terms"))));
	json_object_set_new(c->works, id, w);
	*out = w;
	return PL_OK;
}

/* DATASET (borrowed from the cache). */
int pl_lineage__dataset(pl_lineage_ctx *c, json_t **out, uint64_t seq)
{
	static const char *const keys[] = {"created", "lab", "sources", "licences", "totals", NULL};
	pl_lineage_row row;
	json_t *pred, *d, *shards, *checks, *works, *reserved, *sh, *subj, *digests;
	char key[24];
	int64_t check;
	size_t i;
	int error = PL_OK;

	pl_lineage__key(key, seq);
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
		if (pl_json_str(subj, "name"))
			json_object_set(digests, pl_json_str(subj, "name"),
			                json_object_get(json_object_get(subj, "digest"), "sha256"));
	}
	shards = json_array();
	json_array_foreach(json_object_get(pred, "shards"), i, sh)
	{
		static const char *const sk[] = {"records", "tokens",      "bytes",
		                                 "format",  "compression", NULL};
		const char *path = pl_json_str(sh, "path");
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
		/* pl_lineage__work runs another query; q_cworks keeps its place */
		if ((error = pl_lineage__work(c, &w, id)) == PL_OK &&
		    json_is_true(json_object_get(w, "reserved")))
			json_array_append_new(reserved, json_string(id));
	}
	pl_lineage__row_clear(&row);
	*out = d;
	return error;
}

/* [ATTESTATION] about subject seq (borrowed from the cache). */
int pl_lineage__atts(pl_lineage_ctx *c, json_t **out, uint64_t subject, const char *subject_name)
{
	static const char *const skip[] = {"created", "kind", "subject", "issuer_role", NULL};
	json_t *arr;
	char key[24];
	int error = PL_OK;

	pl_lineage__key(key, subject);
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
		    "leaf", row.leaf, "kind", pl_json_str(pred, "kind"), "subject",
		    pl_lineage__ref(subject,
		                    pl_json_str(sref, "leaf") ? pl_json_str(sref, "leaf") : "",
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

int pl_lineage_get(json_t **out, pl_ledger *l, const char *name_at_version)
{
	pl_lineage_ctx c;
	json_t *doc = NULL, *order = json_array(), *bases = json_array(), *dsl = json_array(),
	       *worksl = json_array(), *attl = json_array(), *findings = json_array(),
	       *seen = json_object(), *dseen = json_object(), *v, *m, *in, *d, *w, *atts;
	uint64_t root;
	size_t i, j;
	int error;

	if ((error = pl_lineage__ctx_init(&c, l)) < 0)
		goto done;
	if ((error = pl_lineage_find(l, &root, "model", name_at_version)) < 0)
		goto done;
	/* breadth-first over base models; seen ends cycles */
	json_array_append_new(order, json_integer((json_int_t)root));
	for (i = 0; i < json_array_size(order); i++) {
		uint64_t seq = (uint64_t)json_integer_value(json_array_get(order, i));
		char key[24];
		if ((error = pl_lineage__model(&c, &m, seq)) < 0 ||
		    (error = pl_lineage__inputs(&c, &in, seq)) < 0)
			goto done;
		if (i > 0)
			json_array_append(bases, m);
		pl_lineage__key(key, seq);
		json_object_set_new(seen, key, json_true());
		json_array_foreach(json_object_get(in, "datasets"), j, v)
		{
			pl_lineage__key(key, (uint64_t)json_integer_value(v));
			if (json_object_get(dseen, key))
				continue;
			json_object_set_new(dseen, key, json_true());
			if ((error = pl_lineage__dataset(&c, &d, (uint64_t)json_integer_value(v))) <
			    0)
				goto done;
			json_array_append(dsl, d);
		}
		json_array_foreach(json_object_get(in, "bases"), j, v)
		{
			pl_lineage__key(key, (uint64_t)json_integer_value(v));
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
				const char *id = pl_json_str(ref, "work");
				json_t *entry = json_object_get(wseen, id);
				if (!entry) {
					if ((error = pl_lineage__work(&c, &w, id)) < 0) {
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
		if ((error = pl_lineage__model(&c, &m, (uint64_t)json_integer_value(v))) < 0 ||
		    (error = pl_lineage__atts(&c, &atts, (uint64_t)json_integer_value(v),
		                              pl_json_str(m, "name"))) < 0)
			goto done;
		json_array_extend(attl, atts);
	}
	json_array_foreach(dsl, i, d)
	{
		if ((error = pl_lineage__atts(
		         &c, &atts, (uint64_t)json_integer_value(json_object_get(d, "seq")),
		         pl_json_str(d, "name"))) < 0)
			goto done;
		json_array_extend(attl, atts);
	}
	json_array_foreach(order, i, v)
	{
		if ((error = pl_lineage__model_findings(&c, findings,
		                                        (uint64_t)json_integer_value(v))) < 0)
			goto done;
	}
	json_array_foreach(dsl, i, d)
	{
		if ((error = pl_lineage__dataset_findings(
		         &c, findings, (uint64_t)json_integer_value(json_object_get(d, "seq")))) <
		    0)
			goto done;
	}
	{
		/* the hardware batches the lineage's models trained on */
		json_t *hseen = json_object(), *r;
		json_array_foreach(order, i, v)
		{
			if ((error = pl_lineage__model(&c, &m, (uint64_t)json_integer_value(v))) <
			    0)
				break;
			json_array_foreach(json_object_get(m, "hardware_batches"), j, r)
			{
				char key[24];
				uint64_t b =
				    (uint64_t)json_integer_value(json_object_get(r, "seq"));
				pl_lineage__key(key, b);
				if (json_object_get(hseen, key))
					continue;
				json_object_set_new(hseen, key, json_true());
				if ((error = pl_lineage__hardware_findings(&c, findings, b)) < 0)
					break;
			}
			if (error < 0)
				break;
		}
		json_decref(hseen);
		if (error < 0)
			goto done;
	}
	if ((error = pl_lineage__model(&c, &m, root)) < 0)
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
	pl_lineage__ctx_free(&c);
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
