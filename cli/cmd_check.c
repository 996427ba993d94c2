/* cmd_check.c - `provledger check SHARD...`: match every record against the registry. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_check.h"
#include "pl_registry.h"
#include "shard_opts.h"

static void check_progress(void *ctx, uint64_t done, uint64_t total)
{
	pl_progress_update(ctx, done);
	(void)total;
}

/* Title, holder and terms of a work, for the human summary. */
typedef struct {
	char title[200], holder[120], terms[120];
} winfo;

static int got_work(void *ctx, const pl_work_info *w)
{
	winfo *i = ctx;
	snprintf(i->title, sizeof(i->title), "%s", w->title);
	snprintf(i->holder, sizeof(i->holder), "%s", w->holder);
	snprintf(i->terms, sizeof(i->terms), "%s", w->terms);
	return 0;
}

void pl_cli_print_matches(pl_ledger *l, json_t *report);
void pl_cli_print_matches(pl_ledger *l, json_t *report)
{
	json_t *ms = json_object_get(report, "matches"), *m;
	size_t i;
	printf("%zu match%s:\n", json_array_size(ms), json_array_size(ms) == 1 ? "" : "es");
	json_array_foreach(ms, i, m)
	{
		winfo w = {"?", "?", "?"};
		const char *id = json_string_value(json_object_get(m, "work"));
		json_t *span = json_object_get(m, "work_span");
		pl_registry_get(l, id, got_work, &w);
		printf("  %s record %lld, bytes %lld+%lld (stream %lld+%lld)\n"
		       "    %s: %s \"%s\" (%s, %s)\n"
		       "    words %lld-%lld of the work, %lld matched tokens, containment %s, "
		       "coverage %s\n",
		       pl_cli_esc(json_string_value(json_object_get(m, "shard"))),
		       (long long)json_integer_value(json_object_get(m, "record")),
		       (long long)json_integer_value(json_object_get(m, "offset")),
		       (long long)json_integer_value(json_object_get(m, "length")),
		       (long long)json_integer_value(json_object_get(m, "stream_offset")),
		       (long long)json_integer_value(json_object_get(m, "stream_length")),
		       pl_cli_esc(json_string_value(json_object_get(m, "class"))), pl_cli_esc(id),
		       pl_cli_esc(w.title), pl_cli_esc(w.holder), pl_cli_esc(w.terms),
		       (long long)json_integer_value(json_array_get(span, 0)),
		       (long long)json_integer_value(json_array_get(span, 1)),
		       (long long)json_integer_value(json_object_get(m, "matched_tokens")),
		       pl_cli_esc(json_string_value(json_object_get(m, "containment"))),
		       pl_cli_esc(json_string_value(json_object_get(m, "coverage"))));
	}
}

static int cmd_check(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"robust", no_argument, NULL, 'r'},
	                                     {"min-tokens", required_argument, NULL, 'm'},
	                                     {"max-df", required_argument, NULL, 'd'},
	                                     {"jobs", required_argument, NULL, 'j'},
	                                     {"stats", no_argument, NULL, 's'},
	                                     PL_SHARD_LONGOPTS,
	                                     {NULL, 0, NULL, 0}};
	pl_check_opts o;
	pl_check_result res;
	pl_cli_shards shards;
	pl_ledger *l = NULL;
	pl_progress prog;
	uint64_t v;
	int c, rc, error, stats = 0;

	memset(&o, 0, sizeof(o));
	pl_cli_shards_init(&shards);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":j:", opts, NULL)) != -1) {
		if ((rc = pl_cli_shard_opt(cmd, &o.shard, &shards, c, optarg)) != 0) {
			if (rc < 0)
				return -rc;
			continue;
		}
		switch (c) {
		case 'r':
			o.robust = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'm':
		case 'd':
		case 'j':
			if (pl_cli_parse_u64(&v, optarg) < 0 || v == 0 || v > 1000000)
				return pl_cli_usage(cmd, "%s needs a positive number",
				                    argv[optind - 1]);
			if (c == 'm')
				o.min_tokens = (unsigned)v;
			else if (c == 'd')
				o.max_df = (unsigned)v;
			else
				o.jobs = (unsigned)v;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if ((rc = pl_cli_shards_collect(&shards, cmd, argv + optind, argc - optind, 0)) != 0)
		goto done;
	if (shards.n == 0) {
		rc = pl_cli_usage(cmd, "no shard given");
		goto done;
	}
	if ((rc = pl_cli_open(g, &l)) != 0 || (rc = pl_cli_shards_spool_stdin(&shards)) != 0)
		goto done;
	o.fields = shards.fields;
	o.names = shards.names;
	pl_progress_start(&prog, g, "check", 0);
	o.progress = check_progress;
	o.progress_ctx = &prog;
	error = pl_check_run(&res, l, shards.paths, shards.n, &o);
	pl_progress_end(&prog);
	if (error < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	rc = res.nmatches ? PL_EXIT_FINDING : PL_EXIT_OK;
	if (stats)
		fprintf(stderr, "registry: %zu works, lookup table %zu bytes, loaded in %.3f s\n",
		        res.registry_works, res.table_bytes, res.load_seconds);
	if (g->json) {
		pl_cli_json_print(json_incref(res.report));
	} else {
		printf("checked %zu shard%s: %llu records, %llu bytes, %llu tokens against %llu "
		       "works (ledger size %llu)\n",
		       res.nshards, res.nshards == 1 ? "" : "s", (unsigned long long)res.records,
		       (unsigned long long)res.bytes, (unsigned long long)res.tokens,
		       (unsigned long long)pl_registry_count(l),
		       (unsigned long long)pl_ledger_size(l));
		if (json_integer_value(json_object_get(res.report, "ignored_fingerprints")))
			printf("ignored %lld boilerplate fingerprints (in more than %u works)\n",
			       (long long)json_integer_value(
			           json_object_get(res.report, "ignored_fingerprints")),
			       o.max_df ? o.max_df : 50);
		if (res.nmatches)
			pl_cli_print_matches(l, res.report);
		else
			printf("no registered work found\n");
	}
	pl_check_result_free(&res);
done:
	pl_cli_shards_free(&shards);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_check = {
    "check", cmd_check,
    "SHARD... [--robust] [--min-tokens N] [--max-df N] [--jobs N] [--format F] [--field NAME] "
    "[--files-from FILE]",
    "match every record of the shards against the registry of works; append nothing",
    "Every record is normalized and tokenized (SPEC 8), fingerprinted with winnow-v1\n"
    "and looked up in the registry. A match names the shard, the record (0-based), the\n"
    "byte offset and length of the matched span in the record's text and in the\n"
    "decompressed stream, the work and the work's token span, the matched tokens,\n"
    "containment (share of the work's fingerprints found), coverage (share of the\n"
    "record's fingerprints from the work) and a class:\n"
    "  exact           the record's normalized text equals the work's\n"
    "  near-duplicate  containment and coverage both at least 0.8\n"
    "  partial         a verified span; reported when it could come from a common run\n"
    "                  of at least --min-tokens tokens (the span plus w-1 tokens of\n"
    "                  winnowing uncertainty at each end)\n"
    "The span reported runs from the first to the last k-token shingle that both\n"
    "texts share on one diagonal; matched tokens are those inside shared shingles.\n"
    "A copy can extend up to w-1 tokens beyond each end of the span.\n\n"
    "Options:\n"
    "  --robust         k=8 w=17 (finds runs of 24 tokens; for edited text, lyrics, code)\n"
    "                   instead of k=13 w=38 (runs of 50 tokens)\n"
    "  --min-tokens N   smallest common run to report (default 50)\n"
    "  --max-df N       fingerprints in more than N works are boilerplate (default 50)\n"
    "  --jobs N         worker threads (default: the number of cores); the report is\n"
    "                   the same for any N\n" PL_SHARD_OPTS_HELP "\n"
    "Exit 0 when nothing matched, 1 when something did, 3 on bad input (the shard\n"
    "errors of 'provledger hash'). --json prints the report of SPEC 6.3 whole.\n"};
