/* cmd_mirror.c - mirror init, pull, push and the git pre-receive hook:
 * replicas of the ledger that accept only appends. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_note.h"

/* --trust KEY of a command (a file, an OpenSSH line, a verifier key). */
static int trust_opt(const pl_cli_cmd *cmd, int argc, char **argv, const char **trust, int *first)
{
	static const struct option opts[] = {{"trust", required_argument, NULL, 't'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 't')
			*trust = optarg;
		else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	*first = optind;
	return 0;
}

static int cmd_mirror_init(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	const char *trust = g->trust;
	pl_ledger *l = NULL;
	pl_key *k = NULL;
	int rc, first, error;
	if ((rc = trust_opt(cmd, argc, argv, &trust, &first)) != 0)
		return rc;
	if (first + 1 != argc)
		return pl_cli_usage(cmd, "give one SOURCE: a ledger directory or a git URL");
	if (!trust)
		return pl_cli_usage(cmd,
		                    "--trust OPERATOR.pub is required: a mirror verifies every "
		                    "commit under the operator's key");
	if ((error = pl_trust_parse(&k, NULL, trust, NULL)) < 0)
		return pl_cli_fail(error);
	error = pl_ledger_mirror_init(&l, g->ledger, argv[first], k);
	pl_key_free(k);
	if (error < 0)
		return pl_cli_fail_append(error);
	if (g->json)
		pl_cli_json_print(json_pack(
		    "{s:s, s:s, s:I, s:s}", "dir", g->ledger, "origin", pl_ledger_origin(l), "size",
		    (json_int_t)pl_ledger_size(l), "upstream", argv[first]));
	else
		printf("mirrored %s into %s: %llu entries, every commit verified\n",
		       pl_cli_esc(argv[first]), pl_cli_esc(g->ledger),
		       (unsigned long long)pl_ledger_size(l));
	pl_ledger_free(l);
	return PL_EXIT_OK;
}

static int cmd_pull(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	pl_pull_result r;
	int rc, error;
	optind = 1;
	if (getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1)
		return pl_cli_bad_option(cmd, optopt, argv[optind - 1]);
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	error = pl_ledger_pull(l, &r);
	if (error < 0) {
		/* a rewrite or a fork is a finding; a network failure is not */
		rc = pl_cli_fail(error);
	} else if (g->json) {
		pl_cli_json_print(json_pack("{s:b, s:I, s:I}", "pulled", r.pulled, "old_size",
		                            (json_int_t)r.old_size, "new_size",
		                            (json_int_t)r.new_size));
	} else if (r.pulled) {
		printf("pulled %llu new entries (size %llu -> %llu): every commit verified, the "
		       "checkpoint consistent with the one held\n",
		       (unsigned long long)(r.new_size - r.old_size),
		       (unsigned long long)r.old_size, (unsigned long long)r.new_size);
	} else {
		printf("up to date (size %llu)\n", (unsigned long long)r.new_size);
	}
	pl_ledger_free(l);
	return rc;
}

static int cmd_push(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	int rc, error;
	optind = 1;
	if (getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1)
		return pl_cli_bad_option(cmd, optopt, argv[optind - 1]);
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "give one REMOTE: a git URL or path");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_ledger_push(l, argv[optind])) < 0) {
		rc = pl_cli_fail_append(error);
	} else {
		if (g->json)
			pl_cli_json_print(json_pack("{s:s, s:I}", "remote", argv[optind], "size",
			                            (json_int_t)pl_ledger_size(l)));
		else
			printf("pushed main (size %llu) to %s\n",
			       (unsigned long long)pl_ledger_size(l), pl_cli_esc(argv[optind]));
		rc = PL_EXIT_OK;
	}
	pl_ledger_free(l);
	return rc;
}

static int cmd_hook_pre_receive(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	const char *trust = NULL;
	pl_buf in = PL_BUF_INIT, why = PL_BUF_INIT;
	pl_key *k = NULL;
	char chunk[4096];
	ssize_t n;
	int rc, first, error;
	if ((rc = trust_opt(cmd, argc, argv, &trust, &first)) != 0)
		return rc;
	if (first != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[first]);
	if (!trust)
		return pl_cli_usage(cmd, "--trust OPERATOR.pub is required");
	if ((error = pl_trust_parse(&k, NULL, trust, NULL)) < 0)
		return pl_cli_fail(error);
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0 && in.len < (1 << 20))
		pl_buf_put(&in, chunk, (size_t)n);
	error = pl_hook_pre_receive(k, in.ptr ? in.ptr : "", in.len, &why);
	pl_key_free(k);
	pl_buf_free(&in);
	pl_buf_free(&why);
	if (error < 0)
		return pl_cli_fail(error);
	if (g->json)
		pl_cli_json_print(json_pack("{s:b}", "accepted", 1));
	return PL_EXIT_OK;
}

const pl_cli_cmd pl_cmd_mirror_init = {
    "mirror init", cmd_mirror_init, "SOURCE --trust OPERATOR.pub",
    "make --ledger DIR a verified mirror of a ledger (a directory or git URL)",
    "Clones SOURCE's log (a ledger directory, a bare repository, or any URL git\n"
    "fetches) into DIR and builds its index, verifying every commit as a catch-up\n"
    "does: the operator's signature under --trust, every entry by the rules, the\n"
    "checkpoints and subject indexes. Nothing is left at DIR when that fails. The\n"
    "mirror refuses local appends; `pull` brings the upstream's appends.\n"
    "(--json: {\"dir\", \"origin\", \"size\", \"upstream\"})\n"};

const pl_cli_cmd pl_cmd_pull = {
    "pull", cmd_pull, "", "bring a mirror up to its upstream, accepting only an append",
    "Fetches the upstream's main and accepts it only when it extends the mirror's\n"
    "head (a fast-forward) and every new commit verifies (the index catch-up), its\n"
    "checkpoint consistent with the one held (an RFC 9162 proof). A rewrite or a\n"
    "fork is refused naming both checkpoints, and nothing changes (the fetched\n"
    "commit stays under refs/provledger/upstream as evidence).\n\n"
    "Exit 0 pulled or up to date; 1 refused (a rewrite, a fork, a commit that does\n"
    "not verify); 3 the upstream cannot be read. (--json: {\"pulled\", \"old_size\",\n"
    "\"new_size\"})\n"};

const pl_cli_cmd pl_cmd_push = {
    "push", cmd_push, "REMOTE", "push the ledger's main to a plain git remote (fast-forward)",
    "Pushes refs/heads/main to REMOTE (a path or a URL git takes) without force: a\n"
    "remote that holds another history refuses it. Install `provledger hook\n"
    "pre-receive` on the remote to make it refuse anything but appends signed by\n"
    "the operator. (--json: {\"remote\", \"size\"})\n"};

const pl_cli_cmd pl_cmd_hook_pre_receive = {
    "hook pre-receive", cmd_hook_pre_receive, "--trust OPERATOR.pub",
    "a git pre-receive hook: refuse anything but signed appends to main",
    "Install as hooks/pre-receive of a bare repository that keeps a ledger:\n\n"
    "    #!/bin/sh\n"
    "    exec provledger hook pre-receive --trust /etc/provledger/operator.pub\n\n"
    "It reads git's \"OLD NEW REF\" lines and refuses the push (exit 1, the reason on\n"
    "stderr, which git shows the pusher) unless only refs/heads/main changes, is\n"
    "not deleted, moves by a fast-forward, and every new commit carries an SSH\n"
    "signature by the operator key. Exit 0 accepts (--json: {\"accepted\": true}).\n"};
