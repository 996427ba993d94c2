/*
 * check.c - the check pipeline. Pass 1: the calling thread reads records
 * (pl_shard) and copies their text into batches; workers tokenize, winnow and
 * match each batch. A record's byte offsets in the decompressed stream can
 * only be mapped while pl_shard holds it, so pass 2 re-reads a shard, without
 * tokenizing, only when pass 1 found matches (or a bad record) in it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_internal.h"
#include "pl_check.h"
#include "pl_registry.h"

#define BATCH_BYTES (1u << 20)
#define BATCH_RECORDS 4096

/* A piece of a match, by its bytes in the record's text. */
typedef struct {
	uint32_t text_off, text_len;
	uint32_t work_tok0, work_tok1;
} rpiece;

typedef struct {
	uint64_t record;
	uint32_t text_off, text_len;
	pl_match m; /* m.piece0: into its batch's, then its shard's, pieces */
} rmatch;

typedef struct batch {
	uint64_t first;
	size_t n;
	pl_buf text;
	size_t *off, *len;
	size_t cap;
	/* results */
	uint64_t tokens, ignored;
	rmatch *matches;
	size_t nm, capm;
	rpiece *pieces;
	size_t np, capp;
	int error;
	uint64_t err_record;
	int done;
	struct batch *next_free;
} batch;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	batch **queue; /* ring of batches to do */
	size_t qcap, qhead, qlen;
	int quit;
	const pl_matcher *m;
	const pl_check_opts *o;
	pl_match_opts mo;
	pthread_mutex_t fps_mu;
	int hook_error;
} pool;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pl_ratio4(char out[16], uint32_t x)
{
	if (x > 10000)
		x = 10000;
	snprintf(out, 16, "%u.%04u", x / 10000, x % 10000);
}

static int batch_add(batch *b, const char *text, size_t len)
{
	int error;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		size_t *o = realloc(b->off, cap * sizeof(*o)), *l2;
		if (!o)
			return pl_error_set(PL_ENOMEM, "out of memory");
		b->off = o;
		if (!(l2 = realloc(b->len, cap * sizeof(*l2))))
			return pl_error_set(PL_ENOMEM, "out of memory");
		b->len = l2;
		b->cap = cap;
	}
	b->off[b->n] = b->text.len;
	b->len[b->n] = len;
	if ((error = pl_buf_put(&b->text, text, len)) < 0)
		return error;
	b->n++;
	return PL_OK;
}

static void batch_reset(batch *b)
{
	pl_buf_clear(&b->text);
	b->n = 0;
	b->tokens = b->ignored = 0;
	b->nm = 0;
	b->np = 0;
	b->error = 0;
	b->done = 0;
}

static void batch_free(batch *b)
{
	if (!b)
		return;
	pl_buf_free(&b->text);
	free(b->off);
	free(b->len);
	free(b->matches);
	free(b->pieces);
	free(b);
}

static int push_rmatch(batch *b, const rmatch *r)
{
	if (b->nm == b->capm) {
		size_t cap = b->capm ? b->capm * 2 : 16;
		rmatch *p = realloc(b->matches, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		b->matches = p;
		b->capm = cap;
	}
	b->matches[b->nm++] = *r;
	return PL_OK;
}

static int push_rpiece(rpiece **v, size_t *n, size_t *cap, const rpiece *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		rpiece *q = realloc(*v, c * sizeof(*q));
		if (!q)
			return pl_error_set(PL_ENOMEM, "out of memory");
		*v = q;
		*cap = c;
	}
	(*v)[(*n)++] = *p;
	return PL_OK;
}

/* The bytes of record tokens [a, b) in the record's text. */
static void token_bytes(const pl_tokens *t, uint32_t a, uint32_t b, uint32_t *off, uint32_t *len)
{
	*off = t->off[a];
	*len = t->off[b - 1] + t->len[b - 1] - t->off[a];
}

typedef struct {
	pl_tokens t;
	pl_fps f, fdef;
	pl_matches ms;
	pl_match_scratch sc;
} worker_state;

static void process(pool *p, worker_state *ws, batch *b)
{
	unsigned k = pl_matcher_k(p->m), w = pl_matcher_w(p->m);
	unsigned flags = p->o->shard.lossy ? PL_TOK_LOSSY : 0;
	for (size_t i = 0; i < b->n; i++) {
		unsigned char sha[PL_HASH_LEN];
		int error;
		const unsigned char *shap = NULL;
		/* The normalized text (and its SHA-256) only matters when the record
		 * has as many tokens as some registered work: only then can it be an
		 * exact copy. Most records skip it. */
		if ((error = pl_tokenize(&ws->t, b->text.ptr + b->off[i], b->len[i],
		                         flags | PL_TOK_NO_TEXT)) < 0) {
			b->error = error;
			b->err_record = b->first + i;
			return;
		}
		if (pl_matcher_has_length(p->m, ws->t.count)) {
			if ((error = pl_tokenize(&ws->t, b->text.ptr + b->off[i], b->len[i],
			                         flags)) < 0)
				goto fail;
			pl_sha256(sha, ws->t.text.ptr ? ws->t.text.ptr : "", ws->t.text.len);
			shap = sha;
		}
		b->tokens += ws->t.count;
		if ((error = pl_winnow(&ws->f, ws->t.hash, ws->t.count, k, w)) < 0)
			goto fail;
		if (p->o->on_fps) {
			const pl_fps *d = &ws->f;
			if (k != PL_WINNOW_K || w != PL_WINNOW_W) {
				if ((error = pl_winnow(&ws->fdef, ws->t.hash, ws->t.count,
				                       PL_WINNOW_K, PL_WINNOW_W)) < 0)
					goto fail;
				d = &ws->fdef;
			}
			pthread_mutex_lock(&p->fps_mu);
			if (!p->hook_error && (error = p->o->on_fps(p->o->on_fps_ctx, d)) < 0)
				p->hook_error = error;
			pthread_mutex_unlock(&p->fps_mu);
		}
		if ((error = pl_matcher_match(p->m, &ws->ms, &ws->sc, &ws->t, &ws->f, shap,
		                              &p->mo)) < 0)
			goto fail;
		b->ignored += ws->ms.ignored;
		for (size_t j = 0; j < ws->ms.count; j++) {
			const pl_match *mt = &ws->ms.v[j];
			rmatch r;
			r.record = b->first + i;
			token_bytes(&ws->t, mt->rec_tok0, mt->rec_tok1, &r.text_off, &r.text_len);
			r.m = *mt;
			r.m.piece0 = (uint32_t)b->np;
			for (uint32_t q = 0; q < mt->npieces; q++) {
				const pl_match_piece *pc = &ws->ms.pieces[mt->piece0 + q];
				rpiece rp = {0, 0, pc->work_tok0, pc->work_tok1};
				token_bytes(&ws->t, pc->rec_tok0, pc->rec_tok1, &rp.text_off,
				            &rp.text_len);
				if ((error = push_rpiece(&b->pieces, &b->np, &b->capp, &rp)) < 0)
					goto fail;
			}
			if ((error = push_rmatch(b, &r)) < 0)
				goto fail;
		}
		continue;
	fail:
		b->error = error;
		b->err_record = b->first + i;
		return;
	}
}

static void *worker_main(void *arg)
{
	pool *p = arg;
	worker_state ws;
	memset(&ws, 0, sizeof(ws));
	for (;;) {
		batch *b;
		pthread_mutex_lock(&p->mu);
		while (p->qlen == 0 && !p->quit)
			pthread_cond_wait(&p->cv_work, &p->mu);
		if (p->qlen == 0 && p->quit) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		b = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		pthread_mutex_unlock(&p->mu);
		process(p, &ws, b);
		pthread_mutex_lock(&p->mu);
		b->done = 1;
		pthread_cond_broadcast(&p->cv_done);
		pthread_mutex_unlock(&p->mu);
	}
	pl_tokens_free(&ws.t);
	pl_fps_free(&ws.f);
	pl_fps_free(&ws.fdef);
	pl_matches_free(&ws.ms);
	pl_match_scratch_free(&ws.sc);
	return NULL;
}

/* The batches of one shard in flight, oldest first. */
typedef struct {
	batch **v;
	size_t head, n, cap;
} batch_list;

/* A shard's results, gathered in record order. */
typedef struct {
	rmatch *sm;
	size_t nsm, capsm;
	rpiece *sp;
	size_t nsp, capsp;
	uint64_t tokens, ignored;
	int bad;
	uint64_t bad_record;
	int error;
} shard_acc;

/* Move the finished batches at the head of bl into acc and onto the free list,
 * so memory holds only the batches in flight. Called with p->mu held. */
static void drain(batch_list *bl, shard_acc *acc, batch **freelist)
{
	while (bl->head < bl->n && bl->v[bl->head]->done) {
		batch *x = bl->v[bl->head++];
		acc->tokens += x->tokens;
		acc->ignored += x->ignored;
		if (x->error && !acc->bad) {
			acc->bad = 1;
			acc->bad_record = x->err_record;
		}
		for (size_t j = 0; j < x->nm && !acc->error; j++) {
			if (acc->nsm == acc->capsm) {
				size_t cap = acc->capsm ? acc->capsm * 2 : 16;
				rmatch *q = realloc(acc->sm, cap * sizeof(*q));
				if (!q) {
					acc->error = pl_error_set(PL_ENOMEM, "out of memory");
					break;
				}
				acc->sm = q;
				acc->capsm = cap;
			}
			acc->sm[acc->nsm] = x->matches[j];
			acc->sm[acc->nsm].m.piece0 = (uint32_t)acc->nsp;
			for (uint32_t q = 0; q < x->matches[j].m.npieces && !acc->error; q++)
				acc->error = push_rpiece(&acc->sp, &acc->nsp, &acc->capsp,
				                         &x->pieces[x->matches[j].m.piece0 + q]);
			acc->nsm++;
		}
		batch_reset(x);
		x->next_free = *freelist;
		*freelist = x;
	}
	if (bl->head == bl->n)
		bl->head = bl->n = 0;
}

static int submit(pool *p, batch_list *bl, batch *b, size_t max_inflight, shard_acc *acc,
                  batch **freelist)
{
	if (bl->n == bl->cap) {
		size_t cap = bl->cap ? bl->cap * 2 : 64;
		batch **v = realloc(bl->v, cap * sizeof(*v));
		if (!v)
			return pl_error_set(PL_ENOMEM, "out of memory");
		bl->v = v;
		bl->cap = cap;
	}
	pthread_mutex_lock(&p->mu);
	bl->v[bl->n++] = b;
	p->queue[(p->qhead + p->qlen) % p->qcap] = b;
	p->qlen++;
	pthread_cond_signal(&p->cv_work);
	/* Bound the memory in flight; gather finished batches in order. */
	for (;;) {
		drain(bl, acc, freelist);
		if (bl->n - bl->head <= max_inflight)
			break;
		pthread_cond_wait(&p->cv_done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return acc->error;
}

static void wait_all(pool *p, batch_list *bl, shard_acc *acc, batch **freelist)
{
	pthread_mutex_lock(&p->mu);
	for (;;) {
		drain(bl, acc, freelist);
		if (bl->head == bl->n)
			break;
		pthread_cond_wait(&p->cv_done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
}

typedef struct {
	const pl_check_opts *o;
	uint64_t base, total;
} prog_ctx;

static void shard_progress(void *ctx, uint64_t done)
{
	prog_ctx *pc = ctx;
	if (pc->o->progress)
		pc->o->progress(pc->o->progress_ctx, pc->base + done, pc->total);
}

/* The first n characters (code points) of text[0..len), invalid UTF-8
 * bytes kept as they are; NULL on OOM. */
static char *first_chars(const char *text, size_t len, unsigned n)
{
	size_t i = 0;
	char *out;
	for (unsigned c = 0; c < n && i < len; c++) {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	if ((out = malloc(i + 1)) == NULL)
		return NULL;
	memcpy(out, text, i);
	out[i] = '\0';
	return out;
}

/* Where pass 2 puts a shard's results. */
typedef struct {
	uint64_t (*ms)[2]; /* stream offset and length of each match */
	uint64_t (*ps)[2]; /* of each piece */
	char **excerpts;   /* of each match, when asked for */
} spans_out;

/* Pass 2: the stream spans of matches and their pieces (sorted by record),
 * the excerpts, or the exact message of a bad record. */
static int map_spans(const char *path, const pl_shard_opts *so, const shard_acc *acc,
                     unsigned excerpts, spans_out *out, int err_record_set, uint64_t err_record)
{
	pl_shard *s = NULL;
	pl_shard_opts o2 = *so;
	const pl_record *r;
	pl_tokens t = {0};
	size_t j = 0, nm = acc->nsm;
	const rmatch *ms = acc->sm;
	int rc, error = PL_OK;
	o2.progress = NULL; /* the bar counts pass 1 only */
	o2.no_merkle = 1;   /* pass 1 has the digests */
	if ((error = pl_shard_open(&s, path, &o2)) < 0)
		goto done;
	while ((j < nm || err_record_set) && (rc = pl_shard_next(s, &r)) > 0) {
		if (err_record_set && r->index == err_record) {
			error = pl_shard_tokenize(s, &t, PL_TOK_NO_TEXT);
			if (error == PL_OK)
				error =
				    pl_error_set(PL_ERROR, "%s: record %llu could not be checked",
				                 pl_shard_path(s), (unsigned long long)err_record);
			goto done;
		}
		while (j < nm && ms[j].record == r->index) {
			if ((error = pl_shard_span(s, &out->ms[j][0], &out->ms[j][1],
			                           ms[j].text_off, ms[j].text_len)) < 0)
				goto done;
			for (uint32_t q = 0; q < ms[j].m.npieces; q++) {
				const rpiece *p = &acc->sp[ms[j].m.piece0 + q];
				uint64_t *d = out->ps[ms[j].m.piece0 + q];
				if ((error = pl_shard_span(s, &d[0], &d[1], p->text_off,
				                           p->text_len)) < 0)
					goto done;
			}
			if (excerpts &&
			    !(out->excerpts[j] = first_chars(r->text + ms[j].text_off,
			                                     ms[j].text_len, excerpts))) {
				error = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			j++;
		}
	}
	if (j < nm)
		error = pl_error_set(PL_ERROR, "%s: changed while it was being checked",
		                     pl_shard_path(s));
done:
	pl_tokens_free(&t);
	pl_shard_free(s);
	return error;
}

/* One match of the report (SPEC §6.3, with "span" and, for more than one
 * piece, "pieces"). */
static json_t *match_json(const pl_matcher *m, const char *name, const char *sha,
                          const shard_acc *acc, size_t j, const spans_out *so)
{
	const rmatch *r = &acc->sm[j];
	const pl_match *mt = &r->m;
	char cont[16], cov[16];
	json_t *o, *pieces;
	uint32_t pidx, pcount;
	uint64_t ptotal;
	pl_ratio4(cont, mt->containment);
	pl_ratio4(cov, mt->coverage);
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:[I, I], s:I, s:s, s:s, s:s, s:s}",
	              "shard", name, "shard_sha256", sha, "record", (json_int_t)r->record, "offset",
	              (json_int_t)r->text_off, "length", (json_int_t)r->text_len, "stream_offset",
	              (json_int_t)so->ms[j][0], "stream_length", (json_int_t)so->ms[j][1], "work",
	              pl_matcher_work(m, mt->work)->id, "work_span", (json_int_t)mt->work_tok0,
	              (json_int_t)mt->work_tok1, "matched_tokens", (json_int_t)mt->matched_tokens,
	              "containment", cont, "coverage", cov, "class", pl_match_class_name(mt->cls),
	              "span", mt->span_exact ? "exact" : "lower-bound");
	if (o && pl_matcher_part(m, &pidx, &pcount, &ptotal))
		json_object_set_new(o, "order",
		                    json_pack("[I, I]", (json_int_t)mt->rec_tok0,
		                              (json_int_t)pl_matcher_global_work(m, mt->work)));
	if (!o || mt->npieces < 2)
		return o;
	pieces = json_array();
	for (uint32_t q = 0; q < mt->npieces; q++) {
		const rpiece *p = &acc->sp[mt->piece0 + q];
		const uint64_t *d = so->ps[mt->piece0 + q];
		json_array_append_new(
		    pieces, json_pack("{s:[I, I], s:I, s:I, s:I, s:I}", "work_span",
		                      (json_int_t)p->work_tok0, (json_int_t)p->work_tok1, "offset",
		                      (json_int_t)p->text_off, "length", (json_int_t)p->text_len,
		                      "stream_offset", (json_int_t)d[0], "stream_length",
		                      (json_int_t)d[1]));
	}
	json_object_set_new(o, "pieces", pieces);
	return o;
}

/* Move n excerpts (set to NULL in ex) to the end of out's. */
static int keep_excerpts(pl_check_result *out, char **ex, size_t n)
{
	char **v = realloc(out->excerpts, (out->nexcerpts + n + 1) * sizeof(*v));
	if (!v)
		return pl_error_set(PL_ENOMEM, "out of memory");
	out->excerpts = v;
	for (size_t i = 0; i < n; i++) {
		v[out->nexcerpts++] = ex[i];
		ex[i] = NULL;
	}
	return PL_OK;
}

int pl_check_run(pl_check_result *out, pl_ledger *l, const char *const *paths, size_t n,
                 const pl_check_opts *o)
{
	pool p;
	pthread_t *threads = NULL;
	unsigned jobs = o->jobs;
	size_t nthreads = 0;
	pl_matcher *m = NULL;
	batch *freelist = NULL, *cur = NULL;
	batch_list bl = {0};
	json_t *matches = json_array(), *shards = json_array(), *report = NULL;
	uint64_t total = 0, base = 0, ignored = 0;
	unsigned char root[PL_HASH_LEN];
	pl_buf rootb = PL_BUF_INIT;
	int error = PL_OK;
	double t0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (jobs == 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = nc > 0 ? (unsigned)nc : 1;
	}
	if (jobs > 64)
		jobs = 64;
	t0 = now();
	if ((error = o->registry_file
	                 ? pl_registry_matcher_file(&m, NULL, l, o->registry_file, o->robust)
	                 : pl_registry_matcher_part(&m, l, o->robust, o->registry_part_index,
	                                            o->registry_part_count ? o->registry_part_count
	                                                                   : 1)) < 0)
		goto done;
	out->load_seconds = now() - t0;
	out->table_bytes = pl_matcher_table_bytes(m);
	out->registry_works = pl_matcher_nworks(m);
	if (!pl_matcher_part(m, &out->registry_part_index, &out->registry_part_count,
	                     &out->registry_total_works))
		out->registry_total_works = out->registry_works;
	p.m = m;
	p.o = o;
	p.mo.min_tokens = o->min_tokens ? o->min_tokens : 50;
	p.mo.max_df = o->max_df ? o->max_df : 50;
	p.qcap = 4 * jobs + 8;
	pthread_mutex_init(&p.mu, NULL);
	pthread_mutex_init(&p.fps_mu, NULL);
	pthread_cond_init(&p.cv_work, NULL);
	pthread_cond_init(&p.cv_done, NULL);
	if (!(p.queue = calloc(p.qcap, sizeof(*p.queue))) ||
	    !(threads = calloc(jobs, sizeof(*threads))) ||
	    !(out->shards = calloc(n ? n : 1, sizeof(*out->shards)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto stop;
	}
	for (; nthreads < jobs; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, worker_main, &p) != 0) {
			error = pl_error_set(PL_ERROR, "cannot start worker threads");
			goto stop;
		}
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(paths[i], "rb");
		if (f) {
			fseek(f, 0, SEEK_END);
			long sz = ftell(f);
			total += sz > 0 ? (uint64_t)sz : 0;
			fclose(f);
		}
	}
	for (size_t si = 0; si < n; si++) {
		pl_shard *s = NULL;
		pl_shard_opts so = o->shard;
		const char *name = o->names && o->names[si] ? o->names[si] : paths[si];
		prog_ctx pc = {o, base, total};
		const pl_record *r;
		pl_check_shard *cs = &out->shards[si];
		shard_acc acc = {0};
		size_t inflight = 2 * jobs + 2;
		int rc = 0;
		char sha[65];

		if (o->fields && o->fields[si])
			so.field = o->fields[si];
		so.name = name;
		so.progress = shard_progress;
		so.progress_ctx = &pc;
		if ((cs->path = strdup(name)) == NULL) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto stop;
		}
		out->nshards = si + 1;
		if ((error = pl_shard_open(&s, paths[si], &so)) < 0)
			goto stop;
		while ((rc = pl_shard_next(s, &r)) > 0) {
			if (!cur || cur->text.len >= BATCH_BYTES || cur->n >= BATCH_RECORDS) {
				if (cur) {
					batch *full = cur;
					cur = NULL;
					if ((error = submit(&p, &bl, full, inflight, &acc,
					                    &freelist)) < 0)
						break;
				}
				if (freelist) {
					cur = freelist;
					freelist = cur->next_free;
				} else if ((cur = calloc(1, sizeof(*cur))) == NULL) {
					error = pl_error_set(PL_ENOMEM, "out of memory");
					break;
				}
				cur->first = r->index;
			}
			if ((error = batch_add(cur, r->text, r->text_len)) < 0)
				break;
		}
		if (error == PL_OK && rc < 0)
			error = rc;
		if (error == PL_OK && cur && cur->n) {
			batch *last = cur;
			cur = NULL;
			error = submit(&p, &bl, last, inflight, &acc, &freelist);
		}
		wait_all(&p, &bl, &acc, &freelist);
		if (error == PL_OK)
			error = acc.error;
		if (error == PL_OK)
			error = pl_shard_finish(s, &cs->info);
		pl_shard_free(s);
		if (error == PL_OK && p.hook_error)
			error = p.hook_error;
		cs->tokens = acc.tokens;
		cs->ignored = acc.ignored;
		cs->match0 = (size_t)out->nmatches;
		cs->nmatches = acc.nsm;
		ignored += acc.ignored;
		if (error == PL_OK && (acc.bad || acc.nsm)) {
			size_t nm1 = acc.nsm ? acc.nsm : 1, np1 = acc.nsp ? acc.nsp : 1;
			spans_out so2 = {calloc(nm1, sizeof(*so2.ms)), calloc(np1, sizeof(*so2.ps)),
			                 o->excerpts ? calloc(nm1, sizeof(char *)) : NULL};
			if (!so2.ms || !so2.ps || (o->excerpts && !so2.excerpts))
				error = pl_error_set(PL_ENOMEM, "out of memory");
			else
				error = map_spans(paths[si], &so, &acc, o->excerpts, &so2, acc.bad,
				                  acc.bad_record);
			pl_hex(sha, cs->info.sha256, PL_HASH_LEN);
			for (size_t j2 = 0; error == PL_OK && j2 < acc.nsm; j2++) {
				json_t *mj = match_json(m, name, sha, &acc, j2, &so2);
				if (!mj || json_array_append_new(matches, mj) < 0)
					error = pl_error_set(PL_ENOMEM, "out of memory");
			}
			if (error == PL_OK && o->excerpts)
				error = keep_excerpts(out, so2.excerpts, acc.nsm);
			for (size_t j2 = 0; so2.excerpts && j2 < acc.nsm; j2++)
				free(so2.excerpts[j2]);
			free(so2.excerpts);
			free(so2.ms);
			free(so2.ps);
			if (error == PL_OK && acc.bad)
				error = pl_error_set(PL_ERROR, "record %llu failed",
				                     (unsigned long long)acc.bad_record);
		}
		out->nmatches += acc.nsm;
		free(acc.sm);
		free(acc.sp);
		if (error < 0)
			goto stop;
		pl_hex(sha, cs->info.sha256, PL_HASH_LEN);
		json_array_append_new(shards, pl_check__shard_json(name, sha, cs->info.records,
		                                                   cs->info.stored_bytes));
		out->records += cs->info.records;
		out->bytes += cs->info.stream_bytes;
		out->tokens += cs->tokens;
		base += cs->info.stored_bytes;
	}
stop:
	pthread_mutex_lock(&p.mu);
	p.quit = 1;
	pthread_cond_broadcast(&p.cv_work);
	pthread_mutex_unlock(&p.mu);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_mutex_destroy(&p.fps_mu);
	pthread_cond_destroy(&p.cv_work);
	pthread_cond_destroy(&p.cv_done);
	if (error < 0)
		goto done;
	if ((error = pl_ledger_root(l, root, pl_ledger_size(l))) < 0 ||
	    (error = pl_base64_encode(&rootb, root, PL_HASH_LEN)) < 0)
		goto done;
	{
		json_t *reg = json_pack("{s:I, s:s}", "size", (json_int_t)pl_ledger_size(l), "root",
		                        rootb.ptr);
		json_t *params =
		    json_pack("{s:i, s:i, s:i, s:i, s:b}", "k", (int)pl_matcher_k(m), "w",
		              (int)pl_matcher_w(m), "min_tokens", (int)p.mo.min_tokens, "max_df",
		              (int)p.mo.max_df, "robust", o->robust);
		if (reg && params)
			report = pl_check__report(reg, params, shards, out->records, out->bytes,
			                          out->tokens, ignored, matches);
		json_decref(reg);
		json_decref(params);
	}
	if (!report)
		error = pl_error_set(PL_ENOMEM, "out of memory");
	out->report = report;
done:
	while (freelist) {
		batch *x = freelist;
		freelist = x->next_free;
		batch_free(x);
	}
	batch_free(cur);
	free(bl.v);
	free(p.queue);
	free(threads);
	json_decref(matches);
	json_decref(shards);
	pl_buf_free(&rootb);
	pl_matcher_free(m);
	if (error < 0)
		pl_check_result_free(out);
	return error;
}

json_t *pl_check__shard_json(const char *name, const char *sha_hex, uint64_t records,
                             uint64_t bytes)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "path", name, "sha256", sha_hex, "records",
	                 (json_int_t)records, "bytes", (json_int_t)bytes);
}

json_t *pl_check__report(json_t *registry, json_t *params, json_t *shards, uint64_t records,
                         uint64_t bytes, uint64_t tokens, uint64_t ignored, json_t *matches)
{
	return json_pack("{s:O, s:O, s:O, s:{s:I, s:I, s:I}, s:I, s:O}", "registry", registry,
	                 "params", params, "shards", shards, "scanned", "records",
	                 (json_int_t)records, "bytes", (json_int_t)bytes, "tokens",
	                 (json_int_t)tokens, "ignored_fingerprints", (json_int_t)ignored, "matches",
	                 matches);
}

void pl_check_result_free(pl_check_result *r)
{
	if (!r)
		return;
	json_decref(r->report);
	for (size_t i = 0; i < r->nshards; i++)
		free(r->shards[i].path);
	free(r->shards);
	for (size_t i = 0; i < r->nexcerpts; i++)
		free(r->excerpts[i]);
	free(r->excerpts);
	memset(r, 0, sizeof(*r));
}
