/*
 * pl_registry.h - the registry of works: fingerprinting a work locally (only
 * hashes and fingerprints leave the rights holder's machine), registering it
 * as a work entry with its fingerprint attachments, listing works, and
 * loading the matcher that `check` uses.
 */
#ifndef PL_REGISTRY_H
#define PL_REGISTRY_H

#include "pl_ledger.h"
#include "pl_match.h"
#include "pl_regfile.h"

/* The registry's tables in the index (pl_index.h), listed by
 * ledger/index_ext.c. */
struct pl_index_ext;
extern const struct pl_index_ext pl_index_ext_registry;

/* What a work registration says besides the fingerprints. */
typedef struct {
	const char *title;
	const char *holder;
	const char
	    *terms; /* all-rights-reserved | opt-out | licensed:<URL or text>; NULL: the first */
	const char *const *creators;
	size_t ncreators;
} pl_work_meta;

/* A work's digests and fingerprints, computed from its text. */
typedef struct {
	char id[24];                       /* "W" + 16 hex of the normalized SHA-256 */
	unsigned char sha256[PL_HASH_LEN]; /* of the bytes as given */
	unsigned char normalized_sha256[PL_HASH_LEN];
	uint64_t tokens;
	pl_buf fp, rfp;   /* attachments: winnow-v1 k=13 w=38 and the robust k=8 w=17 */
	size_t nfp, nrfp; /* fingerprints in each */
	pl_buf span;      /* attachment: shingle16-v1 span hashes, one per token position */
	size_t nspan;
	int no_spans; /* set by the caller: register without the span hashes (lower-bound spans) */
	int short_work; /* fewer than w+k-1 tokens: only exact copies can be found */
} pl_work_prints;

/* Fingerprint text (UTF-8; name is used in error messages). Refused
 * (PL_EINVALID): invalid UTF-8 or NUL bytes ("binary"), no tokens ("empty"). */
int pl_work_prints_compute(pl_work_prints *out, const char *name, const char *text, size_t len);
void pl_work_prints_free(pl_work_prints *p); /* NULL-safe */

/* Check that signer (a registered rights-holder key) may register p with meta:
 * terms well-formed, title and holder present, the normalized text not yet
 * registered (PL_ECONFLICT naming the existing work). Appends nothing. */
int pl_work_validate(pl_ledger *l, const pl_key *signer, const pl_work_prints *p,
                     const pl_work_meta *meta);

/* Validate, then append the work entry (SPEC §6.2) with its three attachments:
 * the two fingerprint sets and the span hashes ("span_hashes" in the
 * predicate: {"scheme": "shingle16-v1", "k": 13, "bits": 16, "count", "sha256"}). */
int pl_work_register(pl_ledger *l, pl_entry_ref *ref, const pl_key *signer, const pl_work_prints *p,
                     const pl_work_meta *meta);

/* The same for n works (p[i] with meta[i]) as one commit: all or none. Each is
 * validated first (pl_work_validate; a text twice in the batch is refused by
 * the ledger's rules). refs (may be NULL) receives n references. */
int pl_work_register_batch(pl_ledger *l, pl_entry_ref *refs, const pl_key *signer,
                           const pl_work_prints *const *p, const pl_work_meta *const *meta,
                           size_t n);

typedef struct {
	const char *id, *title, *holder, *terms, *creators, *normalized_sha256, *created;
	uint64_t seq, tokens, nfp, nrfp;
	int has_spans;  /* registered with span hashes: its matches are exact */
	uint64_t nspan; /* how many */
} pl_work_info;
typedef int (*pl_work_fn)(void *ctx, const pl_work_info *w);

/* Every registered work in order of registration; or one (PL_ENOTFOUND). */
int pl_registry_list(pl_ledger *l, pl_work_fn fn, void *ctx);
int pl_registry_get(pl_ledger *l, const char *id, pl_work_fn fn, void *ctx);
uint64_t pl_registry_count(pl_ledger *l);

/* A sealed matcher over every registered work, default (k=13, w=38) or
 * robust (k=8, w=17) scheme. Works registered with span hashes get exact
 * spans: the matcher reads their span hashes from l's index when a record
 * first hits them (from any thread), so l must outlive the matcher. */
int pl_registry_matcher(pl_matcher **out, pl_ledger *l, int robust);

/* The matcher of registry part index of count (`--registry-part`, see
 * pl_matcher_set_part): the works whose index among the scheme's works is
 * index mod count, and the whole registry's document frequencies where the
 * part needs them. Reads every work's fingerprints twice; holds the part's
 * table and a count for each distinct fingerprint of its works or its key
 * range. count 1: the whole registry, as pl_registry_matcher. */
int pl_registry_matcher_part(pl_matcher **out, pl_ledger *l, int robust, uint32_t index,
                             uint32_t count);

/* Build that matcher once into a registry file at path (pl_regfile.h), with
 * the ledger's state (size, root); *info (may be NULL) what its header says. */
int pl_registry_build(pl_regfile_info *info, pl_ledger *l, const char *path, int robust,
                      uint32_t index, uint32_t count);

/* The matcher of a registry file, mapped read-only: refused (PL_EINVALID,
 * naming the file) when it is not valid (pl_regfile_map), is for the other
 * scheme, was built from another ledger, or is stale (a work registered since
 * the state it was built from). Span hashes are read from l, as for
 * pl_registry_matcher. */
int pl_registry_matcher_file(pl_matcher **out, pl_regfile_info *info, pl_ledger *l,
                             const char *path, int robust);

#endif
