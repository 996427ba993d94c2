/*
 * bundle_internal.h - the closure engine shared by export (over the ledger)
 * and verify-bundle (over the bundle's entries): the same rules on both
 * sides, so that a verifier recomputes exactly what the exporter collected.
 */
#ifndef PL_BUNDLE_INTERNAL_H
#define PL_BUNDLE_INTERNAL_H

#include "pl_bundle.h"

/* One entry as the engine sees it. st is a reference the node owns. */
typedef struct {
	uint64_t seq;
	char type[32];
	char keyid[128];
	unsigned char leaf[PL_HASH_LEN];
	json_t *st;
} pl_bnode;

typedef int (*pl_bscan_fn)(void *arg, const pl_bnode *n);

/* Where entries come from. Every function returns PL_ENOTFOUND for an absent
 * entry or key, another negative code for a failure that stops the closure. */
typedef struct {
	void *ctx;
	/* Fill *out (st is a new reference the caller releases). */
	int (*get)(void *ctx, pl_bnode *out, uint64_t seq);
	/* Call fn for every entry of type, ascending; entries whose statement
	 * lacks needle (when not NULL) may be skipped. st is borrowed. */
	int (*scan)(void *ctx, const char *type, const char *needle, pl_bscan_fn fn, void *arg);
	/* The seq of the work entry named name ("work:W..."). */
	int (*work)(void *ctx, uint64_t *seq, const char *name);
	/* The key entry registering keyid and the key entry revoking it (-1). */
	int (*key)(void *ctx, uint64_t *seq, int64_t *revoked_seq, const char *keyid);
	/* A reference that cannot be followed: from is the referring entry. */
	void (*problem)(void *ctx, uint64_t from, const char *msg);
} pl_bsource;

/* Compute the closure of root into out (ascending). A missing or mismatched
 * reference goes to src->problem and the closure goes on without it. */
int pl_bundle__closure(pl_seqs *out, const pl_bsource *src, pl_bundle_kind kind, uint64_t root);

/* 1 when seq is in s (ascending). */
int pl_seqs__has(const pl_seqs *s, uint64_t seq);

/* Parse an entry reference {"seq": N, "leaf": "<hex>"}; PL_EINVALID if malformed. */
int pl_bundle__ref(const json_t *ref, uint64_t *seq, unsigned char leaf[PL_HASH_LEN]);

#endif
