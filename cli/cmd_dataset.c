/* cmd_dataset.c - `provledger dataset register` and `dataset recheck`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_check_part.h"
#include "pl_dataset.h"
#include "pl_registry.h"
#include "shard_opts.h"

void pl_cli_print_matches(pl_ledger *l, json_t *report);
int pl_cli_load_parts(pl_check_part ***out, char **args, int n);
void pl_cli_free_parts(pl_check_part **v, int n);

static void ds_progress(void *ctx, uint64_t done, uint64_t total)
{
	pl_progress_update(ctx, done);
	(void)total;
}

static int dataset_cmd(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv, int recheck)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"version", required_argument, NULL, 'v'},
	                                     {"key", required_argument, NULL, 'k'},
	                                     {"source", required_argument, NULL, 's'},
	                                     {"licence", required_argument, NULL, 'L'},
	                                     {"license", required_argument, NULL, 'L'},
	                                     {"jobs", required_argument, NULL, 'j'},
	                                     {"min-tokens", required_argument, NULL, 'm'},
	                                     {"from-reports", no_argument, NULL, 'R'},
	                                     PL_SHARD_LONGOPTS,
	                                     {NULL, 0, NULL, 0}};
	const char *sources[64], *licences[64], *keyfile = NULL;
	pl_dataset_meta meta = {0};
	pl_check_opts o;
	pl_check_result res;
	pl_cli_shards shards;
	pl_entry_ref cref, dref;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_progress prog;
	pl_check_part **parts = NULL;
	uint64_t v;
	int c, rc, error, from_reports = 0, nparts = 0;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	meta.sources = sources;
	meta.licences = licences;
	pl_cli_shards_init(&shards);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if ((rc = pl_cli_shard_opt(cmd, &o.shard, &shards, c, optarg)) != 0) {
			if (rc < 0)
				return -rc;
			continue;
		}
		switch (c) {
		case 'n':
			meta.name = optarg;
			break;
		case 'v':
			meta.version = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 's':
			if (meta.nsources == 64)
				return pl_cli_usage(cmd, "at most 64 --source");
			sources[meta.nsources++] = optarg;
			break;
		case 'L':
			if (meta.nlicences == 64)
				return pl_cli_usage(cmd, "at most 64 --licence");
			licences[meta.nlicences++] = optarg;
			break;
		case 'R':
			if (recheck)
				return pl_cli_usage(cmd, "unknown option --from-reports");
			from_reports = 1;
			break;
		case 'j':
		case 'm':
			if (pl_cli_parse_u64(&v, optarg) < 0 || v == 0 || v > 1000000)
				return pl_cli_usage(cmd, "%s needs a positive number",
				                    argv[optind - 1]);
			if (c == 'j')
				o.jobs = (unsigned)v;
			else
				o.min_tokens = (unsigned)v;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (recheck && (meta.name || meta.version || meta.nsources || meta.nlicences))
		return pl_cli_usage(cmd, "recheck takes NAME@VERSION, not --name/--version");
	if (recheck ? optind >= argc : optind >= argc && shards.nfrom == 0)
		return pl_cli_usage(cmd, recheck ? "expected NAME@VERSION and shards"
		                                 : "no shard given");
	if (!recheck && (!meta.name || !meta.version))
		return pl_cli_usage(cmd, "--name and --version are required");
	if (!keyfile)
		return pl_cli_usage(cmd, "--key is required");
	if (from_reports && (o.min_tokens || shards.nfrom))
		return pl_cli_usage(cmd, "--from-reports takes part files only: --min-tokens and "
		                         "--files-from were given to 'check --part'");
	if (from_reports) {
		nparts = argc - optind;
		if ((rc = pl_cli_load_parts(&parts, argv + optind, nparts)) != 0 ||
		    (rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
			goto done;
		error = pl_dataset_register_parts(l, &cref, &dref, &res, key, parts, (size_t)nparts,
		                                  &meta);
		goto appended;
	}
	if ((rc = pl_cli_shards_collect(&shards, cmd, argv + optind + recheck,
	                                argc - optind - recheck, PL_CLI_SHARDS_NO_STDIN)) != 0)
		goto done;
	if (shards.n == 0) {
		rc = pl_cli_usage(cmd,
		                  recheck ? "expected NAME@VERSION and shards" : "no shard given");
		goto done;
	}
	o.fields = shards.fields;
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	pl_progress_start(&prog, g, recheck ? "recheck" : "dataset", 0);
	o.progress = ds_progress;
	o.progress_ctx = &prog;
	if (recheck)
		error = pl_dataset_recheck(l, &cref, &res, key, argv[optind], shards.paths,
		                           shards.n, &o);
	else
		error = pl_dataset_register(l, &cref, &dref, &res, key, shards.paths, shards.n,
		                            &meta, &o);
	pl_progress_end(&prog);
appended:
	if (error < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	/* SPEC §2: matches found are a finding, for register as for recheck */
	rc = res.nmatches ? PL_EXIT_FINDING : PL_EXIT_OK;
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, rc);
		goto done;
	}
	if (g->json) {
		json_t *doc = json_pack("{s:o, s:O}", "check", pl_cli_ref(cref.seq, cref.leaf),
		                        "report", res.report);
		if (!recheck) {
			pl_buf nv = PL_BUF_INIT;
			pl_buf_printf(&nv, "%s@%s", meta.name, meta.version);
			json_object_set_new(doc, "name", json_string(nv.ptr ? nv.ptr : ""));
			json_object_set_new(doc, "dataset", pl_cli_ref(dref.seq, dref.leaf));
			pl_buf_free(&nv);
		} else {
			json_object_set_new(doc, "name", json_string(argv[optind]));
		}
		pl_cli_json_print(doc);
	} else {
		if (recheck)
			printf("rechecked %s against %llu works: check entry %llu\n",
			       pl_cli_esc(argv[optind]), (unsigned long long)pl_registry_count(l),
			       (unsigned long long)cref.seq);
		else
			printf("registered dataset %s@%s as entry %llu (check entry %llu): %zu "
			       "shards, %llu records, %llu tokens\n",
			       pl_cli_esc(meta.name), pl_cli_esc(meta.version),
			       (unsigned long long)dref.seq, (unsigned long long)cref.seq,
			       res.nshards, (unsigned long long)res.records,
			       (unsigned long long)res.tokens);
		if (res.nmatches)
			pl_cli_print_matches(l, res.report);
		else
			printf("no registered work found\n");
	}
done:
	pl_cli_free_parts(parts, nparts);
	pl_cli_shards_free(&shards);
	pl_check_result_free(&res);
	pl_key_free(key);
	pl_ledger_free(l);
	return rc;
}

static int cmd_dataset_register(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return dataset_cmd(g, cmd, argc, argv, 0);
}

static int cmd_dataset_recheck(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return dataset_cmd(g, cmd, argc, argv, 1);
}

const pl_cli_cmd pl_cmd_dataset_register = {
    "dataset register", cmd_dataset_register,
    "--name N --version V SHARD... --key K [--source S]... [--licence L]... "
    "[--files-from FILE] | --from-reports PART...",
    "hash, check and sketch shards; append a check entry and a dataset manifest",
    "One pass over the shards computes their digests (SHA-256, Merkle root), checks\n"
    "every record against the registry (as 'provledger check') and builds the\n"
    "dataset's Bloom sketch (bloom-winnow-v1), so that works registered later can\n"
    "be looked for without the data. Then two entries are appended, signed by --key\n"
    "(a registered lab key): the check report, and the dataset manifest (SPEC 6.4)\n"
    "that refers to it and carries the sketch as an attachment.\n\n"
    "Options:\n"
    "  --name N, --version V  the dataset's name@version (registered once)\n"
    "  --source S             where the data came from (repeatable)\n"
    "  --licence L            a licence that covers it (repeatable)\n"
    "  --jobs N, --min-tokens N  as for 'provledger check'\n"
    "  --from-reports   the arguments are the parts of a check split over a job array\n"
    "                   ('provledger check --part I/N --for-dataset'), not shards: the\n"
    "                   parts are merged as 'provledger merge' merges them, the sketch\n"
    "                   is built from their fingerprint files (PART.fps), and the entries\n"
    "                   appended are those a register over the shards appends, without\n"
    "                   reading the shards again. The parts must have been checked\n"
    "                   without --robust against the ledger as it is now (refused\n"
    "                   otherwise: check again).\n" PL_SHARD_OPTS_HELP "\n"
    "Matches do not stop the registration: they are recorded in the check entry and\n"
    "printed. Refused (exit 3): an existing name@version, a key that is not a lab key,\n"
    "bad shards (as for 'provledger hash').\n"};

const pl_cli_cmd pl_cmd_dataset_recheck = {
    "dataset recheck", cmd_dataset_recheck, "NAME@VERSION SHARD... --key K [--files-from FILE]",
    "check a dataset's shards again against today's registry; append a new check entry",
    "The shards given must be exactly the dataset's (their SHA-256 must equal the\n"
    "manifest's; refused otherwise, naming the shard). The new check entry names the\n"
    "dataset, so 'lineage' and 'query' use the newest check. Exit 1 when the recheck\n"
    "found matches, 0 when it found none.\n"};
