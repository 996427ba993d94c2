/* Fuzz consistency proofs (pl_merkle_verify_consistency; RFC 9162 §2.1.4.2).
 * By the first byte of the input:
 *  0  old size, size, both roots and the proof hashes taken raw from the input;
 *  1  two sizes from the input: the library's own proof between two trees of
 *     known leaves must verify; with a bit flipped, a hash dropped or added,
 *     or another old root, it must not;
 *  2  the rest is a proof as `provledger prove --consistency` prints it (one
 *     base64 hash per line), checked from size 3 to 5 of the tlog fixtures. */
#include "fuzz_merkle.h"

/* tests/fixtures/tlog/checkpoint-{3,5}.txt */
static const char ROOT3[] = "6NGKBkRBajjJ/+5d/W2166wWbweygbRAqmPbhqXf1Wk=";
static const char ROOT5[] = "i9jelI9YV/O9r9g/Y98uAPc4nUBcZoYNPxAeWwzfbbs=";

static void raw_mode(const uint8_t *d, size_t size)
{
	uint64_t old, sz;
	if (size < 16 + 2 * PL_HASH_LEN)
		return;
	old = fuzz_u64(d, size, 0, 8);
	sz = fuzz_u64(d, size, 8, 8);
	int rc = pl_merkle_verify_consistency(old, sz, d + 16, d + 16 + PL_HASH_LEN,
	                                      d + 16 + 2 * PL_HASH_LEN,
	                                      (size - 16 - 2 * PL_HASH_LEN) / PL_HASH_LEN);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
}

static void property_mode(const uint8_t *d, size_t size)
{
	unsigned char r0[PL_HASH_LEN], r1[PL_HASH_LEN];
	pl_buf proof = PL_BUF_INIT;
	uint64_t sz = 1 + fuzz_u64(d, size, 0, 2) % FUZZ_TREE_MAX;
	uint64_t old = fuzz_u64(d, size, 2, 2) % (sz + 1);
	size_t n, bit = (size_t)fuzz_u64(d, size, 4, 2);
	unsigned char *h;

	fuzz_root(r0, old);
	fuzz_root(r1, sz);
	FUZZ_ASSERT(pl_merkle_consistency_proof(&proof, old, sz, fuzz_subtree, NULL) == PL_OK);
	FUZZ_ASSERT(proof.len % PL_HASH_LEN == 0);
	n = proof.len / PL_HASH_LEN;
	FUZZ_ASSERT(pl_buf_grow(&proof, PL_HASH_LEN) == PL_OK);
	h = (unsigned char *)proof.ptr;
	FUZZ_ASSERT((old == 0 || old == sz) == (n == 0));
	if (old == 0)
		goto done;
	FUZZ_ASSERT(pl_merkle_verify_consistency(old, sz, r0, r1, h, n) == PL_OK);
	FUZZ_ASSERT(pl_merkle_verify_consistency(old, sz, r1, r0, h, n) == PL_EVERIFY ||
	            memcmp(r0, r1, PL_HASH_LEN) == 0);
	FUZZ_ASSERT(pl_merkle_verify_consistency(sz, old, r1, r0, h, n) == PL_EVERIFY || old == sz);
	if (n) {
		memset(h + n * PL_HASH_LEN, 0x5a, PL_HASH_LEN);
		FUZZ_ASSERT(pl_merkle_verify_consistency(old, sz, r0, r1, h, n + 1) == PL_EVERIFY);
		FUZZ_ASSERT(pl_merkle_verify_consistency(old, sz, r0, r1, h, n - 1) == PL_EVERIFY);
		h[(bit / 8) % (n * PL_HASH_LEN)] ^= (unsigned char)(1u << (bit % 8));
		FUZZ_ASSERT(pl_merkle_verify_consistency(old, sz, r0, r1, h, n) == PL_EVERIFY);
	}
done:
	pl_buf_free(&proof);
}

static void text_mode(const char *p, size_t size)
{
	const char *end = p + size, *nl;
	pl_buf proof = PL_BUF_INIT, r0 = PL_BUF_INIT, r1 = PL_BUF_INIT;
	FUZZ_ASSERT(pl_base64_decode(&r0, ROOT3, strlen(ROOT3)) == PL_OK && r0.len == PL_HASH_LEN);
	FUZZ_ASSERT(pl_base64_decode(&r1, ROOT5, strlen(ROOT5)) == PL_OK && r1.len == PL_HASH_LEN);
	while (p < end) {
		size_t before = proof.len;
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			goto done;
		if (pl_base64_decode(&proof, p, (size_t)(nl - p)) < 0 ||
		    proof.len - before != PL_HASH_LEN)
			goto done;
		p = nl + 1;
	}
	int rc =
	    pl_merkle_verify_consistency(3, 5, (unsigned char *)r0.ptr, (unsigned char *)r1.ptr,
	                                 (unsigned char *)proof.ptr, proof.len / PL_HASH_LEN);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
done:
	pl_buf_free(&proof);
	pl_buf_free(&r0);
	pl_buf_free(&r1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		raw_mode(data + 1, size - 1);
		break;
	case 1:
		property_mode(data + 1, size - 1);
		break;
	default:
		text_mode((const char *)data + 1, size - 1);
	}
	return 0;
}
