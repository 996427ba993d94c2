/* cmd_catalog.c - `provledger dataset list|show` and `model list|show`: the
 * registered datasets and models, from their entries (pl_ledger_list and
 * pl_ledger_statement), named by NAME@VERSION. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_lineage.h"

/* One entry of a type, with its statement. */
typedef struct {
	uint64_t seq;
	char leaf[2 * PL_HASH_LEN + 1];
	char *keyid, *created;
	json_t *st;
} item;

typedef struct {
	item *v;
	size_t n, cap;
	int error;
} items;

static int collect(void *ctx, const pl_entry_info *e)
{
	items *it = ctx;
	item *x;
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 16;
		item *v = realloc(it->v, cap * sizeof(*v));
		if (!v) {
			it->error = pl_error_set(PL_ENOMEM, "out of memory");
			return 1;
		}
		it->v = v;
		it->cap = cap;
	}
	x = &it->v[it->n];
	memset(x, 0, sizeof(*x));
	x->seq = e->seq;
	pl_hex(x->leaf, e->leaf, PL_HASH_LEN);
	x->keyid = strdup(e->keyid ? e->keyid : "");
	x->created = strdup(e->created ? e->created : "");
	it->n++;
	if (!x->keyid || !x->created) {
		it->error = pl_error_set(PL_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

static void items_free(items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].keyid);
		free(it->v[i].created);
		json_decref(it->v[i].st);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

/* Every entry of type, in seq order, with its statement. */
static int load(pl_ledger *l, items *out, const char *type)
{
	int error;
	if ((error = pl_ledger_list(l, type, 0, 0, collect, out)) < 0 || out->error < 0)
		return out->error < 0 ? out->error : error;
	for (size_t i = 0; i < out->n; i++)
		if ((error = pl_ledger_statement(l, &out->v[i].st, out->v[i].seq)) < 0)
			return error;
	return PL_OK;
}

static json_t *pred(const item *x)
{
	return json_object_get(x->st, "predicate");
}

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* v, or JSON null when absent (borrowed either way). */
static json_t *or_null(json_t *v)
{
	return v ? v : json_null();
}

static json_int_t iget(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The seq of an entry reference field, -1 when absent. */
static int64_t ref_seq(const json_t *o, const char *k)
{
	json_t *s = json_object_get(json_object_get(o, k), "seq");
	return json_is_integer(s) ? (int64_t)json_integer_value(s) : -1;
}

/* "NAME@VERSION" of a dataset or model entry. */
static void nv(pl_buf *out, const item *x)
{
	const char *n = sget(pred(x), "name"), *v = sget(pred(x), "version");
	pl_buf_clear(out);
	pl_buf_printf(out, "%s@%s", n ? n : "?", v ? v : "?");
}

/* The lab of an entry: the predicate's keyid (else the signer's) and that
 * key's registered name ("" when unknown). */
static const char *lab_of(pl_ledger *l, const item *x, pl_key_status *ks)
{
	const char *lab = sget(pred(x), "lab");
	if (!lab)
		lab = x->keyid;
	if (pl_ledger_key_status(l, ks, lab) < 0 || !ks->registered)
		ks->name[0] = '\0';
	return lab;
}

/* The item named NAME@VERSION among its; prints and returns an exit code
 * when there is none. */
static int find(pl_ledger *l, const items *its, const item **out, const char *type,
                const char *name)
{
	uint64_t seq;
	int error = pl_lineage_find(l, &seq, type, name);
	if (error < 0)
		return pl_cli_fail(error);
	for (size_t i = 0; i < its->n; i++)
		if (its->v[i].seq == seq) {
			*out = &its->v[i];
			return 0;
		}
	return pl_cli_fail(pl_error_set(PL_ENOTFOUND, "entry %llu (%s %s) is not a %s entry",
	                                (unsigned long long)seq, type, name, type));
}

/* ---- datasets ------------------------------------------------------------ */

/* The checks of dataset d (its own and its rechecks), in seq order, and
 * their total of matches. */
static json_t *checks_of(const item *d, const items *checks, json_int_t *total)
{
	json_t *arr = json_array();
	int64_t first = ref_seq(pred(d), "check");
	*total = 0;
	for (size_t i = 0; i < checks->n; i++) {
		const item *c = &checks->v[i];
		int recheck = ref_seq(pred(c), "dataset") == (int64_t)d->seq;
		json_int_t m;
		if ((int64_t)c->seq != first && !recheck)
			continue;
		m = (json_int_t)json_array_size(json_object_get(pred(c), "matches"));
		*total += m;
		json_array_append_new(
		    arr, json_pack("{s:I, s:s, s:s, s:I, s:I, s:b}", "seq", (json_int_t)c->seq,
		                   "leaf", c->leaf, "created", c->created, "records",
		                   iget(json_object_get(pred(c), "scanned"), "records"), "matches",
		                   m, "recheck", (int64_t)c->seq != first));
	}
	return arr;
}

static int cmd_dataset_list(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	items ds = {0}, checks = {0};
	pl_buf name = PL_BUF_INIT;
	json_t *arr = NULL;
	int rc, error;

	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = load(l, &ds, "dataset")) < 0 || (error = load(l, &checks, "check")) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	arr = json_array();
	if (!g->json)
		printf("%-6s %-28s %7s %10s %8s %s\n", "SEQ", "NAME@VERSION", "SHARDS", "RECORDS",
		       "MATCHES", "LAB");
	for (size_t i = 0; i < ds.n; i++) {
		const item *d = &ds.v[i];
		json_t *t = json_object_get(pred(d), "totals");
		json_int_t total;
		pl_key_status ks;
		const char *lab = lab_of(l, d, &ks);
		json_decref(checks_of(d, &checks, &total));
		nv(&name, d);
		if (g->json)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:o}",
			                                     "seq", (json_int_t)d->seq, "leaf",
			                                     d->leaf, "name", name.ptr, "shards",
			                                     iget(t, "shards"), "records",
			                                     iget(t, "records"), "matches", total,
			                                     "lab", pl_cli_key_json(l, lab)));
		else
			printf("%-6llu %-28s %7lld %10lld %8lld %s\n", (unsigned long long)d->seq,
			       pl_cli_esc(name.ptr), (long long)iget(t, "shards"),
			       (long long)iget(t, "records"), (long long)total,
			       pl_cli_esc(ks.name[0] ? ks.name : lab));
	}
	if (g->json) {
		pl_cli_json_print(json_pack("{s:o}", "datasets", arr));
		arr = NULL;
	}
done:
	json_decref(arr);
	items_free(&ds);
	items_free(&checks);
	pl_buf_free(&name);
	pl_ledger_free(l);
	return rc;
}

/* The models that name entry seq among their field (datasets, base_models). */
static json_t *users_of(const items *models, uint64_t seq, const char *field)
{
	json_t *arr = json_array(), *r;
	pl_buf name = PL_BUF_INIT;
	size_t j;
	for (size_t i = 0; i < models->n; i++) {
		const item *m = &models->v[i];
		json_array_foreach(json_object_get(pred(m), field), j, r)
		{
			if (json_integer_value(json_object_get(r, "seq")) != (json_int_t)seq)
				continue;
			nv(&name, m);
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "seq",
			                                     (json_int_t)m->seq, "leaf", m->leaf,
			                                     "name", name.ptr));
			break;
		}
	}
	pl_buf_free(&name);
	return arr;
}

/* {"W...": matches} over the matches of checks, in order of first appearance. */
static json_t *works_of(const json_t *checklist, const items *checks)
{
	json_t *works = json_array(), *c, *m, *w;
	size_t i, j, k;
	json_array_foreach(checklist, i, c)
	{
		const item *ci = NULL;
		for (k = 0; k < checks->n; k++)
			if ((json_int_t)checks->v[k].seq == iget(c, "seq"))
				ci = &checks->v[k];
		if (!ci)
			continue;
		json_array_foreach(json_object_get(pred(ci), "matches"), j, m)
		{
			const char *id = sget(m, "work");
			json_t *found = NULL;
			if (!id)
				continue;
			json_array_foreach(works, k, w) if (strcmp(sget(w, "work"), id) == 0)
			    found = w;
			if (found)
				json_object_set_new(found, "matches",
				                    json_integer(iget(found, "matches") + 1));
			else
				json_array_append_new(
				    works, json_pack("{s:s, s:I}", "work", id, "matches", 1));
		}
	}
	return works;
}

/* "a, b, c" of the strings of arr (escaped), "-" when empty. */
static void print_list(const json_t *arr, const char *field)
{
	json_t *v;
	size_t i;
	if (!json_array_size(arr))
		fputs("-", stdout);
	json_array_foreach(arr, i, v)
	{
		const char *s = field ? sget(v, field) : json_string_value(v);
		printf("%s%s", i ? ", " : "", pl_cli_esc(s ? s : "?"));
	}
	putchar('\n');
}

static int cmd_dataset_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	items ds = {0}, checks = {0}, models = {0};
	pl_buf name = PL_BUF_INIT;
	const item *d = NULL;
	json_t *p, *doc = NULL, *shards, *subj, *sh, *cl, *works, *users, *v;
	json_int_t total;
	pl_key_status ks;
	const char *lab;
	size_t i, j;
	int rc, error;

	if (argc != 2)
		return pl_cli_usage(cmd, "expected one dataset NAME@VERSION");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = load(l, &ds, "dataset")) < 0 || (error = load(l, &checks, "check")) < 0 ||
	    (error = load(l, &models, "model")) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((rc = find(l, &ds, &d, "dataset", argv[1])) != 0)
		goto done;
	p = pred(d);
	lab = lab_of(l, d, &ks);
	nv(&name, d);
	/* shard digests are the subjects, by path */
	shards = json_array();
	json_array_foreach(json_object_get(p, "shards"), i, sh)
	{
		json_t *o = json_deep_copy(sh), *digest = json_null();
		json_array_foreach(json_object_get(d->st, "subject"), j, subj)
		{
			if (sget(subj, "name") && sget(sh, "path") &&
			    strcmp(sget(subj, "name"), sget(sh, "path")) == 0)
				digest = json_object_get(json_object_get(subj, "digest"), "sha256");
		}
		json_object_set(o, "sha256", digest ? digest : json_null());
		json_array_append_new(shards, o);
	}
	cl = checks_of(d, &checks, &total);
	works = works_of(cl, &checks);
	users = users_of(&models, d->seq, "datasets");
	doc = json_pack("{s:I, s:s, s:s, s:s, s:o, s:O, s:O, s:O, s:o, s:o, s:I, s:o, s:o}", "seq",
	                (json_int_t)d->seq, "leaf", d->leaf, "name", name.ptr, "created",
	                d->created, "lab", pl_cli_key_json(l, lab), "sources",
	                or_null(json_object_get(p, "sources")), "licences",
	                or_null(json_object_get(p, "licences")), "totals",
	                or_null(json_object_get(p, "totals")), "shards", shards, "checks", cl,
	                "matches", total, "works", works, "models", users);
	if (!doc) {
		rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(doc);
		doc = NULL;
		goto done;
	}
	printf("dataset %s (seq %llu)\n", pl_cli_esc(name.ptr), (unsigned long long)d->seq);
	printf("  lab       %s%s%s%s\n", pl_cli_esc(ks.name), ks.name[0] ? " (" : "",
	       pl_cli_esc(lab), ks.name[0] ? ")" : "");
	printf("  created   %s\n  leaf      %s\n", pl_cli_esc(d->created), d->leaf);
	printf("  sources   ");
	print_list(json_object_get(p, "sources"), NULL);
	printf("  licences  ");
	print_list(json_object_get(p, "licences"), NULL);
	v = json_object_get(p, "totals");
	printf("  totals    %lld shards, %lld bytes, %lld records, %lld tokens\n",
	       (long long)iget(v, "shards"), (long long)iget(v, "bytes"),
	       (long long)iget(v, "records"), (long long)iget(v, "tokens"));
	json_array_foreach(json_object_get(doc, "shards"), i, sh)
	{
		printf("  shard     %s: %lld bytes, %s, %s, %lld records, %lld tokens\n",
		       pl_cli_esc(sget(sh, "path")), (long long)iget(sh, "bytes"),
		       pl_cli_esc(sget(sh, "format")), pl_cli_esc(sget(sh, "compression")),
		       (long long)iget(sh, "records"), (long long)iget(sh, "tokens"));
		printf("            sha256 %s, merkle %s\n",
		       sget(sh, "sha256") ? pl_cli_esc(sget(sh, "sha256")) : "-",
		       sget(sh, "merkle") ? pl_cli_esc(sget(sh, "merkle")) : "-");
	}
	json_array_foreach(cl, i, v)
	    printf("  %-9s seq %lld (%s): %lld records, %lld match%s\n",
	           json_is_true(json_object_get(v, "recheck")) ? "recheck" : "check",
	           (long long)iget(v, "seq"), pl_cli_esc(sget(v, "created")),
	           (long long)iget(v, "records"), (long long)iget(v, "matches"),
	           iget(v, "matches") == 1 ? "" : "es");
	printf("  works     ");
	if (!json_array_size(works))
		printf("none matched\n");
	json_array_foreach(works, i, v)
	    printf("%s%s (%lld match%s)%s", i ? "            " : "", pl_cli_esc(sget(v, "work")),
	           (long long)iget(v, "matches"), iget(v, "matches") == 1 ? "" : "es", "\n");
	printf("  models    ");
	if (!json_array_size(users))
		printf("none trained on it\n");
	json_array_foreach(users, i, v)
	    printf("%s%s (seq %lld)\n", i ? "            " : "", pl_cli_esc(sget(v, "name")),
	           (long long)iget(v, "seq"));
done:
	json_decref(doc);
	items_free(&ds);
	items_free(&checks);
	items_free(&models);
	pl_buf_free(&name);
	pl_ledger_free(l);
	return rc;
}

/* ---- models -------------------------------------------------------------- */

static json_t *ref_list(const json_t *refs)
{
	json_t *arr = json_array(), *r;
	size_t i;
	json_array_foreach(refs, i, r)
	    json_array_append_new(arr, json_pack("{s:I, s:s?, s:s?}", "seq", iget(r, "seq"), "leaf",
	                                         sget(r, "leaf"), "name", sget(r, "name")));
	return arr;
}

static int cmd_model_list(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	items ms = {0};
	pl_buf name = PL_BUF_INIT;
	json_t *arr = NULL, *r;
	size_t j;
	int rc, error;

	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = load(l, &ms, "model")) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	arr = json_array();
	if (!g->json)
		printf("%-6s %-28s %-8s %-13s %-10s %-16s %s\n", "SEQ", "NAME@VERSION", "FRONTIER",
		       "TRAINING_FLOP", "PARAMETERS", "LAB", "BASES");
	for (size_t i = 0; i < ms.n; i++) {
		const item *m = &ms.v[i];
		json_t *p = pred(m), *bases = json_object_get(p, "base_models");
		pl_key_status ks;
		const char *lab = lab_of(l, m, &ks);
		int frontier = json_is_true(json_object_get(p, "frontier"));
		nv(&name, m);
		if (g->json) {
			json_array_append_new(
			    arr, json_pack("{s:I, s:s, s:s, s:b, s:s?, s:s?, s:o, s:o}", "seq",
			                   (json_int_t)m->seq, "leaf", m->leaf, "name", name.ptr,
			                   "frontier", frontier, "training_flop",
			                   sget(p, "training_flop"), "parameters",
			                   sget(p, "parameters"), "lab", pl_cli_key_json(l, lab),
			                   "base_models", ref_list(bases)));
			continue;
		}
		printf("%-6llu %-28s %-8s %-13s %-10s %-16s ", (unsigned long long)m->seq,
		       pl_cli_esc(name.ptr), frontier ? "yes" : "no",
		       pl_cli_esc(sget(p, "training_flop")), pl_cli_esc(sget(p, "parameters")),
		       pl_cli_esc(ks.name[0] ? ks.name : lab));
		if (!json_array_size(bases))
			fputs("-", stdout);
		json_array_foreach(bases, j, r) printf(
		    "%s%s", j ? "," : "", pl_cli_esc(sget(r, "name") ? sget(r, "name") : "?"));
		putchar('\n');
	}
	if (g->json) {
		pl_cli_json_print(json_pack("{s:o}", "models", arr));
		arr = NULL;
	}
done:
	json_decref(arr);
	items_free(&ms);
	pl_buf_free(&name);
	pl_ledger_free(l);
	return rc;
}

static int cmd_model_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const char *const opt[] = {
	    "hardware",         "started",   "finished", "jurisdiction",
	    "hardware_batches", "mitigates", NULL};
	pl_ledger *l = NULL;
	items ms = {0};
	pl_buf name = PL_BUF_INIT;
	const item *m = NULL;
	json_t *p, *doc = NULL, *weights, *s, *v, *hw;
	pl_key_status ks;
	const char *lab;
	size_t i;
	int rc, error;

	if (argc != 2)
		return pl_cli_usage(cmd, "expected one model NAME@VERSION");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = load(l, &ms, "model")) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((rc = find(l, &ms, &m, "model", argv[1])) != 0)
		goto done;
	p = pred(m);
	lab = lab_of(l, m, &ks);
	nv(&name, m);
	weights = json_array();
	json_array_foreach(json_object_get(m->st, "subject"), i, s)
	{
		const char *n = sget(s, "name");
		if (n && strncmp(n, "model:", 6) != 0)
			json_array_append_new(
			    weights, json_pack("{s:s, s:s?}", "name", n, "sha256",
			                       sget(json_object_get(s, "digest"), "sha256")));
	}
	doc = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s?, s:s?, s:b, s:o, s:o, s:o, s:o}", "seq",
	                (json_int_t)m->seq, "leaf", m->leaf, "name", name.ptr, "created",
	                m->created, "lab", pl_cli_key_json(l, lab), "training_flop",
	                sget(p, "training_flop"), "parameters", sget(p, "parameters"), "frontier",
	                json_is_true(json_object_get(p, "frontier")), "weights", weights,
	                "datasets", ref_list(json_object_get(p, "datasets")), "base_models",
	                ref_list(json_object_get(p, "base_models")), "fine_tunes",
	                users_of(&ms, m->seq, "base_models"));
	if (!doc) {
		rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		goto done;
	}
	for (i = 0; opt[i]; i++)
		if ((v = json_object_get(p, opt[i])) != NULL)
			json_object_set(doc, opt[i], v);
	if (g->json) {
		pl_cli_json_print(doc);
		doc = NULL;
		goto done;
	}
	printf("model %s (seq %llu)%s\n", pl_cli_esc(name.ptr), (unsigned long long)m->seq,
	       json_is_true(json_object_get(p, "frontier")) ? " [frontier]" : "");
	printf("  lab             %s%s%s%s\n", pl_cli_esc(ks.name), ks.name[0] ? " (" : "",
	       pl_cli_esc(lab), ks.name[0] ? ")" : "");
	printf("  created         %s\n  leaf            %s\n", pl_cli_esc(m->created), m->leaf);
	printf("  training_flop   %s\n  parameters      %s\n", pl_cli_esc(sget(p, "training_flop")),
	       pl_cli_esc(sget(p, "parameters")));
	if ((hw = json_object_get(p, "hardware")) != NULL)
		printf("  hardware        %s x %lld\n", pl_cli_esc(sget(hw, "accelerator")),
		       (long long)iget(hw, "count"));
	if (json_object_get(p, "started") || json_object_get(p, "finished"))
		printf("  trained         %s .. %s\n", pl_cli_esc(sget(p, "started")),
		       pl_cli_esc(sget(p, "finished")));
	json_array_foreach(weights, i, v)
	    printf("  weights         %s sha256 %s\n", pl_cli_esc(sget(v, "name")),
	           pl_cli_esc(sget(v, "sha256")));
	printf("  trained on      ");
	print_list(json_object_get(doc, "datasets"), "name");
	printf("  fine-tuned from ");
	print_list(json_object_get(doc, "base_models"), "name");
	printf("  fine-tunes      ");
	print_list(json_object_get(doc, "fine_tunes"), "name");
done:
	json_decref(doc);
	items_free(&ms);
	pl_buf_free(&name);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_dataset_list = {
    "dataset list", cmd_dataset_list, "", "list the registered datasets",
    "Columns: SEQ of the dataset entry, NAME@VERSION, SHARDS and RECORDS (the\n"
    "manifest's totals), MATCHES (the matches of all its check reports, the first\n"
    "and every recheck, added up) and LAB (the signing key's name).\n\n"
    "JSON: {\"datasets\": [{\"seq\", \"leaf\", \"name\" \"N@V\", \"shards\", \"records\",\n"
    "\"matches\", \"lab\": {\"keyid\", \"name\"}}]} (docs/json.md)\n"};

const pl_cli_cmd pl_cmd_dataset_show = {
    "dataset show", cmd_dataset_show, "NAME@VERSION", "show one registered dataset",
    "The manifest (lab, sources, licences, totals, each shard with its SHA-256 and\n"
    "Merkle root), its check reports (the first and every recheck, with their\n"
    "matches), the works they matched and the models trained on it directly.\n\n"
    "JSON: {\"seq\", \"leaf\", \"name\", \"created\", \"lab\": {\"keyid\", \"name\"}, "
    "\"sources\",\n"
    "\"licences\", \"totals\", \"shards\": [{\"path\", \"sha256\", \"bytes\", \"format\",\n"
    "\"compression\", \"merkle\", \"records\", \"tokens\"}], \"checks\": [{\"seq\", \"leaf\",\n"
    "\"created\", \"records\", \"matches\", \"recheck\"}], \"matches\", \"works\": [{\"work\",\n"
    "\"matches\"}], \"models\": [{\"seq\", \"leaf\", \"name\"}]} (docs/json.md)\n\n"
    "Errors (exit 3): no dataset named NAME@VERSION; a malformed NAME@VERSION.\n"};

const pl_cli_cmd pl_cmd_model_list = {
    "model list", cmd_model_list, "", "list the registered models",
    "Columns: SEQ of the model entry, NAME@VERSION, FRONTIER (yes/no), TRAINING_FLOP\n"
    "and PARAMETERS (canonical form), LAB (the signing key's name) and BASES (the\n"
    "base models it was fine-tuned from, or -).\n\n"
    "JSON: {\"models\": [{\"seq\", \"leaf\", \"name\", \"frontier\", \"training_flop\",\n"
    "\"parameters\", \"lab\": {\"keyid\", \"name\"}, \"base_models\": [{\"seq\", \"leaf\",\n"
    "\"name\"}]}]} (docs/json.md)\n"};

const pl_cli_cmd pl_cmd_model_show = {
    "model show", cmd_model_show, "NAME@VERSION", "show one registered model",
    "The model entry: lab, training compute and size, frontier, hardware and\n"
    "training times when given, weights digests, the datasets it was trained on,\n"
    "the base models it was fine-tuned from and the models fine-tuned from it.\n"
    "('provledger lineage NAME@VERSION' follows the whole ancestry, with works,\n"
    "attestations and policy findings.)\n\n"
    "JSON: {\"seq\", \"leaf\", \"name\", \"created\", \"lab\": {\"keyid\", \"name\"},\n"
    "\"training_flop\", \"parameters\", \"frontier\", \"hardware\"?, \"started\"?,\n"
    "\"finished\"?, \"weights\": [{\"name\", \"sha256\"}], \"datasets\", \"base_models\",\n"
    "\"fine_tunes\": [{\"seq\", \"leaf\", \"name\"}]} (docs/json.md)\n\n"
    "Errors (exit 3): no model named NAME@VERSION; a malformed NAME@VERSION.\n"};
