/*
 * grants.c - the statements of keys and grants (SPEC §6.1 and the grant
 * entry): key registration, rotation and revocation, granting a role and
 * revoking a grant. The rules (rules.c) decide whether they are accepted.
 */
#include <stdio.h>
#include <string.h>

#include "ledger_internal.h"
#include "pl_rules.h"

int pl_key_statement(json_t **subjects, json_t **predicate, const pl_key *k, const char *name,
                     const char *role, const char *contact, const char *revokes)
{
	pl_buf pub = PL_BUF_INIT, sname = PL_BUF_INIT;
	unsigned char raw[32];
	char hex[65];
	int error;

	*subjects = *predicate = NULL;
	if ((error = pl_rules_check_key_name(name)) < 0)
		goto done;
	if (!pl_role_find(role)) {
		error =
		    pl_error_set(PL_EINVALID,
		                 "unknown role '%s' (authority, witness, auditor, lab, evaluator, "
		                 "rights-holder)",
		                 role);
		goto done;
	}
	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	if ((error = pl_key_openssh(&pub, k, name)) < 0 ||
	    (error = pl_buf_printf(&sname, "key:%s", name)) < 0)
		goto done;
	*subjects = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
	*predicate =
	    json_pack("{s:s, s:s, s:s}", "name", name, "role", role, "public_key", pub.ptr);
	if (*predicate && contact)
		json_object_set_new(*predicate, "contact", json_string(contact));
	if (*predicate && revokes)
		json_object_set_new(*predicate, "revokes", json_string(revokes));
	if (!*subjects || !*predicate)
		error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	if (error < 0) {
		json_decref(*subjects);
		json_decref(*predicate);
		*subjects = *predicate = NULL;
	}
	pl_buf_free(&pub);
	pl_buf_free(&sname);
	return error;
}

int pl_ledger_register_key(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const pl_key *k,
                           const char *name, const char *role, const char *contact,
                           const char *revokes)
{
	json_t *subj, *pred;
	int error;
	if ((error = pl_key_statement(&subj, &pred, k, name, role, contact, revokes)) < 0)
		return error;
	return pl_ledger_append_statement(l, out, signer, "key", subj, pred, NULL, 0);
}

static int grant_statement(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const char *keyid,
                           const char *role, int64_t grant_seq)
{
	json_t *subj, *pred;
	pl_buf sname = PL_BUF_INIT;
	pl_key *k = NULL;
	unsigned char raw[32];
	char hex[65];
	int error;

	if ((error = pl_ledger_key(l, &k, NULL, keyid)) < 0)
		return error;
	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	pl_key_free(k);
	pl_buf_printf(&sname, "grant:%s:%s", role, keyid);
	subj = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
	pred = json_pack("{s:s, s:s, s:s}", "action", grant_seq < 0 ? "grant" : "revoke", "key",
	                 keyid, "role", role);
	pl_buf_free(&sname);
	if (pred && grant_seq >= 0) {
		pl_buf env = PL_BUF_INIT;
		unsigned char leaf[PL_HASH_LEN];
		char lhex[65];
		if ((error = pl_ledger_entry(l, &env, (uint64_t)grant_seq)) < 0) {
			json_decref(subj);
			json_decref(pred);
			pl_buf_free(&env);
			return error;
		}
		pl_merkle_leaf(leaf, env.ptr, env.len);
		pl_hex(lhex, leaf, PL_HASH_LEN);
		pl_buf_free(&env);
		json_object_set_new(
		    pred, "grant",
		    json_pack("{s:I, s:s}", "seq", (json_int_t)grant_seq, "leaf", lhex));
	}
	if (!subj || !pred) {
		json_decref(subj);
		json_decref(pred);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	return pl_ledger_append_statement(l, out, signer, "grant", subj, pred, NULL, 0);
}

int pl_ledger_grant(pl_ledger *l, pl_entry_ref *out, const pl_key *granter, const char *keyid,
                    const char *role)
{
	const pl_role_rule *r = pl_role_find(role);
	if (!r || !r->granted_by)
		return pl_error_set(PL_EINVALID, "role '%s' cannot be granted", role ? role : "");
	return grant_statement(l, out, granter, keyid, role, -1);
}

int pl_ledger_revoke_grant(pl_ledger *l, pl_entry_ref *out, const pl_key *signer, const char *keyid,
                           const char *role)
{
	pl_key_status st;
	int error;
	if ((error = pl_ledger_key_status(l, &st, keyid)) < 0)
		return error;
	if (!st.registered)
		return pl_error_set(PL_ENOTFOUND, "key %s is not registered", keyid);
	if (strcmp(st.role, role) != 0 || st.grant_seq < 0)
		return pl_error_set(PL_ENOTFOUND, "key %s (%s) holds no grant of %s in force",
		                    keyid, st.name, role);
	return grant_statement(l, out, signer, keyid, role, st.grant_seq);
}
