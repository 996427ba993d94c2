/*
 * pl_match.h - the registry's lookup table and the matcher (SPEC §8 step 4).
 *
 * A matcher holds, for one fingerprint scheme (k, w), every registered work's
 * winnow-v1 fingerprints in a bucketed table (12 bytes per fingerprint plus
 * about one byte of bucket index), and the works' normalized SHA-256 for exact
 * matches. It is built once, then read-only: any number of threads may match
 * records against it, each with its own pl_match_scratch.
 *
 * A match is a chain of fingerprint hits of one work, ordered in both the
 * record and the work, on nearly the same diagonal (record position minus
 * work position; edits shift it a little), grown over the work's neighbouring
 * fingerprints that the record also holds (each checked shingle by shingle).
 * Its verified span runs from the first shared shingle's first token to the
 * last shared shingle's last token; matched_tokens counts the tokens covered
 * by shared shingles. A real copy can extend up to w-1 tokens past each end of
 * the verified span (winnowing samples one shingle per window of w), so a
 * chain is reported as `partial` when its verified span plus that margin at
 * each end reaches min_tokens (and it is at least k tokens). Classes: `exact`
 * when the record's normalized SHA-256 equals the work's; `near-duplicate`
 * when containment and coverage are both >= 0.8; else `partial`.
 */
#ifndef PL_MATCH_H
#define PL_MATCH_H

#include <stdint.h>

#include "pl_common.h"
#include "pl_hash.h"
#include "pl_text.h"

typedef struct pl_matcher pl_matcher;

/* A registered work as the matcher knows it. */
typedef struct {
	char id[24]; /* "W" + 16 hex digits */
	unsigned char normalized_sha256[PL_HASH_LEN];
	uint32_t tokens;
	uint32_t nfps; /* fingerprints in this scheme */
} pl_match_work;

int pl_matcher_new(pl_matcher **out, unsigned k, unsigned w);

/* Add a work and its fingerprints: fp points at nfps 12-byte little-endian
 * records (u64 hash, u32 token position), the attachment format of SPEC §6.2. */
int pl_matcher_add(pl_matcher *m, const pl_match_work *work, const unsigned char *fp, size_t nfps);

/* Build the lookup table; no pl_matcher_add after this. */
int pl_matcher_seal(pl_matcher *m);

unsigned pl_matcher_k(const pl_matcher *m);
unsigned pl_matcher_w(const pl_matcher *m);
size_t pl_matcher_nworks(const pl_matcher *m);
const pl_match_work *pl_matcher_work(const pl_matcher *m, uint32_t i);
/* Whether some registered work has exactly ntokens tokens (only then can a
 * record be an exact copy, so only then is its normalized text needed). */
int pl_matcher_has_length(const pl_matcher *m, size_t ntokens);

/* Bytes of the lookup table (fingerprint entries and bucket index). */
size_t pl_matcher_table_bytes(const pl_matcher *m);

void pl_matcher_free(pl_matcher *m); /* NULL-safe */

enum { PL_MATCH_EXACT = 0, PL_MATCH_NEAR = 1, PL_MATCH_PARTIAL = 2 };
const char *pl_match_class_name(int cls);

typedef struct {
	uint32_t work;               /* index for pl_matcher_work */
	uint32_t rec_tok0, rec_tok1; /* token span in the record, half-open */
	uint32_t work_tok0, work_tok1;
	uint32_t matched_tokens;
	uint32_t containment; /* x 10000 */
	uint32_t coverage;    /* x 10000 */
	int cls;
} pl_match;

typedef struct {
	pl_match *v;
	size_t count, cap;
	uint64_t ignored; /* record fingerprints ignored as boilerplate */
} pl_matches;

/* Per-thread scratch space; zero-initialise, free with pl_match_scratch_free. */
typedef struct {
	void *hits;
	size_t nhits, cap;
} pl_match_scratch;
void pl_match_scratch_free(pl_match_scratch *s);

typedef struct {
	unsigned min_tokens; /* default 50 */
	unsigned max_df;     /* a fingerprint in more works is boilerplate; default 50 */
} pl_match_opts;

/* Match one record: t its tokens, fps its winnow-v1 fingerprints in this
 * matcher's scheme, norm_sha the SHA-256 of its normalized text (may be NULL).
 * Replaces out's matches (ordered by record position, then work). */
int pl_matcher_match(const pl_matcher *m, pl_matches *out, pl_match_scratch *s, const pl_tokens *t,
                     const pl_fps *fps, const unsigned char *norm_sha, const pl_match_opts *o);
void pl_matches_free(pl_matches *m);

/* Serialise fingerprints as the SPEC §6.2 attachment (appends to out). */
int pl_fps_serialize(pl_buf *out, const pl_fps *fps);

#endif
