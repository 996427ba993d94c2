/*
 * pl_check.h - `check`: every record of every shard against the registry
 * (SPEC §6.3, §8). Streaming, with a pool of worker threads: the reading
 * thread decompresses and parses, the workers tokenize, fingerprint and
 * match; the report is the same whatever the number of workers.
 */
#ifndef PL_CHECK_H
#define PL_CHECK_H

#include <jansson.h>

#include "pl_ledger.h"
#include "pl_match.h"
#include "pl_shard.h"

typedef struct {
	int robust;          /* k=8 w=17 instead of k=13 w=38 */
	unsigned min_tokens; /* 0: 50 */
	unsigned max_df;     /* 0: 50 */
	unsigned jobs;       /* worker threads; 0: the number of cores */
	pl_shard_opts shard; /* format, field, split, lossy, max_record */
	/* Progress: stored bytes done of all shards' total. May be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	/* Called, one call at a time, with each record's default-scheme (k=13,
	 * w=38) fingerprints: the dataset sketch is built from them. May be NULL. */
	int (*on_fps)(void *ctx, const pl_fps *fps);
	void *on_fps_ctx;
	/* Per shard, NULL or one entry for each path (an entry NULL for the
	 * default): the JSONL field instead of shard.field, and the name that
	 * the report and messages give the shard instead of its path (e.g. "-"
	 * for a copy of stdin). Borrowed. */
	const char *const *fields;
	const char *const *names;
	/* Keep the first N characters of each match's record span in
	 * pl_check_result.excerpts, for the lab's own review; never in the
	 * report. 0: none. */
	unsigned excerpts;
	/* The lookup table from this registry file (`registry build`, mapped
	 * read-only; see pl_registry_matcher_file) instead of one built from
	 * the index. NULL: built. The report is the same. */
	const char *registry_file;
	/* Registry part index of count (`--registry-part`, pl_matcher_set_part):
	 * matched against that part's works only, each match with "order"
	 * ([record token, the work's index among all works]) for
	 * pl_check_merge. count 0 or 1: the whole registry (or the part the
	 * registry file is). */
	uint32_t registry_part_index, registry_part_count;
} pl_check_opts;

typedef struct {
	char *path;
	pl_shard_info info;
	uint64_t tokens;
	uint64_t ignored; /* its record fingerprints ignored as boilerplate */
	/* its matches: report.matches[match0 .. match0 + nmatches) */
	size_t match0, nmatches;
} pl_check_shard;

typedef struct {
	json_t *report; /* the SPEC §6.3 predicate without "created" */
	pl_check_shard *shards;
	size_t nshards;
	uint64_t records, bytes, tokens, nmatches;
	char **excerpts; /* with opts.excerpts: one per match, in the report's order */
	size_t nexcerpts;
	double load_seconds; /* time to load the registry */
	size_t table_bytes;  /* size of its lookup table */
	size_t registry_works;
	/* the registry part checked against (pl_matcher_part); count 0: whole */
	uint32_t registry_part_index, registry_part_count;
	uint64_t registry_total_works;
} pl_check_result;

/* Check paths[0..n) against l's registry. Errors in a shard (as for `hash`)
 * stop the check with that shard's message. */
int pl_check_run(pl_check_result *out, pl_ledger *l, const char *const *paths, size_t n,
                 const pl_check_opts *o);
void pl_check_result_free(pl_check_result *r);

/* "0.8123" for a ratio x 10000. */
void pl_ratio4(char out[16], uint32_t x10000);

#endif
