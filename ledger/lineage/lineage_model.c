/* lineage_model.c - `model register`: validate, hash the weights, append. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineage_internal.h"
#include "pl_hardware.h"
#include "pl_rules.h"

#define WEIGHTS_BUF (1 << 20)

/* SHA-256 of a file, streaming through a 1 MiB buffer. */
static int hash_file(char hex[65], const char *path)
{
	pl_sha256_ctx *ctx = NULL;
	unsigned char d[PL_HASH_LEN], *buf = NULL;
	FILE *f = NULL;
	size_t n;
	int error;

	if ((f = fopen(path, "rb")) == NULL) {
		error = pl_error_set(errno == ENOENT ? PL_ENOTFOUND : PL_ERROR, "%s: %s", path,
		                     strerror(errno));
		goto done;
	}
	if ((buf = malloc(WEIGHTS_BUF)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_sha256_new(&ctx)) < 0)
		goto done;
	while ((n = fread(buf, 1, WEIGHTS_BUF, f)) > 0)
		pl_sha256_update(ctx, buf, n);
	if (ferror(f)) {
		error = pl_error_set(PL_ERROR, "%s: read error", path);
		goto done;
	}
	pl_sha256_final(ctx, d);
	pl_hex(hex, d, PL_HASH_LEN);
done:
	pl_sha256_free(ctx);
	free(buf);
	if (f)
		fclose(f);
	return error;
}

/* "H100:1024" -> {"accelerator": "H100", "count": 1024} */
static int parse_hardware(json_t **out, const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long long n;
	if (!colon || colon == s || !colon[1] || colon[1] == '-' || colon[1] == '+')
		goto bad;
	for (const char *p = s; p < colon; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			goto bad;
	errno = 0;
	n = strtoull(colon + 1, &end, 10);
	if (errno || *end || n == 0 || n > (1ULL << 53))
		goto bad;
	*out =
	    json_pack("{s:s%, s:I}", "accelerator", s, (size_t)(colon - s), "count", (json_int_t)n);
	return PL_OK;
bad:
	return pl_error_set(PL_EINVALID,
	                    "--hardware '%s' is not TYPE:COUNT (an accelerator and a positive "
	                    "count, e.g. H100:1024)",
	                    s);
}

/* Append refs for each NAME@VERSION of the given type; refused when missing or
 * named twice. */
/* "BATCH[:COUNT]" (COUNT: default every chip of the batch) into a batch
 * reference with its count. */
static int add_batch(pl_ledger *l, json_t *arr, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	pl_buf name = PL_BUF_INIT;
	pl_lineage_row b = {0};
	uint64_t seq, count = 0;
	json_int_t have;
	json_t *ref;
	int error;

	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		if (strlen(colon + 1) > 10 || (count = strtoull(colon + 1, NULL, 10)) == 0) {
			error = pl_error_set(PL_EINVALID,
			                     "--hardware-batch '%s': COUNT must be 1 or more", arg);
			goto done;
		}
		pl_buf_put(&name, arg, (size_t)(colon - arg));
	} else {
		pl_buf_puts(&name, arg);
	}
	if ((error = pl_hardware_find(l, &seq, name.ptr ? name.ptr : "")) < 0 ||
	    (error = pl_lineage__row(l, &b, seq)) < 0) {
		pl_error_prefix(error, "--hardware-batch");
		goto done;
	}
	have =
	    json_integer_value(json_object_get(json_object_get(b.statement, "predicate"), "count"));
	if (count == 0)
		count = (uint64_t)have;
	if (count > (uint64_t)have) {
		error = pl_error_set(PL_EINVALID, "--hardware-batch '%s': batch %s has %lld chips",
		                     arg, name.ptr, (long long)have);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (json_integer_value(json_object_get(json_array_get(arr, i), "seq")) ==
		    (json_int_t)seq) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "--hardware-batch '%s': batch %s is named twice (give its "
			                 "chips once, as BATCH:COUNT)",
			                 arg, name.ptr);
			goto done;
		}
	ref = pl_lineage__ref(seq, b.leaf,
	                      pl_json_str(json_object_get(b.statement, "predicate"), "name"));
	json_object_set_new(ref, "count", json_integer((json_int_t)count));
	json_array_append_new(arr, ref);
done:
	pl_lineage__row_clear(&b);
	pl_buf_free(&name);
	return error;
}

static int add_refs(pl_ledger *l, json_t *arr, const char *type, const char *const *names, size_t n)
{
	int error;
	for (size_t i = 0; i < n; i++) {
		pl_lineage_row row;
		uint64_t seq;
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return pl_error_set(PL_EINVALID, "%s %s is named twice", type,
				                    names[i]);
		if ((error = pl_lineage_find(l, &seq, type, names[i])) < 0)
			return error;
		if ((error = pl_lineage__row(l, &row, seq)) < 0)
			return error;
		json_array_append_new(arr, pl_lineage__ref(seq, row.leaf, names[i]));
		pl_lineage__row_clear(&row);
	}
	return PL_OK;
}

int pl_model_register(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                      const pl_model_spec *spec)
{
	pl_buf role = PL_BUF_INIT, keyid = PL_BUF_INIT, flop = PL_BUF_INIT, params = PL_BUF_INIT,
	       nv = PL_BUF_INIT, canon = PL_BUF_INIT;
	json_t *pred = NULL, *subjects = NULL, *datasets = NULL, *bases = NULL, *hw = NULL;
	char created[32];
	uint64_t existing;
	int error, frontier;

	if ((error = pl_lineage_check_name(spec->name, "model name")) < 0 ||
	    (error = pl_lineage_check_name(spec->version, "model version")) < 0)
		goto done;
	pl_buf_printf(&nv, "%s@%s", spec->name, spec->version);
	if ((error = pl_ledger_require_role(l, &keyid, signer, "lab", "model register")) < 0)
		goto done;
	if (!spec->training_flop || !spec->parameters) {
		error = pl_error_set(PL_EINVALID, "a model needs training_flop and parameters");
		goto done;
	}
	if ((error = pl_lineage_parse_number(&flop, spec->training_flop)) < 0) {
		pl_error_prefix(error, "--training-flop");
		goto done;
	}
	if ((error = pl_lineage_parse_number(&params, spec->parameters)) < 0) {
		pl_error_prefix(error, "--parameters");
		goto done;
	}
	{
		int needs_data = 1;
		if (spec->relation && !pl_rules_model_relation(spec->relation, &needs_data)) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "--relation %s: not finetune, adapter, quantized, merge "
			                 "or distillation",
			                 spec->relation);
			goto done;
		}
		if (spec->relation && spec->nbases == 0) {
			error =
			    pl_error_set(PL_EINVALID, "--relation %s needs --base", spec->relation);
			goto done;
		}
		if (spec->relation && strcmp(spec->relation, "quantized") == 0 &&
		    spec->nbases != 1) {
			error =
			    pl_error_set(PL_EINVALID, "a quantized model has exactly one --base");
			goto done;
		}
		if (spec->relation && strcmp(spec->relation, "merge") == 0 && spec->nbases < 2) {
			error = pl_error_set(PL_EINVALID, "a merge has at least two --base");
			goto done;
		}
		if (spec->ndatasets == 0 && needs_data) {
			error =
			    pl_error_set(PL_EINVALID,
			                 "a model needs at least one dataset%s%s (a quantized or "
			                 "merged model needs none)",
			                 spec->relation ? " when it is a " : "",
			                 spec->relation ? spec->relation : "");
			goto done;
		}
	}
	if (spec->hardware && (error = parse_hardware(&hw, spec->hardware)) < 0)
		goto done;
	if ((spec->started && (error = pl_lineage__check_time(spec->started, "--started")) < 0) ||
	    (spec->finished && (error = pl_lineage__check_time(spec->finished, "--finished")) < 0))
		goto done;
	if (spec->started && spec->finished && strcmp(spec->finished, spec->started) < 0) {
		error = pl_error_set(PL_EINVALID, "--finished %s is before --started %s",
		                     spec->finished, spec->started);
		goto done;
	}
	for (size_t i = 0; i < spec->nbases; i++) {
		if (strcmp(spec->bases[i], nv.ptr) == 0) {
			error = pl_error_set(PL_EINVALID, "a model cannot be its own base (%s)",
			                     nv.ptr);
			goto done;
		}
	}
	if ((error = pl_lineage_find(l, &existing, "model", nv.ptr)) == PL_OK) {
		error = pl_error_set(PL_ECONFLICT, "model %s is already registered (seq %llu)",
		                     nv.ptr, (unsigned long long)existing);
		goto done;
	} else if (error != PL_ENOTFOUND) {
		goto done;
	}
	datasets = json_array();
	bases = json_array();
	subjects = json_array();
	if ((error = add_refs(l, datasets, "dataset", spec->datasets, spec->ndatasets)) < 0 ||
	    (error = add_refs(l, bases, "model", spec->bases, spec->nbases)) < 0)
		goto done;
	for (size_t i = 0; i < spec->nweights; i++) {
		char hex[65];
		if ((error = hash_file(hex, spec->weights[i])) < 0)
			goto done;
		json_array_append_new(
		    subjects,
		    json_pack("{s:s, s:{s:s}}", "name", spec->weights[i], "digest", "sha256", hex));
	}
	frontier = spec->frontier || pl_lineage_is_frontier(flop.ptr, params.ptr);
	pl_rfc3339(created, pl_ledger_time(l));
	pred = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:b}", "created", created,
	                 "name", spec->name, "version", spec->version, "lab", keyid.ptr, "datasets",
	                 datasets, "base_models", bases, "training_flop", flop.ptr, "parameters",
	                 params.ptr, "frontier", frontier);
	if (!pred) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (hw) {
		json_object_set_new(pred, "hardware", hw);
		hw = NULL;
	}
	if (spec->nhardware_batches) {
		json_t *hb = json_array();
		json_object_set_new(pred, "hardware_batches", hb);
		for (size_t i = 0; i < spec->nhardware_batches; i++)
			if ((error = add_batch(l, hb, spec->hardware_batches[i])) < 0)
				goto done;
	}
	if (spec->jurisdiction)
		json_object_set_new(pred, "jurisdiction", json_string(spec->jurisdiction));
	if (spec->mitigates) {
		size_t i;
		json_t *r = NULL;
		json_array_foreach(
		    bases, i, r) if (strcmp(pl_json_str(r, "name"), spec->mitigates) == 0) break;
		if (i == json_array_size(bases)) {
			error = pl_error_set(PL_EINVALID,
			                     "--mitigates %s is not one of its --base models",
			                     spec->mitigates);
			goto done;
		}
		json_object_set(pred, "mitigates", r);
	}
	if (spec->nbases)
		json_object_set_new(pred, "base_relation",
		                    json_string(spec->relation ? spec->relation : "finetune"));
	if (spec->started)
		json_object_set_new(pred, "started", json_string(spec->started));
	if (spec->finished)
		json_object_set_new(pred, "finished", json_string(spec->finished));
	if (spec->nweights == 0) {
		unsigned char d[PL_HASH_LEN];
		char hex[65];
		pl_buf sname = PL_BUF_INIT;
		if ((error = pl_json_canonical(&canon, pred)) < 0)
			goto done;
		pl_sha256(d, canon.ptr, canon.len);
		pl_hex(hex, d, PL_HASH_LEN);
		pl_buf_printf(&sname, "model:%s", nv.ptr);
		json_array_append_new(subjects, json_pack("{s:s, s:{s:s}}", "name", sname.ptr,
		                                          "digest", "sha256", hex));
		pl_buf_free(&sname);
	}
	error = pl_ledger_append_statement(l, out, signer, "model", subjects, pred, NULL, 0);
	subjects = pred = NULL;
done:
	json_decref(pred);
	json_decref(subjects);
	json_decref(datasets);
	json_decref(bases);
	json_decref(hw);
	pl_buf_free(&role);
	pl_buf_free(&keyid);
	pl_buf_free(&flop);
	pl_buf_free(&params);
	pl_buf_free(&nv);
	pl_buf_free(&canon);
	return error;
}
