/* Fuzz registry files (pl_regfile_map): any bytes are a matcher or
 * PL_EINVALID; the same bytes with their digest made right (so the fuzzer
 * gets past it) reach the layout and content checks; a file that passes them
 * is matched against, which must not read outside it. */
#include "fuzz.h"
#include "pl_hash.h"
#include "pl_regfile.h"

#define OFF_DIGEST 176

static void map_and_match(const uint8_t *data, size_t size)
{
	static const char text[] = "river stone light house garden winter silver morning letter "
	                           "window shadow voice bridge market forest candle harbor meadow";
	pl_matcher *m = NULL;
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_matches ms = {0};
	pl_match_scratch sc = {0};
	pl_match_opts o = {1, 50};
	int rc = pl_regfile_map(&m, NULL, fuzz_file("r.tbl", data, size, 0600));
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID);
	if (rc != PL_OK)
		return;
	FUZZ_ASSERT(pl_matcher_seal(m) == PL_OK);
	for (unsigned k = 1; k <= 3; k++) {
		FUZZ_ASSERT(pl_tokenize(&t, text, sizeof(text) - 1, 0) == PL_OK);
		if (pl_winnow(&f, t.hash, t.count, k, 2) == PL_OK)
			pl_matcher_match(m, &ms, &sc, &t, &f, NULL, &o);
	}
	pl_matcher_has_length(m, 18);
	pl_tokens_free(&t);
	pl_fps_free(&f);
	pl_matches_free(&ms);
	pl_match_scratch_free(&sc);
	pl_matcher_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	map_and_match(data, size);
	if (size < 256 || (fixed = malloc(size)) == NULL)
		return 0;
	memcpy(fixed, data, size);
	memset(fixed + OFF_DIGEST, 0, PL_HASH_LEN);
	pl_sha256(fixed + OFF_DIGEST, fixed, size);
	map_and_match(fixed, size);
	free(fixed);
	return 0;
}
