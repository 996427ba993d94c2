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
#include "pl_key.h"

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

/* The entry defining subject (its first ref with label), added for from. */
static void add_defining(cstate *c, const char *subject, const char *label, uint64_t from,
                         const char *what)
{
	const pl_refs *r = NULL;
	int error;
	if (c->error)
		return;
	if ((error = c->src->refs(c->src->ctx, &r, subject)) < 0) {
		if (error == PL_ENOTFOUND)
			problem(c, from, "its %s: the subject index proof of %s is missing", what,
			        subject);
		else
			c->error = error;
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].label, label) == 0) {
			add(c, r->v[i].seq, NULL, from, what);
			return;
		}
	problem(c, from, "its %s: no entry defines %s", what, subject);
}

static void add_work(cstate *c, const char *id, uint64_t from, const char *what)
{
	char name[128];
	if (!id || strlen(id) > 100) {
		problem(c, from, "its %s is not a work id", what);
		return;
	}
	snprintf(name, sizeof(name), "work:%s", id);
	add_defining(c, name, "work", from, what);
}

static void add_key(cstate *c, const char *keyid, uint64_t from, const char *what)
{
	char name[PL_SUBJ_MAX];
	if (!keyid || strlen(keyid) > 200) {
		problem(c, from, "its %s is not a keyid", what);
		return;
	}
	snprintf(name, sizeof(name), "key:%s", keyid);
	add_defining(c, name, "key", from, what);
}

/* Whether an entry referring to a subject of the closure under label belongs
 * to it: the rules of the closure, looking in. */
static int include_in(const cstate *c, const char *label)
{
	if (strncmp(label, "attestation.", 12) == 0 && strcmp(label, "attestation.work") != 0 &&
	    strcmp(label, "attestation.lifts") != 0)
		return 1; /* what anyone attested about it (a moratorium: not every licence
		           * that lifts it for some model) */
	if (strcmp(label, "check.dataset") == 0 || strcmp(label, "dataset.check") == 0)
		return 1; /* a dataset's check and rechecks */
	if (strcmp(label, "hardware.batch") == 0 || strcmp(label, "hardware.transfer") == 0)
		return 1; /* a batch's transfers and their acceptances: who held it when */
	if (strcmp(label, "model.mitigates") == 0)
		return 1; /* a mitigated version, whose evaluations may clear a finding */
	if (strcmp(label, "grant.key") == 0 || strcmp(label, "grant.grant") == 0 ||
	    strcmp(label, "key.revokes") == 0 || strcmp(label, "key") == 0 ||
	    strcmp(label, "work") == 0)
		return 1; /* a key's grants and revocations; the defining entries */
	if (c->kind == PL_BUNDLE_WORK)
		/* the work's business: who matched it, claims about it, descendants */
		return strcmp(label, "check.matches") == 0 ||
		       strcmp(label, "attestation.work") == 0 ||
		       strcmp(label, "model.datasets") == 0 ||
		       strcmp(label, "model.base_models") == 0;
	return 0;
}

/* Every entry that refers to subject and belongs to the closure. */
static void add_referrers(cstate *c, const char *subject, uint64_t about)
{
	const pl_refs *r = NULL;
	pl_ref *v;
	size_t n = 0;
	int error;
	if (c->error)
		return;
	if ((error = c->src->refs(c->src->ctx, &r, subject)) < 0) {
		if (error == PL_ENOTFOUND)
			problem(c, about, "the subject index proof of %s is missing", subject);
		else
			c->error = error;
		return;
	}
	/* add() may call the source again: copy first */
	if (!r->n || (v = malloc(r->n * sizeof(*v))) == NULL) {
		if (r->n)
			c->error = pl_error_set(PL_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->n; i++)
		if (include_in(c, r->v[i].label))
			v[n++] = r->v[i];
	for (size_t i = 0; i < n && !c->error; i++) {
		char what[80];
		snprintf(what, sizeof(what), "%s referrer", v[i].label);
		add(c, v[i].seq, NULL, about, what);
	}
	free(v);
}

static void expand(cstate *c, const pl_bnode *n)
{
	json_t *pred = json_object_get(n->st, "predicate");
	const char *type = n->type;
	char subj[PL_SUBJ_MAX];

	if (n->keyid[0])
		add_key(c, n->keyid, n->seq, "signer");
	if (strcmp(type, "model") == 0) {
		if (c->kind == PL_BUNDLE_MODEL) {
			add_refs(c, json_object_get(pred, "base_models"), n->seq, "base model");
			add_refs(c, json_object_get(pred, "datasets"), n->seq, "dataset");
			add_refs(c, json_object_get(pred, "hardware_batches"), n->seq,
			         "hardware batch");
		}
	} else if (strcmp(type, "hardware") == 0) {
		add_ref(c, json_object_get(pred, "batch"), n->seq, "hardware batch");
		add_ref(c, json_object_get(pred, "transfer"), n->seq, "hardware transfer");
		/* the keys whose state the rules judge: a batch's first owner, a
		 * transfer's recipient (neither need sign anything in the bundle) */
		if (json_is_string(json_object_get(pred, "owner")))
			add_key(c, json_string_value(json_object_get(pred, "owner")), n->seq,
			        "first owner");
		if (json_is_string(json_object_get(pred, "to")))
			add_key(c, json_string_value(json_object_get(pred, "to")), n->seq,
			        "recipient");
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
		add_refs(c, json_object_get(pred, "lifts"), n->seq, "lifted moratorium");
		if (json_object_get(pred, "work"))
			add_work(c, json_string_value(json_object_get(pred, "work")), n->seq,
			         "claimed work");
	} else if (strcmp(type, "key") == 0) {
		const char *rev = json_string_value(json_object_get(pred, "revokes"));
		if (rev)
			add_key(c, rev, n->seq, "revoked key");
	} else if (strcmp(type, "grant") == 0) {
		add_key(c, json_string_value(json_object_get(pred, "key")), n->seq, "grantee");
		add_ref(c, json_object_get(pred, "grant"), n->seq, "revoked grant");
	}
	/* looking in: the entries that refer to this one */
	snprintf(subj, sizeof(subj), "seq:%llu", (unsigned long long)n->seq);
	add_referrers(c, subj, n->seq);
	if (strcmp(type, "work") == 0) {
		const char *name = json_string_value(
		    json_object_get(json_array_get(json_object_get(n->st, "subject"), 0), "name"));
		if (name && strlen(name) < 100)
			add_referrers(c, name, n->seq);
	} else if (strcmp(type, "key") == 0) {
		const char *pub = json_string_value(json_object_get(pred, "public_key"));
		pl_key *k = NULL;
		pl_buf fp = PL_BUF_INIT;
		if (pub && pl_key_from_openssh(&k, NULL, pub, strlen(pub)) == PL_OK &&
		    pl_key_fingerprint(&fp, k) == PL_OK) {
			snprintf(subj, sizeof(subj), "key:%s", fp.ptr);
			add_referrers(c, subj, n->seq);
		}
		pl_error_clear();
		pl_key_free(k);
		pl_buf_free(&fp);
	}
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
	add(&c, root, r.leaf, root, "root");
	drain(&c);
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
	for (size_t i = 0; i < c.qn; i++)
		json_decref(c.queue[i].st);
	json_decref(r.st);
	free(c.queue);
	free(c.set);
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
