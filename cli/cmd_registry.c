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
	                                     {NULL, 0, NULL, 0}};
	pl_regfile_info info;
	pl_ledger *l = NULL;
	const char *outp = NULL;
	pl_buf root = PL_BUF_INIT;
	int c, rc, robust = 0, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'o')
			outp = optarg;
		else if (c == 'r')
			robust = 1;
		else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	if (optind < argc)
		return pl_cli_usage(cmd, "unexpected argument %s", argv[optind]);
	if (!outp)
		return pl_cli_usage(cmd, "--out is required");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_registry_build(&info, l, outp, robust)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((error = pl_base64_encode(&root, info.root, PL_HASH_LEN)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json)
		pl_cli_json_print(json_pack(
		    "{s:s, s:{s:i, s:i}, s:I, s:I, s:I, s:{s:I, s:s}}", "out", outp, "scheme", "k",
		    (int)info.k, "w", (int)info.w, "works", (json_int_t)info.works, "fingerprints",
		    (json_int_t)info.entries, "bytes", (json_int_t)info.file_bytes, "ledger",
		    "size", (json_int_t)info.ledger_size, "root", root.ptr));
	else
		printf("wrote %s: %llu works, %llu fingerprints (k=%u w=%u), %llu bytes, built at "
		       "ledger size %llu\n",
		       pl_cli_esc(outp), (unsigned long long)info.works,
		       (unsigned long long)info.entries, info.k, info.w,
		       (unsigned long long)info.file_bytes, (unsigned long long)info.ledger_size);
done:
	pl_buf_free(&root);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_registry_build = {
    "registry build", cmd_registry_build, "--out FILE [--robust]",
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
    "  --robust     the table of the robust scheme (k=8 w=17), for 'check --robust'\n"};
