/*
 * pl_rules_engine.h - the rule engine (rules.c) over an abstract source of
 * earlier entries, so that append (the index, authenticated against the
 * signed subject index), verify (every entry, in memory) and verify-bundle
 * (the bundle's entries and proofs) apply exactly the same rules.
 */
#ifndef PL_RULES_ENGINE_H
#define PL_RULES_ENGINE_H

#include "pl_index.h"
#include "pl_rules.h"
#include "pl_subjects.h"

/* What the rules keep of an earlier entry. */
typedef struct {
	uint64_t seq;
	char type[32];
	unsigned char leaf[PL_HASH_LEN];
	char signer[128]; /* the DSSE keyid */
	char created[40]; /* the predicate's created */
	char *subject0;   /* subject[0].name */
	json_t *pred;     /* the predicate, without bulky fields (matches keep only work) */
	pl_key *pub;      /* key entries: the key they register */
	char keyid[128];  /* key entries: its keyid */
	int valid;        /* 0 when the rules refused it (verify, bundles) */
} pl_fact;

/* Fill out from an entry (clears it first). */
int pl_fact_from_entry(pl_fact *out, uint64_t seq, const pl_entry *e,
                       const unsigned char leaf[PL_HASH_LEN]);
void pl_fact_clear(pl_fact *f); /* NULL-safe */

/* The source of earlier entries. Returned pointers stay valid for the
 * source's lifetime. */
typedef struct {
	void *ctx;
	/* PL_ENOTFOUND when the source does not hold entry seq. */
	int (*fact)(void *ctx, const pl_fact **out, uint64_t seq);
	/* The refs of subject (n = 0 when it has none); PL_ENOTFOUND when the
	 * source cannot tell (a bundle without that subject's proof). */
	int (*refs)(void *ctx, const pl_refs **out, const char *subject);
	const pl_key *op; /* the operator's key */
	const char *opfp; /* its keyid */
} pl_rsrc;

/* The state of a key at seq (judged from the entries before seq). */
typedef struct {
	int registered;
	uint64_t key_seq;
	const pl_fact *key; /* its key entry (NULL when not registered) */
	char name[160];
	char role[32];        /* declared */
	int64_t revoked_seq;  /* -1: not revoked before seq */
	int in_force;         /* the declared role is in force */
	int vouched;          /* rights-holder with an authority's grant in force */
	int64_t grant_seq;    /* the grant that put the role in force, -1 if none */
	char granted_by[128]; /* its signer */
	int64_t rotated_from; /* in force by a rotation from the key entry at this seq, -1 */
} pl_keystate;

/* PL_OK (out filled, registered 0 when unknown) or a source failure. */
int pl_rules_key_state(pl_keystate *out, const pl_rsrc *src, const char *keyid, uint64_t seq);

/* PL_OK when s holds role in force; otherwise PL_EVERIFY saying why (the
 * message append gives: "WHAT needs a lab key whose role is in force; ..."). */
int pl_rules_require(const pl_keystate *s, const char *keyid, const char *role, const char *what);

/* What the rules decided about an accepted entry. */
typedef struct {
	pl_keystate signer;
	const pl_key *verify_key; /* the DSSE signature must verify under it */
	char role[32];            /* the role in force it was signed under ("" for key entries) */
	pl_key *owned;            /* a key entry's own key, when verify_key is it */
} pl_verdict;
void pl_verdict_clear(pl_verdict *v); /* NULL-safe */

/* Apply every rule to entry e at seq. PL_OK when it is acceptable (the caller
 * still checks the DSSE signature under v->verify_key); otherwise
 * (v must be cleared with pl_verdict_clear either way.) Otherwise
 * PL_EINVALID (malformed), PL_EVERIFY (signer unknown, revoked or without
 * the role), PL_ECONFLICT (a duplicate), PL_ENOTFOUND (a reference to an
 * entry that does not exist) with the reason. */
int pl_rules_check(pl_verdict *v, const pl_rsrc *src, uint64_t seq, const pl_entry *e);

/* Time: created must be an RFC 3339 UTC time not before prev (the previous
 * entry's created, NULL for entry 0) and not later than append_time + 300 s
 * (append_time < 0: not checked). */
int pl_rules_check_time(const char *created, const char *prev, int64_t append_time);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" into unix seconds; PL_EINVALID otherwise. */
int pl_rules_parse_time(int64_t *out, const char *s);

/* ---- hardware (docs/entries.md "hardware") ----------------------------------
 * A batch's chips are numbered 0..count-1 in the order of its serial list. A
 * transfer moves chips [from, from+count) from their owner to another key; it
 * takes effect when the recipient accepts it, and until then the chips are
 * pending (their owner cannot move them again). */
typedef struct {
	uint64_t from, count;
	char owner[128];       /* keyid */
	char jurisdiction[72]; /* where the chips are */
	int64_t pending;       /* the unaccepted transfer holding them, or -1 */
	int64_t via;           /* the transfer that brought them to owner, or -1 */
} pl_hw_range;

typedef struct {
	pl_hw_range *v;
	size_t n, cap;
	uint64_t count; /* the batch's chips */
} pl_hw_holdings;

/* The holdings of batch (a hardware batch entry's seq) judged from the
 * entries before seq, counting only those created at or before at (unix
 * seconds; -1: all). Ranges ascend and cover 0..count-1. PL_EINVALID when
 * batch is not a hardware batch. out is cleared first. */
int pl_rules_hw_holdings(pl_hw_holdings *out, const pl_rsrc *src, uint64_t batch, uint64_t seq,
                         int64_t at);
/* The same, step by step, for a caller with its own list of entries: start
 * from the batch's predicate, then give each later transfer or accept of the
 * batch in seq order (an accept with its transfer's seq and predicate). */
int pl_rules_hw_start(pl_hw_holdings *out, uint64_t batch, const json_t *batch_pred);
int pl_rules_hw_step(pl_hw_holdings *h, uint64_t seq, const json_t *pred, uint64_t transfer_seq,
                     const json_t *transfer_pred);
/* How many chips of h owner holds (pending ones included). */
uint64_t pl_rules_hw_held(const pl_hw_holdings *h, const char *owner);
void pl_hw_holdings_free(pl_hw_holdings *h); /* NULL-safe */

/* The built-in capability vocabulary (NULL-terminated): evaluations may name
 * these and whatever capability-vocabulary attestations add. */
extern const char *const pl_rules_capabilities[];

#endif
