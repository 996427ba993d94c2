/* lineage_internal.h - shared between the lineage files (ledger/lineage*.c). */
#ifndef PL_LINEAGE_INTERNAL_H
#define PL_LINEAGE_INTERNAL_H

#include "pl_index.h"
#include "pl_lineage.h"

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

/* Policy findings about datasets whose Bloom sketch probably holds a work
 * registered after their newest check (SPEC §6.7, the fifth finding):
 * appends {"code": "dataset-sketch-stale", ...} objects to findings.
 * A hook for the registry and sketch code; for now it finds nothing. */
int pl_lineage__sketch_findings(pl_ledger *l, json_t *findings, uint64_t dataset_seq,
                                const char *dataset_name);

/* A finding object (the message is formatted like printf). */
json_t *pl_lineage__finding(const char *code, const char *severity, const char *subject_type,
                            const char *subject, uint64_t seq, const char *fmt, ...)
    PL_PRINTF(6, 7);

#endif
