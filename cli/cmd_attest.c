/* cmd_attest.c - `provledger attest KIND`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_lineage.h"

static int seq_arg(uint64_t *out, const char *opt, const char *s)
{
	int error = pl_cli_parse_u64(out, s);
	if (error < 0) {
		pl_error_prefix(error, "%s", opt);
		return pl_cli_fail(error);
	}
	return 0;
}

static int cmd_attest(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"subject", required_argument, NULL, 's'},
	                                     {"key", required_argument, NULL, 'k'},
	                                     {"max-training-flop", required_argument, NULL, 'M'},
	                                     {"conditions", required_argument, NULL, 'C'},
	                                     {"suite", required_argument, NULL, 'S'},
	                                     {"result", required_argument, NULL, 'r'},
	                                     {"dangerous", required_argument, NULL, 'D'},
	                                     {"evaluation", required_argument, NULL, 'e'},
	                                     {"work", required_argument, NULL, 'w'},
	                                     {"check", required_argument, NULL, 'c'},
	                                     {"match", required_argument, NULL, 'm'},
	                                     {"dataset", required_argument, NULL, 'd'},
	                                     {"statement", required_argument, NULL, 't'},
	                                     {"revokes", required_argument, NULL, 'R'},
	                                     {"report-interval", required_argument, NULL, 'I'},
	                                     {"flop-so-far", required_argument, NULL, 'P'},
	                                     {"date", required_argument, NULL, 'T'},
	                                     {"checkpoint-digest", required_argument, NULL, 'H'},
	                                     {"summary", required_argument, NULL, 'U'},
	                                     {"lifts", required_argument, NULL, 'L'},
	                                     {"from", required_argument, NULL, 1},
	                                     {"until", required_argument, NULL, 2},
	                                     {"jurisdiction", required_argument, NULL, 'j'},
	                                     {"threshold-flop", required_argument, NULL, 3},
	                                     {"threshold-parameters", required_argument, NULL, 4},
	                                     {"hardware-model", required_argument, NULL, 5},
	                                     {"capability", required_argument, NULL, 6},
	                                     {NULL, 0, NULL, 0}};
	pl_attest_spec spec = {0};
	const char **results = calloc((size_t)argc + 1, sizeof(char *));
	const char **dangerous = calloc((size_t)argc + 1, sizeof(char *));
	uint64_t *evals = calloc((size_t)argc + 1, sizeof(uint64_t));
	const char **cps = calloc((size_t)argc + 1, sizeof(char *));
	uint64_t *lifts = calloc((size_t)argc + 1, sizeof(uint64_t));
	const char **hwm = calloc((size_t)argc + 1, sizeof(char *));
	const char **caps = calloc((size_t)argc + 1, sizeof(char *));
	const char *keyfile = NULL;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_buf work = PL_BUF_INIT;
	pl_entry_ref ref;
	int c, error, rc = PL_EXIT_OK;

	if (!results || !dangerous || !evals || !cps || !lifts || !hwm || !caps) {
		pl_cli_err("out of memory");
		rc = PL_EXIT_ERROR;
		goto done;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			spec.subject = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'M':
			spec.max_training_flop = optarg;
			break;
		case 'C':
			spec.conditions = optarg;
			break;
		case 'S':
			spec.suite = optarg;
			break;
		case 'r':
			results[spec.nresults++] = optarg;
			break;
		case 'D':
			dangerous[spec.ndangerous++] = optarg;
			break;
		case 'e':
			if ((rc = seq_arg(&evals[spec.nevaluations++], "--evaluation", optarg)) !=
			    0)
				goto done;
			break;
		case 'w':
			spec.work = optarg;
			break;
		case 'c':
			spec.has_check = 1;
			if ((rc = seq_arg(&spec.check, "--check", optarg)) != 0)
				goto done;
			break;
		case 'm':
			spec.has_match = 1;
			if ((rc = seq_arg(&spec.match, "--match", optarg)) != 0)
				goto done;
			break;
		case 'd':
			spec.dataset = optarg;
			break;
		case 't':
			spec.statement = optarg;
			break;
		case 'I': {
			uint64_t d;
			if (pl_cli_parse_u64(&d, optarg) < 0 || d < 1 || d > 3650) {
				rc = pl_cli_usage(
				    cmd, "--report-interval takes days, 1..3650, not '%s'", optarg);
				goto done;
			}
			spec.report_interval = (unsigned)d;
			break;
		}
		case 'P':
			spec.flop_so_far = optarg;
			break;
		case 'T':
			spec.date = optarg;
			break;
		case 'H':
			cps[spec.ncheckpoints++] = optarg;
			break;
		case 'U':
			spec.summary = optarg;
			break;
		case 'L':
			if ((rc = seq_arg(&lifts[spec.nlifts++], "--lifts", optarg)) != 0)
				goto done;
			break;
		case 1:
			spec.from = optarg;
			break;
		case 2:
			spec.until = optarg;
			break;
		case 'j':
			spec.jurisdiction = optarg;
			break;
		case 3:
			spec.threshold_flop = optarg;
			break;
		case 4:
			spec.threshold_parameters = optarg;
			break;
		case 5:
			hwm[spec.nhardware_models++] = optarg;
			break;
		case 6:
			caps[spec.ncapabilities++] = optarg;
			break;
		case 'R':
			spec.has_revokes = 1;
			if ((rc = seq_arg(&spec.revokes, "--revokes", optarg)) != 0)
				goto done;
			break;
		default:
			rc = pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
			goto done;
		}
	}
	if (optind + 1 != argc) {
		rc = pl_cli_usage(cmd, "expected one KIND (training-licence, evaluation, "
		                       "deployment-approval, claim, revocation, training-report, "
		                       "inspection, moratorium, export-restriction, "
		                       "capability-vocabulary)");
		goto done;
	}
	if (!keyfile) {
		rc = pl_cli_usage(cmd, "--key is required");
		goto done;
	}
	spec.kind = argv[optind];
	spec.results = results;
	spec.dangerous = dangerous;
	spec.evaluations = evals;
	spec.checkpoints = cps;
	spec.lifts = lifts;
	spec.hardware_models = hwm;
	spec.capabilities = caps;
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if (spec.work) {
		if ((rc = pl_cli_work_id(l, &work, spec.work)) != 0)
			goto done;
		spec.work = work.ptr;
	}
	if ((error = pl_attest(l, &ref, key, &spec)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, PL_EXIT_OK);
		goto done;
	}
	if (g->json)
		pl_cli_json_print(json_pack("{s:s, s:s?, s:o}", "kind", spec.kind, "subject",
		                            spec.subject, "entry", pl_cli_ref(ref.seq, ref.leaf)));
	else
		printf("appended %s attestation as entry %llu\n", pl_cli_esc(spec.kind),
		       (unsigned long long)ref.seq);
done:
	pl_buf_free(&work);
	pl_ledger_free(l);
	pl_key_free(key);
	free(results);
	free(dangerous);
	free(evals);
	free(cps);
	free(lifts);
	free(hwm);
	free(caps);
	return rc;
}

const pl_cli_cmd pl_cmd_attest = {
    "attest", cmd_attest, "KIND --subject N@V --key K [fields]",
    "append an attestation: a licence, an evaluation, an approval, a claim, a report, ...",
    "Kinds, the role the signing key must be registered with, and their fields:\n\n"
    "  training-licence     authority. --subject MODEL@V --max-training-flop F\n"
    "                       --conditions TEXT [--report-interval DAYS] [--lifts SEQ]...\n"
    "                       (F in the number syntax of 'provledger help model register';\n"
    "                       with an interval, the lab must file a training-report at\n"
    "                       least every DAYS days from started to finished; --lifts: a\n"
    "                       moratorium this licence lifts for the model)\n"
    "  training-report      lab (the model's own). --subject MODEL@V --flop-so-far F\n"
    "                       --date T [--checkpoint-digest SHA256]... (supervision)\n"
    "  inspection           authority. --subject MODEL@V --summary TEXT\n"
    "  evaluation           evaluator. --subject MODEL@V --suite NAME\n"
    "                       --result CAPABILITY=pass|fail... [--dangerous CAPABILITY]...\n"
    "                       (no --dangerous: the evaluation found no dangerous capability)\n"
    "  deployment-approval  authority. --subject MODEL@V --evaluation SEQ... (the\n"
    "                       unrevoked evaluations of the same model it relied on)\n"
    "  claim                rights-holder. --subject MODEL@V|DATASET@V --work W-ID\n"
    "                       (or a unique prefix of it of at least 5 characters)\n"
    "                       --statement TEXT and either --check SEQ [--match I] (a check\n"
    "                       report of a dataset in the subject's lineage that matched the\n"
    "                       work; I is the index in its matches) or --dataset N@V (a\n"
    "                       dataset in the subject's lineage whose sketch probably holds\n"
    "                       the work)\n"
    "  revocation           any key. --revokes SEQ: an earlier attestation signed by the\n"
    "                       same key (--subject, if given, must be its subject)\n"
    "  moratorium           authority, about the whole ledger (no --subject).\n"
    "                       --threshold-flop F and/or --threshold-parameters P --from T\n"
    "                       [--until T] --jurisdiction J|global [--statement TEXT]: a run\n"
    "                       at or over a threshold whose training overlaps the window,\n"
    "                       in J (the model's --jurisdiction, or where its registered\n"
    "                       chips were; a run that names neither is everywhere), needs\n"
    "                       a training-licence that --lifts it (finding\n"
    "                       moratorium-violated, an error)\n"
    "  export-restriction   authority, about the whole ledger. --jurisdiction J --from T\n"
    "                       [--until T] [--hardware-model M]... (none: every model):\n"
    "                       hardware transfers into J in the window are findings\n"
    "                       (export-restricted-transfer)\n"
    "  capability-vocabulary  authority, about the whole ledger. --capability NAME...:\n"
    "                       capabilities evaluations may name besides the built-in bio, cbrn,\n"
    "                       chem, nuclear, radiological, cyber, autonomy,\n"
    "                       self-replication, self-exfiltration, persuasion, deception\n"
    "                       and situational-awareness (names: a-z, 0-9, '-')\n\n"
    "The entry (SPEC 6.6) records kind, subject (an entry reference with its name),\n"
    "issuer_role and the fields. Revoked attestations stay in the ledger; 'lineage'\n"
    "marks them and the policy ignores them.\n\n"
    "Refused, exit 3, nothing appended: a signer whose registered role does not fit\n"
    "the kind; a subject, evaluation, check, work or dataset that does not exist or\n"
    "does not belong to the subject; a malformed number or field; revoking another\n"
    "key's attestation, a revocation, or an attestation already revoked.\n\n"
    "Examples:\n"
    "  provledger attest training-licence --subject atlas@1 --max-training-flop 5e25 \\\n"
    "      --conditions 'report quarterly' --key aisi.key\n"
    "  provledger attest evaluation --subject atlas@1 --suite wmdp-2026 \\\n"
    "      --result bio=pass --result cyber=fail --dangerous cyber --key redteam.key\n"
    "  provledger attest revocation --revokes 12 --key aisi.key\n"
    "  provledger attest moratorium --threshold-flop 1e26 --from 2027-01-01T00:00:00Z \\\n"
    "      --jurisdiction global --key aisi.key\n"
    "Each prints: appended KIND attestation as entry N\n"};
