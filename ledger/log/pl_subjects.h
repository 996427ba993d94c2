/*
 * pl_subjects.h - the subject index (provledger-subjects/v1): for every
 * subject of the ledger (an entry, a work, a key, a registered name), the
 * ascending list of the entries that refer to it, committed in every commit
 * by a signed root, so that a bundle can prove for each of its entries that
 * no entry referring to it up to the checkpoint's size was left out.
 *
 * Subjects are strings:
 *   seq:<N>                 entry N, as entry references {"seq","leaf"} name it
 *   work:<W-id>             a registered work, as check matches and claims name it
 *   key:<keyid>             a key, as key entries, grants and revocations name it
 *   keyname:<name>          a key's registered name (unique)
 *   name:model:<N@V>, name:dataset:<N@V>   a registered name@version (unique)
 *
 * Every entry contributes edges (subject, label) computed from its statement
 * alone (pl_subjects_edges); label is "<entry type>.<field>" for references
 * and "<type>" for the entry that defines the subject.
 *
 * Construction (docs/subjects.md):
 *   refs text   R = subject "\n" || one line "<seq> <label>\n" per edge, ascending seq
 *   key         k = SHA-256(subject)
 *   leaf        L = SHA-256(0x00 || R)
 *   bucket      b = k[0] << 8 | k[1], 65536 buckets
 *   bucket hash B = SHA-256(0x02 || k1 || L1 || k2 || L2 ...), subjects of b sorted by k
 *   nodes       N(0, b) = B_b; N(l+1, i) = SHA-256(0x01 || N(l, 2i) || N(l, 2i+1))
 *   root        N(16, 0)
 *   note        "provledger-subjects/v1\n<origin>\n<size>\n<base64 root>\n",
 *               a C2SP signed note by the operator key under the origin's name,
 *               stored as `subjects` in the tree of every commit.
 */
#ifndef PL_SUBJECTS_H
#define PL_SUBJECTS_H

#include <jansson.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_hash.h"

#define PL_SUBJ_LEVELS 16
#define PL_SUBJ_BUCKETS (1u << PL_SUBJ_LEVELS)
#define PL_SUBJ_NOTE_HEADER "provledger-subjects/v1"
#define PL_SUBJ_MAX 512 /* the longest subject string */

/* One edge: the entry refers to subject under label. */
typedef struct {
	char subject[PL_SUBJ_MAX];
	char label[48];
} pl_edge;

typedef struct {
	pl_edge *v;
	size_t n, cap;
} pl_edges;

/* The edges of an entry of type (key, grant, work, check, dataset, model,
 * attestation) with this statement, deduplicated, in a fixed order. A field
 * that is malformed contributes no edge (the rules refuse the entry). out is
 * cleared first. */
int pl_subjects_edges(pl_edges *out, const char *type, const json_t *statement);
void pl_edges_free(pl_edges *e); /* NULL-safe */

/* One line of a refs text. */
typedef struct {
	uint64_t seq;
	char label[48];
} pl_ref;

typedef struct {
	pl_ref *v;
	size_t n, cap;
} pl_refs;

/* Parse a refs text for subject (its first line must be subject; then
 * ascending "<seq> <label>" lines). PL_EINVALID otherwise. out is cleared. */
int pl_refs_parse(pl_refs *out, const char *subject, const char *text, size_t len);
int pl_refs_add(pl_refs *r, uint64_t seq, const char *label);
void pl_refs_free(pl_refs *r); /* NULL-safe */

/* The hashes of the construction above. */
void pl_subject_key(unsigned char k[PL_HASH_LEN], const char *subject);
void pl_subject_leaf(unsigned char out[PL_HASH_LEN], const char *refs, size_t len);
unsigned pl_subject_bucket(const unsigned char k[PL_HASH_LEN]);
/* members: n records of k(32) || L(32), sorted by k. */
void pl_subject_bucket_hash(unsigned char out[PL_HASH_LEN], const unsigned char *members, size_t n);
/* The hash of an empty subtree at level (0: an empty bucket .. 16: empty root). */
void pl_subject_empty(unsigned char out[PL_HASH_LEN], unsigned level);

/* A proof that subject's refs at some size are refs (NULL: the subject has
 * none): its bucket's members (n records of k || L, sorted by k) and the
 * PL_SUBJ_LEVELS sibling hashes from the bucket up. Computes the root it
 * leads to into root. PL_EINVALID when the members are unsorted, hold the
 * subject when refs is NULL, or lack it (or hold another leaf) when refs is
 * given. */
int pl_subject_proof_root(unsigned char root[PL_HASH_LEN], const char *subject, const char *refs,
                          size_t refslen, const unsigned char *members, size_t n,
                          const unsigned char path[PL_SUBJ_LEVELS][PL_HASH_LEN]);

/* The note text "provledger-subjects/v1\n<origin>\n<size>\n<b64 root>\n". */
int pl_subjects_note_format(pl_buf *out, const char *origin, uint64_t size,
                            const unsigned char root[PL_HASH_LEN]);
/* Parse a note text (without signatures); PL_EINVALID unless exactly that. */
int pl_subjects_note_parse(const char *text, size_t len, char origin[256], uint64_t *size,
                           unsigned char root[PL_HASH_LEN]);

/* An in-memory subject index (verify, bundles, tests), optionally over a
 * base (the ledger's index): then every bucket it reads from the base is
 * checked, with the base's nodes on its path, against base->root first, so
 * that nothing the base holds is used unless it is what the signed root
 * commits to. */
typedef struct pl_smap pl_smap;

typedef struct {
	void *ctx;
	/* call fn for every subject of bucket b with its refs text */
	int (*bucket)(void *ctx, unsigned b,
	              int (*fn)(void *arg, const char *subject, const char *refs, size_t len),
	              void *arg);
	/* node (level, idx); PL_ENOTFOUND for an empty subtree */
	int (*node)(void *ctx, unsigned level, unsigned idx, unsigned char out[PL_HASH_LEN]);
	unsigned char root[PL_HASH_LEN]; /* the signed root the base must match */
} pl_smap_base;

/* Where pl_smap_flush writes what changed. */
typedef struct {
	void *ctx;
	int (*subject)(void *ctx, const char *subject, unsigned bucket,
	               const unsigned char k[PL_HASH_LEN], const unsigned char leaf[PL_HASH_LEN],
	               const char *refs, size_t len);
	int (*node)(void *ctx, unsigned level, unsigned idx, const unsigned char h[PL_HASH_LEN]);
} pl_smap_sink;

/* base may be NULL (an empty index); it must outlive the map. */
int pl_smap_new(pl_smap **out, const pl_smap_base *base);
void pl_smap_free(pl_smap *m); /* NULL-safe */
/* Add edge (subject, label) of entry seq (seqs must not decrease). */
int pl_smap_add(pl_smap *m, const char *subject, uint64_t seq, const char *label);
/* Add every edge of an entry. */
int pl_smap_add_edges(pl_smap *m, uint64_t seq, const pl_edges *e);
/* The refs text of subject (*text borrowed, NULL when it has none). */
int pl_smap_get(pl_smap *m, const char **text, size_t *len, const char *subject);
/* The root over everything (the base and what was added). */
int pl_smap_root(pl_smap *m, unsigned char root[PL_HASH_LEN]);
/* A proof for subject against pl_smap_root: members (appended to members,
 * *n records of k || L) and path. */
int pl_smap_prove(pl_smap *m, pl_buf *members, size_t *n,
                  unsigned char path[PL_SUBJ_LEVELS][PL_HASH_LEN], const char *subject);
/* Write every subject and node changed since the last flush (call
 * pl_smap_root first). */
int pl_smap_flush(pl_smap *m, const pl_smap_sink *sink);
/* The number of subjects held in memory. */
size_t pl_smap_count(const pl_smap *m);

#endif
