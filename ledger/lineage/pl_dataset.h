/*
 * pl_dataset.h - dataset manifests (SPEC §6.4): hashing, checking and
 * sketching the shards in one pass, then a check entry and a dataset entry
 * that refers to it; and rechecks against today's registry.
 */
#ifndef PL_DATASET_H
#define PL_DATASET_H

#include "pl_check.h"
#include "pl_check_part.h"
#include "pl_ledger.h"

typedef struct {
	const char *name, *version;
	const char *const *sources;
	size_t nsources;
	const char *const *licences;
	size_t nlicences;
} pl_dataset_meta;

/* Register a dataset: signer must be a registered lab key, name@version new.
 * Runs the check (o: its options; on_fps is taken for the sketch), then
 * appends the check entry and the dataset entry with its sketch attachment.
 * res receives the check result (free with pl_check_result_free). */
int pl_dataset_register(pl_ledger *l, pl_entry_ref *check_ref, pl_entry_ref *dataset_ref,
                        pl_check_result *res, const pl_key *signer, const char *const *paths,
                        size_t n, const pl_dataset_meta *meta, const pl_check_opts *o);

/* Register a dataset from the parts of a check split over a job array
 * (pl_check_part.h), without reading the shards: the parts are merged
 * (pl_check_merge, refused as it refuses), must have been checked with the
 * default scheme against the ledger's current state, with fingerprints (the
 * sidecars give the sketch: a Bloom filter ORs, so the one built from every
 * part's fingerprints is the one a single run builds). The entries appended
 * are those pl_dataset_register appends for the same shards. */
int pl_dataset_register_parts(pl_ledger *l, pl_entry_ref *check_ref, pl_entry_ref *dataset_ref,
                              pl_check_result *res, const pl_key *signer,
                              pl_check_part *const *parts, size_t n, const pl_dataset_meta *meta);

/* Recheck a registered dataset (name@version) against today's registry: the
 * shards given must be exactly the manifest's (by SHA-256; refused naming the
 * shard otherwise). Appends a check entry whose predicate has "dataset". */
int pl_dataset_recheck(pl_ledger *l, pl_entry_ref *check_ref, pl_check_result *res,
                       const pl_key *signer, const char *name_at_version, const char *const *paths,
                       size_t n, const pl_check_opts *o);

#endif
