/* Fuzz normalization and tokenizing (pl_tokenize) and winnowing: the ASCII
 * fast path and the general path must agree, tokens lie inside the text, and
 * fingerprints are sorted by position and inside the token list. */
#include "fuzz.h"
#include "pl_text.h"

static void check_winnow(const pl_tokens *t, unsigned k, unsigned w)
{
	pl_fps f = {0};
	FUZZ_ASSERT(pl_winnow(&f, t->hash, t->count, k, w) == PL_OK);
	if (t->count < k)
		FUZZ_ASSERT(f.count == 0);
	for (size_t i = 0; i < f.count; i++) {
		FUZZ_ASSERT((size_t)f.v[i].pos + k <= t->count);
		FUZZ_ASSERT(i == 0 || f.v[i].pos > f.v[i - 1].pos);
		FUZZ_ASSERT(f.v[i].hash == pl_shingle_hash(t->hash + f.v[i].pos, k));
	}
	/* at least one fingerprint in every window of w shingles */
	if (t->count >= k + w - 1)
		for (size_t i = 1; i < f.count; i++)
			FUZZ_ASSERT(f.v[i].pos - f.v[i - 1].pos <= w);
	pl_fps_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	pl_tokens a = {0}, b = {0};
	int ra, rb;

	for (unsigned flags = 0; flags <= PL_TOK_LOSSY; flags++) {
		ra = pl_tokenize(&a, text, size, flags);
		rb = pl_tokenize(&b, text, size, flags | PL_TOK_NO_FASTPATH);
		FUZZ_ASSERT(ra == rb);
		if (ra < 0) {
			FUZZ_ASSERT(ra == PL_EINVALID);
			FUZZ_ASSERT(a.count == 0 && a.text.len == 0);
			FUZZ_ASSERT(a.bad_offset == b.bad_offset && a.bad_offset < size);
			continue;
		}
		FUZZ_ASSERT(a.count == b.count);
		FUZZ_ASSERT(a.text.len == b.text.len &&
		            (a.text.len == 0 || memcmp(a.text.ptr, b.text.ptr, a.text.len) == 0));
		for (size_t i = 0; i < a.count; i++) {
			FUZZ_ASSERT(a.hash[i] == b.hash[i]);
			FUZZ_ASSERT(a.off[i] == b.off[i] && a.len[i] == b.len[i]);
			FUZZ_ASSERT((size_t)a.off[i] + a.len[i] <= size);
			/* not disjoint: "0\u00be" is "03\u20444", two tokens from "\u00be" */
			FUZZ_ASSERT(i == 0 || a.off[i] >= a.off[i - 1]);
		}
		/* the normalized text is UTF-8 and tokenizes to the same tokens */
		if (a.text.len) {
			FUZZ_ASSERT(pl_tokenize(&b, a.text.ptr, a.text.len, 0) == PL_OK);
			FUZZ_ASSERT(b.count == a.count);
		}
		check_winnow(&a, PL_WINNOW_K, PL_WINNOW_W);
		check_winnow(&a, PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W);
		check_winnow(&a, 1, 1);
	}
	pl_tokens_free(&a);
	pl_tokens_free(&b);
	return 0;
}
