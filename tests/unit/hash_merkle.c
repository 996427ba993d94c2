/* Unit tests of hashing/hash.c: SHA-256 and RFC 6962 Merkle trees against the
 * Certificate Transparency vectors in tests/fixtures/rfc6962.txt. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "pl_hash.h"

typedef struct {
	unsigned char leaf[8][PL_HASH_LEN];
	unsigned char root[9][PL_HASH_LEN];
	pl_buf lines;
} vectors;

static void load(vectors *v, pl_buf *file)
{
	char *save = NULL, *line;
	unsigned char data[64];
	int nleaf = 0;

	CHECK_OK(pl_read_file(file, pl_fixture("rfc6962.txt"), 1 << 20));
	for (line = strtok_r(file->ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "leaves ", 7) == 0) {
			char *tok, *s2 = NULL;
			for (tok = strtok_r(line + 7, " ", &s2); tok;
			     tok = strtok_r(NULL, " ", &s2)) {
				size_t len = strcmp(tok, "\"\"") == 0 ? 0 : strlen(tok);
				CHECK_OK(pl_unhex(data, len / 2, tok, len));
				pl_merkle_leaf(v->leaf[nleaf++], data, len / 2);
			}
		} else if (strncmp(line, "root ", 5) == 0) {
			int n = atoi(line + 5);
			const char *hex = strchr(line + 5, ' ') + 1;
			CHECK_OK(pl_unhex(v->root[n], 32, hex, strlen(hex)));
		}
	}
	CHECK_EQ_INT(nleaf, 8);
}

static int oracle(void *ctx, uint64_t start, uint64_t end, unsigned char out[PL_HASH_LEN])
{
	vectors *v = ctx;
	pl_merkle_builder b;
	pl_merkle_builder_init(&b);
	for (uint64_t i = start; i < end; i++)
		pl_merkle_builder_add(&b, v->leaf[i]);
	pl_merkle_builder_root(&b, out);
	return 0;
}

PL_TEST(merkle, roots_match_rfc6962_vectors)
{
	vectors v;
	pl_buf f = PL_BUF_INIT;
	load(&v, &f);
	for (int n = 0; n <= 8; n++) {
		pl_merkle_builder b;
		unsigned char root[32];
		pl_merkle_builder_init(&b);
		for (int i = 0; i < n; i++)
			pl_merkle_builder_add(&b, v.leaf[i]);
		pl_merkle_builder_root(&b, root);
		CHECK(memcmp(root, v.root[n], 32) == 0);
	}
	pl_buf_free(&f);
}

/* Every inclusion and consistency proof in the vector file, regenerated and verified. */
PL_TEST(merkle, proofs_match_vectors)
{
	vectors v;
	pl_buf f = PL_BUF_INIT, text = PL_BUF_INIT;
	char *save = NULL, *line;
	int seen = 0;

	CHECK_OK(pl_read_file(&text, pl_fixture("rfc6962.txt"), 1 << 20));
	load(&v, &f);
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b;
		pl_buf want = PL_BUF_INIT, got = PL_BUF_INIT;
		int incl = sscanf(line, "inclusion index=%llu size=%llu", &a, &b) == 2;
		int cons = !incl && sscanf(line, "consistency old=%llu new=%llu", &a, &b) == 2;
		if (!incl && !cons)
			continue;
		char *p = strchr(strchr(strchr(line, ' ') + 1, ' ') + 1, ' ');
		while (p && *p == ' ') {
			unsigned char h[32];
			CHECK_OK(pl_unhex(h, 32, p + 1, 64));
			CHECK_OK(pl_buf_put(&want, h, 32));
			p += 65;
		}
		if (incl) {
			CHECK_OK(pl_merkle_inclusion_proof(&got, a, b, oracle, &v));
			CHECK_OK(pl_merkle_verify_inclusion(
			    a, b, v.leaf[a], (unsigned char *)got.ptr, got.len / 32, v.root[b]));
		} else {
			CHECK_OK(pl_merkle_consistency_proof(&got, a, b, oracle, &v));
			CHECK_OK(pl_merkle_verify_consistency(
			    a, b, v.root[a], v.root[b], (unsigned char *)got.ptr, got.len / 32));
		}
		CHECK_EQ_INT(got.len, want.len);
		CHECK(memcmp(got.ptr, want.ptr, want.len) == 0);
		seen++;
		pl_buf_free(&want);
		pl_buf_free(&got);
	}
	CHECK(seen >= 8);
	pl_buf_free(&f);
	pl_buf_free(&text);
}

/* All (index, size) and (old, new) pairs up to 8 verify, and a flipped bit fails. */
PL_TEST(merkle, all_small_proofs_verify_and_tampering_fails)
{
	vectors v;
	pl_buf f = PL_BUF_INIT;
	load(&v, &f);
	for (uint64_t n = 1; n <= 8; n++) {
		for (uint64_t m = 0; m < n; m++) {
			pl_buf p = PL_BUF_INIT;
			CHECK_OK(pl_merkle_inclusion_proof(&p, m, n, oracle, &v));
			CHECK_OK(pl_merkle_verify_inclusion(m, n, v.leaf[m], (unsigned char *)p.ptr,
			                                    p.len / 32, v.root[n]));
			if (p.len) {
				p.ptr[0] ^= 1;
				CHECK_ERR(pl_merkle_verify_inclusion(m, n, v.leaf[m],
				                                     (unsigned char *)p.ptr,
				                                     p.len / 32, v.root[n]),
				          PL_EVERIFY);
			}
			CHECK_ERR(pl_merkle_verify_inclusion(m, n, v.leaf[(m + 1) % 8],
			                                     (unsigned char *)p.ptr, p.len / 32,
			                                     v.root[n]),
			          PL_EVERIFY);
			pl_buf_free(&p);
		}
		for (uint64_t m = 0; m <= n; m++) {
			pl_buf p = PL_BUF_INIT;
			CHECK_OK(pl_merkle_consistency_proof(&p, m, n, oracle, &v));
			CHECK_OK(pl_merkle_verify_consistency(m, n, v.root[m], v.root[n],
			                                      (unsigned char *)p.ptr, p.len / 32));
			if (m > 0 && m < n) {
				p.ptr[p.len - 1] ^= 1;
				CHECK_ERR(pl_merkle_verify_consistency(m, n, v.root[m], v.root[n],
				                                       (unsigned char *)p.ptr,
				                                       p.len / 32),
				          PL_EVERIFY);
				CHECK_ERR(pl_merkle_verify_consistency(m, n, v.root[m], v.root[m],
				                                       (unsigned char *)p.ptr,
				                                       p.len / 32),
				          PL_EVERIFY);
			}
			pl_buf_free(&p);
		}
	}
	pl_buf_free(&f);
}

PL_TEST(common, base64_is_strict_and_canonical)
{
	pl_buf b = PL_BUF_INIT;
	CHECK_OK(pl_base64_encode(&b, (const unsigned char *)"foob", 4));
	CHECK_STR(b.ptr, "Zm9vYg==");
	pl_buf_clear(&b);
	CHECK_OK(pl_base64_decode(&b, "Zm9vYg==", 8));
	CHECK_EQ_INT(b.len, 4);
	CHECK(memcmp(b.ptr, "foob", 4) == 0);
	pl_buf_clear(&b);
	CHECK_ERR(pl_base64_decode(&b, "Zm9vYh==", 8), PL_EINVALID); /* non-zero unused bits */
	CHECK_ERR(pl_base64_decode(&b, "Zm9vYg=", 7), PL_EINVALID);
	CHECK_ERR(pl_base64_decode(&b, "Zm9v\nYg==", 9), PL_EINVALID);
	CHECK_ERR(pl_base64_decode(&b, "Zm=vYg==", 8), PL_EINVALID);
	pl_buf_free(&b);
}
