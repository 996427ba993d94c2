/*
 * index.c - the derived SQLite index (WAL mode): entries, the interior nodes
 * of the Merkle tree (complete aligned subtrees, so proofs cost O(log n)
 * lookups), and registered keys. Everything here can be rebuilt from git.
 */
#include <stdio.h>
#include <string.h>

#include "ledger_internal.h"

#define SCHEMA_VERSION "3" /* 3: the registry's work_fps a rowid table, work_spans */

static const char *schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, leaf BLOB NOT NULL,"
    " commit_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, keyid TEXT NOT NULL,"
    " created TEXT NOT NULL, statement TEXT NOT NULL, role TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS entries_type ON entries(type, name);"
    "CREATE INDEX IF NOT EXISTS entries_leaf ON entries(leaf);"
    "CREATE TABLE IF NOT EXISTS nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS keys(keyid TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " role TEXT NOT NULL, public_key TEXT NOT NULL, seq INTEGER NOT NULL,"
    " revoked_seq INTEGER NOT NULL DEFAULT -1);"
    /* the subject index (pl_subjects.h): checked against the signed root in
     * git before anything read from it is used */
    "CREATE TABLE IF NOT EXISTS subjects(subject TEXT PRIMARY KEY, bucket INTEGER NOT NULL,"
    " k BLOB NOT NULL, leaf BLOB NOT NULL, refs TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS subjects_bucket ON subjects(bucket);"
    "CREATE TABLE IF NOT EXISTS smt(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;";

int pl_ledger__db_error(sqlite3 *db, const char *what)
{
	return pl_error_set(PL_ERROR, "index: %s: %s", what,
	                    db ? sqlite3_errmsg(db) : "no database");
}

int pl_index__exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int e = pl_error_set(PL_ERROR, "index: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return e;
	}
	return PL_OK;
}

int pl_index__open(sqlite3 **out, const char *path)
{
	sqlite3 *db = NULL;
	pl_buf v = PL_BUF_INIT;
	int error;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		error = pl_ledger__db_error(db, path);
		goto done;
	}
	sqlite3_busy_timeout(db, 30000);
	if ((error = pl_index__exec(db, schema)) < 0) {
		int ec = sqlite3_extended_errcode(db) & 0xff;
		if (ec == SQLITE_NOTADB || ec == SQLITE_CORRUPT)
			error =
			    pl_error_set(PL_EINVALID,
			                 "%s is corrupt (%s); run 'provledger reindex' to rebuild "
			                 "it from git",
			                 path, sqlite3_errmsg(db));
		goto done;
	}
	for (size_t i = 0; pl_index__exts[i]; i++)
		if (pl_index__exts[i]->schema &&
		    (error = pl_index__exec(db, pl_index__exts[i]->schema)) < 0)
			goto done;
	if ((error = pl_index__meta_get(db, "schema", &v)) == PL_ENOTFOUND)
		error = pl_index__meta_set(db, "schema", SCHEMA_VERSION);
	else if (error == PL_OK && strcmp(v.ptr, SCHEMA_VERSION) != 0)
		error = pl_error_set(PL_EINVALID,
		                     "%s: index schema %s is not %s; run 'provledger reindex'",
		                     path, v.ptr, SCHEMA_VERSION);
	if (error < 0)
		goto done;
	*out = db;
	db = NULL;
done:
	if (db)
		sqlite3_close(db);
	pl_buf_free(&v);
	return error;
}

int pl_index__meta_get(sqlite3 *db, const char *k, pl_buf *v)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = ?", -1, &st, NULL) != SQLITE_OK)
		return pl_ledger__db_error(db, "meta");
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		pl_buf_clear(v);
		error = pl_buf_puts(v, (const char *)sqlite3_column_text(st, 0));
	} else if (rc == SQLITE_DONE) {
		error = PL_ENOTFOUND;
	} else {
		error = pl_ledger__db_error(db, "meta");
	}
	sqlite3_finalize(st);
	return error;
}

int pl_index__meta_set(sqlite3 *db, const char *k, const char *v)
{
	sqlite3_stmt *st = NULL;
	int error = PL_OK;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)", -1, &st,
	                       NULL) != SQLITE_OK)
		return pl_ledger__db_error(db, "meta");
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = pl_ledger__db_error(db, "meta");
	sqlite3_finalize(st);
	return error;
}

sqlite3_stmt *pl_index__stmt(pl_ledger *l, int which, const char *sql)
{
	sqlite3_stmt **st = &l->st[which];
	if (!*st &&
	    sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		pl_ledger__db_error(l->db, "prepare");
		*st = NULL;
		return NULL;
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return *st;
}

void pl_index__finalize_all(pl_ledger *l)
{
	for (size_t i = 0; i < sizeof(l->st) / sizeof(l->st[0]); i++) {
		sqlite3_finalize(l->st[i]);
		l->st[i] = NULL;
	}
	sqlite3_finalize(l->node_get);
	l->node_get = NULL;
}

int pl_ledger__meta_get(pl_ledger *l, const char *k, pl_buf *v)
{
	sqlite3_stmt *st = pl_index__stmt(l, PL_ST_META_GET, "SELECT v FROM meta WHERE k = ?");
	int error, rc;
	if (!st)
		return PL_ERROR;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		pl_buf_clear(v);
		error = pl_buf_puts(v, (const char *)sqlite3_column_text(st, 0));
	} else if (rc == SQLITE_DONE) {
		error = PL_ENOTFOUND;
	} else {
		error = pl_ledger__db_error(l->db, "meta");
	}
	sqlite3_reset(st);
	return error;
}

int pl_ledger__meta_set(pl_ledger *l, const char *k, const char *v)
{
	sqlite3_stmt *st =
	    pl_index__stmt(l, PL_ST_META_SET, "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)");
	int error = PL_OK;
	if (!st)
		return PL_ERROR;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = pl_ledger__db_error(l->db, "meta");
	sqlite3_reset(st);
	return error;
}

static int insert_node(pl_ledger *l, unsigned level, uint64_t idx, const unsigned char h[32])
{
	sqlite3_stmt *st = pl_index__stmt(
	    l, PL_ST_NODE_INS, "INSERT OR REPLACE INTO nodes(level, idx, hash) VALUES(?,?,?)");
	int error = PL_OK;
	if (!st)
		return PL_ERROR;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
	sqlite3_bind_blob(st, 3, h, PL_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = pl_ledger__db_error(l->db, "nodes");
	sqlite3_reset(st);
	return error;
}

/* Key entries register (or revoke) keys; everything else only adds a row. */
static int apply_key(pl_ledger *l, uint64_t seq, const pl_entry *e)
{
	json_t *pred = json_object_get(e->statement, "predicate");
	const char *name = json_string_value(json_object_get(pred, "name"));
	const char *role = json_string_value(json_object_get(pred, "role"));
	const char *pub = json_string_value(json_object_get(pred, "public_key"));
	const char *revokes = json_string_value(json_object_get(pred, "revokes"));
	pl_key *k = NULL;
	pl_buf fp = PL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error;

	if (!name || !role || !pub) {
		error = pl_error_set(PL_EINVALID, "key entry lacks name, role or public_key");
		goto done;
	}
	if ((error = pl_key_from_openssh(&k, NULL, pub, strlen(pub))) < 0 ||
	    (error = pl_key_fingerprint(&fp, k)) < 0)
		goto done;
	if (sqlite3_prepare_v2(l->db,
	                       "INSERT OR IGNORE INTO keys(keyid, name, role, public_key, seq)"
	                       " VALUES(?,?,?,?,?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		error = pl_ledger__db_error(l->db, "keys");
		goto done;
	}
	sqlite3_bind_text(st, 1, fp.ptr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)seq);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = pl_ledger__db_error(l->db, "keys");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (revokes) {
		if (sqlite3_prepare_v2(l->db,
		                       "UPDATE keys SET revoked_seq = ? WHERE keyid = ? AND"
		                       " revoked_seq < 0",
		                       -1, &st, NULL) != SQLITE_OK) {
			error = pl_ledger__db_error(l->db, "keys");
			goto done;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(st, 2, revokes, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = pl_ledger__db_error(l->db, "keys");
	}
done:
	sqlite3_finalize(st);
	pl_key_free(k);
	pl_buf_free(&fp);
	return error;
}

int pl_index__apply(pl_ledger *l, uint64_t seq, const git_oid *commit, const pl_entry *e,
                    const unsigned char leaf[PL_HASH_LEN])
{
	sqlite3_stmt *st = NULL;
	char cid[GIT_OID_HEXSZ + 1];
	char *stmt_text = NULL;
	int error;
	unsigned level;
	uint64_t n = seq + 1;

	git_oid_tostr(cid, sizeof(cid), commit);
	l->apply_commit = *commit;
	if ((stmt_text = json_dumps(e->statement, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((st = pl_index__stmt(l, PL_ST_ENTRY_INS,
	                         "INSERT INTO entries(seq, leaf, commit_id, type, name, keyid, "
	                         "created, statement, role) VALUES(?,?,?,?,?,?,?,?,?)")) == NULL) {
		error = PL_ERROR;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(st, 2, leaf, PL_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->dsse.keyid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->created, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, stmt_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, l->apply_role, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = pl_ledger__db_error(l->db, "entries");
		goto done;
	}
	/* The level-0 node, then every complete aligned subtree this leaf closes,
	 * carrying like pl_merkle_builder_add (which it replaces here). */
	if ((error = insert_node(l, 0, seq, leaf)) < 0)
		goto done;
	{
		unsigned char h[PL_HASH_LEN];
		memcpy(h, leaf, PL_HASH_LEN);
		for (level = 0; l->mb.size >> level & 1; level++) {
			pl_merkle_node(h, l->mb.stack[level], h);
			if ((error = insert_node(l, level + 1, (n >> (level + 1)) - 1, h)) < 0)
				goto done;
		}
		memcpy(l->mb.stack[level], h, PL_HASH_LEN);
		l->mb.size++;
	}
	if (strcmp(e->type, "key") == 0 && (error = apply_key(l, seq, e)) < 0)
		goto done;
	for (size_t i = 0; pl_index__exts[i]; i++) {
		if (pl_index__exts[i]->apply && (error = pl_index__exts[i]->apply(l, seq, e)) < 0) {
			pl_error_prefix(error, "index %s: seq %llu", pl_index__exts[i]->name,
			                (unsigned long long)seq);
			goto done;
		}
	}
	if ((error = pl_ledger__meta_set(l, "head", cid)) < 0)
		goto done;
	error = PL_OK;
done:
	if (st)
		sqlite3_reset(st);
	free(stmt_text);
	return error;
}

int pl_index__node(pl_ledger *l, unsigned level, uint64_t idx, unsigned char out[PL_HASH_LEN])
{
	int rc, error = PL_OK;
	if (!l->node_get &&
	    sqlite3_prepare_v2(l->db, "SELECT hash FROM nodes WHERE level = ? AND idx = ?", -1,
	                       &l->node_get, NULL) != SQLITE_OK)
		return pl_ledger__db_error(l->db, "nodes");
	sqlite3_bind_int(l->node_get, 1, (int)level);
	sqlite3_bind_int64(l->node_get, 2, (sqlite3_int64)idx);
	rc = sqlite3_step(l->node_get);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(l->node_get, 0) == PL_HASH_LEN)
		memcpy(out, sqlite3_column_blob(l->node_get, 0), PL_HASH_LEN);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		error = pl_error_set(
		    PL_EINVALID, "index: tree node (%u, %llu) missing; run 'provledger reindex'",
		    level, (unsigned long long)idx);
	else
		error = pl_ledger__db_error(l->db, "nodes");
	sqlite3_reset(l->node_get);
	return error;
}

int pl_index__load_builder(pl_ledger *l)
{
	int error;
	pl_merkle_builder_init(&l->mb);
	for (unsigned level = 0; level < 64; level++) {
		if (!(l->size >> level & 1))
			continue;
		if ((error = pl_index__node(l, level, (l->size >> level) - 1, l->mb.stack[level])) <
		    0)
			return error;
	}
	l->mb.size = l->size;
	return PL_OK;
}
