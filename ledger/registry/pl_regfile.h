/*
 * pl_regfile.h - the registry's lookup table in a file (`registry build`),
 * memory-mapped read-only by `check --registry-file`, so that the workers of
 * one node share one copy in the page cache instead of each building its own
 * from SQLite.
 *
 * Layout (little-endian; sections at 64-byte boundaries):
 *   0    "PLREGTB\n"          magic
 *   8    u32 version (1), u32 header size (256)
 *   16   u32 k, w, bits, bloom_shift   the scheme and the table's shape
 *   32   u64 works, entries (fingerprints), bloom words
 *   56   u64 ledger size      the ledger state it was built from
 *   64   root[32]             that state's Merkle root
 *   96   u64 offsets of: works, per-work fingerprint offsets, fingerprints,
 *        table, buckets, Bloom filter, works by SHA-256, sorted lengths,
 *        document frequencies; then the file size (10 x u64)
 *   176  digest[32]           SHA-256 of the whole file with these 32 bytes zero
 *   208  u32 part index, part count (0: the whole registry), u64 the whole
 *        registry's works, u64 ghost entries, u64 document frequencies
 *   240  zero up to 256
 * works: 72 bytes each (id[24] NUL-padded, normalized_sha256[32], u32 tokens,
 * nfps, nspans, has_spans); fingerprint records as SPEC §6.2 attachments
 * (u64 hash, u32 position); table entries 12 bytes (u32 key low bits, work,
 * position); buckets u32 x (2^bits + 1); Bloom u64 words; u32 by_sha and
 * lengths x works; document frequencies 16 bytes (u64 hash, u32 works, u32
 * zero; see pl_matcher_set_part), a part's only. Everything is validated on open: a file that
 * passes gives the same matches as the table built from SQLite.
 */
#ifndef PL_REGFILE_H
#define PL_REGFILE_H

#include "pl_match.h"

#define PL_REGFILE_MAGIC "PLREGTB\n"
#define PL_REGFILE_VERSION 2
#define PL_REGFILE_HEADER 256

typedef struct {
	uint64_t ledger_size;
	unsigned char root[PL_HASH_LEN];
	uint64_t works, entries, file_bytes;
	unsigned k, w;
	uint32_t part_index, part_count; /* part_count 0: the whole registry */
	uint64_t total_works;            /* the whole registry's */
} pl_regfile_info;

/* Write sealed matcher m, built from the ledger state (size, root), to path
 * (atomically). *out (may be NULL) receives what the header says. */
int pl_regfile_write(pl_regfile_info *out, const pl_matcher *m, const char *path, uint64_t size,
                     const unsigned char root[PL_HASH_LEN]);

/* Map path read-only and validate it; *out is a matcher over the mapping
 * (pl_matcher_free unmaps it), to seal with pl_matcher_seal (after
 * pl_matcher_set_spans) before matching; *info what its header says. PL_ENOTFOUND
 * for a missing file; PL_EINVALID naming the file for a truncated, corrupt or
 * foreign one, or another version. */
int pl_regfile_map(pl_matcher **out, pl_regfile_info *info, const char *path);

/* What path's header says of its registry part, unvalidated (pl_regfile_map
 * validates it): 1 and index, count for a part; 0 for the whole registry or
 * a file that is not one of this version (*index, *count 0). */
int pl_regfile_part(uint32_t *index, uint32_t *count, const char *path);

#endif
