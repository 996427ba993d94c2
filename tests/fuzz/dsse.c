/* Fuzz DSSE envelopes (pl_dsse_parse) and entries (pl_entry__decode, then the
 * subject index's reading of a statement): a parsed envelope is exactly the
 * canonical serialisation of its parts. */
#include "fuzz.h"
#include "ledger_internal.h"
#include "pl_subjects.h"

static void check_rebuild(const pl_dsse *d, const uint8_t *data, size_t size)
{
	pl_buf p = PL_BUF_INIT, s = PL_BUF_INIT, env = PL_BUF_INIT;
	json_t *o;
	FUZZ_ASSERT(pl_base64_encode(&p, (const unsigned char *)d->payload.ptr, d->payload.len) ==
	            PL_OK);
	FUZZ_ASSERT(pl_base64_encode(&s, d->sig, sizeof(d->sig)) == PL_OK);
	o = json_pack("{s:s%, s:s%, s:[{s:s, s:s%}]}", "payload", p.ptr ? p.ptr : "", p.len,
	              "payloadType", d->type.ptr, d->type.len, "signatures", "keyid", d->keyid,
	              "sig", s.ptr, s.len);
	FUZZ_ASSERT(o != NULL);
	FUZZ_ASSERT(pl_json_canonical(&env, o) == PL_OK);
	FUZZ_ASSERT(env.len == size && memcmp(env.ptr, data, size) == 0);
	json_decref(o);
	pl_buf_free(&p);
	pl_buf_free(&s);
	pl_buf_free(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *env = (const char *)data;
	pl_dsse d = {0};
	pl_entry e;
	pl_edges edges = {0};

	if (pl_dsse_parse(&d, env, size) == PL_OK) {
		check_rebuild(&d, data, size);
		int rc = pl_dsse_verify(&d, fuzz_test_key());
		FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
	}
	pl_dsse_clear(&d);
	if (pl_entry__decode(&e, env, size) == PL_OK) {
		FUZZ_ASSERT(e.name != NULL && e.type[0] != '\0');
		pl_subjects_edges(&edges, e.type, e.statement);
	}
	pl_entry__clear(&e);
	pl_edges_free(&edges);
	return 0;
}
