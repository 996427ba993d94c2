/*
 * match.c - the registry lookup table and the matcher (see pl_match.h).
 *
 * Table: fingerprints by key, split into 2^b buckets by the top b bits of the
 * key; an entry keeps the key's low 32 bits, the work and the position (12
 * bytes), so a lookup compares 32 + b bits of the key. The key is a bijective
 * mix of the 64-bit hash (murmur3's finalizer): fingerprints are the minima of
 * their windows, so their own top bits are mostly zero and would crowd a
 * small share of the buckets. Chains are
 * then checked shingle by shingle against the record, so a stray collision
 * cannot survive as a match of any length.
 *
 * In front of the table, a blocked Bloom filter over the same 32 + b bits:
 * most record fingerprints are in no work, and the filter answers them with
 * one cache line (64 bytes: eight 64-bit words, one bit in each, set by
 * multiplying the low 32 bits by eight odd constants, as in Parquet's split
 * block Bloom filter), fetched ahead while earlier fingerprints are tested,
 * instead of two cache misses into the bucket index and the table. It is a
 * pure filter of what the table holds: the matches do not change.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "match_internal.h"

typedef pl_match__entry entry;
typedef pl_match__hit hit;

/* Bloom filter: at least this many bits a fingerprint (blocks come in powers
 * of two, so up to twice as many), and how far ahead blocks are fetched. */
#define BLOOM_BITS_PER_FP 12
#define BLOOM_PREFETCH 16

static const uint32_t bloom_salt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                                       0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

/* The table's key of a fingerprint hash (a bijection). */
static inline uint64_t fp_key(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

static inline const uint64_t *bloom_block(const pl_matcher *m, uint64_t key)
{
	return m->bloom + 8 * (size_t)((key >> (64 - m->bits)) >> m->bloom_shift);
}

static inline int bloom_has(const uint64_t *blk, uint32_t lo)
{
	uint64_t miss = 0;
	for (int i = 0; i < 8; i++)
		miss |= ~blk[i] & (UINT64_C(1) << ((lo * bloom_salt[i]) >> 26));
	return miss == 0;
}

int pl_matcher_new(pl_matcher **out, unsigned k, unsigned w)
{
	pl_matcher *m;
	if (k == 0 || w == 0)
		return pl_error_set(PL_EUSAGE, "matcher: k and w must be positive");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	m->k = k;
	m->w = w;
	*out = m;
	return PL_OK;
}

int pl_matcher_add(pl_matcher *m, const pl_match_work *work, const unsigned char *fp, size_t nfps)
{
	unsigned char *list = NULL;
	if (m->sealed)
		return pl_error_set(PL_EUSAGE, "matcher: add after seal");
	if (m->nworks >= UINT32_MAX - 1)
		return pl_error_set(PL_ELIMIT, "matcher: too many works");
	if (m->nworks == m->capworks) {
		size_t cap = m->capworks ? m->capworks * 2 : 64;
		pl_match_work *w = realloc(m->works, cap * sizeof(*w));
		unsigned char **f = w ? realloc(m->fps, cap * sizeof(*f)) : NULL;
		if (w)
			m->works = w;
		if (!w || !f)
			return pl_error_set(PL_ENOMEM, "out of memory");
		m->fps = f;
		m->capworks = cap;
	}
	if (nfps && (list = malloc(nfps * PL_MATCH_REC)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (nfps)
		memcpy(list, fp, nfps * PL_MATCH_REC);
	m->nfps_total += nfps;
	m->works[m->nworks] = *work;
	m->works[m->nworks].nfps = (uint32_t)nfps;
	m->fps[m->nworks] = list;
	m->nworks++;
	return PL_OK;
}

int pl_matcher_set_part(pl_matcher *m, uint32_t index, uint32_t count, uint64_t total_works,
                        const pl_match_df *df, size_t ndf, const uint64_t *ghost, size_t nghost)
{
	if (m->sealed || m->map)
		return pl_error_set(PL_EUSAGE, "matcher: set_part after seal");
	if (count < 2 || index >= count)
		return pl_error_set(PL_EUSAGE,
		                    "registry part %u/%u: the index must be below the count", index,
		                    count);
	free(m->df);
	free(m->ghost);
	m->df = NULL;
	m->ghost = NULL;
	if ((ndf && !(m->df = malloc(ndf * sizeof(*m->df)))) ||
	    (nghost && !(m->ghost = malloc(nghost * sizeof(*m->ghost)))))
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (ndf)
		memcpy(m->df, df, ndf * sizeof(*df));
	if (nghost)
		memcpy(m->ghost, ghost, nghost * sizeof(*ghost));
	m->ndf = ndf;
	m->nghost = nghost;
	m->part_index = index;
	m->part_count = count;
	m->part_works = total_works;
	return PL_OK;
}

uint32_t pl_match_owner(uint64_t hash, uint32_t count)
{
	return count ? (uint32_t)(fp_key(hash) % count) : 0;
}

int pl_matcher_part(const pl_matcher *m, uint32_t *index, uint32_t *count, uint64_t *total_works)
{
	if (m->part_count < 2)
		return 0;
	*index = m->part_index;
	*count = m->part_count;
	*total_works = m->part_works;
	return 1;
}

uint64_t pl_matcher_global_work(const pl_matcher *m, uint32_t i)
{
	return m->part_count < 2 ? i : (uint64_t)i * m->part_count + m->part_index;
}

/* The number of works of the whole registry that hold hash (a part's). */
static uint32_t part_df(const pl_matcher *m, uint64_t hash)
{
	size_t lo = 0, hi = m->ndf;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->df[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->ndf && m->df[lo].hash == hash ? m->df[lo].df : 1;
}

void pl_matcher_set_spans(pl_matcher *m, pl_span_fn fn, void *ctx)
{
	m->span_fn = fn;
	m->span_ctx = ctx;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int pl_matcher_has_length(const pl_matcher *m, size_t ntokens)
{
	size_t lo = 0, hi = m->nworks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->lengths[mid] < ntokens)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nworks && m->lengths[lo] == ntokens;
}

static const pl_matcher *sort_ctx;
static int cmp_sha(const void *a, const void *b)
{
	return memcmp(sort_ctx->works[*(const uint32_t *)a].normalized_sha256,
	              sort_ctx->works[*(const uint32_t *)b].normalized_sha256, PL_HASH_LEN);
}

/* Bits of the key that split the fingerprints into runs built one at a time. */
#define SEAL_PARTITION_BITS 11

/* The table, its bucket index and the Bloom filter. A counting sort by bucket
 * straight from the per-work lists would write every entry to a random place
 * in a table far larger than any cache; instead one pass scatters the
 * fingerprints into 2^11 runs of the table by the top bits of their key (2^11
 * write streams, which the caches hold), noting each one's bucket within its
 * run; then each run, a cache's worth, is counted into its buckets, placed,
 * sorted and put in its Bloom blocks. Works and positions stay in ascending
 * order through both scatters, so the stable insertion sort by the key's low
 * bits leaves each bucket ordered by (key, work, position): the same table as
 * a direct counting sort. */
static int build_table(pl_matcher *m)
{
	unsigned pb = m->bits < SEAL_PARTITION_BITS ? m->bits : SEAL_PARTITION_BITS, nbits = 0;
	unsigned sb = m->bits - pb;
	size_t np = (size_t)1 << pb, nb = (size_t)1 << m->bits, sub = (size_t)1 << sb;
	size_t want = m->nentries / (512 / BLOOM_BITS_PER_FP) + 1, n = m->nentries, big = 0;
	size_t *pstart = NULL, *cur = NULL;
	uint32_t *bcur = NULL, *subof = NULL, *rsub = NULL;
	entry *run = NULL;
	int error = PL_OK;

	while (((size_t)1 << nbits) < want && nbits < m->bits)
		nbits++;
	m->bloom_shift = m->bits - nbits;
	if (!(m->bucket = calloc(nb + 1, sizeof(*m->bucket))) ||
	    !(m->bloom = calloc((size_t)8 << nbits, sizeof(*m->bloom))) ||
	    (n && !(m->table = malloc(n * sizeof(*m->table)))) ||
	    !(pstart = calloc(np + 1, sizeof(*pstart))) || !(cur = malloc(np * sizeof(*cur))) ||
	    !(bcur = malloc(sub * sizeof(*bcur))) || (n && !(subof = malloc(n * sizeof(*subof))))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t w = 0; w < m->nworks; w++)
		for (size_t i = 0; i < m->works[w].nfps; i++)
			pstart[(fp_key(pl_match__rec_hash(m->fps[w], i)) >> (64 - pb)) + 1]++;
	for (size_t g = 0; g < m->nghost; g++)
		pstart[(fp_key(m->ghost[g]) >> (64 - pb)) + 1]++;
	for (size_t p = 0; p < np; p++) {
		if (pstart[p + 1] > big)
			big = pstart[p + 1];
		pstart[p + 1] += pstart[p];
	}
	if (big && (!(run = malloc(big * sizeof(*run))) || !(rsub = malloc(big * sizeof(*rsub))))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(cur, pstart, np * sizeof(*cur));
	for (size_t w = 0; w < m->nworks; w++)
		for (size_t i = 0; i < m->works[w].nfps; i++) {
			uint64_t key = fp_key(pl_match__rec_hash(m->fps[w], i));
			size_t at = cur[key >> (64 - pb)]++;
			m->table[at].lo = (uint32_t)key;
			m->table[at].work = (uint32_t)w;
			m->table[at].pos = pl_match__rec_pos(m->fps[w], i);
			subof[at] = (uint32_t)((key >> (64 - m->bits)) & (sub - 1));
		}
	for (size_t g = 0; g < m->nghost; g++) { /* after every work: last in their key */
		uint64_t key = fp_key(m->ghost[g]);
		size_t at = cur[key >> (64 - pb)]++;
		m->table[at].lo = (uint32_t)key;
		m->table[at].work = PL_MATCH_GHOST;
		m->table[at].pos = 0;
		subof[at] = (uint32_t)((key >> (64 - m->bits)) & (sub - 1));
	}
	for (size_t p = 0; p < np; p++) {
		size_t b0 = p * sub, e0 = pstart[p], ne = pstart[p + 1] - e0;
		uint32_t at = (uint32_t)e0;
		if (ne) { /* with no fingerprints at all, table and run are NULL */
			memcpy(run, m->table + e0, ne * sizeof(*run));
			memcpy(rsub, subof + e0, ne * sizeof(*rsub));
		}
		for (size_t e = 0; e < ne; e++)
			m->bucket[b0 + rsub[e] + 1]++;
		for (size_t b = 0; b < sub; b++) { /* counts to starts */
			uint32_t c = m->bucket[b0 + b + 1];
			m->bucket[b0 + b] = at;
			bcur[b] = at;
			at += c;
		}
		m->bucket[b0 + sub] = at;
		for (size_t e = 0; e < ne; e++) {
			uint64_t *blk = m->bloom + 8 * ((b0 + rsub[e]) >> m->bloom_shift);
			m->table[bcur[rsub[e]]++] = run[e];
			for (int j = 0; j < 8; j++)
				blk[j] |= UINT64_C(1) << ((run[e].lo * bloom_salt[j]) >> 26);
		}
		for (size_t b = b0; b < b0 + sub; b++) {
			for (uint32_t i = m->bucket[b] + 1; i < m->bucket[b + 1]; i++) {
				entry x = m->table[i];
				uint32_t j = i;
				while (j > m->bucket[b] && m->table[j - 1].lo > x.lo) {
					m->table[j] = m->table[j - 1];
					j--;
				}
				m->table[j] = x;
			}
		}
	}
done:
	free(pstart);
	free(cur);
	free(bcur);
	free(subof);
	free(run);
	free(rsub);
	return error;
}

int pl_matcher_seal(pl_matcher *m)
{
	int error;
	if (m->sealed)
		return PL_OK;
	if (m->map) { /* a registry file: the table is built */
		if (m->span_fn && (error = pl_match__spans_init(m)) < 0)
			return error;
		m->sealed = 1;
		return PL_OK;
	}
	m->bits = 1;
	while (m->bits < 40 && ((size_t)1 << m->bits) < (m->nfps_total + m->nghost) / 4 + 1)
		m->bits++;
	m->nentries = m->nfps_total + m->nghost;
	if (m->nentries > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "matcher: more than 2^32 fingerprints");
	if ((error = build_table(m)) < 0)
		return error;
	free(m->ghost); /* in the table now */
	m->ghost = NULL;
	if (m->nworks && (m->by_sha = malloc(m->nworks * sizeof(*m->by_sha))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nworks; i++)
		m->by_sha[i] = (uint32_t)i;
	sort_ctx = m;
	if (m->nworks > 1) /* by_sha is NULL without works: qsort(NULL, 0) is undefined */
		qsort(m->by_sha, m->nworks, sizeof(*m->by_sha), cmp_sha);
	if (m->nworks && (m->lengths = malloc(m->nworks * sizeof(*m->lengths))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nworks; i++)
		m->lengths[i] = m->works[i].tokens;
	if (m->nworks > 1)
		qsort(m->lengths, m->nworks, sizeof(*m->lengths), cmp_u32);
	sort_ctx = NULL;
	if (m->span_fn && (error = pl_match__spans_init(m)) < 0)
		return error;
	m->sealed = 1;
	return PL_OK;
}

unsigned pl_matcher_k(const pl_matcher *m)
{
	return m->k;
}
unsigned pl_matcher_w(const pl_matcher *m)
{
	return m->w;
}
size_t pl_matcher_nworks(const pl_matcher *m)
{
	return m->nworks;
}
const pl_match_work *pl_matcher_work(const pl_matcher *m, uint32_t i)
{
	return &m->works[i];
}
size_t pl_matcher_table_bytes(const pl_matcher *m)
{
	return m->nentries * sizeof(entry) + (((size_t)1 << m->bits) + 1) * sizeof(uint32_t) +
	       (m->bloom ? ((size_t)64 << (m->bits - m->bloom_shift)) : 0);
}

void pl_matcher_free(pl_matcher *m)
{
	if (!m)
		return;
	if (m->map) {
		free(m->fps);
		pl_match__spans_free(m);
		munmap(m->map, m->map_len);
		free(m);
		return;
	}
	for (size_t i = 0; i < m->nworks; i++)
		free(m->fps[i]);
	free(m->fps);
	free(m->works);
	free(m->table);
	free(m->bucket);
	free(m->bloom);
	free(m->by_sha);
	free(m->lengths);
	free(m->df);
	free(m->ghost);
	pl_match__spans_free(m);
	free(m);
}

const char *pl_match_class_name(int cls)
{
	switch (cls) {
	case PL_MATCH_EXACT:
		return "exact";
	case PL_MATCH_NEAR:
		return "near-duplicate";
	default:
		return "partial";
	}
}

void pl_match_scratch_free(pl_match_scratch *s)
{
	if (!s)
		return;
	free(s->hits);
	s->hits = NULL;
	s->nhits = s->cap = 0;
	pl_match__scratch_free(s);
}

void pl_matches_free(pl_matches *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->pieces);
	m->v = NULL;
	m->pieces = NULL;
	m->count = m->cap = 0;
	m->npieces = m->cappieces = 0;
}

static int push_hit(pl_match_scratch *s, uint32_t work, uint32_t rpos, uint32_t wpos)
{
	hit *h;
	if (s->nhits == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		hit *p = realloc(s->hits, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		s->hits = p;
		s->cap = cap;
	}
	h = (hit *)s->hits + s->nhits++;
	h->work = work;
	h->rpos = rpos;
	h->wpos = wpos;
	return PL_OK;
}

static int push_match(pl_matches *out, const pl_match *mt)
{
	if (out->count == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		pl_match *p = realloc(out->v, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		out->v = p;
		out->cap = cap;
	}
	out->v[out->count++] = *mt;
	return PL_OK;
}

int pl_match__push(pl_matches *out, const pl_match *mt, const pl_match_piece *pc, size_t npc)
{
	int error;
	if (out->npieces + npc > out->cappieces) {
		size_t cap = out->cappieces ? out->cappieces : 16;
		pl_match_piece *p;
		while (cap < out->npieces + npc)
			cap *= 2;
		if (!(p = realloc(out->pieces, cap * sizeof(*p))))
			return pl_error_set(PL_ENOMEM, "out of memory");
		out->pieces = p;
		out->cappieces = cap;
	}
	if ((error = push_match(out, mt)) < 0)
		return error;
	out->v[out->count - 1].piece0 = (uint32_t)out->npieces;
	out->v[out->count - 1].npieces = (uint32_t)npc;
	memcpy(out->pieces + out->npieces, pc, npc * sizeof(*pc));
	out->npieces += npc;
	return PL_OK;
}

/* A match whose one piece is its span. */
static int push_whole(pl_matches *out, const pl_match *mt, int exact)
{
	pl_match_piece p = {mt->rec_tok0, mt->rec_tok1, mt->work_tok0, mt->work_tok1, exact};
	return pl_match__push(out, mt, &p, 1);
}

static int cmp_hit(const void *a, const void *b)
{
	const hit *x = a, *y = b;
	if (x->work != y->work)
		return x->work < y->work ? -1 : 1;
	if (x->rpos != y->rpos)
		return x->rpos < y->rpos ? -1 : 1;
	return x->wpos < y->wpos ? -1 : x->wpos > y->wpos;
}

static int cmp_match(const void *a, const void *b)
{
	const pl_match *x = a, *y = b;
	if (x->rec_tok0 != y->rec_tok0)
		return x->rec_tok0 < y->rec_tok0 ? -1 : 1;
	if (x->work != y->work)
		return x->work < y->work ? -1 : 1;
	return x->work_tok0 < y->work_tok0 ? -1 : x->work_tok0 > y->work_tok0;
}

static int64_t diag(uint32_t r, uint32_t w)
{
	return (int64_t)r - (int64_t)w;
}

/* The work fingerprint index at position pos (binary search), or -1. */
static long find_wfp(const unsigned char *f, uint32_t n, uint32_t pos)
{
	long lo = 0, hi = (long)n - 1;
	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		uint32_t p = pl_match__rec_pos(f, (size_t)mid);
		if (p == pos)
			return mid;
		if (p < pos)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Does the record's shingle at rpos (shifted by up to +-slack) equal h? */
static int record_has(const pl_tokens *t, unsigned k, int64_t rpos, uint64_t h, int slack,
                      int64_t *found)
{
	for (int d = 0; d <= slack; d++) {
		for (int sgn = 0; sgn < (d ? 2 : 1); sgn++) {
			int64_t r = rpos + (sgn ? -d : d);
			if (r < 0 || (uint64_t)r + k > t->count)
				continue;
			if (pl_shingle_hash(t->hash + r, k) == h) {
				*found = r;
				return 1;
			}
		}
	}
	return 0;
}

typedef struct {
	uint32_t r0, w0, r1, w1; /* first and last shingle positions */
	uint32_t nhits;
	uint32_t covered; /* record tokens covered by matched shingles */
	uint32_t cov_end;
} chain;

static void chain_add(chain *c, uint32_t r, uint32_t w, unsigned k)
{
	if (c->nhits == 0) {
		c->r0 = c->r1 = r;
		c->w0 = c->w1 = w;
		c->covered = k;
		c->cov_end = r + k;
		c->nhits = 1;
		return;
	}
	c->r1 = r;
	c->w1 = w;
	c->nhits++;
	if (r + k > c->cov_end) {
		c->covered += r + k - (r > c->cov_end ? r : c->cov_end);
		c->cov_end = r + k;
	}
}

/* Grow a chain over the work's neighbouring fingerprints that the record
 * also holds (checked shingle by shingle), to the left and to the right. */
static void extend(const pl_matcher *m, const pl_tokens *t, uint32_t work, chain *c, int slack)
{
	const unsigned char *f = m->fps[work];
	uint32_t n = m->works[work].nfps;
	long j;
	int64_t found;
	unsigned gap = 2 * m->w + m->k;

	if ((j = find_wfp(f, n, c->w1)) >= 0) {
		for (long i = j + 1; i < (long)n; i++) {
			if (pl_match__rec_pos(f, (size_t)i) - c->w1 > gap)
				break;
			int64_t r = (int64_t)pl_match__rec_pos(f, (size_t)i) + diag(c->r1, c->w1);
			if (!record_has(t, m->k, r, pl_match__rec_hash(f, (size_t)i), slack,
			                &found) ||
			    found <= (int64_t)c->r1)
				break;
			chain_add(c, (uint32_t)found, pl_match__rec_pos(f, (size_t)i), m->k);
		}
	}
	if ((j = find_wfp(f, n, c->w0)) >= 0) {
		for (long i = j - 1; i >= 0; i--) {
			if (c->w0 - pl_match__rec_pos(f, (size_t)i) > gap)
				break;
			int64_t r = (int64_t)pl_match__rec_pos(f, (size_t)i) + diag(c->r0, c->w0);
			if (!record_has(t, m->k, r, pl_match__rec_hash(f, (size_t)i), slack,
			                &found) ||
			    found >= (int64_t)c->r0)
				break;
			/* prepend: recompute coverage conservatively */
			uint32_t old_r0 = c->r0;
			c->r0 = (uint32_t)found;
			c->w0 = pl_match__rec_pos(f, (size_t)i);
			c->nhits++;
			c->covered += (old_r0 - c->r0) < m->k ? (old_r0 - c->r0) : m->k;
		}
	}
}

/* How many of the work's fingerprints lie strictly between positions a < b:
 * fingerprints the record should also hold if the text between were copied.
 * More than a few missing means two separate matches, not one edited copy. */
static long missed_between(const pl_matcher *m, uint32_t work, uint32_t a, uint32_t b)
{
	long ia = find_wfp(m->fps[work], m->works[work].nfps, a);
	long ib = find_wfp(m->fps[work], m->works[work].nfps, b);
	if (ia < 0 || ib < 0)
		return 0;
	return ib - ia - 1;
}

/* Merge matches of the same work whose record spans overlap (pieces of one
 * chain that a repeated passage split, grown back over the same text). */
static void merge_overlaps(pl_matches *out)
{
	size_t w = 0;
	for (size_t i = 0; i < out->count; i++) {
		pl_match *x = &out->v[i];
		size_t j;
		for (j = 0; j < w; j++) {
			pl_match *y = &out->v[j];
			if (y->work != x->work || x->cls == PL_MATCH_EXACT ||
			    y->cls == PL_MATCH_EXACT || x->span_exact || y->span_exact ||
			    x->rec_tok0 >= y->rec_tok1 || y->rec_tok0 >= x->rec_tok1)
				continue;
			if (x->rec_tok1 - x->rec_tok0 > y->rec_tok1 - y->rec_tok0) {
				/* keep the longer piece's spans, the best figures of both */
				uint32_t mt = y->matched_tokens, c1 = y->containment,
				         c2 = y->coverage;
				*y = *x;
				out->pieces[y->piece0] = (pl_match_piece){
				    y->rec_tok0, y->rec_tok1, y->work_tok0, y->work_tok1, 0};
				if (mt > y->matched_tokens)
					y->matched_tokens = mt;
				if (c1 > y->containment)
					y->containment = c1;
				if (c2 > y->coverage)
					y->coverage = c2;
			} else {
				if (x->matched_tokens > y->matched_tokens)
					y->matched_tokens = x->matched_tokens;
				if (x->containment > y->containment)
					y->containment = x->containment;
				if (x->coverage > y->coverage)
					y->coverage = x->coverage;
			}
			if (x->cls < y->cls)
				y->cls = x->cls;
			break;
		}
		if (j == w)
			out->v[w++] = *x;
	}
	out->count = w;
}

static int emit(const pl_matcher *m, pl_matches *out, const pl_tokens *t, size_t rec_fps,
                uint32_t work, const chain *c, const pl_match_opts *o)
{
	pl_match mt;
	uint32_t span = c->r1 + m->k - c->r0;
	uint32_t nf = m->works[work].nfps;
	if (span + 2 * (m->w - 1) < o->min_tokens)
		return PL_OK;
	memset(&mt, 0, sizeof(mt));
	mt.work = work;
	mt.rec_tok0 = c->r0;
	mt.rec_tok1 = c->r1 + m->k;
	mt.work_tok0 = c->w0;
	mt.work_tok1 = c->w1 + m->k;
	mt.matched_tokens = c->covered;
	mt.containment =
	    nf ? (uint32_t)((uint64_t)(c->nhits > nf ? nf : c->nhits) * 10000 / nf) : 0;
	mt.coverage =
	    rec_fps
	        ? (uint32_t)((uint64_t)(c->nhits > rec_fps ? rec_fps : c->nhits) * 10000 / rec_fps)
	        : 0;
	mt.cls = mt.containment >= 8000 && mt.coverage >= 8000 ? PL_MATCH_NEAR : PL_MATCH_PARTIAL;
	(void)t;
	return push_whole(out, &mt, 0);
}

int pl_matcher_match(const pl_matcher *m, pl_matches *out, pl_match_scratch *s, const pl_tokens *t,
                     const pl_fps *fps, const unsigned char *norm_sha, const pl_match_opts *o)
{
	long exact = -1;
	int error;
	unsigned slack = m->w < 20 ? 2 : 1;

	out->count = 0;
	out->npieces = 0;
	out->ignored = 0;
	s->nhits = 0;
	pl_match__record(s);
	if (!m->sealed)
		return pl_error_set(PL_EUSAGE, "matcher: not sealed");
	/* Exact: the normalized texts are equal. */
	if (norm_sha && m->nworks && t->count > 0) {
		long lo = 0, hi = (long)m->nworks - 1;
		while (lo <= hi) {
			long mid = (lo + hi) / 2;
			int c = memcmp(m->works[m->by_sha[mid]].normalized_sha256, norm_sha,
			               PL_HASH_LEN);
			if (c == 0) {
				exact = m->by_sha[mid];
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (exact >= 0) {
			pl_match mt = {(uint32_t)exact,
			               0,
			               (uint32_t)t->count,
			               0,
			               m->works[exact].tokens,
			               (uint32_t)t->count,
			               10000,
			               10000,
			               PL_MATCH_EXACT,
			               1,
			               0,
			               0};
			if ((error = push_whole(out, &mt, 1)) < 0)
				return error;
		}
	}
	/* Look every record fingerprint up: the filter first, fetched ahead. */
	for (size_t i = 0; i < fps->count && m->nentries; i++) {
		uint64_t h = fp_key(fps->v[i].hash);
		uint32_t lo = (uint32_t)h, b = (uint32_t)(h >> (64 - m->bits));
		if (i + BLOOM_PREFETCH < fps->count)
			__builtin_prefetch(bloom_block(m, fp_key(fps->v[i + BLOOM_PREFETCH].hash)));
		if (!bloom_has(bloom_block(m, h), lo))
			continue;
		uint32_t a = m->bucket[b], z = m->bucket[b + 1], first = UINT32_MAX, nworks = 0,
		         lastw = UINT32_MAX;
		for (uint32_t e = a; e < z; e++) {
			if (m->table[e].lo != lo)
				continue;
			if (first == UINT32_MAX)
				first = e;
			if (m->table[e].work != lastw) {
				nworks++;
				lastw = m->table[e].work;
			}
		}
		if (first == UINT32_MAX)
			continue;
		if (m->part_count > 1) /* the whole registry's count, not the part's */
			nworks = part_df(m, fps->v[i].hash);
		if (nworks > o->max_df) {
			/* a part counts the fingerprints of its own key range */
			if (m->part_count < 2 ||
			    pl_match_owner(fps->v[i].hash, m->part_count) == m->part_index)
				out->ignored++;
			continue;
		}
		for (uint32_t e = first; e < z; e++) {
			if (m->table[e].lo != lo || (long)m->table[e].work == exact ||
			    m->table[e].work == PL_MATCH_GHOST)
				continue;
			if ((error =
			         push_hit(s, m->table[e].work, fps->v[i].pos, m->table[e].pos)) < 0)
				return error;
		}
	}
	if (s->nhits == 0)
		goto done;
	qsort(s->hits, s->nhits, sizeof(hit), cmp_hit);
	/* Chain the hits of each work. */
	{
		hit *hs = s->hits;
		size_t i = 0;
		unsigned gap = 2 * (m->w + m->k);
		while (i < s->nhits) {
			uint32_t work = hs[i].work;
			size_t end = i;
			chain c = {0};
			while (end < s->nhits && hs[end].work == work)
				end++;
			if ((error = pl_match__exact(m, out, s, t, fps, work, hs + i, end - i, o)) <
			    0)
				return error;
			if (error == 0) {
				i = end;
				continue;
			}
			for (size_t j = i; j < end; j++) {
				const hit *h = &hs[j];
				if (c.nhits) {
					int64_t d0 = diag(c.r1, c.w1), d1 = diag(h->rpos, h->wpos);
					uint32_t g = h->rpos - c.r1;
					int64_t drift = d1 > d0 ? d1 - d0 : d0 - d1;
					if (h->rpos == c.r1)
						continue; /* one hit per record position */
					if (h->wpos <= c.w1 || g > gap || drift > 4 + g / 8 ||
					    missed_between(m, work, c.w1, h->wpos) >
					        3 + (long)c.nhits) {
						/* Another copy elsewhere? Close this chain
						 * unless the next hits continue it better. */
						extend(m, t, work, &c, (int)slack);
						if ((error = emit(m, out, t, fps->count, work, &c,
						                  o)) < 0)
							return error;
						memset(&c, 0, sizeof(c));
					}
				}
				if (c.nhits == 0 || h->rpos > c.r1)
					chain_add(&c, h->rpos, h->wpos, m->k);
			}
			if (c.nhits) {
				extend(m, t, work, &c, (int)slack);
				if ((error = emit(m, out, t, fps->count, work, &c, o)) < 0)
					return error;
			}
			i = end;
		}
	}
done:
	merge_overlaps(out);
	if (out->count > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(out->v, out->count, sizeof(*out->v), cmp_match);
	return PL_OK;
}

int pl_fps_serialize(pl_buf *out, const pl_fps *fps)
{
	int error;
	if ((error = pl_buf_grow(out, fps->count * 12)) < 0)
		return error;
	for (size_t i = 0; i < fps->count; i++) {
		unsigned char r[12];
		for (int b = 0; b < 8; b++)
			r[b] = (unsigned char)(fps->v[i].hash >> (8 * b));
		for (int b = 0; b < 4; b++)
			r[8 + b] = (unsigned char)(fps->v[i].pos >> (8 * b));
		memcpy(out->ptr + out->len, r, 12);
		out->len += 12;
	}
	out->ptr[out->len] = '\0';
	return PL_OK;
}
