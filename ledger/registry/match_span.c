/*
 * match_span.c - exact spans (see pl_match.h): seeds grown into verbatim
 * pieces over the works' span hashes, pieces chained along nearly one
 * diagonal, gaps searched for pieces no seed hit.
 *
 * Why a piece is exact: the span hash at record position r is the top 16 bits
 * of the 13-token shingle hash starting there. Growing right from a shingle
 * pair that is equal, the next pair differs exactly when its last token does
 * (the 12 before it are the previous pair's and equal), so the piece ends at
 * the token before the first differing one; and the same to the left. A false
 * equality (1 in 65,536 per test) would carry a piece one token too far.
 */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

#define K PL_SPAN_K
/* How far (tokens) past a piece to look for the next one: the longest gap an
 * edited copy leaves between pieces of at least 14 tokens, with room. */
#define SPAN_GAP (2 * (PL_WINNOW_W + PL_WINNOW_K))
/* Diagonals tried on each side of the current one when searching a gap: the
 * net insertions or deletions an edited copy makes between two pieces. */
#define SPAN_DRIFT 4

typedef struct {
	uint32_t r0, r1, w0, w1; /* half-open token ranges */
	int exact;
	int32_t next; /* the next piece of its chain, or -1 */
} piece;

typedef struct {
	int32_t first, last;
	uint32_t matched;
	int dead;
	uint32_t r0, w0; /* the first piece's, for sorting */
} chain;

typedef struct {
	const pl_tokens *t;
	uint32_t nrs;       /* span hashes of the record */
	uint16_t *rsh;      /* the record's span hashes, computed on demand */
	unsigned char *rsv; /* which of them are computed */
	size_t rcap, rvcap;
	const uint16_t *S; /* the work's */
	uint32_t nS;
	uint16_t *own; /* a work's span hashes when the cache is full */
	size_t owncap;
	piece *pc;
	size_t npc, cappc;
	chain *ch;
	size_t nch, capch;
	pl_match_piece *out;
	size_t nout, capout;
} xs;

int pl_match__spans_init(pl_matcher *m)
{
	pl_match__span_cache *c = calloc(1, sizeof(*c));
	if (!c || (m->nworks && (!(c->v = calloc(m->nworks, sizeof(*c->v))) ||
	                         !(c->bad = calloc(m->nworks, sizeof(*c->bad)))))) {
		if (c) {
			free(c->v);
			free(c->bad);
		}
		free(c);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->mu, NULL);
	m->sc = c;
	return PL_OK;
}

void pl_match__spans_free(pl_matcher *m)
{
	pl_match__span_cache *c = m->sc;
	if (!c)
		return;
	for (size_t i = 0; i < m->nworks && c->v; i++)
		free(c->v[i]);
	free(c->v);
	free(c->bad);
	pthread_mutex_destroy(&c->mu);
	free(c);
	m->sc = NULL;
}

void pl_match__scratch_free(pl_match_scratch *s)
{
	xs *x = s->priv;
	if (!x)
		return;
	free(x->rsh);
	free(x->rsv);
	free(x->own);
	free(x->pc);
	free(x->ch);
	free(x->out);
	free(x);
	s->priv = NULL;
}

static int grow_array(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;
	if (need <= *cap)
		return PL_OK;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return pl_error_set(PL_ENOMEM, "out of memory");
	*p = q;
	*cap = c;
	return PL_OK;
}

/* Point x->S at the work's span hashes: 0, 1 when it has none usable. */
static int work_spans(const pl_matcher *m, xs *x, uint32_t work)
{
	pl_match__span_cache *c = m->sc;
	const pl_match_work *w = &m->works[work];
	pl_buf data = PL_BUF_INIT;
	uint16_t *v = NULL;
	int error = PL_OK, rc = 1;

	if (!c || !w->has_spans)
		return 1;
	if (w->nspans == 0) {
		x->S = NULL;
		x->nS = 0;
		return 0;
	}
	pthread_mutex_lock(&c->mu);
	if (c->v[work]) {
		x->S = c->v[work];
		x->nS = w->nspans;
		rc = 0;
		goto done;
	}
	if (c->bad[work])
		goto done;
	if ((error = m->span_fn(m->span_ctx, &data, w)) < 0)
		goto done;
	if (data.len != 2 * (size_t)w->nspans) {
		c->bad[work] = 1;
		goto done;
	}
	if (c->bytes + data.len <= PL_MATCH_SPAN_CACHE) {
		if (!(v = malloc(data.len))) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		c->v[work] = v;
		c->bytes += data.len;
	} else {
		if ((error =
		         grow_array((void **)&x->own, &x->owncap, w->nspans, sizeof(uint16_t))) < 0)
			goto done;
		v = x->own;
	}
	for (size_t i = 0; i < w->nspans; i++)
		v[i] = (uint16_t)((unsigned char)data.ptr[2 * i] |
		                  (unsigned)(unsigned char)data.ptr[2 * i + 1] << 8);
	x->S = v;
	x->nS = w->nspans;
	rc = 0;
done:
	pthread_mutex_unlock(&c->mu);
	pl_buf_free(&data);
	return error < 0 ? error : rc;
}

/* Does record shingle r equal work shingle w (by span hash)? */
static inline int same(xs *x, int64_t r, int64_t w)
{
	if (r < 0 || w < 0 || r >= x->nrs || w >= x->nS)
		return 0;
	if (!x->rsv[r]) {
		x->rsh[r] = pl_span_hash(x->t->hash + r);
		x->rsv[r] = 1;
	}
	return x->rsh[r] == x->S[w];
}

static int64_t diag_of(const piece *p)
{
	return (int64_t)p->r0 - (int64_t)p->w0;
}

/* The maximal run on the diagonal of shingle pair (r, w), whose first token
 * is not before lo_r nor lo_w. */
static piece grow(xs *x, int64_t r, int64_t w, int64_t lo_r, int64_t lo_w)
{
	int64_t a = r, b = w, e = r, f = w;
	piece p;
	while (a - 1 >= lo_r && b - 1 >= lo_w && same(x, a - 1, b - 1)) {
		a--;
		b--;
	}
	while (same(x, e + 1, f + 1)) {
		e++;
		f++;
	}
	p.r0 = (uint32_t)a;
	p.w0 = (uint32_t)b;
	p.r1 = (uint32_t)(e + K);
	p.w1 = (uint32_t)(f + K);
	p.exact = 1;
	p.next = -1;
	return p;
}

static int add_piece(xs *x, const piece *p)
{
	int error;
	if ((error = grow_array((void **)&x->pc, &x->cappc, x->npc + 1, sizeof(piece))) < 0)
		return error;
	x->pc[x->npc++] = *p;
	return PL_OK;
}

static int cmp_seed(const void *a, const void *b)
{
	const pl_match__hit *x = a, *y = b;
	int64_t dx = (int64_t)x->rpos - x->wpos, dy = (int64_t)y->rpos - y->wpos;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->rpos < y->rpos ? -1 : x->rpos > y->rpos;
}

/* Seeds to pieces: on each diagonal, a seed not inside the piece before it
 * is grown from a shingle pair that contains it and is equal; a seed of
 * fewer than K tokens (k=8) in a shorter run stays a piece of its own tokens,
 * inexact; a K-token seed whose span hashes differ was a table collision. */
static int seed_pieces(xs *x, unsigned k, pl_match__hit *hs, size_t n)
{
	int error;
	int32_t cur = -1;
	int64_t curd = 0;
	qsort(hs, n, sizeof(*hs), cmp_seed);
	for (size_t i = 0; i < n; i++) {
		int64_t r = hs[i].rpos, w = hs[i].wpos, d = r - w;
		piece p;
		int found = 0;
		if (cur >= 0 && curd != d)
			cur = -1;
		if (cur >= 0 && r >= x->pc[cur].r0 && r + k <= x->pc[cur].r1)
			continue;
		/* a K-token window inside the seed's verified k tokens, or (k < K)
		 * containing them */
		for (int64_t a = k >= K ? r : r + (int64_t)k - K; a <= r && !found; a++)
			if (a >= 0 && a - d >= 0 && same(x, a, a - d)) {
				p = grow(x, a, a - d, 0, 0);
				found = 1;
			}
		if (!found && k >= K)
			continue;
		if (!found && cur >= 0 && !x->pc[cur].exact && r <= x->pc[cur].r1) {
			if (r + k > x->pc[cur].r1) {
				x->pc[cur].r1 = (uint32_t)(r + k);
				x->pc[cur].w1 = (uint32_t)(w + k);
			}
			continue;
		}
		if (!found) {
			p.r0 = (uint32_t)r;
			p.w0 = (uint32_t)w;
			p.r1 = (uint32_t)(r + k);
			p.w1 = (uint32_t)(w + k);
			p.exact = 0;
			p.next = -1;
		}
		if ((error = add_piece(x, &p)) < 0)
			return error;
		cur = (int32_t)(x->npc - 1);
		curd = d;
	}
	return PL_OK;
}

static int cmp_piece(const void *a, const void *b)
{
	const piece *x = a, *y = b;
	if (x->r0 != y->r0)
		return x->r0 < y->r0 ? -1 : 1;
	return x->w0 < y->w0 ? -1 : x->w0 > y->w0;
}

/* p trimmed to start after l in both texts; 0 when nothing is left. */
static int trim_after(const piece *l, piece *p)
{
	int64_t cut = 0;
	if ((int64_t)l->r1 - p->r0 > cut)
		cut = (int64_t)l->r1 - p->r0;
	if ((int64_t)l->w1 - p->w0 > cut)
		cut = (int64_t)l->w1 - p->w0;
	if (cut >= (int64_t)p->r1 - p->r0 || cut >= (int64_t)p->w1 - p->w0)
		return 0;
	p->r0 += (uint32_t)cut;
	p->w0 += (uint32_t)cut;
	return 1;
}

/* The cost of p following l in one chain (gap plus drift), or -1 when it
 * cannot: too far, too far off the diagonal, or not after l in both texts. */
static int64_t follow_cost(const piece *l, const piece *p0)
{
	piece p = *p0;
	int64_t gap, drift;
	if (!trim_after(l, &p))
		return -1;
	gap = (int64_t)p.r0 - l->r1;
	if ((int64_t)p.w0 - l->w1 > gap)
		gap = (int64_t)p.w0 - l->w1;
	drift = diag_of(&p) - diag_of(l);
	if (drift < 0)
		drift = -drift;
	if (gap > SPAN_GAP || drift > 4 + gap / 8)
		return -1;
	return gap + 8 * drift;
}

/* The first piece of at least K+1 tokens after l (starting before limit_r),
 * within SPAN_GAP tokens and SPAN_DRIFT diagonals: 1 and *out, or 0. */
static int search_right(xs *x, const piece *l, int64_t limit_r, piece *out)
{
	int64_t d = diag_of(l), end = (int64_t)l->r1 + SPAN_GAP;
	if (end > limit_r)
		end = limit_r;
	for (int64_t r = l->r1; r < end && r + 1 < x->nrs; r++) {
		for (int j = 0; j <= 2 * SPAN_DRIFT; j++) {
			int64_t dd = j == 0 ? 0 : (j & 1 ? -(j + 1) / 2 : j / 2), w = r - (d + dd);
			if (w < (int64_t)l->w1 || !same(x, r, w) || !same(x, r + 1, w + 1))
				continue;
			*out = grow(x, r, w, l->r1, l->w1);
			return 1;
		}
	}
	return 0;
}

/* The same before f: the last piece of at least K+1 tokens ending before it,
 * clipped to end where f starts. */
static int search_left(xs *x, const piece *f, piece *out)
{
	int64_t d = diag_of(f), stop = (int64_t)f->r0 - SPAN_GAP;
	for (int64_t r = (int64_t)f->r0 - K; r >= 1 && r >= stop; r--) {
		for (int j = 0; j <= 2 * SPAN_DRIFT; j++) {
			int64_t dd = j == 0 ? 0 : (j & 1 ? -(j + 1) / 2 : j / 2), w = r - (d + dd);
			int64_t cut = 0;
			piece p;
			if (w < 1 || w + K > (int64_t)f->w0 || !same(x, r, w) ||
			    !same(x, r - 1, w - 1))
				continue;
			p = grow(x, r, w, 0, 0);
			if ((int64_t)p.r1 - f->r0 > cut)
				cut = (int64_t)p.r1 - f->r0;
			if ((int64_t)p.w1 - f->w0 > cut)
				cut = (int64_t)p.w1 - f->w0;
			p.r1 -= (uint32_t)cut;
			p.w1 -= (uint32_t)cut;
			*out = p;
			return 1;
		}
	}
	return 0;
}

/* Link piece i after the last piece of chain c, first filling the gap with the
 * pieces a search finds before it (it is trimmed to follow them). */
static int chain_append(xs *x, chain *c, int32_t i, int search)
{
	piece q;
	int error;
	while (search && search_right(x, &x->pc[c->last], x->pc[i].r0, &q)) {
		if ((error = add_piece(x, &q)) < 0)
			return error;
		x->pc[c->last].next = (int32_t)(x->npc - 1);
		c->last = (int32_t)(x->npc - 1);
		c->matched += q.r1 - q.r0;
	}
	if (!trim_after(&x->pc[c->last], &x->pc[i]))
		return PL_OK; /* the search's pieces cover it */
	x->pc[c->last].next = i;
	c->last = i;
	c->matched += x->pc[i].r1 - x->pc[i].r0;
	return PL_OK;
}

/* Grow a chain at both ends by the pieces the gap search finds. */
static int chain_ends(xs *x, chain *c)
{
	piece q;
	int error;
	while (search_right(x, &x->pc[c->last], INT64_MAX, &q)) {
		if ((error = add_piece(x, &q)) < 0)
			return error;
		x->pc[c->last].next = (int32_t)(x->npc - 1);
		c->last = (int32_t)(x->npc - 1);
		c->matched += q.r1 - q.r0;
	}
	while (search_left(x, &x->pc[c->first], &q)) {
		if (q.r0 >= q.r1)
			break;
		q.next = c->first;
		if ((error = add_piece(x, &q)) < 0)
			return error;
		c->first = (int32_t)(x->npc - 1);
		c->matched += q.r1 - q.r0;
	}
	return PL_OK;
}

/* How many of the work's fingerprints (sorted by position) have their k-token
 * shingle inside [a, b); and the same for the record's. */
static uint32_t work_inside(const unsigned char *f, size_t n, uint32_t a, uint32_t b, unsigned k)
{
	size_t lo = 0, hi = n;
	uint32_t c = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pl_match__rec_pos(f, mid) < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && pl_match__rec_pos(f, i) + k <= b; i++)
		c++;
	return c;
}

static uint32_t record_inside(const pl_fp *f, size_t n, uint32_t a, uint32_t b, unsigned k)
{
	size_t lo = 0, hi = n;
	uint32_t c = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f[mid].pos < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && f[i].pos + k <= b; i++)
		c++;
	return c;
}

static int emit_chain(const pl_matcher *m, pl_matches *out, xs *x, const pl_fps *fps, uint32_t work,
                      const chain *c)
{
	const pl_match_work *w = &m->works[work];
	uint32_t inwork = 0, inrec = 0;
	pl_match mt;
	int error;
	x->nout = 0;
	memset(&mt, 0, sizeof(mt));
	mt.span_exact = 1;
	for (int32_t i = c->first; i >= 0; i = x->pc[i].next) {
		const piece *p = &x->pc[i];
		if ((error = grow_array((void **)&x->out, &x->capout, x->nout + 1,
		                        sizeof(*x->out))) < 0)
			return error;
		x->out[x->nout++] = (pl_match_piece){p->r0, p->r1, p->w0, p->w1, p->exact};
		if (!p->exact)
			mt.span_exact = 0;
		inwork += work_inside(m->fps[work], w->nfps, p->w0, p->w1, m->k);
		inrec += record_inside(fps->v, fps->count, p->r0, p->r1, m->k);
	}
	mt.work = work;
	mt.rec_tok0 = x->out[0].rec_tok0;
	mt.work_tok0 = x->out[0].work_tok0;
	mt.rec_tok1 = x->out[x->nout - 1].rec_tok1;
	mt.work_tok1 = x->out[x->nout - 1].work_tok1;
	mt.matched_tokens = c->matched;
	mt.containment = w->nfps ? (uint32_t)((uint64_t)inwork * 10000 / w->nfps) : 0;
	mt.coverage = fps->count ? (uint32_t)((uint64_t)inrec * 10000 / fps->count) : 0;
	mt.cls = mt.containment >= 8000 && mt.coverage >= 8000 ? PL_MATCH_NEAR : PL_MATCH_PARTIAL;
	return pl_match__push(out, &mt, x->out, x->nout);
}

/* Chains by matched tokens, most first; ties by the first piece's position. */
static int cmp_chain(const void *a, const void *b)
{
	const chain *x = a, *y = b;
	if (x->matched != y->matched)
		return x->matched > y->matched ? -1 : 1;
	if (x->w0 != y->w0)
		return x->w0 < y->w0 ? -1 : 1;
	return x->r0 < y->r0 ? -1 : x->r0 > y->r0;
}

void pl_match__record(pl_match_scratch *s)
{
	xs *x = s->priv;
	if (x)
		x->t = NULL;
}

int pl_match__exact(const pl_matcher *m, pl_matches *out, pl_match_scratch *s, const pl_tokens *t,
                    const pl_fps *fps, uint32_t work, pl_match__hit *hs, size_t n,
                    const pl_match_opts *o)
{
	xs *x = s->priv;
	size_t nseeded;
	int error;

	if (!x) {
		if (!(x = calloc(1, sizeof(*x))))
			return pl_error_set(PL_ENOMEM, "out of memory");
		s->priv = x;
	}
	if ((error = work_spans(m, x, work)) != 0)
		return error;
	/* the record's span hashes: computed where a test needs them, once per
	 * record (pl_match__record forgets them) */
	if (x->t != t) {
		size_t nrs = pl_span_count(t->count);
		if ((error = grow_array((void **)&x->rsh, &x->rcap, nrs, sizeof(uint16_t))) < 0 ||
		    (error = grow_array((void **)&x->rsv, &x->rvcap, nrs, 1)) < 0)
			return error;
		if (nrs)
			memset(x->rsv, 0, nrs);
		x->t = t;
		x->nrs = (uint32_t)nrs;
	}
	x->npc = x->nch = 0;
	if ((error = seed_pieces(x, m->k, hs, n)) < 0)
		return error;
	if (x->npc > 1)
		qsort(x->pc, x->npc, sizeof(piece), cmp_piece);
	nseeded = x->npc;
	/* Chain: each piece follows the open chain it continues best, or opens one. */
	for (size_t i = 0; i < nseeded; i++) {
		int64_t best = -1, cost;
		size_t bc = 0;
		for (size_t j = 0; j < x->nch; j++) {
			if (x->ch[j].dead)
				continue;
			if ((int64_t)x->pc[i].r0 > (int64_t)x->pc[x->ch[j].last].r1 + SPAN_GAP) {
				x->ch[j].dead = 1; /* pieces come in record order: closed */
				continue;
			}
			cost = follow_cost(&x->pc[x->ch[j].last], &x->pc[i]);
			if (cost >= 0 && (best < 0 || cost < best)) {
				best = cost;
				bc = j;
			}
		}
		if (best >= 0) {
			if ((error = chain_append(x, &x->ch[bc], (int32_t)i, 1)) < 0)
				return error;
			continue;
		}
		if ((error = grow_array((void **)&x->ch, &x->capch, x->nch + 1, sizeof(chain))) < 0)
			return error;
		x->ch[x->nch++] =
		    (chain){(int32_t)i, (int32_t)i, x->pc[i].r1 - x->pc[i].r0, 0, 0, 0};
	}
	for (size_t j = 0; j < x->nch; j++)
		if ((error = chain_ends(x, &x->ch[j])) < 0)
			return error;
	/* A passage the work holds twice gives a second chain over the same
	 * record tokens: the record's text is attributed to the longer one. */
	for (size_t j = 0; j < x->nch; j++) {
		x->ch[j].r0 = x->pc[x->ch[j].first].r0;
		x->ch[j].w0 = x->pc[x->ch[j].first].w0;
	}
	if (x->nch > 1)
		qsort(x->ch, x->nch, sizeof(chain), cmp_chain);
	for (size_t j = 0; j < x->nch; j++) {
		chain *c = &x->ch[j];
		uint32_t a = x->pc[c->first].r0, b = x->pc[c->last].r1;
		c->dead = c->matched < o->min_tokens;
		for (size_t i = 0; i < j && !c->dead; i++) {
			const chain *k = &x->ch[i];
			uint32_t ka = x->pc[k->first].r0, kb = x->pc[k->last].r1;
			uint32_t lo = a > ka ? a : ka, hi = b < kb ? b : kb;
			if (!k->dead && hi > lo && 2 * (hi - lo) >= b - a)
				c->dead = 1;
		}
	}
	for (size_t j = 0; j < x->nch; j++)
		if (!x->ch[j].dead && (error = emit_chain(m, out, x, fps, work, &x->ch[j])) < 0)
			return error;
	return 0;
}
