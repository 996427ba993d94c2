/*
 * pl_check_part.h - `check` split over a job array (SPEC §10, job arrays):
 * task I of N checks sorted(list)[I::N] and writes a part; one merge combines
 * the parts, by (shard position in the list, match index), into the report a
 * single `check` over the whole list gives, byte for byte.
 *
 * A part file (format "provledger-check-part/v1") is one JSON document:
 *   {"format", "part": {"index", "count"}, "list": {"sha256", "shards"},
 *    "options": {shard-reading options}, "registry", "params" (as in the
 *    report), "shards": [{"position", "path", "field", "sha256", "records",
 *    "bytes", "stream_bytes", "tokens", "ignored", "merkle", "format",
 *    "compression", "matches": [...]}], "fingerprints": null or {"file",
 *    "count", "sha256"}, "registry_part" (only when checked against one:
 *    {"index", "count", "works": the whole registry's}), "digest"}
 * where a registry part's matches carry "order": [the record token the
 * match starts at, the work's index among the registry's works], the keys
 * that put the parts' matches in the order of a check of the whole registry.
 * where "list.sha256" is the SHA-256 of the canonical JSON of the list as
 * given, [[name, field or null], ...], and "digest" the SHA-256 (hex) of the
 * canonical JSON of the document without "digest". Its completion marker,
 * PART.done, holds the hex SHA-256 of the part file and a newline; it is
 * written after the part, so a part without one is from a task that did not
 * finish. "fingerprints" names a sidecar (in the part's directory) of the
 * slice's default-scheme record fingerprints, u64 little-endian, for
 * `dataset register --from-reports` to build the sketch from.
 */
#ifndef PL_CHECK_PART_H
#define PL_CHECK_PART_H

#include "pl_check.h"

#define PL_CHECK_PART_FORMAT "provledger-check-part/v1"
/* A part file larger than this is refused (matches are the bulk). */
#define PL_CHECK_PART_MAX ((size_t)1 << 30)
/* A list of more shards than this is refused (merge holds one slot each). */
#define PL_CHECK_PART_MAX_LIST ((uint64_t)1 << 27)

/* The SHA-256 of the list names[0..n) (fields[i] NULL or its JSONL field;
 * fields may be NULL), as "list.sha256" holds it. */
int pl_check_list_digest(unsigned char out[PL_HASH_LEN], const char *const *names,
                         const char *const *fields, size_t n);

/* The positions in names[0..n) of slice index of count: the list sorted by
 * name (bytewise; equal names by position), then every count-th from index.
 * *out (malloc'd, free()) receives *nout positions in slice order; nout may
 * be 0. PL_EUSAGE unless index < count. */
int pl_check_slice(size_t **out, size_t *nout, const char *const *names, size_t n, uint32_t index,
                   uint32_t count);

typedef struct {
	uint32_t index, count;
	const char *const *names;  /* the whole list, as given */
	const char *const *fields; /* may be NULL */
	size_t nlist;
	const size_t *positions; /* of res's shards, res->nshards of them */
	const pl_check_opts *o;  /* the options the slice was checked with */
	/* the fingerprint sidecar, or file NULL */
	const char *fps_file; /* its name in the part's directory */
	uint64_t fps_count;
	unsigned char fps_sha256[PL_HASH_LEN];
} pl_check_part_info;

/* Serialise res (a pl_check_run over the slice) as a part file; appends to out. */
int pl_check_part_write(pl_buf *out, const pl_check_result *res, const pl_check_part_info *info);

typedef struct pl_check_part pl_check_part;

/* Parse a part file's bytes; name stands for it in messages and locates
 * its fingerprint sidecar. PL_EINVALID, naming the file, for anything but a
 * whole, unaltered part. */
int pl_check_part_parse(pl_check_part **out, const char *data, size_t len, const char *name);

/* Read path and its completion marker (path.done), then parse. PL_EINVALID
 * for a missing or mismatched marker; PL_ENOTFOUND for a missing file. */
int pl_check_part_load(pl_check_part **out, const char *path);

void pl_check_part_free(pl_check_part *p); /* NULL-safe */

uint32_t pl_check_part_index(const pl_check_part *p);
uint32_t pl_check_part_count(const pl_check_part *p);
/* The part's fingerprint sidecar: 1 and its path (borrowed), count and
 * digest; 0 when the part has none. */
int pl_check_part_fps(const pl_check_part *p, const char **path, uint64_t *count,
                      unsigned char sha256[PL_HASH_LEN]);
/* The part's registry part (`check --registry-part`): 1 and its index and
 * count; 0 when it was checked against the whole registry. */
int pl_check_part_registry(const pl_check_part *p, uint32_t *index, uint32_t *count);
/* The value of options.robust (the slice was checked with --robust). */
int pl_check_part_robust(const pl_check_part *p);

/* Merge parts[0..n) (any order) into out: report, shards (in list order,
 * with info and tokens), totals, as pl_check_run over the whole list gives
 * them. Parts of registry parts (every shard part checked against each of
 * the Q registry parts) are first combined per shard part: matches in the
 * whole registry's order by their "order", ignored fingerprints summed.
 * PL_EINVALID, naming the parts, when one is missing or given twice, or they
 * come from different lists, options, registry states or registry part
 * counts, or their shards do not make up the list. */
int pl_check_merge(pl_check_result *out, pl_check_part *const *parts, size_t n);

#endif
