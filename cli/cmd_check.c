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

/* An excerpt on one line, quoted: controls, quotes and backslashes escaped. */
static void print_excerpt(const char *x)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)x; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* The matches of a report, numbered as in its list (a claim names a check
 * entry's match by that number: attest claim --check SEQ --match I); with
 * excerpts (one per match, may be NULL), the first characters of each. */
static void print_matches(pl_ledger *l, json_t *report, char *const *excerpts)
{
	json_t *ms = json_object_get(report, "matches"), *m;
	size_t i;
	printf("%zu match%s:\n", json_array_size(ms), json_array_size(ms) == 1 ? "" : "es");
	json_array_foreach(ms, i, m)
	{
		winfo w = {"?", "?", "?"};
		const char *id = json_string_value(json_object_get(m, "work"));
		const char *span = json_string_value(json_object_get(m, "span"));
		json_t *ws = json_object_get(m, "work_span"),
		       *pieces = json_object_get(m, "pieces");
		long long w0 = (long long)json_integer_value(json_array_get(ws, 0));
		long long w1 = (long long)json_integer_value(json_array_get(ws, 1));
		int exact = span && strcmp(span, "exact") == 0;
		pl_registry_get(l, id, got_work, &w);
		printf("  match %zu: %s record %lld, bytes %lld+%lld (stream %lld+%lld)\n"
		       "    %s: %s \"%s\" (%s, %s)\n"
		       "    tokens %lld-%lld of the work (half-open, %lld tokens), %lld matched "
		       "tokens, %s, containment %s, coverage %s\n",
		       i, pl_cli_esc(json_string_value(json_object_get(m, "shard"))),
		       num(m, "record"), num(m, "offset"), num(m, "length"),
		       num(m, "stream_offset"), num(m, "stream_length"),
		       pl_cli_esc(json_string_value(json_object_get(m, "class"))), pl_cli_esc(id),
		       pl_cli_esc(w.title), pl_cli_esc(w.holder), pl_cli_esc(w.terms), w0, w1,
		       w1 - w0, num(m, "matched_tokens"),
		       exact ? "span exact"
		             : "span a lower bound (the copy may run further at each end)",
		       pl_cli_esc(json_string_value(json_object_get(m, "containment"))),
		       pl_cli_esc(json_string_value(json_object_get(m, "coverage"))));
		if (json_array_size(pieces)) {
			json_t *p;
			size_t j;
			printf("    %zu verbatim pieces (work tokens, record bytes):",
			       json_array_size(pieces));
			json_array_foreach(pieces, j, p)
			{
				json_t *pw = json_object_get(p, "work_span");
				printf("%s %lld-%lld (%lld+%lld)", j ? "," : "",
				       (long long)json_integer_value(json_array_get(pw, 0)),
				       (long long)json_integer_value(json_array_get(pw, 1)),
				       num(p, "offset"), num(p, "length"));
			}
			printf("\n");
		}
		if (excerpts && excerpts[i]) {
			printf("    excerpt: ");
			print_excerpt(excerpts[i]);
			printf("\n");
		}
	}
}

void pl_cli_print_matches(pl_ledger *l, json_t *report);
void pl_cli_print_matches(pl_ledger *l, json_t *report)
{
	print_matches(l, report, NULL);
}

static int cmd_check(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"robust", no_argument, NULL, 'r'},
	                                     {"min-tokens", required_argument, NULL, 'm'},
	                                     {"max-df", required_argument, NULL, 'd'},
	                                     {"jobs", required_argument, NULL, 'j'},
	                                     {"stats", no_argument, NULL, 's'},
	                                     {"excerpts", required_argument, NULL, 'x'},
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
		case 'x':
			if (pl_cli_parse_u64(&v, optarg) < 0 || v == 0 || v > 1000000)
				return pl_cli_usage(cmd, "%s needs a positive number",
				                    argv[optind - 1]);
			if (c == 'm')
				o.min_tokens = (unsigned)v;
			else if (c == 'd')
				o.max_df = (unsigned)v;
			else if (c == 'x')
				o.excerpts = (unsigned)v;
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
	o.shard.no_merkle = 1; /* the report names shards by SHA-256; no manifest is written */
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
		/* excerpts go to this output only: the report (what dataset register
		 * signs) never holds them */
		json_t *out = json_deep_copy(res.report), *m;
		size_t i;
		json_array_foreach(json_object_get(out, "matches"), i,
		                   m) if (i < res.nexcerpts && res.excerpts[i])
		    json_object_set_new(m, "excerpt", json_string(res.excerpts[i]));
		pl_cli_json_print(out);
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
			print_matches(l, res.report, res.nexcerpts ? res.excerpts : NULL);
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
    "SHARD... [--robust] [--min-tokens N] [--max-df N] [--jobs N] [--excerpts N] [--format F] "
    "[--field NAME] [--files-from FILE]",
    "match every record of the shards against the registry of works; append nothing",
    "Every record is normalized and tokenized (SPEC 8), fingerprinted with winnow-v1\n"
    "and looked up in the registry. A match names the shard, the record (0-based), the\n"
    "byte offset and length of the matched span in the record's text and in the\n"
    "decompressed stream, the work and the work's token span (half-open, from 0), the\n"
    "matched tokens, containment (share of the work's fingerprints found), coverage\n"
    "(share of the record's fingerprints from the work), span and a class:\n"
    "  exact           the record's normalized text equals the work's\n"
    "  near-duplicate  containment and coverage both at least 0.8\n"
    "  partial         at least --min-tokens tokens copied\n"
    "span \"exact\": the span is the copied run, to the token at both ends (works\n"
    "registered with span hashes: each fingerprint hit is grown shingle by shingle\n"
    "to where the texts differ). An edited copy is a list of verbatim \"pieces\"\n"
    "(each with its work_span, offset, length, stream_offset, stream_length); the\n"
    "match's span runs from the first to the last and matched_tokens counts the\n"
    "tokens inside them. span \"lower-bound\": a work registered without span hashes;\n"
    "the span runs from the first to the last shared k-token shingle, the copy may\n"
    "extend up to w-1 tokens beyond each end, and it is reported when that margin\n"
    "could make it --min-tokens long. Matches are numbered as in the report: a claim\n"
    "names one as --check SEQ --match I.\n\n"
    "Options:\n"
    "  --robust         k=8 w=17 (finds runs of 24 tokens; for edited text, lyrics, code)\n"
    "                   instead of k=13 w=38 (runs of 50 tokens)\n"
    "  --min-tokens N   smallest copy to report, in matched tokens (default 50)\n"
    "  --max-df N       fingerprints in more than N works are boilerplate (default 50)\n"
    "  --jobs N         worker threads (default: the number of cores); the report is\n"
    "                   the same for any N\n"
    "  --excerpts N     print the first N characters of each match's record span, for\n"
    "                   the lab's own review (with --json an \"excerpt\" per match); never\n"
    "                   part of a report that enters the ledger\n" PL_SHARD_OPTS_HELP "\n"
    "Exit 0 when nothing matched, 1 when something did, 3 on bad input (the shard\n"
    "errors of 'provledger hash'). --json prints the report of SPEC 6.3 whole.\n"};
