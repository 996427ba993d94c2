/* lineage_attest.c - `attest KIND`: check the signer's role and the
 * references, then append the attestation (SPEC §6.6, docs/entries.md). */
#include <stdio.h>
#include <string.h>

#include "lineage_internal.h"

static const struct {
	const char *kind, *role; /* role NULL: any registered key */
	int subject; /* 1: a model; 2: a model or a dataset; 0: derived; 3: the ledger (entry 0) */
} kinds[] = {
    {"training-licence", "authority", 1},
    {"evaluation", "evaluator", 1},
    {"deployment-approval", "authority", 1},
    {"claim", "rights-holder", 2},
    {"revocation", NULL, 0},
    {"training-report", "lab", 1},
    {"inspection", "authority", 1},
    {"moratorium", "authority", 3},
    {"export-restriction", "authority", 3},
    {"capability-vocabulary", "authority", 3},
};

/* An attestation's row; PL_ENOTFOUND naming what seq is instead. */
typedef struct {
	char kind[32];
	uint64_t subject;
	char issuer[128];
	int64_t revoked_by; /* -1: not revoked */
} att_row;

static int load_att(pl_ledger *l, att_row *a, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int error;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT kind, subject_seq, issuer_keyid,"
	                                 " coalesce(revoked_by_seq, -1) FROM attestations"
	                                 " WHERE seq = ?")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(a->kind, sizeof(a->kind), "%s", sqlite3_column_text(st, 0));
		a->subject = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(a->issuer, sizeof(a->issuer), "%s", sqlite3_column_text(st, 2));
		a->revoked_by = sqlite3_column_int64(st, 3);
		error = PL_OK;
	} else {
		error = seq < pl_ledger_size(l)
		            ? pl_error_set(PL_ENOTFOUND, "entry %llu is not an attestation",
		                           (unsigned long long)seq)
		            : pl_error_set(PL_ENOTFOUND, "no entry %llu (the ledger has %llu)",
		                           (unsigned long long)seq,
		                           (unsigned long long)pl_ledger_size(l));
	}
	sqlite3_finalize(st);
	return error;
}

/* The seqs of the datasets in the lineage of subject (itself when it is a
 * dataset; through base models, cycle-safe, when it is a model), as keys of
 * set. */
static int lineage_datasets(pl_ledger *l, json_t *set, uint64_t subject, int is_model)
{
	json_t *seen = json_object(), *queue = json_array();
	sqlite3_stmt *st = NULL;
	char key[32];
	int error = PL_OK;

	if (!is_model) {
		snprintf(key, sizeof(key), "%llu", (unsigned long long)subject);
		json_object_set_new(set, key, json_true());
		goto done;
	}
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT kind, input_seq FROM model_inputs WHERE"
	                                 " model_seq = ?")) < 0)
		goto done;
	json_array_append_new(queue, json_integer((json_int_t)subject));
	for (size_t i = 0; i < json_array_size(queue); i++) {
		uint64_t m = (uint64_t)json_integer_value(json_array_get(queue, i));
		snprintf(key, sizeof(key), "%llu", (unsigned long long)m);
		if (json_object_get(seen, key))
			continue;
		json_object_set_new(seen, key, json_true());
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)m);
		while (sqlite3_step(st) == SQLITE_ROW) {
			uint64_t in = (uint64_t)sqlite3_column_int64(st, 1);
			if (strcmp((const char *)sqlite3_column_text(st, 0), "base") == 0) {
				json_array_append_new(queue, json_integer((json_int_t)in));
			} else {
				snprintf(key, sizeof(key), "%llu", (unsigned long long)in);
				json_object_set_new(set, key, json_true());
			}
		}
	}
done:
	sqlite3_finalize(st);
	json_decref(seen);
	json_decref(queue);
	return error;
}

static int in_set(const json_t *set, uint64_t seq)
{
	char key[32];
	snprintf(key, sizeof(key), "%llu", (unsigned long long)seq);
	return json_object_get(set, key) != NULL;
}

static int training_licence(json_t *pred, const pl_attest_spec *s)
{
	pl_buf n = PL_BUF_INIT;
	int error;
	if (!s->max_training_flop || !s->conditions || !*s->conditions)
		return pl_error_set(
		    PL_EINVALID, "a training-licence needs --max-training-flop and --conditions");
	if ((error = pl_lineage_parse_number(&n, s->max_training_flop)) < 0) {
		pl_error_prefix(error, "--max-training-flop");
	} else {
		json_object_set_new(pred, "max_training_flop", json_string(n.ptr));
		json_object_set_new(pred, "conditions", json_string(s->conditions));
		if (s->report_interval)
			json_object_set_new(pred, "report_interval_days",
			                    json_integer((json_int_t)s->report_interval));
	}
	pl_buf_free(&n);
	return error;
}

static int training_report(json_t *pred, const pl_attest_spec *s)
{
	pl_buf n = PL_BUF_INIT;
	json_t *cps = json_array();
	int error;
	json_object_set_new(pred, "checkpoints", cps);
	if (!s->flop_so_far || !s->date)
		return pl_error_set(PL_EINVALID,
		                    "a training-report needs --flop-so-far and --date");
	if ((error = pl_lineage_parse_number(&n, s->flop_so_far)) < 0) {
		pl_buf_free(&n);
		return pl_error_prefix(error, "--flop-so-far");
	}
	json_object_set_new(pred, "flop_so_far", json_string(n.ptr));
	pl_buf_free(&n);
	if ((error = pl_lineage__check_time(s->date, "--date")) < 0)
		return error;
	json_object_set_new(pred, "date", json_string(s->date));
	for (size_t i = 0; i < s->ncheckpoints; i++) {
		unsigned char d[32];
		char hex[65];
		if (strlen(s->checkpoints[i]) != 64 || pl_unhex(d, 32, s->checkpoints[i], 64) < 0)
			return pl_error_set(PL_EINVALID,
			                    "--checkpoint-digest '%s' is not a SHA-256 in hex",
			                    s->checkpoints[i]);
		pl_hex(hex, d, 32);
		json_array_append_new(cps, json_string(hex));
	}
	return PL_OK;
}

static int check_capability(const char *cap, const char *s)
{
	if (!*cap || strlen(cap) > 128)
		return pl_error_set(PL_EINVALID, "'%s': the capability name is empty or too long",
		                    s);
	for (const char *p = cap; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return pl_error_set(PL_EINVALID,
			                    "'%s': control character in the capability", s);
	return PL_OK;
}

static int evaluation(json_t *pred, const pl_attest_spec *s)
{
	json_t *results = json_object(), *dangerous = json_array();
	pl_buf cap = PL_BUF_INIT;
	int error = PL_OK;

	json_object_set_new(pred, "results", results);
	json_object_set_new(pred, "dangerous_capabilities", dangerous);
	if (!s->suite || !*s->suite)
		return pl_error_set(PL_EINVALID, "an evaluation needs --suite");
	if (s->nresults == 0)
		return pl_error_set(
		    PL_EINVALID, "an evaluation needs at least one --result CAPABILITY=pass|fail");
	json_object_set_new(pred, "suite", json_string(s->suite));
	for (size_t i = 0; i < s->nresults && error == PL_OK; i++) {
		const char *eq = strrchr(s->results[i], '=');
		if (!eq || (strcmp(eq + 1, "pass") != 0 && strcmp(eq + 1, "fail") != 0)) {
			error = pl_error_set(
			    PL_EINVALID, "--result '%s' is not CAPABILITY=pass or CAPABILITY=fail",
			    s->results[i]);
			break;
		}
		pl_buf_clear(&cap);
		pl_buf_put(&cap, s->results[i], (size_t)(eq - s->results[i]));
		if ((error = check_capability(cap.ptr ? cap.ptr : "", s->results[i])) < 0)
			break;
		if (json_object_get(results, cap.ptr))
			error = pl_error_set(PL_EINVALID, "--result: capability '%s' given twice",
			                     cap.ptr);
		else
			json_object_set_new(results, cap.ptr, json_string(eq + 1));
	}
	for (size_t i = 0; i < s->ndangerous && error == PL_OK; i++) {
		if ((error = check_capability(s->dangerous[i], s->dangerous[i])) < 0)
			break;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->dangerous[i], s->dangerous[j]) == 0)
				error = pl_error_set(PL_EINVALID, "--dangerous '%s' given twice",
				                     s->dangerous[i]);
		json_array_append_new(dangerous, json_string(s->dangerous[i]));
	}
	pl_buf_free(&cap);
	return error;
}

static int approval(pl_ledger *l, json_t *pred, const pl_attest_spec *s, uint64_t subject,
                    const char *subject_name)
{
	json_t *evals = json_array();
	int error = PL_OK;

	json_object_set_new(pred, "evaluations", evals);
	if (s->nevaluations == 0)
		return pl_error_set(PL_EINVALID, "a deployment-approval needs at least one "
		                                 "--evaluation SEQ it relied on");
	for (size_t i = 0; i < s->nevaluations; i++) {
		att_row a;
		pl_lineage_row row;
		for (size_t j = 0; j < i; j++)
			if (s->evaluations[i] == s->evaluations[j])
				return pl_error_set(PL_EINVALID, "--evaluation %llu given twice",
				                    (unsigned long long)s->evaluations[i]);
		if ((error = load_att(l, &a, s->evaluations[i])) < 0)
			return pl_error_prefix(error, "--evaluation");
		if (strcmp(a.kind, "evaluation") != 0 || a.subject != subject)
			return pl_error_set(
			    PL_EINVALID, "--evaluation %llu: entry %llu is not an evaluation of %s",
			    (unsigned long long)s->evaluations[i],
			    (unsigned long long)s->evaluations[i], subject_name);
		if (a.revoked_by >= 0)
			return pl_error_set(
			    PL_EINVALID, "--evaluation %llu was revoked by entry %lld",
			    (unsigned long long)s->evaluations[i], (long long)a.revoked_by);
		if ((error = pl_lineage__row(l, &row, s->evaluations[i])) < 0)
			return error;
		json_array_append_new(evals, pl_lineage__ref(s->evaluations[i], row.leaf, NULL));
		pl_lineage__row_clear(&row);
	}
	return PL_OK;
}

static int valid_work_id(const char *w)
{
	if (!w || strlen(w) != 17 || w[0] != 'W')
		return 0;
	for (int i = 1; i < 17; i++)
		if (!((w[i] >= '0' && w[i] <= '9') || (w[i] >= 'a' && w[i] <= 'f')))
			return 0;
	return 1;
}

static int claim(pl_ledger *l, json_t *pred, const pl_attest_spec *s, uint64_t subject,
                 int is_model, const char *subject_name)
{
	json_t *set = json_object();
	pl_lineage_row row = {0};
	sqlite3_stmt *st = NULL;
	int error;

	if (!s->work || !s->statement || !*s->statement) {
		error = pl_error_set(PL_EINVALID, "a claim needs --work W-ID and --statement TEXT");
		goto done;
	}
	if (!valid_work_id(s->work)) {
		error = pl_error_set(PL_EINVALID,
		                     "--work '%s' is not a work id (W and 16 lowercase hex digits)",
		                     s->work);
		goto done;
	}
	if (s->has_check == (s->dataset != NULL)) {
		error = pl_error_set(
		    PL_EINVALID, "a claim refers to either a check (--check SEQ [--match I]) or "
		                 "a dataset (--dataset N@V)");
		goto done;
	}
	if (s->has_match && !s->has_check) {
		error = pl_error_set(PL_EINVALID, "--match needs --check");
		goto done;
	}
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq FROM entries WHERE type = 'work' AND"
	                                 " name = 'work:' || ? ORDER BY seq LIMIT 1")) < 0)
		goto done;
	sqlite3_bind_text(st, 1, s->work, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = pl_error_set(PL_ENOTFOUND, "no work %s is registered", s->work);
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	json_object_set_new(pred, "work", json_string(s->work));
	json_object_set_new(pred, "statement", json_string(s->statement));
	if ((error = lineage_datasets(l, set, subject, is_model)) < 0)
		goto done;
	if (s->has_check) {
		json_t *matches, *m;
		int64_t ds = -1;
		size_t i;
		int found = 0;
		if ((error = pl_lineage__row(l, &row, s->check)) < 0)
			goto done;
		if (strcmp(row.type, "check") != 0) {
			error = pl_error_set(
			    PL_EINVALID, "--check %llu: entry %llu is a %s, not a check",
			    (unsigned long long)s->check, (unsigned long long)s->check, row.type);
			goto done;
		}
		if ((error = pl_lineage__prepare(l, &st,
		                                 "SELECT coalesce(dataset_seq, -1) FROM"
		                                 " checks WHERE seq = ?")) < 0)
			goto done;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)s->check);
		if (sqlite3_step(st) == SQLITE_ROW)
			ds = sqlite3_column_int64(st, 0);
		if (ds < 0 || !in_set(set, (uint64_t)ds)) {
			error = pl_error_set(PL_EINVALID,
			                     "--check %llu is not a check of a dataset in the "
			                     "lineage of %s",
			                     (unsigned long long)s->check, subject_name);
			goto done;
		}
		matches = json_object_get(json_object_get(row.statement, "predicate"), "matches");
		if (s->has_match) {
			m = json_array_get(matches, s->match);
			if (!m) {
				error = pl_error_set(
				    PL_EINVALID, "--match %llu: check %llu has %zu matches",
				    (unsigned long long)s->match, (unsigned long long)s->check,
				    json_array_size(matches));
				goto done;
			}
			found = json_string_value(json_object_get(m, "work")) &&
			        strcmp(json_string_value(json_object_get(m, "work")), s->work) == 0;
		} else {
			json_array_foreach(matches, i, m)
			{
				const char *w = json_string_value(json_object_get(m, "work"));
				found |= w && strcmp(w, s->work) == 0;
			}
		}
		if (!found) {
			error =
			    s->has_match
			        ? pl_error_set(PL_EINVALID,
			                       "--match %llu of check %llu is not a match of %s",
			                       (unsigned long long)s->match,
			                       (unsigned long long)s->check, s->work)
			        : pl_error_set(PL_EINVALID, "check %llu has no match of %s",
			                       (unsigned long long)s->check, s->work);
			goto done;
		}
		json_object_set_new(pred, "check", pl_lineage__ref(s->check, row.leaf, NULL));
		if (s->has_match)
			json_object_set_new(pred, "match", json_integer((json_int_t)s->match));
	} else {
		uint64_t ds;
		if ((error = pl_lineage_find(l, &ds, "dataset", s->dataset)) < 0)
			goto done;
		if (!in_set(set, ds)) {
			error = pl_error_set(PL_EINVALID, "dataset %s is not in the lineage of %s",
			                     s->dataset, subject_name);
			goto done;
		}
		if ((error = pl_lineage__row(l, &row, ds)) < 0)
			goto done;
		json_object_set_new(pred, "dataset", pl_lineage__ref(ds, row.leaf, s->dataset));
	}
done:
	sqlite3_finalize(st);
	pl_lineage__row_clear(&row);
	json_decref(set);
	return error;
}

/* The fields of an attestation about the whole ledger. */
static int global_fields(json_t *pred, const pl_attest_spec *s, const char *kind)
{
	pl_buf n = PL_BUF_INIT;
	int error = PL_OK;
	if (strcmp(kind, "capability-vocabulary") == 0) {
		json_t *caps = json_array();
		json_object_set_new(pred, "capabilities", caps);
		if (s->ncapabilities == 0)
			return pl_error_set(PL_EINVALID,
			                    "a capability-vocabulary needs --capability NAME...");
		for (size_t i = 0; i < s->ncapabilities; i++)
			json_array_append_new(caps, json_string(s->capabilities[i]));
		return PL_OK;
	}
	if (!s->from || !s->jurisdiction)
		return pl_error_set(PL_EINVALID, "a %s needs --from T and --jurisdiction J", kind);
	if ((error = pl_lineage__check_time(s->from, "--from")) < 0 ||
	    (s->until && (error = pl_lineage__check_time(s->until, "--until")) < 0))
		return error;
	if (s->until && strcmp(s->until, s->from) <= 0)
		return pl_error_set(PL_EINVALID, "--until %s is not after --from %s", s->until,
		                    s->from);
	json_object_set_new(pred, "from", json_string(s->from));
	if (s->until)
		json_object_set_new(pred, "until", json_string(s->until));
	json_object_set_new(pred, "jurisdiction", json_string(s->jurisdiction));
	if (s->statement)
		json_object_set_new(pred, "statement", json_string(s->statement));
	if (strcmp(kind, "moratorium") == 0) {
		if (!s->threshold_flop && !s->threshold_parameters)
			return pl_error_set(PL_EINVALID,
			                    "a moratorium needs --threshold-flop and/or "
			                    "--threshold-parameters");
		if (s->threshold_flop) {
			if ((error = pl_lineage_parse_number(&n, s->threshold_flop)) < 0)
				goto done;
			json_object_set_new(pred, "threshold_flop", json_string(n.ptr));
		}
		if (s->threshold_parameters) {
			if ((error = pl_lineage_parse_number(&n, s->threshold_parameters)) < 0)
				goto done;
			json_object_set_new(pred, "threshold_parameters", json_string(n.ptr));
		}
	} else {
		json_t *hm = json_array();
		json_object_set_new(pred, "hardware_models", hm);
		for (size_t i = 0; i < s->nhardware_models; i++)
			json_array_append_new(hm, json_string(s->hardware_models[i]));
	}
done:
	pl_buf_free(&n);
	return error;
}

/* The subject's NAME@VERSION from its own entry ("ledger" for entry 0). */
static int subject_name(pl_buf *out, json_t *statement)
{
	json_t *p = json_object_get(statement, "predicate");
	const char *n = json_string_value(json_object_get(p, "name"));
	const char *v = json_string_value(json_object_get(p, "version"));
	if (json_string_value(json_object_get(p, "role")) &&
	    strcmp(json_string_value(json_object_get(p, "role")), "operator") == 0) {
		pl_buf_clear(out);
		return pl_buf_puts(out, "ledger");
	}
	if (!n || !v)
		return pl_error_set(PL_EINVALID, "the subject entry has no name and version");
	pl_buf_clear(out);
	return pl_buf_printf(out, "%s@%s", n, v);
}

int pl_attest(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const pl_attest_spec *spec)
{
	pl_buf role = PL_BUF_INIT, keyid = PL_BUF_INIT, sname = PL_BUF_INIT, ename = PL_BUF_INIT;
	pl_lineage_row srow = {0};
	json_t *pred = NULL, *subjects = NULL;
	char created[32];
	uint64_t subject = 0;
	int error, k = -1, is_model = 1;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (spec->kind && strcmp(spec->kind, kinds[i].kind) == 0)
			k = (int)i;
	if (k < 0) {
		error = pl_error_set(PL_EINVALID,
		                     "unknown attestation kind '%s' (training-licence, evaluation, "
		                     "deployment-approval, claim, revocation, training-report, "
		                     "inspection, moratorium, export-restriction, "
		                     "capability-vocabulary)",
		                     spec->kind ? spec->kind : "");
		goto done;
	}
	if (kinds[k].role) {
		char what[64];
		snprintf(what, sizeof(what), "attest %s", kinds[k].kind);
		if ((error = pl_ledger_require_role(l, &keyid, signer, kinds[k].role, what)) < 0)
			goto done;
		pl_buf_puts(&role, kinds[k].role);
	} else {
		/* a revocation: any registered key, under its declared role */
		pl_key_status st;
		if ((error = pl_key_fingerprint(&keyid, signer)) < 0 ||
		    (error = pl_ledger_key_status(l, &st, keyid.ptr)) < 0)
			goto done;
		if (!st.registered || st.revoked_seq >= 0) {
			error = pl_error_set(PL_EVERIFY, "signer %s is %s", keyid.ptr,
			                     st.registered ? "revoked" : "not a registered key");
			goto done;
		}
		pl_buf_puts(&role, st.role);
	}
	pred = json_object();
	if (kinds[k].subject == 0) {
		att_row a;
		if (!spec->has_revokes) {
			error = pl_error_set(PL_EINVALID, "a revocation needs --revokes SEQ");
			goto done;
		}
		if ((error = load_att(l, &a, spec->revokes)) < 0)
			goto done;
		if (strcmp(a.kind, "revocation") == 0) {
			error = pl_error_set(PL_EINVALID,
			                     "entry %llu is a revocation; it cannot be "
			                     "revoked",
			                     (unsigned long long)spec->revokes);
			goto done;
		}
		if (strcmp(a.issuer, keyid.ptr) != 0) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "attestation %llu was signed by %s, not by %s: only its "
			                 "signer can revoke it",
			                 (unsigned long long)spec->revokes, a.issuer, keyid.ptr);
			goto done;
		}
		if (a.revoked_by >= 0) {
			error = pl_error_set(
			    PL_ECONFLICT, "attestation %llu was already revoked by entry %lld",
			    (unsigned long long)spec->revokes, (long long)a.revoked_by);
			goto done;
		}
		subject = a.subject;
	} else if (kinds[k].subject == 3) {
		subject = 0; /* about the whole ledger */
		error = spec->subject ? pl_error_set(PL_EINVALID,
		                                     "a %s is about the whole ledger: it takes no "
		                                     "--subject",
		                                     kinds[k].kind)
		                      : PL_OK;
	} else if (!spec->subject) {
		error = pl_error_set(PL_EINVALID, "attest %s needs --subject NAME@VERSION",
		                     kinds[k].kind);
		goto done;
	} else if ((error = pl_lineage_find(l, &subject, "model", spec->subject)) == PL_ENOTFOUND &&
	           kinds[k].subject == 2) {
		is_model = 0;
		if ((error = pl_lineage_find(l, &subject, "dataset", spec->subject)) ==
		    PL_ENOTFOUND)
			error = pl_error_set(PL_ENOTFOUND, "no model or dataset named %s",
			                     spec->subject);
	}
	if (error < 0)
		goto done;
	if ((error = pl_lineage__row(l, &srow, subject)) < 0 ||
	    (error = subject_name(&sname, srow.statement)) < 0)
		goto done;
	if (kinds[k].subject == 0 && spec->subject && strcmp(spec->subject, sname.ptr) != 0) {
		error = pl_error_set(PL_EINVALID, "attestation %llu is about %s, not %s",
		                     (unsigned long long)spec->revokes, sname.ptr, spec->subject);
		goto done;
	}
	if (kinds[k].subject == 0) {
		pl_lineage_row rrow;
		if ((error = pl_lineage__row(l, &rrow, spec->revokes)) < 0)
			goto done;
		json_object_set_new(pred, "revokes",
		                    pl_lineage__ref(spec->revokes, rrow.leaf, NULL));
		pl_lineage__row_clear(&rrow);
	} else if (kinds[k].subject == 3) {
		error = global_fields(pred, spec, kinds[k].kind);
	} else if (strcmp(kinds[k].kind, "training-licence") == 0) {
		error = training_licence(pred, spec);
		if (error == PL_OK && spec->nlifts) {
			json_t *lifts = json_array();
			json_object_set_new(pred, "lifts", lifts);
			for (size_t i = 0; i < spec->nlifts && error == PL_OK; i++) {
				att_row a;
				pl_lineage_row mrow;
				if ((error = load_att(l, &a, spec->lifts[i])) < 0)
					break;
				if (strcmp(a.kind, "moratorium") != 0) {
					error = pl_error_set(
					    PL_EINVALID,
					    "--lifts %llu: entry %llu is a %s, not a "
					    "moratorium",
					    (unsigned long long)spec->lifts[i],
					    (unsigned long long)spec->lifts[i], a.kind);
					break;
				}
				if ((error = pl_lineage__row(l, &mrow, spec->lifts[i])) < 0)
					break;
				json_array_append_new(
				    lifts, pl_lineage__ref(spec->lifts[i], mrow.leaf, NULL));
				pl_lineage__row_clear(&mrow);
			}
		}
	} else if (strcmp(kinds[k].kind, "evaluation") == 0) {
		error = evaluation(pred, spec);
	} else if (strcmp(kinds[k].kind, "training-report") == 0) {
		error = training_report(pred, spec);
		if (error == PL_OK) {
			/* the model's own lab reports on its run */
			const char *lab =
			    pl_json_str(json_object_get(srow.statement, "predicate"), "lab");
			if (!lab || strcmp(lab, keyid.ptr) != 0)
				error = pl_error_set(
				    PL_EINVALID,
				    "a training-report is signed by the model's lab (%s), "
				    "not %s",
				    lab ? lab : "?", keyid.ptr);
		}
	} else if (strcmp(kinds[k].kind, "inspection") == 0) {
		if (!spec->summary || !*spec->summary)
			error = pl_error_set(PL_EINVALID, "an inspection needs --summary");
		else
			json_object_set_new(pred, "summary", json_string(spec->summary));
	} else if (strcmp(kinds[k].kind, "deployment-approval") == 0) {
		error = approval(l, pred, spec, subject, sname.ptr);
	} else {
		error = claim(l, pred, spec, subject, is_model, sname.ptr);
	}
	if (error < 0)
		goto done;
	pl_rfc3339(created, pl_ledger_time(l));
	json_object_set_new(pred, "created", json_string(created));
	json_object_set_new(pred, "kind", json_string(kinds[k].kind));
	json_object_set_new(pred, "issuer_role", json_string(role.ptr));
	json_object_set_new(pred, "subject", pl_lineage__ref(subject, srow.leaf, sname.ptr));
	pl_buf_printf(&ename, "attestation:%s:%s", kinds[k].kind, sname.ptr);
	subjects = json_pack("[{s:s, s:{s:s}}]", "name", ename.ptr, "digest", "sha256", srow.leaf);
	error = pl_ledger_append_statement(l, out, signer, "attestation", subjects, pred, NULL, 0);
	subjects = pred = NULL;
done:
	json_decref(pred);
	json_decref(subjects);
	pl_lineage__row_clear(&srow);
	pl_buf_free(&role);
	pl_buf_free(&keyid);
	pl_buf_free(&sname);
	pl_buf_free(&ename);
	return error;
}
