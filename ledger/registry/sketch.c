/* sketch.c - the bloom-winnow-v1 dataset sketch (layout in pl_sketch.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pl_sketch.h"

int pl_sketch_init(pl_sketch *s, uint64_t count)
{
	uint64_t nbits = count * PL_SKETCH_BITS_PER_FP;
	nbits = (nbits + 63) / 64 * 64;
	if (nbits < 64)
		nbits = 64;
	memset(s, 0, sizeof(*s));
	if ((s->bits = calloc(nbits / 8, 1)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory (sketch of %llu bits)",
		                    (unsigned long long)nbits);
	s->nbits = nbits;
	s->hashes = PL_SKETCH_HASHES;
	return PL_OK;
}

static uint64_t bitpos(const pl_sketch *s, uint64_t x, unsigned i)
{
	uint64_t a = x, b = (x >> 32 | x << 32) | 1;
	return (a + (uint64_t)i * b) % s->nbits;
}

void pl_sketch_add(pl_sketch *s, uint64_t fp)
{
	for (unsigned i = 0; i < s->hashes; i++) {
		uint64_t j = bitpos(s, fp, i);
		s->bits[j / 8] |= (unsigned char)(1u << (j % 8));
	}
	s->count++;
}

int pl_sketch_has(const pl_sketch *s, uint64_t fp)
{
	for (unsigned i = 0; i < s->hashes; i++) {
		uint64_t j = bitpos(s, fp, i);
		if (!(s->bits[j / 8] >> (j % 8) & 1))
			return 0;
	}
	return 1;
}

int pl_sketch_view(pl_sketch *s, const void *data, size_t len, uint64_t nbits, unsigned hashes,
                   uint64_t count)
{
	if (nbits == 0 || nbits % 64 != 0 || len != nbits / 8 || hashes == 0 || hashes > 64)
		return pl_error_set(PL_EINVALID, "sketch: %zu bytes do not hold %llu bits", len,
		                    (unsigned long long)nbits);
	s->bits = (unsigned char *)data;
	s->nbits = nbits;
	s->hashes = hashes;
	s->count = count;
	return PL_OK;
}

void pl_sketch_free(pl_sketch *s)
{
	if (!s)
		return;
	free(s->bits);
	s->bits = NULL;
}

size_t pl_sketch_longest_run(const pl_sketch *s, const pl_fps *fps)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < fps->count; i++) {
		if (pl_sketch_has(s, fps->v[i].hash)) {
			if (++run > best)
				best = run;
		} else {
			run = 0;
		}
	}
	return best;
}

double pl_sketch_false_odds(const pl_sketch *s, size_t nfps, size_t run)
{
	double fill = 1.0 - exp(-(double)s->hashes * (double)s->count / (double)s->nbits);
	double p = pow(fill, (double)s->hashes);
	double odds = (double)nfps * pow(p, (double)run);
	return odds > 1.0 ? 1.0 : odds;
}
