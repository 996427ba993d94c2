/* Fuzz the add-checkpoint requests a witness takes from anyone
 * (pl_witness_add: the old size line, proof lines, the checkpoint note and
 * its signatures) for the fixture log, and the cosignatures it verifies on
 * arbitrary notes (pl_cosig_verify): every request gets one of the
 * protocol's statuses, a 200 answer is a cosignature that verifies, and a
 * state is never moved back (the witness's state directory lives for the
 * whole run, so sizes accumulate). */
#include "fuzz.h"
#include "pl_note.h"
#include "pl_witness.h"

#define WNAME "witness.example/fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pl_witness *w;
	static pl_key *wk;
	pl_witness_log log = {FUZZ_ORIGIN, NULL};
	pl_buf ans = PL_BUF_INIT, before = PL_BUF_INIT, after = PL_BUF_INIT, full = PL_BUF_INIT;
	const char *in = (const char *)data;
	int status = 0, rc;
	uint64_t t;

	if (!w) {
		char dir[600];
		log.key = fuzz_test_key();
		snprintf(dir, sizeof(dir), "%s/state", fuzz_dir());
		if (pl_key_generate(&wk) < 0 || pl_witness_open(&w, dir, WNAME, wk, &log, 1) < 0)
			abort();
	}
	rc = pl_cosig_verify(&t, in, size, WNAME, wk);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID || rc == PL_EVERIFY);

	pl_witness_state(w, &before, FUZZ_ORIGIN);
	rc = pl_witness_add(w, in, size, 1790000000, &status, &ans);
	FUZZ_ASSERT(rc == PL_OK);
	FUZZ_ASSERT(status == 200 || status == 400 || status == 403 || status == 404 ||
	            status == 409 || status == 422);
	pl_witness_state(w, &after, FUZZ_ORIGIN);
	if (status == 200) {
		/* the answer cosigns the checkpoint the request carried */
		const char *note = memchr(in, '\n', size);
		while (note && note + 1 < in + size && note[1] != '\n')
			note = memchr(note + 1, '\n', (size_t)(in + size - note - 1));
		FUZZ_ASSERT(note);
		pl_buf_put(&full, note + 2, (size_t)(in + size - note - 2));
		pl_buf_put(&full, ans.ptr, ans.len);
		FUZZ_ASSERT(pl_cosig_verify(NULL, full.ptr, full.len, WNAME, wk) == PL_OK);
	} else {
		FUZZ_ASSERT(before.len == after.len &&
		            (!before.len || memcmp(before.ptr, after.ptr, before.len) == 0));
	}
	pl_buf_free(&ans);
	pl_buf_free(&before);
	pl_buf_free(&after);
	pl_buf_free(&full);
	return 0;
}
