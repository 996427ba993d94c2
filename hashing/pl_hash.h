/*
 * pl_hash.h - SHA-256 (OpenSSL EVP) and RFC 6962 / RFC 9162 Merkle trees:
 * leaf and node hashing, a streaming root builder, inclusion and consistency
 * proofs (generation through a subtree oracle, and verification).
 */
#ifndef PL_HASH_H
#define PL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "pl_common.h"

#define PL_HASH_LEN 32

/* One-shot SHA-256. */
void pl_sha256(unsigned char out[PL_HASH_LEN], const void *data, size_t len);

/* Incremental SHA-256 over an OpenSSL EVP context. Free with pl_sha256_free. */
typedef struct pl_sha256_ctx pl_sha256_ctx;
int pl_sha256_new(pl_sha256_ctx **out);
void pl_sha256_reset(pl_sha256_ctx *c);
void pl_sha256_update(pl_sha256_ctx *c, const void *data, size_t len);
void pl_sha256_final(pl_sha256_ctx *c, unsigned char out[PL_HASH_LEN]);
void pl_sha256_free(pl_sha256_ctx *c); /* NULL-safe */

/* SHA-512 one-shot (SSHSIG signs the SHA-512 of the message). */
void pl_sha512(unsigned char out[64], const void *data, size_t len);

/* RFC 6962 §2.1: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r),
 * empty tree = SHA-256(""). */
void pl_merkle_leaf(unsigned char out[PL_HASH_LEN], const void *data, size_t len);
void pl_merkle_node(unsigned char out[PL_HASH_LEN], const unsigned char l[PL_HASH_LEN],
                    const unsigned char r[PL_HASH_LEN]);
void pl_merkle_empty(unsigned char out[PL_HASH_LEN]);

/* Streaming root: add leaf hashes in order, read the root at any time.
 * O(log n) memory. Zero-initialise or call pl_merkle_builder_init. */
typedef struct {
	unsigned char stack[64][PL_HASH_LEN];
	uint64_t size;
} pl_merkle_builder;
void pl_merkle_builder_init(pl_merkle_builder *b);
void pl_merkle_builder_add(pl_merkle_builder *b, const unsigned char leaf_hash[PL_HASH_LEN]);
void pl_merkle_builder_root(const pl_merkle_builder *b, unsigned char out[PL_HASH_LEN]);

/* Largest power of two strictly smaller than n (n >= 2). */
uint64_t pl_merkle_split(uint64_t n);

/* A subtree oracle: writes MTH(D[start:end]) to out (end > start). Proof
 * generation asks it only for subtrees whose start is a multiple of the
 * largest power of two not above their size, so an index of complete aligned
 * subtrees answers each in O(log n). */
typedef int (*pl_merkle_subtree_fn)(void *ctx, uint64_t start, uint64_t end,
                                    unsigned char out[PL_HASH_LEN]);

/* RFC 9162 §2.1.3.1 inclusion proof of leaf index in a tree of size leaves:
 * hashes appended to out (32 bytes each), from the leaf upwards. */
int pl_merkle_inclusion_proof(pl_buf *out, uint64_t index, uint64_t size, pl_merkle_subtree_fn fn,
                              void *ctx);

/* RFC 9162 §2.1.4.1 consistency proof from old_size to size (empty when
 * old_size is 0 or equals size). */
int pl_merkle_consistency_proof(pl_buf *out, uint64_t old_size, uint64_t size,
                                pl_merkle_subtree_fn fn, void *ctx);

/* RFC 9162 §2.1.3.2. PL_OK when the proof holds, PL_EVERIFY (message set) otherwise. */
int pl_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[PL_HASH_LEN],
                               const unsigned char *proof, size_t nproof,
                               const unsigned char root[PL_HASH_LEN]);

/* RFC 9162 §2.1.4.2. PL_OK when the proof holds, PL_EVERIFY otherwise. */
int pl_merkle_verify_consistency(uint64_t old_size, uint64_t size,
                                 const unsigned char old_root[PL_HASH_LEN],
                                 const unsigned char root[PL_HASH_LEN], const unsigned char *proof,
                                 size_t nproof);

#endif
