/*
 * verify.c - `verify` (SPEC §5.5): an audit of the whole ledger from git
 * alone, trusting nothing in the index. Every problem is reported with its
 * sequence number and commit; verification goes on after a problem so that
 * one run lists them all (up to a cap).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"
#include "pl_rules_engine.h"

#define MAX_REPORTED 200
#define MAX_BATCH 4096

#define BLOB_ENTRY_SIZE (7 + 64 + 1 + GIT_OID_RAWSZ) /* "100644 " name NUL id */

typedef struct {
	char name[65];
	unsigned char used, in_head;
	int64_t intro; /* seq of the commit that added it */
} aset_ent;

typedef struct {
	aset_ent *t;
	size_t cap, n;
} aset;

typedef struct {
	pl_ledger *l;
	pl_verify_report *r;
	pl_buf opfp;
	git_odb *odb;
	const git_oid *chain; /* commit ids, head first */
	size_t n;             /* commits */
	uint64_t *cseq;       /* per commit (oldest first): its first seq; cseq[n] = size */
	unsigned char *done;  /* bit per commit: exact_blobs ran */
	/* the rules' source: every entry so far, and the subject index */
	pl_fact **facts;
	size_t nfacts, capfacts;
	pl_smap *smap;
	pl_refs **held;
	size_t nheld, capheld;
	pl_rsrc src;
	size_t nexact;
	aset att; /* attachments accepted so far */
	/* Problems, kept until the end and sorted by seq (the signature checks
	 * run out of order, on a worker thread): */
	pthread_mutex_t mu;
	struct vproblem {
		int64_t key;
		size_t order;
		char *text;
	} * probs;
	size_t nprobs, capprobs;
	int64_t cur_key; /* sort key of problems without a seq */
} vstate;

static void problem(vstate *v, int64_t seq, const git_oid *commit, const char *fmt, ...)
    PL_PRINTF(4, 5);

static void problem(vstate *v, int64_t seq, const git_oid *commit, const char *fmt, ...)
{
	va_list ap;
	char cid[GIT_OID_HEXSZ + 1] = "-";
	pl_buf b = PL_BUF_INIT;
	if (commit)
		git_oid_tostr(cid, 8, commit);
	if (seq >= 0)
		pl_buf_printf(&b, "seq %lld (commit %s): ", (long long)seq, cid);
	else
		pl_buf_printf(&b, "commit %s: ", cid);
	va_start(ap, fmt);
	pl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&v->mu);
	v->r->nproblems++;
	if (v->nprobs == v->capprobs) {
		size_t cap = v->capprobs ? 2 * v->capprobs : 64;
		struct vproblem *p = realloc(v->probs, cap * sizeof(*p));
		if (p) {
			v->probs = p;
			v->capprobs = cap;
		}
	}
	if (v->nprobs < v->capprobs && b.ptr) {
		v->probs[v->nprobs].key = seq >= 0 ? seq : v->cur_key;
		v->probs[v->nprobs].order = v->nprobs;
		v->probs[v->nprobs].text = pl_buf_detach(&b);
		v->nprobs++;
	}
	pthread_mutex_unlock(&v->mu);
	pl_buf_free(&b);
}

static int cmp_problem(const void *a, const void *b)
{
	const struct vproblem *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The first MAX_REPORTED problems, by seq, into the report. */
static void render_problems(vstate *v)
{
	if (v->nprobs > 1)
		qsort(v->probs, v->nprobs, sizeof(*v->probs), cmp_problem);
	for (size_t i = 0; i < v->nprobs && i < MAX_REPORTED; i++) {
		pl_buf_puts(&v->r->problems, v->probs[i].text);
		pl_buf_putc(&v->r->problems, '\n');
	}
}

/* ---- signature checks on a worker thread ----------------------------------
 * The commit's SSHSIG and the entry's DSSE signature are checked on a second
 * thread (and by the main thread when the queue is full): everything that
 * decides which key an entry must verify under (the key registry, applied in
 * seq order) stays on the main thread, which hands over the key. */

#define SIGQ 64

typedef struct {
	uint64_t seq;
	git_oid cid;
	git_buf sig, signed_data; /* the commit's; sig.ptr NULL: nothing to check */
	pl_dsse dsse;             /* the entry's; key NULL: nothing to check */
	const pl_key *key;
	pl_key *own; /* freed with the job (a key entry's own key) */
} sigjob;

typedef struct {
	vstate *v;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	sigjob q[SIGQ];
	size_t head, count;
	int closed, nthreads;
	pthread_t th[4];
} sigpool;

static void run_job(vstate *v, sigjob *j)
{
	if (j->sig.ptr && pl_sshsig_verify(NULL, v->l->op, j->sig.ptr, j->sig.size, "git",
	                                   j->signed_data.ptr, j->signed_data.size) < 0)
		problem(v, (int64_t)j->seq, &j->cid, "commit signature: %s", pl_error_last());
	if (j->key && pl_dsse_verify(&j->dsse, j->key) < 0)
		problem(v, (int64_t)j->seq, &j->cid, "DSSE signature: %s", pl_error_last());
	git_buf_dispose(&j->sig);
	git_buf_dispose(&j->signed_data);
	pl_dsse_clear(&j->dsse);
	pl_key_free(j->own);
	j->own = NULL;
}

/* Take one job (under p->mu); 0 when none is queued. */
static int take_job(sigpool *p, sigjob *out)
{
	if (!p->count)
		return 0;
	*out = p->q[p->head];
	p->head = (p->head + 1) % SIGQ;
	p->count--;
	pthread_cond_signal(&p->room);
	return 1;
}

static void *sig_worker(void *arg)
{
	sigpool *p = arg;
	sigjob j;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->count && !p->closed)
			pthread_cond_wait(&p->more, &p->mu);
		if (!take_job(p, &j))
			break;
		pthread_mutex_unlock(&p->mu);
		run_job(p->v, &j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void sigpool_start(sigpool *p, vstate *v)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int want = ncpu > 1 ? (int)(ncpu - 1 < 4 ? ncpu - 1 : 4) : 0;
	memset(p, 0, sizeof(*p));
	p->v = v;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	for (int i = 0; i < want; i++)
		if (pthread_create(&p->th[p->nthreads], NULL, sig_worker, p) == 0)
			p->nthreads++;
}

/* Queue a job (its buffers are moved in); with the queue full, or no worker,
 * the calling thread checks one itself. */
static void sigpool_submit(sigpool *p, sigjob *j)
{
	sigjob mine;
	if (!p->nthreads) {
		run_job(p->v, j);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->count == SIGQ && take_job(p, &mine)) {
		pthread_mutex_unlock(&p->mu);
		run_job(p->v, &mine);
		pthread_mutex_lock(&p->mu);
	}
	while (p->count == SIGQ)
		pthread_cond_wait(&p->room, &p->mu);
	p->q[(p->head + p->count) % SIGQ] = *j;
	p->count++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	memset(j, 0, sizeof(*j));
}

/* Help with what is queued, then wait for the workers. */
static void sigpool_finish(sigpool *p)
{
	sigjob j;
	pthread_mutex_lock(&p->mu);
	while (take_job(p, &j)) {
		pthread_mutex_unlock(&p->mu);
		run_job(p->v, &j);
		pthread_mutex_lock(&p->mu);
	}
	p->closed = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->room);
}

/* Every path in the head tree: entries/… exactly 0..n-1, blobs/, the
 * checkpoint; nothing else. */
static int check_tree(vstate *v, git_tree *tree, const git_oid *cid, uint64_t n);

static int walk_entries(vstate *v, git_tree *t, const char *prefix, uint64_t *count,
                        const git_oid *cid, uint64_t n, int depth)
{
	size_t cnt = git_tree_entrycount(t);
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", prefix, git_tree_entry_name(te));
		if (git_tree_entry_type(te) == GIT_OBJECT_TREE && depth < 6) {
			git_tree *sub = NULL;
			if (git_tree_lookup(&sub, v->l->repo, git_tree_entry_id(te)) < 0) {
				problem(v, -1, cid, "%s: unreadable tree", path);
				continue;
			}
			walk_entries(v, sub, path, count, cid, n, depth + 1);
			git_tree_free(sub);
		} else {
			/* Must be the canonical path of some seq < n. */
			uint64_t seq = 0;
			int ok = 1;
			const char *p = path + strlen("entries");
			int digits = 0;
			for (; *p && ok; p++) {
				if (*p == '/')
					continue;
				if (*p == '.')
					break;
				if (*p < '0' || *p > '9')
					ok = 0;
				else {
					seq = seq * 10 + (uint64_t)(*p - '0');
					digits++;
				}
			}
			char want[64];
			if (ok)
				pl_ledger__entry_path(want, seq);
			if (!ok || strcmp(want, path) != 0 || seq >= n)
				problem(v, -1, cid, "unexpected path %s in the tree", path);
			else
				(*count)++;
			(void)digits;
		}
	}
	return PL_OK;
}

static int check_tree(vstate *v, git_tree *tree, const git_oid *cid, uint64_t n)
{
	size_t cnt = git_tree_entrycount(tree);
	uint64_t count = 0;
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(te);
		git_tree *sub = NULL;
		if ((strcmp(name, "checkpoint") == 0 || strcmp(name, "subjects") == 0) &&
		    git_tree_entry_type(te) == GIT_OBJECT_BLOB)
			continue;
		if ((strcmp(name, "entries") != 0 && strcmp(name, "blobs") != 0) ||
		    git_tree_entry_type(te) != GIT_OBJECT_TREE) {
			problem(v, -1, cid, "unexpected path %s in the tree", name);
			continue;
		}
		if (git_tree_lookup(&sub, v->l->repo, git_tree_entry_id(te)) < 0) {
			problem(v, -1, cid, "%s: unreadable tree", name);
			continue;
		}
		/* blobs/ is checked by check_blobs and check_head_blobs */
		if (strcmp(name, "entries") == 0)
			walk_entries(v, sub, "entries", &count, cid, n, 0);
		git_tree_free(sub);
	}
	if (count != n)
		problem(v, -1, cid, "the tree holds %llu entries, the history %llu",
		        (unsigned long long)count, (unsigned long long)n);
	return PL_OK;
}

/* ---- attachments (rule 4) ------------------------------------------------
 *
 * blobs/ is one flat tree (SPEC §3), so reading it at every commit that
 * changes it costs O(attachments) per commit: quadratic over a ledger. The
 * exact per-commit check (exact_blobs: blobs/ only grows, every blob a commit
 * adds is a blob, hashes to its name and is named by its entry) is therefore
 * run only where a cheap test flags a commit, and on the commits where a
 * discrepancy found in the head tree was introduced:
 *
 *  - per commit: blobs/ keeps its tree id (nothing added, changed or removed)
 *    unless the entry declares new attachments (predicate objects holding
 *    "scheme" and "sha256", docs/entries.md) not yet in blobs/; then the tree
 *    object must grow by exactly one canonical entry per new attachment (its
 *    size, read from the object header). Anything else: exact_blobs.
 *  - once, on the head tree: every blob hashes to its name (each hashed once);
 *    its names are exactly the attachments accepted along the way. A blob in
 *    the head that is bad or was not accepted, or an accepted attachment
 *    missing from the head, is traced (binary search over the commits) to a
 *    commit where it changed, and that commit gets exact_blobs, which reports
 *    it with its seq and commit as before.
 *
 * Every problem is reported by exact_blobs, with the same words at the same
 * commit as a full per-commit walk. */

static int is_hex64(const char *s)
{
	size_t i;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static size_t aset_hash(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return (size_t)h;
}

static aset_ent *aset_find(aset *s, const char *name)
{
	if (!s->cap)
		return NULL;
	for (size_t i = aset_hash(name) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->t[i].used)
			return NULL;
		if (strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	}
}

/* Insert a 64-hex name; NULL when out of memory. */
static aset_ent *aset_add(aset *s, const char *name, int64_t intro)
{
	aset_ent *e = aset_find(s, name);
	if (e)
		return e;
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		aset_ent *t = calloc(cap, sizeof(*t));
		if (!t)
			return NULL;
		for (size_t j = 0; j < s->cap; j++) {
			if (!s->t[j].used)
				continue;
			size_t i = aset_hash(s->t[j].name) & (cap - 1);
			while (t[i].used)
				i = (i + 1) & (cap - 1);
			t[i] = s->t[j];
		}
		free(s->t);
		s->t = t;
		s->cap = cap;
	}
	size_t i = aset_hash(name) & (s->cap - 1);
	while (s->t[i].used)
		i = (i + 1) & (s->cap - 1);
	e = &s->t[i];
	memcpy(e->name, name, 65);
	e->used = 1;
	e->in_head = 0;
	e->intro = intro;
	s->n++;
	return e;
}

/* The attachments an entry declares: the sha256 of every object in its
 * predicate that holds both "scheme" and "sha256" (64 lowercase hex). */
static void declared(const json_t *j, const char ***out, size_t *n, size_t *cap)
{
	if (json_is_object(j)) {
		const char *k;
		json_t *val;
		const char *sha = json_string_value(json_object_get(j, "sha256"));
		if (sha && json_is_string(json_object_get(j, "scheme")) && strlen(sha) == 64 &&
		    is_hex64(sha)) {
			if (*n == *cap) {
				size_t c = *cap ? 2 * *cap : 8;
				const char **p = realloc(*out, c * sizeof(*p));
				if (!p)
					return;
				*out = p;
				*cap = c;
			}
			(*out)[(*n)++] = sha;
		}
		json_object_foreach((json_t *)j, k, val) declared(val, out, n, cap);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *val;
		json_array_foreach(j, i, val) declared(val, out, n, cap);
	}
}

/* The blobs/ subtree of a commit's tree (NULL when absent). */
static git_tree *blobs_of(vstate *v, git_tree *tree)
{
	git_tree_entry *te = NULL;
	git_tree *b = NULL;
	if (tree && git_tree_entry_bypath(&te, tree, "blobs") == 0 &&
	    git_tree_entry_type(te) == GIT_OBJECT_TREE)
		git_tree_lookup(&b, v->l->repo, git_tree_entry_id(te));
	git_tree_entry_free(te);
	return b;
}

/* The id of the blobs/ subtree, without reading it: 0 when absent. */
static int blobs_id(git_tree *tree, git_oid *out)
{
	const git_tree_entry *te = tree ? git_tree_entry_byname(tree, "blobs") : NULL;
	if (!te || git_tree_entry_type(te) != GIT_OBJECT_TREE)
		return 0;
	*out = *git_tree_entry_id(te);
	return 1;
}

/* Rule 4 for attachments at one commit, exactly: blobs/ only grows, and
 * every blob the commit adds is named by its entry and hashes to its name.
 * Once per commit; the names it adds go to v->att. */
static void exact_blobs(vstate *v, uint64_t ci, const git_oid *cid, git_tree *tree, git_tree *prev,
                        const char *payload)
{
	git_tree *b, *pb;
	size_t cnt;
	uint64_t seq = v->cseq[ci];

	if (v->done[ci / 8] & (1u << (ci % 8)))
		return;
	v->done[ci / 8] |= (unsigned char)(1u << (ci % 8));
	v->nexact++;
	b = blobs_of(v, tree);
	pb = blobs_of(v, prev);
	if (!b && !pb)
		return;
	if (b && pb && git_oid_equal(git_tree_id(b), git_tree_id(pb)))
		goto done;
	cnt = pb ? git_tree_entrycount(pb) : 0;
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *pe = git_tree_entry_byindex(pb, i);
		const git_tree_entry *e =
		    b ? git_tree_entry_byname(b, git_tree_entry_name(pe)) : NULL;
		if (!e || !git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(pe)))
			problem(v, (int64_t)seq, cid, "attachment blobs/%s was changed or removed",
			        git_tree_entry_name(pe));
	}
	cnt = b ? git_tree_entrycount(b) : 0;
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b, i);
		const char *name = git_tree_entry_name(e);
		git_blob *blob = NULL;
		unsigned char d[PL_HASH_LEN];
		char hex[65];
		if (pb && git_tree_entry_byname(pb, name))
			continue; /* unchanged, or reported above */
		if (strlen(name) == 64 && is_hex64(name))
			aset_add(&v->att, name, (int64_t)ci);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
		    git_blob_lookup(&blob, v->l->repo, git_tree_entry_id(e)) < 0) {
			problem(v, (int64_t)seq, cid, "blobs/%s: unreadable", name);
			continue;
		}
		pl_sha256(d, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		pl_hex(hex, d, PL_HASH_LEN);
		git_blob_free(blob);
		if (strcmp(hex, name) != 0)
			problem(v, (int64_t)seq, cid, "attachment blobs/%s: its bytes hash to %s",
			        name, hex);
		else if (!payload || !strstr(payload, name))
			problem(v, (int64_t)seq, cid,
			        "attachment blobs/%s is not named by the entry", name);
	}
done:
	git_tree_free(b);
	git_tree_free(pb);
}

static const git_oid *commit_of(vstate *v, uint64_t ci)
{
	return &v->chain[v->n - 1 - ci];
}

static git_tree *tree_at(vstate *v, uint64_t ci)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	if (git_commit_lookup(&c, v->l->repo, commit_of(v, ci)) == 0)
		git_commit_tree(&t, c);
	git_commit_free(c);
	return t;
}

/* exact_blobs at any commit, reading what it needs. */
static void exact_blobs_at(vstate *v, uint64_t ci)
{
	git_commit *c = NULL;
	git_tree *t = NULL, *pt = NULL;
	pl_buf env = PL_BUF_INIT, payloads = PL_BUF_INIT;

	if (v->done[ci / 8] & (1u << (ci % 8)))
		return;
	if (git_commit_lookup(&c, v->l->repo, commit_of(v, ci)) < 0 || git_commit_tree(&t, c) < 0)
		goto done; /* reported by the main pass */
	if (ci > 0)
		pt = tree_at(v, ci - 1);
	for (uint64_t seq = v->cseq[ci]; seq < v->cseq[ci + 1]; seq++) {
		char path[64];
		pl_entry e;
		pl_ledger__entry_path(path, seq);
		if (pl_ledger__read_path(v->l, &env, c, path) == 0 &&
		    pl_entry__decode(&e, env.ptr, env.len) == 0) {
			pl_buf_puts(&payloads, e.dsse.payload.ptr);
			pl_buf_putc(&payloads, '\n');
			pl_entry__clear(&e);
		}
	}
	exact_blobs(v, ci, commit_of(v, ci), t, pt, payloads.len ? payloads.ptr : NULL);
done:
	pl_buf_free(&env);
	pl_buf_free(&payloads);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(c);
}

/* blobs/<name> at commit ci: 1 and its id when present, else 0. */
static int blob_at(vstate *v, uint64_t ci, const char *name, git_oid *id)
{
	git_tree *t = tree_at(v, ci);
	git_tree_entry *te = NULL;
	char path[300];
	int found = 0;
	snprintf(path, sizeof(path), "blobs/%s", name);
	if (t && git_tree_entry_bypath(&te, t, path) == 0) {
		*id = *git_tree_entry_id(te);
		found = 1;
	}
	git_tree_entry_free(te);
	git_tree_free(t);
	return found;
}

/* The head holds blobs/<name> = id, which is wrong or unaccounted for: find a
 * commit where blobs/<name> became id (absent or different in its parent) and
 * check that commit exactly. */
static void trace_present(vstate *v, const char *name, const git_oid *id)
{
	int64_t lo = -1, hi = (int64_t)v->n - 1; /* at lo: not id (lo = -1: before all) */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		git_oid at;
		if (blob_at(v, (uint64_t)mid, name, &at) && git_oid_equal(&at, id))
			hi = mid;
		else
			lo = mid;
	}
	exact_blobs_at(v, (uint64_t)hi);
}

/* An attachment accepted at seq intro is not in the head: find the commit that
 * removed it (present in its parent, absent in it) and check it exactly. */
static void trace_absent(vstate *v, const char *name, int64_t intro)
{
	int64_t lo = intro, hi = (int64_t)v->n - 1; /* present at lo, absent at hi */
	git_oid at;
	if (!blob_at(v, (uint64_t)lo, name, &at)) {
		exact_blobs_at(v, (uint64_t)lo); /* it was never added there */
		return;
	}
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (blob_at(v, (uint64_t)mid, name, &at))
			lo = mid;
		else
			hi = mid;
	}
	exact_blobs_at(v, (uint64_t)hi);
}

/* Rule 4 for attachments at commit ci, cheaply (see above); ents are its
 * decoded entries (NULL where undecodable). */
static void check_blobs(vstate *v, uint64_t ci, const git_oid *cid, git_tree *tree, git_tree *prev,
                        pl_entry *const *ents, size_t k)
{
	git_oid bid, pbid;
	int has = blobs_id(tree, &bid), phas = blobs_id(prev, &pbid);
	const char **decl = NULL, **fresh = NULL;
	size_t ndecl = 0, capdecl = 0, nfresh = 0;
	pl_buf payloads = PL_BUF_INIT;
	int ok = 0;

	if (!has && !phas)
		return;
	if (has && phas && git_oid_equal(&bid, &pbid))
		return;
	for (size_t i = 0; i < k; i++)
		if (ents[i]) {
			declared(json_object_get(ents[i]->statement, "predicate"), &decl, &ndecl,
			         &capdecl);
			pl_buf_puts(&payloads, ents[i]->dsse.payload.ptr);
			pl_buf_putc(&payloads, '\n');
		}
	if (has) {
		size_t len = 0, plen = 0;
		git_object_t type;
		if (ndecl && (fresh = malloc(ndecl * sizeof(*fresh))) != NULL) {
			for (size_t i = 0; i < ndecl; i++) {
				size_t j;
				if (aset_find(&v->att, decl[i]))
					continue;
				for (j = 0; j < nfresh && strcmp(fresh[j], decl[i]) != 0; j++)
					;
				if (j == nfresh)
					fresh[nfresh++] = decl[i];
			}
		}
		if (nfresh && git_odb_read_header(&len, &type, v->odb, &bid) == 0 &&
		    type == GIT_OBJECT_TREE &&
		    (!phas || (git_odb_read_header(&plen, &type, v->odb, &pbid) == 0 &&
		               type == GIT_OBJECT_TREE)) &&
		    len == plen + nfresh * BLOB_ENTRY_SIZE)
			ok = 1;
	}
	if (ok) {
		for (size_t i = 0; i < nfresh; i++)
			if (!aset_add(&v->att, fresh[i], (int64_t)ci))
				ok = 0;
	}
	if (!ok)
		exact_blobs(v, ci, cid, tree, prev, payloads.len ? payloads.ptr : NULL);
	free(decl);
	free(fresh);
	pl_buf_free(&payloads);
}

/* Rule 4 for attachments, once, on the head tree. */
static void check_head_blobs(vstate *v, git_tree *headtree)
{
	git_tree *b = blobs_of(v, headtree);
	size_t cnt = b ? git_tree_entrycount(b) : 0;
	for (size_t i = 0; i < cnt; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(b, i);
		const char *name = git_tree_entry_name(te);
		aset_ent *a =
		    strlen(name) == 64 && is_hex64(name) ? aset_find(&v->att, name) : NULL;
		git_blob *blob = NULL;
		int good = 0;
		if (a)
			a->in_head = 1;
		if (git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
		    git_blob_lookup(&blob, v->l->repo, git_tree_entry_id(te)) == 0) {
			unsigned char d[PL_HASH_LEN];
			char hex[65];
			pl_sha256(d, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
			pl_hex(hex, d, PL_HASH_LEN);
			good = strcmp(hex, name) == 0;
			git_blob_free(blob);
		}
		if (good && a)
			continue;
		if (v->r->nproblems > MAX_REPORTED)
			problem(v, -1, git_tree_id(headtree), "blobs/%s", name); /* counted only */
		else
			trace_present(v, name, git_tree_entry_id(te));
	}
	for (size_t i = 0; i < v->att.cap; i++) {
		aset_ent *a = &v->att.t[i];
		if (!a->used || a->in_head)
			continue;
		if (v->r->nproblems > MAX_REPORTED)
			problem(v, -1, NULL, "blobs/%s", a->name); /* counted only */
		else
			trace_absent(v, a->name, a->intro);
	}
	git_tree_free(b);
}

/* ---- entries/AAA/BBB without reading it -----------------------------------
 * Commit N's entries/AAA/BBB (9-digit paths) must hold exactly the entries
 * of its block up to N, each the blob the head holds at that path. That tree
 * object is computed here from the head's blob ids (appended in seq order,
 * which is git's order of the names) and compared by id with the one commit
 * N names: equal ids mean equal contents, so the entry is the head's blob
 * and the up-to-1000-name tree need not be read. Otherwise the path is
 * looked up in the commit's own tree, as before. */

typedef struct {
	uint64_t block; /* seq / 1000 + 1; 0: none */
	int broken;     /* an entry of this block is not in the head */
	pl_buf buf;     /* the tree object's contents */
	git_oid id;
} xdir;

/* The git id of a tree object with these contents (OpenSSL's SHA-1 is several
 * times faster than libgit2's collision-detecting one; the contents are ours). */
static int tree_oid(git_oid *out, const void *data, size_t len)
{
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "tree %zu", len) + 1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, hdr, (size_t)hl) == 1 &&
	         EVP_DigestUpdate(ctx, data, len) == 1 &&
	         EVP_DigestFinal_ex(ctx, out->id, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int expected_dir(xdir *x, uint64_t seq, const git_oid *head_blob)
{
	char name[16];
	if (seq >= 1000000000ull)
		return 0;
	if (x->block != seq / 1000 + 1 || seq % 1000 == 0) {
		x->block = seq / 1000 + 1;
		x->broken = seq % 1000 != 0;
		pl_buf_clear(&x->buf);
	}
	if (!head_blob)
		x->broken = 1;
	if (x->broken)
		return 0;
	snprintf(name, sizeof(name), "100644 %03u.json", (unsigned)(seq % 1000));
	if (pl_buf_put(&x->buf, name, strlen(name) + 1) < 0 ||
	    pl_buf_put(&x->buf, head_blob->id, GIT_OID_RAWSZ) < 0 ||
	    tree_oid(&x->id, x->buf.ptr, x->buf.len) < 0) {
		x->broken = 1;
		return 0;
	}
	return 1;
}

/* Whether the directory of path in tree has the id want (reads the trees
 * above it only). */
static int dir_is(git_tree *tree, const char *path, const git_oid *want)
{
	char dir[64];
	const char *slash = strrchr(path, '/');
	git_tree_entry *te = NULL;
	int same;
	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	same = git_tree_entry_bypath(&te, tree, dir) == 0 &&
	       git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	       git_oid_equal(git_tree_entry_id(te), want);
	git_tree_entry_free(te);
	return same;
}

static int check_checkpoint(vstate *v, const char *note, size_t len, const git_oid *cid,
                            int64_t seq, uint64_t want_size, const unsigned char *want_root,
                            pl_checkpoint *cp)
{
	pl_buf text = PL_BUF_INIT;
	int error;
	if ((error = pl_note_verify(&text, note, len, v->l->origin, v->l->op)) < 0) {
		problem(v, seq, cid, "checkpoint: %s", pl_error_last());
		goto done;
	}
	if ((error = pl_checkpoint_parse(cp, text.ptr, text.len)) < 0) {
		problem(v, seq, cid, "checkpoint: %s", pl_error_last());
		goto done;
	}
	if (strcmp(cp->origin, v->l->origin) != 0)
		problem(v, seq, cid, "checkpoint origin '%s' is not '%s'", cp->origin,
		        v->l->origin);
	if (want_root && cp->size != want_size)
		problem(v, seq, cid, "checkpoint size %llu, expected %llu",
		        (unsigned long long)cp->size, (unsigned long long)want_size);
	else if (want_root && memcmp(cp->root, want_root, PL_HASH_LEN) != 0)
		problem(v, seq, cid, "checkpoint root does not match the entries");
done:
	pl_buf_free(&text);
	return error;
}

/* ---- the rules' source: every entry verified so far ---------------------- */

static int vsrc_fact(void *ctx, const pl_fact **out, uint64_t seq)
{
	vstate *v = ctx;
	if (seq >= v->nfacts || !v->facts[seq])
		return PL_ENOTFOUND;
	*out = v->facts[seq];
	return PL_OK;
}

static int vsrc_refs(void *ctx, const pl_refs **out, const char *subject)
{
	vstate *v = ctx;
	const char *text;
	size_t len;
	pl_refs *r;
	int error;
	if ((error = pl_smap_get(v->smap, &text, &len, subject)) < 0)
		return error;
	if (v->nheld == v->capheld) {
		size_t cap = v->capheld ? v->capheld * 2 : 16;
		pl_refs **p = realloc(v->held, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		v->held = p;
		v->capheld = cap;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (text && (error = pl_refs_parse(r, subject, text, len)) < 0) {
		free(r);
		return error;
	}
	v->held[v->nheld++] = r;
	*out = r;
	return PL_OK;
}

static void vsrc_release(vstate *v)
{
	for (size_t i = 0; i < v->nheld; i++) {
		pl_refs_free(v->held[i]);
		free(v->held[i]);
	}
	v->nheld = 0;
}

/* Keep entry seq's fact (valid or not) and its edges. */
static int remember(vstate *v, uint64_t seq, const pl_entry *e, const unsigned char leaf[32],
                    int valid)
{
	pl_edges edges = {0};
	pl_fact *f;
	int error;
	if (seq >= v->capfacts) {
		size_t cap = v->capfacts ? v->capfacts * 2 : 1024;
		pl_fact **p;
		while (cap <= seq)
			cap *= 2;
		if ((p = realloc(v->facts, cap * sizeof(*p))) == NULL)
			return pl_error_set(PL_ENOMEM, "out of memory");
		memset(p + v->capfacts, 0, (cap - v->capfacts) * sizeof(*p));
		v->facts = p;
		v->capfacts = cap;
	}
	if (seq >= v->nfacts)
		v->nfacts = seq + 1;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_fact_from_entry(f, seq, e, leaf)) < 0) {
		pl_fact_clear(f);
		free(f);
		return error;
	}
	f->valid = valid;
	v->facts[seq] = f;
	if ((error = pl_subjects_edges(&edges, e->type, e->statement)) == PL_OK)
		error = pl_smap_add_edges(v->smap, seq, &edges);
	pl_edges_free(&edges);
	return error;
}

/* Rule 3 (and the rules of rules.c) for entry e at seq: problems reported;
 * the DSSE check goes to job (key and grant entries are checked here, since
 * later entries depend on them). Returns whether the entry is valid so far. */
static int check_entry(vstate *v, uint64_t seq, const git_oid *cid, const pl_entry *e, sigjob *job)
{
	pl_verdict vd;
	int error, valid = 1;
	error = pl_rules_check(&vd, &v->src, seq, e);
	vsrc_release(v);
	if (error < 0) {
		problem(v, (int64_t)seq, cid, "%s", pl_error_last());
		valid = 0;
	} else if (!vd.verify_key) {
		problem(v, (int64_t)seq, cid, "no key to check its signature under");
		valid = 0;
	} else if (strcmp(e->type, "key") == 0 || strcmp(e->type, "grant") == 0) {
		if (pl_dsse_verify(&e->dsse, vd.verify_key) < 0) {
			problem(v, (int64_t)seq, cid, "DSSE signature: %s", pl_error_last());
			valid = 0;
		}
	} else {
		job->key = vd.verify_key;
		job->own = vd.owned;
		vd.owned = NULL;
	}
	pl_verdict_clear(&vd);
	return valid;
}

int pl_ledger_verify(pl_ledger *l, pl_verify_report *r, const char *since, size_t since_len)
{
	vstate v = {0};
	git_oid *chain = NULL, head;
	size_t n = 0, cap = 0;
	git_commit *c = NULL, *headc = NULL;
	git_tree *headtree = NULL, *prevtree = NULL;
	pl_buf env = PL_BUF_INIT, cpnote = PL_BUF_INIT, snote = PL_BUF_INIT;
	pl_merkle_builder mb;
	pl_checkpoint since_cp;
	unsigned char since_root[PL_HASH_LEN];
	int have_since = 0, since_root_known = 0, error = PL_OK, has, rc, pool_started = 0;
	sigpool pool;
	xdir xd = {0};
	uint64_t *seqs = NULL, seq = 0;
	unsigned char(*leaves)[PL_HASH_LEN] = NULL;
	pl_entry *ents = NULL;
	pl_entry **entp = NULL;
	char prev_created[40] = "";
	int64_t prev_time = 0;

	memset(r, 0, sizeof(*r));
	v.l = l;
	v.r = r;
	v.cur_key = -1;
	pthread_mutex_init(&v.mu, NULL);
	pl_merkle_builder_init(&mb);
	if ((error = pl_key_fingerprint(&v.opfp, l->op)) < 0 ||
	    (error = pl_smap_new(&v.smap, NULL)) < 0)
		goto done;
	v.src.ctx = &v;
	v.src.fact = vsrc_fact;
	v.src.refs = vsrc_refs;
	v.src.op = l->op;
	v.src.opfp = v.opfp.ptr;
	if (!(seqs = malloc(MAX_BATCH * sizeof(*seqs))) ||
	    !(leaves = malloc(MAX_BATCH * sizeof(*leaves))) ||
	    !(ents = calloc(MAX_BATCH, sizeof(*ents))) ||
	    !(entp = calloc(MAX_BATCH, sizeof(*entp)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (since) {
		pl_buf text = PL_BUF_INIT;
		if (pl_note_verify(&text, since, since_len, l->origin, l->op) < 0 ||
		    pl_checkpoint_parse(&since_cp, text.ptr, text.len) < 0) {
			problem(&v, -1, NULL, "--since checkpoint: %s", pl_error_last());
		} else {
			have_since = 1;
		}
		pl_buf_free(&text);
	}
	if ((rc = git_reference_name_to_id(&head, l->repo, "refs/heads/main")) < 0) {
		has = 0;
		if (rc != GIT_ENOTFOUND) {
			error = pl_ledger__git_error(rc, "refs/heads/main");
			goto done;
		}
	} else {
		has = 1;
	}
	if (!has) {
		problem(&v, -1, NULL, "the ledger has no commits");
		goto finish;
	}
	/* Walk back to the root; merges break linearity. */
	for (git_oid cur = head;;) {
		if (n == cap) {
			git_oid *p;
			cap = cap ? cap * 2 : 1024;
			if ((p = realloc(chain, cap * sizeof(*chain))) == NULL) {
				error = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			chain = p;
		}
		chain[n++] = cur;
		if ((rc = git_commit_lookup(&c, l->repo, &cur)) < 0) {
			problem(&v, -1, &cur, "unreadable commit: %s", git_error_last()->message);
			goto finish;
		}
		if (git_commit_parentcount(c) > 1)
			problem(&v, -1, &cur, "merge commit: the history is not linear");
		if (git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			c = NULL;
			break;
		}
		cur = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		c = NULL;
	}
	if ((rc = git_commit_lookup(&headc, l->repo, &head)) < 0 ||
	    (rc = git_commit_tree(&headtree, headc)) < 0) {
		error = pl_ledger__git_error(rc, "head");
		goto done;
	}
	v.chain = chain;
	v.n = n;
	if ((rc = git_repository_odb(&v.odb, l->repo)) < 0) {
		error = pl_ledger__git_error(rc, "odb");
		goto done;
	}
	if ((v.done = calloc(n / 8 + 1, 1)) == NULL ||
	    (v.cseq = calloc(n + 1, sizeof(*v.cseq))) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	sigpool_start(&pool, &v);
	pool_started = 1;
	for (size_t ci = 0; ci < n; ci++) {
		const git_oid *cid = &chain[n - 1 - ci];
		unsigned char root[PL_HASH_LEN];
		const char *msg;
		size_t k = 0, ndec = 0;
		sigjob job;
		int64_t when;
		git_buf sig = GIT_BUF_INIT, signed_data = GIT_BUF_INIT;
		git_tree *tree = NULL;

		v.cseq[ci] = seq;
		if ((rc = git_commit_lookup(&c, l->repo, cid)) < 0) {
			problem(&v, (int64_t)seq, cid, "unreadable commit");
			v.cseq[ci + 1] = seq;
			continue;
		}
		v.cur_key = (int64_t)seq;
		memset(&job, 0, sizeof(job));
		job.seq = seq;
		job.cid = *cid;
		/* Rule 2: the operator's SSHSIG over the commit (checked by the pool). */
		rc = git_commit_extract_signature(&sig, &signed_data, l->repo, (git_oid *)cid,
		                                  "gpgsig");
		if (rc < 0) {
			problem(&v, (int64_t)seq, cid, "commit is not signed");
			git_buf_dispose(&sig);
			git_buf_dispose(&signed_data);
		} else {
			job.sig = sig;
			job.signed_data = signed_data;
		}
		sigpool_submit(&pool, &job);
		/* Time: the operator's append times never go backwards. */
		when = (int64_t)git_commit_time(c);
		if (when < prev_time)
			problem(&v, (int64_t)seq, cid,
			        "the commit's time is earlier than the previous commit's: append "
			        "times went backwards");
		prev_time = when;
		/* Rule 1: the sequence numbers and the paths. */
		msg = git_commit_message(c);
		if (pl_ledger__message_entries(seqs, leaves, MAX_BATCH, &k, msg) < 0) {
			problem(&v, (int64_t)seq, cid, "commit message: %s", pl_error_last());
			k = 1;
			seqs[0] = seq;
			memset(leaves[0], 0, PL_HASH_LEN);
		} else if (seqs[0] != seq) {
			problem(&v, (int64_t)seq, cid,
			        "commit says seq %llu: entries are missing, extra or reordered",
			        (unsigned long long)seqs[0]);
		}
		if (git_commit_tree(&tree, c) < 0) {
			problem(&v, (int64_t)seq, cid, "the commit's tree is unreadable");
			seq += k;
			v.cseq[ci + 1] = seq;
			goto next;
		}
		for (size_t j = 0; j < k; j++, seq++) {
			char path[64];
			unsigned char leaf[PL_HASH_LEN];
			git_tree_entry *te_here = NULL, *te_head = NULL;
			int fast;
			sigjob ej;

			entp[j] = NULL;
			pl_ledger__entry_path(path, seq);
			if (git_tree_entry_bypath(&te_head, headtree, path) < 0) {
				git_tree_entry_free(te_head);
				te_head = NULL;
			}
			/* the fast path: this commit's entries/AAA/BBB is the head's up to
			 * seq (checked at the commit's last entry only) */
			fast =
			    expected_dir(&xd, seq, te_head ? git_tree_entry_id(te_head) : NULL) &&
			    j + 1 == k && dir_is(tree, path, &xd.id);
			if (fast) {
				git_blob *blob = NULL;
				if ((rc = git_blob_lookup(&blob, l->repo,
				                          git_tree_entry_id(te_head))) < 0) {
					problem(&v, (int64_t)seq, cid, "%s: %s", path,
					        git_error_last() ? git_error_last()->message
					                         : "unreadable");
					git_tree_entry_free(te_head);
					continue;
				}
				pl_buf_clear(&env);
				pl_buf_put(&env, git_blob_rawcontent(blob),
				           (size_t)git_blob_rawsize(blob));
				git_blob_free(blob);
			} else {
				if (git_tree_entry_bypath(&te_here, tree, path) < 0) {
					problem(&v, (int64_t)seq, cid, "%s is missing", path);
					git_tree_entry_free(te_head);
					continue;
				}
				if (!te_head || !git_oid_equal(git_tree_entry_id(te_here),
				                               git_tree_entry_id(te_head)))
					problem(&v, (int64_t)seq, cid,
					        "%s was changed or removed by a later commit",
					        path);
				git_tree_entry_free(te_here);
				if (pl_ledger__read_path(l, &env, c, path) < 0) {
					problem(&v, (int64_t)seq, cid, "%s: %s", path,
					        pl_error_last());
					git_tree_entry_free(te_head);
					continue;
				}
			}
			git_tree_entry_free(te_head);
			pl_merkle_leaf(leaf, env.ptr, env.len);
			if (memcmp(leaf, leaves[j], PL_HASH_LEN) != 0)
				problem(&v, (int64_t)seq, cid,
				        "the entry's leaf hash is not the one the "
				        "commit message names");
			pl_merkle_builder_add(&mb, leaf);
			if (have_since && mb.size == since_cp.size) {
				pl_merkle_builder_root(&mb, since_root);
				since_root_known = 1;
			}
			/* Rule 3 and the rules; the time. */
			if (pl_entry__decode(&ents[j], env.ptr, env.len) < 0) {
				problem(&v, (int64_t)seq, cid, "entry: %s", pl_error_last());
				continue;
			}
			entp[j] = &ents[j];
			ndec = j + 1;
			memset(&ej, 0, sizeof(ej));
			ej.seq = seq;
			ej.cid = *cid;
			{
				int valid = check_entry(&v, seq, cid, &ents[j], &ej);
				if (pl_rules_check_time(ents[j].created, seq ? prev_created : NULL,
				                        when) < 0)
					problem(&v, (int64_t)seq, cid, "%s", pl_error_last());
				if (ents[j].created)
					snprintf(prev_created, sizeof(prev_created), "%s",
					         ents[j].created);
				if (remember(&v, seq, &ents[j], leaf, valid) < 0) {
					error = PL_ENOMEM;
					goto done;
				}
			}
			if (ej.key) {
				/* the job takes a copy of the envelope's signature data */
				if (pl_dsse_parse(&ej.dsse, env.ptr, env.len) == PL_OK)
					sigpool_submit(&pool, &ej);
				else
					pl_key_free(ej.own);
			} else {
				pl_key_free(ej.own);
			}
		}
		v.cseq[ci + 1] = seq;
		/* Rule 4 for the attachments this commit adds. */
		check_blobs(&v, ci, cid, tree, prevtree, entp, k);
		/* Rule 4 for every commit: its checkpoint covers exactly 0..seq-1. The
		 * signature is checked once, on the latest (the commit signature
		 * already covers each tree). */
		pl_merkle_builder_root(&mb, root);
		if (pl_ledger__read_path(l, &cpnote, c, "checkpoint") < 0) {
			problem(&v, (int64_t)seq - 1, cid, "checkpoint is missing");
		} else if (ci + 1 == n) {
			pl_checkpoint cp;
			check_checkpoint(&v, cpnote.ptr, cpnote.len, cid, (int64_t)seq - 1, seq,
			                 root, &cp);
		} else {
			pl_checkpoint cp;
			const char *sep = strstr(cpnote.ptr, "\n\n");
			if (!sep || pl_checkpoint_parse(&cp, cpnote.ptr,
			                                (size_t)(sep + 1 - cpnote.ptr)) < 0)
				problem(&v, (int64_t)seq - 1, cid, "checkpoint is malformed");
			else if (cp.size != seq || memcmp(cp.root, root, PL_HASH_LEN) != 0)
				problem(&v, (int64_t)seq - 1, cid,
				        "checkpoint does not match the entries");
		}
		/* Rule 6: the subject index note covers exactly the entries so far
		 * (its signature checked on the latest, as for checkpoints). */
		if (pl_smap_root(v.smap, root) < 0) {
			error = PL_ENOMEM;
			goto done;
		}
		if (pl_ledger__read_path(l, &snote, c, "subjects") < 0) {
			problem(&v, (int64_t)seq - 1, cid, "the subject index note is missing");
		} else {
			pl_buf text = PL_BUF_INIT;
			char origin[256];
			uint64_t ssize = 0;
			unsigned char sroot[PL_HASH_LEN];
			const char *sep = strstr(snote.ptr, "\n\n");
			if (ci + 1 == n &&
			    pl_note_verify(&text, snote.ptr, snote.len, l->origin, l->op) < 0)
				problem(&v, (int64_t)seq - 1, cid, "subject index note: %s",
				        pl_error_last());
			else if (!sep ||
			         pl_subjects_note_parse(snote.ptr, (size_t)(sep + 1 - snote.ptr),
			                                origin, &ssize, sroot) < 0)
				problem(&v, (int64_t)seq - 1, cid,
				        "the subject index note is malformed");
			else if (ssize != seq || strcmp(origin, l->origin) != 0 ||
			         memcmp(sroot, root, PL_HASH_LEN) != 0)
				problem(&v, (int64_t)seq - 1, cid,
				        "the subject index note does not match the entries");
			pl_buf_free(&text);
		}
		for (size_t j = 0; j < ndec; j++)
			if (entp[j])
				pl_entry__clear(&ents[j]);
	next:
		git_tree_free(prevtree);
		prevtree = tree;
		git_commit_free(c);
		c = NULL;
	}
	sigpool_finish(&pool);
	pool_started = 0;
	v.cur_key = INT64_MAX;
	check_tree(&v, headtree, &head, seq);
	check_head_blobs(&v, headtree);
	if (getenv("PL_VERIFY_STATS"))
		fprintf(stderr,
		        "verify: %llu entries, %zu commits, %zu attachments, %zu commits checked "
		        "exactly\n",
		        (unsigned long long)seq, n, v.att.n, v.nexact);
	r->size = mb.size;
	pl_merkle_builder_root(&mb, r->root);
	/* Rule 5: the old checkpoint is a prefix of today's tree. */
	if (have_since) {
		if (since_cp.size > seq)
			problem(
			    &v, -1, NULL,
			    "--since checkpoint has %llu entries; the ledger only %llu: history "
			    "was truncated",
			    (unsigned long long)since_cp.size, (unsigned long long)seq);
		else if (since_cp.size == 0) {
			unsigned char empty[PL_HASH_LEN];
			pl_merkle_empty(empty);
			if (memcmp(empty, since_cp.root, PL_HASH_LEN) != 0)
				problem(&v, -1, NULL, "--since checkpoint: bad empty root");
		} else if (!since_root_known || memcmp(since_root, since_cp.root, PL_HASH_LEN) != 0)
			problem(&v, -1, NULL,
			        "--since checkpoint (size %llu) is not a prefix of this ledger: "
			        "recorded history was rewritten",
			        (unsigned long long)since_cp.size);
	}
finish:
	render_problems(&v);
	error = r->nproblems ? PL_EVERIFY : PL_OK;
	if (r->nproblems > MAX_REPORTED)
		pl_buf_printf(&r->problems, "... and %zu more problems\n",
		              r->nproblems - MAX_REPORTED);
	if (error == PL_EVERIFY)
		pl_error_set(PL_EVERIFY, "verification failed: %zu problem%s", r->nproblems,
		             r->nproblems == 1 ? "" : "s");
done:
	if (pool_started)
		sigpool_finish(&pool);
	for (size_t i = 0; i < v.nprobs; i++)
		free(v.probs[i].text);
	free(v.probs);
	pthread_mutex_destroy(&v.mu);
	git_commit_free(c);
	git_tree_free(headtree);
	git_tree_free(prevtree);
	git_commit_free(headc);
	free(chain);
	free(v.done);
	free(v.cseq);
	pl_buf_free(&xd.buf);
	free(v.att.t);
	git_odb_free(v.odb);
	vsrc_release(&v);
	free(v.held);
	for (size_t i = 0; i < v.nfacts; i++)
		if (v.facts[i]) {
			pl_fact_clear(v.facts[i]);
			free(v.facts[i]);
		}
	free(v.facts);
	pl_smap_free(v.smap);
	pl_buf_free(&v.opfp);
	pl_buf_free(&env);
	pl_buf_free(&cpnote);
	pl_buf_free(&snote);
	free(seqs);
	free(leaves);
	free(ents);
	free(entp);
	return error;
}

void pl_verify_report_free(pl_verify_report *r)
{
	if (r)
		pl_buf_free(&r->problems);
}
