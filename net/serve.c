/*
 * serve.c - the ledger over HTTP (see pl_serve.h). libmicrohttpd runs a
 * thread per connection; every ledger access holds one mutex. POST /add
 * queues its envelope for the integrator thread, which takes everything
 * queued (up to batch_max) as one batch, appends it as one commit with
 * pl_ledger_append_batch (durable writes on), and wakes each submitter with
 * its own result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pl_bundle.h"
#include "pl_dsse.h"
#include "pl_hash.h"
#include "pl_lineage.h"
#include "pl_query.h"
#include "pl_serve.h"
#include "pl_tiles.h"
#include "pl_witness.h"

/* A submission waiting for the integrator. */
typedef struct sub {
	struct sub *next;
	const char *env;
	size_t len;
	pl_attachment *att;
	size_t natt;
	int done;
	int duplicate;      /* already in the log (res.ref.seq, res.ref.leaf) */
	struct sub *dup_of; /* the same envelope earlier in its batch */
	pl_batch_result res;
	uint64_t size;    /* the tree size of the answer's checkpoint */
	pl_buf cp, proof; /* that checkpoint, and the inclusion proof in it */
} sub;

/* Per-address submission rate: a token bucket in a small open table. */
typedef struct {
	char addr[48];
	double tokens;
	double t;
} bucket;
#define NBUCKETS 1024

typedef struct {
	pl_ledger *l;
	char dir[4096];
	const pl_serve_opts *o;
	pthread_mutex_t lk; /* the ledger */
	pthread_mutex_t qlk;
	pthread_cond_t qcv, donecv;
	sub *head, *tail;
	size_t queued;
	int stopping;
	bucket buckets[NBUCKETS];
	pthread_mutex_t blk;
	unsigned long batches, entries, refused;
	/* the witnesses asked to cosign (cosigner thread) */
	size_t nw;
	char **wurl, **wname;
	pl_key **wkey;
	uint64_t *wsize; /* the size each cosigned last (0: unknown) */
} server;

/* One request's state across the access handler's calls. */
typedef struct {
	pl_buf body;
	size_t cap;
	int too_big;
} req;

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const void *data, size_t len, const char *cache)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (cache)
		MHD_add_response_header(r, "Cache-Control", cache);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *doc)
{
	char *s =
	    doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) : NULL;
	enum MHD_Result ok;
	json_decref(doc);
	if (!s)
		return MHD_NO;
	ok = respond(c, status, "application/json", s, strlen(s), "no-store");
	free(s);
	return ok;
}

static void logf_(server *s, const char *fmt, ...) PL_PRINTF(2, 3);
static void logf_(server *s, const char *fmt, ...)
{
	va_list ap;
	if (!s->o->log)
		return;
	va_start(ap, fmt);
	vfprintf(s->o->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->o->log);
	fflush(s->o->log);
}

static enum MHD_Result fail(server *s, struct MHD_Connection *c, unsigned status, int code,
                            const char *fmt, ...) PL_PRINTF(5, 6);
static enum MHD_Result fail(server *s, struct MHD_Connection *c, unsigned status, int code,
                            const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logf_(s, "%u %s", status, msg);
	return respond_json(
	    c, status,
	    json_pack("{s:{s:s, s:s}}", "error", "code", pl_error_name(code), "message", msg));
}

/* The HTTP status of a library error in a request's answer. */
static unsigned status_of(int code)
{
	switch (code) {
	case PL_ENOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case PL_EINVALID:
	case PL_EUSAGE:
	case PL_EVERIFY:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case PL_ECONFLICT:
		return MHD_HTTP_CONFLICT;
	case PL_ELIMIT:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* ---- reads ------------------------------------------------------------------ */

static enum MHD_Result get_checkpoint(server *s, struct MHD_Connection *c)
{
	pl_buf cp = PL_BUF_INIT;
	int error;
	enum MHD_Result ok;
	pthread_mutex_lock(&s->lk);
	/* with the witnesses' cosignatures kept for it, if any */
	error = pl_ledger_cosigned_at(s->l, &cp, pl_ledger_size(s->l));
	pthread_mutex_unlock(&s->lk);
	if (error < 0)
		ok = fail(s, c, status_of(error), error, "%s", pl_error_last());
	else
		ok = respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", cp.ptr, cp.len,
		             "no-cache");
	pl_buf_free(&cp);
	return ok;
}

/* GET /subjects/<size>: the signed subject index note of the commit ending
 * at size (what a remote client's `export` puts in a bundle). */
static enum MHD_Result get_subjects(server *s, struct MHD_Connection *c, const char *num)
{
	pl_buf note = PL_BUF_INIT;
	uint64_t size = 0;
	int error = PL_OK;
	enum MHD_Result ok;
	if (!*num || strlen(num) > 19 || (num[0] == '0' && num[1]))
		error = PL_ENOTFOUND;
	for (const char *p = num; error == PL_OK && *p; p++)
		if (*p < '0' || *p > '9')
			error = PL_ENOTFOUND;
		else
			size = size * 10 + (uint64_t)(*p - '0');
	if (error < 0)
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND,
		            "/subjects/%.40s: not a tree size in decimal", num);
	pthread_mutex_lock(&s->lk);
	error = pl_ledger_subjects_at(s->l, &note, size);
	pthread_mutex_unlock(&s->lk);
	if (error < 0)
		ok = fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND, "%s", pl_error_last());
	else
		ok = respond(c, MHD_HTTP_OK, "text/plain; charset=utf-8", note.ptr, note.len,
		             "public, max-age=31536000, immutable");
	pl_buf_free(&note);
	return ok;
}

static enum MHD_Result get_tile(server *s, struct MHD_Connection *c, const char *path)
{
	pl_tile t;
	pl_buf data = PL_BUF_INIT;
	int error;
	enum MHD_Result ok;
	if (pl_tile_parse(&t, path) < 0)
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND, "%s", pl_error_last());
	pthread_mutex_lock(&s->lk);
	error = pl_tile_read(s->l, &data, &t, pl_ledger_size(s->l));
	pthread_mutex_unlock(&s->lk);
	if (error < 0)
		ok = fail(s, c, status_of(error), error, "%s", pl_error_last());
	else /* a tile never changes once it exists (a partial one neither) */
		ok = respond(c, MHD_HTTP_OK, "application/octet-stream", data.ptr, data.len,
		             "public, max-age=31536000, immutable");
	pl_buf_free(&data);
	return ok;
}

static int is_sha256_hex(const char *h)
{
	if (strlen(h) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return 1;
}

/* DIR/uploads/<hex>: attachments uploaded and not yet named by an entry. */
static void upload_path(server *s, char *out, size_t n, const char *hex)
{
	snprintf(out, n, "%s/uploads/%s", s->dir, hex);
}

static enum MHD_Result get_blob(server *s, struct MHD_Connection *c, const char *hex)
{
	pl_buf data = PL_BUF_INIT;
	int error;
	enum MHD_Result ok;
	if (!is_sha256_hex(hex))
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND,
		            "/blob/%.80s: not a SHA-256 in lower-case hex", hex);
	pthread_mutex_lock(&s->lk);
	error = pl_ledger_attachment(s->l, &data, hex);
	pthread_mutex_unlock(&s->lk);
	if (error < 0)
		ok = fail(s, c, status_of(error), error, "%s", pl_error_last());
	else
		ok = respond(c, MHD_HTTP_OK, "application/octet-stream", data.ptr, data.len,
		             "public, max-age=31536000, immutable");
	pl_buf_free(&data);
	return ok;
}

/* ---- writes ------------------------------------------------------------------ */

static enum MHD_Result put_blob(server *s, struct MHD_Connection *c, const char *hex,
                                const pl_buf *body)
{
	unsigned char d[PL_HASH_LEN];
	char got[65], path[4200];
	if (!is_sha256_hex(hex))
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND,
		            "/blob/%.80s: not a SHA-256 in lower-case hex", hex);
	pl_sha256(d, body->ptr ? body->ptr : "", body->len);
	pl_hex(got, d, PL_HASH_LEN);
	if (strcmp(got, hex) != 0)
		return fail(s, c, MHD_HTTP_UNPROCESSABLE_CONTENT, PL_EINVALID,
		            "the body hashes to %s, not %s: nothing stored", got, hex);
	snprintf(path, sizeof(path), "%s/uploads", s->dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return fail(s, c, 500, PL_ERROR, "%s: %s", path, strerror(errno));
	upload_path(s, path, sizeof(path), hex);
	if (pl_write_file_atomic(path, body->ptr ? body->ptr : "", body->len, 0644) < 0)
		return fail(s, c, 500, PL_ERROR, "%s", pl_error_last());
	return respond_json(c, MHD_HTTP_CREATED,
	                    json_pack("{s:s, s:I}", "sha256", hex, "size", (json_int_t)body->len));
}

/* The attachments an entry names (predicate fingerprint, robust_fingerprint,
 * sketch: {"sha256": hex}) that the ledger does not hold yet, loaded from
 * the uploads. *missing names the first one not uploaded. */
static int named_attachments(server *s, const char *env, size_t len, pl_attachment **out,
                             pl_buf *bufs, size_t *n, char missing[65])
{
	static const char *const fields[] = {"fingerprint", "robust_fingerprint", "sketch"};
	pl_dsse d;
	json_t *st = NULL, *pred;
	int error;
	*n = 0;
	*out = NULL;
	missing[0] = '\0';
	if ((error = pl_dsse_parse(&d, env, len)) < 0)
		return error;
	error = pl_json_parse(&st, d.payload.ptr, d.payload.len, "the envelope's payload");
	pl_dsse_clear(&d);
	if (error < 0)
		return error;
	pred = json_object_get(st, "predicate");
	*out = calloc(3, sizeof(**out));
	if (!*out) {
		json_decref(st);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	for (size_t f = 0; f < 3 && error == PL_OK; f++) {
		const char *hex =
		    json_string_value(json_object_get(json_object_get(pred, fields[f]), "sha256"));
		char path[4200];
		pl_buf have = PL_BUF_INIT;
		if (!hex || !is_sha256_hex(hex))
			continue;
		pthread_mutex_lock(&s->lk);
		error = pl_ledger_attachment(s->l, &have, hex);
		pthread_mutex_unlock(&s->lk);
		pl_buf_free(&have);
		if (error == PL_OK)
			continue; /* already in the ledger */
		upload_path(s, path, sizeof(path), hex);
		if ((error = pl_read_file(&bufs[*n], path, s->o->max_blob)) < 0) {
			if (error == PL_ENOTFOUND) {
				snprintf(missing, 65, "%s", hex);
				error = PL_OK;
				break;
			}
			break;
		}
		(*out)[*n].data = bufs[*n].ptr;
		(*out)[*n].len = bufs[*n].len;
		(*n)++;
	}
	json_decref(st);
	return error;
}

static int rate_ok(server *s, const char *addr)
{
	struct timespec ts;
	double now;
	uint64_t h = 1469598103934665603ull;
	bucket *b = NULL;
	int ok;
	if (!s->o->rate)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	pthread_mutex_lock(&s->blk);
	for (size_t i = 0; i < 8; i++) {
		bucket *x = &s->buckets[(h + i) % NBUCKETS];
		if (strcmp(x->addr, addr) == 0 || !x->addr[0] || now - x->t > 60) {
			if (strcmp(x->addr, addr) != 0) {
				snprintf(x->addr, sizeof(x->addr), "%s", addr);
				x->tokens = s->o->rate;
				x->t = now;
			}
			b = x;
			break;
		}
	}
	if (!b)
		b = &s->buckets[h % NBUCKETS]; /* a crowded table: share the slot */
	b->tokens += (now - b->t) * s->o->rate;
	if (b->tokens > s->o->rate)
		b->tokens = s->o->rate; /* a burst of at most one second's worth */
	b->t = now;
	ok = b->tokens >= 1;
	if (ok)
		b->tokens -= 1;
	pthread_mutex_unlock(&s->blk);
	return ok;
}

static json_t *b64_hashes(const pl_buf *proof)
{
	json_t *arr = json_array();
	pl_buf line = PL_BUF_INIT;
	for (size_t i = 0; arr && i + PL_HASH_LEN <= proof->len; i += PL_HASH_LEN) {
		pl_buf_clear(&line);
		pl_base64_encode(&line, (const unsigned char *)proof->ptr + i, PL_HASH_LEN);
		json_array_append_new(arr, json_string(line.ptr));
	}
	pl_buf_free(&line);
	return arr;
}

/* The answer to an appended (or duplicate) entry, from what the integrator
 * prepared: seq, leaf, the checkpoint of size and the inclusion proof to it,
 * also as a C2SP tlog-proof. */
static enum MHD_Result answer_entry(struct MHD_Connection *c, const sub *x)
{
	pl_buf tp = PL_BUF_INIT;
	char hex[65];
	enum MHD_Result ok;
	pl_hex(hex, x->res.ref.leaf, PL_HASH_LEN);
	pl_buf_printf(&tp, "c2sp.org/tlog-proof@v1\nindex %llu\n",
	              (unsigned long long)x->res.ref.seq);
	for (size_t i = 0; i + PL_HASH_LEN <= x->proof.len; i += PL_HASH_LEN) {
		pl_base64_encode(&tp, (const unsigned char *)x->proof.ptr + i, PL_HASH_LEN);
		pl_buf_putc(&tp, '\n');
	}
	pl_buf_putc(&tp, '\n');
	pl_buf_put(&tp, x->cp.ptr, x->cp.len);
	ok = respond_json(
	    c, MHD_HTTP_OK,
	    json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:b}", "seq", (json_int_t)x->res.ref.seq,
	              "leaf", hex, "size", (json_int_t)x->size, "checkpoint", x->cp.ptr, "proof",
	              b64_hashes(&x->proof), "tlog_proof", tp.ptr, "duplicate", x->duplicate));
	pl_buf_free(&tp);
	return ok;
}

static enum MHD_Result post_add(server *s, struct MHD_Connection *c, const pl_buf *body,
                                const char *addr)
{
	pl_buf bufs[3] = {PL_BUF_INIT, PL_BUF_INIT, PL_BUF_INIT};
	char missing[65];
	sub x;
	int error;
	enum MHD_Result ok;

	if (!rate_ok(s, addr))
		return fail(s, c, MHD_HTTP_TOO_MANY_REQUESTS, PL_ELIMIT,
		            "more than %u submissions per second from %s: slow down", s->o->rate,
		            addr);
	if (body->len == 0)
		return fail(s, c, MHD_HTTP_BAD_REQUEST, PL_EINVALID,
		            "POST /add needs a DSSE envelope as its body");
	memset(&x, 0, sizeof(x));
	x.env = body->ptr;
	x.len = body->len;
	if ((error = named_attachments(s, body->ptr, body->len, &x.att, bufs, &x.natt, missing)) <
	    0) {
		ok = fail(s, c, status_of(error), error, "refused entry: %s", pl_error_last());
		goto done;
	}
	if (missing[0]) {
		ok = fail(s, c, MHD_HTTP_UNPROCESSABLE_CONTENT, PL_EINVALID,
		          "refused entry: its attachment %s is neither in the ledger nor uploaded "
		          "(PUT /blob/%s first)",
		          missing, missing);
		goto done;
	}
	/* queue it and wait for the integrator */
	pthread_mutex_lock(&s->qlk);
	if (s->stopping) {
		pthread_mutex_unlock(&s->qlk);
		ok = fail(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, PL_ERROR, "the server is stopping");
		goto done;
	}
	if (s->tail)
		s->tail->next = &x;
	else
		s->head = &x;
	s->tail = &x;
	s->queued++;
	pthread_cond_signal(&s->qcv);
	while (!x.done)
		pthread_cond_wait(&s->donecv, &s->qlk);
	pthread_mutex_unlock(&s->qlk);
	if (x.res.code == PL_OK) {
		ok = answer_entry(c, &x);
		for (size_t i = 0; i < x.natt; i++) {
			char path[4200], hex[65];
			unsigned char d[PL_HASH_LEN];
			pl_sha256(d, x.att[i].data, x.att[i].len);
			pl_hex(hex, d, PL_HASH_LEN);
			upload_path(s, path, sizeof(path), hex);
			unlink(path); /* in git now */
		}
	} else {
		ok = fail(s, c, status_of(x.res.code), x.res.code, "%s", x.res.message);
	}
done:
	free(x.att);
	pl_buf_free(&x.cp);
	pl_buf_free(&x.proof);
	for (int i = 0; i < 3; i++)
		pl_buf_free(&bufs[i]);
	return ok;
}

/* ---- the integrator ------------------------------------------------------------ */

/* Under the ledger lock, after a batch: each submission's result, the
 * checkpoint of size and its inclusion proof (the checkpoint read once per
 * batch), so that the handlers answer without taking the lock again. */
static void prepare_answers(server *s, sub **batch, size_t n, const size_t *pos,
                            const pl_batch_result *res, uint64_t size)
{
	pl_buf cp = PL_BUF_INIT;
	int have_cp = pl_ledger_checkpoint_at(s->l, &cp, size) == PL_OK;
	for (size_t i = 0; i < n; i++)
		if (!batch[i]->duplicate && !batch[i]->dup_of)
			batch[i]->res = res[pos[i]];
	for (size_t i = 0; i < n; i++) {
		sub *x = batch[i];
		if (x->dup_of) {
			x->duplicate = x->dup_of->res.code == PL_OK;
			x->res.code = x->dup_of->res.code;
			x->res.ref = x->dup_of->res.ref;
			snprintf(x->res.message, sizeof(x->res.message), "%s",
			         x->dup_of->res.message);
		} else if (x->duplicate) {
			x->res.code = PL_OK;
		}
		if (x->res.code != PL_OK)
			continue;
		x->size = size;
		if (!have_cp || pl_buf_put(&x->cp, cp.ptr, cp.len) < 0 ||
		    pl_ledger_prove_inclusion(s->l, &x->proof, x->res.ref.seq, size) < 0) {
			x->res.code = PL_ERROR;
			snprintf(x->res.message, sizeof(x->res.message),
			         "entry %llu is in the log, but its proof could not be made: %s",
			         (unsigned long long)x->res.ref.seq, pl_error_last());
		}
	}
	pl_buf_free(&cp);
}

/* ---- the cosigner: witnesses asked about each new checkpoint ------------------------ */

/* Ask witness i to cosign the checkpoint of size (its note given): the
 * consistency proof from the size it cosigned last (learnt from a 409),
 * made under the ledger lock; the request itself is made without it. */
static int cosign_one(server *s, size_t i, uint64_t size, const pl_buf *note)
{
	pl_buf proof = PL_BUF_INIT, line = PL_BUF_INIT;
	uint64_t theirs;
	long status = 0;
	int error = PL_OK;
	for (int tries = 0; tries < 2; tries++) {
		pl_buf_clear(&proof);
		if (s->wsize[i] > size) {
			error = pl_error_set(
			    PL_EVERIFY, "%s has cosigned size %llu, above this log's %llu",
			    s->wurl[i], (unsigned long long)s->wsize[i], (unsigned long long)size);
			break;
		}
		if (s->wsize[i] > 0 && s->wsize[i] < size) {
			pthread_mutex_lock(&s->lk);
			error = pl_ledger_prove_consistency(s->l, &proof, s->wsize[i], size);
			pthread_mutex_unlock(&s->lk);
			if (error < 0)
				break;
		}
		theirs = UINT64_MAX;
		if ((error = pl_witness_ask(s->wurl[i], s->wname[i], s->wkey[i], note, s->wsize[i],
		                            &proof, &status, &line, &theirs)) < 0)
			break;
		if (status == 200) {
			pthread_mutex_lock(&s->lk);
			error = pl_ledger_add_cosignature(s->l, size, line.ptr, line.len);
			pthread_mutex_unlock(&s->lk);
			if (error == PL_OK)
				s->wsize[i] = size;
			break;
		}
		s->wsize[i] = theirs; /* 409: prove from the size it holds */
		error = pl_error_set(PL_EVERIFY, "%s holds size %llu", s->wurl[i],
		                     (unsigned long long)theirs);
	}
	pl_buf_free(&proof);
	pl_buf_free(&line);
	return error;
}

static void *cosigner(void *arg)
{
	server *s = arg;
	unsigned long seen = (unsigned long)-1;
	uint64_t done = 0;
	for (;;) {
		pl_buf note = PL_BUF_INIT;
		uint64_t size;
		int have;
		pthread_mutex_lock(&s->qlk);
		while (!s->stopping && s->batches == seen) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&s->donecv, &s->qlk, &until);
		}
		seen = s->batches;
		if (s->stopping) {
			pthread_mutex_unlock(&s->qlk);
			break;
		}
		pthread_mutex_unlock(&s->qlk);
		pthread_mutex_lock(&s->lk);
		size = pl_ledger_size(s->l);
		have = size != done && pl_ledger_checkpoint_at(s->l, &note, size) == PL_OK;
		pthread_mutex_unlock(&s->lk);
		if (have) {
			for (size_t i = 0; i < s->nw; i++)
				if (cosign_one(s, i, size, &note) < 0)
					logf_(s, "witness %s: %s", s->wurl[i], pl_error_last());
				else
					logf_(s, "witness %s cosigned size %llu", s->wname[i],
					      (unsigned long long)size);
			done = size;
		}
		pl_buf_free(&note);
	}
	return NULL;
}

static int witnesses_load(server *s, const pl_serve_opts *o)
{
	int error = PL_OK;
	if (!o->nwitnesses)
		return PL_OK;
	if (!(s->wurl = calloc(o->nwitnesses, sizeof(char *))) ||
	    !(s->wname = calloc(o->nwitnesses, sizeof(char *))) ||
	    !(s->wkey = calloc(o->nwitnesses, sizeof(pl_key *))) ||
	    !(s->wsize = calloc(o->nwitnesses, sizeof(uint64_t))))
		return pl_error_set(PL_ENOMEM, "out of memory");
	for (size_t i = 0; i < o->nwitnesses && error == PL_OK; i++) {
		const char *w = o->witnesses[i], *eq = strchr(w, '=');
		pl_buf name = PL_BUF_INIT;
		if (!eq || eq == w) {
			error = pl_error_set(PL_EUSAGE, "--witness takes URL=VKEY, not '%s'", w);
			break;
		}
		if ((error = pl_cosig_parse_verifier_key(&s->wkey[i], &name, eq + 1,
		                                         strlen(eq + 1))) < 0) {
			pl_error_prefix(error, "--witness %s", w);
			break;
		}
		s->wname[i] = name.ptr; /* taken */
		if (!(s->wurl[i] = strndup(w, (size_t)(eq - w))))
			error = pl_error_set(PL_ENOMEM, "out of memory");
		s->nw = i + 1;
	}
	return error;
}

static void witnesses_free(server *s)
{
	for (size_t i = 0; i < s->nw; i++) {
		free(s->wurl[i]);
		free(s->wname[i]);
		pl_key_free(s->wkey[i]);
	}
	free(s->wurl);
	free(s->wname);
	free(s->wkey);
	free(s->wsize);
}

static void *integrator(void *arg)
{
	server *s = arg;
	size_t cap = s->o->batch_max;
	sub **batch = calloc(cap, sizeof(*batch));
	pl_submission *in = calloc(cap, sizeof(*in));
	pl_batch_result *res = calloc(cap, sizeof(*res));
	size_t *pos = calloc(cap, sizeof(*pos));
	size_t last = 0; /* how many the last batch took */
	for (;;) {
		size_t n = 0;
		int error;
		uint64_t size;
		struct timespec t0, t1;
		size_t m;
		pthread_mutex_lock(&s->qlk);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->qcv, &s->qlk);
		if (!s->head && s->stopping) {
			pthread_mutex_unlock(&s->qlk);
			break;
		}
		/* fewer waiting than the last batch took: the others are on their
		 * way back; give them up to 2 ms to join (one commit for all) */
		if (s->queued < last && !s->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 2 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (s->queued < last && !s->stopping &&
			       pthread_cond_timedwait(&s->qcv, &s->qlk, &until) == 0)
				;
		}
		while (s->head && n < cap && batch && in && res && pos) {
			batch[n++] = s->head;
			s->head = s->head->next;
			s->queued--;
		}
		if (!s->head)
			s->tail = NULL;
		last = n;
		pthread_mutex_unlock(&s->qlk);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pthread_mutex_lock(&s->lk);
		/* idempotent: an envelope already in the log (or earlier in this
		 * batch) answers the first seq */
		for (size_t i = 0; i < n; i++) {
			sub *x = batch[i];
			uint64_t seq;
			x->dup_of = NULL;
			pl_merkle_leaf(x->res.ref.leaf, x->env, x->len);
			if (pl_ledger_find_leaf(s->l, &seq, x->res.ref.leaf) == PL_OK) {
				x->duplicate = 1;
				x->res.ref.seq = seq;
				continue;
			}
			for (size_t j = 0; j < i && !x->dup_of; j++)
				if (!batch[j]->duplicate && !batch[j]->dup_of &&
				    memcmp(batch[j]->res.ref.leaf, x->res.ref.leaf, PL_HASH_LEN) ==
				        0)
					x->dup_of = batch[j];
		}
		m = 0;
		for (size_t i = 0; i < n; i++) {
			if (batch[i]->duplicate || batch[i]->dup_of)
				continue;
			in[m].env = batch[i]->env;
			in[m].len = batch[i]->len;
			in[m].att = batch[i]->att;
			in[m].natt = batch[i]->natt;
			pos[i] = m++;
		}
		error = m ? pl_ledger_append_batch(s->l, in, m, res) : PL_OK;
		size = pl_ledger_size(s->l);
		if (error == PL_OK)
			prepare_answers(s, batch, n, pos, res, size);
		pthread_mutex_unlock(&s->lk);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_lock(&s->qlk);
		{
			size_t taken = 0;
			for (size_t i = 0; i < n; i++) {
				if (error < 0) {
					batch[i]->res.code = error;
					snprintf(
					    batch[i]->res.message, sizeof(batch[i]->res.message),
					    "the batch could not be appended: %s", pl_error_last());
				} else if (!batch[i]->duplicate && !batch[i]->dup_of) {
					taken += batch[i]->res.code == PL_OK;
				}
				batch[i]->done = 1;
			}
			s->batches++;
			s->entries += taken;
			s->refused += n - taken;
			if (error < 0)
				logf_(s, "batch of %zu failed: %s", n, pl_error_last());
			else
				logf_(s, "batch of %zu: %zu appended (size %llu) in %.1f ms", n,
				      taken, (unsigned long long)size,
				      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
				          (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		}
		pthread_cond_broadcast(&s->donecv);
		pthread_mutex_unlock(&s->qlk);
	}
	free(batch);
	free(in);
	free(res);
	free(pos);
	return NULL;
}

/* ---- the access handler ---------------------------------------------------------- */

static void client_addr(struct MHD_Connection *c, char out[48])
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out,
		          48);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
		          48);
}

/* ---- what the CLI computes: lineage, query, export ---------------------------- */

/* GET /lineage/<N@V> and GET /query/<work id>: the document `lineage --json`
 * and `query --work --json` print, computed by the server (a client that
 * must not trust it computes the same with --remote). */
static enum MHD_Result get_computed(server *s, struct MHD_Connection *c, const char *what,
                                    const char *arg, const char *addr)
{
	json_t *doc = NULL;
	int error;
	if (!rate_ok(s, addr))
		return fail(s, c, MHD_HTTP_TOO_MANY_REQUESTS, PL_ELIMIT,
		            "more than %u requests per second from %s: slow down", s->o->rate,
		            addr);
	if (!*arg || strlen(arg) > 600)
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND, "/%s/: name what to %s", what,
		            what);
	pthread_mutex_lock(&s->lk);
	error = strcmp(what, "lineage") == 0 ? pl_lineage_get(&doc, s->l, arg)
	                                     : pl_query_work(&doc, s->l, arg);
	pthread_mutex_unlock(&s->lk);
	if (error < 0)
		return fail(s, c, status_of(error), error, "%s", pl_error_last());
	pl_json_output_numbers(doc);
	return respond_json(c, MHD_HTTP_OK, doc);
}

/* GET /export/<N@V> (a model) or /export/<work id>: the evidence bundle
 * `export` writes (gzip), built in a temporary file and streamed from it. */
static enum MHD_Result get_export(server *s, struct MHD_Connection *c, const char *arg,
                                  const char *addr)
{
	const char *tmp = getenv("TMPDIR");
	char path[4200];
	struct MHD_Response *r;
	struct stat st;
	uint64_t root;
	int model = strchr(arg, '@') != NULL, fd, error;
	enum MHD_Result ok;
	if (!rate_ok(s, addr))
		return fail(s, c, MHD_HTTP_TOO_MANY_REQUESTS, PL_ELIMIT,
		            "more than %u requests per second from %s: slow down", s->o->rate,
		            addr);
	snprintf(path, sizeof(path), "%s/provledger-export-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return fail(s, c, 500, PL_ERROR, "%s: %s", path, strerror(errno));
	close(fd);
	pthread_mutex_lock(&s->lk);
	error =
	    model ? pl_bundle_find_model(s->l, &root, arg) : pl_bundle_find_work(s->l, &root, arg);
	if (error == PL_OK)
		error = pl_bundle_write(s->l, path, model ? PL_BUNDLE_MODEL : PL_BUNDLE_WORK, root,
		                        NULL);
	pthread_mutex_unlock(&s->lk);
	fd = error == PL_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	unlink(path);
	if (error < 0)
		return fail(s, c, status_of(error), error, "%s", pl_error_last());
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return fail(s, c, 500, PL_ERROR, "the bundle: %s", strerror(errno));
	}
	if (!(r = MHD_create_response_from_fd((uint64_t)st.st_size, fd))) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/gzip");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ok = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	server *s = cls;
	req *r = *con_cls;
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int is_post = strcmp(method, "POST") == 0, is_put = strcmp(method, "PUT") == 0;
	(void)version;

	if (!r) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		size_t cap = is_put ? s->o->max_blob : s->o->max_body;
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		r->cap = is_get ? 0 : cap;
		*con_cls = r;
		if ((is_post || is_put) && cl) {
			char *end;
			unsigned long long v;
			errno = 0;
			v = strtoull(cl, &end, 10);
			if (errno || *end || v > cap)
				return fail(s, c, MHD_HTTP_CONTENT_TOO_LARGE, PL_ELIMIT,
				            "a %s body of %s bytes is over the cap of %zu", method,
				            cl, cap);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > r->cap)
			r->too_big = 1;
		else if (pl_buf_put(&r->body, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return fail(s, c, MHD_HTTP_CONTENT_TOO_LARGE, PL_ELIMIT,
		            "the %s body is over the cap of %zu bytes", method, r->cap);
	if (is_get && strcmp(url, "/add") != 0) {
		if (strcmp(url, "/checkpoint") == 0)
			return get_checkpoint(s, c);
		if (strncmp(url, "/tile/", 6) == 0)
			return get_tile(s, c, url + 1);
		if (strncmp(url, "/blob/", 6) == 0)
			return get_blob(s, c, url + 6);
		if (strncmp(url, "/subjects/", 10) == 0)
			return get_subjects(s, c, url + 10);
		if (strncmp(url, "/lineage/", 9) == 0 || strncmp(url, "/query/", 7) == 0 ||
		    strncmp(url, "/export/", 8) == 0) {
			char addr[48];
			client_addr(c, addr);
			if (url[1] == 'e')
				return get_export(s, c, url + 8, addr);
			return url[1] == 'l' ? get_computed(s, c, "lineage", url + 9, addr)
			                     : get_computed(s, c, "query", url + 7, addr);
		}
		return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND, "no such resource: %.200s",
		            url);
	}
	if (is_post && strcmp(url, "/add") == 0) {
		char addr[48];
		client_addr(c, addr);
		return post_add(s, c, &r->body, addr);
	}
	if (is_put && strncmp(url, "/blob/", 6) == 0)
		return put_blob(s, c, url + 6, &r->body);
	if (strcmp(url, "/add") == 0 || strncmp(url, "/blob/", 6) == 0 ||
	    strcmp(url, "/checkpoint") == 0 || strncmp(url, "/tile/", 6) == 0)
		return fail(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, PL_EUSAGE,
		            "%.16s is not allowed on %.200s", method, url);
	return fail(s, c, MHD_HTTP_NOT_FOUND, PL_ENOTFOUND, "no such resource: %.200s", url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	req *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		pl_buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	server *s = cls;
	if (s->o->log) {
		vfprintf(s->o->log, fmt, ap);
		fflush(s->o->log);
	}
}

/* ---- start and stop -------------------------------------------------------------- */

int pl_serve_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	char *end;
	unsigned long port;
	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return pl_error_set(PL_EUSAGE, "--listen takes HOST:PORT, not '%s'", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535)
		return pl_error_set(PL_EUSAGE, "--listen: '%s' is not a port (0..65535)",
		                    colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return pl_error_set(PL_EUSAGE, "--listen: '%s' is not an IPv6 address",
			                    host + 1);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return pl_error_set(
			    PL_EUSAGE, "--listen: '%s' is not an IPv4 address (or [IPv6])", host);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return PL_OK;
}

int pl_serve(const char *dir, const pl_serve_opts *opts, volatile sig_atomic_t *stop)
{
	server *s;
	pl_serve_opts o = *opts;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct MHD_Daemon *d = NULL;
	pl_buf cert = PL_BUF_INIT, key = PL_BUF_INIT;
	pthread_t th, cth;
	int error, have_th = 0, have_cth = 0;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_ERROR_LOG | MHD_USE_AUTO;

	if (!o.max_body)
		o.max_body = PL_SERVE_MAX_BODY;
	if (!o.max_blob)
		o.max_blob = PL_SERVE_MAX_BLOB;
	if (!o.max_clients)
		o.max_clients = 256;
	if (!o.max_per_ip)
		o.max_per_ip = 64;
	if (!o.timeout)
		o.timeout = 15;
	if (!o.batch_max)
		o.batch_max = 1024;
	if ((error = pl_serve_parse_listen(o.listen ? o.listen : "127.0.0.1:8080", &ss, &sslen)) <
	    0)
		return error;
	if (!o.tls_cert != !o.tls_key)
		return pl_error_set(PL_EUSAGE, "--tls-cert and --tls-key go together");
	if (o.tls_cert && ((error = pl_read_file(&cert, o.tls_cert, 1 << 20)) < 0 ||
	                   (error = pl_read_file(&key, o.tls_key, 1 << 20)) < 0))
		goto out;
	if (!(s = calloc(1, sizeof(*s)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto out;
	}
	s->o = &o;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	pthread_mutex_init(&s->lk, NULL);
	pthread_mutex_init(&s->qlk, NULL);
	pthread_mutex_init(&s->blk, NULL);
	pthread_cond_init(&s->qcv, NULL);
	pthread_cond_init(&s->donecv, NULL);
	pl_ledger_durable_writes(1);
	if ((error = pl_ledger_open(&s->l, dir)) < 0)
		goto done;
	if ((error = witnesses_load(s, &o)) < 0)
		goto done;
	if (pthread_create(&th, NULL, integrator, s) != 0) {
		error = pl_error_set(PL_ERROR, "cannot start the integrator thread");
		goto done;
	}
	have_th = 1;
	if (s->nw) {
		if (pthread_create(&cth, NULL, cosigner, s) != 0) {
			error = pl_error_set(PL_ERROR, "cannot start the cosigner thread");
			goto done;
		}
		have_cth = 1;
	}
	if (o.tls_cert)
		flags |= MHD_USE_TLS;
	d = o.tls_cert
	        ? MHD_start_daemon(
	              flags, 0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	              o.max_clients, MHD_OPTION_PER_IP_CONNECTION_LIMIT, o.max_per_ip,
	              MHD_OPTION_CONNECTION_TIMEOUT, o.timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	              (size_t)(64 << 10), MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	              MHD_OPTION_HTTPS_MEM_CERT, cert.ptr, MHD_OPTION_HTTPS_MEM_KEY, key.ptr,
	              MHD_OPTION_END)
	        : MHD_start_daemon(flags, 0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER,
	                           mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                           MHD_OPTION_CONNECTION_LIMIT, o.max_clients,
	                           MHD_OPTION_PER_IP_CONNECTION_LIMIT, o.max_per_ip,
	                           MHD_OPTION_CONNECTION_TIMEOUT, o.timeout,
	                           MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
	                           MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
	if (!d) {
		error =
		    pl_error_set(PL_ERROR, "cannot listen on %s (in use, or not an address here)",
		                 o.listen ? o.listen : "127.0.0.1:8080");
		goto done;
	}
	if (o.ready) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		o.ready(o.ready_ctx, di ? di->port : 0);
	}
	while (!*stop) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	error = PL_OK;
done:
	if (d)
		MHD_stop_daemon(d); /* waits for the connection threads */
	if (have_th) {
		pthread_mutex_lock(&s->qlk);
		s->stopping = 1;
		pthread_cond_broadcast(&s->qcv);
		pthread_mutex_unlock(&s->qlk);
		pthread_join(th, NULL);
	}
	if (have_cth) {
		pthread_mutex_lock(&s->qlk);
		s->stopping = 1;
		pthread_cond_broadcast(&s->donecv);
		pthread_mutex_unlock(&s->qlk);
		pthread_join(cth, NULL);
	}
	witnesses_free(s);
	logf_(s, "stopped: %lu batches, %lu entries appended, %lu refused", s->batches, s->entries,
	      s->refused);
	pl_ledger_free(s->l);
	pthread_mutex_destroy(&s->lk);
	pthread_mutex_destroy(&s->qlk);
	pthread_mutex_destroy(&s->blk);
	pthread_cond_destroy(&s->qcv);
	pthread_cond_destroy(&s->donecv);
	free(s);
out:
	pl_buf_free(&cert);
	pl_buf_free(&key);
	return error;
}
