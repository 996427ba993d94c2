/*
 * pl_match.h - the registry's lookup table and the matcher (SPEC §8 step 4).
 *
 * A matcher holds, for one fingerprint scheme (k, w), every registered work's
 * winnow-v1 fingerprints in a bucketed table (12 bytes per fingerprint plus
 * about one byte of bucket index), and the works' normalized SHA-256 for exact
 * matches. It is built once, then read-only: any number of threads may match
 * records against it, each with its own pl_match_scratch.
 *
 * Spans. A work registered with span hashes (shingle16-v1: the top 16 bits
 * of the k=13 shingle hash at every token position, pl_span_hashes) gets
 * exact spans: each fingerprint hit is a seed, grown left and right shingle
 * by shingle while the record's span hash equals the work's, into a verbatim
 * piece stated to the token at both ends (a 13-token window differs exactly
 * when one of its tokens does, so the piece stops at the first differing
 * token; a false equality costs 2^-16 per end). Pieces on nearly the same
 * diagonal (edits shift it by the tokens inserted or deleted) are chained; the
 * gaps between and beyond them are searched for further pieces of at least
 * 14 tokens that no seed hit (two consecutive equal span hashes). The match's
 * span runs from its first piece to its last; matched_tokens counts the
 * tokens inside pieces; it is reported as `partial` when matched_tokens
 * reaches min_tokens. Pieces of fewer than 13 tokens (robust seeds, k=8) are
 * stated as their seed's 8 tokens, a lower bound: such a match is not exact.
 *
 * A work without span hashes (registered before them) keeps the older rule:
 * hits are chained along a diagonal and grown over the work's neighbouring
 * fingerprints that the record also holds; the verified span runs from the
 * first shared shingle's first token to the last shared shingle's last token,
 * a lower bound of the copied run, which can extend up to w-1 tokens past each
 * end (winnowing samples one shingle per window of w); it is reported as
 * `partial` when that span plus the margin at each end reaches min_tokens.
 *
 * Classes: `exact` when the record's normalized SHA-256 equals the work's;
 * `near-duplicate` when containment and coverage are both >= 0.8; else
 * `partial`.
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
	uint32_t nfps;   /* fingerprints in this scheme */
	uint32_t nspans; /* span hashes available (pl_span_count(tokens)); 0: none */
	int has_spans;   /* the work has span hashes: its matches get exact spans */
} pl_match_work;

/* Where the matcher reads a work's span hashes, the first time a record hits
 * it: append the work's nspans span hashes (2 * nspans bytes, u16
 * little-endian, the attachment's layout) to out. Called from any matching
 * thread, one call at a time (under the matcher's lock). A work whose data is
 * missing or of the wrong size is matched without exact spans. */
typedef int (*pl_span_fn)(void *ctx, pl_buf *out, const pl_match_work *work);

int pl_matcher_new(pl_matcher **out, unsigned k, unsigned w);

/* Add a work and its fingerprints: fp points at nfps 12-byte little-endian
 * records (u64 hash, u32 token position), the attachment format of SPEC §6.2. */
int pl_matcher_add(pl_matcher *m, const pl_match_work *work, const unsigned char *fp, size_t nfps);

/* Set the span-hash source (before matching); ctx is borrowed. At most
 * PL_MATCH_SPAN_CACHE bytes of span hashes stay cached; beyond that a work's
 * span hashes are read again for each record that hits it. */
#define PL_MATCH_SPAN_CACHE ((size_t)256 << 20)
void pl_matcher_set_spans(pl_matcher *m, pl_span_fn fn, void *ctx);

/* A part of the registry (`--registry-part P/Q`): the matcher holds only the
 * works whose index among all works is P mod Q (pl_matcher_add them in
 * order), and, for the boilerplate rule (max_df), the number of works that
 * hold a fingerprint in the whole registry: df[0..ndf) every fingerprint hash
 * of its works, or of its own key range, that total_works' registry holds in
 * two works or more (sorted by hash; absent: one), and ghost[0..nghost) the
 * hashes of its key range held by none of its works with a df >= 2 (so that
 * it counts them as ignored, once, for every part). Call before seal; copies. */
typedef struct {
	uint64_t hash;
	uint32_t df, pad;
} pl_match_df;
int pl_matcher_set_part(pl_matcher *m, uint32_t index, uint32_t count, uint64_t total_works,
                        const pl_match_df *df, size_t ndf, const uint64_t *ghost, size_t nghost);
/* The part a fingerprint hash's key range belongs to, of count. */
uint32_t pl_match_owner(uint64_t hash, uint32_t count);
/* The matcher's part: 1 and index, count, total works if it is one; else 0. */
int pl_matcher_part(const pl_matcher *m, uint32_t *index, uint32_t *count, uint64_t *total_works);
/* A work's index among all works (its own index unless the matcher is a part). */
uint64_t pl_matcher_global_work(const pl_matcher *m, uint32_t i);

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

/* One verbatim piece of a match: record tokens [rec_tok0, rec_tok1) equal
 * work tokens [work_tok0, work_tok1). exact: both ends are stated to the
 * token (else the piece is a lower bound of the copied run). */
typedef struct {
	uint32_t rec_tok0, rec_tok1;
	uint32_t work_tok0, work_tok1;
	int exact;
} pl_match_piece;

typedef struct {
	uint32_t work;               /* index for pl_matcher_work */
	uint32_t rec_tok0, rec_tok1; /* token span in the record, half-open */
	uint32_t work_tok0, work_tok1;
	uint32_t matched_tokens;
	uint32_t containment; /* x 10000 */
	uint32_t coverage;    /* x 10000 */
	int cls;
	int span_exact;           /* every piece exact: the spans are the copied run's */
	uint32_t piece0, npieces; /* its pieces: pl_matches.pieces[piece0 .. +npieces), >= 1 */
} pl_match;

typedef struct {
	pl_match *v;
	size_t count, cap;
	pl_match_piece *pieces; /* the matches' pieces, in record order within a match */
	size_t npieces, cappieces;
	uint64_t ignored; /* record fingerprints ignored as boilerplate */
} pl_matches;

/* Per-thread scratch space; zero-initialise, free with pl_match_scratch_free. */
typedef struct {
	void *hits;
	size_t nhits, cap;
	void *priv; /* the exact-span matcher's buffers */
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
