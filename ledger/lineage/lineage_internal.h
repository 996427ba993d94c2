/* lineage_internal.h - shared between the lineage files (ledger/lineage*.c). */
#ifndef PL_LINEAGE_INTERNAL_H
#define PL_LINEAGE_INTERNAL_H

#include "pl_index.h"
#include "pl_lineage.h"
#include "pl_rules_engine.h"

/* One indexed entry: its statement (caller's), type, leaf (hex) and signer. */
typedef struct {
	json_t *statement;
	char type[32];
	char leaf[65];
	char keyid[128];
	char created[40];
} pl_lineage_row;
/* PL_ENOTFOUND "no entry N". */
int pl_lineage__row(pl_ledger *l, pl_lineage_row *out, uint64_t seq);
void pl_lineage__row_clear(pl_lineage_row *r);

/* {"seq": N, "leaf": "<hex>"} plus "name" when name is not NULL. */
json_t *pl_lineage__ref(uint64_t seq, const char *leaf_hex, const char *name);

/* Prepare sql on l's index; a translated error on failure. */
int pl_lineage__prepare(pl_ledger *l, sqlite3_stmt **st, const char *sql);

/* What lineage.c loads once per lineage or policy pass (SPEC §6.7 needs the
 * same objects): every cache maps a decimal seq (or a work id) to the object
 * lineage JSON shows; the statements prepared once. */
typedef struct {
	pl_ledger *l;
	json_t *models;   /* "seq" -> MODEL (public fields) */
	json_t *inputs;   /* "seq" -> {"datasets": [seq], "bases": [seq]} */
	json_t *datasets; /* "seq" -> DATASET */
	json_t *works;    /* "W..." -> WORK */
	json_t *atts;     /* "seq" of the subject -> [ATTESTATION] */
	json_t *reserved; /* "seq" of a model -> [dataset names]; null while visiting */
	sqlite3_stmt *q_inputs, *q_checks, *q_cworks, *q_atts, *q_work, *q_key;
} pl_lineage_ctx;

int pl_lineage__ctx_init(pl_lineage_ctx *c, pl_ledger *l);
void pl_lineage__ctx_free(pl_lineage_ctx *c);
/* The decimal cache key of seq. */
void pl_lineage__key(char key[24], uint64_t seq);
/* Each borrowed from the context's cache; PL_ENOTFOUND / PL_EINVALID when seq
 * is not an entry of that type. */
int pl_lineage__model(pl_lineage_ctx *c, json_t **out, uint64_t seq);
int pl_lineage__dataset(pl_lineage_ctx *c, json_t **out, uint64_t seq);
/* {"datasets": [seq...], "bases": [seq...]} of model seq. */
int pl_lineage__inputs(pl_lineage_ctx *c, json_t **out, uint64_t seq);
/* [ATTESTATION] about subject seq, revoked ones included (marked). */
int pl_lineage__atts(pl_lineage_ctx *c, json_t **out, uint64_t subject, const char *subject_name);

/* hardware.c: the holdings of batch seq from the index, counting entries
 * created at or before at (unix seconds; -1: all). */
int pl_lineage__holdings(pl_ledger *l, pl_hw_holdings *out, uint64_t batch, int64_t at);

/* ---- policy.c: the rules of SPEC §6.7, one table ------------------------- */

/* Append to findings what the rules say about model seq (rules whose
 * subject_type is "model", in table order) or about dataset seq. */
int pl_lineage__model_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq);
int pl_lineage__dataset_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq);
/* ... and about hardware batch seq (rules whose subject_type is "hardware"). */
int pl_lineage__hardware_findings(pl_lineage_ctx *c, json_t *findings, uint64_t seq);

/* A finding object of rule code (severity and subject_type from its table
 * row; the message formatted like printf). NULL for a code not in the table. */
json_t *pl_lineage__finding(const char *code, const char *subject, uint64_t seq, const char *fmt,
                            ...) PL_PRINTF(4, 5);

/* query.c: datasets whose Bloom sketch probably holds a work registered after
 * their newest check (rule dataset-sketch-stale): appends its findings. */
int pl_lineage__sketch_findings(pl_ledger *l, json_t *findings, uint64_t dataset_seq,
                                const char *dataset_name);

#endif
