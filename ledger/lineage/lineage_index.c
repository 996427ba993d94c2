/*
 * lineage_index.c - the lineage tables in the index, filled entry by entry
 * (and so rebuilt by `reindex`), and the lookups on them.
 *
 * Indexing never refuses an entry: append has already validated it, and a
 * malformed predicate in a forged ledger must not make the ledger
 * unopenable, so such an entry simply adds no row. Only database failures
 * are errors.
 */
#include <stdio.h>
#include <string.h>

#include "lineage_internal.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS datasets(seq INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " version TEXT NOT NULL, check_seq INTEGER, created TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS datasets_name ON datasets(name, version);"
    "CREATE TABLE IF NOT EXISTS models(seq INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " version TEXT NOT NULL, frontier INTEGER NOT NULL, training_flop TEXT NOT NULL,"
    " parameters TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS models_name ON models(name, version);"
    "CREATE TABLE IF NOT EXISTS model_inputs(model_seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, input_seq INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS model_inputs_model ON model_inputs(model_seq);"
    "CREATE INDEX IF NOT EXISTS model_inputs_input ON model_inputs(input_seq, kind);"
    "CREATE TABLE IF NOT EXISTS attestations(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " subject_seq INTEGER NOT NULL, issuer_keyid TEXT NOT NULL, issuer_role TEXT NOT NULL,"
    " revoked_by_seq INTEGER);"
    "CREATE INDEX IF NOT EXISTS attestations_subject ON attestations(subject_seq);"
    /* every check report, its dataset (the dataset entry names its first check;
     * a recheck names its dataset) and the works it matched */
    "CREATE TABLE IF NOT EXISTS checks(seq INTEGER PRIMARY KEY, dataset_seq INTEGER,"
    " created TEXT NOT NULL, records INTEGER NOT NULL, matches INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checks_dataset ON checks(dataset_seq);"
    "CREATE TABLE IF NOT EXISTS check_works(check_seq INTEGER NOT NULL, work TEXT NOT NULL,"
    " matches INTEGER NOT NULL, PRIMARY KEY(check_seq, work)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS check_works_work ON check_works(work);"
    /* hardware batches, transfers and accepts (holdings are computed from
     * the entries, by the rules' own step function) */
    "CREATE TABLE IF NOT EXISTS hardware(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " name TEXT, batch_seq INTEGER, transfer_seq INTEGER, created TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hardware_batch ON hardware(batch_seq);"
    "CREATE INDEX IF NOT EXISTS hardware_name ON hardware(name);";

int pl_lineage__prepare(pl_ledger *l, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(pl_ledger__db(l), sql, -1, st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(pl_ledger__db(l), "lineage");
	return PL_OK;
}

/* Run a prepared statement to completion and finalize it. */
static int step_done(pl_ledger *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? PL_OK : pl_ledger__db_error(pl_ledger__db(l), "lineage");
}

/* The seq of an entry reference, or -1. */
static int64_t ref_seq(const json_t *ref)
{
	json_t *s = json_object_get(ref, "seq");
	return json_is_integer(s) && json_integer_value(s) >= 0 ? (int64_t)json_integer_value(s)
	                                                        : -1;
}

static int apply_dataset(pl_ledger *l, uint64_t seq, const pl_entry *e, json_t *pred)
{
	const char *name = pl_json_str(pred, "name"), *version = pl_json_str(pred, "version");
	int64_t check = ref_seq(json_object_get(pred, "check"));
	sqlite3_stmt *st = NULL;
	int error;
	if (!name || !version)
		return PL_OK;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "INSERT INTO datasets(seq, name, version, check_seq,"
	                                 " created) VALUES(?,?,?,?,?)")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	if (check >= 0)
		sqlite3_bind_int64(st, 4, check);
	sqlite3_bind_text(st, 5, e->created ? e->created : "", -1, SQLITE_STATIC);
	if ((error = step_done(l, st)) < 0 || check < 0)
		return error;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "UPDATE checks SET dataset_seq = ? WHERE seq = ? AND"
	                                 " dataset_seq IS NULL")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, check);
	return step_done(l, st);
}

static int apply_check(pl_ledger *l, uint64_t seq, const pl_entry *e, json_t *pred)
{
	json_t *matches = json_object_get(pred, "matches"), *counts = json_object(), *m, *v;
	json_int_t records =
	    json_integer_value(json_object_get(json_object_get(pred, "scanned"), "records"));
	int64_t ds = ref_seq(json_object_get(pred, "dataset"));
	sqlite3_stmt *st = NULL;
	const char *w;
	size_t i;
	int error;

	if (!counts)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_lineage__prepare(l, &st,
	                                 "INSERT INTO checks(seq, dataset_seq, created, records,"
	                                 " matches) VALUES(?,?,?,?,?)")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (ds >= 0)
		sqlite3_bind_int64(st, 2, ds);
	sqlite3_bind_text(st, 3, e->created ? e->created : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, records);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)json_array_size(matches));
	if ((error = step_done(l, st)) < 0)
		goto done;
	json_array_foreach(matches, i, m)
	{
		if (!(w = pl_json_str(m, "work")))
			continue;
		v = json_object_get(counts, w);
		json_object_set_new(counts, w, json_integer(v ? json_integer_value(v) + 1 : 1));
	}
	json_object_foreach(counts, w, v)
	{
		if ((error = pl_lineage__prepare(l, &st,
		                                 "INSERT INTO check_works(check_seq, work, matches)"
		                                 " VALUES(?,?,?)")) < 0)
			goto done;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, w, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, json_integer_value(v));
		if ((error = step_done(l, st)) < 0)
			goto done;
	}
done:
	json_decref(counts);
	return error;
}

static int apply_inputs(pl_ledger *l, uint64_t seq, json_t *refs, const char *kind)
{
	json_t *r;
	size_t i;
	int error;
	json_array_foreach(refs, i, r)
	{
		sqlite3_stmt *st = NULL;
		int64_t in = ref_seq(r);
		if (in < 0)
			continue;
		if ((error = pl_lineage__prepare(l, &st,
		                                 "INSERT INTO model_inputs(model_seq, kind,"
		                                 " input_seq) VALUES(?,?,?)")) < 0)
			return error;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, in);
		if ((error = step_done(l, st)) < 0)
			return error;
	}
	return PL_OK;
}

static int apply_model(pl_ledger *l, uint64_t seq, const pl_entry *e, json_t *pred)
{
	const char *name = pl_json_str(pred, "name"), *version = pl_json_str(pred, "version");
	const char *flop = pl_json_str(pred, "training_flop"),
	           *params = pl_json_str(pred, "parameters");
	sqlite3_stmt *st = NULL;
	int error;
	if (!name || !version || !flop || !params)
		return PL_OK;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "INSERT INTO models(seq, name, version, frontier,"
	                                 " training_flop, parameters, created)"
	                                 " VALUES(?,?,?,?,?,?,?)")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, json_is_true(json_object_get(pred, "frontier")));
	sqlite3_bind_text(st, 5, flop, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->created ? e->created : "", -1, SQLITE_STATIC);
	if ((error = step_done(l, st)) < 0 ||
	    (error = apply_inputs(l, seq, json_object_get(pred, "datasets"), "dataset")) < 0)
		return error;
	return apply_inputs(l, seq, json_object_get(pred, "base_models"), "base");
}

static int apply_attestation(pl_ledger *l, uint64_t seq, const pl_entry *e, json_t *pred)
{
	const char *kind = pl_json_str(pred, "kind");
	int64_t subject = ref_seq(json_object_get(pred, "subject"));
	int64_t revokes = ref_seq(json_object_get(pred, "revokes"));
	pl_buf role = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error;

	if (!kind || subject < 0)
		return PL_OK;
	/* the role in force the rules accepted it under, never the predicate's */
	if ((error = pl_buf_puts(&role, pl_ledger__applying_role(l)[0] ? pl_ledger__applying_role(l)
	                                                               : "none")) < 0)
		goto done;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "INSERT INTO attestations(seq, kind, subject_seq,"
	                                 " issuer_keyid, issuer_role) VALUES(?,?,?,?,?)")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, subject);
	sqlite3_bind_text(st, 4, e->dsse.keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, role.ptr, -1, SQLITE_STATIC);
	if ((error = step_done(l, st)) < 0)
		goto done;
	if (strcmp(kind, "revocation") == 0 && revokes >= 0) {
		/* only the key that signed an attestation revokes it, and only once */
		if ((error = pl_lineage__prepare(l, &st,
		                                 "UPDATE attestations SET revoked_by_seq = ? WHERE"
		                                 " seq = ? AND issuer_keyid = ? AND kind !="
		                                 " 'revocation' AND revoked_by_seq IS NULL")) < 0)
			goto done;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_int64(st, 2, revokes);
		sqlite3_bind_text(st, 3, e->dsse.keyid, -1, SQLITE_STATIC);
		error = step_done(l, st);
	}
done:
	pl_buf_free(&role);
	return error;
}

static int apply_hardware(pl_ledger *l, uint64_t seq, const pl_entry *e, json_t *pred)
{
	const char *kind = pl_json_str(pred, "kind");
	int64_t batch = ref_seq(json_object_get(pred, "batch"));
	int64_t transfer = ref_seq(json_object_get(pred, "transfer"));
	sqlite3_stmt *st = NULL;
	int error;
	if (!kind)
		return PL_OK;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "INSERT INTO hardware(seq, kind, name, batch_seq,"
	                                 " transfer_seq, created) VALUES(?,?,?,?,?,?)")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if (strcmp(kind, "batch") == 0)
		sqlite3_bind_text(st, 3, pl_json_str(pred, "name"), -1, SQLITE_STATIC);
	if (batch >= 0)
		sqlite3_bind_int64(st, 4, batch);
	if (transfer >= 0)
		sqlite3_bind_int64(st, 5, transfer);
	sqlite3_bind_text(st, 6, e->created ? e->created : "", -1, SQLITE_STATIC);
	return step_done(l, st);
}

static int apply(pl_ledger *l, uint64_t seq, const pl_entry *e)
{
	if (strcmp(e->type, "hardware") == 0)
		return apply_hardware(l, seq, e, json_object_get(e->statement, "predicate"));
	json_t *pred = json_object_get(e->statement, "predicate");
	if (strcmp(e->type, "dataset") == 0)
		return apply_dataset(l, seq, e, pred);
	if (strcmp(e->type, "check") == 0)
		return apply_check(l, seq, e, pred);
	if (strcmp(e->type, "model") == 0)
		return apply_model(l, seq, e, pred);
	if (strcmp(e->type, "attestation") == 0)
		return apply_attestation(l, seq, e, pred);
	return PL_OK;
}

const pl_index_ext pl_index_ext_lineage = {"lineage", schema, apply};

int pl_lineage_find(pl_ledger *l, uint64_t *seq, const char *type, const char *name_at_version)
{
	pl_buf name = PL_BUF_INIT, version = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error, rc;
	const char *sql;

	if (strcmp(type, "dataset") == 0)
		sql =
		    "SELECT seq FROM datasets WHERE name = ? AND version = ? ORDER BY seq LIMIT 1";
	else if (strcmp(type, "model") == 0)
		sql = "SELECT seq FROM models WHERE name = ? AND version = ? ORDER BY seq LIMIT 1";
	else
		return pl_error_set(PL_EUSAGE, "pl_lineage_find: unknown type '%s'", type);
	if ((error = pl_lineage_parse_ref(&name, &version, name_at_version)) < 0 ||
	    (error = pl_lineage__prepare(l, &st, sql)) < 0)
		goto done;
	sqlite3_bind_text(st, 1, name.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version.ptr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		error = PL_OK;
	} else if (rc == SQLITE_DONE) {
		error = pl_error_set(PL_ENOTFOUND, "no %s named %s", type, name_at_version);
	} else {
		error = pl_ledger__db_error(pl_ledger__db(l), type);
	}
done:
	sqlite3_finalize(st);
	pl_buf_free(&name);
	pl_buf_free(&version);
	return error;
}

int pl_lineage__row(pl_ledger *l, pl_lineage_row *out, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	int error;
	memset(out, 0, sizeof(*out));
	if (pl_ledger__has_git(l)) {
		/* the entry as git holds it (under the head's signed tree), never the
		 * index's copy of its statement */
		pl_buf env = PL_BUF_INIT;
		unsigned char leaf[PL_HASH_LEN];
		pl_entry e;
		if ((error = pl_ledger_entry(l, &env, seq)) == PL_OK &&
		    (error = pl_entry__decode(&e, env.ptr, env.len)) == PL_OK) {
			pl_merkle_leaf(leaf, env.ptr, env.len);
			snprintf(out->type, sizeof(out->type), "%s", e.type);
			pl_hex(out->leaf, leaf, PL_HASH_LEN);
			snprintf(out->keyid, sizeof(out->keyid), "%s", e.dsse.keyid);
			snprintf(out->created, sizeof(out->created), "%s", e.created);
			out->statement = json_incref(e.statement);
			pl_entry__clear(&e);
		}
		pl_buf_free(&env);
		return error;
	}
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT type, leaf, keyid, created, statement FROM"
	                                 " entries WHERE seq = ?")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == PL_HASH_LEN) {
		const char *s = (const char *)sqlite3_column_text(st, 4);
		snprintf(out->type, sizeof(out->type), "%s", sqlite3_column_text(st, 0));
		pl_hex(out->leaf, sqlite3_column_blob(st, 1), PL_HASH_LEN);
		snprintf(out->keyid, sizeof(out->keyid), "%s", sqlite3_column_text(st, 2));
		snprintf(out->created, sizeof(out->created), "%s", sqlite3_column_text(st, 3));
		error = pl_json_parse(&out->statement, s, strlen(s), "index statement");
	} else {
		error =
		    pl_error_set(PL_ENOTFOUND, "no entry %llu (the ledger has %llu)",
		                 (unsigned long long)seq, (unsigned long long)pl_ledger_size(l));
	}
	sqlite3_finalize(st);
	return error;
}

void pl_lineage__row_clear(pl_lineage_row *r)
{
	json_decref(r->statement);
	r->statement = NULL;
}

json_t *pl_lineage__ref(uint64_t seq, const char *leaf_hex, const char *name)
{
	json_t *o = json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "leaf", leaf_hex);
	if (o && name)
		json_object_set_new(o, "name", json_string(name));
	return o;
}

int pl_lineage_signer_role(pl_ledger *l, pl_buf *role, pl_buf *keyid, const pl_key *signer)
{
	pl_buf fp = PL_BUF_INIT;
	int error;
	if ((error = pl_key_fingerprint(&fp, signer)) < 0)
		goto done;
	if ((error = pl_ledger_key(l, NULL, role, fp.ptr)) < 0)
		goto done;
	if (!role->len)
		pl_buf_puts(role, "without a role in force");
	if (keyid) {
		pl_buf_clear(keyid);
		error = pl_buf_puts(keyid, fp.ptr);
	}
done:
	pl_buf_free(&fp);
	return error;
}
