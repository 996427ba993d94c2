/*
 * winnow.c - SPEC §8 steps 2-3: shingles over token hashes and winnowing
 * (Schleimer, Wilkerson, Aiken 2003), in O(n) with a monotonic deque.
 *
 * The deque holds the candidates of the current window in increasing position
 * and strictly increasing hash: a new shingle removes every older one whose
 * hash is >= its own (they can never again be the rightmost minimum), so the
 * front is always the rightmost minimum of the window. The selected position
 * never moves left from one window to the next, so "once per position" is a
 * comparison with the last recorded position and the output is sorted.
 */
#include "pl_text.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct {
	uint64_t hash;
	uint32_t pos;
} cand;

uint64_t pl_shingle_hash(const uint64_t *h, unsigned k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return XXH3_64bits(h, (size_t)k * 8);
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

static int record(pl_fps *out, const cand *c)
{
	if (out->count > 0 && out->v[out->count - 1].pos == c->pos)
		return PL_OK;
	if (out->count == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		pl_fp *p;
		if (cap > SIZE_MAX / sizeof(*p) || (p = realloc(out->v, cap * sizeof(*p))) == NULL)
			return pl_error_set(PL_ENOMEM, "out of memory (%zu fingerprints)", cap);
		out->v = p;
		out->cap = cap;
	}
	out->v[out->count].hash = c->hash;
	out->v[out->count].pos = c->pos;
	out->count++;
	return PL_OK;
}

/* Winnow the ns shingles of h: h[j] itself when k is 0, else the shingle of
 * h[j..j+k). */
static int winnow(pl_fps *out, const uint64_t *h, size_t ns, unsigned k, unsigned w)
{
	cand small[64], *dq = small;
	size_t cap = 1, mask, head = 0, cnt = 0, j;
	int error = PL_OK;

	while (cap < w && cap < ns)
		cap *= 2;
	if (cap > sizeof(small) / sizeof(small[0]) && (dq = malloc(cap * sizeof(*dq))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory (window of %u)", w);
	mask = cap - 1;

	for (j = 0; j < ns; j++) {
		cand c = {k ? pl_shingle_hash(h + j, k) : h[j], (uint32_t)j};
		if (cnt > 0 && dq[head].pos + (size_t)w <= j) {
			head = (head + 1) & mask;
			cnt--;
		}
		while (cnt > 0 && dq[(head + cnt - 1) & mask].hash >= c.hash)
			cnt--;
		dq[(head + cnt) & mask] = c;
		cnt++;
		if (j + 1 >= w && (error = record(out, &dq[head])) < 0)
			goto done;
	}
	if (ns < w)
		error = record(out, &dq[head]);

done:
	if (dq != small)
		free(dq);
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
	memset(f, 0, sizeof(*f));
}
