/* cmd_verify.c - `provledger verify` and `provledger reindex`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_lineage.h"

static int cmd_verify(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"since", required_argument, NULL, 's'},
	                                     {"policy", no_argument, NULL, 'p'},
	                                     {NULL, 0, NULL, 0}};
	const char *since = NULL;
	pl_buf old = PL_BUF_INIT, rootb = PL_BUF_INIT;
	pl_ledger *l = NULL;
	pl_verify_report r;
	int c, rc = PL_EXIT_OK, error, policy = 0;
	json_t *findings = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			since = optarg;
			break;
		case 'p':
			policy = 1;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (since && (error = pl_read_file(&old, since, 1 << 20)) < 0)
		return pl_cli_fail(error);
	/* verify trusts git alone: the index is not consulted or caught up */
	if ((error = pl_ledger_open_for_verify(&l, g->ledger)) < 0)
		return pl_cli_fail(error);
	error = pl_ledger_verify(l, &r, since ? old.ptr : NULL, old.len);
	pl_base64_encode(&rootb, r.root, 32);
	if (policy && (error == PL_OK || error == PL_EVERIFY)) {
		/* the policy reads the index, caught up from the git just audited */
		pl_ledger *li = NULL;
		int perr = pl_ledger_open(&li, g->ledger);
		if (perr == PL_OK)
			perr = pl_lineage_policy(li, &findings);
		pl_ledger_free(li);
		if (perr < 0) {
			rc = pl_cli_fail(perr);
			goto done;
		}
	}
	if (error < 0 && error != PL_EVERIFY) {
		rc = pl_cli_fail(error);
	} else if (g->json) {
		json_t *probs = json_array();
		char *save = NULL;
		for (char *p = r.problems.len ? strtok_r(r.problems.ptr, "\n", &save) : NULL; p;
		     p = strtok_r(NULL, "\n", &save))
			json_array_append_new(probs, json_string(p));
		json_t *doc = json_pack("{s:b, s:I, s:s, s:o}", "verified", error == PL_OK, "size",
		                        (json_int_t)r.size, "root", rootb.ptr, "problems", probs);
		if (policy)
			json_object_set(doc, "findings", findings);
		pl_cli_json_print(doc);
		rc = error == PL_OK ? PL_EXIT_OK : PL_EXIT_FINDING;
	} else if (error == PL_OK) {
		printf(
		    "verified %llu entries: linear history, operator-signed commits, entry "
		    "signatures by registered keys, attachments, and the checkpoint (root %s)%s\n",
		    (unsigned long long)r.size, rootb.ptr,
		    since ? "; the --since checkpoint is a prefix of this ledger" : "");
	} else {
		fputs(r.problems.ptr, stdout);
		pl_cli_err("verification FAILED: %zu problem%s", r.nproblems,
		           r.nproblems == 1 ? "" : "s");
		rc = PL_EXIT_FINDING;
	}
	if (policy && !g->json && (error == PL_OK || error == PL_EVERIFY)) {
		json_t *f;
		size_t i;
		json_array_foreach(findings, i, f)
		    printf("policy: %s %s: %s\n", json_string_value(json_object_get(f, "severity")),
		           json_string_value(json_object_get(f, "code")),
		           json_string_value(json_object_get(f, "message")));
		if (json_array_size(findings))
			pl_cli_err("policy: %zu finding%s", json_array_size(findings),
			           json_array_size(findings) == 1 ? "" : "s");
		else
			printf("policy: no findings\n");
	}
	if (json_array_size(findings) && rc == PL_EXIT_OK)
		rc = PL_EXIT_FINDING;
done:
	json_decref(findings);
	pl_verify_report_free(&r);
	pl_buf_free(&old);
	pl_buf_free(&rootb);
	pl_ledger_free(l);
	return rc;
}

static int cmd_reindex(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	int error, rc;
	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((error = pl_ledger_reindex(g->ledger)) < 0)
		return pl_cli_fail(error);
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
    "verify", cmd_verify, "[--since CHECKPOINT_FILE] [--policy]",
    "audit the whole ledger from git alone",
    "Checks, and reports every failure with its sequence number and commit:\n"
    "  1. the history is linear, sequence numbers run 0..N-1, every path is where\n"
    "     it belongs (entries/AAA/BBB/CCC.json, blobs/<sha256>, checkpoint);\n"
    "  2. every commit's SSHSIG signature verifies under the operator key;\n"
    "  3. every entry's DSSE signature verifies under a key registered by an earlier\n"
    "     entry, and no key signs after its revocation;\n"
    "  4. each commit's checkpoint covers exactly the entries so far, the latest\n"
    "     checkpoint's signature verifies, every attachment hashes to its name;\n"
    "  5. with --since FILE: that old checkpoint is signed by the operator and its\n"
    "     tree is a prefix of today's: nothing recorded then was rewritten.\n"
    "  6. with --policy: also the policy findings of every model and dataset (see\n"
    "     'provledger help lineage'), printed as 'policy: SEVERITY CODE: message'\n"
    "     (with --json: a \"findings\" array of {code, severity, subject,\n"
    "     subject_type, seq, message}).\n\n"
    "Exit 0 when everything verifies (and, with --policy, there is no finding),\n"
    "1 when a problem or a finding is found.\n"};

const pl_cli_cmd pl_cmd_reindex = {"reindex", cmd_reindex, "", "rebuild the SQLite index from git",
                                   "Deletes DIR/index.sqlite and replays every commit. The result "
                                   "is the same\nindex (same rows, same tree nodes, same root).\n"};
