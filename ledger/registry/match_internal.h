/*
 * match_internal.h - what match.c (the table, the lower-bound matcher) and
 * match_span.c (exact spans) share. Nothing else includes it.
 */
#ifndef PL_MATCH_INTERNAL_H
#define PL_MATCH_INTERNAL_H

#include <pthread.h>

#include "pl_match.h"

typedef struct {
	uint32_t lo, work, pos;
} pl_match__entry;

/* The work of a ghost entry: a fingerprint of the part's key range that none
 * of its works holds (pl_matcher_set_part). */
#define PL_MATCH_GHOST UINT32_MAX

#include <string.h>

/* A work's fingerprints are kept as the attachment stores them: 12-byte
 * little-endian records (u64 hash, u32 position), sorted by position. */
#define PL_MATCH_REC 12

static inline uint64_t pl_match__rec_hash(const unsigned char *base, size_t i)
{
	uint64_t v;
	memcpy(&v, base + PL_MATCH_REC * i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t pl_match__rec_pos(const unsigned char *base, size_t i)
{
	uint32_t v;
	memcpy(&v, base + PL_MATCH_REC * i + 8, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

typedef struct {
	uint32_t work, rpos, wpos;
} pl_match__hit;

/* The works' span hashes, read on first use (see pl_matcher_set_spans);
 * matching threads share it under mu. */
typedef struct {
	pthread_mutex_t mu;
	uint16_t **v;     /* per work: cached, or NULL */
	signed char *bad; /* per work: its data is unusable */
	size_t bytes;     /* cached */
} pl_match__span_cache;

struct pl_matcher {
	unsigned k, w;
	pl_match_work *works;
	unsigned char **fps; /* per work: its fingerprint records */
	size_t nworks, capworks;
	size_t nfps_total; /* fingerprints added, before seal */
	pl_match__entry *table;
	uint32_t *bucket; /* 2^bits + 1 offsets */
	unsigned bits;
	size_t nentries;
	uint64_t *bloom;      /* blocked Bloom filter in front of the table (see match.c) */
	unsigned bloom_shift; /* block = bucket >> bloom_shift */
	uint32_t *by_sha;     /* work indexes sorted by normalized SHA-256 */
	uint32_t *lengths;    /* the works' token counts, sorted */
	int sealed;
	pl_span_fn span_fn;
	void *span_ctx;
	pl_match__span_cache *sc; /* allocated by seal when span_fn is set */
	/* A part of the registry (pl_matcher_set_part); part_count 0: whole. */
	uint32_t part_index, part_count;
	uint64_t part_works;
	pl_match_df *df; /* sorted by hash */
	size_t ndf;
	uint64_t *ghost; /* before seal: hashes to add as ghost entries */
	size_t nghost;   /* ghost entries in the table (work PL_MATCH_GHOST) */
	/* A matcher over a registry file (regfile.c): works, the fingerprint
	 * records, table, buckets, Bloom, by_sha and lengths point into this
	 * read-only mapping; only fps (the pointer array) is allocated. */
	void *map;
	size_t map_len;
};

/* The exact-span matcher for one work's hits hs[0..n) (any order; sorted in
 * place): pieces, chains, gap search; appends matches and their pieces to out.
 * 0 when it handled the work, 1 when the work has no usable span hashes (the
 * caller falls back to the lower-bound matcher), or an error. */
int pl_match__exact(const pl_matcher *m, pl_matches *out, pl_match_scratch *s, const pl_tokens *t,
                    const pl_fps *fps, uint32_t work, pl_match__hit *hs, size_t n,
                    const pl_match_opts *o);

/* A new record: forget the previous record's span hashes. */
void pl_match__record(pl_match_scratch *s);

/* Append a match and its pieces (copied) to out. */
int pl_match__push(pl_matches *out, const pl_match *mt, const pl_match_piece *pc, size_t npc);

/* Free the exact-span scratch buffers of s. */
void pl_match__scratch_free(pl_match_scratch *s);

/* Allocate and free the span-hash cache. */
int pl_match__spans_init(pl_matcher *m);
void pl_match__spans_free(pl_matcher *m);

#endif
