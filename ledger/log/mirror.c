/*
 * mirror.c - replicas of a ledger through git: a mirror clones the log,
 * verifies every commit as an index catch-up does, and `pull` accepts only
 * an append (a fast-forward whose new commits verify, consistent with the
 * checkpoint it held); `push` sends main to a plain git remote; and a git
 * pre-receive hook makes any git server refuse what is not an append.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "pl_note.h"
#include "pl_sshsig.h"

#define REF_MAIN "refs/heads/main"
#define REF_FETCHED "refs/provledger/upstream"

/* A ledger directory given as a source means its repo.git. */
static void source_url(pl_buf *out, const char *source)
{
	pl_buf p = PL_BUF_INIT;
	struct stat st;
	pl_buf_clear(out);
	pl_buf_printf(&p, "%s/repo.git", source);
	if (!strstr(source, "://") && stat(p.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		pl_buf_puts(out, p.ptr);
	else
		pl_buf_puts(out, source);
	pl_buf_free(&p);
}

/* The checkpoint in commit id's tree, its signature verified under op:
 * parsed into cp (and its note into note, may be NULL). */
static int commit_checkpoint(git_repository *repo, const git_oid *id, const char *origin,
                             const pl_key *op, pl_checkpoint *cp, pl_buf *note)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	pl_buf text = PL_BUF_INIT;
	int rc, error = PL_OK;
	if ((rc = git_commit_lookup(&c, repo, id)) < 0 || (rc = git_commit_tree(&t, c)) < 0 ||
	    (rc = git_tree_entry_bypath(&e, t, "checkpoint")) < 0 ||
	    (rc = git_blob_lookup(&b, repo, git_tree_entry_id(e))) < 0) {
		error =
		    pl_error_set(PL_EVERIFY, "commit %.7s has no checkpoint", git_oid_tostr_s(id));
		goto done;
	}
	if ((error = pl_note_verify(&text, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b),
	                            origin, op)) < 0 ||
	    (error = pl_checkpoint_parse(cp, text.ptr, text.len)) < 0) {
		pl_error_prefix(error, "commit %.7s: checkpoint", git_oid_tostr_s(id));
		goto done;
	}
	if (note) {
		pl_buf_clear(note);
		pl_buf_put(note, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	}
done:
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	pl_buf_free(&text);
	return error;
}

static void describe(char *out, size_t n, const pl_checkpoint *cp)
{
	pl_buf b = PL_BUF_INIT;
	pl_base64_encode(&b, cp->root, PL_HASH_LEN);
	snprintf(out, n, "size %llu root %s", (unsigned long long)cp->size, b.ptr ? b.ptr : "");
	pl_buf_free(&b);
}

int pl_ledger_mirror_init(pl_ledger **out, const char *dir, const char *source, const pl_key *trust)
{
	git_clone_options co;
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_commit *c = NULL;
	pl_buf url = PL_BUF_INIT, tmp = PL_BUF_INIT, path = PL_BUF_INIT, pub = PL_BUF_INIT;
	pl_checkpoint cp;
	json_t *cfg = NULL;
	char *s = NULL;
	const char *slash = strrchr(dir, '/');
	int rc, error, made = 0;
	pl_ledger *l = NULL;

	git_libgit2_init();
	git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION);
	if ((error = pl_ledger__check_init_dir(dir)) < 0)
		goto done;
	source_url(&url, source);
	pl_buf_printf(&tmp, "%.*s%s.mirror-%ld-%u", slash ? (int)(slash - dir + 1) : 0, dir,
	              slash ? slash + 1 : dir, (long)getpid(), (unsigned)time(NULL));
	if (mkdir(tmp.ptr, 0755) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", tmp.ptr, strerror(errno));
		goto done;
	}
	made = 1;
	pl_buf_printf(&path, "%s/repo.git", tmp.ptr);
	co.bare = 1;
	if ((rc = git_clone(&repo, url.ptr, path.ptr, &co)) < 0) {
		error = pl_ledger__git_error(rc, url.ptr);
		goto done;
	}
	/* a bare clone keeps the upstream's branches as refs/remotes/origin/ */
	if (git_reference_lookup(&head, repo, REF_MAIN) < 0) {
		git_oid id;
		if (git_reference_name_to_id(&id, repo, "refs/remotes/origin/main") == 0)
			git_reference_create(&head, repo, REF_MAIN, &id, 0,
			                     "provledger mirror init");
		git_repository_set_head(repo, REF_MAIN);
	}
	git_reference_free(head);
	head = NULL;
	if ((rc = git_reference_lookup(&head, repo, REF_MAIN)) < 0 ||
	    (rc = git_commit_lookup(&c, repo, git_reference_target(head))) < 0) {
		error = pl_error_set(PL_EINVALID, "%s has no %s: not a ledger", url.ptr, REF_MAIN);
		goto done;
	}
	/* the origin the head's checkpoint names, signed by the trusted key */
	{
		pl_buf note = PL_BUF_INIT;
		char origin[256] = "";
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		git_blob *b = NULL;
		if (git_commit_tree(&t, c) == 0 &&
		    git_tree_entry_bypath(&e, t, "checkpoint") == 0 &&
		    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0) {
			const char *p = git_blob_rawcontent(b), *nl;
			size_t n = (size_t)git_blob_rawsize(b);
			if ((nl = memchr(p, '\n', n)) && (size_t)(nl - p) < sizeof(origin)) {
				memcpy(origin, p, (size_t)(nl - p));
				origin[nl - p] = '\0';
			}
		}
		git_blob_free(b);
		git_tree_entry_free(e);
		git_tree_free(t);
		pl_buf_free(&note);
		if (!origin[0]) {
			error =
			    pl_error_set(PL_EINVALID, "%s: its head has no checkpoint", url.ptr);
			goto done;
		}
		if ((error = commit_checkpoint(repo, git_commit_id(c), origin, trust, &cp, NULL)) <
		    0) {
			pl_error_prefix(error, "%s", url.ptr);
			goto done;
		}
	}
	if ((error = pl_key_openssh(&pub, trust, NULL)) < 0)
		goto done;
	cfg = json_pack("{s:s, s:s, s:s, s:s, s:s}", "origin", cp.origin, "operator_public_key",
	                pub.ptr, "operator_key", "", "operator_name", git_commit_author(c)->name,
	                "upstream", source);
	if (!cfg || !(s = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s/config", tmp.ptr);
	if ((error = pl_write_file_atomic(path.ptr, s, strlen(s), 0644)) < 0)
		goto done;
	git_reference_free(head);
	head = NULL;
	git_commit_free(c);
	c = NULL;
	git_repository_free(repo);
	repo = NULL;
	/* every commit verified (signatures, entries, rules) as the index is built */
	if ((error = pl_ledger_open(&l, tmp.ptr)) < 0)
		goto done;
	pl_ledger_free(l);
	l = NULL;
	rmdir(dir);
	if (rename(tmp.ptr, dir) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
		goto done;
	}
	made = 0;
	error = pl_ledger_open(out, dir);
done:
	pl_ledger_free(l);
	git_reference_free(head);
	git_commit_free(c);
	git_repository_free(repo);
	if (made)
		pl_ledger__remove_tree(tmp.ptr);
	json_decref(cfg);
	free(s);
	pl_buf_free(&url);
	pl_buf_free(&tmp);
	pl_buf_free(&path);
	pl_buf_free(&pub);
	return error;
}

int pl_ledger_pull(pl_ledger *l, pl_pull_result *res)
{
	git_remote *remote = NULL;
	git_reference *ref = NULL;
	git_fetch_options fo;
	char *specs[] = {"+" REF_MAIN ":" REF_FETCHED};
	git_strarray refspecs = {specs, 1};
	pl_buf url = PL_BUF_INIT, proof = PL_BUF_INIT;
	git_oid old, neu;
	pl_checkpoint a, b;
	int rc, error, had = l->has_head;

	memset(res, 0, sizeof(*res));
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	if (!l->upstream)
		return pl_error_set(PL_EUSAGE,
		                    "%s is not a mirror (no upstream in its config: "
		                    "'provledger mirror init SOURCE')",
		                    l->dir);
	if ((error = pl_ledger__lock(l)) < 0)
		return error;
	if ((error = pl_ledger__sync(l)) < 0)
		goto done;
	old = l->head;
	res->old_size = l->size;
	source_url(&url, l->upstream);
	if ((rc = git_remote_create_anonymous(&remote, l->repo, url.ptr)) < 0 ||
	    (rc = git_remote_fetch(remote, &refspecs, &fo, NULL)) < 0) {
		error = pl_ledger__git_error(rc, url.ptr);
		goto done;
	}
	if ((rc = git_reference_name_to_id(&neu, l->repo, REF_FETCHED)) < 0) {
		error = pl_error_set(PL_EINVALID, "%s has no %s", url.ptr, REF_MAIN);
		goto done;
	}
	if (had && git_oid_equal(&neu, &old)) {
		res->new_size = l->size;
		goto done; /* up to date */
	}
	if ((error = commit_checkpoint(l->repo, &neu, l->origin, l->op, &b, NULL)) < 0) {
		pl_error_prefix(error, "%s", url.ptr);
		goto done;
	}
	if (had) {
		char da[120], db[120];
		if ((error = commit_checkpoint(l->repo, &old, l->origin, l->op, &a, NULL)) < 0)
			goto done;
		describe(da, sizeof(da), &a);
		describe(db, sizeof(db), &b);
		if (git_graph_descendant_of(l->repo, &neu, &old) != 1) {
			error = pl_error_set(
			    PL_EVERIFY,
			    "pull refused: %s's main (checkpoint %s) does not extend "
			    "this mirror's (checkpoint %s): the log was rewritten or "
			    "forked; nothing changed (the fetched commit is kept as %s "
			    "%s)",
			    url.ptr, db, da, REF_FETCHED, git_oid_tostr_s(&neu));
			goto done;
		}
		if (b.size < a.size) {
			error = pl_error_set(PL_EVERIFY,
			                     "pull refused: %s's checkpoint %s is smaller "
			                     "than this mirror's %s",
			                     url.ptr, db, da);
			goto done;
		}
	}
	/* move main to it; the catch-up verifies every new commit and entry */
	git_reference_free(ref);
	ref = NULL;
	if ((rc = git_reference_create_matching(&ref, l->repo, REF_MAIN, &neu, 1, had ? &old : NULL,
	                                        "provledger pull")) < 0) {
		error = pl_ledger__git_error(rc, "update " REF_MAIN);
		goto done;
	}
	if ((error = pl_ledger__sync(l)) < 0) {
		char why[600];
		git_reference *back = NULL;
		snprintf(why, sizeof(why), "%s", pl_error_last());
		if (had)
			git_reference_create(&back, l->repo, REF_MAIN, &old, 1,
			                     "provledger pull: undo");
		git_reference_free(back);
		pl_ledger__sync(l);
		error = pl_error_set(PL_EVERIFY,
		                     "pull refused: a new commit does not verify (%s); "
		                     "nothing changed",
		                     why);
		goto done;
	}
	/* and the checkpoint it held is a prefix of the new tree */
	if (had && a.size < b.size &&
	    ((error = pl_ledger_prove_consistency(l, &proof, a.size, b.size)) < 0 ||
	     pl_merkle_verify_consistency(a.size, b.size, a.root, b.root,
	                                  (const unsigned char *)proof.ptr,
	                                  proof.len / PL_HASH_LEN) < 0)) {
		error = pl_error_set(PL_EVERIFY, "pull: the new checkpoint is not consistent with "
		                                 "the one held");
		goto done;
	}
	res->new_size = l->size;
	res->pulled = 1;
done:
	pl_ledger__unlock(l);
	git_reference_free(ref);
	git_remote_free(remote);
	pl_buf_free(&url);
	pl_buf_free(&proof);
	return error;
}

int pl_ledger_push(pl_ledger *l, const char *remote_url)
{
	git_remote *remote = NULL;
	git_push_options po;
	char *specs[] = {REF_MAIN ":" REF_MAIN};
	git_strarray refspecs = {specs, 1};
	pl_buf url = PL_BUF_INIT;
	int rc, error = PL_OK;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	source_url(&url, remote_url);
	if ((rc = git_remote_create_anonymous(&remote, l->repo, url.ptr)) < 0 ||
	    (rc = git_remote_push(remote, &refspecs, &po)) < 0)
		error = pl_ledger__git_error(rc, url.ptr);
	git_remote_free(remote);
	pl_buf_free(&url);
	return error;
}

/* ---- the pre-receive hook ------------------------------------------------------ */

int pl_hook_pre_receive(const pl_key *trust, const char *input, size_t len, pl_buf *why)
{
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	const char *p = input, *end = input + len;
	int rc, error = PL_OK;

	git_libgit2_init();
	/* GIT_DIR and the quarantine's GIT_OBJECT_DIRECTORY, as git sets them */
	if ((rc = git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0)
		return pl_ledger__git_error(rc, "the repository of the hook");
	while (p < end && error == PL_OK) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char line[600], oldhex[64], newhex[64], refname[400];
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		git_oid old, neu, id;
		int is_new;
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
		         p);
		p += n + 1;
		if (!line[0])
			continue;
		if (sscanf(line, "%63s %63s %399s", oldhex, newhex, refname) != 3 ||
		    git_oid_fromstr(&old, oldhex) < 0 || git_oid_fromstr(&neu, newhex) < 0) {
			error = pl_error_set(PL_EINVALID, "pre-receive: malformed line '%s'", line);
			break;
		}
		if (strcmp(refname, REF_MAIN) != 0) {
			error = pl_error_set(PL_EVERIFY, "%s: a ledger takes pushes to %s only",
			                     refname, REF_MAIN);
			break;
		}
		if (git_oid_is_zero(&neu)) {
			error = pl_error_set(
			    PL_EVERIFY, "%s may not be deleted: the log is append-only", REF_MAIN);
			break;
		}
		is_new = git_oid_is_zero(&old);
		if (!is_new && !git_oid_equal(&old, &neu) &&
		    git_graph_descendant_of(repo, &neu, &old) != 1) {
			error = pl_error_set(PL_EVERIFY,
			                     "%s: %.12s does not extend %.12s: a rewrite of an "
			                     "append-only log is refused",
			                     REF_MAIN, newhex, oldhex);
			break;
		}
		/* every new commit signed by the operator key */
		if ((rc = git_revwalk_new(&walk, repo)) < 0 ||
		    (rc = git_revwalk_push(walk, &neu)) < 0 ||
		    (!is_new && (rc = git_revwalk_hide(walk, &old)) < 0)) {
			error = pl_ledger__git_error(rc, "walk");
			break;
		}
		while (error == PL_OK && git_revwalk_next(&id, walk) == 0) {
			git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
			if (git_commit_extract_signature(&sig, &data, repo, &id, "gpgsig") < 0 ||
			    pl_sshsig_verify(NULL, trust, sig.ptr, sig.size, "git", data.ptr,
			                     data.size) < 0)
				error = pl_error_set(
				    PL_EVERIFY, "commit %.12s is not signed by the operator key",
				    git_oid_tostr_s(&id));
			git_buf_dispose(&sig);
			git_buf_dispose(&data);
		}
		git_revwalk_free(walk);
		walk = NULL;
	}
	if (error < 0 && why)
		pl_buf_puts(why, pl_error_last());
	git_revwalk_free(walk);
	git_repository_free(repo);
	return error;
}
