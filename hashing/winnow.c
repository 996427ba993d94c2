/*
 * winnow.c - SPEC §8 steps 2-3: shingles over token hashes and winnowing
 * (Schleimer, Wilkerson, Aiken 2003), in O(n) without branches on the data.
 *
 * The shingle hashes are computed first, a chunk at a time (independent
 * XXH3 calls, which the processor overlaps). The rightmost minimum of every
 * window of w is then found as van Herk and Gil and Werman do: cut the chunk
 * into blocks of w; within each block take the running minimum from the left
 * (P) and from the right (S); a window that starts inside a block ends inside
 * the next, so its minimum is the smaller of S at its start and P at its end,
 * P on ties (it lies to the right). Comparisons with <= from the left and <
 * from the right keep the rightmost on ties inside a block too. The selected
 * position never moves left from one window to the next, so "once per
 * position" is a comparison with the last recorded one and the output is
 * sorted. Memory: a chunk of WINNOW_CHUNK windows, whatever the text's size.
 */
#include "pl_text.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* XXH3_64bits of k token hashes, for the k of both schemes (17..128 bytes)
 * inline: the function XXH3_64bits calls for them (seed 0, default secret). */
__attribute__((always_inline)) static inline uint64_t shingle(const uint64_t *h, unsigned k)
{
#if XXH_VERSION_NUMBER >= 800
	size_t n = (size_t)k * 8;
	if (n > 16 && n <= 128)
		return XXH3_len_17to128_64b((const xxh_u8 *)h, n, XXH3_kSecret,
		                            sizeof(XXH3_kSecret), 0);
#endif
	return XXH3_64bits(h, (size_t)k * 8);
}

uint64_t pl_shingle_hash(const uint64_t *h, unsigned k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return shingle(h, k);
#else
	XXH3_state_t st;
	unsigned i;
	XXH3_64bits_reset(&st);
	for (i = 0; i < k; i++) {
		unsigned char le[8];
		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(h[i] >> (8 * b));
		XXH3_64bits_update(&st, le, 8);
	}
	return XXH3_64bits_digest(&st);
#endif
}

/* Windows a chunk holds. */
#define WINNOW_CHUNK 4096

typedef struct {
	uint64_t *s;     /* shingle hashes of the chunk */
	uint32_t *p, *q; /* running minima from the left and from the right, by block */
} scratch;

static int grow_out(pl_fps *out, size_t need)
{
	size_t cap = out->cap ? out->cap : 64;
	pl_fp *p;
	if (need <= out->cap)
		return PL_OK;
	while (cap < need)
		cap *= 2;
	if (cap > SIZE_MAX / sizeof(*p) || (p = realloc(out->v, cap * sizeof(*p))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory (%zu fingerprints)", cap);
	out->v = p;
	out->cap = cap;
	return PL_OK;
}

static int grow_scratch(pl_fps *out, size_t n, scratch *sc)
{
	size_t need = n * (sizeof(uint64_t) + 2 * sizeof(uint32_t));
	if (need > out->scratch_cap) {
		void *p = realloc(out->scratch, need);
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory (window of %zu)", n);
		out->scratch = p;
		out->scratch_cap = need;
	}
	sc->s = out->scratch;
	sc->p = (uint32_t *)(sc->s + n);
	sc->q = sc->p + n;
	return PL_OK;
}

/* Winnow the ns shingles of h: h[j] itself when k is 0, else the shingle of
 * h[j..j+k). */
static int winnow(pl_fps *out, const uint64_t *h, size_t ns, unsigned k, unsigned w)
{
	size_t span = ns <= w ? 1 : WINNOW_CHUNK + (size_t)w - 1, last = SIZE_MAX;
	scratch sc = {NULL, NULL, NULL};
	int error;

	if ((error = grow_scratch(out, span, &sc)) < 0 ||
	    (error = grow_out(out, ns / ((w + 1) / 2) + 2)) < 0)
		goto done;
	if (ns <= w) { /* one window: all of them */
		uint64_t best = 0;
		size_t m = 0;
		for (size_t j = 0; j < ns; j++) {
			uint64_t v = k ? shingle(h + j, k) : h[j];
			if (j == 0 || v <= best) {
				best = v;
				m = j;
			}
		}
		out->v[0].hash = best;
		out->v[0].pos = (uint32_t)m;
		out->count = 1;
		goto done;
	}
	for (size_t i0 = 0; i0 + w <= ns; i0 += WINNOW_CHUNK) {
		size_t nwin = ns - w + 1 - i0 < WINNOW_CHUNK ? ns - w + 1 - i0 : WINNOW_CHUNK;
		size_t n = nwin + w - 1; /* shingles i0 .. i0+n-1 */
		const uint64_t *s;
		if (k) {
			for (size_t j = 0; j < n; j++)
				sc.s[j] = shingle(h + i0 + j, k);
			s = sc.s;
		} else {
			s = h + i0;
		}
		for (size_t b0 = 0; b0 < n; b0 += w) {
			size_t e = b0 + w < n ? b0 + w : n;
			uint32_t m = (uint32_t)b0;
			sc.p[b0] = m;
			for (size_t j = b0 + 1; j < e; j++) {
				m = s[j] <= s[m] ? (uint32_t)j : m;
				sc.p[j] = m;
			}
			m = (uint32_t)(e - 1);
			sc.q[e - 1] = m;
			for (size_t j = e - 1; j-- > b0;) {
				m = s[j] < s[m] ? (uint32_t)j : m;
				sc.q[j] = m;
			}
		}
		if ((error = grow_out(out, out->count + nwin / ((w + 1) / 2) + 2)) < 0)
			goto done;
		for (size_t i = 0; i < nwin; i++) {
			uint32_t a = sc.q[i], b = sc.p[i + w - 1];
			uint32_t sel = s[b] <= s[a] ? b : a;
			if (i0 + sel == last)
				continue;
			if (out->count == out->cap && (error = grow_out(out, out->count + 1)) < 0)
				goto done;
			last = i0 + sel;
			out->v[out->count].hash = s[sel];
			out->v[out->count].pos = (uint32_t)last;
			out->count++;
		}
	}
done:
	if (error < 0)
		out->count = 0;
	return error;
}

int pl_winnow(pl_fps *out, const uint64_t *token_hashes, size_t ntokens, unsigned k, unsigned w)
{
	if (out == NULL || (token_hashes == NULL && ntokens > 0) || k == 0 || w == 0)
		return pl_error_set(PL_EUSAGE, "pl_winnow: bad arguments (k=%u, w=%u)", k, w);
	out->count = 0;
	if (ntokens > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "record of %zu tokens exceeds the limit", ntokens);
	if (ntokens < k)
		return PL_OK;
	return winnow(out, token_hashes, ntokens - k + 1, k, w);
}

int pl_winnow_select(pl_fps *out, const uint64_t *hashes, size_t n, unsigned w)
{
	if (out == NULL || (hashes == NULL && n > 0) || w == 0)
		return pl_error_set(PL_EUSAGE, "pl_winnow_select: bad arguments (w=%u)", w);
	out->count = 0;
	if (n > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "%zu hashes exceed the limit", n);
	if (n == 0)
		return PL_OK;
	return winnow(out, hashes, n, 0, w);
}

int pl_span_hashes(pl_buf *out, const uint64_t *token_hashes, size_t ntokens)
{
	size_t n = pl_span_count(ntokens);
	unsigned char *o;
	int error;
	if (ntokens > UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "text of %zu tokens exceeds the limit", ntokens);
	if ((error = pl_buf_grow(out, 2 * n)) < 0)
		return error;
	o = (unsigned char *)out->ptr + out->len;
	for (size_t i = 0; i < n; i++) {
		uint16_t v = pl_span_hash(token_hashes + i);
		o[2 * i] = (unsigned char)v;
		o[2 * i + 1] = (unsigned char)(v >> 8);
	}
	out->len += 2 * n;
	out->ptr[out->len] = '\0';
	return PL_OK;
}

void pl_fps_free(pl_fps *f)
{
	if (f == NULL)
		return;
	free(f->v);
	free(f->scratch);
	memset(f, 0, sizeof(*f));
}
