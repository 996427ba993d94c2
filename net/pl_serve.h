/*
 * pl_serve.h - `provledger serve`: the ledger over HTTP (libmicrohttpd).
 *
 *   GET  /checkpoint                      the latest signed checkpoint
 *   GET  /tile/<L>/<N>[.p/<W>]            c2sp.org/tlog-tiles hash tiles
 *   GET  /tile/entries/<N>[.p/<W>]        entry bundles (the envelopes)
 *   GET  /blob/<sha256>                   an attachment's bytes
 *   GET  /subjects/<size>                 the signed subject index of that size
 *   GET  /lineage/<N@V>                   `lineage --json`, computed by the server
 *   GET  /query/<work id>                 `query --work --json`
 *   GET  /export/<N@V> | /export/<work id>  the evidence bundle `export` writes
 *   PUT  /blob/<sha256>                   upload an attachment before the entry naming it
 *   POST /add                             a DSSE envelope signed by the client
 *
 * POST /add validates the envelope exactly as a local append does; the
 * submissions that arrive together are appended as one commit (one
 * checkpoint, one operator signature), written durably before any of them is
 * answered. The answer (200, JSON) holds the seq, the leaf, the checkpoint
 * that includes it and the inclusion proof; a duplicate of an entry already
 * in the log answers its first seq ("duplicate": true). Every bad request is
 * a 4xx with {"error": {"code", "message"}} and appends nothing.
 */
#ifndef PL_SERVE_H
#define PL_SERVE_H

#include <signal.h>
#include <sys/socket.h>
#include <stddef.h>

#include "pl_ledger.h"

typedef struct {
	const char *listen;             /* HOST:PORT (IPv4 or [IPv6]); port 0 picks a free one */
	const char *tls_cert, *tls_key; /* PEM files: HTTPS when both are given */
	size_t max_body;                /* POST /add: default 65,535 (an entry's cap) */
	size_t max_blob;                /* PUT /blob: default 64 MiB */
	unsigned max_clients;           /* connections in all: default 256 */
	unsigned max_per_ip;            /* connections per client address: default 64 */
	unsigned timeout;               /* seconds a connection may stay idle: default 15 */
	unsigned rate;                  /* submissions per second per client address; 0: none */
	unsigned batch_max;             /* entries per commit: default 1024 */
	/* called once listening, with the port bound (may be NULL) */
	void (*ready)(void *ctx, unsigned port);
	void *ready_ctx;
	FILE *log; /* one line per refused request and per batch, or NULL */
	/* witnesses asked to cosign each new checkpoint, in the background once
	 * its batch is answered: "URL=VKEY" (the add-checkpoint prefix and the
	 * cosignature verifier key); the cosignatures are kept (DIR/cosigned/)
	 * and served on /checkpoint */
	const char *const *witnesses;
	size_t nwitnesses;
} pl_serve_opts;

#define PL_SERVE_MAX_BODY ((size_t)65535)
#define PL_SERVE_MAX_BLOB ((size_t)64 << 20)

/* Serve dir's ledger until *stop becomes non-zero (a signal handler sets it);
 * returns PL_OK then, < 0 when it cannot start (the address is taken, a TLS
 * file is unreadable, the ledger does not open). */
int pl_serve(const char *dir, const pl_serve_opts *o, volatile sig_atomic_t *stop);

/* HOST:PORT (IPv4, "localhost" or [IPv6]) as a socket address; PL_EUSAGE
 * naming what is wrong. */
int pl_serve_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

#endif
