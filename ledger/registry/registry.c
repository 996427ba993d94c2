/*
 * registry.c - works: fingerprints, registration, the registry tables in the
 * index (rebuilt from the work entries and their attachments by reindex),
 * and the matcher loaded from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_index.h"
#include "pl_regfile.h"
#include "pl_registry.h"

#define SCHEME_DEFAULT "k13w38"
#define SCHEME_ROBUST "k8w17"
#define SPAN_SCHEME_NAME "shingle16-v1"

int pl_work_prints_compute(pl_work_prints *out, const char *name, const char *text, size_t len)
{
	pl_tokens t = {0};
	pl_fps f = {0};
	char hex[65];
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = pl_tokenize(&t, text, len, 0)) < 0) {
		if (error == PL_EINVALID) {
			/* copy first: pl_error_set writes the buffer pl_error_last reads */
			char why[128];
			snprintf(why, sizeof(why), "%s", pl_error_last());
			error = pl_error_set(PL_EINVALID,
			                     "%s: byte %llu: %s (a work must be UTF-8 text)", name,
			                     (unsigned long long)t.bad_offset, why);
		}
		goto done;
	}
	if (t.count == 0) {
		error = pl_error_set(PL_EINVALID, "%s: empty: no words to fingerprint", name);
		goto done;
	}
	pl_sha256(out->sha256, text, len);
	pl_sha256(out->normalized_sha256, t.text.ptr, t.text.len);
	pl_hex(hex, out->normalized_sha256, PL_HASH_LEN);
	snprintf(out->id, sizeof(out->id), "W%.16s", hex);
	out->tokens = t.count;
	out->short_work = t.count < PL_WINNOW_K + PL_WINNOW_W - 1;
	if ((error = pl_winnow(&f, t.hash, t.count, PL_WINNOW_K, PL_WINNOW_W)) < 0 ||
	    (error = pl_fps_serialize(&out->fp, &f)) < 0)
		goto done;
	out->nfp = f.count;
	if ((error = pl_winnow(&f, t.hash, t.count, PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W)) < 0 ||
	    (error = pl_fps_serialize(&out->rfp, &f)) < 0)
		goto done;
	out->nrfp = f.count;
	if ((error = pl_span_hashes(&out->span, t.hash, t.count)) < 0)
		goto done;
	out->nspan = pl_span_count(t.count);
done:
	pl_tokens_free(&t);
	pl_fps_free(&f);
	if (error < 0)
		pl_work_prints_free(out);
	return error;
}

void pl_work_prints_free(pl_work_prints *p)
{
	if (!p)
		return;
	pl_buf_free(&p->fp);
	pl_buf_free(&p->rfp);
	pl_buf_free(&p->span);
}

static int valid_terms(const char *t)
{
	return strcmp(t, "all-rights-reserved") == 0 || strcmp(t, "opt-out") == 0 ||
	       (strncmp(t, "licensed:", 9) == 0 && t[9] != '\0');
}

static int existing_by_sha(pl_ledger *l, const char *hex, pl_buf *id)
{
	sqlite3_stmt *st = NULL;
	int error = PL_ENOTFOUND;
	if (sqlite3_prepare_v2(pl_ledger__db(l), "SELECT id FROM works WHERE normalized_sha256 = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "works");
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		pl_buf_clear(id);
		pl_buf_puts(id, (const char *)sqlite3_column_text(st, 0));
		error = PL_OK;
	}
	sqlite3_finalize(st);
	return error;
}

int pl_work_validate(pl_ledger *l, const pl_key *signer, const pl_work_prints *p,
                     const pl_work_meta *meta)
{
	pl_buf fp = PL_BUF_INIT, role = PL_BUF_INIT, id = PL_BUF_INIT;
	const char *terms = meta->terms ? meta->terms : "all-rights-reserved";
	char hex[65];
	int error;

	if (!meta->title || !*meta->title || !meta->holder || !*meta->holder) {
		error = pl_error_set(PL_EINVALID, "a work needs a title and a holder");
		goto done;
	}
	if (!valid_terms(terms)) {
		error = pl_error_set(PL_EINVALID,
		                     "terms '%s': expected all-rights-reserved, opt-out or "
		                     "licensed:<URL or text>",
		                     terms);
		goto done;
	}
	if ((error = pl_ledger_require_role(l, &fp, signer, "rights-holder", "work register")) < 0)
		goto done;
	pl_hex(hex, p->normalized_sha256, PL_HASH_LEN);
	if ((error = existing_by_sha(l, hex, &id)) == PL_OK) {
		error = pl_error_set(PL_ECONFLICT, "this text is already registered as %s", id.ptr);
		goto done;
	} else if (error != PL_ENOTFOUND) {
		goto done;
	}
	error = PL_OK;
done:
	pl_buf_free(&fp);
	pl_buf_free(&role);
	pl_buf_free(&id);
	return error;
}

static json_t *fp_json(unsigned k, unsigned w, size_t count, const pl_buf *blob)
{
	unsigned char d[PL_HASH_LEN];
	char hex[65];
	pl_sha256(d, blob->ptr ? blob->ptr : "", blob->len);
	pl_hex(hex, d, PL_HASH_LEN);
	return json_pack("{s:s, s:i, s:i, s:I, s:s}", "scheme", "winnow-v1", "k", (int)k, "w",
	                 (int)w, "count", (json_int_t)count, "sha256", hex);
}

static json_t *span_json(size_t count, const pl_buf *blob)
{
	unsigned char d[PL_HASH_LEN];
	char hex[65];
	pl_sha256(d, blob->ptr ? blob->ptr : "", blob->len);
	pl_hex(hex, d, PL_HASH_LEN);
	return json_pack("{s:s, s:i, s:i, s:I, s:s}", "scheme", SPAN_SCHEME_NAME, "k", PL_SPAN_K,
	                 "bits", PL_SPAN_BITS, "count", (json_int_t)count, "sha256", hex);
}

/* Add blob to att[0..*n) unless an equal blob is there: an empty list is the
 * same (empty) blob whichever attachment it is. */
static void add_attachment(pl_attachment *att, size_t *n, const pl_buf *blob)
{
	const char *data = blob->ptr ? blob->ptr : "";
	for (size_t i = 0; i < *n; i++)
		if (att[i].len == blob->len && memcmp(att[i].data, data, blob->len) == 0)
			return;
	att[*n].data = data;
	att[*n].len = blob->len;
	(*n)++;
}

/* The work statement of p and meta (subjects and predicate, owned by st) and
 * its attachments (att, borrowed from p). */
static int work_statement(pl_ledger *l, pl_statement *st, pl_attachment att[3],
                          const pl_key *signer, const pl_work_prints *p, const pl_work_meta *meta)
{
	json_t *creators;
	char hex[65], nhex[65], created[32], sname[40];
	size_t natt = 0;

	pl_hex(hex, p->sha256, PL_HASH_LEN);
	pl_hex(nhex, p->normalized_sha256, PL_HASH_LEN);
	pl_rfc3339(created, pl_ledger_time(l));
	snprintf(sname, sizeof(sname), "work:%s", p->id);
	creators = json_array();
	for (size_t i = 0; i < meta->ncreators; i++)
		json_array_append_new(creators, json_string(meta->creators[i]));
	memset(st, 0, sizeof(*st));
	st->signer = signer;
	st->type = "work";
	st->subjects = json_pack("[{s:s, s:{s:s}}]", "name", sname, "digest", "sha256", hex);
	st->predicate =
	    json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:o, s:o}", "created", created, "title",
	              meta->title, "creators", creators, "holder", meta->holder, "terms",
	              meta->terms ? meta->terms : "all-rights-reserved", "normalized_sha256", nhex,
	              "tokens", (json_int_t)p->tokens, "fingerprint",
	              fp_json(PL_WINNOW_K, PL_WINNOW_W, p->nfp, &p->fp), "robust_fingerprint",
	              fp_json(PL_WINNOW_ROBUST_K, PL_WINNOW_ROBUST_W, p->nrfp, &p->rfp));
	if (st->predicate && !p->no_spans &&
	    json_object_set_new(st->predicate, "span_hashes", span_json(p->nspan, &p->span)) < 0) {
		json_decref(st->predicate);
		st->predicate = NULL;
	}
	if (!st->subjects || !st->predicate) {
		json_decref(st->subjects);
		json_decref(st->predicate);
		st->subjects = st->predicate = NULL;
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	add_attachment(att, &natt, &p->fp);
	add_attachment(att, &natt, &p->rfp);
	if (!p->no_spans)
		add_attachment(att, &natt, &p->span);
	st->att = att;
	st->natt = natt;
	return PL_OK;
}

int pl_work_register(pl_ledger *l, pl_entry_ref *ref, const pl_key *signer, const pl_work_prints *p,
                     const pl_work_meta *meta)
{
	return pl_work_register_batch(l, ref, signer, &p, &meta, 1);
}

int pl_work_register_batch(pl_ledger *l, pl_entry_ref *refs, const pl_key *signer,
                           const pl_work_prints *const *p, const pl_work_meta *const *meta,
                           size_t n)
{
	pl_statement *st = calloc(n ? n : 1, sizeof(*st));
	pl_attachment(*att)[3] = calloc(n ? n : 1, sizeof(*att));
	int error = PL_OK;
	if (!st || !att) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n && error == PL_OK; i++)
		if ((error = pl_work_validate(l, signer, p[i], meta[i])) == PL_OK)
			error = work_statement(l, &st[i], att[i], signer, p[i], meta[i]);
	if (error == PL_OK)
		error = pl_ledger_append_statements(l, refs, st, n);
done:
	for (size_t i = 0; st && i < n; i++) {
		json_decref(st[i].subjects);
		json_decref(st[i].predicate);
	}
	free(st);
	free(att);
	return error;
}

/* ---- index extension ------------------------------------------------------ */

static int store_fps(pl_ledger *l, const char *id, const char *scheme, json_t *fp)
{
	const char *sha = json_string_value(json_object_get(fp, "sha256"));
	pl_buf blob = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error;
	/* Indexing never refuses an entry the rules accepted: a work without
	 * usable fingerprints stays in the registry for exact matches only. */
	if (!sha)
		return PL_OK;
	if ((error = pl_ledger__attachment_applying(l, &blob, sha)) == PL_ENOTFOUND) {
		/* An entry made by other software without its fingerprints: the work
		 * stays in the registry for exact matches only. */
		pl_buf_free(&blob);
		return PL_OK;
	}
	if (error < 0)
		return pl_error_prefix(error, "work %s", id);
	if (blob.len % 12 != 0 ||
	    blob.len / 12 != (size_t)json_integer_value(json_object_get(fp, "count"))) {
		error = PL_OK; /* not a fingerprint set: exact matches only */
		goto done;
	}
	if (sqlite3_prepare_v2(pl_ledger__db(l),
	                       "INSERT INTO work_fps(work, scheme, data) VALUES(?,?,?)", -1, &st,
	                       NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(pl_ledger__db(l), "work_fps");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scheme, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, blob.ptr ? blob.ptr : "", (int)blob.len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(l), "work_fps");
done:
	sqlite3_finalize(st);
	pl_buf_free(&blob);
	return error;
}

/* The span hashes of a work entry, stored when they are what the predicate
 * says (scheme, k, bits, one per token position); anything else leaves the
 * work without exact spans (`span: lower-bound`), never refused. */
static int store_spans(pl_ledger *l, const char *id, json_t *sp, json_int_t tokens)
{
	const char *sha = json_string_value(json_object_get(sp, "sha256"));
	const char *scheme = json_string_value(json_object_get(sp, "scheme"));
	pl_buf blob = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t count;
	int error;
	if (!sha || !scheme || strcmp(scheme, SPAN_SCHEME_NAME) != 0 ||
	    json_integer_value(json_object_get(sp, "k")) != PL_SPAN_K ||
	    json_integer_value(json_object_get(sp, "bits")) != PL_SPAN_BITS || tokens < 0)
		return PL_OK;
	count = pl_span_count((size_t)tokens);
	if ((json_int_t)count != json_integer_value(json_object_get(sp, "count")))
		return PL_OK;
	if ((error = pl_ledger__attachment_applying(l, &blob, sha)) == PL_ENOTFOUND) {
		pl_buf_free(&blob);
		return PL_OK;
	}
	if (error < 0)
		return pl_error_prefix(error, "work %s", id);
	if (blob.len != 2 * count) {
		error = PL_OK;
		goto done;
	}
	if (sqlite3_prepare_v2(pl_ledger__db(l), "INSERT INTO work_spans(work, data) VALUES(?,?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(pl_ledger__db(l), "work_spans");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, blob.ptr ? blob.ptr : "", (int)blob.len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(l), "work_spans");
done:
	sqlite3_finalize(st);
	pl_buf_free(&blob);
	return error;
}

static int index_work(pl_ledger *l, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *name = e->name, *id;
	char *creators = NULL;
	sqlite3_stmt *st = NULL;
	int error = PL_OK;

	if (strncmp(name, "work:", 5) != 0)
		return pl_error_set(PL_EINVALID, "work entry subject is not work:<id>");
	id = name + 5;
	creators = json_dumps(json_object_get(pred, "creators"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (sqlite3_prepare_v2(
	        pl_ledger__db(l),
	        "INSERT OR IGNORE INTO works(id, seq, title, holder, terms, creators,"
	        " normalized_sha256, tokens, created, nfp, nrfp)"
	        " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	        -1, &st, NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(pred, "title")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(pred, "holder")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_string_value(json_object_get(pred, "terms")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 6, creators ? creators : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, json_string_value(json_object_get(pred, "normalized_sha256")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, json_integer_value(json_object_get(pred, "tokens")));
	sqlite3_bind_text(st, 9, e->created, -1, SQLITE_STATIC);
	sqlite3_bind_int64(
	    st, 10,
	    json_integer_value(json_object_get(json_object_get(pred, "fingerprint"), "count")));
	sqlite3_bind_int64(st, 11,
	                   json_integer_value(json_object_get(
	                       json_object_get(pred, "robust_fingerprint"), "count")));
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
		goto done;
	}
	if (sqlite3_changes(pl_ledger__db(l)) == 0)
		goto done; /* the same work twice: the first registration stands */
	if ((error = store_fps(l, id, SCHEME_DEFAULT, json_object_get(pred, "fingerprint"))) < 0 ||
	    (error = store_fps(l, id, SCHEME_ROBUST, json_object_get(pred, "robust_fingerprint"))) <
	        0 ||
	    (error = store_spans(l, id, json_object_get(pred, "span_hashes"),
	                         json_integer_value(json_object_get(pred, "tokens")))) < 0)
		goto done;
done:
	sqlite3_finalize(st);
	free(creators);
	return error;
}

static int registry_apply(pl_ledger *l, uint64_t seq, const pl_entry *e)
{
	if (strcmp(e->type, "work") == 0)
		return index_work(l, seq, e);
	return PL_OK;
}

const pl_index_ext pl_index_ext_registry = {
    "registry",
    "CREATE TABLE IF NOT EXISTS works(id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
    " title TEXT NOT NULL, holder TEXT NOT NULL, terms TEXT NOT NULL, creators TEXT NOT NULL,"
    " normalized_sha256 TEXT NOT NULL, tokens INTEGER NOT NULL, created TEXT NOT NULL,"
    " nfp INTEGER NOT NULL, nrfp INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS works_sha ON works(normalized_sha256);"
    /* Rowid tables: a WITHOUT ROWID table keeps its rows, blobs and all, in
     * the b-tree its lookups search, and SQLite reads a cell's whole payload
     * (every overflow page) to compare its key: a 10,000-work registry read
     * 11 GB to load 560 MB of fingerprints. Here lookups go through the small
     * (work, scheme) index and read each blob once. */
    "CREATE TABLE IF NOT EXISTS work_fps(work TEXT NOT NULL, scheme TEXT NOT NULL,"
    " data BLOB NOT NULL, PRIMARY KEY(work, scheme));"
    /* the span hashes apart: read only for works a record hits */
    "CREATE TABLE IF NOT EXISTS work_spans(work TEXT PRIMARY KEY, data BLOB NOT NULL);",
    registry_apply,
};

/* ---- queries ---------------------------------------------------------------- */

static int each_work(pl_ledger *l, const char *id, pl_work_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc, error = PL_OK, n = 0;
	if (sqlite3_prepare_v2(
	        pl_ledger__db(l),
	        "SELECT id, title, holder, terms, creators, normalized_sha256, created,"
	        " seq, tokens, nfp, nrfp, (SELECT length(data) FROM work_spans"
	        " WHERE work = works.id) FROM works WHERE (?1 IS NULL OR id = ?1)"
	        " ORDER BY seq",
	        -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "works");
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_work_info w;
		w.id = (const char *)sqlite3_column_text(st, 0);
		w.title = (const char *)sqlite3_column_text(st, 1);
		w.holder = (const char *)sqlite3_column_text(st, 2);
		w.terms = (const char *)sqlite3_column_text(st, 3);
		w.creators = (const char *)sqlite3_column_text(st, 4);
		w.normalized_sha256 = (const char *)sqlite3_column_text(st, 5);
		w.created = (const char *)sqlite3_column_text(st, 6);
		w.seq = (uint64_t)sqlite3_column_int64(st, 7);
		w.tokens = (uint64_t)sqlite3_column_int64(st, 8);
		w.nfp = (uint64_t)sqlite3_column_int64(st, 9);
		w.nrfp = (uint64_t)sqlite3_column_int64(st, 10);
		w.has_spans = sqlite3_column_type(st, 11) != SQLITE_NULL;
		w.nspan = (uint64_t)sqlite3_column_int64(st, 11) / 2;
		n++;
		if ((error = fn(ctx, &w)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (error == PL_OK && id && n == 0)
		error = pl_error_set(PL_ENOTFOUND, "no work %s in the registry", id);
	return error;
}

int pl_registry_list(pl_ledger *l, pl_work_fn fn, void *ctx)
{
	return each_work(l, NULL, fn, ctx);
}

int pl_registry_get(pl_ledger *l, const char *id, pl_work_fn fn, void *ctx)
{
	return each_work(l, id, fn, ctx);
}

uint64_t pl_registry_count(pl_ledger *l)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(pl_ledger__db(l), "SELECT count(*) FROM works", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* pl_span_fn over the index: the work's span-hash row. */
static int load_spans(void *ctx, pl_buf *out, const pl_match_work *w)
{
	pl_ledger *l = ctx;
	sqlite3_stmt *st = NULL;
	int rc, error = PL_OK;
	if (sqlite3_prepare_v2(pl_ledger__db(l), "SELECT data FROM work_spans WHERE work = ?", -1,
	                       &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "work_spans");
	sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		error = pl_buf_put(out, sqlite3_column_blob(st, 0),
		                   (size_t)sqlite3_column_bytes(st, 0));
	else if (rc != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(l), "work_spans");
	sqlite3_finalize(st);
	return error;
}

/* Called for each work that has fingerprints in the scheme, in order of
 * registration: g its index among them, fp its nfps records. */
typedef int (*scheme_work_fn)(void *ctx, uint64_t g, const pl_match_work *w,
                              const unsigned char *fp, size_t nfps);

static int each_scheme_work(pl_ledger *l, int robust, scheme_work_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL, *fp = NULL;
	uint64_t g = 0;
	int rc, error = PL_OK;
	/* The works by seq (small rows, sorted), then each one's fingerprints by
	 * key: sorting the blobs with the rows would copy them through a temporary
	 * file. length() reads a blob's size from its header, not its pages: the
	 * span hashes themselves are read only for works that records hit. */
	if (sqlite3_prepare_v2(pl_ledger__db(l),
	                       "SELECT id, normalized_sha256, tokens,"
	                       " (SELECT length(data) FROM work_spans s WHERE s.work = w.id)"
	                       " FROM works w ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(pl_ledger__db(l),
	                       "SELECT data FROM work_fps WHERE work = ? AND scheme = ?", -1, &fp,
	                       NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
		goto done;
	}
	sqlite3_bind_text(fp, 2, robust ? SCHEME_ROBUST : SCHEME_DEFAULT, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_match_work w = {0};
		const char *sha = (const char *)sqlite3_column_text(st, 1);
		int frc;
		snprintf(w.id, sizeof(w.id), "%s", (const char *)sqlite3_column_text(st, 0));
		if (!sha || pl_unhex(w.normalized_sha256, PL_HASH_LEN, sha, strlen(sha)) < 0) {
			error = pl_error_set(PL_EINVALID,
			                     "index: work %s has a bad digest; run "
			                     "'provledger reindex'",
			                     w.id);
			goto done;
		}
		w.tokens = (uint32_t)sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    (size_t)sqlite3_column_int64(st, 3) == 2 * pl_span_count(w.tokens)) {
			w.has_spans = 1;
			w.nspans = (uint32_t)pl_span_count(w.tokens);
		}
		sqlite3_reset(fp);
		sqlite3_bind_text(fp, 1, w.id, -1, SQLITE_TRANSIENT);
		if ((frc = sqlite3_step(fp)) == SQLITE_DONE)
			continue; /* no fingerprints in this scheme: not matched */
		if (frc != SQLITE_ROW) {
			error = pl_ledger__db_error(pl_ledger__db(l), "work_fps");
			goto done;
		}
		if ((error = fn(ctx, g++, &w, sqlite3_column_blob(fp, 0),
		                (size_t)sqlite3_column_bytes(fp, 0) / 12)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
done:
	sqlite3_finalize(st);
	sqlite3_finalize(fp);
	return error;
}

/* The document frequencies of a registry part: an open-addressing table of
 * fingerprint hashes, each with its count of works (bit 31: slot used, bit
 * 30: held by one of the part's works) and the last work counted. */
#define DF_USED 0x80000000U
#define DF_HELD 0x40000000U
#define DF_COUNT 0x3fffffffU
typedef struct {
	uint64_t h;
	uint32_t df, last;
} df_slot;

typedef struct {
	pl_matcher *m;
	uint32_t index, count;
	df_slot *v;
	size_t cap, n; /* cap a power of two */
	uint64_t works;
} part_ctx;

static size_t df_hash(uint64_t h, size_t cap)
{
	h ^= h >> 31;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 17) & (cap - 1);
}

static int df_grow(part_ctx *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	df_slot *v = calloc(cap, sizeof(*v));
	if (!v)
		return pl_error_set(PL_ENOMEM,
		                    "out of memory: the registry part's fingerprint counts");
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;
		if (!(c->v[i].df & DF_USED))
			continue;
		for (j = df_hash(c->v[i].h, cap); v[j].df & DF_USED; j = (j + 1) & (cap - 1))
			;
		v[j] = c->v[i];
	}
	free(c->v);
	c->v = v;
	c->cap = cap;
	return PL_OK;
}

/* The slot of h; with add, a new one if it has none (else NULL). */
static int df_find(df_slot **out, part_ctx *c, uint64_t h, int add)
{
	size_t j;
	int error;
	*out = NULL;
	if (c->cap) {
		for (j = df_hash(h, c->cap); c->v[j].df & DF_USED; j = (j + 1) & (c->cap - 1))
			if (c->v[j].h == h) {
				*out = &c->v[j];
				return PL_OK;
			}
	}
	if (!add)
		return PL_OK;
	if (2 * (c->n + 1) > c->cap && (error = df_grow(c)) < 0)
		return error;
	for (j = df_hash(h, c->cap); c->v[j].df & DF_USED; j = (j + 1) & (c->cap - 1))
		;
	c->v[j].h = h;
	c->v[j].df = DF_USED;
	c->v[j].last = 0;
	c->n++;
	*out = &c->v[j];
	return PL_OK;
}

/* Pass 1: the part's works into the matcher, their fingerprints held. */
static int part_add(void *ctx, uint64_t g, const pl_match_work *w, const unsigned char *fp,
                    size_t nfps)
{
	part_ctx *c = ctx;
	int error;
	c->works = g + 1;
	if (c->count > 1 && g % c->count != c->index)
		return PL_OK;
	if ((error = pl_matcher_add(c->m, w, fp, nfps)) < 0)
		return error;
	for (size_t i = 0; c->count > 1 && i < nfps; i++) {
		df_slot *sl;
		uint64_t h = 0;
		for (int b = 0; b < 8; b++)
			h |= (uint64_t)fp[12 * i + b] << (8 * b);
		if ((error = df_find(&sl, c, h, 1)) < 0)
			return error;
		sl->df |= DF_HELD;
	}
	return PL_OK;
}

/* Pass 2: every work's fingerprints counted, where the part needs them. */
static int part_count(void *ctx, uint64_t g, const pl_match_work *w, const unsigned char *fp,
                      size_t nfps)
{
	part_ctx *c = ctx;
	int error;
	(void)w;
	if (g >= (uint64_t)UINT32_MAX)
		return pl_error_set(PL_ELIMIT, "registry part: too many works");
	for (size_t i = 0; i < nfps; i++) {
		df_slot *sl;
		uint64_t h = 0;
		for (int b = 0; b < 8; b++)
			h |= (uint64_t)fp[12 * i + b] << (8 * b);
		if ((error = df_find(&sl, c, h, pl_match_owner(h, c->count) == c->index)) < 0)
			return error;
		if (sl && sl->last != (uint32_t)(g + 1)) {
			if ((sl->df & DF_COUNT) < DF_COUNT)
				sl->df++;
			sl->last = (uint32_t)(g + 1);
		}
	}
	return PL_OK;
}

static int cmp_df(const void *a, const void *b)
{
	const pl_match_df *x = a, *y = b;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int pl_registry_matcher_part(pl_matcher **out, pl_ledger *l, int robust, uint32_t index,
                             uint32_t count)
{
	part_ctx c = {0};
	pl_match_df *df = NULL;
	uint64_t *ghost = NULL;
	size_t ndf = 0, nghost = 0;
	int error;
	if (count == 0 || index >= count)
		return pl_error_set(PL_EUSAGE,
		                    "registry part %u/%u: the index must be below the count", index,
		                    count);
	if ((error = pl_matcher_new(&c.m, robust ? PL_WINNOW_ROBUST_K : PL_WINNOW_K,
	                            robust ? PL_WINNOW_ROBUST_W : PL_WINNOW_W)) < 0)
		return error;
	c.index = index;
	c.count = count;
	if ((error = each_scheme_work(l, robust, part_add, &c)) < 0)
		goto done;
	if (count > 1) {
		if ((error = each_scheme_work(l, robust, part_count, &c)) < 0)
			goto done;
		for (size_t i = 0; i < c.cap; i++)
			if ((c.v[i].df & DF_USED) && (c.v[i].df & DF_COUNT) >= 2) {
				ndf++;
				nghost += !(c.v[i].df & DF_HELD);
			}
		if ((ndf && !(df = malloc(ndf * sizeof(*df)))) ||
		    (nghost && !(ghost = malloc(nghost * sizeof(*ghost))))) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		ndf = nghost = 0;
		for (size_t i = 0; i < c.cap; i++)
			if ((c.v[i].df & DF_USED) && (c.v[i].df & DF_COUNT) >= 2) {
				df[ndf++] = (pl_match_df){c.v[i].h, c.v[i].df & DF_COUNT, 0};
				if (!(c.v[i].df & DF_HELD))
					ghost[nghost++] = c.v[i].h;
			}
		free(c.v);
		c.v = NULL;
		if (ndf > 1)
			qsort(df, ndf, sizeof(*df), cmp_df);
		if (nghost > 1) /* the table's order must not depend on the hash table's */
			qsort(ghost, nghost, sizeof(*ghost), cmp_u64);
		if ((error = pl_matcher_set_part(c.m, index, count, c.works, df, ndf, ghost,
		                                 nghost)) < 0)
			goto done;
	}
	pl_matcher_set_spans(c.m, load_spans, l);
	if ((error = pl_matcher_seal(c.m)) < 0)
		goto done;
	*out = c.m;
	c.m = NULL;
done:
	free(c.v);
	free(df);
	free(ghost);
	pl_matcher_free(c.m);
	return error;
}

int pl_registry_matcher(pl_matcher **out, pl_ledger *l, int robust)
{
	return pl_registry_matcher_part(out, l, robust, 0, 1);
}

int pl_registry_build(pl_regfile_info *info, pl_ledger *l, const char *path, int robust,
                      uint32_t index, uint32_t count)
{
	pl_matcher *m = NULL;
	unsigned char root[PL_HASH_LEN];
	uint64_t size = pl_ledger_size(l);
	int error;
	if ((error = pl_ledger_root(l, root, size)) == PL_OK &&
	    (error = pl_registry_matcher_part(&m, l, robust, index, count)) == PL_OK)
		error = pl_regfile_write(info, m, path, size, root);
	pl_matcher_free(m);
	return error;
}

int pl_registry_matcher_file(pl_matcher **out, pl_regfile_info *info, pl_ledger *l,
                             const char *path, int robust)
{
	pl_matcher *m = NULL;
	pl_regfile_info fi;
	unsigned char root[PL_HASH_LEN];
	sqlite3_stmt *st = NULL;
	unsigned k = robust ? PL_WINNOW_ROBUST_K : PL_WINNOW_K;
	unsigned w = robust ? PL_WINNOW_ROBUST_W : PL_WINNOW_W;
	int64_t since = 0;
	int error;

	if ((error = pl_regfile_map(&m, &fi, path)) < 0)
		return error;
	if (fi.k != k || fi.w != w) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: a registry file for k=%u w=%u; this check uses k=%u w=%u "
		                     "(build it %s --robust)",
		                     path, fi.k, fi.w, k, w, robust ? "with" : "without");
		goto done;
	}
	if (fi.ledger_size > pl_ledger_size(l) ||
	    (error = pl_ledger_root(l, root, fi.ledger_size)) < 0 ||
	    memcmp(root, fi.root, PL_HASH_LEN) != 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: built from another ledger (its state at size %llu is not "
		                     "this ledger's)",
		                     path, (unsigned long long)fi.ledger_size);
		goto done;
	}
	if (sqlite3_prepare_v2(pl_ledger__db(l), "SELECT count(*) FROM works WHERE seq >= ?", -1,
	                       &st, NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fi.ledger_size);
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = pl_ledger__db_error(pl_ledger__db(l), "works");
		goto done;
	}
	if ((since = sqlite3_column_int64(st, 0)) > 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: stale: built at ledger size %llu, and %lld work%s been "
		                     "registered since (run 'provledger registry build' again)",
		                     path, (unsigned long long)fi.ledger_size, (long long)since,
		                     since == 1 ? " has" : "s have");
		goto done;
	}
	pl_matcher_set_spans(m, load_spans, l);
	if ((error = pl_matcher_seal(m)) < 0)
		goto done;
	if (info)
		*info = fi;
	*out = m;
	m = NULL;
done:
	sqlite3_finalize(st);
	pl_matcher_free(m);
	return error;
}
