/*
 * bundle_closure.c - the lineage closure of a model or a work (see
 * pl_bundle_closure in pl_bundle.h for the rules), computed over any source
 * of entries: the ledger when exporting, the bundle when verifying.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_internal.h"

typedef struct {
	uint64_t key; /* seq + 1; 0 is an empty slot */
	unsigned char leaf[PL_HASH_LEN];
} slot;

typedef struct {
	const pl_bsource *src;
	pl_bundle_kind kind;
	slot *set;
	size_t cap, n;
	pl_bnode *queue; /* collected, not yet expanded */
	size_t qn, qcap;
	uint64_t *found; /* seqs a scan selected, added after the scan */
	size_t fn, fcap;
	const char *work_id; /* "W..." in work mode */
	int error;
} cstate;

static void problem(cstate *c, uint64_t from, const char *fmt, ...) PL_PRINTF(3, 4);

static void problem(cstate *c, uint64_t from, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->src->problem(c->src->ctx, from, msg);
}

static slot *lookup(const cstate *c, uint64_t seq)
{
	if (!c->cap)
		return NULL;
	for (size_t i = (size_t)(seq * 0x9E3779B97F4A7C15ull) & (c->cap - 1);;
	     i = (i + 1) & (c->cap - 1)) {
		if (c->set[i].key == seq + 1)
			return &c->set[i];
		if (c->set[i].key == 0)
			return NULL;
	}
}

static int insert(cstate *c, uint64_t seq, const unsigned char leaf[PL_HASH_LEN])
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		slot *old = c->set, *set = calloc(cap, sizeof(*set));
		size_t oldcap = c->cap;
		if (!set)
			return pl_error_set(PL_ENOMEM, "out of memory");
		c->set = set;
		c->cap = cap;
		c->n = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				insert(c, old[i].key - 1, old[i].leaf);
		free(old);
	}
	for (size_t i = (size_t)(seq * 0x9E3779B97F4A7C15ull) & (c->cap - 1);;
	     i = (i + 1) & (c->cap - 1)) {
		if (c->set[i].key == 0) {
			c->set[i].key = seq + 1;
			memcpy(c->set[i].leaf, leaf, PL_HASH_LEN);
			c->n++;
			return PL_OK;
		}
	}
}

int pl_bundle__ref(const json_t *ref, uint64_t *seq, unsigned char leaf[PL_HASH_LEN])
{
	json_t *s = json_object_get(ref, "seq");
	const char *h = json_string_value(json_object_get(ref, "leaf"));
	if (!json_is_integer(s) || json_integer_value(s) < 0 || !h ||
	    pl_unhex(leaf, PL_HASH_LEN, h, strlen(h)) < 0)
		return pl_error_set(PL_EINVALID, "malformed entry reference");
	*seq = (uint64_t)json_integer_value(s);
	return PL_OK;
}

/* Collect seq (leaf, when known, must match) for entry from. */
static void add(cstate *c, uint64_t seq, const unsigned char *leaf, uint64_t from, const char *what)
{
	slot *s;
	pl_bnode n;
	char a[65], b[65];
	int error;

	if (c->error)
		return;
	if ((s = lookup(c, seq)) != NULL) {
		if (leaf && memcmp(s->leaf, leaf, PL_HASH_LEN) != 0) {
			pl_hex(a, leaf, PL_HASH_LEN);
			pl_hex(b, s->leaf, PL_HASH_LEN);
			problem(c, from,
			        "its %s reference to seq %llu names leaf %.16s, but that "
			        "entry's leaf is %.16s",
			        what, (unsigned long long)seq, a, b);
		}
		return;
	}
	memset(&n, 0, sizeof(n));
	if ((error = c->src->get(c->src->ctx, &n, seq)) < 0) {
		if (error == PL_ENOTFOUND)
			problem(c, from, "its %s (seq %llu) is missing", what,
			        (unsigned long long)seq);
		else
			c->error = error;
		return;
	}
	if (leaf && memcmp(n.leaf, leaf, PL_HASH_LEN) != 0) {
		pl_hex(a, leaf, PL_HASH_LEN);
		pl_hex(b, n.leaf, PL_HASH_LEN);
		problem(c, from,
		        "its %s reference to seq %llu names leaf %.16s, but that entry's leaf is "
		        "%.16s",
		        what, (unsigned long long)seq, a, b);
		json_decref(n.st);
		return;
	}
	if (c->qn == c->qcap) {
		size_t cap = c->qcap ? c->qcap * 2 : 32;
		pl_bnode *q = realloc(c->queue, cap * sizeof(*q));
		if (!q) {
			json_decref(n.st);
			c->error = pl_error_set(PL_ENOMEM, "out of memory");
			return;
		}
		c->queue = q;
		c->qcap = cap;
	}
	if ((error = insert(c, seq, n.leaf)) < 0) {
		json_decref(n.st);
		c->error = error;
		return;
	}
	c->queue[c->qn++] = n;
}

static void add_ref(cstate *c, const json_t *ref, uint64_t from, const char *what)
{
	uint64_t seq;
	unsigned char leaf[PL_HASH_LEN];
	if (!ref)
		return;
	if (pl_bundle__ref(ref, &seq, leaf) < 0) {
		problem(c, from, "its %s reference is malformed", what);
		return;
	}
	add(c, seq, leaf, from, what);
}

static void add_refs(cstate *c, const json_t *arr, uint64_t from, const char *what)
{
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) add_ref(c, r, from, what);
}

static void add_work(cstate *c, const char *id, uint64_t from, const char *what)
{
	char name[128];
	uint64_t seq;
	int error;
	if (!id || strlen(id) > 100) {
		problem(c, from, "its %s is not a work id", what);
		return;
	}
	snprintf(name, sizeof(name), "work:%s", id);
	if ((error = c->src->work(c->src->ctx, &seq, name)) < 0) {
		if (error == PL_ENOTFOUND)
			problem(c, from, "its %s %s has no work entry here", what, id);
		else
			c->error = error;
		return;
	}
	add(c, seq, NULL, from, what);
}

static void add_key(cstate *c, const char *keyid, uint64_t from, const char *what)
{
	uint64_t seq;
	int64_t revoked;
	int error;
	if ((error = c->src->key(c->src->ctx, &seq, &revoked, keyid)) < 0) {
		if (error == PL_ENOTFOUND)
			problem(c, from, "its %s %s has no key entry here", what, keyid);
		else
			c->error = error;
		return;
	}
	add(c, seq, NULL, from, what);
	if (revoked >= 0)
		add(c, (uint64_t)revoked, NULL, from, "signer's revocation");
}

static void expand(cstate *c, const pl_bnode *n)
{
	json_t *pred = json_object_get(n->st, "predicate");
	const char *type = n->type;

	if (n->keyid[0])
		add_key(c, n->keyid, n->seq, "signer");
	if (strcmp(type, "model") == 0) {
		if (c->kind == PL_BUNDLE_MODEL) {
			add_refs(c, json_object_get(pred, "base_models"), n->seq, "base model");
			add_refs(c, json_object_get(pred, "datasets"), n->seq, "dataset");
		}
	} else if (strcmp(type, "dataset") == 0) {
		add_ref(c, json_object_get(pred, "check"), n->seq, "check");
	} else if (strcmp(type, "check") == 0) {
		add_ref(c, json_object_get(pred, "dataset"), n->seq, "dataset");
		if (c->kind == PL_BUNDLE_MODEL) {
			size_t i;
			json_t *m;
			json_array_foreach(json_object_get(pred, "matches"), i, m)
			{
				add_work(c, json_string_value(json_object_get(m, "work")), n->seq,
				         "matched work");
			}
		}
	} else if (strcmp(type, "attestation") == 0) {
		add_ref(c, json_object_get(pred, "subject"), n->seq, "subject");
		add_refs(c, json_object_get(pred, "evaluations"), n->seq, "evaluation");
		add_ref(c, json_object_get(pred, "check"), n->seq, "check");
		add_ref(c, json_object_get(pred, "dataset"), n->seq, "dataset");
		add_ref(c, json_object_get(pred, "revokes"), n->seq, "revoked attestation");
		if (json_object_get(pred, "work"))
			add_work(c, json_string_value(json_object_get(pred, "work")), n->seq,
			         "claimed work");
	} else if (strcmp(type, "key") == 0) {
		const char *rev = json_string_value(json_object_get(pred, "revokes"));
		if (rev)
			add_key(c, rev, n->seq, "revoked key");
	}
}

static int ref_in(const cstate *c, const json_t *ref)
{
	uint64_t seq;
	unsigned char leaf[PL_HASH_LEN];
	return ref && pl_bundle__ref(ref, &seq, leaf) == PL_OK && lookup(c, seq) != NULL;
}

static int refs_in(const cstate *c, const json_t *arr)
{
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) if (ref_in(c, r)) return 1;
	return 0;
}

static int select_seq(cstate *c, uint64_t seq)
{
	if (lookup(c, seq))
		return 0;
	if (c->fn == c->fcap) {
		size_t cap = c->fcap ? c->fcap * 2 : 32;
		uint64_t *p = realloc(c->found, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		c->found = p;
		c->fcap = cap;
	}
	c->found[c->fn++] = seq;
	return 0;
}

/* The scans: entries that point into the closure rather than out of it. */
static int scan_attestation(void *arg, const pl_bnode *n)
{
	cstate *c = arg;
	json_t *pred = json_object_get(n->st, "predicate");
	const char *kind = json_string_value(json_object_get(pred, "kind"));
	const char *work = json_string_value(json_object_get(pred, "work"));
	if (ref_in(c, json_object_get(pred, "subject")))
		return select_seq(c, n->seq);
	if (c->kind == PL_BUNDLE_WORK && kind && strcmp(kind, "claim") == 0 && work &&
	    strcmp(work, c->work_id) == 0)
		return select_seq(c, n->seq);
	return 0;
}

static int scan_recheck(void *arg, const pl_bnode *n)
{
	cstate *c = arg;
	json_t *pred = json_object_get(n->st, "predicate");
	return ref_in(c, json_object_get(pred, "dataset")) ? select_seq(c, n->seq) : 0;
}

static int scan_work_check(void *arg, const pl_bnode *n)
{
	cstate *c = arg;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(json_object_get(n->st, "predicate"), "matches"), i, m)
	{
		const char *w = json_string_value(json_object_get(m, "work"));
		if (w && strcmp(w, c->work_id) == 0)
			return select_seq(c, n->seq);
	}
	return 0;
}

static int scan_work_dataset(void *arg, const pl_bnode *n)
{
	cstate *c = arg;
	json_t *pred = json_object_get(n->st, "predicate");
	return ref_in(c, json_object_get(pred, "check")) ? select_seq(c, n->seq) : 0;
}

static int scan_work_model(void *arg, const pl_bnode *n)
{
	cstate *c = arg;
	json_t *pred = json_object_get(n->st, "predicate");
	if (refs_in(c, json_object_get(pred, "datasets")) ||
	    refs_in(c, json_object_get(pred, "base_models")))
		return select_seq(c, n->seq);
	return 0;
}

static int scan(cstate *c, const char *type, const char *needle, pl_bscan_fn fn)
{
	int error;
	c->fn = 0;
	if ((error = c->src->scan(c->src->ctx, type, needle, fn, c)) < 0)
		return error;
	for (size_t i = 0; i < c->fn && !c->error; i++)
		add(c, c->found[i], NULL, c->found[i], type);
	return c->error;
}

static void drain(cstate *c)
{
	while (c->qn && !c->error) {
		pl_bnode n = c->queue[--c->qn];
		expand(c, &n);
		json_decref(n.st);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int pl_bundle__closure(pl_seqs *out, const pl_bsource *src, pl_bundle_kind kind, uint64_t root)
{
	cstate c;
	pl_bnode r;
	char needle[160];
	size_t before;
	int error;

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	c.src = src;
	c.kind = kind;
	if ((error = src->get(src->ctx, &r, root)) < 0) {
		if (error == PL_ENOTFOUND)
			error = pl_error_set(PL_ENOTFOUND, "the root entry seq %llu is missing",
			                     (unsigned long long)root);
		goto done;
	}
	if (strcmp(r.type, kind == PL_BUNDLE_MODEL ? "model" : "work") != 0) {
		error = pl_error_set(PL_EINVALID, "the root entry seq %llu is a %s, not a %s",
		                     (unsigned long long)root, r.type,
		                     kind == PL_BUNDLE_MODEL ? "model" : "work");
		goto done;
	}
	if (kind == PL_BUNDLE_WORK) {
		const char *name = json_string_value(
		    json_object_get(json_array_get(json_object_get(r.st, "subject"), 0), "name"));
		if (!name || strncmp(name, "work:", 5) != 0 || strlen(name) > 100) {
			error = pl_error_set(PL_EINVALID, "the root work entry has no work: name");
			goto done;
		}
		c.work_id = name + 5;
		snprintf(needle, sizeof(needle), "\"work\":\"%s\"", c.work_id);
	}
	add(&c, root, r.leaf, root, "root");
	do {
		before = c.n;
		drain(&c);
		if (c.error)
			break;
		if (kind == PL_BUNDLE_WORK) {
			if (scan(&c, "check", needle, scan_work_check) < 0 ||
			    scan(&c, "dataset", NULL, scan_work_dataset) < 0 ||
			    scan(&c, "model", NULL, scan_work_model) < 0)
				break;
		} else if (scan(&c, "check", "\"dataset\":{", scan_recheck) < 0) {
			break;
		}
		if (scan(&c, "attestation", NULL, scan_attestation) < 0)
			break;
	} while (c.n != before || c.qn);
	if ((error = c.error) < 0)
		goto done;
	pl_seqs_free(out);
	if ((out->seq = malloc((c.n ? c.n : 1) * sizeof(uint64_t))) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.cap; i++)
		if (c.set[i].key)
			out->seq[out->n++] = c.set[i].key - 1;
	out->cap = c.n;
	qsort(out->seq, out->n, sizeof(uint64_t), cmp_u64);
done:
	/* work_id points into r.st */
	for (size_t i = 0; i < c.qn; i++)
		json_decref(c.queue[i].st);
	json_decref(r.st);
	free(c.queue);
	free(c.set);
	free(c.found);
	return error;
}

int pl_seqs__has(const pl_seqs *s, uint64_t seq)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->seq[mid] == seq)
			return 1;
		if (s->seq[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void pl_seqs_free(pl_seqs *s)
{
	if (!s)
		return;
	free(s->seq);
	memset(s, 0, sizeof(*s));
}
