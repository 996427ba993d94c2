/*
 * subjects.c - the subject index (see pl_subjects.h): the edges of an entry,
 * the hashes of the construction, refs texts, and an in-memory index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_dsse.h"
#include "pl_key.h"
#include "pl_subjects.h"

/* ---- edges ------------------------------------------------------------- */

static int edge(pl_edges *e, const char *subject, const char *label)
{
	if (!subject || strlen(subject) >= PL_SUBJ_MAX || strlen(label) >= sizeof(e->v->label))
		return PL_OK; /* malformed: no edge; the rules refuse the entry */
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].subject, subject) == 0 && strcmp(e->v[i].label, label) == 0)
			return PL_OK;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		pl_edge *p = realloc(e->v, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		e->v = p;
		e->cap = cap;
	}
	snprintf(e->v[e->n].subject, PL_SUBJ_MAX, "%s", subject);
	snprintf(e->v[e->n].label, sizeof(e->v->label), "%s", label);
	e->n++;
	return PL_OK;
}

static int edgef(pl_edges *e, const char *label, const char *fmt, const char *a, const char *b)
{
	char s[PL_SUBJ_MAX + 8];
	int n = snprintf(s, sizeof(s), fmt, a, b ? b : "");
	if (n < 0 || (size_t)n >= PL_SUBJ_MAX)
		return PL_OK;
	return edge(e, s, label);
}

static int ref_edge(pl_edges *e, const json_t *ref, const char *label)
{
	json_t *s = json_object_get(ref, "seq");
	char subj[40];
	if (!json_is_integer(s) || json_integer_value(s) < 0)
		return PL_OK;
	snprintf(subj, sizeof(subj), "seq:%lld", (long long)json_integer_value(s));
	return edge(e, subj, label);
}

static int ref_edges(pl_edges *e, const json_t *arr, const char *label)
{
	size_t i;
	json_t *r;
	int error = PL_OK;
	json_array_foreach(arr, i, r) if ((error = ref_edge(e, r, label)) < 0) break;
	return error;
}

/* "name:<type>:<name>@<version>" */
static int name_edge(pl_edges *e, const char *type, const json_t *pred)
{
	const char *n = pl_json_str(pred, "name"), *v = pl_json_str(pred, "version");
	char s[PL_SUBJ_MAX + 8];
	int len;
	if (!n || !v)
		return PL_OK;
	len = snprintf(s, sizeof(s), "name:%s:%s@%s", type, n, v);
	if (len < 0 || (size_t)len >= PL_SUBJ_MAX)
		return PL_OK;
	return edge(e, s, type);
}

int pl_subjects_edges(pl_edges *out, const char *type, const json_t *statement)
{
	json_t *pred = json_object_get(statement, "predicate");
	int error = PL_OK;

	out->n = 0;
	if (strcmp(type, "key") == 0) {
		const char *pub = pl_json_str(pred, "public_key");
		pl_key *k = NULL;
		pl_buf fp = PL_BUF_INIT;
		if (pub && pl_key_from_openssh(&k, NULL, pub, strlen(pub)) == PL_OK &&
		    pl_key_fingerprint(&fp, k) == PL_OK)
			error = edgef(out, "key", "key:%s%s", fp.ptr, NULL);
		pl_key_free(k);
		pl_buf_free(&fp);
		pl_error_clear();
		if (error < 0 || (error = edgef(out, "key", "keyname:%s%s",
		                                pl_json_str(pred, "name"), NULL)) < 0)
			return error;
		if (pl_json_str(pred, "revokes"))
			error = edgef(out, "key.revokes", "key:%s%s", pl_json_str(pred, "revokes"),
			              NULL);
		return error;
	}
	if (strcmp(type, "grant") == 0) {
		if ((error = edgef(out, "grant.key", "key:%s%s", pl_json_str(pred, "key"), NULL)) <
		    0)
			return error;
		return ref_edge(out, json_object_get(pred, "grant"), "grant.grant");
	}
	if (strcmp(type, "work") == 0) {
		const char *name = json_string_value(json_object_get(
		    json_array_get(json_object_get(statement, "subject"), 0), "name"));
		if (name && strncmp(name, "work:", 5) == 0)
			error = edge(out, name, "work");
		return error;
	}
	if (strcmp(type, "check") == 0) {
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(pred, "matches"), i, m)
		{
			if ((error = edgef(out, "check.matches", "work:%s%s",
			                   pl_json_str(m, "work"), NULL)) < 0)
				return error;
		}
		return ref_edge(out, json_object_get(pred, "dataset"), "check.dataset");
	}
	if (strcmp(type, "dataset") == 0) {
		if ((error = name_edge(out, "dataset", pred)) < 0)
			return error;
		return ref_edge(out, json_object_get(pred, "check"), "dataset.check");
	}
	if (strcmp(type, "model") == 0) {
		if ((error = name_edge(out, "model", pred)) < 0 ||
		    (error = ref_edges(out, json_object_get(pred, "datasets"), "model.datasets")) <
		        0)
			return error;
		if ((error = ref_edges(out, json_object_get(pred, "base_models"),
		                       "model.base_models")) < 0)
			return error;
		if ((error = ref_edge(out, json_object_get(pred, "mitigates"), "model.mitigates")) <
		    0)
			return error;
		return ref_edges(out, json_object_get(pred, "hardware_batches"), "model.hardware");
	}
	if (strcmp(type, "hardware") == 0) {
		/* a batch defines its name; transfers and accepts point at the batch,
		 * an accept also at its transfer */
		const char *kind = pl_json_str(pred, "kind"), *name = pl_json_str(pred, "name");
		if ((kind && strcmp(kind, "batch") == 0 && name &&
		     (error = edgef(out, "hardware", "name:hardware:%s%s", name, NULL)) < 0) ||
		    (error = ref_edge(out, json_object_get(pred, "batch"), "hardware.batch")) < 0)
			return error;
		return ref_edge(out, json_object_get(pred, "transfer"), "hardware.transfer");
	}
	if (strcmp(type, "attestation") == 0) {
		if ((error = ref_edge(out, json_object_get(pred, "subject"),
		                      "attestation.subject")) < 0 ||
		    (error = ref_edges(out, json_object_get(pred, "evaluations"),
		                       "attestation.evaluations")) < 0 ||
		    (error = ref_edge(out, json_object_get(pred, "check"), "attestation.check")) <
		        0 ||
		    (error = ref_edge(out, json_object_get(pred, "dataset"),
		                      "attestation.dataset")) < 0 ||
		    (error = ref_edge(out, json_object_get(pred, "revokes"),
		                      "attestation.revokes")) < 0 ||
		    (error = ref_edges(out, json_object_get(pred, "lifts"), "attestation.lifts")) <
		        0)
			return error;
		if (pl_json_str(pred, "work"))
			error = edgef(out, "attestation.work", "work:%s%s",
			              pl_json_str(pred, "work"), NULL);
		return error;
	}
	return PL_OK;
}

void pl_edges_free(pl_edges *e)
{
	if (!e)
		return;
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* ---- refs texts --------------------------------------------------------- */

int pl_refs_add(pl_refs *r, uint64_t seq, const char *label)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		pl_ref *p = realloc(r->v, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n].seq = seq;
	snprintf(r->v[r->n].label, sizeof(r->v->label), "%s", label);
	r->n++;
	return PL_OK;
}

int pl_refs_parse(pl_refs *out, const char *subject, const char *text, size_t len)
{
	size_t sl = strlen(subject), pos;
	int error;
	out->n = 0;
	if (len < sl + 1 || memcmp(text, subject, sl) != 0 || text[sl] != '\n')
		return pl_error_set(PL_EINVALID, "refs of %s: the first line is not the subject",
		                    subject);
	for (pos = sl + 1; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos), *sp;
		uint64_t seq = 0;
		size_t i, ll;
		if (!nl)
			return pl_error_set(PL_EINVALID, "refs of %s: unterminated line", subject);
		ll = (size_t)(nl - (text + pos));
		sp = memchr(text + pos, ' ', ll);
		if (!sp || sp == text + pos || (size_t)(nl - sp - 1) == 0 ||
		    (size_t)(nl - sp - 1) >= sizeof(out->v->label))
			return pl_error_set(PL_EINVALID, "refs of %s: malformed line", subject);
		for (i = pos; text + i < sp; i++) {
			if (text[i] < '0' || text[i] > '9' || seq > (UINT64_MAX - 9) / 10 ||
			    (i == pos && text[i] == '0' && sp > text + pos + 1))
				return pl_error_set(PL_EINVALID, "refs of %s: malformed seq",
				                    subject);
			seq = seq * 10 + (uint64_t)(text[i] - '0');
		}
		for (const char *c = sp + 1; c < nl; c++)
			if (*c <= ' ' || *c > '~')
				return pl_error_set(PL_EINVALID, "refs of %s: malformed label",
				                    subject);
		if (out->n && seq < out->v[out->n - 1].seq)
			return pl_error_set(PL_EINVALID, "refs of %s: seqs not ascending", subject);
		if ((error = pl_refs_add(out, seq, "")) < 0)
			return error;
		memcpy(out->v[out->n - 1].label, sp + 1, (size_t)(nl - sp - 1));
		out->v[out->n - 1].label[nl - sp - 1] = '\0';
		pos += ll + 1;
	}
	return PL_OK;
}

void pl_refs_free(pl_refs *r)
{
	if (!r)
		return;
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- hashes ------------------------------------------------------------- */

void pl_subject_key(unsigned char k[PL_HASH_LEN], const char *subject)
{
	pl_sha256(k, subject, strlen(subject));
}

void pl_subject_leaf(unsigned char out[PL_HASH_LEN], const char *refs, size_t len)
{
	pl_sha256_ctx *c = NULL;
	unsigned char z = 0;
	if (pl_sha256_new(&c) < 0) {
		memset(out, 0, PL_HASH_LEN);
		return;
	}
	pl_sha256_update(c, &z, 1);
	pl_sha256_update(c, refs, len);
	pl_sha256_final(c, out);
	pl_sha256_free(c);
}

unsigned pl_subject_bucket(const unsigned char k[PL_HASH_LEN])
{
	return (unsigned)k[0] << 8 | k[1];
}

void pl_subject_bucket_hash(unsigned char out[PL_HASH_LEN], const unsigned char *members, size_t n)
{
	pl_sha256_ctx *c = NULL;
	unsigned char two = 2;
	if (pl_sha256_new(&c) < 0) {
		memset(out, 0, PL_HASH_LEN);
		return;
	}
	pl_sha256_update(c, &two, 1);
	if (n)
		pl_sha256_update(c, members, n * 2 * PL_HASH_LEN);
	pl_sha256_final(c, out);
	pl_sha256_free(c);
}

void pl_subject_empty(unsigned char out[PL_HASH_LEN], unsigned level)
{
	pl_subject_bucket_hash(out, NULL, 0);
	for (unsigned l = 0; l < level; l++)
		pl_merkle_node(out, out, out);
}

int pl_subject_proof_root(unsigned char root[PL_HASH_LEN], const char *subject, const char *refs,
                          size_t refslen, const unsigned char *members, size_t n,
                          const unsigned char path[PL_SUBJ_LEVELS][PL_HASH_LEN])
{
	unsigned char k[PL_HASH_LEN], leaf[PL_HASH_LEN], h[PL_HASH_LEN];
	unsigned idx;
	int found = 0;

	pl_subject_key(k, subject);
	if (refs)
		pl_subject_leaf(leaf, refs, refslen);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *m = members + i * 2 * PL_HASH_LEN;
		if (pl_subject_bucket(m) != pl_subject_bucket(k))
			return pl_error_set(PL_EINVALID,
			                    "subject proof of %s: a member is of another bucket",
			                    subject);
		if (i && memcmp(m - 2 * PL_HASH_LEN, m, PL_HASH_LEN) >= 0)
			return pl_error_set(PL_EINVALID,
			                    "subject proof of %s: bucket members are not sorted",
			                    subject);
		if (memcmp(m, k, PL_HASH_LEN) == 0) {
			if (!refs)
				return pl_error_set(PL_EINVALID,
				                    "subject proof of %s: the bucket holds the "
				                    "subject the proof says has no references",
				                    subject);
			if (memcmp(m + PL_HASH_LEN, leaf, PL_HASH_LEN) != 0)
				return pl_error_set(PL_EINVALID,
				                    "subject proof of %s: its references do not "
				                    "hash to the bucket's leaf",
				                    subject);
			found = 1;
		}
	}
	if (refs && !found)
		return pl_error_set(PL_EINVALID,
		                    "subject proof of %s: the bucket lacks the subject", subject);
	pl_subject_bucket_hash(h, members, n);
	idx = pl_subject_bucket(k);
	for (unsigned l = 0; l < PL_SUBJ_LEVELS; l++, idx >>= 1) {
		if (idx & 1)
			pl_merkle_node(h, path[l], h);
		else
			pl_merkle_node(h, h, path[l]);
	}
	memcpy(root, h, PL_HASH_LEN);
	return PL_OK;
}

/* ---- notes -------------------------------------------------------------- */

int pl_subjects_note_format(pl_buf *out, const char *origin, uint64_t size,
                            const unsigned char root[PL_HASH_LEN])
{
	int error;
	if ((error = pl_buf_printf(out, PL_SUBJ_NOTE_HEADER "\n%s\n%llu\n", origin,
	                           (unsigned long long)size)) < 0 ||
	    (error = pl_base64_encode(out, root, PL_HASH_LEN)) < 0)
		return error;
	return pl_buf_putc(out, '\n');
}

int pl_subjects_note_parse(const char *text, size_t len, char origin[256], uint64_t *size,
                           unsigned char root[PL_HASH_LEN])
{
	const char *p = text, *end = text + len, *nl;
	size_t hl = strlen(PL_SUBJ_NOTE_HEADER);
	pl_buf r = PL_BUF_INIT;
	uint64_t n = 0;
	int error = PL_EINVALID;

	if (len < hl + 1 || memcmp(p, PL_SUBJ_NOTE_HEADER "\n", hl + 1) != 0)
		goto bad;
	p += hl + 1;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))) || nl == p || nl - p >= 256)
		goto bad;
	/* as pl_checkpoint_parse: no control character (a NUL would cut the origin short) */
	for (const char *c = p; c < nl; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			goto bad;
	memcpy(origin, p, (size_t)(nl - p));
	origin[nl - p] = '\0';
	p = nl + 1;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))) || nl == p || (*p == '0' && nl - p > 1))
		goto bad;
	for (; p < nl; p++) {
		if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
			goto bad;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	p = nl + 1;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))) || nl + 1 != end ||
	    pl_base64_decode(&r, p, (size_t)(nl - p)) < 0 || r.len != PL_HASH_LEN)
		goto bad;
	memcpy(root, r.ptr, PL_HASH_LEN);
	*size = n;
	error = PL_OK;
bad:
	pl_buf_free(&r);
	if (error < 0)
		return pl_error_set(PL_EINVALID, "malformed subject index note");
	return error;
}

/* ---- in-memory index ------------------------------------------------------- */

typedef struct {
	char *subject;
	pl_buf refs;
	unsigned char k[PL_HASH_LEN], leaf[PL_HASH_LEN];
	uint64_t last_seq;
	unsigned char dirty;   /* leaf to recompute */
	unsigned char changed; /* to write back to the base */
} sent;

#define NNODES (2u * PL_SUBJ_BUCKETS - 1)

struct pl_smap {
	sent *t; /* open addressing by k */
	size_t cap, n;
	size_t **bucket; /* per bucket: indexes into t, sorted by k */
	uint32_t *bn, *bcap;
	unsigned char (*nodes)[PL_HASH_LEN]; /* level l at level_off(l) */
	unsigned char *have;                 /* bit per node: nodes[] holds its value */
	unsigned char *changed;              /* bit per node: recomputed, not written back */
	unsigned *dirty;                     /* dirty bucket ids */
	size_t ndirty, capdirty;
	unsigned char *isdirty; /* per bucket */
	unsigned char *loaded;  /* per bucket: the base's members are here, verified */
	const pl_smap_base *base;
	unsigned char cur_root[PL_HASH_LEN]; /* trusted: base->root, then each computed root */
	unsigned char empty[PL_SUBJ_LEVELS + 1][PL_HASH_LEN];
};

static size_t level_off(unsigned l)
{
	return (size_t)(2u * PL_SUBJ_BUCKETS) - ((size_t)(2u * PL_SUBJ_BUCKETS) >> l);
}

#define BIT(a, i) ((a)[(i) >> 3] >> ((i)&7) & 1)
#define SETBIT(a, i) ((a)[(i) >> 3] |= (unsigned char)(1u << ((i)&7)))
#define CLRBIT(a, i) ((a)[(i) >> 3] &= (unsigned char)~(1u << ((i)&7)))

int pl_smap_new(pl_smap **out, const pl_smap_base *base)
{
	pl_smap *m = calloc(1, sizeof(*m));
	if (!m)
		return pl_error_set(PL_ENOMEM, "out of memory");
	m->base = base;
	m->nodes = malloc((size_t)NNODES * PL_HASH_LEN);
	m->have = calloc(NNODES / 8 + 1, 1);
	m->changed = calloc(NNODES / 8 + 1, 1);
	m->bucket = calloc(PL_SUBJ_BUCKETS, sizeof(*m->bucket));
	m->bn = calloc(PL_SUBJ_BUCKETS, sizeof(*m->bn));
	m->bcap = calloc(PL_SUBJ_BUCKETS, sizeof(*m->bcap));
	m->isdirty = calloc(PL_SUBJ_BUCKETS, 1);
	m->loaded = calloc(PL_SUBJ_BUCKETS, 1);
	if (!m->nodes || !m->have || !m->changed || !m->bucket || !m->bn || !m->bcap ||
	    !m->isdirty || !m->loaded) {
		pl_smap_free(m);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	for (unsigned l = 0; l <= PL_SUBJ_LEVELS; l++)
		pl_subject_empty(m->empty[l], l);
	memcpy(m->cur_root, base ? base->root : m->empty[PL_SUBJ_LEVELS], PL_HASH_LEN);
	*out = m;
	return PL_OK;
}

void pl_smap_free(pl_smap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->t[i].subject) {
			free(m->t[i].subject);
			pl_buf_free(&m->t[i].refs);
		}
	if (m->bucket)
		for (size_t i = 0; i < PL_SUBJ_BUCKETS; i++)
			free(m->bucket[i]);
	free(m->t);
	free(m->bucket);
	free(m->bn);
	free(m->bcap);
	free(m->nodes);
	free(m->have);
	free(m->changed);
	free(m->dirty);
	free(m->isdirty);
	free(m->loaded);
	free(m);
}

/* Node (l, i): ours, the base's, or the empty subtree's. */
static int get_node(pl_smap *m, unsigned l, size_t i, unsigned char out[PL_HASH_LEN])
{
	size_t at = level_off(l) + i;
	int error;
	if (!BIT(m->have, at)) {
		if (m->base) {
			error = m->base->node(m->base->ctx, l, (unsigned)i, m->nodes[at]);
			if (error == PL_ENOTFOUND)
				memcpy(m->nodes[at], m->empty[l], PL_HASH_LEN);
			else if (error < 0)
				return error;
		} else {
			memcpy(m->nodes[at], m->empty[l], PL_HASH_LEN);
		}
		SETBIT(m->have, at);
	}
	memcpy(out, m->nodes[at], PL_HASH_LEN);
	return PL_OK;
}

static void set_node(pl_smap *m, unsigned l, size_t i, const unsigned char h[PL_HASH_LEN])
{
	size_t at = level_off(l) + i;
	memcpy(m->nodes[at], h, PL_HASH_LEN);
	SETBIT(m->have, at);
	SETBIT(m->changed, at);
}

static size_t slot_of(const pl_smap *m, const unsigned char k[PL_HASH_LEN])
{
	uint64_t h;
	memcpy(&h, k + 8, sizeof(h));
	return (size_t)h & (m->cap - 1);
}

static sent *find(const pl_smap *m, const unsigned char k[PL_HASH_LEN], const char *subject)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(m, k);; i = (i + 1) & (m->cap - 1)) {
		if (!m->t[i].subject)
			return NULL;
		if (memcmp(m->t[i].k, k, PL_HASH_LEN) == 0 && strcmp(m->t[i].subject, subject) == 0)
			return &m->t[i];
	}
}

static int bucket_push(pl_smap *m, unsigned b, size_t slot)
{
	uint32_t y;
	size_t *v;
	if (m->bn[b] == m->bcap[b]) {
		uint32_t c = m->bcap[b] ? m->bcap[b] * 2 : 2;
		size_t *p = realloc(m->bucket[b], c * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		m->bucket[b] = p;
		m->bcap[b] = c;
	}
	v = m->bucket[b];
	y = m->bn[b]++;
	v[y] = slot;
	for (; y > 0 && memcmp(m->t[v[y - 1]].k, m->t[v[y]].k, PL_HASH_LEN) > 0; y--) {
		size_t tmp = v[y];
		v[y] = v[y - 1];
		v[y - 1] = tmp;
	}
	return PL_OK;
}

static int grow(pl_smap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	sent *t = calloc(cap, sizeof(*t)), *old = m->t;
	size_t oldcap = m->cap;
	int error;
	if (!t)
		return pl_error_set(PL_ENOMEM, "out of memory");
	m->t = t;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;
		if (!old[i].subject)
			continue;
		for (j = slot_of(m, old[i].k); t[j].subject; j = (j + 1) & (cap - 1))
			;
		t[j] = old[i];
	}
	free(old);
	/* bucket lists hold slot indexes: rebuild them */
	for (size_t b = 0; b < PL_SUBJ_BUCKETS; b++)
		m->bn[b] = 0;
	for (size_t i = 0; i < cap; i++)
		if (t[i].subject && (error = bucket_push(m, pl_subject_bucket(t[i].k), i)) < 0)
			return error;
	return PL_OK;
}

/* A new subject with refs text (or just its first line). */
static int insert(pl_smap *m, sent **out, const unsigned char k[PL_HASH_LEN], const char *subject,
                  const char *refs, size_t len)
{
	size_t i;
	sent *s;
	int error;
	if (2 * (m->n + 1) > m->cap && (error = grow(m)) < 0)
		return error;
	for (i = slot_of(m, k); m->t[i].subject; i = (i + 1) & (m->cap - 1))
		;
	s = &m->t[i];
	if ((s->subject = strdup(subject)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	memcpy(s->k, k, PL_HASH_LEN);
	error = refs ? pl_buf_put(&s->refs, refs, len) : pl_buf_printf(&s->refs, "%s\n", subject);
	if (error < 0)
		return error;
	s->dirty = 1;
	m->n++;
	if ((error = bucket_push(m, pl_subject_bucket(k), i)) < 0)
		return error;
	*out = s;
	return PL_OK;
}

static int load_member(void *arg, const char *subject, const char *refs, size_t len)
{
	pl_smap *m = arg;
	unsigned char k[PL_HASH_LEN];
	sent *s;
	pl_refs r = {0};
	int error;
	pl_subject_key(k, subject);
	if (find(m, k, subject))
		return PL_OK;
	/* a malformed text fails here, a tampered one at the root check */
	if ((error = pl_refs_parse(&r, subject, refs, len)) < 0) {
		pl_refs_free(&r);
		return error;
	}
	if ((error = insert(m, &s, k, subject, refs, len)) < 0) {
		pl_refs_free(&r);
		return error;
	}
	s->last_seq = r.n ? r.v[r.n - 1].seq : 0;
	pl_refs_free(&r);
	return PL_OK;
}

static void members_of(pl_smap *m, unsigned b, unsigned char *members)
{
	for (uint32_t i = 0; i < m->bn[b]; i++) {
		sent *s = &m->t[m->bucket[b][i]];
		if (s->dirty) {
			pl_subject_leaf(s->leaf, s->refs.ptr, s->refs.len);
			s->dirty = 0;
		}
		memcpy(members + (size_t)i * 2 * PL_HASH_LEN, s->k, PL_HASH_LEN);
		memcpy(members + (size_t)i * 2 * PL_HASH_LEN + PL_HASH_LEN, s->leaf, PL_HASH_LEN);
	}
}

/* Bring the base's members of bucket b here and check them, with the nodes
 * along b's path, against the trusted root (the base's signed root, or the
 * last one computed here from checked data). */
static int load_bucket(pl_smap *m, unsigned b)
{
	unsigned char h[PL_HASH_LEN], sib[PL_HASH_LEN], *members = NULL;
	size_t idx = b;
	int error;

	if (!m->base || m->loaded[b])
		return PL_OK;
	if ((error = m->base->bucket(m->base->ctx, b, load_member, m)) < 0)
		return pl_error_prefix(error, "subject index");
	if ((members = malloc((size_t)(m->bn[b] ? m->bn[b] : 1) * 2 * PL_HASH_LEN)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	members_of(m, b, members);
	pl_subject_bucket_hash(h, members, m->bn[b]);
	free(members);
	for (unsigned l = 0; l < PL_SUBJ_LEVELS; l++, idx >>= 1) {
		if ((error = get_node(m, l, idx ^ 1, sib)) < 0)
			return error;
		if (idx & 1)
			pl_merkle_node(h, sib, h);
		else
			pl_merkle_node(h, h, sib);
	}
	if (memcmp(h, m->cur_root, PL_HASH_LEN) != 0)
		return pl_error_set(PL_EINVALID,
		                    "the index does not match the signed subject index in git "
		                    "(index.sqlite was edited or is corrupt); run 'provledger "
		                    "reindex'");
	m->loaded[b] = 1;
	return PL_OK;
}

static int mark_dirty(pl_smap *m, unsigned b)
{
	if (m->isdirty[b])
		return PL_OK;
	if (m->ndirty == m->capdirty) {
		size_t c = m->capdirty ? m->capdirty * 2 : 64;
		unsigned *p = realloc(m->dirty, c * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		m->dirty = p;
		m->capdirty = c;
	}
	m->dirty[m->ndirty++] = b;
	m->isdirty[b] = 1;
	return PL_OK;
}

int pl_smap_add(pl_smap *m, const char *subject, uint64_t seq, const char *label)
{
	unsigned char k[PL_HASH_LEN];
	sent *s;
	int error;

	pl_subject_key(k, subject);
	if ((error = load_bucket(m, pl_subject_bucket(k))) < 0)
		return error;
	if ((s = find(m, k, subject)) == NULL) {
		if ((error = insert(m, &s, k, subject, NULL, 0)) < 0)
			return error;
	} else if (seq < s->last_seq) {
		return pl_error_set(PL_EUSAGE, "subject index: seq %llu after %llu",
		                    (unsigned long long)seq, (unsigned long long)s->last_seq);
	}
	s->last_seq = seq;
	s->dirty = s->changed = 1;
	if ((error = pl_buf_printf(&s->refs, "%llu %s\n", (unsigned long long)seq, label)) < 0)
		return error;
	return mark_dirty(m, pl_subject_bucket(k));
}

int pl_smap_add_edges(pl_smap *m, uint64_t seq, const pl_edges *e)
{
	int error;
	for (size_t i = 0; i < e->n; i++)
		if ((error = pl_smap_add(m, e->v[i].subject, seq, e->v[i].label)) < 0)
			return error;
	return PL_OK;
}

int pl_smap_get(pl_smap *m, const char **text, size_t *len, const char *subject)
{
	unsigned char k[PL_HASH_LEN];
	sent *s;
	int error;
	pl_subject_key(k, subject);
	if ((error = load_bucket(m, pl_subject_bucket(k))) < 0)
		return error;
	if ((s = find(m, k, subject)) == NULL) {
		*text = NULL;
		*len = 0;
		return PL_OK;
	}
	*text = s->refs.ptr;
	*len = s->refs.len;
	return PL_OK;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

int pl_smap_root(pl_smap *m, unsigned char root[PL_HASH_LEN])
{
	unsigned char *members = NULL, a[PL_HASH_LEN], b2[PL_HASH_LEN], h[PL_HASH_LEN];
	size_t capm = 0;
	int error;

	if (m->ndirty == 0) {
		memcpy(root, m->cur_root, PL_HASH_LEN);
		return PL_OK;
	}
	if (m->ndirty > 1)
		qsort(m->dirty, m->ndirty, sizeof(*m->dirty), cmp_uint);
	for (size_t d = 0; d < m->ndirty; d++) {
		unsigned b = m->dirty[d];
		uint32_t n = m->bn[b];
		if (n > capm) {
			unsigned char *p = realloc(members, (size_t)n * 2 * PL_HASH_LEN);
			if (!p) {
				free(members);
				return pl_error_set(PL_ENOMEM, "out of memory");
			}
			members = p;
			capm = n;
		}
		members_of(m, b, members);
		pl_subject_bucket_hash(h, members, n);
		set_node(m, 0, b, h);
		m->isdirty[b] = 0;
	}
	free(members);
	/* the dirty list (sorted) becomes the list of dirty nodes, level by level */
	for (unsigned l = 0; l < PL_SUBJ_LEVELS; l++) {
		size_t out = 0;
		for (size_t d = 0; d < m->ndirty; d++) {
			unsigned p = m->dirty[d] >> 1;
			if (out && m->dirty[out - 1] == p)
				continue;
			if ((error = get_node(m, l, 2 * (size_t)p, a)) < 0 ||
			    (error = get_node(m, l, 2 * (size_t)p + 1, b2)) < 0)
				return error;
			pl_merkle_node(h, a, b2);
			set_node(m, l + 1, p, h);
			m->dirty[out++] = p;
		}
		m->ndirty = out;
	}
	m->ndirty = 0;
	if ((error = get_node(m, PL_SUBJ_LEVELS, 0, root)) < 0)
		return error;
	memcpy(m->cur_root, root, PL_HASH_LEN);
	return PL_OK;
}

int pl_smap_prove(pl_smap *m, pl_buf *members, size_t *n,
                  unsigned char path[PL_SUBJ_LEVELS][PL_HASH_LEN], const char *subject)
{
	unsigned char k[PL_HASH_LEN], root[PL_HASH_LEN];
	unsigned b;
	size_t idx;
	int error;
	pl_subject_key(k, subject);
	b = pl_subject_bucket(k);
	if ((error = load_bucket(m, b)) < 0 || (error = pl_smap_root(m, root)) < 0)
		return error;
	*n = m->bn[b];
	for (uint32_t i = 0; i < m->bn[b]; i++) {
		sent *s = &m->t[m->bucket[b][i]];
		if ((error = pl_buf_put(members, s->k, PL_HASH_LEN)) < 0 ||
		    (error = pl_buf_put(members, s->leaf, PL_HASH_LEN)) < 0)
			return error;
	}
	idx = b;
	for (unsigned l = 0; l < PL_SUBJ_LEVELS; l++, idx >>= 1)
		if ((error = get_node(m, l, idx ^ 1, path[l])) < 0)
			return error;
	return PL_OK;
}

int pl_smap_flush(pl_smap *m, const pl_smap_sink *sink)
{
	int error;
	for (size_t i = 0; i < m->cap; i++) {
		sent *s = &m->t[i];
		if (!s->subject || !s->changed)
			continue;
		if (s->dirty) {
			pl_subject_leaf(s->leaf, s->refs.ptr, s->refs.len);
			s->dirty = 0;
		}
		if ((error = sink->subject(sink->ctx, s->subject, pl_subject_bucket(s->k), s->k,
		                           s->leaf, s->refs.ptr, s->refs.len)) < 0)
			return error;
		s->changed = 0;
	}
	for (unsigned l = 0; l <= PL_SUBJ_LEVELS; l++)
		for (size_t i = 0; i < (PL_SUBJ_BUCKETS >> l); i++) {
			size_t at = level_off(l) + i;
			if (!BIT(m->changed, at))
				continue;
			if ((error = sink->node(sink->ctx, l, (unsigned)i, m->nodes[at])) < 0)
				return error;
			CLRBIT(m->changed, at);
		}
	return PL_OK;
}

size_t pl_smap_count(const pl_smap *m)
{
	return m->n;
}
