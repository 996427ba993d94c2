/* cmd_query.c - `provledger query --work ID | --file FILE`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_query.h"

/* A string field, escaped for text output. */
static const char *str(const json_t *o, const char *k)
{
	return pl_cli_esc(json_string_value(json_object_get(o, k)));
}

static void print_one(json_t *q, const char *indent)
{
	json_t *w = q, *e, *v;
	size_t i, j;
	printf("%swork %s \"%s\" (%s, %s), registered at entry %lld\n", indent, str(w, "work"),
	       str(w, "title"), str(w, "holder"), str(w, "terms"),
	       (long long)json_integer_value(json_object_get(w, "seq")));
	if (json_object_get(q, "match"))
		printf(
		    "%s  the file is a %s match (containment %.4f)\n", indent,
		    str(json_object_get(q, "match"), "class"),
		    json_number_value(json_object_get(json_object_get(q, "match"), "containment")));
	printf("%s  evidence: %zu check report%s matched it\n", indent,
	       json_array_size(json_object_get(q, "evidence")),
	       json_array_size(json_object_get(q, "evidence")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(q, "evidence"), i, e)
	{
		json_t *ds = json_object_get(e, "dataset");
		printf("%s    check entry %lld (%s)%s%s: %zu match%s\n", indent,
		       (long long)json_integer_value(
		           json_object_get(json_object_get(e, "check"), "seq")),
		       str(e, "created"), ds ? " of dataset " : "", ds ? str(ds, "name") : "",
		       json_array_size(json_object_get(e, "matches")),
		       json_array_size(json_object_get(e, "matches")) == 1 ? "" : "es");
		json_array_foreach(json_object_get(e, "matches"), j, v) printf(
		    "%s      %s record %lld, stream bytes %lld+%lld: %s, %lld tokens\n", indent,
		    str(v, "shard"), (long long)json_integer_value(json_object_get(v, "record")),
		    (long long)json_integer_value(json_object_get(v, "stream_offset")),
		    (long long)json_integer_value(json_object_get(v, "stream_length")),
		    str(v, "class"),
		    (long long)json_integer_value(json_object_get(v, "matched_tokens")));
	}
	printf("%s  models trained on it (directly or through base models): %zu\n", indent,
	       json_array_size(json_object_get(q, "models")));
	json_array_foreach(json_object_get(q, "models"), i, v)
	{
		json_t *via = json_object_get(v, "via"), *s;
		printf("%s    %s (entry %lld): ", indent, str(v, "name"),
		       (long long)json_integer_value(json_object_get(v, "seq")));
		json_array_foreach(via, j, s)
		    printf("%s%s", j ? " -> " : "", pl_cli_esc(json_string_value(s)));
		printf("\n");
	}
}

static void print_leads(json_t *leads, const char *what)
{
	json_t *v;
	size_t i;
	if (!json_array_size(leads))
		return;
	printf("leads (not proof): dataset sketches that probably hold %s\n", what);
	json_array_foreach(leads, i, v)
	{
		json_t *nc = json_object_get(json_object_get(v, "newest_check"), "seq");
		printf("  %s (entry %lld): %lld consecutive fingerprints hit (false-positive odds "
		       "%.1e); newest check %lld; %s\n",
		       str(json_object_get(v, "dataset"), "name"),
		       (long long)json_integer_value(
		           json_object_get(json_object_get(v, "dataset"), "seq")),
		       (long long)json_integer_value(json_object_get(v, "run")),
		       json_number_value(json_object_get(v, "false_positive_odds")),
		       nc ? (long long)json_integer_value(nc) : -1LL, str(v, "action"));
	}
}

static int cmd_query(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"work", required_argument, NULL, 'w'},
	                                     {"file", required_argument, NULL, 'f'},
	                                     {NULL, 0, NULL, 0}};
	const char *work = NULL, *file = NULL;
	pl_ledger *l = NULL;
	pl_buf data = PL_BUF_INIT, id = PL_BUF_INIT;
	json_t *q = NULL;
	int c, rc, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			work = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!work == !file)
		return pl_cli_usage(cmd, "give one of --work ID or --file FILE");
	if (file && (error = pl_read_file(&data, file, (size_t)1 << 30)) < 0)
		return pl_cli_fail(error);
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if (work && (rc = pl_cli_work_id(l, &id, work)) != 0)
		goto done;
	error = work ? pl_query_work(&q, l, id.ptr)
	             : pl_query_file(&q, l, file, data.ptr ? data.ptr : "", data.len);
	if (error < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(q);
		q = NULL;
	} else if (work) {
		print_one(q, "");
		print_leads(json_object_get(q, "leads"), "the work");
	} else {
		json_t *v;
		size_t i;
		printf("%s: %lld words, normalized sha256 %s\n", pl_cli_esc(file),
		       (long long)json_integer_value(
		           json_object_get(json_object_get(q, "file"), "tokens")),
		       str(json_object_get(q, "file"), "normalized_sha256"));
		if (!json_array_size(json_object_get(q, "works")))
			printf("it matches no registered work\n");
		json_array_foreach(json_object_get(q, "works"), i, v) print_one(v, "");
		print_leads(json_object_get(q, "leads"), "this file");
	}
done:
	json_decref(q);
	pl_buf_free(&data);
	pl_buf_free(&id);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_query = {
    "query", cmd_query, "--work ID | --file FILE",
    "which check reports, datasets and models hold a work; and which sketches probably do",
    "--work ID: the registered work's evidence (ID: a work id, or a unique prefix of\n"
    "at least 5 characters, as 'work show' takes it): every check report that\n"
    "matched it (with its spans), the datasets of those checks, and every model\n"
    "trained on them directly or through any chain of base models (\"via\" shows\n"
    "the chain).\n\n"
    "Separately, as leads: datasets whose Bloom sketch holds a run of at least 8\n"
    "consecutive fingerprints of the work (false-positive odds printed) and whose newest\n"
    "check predates the work's registration. A lead is not proof: it obliges the lab\n"
    "to 'provledger dataset recheck', whose report is the evidence.\n\n"
    "--file FILE: the file is fingerprinted locally (the text does not leave this\n"
    "machine); the registered works it matches are queried as above, and the dataset\n"
    "sketches that probably hold the file are listed, whether or not it is registered.\n\n"
    "JSON (--work): {\"work\", \"title\", \"holder\", \"terms\", \"seq\", \"leaf\",\n"
    "\"evidence\": [{\"check\": {\"seq\", \"leaf\"}, \"created\", \"dataset\", \"matches\"}],\n"
    "\"datasets\", \"models\": [{\"seq\", \"leaf\", \"name\", \"via\"}], \"leads\": "
    "[{\"dataset\",\n"
    "\"run\", \"fingerprints\", \"false_positive_odds\", \"newest_check\", \"action\"}]};\n"
    "(--file): {\"file\", \"works\": [as --work, plus \"match\"], \"leads\"}\n"
    "(docs/json.md has the schemas).\n"};
