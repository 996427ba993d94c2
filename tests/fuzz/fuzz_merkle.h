/* fuzz_merkle.h - a small RFC 6962 tree of known leaves, for the proof
 * harnesses: proofs the library generates must verify, and altered ones must
 * not. */
#ifndef PL_FUZZ_MERKLE_H
#define PL_FUZZ_MERKLE_H

#include "fuzz.h"
#include "pl_hash.h"

#define FUZZ_TREE_MAX 300 /* leaves: proofs of up to 9 hashes, cheap to recompute */

/* Leaf i: the RFC 6962 leaf hash of its 8 bytes little-endian. */
static inline void fuzz_leaf(unsigned char out[PL_HASH_LEN], uint64_t i)
{
	unsigned char b[8];
	for (int j = 0; j < 8; j++)
		b[j] = (unsigned char)(i >> (8 * j));
	pl_merkle_leaf(out, b, sizeof(b));
}

/* MTH(D[start:end]), straight from RFC 6962 §2.1. */
static inline void fuzz_mth(unsigned char out[PL_HASH_LEN], uint64_t start, uint64_t end)
{
	unsigned char l[PL_HASH_LEN], r[PL_HASH_LEN];
	uint64_t k;
	if (end - start == 1) {
		fuzz_leaf(out, start);
		return;
	}
	for (k = 1; k < end - start; k <<= 1)
		;
	k >>= 1;
	fuzz_mth(l, start, start + k);
	fuzz_mth(r, start + k, end);
	pl_merkle_node(out, l, r);
}

static inline int fuzz_subtree(void *ctx, uint64_t start, uint64_t end,
                               unsigned char out[PL_HASH_LEN])
{
	(void)ctx;
	FUZZ_ASSERT(start < end && end <= FUZZ_TREE_MAX);
	fuzz_mth(out, start, end);
	return PL_OK;
}

/* The root of the first n leaves, computed by the library's builder (and
 * checked against the recursive definition). */
static inline void fuzz_root(unsigned char out[PL_HASH_LEN], uint64_t n)
{
	pl_merkle_builder b;
	unsigned char h[PL_HASH_LEN];
	pl_merkle_builder_init(&b);
	for (uint64_t i = 0; i < n; i++) {
		fuzz_leaf(h, i);
		pl_merkle_builder_add(&b, h);
	}
	pl_merkle_builder_root(&b, out);
	if (n) {
		fuzz_mth(h, 0, n);
		FUZZ_ASSERT(memcmp(h, out, PL_HASH_LEN) == 0);
	}
}

/* The little-endian number in bytes [off, off + n) of d[0..size) (n <= 8;
 * bytes past the end count as 0). */
static inline uint64_t fuzz_u64(const uint8_t *d, size_t size, size_t off, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8 && off + i < size; i++)
		v |= (uint64_t)d[off + i] << (8 * i);
	return v;
}

#endif
