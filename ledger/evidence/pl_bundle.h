/*
 * pl_bundle.h - evidence bundles (SPEC §7): the lineage closure of a model or
 * of a work, written as one gzip-compressed JSON document that holds every
 * entry of that closure verbatim with an RFC 9162 inclusion proof against one
 * signed checkpoint, the attachments those entries name, and the operator's
 * verifier key; and its offline verification, which needs no ledger and
 * trusts nothing in the bundle but what the operator's public key signs.
 *
 * The format (docs/verifying-evidence.md and the README describe it for
 * people who verify it with other tools):
 *
 *   {"attachments":{"<sha256 hex>":"<base64>",...},
 *    "checkpoint":"<C2SP signed note of the tree>",
 *    "entries":[{"envelope":"<leaf bytes>","proof":["<b64>",...],"seq":N},...],
 *    "format":"provledger-bundle/v1",
 *    "operator_key":"<NAME+HEX8+BASE64 verifier key>",
 *    "origin":"<log origin>",
 *    "subject":{"name":"<model:N@V or work:W...>","seq":N,"type":"model"|"work"}}
 *
 * serialised canonically (SPEC §6), so the same ledger state always exports
 * the same bytes. "subject" names the root of the closure, so that a
 * verifier can recompute the closure from the entries alone: an entry the
 * lineage needs that is missing, and an entry that is not part of the
 * lineage, are both problems (a court must not be shown unrelated facts as
 * if they were lineage).
 */
#ifndef PL_BUNDLE_H
#define PL_BUNDLE_H

#include <jansson.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_key.h"
#include "pl_ledger.h"
#include "pl_note.h"

#define PL_BUNDLE_FORMAT "provledger-bundle/v1"

/* The default cap on a bundle's decompressed size: 1 GiB. */
#define PL_BUNDLE_MAX_SIZE ((size_t)1 << 30)
/* The default caps on the decoded bytes of one attachment (256 MiB) and of all
 * of a bundle's attachments (1 GiB). */
#define PL_BUNDLE_MAX_ATTACHMENT ((size_t)256 << 20)
#define PL_BUNDLE_MAX_ATTACHMENTS_TOTAL ((size_t)1 << 30)
/* The default cap on the number of entries a bundle holds (each costs a parsed
 * JSON tree in memory; the largest lineage closures are a few thousand). */
#define PL_BUNDLE_MAX_ENTRIES ((size_t)100000)

typedef enum {
	PL_BUNDLE_MODEL = 0, /* a model's lineage: `export N@V` */
	PL_BUNDLE_WORK = 1   /* everything that holds a work: `export --work ID` */
} pl_bundle_kind;

/* Entry sequence numbers, ascending and unique. Free with pl_seqs_free. */
typedef struct {
	uint64_t *seq;
	size_t n, cap;
} pl_seqs;
void pl_seqs_free(pl_seqs *s); /* NULL-safe; frees the array and zeroes s */

/* The model entry NAME@VERSION names, as pl_lineage_find finds it.
 * PL_ENOTFOUND when there is none; PL_EUSAGE when name_at_version is not
 * NAME@VERSION. */
int pl_bundle_find_model(pl_ledger *l, uint64_t *seq, const char *name_at_version);

/* The work entry of work id (W + 16 hex digits; the subject name is
 * "work:<id>"). PL_ENOTFOUND when not registered. */
int pl_bundle_find_work(pl_ledger *l, uint64_t *seq, const char *work_id);

/* The closure of root (a model entry for PL_BUNDLE_MODEL, a work entry for
 * PL_BUNDLE_WORK), ascending, into *out (zero-initialise it; on failure it is
 * left empty).
 *
 * Model: the model; its base_models (recursively) and datasets; each
 * dataset's check; the works that check matched (`work:<id>`); rechecks
 * (checks whose `dataset` ref points at a dataset of the closure);
 * attestations whose subject is in the closure, and the entries those
 * attestations refer to (evaluations, check, dataset, work, revokes).
 * Work: the work; every check whose matches name it; the datasets those
 * checks are reports of (dataset.check, or a recheck's dataset ref) and
 * their own checks; every model that trained on those datasets, directly or
 * through base models (descendants only: a model's other datasets and
 * ancestors are not the work's business); attestations on all of these and
 * claims naming the work.
 * Both: the key entry of every signer of every collected entry, and the key
 * entry that revoked it, if any (and their signers in turn).
 *
 * PL_EINVALID when the ledger holds a dangling or mismatched reference. */
int pl_bundle_closure(pl_seqs *out, pl_ledger *l, pl_bundle_kind kind, uint64_t root);

/* What pl_bundle_write wrote. */
typedef struct {
	size_t entries, attachments;
	uint64_t size;       /* the checkpoint's tree size */
	size_t bytes;        /* compressed size of the file */
	size_t uncompressed; /* size of the JSON document */
} pl_bundle_stats;

/* Export the closure of root to path (gzip, written atomically: a temp file
 * beside it, then rename). Every entry carries its inclusion proof against
 * the ledger's latest checkpoint; every attachment blobs/<sha256> whose hex
 * digest appears in a collected entry's payload is included. stats may be
 * NULL. */
int pl_bundle_write(pl_ledger *l, const char *path, pl_bundle_kind kind, uint64_t root,
                    pl_bundle_stats *stats);

/* Options for pl_bundle_verify. Zero-initialise. */
typedef struct {
	size_t max_size;              /* cap on the decompressed size; 0 means PL_BUNDLE_MAX_SIZE */
	size_t max_attachment;        /* decoded bytes of one; 0: PL_BUNDLE_MAX_ATTACHMENT */
	size_t max_attachments_total; /* decoded, of all; 0: PL_BUNDLE_MAX_ATTACHMENTS_TOTAL */
	size_t max_entries;           /* members of "entries"; 0: PL_BUNDLE_MAX_ENTRIES */
	const char *tmpdir;       /* where attachments are spooled (unlinked at once); NULL: /tmp */
	const char *trusted_name; /* a C2SP verifier key's name (must be the origin), or NULL */
	/* witnesses whose cosignatures (c2sp.org/tlog-cosignature/v1) the
	 * checkpoint must carry, a quorum of them; NULL or none: not checked */
	const pl_cosig_policy *witnesses;
} pl_bundle_opts;

/* One entry of a verified bundle. */
typedef struct {
	uint64_t seq;
	char leaf[65];       /* its RFC 6962 leaf hash, hex */
	char type[32];       /* key, work, check, dataset, model, attestation; "" if undecodable */
	char *name;          /* subject[0].name, or "-" */
	char *signer;        /* DSSE keyid */
	char *signer_name;   /* the name of the signer's key entry in the bundle, or NULL */
	int verified;        /* proof, signature, attachments, closure: no problem names it */
	json_t *statement;   /* the in-toto Statement (owned by the report), or NULL */
	char *role;          /* the role in force it was signed under, or NULL */
	char *grants;        /* its signer's role and grant chain, or NULL */
	int checked;         /* every rule applied (0: it refers to entries not in the bundle) */
	char *unchecked_why; /* why not, when checked is 0 */
	int64_t revoked_by;  /* an attestation: the seq of the revocation in the bundle, -1 */
} pl_bundle_entry;

/* The result of pl_bundle_verify. Zero-initialise; pl_bundle_report_free. */
typedef struct {
	char origin[256];
	uint64_t size;                   /* the checkpoint's tree size */
	unsigned char root[PL_HASH_LEN]; /* the checkpoint's root hash */
	int checkpoint_verified;         /* signed by the trusted key under origin */
	size_t cosignatures;             /* valid ones by the policy's witnesses */
	pl_bundle_kind kind;             /* from "subject" */
	char *subject_name;              /* "model:foo@1" or "work:W..." */
	uint64_t subject_seq;
	pl_bundle_entry *entries; /* in the bundle's order (ascending seq) */
	size_t nentries;
	json_t *attachments; /* {"<name>": {"size": N}} ({"invalid": why} when not base64), owned */
	pl_buf problems;     /* one line each: "seq N (type name): what is wrong" */
	size_t nproblems;
	int subjects_verified; /* the subject index note and its proofs verified */
	size_t unchecked;      /* entries not fully checked by the rules */
	json_t *findings;      /* policy findings of the bundle's entries (SPEC 6.7), owned */
	json_t *lineage;       /* a model bundle: pl_lineage_get of the subject, or NULL */
} pl_bundle_report;

/* Verify the bundle at path with no ledger: gunzip and parse in one pass,
 * streaming (refusing more than opts->max_size decompressed bytes; each
 * attachment decoded from base64 and hashed as it streams, into a file in
 * opts->tmpdir unlinked at once, so memory does not grow with attachments;
 * refusing one of more than opts->max_attachment bytes, or all of more than
 * opts->max_attachments_total), strict
 * JSON, the format; the checkpoint's signature under trusted with the name
 * "origin" and operator_key equal to trusted; every entry's inclusion proof
 * (leaf = SHA-256(0x00 || envelope)) against the checkpoint root; every DSSE
 * signature under the key entries in the bundle (self-signed; revocations
 * signed by the revoked key or the operator; nothing signed by a key after
 * its revocation); every attachment's digest, and that each is named by an
 * entry and each fingerprint or sketch an entry names is present; every
 * entry reference whose target is in the bundle names that entry's leaf;
 * and that the entries are exactly the closure of "subject" as
 * pl_bundle_closure computes it: nothing the lineage needs is missing and
 * nothing unrelated is added.
 *
 * PL_OK when everything verifies; PL_EVERIFY when r->problems lists
 * problems (r is filled); PL_ENOTFOUND for a missing file; PL_ELIMIT past
 * a cap; PL_EINVALID for a file that is not a complete gzip stream
 * of one JSON document of this format (r is then empty). opts may be NULL. */
int pl_bundle_verify(pl_bundle_report *r, const char *path, const pl_key *trusted,
                     const pl_bundle_opts *opts);

void pl_bundle_report_free(pl_bundle_report *r); /* NULL-safe */

/* Read a trusted operator key from a file: an OpenSSH public key line
 * (PREFIX.pub, `key list`, an allowed_signers line, or DIR/config, whose
 * operator_public_key holds one), or a C2SP verifier key NAME+HEX8+BASE64.
 * PL_ENOTFOUND for a missing file; PL_EINVALID when no key is found. */
int pl_bundle_load_trust(pl_key **out, const char *path);

#endif
