/*
 * logsess.c - a validation session over the ledger: the rules' source of
 * earlier entries when appending or catching the index up.
 *
 * Nothing is taken from the index unless git's signed data vouches for it:
 * the session starts from a commit whose SSHSIG it checks (the index's head),
 * reads earlier entries from that commit's tree, and reads the subject index
 * (refs of keys, names, entries) from index.sqlite only through a pl_smap
 * whose every bucket is checked against the signed root in that commit's
 * `subjects` note. Entries validated during the session are added to it, so
 * a batch (or a catch-up over many commits) sees its own earlier entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"
#include "pl_rules_engine.h"

typedef struct fnode {
	pl_fact f;
	struct fnode *next;
} fnode;

struct pl_lsess {
	pl_ledger *l;
	pl_smap *smap;
	pl_smap_base base;
	git_commit *commit; /* the verified commit earlier entries are read from (NULL: empty) */
	uint64_t base_size;
	fnode **facts; /* hash by seq */
	size_t nbuckets, nfacts;
	pl_refs **held; /* parsed refs, kept while one entry is checked */
	size_t nheld, capheld;
	pl_buf opfp;
	pl_rsrc src;
	sqlite3_stmt *q_bucket, *q_node, *w_subject, *w_node;
};

/* ---- the index as the smap's base -------------------------------------- */

static int base_bucket(void *ctx, unsigned b,
                       int (*fn)(void *arg, const char *subject, const char *refs, size_t len),
                       void *arg)
{
	pl_lsess *s = ctx;
	int rc, error = PL_OK;
	if (!s->q_bucket &&
	    sqlite3_prepare_v3(s->l->db, "SELECT subject, refs FROM subjects WHERE bucket = ?", -1,
	                       SQLITE_PREPARE_PERSISTENT, &s->q_bucket, NULL) != SQLITE_OK)
		return pl_ledger__db_error(s->l->db, "subjects");
	sqlite3_reset(s->q_bucket);
	sqlite3_bind_int(s->q_bucket, 1, (int)b);
	while ((rc = sqlite3_step(s->q_bucket)) == SQLITE_ROW) {
		const char *subj = (const char *)sqlite3_column_text(s->q_bucket, 0);
		const char *refs = (const char *)sqlite3_column_text(s->q_bucket, 1);
		if (!subj || !refs)
			continue;
		if ((error = fn(arg, subj, refs, (size_t)sqlite3_column_bytes(s->q_bucket, 1))) < 0)
			break;
	}
	if (error == PL_OK && rc != SQLITE_DONE)
		error = pl_ledger__db_error(s->l->db, "subjects");
	sqlite3_reset(s->q_bucket);
	return error;
}

static int base_node(void *ctx, unsigned level, unsigned idx, unsigned char out[PL_HASH_LEN])
{
	pl_lsess *s = ctx;
	int rc, error;
	if (!s->q_node &&
	    sqlite3_prepare_v3(s->l->db, "SELECT hash FROM smt WHERE level = ? AND idx = ?", -1,
	                       SQLITE_PREPARE_PERSISTENT, &s->q_node, NULL) != SQLITE_OK)
		return pl_ledger__db_error(s->l->db, "smt");
	sqlite3_reset(s->q_node);
	sqlite3_bind_int(s->q_node, 1, (int)level);
	sqlite3_bind_int(s->q_node, 2, (int)idx);
	rc = sqlite3_step(s->q_node);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s->q_node, 0) == PL_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(s->q_node, 0), PL_HASH_LEN);
		error = PL_OK;
	} else if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		error = PL_ENOTFOUND;
	} else {
		error = pl_ledger__db_error(s->l->db, "smt");
	}
	sqlite3_reset(s->q_node);
	return error;
}

static int sink_subject(void *ctx, const char *subject, unsigned bucket,
                        const unsigned char k[PL_HASH_LEN], const unsigned char leaf[PL_HASH_LEN],
                        const char *refs, size_t len)
{
	pl_lsess *s = ctx;
	if (!s->w_subject &&
	    sqlite3_prepare_v3(s->l->db,
	                       "INSERT OR REPLACE INTO subjects(subject, bucket, k, leaf, refs)"
	                       " VALUES(?,?,?,?,?)",
	                       -1, SQLITE_PREPARE_PERSISTENT, &s->w_subject, NULL) != SQLITE_OK)
		return pl_ledger__db_error(s->l->db, "subjects");
	sqlite3_reset(s->w_subject);
	sqlite3_bind_text(s->w_subject, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int(s->w_subject, 2, (int)bucket);
	sqlite3_bind_blob(s->w_subject, 3, k, PL_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s->w_subject, 4, leaf, PL_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s->w_subject, 5, refs, (int)len, SQLITE_STATIC);
	if (sqlite3_step(s->w_subject) != SQLITE_DONE)
		return pl_ledger__db_error(s->l->db, "subjects");
	sqlite3_reset(s->w_subject);
	return PL_OK;
}

static int sink_node(void *ctx, unsigned level, unsigned idx, const unsigned char h[PL_HASH_LEN])
{
	pl_lsess *s = ctx;
	if (!s->w_node &&
	    sqlite3_prepare_v3(s->l->db,
	                       "INSERT OR REPLACE INTO smt(level, idx, hash) VALUES(?,?,?)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &s->w_node, NULL) != SQLITE_OK)
		return pl_ledger__db_error(s->l->db, "smt");
	sqlite3_reset(s->w_node);
	sqlite3_bind_int(s->w_node, 1, (int)level);
	sqlite3_bind_int(s->w_node, 2, (int)idx);
	sqlite3_bind_blob(s->w_node, 3, h, PL_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(s->w_node) != SQLITE_DONE)
		return pl_ledger__db_error(s->l->db, "smt");
	sqlite3_reset(s->w_node);
	return PL_OK;
}

/* ---- facts ---------------------------------------------------------------- */

static size_t fhash(const pl_lsess *s, uint64_t seq)
{
	return (size_t)(seq * 0x9E3779B97F4A7C15ull) & (s->nbuckets - 1);
}

static pl_fact *cached(pl_lsess *s, uint64_t seq)
{
	for (fnode *n = s->nbuckets ? s->facts[fhash(s, seq)] : NULL; n; n = n->next)
		if (n->f.seq == seq)
			return &n->f;
	return NULL;
}

static int cache_put(pl_lsess *s, fnode *n)
{
	if (s->nfacts + 1 > s->nbuckets) {
		size_t nb = s->nbuckets ? s->nbuckets * 2 : 256;
		fnode **t = calloc(nb, sizeof(*t));
		if (!t)
			return pl_error_set(PL_ENOMEM, "out of memory");
		for (size_t i = 0; i < s->nbuckets; i++)
			for (fnode *x = s->facts[i], *nx; x; x = nx) {
				size_t h = (size_t)(x->f.seq * 0x9E3779B97F4A7C15ull) & (nb - 1);
				nx = x->next;
				x->next = t[h];
				t[h] = x;
			}
		free(s->facts);
		s->facts = t;
		s->nbuckets = nb;
	}
	n->next = s->facts[fhash(s, n->f.seq)];
	s->facts[fhash(s, n->f.seq)] = n;
	s->nfacts++;
	return PL_OK;
}

static int add_fact(pl_lsess *s, const pl_fact **out, uint64_t seq, const pl_entry *e,
                    const unsigned char leaf[PL_HASH_LEN])
{
	fnode *n = calloc(1, sizeof(*n));
	int error;
	if (!n)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_fact_from_entry(&n->f, seq, e, leaf)) < 0 ||
	    (error = cache_put(s, n)) < 0) {
		pl_fact_clear(&n->f);
		free(n);
		return error;
	}
	if (out)
		*out = &n->f;
	return PL_OK;
}

static int src_fact(void *ctx, const pl_fact **out, uint64_t seq)
{
	pl_lsess *s = ctx;
	pl_buf env = PL_BUF_INIT;
	unsigned char leaf[PL_HASH_LEN];
	char path[64];
	pl_entry e;
	int error;

	if ((*out = cached(s, seq)) != NULL)
		return PL_OK;
	if (!s->commit || seq >= s->base_size)
		return PL_ENOTFOUND;
	pl_ledger__entry_path(path, seq);
	if ((error = pl_ledger__read_path(s->l, &env, s->commit, path)) < 0)
		goto done;
	pl_merkle_leaf(leaf, env.ptr, env.len);
	if ((error = pl_entry__decode(&e, env.ptr, env.len)) < 0) {
		pl_error_prefix(error, "seq %llu", (unsigned long long)seq);
		goto done;
	}
	error = add_fact(s, out, seq, &e, leaf);
	pl_entry__clear(&e);
done:
	pl_buf_free(&env);
	return error;
}

static int src_refs(void *ctx, const pl_refs **out, const char *subject)
{
	pl_lsess *s = ctx;
	const char *text;
	size_t len;
	pl_refs *r;
	int error;

	if ((error = pl_smap_get(s->smap, &text, &len, subject)) < 0)
		return error;
	if (s->nheld == s->capheld) {
		size_t cap = s->capheld ? s->capheld * 2 : 16;
		pl_refs **p = realloc(s->held, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		s->held = p;
		s->capheld = cap;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if (text && (error = pl_refs_parse(r, subject, text, len)) < 0) {
		pl_refs_free(r);
		free(r);
		return error;
	}
	s->held[s->nheld++] = r;
	*out = r;
	return PL_OK;
}

/* Parsed refs are held only while one entry is checked. */
static void release_refs(pl_lsess *s)
{
	for (size_t i = 0; i < s->nheld; i++) {
		pl_refs_free(s->held[i]);
		free(s->held[i]);
	}
	s->nheld = 0;
}

/* ---- the session ------------------------------------------------------------ */

int pl_lsess__verify_commit(pl_ledger *l, const git_oid *id)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	int rc, error;
	rc = git_commit_extract_signature(&sig, &data, l->repo, (git_oid *)id, "gpgsig");
	if (rc < 0) {
		error = pl_error_set(PL_EVERIFY, "commit %.7s is not signed by the operator",
		                     git_oid_tostr_s(id));
	} else if (pl_sshsig_verify(NULL, l->op, sig.ptr, sig.size, "git", data.ptr, data.size) <
	           0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", pl_error_last());
		error =
		    pl_error_set(PL_EVERIFY,
		                 "commit %.7s: its signature does not verify under the operator "
		                 "key (%s)",
		                 git_oid_tostr_s(id), why);
	} else {
		error = PL_OK;
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}

int pl_lsess__subjects_root(pl_ledger *l, unsigned char root[PL_HASH_LEN], const git_commit *c,
                            uint64_t size)
{
	pl_buf note = PL_BUF_INIT, text = PL_BUF_INIT;
	char origin[256];
	uint64_t n = 0;
	int error;
	if ((error = pl_ledger__read_path(l, &note, c, "subjects")) < 0) {
		if (error == PL_ENOTFOUND)
			error = pl_error_set(PL_EVERIFY,
			                     "commit %.7s has no subject index note (a ledger made "
			                     "before provledger 0.2: rebuild it with a new init)",
			                     git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	if ((error = pl_note_verify(&text, note.ptr, note.len, l->origin, l->op)) < 0 ||
	    (error = pl_subjects_note_parse(text.ptr, text.len, origin, &n, root)) < 0) {
		pl_error_prefix(error, "commit %.7s: subjects", git_oid_tostr_s(git_commit_id(c)));
		error = PL_EVERIFY;
		goto done;
	}
	if (strcmp(origin, l->origin) != 0 || n != size)
		error = pl_error_set(PL_EVERIFY,
		                     "commit %.7s: its subject index note is for %s size %llu, not "
		                     "%s size %llu",
		                     git_oid_tostr_s(git_commit_id(c)), origin,
		                     (unsigned long long)n, l->origin, (unsigned long long)size);
done:
	pl_buf_free(&note);
	pl_buf_free(&text);
	return error;
}

int pl_lsess__open(pl_lsess **out, pl_ledger *l, const git_oid *base, uint64_t size)
{
	pl_lsess *s = calloc(1, sizeof(*s));
	int error, rc;

	if (!s)
		return pl_error_set(PL_ENOMEM, "out of memory");
	s->l = l;
	s->base_size = size;
	s->base.ctx = s;
	s->base.bucket = base_bucket;
	s->base.node = base_node;
	if ((error = pl_key_fingerprint(&s->opfp, l->op)) < 0)
		goto done;
	if (base) {
		if ((error = pl_lsess__verify_commit(l, base)) < 0)
			goto done;
		if ((rc = git_commit_lookup(&s->commit, l->repo, base)) < 0) {
			error = pl_ledger__git_error(rc, "commit");
			goto done;
		}
		if ((error = pl_lsess__subjects_root(l, s->base.root, s->commit, size)) < 0)
			goto done;
		/* the tree the index holds (l->mb, from its nodes) must be the one the
		 * signed checkpoint commits to: appends extend it */
		if (l->mb.size == size) {
			pl_buf cp = PL_BUF_INIT;
			pl_checkpoint c;
			unsigned char root[PL_HASH_LEN];
			const char *sep;
			pl_merkle_builder_root(&l->mb, root);
			error = pl_ledger__read_path(l, &cp, s->commit, "checkpoint");
			if (error == PL_OK &&
			    (!(sep = strstr(cp.ptr, "\n\n")) ||
			     pl_checkpoint_parse(&c, cp.ptr, (size_t)(sep + 1 - cp.ptr)) < 0 ||
			     c.size != size || memcmp(c.root, root, PL_HASH_LEN) != 0))
				error =
				    pl_error_set(PL_EINVALID,
				                 "index: its tree nodes do not lead to the "
				                 "checkpoint of size %llu: the index is corrupt; "
				                 "run 'provledger reindex'",
				                 (unsigned long long)size);
			pl_buf_free(&cp);
			if (error < 0)
				goto done;
		}
	}
	if ((error = pl_smap_new(&s->smap, base ? &s->base : NULL)) < 0)
		goto done;
	s->src.ctx = s;
	s->src.fact = src_fact;
	s->src.refs = src_refs;
	s->src.op = l->op;
	s->src.opfp = s->opfp.ptr;
	*out = s;
	s = NULL;
done:
	pl_lsess__free(s);
	return error;
}

int64_t pl_lsess__base_time(const pl_lsess *s)
{
	return s->commit ? (int64_t)git_commit_time(s->commit) : 0;
}

int pl_lsess__rebase(pl_lsess *s, const git_oid *commit, uint64_t size)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, s->l->repo, commit);
	if (rc < 0)
		return pl_ledger__git_error(rc, "commit");
	git_commit_free(s->commit);
	s->commit = c;
	s->base_size = size;
	return PL_OK;
}

pl_smap *pl_lsess__smap(pl_lsess *s)
{
	return s->smap;
}

const pl_rsrc *pl_lsess__src(pl_lsess *s)
{
	return &s->src;
}

int pl_lsess__check(pl_lsess *s, pl_verdict *v, uint64_t seq, const pl_entry *e)
{
	int error = pl_rules_check(v, &s->src, seq, e);
	if (error == PL_OK && (!v->verify_key || pl_dsse_verify(&e->dsse, v->verify_key) < 0))
		error = pl_error_set(PL_EVERIFY, "its DSSE signature does not verify under %s",
		                     e->dsse.keyid);
	release_refs(s);
	return error;
}

int pl_lsess__key_state(pl_lsess *s, pl_keystate *out, const char *keyid, uint64_t seq)
{
	int error = pl_rules_key_state(out, &s->src, keyid, seq);
	/* out->key points into the fact cache, which outlives the refs */
	release_refs(s);
	return error;
}

int pl_lsess__add(pl_lsess *s, uint64_t seq, const pl_entry *e,
                  const unsigned char leaf[PL_HASH_LEN])
{
	pl_edges edges = {0};
	int error;
	if ((error = pl_subjects_edges(&edges, e->type, e->statement)) == PL_OK &&
	    (error = pl_smap_add_edges(s->smap, seq, &edges)) == PL_OK && !cached(s, seq))
		error = add_fact(s, NULL, seq, e, leaf);
	pl_edges_free(&edges);
	return error;
}

int pl_lsess__root(pl_lsess *s, unsigned char root[PL_HASH_LEN])
{
	return pl_smap_root(s->smap, root);
}

int pl_lsess__flush(pl_lsess *s)
{
	pl_smap_sink sink = {s, sink_subject, sink_node};
	unsigned char root[PL_HASH_LEN];
	int error;
	if ((error = pl_smap_root(s->smap, root)) < 0)
		return error;
	return pl_smap_flush(s->smap, &sink);
}

void pl_lsess__free(pl_lsess *s)
{
	if (!s)
		return;
	release_refs(s);
	free(s->held);
	for (size_t i = 0; i < s->nbuckets; i++)
		for (fnode *n = s->facts[i], *nx; n; n = nx) {
			nx = n->next;
			pl_fact_clear(&n->f);
			free(n);
		}
	free(s->facts);
	pl_smap_free(s->smap);
	git_commit_free(s->commit);
	sqlite3_finalize(s->q_bucket);
	sqlite3_finalize(s->q_node);
	sqlite3_finalize(s->w_subject);
	sqlite3_finalize(s->w_node);
	pl_buf_free(&s->opfp);
	free(s);
}
