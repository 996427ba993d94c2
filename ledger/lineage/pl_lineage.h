/*
 * pl_lineage.h - models, attestations and the lineage of a model: what it
 * was fine-tuned from and trained on, which registered works those datasets
 * hold, who licensed, evaluated or approved it, and the policy findings
 * (SPEC §6.5-6.7).
 *
 * The index keeps its own tables (datasets, models, model_inputs,
 * attestations, checks, check_works), rebuilt by `reindex` from git, so that
 * every lookup here is an indexed query, never a scan of the ledger.
 *
 * Names and numbers (NAME@VERSION, the number syntax of compute figures) are
 * in pl_names.h.
 */
#ifndef PL_LINEAGE_H
#define PL_LINEAGE_H

#include <jansson.h>
#include <stdint.h>

#include "pl_common.h"
#include "pl_ledger.h"
#include "pl_names.h"

/* Lineage's tables in the index (pl_index.h), listed by ledger/index_ext.c. */
struct pl_index_ext;
extern const struct pl_index_ext pl_index_ext_lineage;

/* ---- lookups ------------------------------------------------------------ */

/* The seq of the dataset or model (type "dataset" or "model") registered as
 * name_at_version (the earliest, should a malicious ledger hold two).
 * PL_ENOTFOUND "no dataset named X@Y"; PL_EINVALID for a malformed name. */
int pl_lineage_find(pl_ledger *l, uint64_t *seq, const char *type, const char *name_at_version);

/* The registered role of signer's key into role (cleared first); PL_ENOTFOUND
 * "key <keyid> is not registered". keyid (may be NULL) receives the keyid. */
int pl_lineage_signer_role(pl_ledger *l, pl_buf *role, pl_buf *keyid, const pl_key *signer);

/* ---- model register (SPEC §6.5) ---------------------------------------- */

typedef struct {
	const char *name, *version;
	const char *const *datasets; /* "NAME@VERSION", at least one */
	size_t ndatasets;
	const char *const *bases; /* "NAME@VERSION" of base models */
	size_t nbases;
	/* how the model came from its bases (Hugging Face base_model_relation):
	 * finetune (default), adapter, quantized, merge, distillation */
	const char *relation;
	const char *training_flop, *parameters; /* number syntax */
	const char *const *weights;             /* files, hashed streaming */
	size_t nweights;
	const char *hardware;           /* "TYPE:COUNT" or NULL */
	const char *started, *finished; /* RFC 3339 UTC ("2026-01-31T12:00:00Z") or NULL */
	int frontier;                   /* the lab declares the model frontier */
	/* registered hardware it trained on: "BATCH[:COUNT]" (name or seq;
	 * COUNT: chips used, default all) */
	const char *const *hardware_batches;
	size_t nhardware_batches;
	const char *jurisdiction; /* where it was trained (optional) */
	/* one of bases ("NAME@VERSION") it is a mitigated version of: its
	 * evaluations may clear that base's dangerous capabilities */
	const char *mitigates;
} pl_model_spec;

/* Validate spec and append a model entry signed by signer (a registered lab
 * key). Refused, with nothing appended: PL_EINVALID for malformed fields,
 * PL_ENOTFOUND for a dataset or base model that is not registered,
 * PL_ECONFLICT for a duplicate NAME@VERSION (naming the existing seq),
 * PL_EINVALID also when the signer is not a lab key. out (may be NULL) receives
 * the reference. */
int pl_model_register(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                      const pl_model_spec *spec);

/* ---- attestations (SPEC §6.6) ------------------------------------------ */

typedef struct {
	const char *kind; /* training-licence, evaluation, deployment-approval, claim, revocation,
	                   * training-report, inspection, moratorium, export-restriction,
	                   * capability-vocabulary */
	const char *subject; /* "NAME@VERSION"; optional for a revocation */
	/* training-licence (report_interval: days between training reports, 0: none) */
	const char *max_training_flop, *conditions;
	unsigned report_interval;
	/* training-report (by the model's lab): FLOP so far, the date, checkpoint
	 * weight digests (sha256 hex) */
	const char *flop_so_far, *date;
	const char *const *checkpoints;
	size_t ncheckpoints;
	/* inspection (by an authority): what it found */
	const char *summary;
	/* evaluation */
	const char *suite;
	const char *const *results; /* "CAPABILITY=pass" or "CAPABILITY=fail" */
	size_t nresults;
	const char *const *dangerous; /* capabilities found dangerous */
	size_t ndangerous;
	/* deployment-approval: seqs of evaluations of the same subject */
	const uint64_t *evaluations;
	size_t nevaluations;
	/* claim: work and (check [+ match] | dataset) and statement */
	const char *work;
	int has_check, has_match;
	uint64_t check, match;
	const char *dataset;
	const char *statement;
	/* revocation */
	int has_revokes;
	uint64_t revokes;
	/* training-licence: moratoria (attestation seqs) it lifts for the model */
	const uint64_t *lifts;
	size_t nlifts;
	/* moratorium and export-restriction (about the whole ledger): the window
	 * (until may be NULL: open-ended) and the jurisdiction ("global":
	 * everywhere); statement (optional) says why */
	const char *from, *until, *jurisdiction;
	const char *threshold_flop, *threshold_parameters; /* moratorium: at least one */
	const char *const *hardware_models; /* export-restriction: none = every model */
	size_t nhardware_models;
	/* capability-vocabulary: the capabilities it adds */
	const char *const *capabilities;
	size_t ncapabilities;
} pl_attest_spec;

/* Validate spec and append an attestation signed by signer. The signer's
 * registered role must fit the kind (training-licence and
 * deployment-approval: authority; evaluation: evaluator; claim:
 * rights-holder; revocation: any, but only of an attestation the same key
 * signed). Refused, with nothing appended: PL_EINVALID for a wrong role,
 * someone else's attestation or malformed fields, PL_ENOTFOUND for a missing
 * subject, entry or work, PL_ECONFLICT for revoking twice. (Refusals are
 * bad input, not findings: none of them is PL_EVERIFY.) */
int pl_attest(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const pl_attest_spec *spec);

/* ---- lineage and policy (SPEC §6.7) ------------------------------------ */

/* The lineage of model name_at_version as one JSON document (*out is the
 * caller's, json_decref):
 *   {"model": MODEL, "base_models": [MODEL...], "datasets": [DATASET...],
 *    "works": [WORK...], "attestations": [ATTESTATION...],
 *    "findings": [FINDING...]}
 * (the fields of each are listed in README.md and `provledger help lineage`).
 * Base models are followed recursively and each appears once, in
 * breadth-first order; a cycle (possible only in a forged ledger) ends the
 * walk. PL_ENOTFOUND "no model named X@Y". */
int pl_lineage_get(json_t **out, pl_ledger *l, const char *name_at_version);

/* The rules of SPEC §6.7, in the order a subject's findings list them:
 * X(code, severity, subject_type, check, summary). This is the one table:
 * policy.c expands it into the rules it runs (check is its function), the
 * CLI into the help of lineage and verify. */
#define PL_POLICY_RULES(X)                                                                         \
	X("unlicensed-frontier-model", "error", "model", rule_unlicensed_frontier,                 \
	  "a frontier model with no unrevoked training-licence by an authority")                   \
	X("licence-exceeded", "error", "model", rule_licence_exceeded,                             \
	  "training_flop above the max_training_flop of every such licence")                       \
	X("licence-after-start", "error", "model", rule_licence_after_start,                       \
	  "a frontier run whose every training-licence was issued after it started")               \
	X("training-report-missing", "error", "model", rule_report_missing,                        \
	  "a licensed run with a gap between training reports above its interval")                 \
	X("deployment-without-safe-evaluation", "error", "model", rule_unsafe_deployment,          \
	  "a deployment-approval without a clean evaluation by an evaluator key")                  \
	X("dangerous-capability", "error", "model", rule_dangerous_capability,                     \
	  "an evaluation found a dangerous capability no later evaluation cleared")                \
	X("hardware-not-held", "error", "model", rule_hardware_not_held,                           \
	  "trained on chips of a batch its lab did not hold when the run started")                 \
	X("compute-possibly-underreported", "warning", "model", rule_compute_underreported,        \
	  "its chips could do over 1e25 FLOP at 20% use, more than it declares")                   \
	X("moratorium-violated", "error", "model", rule_moratorium,                                \
	  "a run over a moratorium's threshold in its window, no licence lifting it")              \
	X("model-reserved-works", "warning", "model", rule_model_reserved,                         \
	  "a dataset of its lineage (through base models) has reserved works")                     \
	X("dataset-reserved-works", "warning", "dataset", rule_dataset_reserved,                   \
	  "its checks matched works under all-rights-reserved or opt-out terms")                   \
	X("dataset-sketch-stale", "warning", "dataset", rule_sketch_stale,                         \
	  "its sketch probably holds a work registered after its newest check")                    \
	X("export-restricted-transfer", "error", "hardware", rule_export_restricted,               \
	  "chips moved into a jurisdiction under an export restriction")

typedef struct {
	const char *code;
	const char *severity;     /* "error" or "warning" */
	const char *subject_type; /* "model", "dataset" or "hardware" */
	const char *summary;      /* what it finds, one line */
} pl_policy_rule;

/* Rule i of the table; NULL past its end. */
const pl_policy_rule *pl_policy_rule_at(size_t i);

/* Every policy finding across the ledger (every model and dataset), as a
 * JSON array of {"code", "severity", "subject", "subject_type", "seq",
 * "message"}, ordered by subject seq. *findings is the caller's. */
int pl_lineage_policy(pl_ledger *l, json_t **findings);

typedef enum { PL_LINEAGE_TEXT, PL_LINEAGE_DOT } pl_lineage_format;

/* Render a document from pl_lineage_get as human text or a Graphviz digraph,
 * appended to out. */
int pl_lineage_render(pl_buf *out, const json_t *lineage, pl_lineage_format fmt);

#endif
