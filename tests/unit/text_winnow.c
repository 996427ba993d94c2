/* Unit tests of hashing/winnow.c: shingles and winnowing (SPEC §8 steps 2-3). */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_text.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* The shingle of h[0..k), with the bytes laid out explicitly little-endian. */
static uint64_t ref_shingle(const uint64_t *h, unsigned k)
{
	unsigned char buf[8 * 64];
	for (unsigned i = 0; i < k; i++)
		for (unsigned b = 0; b < 8; b++)
			buf[8 * i + b] = (unsigned char)(h[i] >> (8 * b));
	return XXH3_64bits(buf, 8 * (size_t)k);
}

/* Brute force: every window's rightmost minimum, recorded once per position. */
static void ref_select(pl_fps *out, const uint64_t *s, size_t n, unsigned w)
{
	size_t nwin = n < w ? 1 : n - w + 1, win = n < w ? n : w;
	out->count = 0;
	if (n == 0)
		return;
	for (size_t a = 0; a < nwin; a++) {
		size_t m = a;
		for (size_t j = a; j < a + win; j++)
			if (s[j] <= s[m])
				m = j;
		if (out->count && out->v[out->count - 1].pos == m)
			continue;
		if (out->count == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 64;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
			CHECK(out->v != NULL);
		}
		out->v[out->count].hash = s[m];
		out->v[out->count].pos = (uint32_t)m;
		out->count++;
	}
}

static int same_fps(const pl_fps *a, const pl_fps *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (a->v[i].hash != b->v[i].hash || a->v[i].pos != b->v[i].pos)
			return 0;
	return 1;
}

PL_TEST(text, winnow_paper_example)
{
	/* Schleimer, Wilkerson, Aiken 2003, figure 2: w = 4 selects 17 17 8 39 17. */
	static const uint64_t h[] = {77, 74, 42, 17, 98, 50, 17, 98, 8,
	                             88, 67, 39, 77, 74, 42, 17, 98};
	static const uint64_t want_h[] = {17, 17, 8, 39, 17};
	static const uint32_t want_p[] = {3, 6, 8, 11, 15};
	pl_fps f = {0};
	CHECK_OK(pl_winnow_select(&f, h, sizeof(h) / sizeof(h[0]), 4));
	CHECK_EQ_INT(f.count, 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK(f.v[i].hash == want_h[i]);
		CHECK_EQ_INT(f.v[i].pos, want_p[i]);
	}
	pl_fps_free(&f);
}

PL_TEST(text, winnow_ties_and_short_inputs)
{
	static const uint64_t eq[] = {5, 5, 5, 5, 5, 5};
	static const uint64_t three[] = {9, 2, 7};
	pl_fps f = {0};
	/* All equal, w = 3: each window's rightmost is new. */
	CHECK_OK(pl_winnow_select(&f, eq, 6, 3));
	CHECK_EQ_INT(f.count, 4);
	CHECK_EQ_INT(f.v[0].pos, 2);
	CHECK_EQ_INT(f.v[3].pos, 5);
	/* Fewer hashes than w: one window of all of them. */
	CHECK_OK(pl_winnow_select(&f, three, 3, 10));
	CHECK_EQ_INT(f.count, 1);
	CHECK(f.v[0].hash == 2 && f.v[0].pos == 1);
	CHECK_OK(pl_winnow_select(&f, eq, 2, 10));
	CHECK_EQ_INT(f.count, 1);
	CHECK_EQ_INT(f.v[0].pos, 1);
	/* w = 1: every position. */
	CHECK_OK(pl_winnow_select(&f, three, 3, 1));
	CHECK_EQ_INT(f.count, 3);
	CHECK_OK(pl_winnow_select(&f, NULL, 0, 4));
	CHECK_EQ_INT(f.count, 0);
	CHECK_ERR(pl_winnow_select(&f, three, 3, 0), PL_EUSAGE);
	pl_fps_free(&f);
	pl_fps_free(&f);
	pl_fps_free(NULL);
}

PL_TEST(text, winnow_shingles)
{
	uint64_t t[20];
	pl_fps f = {0};
	for (int i = 0; i < 20; i++)
		t[i] = rnd();
	/* Fewer than k tokens: nothing. */
	CHECK_OK(pl_winnow(&f, t, 12, 13, 38));
	CHECK_EQ_INT(f.count, 0);
	CHECK_OK(pl_winnow(&f, t, 0, 13, 38));
	CHECK_EQ_INT(f.count, 0);
	CHECK_OK(pl_winnow(&f, NULL, 0, 13, 38));
	CHECK_EQ_INT(f.count, 0);
	/* Exactly k tokens: one shingle, one fingerprint. */
	CHECK_OK(pl_winnow(&f, t, 13, 13, 38));
	CHECK_EQ_INT(f.count, 1);
	CHECK_EQ_INT(f.v[0].pos, 0);
	CHECK(f.v[0].hash == ref_shingle(t, 13));
	/* A fixed vector: token hashes 0..k-1 (bytes spelled out for other readers). */
	{
		uint64_t seq[3] = {1, 2, UINT64_C(0x0102030405060708)};
		unsigned char bytes[24] = {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
		                           0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
		CHECK_OK(pl_winnow(&f, seq, 3, 3, 4));
		CHECK_EQ_INT(f.count, 1);
		CHECK(f.v[0].hash == XXH3_64bits(bytes, 24));
	}
	CHECK_ERR(pl_winnow(&f, t, 20, 0, 4), PL_EUSAGE);
	CHECK_ERR(pl_winnow(&f, t, 20, 4, 0), PL_EUSAGE);
	pl_fps_free(&f);
}

/* The selection equals the brute-force definition on random inputs,
 * including low-entropy ones full of ties, for window sizes around the block
 * and chunk boundaries. */
PL_TEST(text, winnow_matches_brute_force)
{
	static const unsigned ws[] = {1, 2, 3, 4, 17, 38, 63, 64, 65, 100, 200};
	uint64_t s[600];
	pl_fps got = {0}, want = {0};
	for (int iter = 0; iter < 400; iter++) {
		size_t n = (size_t)(rnd() % 600);
		uint64_t range = iter % 3 == 0 ? 3 : iter % 3 == 1 ? 50 : UINT64_MAX;
		for (size_t i = 0; i < n; i++)
			s[i] = range == UINT64_MAX ? rnd() : rnd() % range;
		for (size_t wi = 0; wi < sizeof(ws) / sizeof(ws[0]); wi++) {
			CHECK_OK(pl_winnow_select(&got, s, n, ws[wi]));
			ref_select(&want, s, n, ws[wi]);
			CHECK(same_fps(&got, &want));
			for (size_t i = 1; i < got.count; i++)
				CHECK(got.v[i].pos > got.v[i - 1].pos);
		}
	}
	/* pl_winnow = shingles + select. */
	for (int iter = 0; iter < 50; iter++) {
		size_t n = 13 + (size_t)(rnd() % 300), ns = n - 13 + 1;
		for (size_t i = 0; i < n; i++)
			s[i] = rnd() % 4;
		uint64_t *sh = malloc(ns * sizeof(*sh));
		CHECK(sh != NULL);
		for (size_t i = 0; i < ns; i++)
			sh[i] = ref_shingle(s + i, 13);
		CHECK_OK(pl_winnow(&got, s, n, 13, 38));
		ref_select(&want, sh, ns, 38);
		CHECK(same_fps(&got, &want));
		free(sh);
	}
	pl_fps_free(&got);
	pl_fps_free(&want);
}

static int common_fp(const pl_fps *a, uint32_t alo, uint32_t ahi, const pl_fps *b)
{
	for (size_t i = 0; i < a->count; i++) {
		if (a->v[i].pos < alo || a->v[i].pos > ahi)
			continue;
		for (size_t j = 0; j < b->count; j++)
			if (b->v[j].hash == a->v[i].hash)
				return 1;
	}
	return 0;
}

/* SPEC §8: any common run of t = w + k - 1 tokens yields a common fingerprint. */
PL_TEST(text, winnow_guarantee)
{
	static const unsigned kw[][2] = {
	    {PL_WINNOW_K, PL_WINNOW_W}, {PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W}, {1, 1}, {3, 5}};
	uint64_t a[1000], b[1000];
	pl_fps fa = {0}, fb = {0}, again = {0};
	for (size_t p = 0; p < sizeof(kw) / sizeof(kw[0]); p++) {
		unsigned k = kw[p][0], w = kw[p][1], t = w + k - 1;
		for (int iter = 0; iter < 200; iter++) {
			size_t na = t + (size_t)(rnd() % (1000 - t)),
			       nb = t + (size_t)(rnd() % (1000 - t));
			size_t pa = (size_t)(rnd() % (na - t + 1)),
			       pb = (size_t)(rnd() % (nb - t + 1));
			for (size_t i = 0; i < na; i++)
				a[i] = rnd();
			for (size_t i = 0; i < nb; i++)
				b[i] = rnd();
			for (size_t i = 0; i < t; i++)
				b[pb + i] = a[pa + i] = iter % 2 ? rnd() : rnd() % 5;
			CHECK_OK(pl_winnow(&fa, a, na, k, w));
			CHECK_OK(pl_winnow(&fb, b, nb, k, w));
			/* Shingles starting at pa .. pa + w - 1 lie wholly in the run. */
			CHECK(common_fp(&fa, (uint32_t)pa, (uint32_t)(pa + w - 1), &fb));
			CHECK_OK(pl_winnow(&again, a, na, k, w));
			CHECK(same_fps(&fa, &again));
		}
	}
	pl_fps_free(&fa);
	pl_fps_free(&fb);
	pl_fps_free(&again);
}

/* An implementation nobody here wrote: python3-xxhash computes the shingles,
 * a ten-line Python winnow selects, and the outputs must agree. */
PL_TEST(text, winnow_matches_python_reference)
{
	static const char *py =
	    "import sys, struct, xxhash\n"
	    "k, w = int(sys.argv[2]), int(sys.argv[3])\n"
	    "for line in open(sys.argv[1]):\n"
	    "    toks = line.split()\n"
	    "    th = [xxhash.xxh3_64_intdigest(t.encode()) for t in toks]\n"
	    "    sh = [xxhash.xxh3_64_intdigest(b''.join(struct.pack('<Q', h) for h in "
	    "th[i:i + k]))\n"
	    "          for i in range(len(th) - k + 1)]\n"
	    "    out, last = [], None\n"
	    "    nwin = max(len(sh) - w + 1, 1) if sh else 0\n"
	    "    for a in range(nwin):\n"
	    "        win = sh[a:a + w]\n"
	    "        m = a + max(i for i, v in enumerate(win) if v == min(win))\n"
	    "        if m != last:\n"
	    "            out.append('%d:%016x' % (m, sh[m]))\n"
	    "            last = m\n"
	    "    print(' '.join(out))\n";
	char path_py[512], path_in[512], cmd[1600], line[1 << 16];
	pl_tokens t = {0};
	pl_fps f = {0};
	pl_buf mine = PL_BUF_INIT, input = PL_BUF_INIT;
	FILE *fp;

	if (system("/usr/bin/python3 -c 'import xxhash; xxhash.xxh3_64_intdigest' 2>/dev/null") !=
	    0)
		pl_skip("python3-xxhash is not installed");
	snprintf(path_py, sizeof(path_py), "%s/ref.py", pl_tmpdir());
	snprintf(path_in, sizeof(path_in), "%s/in.txt", pl_tmpdir());
	CHECK((fp = fopen(path_py, "w")) != NULL);
	fputs(py, fp);
	fclose(fp);

	for (int rec = 0; rec < 60; rec++) {
		static const char *words[] = {"the", "Cat",         "sat",          "on",
		                              "mat", "caf\xc3\xa9", "\xe5\xad\x97", "\xce\xa3",
		                              "a",   "b",           "don't",        "x\xc2\xb2"};
		size_t nw = rec < 5 ? (size_t)rec * 4 : (size_t)(rnd() % 400);
		size_t start = input.len;
		for (size_t i = 0; i < nw; i++) {
			CHECK_OK(pl_buf_puts(&input, words[rnd() % (rec % 2 ? 12 : 4)]));
			CHECK_OK(pl_buf_puts(&input, rnd() % 7 ? " " : ", "));
		}
		CHECK_OK(pl_tokenize(&t, input.ptr + start, input.len - start, 0));
		/* Python splits the normalized text: give it that, one record a line. */
		input.len = start;
		CHECK_OK(pl_buf_put(&input, t.text.ptr, t.text.len));
		CHECK_OK(pl_buf_putc(&input, '\n'));
		CHECK_OK(pl_winnow(&f, t.hash, t.count, PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W));
		for (size_t i = 0; i < f.count; i++)
			CHECK_OK(pl_buf_printf(&mine, "%s%u:%016llx", i ? " " : "", f.v[i].pos,
			                       (unsigned long long)f.v[i].hash));
		CHECK_OK(pl_buf_putc(&mine, '\n'));
	}
	CHECK_OK(pl_write_file_atomic(path_in, input.ptr, input.len, 0644));
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %d %d", path_py, path_in,
	         PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W);
	CHECK((fp = popen(cmd, "r")) != NULL);
	{
		const char *p = mine.ptr;
		int n = 0;
		while (fgets(line, sizeof(line), fp)) {
			size_t l = strlen(line);
			CHECK(strncmp(p, line, l) == 0);
			p += l;
			n++;
		}
		CHECK_EQ_INT(n, 60);
		CHECK(*p == '\0');
	}
	CHECK_EQ_INT(pclose(fp), 0);
	pl_tokens_free(&t);
	pl_fps_free(&f);
	pl_buf_free(&mine);
	pl_buf_free(&input);
}

/* Long inputs: windows across pl_winnow's chunks (4096 windows) agree with
 * the brute force, with and without ties, for both schemes' windows. */
PL_TEST(text, winnow_matches_brute_force_across_chunks)
{
	static const unsigned ws[] = {1, 17, 38, 4095, 4096, 4097};
	static const size_t ns[] = {4095, 4096, 4097, 4133, 4134, 8192 + 37, 8192 + 38, 12289};
	pl_fps got = {0}, want = {0};
	uint64_t *s = malloc(12289 * sizeof(*s));
	CHECK(s != NULL);
	for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
		for (int ties = 0; ties < 2; ties++) {
			for (size_t i = 0; i < ns[ni]; i++)
				s[i] = ties ? rnd() % 5 : rnd();
			for (size_t wi = 0; wi < sizeof(ws) / sizeof(ws[0]); wi++) {
				CHECK_OK(pl_winnow_select(&got, s, ns[ni], ws[wi]));
				ref_select(&want, s, ns[ni], ws[wi]);
				CHECK(same_fps(&got, &want));
			}
		}
	}
	free(s);
	pl_fps_free(&got);
	pl_fps_free(&want);
}
