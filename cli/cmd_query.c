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

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* Each model with every path from a dataset to it ("a -> b -> c"). */
static void print_models(json_t *models, const char *indent, const char *mark)
{
	json_t *v, *path, *s;
	size_t i, j, k;
	json_array_foreach(models, i, v)
	{
		printf("%s%s (entry %lld)%s:", indent, str(v, "name"), num(v, "seq"), mark);
		json_array_foreach(json_object_get(v, "paths"), j, path)
		{
			printf("%s", json_array_size(json_object_get(v, "paths")) > 1 ? "\n" : " ");
			if (json_array_size(json_object_get(v, "paths")) > 1)
				printf("%s  ", indent);
			json_array_foreach(path, k, s)
			    printf("%s%s", k ? " -> " : "", pl_cli_esc(json_string_value(s)));
		}
		if (json_is_true(json_object_get(v, "paths_truncated")))
			printf("\n%s  (more paths not listed)", indent);
		printf("\n");
	}
}

static void print_one(json_t *q, const char *indent)
{
	json_t *w = q, *e, *v, *mt = json_object_get(q, "match");
	size_t i, j;
	printf("%swork %s \"%s\" (%s, %s), registered at entry %lld\n", indent, str(w, "work"),
	       str(w, "title"), str(w, "holder"), str(w, "terms"), num(w, "seq"));
	if (mt)
		printf("%s  the file is a %s match (tokens %lld-%lld of the work, %lld matched, "
		       "span %s, containment %.4f)\n",
		       indent, str(mt, "class"),
		       (long long)json_integer_value(
		           json_array_get(json_object_get(mt, "work_span"), 0)),
		       (long long)json_integer_value(
		           json_array_get(json_object_get(mt, "work_span"), 1)),
		       num(mt, "matched_tokens"), str(mt, "span"),
		       json_number_value(json_object_get(mt, "containment")));
	printf("%s  evidence: %zu check report%s matched it\n", indent,
	       json_array_size(json_object_get(q, "evidence")),
	       json_array_size(json_object_get(q, "evidence")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(q, "evidence"), i, e)
	{
		json_t *ds = json_object_get(e, "dataset");
		long long cseq = num(json_object_get(e, "check"), "seq");
		printf("%s    check entry %lld (%s)%s%s: %zu match%s\n", indent, cseq,
		       str(e, "created"), ds ? " of dataset " : "", ds ? str(ds, "name") : "",
		       json_array_size(json_object_get(e, "matches")),
		       json_array_size(json_object_get(e, "matches")) == 1 ? "" : "es");
		json_array_foreach(json_object_get(e, "matches"), j, v)
		{
			json_t *ws = json_object_get(v, "work_span");
			const char *span = json_string_value(json_object_get(v, "span"));
			printf("%s      match %lld (claim: --check %lld --match %lld): %s record "
			       "%lld, stream bytes %lld+%lld: %s, tokens %lld-%lld of the work, "
			       "%lld matched%s\n",
			       indent, num(v, "match"), cseq, num(v, "match"), str(v, "shard"),
			       num(v, "record"), num(v, "stream_offset"), num(v, "stream_length"),
			       str(v, "class"),
			       (long long)json_integer_value(json_array_get(ws, 0)),
			       (long long)json_integer_value(json_array_get(ws, 1)),
			       num(v, "matched_tokens"),
			       span && strcmp(span, "exact") == 0 ? " (span exact)"
			                                          : " (span a lower bound)");
		}
	}
	printf("%s  models trained on it (directly or through base models): %zu\n", indent,
	       json_array_size(json_object_get(q, "models")));
	print_models(json_object_get(q, "models"), "    ", "");
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
		json_t *ms = json_object_get(v, "models");
		json_t *nc = json_object_get(json_object_get(v, "newest_check"), "seq");
		printf("  %s (entry %lld): %lld consecutive fingerprints hit (false-positive odds "
		       "%.1e); newest check %lld; %s\n",
		       str(json_object_get(v, "dataset"), "name"),
		       num(json_object_get(v, "dataset"), "seq"), num(v, "run"),
		       json_number_value(json_object_get(v, "false_positive_odds")),
		       nc ? (long long)json_integer_value(nc) : -1LL, str(v, "action"));
		if (json_array_size(ms)) {
			printf("    models trained on it (leads, not proof): %zu\n",
			       json_array_size(ms));
			print_models(ms, "      ", " [lead]");
		}
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
    "Each match is listed with its index in its check entry, as a claim names it:\n"
    "attest claim --check SEQ --match I. Each model is listed once, with every path\n"
    "from a dataset to it (a model trained on the dataset directly and through a base\n"
    "model shows both). A lead lists the models trained on its dataset, marked as\n"
    "leads.\n\n"
    "JSON (--work): {\"work\", \"title\", \"holder\", \"terms\", \"seq\", \"leaf\",\n"
    "\"evidence\": [{\"check\": {\"seq\", \"leaf\"}, \"created\", \"dataset\", \"matches\":\n"
    "[the check entry's match objects, plus \"match\": the index]}], \"datasets\",\n"
    "\"models\": [{\"seq\", \"leaf\", \"name\", \"via\": the first path, \"paths\":\n"
    "[[dataset, model, ...], ...], \"paths_truncated\"?}], \"leads\": [{\"dataset\", \"run\",\n"
    "\"fingerprints\", \"false_positive_odds\", \"newest_check\", \"action\", \"models\": [as\n"
    "models, plus \"lead\": true]}]}; (--file): {\"file\", \"works\": [as --work, plus\n"
    "\"match\"], \"leads\"} (docs/json.md has the schemas).\n"};
