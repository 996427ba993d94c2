/* entry.c - in-toto Statements in DSSE envelopes: building, signing, decoding. */
#include <stdio.h>
#include <string.h>

#include "ledger_internal.h"

#define PREDICATE_PREFIX "https://provledger.dev/"

int pl_entry__sign(pl_buf *env, const pl_key *k, const char *type, json_t *subjects,
                   json_t *predicate)
{
	pl_buf payload = PL_BUF_INIT;
	char ptype[128];
	json_t *st = json_object();
	int error;

	snprintf(ptype, sizeof(ptype), PREDICATE_PREFIX "%s/v1", type);
	if (!st ||
	    json_object_set_new(st, "_type", json_string("https://in-toto.io/Statement/v1")) ||
	    json_object_set_new(st, "subject", subjects) ||
	    json_object_set_new(st, "predicateType", json_string(ptype)) ||
	    json_object_set_new(st, "predicate", predicate)) {
		subjects = predicate = NULL;
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_json_canonical(&payload, st)) < 0)
		goto done;
	error = pl_dsse_sign(env, k, PL_INTOTO_TYPE, payload.ptr, payload.len);
done:
	json_decref(st);
	pl_buf_free(&payload);
	return error;
}

int pl_entry__decode(pl_entry *out, const char *env, size_t len)
{
	const char *pt;
	json_t *subj, *pred;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = pl_dsse_parse(&out->dsse, env, len)) < 0)
		goto done;
	if (strcmp(out->dsse.type.ptr ? out->dsse.type.ptr : "", PL_INTOTO_TYPE) != 0) {
		error = pl_error_set(PL_EINVALID, "payloadType is not %s", PL_INTOTO_TYPE);
		goto done;
	}
	if ((error = pl_json_parse(&out->statement, out->dsse.payload.ptr, out->dsse.payload.len,
	                           "statement")) < 0)
		goto done;
	if (!json_is_object(out->statement) ||
	    !json_string_value(json_object_get(out->statement, "_type")) ||
	    strcmp(json_string_value(json_object_get(out->statement, "_type")),
	           "https://in-toto.io/Statement/v1") != 0) {
		error = pl_error_set(PL_EINVALID, "payload is not an in-toto Statement v1");
		goto done;
	}
	pt = json_string_value(json_object_get(out->statement, "predicateType"));
	subj = json_object_get(out->statement, "subject");
	pred = json_object_get(out->statement, "predicate");
	if (!pt || strncmp(pt, PREDICATE_PREFIX, strlen(PREDICATE_PREFIX)) != 0 ||
	    !json_is_array(subj) || !json_is_object(pred)) {
		error = pl_error_set(PL_EINVALID, "statement lacks a provledger predicate");
		goto done;
	}
	pt += strlen(PREDICATE_PREFIX);
	{
		const char *slash = strchr(pt, '/');
		size_t n = slash ? (size_t)(slash - pt) : 0;
		if (!slash || n == 0 || n >= sizeof(out->type) || strcmp(slash, "/v1") != 0) {
			error = pl_error_set(PL_EINVALID, "unknown predicateType");
			goto done;
		}
		memcpy(out->type, pt, n);
		out->type[n] = '\0';
	}
	out->name = json_string_value(json_object_get(json_array_get(subj, 0), "name"));
	if (!out->name)
		out->name = "-";
	if (strcmp(out->type, "dataset") == 0 || strcmp(out->type, "model") == 0) {
		/* datasets and models are called by name@version, never by a shard
		 * or a weights file */
		const char *n = json_string_value(json_object_get(pred, "name"));
		const char *v = json_string_value(json_object_get(pred, "version"));
		if (n && v &&
		    snprintf(out->label, sizeof(out->label), "%s@%s", n, v) <
		        (int)sizeof(out->label))
			out->name = out->label;
	}
	out->created = json_string_value(json_object_get(pred, "created"));
	if (!out->created) {
		error = pl_error_set(PL_EINVALID, "predicate lacks \"created\"");
		goto done;
	}
	error = PL_OK;
done:
	if (error < 0)
		pl_entry__clear(out);
	return error;
}

void pl_entry__clear(pl_entry *e)
{
	if (!e)
		return;
	pl_dsse_clear(&e->dsse);
	json_decref(e->statement);
	e->statement = NULL;
}
