/*
 * pl_hardware.h - the hardware registry (docs/entries.md "hardware"): batches
 * of accelerators registered by a vendor key, transfers between keys, and
 * who holds which chip.
 *
 * A batch names its accelerator model, its chip count, the peak dense BF16
 * FLOP/s of one chip, its first owner and jurisdiction, and its serial list:
 * the SHA-256 of each serial number, one lowercase hex digest a line, as an
 * attachment, with the RFC 6962 root over those digests. Chips are numbered by
 * their line in that list. A transfer (signed by the owner of every chip it
 * moves) takes effect when the recipient accepts it (a second entry, signed
 * by the recipient); until then its chips are pending.
 */
#ifndef PL_HARDWARE_H
#define PL_HARDWARE_H

#include <jansson.h>

#include "pl_key.h"
#include "pl_ledger.h"

typedef struct {
	const char *name;         /* unique batch name (the syntax of a model name) */
	const char *model;        /* accelerator model, e.g. H100-SXM */
	const char *peak_flops;   /* dense BF16 FLOP/s per chip, number syntax */
	const char *owner;        /* keyid of the first owner (a registered key) */
	const char *jurisdiction; /* where the chips are delivered, e.g. US */
	const char *serials;      /* the serial numbers, one a line */
	size_t serials_len;
} pl_hw_batch_spec;

/* Append a batch signed by signer (a vendor key in force). The count is the
 * number of serials (blank lines and surrounding spaces ignored; duplicates
 * refused). Refused with nothing appended: PL_EINVALID (malformed field,
 * no serials), PL_EVERIFY (not a vendor key), PL_ECONFLICT (name taken). */
int pl_hardware_register(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                         const pl_hw_batch_spec *spec);

/* The seq of batch (its decimal seq, or its name). PL_ENOTFOUND otherwise. */
int pl_hardware_find(pl_ledger *l, uint64_t *seq, const char *batch);

/* Transfer count chips of batch (0: every chip of the first run the signer
 * holds) to keyid to, into jurisdiction: the lowest-numbered contiguous run of
 * at least count chips the signer holds that is not pending. */
int pl_hardware_transfer(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const char *batch,
                         const char *to, uint64_t count, const char *jurisdiction);

/* Accept transfer seq (signer must be its recipient). */
int pl_hardware_accept(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, uint64_t transfer);

/* Every batch: {"batches": [BATCH...]} where BATCH has seq, name, model, count,
 * peak_flops, vendor, jurisdiction, created and holders: [{keyid, name, chips,
 * pending}]. */
int pl_hardware_list(pl_ledger *l, json_t **out);

/* One batch: BATCH plus serials {sha256, merkle}, chips: [{from, to, count,
 * owner, owner_name, jurisdiction, pending}] (ranges covering every chip) and
 * transfers: [{seq, from, count, to, to_name, jurisdiction, created,
 * accepted_by}]. */
int pl_hardware_show(pl_ledger *l, json_t **out, const char *batch);

#endif
