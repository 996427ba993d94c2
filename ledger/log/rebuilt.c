/*
 * rebuilt.c - a ledger in memory rebuilt entry by entry from another copy of
 * the log (a remote log's entry bundles), with no git behind it: every entry
 * judged by the same rules as an append, its envelope kept for `show`, the
 * signed checkpoint the client verified as its head. Appends to it go to a
 * submit function (net/ sends them to the server) instead of git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_subjects.h"

int pl_ledger_open_rebuilt(pl_ledger **out, const char *origin, const pl_key *op,
                           int (*att_fn)(void *ctx, pl_buf *out, const char *hex), void *ctx)
{
	pl_ledger *l = NULL;
	int error;
	if ((error = pl_ledger__open_memory(&l, origin, op, att_fn, ctx)) < 0)
		return error;
	free(l->dir);
	if ((l->dir = strdup(origin)) == NULL) {
		pl_ledger_free(l);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	/* the rules' source for the whole rebuild: every entry is added to it */
	if ((error = pl_ledger__session(l)) < 0) {
		pl_ledger_free(l);
		return error;
	}
	l->rebuilt = 1;
	l->test_clock = 1; /* its own entries' time is the client's: the server judges it */
	*out = l;
	return PL_OK;
}

/* Keep entry seq's envelope (seq is l->size: one more than those kept). */
static int keep_envelope(pl_ledger *l, uint64_t seq, const char *env, size_t len)
{
	if (seq >= l->capenvs) {
		size_t cap = l->capenvs ? l->capenvs * 2 : 256;
		pl_buf *p = realloc(l->envs, cap * sizeof(*p));
		if (!p)
			return pl_error_set(PL_ENOMEM, "out of memory");
		memset(p + l->capenvs, 0, (cap - l->capenvs) * sizeof(*p));
		l->envs = p;
		l->capenvs = cap;
	}
	pl_buf_clear(&l->envs[seq]);
	return pl_buf_put(&l->envs[seq], env, len);
}

int pl_ledger_rebuild_add(pl_ledger *l, const char *env, size_t len)
{
	unsigned char leaf[PL_HASH_LEN];
	uint64_t seq = l->size;
	pl_verdict v;
	pl_entry e;
	int error;

	memset(&v, 0, sizeof(v));
	if (!l->rebuilt || !l->sess)
		return pl_error_set(PL_EUSAGE, "not a ledger being rebuilt");
	if ((error = pl_entry__decode(&e, env, len)) < 0) {
		pl_error_prefix(error, "entry %llu", (unsigned long long)seq);
		return error;
	}
	if ((error = pl_lsess__check(l->sess, &v, seq, &e)) < 0 ||
	    (error = pl_rules_check_time(e.created, seq ? l->last_created : NULL, -1)) < 0) {
		pl_error_prefix(error, "entry %llu (%s)", (unsigned long long)seq, e.type);
		goto done;
	}
	pl_merkle_leaf(leaf, env, len);
	if ((error = keep_envelope(l, seq, env, len)) < 0 ||
	    (error = pl_lsess__add(l->sess, seq, &e, leaf)) < 0 ||
	    (error = pl_ledger__memory_add(l, seq, &e, leaf, v.role)) < 0)
		goto done;
	l->size = seq + 1;
	snprintf(l->last_created, sizeof(l->last_created), "%s", e.created);
done:
	pl_verdict_clear(&v);
	pl_entry__clear(&e);
	return error;
}

int pl_ledger_rebuild_finish(pl_ledger *l, const char *note, size_t len)
{
	pl_buf text = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN];
	pl_checkpoint c;
	int error;
	if ((error = pl_note_verify(&text, note, len, l->origin, l->op)) < 0 ||
	    (error = pl_checkpoint_parse(&c, text.ptr, text.len)) < 0) {
		pl_error_prefix(error, "checkpoint");
		goto done;
	}
	pl_merkle_builder_root(&l->mb, root);
	if (strcmp(c.origin, l->origin) != 0 || c.size != l->size ||
	    memcmp(c.root, root, PL_HASH_LEN) != 0) {
		error =
		    pl_error_set(PL_EVERIFY,
		                 "the checkpoint (%s, size %llu) is not the tree of the %llu "
		                 "entries read",
		                 c.origin, (unsigned long long)c.size, (unsigned long long)l->size);
		goto done;
	}
	free(l->note);
	if ((l->note = malloc(len + 1)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(l->note, note, len);
	l->note[len] = '\0';
done:
	pl_buf_free(&text);
	return error;
}

int pl_ledger_rebuild_subjects(pl_ledger *l, const char *note, size_t len)
{
	pl_buf text = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN], want[PL_HASH_LEN];
	char origin[256];
	uint64_t size;
	int error;
	if ((error = pl_note_verify(&text, note, len, l->origin, l->op)) < 0 ||
	    (error = pl_subjects_note_parse(text.ptr, text.len, origin, &size, root)) < 0) {
		pl_error_prefix(error, "subject index");
		goto done;
	}
	if ((error = pl_lsess__root(l->sess, want)) < 0)
		goto done;
	if (strcmp(origin, l->origin) != 0 || size != l->size ||
	    memcmp(root, want, PL_HASH_LEN) != 0) {
		error = pl_error_set(PL_EVERIFY,
		                     "the signed subject index (%s, size %llu) is not the one of "
		                     "the %llu entries read",
		                     origin, (unsigned long long)size, (unsigned long long)l->size);
		goto done;
	}
	free(l->subjects_note);
	if ((l->subjects_note = strndup(note, len)) == NULL)
		error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	pl_buf_free(&text);
	return error;
}

void pl_ledger_set_submit(pl_ledger *l, pl_ledger_submit_fn fn, void *ctx)
{
	l->submit = fn;
	l->submit_ctx = ctx;
}

int pl_ledger__rebuilt_entry(pl_ledger *l, pl_buf *out, uint64_t seq)
{
	pl_buf_clear(out);
	if (seq >= l->size || seq >= l->capenvs || !l->envs[seq].ptr)
		return pl_error_set(PL_ENOTFOUND, "no entry %llu (the ledger has %llu)",
		                    (unsigned long long)seq, (unsigned long long)l->size);
	return pl_buf_put(out, l->envs[seq].ptr, l->envs[seq].len);
}

int pl_ledger__rebuilt_took(pl_ledger *l, uint64_t seq, const pl_entry *e,
                            const unsigned char leaf[PL_HASH_LEN], const char *role,
                            const char *env, size_t len)
{
	int error;
	if (seq != l->size) {
		/* others appended in between: what this copy holds is behind */
		l->moved = 1;
		return PL_OK;
	}
	if ((error = keep_envelope(l, seq, env, len)) < 0 ||
	    (error = pl_ledger__memory_add(l, seq, e, leaf, role)) < 0)
		return error;
	l->size = seq + 1;
	snprintf(l->last_created, sizeof(l->last_created), "%s", e->created);
	return PL_OK;
}

void pl_ledger__rebuilt_free(pl_ledger *l)
{
	for (size_t i = 0; i < l->capenvs; i++)
		pl_buf_free(&l->envs[i]);
	free(l->envs);
	free(l->note);
	free(l->subjects_note);
}
