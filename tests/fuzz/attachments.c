/* Fuzz the attachment layouts a ledger holds: fingerprint sets (12-byte
 * records, u64 hash and u32 token position little-endian, SPEC §6.2) as the
 * registry loads them into a matcher, and dataset sketches (pl_sketch.h) as
 * a query wraps them. A fixed record is matched against the fuzzed work and
 * looked up in the fuzzed sketch. By the first byte of the input:
 *  even  work tokens (u32) then the fingerprint records;
 *  odd   hashes (u8), count (u64) then the sketch's bits.
 * With FUZZ_DUMP_SEEDS=DIR set, the harness writes seeds made from the fixed
 * record into DIR and exits (tests/fuzz/README.md). */
#include <math.h>

#include "fuzz.h"
#include "pl_match.h"
#include "pl_sketch.h"

#define REC_TOKENS 400

static pl_tokens rec;
static pl_fps rec_fps;

/* A text of REC_TOKENS words from a small vocabulary, so shingles repeat. */
static void setup(void)
{
	static int done;
	pl_buf text = PL_BUF_INIT;
	uint32_t x = 12345;
	if (done)
		return;
	done = 1;
	for (int i = 0; i < REC_TOKENS; i++) {
		x = x * 1103515245u + 12345u;
		pl_buf_printf(&text, "w%u ", (x >> 16) % 60);
	}
	FUZZ_ASSERT(pl_tokenize(&rec, text.ptr, text.len, 0) == PL_OK);
	FUZZ_ASSERT(rec.count == REC_TOKENS);
	FUZZ_ASSERT(pl_winnow(&rec_fps, rec.hash, rec.count, PL_WINNOW_K, PL_WINNOW_W) == PL_OK);
	pl_buf_free(&text);
}

static void fingerprints(const uint8_t *d, size_t size)
{
	pl_matcher *m = NULL;
	pl_matches out = {0};
	pl_match_scratch s = {0};
	pl_match_opts o = {20, 50};
	pl_match_work w;
	unsigned char sha[PL_HASH_LEN];
	size_t n;

	if (size < 4)
		return;
	memset(&w, 0, sizeof(w));
	w.tokens =
	    (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	d += 4;
	size -= 4;
	n = size / 12;
	FUZZ_ASSERT(pl_matcher_new(&m, PL_WINNOW_K, PL_WINNOW_W) == PL_OK);
	snprintf(w.id, sizeof(w.id), "W%016x", 1);
	FUZZ_ASSERT(pl_matcher_add(m, &w, d, n) == PL_OK);
	/* a second work holding the first half, as a near copy would */
	snprintf(w.id, sizeof(w.id), "W%016x", 2);
	w.normalized_sha256[0] = 1;
	FUZZ_ASSERT(pl_matcher_add(m, &w, d, n / 2) == PL_OK);
	FUZZ_ASSERT(pl_matcher_seal(m) == PL_OK);
	FUZZ_ASSERT(pl_matcher_nworks(m) == 2);
	pl_sha256(sha, rec.text.ptr, rec.text.len);
	if (pl_matcher_match(m, &out, &s, &rec, &rec_fps, sha, &o) == PL_OK) {
		for (size_t i = 0; i < out.count; i++) {
			const pl_match *x = &out.v[i];
			FUZZ_ASSERT(x->work < 2);
			FUZZ_ASSERT(x->rec_tok0 <= x->rec_tok1 && x->rec_tok1 <= rec.count);
			/* work spans come from the attachment's positions as they are */
			FUZZ_ASSERT(x->cls >= PL_MATCH_EXACT && x->cls <= PL_MATCH_PARTIAL);
			FUZZ_ASSERT(pl_match_class_name(x->cls) != NULL);
		}
	}
	pl_matches_free(&out);
	pl_match_scratch_free(&s);
	pl_matcher_free(m);
}

static void sketch(const uint8_t *d, size_t size)
{
	pl_sketch sk;
	uint64_t count = 0;
	unsigned hashes;
	size_t len;

	if (size < 9)
		return;
	hashes = d[0];
	for (int i = 0; i < 8; i++)
		count |= (uint64_t)d[1 + i] << (8 * i);
	d += 9;
	size -= 9;
	len = size / 8 * 8;
	FUZZ_ASSERT(pl_sketch_view(&sk, d, len, (uint64_t)len * 8 + 64, hashes, count) ==
	            PL_EINVALID);
	if (pl_sketch_view(&sk, d, len, (uint64_t)len * 8, hashes, count) < 0) {
		FUZZ_ASSERT(len == 0 || hashes == 0 || hashes > 64 || len % 8);
		return;
	}
	size_t run = pl_sketch_longest_run(&sk, &rec_fps);
	FUZZ_ASSERT(run <= rec_fps.count);
	double odds = pl_sketch_false_odds(&sk, rec_fps.count, run);
	FUZZ_ASSERT(!isnan(odds) && odds >= 0);
}

static void dump(const char *dir, const char *name, const pl_buf *b)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FUZZ_ASSERT((f = fopen(path, "wb")) != NULL);
	FUZZ_ASSERT(fwrite(b->ptr, 1, b->len, f) == b->len);
	fclose(f);
}

static void dump_seeds(const char *dir)
{
	pl_buf b = PL_BUF_INIT;
	pl_fps part = {0};
	pl_sketch sk;
	const unsigned char tokens[4] = {REC_TOKENS % 256, REC_TOKENS / 256, 0, 0};

	pl_buf_putc(&b, 0);
	pl_buf_put(&b, tokens, 4);
	pl_fps_serialize(&b, &rec_fps);
	dump(dir, "fps-same", &b);
	/* tokens 100..299 of the record, as their own work */
	pl_buf_clear(&b);
	pl_buf_putc(&b, 2);
	pl_buf_put(&b, (const unsigned char[4]){200, 0, 0, 0}, 4);
	FUZZ_ASSERT(pl_winnow(&part, rec.hash + 100, 200, PL_WINNOW_K, PL_WINNOW_W) == PL_OK);
	pl_fps_serialize(&b, &part);
	dump(dir, "fps-part", &b);
	FUZZ_ASSERT(pl_sketch_init(&sk, rec_fps.count) == PL_OK);
	for (size_t i = 0; i < rec_fps.count; i++)
		pl_sketch_add(&sk, rec_fps.v[i].hash);
	pl_buf_clear(&b);
	pl_buf_putc(&b, 1);
	pl_buf_putc(&b, (char)sk.hashes);
	for (int i = 0; i < 8; i++)
		pl_buf_putc(&b, (char)(sk.count >> (8 * i)));
	pl_buf_put(&b, sk.bits, sk.nbits / 8);
	dump(dir, "sketch-same", &b);
	pl_sketch_free(&sk);
	pl_fps_free(&part);
	pl_buf_free(&b);
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *seeds = getenv("FUZZ_DUMP_SEEDS");
	setup();
	if (seeds)
		dump_seeds(seeds);
	if (size == 0)
		return 0;
	if (data[0] & 1)
		sketch(data + 1, size - 1);
	else
		fingerprints(data + 1, size - 1);
	return 0;
}
