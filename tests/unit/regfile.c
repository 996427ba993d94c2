/* Unit tests of ledger/registry/regfile.c: a matcher written to a registry
 * file and mapped back matches as the one built; truncated, corrupt and
 * foreign files are refused. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "match_fixture.h"
#include "pl_regfile.h"

static const char *words[] = {"river",  "stone",   "light",  "house",  "garden", "winter",
                              "silver", "morning", "letter", "window", "shadow", "voice"};

static void gen(pl_buf *b, unsigned seed, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned a = (seed >> 16) % 12;
		seed = seed * 1103515245u + 12345u;
		pl_buf_printf(b, "%s%s%u", i ? " " : "", words[a], (seed >> 16) % 1000);
	}
}

static void prints(pl_tokens *t, pl_fps *f, const char *s, size_t n)
{
	CHECK_OK(pl_tokenize(t, s, n, 0));
	CHECK_OK(pl_winnow(f, t->hash, t->count, PL_WINNOW_K, PL_WINNOW_W));
}

static pl_matcher *make(int nworks)
{
	pl_matcher *m;
	CHECK_OK(pl_matcher_new(&m, PL_WINNOW_K, PL_WINNOW_W));
	for (int i = 0; i < nworks; i++) {
		pl_buf text = PL_BUF_INIT;
		gen(&text, 1000u + (unsigned)i, 400);
		pl_test_add_work(m, i, text.ptr, text.len, PL_WINNOW_K, PL_WINNOW_W, NULL);
		pl_buf_free(&text);
	}
	CHECK_OK(pl_matcher_seal(m));
	return m;
}

/* The matches of work 3's text with 200 words of work 5's inside, as a string. */
static void matches_of(pl_buf *out, const pl_matcher *m)
{
	pl_buf text = PL_BUF_INIT, five = PL_BUF_INIT;
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_matches ms = {0};
	pl_match_scratch sc = {0};
	pl_match_opts o = {50, 50};
	unsigned char sha[PL_HASH_LEN];
	gen(&text, 1003u, 400);
	gen(&five, 1005u, 200);
	pl_buf_puts(&text, " ");
	pl_buf_put(&text, five.ptr, five.len);
	prints(&t, &f, text.ptr, text.len);
	pl_sha256(sha, t.text.ptr, t.text.len);
	CHECK_OK(pl_matcher_match(m, &ms, &sc, &t, &f, sha, &o));
	CHECK(ms.count >= 2);
	for (size_t i = 0; i < ms.count; i++)
		pl_buf_printf(out, "%u %u-%u %u-%u %u %u %u %d;", ms.v[i].work, ms.v[i].rec_tok0,
		              ms.v[i].rec_tok1, ms.v[i].work_tok0, ms.v[i].work_tok1,
		              ms.v[i].matched_tokens, ms.v[i].containment, ms.v[i].coverage,
		              ms.v[i].cls);
	pl_buf_free(&text);
	pl_buf_free(&five);
	pl_tokens_free(&t);
	pl_fps_free(&f);
	pl_matches_free(&ms);
	pl_match_scratch_free(&sc);
}

static char *path_of(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", pl_tmpdir(), name);
	return p;
}

PL_TEST(regfile, round_trip)
{
	pl_matcher *m = make(8), *mm = NULL;
	pl_regfile_info wi, ri;
	unsigned char root[PL_HASH_LEN];
	pl_buf a = PL_BUF_INIT, b = PL_BUF_INIT;
	memset(root, 0xab, sizeof(root));
	CHECK_OK(pl_regfile_write(&wi, m, path_of("r.tbl"), 42, root));
	CHECK_OK(pl_regfile_map(&mm, &ri, path_of("r.tbl")));
	CHECK_OK(pl_matcher_seal(mm));
	CHECK_EQ_INT(ri.ledger_size, 42);
	CHECK(memcmp(ri.root, root, PL_HASH_LEN) == 0);
	CHECK_EQ_INT(ri.works, 8);
	CHECK_EQ_INT(ri.file_bytes, wi.file_bytes);
	CHECK_EQ_INT(pl_matcher_table_bytes(mm), pl_matcher_table_bytes(m));
	CHECK_STR(pl_matcher_work(mm, 7)->id, "W0000000000000007");
	matches_of(&a, m);
	matches_of(&b, mm);
	CHECK_STR(a.ptr, b.ptr);
	pl_matcher_free(m);
	pl_matcher_free(mm);
	pl_buf_free(&a);
	pl_buf_free(&b);
}

PL_TEST(regfile, empty)
{
	pl_matcher *m = make(0), *mm = NULL;
	unsigned char root[PL_HASH_LEN] = {0};
	CHECK_OK(pl_regfile_write(NULL, m, path_of("e.tbl"), 1, root));
	CHECK_OK(pl_regfile_map(&mm, NULL, path_of("e.tbl")));
	CHECK_EQ_INT(pl_matcher_nworks(mm), 0);
	pl_matcher_free(m);
	pl_matcher_free(mm);
}

PL_TEST(regfile, refusals)
{
	pl_matcher *m = make(3), *mm = NULL;
	unsigned char root[PL_HASH_LEN] = {0};
	pl_buf f = PL_BUF_INIT;
	CHECK_OK(pl_regfile_write(NULL, m, path_of("r.tbl"), 1, root));
	CHECK_OK(pl_read_file(&f, path_of("r.tbl"), 1 << 26));
	/* every truncation */
	for (size_t cut = 0; cut < f.len; cut += 61) {
		CHECK_OK(pl_write_file_atomic(path_of("t.tbl"), f.ptr, cut, 0644));
		CHECK_ERR(pl_regfile_map(&mm, NULL, path_of("t.tbl")), PL_EINVALID);
		CHECK(strstr(pl_error_last(), "truncated registry file") != NULL);
	}
	/* a flipped byte anywhere past the magic and version */
	for (size_t at = 16; at < f.len; at += 97) {
		f.ptr[at] ^= 0x20;
		CHECK_OK(pl_write_file_atomic(path_of("c.tbl"), f.ptr, f.len, 0644));
		CHECK_ERR(pl_regfile_map(&mm, NULL, path_of("c.tbl")), PL_EINVALID);
		f.ptr[at] ^= 0x20;
	}
	f.ptr[8] = 9;
	CHECK_OK(pl_write_file_atomic(path_of("v.tbl"), f.ptr, f.len, 0644));
	CHECK_ERR(pl_regfile_map(&mm, NULL, path_of("v.tbl")), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "registry file version 9") != NULL);
	f.ptr[0] = 'X';
	CHECK_OK(pl_write_file_atomic(path_of("x.tbl"), f.ptr, f.len, 0644));
	CHECK_ERR(pl_regfile_map(&mm, NULL, path_of("x.tbl")), PL_EINVALID);
	CHECK(strstr(pl_error_last(), "not a provledger registry file") != NULL);
	CHECK_ERR(pl_regfile_map(&mm, NULL, path_of("none.tbl")), PL_ENOTFOUND);
	CHECK(mm == NULL);
	pl_matcher_free(m);
	pl_buf_free(&f);
}

/* A registry part (pl_matcher_set_part) survives the file: its part, the
 * whole registry's document frequencies and its ghost entries, so that a
 * fingerprint held by works of other parts is boilerplate, and counted, as
 * in the whole registry. */
PL_TEST(regfile, part_round_trip)
{
	pl_matcher *m, *mm = NULL;
	pl_regfile_info wi, ri;
	unsigned char root[PL_HASH_LEN] = {0};
	pl_buf text = PL_BUF_INIT;
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_matches ms = {0};
	pl_match_scratch sc = {0};
	pl_match_opts o = {50, 1};
	pl_match_df df[2];
	uint64_t ghost[1];
	uint32_t pi, pc;
	uint64_t tw;

	gen(&text, 1003u, 400);
	prints(&t, &f, text.ptr, text.len);
	CHECK(f.count >= 3);
	/* part 1 of 2 holds work 3's text; its first fingerprint is in 2 works
	 * of the registry, its second in 3; a hash of none of its works is a
	 * ghost (in 2 works elsewhere) */
	df[0] = (pl_match_df){f.v[0].hash, 2, 0};
	df[1] = (pl_match_df){f.v[1].hash, 3, 0};
	if (df[1].hash < df[0].hash) {
		pl_match_df x = df[0];
		df[0] = df[1];
		df[1] = x;
	}
	ghost[0] = UINT64_C(0x0123456789abcdef);
	CHECK_OK(pl_matcher_new(&m, PL_WINNOW_K, PL_WINNOW_W));
	pl_test_add_work(m, 3, text.ptr, text.len, PL_WINNOW_K, PL_WINNOW_W, NULL);
	CHECK_ERR(pl_matcher_set_part(m, 2, 2, 4, df, 2, ghost, 1), PL_EUSAGE);
	CHECK_OK(pl_matcher_set_part(m, 1, 2, 4, df, 2, ghost, 1));
	CHECK_OK(pl_matcher_seal(m));
	CHECK_OK(pl_regfile_write(&wi, m, path_of("p.tbl"), 7, root));
	CHECK_EQ_INT(wi.part_index, 1);
	CHECK_EQ_INT(wi.part_count, 2);
	CHECK_EQ_INT(wi.total_works, 4);
	CHECK_OK(pl_regfile_map(&mm, &ri, path_of("p.tbl")));
	CHECK_OK(pl_matcher_seal(mm));
	CHECK_EQ_INT(ri.part_index, 1);
	CHECK_EQ_INT(ri.part_count, 2);
	CHECK_EQ_INT(ri.total_works, 4);
	CHECK_EQ_INT(ri.works, 1);
	CHECK(pl_regfile_part(&pi, &pc, path_of("p.tbl")) == 1 && pi == 1 && pc == 2);
	CHECK(pl_matcher_part(mm, &pi, &pc, &tw) == 1 && pi == 1 && pc == 2 && tw == 4);
	CHECK_EQ_INT(pl_matcher_global_work(mm, 0), 1);
	for (int k = 0; k < 2; k++) {
		const pl_matcher *x = k ? mm : m;
		uint64_t own = 0;
		CHECK_OK(pl_matcher_match(x, &ms, &sc, &t, &f, NULL, &o));
		/* --max-df 1: the two shared fingerprints are boilerplate, counted
		 * by the part that owns their key range */
		for (int d = 0; d < 2; d++)
			own += pl_match_owner(df[d].hash, 2) == 1;
		CHECK_EQ_INT(ms.ignored, own);
		CHECK(ms.count >= 1);
	}
	pl_matcher_free(m);
	pl_matcher_free(mm);
	pl_buf_free(&text);
	pl_tokens_free(&t);
	pl_fps_free(&f);
	pl_matches_free(&ms);
	pl_match_scratch_free(&sc);
}
