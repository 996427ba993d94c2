/*
 * hardware.c - the hardware registry (pl_hardware.h): batches, transfers,
 * accepts, and the holdings the lineage rules read. Holdings are computed by
 * the rules' own step function (pl_rules_hw_step) over the index's hardware
 * table, so the registry shows exactly what append enforces.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineage_internal.h"
#include "pl_hardware.h"
#include "pl_rules_engine.h"

/* ---- holdings from the index ------------------------------------------- */

int pl_lineage__holdings(pl_ledger *l, pl_hw_holdings *out, uint64_t batch, int64_t at)
{
	pl_lineage_row b = {0};
	sqlite3_stmt *st = NULL;
	int error, rc;

	pl_hw_holdings_free(out);
	if ((error = pl_lineage__row(l, &b, batch)) < 0)
		return error;
	if (strcmp(b.type, "hardware") != 0) {
		error = pl_error_set(PL_EINVALID, "entry %llu is not a hardware batch",
		                     (unsigned long long)batch);
		goto done;
	}
	if ((error = pl_rules_hw_start(out, batch, json_object_get(b.statement, "predicate"))) < 0)
		goto done;
	{
		/* before the batch was registered, nobody held its chips */
		int64_t made;
		if (at >= 0 && pl_rules_parse_time(&made, b.created) == PL_OK && made > at) {
			for (size_t i = 0; i < out->n; i++)
				out->v[i].owner[0] = '\0';
			goto done;
		}
	}
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq, transfer_seq, created FROM hardware"
	                                 " WHERE batch_seq = ? ORDER BY seq")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)batch);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_lineage_row e = {0}, t = {0};
		int64_t when;
		const char *created = (const char *)sqlite3_column_text(st, 2);
		if (at >= 0 && pl_rules_parse_time(&when, created ? created : "") == PL_OK &&
		    when > at)
			break;
		if ((error = pl_lineage__row(l, &e, (uint64_t)sqlite3_column_int64(st, 0))) < 0)
			break;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    (error = pl_lineage__row(l, &t, (uint64_t)sqlite3_column_int64(st, 1))) < 0) {
			pl_lineage__row_clear(&e);
			break;
		}
		error = pl_rules_hw_step(out, (uint64_t)sqlite3_column_int64(st, 0),
		                         json_object_get(e.statement, "predicate"),
		                         (uint64_t)sqlite3_column_int64(st, 1),
		                         t.statement ? json_object_get(t.statement, "predicate")
		                                     : NULL);
		pl_lineage__row_clear(&e);
		pl_lineage__row_clear(&t);
		if (error < 0)
			break;
	}
	if (error == PL_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		error = pl_ledger__db_error(pl_ledger__db(l), "hardware");
done:
	sqlite3_finalize(st);
	pl_lineage__row_clear(&b);
	return error;
}

/* ---- register ------------------------------------------------------------- */

int pl_hardware_register(pl_ledger *l, pl_entry_ref *out, const pl_key *signer,
                         const pl_hw_batch_spec *spec)
{
	pl_buf keyid = PL_BUF_INIT, list = PL_BUF_INIT, peak = PL_BUF_INIT, line = PL_BUF_INIT;
	pl_merkle_builder mb;
	json_t *pred = NULL, *subjects = NULL, *seen = json_object();
	unsigned char d[PL_HASH_LEN], root[PL_HASH_LEN];
	char created[32], hex[65], mhex[65], lhex[65];
	uint64_t count = 0, n;
	pl_attachment att;
	int error;

	pl_merkle_builder_init(&mb);
	if ((error = pl_ledger_require_role(l, &keyid, signer, "vendor", "hardware register")) < 0)
		goto done;
	if ((error = pl_lineage_check_name(spec->name, "batch name")) < 0)
		goto done;
	if (!spec->model || !*spec->model || !spec->jurisdiction || !*spec->jurisdiction ||
	    !spec->owner || !spec->peak_flops) {
		error =
		    pl_error_set(PL_EINVALID, "a batch needs --model, --peak-flops, --owner and "
		                              "--jurisdiction");
		goto done;
	}
	if ((error = pl_lineage_parse_number(&peak, spec->peak_flops)) < 0) {
		pl_error_prefix(error, "--peak-flops");
		goto done;
	}
	if (pl_hardware_find(l, &n, spec->name) == PL_OK) {
		error =
		    pl_error_set(PL_ECONFLICT, "hardware batch %s is already registered (seq %llu)",
		                 spec->name, (unsigned long long)n);
		goto done;
	}
	pl_error_clear();
	for (size_t i = 0, ln = 1; i < spec->serials_len; ln++) {
		size_t j = i, a, b;
		while (j < spec->serials_len && spec->serials[j] != '\n')
			j++;
		a = i;
		b = j;
		while (a < b && isspace((unsigned char)spec->serials[a]))
			a++;
		while (b > a && isspace((unsigned char)spec->serials[b - 1]))
			b--;
		i = j + 1;
		if (a == b)
			continue;
		for (size_t k = a; k < b; k++)
			if ((unsigned char)spec->serials[k] < 0x20 || spec->serials[k] == 0x7f) {
				error = pl_error_set(
				    PL_EINVALID, "serial list line %zu: a control character", ln);
				goto done;
			}
		if (b - a > 256) {
			error = pl_error_set(PL_EINVALID,
			                     "serial list line %zu: a serial longer than 256 bytes",
			                     ln);
			goto done;
		}
		pl_sha256(d, spec->serials + a, b - a);
		pl_hex(hex, d, PL_HASH_LEN);
		if (json_object_get(seen, hex)) {
			error =
			    pl_error_set(PL_EINVALID, "serial list line %zu: serial '%.*s' again",
			                 ln, (int)(b - a), spec->serials + a);
			goto done;
		}
		json_object_set_new(seen, hex, json_true());
		pl_merkle_leaf(root, d, PL_HASH_LEN);
		pl_merkle_builder_add(&mb, root);
		pl_buf_printf(&list, "%s\n", hex);
		if (++count > 1000000000u) {
			error = pl_error_set(PL_ELIMIT, "more than 10^9 serials in one batch");
			goto done;
		}
	}
	if (count == 0) {
		error = pl_error_set(PL_EINVALID, "the serial list holds no serial number");
		goto done;
	}
	pl_merkle_builder_root(&mb, root);
	pl_hex(mhex, root, PL_HASH_LEN);
	pl_sha256(d, list.ptr, list.len);
	pl_hex(lhex, d, PL_HASH_LEN);
	pl_rfc3339(created, pl_ledger_time(l));
	pred = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "created",
	                 created, "kind", "batch", "name", spec->name, "model", spec->model,
	                 "count", (json_int_t)count, "peak_flops", peak.ptr, "vendor", keyid.ptr,
	                 "owner", spec->owner, "jurisdiction", spec->jurisdiction, "serials",
	                 "sha256", lhex, "merkle", mhex);
	pl_buf_printf(&line, "hardware:%s", spec->name);
	subjects = json_pack("[{s:s, s:{s:s}}]", "name", line.ptr, "digest", "sha256", lhex);
	if (!pred || !subjects) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	att.data = list.ptr;
	att.len = list.len;
	error = pl_ledger_append_statement(l, out, signer, "hardware", subjects, pred, &att, 1);
	subjects = pred = NULL;
done:
	json_decref(pred);
	json_decref(subjects);
	json_decref(seen);
	pl_buf_free(&keyid);
	pl_buf_free(&list);
	pl_buf_free(&peak);
	pl_buf_free(&line);
	return error;
}

int pl_hardware_find(pl_ledger *l, uint64_t *seq, const char *batch)
{
	sqlite3_stmt *st = NULL;
	int error, all_digits = batch && *batch;
	for (const char *p = batch; p && *p; p++)
		all_digits &= *p >= '0' && *p <= '9';
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq FROM hardware WHERE kind = 'batch' AND"
	                                 " (name = ?1 OR seq = ?2) ORDER BY name = ?1 DESC, seq"
	                                 " LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, batch ? batch : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, all_digits && strlen(batch) < 19 ? atoll(batch) : -1);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		error = PL_OK;
	} else {
		error = pl_error_set(PL_ENOTFOUND, "no hardware batch %s", batch ? batch : "");
	}
	sqlite3_finalize(st);
	return error;
}

/* ---- transfer and accept ---------------------------------------------------- */

int pl_hardware_transfer(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const char *batch,
                         const char *to, uint64_t count, const char *jurisdiction)
{
	pl_buf keyid = PL_BUF_INIT;
	pl_hw_holdings h = {0};
	pl_lineage_row b = {0};
	pl_key_status ks;
	json_t *pred = NULL, *subjects = NULL;
	uint64_t seq, held = 0, pending = 0;
	char created[32];
	int64_t pick = -1;
	int error;

	if ((error = pl_key_fingerprint(&keyid, signer)) < 0 ||
	    (error = pl_hardware_find(l, &seq, batch)) < 0 ||
	    (error = pl_lineage__holdings(l, &h, seq, -1)) < 0 ||
	    (error = pl_lineage__row(l, &b, seq)) < 0)
		goto done;
	if (!jurisdiction || !*jurisdiction) {
		error = pl_error_set(PL_EINVALID,
		                     "a transfer needs --jurisdiction (where the chips go)");
		goto done;
	}
	if ((error = pl_ledger_key_status(l, &ks, to)) < 0)
		goto done;
	if (!ks.registered || ks.revoked_seq >= 0) {
		error = pl_error_set(PL_ENOTFOUND, "the recipient %s is %s", to,
		                     ks.registered ? "revoked" : "not a registered key");
		goto done;
	}
	for (size_t i = 0; i < h.n; i++) {
		if (strcmp(h.v[i].owner, keyid.ptr) != 0)
			continue;
		held += h.v[i].count;
		if (h.v[i].pending >= 0)
			pending += h.v[i].count;
		if (pick < 0 && h.v[i].pending < 0 && h.v[i].count >= (count ? count : 1))
			pick = (int64_t)i;
	}
	if (pick < 0) {
		error =
		    held == 0
		        ? pl_error_set(PL_EVERIFY,
		                       "the signer %s holds no chip of batch %s (seq %llu)",
		                       keyid.ptr, batch, (unsigned long long)seq)
		        : pl_error_set(PL_EINVALID,
		                       "the signer holds %llu chips of batch %s (%llu in "
		                       "transfers not yet accepted), but no run of %llu free "
		                       "chips in a row: transfer fewer",
		                       (unsigned long long)held, batch, (unsigned long long)pending,
		                       (unsigned long long)(count ? count : 1));
		goto done;
	}
	pl_rfc3339(created, pl_ledger_time(l));
	pred = json_pack(
	    "{s:s, s:s, s:o, s:s, s:{s:I, s:I}, s:s}", "created", created, "kind", "transfer",
	    "batch",
	    pl_lineage__ref(seq, b.leaf,
	                    pl_json_str(json_object_get(b.statement, "predicate"), "name")),
	    "to", to, "chips", "from", (json_int_t)h.v[pick].from, "count",
	    (json_int_t)(count ? count : h.v[pick].count), "jurisdiction", jurisdiction);
	subjects =
	    json_pack("[{s:s, s:{s:s}}]", "name", "hardware-transfer", "digest", "sha256", b.leaf);
	if (!pred || !subjects) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	error = pl_ledger_append_statement(l, out, signer, "hardware", subjects, pred, NULL, 0);
	subjects = pred = NULL;
done:
	json_decref(pred);
	json_decref(subjects);
	pl_lineage__row_clear(&b);
	pl_hw_holdings_free(&h);
	pl_buf_free(&keyid);
	return error;
}

int pl_hardware_accept(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, uint64_t transfer)
{
	pl_lineage_row t = {0}, b = {0};
	json_t *pred = NULL, *subjects = NULL, *tp, *bref;
	char created[32];
	int error;

	if ((error = pl_lineage__row(l, &t, transfer)) < 0)
		goto done;
	tp = json_object_get(t.statement, "predicate");
	if (strcmp(t.type, "hardware") != 0 ||
	    strcmp(pl_json_str(tp, "kind") ? pl_json_str(tp, "kind") : "", "transfer") != 0) {
		error = pl_error_set(PL_EINVALID, "entry %llu is not a hardware transfer",
		                     (unsigned long long)transfer);
		goto done;
	}
	bref = json_object_get(tp, "batch");
	pl_rfc3339(created, pl_ledger_time(l));
	pred = json_pack("{s:s, s:s, s:o, s:O}", "created", created, "kind", "accept", "transfer",
	                 pl_lineage__ref(transfer, t.leaf, NULL), "batch", bref);
	subjects =
	    json_pack("[{s:s, s:{s:s}}]", "name", "hardware-accept", "digest", "sha256", t.leaf);
	if (!pred || !subjects) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	error = pl_ledger_append_statement(l, out, signer, "hardware", subjects, pred, NULL, 0);
	subjects = pred = NULL;
done:
	json_decref(pred);
	json_decref(subjects);
	pl_lineage__row_clear(&t);
	pl_lineage__row_clear(&b);
	return error;
}

/* ---- list and show ------------------------------------------------------------ */

static json_t *key_name(pl_ledger *l, const char *keyid)
{
	pl_key_status ks;
	if (pl_ledger_key_status(l, &ks, keyid) == PL_OK && ks.registered)
		return json_string(ks.name);
	pl_error_clear();
	return json_null();
}

/* BATCH of seq (with holders); *h receives the holdings when h is not NULL. */
static int batch_obj(pl_ledger *l, json_t **out, uint64_t seq, pl_hw_holdings *hk)
{
	pl_lineage_row b = {0};
	pl_hw_holdings h = {0};
	json_t *p, *holders = json_array(), *o = NULL;
	int error;

	if ((error = pl_lineage__row(l, &b, seq)) < 0 ||
	    (error = pl_lineage__holdings(l, &h, seq, -1)) < 0)
		goto done;
	p = json_object_get(b.statement, "predicate");
	for (size_t i = 0; i < h.n; i++) {
		json_t *x, *found = NULL;
		size_t j;
		json_array_foreach(holders, j, x) if (strcmp(pl_json_str(x, "keyid"),
		                                             h.v[i].owner) == 0) found = x;
		if (!found) {
			found = json_pack("{s:s, s:o, s:I, s:I}", "keyid", h.v[i].owner, "name",
			                  key_name(l, h.v[i].owner), "chips", (json_int_t)0,
			                  "pending", (json_int_t)0);
			json_array_append_new(holders, found);
		}
		json_object_set_new(
		    found, "chips",
		    json_integer(json_integer_value(json_object_get(found, "chips")) +
		                 (json_int_t)h.v[i].count));
		if (h.v[i].pending >= 0)
			json_object_set_new(
			    found, "pending",
			    json_integer(json_integer_value(json_object_get(found, "pending")) +
			                 (json_int_t)h.v[i].count));
	}
	o = json_pack("{s:I, s:s, s:O?, s:O?, s:O?, s:O?, s:{s:O?, s:o}, s:O?, s:s, s:O?}", "seq",
	              (json_int_t)seq, "leaf", b.leaf, "name", json_object_get(p, "name"), "model",
	              json_object_get(p, "model"), "count", json_object_get(p, "count"),
	              "peak_flops", json_object_get(p, "peak_flops"), "vendor", "keyid",
	              json_object_get(p, "vendor"), "name",
	              key_name(l, pl_json_str(p, "vendor") ? pl_json_str(p, "vendor") : ""),
	              "jurisdiction", json_object_get(p, "jurisdiction"), "created", b.created,
	              "serials", json_object_get(p, "serials"));
	if (!o) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	json_object_set(o, "holders", holders);
	*out = o;
	if (hk) {
		*hk = h;
		memset(&h, 0, sizeof(h));
	}
done:
	json_decref(holders);
	pl_hw_holdings_free(&h);
	pl_lineage__row_clear(&b);
	return error;
}

int pl_hardware_list(pl_ledger *l, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int error, rc;
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT seq FROM hardware WHERE kind = 'batch'"
	                                 " ORDER BY seq")) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *b;
		if ((error = batch_obj(l, &b, (uint64_t)sqlite3_column_int64(st, 0), NULL)) < 0)
			goto done;
		json_array_append_new(arr, b);
	}
	if (rc != SQLITE_DONE) {
		error = pl_ledger__db_error(pl_ledger__db(l), "hardware");
		goto done;
	}
	*out = json_pack("{s:o}", "batches", arr);
	arr = NULL;
done:
	sqlite3_finalize(st);
	json_decref(arr);
	return error;
}

int pl_hardware_show(pl_ledger *l, json_t **out, const char *batch)
{
	pl_hw_holdings h = {0};
	sqlite3_stmt *st = NULL;
	json_t *o = NULL, *chips = json_array(), *tr = json_array();
	uint64_t seq;
	int error, rc;

	if ((error = pl_hardware_find(l, &seq, batch)) < 0 ||
	    (error = batch_obj(l, &o, seq, &h)) < 0)
		goto done;
	for (size_t i = 0; i < h.n; i++)
		json_array_append_new(
		    chips,
		    json_pack(
		        "{s:I, s:I, s:I, s:s, s:o, s:s, s:o}", "from", (json_int_t)h.v[i].from,
		        "to", (json_int_t)(h.v[i].from + h.v[i].count - 1), "count",
		        (json_int_t)h.v[i].count, "owner", h.v[i].owner, "owner_name",
		        key_name(l, h.v[i].owner), "jurisdiction", h.v[i].jurisdiction, "pending",
		        h.v[i].pending >= 0 ? json_integer(h.v[i].pending) : json_null()));
	if ((error = pl_lineage__prepare(l, &st,
	                                 "SELECT t.seq, (SELECT a.seq FROM hardware a WHERE"
	                                 " a.transfer_seq = t.seq ORDER BY a.seq LIMIT 1)"
	                                 " FROM hardware t WHERE t.batch_seq = ? AND"
	                                 " t.kind = 'transfer' ORDER BY t.seq")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pl_lineage_row t = {0};
		json_t *p, *c;
		if ((error = pl_lineage__row(l, &t, (uint64_t)sqlite3_column_int64(st, 0))) < 0)
			goto done;
		p = json_object_get(t.statement, "predicate");
		c = json_object_get(p, "chips");
		json_array_append_new(
		    tr,
		    json_pack("{s:I, s:s, s:O, s:O, s:s, s:o, s:O, s:s, s:o}", "seq",
		              (json_int_t)sqlite3_column_int64(st, 0), "signer", t.keyid, "from",
		              json_object_get(c, "from"), "count", json_object_get(c, "count"),
		              "to", pl_json_str(p, "to") ? pl_json_str(p, "to") : "", "to_name",
		              key_name(l, pl_json_str(p, "to") ? pl_json_str(p, "to") : ""),
		              "jurisdiction", json_object_get(p, "jurisdiction"), "created",
		              t.created, "accepted_by",
		              sqlite3_column_type(st, 1) == SQLITE_NULL
		                  ? json_null()
		                  : json_integer(sqlite3_column_int64(st, 1))));
		pl_lineage__row_clear(&t);
	}
	if (rc != SQLITE_DONE) {
		error = pl_ledger__db_error(pl_ledger__db(l), "hardware");
		goto done;
	}
	json_object_set(o, "chips", chips);
	json_object_set(o, "transfers", tr);
	*out = o;
	o = NULL;
done:
	sqlite3_finalize(st);
	json_decref(o);
	json_decref(chips);
	json_decref(tr);
	pl_hw_holdings_free(&h);
	return error;
}
