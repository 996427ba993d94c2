/*
 * pl_query.h - the rights holder's question: which check reports, datasets
 * and models (directly or through any chain of base models) hold my work;
 * and, as leads, which datasets' sketches say they probably hold it although
 * their newest check predates the work's registration.
 */
#ifndef PL_QUERY_H
#define PL_QUERY_H

#include <jansson.h>

#include "pl_ledger.h"
#include "pl_sketch.h"

/* Query by registered work id. *out: {"work", "evidence", "datasets",
 * "models", "leads"} (see the `query` help). PL_ENOTFOUND for an unknown id. */
int pl_query_work(json_t **out, pl_ledger *l, const char *work_id);

/* Query by a file fingerprinted locally (registered or not): the registered
 * works it matches (each queried as above) and the dataset sketches that
 * probably hold it. */
int pl_query_file(json_t **out, pl_ledger *l, const char *name, const char *text, size_t len);

/* The sketch of dataset entry seq (the attachment's bytes go to storage, which
 * the sketch borrows). */
int pl_query__dataset_sketch(pl_ledger *l, pl_sketch *sk, pl_buf *storage, uint64_t dataset_seq);

/* A registered work's default-scheme fingerprints, in position order. */
int pl_query__work_fps(pl_ledger *l, pl_fps *out, const char *work_id);

#endif
