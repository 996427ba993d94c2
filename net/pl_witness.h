/*
 * pl_witness.h - a transparency log witness (c2sp.org/tlog-witness): it
 * cosigns a log's checkpoint (c2sp.org/tlog-cosignature/v1) only after a
 * consistency proof from the last checkpoint it cosigned for that origin,
 * so that no operator can show two histories to two parties unseen.
 *
 * The state is one file per origin in a directory (the last cosigned
 * checkpoint, as a signed note), replaced atomically (written, fsync'd,
 * renamed) under a lock on DIR/lock before any cosignature is answered: a
 * crash leaves the old state or the new one, and a checkpoint is never
 * cosigned below a size already cosigned.
 */
#ifndef PL_WITNESS_H
#define PL_WITNESS_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "pl_common.h"
#include "pl_key.h"

typedef struct pl_witness pl_witness;

/* A log the witness follows: its origin and the key its checkpoints are
 * signed with (the note signature's name is the origin). */
typedef struct {
	const char *origin;
	const pl_key *key;
} pl_witness_log;

/* The witness `name` (a schema-less URL) with key (private; borrowed: it
 * must outlive the witness) for logs, its state in state_dir (created 0700
 * if absent). */
int pl_witness_open(pl_witness **out, const char *state_dir, const char *name, const pl_key *key,
                    const pl_witness_log *logs, size_t nlogs);
void pl_witness_free(pl_witness *w); /* NULL-safe */

/* One add-checkpoint request (body: "old N\n", proof lines, "\n", the
 * checkpoint note) at time now: *status is the HTTP status the protocol
 * gives (200: answer holds the cosignature line; 409 for a size that does
 * not follow the state: answer holds that size and "\n", content type
 * text/x.tlog.size; 400, 403, 404, 422: answer holds the reason). Returns
 * PL_OK whenever a status was decided, < 0 only when the state cannot be
 * read or written. */
int pl_witness_add(pl_witness *w, const char *body, size_t len, int64_t now, int *status,
                   pl_buf *answer);

/* The last checkpoint cosigned for origin (PL_ENOTFOUND when none). */
int pl_witness_state(pl_witness *w, pl_buf *note, const char *origin);

/* Serve POST /add-checkpoint on listen (HOST:PORT) until *stop; ready (may
 * be NULL) is called with the port bound. Bodies over 64 KiB are refused
 * (413); log (may be NULL) gets one line per request. */
int pl_witness_serve(pl_witness *w, const char *listen, unsigned timeout,
                     void (*ready)(void *ctx, unsigned port), void *ready_ctx, FILE *log,
                     volatile sig_atomic_t *stop);

/* The operator's side: ask the witness at url (name, its cosignature key)
 * to cosign l's latest checkpoint, with the consistency proof from *old_size
 * (the size it cosigned last: 0 when unknown; learnt from its 409 answer and
 * the request made again). Its cosignature line is verified, kept with the
 * checkpoint (pl_ledger_add_cosignature) and put in line; *old_size becomes
 * the size cosigned. PL_EVERIFY when the witness refuses it as not
 * consistent with what it cosigned (a fork it saw). */
struct pl_ledger;
/* One add-checkpoint to the witness at url: note (a checkpoint) with the
 * consistency proof from old. *status is its answer: 200 (line: its
 * cosignature line, verified under (name, key)), or 409 with the size it
 * cosigned last in *their_size (PL_OK both). Other refusals: PL_EVERIFY
 * (409 a fork, 422) or PL_ERROR, naming the answer. */
int pl_witness_ask(const char *url, const char *name, const pl_key *key, const pl_buf *note,
                   uint64_t old, const pl_buf *proof, long *status, pl_buf *line,
                   uint64_t *their_size);
int pl_witness_request(struct pl_ledger *l, const char *url, const char *name, const pl_key *key,
                       uint64_t *old_size, pl_buf *line);

#endif
