/* cmd_model.c - `provledger model register`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_lineage.h"

static int cmd_model_register(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"version", required_argument, NULL, 'v'},
	                                     {"dataset", required_argument, NULL, 'd'},
	                                     {"base", required_argument, NULL, 'b'},
	                                     {"training-flop", required_argument, NULL, 'f'},
	                                     {"parameters", required_argument, NULL, 'p'},
	                                     {"weights", required_argument, NULL, 'w'},
	                                     {"hardware", required_argument, NULL, 'h'},
	                                     {"started", required_argument, NULL, 's'},
	                                     {"finished", required_argument, NULL, 'F'},
	                                     {"frontier", no_argument, NULL, 'X'},
	                                     {"key", required_argument, NULL, 'k'},
	                                     {"relation", required_argument, NULL, 'r'},
	                                     {"hardware-batch", required_argument, NULL, 'H'},
	                                     {"jurisdiction", required_argument, NULL, 'j'},
	                                     {"mitigates", required_argument, NULL, 'M'},
	                                     {NULL, 0, NULL, 0}};
	pl_model_spec spec = {0};
	const char **datasets = calloc((size_t)argc + 1, sizeof(char *));
	const char **bases = calloc((size_t)argc + 1, sizeof(char *));
	const char **weights = calloc((size_t)argc + 1, sizeof(char *));
	const char **hwb = calloc((size_t)argc + 1, sizeof(char *));
	const char *keyfile = NULL;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_entry_ref ref;
	json_t *st = NULL;
	int c, error, rc = PL_EXIT_OK;

	if (!datasets || !bases || !weights || !hwb) {
		pl_cli_err("out of memory");
		rc = PL_EXIT_ERROR;
		goto done;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			spec.name = optarg;
			break;
		case 'v':
			spec.version = optarg;
			break;
		case 'd':
			datasets[spec.ndatasets++] = optarg;
			break;
		case 'b':
			bases[spec.nbases++] = optarg;
			break;
		case 'r':
			spec.relation = optarg;
			break;
		case 'f':
			spec.training_flop = optarg;
			break;
		case 'p':
			spec.parameters = optarg;
			break;
		case 'w':
			weights[spec.nweights++] = optarg;
			break;
		case 'h':
			spec.hardware = optarg;
			break;
		case 'H':
			hwb[spec.nhardware_batches++] = optarg;
			break;
		case 'j':
			spec.jurisdiction = optarg;
			break;
		case 'M':
			spec.mitigates = optarg;
			break;
		case 's':
			spec.started = optarg;
			break;
		case 'F':
			spec.finished = optarg;
			break;
		case 'X':
			spec.frontier = 1;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			rc = pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
			goto done;
		}
	}
	if (optind != argc) {
		rc = pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	/* --dataset: the library says when one is needed (a quantized or merged
	 * model has none) */
	if (!spec.name || !spec.version || !spec.training_flop || !spec.parameters || !keyfile ||
	    (spec.ndatasets == 0 && spec.nbases == 0)) {
		rc = pl_cli_usage(cmd, "--name, --version, --dataset, --training-flop, "
		                       "--parameters and --key are required");
		goto done;
	}
	spec.datasets = datasets;
	spec.bases = bases;
	spec.weights = weights;
	spec.hardware_batches = hwb;
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_model_register(l, &ref, key, &spec)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, PL_EXIT_OK);
		goto done;
	}
	if ((error = pl_ledger_statement(l, &st, ref.seq)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	{
		json_t *p = json_object_get(st, "predicate");
		if (g->json) {
			pl_buf nv = PL_BUF_INIT;
			pl_buf_printf(&nv, "%s@%s", spec.name, spec.version);
			pl_cli_json_print(json_pack("{s:s, s:O, s:O, s:O, s:o}", "name",
			                            nv.ptr ? nv.ptr : "", "training_flop",
			                            json_object_get(p, "training_flop"),
			                            "parameters", json_object_get(p, "parameters"),
			                            "frontier", json_object_get(p, "frontier"),
			                            "entry", pl_cli_ref(ref.seq, ref.leaf)));
			pl_buf_free(&nv);
		} else {
			printf("registered model %s@%s as entry %llu (training_flop %s, parameters "
			       "%s%s)\n",
			       pl_cli_esc(spec.name), pl_cli_esc(spec.version),
			       (unsigned long long)ref.seq,
			       pl_cli_esc(json_string_value(json_object_get(p, "training_flop"))),
			       pl_cli_esc(json_string_value(json_object_get(p, "parameters"))),
			       json_is_true(json_object_get(p, "frontier")) ? ", frontier" : "");
		}
	}
done:
	json_decref(st);
	pl_ledger_free(l);
	pl_key_free(key);
	free(datasets);
	free(bases);
	free(weights);
	free(hwb);
	return rc;
}

const pl_cli_cmd pl_cmd_model_register = {
    "model register", cmd_model_register,
    "--name N --version V --dataset N@V... [--base N@V... [--relation R]] --training-flop F\n"
    "       --parameters P [--weights FILE]... [--hardware TYPE:COUNT]\n"
    "       [--hardware-batch BATCH[:COUNT]]... [--jurisdiction J] [--mitigates N@V]\n"
    "       [--started T]\n"
    "       [--finished T] [--frontier] --key K",
    "append a model entry: what a model was trained on and fine-tuned from",
    "The model entry (SPEC 6.5) names the datasets the model was trained on and the\n"
    "base models it was fine-tuned from (entry references with NAME@VERSION), its\n"
    "training compute and size, and the SHA-256 of each weights file (hashed\n"
    "streaming; without --weights the subject is model:NAME@VERSION).\n\n"
    "Options:\n"
    "  --dataset N@V        a registered dataset (repeat for each; at least one, but\n"
    "                       for a quantized or merged model)\n"
    "  --base N@V           a registered base model (repeat for each)\n"
    "  --relation R         how it came from its bases (Hugging Face\n"
    "                       base_model_relation): finetune (default), adapter,\n"
    "                       distillation (these name their data), quantized (one\n"
    "                       base), merge (two or more bases)\n"
    "  --training-flop F    total training compute, in FLOP\n"
    "  --parameters P       parameter count\n"
    "  --weights FILE       a weights file to hash into the entry (repeatable)\n"
    "  --hardware TYPE:COUNT  accelerator type and count, e.g. H100:16384\n"
    "  --hardware-batch BATCH[:COUNT]  a registered hardware batch (name or seq) it\n"
    "                       trained on, and how many of its chips (default: all);\n"
    "                       repeatable. The lab must hold them when the run starts\n"
    "                       (finding hardware-not-held), and their peak FLOP/s over\n"
    "                       the run at 20% use is set beside --training-flop (finding\n"
    "                       compute-possibly-underreported)\n"
    "  --jurisdiction J     where it was trained (moratoria name a jurisdiction)\n"
    "  --mitigates N@V      one of its --base models it is a mitigated version of: an\n"
    "                       evaluation of this model that tests a dangerous capability\n"
    "                       found in the base and does not find it clears the base's\n"
    "                       dangerous-capability finding\n"
    "  --started T, --finished T  RFC 3339 UTC times, e.g. 2026-01-31T12:00:00Z\n"
    "  --frontier           declare the model frontier regardless of its size\n"
    "  --key K              the lab's private key (a registered key with role lab)\n\n"
    "Numbers (F, P): a whole number, written either as plain decimal digits without\n"
    "leading zeros (380000000000) or as a mantissa with an optional fraction and an\n"
    "exponent (3.8e25, 1.2E+12, 38e24). No sign, hex, inf/nan, spaces, leading '.',\n"
    "negative exponent or fraction without exponent; below 1e1000. They are stored\n"
    "in canonical scientific form: one non-zero digit, an optional fraction without\n"
    "trailing zeros, 'e', the exponent (3.8e25, 1e12, 5e0; zero is 0e0).\n\n"
    "The model is frontier when training_flop >= 1e25 or parameters >= 1e12 (compared\n"
    "exactly, digit by digit), or with --frontier.\n\n"
    "Refused, exit 3, nothing appended: a dataset or base model that is not\n"
    "registered; a base equal to the model itself; a NAME@VERSION already registered\n"
    "(the message names its seq); a malformed number, time or hardware; a signer\n"
    "whose key is not a registered lab key.\n\n"
    "Example:\n"
    "  provledger model register --name atlas --version 1 --dataset web@2026-01 \\\n"
    "      --training-flop 3.8e25 --parameters 1.2e12 --weights atlas.safetensors \\\n"
    "      --key acme.key\n"
    "prints: registered model atlas@1 as entry 7 (training_flop 3.8e25, parameters\n"
    "1.2e12, frontier)\n"};
