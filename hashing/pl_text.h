/*
 * pl_text.h - normalization, tokenization and winnow-v1 fingerprints
 * (SPEC §8 steps 1-3). Both `hash` (token counts, normalized SHA-256) and
 * matching (`check`, `work register`) use this one implementation.
 */
#ifndef PL_TEXT_H
#define PL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "pl_common.h"

/* Flags for pl_tokenize. */
#define PL_TOK_LOSSY 0x1   /* invalid UTF-8 becomes U+FFFD instead of an error */
#define PL_TOK_NO_TEXT 0x2 /* do not build the normalized text (faster) */
/* Send ASCII through the general (utf8proc) path too. Results are identical;
 * only tests and benchmarks use it, to compare the two paths. */
#define PL_TOK_NO_FASTPATH 0x4
#define PL_TOK_NO_HASH 0x8 /* leave hash[] zero: for callers that only count tokens */

/* The tokens of one record. Reuse one pl_tokens across records: arrays keep
 * their capacity. Zero-initialise; free with pl_tokens_free. */
typedef struct {
	size_t count;
	uint64_t *hash; /* XXH3-64 (seed 0) of each token's normalized UTF-8 */
	uint32_t *off;  /* byte offset of each token in the record text */
	uint32_t *len;  /* byte length of each token in the record text */
	size_t cap;
	pl_buf text;         /* normalized text: tokens joined by U+0020 (unless PL_TOK_NO_TEXT) */
	uint64_t bad_offset; /* on PL_EINVALID: byte offset of the offending input in the record */
	int32_t *scratch;    /* private: code points of the token being composed */
	size_t scratch_cap;
} pl_tokens;

/* Normalize and tokenize text[0..len) as SPEC §8 step 1: NFKC + case folding
 * (utf8proc); TAB, LF, VT, FF, CR and NEL separate tokens, every other Cc and
 * every Cf is removed without separating ("foo\u00ADbar" is one token); tokens
 * are maximal runs of L* and N* after decomposition (marks continue a token, a
 * mark with no token is dropped), and each L* or N* code point of the Thai, Lao,
 * Myanmar, Khmer, kana and CJK ranges is a token of its own. hashing/text.c
 * lists every such decision. Records larger than UINT32_MAX bytes are refused
 * (PL_ELIMIT). Errors: PL_EINVALID "invalid UTF-8" (Unicode Table 3-7: no
 * overlongs, surrogates, code points past U+10FFFF or truncated sequences) or
 * "NUL byte in text" (also with PL_TOK_LOSSY), with out->bad_offset set to the
 * offset of the first byte of the offending sequence; the caller adds the file
 * and record to the message. On any error out->count is 0 and out->text empty.
 * out keeps ownership of everything it points to; the arrays stay valid until
 * the next call on out or pl_tokens_free. */
int pl_tokenize(pl_tokens *out, const char *text, size_t len, unsigned flags);
void pl_tokens_free(pl_tokens *t); /* NULL-safe */

/* XXH3-64 (seed 0) of a token's normalized bytes. */
uint64_t pl_token_hash(const void *data, size_t len);

/* One winnowed fingerprint: a shingle hash and the index of its first token. */
typedef struct {
	uint64_t hash;
	uint32_t pos;
} pl_fp;

typedef struct {
	pl_fp *v;
	size_t count, cap;
	void *scratch; /* private: pl_winnow's working space, kept for the next call */
	size_t scratch_cap;
} pl_fps;

#define PL_WINNOW_K 13
#define PL_WINNOW_W 38
#define PL_WINNOW_ROBUST_K 8
#define PL_WINNOW_ROBUST_W 17

/* SPEC §8 steps 2-3: shingle hash = XXH3-64(seed 0) over the k token hashes
 * (8 bytes little-endian each); in each window of w consecutive shingles keep
 * the minimum, the rightmost on ties, once per position. Fewer than k tokens:
 * no fingerprints. Replaces out's contents; sorted by position. */
int pl_winnow(pl_fps *out, const uint64_t *token_hashes, size_t ntokens, unsigned k, unsigned w);

/* Step 3 alone, on n precomputed hashes (e.g. shingles): the same selection as
 * pl_winnow, with pos the index into hashes. n = 0: no fingerprints. */
int pl_winnow_select(pl_fps *out, const uint64_t *hashes, size_t n, unsigned w);
/* The shingle hash of the k token hashes starting at h (SPEC §8 step 2). */
uint64_t pl_shingle_hash(const uint64_t *h, unsigned k);

/* Span hashes (scheme shingle16-v1, the work attachment that lets `check`
 * state a copied run to the token): for every token position i in
 * [0, ntokens - PL_SPAN_K], the top 16 bits of the winnow-v1 shingle hash of
 * tokens i..i+PL_SPAN_K-1, as u16 little-endian. Appends
 * 2 * pl_span_count(ntokens) bytes to out (none for fewer than PL_SPAN_K
 * tokens). PL_ENOMEM; PL_ELIMIT past UINT32_MAX tokens. */
#define PL_SPAN_K 8
#define PL_SPAN_BITS 16
int pl_span_hashes(pl_buf *out, const uint64_t *token_hashes, size_t ntokens);
/* The number of span hashes of a text of ntokens tokens. */
static inline size_t pl_span_count(size_t ntokens)
{
	return ntokens < PL_SPAN_K ? 0 : ntokens - PL_SPAN_K + 1;
}
/* One span hash: the top PL_SPAN_BITS bits of the shingle at h. */
static inline uint16_t pl_span_hash(const uint64_t *h)
{
	return (uint16_t)(pl_shingle_hash(h, PL_SPAN_K) >> (64 - PL_SPAN_BITS));
}

void pl_fps_free(pl_fps *f); /* NULL-safe */

#endif
