/*
 * policy.c - the policy findings of SPEC §6.7: one table of rules
 * (PL_POLICY_RULES in pl_lineage.h), each a code, a severity, the type of
 * subject it judges and the function that judges one subject.
 *
 * Findings are computed from the lineage index, never stored; lineage.c's
 * context caches what the rules read, so `verify --policy` over the whole
 * ledger reads every model and dataset once.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineage_internal.h"
#include "pl_rules_engine.h"

/* A rule judges one subject (a MODEL or DATASET from the context's cache)
 * and appends its findings. */
typedef int (*rule_fn)(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *subject);

static int rule_unlicensed_frontier(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_licence_exceeded(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_licence_after_start(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_unsafe_deployment(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_report_missing(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_dangerous_capability(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_model_reserved(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_dataset_reserved(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_sketch_stale(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_hardware_not_held(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_compute_underreported(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_moratorium(pl_lineage_ctx *, json_t *, uint64_t, json_t *);
static int rule_export_restricted(pl_lineage_ctx *, json_t *, uint64_t, json_t *);

static const struct {
	pl_policy_rule rule;
	rule_fn check;
} rules[] = {
#define PL_RULE_ROW(code, severity, subject_type, check, summary)                                  \
	{{code, severity, subject_type, summary}, check},
    PL_POLICY_RULES(PL_RULE_ROW)
#undef PL_RULE_ROW
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

const pl_policy_rule *pl_policy_rule_at(size_t i)
{
	return i < NRULES ? &rules[i].rule : NULL;
}

json_t *pl_lineage__finding(const char *code, const char *subject, uint64_t seq, const char *fmt,
                            ...)
{
	const pl_policy_rule *r = NULL;
	pl_buf msg = PL_BUF_INIT;
	json_t *f;
	va_list ap;
	for (size_t i = 0; i < NRULES && !r; i++)
		if (strcmp(rules[i].rule.code, code) == 0)
			r = &rules[i].rule;
	if (!r)
		return NULL;
	va_start(ap, fmt);
	pl_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "code", r->code, "severity", r->severity,
	              "subject", subject, "subject_type", r->subject_type, "seq", (json_int_t)seq,
	              "message", msg.ptr ? msg.ptr : "");
	pl_buf_free(&msg);
	return f;
}

/* Run every rule of subject_type on subject seq, in table order. */
static int judge(pl_lineage_ctx *c, json_t *findings, const char *subject_type, uint64_t seq,
                 json_t *subject)
{
	int error;
	for (size_t i = 0; i < NRULES; i++)
		if (strcmp(rules[i].rule.subject_type, subject_type) == 0 &&
		    (error = rules[i].check(c, findings, seq, subject)) < 0)
			return error;
	return PL_OK;
}

int pl_lineage__model_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq)
{
	json_t *m;
	int error;
	if ((error = pl_lineage__model(c, &m, seq)) < 0)
		return error;
	return judge(c, findings, "model", seq, m);
}

int pl_lineage__dataset_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq)
{
	json_t *d;
	int error;
	if ((error = pl_lineage__dataset(c, &d, seq)) < 0)
		return error;
	return judge(c, findings, "dataset", seq, d);
}

/* ---- the model rules ---------------------------------------------------- */

/* What a model's unrevoked attestations establish, for the rules below. */
typedef struct {
	size_t licences;        /* training-licences by an authority key */
	size_t covering;        /* ... whose max_training_flop covers training_flop */
	size_t approvals;       /* deployment-approvals by an authority key */
	uint64_t approval;      /* the first of them */
	size_t clean;           /* evaluations by an evaluator key, no dangerous capability */
	pl_buf maxes;           /* "MAX (seq N), ..." of the licences */
	char first_licence[40]; /* created of the earliest licence ("" when none) */
	uint64_t first_licence_seq;
} model_facts;

static int facts_of(pl_lineage_ctx *c, model_facts *f, uint64_t seq, json_t *m)
{
	const char *flop = pl_json_str(m, "training_flop");
	json_t *atts, *a;
	size_t i;
	int error;

	memset(f, 0, sizeof(*f));
	if ((error = pl_lineage__atts(c, &atts, seq, pl_json_str(m, "name"))) < 0)
		return error;
	json_array_foreach(atts, i, a)
	{
		const char *kind = pl_json_str(a, "kind"), *role = pl_json_str(a, "issuer_role");
		if (json_is_true(json_object_get(a, "revoked")) || !kind || !role)
			continue;
		if (strcmp(kind, "training-licence") == 0 && strcmp(role, "authority") == 0) {
			const char *max = pl_json_str(a, "max_training_flop");
			const char *when = pl_json_str(a, "created");
			f->licences++;
			if (max && flop && pl_lineage_number_cmp(flop, max) <= 0)
				f->covering++;
			if (when && (!f->first_licence[0] || strcmp(when, f->first_licence) < 0)) {
				snprintf(f->first_licence, sizeof(f->first_licence), "%s", when);
				f->first_licence_seq =
				    (uint64_t)json_integer_value(json_object_get(a, "seq"));
			}
			pl_buf_printf(&f->maxes, "%s%s (seq %lld)", f->maxes.len ? ", " : "",
			              max ? max : "?",
			              (long long)json_integer_value(json_object_get(a, "seq")));
		} else if (strcmp(kind, "deployment-approval") == 0 &&
		           strcmp(role, "authority") == 0) {
			if (!f->approvals++)
				f->approval =
				    (uint64_t)json_integer_value(json_object_get(a, "seq"));
		} else if (strcmp(kind, "evaluation") == 0 && strcmp(role, "evaluator") == 0 &&
		           json_array_size(json_object_get(a, "dangerous_capabilities")) == 0) {
			f->clean++;
		}
	}
	return PL_OK;
}

static int rule_unlicensed_frontier(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	model_facts f;
	int error;
	if (!json_is_true(json_object_get(m, "frontier")))
		return PL_OK;
	if ((error = facts_of(c, &f, seq, m)) < 0)
		return error;
	if (f.licences == 0)
		json_array_append_new(
		    findings,
		    pl_lineage__finding(
		        "unlicensed-frontier-model", name, seq,
		        "frontier model %s (training_flop %s, parameters %s) has no "
		        "unrevoked training-licence from an authority key",
		        name, pl_json_str(m, "training_flop"), pl_json_str(m, "parameters")));
	pl_buf_free(&f.maxes);
	return PL_OK;
}

static int rule_licence_exceeded(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	model_facts f;
	int error;
	if ((error = facts_of(c, &f, seq, m)) < 0)
		return error;
	if (f.licences > 0 && f.covering == 0)
		json_array_append_new(
		    findings,
		    pl_lineage__finding("licence-exceeded", name, seq,
		                        "model %s: training_flop %s exceeds the "
		                        "max_training_flop of every training-licence: %s",
		                        name, pl_json_str(m, "training_flop"), f.maxes.ptr));
	pl_buf_free(&f.maxes);
	return PL_OK;
}

/* A licence is needed before the run starts: a frontier model whose started
 * time is before its earliest training-licence trained without one. */
static int rule_licence_after_start(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name"), *started = pl_json_str(m, "started");
	model_facts f;
	int error;
	if (!json_is_true(json_object_get(m, "frontier")) || !started)
		return PL_OK;
	if ((error = facts_of(c, &f, seq, m)) < 0)
		return error;
	if (f.licences > 0 && strcmp(f.first_licence, started) > 0)
		json_array_append_new(
		    findings,
		    pl_lineage__finding("licence-after-start", name, seq,
		                        "frontier model %s started training at %s, before its "
		                        "first training-licence (seq %llu, issued %s)",
		                        name, started, (unsigned long long)f.first_licence_seq,
		                        f.first_licence));
	pl_buf_free(&f.maxes);
	return PL_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Supervision: a run under a training-licence with report_interval_days D
 * must have a training-report by its lab at least every D days from started
 * to finished (or, while it runs, to the log's newest entry). */
static int rule_report_missing(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name"), *started = pl_json_str(m, "started"),
	           *finished = pl_json_str(m, "finished"), *dates[512];
	json_t *atts, *a, *last = NULL;
	size_t i, nd = 0;
	int64_t interval = 0, prev, t, end;
	char endbuf[40] = "";
	int error;
	if (!started)
		return PL_OK;
	if ((error = pl_lineage__atts(c, &atts, seq, name)) < 0)
		return error;
	json_array_foreach(atts, i, a)
	{
		const char *kind = pl_json_str(a, "kind"), *role = pl_json_str(a, "issuer_role");
		if (json_is_true(json_object_get(a, "revoked")) || !kind || !role)
			continue;
		if (strcmp(kind, "training-licence") == 0 && strcmp(role, "authority") == 0) {
			json_int_t d =
			    json_integer_value(json_object_get(a, "report_interval_days"));
			if (d > 0 && (interval == 0 || d < interval))
				interval = d;
		} else if (strcmp(kind, "training-report") == 0 && strcmp(role, "lab") == 0 &&
		           nd < sizeof(dates) / sizeof(dates[0]) && pl_json_str(a, "date")) {
			dates[nd++] = pl_json_str(a, "date");
		}
	}
	if (interval == 0)
		return PL_OK;
	qsort(dates, nd, sizeof(dates[0]), cmp_str);
	if (!finished) {
		/* still running: up to the log's newest entry */
		uint64_t size = pl_ledger_size(c->l);
		if (size && pl_ledger_statement(c->l, &last, size - 1) == PL_OK)
			snprintf(endbuf, sizeof(endbuf), "%s",
			         pl_json_str(json_object_get(last, "predicate"), "created")
			             ? pl_json_str(json_object_get(last, "predicate"), "created")
			             : "");
		json_decref(last);
		finished = endbuf;
	}
	if (pl_rules_parse_time(&prev, started) < 0 || pl_rules_parse_time(&end, finished) < 0)
		return PL_OK;
	for (i = 0; i <= nd; i++) {
		const char *from = i == 0 ? started : dates[i - 1],
		           *to = i < nd ? dates[i] : finished;
		if (i < nd && pl_rules_parse_time(&t, dates[i]) < 0)
			continue;
		if (i == nd)
			t = end;
		if (t - prev > interval * 86400) {
			json_array_append_new(
			    findings,
			    pl_lineage__finding(
			        "training-report-missing", name, seq,
			        "model %s: no training report from %s to %s, longer than "
			        "its licence's report interval of %lld day%s",
			        name, from, to, (long long)interval, interval == 1 ? "" : "s"));
			break; /* one finding a model: the first gap */
		}
		if (t > prev)
			prev = t;
	}
	return PL_OK;
}

/* A dangerous capability an evaluation found stays a finding until a later
 * evaluation of the model (by an evaluator key, unrevoked) tests it again
 * and does not find it. */
static int rule_dangerous_capability(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	json_t *atts, *a, *b, *cap, *pool = NULL;
	sqlite3_stmt *st = NULL;
	size_t i, j, k;
	int error, rc;
	if ((error = pl_lineage__atts(c, &atts, seq, name)) < 0)
		return error;
	/* later evaluations that may clear: the model's own, and those of its
	 * descendants registered as its mitigated version (--mitigates) */
	pool = json_array();
	json_array_extend(pool, atts);
	if ((error = pl_lineage__prepare(c->l, &st,
	                                 "SELECT model_seq FROM model_inputs WHERE kind = 'base'"
	                                 " AND input_seq = ? ORDER BY model_seq")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t d = (uint64_t)sqlite3_column_int64(st, 0);
		json_t *dm, *datts;
		if ((error = pl_lineage__model(c, &dm, d)) < 0 ||
		    json_integer_value(json_object_get(json_object_get(dm, "mitigates"), "seq")) !=
		        (json_int_t)seq ||
		    !json_object_get(dm, "mitigates"))
			continue;
		if ((error = pl_lineage__atts(c, &datts, d, pl_json_str(dm, "name"))) < 0)
			goto done;
		json_array_extend(pool, datts);
	}
	pl_error_clear();
	error = PL_OK;
#define IS_EVAL(x)                                                                                 \
	(!json_is_true(json_object_get(x, "revoked")) && pl_json_str(x, "kind") &&                 \
	 strcmp(pl_json_str(x, "kind"), "evaluation") == 0 && pl_json_str(x, "issuer_role") &&     \
	 strcmp(pl_json_str(x, "issuer_role"), "evaluator") == 0)
	json_array_foreach(atts, i, a)
	{
		json_int_t as = json_integer_value(json_object_get(a, "seq"));
		if (!IS_EVAL(a))
			continue;
		json_array_foreach(json_object_get(a, "dangerous_capabilities"), j, cap)
		{
			const char *cn = json_string_value(cap);
			int cleared = 0;
			if (!cn)
				continue;
			json_array_foreach(pool, k, b)
			{
				json_t *dc = json_object_get(b, "dangerous_capabilities"), *x;
				size_t n;
				int again = 0;
				if (!IS_EVAL(b) ||
				    json_integer_value(json_object_get(b, "seq")) <= as ||
				    !json_object_get(json_object_get(b, "results"), cn))
					continue;
				json_array_foreach(dc, n, x) again |=
				    strcmp(json_string_value(x), cn) == 0;
				cleared |= !again;
			}
			if (!cleared)
				json_array_append_new(
				    findings,
				    pl_lineage__finding(
				        "dangerous-capability", name, seq,
				        "model %s: evaluation seq %lld found the dangerous "
				        "capability '%s', and no later evaluation cleared it",
				        name, (long long)as, cn));
		}
	}
#undef IS_EVAL
done:
	sqlite3_finalize(st);
	json_decref(pool);
	return error;
}

static int rule_unsafe_deployment(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	model_facts f;
	int error;
	if ((error = facts_of(c, &f, seq, m)) < 0)
		return error;
	if (f.approvals > 0 && f.clean == 0)
		json_array_append_new(
		    findings,
		    pl_lineage__finding("deployment-without-safe-evaluation", name, seq,
		                        "model %s has a deployment-approval (seq %llu) but no "
		                        "unrevoked evaluation by an evaluator key that found no "
		                        "dangerous capability",
		                        name, (unsigned long long)f.approval));
	pl_buf_free(&f.maxes);
	return PL_OK;
}

/* The names of the datasets with reserved works in model seq's lineage
 * (borrowed). A model met again while being visited (a cycle, only in a
 * forged ledger) adds nothing. */
static int reserved_closure(pl_lineage_ctx *c, json_t **out, uint64_t seq)
{
	json_t *arr, *in, *v, *d, *sub;
	char key[24];
	size_t i, j;
	int error;

	pl_lineage__key(key, seq);
	if ((arr = json_object_get(c->reserved, key)) != NULL) {
		*out = json_is_array(arr) ? arr : NULL;
		return PL_OK;
	}
	json_object_set_new(c->reserved, key, json_null());
	arr = json_array();
	if ((error = pl_lineage__inputs(c, &in, seq)) < 0)
		goto fail;
	json_array_foreach(json_object_get(in, "datasets"), i, v)
	{
		if ((error = pl_lineage__dataset(c, &d, (uint64_t)json_integer_value(v))) < 0)
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

static int rule_model_reserved(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	json_t *res, *d;
	pl_buf list = PL_BUF_INIT;
	size_t i;
	int error;
	if ((error = reserved_closure(c, &res, seq)) < 0)
		return error;
	if (!json_array_size(res))
		return PL_OK;
	json_array_foreach(res, i, d)
	    pl_buf_printf(&list, "%s%s", i ? ", " : "", json_string_value(d));
	json_array_append_new(
	    findings, pl_lineage__finding(
	                  "model-reserved-works", name, seq,
	                  "model %s: its lineage contains %s %s, whose check found works "
	                  "under all-rights-reserved or opt-out terms",
	                  name, json_array_size(res) == 1 ? "dataset" : "datasets", list.ptr));
	pl_buf_free(&list);
	return PL_OK;
}

/* ---- the dataset rules -------------------------------------------------- */

static int rule_dataset_reserved(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *d)
{
	const char *name = pl_json_str(d, "name");
	pl_buf list = PL_BUF_INIT;
	json_t *id;
	size_t i;
	if (!json_array_size(json_object_get(d, "reserved_works")))
		return PL_OK;
	json_array_foreach(json_object_get(d, "reserved_works"), i, id)
	{
		json_t *w = json_object_get(c->works, json_string_value(id));
		pl_buf_printf(&list, "%s%s \"%s\" (%s, %s)", i ? ", " : "", json_string_value(id),
		              pl_json_str(w, "title") ? pl_json_str(w, "title") : "",
		              pl_json_str(w, "holder") ? pl_json_str(w, "holder") : "?",
		              pl_json_str(w, "terms") ? pl_json_str(w, "terms") : "?");
	}
	json_array_append_new(findings,
	                      pl_lineage__finding("dataset-reserved-works", name, seq,
	                                          "dataset %s: its check found works under "
	                                          "all-rights-reserved or opt-out terms: %s",
	                                          name, list.ptr));
	pl_buf_free(&list);
	return PL_OK;
}

static int rule_sketch_stale(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *d)
{
	return pl_lineage__sketch_findings(c->l, findings, seq, pl_json_str(d, "name"));
}

/* ---- compute governance: hardware, moratoria ---------------------------- */

/* The model's training window in unix seconds: started (else its entry's
 * created) to finished (else INT64_MAX: still running). 0 when unparsable. */
static int run_window(json_t *m, int64_t *from, int64_t *to)
{
	const char *s = pl_json_str(m, "started"), *f = pl_json_str(m, "finished");
	if (pl_rules_parse_time(
	        from, s ? s : (pl_json_str(m, "created") ? pl_json_str(m, "created") : "")) < 0)
		return 0;
	*to = INT64_MAX;
	if (f && pl_rules_parse_time(to, f) < 0)
		return 0;
	return 1;
}

static const char *lab_of(json_t *m)
{
	const char *k = pl_json_str(json_object_get(m, "lab"), "keyid");
	return k ? k : "";
}

static int rule_hardware_not_held(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	json_t *r;
	size_t i;
	int64_t start, end;
	int error = PL_OK;
	if (!run_window(m, &start, &end))
		return PL_OK;
	json_array_foreach(json_object_get(m, "hardware_batches"), i, r)
	{
		pl_hw_holdings h = {0};
		uint64_t b = (uint64_t)json_integer_value(json_object_get(r, "seq")), held;
		json_int_t want = json_integer_value(json_object_get(r, "count"));
		if ((error = pl_lineage__holdings(c->l, &h, b, start)) < 0) {
			if (error == PL_ENOMEM)
				return error;
			pl_error_clear();
			error = PL_OK;
			continue;
		}
		held = 0;
		for (size_t j = 0; j < h.n; j++)
			if (strcmp(h.v[j].owner, lab_of(m)) == 0 && h.v[j].pending < 0)
				held += h.v[j].count;
		if ((json_int_t)held < want)
			json_array_append_new(
			    findings, pl_lineage__finding(
			                  "hardware-not-held", name, seq,
			                  "model %s: trained on %lld chips of batch %s (seq "
			                  "%llu), but its lab held %llu of them when the run "
			                  "started (%s)",
			                  name, (long long)want,
			                  pl_json_str(r, "name") ? pl_json_str(r, "name") : "?",
			                  (unsigned long long)b, (unsigned long long)held,
			                  pl_json_str(m, "started") ? pl_json_str(m, "started")
			                                            : pl_json_str(m, "created")));
		pl_hw_holdings_free(&h);
	}
	return error;
}

/* What the registered chips could compute in the declared time at 20% of
 * their peak: a finding when that exceeds 1e25 FLOP and the declared
 * training_flop is below it. */
static int rule_compute_underreported(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name");
	long double cap = 0;
	json_t *r;
	size_t i;
	int64_t start, end;
	char capbuf[64];
	if (!pl_json_str(m, "started") || !run_window(m, &start, &end))
		return PL_OK;
	if (!pl_json_str(m, "finished")) {
		/* still running: up to the log's newest entry */
		json_t *last = NULL;
		uint64_t size = pl_ledger_size(c->l);
		int64_t t;
		end = start;
		if (size && pl_ledger_statement(c->l, &last, size - 1) == PL_OK &&
		    pl_rules_parse_time(
		        &t, pl_json_str(json_object_get(last, "predicate"), "created")
		                ? pl_json_str(json_object_get(last, "predicate"), "created")
		                : "") == PL_OK)
			end = t;
		json_decref(last);
		pl_error_clear();
	}
	if (end <= start)
		return PL_OK;
	json_array_foreach(json_object_get(m, "hardware_batches"), i, r)
	{
		pl_lineage_row b = {0};
		int error;
		if ((error = pl_lineage__row(
		         c->l, &b, (uint64_t)json_integer_value(json_object_get(r, "seq")))) < 0) {
			if (error == PL_ENOMEM)
				return error;
			pl_error_clear();
			continue;
		}
		cap += (long double)json_integer_value(json_object_get(r, "count")) *
		       strtold(pl_json_str(json_object_get(b.statement, "predicate"), "peak_flops")
		                   ? pl_json_str(json_object_get(b.statement, "predicate"),
		                                 "peak_flops")
		                   : "0",
		               NULL);
		pl_lineage__row_clear(&b);
	}
	cap *= (long double)(end - start) * 0.2L;
	if (cap <= 1e25L || !pl_json_str(m, "training_flop") ||
	    strtold(pl_json_str(m, "training_flop"), NULL) >= cap)
		return PL_OK;
	snprintf(capbuf, sizeof(capbuf), "%.3Le", cap);
	json_array_append_new(
	    findings,
	    pl_lineage__finding(
	        "compute-possibly-underreported", name, seq,
	        "model %s declares training_flop %s, but its registered chips "
	        "could do %s FLOP from %s to %s at 20%% of their peak",
	        name, pl_json_str(m, "training_flop"), capbuf, pl_json_str(m, "started"),
	        pl_json_str(m, "finished") ? pl_json_str(m, "finished") : "now (still running)"));
	return PL_OK;
}

/* The jurisdictions a run is in: the model's declared one, and where the
 * lab's chips of each registered batch were when it started. */
static int in_jurisdiction(pl_lineage_ctx *c, json_t *m, int64_t start, const char *j)
{
	json_t *r;
	size_t i;
	int any = 0, hit = 0;
	if (strcmp(j, "global") == 0)
		return 1;
	if (pl_json_str(m, "jurisdiction")) {
		any = 1;
		hit |= strcmp(pl_json_str(m, "jurisdiction"), j) == 0;
	}
	json_array_foreach(json_object_get(m, "hardware_batches"), i, r)
	{
		pl_hw_holdings h = {0};
		if (pl_lineage__holdings(c->l, &h,
		                         (uint64_t)json_integer_value(json_object_get(r, "seq")),
		                         start) < 0) {
			pl_error_clear();
			continue;
		}
		for (size_t k = 0; k < h.n; k++)
			if (strcmp(h.v[k].owner, lab_of(m)) == 0) {
				any = 1;
				hit |= strcmp(h.v[k].jurisdiction, j) == 0;
			}
		pl_hw_holdings_free(&h);
	}
	return hit || !any; /* a run that says nowhere is covered everywhere */
}

static int rule_moratorium(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *m)
{
	const char *name = pl_json_str(m, "name"), *flop = pl_json_str(m, "training_flop"),
	           *params = pl_json_str(m, "parameters");
	json_t *globals, *atts, *g, *a, *x;
	size_t i, j, k;
	int64_t start, end, from, until;
	int error;
	if (!run_window(m, &start, &end))
		return PL_OK;
	if ((error = pl_lineage__atts(c, &globals, 0, "ledger")) < 0 ||
	    (error = pl_lineage__atts(c, &atts, seq, name)) < 0)
		return error;
	json_array_foreach(globals, i, g)
	{
		const char *tf = pl_json_str(g, "threshold_flop"),
		           *tp = pl_json_str(g, "threshold_parameters");
		json_int_t gs = json_integer_value(json_object_get(g, "seq"));
		int lifted = 0;
		if (json_is_true(json_object_get(g, "revoked")) || !pl_json_str(g, "kind") ||
		    strcmp(pl_json_str(g, "kind"), "moratorium") != 0 ||
		    strcmp(pl_json_str(g, "issuer_role") ? pl_json_str(g, "issuer_role") : "",
		           "authority") != 0)
			continue;
		if (!((tf && flop && pl_lineage_number_cmp(flop, tf) >= 0) ||
		      (tp && params && pl_lineage_number_cmp(params, tp) >= 0)))
			continue;
		if (pl_rules_parse_time(&from,
		                        pl_json_str(g, "from") ? pl_json_str(g, "from") : "") < 0)
			continue;
		until = INT64_MAX;
		if (pl_json_str(g, "until") &&
		    pl_rules_parse_time(&until, pl_json_str(g, "until")) < 0)
			continue;
		if (!(start < until && end > from))
			continue;
		if (!in_jurisdiction(c, m, start,
		                     pl_json_str(g, "jurisdiction") ? pl_json_str(g, "jurisdiction")
		                                                    : "global"))
			continue;
		json_array_foreach(atts, j, a)
		{
			if (json_is_true(json_object_get(a, "revoked")) ||
			    !pl_json_str(a, "kind") ||
			    strcmp(pl_json_str(a, "kind"), "training-licence") != 0 ||
			    strcmp(pl_json_str(a, "issuer_role"), "authority") != 0)
				continue;
			json_array_foreach(json_object_get(a, "lifts"), k, x) lifted |=
			    json_integer_value(json_object_get(x, "seq")) == gs;
		}
		if (lifted)
			continue;
		json_array_append_new(
		    findings,
		    pl_lineage__finding(
		        "moratorium-violated", name, seq,
		        "model %s (training_flop %s, parameters %s) trained from %s%s%s during the "
		        "moratorium of seq %lld (%s%s%s%s%s, from %s%s%s, jurisdiction %s) without "
		        "a "
		        "training-licence that lifts it",
		        name, flop ? flop : "?", params ? params : "?",
		        pl_json_str(m, "started") ? pl_json_str(m, "started")
		                                  : pl_json_str(m, "created"),
		        pl_json_str(m, "finished") ? " to " : " (still running)",
		        pl_json_str(m, "finished") ? pl_json_str(m, "finished") : "", (long long)gs,
		        tf ? "threshold_flop " : "", tf ? tf : "", tf && tp ? ", " : "",
		        tp ? "threshold_parameters " : "", tp ? tp : "", pl_json_str(g, "from"),
		        pl_json_str(g, "until") ? " until " : "",
		        pl_json_str(g, "until") ? pl_json_str(g, "until") : "",
		        pl_json_str(g, "jurisdiction") ? pl_json_str(g, "jurisdiction")
		                                       : "global"));
	}
	return PL_OK;
}

/* ---- the hardware rules ------------------------------------------------- */

/* The unrevoked export restriction (by an authority) of globals covering
 * chips of model moved into jurisdiction j at time when; NULL when none. */
static json_t *restriction(json_t *globals, const char *model, const char *j, const char *when)
{
	json_t *g, *x;
	size_t i, k;
	int64_t t, from, until;
	if (!j || !when || pl_rules_parse_time(&t, when) < 0)
		return NULL;
	json_array_foreach(globals, i, g)
	{
		json_t *models = json_object_get(g, "hardware_models");
		const char *gj = pl_json_str(g, "jurisdiction");
		int covers = json_array_size(models) == 0;
		if (json_is_true(json_object_get(g, "revoked")) || !pl_json_str(g, "kind") ||
		    strcmp(pl_json_str(g, "kind"), "export-restriction") != 0 ||
		    strcmp(pl_json_str(g, "issuer_role") ? pl_json_str(g, "issuer_role") : "",
		           "authority") != 0 ||
		    !gj || (strcmp(gj, "global") != 0 && strcmp(gj, j) != 0))
			continue;
		json_array_foreach(models, k, x) covers |=
		    model && json_is_string(x) && strcmp(json_string_value(x), model) == 0;
		if (!covers || !pl_json_str(g, "from") ||
		    pl_rules_parse_time(&from, pl_json_str(g, "from")) < 0)
			continue;
		until = INT64_MAX;
		if (pl_json_str(g, "until") &&
		    pl_rules_parse_time(&until, pl_json_str(g, "until")) < 0)
			continue;
		if (t >= from && t < until)
			return g;
	}
	return NULL;
}

static void restricted_finding(json_t *findings, const char *name, uint64_t seq, json_t *g,
                               const char *what, long long count, const char *model, const char *j,
                               const char *when)
{
	json_array_append_new(
	    findings, pl_lineage__finding(
	                  "export-restricted-transfer", name, seq,
	                  "hardware batch %s: %s moved %lld %s chips into %s at %s, under the "
	                  "export restriction of seq %lld (%s, from %s%s%s)",
	                  name, what, count, model ? model : "?", j, when,
	                  (long long)json_integer_value(json_object_get(g, "seq")),
	                  pl_json_str(g, "jurisdiction"), pl_json_str(g, "from"),
	                  pl_json_str(g, "until") ? " until " : "",
	                  pl_json_str(g, "until") ? pl_json_str(g, "until") : ""));
}

/* Chips delivered (the batch) or transferred and accepted into a
 * jurisdiction under an export restriction at that time. */
static int rule_export_restricted(pl_lineage_ctx *c, json_t *findings, uint64_t seq, json_t *b)
{
	const char *name = pl_json_str(b, "name") ? pl_json_str(b, "name") : "?",
	           *model = pl_json_str(b, "model");
	json_t *globals, *g;
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = pl_lineage__atts(c, &globals, 0, "ledger")) < 0)
		return error;
	if ((g = restriction(globals, model, pl_json_str(b, "jurisdiction"),
	                     pl_json_str(b, "created"))) != NULL)
		restricted_finding(findings, name, seq, g, "its delivery",
		                   (long long)json_integer_value(json_object_get(b, "count")),
		                   model, pl_json_str(b, "jurisdiction"),
		                   pl_json_str(b, "created"));
	if ((error = pl_lineage__prepare(c->l, &st,
	                                 "SELECT t.seq, a.seq FROM hardware t JOIN hardware a ON"
	                                 " a.transfer_seq = t.seq AND a.kind = 'accept' WHERE"
	                                 " t.batch_seq = ? AND t.kind = 'transfer' ORDER BY"
	                                 " t.seq")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_lineage_row t = {0};
		json_t *tp;
		char what[48];
		if ((error = pl_lineage__row(c->l, &t, (uint64_t)sqlite3_column_int64(st, 0))) < 0)
			break;
		tp = json_object_get(t.statement, "predicate");
		snprintf(what, sizeof(what), "transfer seq %lld",
		         (long long)sqlite3_column_int64(st, 0));
		if ((g = restriction(globals, model, pl_json_str(tp, "jurisdiction"), t.created)) !=
		    NULL)
			restricted_finding(findings, name, seq, g, what,
			                   (long long)json_integer_value(json_object_get(
			                       json_object_get(tp, "chips"), "count")),
			                   model, pl_json_str(tp, "jurisdiction"), t.created);
		pl_lineage__row_clear(&t);
	}
	if (error == PL_OK && rc != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(c->l), "policy");
	sqlite3_finalize(st);
	return error;
}

int pl_lineage__hardware_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq)
{
	pl_lineage_row row = {0};
	json_t *b;
	int error;
	if ((error = pl_lineage__row(c->l, &row, seq)) < 0)
		return error;
	b = json_deep_copy(json_object_get(row.statement, "predicate"));
	pl_lineage__row_clear(&row);
	if (!b)
		return pl_error_set(PL_ENOMEM, "out of memory");
	error = judge(c, findings, "hardware", seq, b);
	json_decref(b);
	return error;
}

/* ---- every subject ------------------------------------------------------ */

int pl_lineage_policy(pl_ledger *l, json_t **findings)
{
	pl_lineage_ctx c;
	sqlite3_stmt *st = NULL;
	json_t *f = json_array();
	int error, rc;

	if ((error = pl_lineage__ctx_init(&c, l)) < 0)
		goto done;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq, 'model' FROM models UNION ALL SELECT seq,"
	                                 " 'dataset' FROM datasets UNION ALL SELECT seq,"
	                                 " 'hardware' FROM hardware WHERE kind = 'batch'"
	                                 " ORDER BY 1")) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		if ((error = t[0] == 'm'   ? pl_lineage__model_findings(&c, f, seq)
		             : t[0] == 'h' ? pl_lineage__hardware_findings(&c, f, seq)
		                           : pl_lineage__dataset_findings(&c, f, seq)) < 0)
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
	pl_lineage__ctx_free(&c);
	json_decref(f);
	return error;
}
