/* Unit tests of ledger/match.c: exact, partial and near-duplicate matches on
 * generated text, spans right to the token, boilerplate and negatives. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "match_fixture.h"
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

/* Span hashes of the works make() registers with spans, by work index. */
typedef struct {
	pl_buf spans[32];
	int nworks;
	int calls;
} span_store;

static int load_spans(void *ctx, pl_buf *out, const pl_match_work *w)
{
	span_store *st = ctx;
	int i = atoi(w->id + 1);
	st->calls++;
	return pl_buf_put(out, st->spans[i].ptr, st->spans[i].len);
}

static void store_free(span_store *st)
{
	for (int i = 0; i < st->nworks; i++)
		pl_buf_free(&st->spans[i]);
}

/* nworks works of len words (seeds 1000 + i); with st, registered with span
 * hashes kept in st. */
static pl_matcher *make_spans(unsigned k, unsigned w, int nworks, size_t len, span_store *st)
{
	pl_matcher *m;
	CHECK_OK(pl_matcher_new(&m, k, w));
	if (st) {
		CHECK(nworks <= 32);
		memset(st, 0, sizeof(*st));
		st->nworks = nworks;
		pl_matcher_set_spans(m, load_spans, st);
	}
	for (int i = 0; i < nworks; i++) {
		pl_buf text = PL_BUF_INIT;
		gen(&text, 1000u + (unsigned)i, len);
		pl_test_add_work(m, i, text.ptr, text.len, k, w, st ? &st->spans[i] : NULL);
		pl_buf_free(&text);
	}
	CHECK_OK(pl_matcher_seal(m));
	return m;
}

static pl_matcher *make(unsigned k, unsigned w, int nworks, size_t len)
{
	return make_spans(k, w, nworks, len, NULL);
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

/* Without span hashes a match is a lower bound; every match has a piece. */
PL_TEST(match, without_span_hashes_spans_are_lower_bounds)
{
	pl_matcher *m = make(13, 38, 5, 3000);
	pl_buf work = PL_BUF_INIT, rec = PL_BUF_INIT;
	pl_tokens wt = {0};
	pl_matches out = {0};
	gen(&work, 1002, 3000);
	CHECK_OK(pl_tokenize(&wt, work.ptr, work.len, 0));
	pl_buf_printf(&rec, "%.*s", (int)(wt.off[1400] - wt.off[1000]), work.ptr + wt.off[1000]);
	run(m, &out, rec.ptr, rec.len);
	CHECK_EQ_INT(out.count, 1);
	CHECK_EQ_INT(out.v[0].span_exact, 0);
	CHECK_EQ_INT(out.v[0].npieces, 1);
	CHECK(out.v[0].work_tok0 >= 1000 && out.v[0].work_tok1 <= 1400);
	pl_matches_free(&out);
	pl_tokens_free(&wt);
	pl_buf_free(&work);
	pl_buf_free(&rec);
	pl_matcher_free(m);
}

/* With span hashes every verbatim excerpt of at least 50 tokens is stated
 * exactly, wherever it lies in the work and the record, in both schemes. */
PL_TEST(match, span_hashes_state_excerpts_exactly)
{
	static const unsigned schemes[2][2] = {{13, 38}, {8, 17}};
	for (int sc = 0; sc < 2; sc++) {
		span_store st;
		pl_matcher *m = make_spans(schemes[sc][0], schemes[sc][1], 8, 3000, &st);
		pl_buf work = PL_BUF_INIT;
		pl_tokens wt = {0};
		gen(&work, 1005, 3000);
		CHECK_OK(pl_tokenize(&wt, work.ptr, work.len, 0));
		for (unsigned len = 50; len <= 450; len += 100) {
			for (unsigned start = 0; start + len <= 3000; start += 613) {
				for (int pre = 0; pre < 2; pre++) {
					pl_buf rec = PL_BUF_INIT, other = PL_BUF_INIT;
					pl_matches out = {0};
					uint32_t a = wt.off[start], z = wt.off[start + len - 1] +
					                                wt.len[start + len - 1];
					uint32_t npre = pre ? 77 : 0;
					if (pre)
						gen(&other, 900001 + start, npre);
					pl_buf_printf(&rec, "%s%s%.*s", pre ? other.ptr : "",
					              pre ? " " : "", (int)(z - a), work.ptr + a);
					run(m, &out, rec.ptr, rec.len);
					CHECK_EQ_INT(out.count, 1);
					CHECK_EQ_INT(out.v[0].span_exact, 1);
					CHECK_EQ_INT(out.v[0].npieces, 1);
					CHECK_EQ_INT(out.v[0].work_tok0, start);
					CHECK_EQ_INT(out.v[0].work_tok1, start + len);
					CHECK_EQ_INT(out.v[0].rec_tok0, npre);
					CHECK_EQ_INT(out.v[0].rec_tok1, npre + len);
					CHECK_EQ_INT(out.v[0].matched_tokens, len);
					pl_matches_free(&out);
					pl_buf_free(&rec);
					pl_buf_free(&other);
				}
			}
		}
		/* span hashes are read once per work a record hits, then cached */
		CHECK_EQ_INT(st.calls, 1);
		pl_tokens_free(&wt);
		pl_buf_free(&work);
		pl_matcher_free(m);
		store_free(&st);
	}
}

/* An edited copy: each verbatim piece exactly, the span from the first to
 * the last, matched_tokens their sum; one word replaced, one deleted, one
 * inserted. */
PL_TEST(match, an_edited_copy_is_stated_piece_by_piece)
{
	span_store st;
	pl_matcher *m = make_spans(13, 38, 4, 2000, &st);
	pl_buf work = PL_BUF_INIT, rec = PL_BUF_INIT;
	pl_tokens wt = {0};
	pl_matches out = {0};
	gen(&work, 1001, 2000);
	CHECK_OK(pl_tokenize(&wt, work.ptr, work.len, 0));
	/* work tokens 500..700 with token 560 replaced, 620 deleted, a word
	 * inserted before 660 */
	for (unsigned i = 500; i < 700; i++) {
		if (i == 620)
			continue;
		if (i == 660)
			pl_buf_puts(&rec, "zebra ");
		if (i == 560)
			pl_buf_puts(&rec, "quagga ");
		else
			pl_buf_printf(&rec, "%.*s ", (int)wt.len[i], work.ptr + wt.off[i]);
	}
	run(m, &out, rec.ptr, rec.len);
	CHECK_EQ_INT(out.count, 1);
	CHECK_EQ_INT(out.v[0].span_exact, 1);
	CHECK_EQ_INT(out.v[0].work_tok0, 500);
	CHECK_EQ_INT(out.v[0].work_tok1, 700);
	CHECK_EQ_INT(out.v[0].npieces, 4);
	{
		const pl_match_piece *p = out.pieces + out.v[0].piece0;
		CHECK_EQ_INT(p[0].work_tok0, 500);
		CHECK_EQ_INT(p[0].work_tok1, 560);
		CHECK_EQ_INT(p[1].work_tok0, 561);
		CHECK_EQ_INT(p[1].work_tok1, 620);
		CHECK_EQ_INT(p[2].work_tok0, 621);
		CHECK_EQ_INT(p[2].work_tok1, 660);
		CHECK_EQ_INT(p[3].work_tok0, 660);
		CHECK_EQ_INT(p[3].work_tok1, 700);
		CHECK_EQ_INT(p[2].rec_tok0, 120);
		CHECK_EQ_INT(p[3].rec_tok0, 160);
	}
	CHECK_EQ_INT(out.v[0].matched_tokens, 198);
	pl_matches_free(&out);
	pl_tokens_free(&wt);
	pl_buf_free(&work);
	pl_buf_free(&rec);
	pl_matcher_free(m);
	store_free(&st);
}

/* With span hashes a shared run shorter than min_tokens is not reported,
 * though it shares fingerprints; one of min_tokens is. */
PL_TEST(match, span_hashes_report_runs_of_min_tokens_only)
{
	span_store st;
	pl_matcher *m = make_spans(8, 17, 4, 2000, &st);
	pl_buf work = PL_BUF_INIT;
	pl_tokens wt = {0};
	gen(&work, 1003, 2000);
	CHECK_OK(pl_tokenize(&wt, work.ptr, work.len, 0));
	for (unsigned len = 30; len <= 50; len += 10) {
		pl_buf rec = PL_BUF_INIT, pre = PL_BUF_INIT;
		pl_matches out = {0};
		gen(&pre, 424242, 60);
		pl_buf_printf(&rec, "%s %.*s", pre.ptr,
		              (int)(wt.off[900 + len - 1] + wt.len[900 + len - 1] - wt.off[900]),
		              work.ptr + wt.off[900]);
		run(m, &out, rec.ptr, rec.len);
		CHECK_EQ_INT(out.count, len >= 50 ? 1 : 0);
		pl_matches_free(&out);
		pl_buf_free(&rec);
		pl_buf_free(&pre);
	}
	pl_tokens_free(&wt);
	pl_buf_free(&work);
	pl_matcher_free(m);
	store_free(&st);
}
