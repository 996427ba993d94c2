/*
 * bundle.c - `export`: find the root, collect its closure from the ledger,
 * and write the bundle (canonical JSON, gzip, atomic rename).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle_internal.h"
#include "pl_index.h"
#include "pl_rules_engine.h"
#include "pl_lineage.h"
#include "pl_note.h"

/* ---- the ledger as a source of entries ---------------------------------- */

typedef struct {
	pl_ledger *l;
	pl_buf problem; /* the first dangling reference */
	pl_refs r;      /* the refs last asked for */
	json_t *asked;  /* subjects asked about (may be NULL) */
} lsrc;

static int node_from_row(pl_bnode *out, sqlite3_stmt *st)
{
	const void *leaf = sqlite3_column_blob(st, 1);
	const char *type = (const char *)sqlite3_column_text(st, 2);
	const char *keyid = (const char *)sqlite3_column_text(st, 3);
	const char *stmt = (const char *)sqlite3_column_text(st, 4);
	int error;

	memset(out, 0, sizeof(*out));
	out->seq = (uint64_t)sqlite3_column_int64(st, 0);
	if (!leaf || sqlite3_column_bytes(st, 1) != PL_HASH_LEN || !type || !keyid || !stmt)
		return pl_error_set(PL_ERROR, "index: entry %llu is incomplete",
		                    (unsigned long long)out->seq);
	memcpy(out->leaf, leaf, PL_HASH_LEN);
	snprintf(out->type, sizeof(out->type), "%s", type);
	snprintf(out->keyid, sizeof(out->keyid), "%s", keyid);
	if ((error = pl_json_parse(&out->st, stmt, (size_t)sqlite3_column_bytes(st, 4), "index")) <
	    0)
		return error;
	return PL_OK;
}

static int lsrc_get(void *ctx, pl_bnode *out, uint64_t seq)
{
	lsrc *s = ctx;
	sqlite3_stmt *st = NULL;
	int error = PL_ENOTFOUND;
	if (sqlite3_prepare_v2(
	        pl_ledger__db(s->l),
	        "SELECT seq, leaf, type, keyid, statement FROM entries WHERE seq = ?", -1, &st,
	        NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(s->l), "entries");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (seq <= INT64_MAX && sqlite3_step(st) == SQLITE_ROW)
		error = node_from_row(out, st);
	sqlite3_finalize(st);
	return error;
}

/* The refs of subject, from the validation session's subject index (every
 * bucket read checked against the signed root); each subject asked about is
 * remembered, so that the bundle carries its proof. */
static int lsrc_refs(void *ctx, const pl_refs **out, const char *subject)
{
	lsrc *s = ctx;
	const char *text;
	size_t len;
	int error;
	if ((error = pl_ledger__session(s->l)) < 0 ||
	    (error = pl_smap_get(pl_ledger__smap(s->l), &text, &len, subject)) < 0)
		return error;
	if (s->asked && !json_object_get(s->asked, subject))
		json_object_set_new(s->asked, subject, json_true());
	s->r.n = 0;
	if (text && (error = pl_refs_parse(&s->r, subject, text, len)) < 0)
		return error;
	*out = &s->r;
	return PL_OK;
}

static void lsrc_problem(void *ctx, uint64_t from, const char *msg)
{
	lsrc *s = ctx;
	if (!s->problem.len)
		pl_buf_printf(&s->problem, "seq %llu: %s", (unsigned long long)from, msg);
}

static int closure(pl_seqs *out, pl_ledger *l, pl_bundle_kind kind, uint64_t root, json_t *asked)
{
	lsrc s = {l, PL_BUF_INIT, {0}, asked};
	pl_bsource src = {&s, lsrc_get, lsrc_refs, lsrc_problem};
	pl_seqs tmp = {0};
	int error;

	if ((error = pl_ledger__sync(l)) < 0)
		goto done;
	if ((error = pl_bundle__closure(&tmp, &src, kind, root)) < 0)
		goto done;
	if (s.problem.len) {
		error =
		    pl_error_set(PL_EINVALID, "the ledger's lineage is broken: %s", s.problem.ptr);
		goto done;
	}
	pl_seqs_free(out);
	*out = tmp;
	memset(&tmp, 0, sizeof(tmp));
done:
	pl_seqs_free(&tmp);
	pl_buf_free(&s.problem);
	pl_refs_free(&s.r);
	return error;
}

int pl_bundle_closure(pl_seqs *out, pl_ledger *l, pl_bundle_kind kind, uint64_t root)
{
	return closure(out, l, kind, root, NULL);
}

/* ---- finding the root --------------------------------------------------- */

int pl_bundle_find_model(pl_ledger *l, uint64_t *seq, const char *nv)
{
	const char *at = nv ? strrchr(nv, '@') : NULL;
	if (!at || at == nv || !at[1])
		return pl_error_set(PL_EUSAGE, "'%s' is not NAME@VERSION", nv ? nv : "");
	/* the same model `lineage` shows */
	return pl_lineage_find(l, seq, "model", nv);
}

int pl_bundle_find_work(pl_ledger *l, uint64_t *seq, const char *id)
{
	sqlite3_stmt *st = NULL;
	char name[128];
	int error = PL_ENOTFOUND;
	if (!id || !*id || strlen(id) > 100)
		return pl_error_set(PL_EUSAGE, "'%s' is not a work id", id ? id : "");
	snprintf(name, sizeof(name), "work:%s", id);
	if (sqlite3_prepare_v2(pl_ledger__db(l),
	                       "SELECT seq FROM entries WHERE type = 'work' AND name = ?"
	                       " ORDER BY seq LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "entries");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		error = PL_OK;
	}
	sqlite3_finalize(st);
	if (error == PL_ENOTFOUND)
		error = pl_error_set(PL_ENOTFOUND, "no work %s in the ledger", id);
	return error;
}

/* The subjects whose refs verify-bundle's rules read besides those the
 * closure asked about: the names an entry registers. */
static void name_subjects(json_t *asked, const pl_bnode *n)
{
	json_t *pred = json_object_get(n->st, "predicate");
	pl_edges e = {0};
	if (pl_subjects_edges(&e, n->type, n->st) == PL_OK)
		for (size_t i = 0; i < e.n; i++)
			if (strncmp(e.v[i].subject, "name:", 5) == 0 ||
			    strncmp(e.v[i].subject, "keyname:", 8) == 0)
				json_object_set_new(asked, e.v[i].subject, json_true());
	(void)pred;
	pl_edges_free(&e);
}

/* {"note": <signed subject index note>, "proofs": {subject: {"refs", "bucket", "path"}}} */
static int subject_proofs(pl_ledger *l, json_t **out, json_t *asked)
{
	pl_buf note = PL_BUF_INIT, members = PL_BUF_INIT, b64 = PL_BUF_INIT;
	json_t *proofs = json_object(), *v;
	const char *subject;
	int error;

	if ((error = pl_ledger_subjects_at(l, &note, pl_ledger_size(l))) < 0 ||
	    (error = pl_ledger__session(l)) < 0)
		goto done;
	json_object_foreach(asked, subject, v)
	{
		unsigned char path[PL_SUBJ_LEVELS][PL_HASH_LEN];
		const char *text;
		size_t len, nm;
		json_t *p, *pa = json_array();
		pl_buf_clear(&members);
		pl_buf_clear(&b64);
		if ((error = pl_smap_get(pl_ledger__smap(l), &text, &len, subject)) < 0 ||
		    (error = pl_smap_prove(pl_ledger__smap(l), &members, &nm, path, subject)) < 0 ||
		    (error = pl_base64_encode(&b64, (const unsigned char *)members.ptr,
		                              members.len)) < 0) {
			json_decref(pa);
			goto done;
		}
		for (unsigned k = 0; k < PL_SUBJ_LEVELS; k++) {
			pl_buf h = PL_BUF_INIT;
			pl_base64_encode(&h, path[k], PL_HASH_LEN);
			json_array_append_new(pa, json_string(h.ptr));
			pl_buf_free(&h);
		}
		p = json_pack("{s:o, s:s, s:o}", "refs",
		              text ? json_stringn(text, len) : json_null(), "bucket",
		              b64.ptr ? b64.ptr : "", "path", pa);
		if (!p || json_object_set_new(proofs, subject, p) < 0) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
	}
	*out = json_pack("{s:s%, s:O}", "note", note.ptr, note.len, "proofs", proofs);
	error = *out ? PL_OK : pl_error_set(PL_ENOMEM, "out of memory");
done:
	json_decref(proofs);
	pl_buf_free(&note);
	pl_buf_free(&members);
	pl_buf_free(&b64);
	return error;
}

/* ---- writing ------------------------------------------------------------ */

/* Every 64-hex-digit run in text that names a blob in the ledger. */
static int collect_attachments(pl_ledger *l, json_t *atts, const char *text, size_t len)
{
	pl_buf blob = PL_BUF_INIT, b64 = PL_BUF_INIT;
	int error = PL_OK;
	for (size_t i = 0; i < len && error == PL_OK;) {
		size_t j = i;
		while (j < len && isxdigit((unsigned char)text[j]) &&
		       !isupper((unsigned char)text[j]))
			j++;
		if (j - i == 64) {
			char hex[65];
			memcpy(hex, text + i, 64);
			hex[64] = '\0';
			if (!json_object_get(atts, hex)) {
				pl_buf_clear(&blob);
				error = pl_ledger_attachment(l, &blob, hex);
				if (error == PL_ENOTFOUND) {
					error = PL_OK;
				} else if (error == PL_OK) {
					pl_buf_clear(&b64);
					if ((error = pl_base64_encode(
					         &b64, (const unsigned char *)blob.ptr,
					         blob.len)) == PL_OK &&
					    json_object_set_new(
					        atts, hex, json_string(b64.ptr ? b64.ptr : "")) < 0)
						error = pl_error_set(PL_ENOMEM, "out of memory");
				}
			}
		}
		i = j > i ? j : i + 1;
	}
	pl_buf_free(&blob);
	pl_buf_free(&b64);
	return error;
}

static int gzip_buf(pl_buf *out, const void *data, size_t len)
{
	z_stream z;
	int rc, error = PL_OK;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper (RFC 1952), mtime 0: reproducible */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return pl_error_set(PL_ENOMEM, "zlib: deflateInit2 failed");
	z.next_in = (unsigned char *)(uintptr_t)data;
	do {
		size_t chunk = len - (size_t)(z.next_in - (const unsigned char *)data);
		if (chunk > (1u << 30))
			chunk = 1u << 30;
		z.avail_in = (uInt)chunk;
		if ((error = pl_buf_grow(out, 1 << 16)) < 0)
			break;
		z.next_out = (unsigned char *)out->ptr + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		rc = deflate(&z,
		             (size_t)(z.next_in + z.avail_in - (const unsigned char *)data) == len
		                 ? Z_FINISH
		                 : Z_NO_FLUSH);
		out->len = out->cap - 1 - z.avail_out;
		if (rc == Z_STREAM_ERROR) {
			error = pl_error_set(PL_ERROR, "zlib: deflate failed");
			break;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return error;
}

int pl_bundle_write(pl_ledger *l, const char *path, pl_bundle_kind kind, uint64_t root,
                    pl_bundle_stats *stats)
{
	pl_seqs seqs = {0};
	pl_buf note = PL_BUF_INIT, vkey = PL_BUF_INIT, env = PL_BUF_INIT, proof = PL_BUF_INIT,
	       b64 = PL_BUF_INIT, doc = PL_BUF_INIT, gz = PL_BUF_INIT;
	json_t *bundle = NULL, *entries = NULL, *atts = NULL, *subj = NULL, *rootst = NULL,
	       *asked = json_object(), *subjects = NULL;
	pl_checkpoint cp;
	const char *sep, *rname;
	int error;

	if (!asked) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = closure(&seqs, l, kind, root, asked)) < 0)
		goto done;
	/* the latest checkpoint, with the witnesses' cosignatures kept for it */
	if ((error = pl_ledger_cosigned_at(l, &note, pl_ledger_size(l))) < 0)
		goto done;
	if ((sep = strstr(note.ptr, "\n\n")) == NULL ||
	    (error = pl_checkpoint_parse(&cp, note.ptr, (size_t)(sep + 1 - note.ptr))) < 0) {
		error = pl_error_set(PL_EINVALID, "the ledger's checkpoint is malformed");
		goto done;
	}
	if (seqs.n && seqs.seq[seqs.n - 1] >= cp.size) {
		error = pl_error_set(PL_ECONFLICT, "the checkpoint (size %llu) is behind the index",
		                     (unsigned long long)cp.size);
		goto done;
	}
	if ((error = pl_note_verifier_key(&vkey, pl_ledger_origin(l), pl_ledger_operator(l))) < 0 ||
	    (error = pl_ledger_statement(l, &rootst, root)) < 0)
		goto done;
	rname = json_string_value(
	    json_object_get(json_array_get(json_object_get(rootst, "subject"), 0), "name"));
	if (kind == PL_BUNDLE_MODEL) {
		/* a model is called model:NAME@VERSION, whatever its weights files */
		json_t *p = json_object_get(rootst, "predicate");
		pl_buf_printf(&b64, "model:%s@%s", json_string_value(json_object_get(p, "name")),
		              json_string_value(json_object_get(p, "version")));
		rname = b64.ptr;
	}
	entries = json_array();
	atts = json_object();
	subj = json_pack("{s:s, s:I, s:s}", "type", kind == PL_BUNDLE_MODEL ? "model" : "work",
	                 "seq", (json_int_t)root, "name", rname ? rname : "-");
	pl_buf_clear(&b64);
	if (!entries || !atts || !subj) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < seqs.n; i++) {
		json_t *pr = json_array(), *e;
		pl_dsse d;
		memset(&d, 0, sizeof(d));
		pl_buf_clear(&env);
		pl_buf_clear(&proof);
		if (!pr) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		if ((error = pl_ledger_entry(l, &env, seqs.seq[i])) < 0 ||
		    (error = pl_ledger_prove_inclusion(l, &proof, seqs.seq[i], cp.size)) < 0) {
			json_decref(pr);
			goto done;
		}
		for (size_t k = 0; k + PL_HASH_LEN <= proof.len; k += PL_HASH_LEN) {
			pl_buf_clear(&b64);
			pl_base64_encode(&b64, (const unsigned char *)proof.ptr + k, PL_HASH_LEN);
			json_array_append_new(pr, json_string(b64.ptr));
		}
		e = json_pack("{s:I, s:s%, s:o}", "seq", (json_int_t)seqs.seq[i], "envelope",
		              env.ptr ? env.ptr : "", env.len, "proof", pr);
		if (!e || json_array_append_new(entries, e) < 0) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		if ((error = pl_dsse_parse(&d, env.ptr, env.len)) == PL_OK)
			error = collect_attachments(l, atts, d.payload.ptr, d.payload.len);
		pl_dsse_clear(&d);
		if (error == PL_OK) {
			pl_bnode n;
			if ((error = lsrc_get(&(lsrc){l, PL_BUF_INIT, {0}, NULL}, &n,
			                      seqs.seq[i])) == PL_OK) {
				name_subjects(asked, &n);
				json_decref(n.st);
			}
		}
		if (error < 0) {
			pl_error_prefix(error, "entry %llu", (unsigned long long)seqs.seq[i]);
			goto done;
		}
	}
	if ((error = subject_proofs(l, &subjects, asked)) < 0)
		goto done;
	bundle = json_pack("{s:s, s:s, s:s%, s:s, s:O, s:O, s:O, s:O}", "format", PL_BUNDLE_FORMAT,
	                   "origin", pl_ledger_origin(l), "checkpoint", note.ptr, note.len,
	                   "operator_key", vkey.ptr, "subject", subj, "entries", entries,
	                   "attachments", atts, "subjects", subjects);
	if (!bundle) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_json_canonical(&doc, bundle)) < 0 ||
	    (error = gzip_buf(&gz, doc.ptr, doc.len)) < 0 ||
	    (error = pl_write_file_atomic(path, gz.ptr, gz.len, 0644)) < 0)
		goto done;
	if (stats) {
		stats->entries = seqs.n;
		stats->attachments = json_object_size(atts);
		stats->size = cp.size;
		stats->bytes = gz.len;
		stats->uncompressed = doc.len;
	}
done:
	pl_seqs_free(&seqs);
	json_decref(bundle);
	json_decref(entries);
	json_decref(atts);
	json_decref(subj);
	json_decref(rootst);
	json_decref(asked);
	json_decref(subjects);
	pl_buf_free(&note);
	pl_buf_free(&vkey);
	pl_buf_free(&env);
	pl_buf_free(&proof);
	pl_buf_free(&b64);
	pl_buf_free(&doc);
	pl_buf_free(&gz);
	return error;
}
