/*
 * main.c - provledger's entry point: global options, the command table,
 * help and version.
 *
 *   provledger [--ledger DIR | --remote URL --trust KEY] [--json] [--quiet] COMMAND [ARGS]
 *
 * Global options may also stand after the command; they are lifted out of
 * argv before the command parses its own options.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "pl_rules.h"

/* The command table, in the order 'provledger --help' lists them. */
/* clang-format off */
static const pl_cli_cmd *const commands[] = {
	&pl_cmd_init,
	&pl_cmd_key_gen,
	&pl_cmd_key_register,
	&pl_cmd_key_grant,
	&pl_cmd_key_revoke_grant,
	&pl_cmd_key_list,
	&pl_cmd_key_allowed_signers,
	&pl_cmd_hash,
	&pl_cmd_work_register,
	&pl_cmd_work_import,
	&pl_cmd_work_list,
	&pl_cmd_work_show,
	&pl_cmd_check,
	&pl_cmd_merge,
	&pl_cmd_registry_build,
	&pl_cmd_dataset_register,
	&pl_cmd_dataset_recheck,
	&pl_cmd_dataset_list,
	&pl_cmd_dataset_show,
	&pl_cmd_model_register,
	&pl_cmd_model_list,
	&pl_cmd_model_show,
	&pl_cmd_hardware_register,
	&pl_cmd_hardware_transfer,
	&pl_cmd_hardware_accept,
	&pl_cmd_hardware_list,
	&pl_cmd_hardware_show,
	&pl_cmd_attest,
	&pl_cmd_lineage,
	&pl_cmd_query,
	&pl_cmd_log,
	&pl_cmd_show,
	&pl_cmd_checkpoint,
	&pl_cmd_prove,
	&pl_cmd_verify,
	&pl_cmd_export,
	&pl_cmd_verify_bundle,
	&pl_cmd_reindex,
	&pl_cmd_serve,
	&pl_cmd_tiles_export,
	&pl_cmd_witness_key,
	&pl_cmd_witness_cosign,
	&pl_cmd_witness_serve,
	&pl_cmd_witness_request,
	&pl_cmd_mirror_init,
	&pl_cmd_pull,
	&pl_cmd_push,
	&pl_cmd_hook_pre_receive,
	&pl_cmd_monitor,
	NULL, /* end */
};
/* clang-format on */

static void print_overview(FILE *f)
{
	fprintf(f, "usage: provledger [--ledger DIR | --remote URL --trust KEY] [--json] [--quiet] "
	           "COMMAND [ARGS]\n\n"
	           "A liability and copyright provenance ledger for AI training data.\n\n"
	           "Commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-20s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
	        "\nGlobal options:\n"
	        "  --ledger DIR   the ledger directory (default $PROVLEDGER_DIR or ./.provledger)\n"
	        "  --json         print one JSON document on stdout instead of text\n"
	        "  --quiet        no progress bar\n"
	        "  --dry-run      commands that append validate and print the entries, append "
	        "nothing\n"
	        "  --remote URL   read and append a served log instead of a directory\n"
	        "                 (default $PROVLEDGER_URL): every answer verified under\n"
	        "  --trust KEY    the operator's key (default $PROVLEDGER_TRUST); the last\n"
	        "                 checkpoint seen is kept per log in\n"
	        "                 ${XDG_CONFIG_HOME:-~/.config}/provledger/logs/ and a split view\n"
	        "                 refused\n"
	        "  --version      print the version\n\n"
	        "Exit codes: 0 success or no finding; 1 a finding (matches, failed verification);\n"
	        "2 usage error; 3 bad input or runtime error.\n"
	        "'provledger help COMMAND' shows a command's page; 'provledger help roles' the\n"
	        "roles, who grants them and who signs what.\n");
}

static void print_help(const pl_cli_cmd *c)
{
	printf("usage: provledger %s %s\n\n%s\n", c->name, c->synopsis, c->summary);
	if (c->help && *c->help)
		printf("\n%s", c->help);
}

/* Find the command named by argv[0] (and argv[1] for two-word commands).
 * *words receives how many argv slots the name used. */
static const pl_cli_cmd *find_command(int argc, char **argv, int *words)
{
	for (size_t i = 0; commands[i]; i++) {
		const char *n = commands[i]->name, *sp = strchr(n, ' ');
		if (!sp && strcmp(n, argv[0]) == 0) {
			*words = 1;
			return commands[i];
		}
		if (sp && argc >= 2 && strncmp(n, argv[0], (size_t)(sp - n)) == 0 &&
		    argv[0][sp - n] == '\0' && strcmp(sp + 1, argv[1]) == 0) {
			*words = 2;
			return commands[i];
		}
	}
	return NULL;
}

/* List the sub-commands of a group ("key") when only the group is named. */
static int group_usage(const char *group)
{
	size_t len = strlen(group);
	int found = 0;
	for (size_t i = 0; commands[i]; i++) {
		const char *n = commands[i]->name;
		if (strncmp(n, group, len) == 0 && n[len] == ' ') {
			if (!found)
				fprintf(stderr, "usage:\n");
			fprintf(stderr, "  provledger %s %s\n", n, commands[i]->synopsis);
			found = 1;
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	pl_cli g = {0};
	pl_buf dry = PL_BUF_INIT;
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int nargs = 0, words = 0, rc, dashdash = 0, remote = 0, explicit_remote = 0;
	const char *trust_arg = NULL; /* a --trust taken as global */
	const pl_cli_cmd *cmd;

	if (!args)
		return PL_EXIT_ERROR;
	g.ledger = getenv("PROVLEDGER_DIR");
	g.remote = getenv("PROVLEDGER_URL");
	g.trust = getenv("PROVLEDGER_TRUST");
	/* --trust is a global option only for a remote log (verify and
	 * verify-bundle have their own otherwise) */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--remote") == 0 || strncmp(argv[i], "--remote=", 9) == 0)
			remote = explicit_remote = 1;
	if (g.remote && *g.remote)
		remote = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash &&
		    (strcmp(a, "--remote") == 0 || (remote && strcmp(a, "--trust") == 0))) {
			if (i + 1 >= argc) {
				pl_cli_err("%s needs %s", a,
				           a[2] == 'r' ? "a URL" : "the operator's key");
				free(args);
				return PL_EXIT_USAGE;
			}
			if (a[2] == 'r')
				g.remote = argv[++i];
			else
				g.trust = trust_arg = argv[++i];
		} else if (!dashdash && strncmp(a, "--remote=", 9) == 0) {
			g.remote = a + 9;
		} else if (!dashdash && remote && strncmp(a, "--trust=", 8) == 0) {
			g.trust = trust_arg = a + 8;
		} else if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
			args[nargs++] = argv[i];
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			g.json = 1;
		} else if (!dashdash && (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)) {
			g.quiet = 1;
		} else if (!dashdash && strcmp(a, "--dry-run") == 0) {
			g.dry_run = 1;
		} else if (!dashdash && strcmp(a, "--ledger") == 0) {
			if (i + 1 >= argc) {
				pl_cli_err("--ledger needs a directory");
				free(args);
				return PL_EXIT_USAGE;
			}
			g.ledger = argv[++i];
		} else if (!dashdash && strncmp(a, "--ledger=", 9) == 0) {
			g.ledger = a + 9;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (!g.ledger || !*g.ledger)
		g.ledger = ".provledger";
	g.progress = !g.quiet && isatty(STDERR_FILENO);
	pl_cli_json_errors(g.json);
	g.dry = &dry;

	if (nargs == 0) {
		print_overview(stderr);
		free(args);
		return PL_EXIT_USAGE;
	}
	if (strcmp(args[0], "--version") == 0 || strcmp(args[0], "version") == 0) {
		printf("provledger %s\n", PL_VERSION);
		free(args);
		return PL_EXIT_OK;
	}
	if (strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0 ||
	    strcmp(args[0], "help") == 0) {
		rc = PL_EXIT_OK;
		if (nargs == 1) {
			print_overview(stdout);
		} else if (strcmp(args[1], "roles") == 0) {
			pl_buf t = PL_BUF_INIT;
			pl_rules_describe(&t);
			fputs(t.ptr ? t.ptr : "", stdout);
			pl_buf_free(&t);
		} else if ((cmd = find_command(nargs - 1, args + 1, &words)) != NULL) {
			print_help(cmd);
		} else if (group_usage(args[1])) {
			rc = PL_EXIT_OK;
		} else {
			pl_cli_err("no such command: %s", args[1]);
			rc = PL_EXIT_USAGE;
		}
		free(args);
		return rc;
	}
	if ((cmd = find_command(nargs, args, &words)) == NULL) {
		if (!group_usage(args[0]))
			pl_cli_err("unknown command '%s' (see 'provledger --help')", args[0]);
		free(args);
		return PL_EXIT_USAGE;
	}
	for (int i = words; i < nargs; i++) {
		if (strcmp(args[i], "--") == 0)
			break;
		if (strcmp(args[i], "--help") == 0 || strcmp(args[i], "-h") == 0) {
			print_help(cmd);
			free(args);
			return PL_EXIT_OK;
		}
	}
	if (g.remote && !*g.remote)
		g.remote = NULL;
	if (g.remote &&
	    (strcmp(cmd->name, "init") == 0 || strcmp(cmd->name, "serve") == 0 ||
	     strcmp(cmd->name, "reindex") == 0 || strcmp(cmd->name, "mirror init") == 0 ||
	     strcmp(cmd->name, "pull") == 0 || strcmp(cmd->name, "push") == 0 ||
	     strcmp(cmd->name, "hook pre-receive") == 0 ||
	     (strncmp(cmd->name, "witness ", 8) == 0 &&
	      strcmp(cmd->name, "witness request") != 0) ||
	     strcmp(cmd->name, "verify-bundle") == 0)) {
		if (explicit_remote) {
			pl_cli_err("%s works on a ledger directory: --remote does not apply",
			           cmd->name);
			free(args);
			return PL_EXIT_USAGE;
		}
		/* PROVLEDGER_URL is for the commands that take it: the command gets
		 * its own --trust back (args has room for the two words taken) */
		g.remote = NULL;
		if (trust_arg) {
			int at = nargs;
			for (int i = words; i < nargs; i++)
				if (strcmp(args[i], "--") == 0) {
					at = i;
					break;
				}
			memmove(args + at + 2, args + at, (size_t)(nargs - at) * sizeof(*args));
			args[at] = (char *)"--trust";
			args[at + 1] = (char *)trust_arg;
			nargs += 2;
		}
	}
	/* The command sees argv[0] = its name, then its own arguments. */
	rc = cmd->fn(&g, cmd, nargs - words + 1, args + words - 1);
	pl_cli_remote_close();
	free(args);
	pl_buf_free(&dry);
	return rc;
}
