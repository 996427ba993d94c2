/* cmd_verify.c - `provledger verify` and `provledger reindex`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_client.h"
#include "pl_ledger.h"
#include "pl_lineage.h"
#include "pl_note.h"

/* A --since file must at least be a C2SP checkpoint note; whether its
 * signature is the operator's is a finding of verify. */
static int since_is_checkpoint(const pl_buf *b, const char *path)
{
	pl_checkpoint cp;
	const char *sep = b->ptr ? strstr(b->ptr, "\n\n") : NULL;
	if (!sep || !strstr(sep, "\xe2\x80\x94 ") ||
	    pl_checkpoint_parse(&cp, b->ptr, (size_t)(sep + 1 - b->ptr)) < 0)
		return pl_error_set(PL_EINVALID,
		                    "%s: not a signed checkpoint (a C2SP note: origin, size, root, "
		                    "a blank line, signatures)",
		                    path);
	return PL_OK;
}

static int severity_rank(const char *s)
{
	return s && strcmp(s, "error") == 0 ? 2 : s && strcmp(s, "warning") == 0 ? 1 : 0;
}

/* verify --remote: the checkpoint (signed, consistent with the last one
 * seen), every entry from the log's entry bundles judged by the rules, the
 * tree of them the checkpoint's; the --since checkpoint a prefix of it. A
 * problem is a finding (PL_EVERIFY, r->problems); PL_ERROR when the log
 * cannot be read at all. */
static int verify_remote(const pl_cli *g, pl_verify_report *r, const pl_buf *since, int policy,
                         json_t **findings)
{
	pl_remote *rem = NULL;
	pl_ledger *l = NULL;
	pl_buf proof = PL_BUF_INIT, text = PL_BUF_INIT;
	const pl_checkpoint *cp;
	int error;

	if ((error = pl_cli_remote_try(g, &rem)) < 0 || (error = pl_remote_rebuild(rem, &l)) < 0)
		goto done;
	cp = pl_remote_checkpoint(rem);
	r->size = cp->size;
	memcpy(r->root, cp->root, sizeof(r->root));
	if (since) {
		pl_checkpoint old;
		if ((error = pl_note_verify(&text, since->ptr, since->len, cp->origin,
		                            pl_ledger_operator(l))) < 0 ||
		    (error = pl_checkpoint_parse(&old, text.ptr, text.len)) < 0) {
			pl_error_prefix(error, "--since");
			goto done;
		}
		if (old.size > cp->size ||
		    (error = pl_ledger_prove_consistency(l, &proof, old.size, cp->size)) < 0 ||
		    pl_merkle_verify_consistency(old.size, cp->size, old.root, cp->root,
		                                 (const unsigned char *)proof.ptr,
		                                 proof.len / 32) < 0) {
			error = pl_error_set(
			    PL_EVERIFY,
			    "--since: the checkpoint of size %llu is not a prefix of "
			    "the log of size %llu",
			    (unsigned long long)old.size, (unsigned long long)cp->size);
			goto done;
		}
	}
	if (policy) {
		json_t *f = NULL;
		if ((error = pl_lineage_policy(l, &f)) == PL_OK) {
			json_decref(*findings);
			*findings = f;
		}
	}
done:
	if (error < 0 && error != PL_EUSAGE && error != PL_ERROR && error != PL_ENOMEM) {
		pl_buf_puts(&r->problems, pl_error_last());
		r->nproblems = 1;
		error = PL_EVERIFY;
	}
	pl_buf_free(&proof);
	pl_buf_free(&text);
	pl_ledger_free(l);
	return error;
}

static int cmd_verify(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"since", required_argument, NULL, 's'},     {"policy", no_argument, NULL, 'p'},
	    {"fail-on", required_argument, NULL, 'f'},   {"trust", required_argument, NULL, 't'},
	    {"trust-key", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
	const char *since = NULL, *trust = NULL, *trust_key = NULL, *fail_on = NULL;
	pl_buf old = PL_BUF_INIT, rootb = PL_BUF_INIT, tname = PL_BUF_INIT;
	pl_ledger *l = NULL;
	pl_key *tk = NULL;
	pl_verify_report r;
	int c, rc = PL_EXIT_OK, error, policy = 0, fail_rank = 1;
	json_t *findings = NULL;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			since = optarg;
			break;
		case 'p':
			policy = 1;
			break;
		case 'f':
			fail_on = optarg;
			break;
		case 't':
			trust = optarg;
			break;
		case 'T':
			trust_key = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (fail_on) {
		if (!policy)
			return pl_cli_usage(cmd, "--fail-on needs --policy");
		if ((fail_rank = severity_rank(fail_on)) == 0)
			return pl_cli_usage(cmd, "--fail-on takes error or warning, not '%s'",
			                    fail_on);
	}
	if ((since && ((error = pl_read_file(&old, since, 1 << 20)) < 0 ||
	               (error = since_is_checkpoint(&old, since)) < 0)) ||
	    (trust && (error = pl_trust_parse(&tk, &tname, trust, trust_key)) < 0)) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->remote) {
		findings = json_array();
		error = verify_remote(g, &r, since ? &old : NULL, policy, &findings);
		pl_base64_encode(&rootb, r.root, 32);
		if (error < 0 && error != PL_EVERIFY) {
			rc = pl_cli_fail(error);
			goto done;
		}
		if (g->json) {
			json_t *probs = json_array();
			if (r.nproblems)
				json_array_append_new(probs, json_string(r.problems.ptr));
			pl_cli_json_print(json_pack("{s:b, s:I, s:s, s:o, s:O}", "verified",
			                            error == PL_OK, "size", (json_int_t)r.size,
			                            "root", rootb.ptr, "problems", probs,
			                            "findings", findings));
		} else if (error == PL_OK) {
			pl_remote *rem = NULL;
			pl_cli_remote_try(g, &rem); /* the one verify_remote opened */
			printf(
			    "verified %llu entries of %s at %s: the checkpoint signed by the "
			    "trusted key and consistent with the last one seen (%s); every entry "
			    "re-checked by the rules (signer and role in force, references, names, "
			    "grants, times); the tree of the entries served is the checkpoint's "
			    "(root %s)%s\n",
			    (unsigned long long)r.size,
			    pl_cli_esc(pl_remote_checkpoint(rem)->origin), pl_cli_esc(g->remote),
			    pl_cli_esc(pl_remote_state_path(rem)), rootb.ptr,
			    since ? "; the --since checkpoint is a prefix of it" : "");
		} else {
			pl_cli_err("verification FAILED: %s", r.problems.ptr);
		}
		rc = error == PL_OK ? PL_EXIT_OK : PL_EXIT_FINDING;
		goto policy_out;
	}
	/* verify trusts git alone: the index is not opened at all */
	if ((error = pl_ledger_open_audit(&l, g->ledger, tk)) < 0) {
		rc = pl_cli_fail(error == PL_EUSAGE ? PL_EINVALID : error);
		goto done;
	}
	if (tname.len && strcmp(tname.ptr, pl_ledger_origin(l)) != 0) {
		pl_cli_err("--trust: the key is the key of log '%s', not of this ledger's log '%s'",
		           tname.ptr, pl_ledger_origin(l));
		rc = PL_EXIT_FINDING;
		goto done;
	}
	error = pl_ledger_verify(l, &r, since ? old.ptr : NULL, old.len);
	pl_base64_encode(&rootb, r.root, 32);
	findings = json_array();
	if (policy && (error == PL_OK || error == PL_EVERIFY)) {
		/* the policy of an audit is computed on an index rebuilt in memory
		 * from the git just audited, never on DIR/index.sqlite */
		pl_ledger *li = NULL;
		int perr = pl_ledger_open_replay(&li, g->ledger, tk);
		if (perr == PL_OK) {
			json_decref(findings);
			findings = NULL;
			perr = pl_lineage_policy(li, &findings);
		}
		pl_ledger_free(li);
		if (perr < 0) {
			rc = pl_cli_fail(perr);
			goto done;
		}
	}
	if (error < 0 && error != PL_EVERIFY) {
		rc = pl_cli_fail(error);
		goto done;
	} else if (g->json) {
		json_t *probs = json_array();
		char *save = NULL;
		for (char *p = r.problems.len ? strtok_r(r.problems.ptr, "\n", &save) : NULL; p;
		     p = strtok_r(NULL, "\n", &save))
			json_array_append_new(probs, json_string(p));
		json_t *doc = json_pack("{s:b, s:I, s:s, s:o, s:O}", "verified", error == PL_OK,
		                        "size", (json_int_t)r.size, "root", rootb.ptr, "problems",
		                        probs, "findings", findings);
		pl_cli_json_print(doc);
		rc = error == PL_OK ? PL_EXIT_OK : PL_EXIT_FINDING;
	} else if (error == PL_OK) {
		printf("verified %llu entries from git alone: a linear history of operator-signed "
		       "commits; every entry signed by a key whose role was in force at its seq "
		       "and re-checked by the rules (references, names, grants; 'provledger help "
		       "roles'); entry and append times never going back; every attachment; each "
		       "commit's checkpoint and subject index (root %s)%s\n",
		       (unsigned long long)r.size, rootb.ptr,
		       since ? "; the --since checkpoint is a prefix of this ledger" : "");
	} else {
		pl_cli_put_lines(stdout, r.problems.ptr);
		pl_cli_err("verification FAILED: %zu problem%s", r.nproblems,
		           r.nproblems == 1 ? "" : "s");
		rc = PL_EXIT_FINDING;
	}
policy_out:
	if (policy && !g->json) {
		json_t *f;
		size_t i;
		json_array_foreach(findings, i, f)
		    printf("policy: %s %s: %s\n",
		           pl_cli_esc(json_string_value(json_object_get(f, "severity"))),
		           pl_cli_esc(json_string_value(json_object_get(f, "code"))),
		           pl_cli_esc(json_string_value(json_object_get(f, "message"))));
		if (json_array_size(findings))
			pl_cli_err("policy: %zu finding%s", json_array_size(findings),
			           json_array_size(findings) == 1 ? "" : "s");
		else
			printf("policy: no findings\n");
	}
	if (rc == PL_EXIT_OK) {
		json_t *f;
		size_t i;
		json_array_foreach(findings, i, f) if (severity_rank(json_string_value(
		                                           json_object_get(f, "severity"))) >=
		                                       fail_rank) rc = PL_EXIT_FINDING;
	}
done:
	json_decref(findings);
	pl_verify_report_free(&r);
	pl_buf_free(&old);
	pl_buf_free(&rootb);
	pl_buf_free(&tname);
	pl_key_free(tk);
	pl_ledger_free(l);
	return rc;
}

static int cmd_reindex(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	int error, rc, accept = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--accept-rollback") == 0)
			accept = 1;
		else
			return pl_cli_usage(cmd, "unexpected argument '%s'", argv[i]);
	}
	if ((error = pl_ledger_reindex_ex(g->ledger, accept)) < 0)
		return pl_cli_fail(error == PL_EVERIFY ? PL_EINVALID : error);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if (g->json)
		pl_cli_json_print(json_pack("{s:I}", "size", (json_int_t)pl_ledger_size(l)));
	else
		printf("rebuilt the index from git: %llu entries\n",
		       (unsigned long long)pl_ledger_size(l));
	pl_ledger_free(l);
	return PL_EXIT_OK;
}

const pl_cli_cmd pl_cmd_verify = {
    "verify", cmd_verify,
    "[--since CHECKPOINT_FILE] [--trust KEY [--trust-key NAME]] [--policy [--fail-on "
    "error|warning]]",
    "audit the whole ledger from git alone",
    "Reads git only (the index is not opened: it may be absent, broken or\n"
    "read-only) and checks, reporting every failure with its seq and commit:\n"
    "  1. the history is linear; each commit adds one or more consecutive entries,\n"
    "     named with their leaves in its message; every path is where it belongs\n"
    "     (entries/AAA/BBB/CCC.json, blobs/<sha256>, checkpoint, subjects);\n"
    "  2. every commit's SSHSIG signature verifies under the operator key;\n"
    "  3. every entry passes the rules append applies ('provledger help roles'):\n"
    "     its DSSE signature under a registered, unrevoked key whose role was in\n"
    "     force (granted) at its seq; each reference naming an earlier entry of the\n"
    "     right type, leaf and name; unique names; the payload's issuer_role;\n"
    "  4. entry times (created) and append times (commit times) never go back;\n"
    "  5. each commit's checkpoint and subject index cover exactly the entries so\n"
    "     far, the latest's signatures verify, every attachment hashes to its name;\n"
    "  6. with --since FILE: that old checkpoint is signed by the operator and its\n"
    "     tree is a prefix of today's: nothing recorded then was rewritten.\n"
    "  7. with --policy: also the policy findings of every model and dataset (see\n"
    "     'provledger help lineage'), printed as 'policy: SEVERITY CODE: message'.\n\n"
    "--trust KEY       audit against the operator key given out of band (a file, an\n"
    "                  OpenSSH line or a C2SP verifier key, whose name must be the\n"
    "                  origin) instead of the copy's own config; the copy may then\n"
    "                  be a `git clone --bare` of repo.git (--ledger PATH)\n"
    "--trust-key NAME  which key of a file holding several\n"
    "--fail-on SEV     with --policy: exit 1 only for findings of severity SEV or\n"
    "                  worse (error, warning); default: any finding\n\n"
    "--json prints {\"verified\", \"size\", \"root\", \"problems\": [...],\n"
    "\"findings\": [...]} (findings is [] without --policy).\n\n"
    "Exit 0 when everything verifies (and, with --policy, no finding counts),\n"
    "1 when a problem or a finding is found, 3 for bad input (an unreadable or\n"
    "malformed --since file or --trust key).\n"};

const pl_cli_cmd pl_cmd_reindex = {
    "reindex", cmd_reindex, "[--accept-rollback]", "rebuild the SQLite index from git",
    "Deletes DIR/index.sqlite and replays every commit, verifying each (its\n"
    "signature, every entry by the rules, its checkpoint and subject index). The\n"
    "result is the same index (same rows, same tree nodes, same root).\n\n"
    "When the old index holds a signed checkpoint larger than git's log, the log\n"
    "was rolled back: that checkpoint is kept as DIR/rollback-<size>.checkpoint\n"
    "(evidence: 'provledger verify --since' it) and reindex refuses (exit 3)\n"
    "unless --accept-rollback.\n"};
