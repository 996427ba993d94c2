/* cmd_lineage.c - `provledger lineage N@V`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_lineage.h"

static int cmd_lineage(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
	                                     {NULL, 0, NULL, 0}};
	const char *format = g->json ? "json" : "text";
	pl_ledger *l = NULL;
	json_t *doc = NULL;
	pl_buf out = PL_BUF_INIT;
	int c, error, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "expected one model NAME@VERSION");
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "dot") != 0)
		return pl_cli_usage(cmd, "--format must be text, json or dot, not '%s'", format);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_lineage_get(&doc, l, argv[optind])) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (strcmp(format, "json") == 0) {
		pl_cli_json_print(doc);
		doc = NULL;
	} else {
		pl_lineage_render(&out, doc,
		                  strcmp(format, "dot") == 0 ? PL_LINEAGE_DOT : PL_LINEAGE_TEXT);
		fwrite(out.ptr, 1, out.len, stdout);
	}
done:
	json_decref(doc);
	pl_buf_free(&out);
	pl_ledger_free(l);
	return rc;
}

/* One rule of the table in pl_lineage.h, as the help lists it. */
#define RULE_HELP(code, severity, subject_type, check, summary)                                    \
	"  " code " (" severity ", " subject_type ")\n      " summary "\n"

const pl_cli_cmd pl_cmd_lineage = {
    "lineage", cmd_lineage, "N@V [--format text|json|dot]",
    "a model's ancestry: base models, datasets, works, attestations, policy findings",
    "Follows the model's base models recursively (each once, breadth-first), and\n"
    "for each model its datasets with their shards and check reports, the registered\n"
    "works those checks matched, the attestations about every model and dataset of\n"
    "the lineage (revoked ones marked), and the policy findings (SPEC 6.7):\n" PL_POLICY_RULES(
        RULE_HELP) "Findings are computed, never stored; the exit code is 0 whatever they are\n"
                   "(use 'verify --policy' to fail on them). Text names each attestation's signer\n"
                   "by its key name and keyid, DOT by its name; values are shown escaped (control\n"
                   "and bidirectional characters as \\n, \\xNN, \\u{NNNN}).\n\n"
                   "Formats: text (default), json (also --json), dot (a Graphviz digraph: models\n"
                   "as blue boxes, datasets as green cylinders, works as yellow notes, "
                   "attestations\n"
                   "as grey hexagons (failed evaluations red), the findings as one red list\n"
                   "node; edges labelled with the model relation (finetune, adapter,\n"
                   "quantized, merge, distillation), 'trained on', 'contains', 'attests'; a\n"
                   "legend): provledger lineage atlas@2 --format dot | dot -Tsvg\n\n"
                   "JSON (stable; every seq is an entry's sequence number, every leaf its hex\n"
                   "Merkle leaf hash):\n"
                   "{\"model\": MODEL, \"base_models\": [MODEL...], \"datasets\": [DATASET...],\n"
                   " \"works\": [WORK...], \"attestations\": [ATTESTATION...], \"findings\": "
                   "[FINDING...]}\n"
                   "MODEL: {seq, leaf, name \"N@V\", created, lab {keyid, name}, training_flop,\n"
                   "  parameters,"
                   " frontier, hardware? {accelerator, count}, started?, finished?,\n"
                   "  weights [{name, sha256}], datasets [\"N@V\"], base_models [\"N@V\"]}\n"
                   "DATASET: {seq, leaf, name, created, lab, sources, licences, totals {shards, "
                   "bytes,\n"
                   "  records, tokens}, shards [{path, sha256, records, tokens, bytes, format,\n"
                   "  compression}], checks [{seq, leaf, created, records, matches}],\n"
                   "  works [{work, matches}], reserved_works [\"W...\"]}\n"
                   "WORK: {work, seq and leaf (null when no work entry), title, creators, holder, "
                   "terms,\n"
                   "  registered, reserved (terms all-rights-reserved or opt-out), datasets "
                   "[\"N@V\"]}\n"
                   "ATTESTATION: {seq, leaf, kind, subject {seq, leaf, name \"N@V\"}, signer "
                   "{keyid,\n"
                   "  name (null when unknown)}, issuer_role (the role in force it was signed "
                   "under),\n"
                   "  created, revoked, revoked_by ({seq, leaf} or null), and\n"
                   "  the kind's predicate fields: max_training_flop, conditions | suite, "
                   "results,\n"
                   "  dangerous_capabilities | evaluations [{seq, leaf}] | work, check?, match?,\n"
                   "  dataset?, statement}\n"
                   "FINDING: {code, severity (error|warning), subject \"N@V\", subject_type\n"
                   "  (model|dataset), seq, message}\n"
                   "(docs/json.md has the schema.)\n\n"
                   "Errors (exit 3): no model named N@V.\n"};
