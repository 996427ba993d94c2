/* Unit tests of ledger/match.c: exact, partial and near-duplicate matches on
 * generated text, spans right to the token, boilerplate and negatives. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_match.h"

static const char *words[] = {
    "river",  "stone",   "light",   "house",  "garden", "winter",  "silver", "morning",
    "letter", "window",  "shadow",  "voice",  "bridge", "market",  "forest", "candle",
    "harbor", "meadow",  "thunder", "paper",  "orange", "castle",  "mirror", "pocket",
    "saddle", "lantern", "ribbon",  "timber", "velvet", "whisper", "anchor", "blossom"};

/* n pseudo-random words from seed, space separated. */
static void gen(pl_buf *b, unsigned seed, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned a = (seed >> 16) % 32;
		seed = seed * 1103515245u + 12345u;
		unsigned c = (seed >> 16) % 1000;
		pl_buf_printf(b, "%s%s%u", i ? " " : "", words[a], c);
	}
}

static void fingerprint(pl_tokens *t, pl_fps *f, const char *s, size_t n, unsigned k, unsigned w)
{
	CHECK_OK(pl_tokenize(t, s, n, 0));
	CHECK_OK(pl_winnow(f, t->hash, t->count, k, w));
}

static pl_matcher *make(unsigned k, unsigned w, int nworks, size_t len)
{
	pl_matcher *m;
	CHECK_OK(pl_matcher_new(&m, k, w));
	for (int i = 0; i < nworks; i++) {
		pl_buf text = PL_BUF_INIT, blob = PL_BUF_INIT;
		pl_tokens t = {0};
		pl_fps f = {0};
		pl_match_work mw = {0};
		gen(&text, 1000u + (unsigned)i, len);
		fingerprint(&t, &f, text.ptr, text.len, k, w);
		snprintf(mw.id, sizeof(mw.id), "W%016d", i);
		pl_sha256(mw.normalized_sha256, t.text.ptr, t.text.len);
		mw.tokens = (uint32_t)t.count;
		CHECK_OK(pl_fps_serialize(&blob, &f));
		CHECK_OK(pl_matcher_add(m, &mw, (unsigned char *)blob.ptr, f.count));
		pl_buf_free(&text);
		pl_buf_free(&blob);
		pl_tokens_free(&t);
		pl_fps_free(&f);
	}
	CHECK_OK(pl_matcher_seal(m));
	return m;
}

static void run(pl_matcher *m, pl_matches *out, const char *s, size_t n)
{
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_match_scratch sc = {0};
	pl_match_opts o = {50, 50};
	unsigned char sha[32];
	fingerprint(&t, &f, s, n, pl_matcher_k(m), pl_matcher_w(m));
	pl_sha256(sha, t.text.ptr, t.text.len);
	CHECK_OK(pl_matcher_match(m, out, &sc, &t, &f, sha, &o));
	pl_tokens_free(&t);
	pl_fps_free(&f);
	pl_match_scratch_free(&sc);
}

PL_TEST(match, exact_copy_is_exact)
{
	pl_matcher *m = make(13, 38, 5, 2000);
	pl_buf text = PL_BUF_INIT;
	pl_matches out = {0};
	gen(&text, 1003, 2000);
	/* reflowed and upper-cased: same normalized text */
	for (size_t i = 0; i < text.len; i++) {
		if (text.ptr[i] == ' ' && i % 7 == 0)
			text.ptr[i] = '\n';
		if (text.ptr[i] >= 'a' && text.ptr[i] <= 'z' && i % 3 == 0)
			text.ptr[i] = (char)(text.ptr[i] - 32);
	}
	run(m, &out, text.ptr, text.len);
	CHECK_EQ_INT(out.count, 1);
	CHECK_EQ_INT(out.v[0].cls, PL_MATCH_EXACT);
	CHECK_STR(pl_matcher_work(m, out.v[0].work)->id, "W0000000000000003");
	pl_matches_free(&out);
	pl_buf_free(&text);
	pl_matcher_free(m);
}

/* Excerpts of 50..500 tokens at every offset class are found, and the verified
 * span lies inside the excerpt. */
PL_TEST(match, excerpts_are_found_inside_their_span)
{
	pl_matcher *m = make(13, 38, 20, 3000);
	int found = 0, tried = 0;
	for (unsigned len = 50; len <= 500; len += 45) {
		for (unsigned start = 0; start < 2500; start += 311) {
			pl_buf work = PL_BUF_INIT, rec = PL_BUF_INIT, pre = PL_BUF_INIT,
			       post = PL_BUF_INIT;
			pl_tokens wt = {0};
			pl_matches out = {0};
			gen(&work, 1007, 3000);
			CHECK_OK(pl_tokenize(&wt, work.ptr, work.len, 0));
			gen(&pre, 500077 + start, 100);
			gen(&post, 700099 + start, 80);
			uint32_t a = wt.off[start],
			         z = wt.off[start + len - 1] + wt.len[start + len - 1];
			pl_buf_printf(&rec, "%s %.*s %s", pre.ptr, (int)(z - a), work.ptr + a,
			              post.ptr);
			run(m, &out, rec.ptr, rec.len);
			tried++;
			for (size_t i = 0; i < out.count; i++) {
				pl_match *x = &out.v[i];
				if (strcmp(pl_matcher_work(m, x->work)->id, "W0000000000000007") !=
				    0)
					continue;
				CHECK(x->rec_tok0 >= 100 && x->rec_tok1 <= 100 + len);
				CHECK(x->work_tok0 >= start && x->work_tok1 <= start + len);
				CHECK_EQ_INT(x->work_tok0 - start, x->rec_tok0 - 100);
				found++;
				break;
			}
			if (out.count != 1)
				for (size_t i = 0; i < out.count; i++)
					fprintf(stderr,
					        "len %u start %u: %s r[%u,%u) w[%u,%u) n=%u\n", len,
					        start, pl_matcher_work(m, out.v[i].work)->id,
					        out.v[i].rec_tok0, out.v[i].rec_tok1,
					        out.v[i].work_tok0, out.v[i].work_tok1,
					        out.v[i].matched_tokens);
			CHECK_EQ_INT(out.count, 1);
			pl_matches_free(&out);
			pl_tokens_free(&wt);
			pl_buf_free(&work);
			pl_buf_free(&rec);
			pl_buf_free(&pre);
			pl_buf_free(&post);
		}
	}
	CHECK_EQ_INT(found, tried);
	pl_matcher_free(m);
}

PL_TEST(match, unrelated_text_does_not_match)
{
	pl_matcher *m = make(13, 38, 20, 3000);
	pl_buf text = PL_BUF_INIT;
	pl_matches out = {0};
	gen(&text, 555555, 20000);
	run(m, &out, text.ptr, text.len);
	CHECK_EQ_INT(out.count, 0);
	pl_matches_free(&out);
	pl_buf_free(&text);
	pl_matcher_free(m);
}
