/* Fuzz inclusion proofs. The library prints C2SP tlog-proofs but parses none,
 * so this harness takes three kinds of input, by their first byte:
 *  'c'   a tlog-proof text ("c2sp.org/tlog-proof@v1", "index N", base64
 *        hashes, a blank line, a checkpoint signed by the fixture key): the
 *        checkpoint goes through pl_note_verify and pl_checkpoint_parse, the
 *        proof through pl_merkle_verify_inclusion for leaf N of the tlog
 *        fixtures (tests/fixtures/tlog/entry-N.json);
 *  even  index, size, root and proof hashes taken raw from the input;
 *  odd   a size and an index from the input: the library's own proof in a tree
 *        of known leaves must verify; with a bit flipped, another index or a
 *        hash dropped it must not. */
#include "fuzz_merkle.h"
#include "pl_note.h"

#define PROOF_HEADER "c2sp.org/tlog-proof@v1\nindex "

static void text_mode(const char *in, size_t size)
{
	const char *p = in + strlen(PROOF_HEADER), *end = in + size, *nl;
	pl_buf proof = PL_BUF_INIT, note = PL_BUF_INIT;
	unsigned char leaf[PL_HASH_LEN];
	pl_checkpoint c;
	uint64_t index = 0;
	char entry[64];

	if (p >= end || *p < '0' || *p > '9')
		goto done;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (index > (UINT64_MAX - 9) / 10)
			goto done;
		index = index * 10 + (uint64_t)(*p - '0');
	}
	if (p == end || *p++ != '\n')
		goto done;
	while (p < end && *p != '\n') {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			goto done;
		size_t before = proof.len;
		if (pl_base64_decode(&proof, p, (size_t)(nl - p)) < 0 ||
		    proof.len - before != PL_HASH_LEN)
			goto done;
		p = nl + 1;
	}
	if (p == end)
		goto done;
	p++;
	if (pl_note_verify(&note, p, (size_t)(end - p), FUZZ_ORIGIN, fuzz_test_key()) < 0 ||
	    pl_checkpoint_parse(&c, note.ptr, note.len) < 0)
		goto done;
	snprintf(entry, sizeof(entry), "{\"n\":%llu,\"text\":\"entry %llu\"}",
	         (unsigned long long)index, (unsigned long long)index);
	pl_merkle_leaf(leaf, entry, strlen(entry));
	int rc = pl_merkle_verify_inclusion(index, c.size, leaf, (unsigned char *)proof.ptr,
	                                    proof.len / PL_HASH_LEN, c.root);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
done:
	pl_buf_free(&proof);
	pl_buf_free(&note);
}

static void raw_mode(const uint8_t *d, size_t size)
{
	unsigned char leaf[PL_HASH_LEN] = {0}, root[PL_HASH_LEN] = {0};
	uint64_t index, sz;
	if (size < 1 + 16 + 2 * PL_HASH_LEN)
		return;
	index = fuzz_u64(d, size, 1, 8);
	sz = fuzz_u64(d, size, 9, 8);
	memcpy(leaf, d + 17, PL_HASH_LEN);
	memcpy(root, d + 17 + PL_HASH_LEN, PL_HASH_LEN);
	d += 17 + 2 * PL_HASH_LEN;
	size -= 17 + 2 * PL_HASH_LEN;
	int rc = pl_merkle_verify_inclusion(index, sz, leaf, d, size / PL_HASH_LEN, root);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EVERIFY);
}

static void property_mode(const uint8_t *d, size_t size)
{
	unsigned char leaf[PL_HASH_LEN], root[PL_HASH_LEN];
	pl_buf proof = PL_BUF_INIT;
	uint64_t sz = 1 + fuzz_u64(d, size, 1, 2) % FUZZ_TREE_MAX;
	uint64_t index = fuzz_u64(d, size, 3, 2) % sz;
	size_t n, bit = (size_t)fuzz_u64(d, size, 5, 2);

	fuzz_root(root, sz);
	fuzz_leaf(leaf, index);
	FUZZ_ASSERT(pl_merkle_inclusion_proof(&proof, index, sz, fuzz_subtree, NULL) == PL_OK);
	FUZZ_ASSERT(proof.len % PL_HASH_LEN == 0);
	n = proof.len / PL_HASH_LEN;
	unsigned char *h = (unsigned char *)proof.ptr;
	FUZZ_ASSERT(pl_merkle_verify_inclusion(index, sz, leaf, h, n, root) == PL_OK);
	if ((index ^ 1) < sz)
		FUZZ_ASSERT(pl_merkle_verify_inclusion(index ^ 1, sz, leaf, h, n, root) ==
		            PL_EVERIFY);
	if (n) {
		FUZZ_ASSERT(pl_merkle_verify_inclusion(index, sz, leaf, h, n - 1, root) ==
		            PL_EVERIFY);
		h[(bit / 8) % proof.len] ^= (unsigned char)(1u << (bit % 8));
		FUZZ_ASSERT(pl_merkle_verify_inclusion(index, sz, leaf, h, n, root) == PL_EVERIFY);
	}
	pl_buf_free(&proof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= strlen(PROOF_HEADER) && memcmp(data, PROOF_HEADER, strlen(PROOF_HEADER)) == 0)
		text_mode((const char *)data, size);
	else if (size && data[0] & 1)
		property_mode(data, size);
	else
		raw_mode(data, size);
	return 0;
}
