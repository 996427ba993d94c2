/* cmd_registry.c - `provledger registry build`: the lookup table, once, into
 * a file that checks map. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_registry.h"

static int cmd_registry_build(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
	                                     {"robust", no_argument, NULL, 'r'},
	                                     {"registry-part", required_argument, NULL, 'p'},
	                                     {NULL, 0, NULL, 0}};
	pl_regfile_info info;
	pl_ledger *l = NULL;
	const char *outp = NULL;
	pl_buf root = PL_BUF_INIT;
	int c, rc, robust = 0, error;
	uint32_t pidx = 0, pcnt = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'o')
			outp = optarg;
		else if (c == 'r')
			robust = 1;
		else if (c == 'p') {
			if (pl_cli_parse_registry_part(&pidx, &pcnt, optarg) < 0)
				return pl_cli_usage(cmd, "%s", pl_error_last());
		} else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	if (optind < argc)
		return pl_cli_usage(cmd, "unexpected argument %s", argv[optind]);
	if (!outp)
		return pl_cli_usage(cmd, "--out is required");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_registry_build(&info, l, outp, robust, pidx, pcnt)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((error = pl_base64_encode(&root, info.root, PL_HASH_LEN)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		json_t *doc = json_pack(
		    "{s:s, s:{s:i, s:i}, s:I, s:I, s:I, s:{s:I, s:s}}", "out", outp, "scheme", "k",
		    (int)info.k, "w", (int)info.w, "works", (json_int_t)info.works, "fingerprints",
		    (json_int_t)info.entries, "bytes", (json_int_t)info.file_bytes, "ledger",
		    "size", (json_int_t)info.ledger_size, "root", root.ptr);
		if (doc && info.part_count > 1)
			json_object_set_new(
			    doc, "registry_part",
			    json_pack("{s:i, s:i, s:I}", "index", (int)info.part_index, "count",
			              (int)info.part_count, "works", (json_int_t)info.total_works));
		pl_cli_json_print(doc);
	} else {
		char part[96] = "";
		if (info.part_count > 1)
			snprintf(part, sizeof(part), " (registry part %u/%u of %llu works)",
			         info.part_index, info.part_count,
			         (unsigned long long)info.total_works);
		printf("wrote %s: %llu work%s%s, %llu fingerprints (k=%u w=%u), %llu bytes, built "
		       "at ledger size %llu\n",
		       pl_cli_esc(outp), (unsigned long long)info.works, info.works == 1 ? "" : "s",
		       part, (unsigned long long)info.entries, info.k, info.w,
		       (unsigned long long)info.file_bytes, (unsigned long long)info.ledger_size);
	}
done:
	pl_buf_free(&root);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_registry_build = {
    "registry build", cmd_registry_build, "--out FILE [--robust] [--registry-part P/Q]",
    "build the registry's lookup table once into a file that checks memory-map",
    "Every 'provledger check' builds the lookup table of the registered works'\n"
    "fingerprints from the index (a second or more for 10,000 works, and its own copy\n"
    "in memory). 'registry build' writes that table to FILE, once; 'check\n"
    "--registry-file FILE' maps it read-only, so that every worker of a node shares\n"
    "one copy in the page cache, and gives the same report. The file names the\n"
    "ledger state it was built from (size and root), its scheme (k, w) and a SHA-256\n"
    "of its content; a check refuses it when a work has been registered since, when\n"
    "it is for the other scheme, from another ledger, truncated, corrupt or of\n"
    "another version. The layout is documented in ledger/registry/pl_regfile.h.\n\n"
    "Options:\n"
    "  --out FILE   where to write it (atomically)\n"
    "  --robust     the table of the robust scheme (k=8 w=17), for 'check --robust'\n"
    "  --registry-part P/Q\n"
    "               only registry part P of Q: the works whose index among the\n"
    "               registered works is P mod Q, with the whole registry's counts for\n"
    "               the boilerplate rule (--max-df); a file of 1/Q of the size, for a\n"
    "               registry too large for one node's memory. A check with it must be\n"
    "               a part (--part I/N); merge combines the Q registry parts of every\n"
    "               shard part into the report of the whole registry (SPEC 10)\n"};
