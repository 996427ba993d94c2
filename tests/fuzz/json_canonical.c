/* Fuzz strict JSON parsing (pl_json_parse) and canonical serialisation: a
 * parsed document that serialises must re-parse to an equal value and
 * serialise to the same bytes again (SPEC §6). */
#include "fuzz.h"
#include "pl_dsse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL, *w = NULL;
	pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;

	if (pl_json_parse(&v, (const char *)data, size, "fuzz") < 0)
		goto done;
	if (pl_json_canonical(&a, v) < 0) {
		FUZZ_ASSERT(a.len == 0); /* on failure out is as it was */
		goto done;
	}
	FUZZ_ASSERT(pl_json_parse(&w, a.ptr, a.len, "canonical") == PL_OK);
	FUZZ_ASSERT(json_equal(v, w));
	FUZZ_ASSERT(pl_json_canonical(&b, w) == PL_OK);
	FUZZ_ASSERT(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
done:
	json_decref(v);
	json_decref(w);
	pl_buf_free(&a);
	pl_buf_free(&b);
	return 0;
}
