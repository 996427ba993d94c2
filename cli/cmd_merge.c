/* cmd_merge.c - `provledger merge PART...`: the parts of a check split over a
 * job array, combined into the report a single check gives. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_check_part.h"

void pl_cli_print_matches(pl_ledger *l, json_t *report);

/* Load every part named in args; 0 or the exit code. */
int pl_cli_load_parts(pl_check_part ***out, char **args, int n);
int pl_cli_load_parts(pl_check_part ***out, char **args, int n)
{
	pl_check_part **v = calloc((size_t)n + 1, sizeof(*v));
	int error;
	if (!v)
		return pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
	*out = v;
	for (int i = 0; i < n; i++)
		if ((error = pl_check_part_load(&v[i], args[i])) < 0)
			return pl_cli_fail(error);
	return 0;
}

void pl_cli_free_parts(pl_check_part **v, int n);
void pl_cli_free_parts(pl_check_part **v, int n)
{
	for (int i = 0; v && i < n; i++)
		pl_check_part_free(v[i]);
	free(v);
}

static int cmd_merge(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
	                                     {NULL, 0, NULL, 0}};
	pl_check_part **parts = NULL;
	pl_check_result res;
	pl_buf text = PL_BUF_INIT;
	const char *outp = NULL;
	int c, n, rc, error;

	memset(&res, 0, sizeof(res));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'o')
			outp = optarg;
		else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	if ((n = argc - optind) == 0)
		return pl_cli_usage(cmd, "no part given");
	if ((rc = pl_cli_load_parts(&parts, argv + optind, n)) != 0)
		goto done;
	if ((error = pl_check_merge(&res, parts, (size_t)n)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	rc = res.nmatches ? PL_EXIT_FINDING : PL_EXIT_OK;
	if (outp || g->json) {
		json_t *doc = json_deep_copy(res.report);
		error =
		    doc ? pl_cli_json_text(&text, doc) : pl_error_set(PL_ENOMEM, "out of memory");
		json_decref(doc);
		if (error == PL_OK && outp)
			error = pl_write_file_atomic(outp, text.ptr, text.len, 0644);
		if (error < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
	}
	if (g->json) {
		fwrite(text.ptr, 1, text.len, stdout);
	} else {
		printf(
		    "merged %d part%s: %zu shard%s, %llu records, %llu bytes, %llu tokens, checked "
		    "at ledger size %lld\n",
		    n, n == 1 ? "" : "s", res.nshards, res.nshards == 1 ? "" : "s",
		    (unsigned long long)res.records, (unsigned long long)res.bytes,
		    (unsigned long long)res.tokens,
		    (long long)json_integer_value(
		        json_object_get(json_object_get(res.report, "registry"), "size")));
		if (res.nmatches)
			pl_cli_print_matches(NULL, res.report);
		else
			printf("no registered work found\n");
		if (outp)
			printf("wrote the report to %s\n", pl_cli_esc(outp));
	}
done:
	pl_check_result_free(&res);
	pl_cli_free_parts(parts, n);
	pl_buf_free(&text);
	return rc;
}

const pl_cli_cmd pl_cmd_merge = {
    "merge", cmd_merge, "PART... [--out FILE]",
    "combine the parts of a check split over a job array into one report",
    "Each PART is a file that 'provledger check --part I/N' wrote (with its completion\n"
    "marker PART.done beside it). The parts are combined by the shards' positions in\n"
    "the list and the matches' order within each shard, so the report is the one a\n"
    "single 'provledger check' over the whole list prints with --json, byte for byte,\n"
    "whatever order the parts are given in and whatever order the tasks ran in. No\n"
    "ledger is needed: the report names the ledger state it was checked against.\n\n"
    "Options:\n"
    "  --out FILE   also write the report (as 'check --json' prints it) to FILE\n\n"
    "Refused (exit 3, nothing written): a missing part or one given twice, a part\n"
    "without its completion marker or with a stale one, a truncated or altered part,\n"
    "parts from different shard lists, shard options, check options or registry\n"
    "states. Exit 0 when nothing matched, 1 when something did. --json prints the\n"
    "report of SPEC 6.3 whole, as 'check --json' does.\n"};
