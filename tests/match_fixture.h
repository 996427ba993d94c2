/* match_fixture.h - unit tests' works for a matcher: a text registered as
 * work "W%016d" (i), as pl_registry_matcher adds a registered work. */
#ifndef PL_MATCH_FIXTURE_H
#define PL_MATCH_FIXTURE_H

#include <stdio.h>

#include "harness.h"
#include "pl_match.h"

/* Add text[0..len) to m as work i in scheme (k, w); with spans (not NULL),
 * its span hashes go there and the work is registered with them. */
static inline void pl_test_add_work(pl_matcher *m, int i, const char *text, size_t len, unsigned k,
                                    unsigned w, pl_buf *spans)
{
	pl_buf blob = PL_BUF_INIT;
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_match_work mw = {0};
	CHECK_OK(pl_tokenize(&t, text, len, 0));
	CHECK_OK(pl_winnow(&f, t.hash, t.count, k, w));
	snprintf(mw.id, sizeof(mw.id), "W%016d", i);
	pl_sha256(mw.normalized_sha256, t.text.ptr, t.text.len);
	mw.tokens = (uint32_t)t.count;
	if (spans) {
		CHECK_OK(pl_span_hashes(spans, t.hash, t.count));
		mw.has_spans = 1;
		mw.nspans = (uint32_t)pl_span_count(t.count);
	}
	CHECK_OK(pl_fps_serialize(&blob, &f));
	CHECK_OK(pl_matcher_add(m, &mw, (unsigned char *)blob.ptr, f.count));
	pl_buf_free(&blob);
	pl_tokens_free(&t);
	pl_fps_free(&f);
}

#endif
