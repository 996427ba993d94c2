/* hash.c - SHA-256/512 through OpenSSL EVP, RFC 6962 Merkle trees and proofs. */
#include "pl_hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pl_sha256_ctx {
	EVP_MD_CTX *md;
};

static EVP_MD *md_sha256, *md_sha512;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t tl_key; /* frees a thread's EVP_MD_CTX when the thread ends */

static void tl_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

/* Fetch the implementations once: an implicit fetch per call costs more than
 * hashing a 64-byte node. */
static void md_init(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	if (!md_sha256 || !md_sha512 || pthread_key_create(&tl_key, tl_free) != 0)
		abort(); /* no SHA-2 in libcrypto: nothing can work */
}

int pl_sha256_new(pl_sha256_ctx **out)
{
	pl_sha256_ctx *c;
	pthread_once(&md_once, md_init);
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->md = EVP_MD_CTX_new()) == NULL) {
		free(c);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	pl_sha256_reset(c);
	*out = c;
	return PL_OK;
}

void pl_sha256_reset(pl_sha256_ctx *c)
{
	EVP_DigestInit_ex(c->md, md_sha256, NULL);
}
void pl_sha256_update(pl_sha256_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->md, data, len);
}
void pl_sha256_final(pl_sha256_ctx *c, unsigned char out[PL_HASH_LEN])
{
	EVP_DigestFinal_ex(c->md, out, NULL);
}
void pl_sha256_free(pl_sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

static _Thread_local EVP_MD_CTX *tl_ctx;

static EVP_MD_CTX *thread_ctx(void)
{
	pthread_once(&md_once, md_init);
	if (!tl_ctx) {
		if ((tl_ctx = EVP_MD_CTX_new()) == NULL)
			abort();
		pthread_setspecific(tl_key, tl_ctx);
	}
	return tl_ctx;
}

static void digest3(const EVP_MD *md, unsigned char *out, const void *a, size_t alen, const void *b,
                    size_t blen, const void *c, size_t clen)
{
	EVP_MD_CTX *ctx = thread_ctx();
	EVP_DigestInit_ex(ctx, md, NULL);
	if (alen)
		EVP_DigestUpdate(ctx, a, alen);
	if (blen)
		EVP_DigestUpdate(ctx, b, blen);
	if (clen)
		EVP_DigestUpdate(ctx, c, clen);
	EVP_DigestFinal_ex(ctx, out, NULL);
}

void pl_sha256(unsigned char out[PL_HASH_LEN], const void *data, size_t len)
{
	thread_ctx();
	digest3(md_sha256, out, data, len, NULL, 0, NULL, 0);
}

void pl_sha512(unsigned char out[64], const void *data, size_t len)
{
	thread_ctx();
	digest3(md_sha512, out, data, len, NULL, 0, NULL, 0);
}

void pl_merkle_leaf(unsigned char out[PL_HASH_LEN], const void *data, size_t len)
{
	static const unsigned char zero = 0x00;
	thread_ctx();
	digest3(md_sha256, out, &zero, 1, data, len, NULL, 0);
}

void pl_merkle_node(unsigned char out[PL_HASH_LEN], const unsigned char l[PL_HASH_LEN],
                    const unsigned char r[PL_HASH_LEN])
{
	static const unsigned char one = 0x01;
	thread_ctx();
	digest3(md_sha256, out, &one, 1, l, PL_HASH_LEN, r, PL_HASH_LEN);
}

void pl_merkle_empty(unsigned char out[PL_HASH_LEN])
{
	pl_sha256(out, "", 0);
}

void pl_merkle_builder_init(pl_merkle_builder *b)
{
	memset(b, 0, sizeof(*b));
}

/* stack[i] holds the root of a complete subtree of 2^i leaves when bit i of
 * size is set; adding a leaf carries like a binary counter. */
void pl_merkle_builder_add(pl_merkle_builder *b, const unsigned char leaf[PL_HASH_LEN])
{
	unsigned char h[PL_HASH_LEN];
	int level = 0;
	memcpy(h, leaf, PL_HASH_LEN);
	while (b->size >> level & 1) {
		pl_merkle_node(h, b->stack[level], h);
		level++;
	}
	memcpy(b->stack[level], h, PL_HASH_LEN);
	b->size++;
}

void pl_merkle_builder_root(const pl_merkle_builder *b, unsigned char out[PL_HASH_LEN])
{
	unsigned char h[PL_HASH_LEN];
	int have = 0;
	if (b->size == 0) {
		pl_merkle_empty(out);
		return;
	}
	/* Fold from the smallest complete subtree (rightmost) to the largest. */
	for (int level = 0; level < 64; level++) {
		if (!(b->size >> level & 1))
			continue;
		if (!have) {
			memcpy(h, b->stack[level], PL_HASH_LEN);
			have = 1;
		} else {
			pl_merkle_node(h, b->stack[level], h);
		}
	}
	memcpy(out, h, PL_HASH_LEN);
}

uint64_t pl_merkle_split(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* PATH(m, D[start:start+n]) appended bottom-up. */
static int path(pl_buf *out, uint64_t m, uint64_t start, uint64_t n, pl_merkle_subtree_fn fn,
                void *ctx)
{
	unsigned char h[PL_HASH_LEN];
	uint64_t k;
	int error;
	if (n <= 1)
		return PL_OK;
	k = pl_merkle_split(n);
	if (m < k) {
		if ((error = path(out, m, start, k, fn, ctx)) < 0 ||
		    (error = fn(ctx, start + k, start + n, h)) < 0)
			return error;
	} else {
		if ((error = path(out, m - k, start + k, n - k, fn, ctx)) < 0 ||
		    (error = fn(ctx, start, start + k, h)) < 0)
			return error;
	}
	return pl_buf_put(out, h, PL_HASH_LEN);
}

int pl_merkle_inclusion_proof(pl_buf *out, uint64_t index, uint64_t size, pl_merkle_subtree_fn fn,
                              void *ctx)
{
	if (index >= size)
		return pl_error_set(PL_EINVALID, "index %llu is not in a tree of size %llu",
		                    (unsigned long long)index, (unsigned long long)size);
	return path(out, index, 0, size, fn, ctx);
}

/* SUBPROOF(m, D[start:start+n], b) appended bottom-up. */
static int subproof(pl_buf *out, uint64_t m, uint64_t start, uint64_t n, int b,
                    pl_merkle_subtree_fn fn, void *ctx)
{
	unsigned char h[PL_HASH_LEN];
	uint64_t k;
	int error;
	if (m == n) {
		if (b)
			return PL_OK;
		if ((error = fn(ctx, start, start + n, h)) < 0)
			return error;
		return pl_buf_put(out, h, PL_HASH_LEN);
	}
	k = pl_merkle_split(n);
	if (m <= k) {
		if ((error = subproof(out, m, start, k, b, fn, ctx)) < 0 ||
		    (error = fn(ctx, start + k, start + n, h)) < 0)
			return error;
	} else {
		if ((error = subproof(out, m - k, start + k, n - k, 0, fn, ctx)) < 0 ||
		    (error = fn(ctx, start, start + k, h)) < 0)
			return error;
	}
	return pl_buf_put(out, h, PL_HASH_LEN);
}

int pl_merkle_consistency_proof(pl_buf *out, uint64_t old_size, uint64_t size,
                                pl_merkle_subtree_fn fn, void *ctx)
{
	if (old_size > size)
		return pl_error_set(PL_EINVALID, "old size %llu is larger than size %llu",
		                    (unsigned long long)old_size, (unsigned long long)size);
	if (old_size == 0 || old_size == size)
		return PL_OK;
	return subproof(out, old_size, 0, size, 1, fn, ctx);
}

int pl_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[PL_HASH_LEN],
                               const unsigned char *proof, size_t nproof,
                               const unsigned char root[PL_HASH_LEN])
{
	unsigned char r[PL_HASH_LEN];
	uint64_t fn = index, sn = size - 1;

	if (index >= size)
		return pl_error_set(PL_EVERIFY,
		                    "inclusion proof: index %llu is not below size %llu",
		                    (unsigned long long)index, (unsigned long long)size);
	memcpy(r, leaf, PL_HASH_LEN);
	for (size_t i = 0; i < nproof; i++) {
		const unsigned char *p = proof + i * PL_HASH_LEN;
		if (sn == 0)
			return pl_error_set(PL_EVERIFY, "inclusion proof: too many hashes");
		if ((fn & 1) || fn == sn) {
			pl_merkle_node(r, p, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			pl_merkle_node(r, r, p);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return pl_error_set(PL_EVERIFY, "inclusion proof: too few hashes");
	if (memcmp(r, root, PL_HASH_LEN) != 0)
		return pl_error_set(PL_EVERIFY, "inclusion proof: root mismatch");
	return PL_OK;
}

int pl_merkle_verify_consistency(uint64_t old_size, uint64_t size,
                                 const unsigned char old_root[PL_HASH_LEN],
                                 const unsigned char root[PL_HASH_LEN], const unsigned char *proof,
                                 size_t nproof)
{
	unsigned char fr[PL_HASH_LEN], sr[PL_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	if (old_size > size)
		return pl_error_set(PL_EVERIFY, "consistency proof: old size above new size");
	if (old_size == size) {
		if (nproof)
			return pl_error_set(PL_EVERIFY, "consistency proof: expected no hashes");
		if (memcmp(old_root, root, PL_HASH_LEN) != 0)
			return pl_error_set(PL_EVERIFY,
			                    "consistency proof: roots differ at equal size");
		return PL_OK;
	}
	if (old_size == 0) {
		if (nproof)
			return pl_error_set(PL_EVERIFY, "consistency proof: expected no hashes");
		return PL_OK;
	}
	if (nproof == 0)
		return pl_error_set(PL_EVERIFY, "consistency proof: empty");
	fn = old_size - 1;
	sn = size - 1;
	if ((old_size & (old_size - 1)) == 0) {
		/* old size is a power of two: the old root itself starts the path */
		memcpy(fr, old_root, PL_HASH_LEN);
	} else {
		memcpy(fr, proof, PL_HASH_LEN);
		i = 1;
	}
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(sr, fr, PL_HASH_LEN);
	for (; i < nproof; i++) {
		const unsigned char *c = proof + i * PL_HASH_LEN;
		if (sn == 0)
			return pl_error_set(PL_EVERIFY, "consistency proof: too many hashes");
		if ((fn & 1) || fn == sn) {
			pl_merkle_node(fr, c, fr);
			pl_merkle_node(sr, c, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			pl_merkle_node(sr, sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return pl_error_set(PL_EVERIFY, "consistency proof: too few hashes");
	if (memcmp(fr, old_root, PL_HASH_LEN) != 0)
		return pl_error_set(PL_EVERIFY, "consistency proof: old root mismatch");
	if (memcmp(sr, root, PL_HASH_LEN) != 0)
		return pl_error_set(PL_EVERIFY, "consistency proof: new root mismatch");
	return PL_OK;
}
