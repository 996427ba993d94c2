/*
 * bundle_internal.h - the closure engine shared by export (over the ledger)
 * and verify-bundle (over the bundle's entries): the same rules on both
 * sides, so that a verifier recomputes exactly what the exporter collected.
 */
#ifndef PL_BUNDLE_INTERNAL_H
#define PL_BUNDLE_INTERNAL_H

#include "pl_bundle.h"
#include "pl_subjects.h"

/* One entry as the engine sees it. st is a reference the node owns. */
typedef struct {
	uint64_t seq;
	char type[32];
	char keyid[128];
	unsigned char leaf[PL_HASH_LEN];
	json_t *st;
} pl_bnode;

/* Where entries come from. */
typedef struct {
	void *ctx;
	/* Fill *out (st is a new reference the caller releases); PL_ENOTFOUND for
	 * an absent entry. */
	int (*get)(void *ctx, pl_bnode *out, uint64_t seq);
	/* The entries that refer to subject (pl_subjects.h), valid until the next
	 * call; PL_ENOTFOUND when the source cannot tell (a bundle without that
	 * subject's proof). */
	int (*refs)(void *ctx, const pl_refs **out, const char *subject);
	/* A reference that cannot be followed: about is the entry concerned. */
	void (*problem)(void *ctx, uint64_t about, const char *msg);
} pl_bsource;

/* Compute the closure of root into out (ascending), following each entry's
 * references out (model -> datasets, ...) and the subject index in (the
 * entries that refer to it: attestations, rechecks, grants, ...). A missing
 * or mismatched reference goes to src->problem and the closure goes on
 * without it. The rules are in bundle_closure.c. */
int pl_bundle__closure(pl_seqs *out, const pl_bsource *src, pl_bundle_kind kind, uint64_t root);

/* 1 when seq is in s (ascending). */
int pl_seqs__has(const pl_seqs *s, uint64_t seq);

/* Parse an entry reference {"seq": N, "leaf": "<hex>"}; PL_EINVALID if malformed. */
int pl_bundle__ref(const json_t *ref, uint64_t *seq, unsigned char leaf[PL_HASH_LEN]);

#endif
