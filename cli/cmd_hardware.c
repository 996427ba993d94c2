/* cmd_hardware.c - `provledger hardware register|transfer|accept|list|show`:
 * the accelerator registry (pl_hardware.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_hardware.h"
#include "pl_ledger.h"

#define SERIALS_MAX ((size_t)256 << 20)

/* Print "appended ..." or the JSON {"entry": REF, ...extra}. */
static int appended(pl_cli *g, const char *what, const pl_entry_ref *ref, json_t *extra)
{
	if (g->dry_run) {
		json_decref(extra);
		return pl_cli_dry_report(g, PL_EXIT_OK);
	}
	if (g->json) {
		json_object_set_new(extra, "entry", pl_cli_ref(ref->seq, ref->leaf));
		pl_cli_json_print(extra);
	} else {
		printf("%s as entry %llu\n", what, (unsigned long long)ref->seq);
		json_decref(extra);
	}
	return PL_EXIT_OK;
}

static int cmd_hardware_register(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"model", required_argument, NULL, 'm'},
	                                     {"serials", required_argument, NULL, 's'},
	                                     {"peak-flops", required_argument, NULL, 'p'},
	                                     {"owner", required_argument, NULL, 'o'},
	                                     {"jurisdiction", required_argument, NULL, 'j'},
	                                     {"key", required_argument, NULL, 'k'},
	                                     {NULL, 0, NULL, 0}};
	pl_hw_batch_spec spec = {0};
	const char *keyfile = NULL, *serials = NULL, *owner = NULL;
	pl_buf data = PL_BUF_INIT, ownerid = PL_BUF_INIT, what = PL_BUF_INIT;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_entry_ref ref;
	int c, error, rc = PL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			spec.name = optarg;
			break;
		case 'm':
			spec.model = optarg;
			break;
		case 's':
			serials = optarg;
			break;
		case 'p':
			spec.peak_flops = optarg;
			break;
		case 'o':
			owner = optarg;
			break;
		case 'j':
			spec.jurisdiction = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!spec.name || !spec.model || !serials || !spec.peak_flops || !owner ||
	    !spec.jurisdiction || !keyfile)
		return pl_cli_usage(cmd, "--name, --model, --serials, --peak-flops, --owner, "
		                         "--jurisdiction and --key are required");
	if ((error = pl_read_file(&data, serials, SERIALS_MAX)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_cli_key_id(l, &ownerid, owner)) < 0) {
		pl_error_prefix(error, "--owner");
		rc = pl_cli_fail(error);
		goto done;
	}
	spec.owner = ownerid.ptr;
	spec.serials = data.ptr ? data.ptr : "";
	spec.serials_len = data.len;
	if ((error = pl_hardware_register(l, &ref, key, &spec)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	pl_buf_printf(&what, "registered hardware batch %s", pl_cli_esc(spec.name));
	rc = appended(g, what.ptr, &ref, json_pack("{s:s}", "name", spec.name));
done:
	pl_buf_free(&data);
	pl_buf_free(&ownerid);
	pl_buf_free(&what);
	pl_key_free(key);
	pl_ledger_free(l);
	return rc;
}

static int cmd_hardware_transfer(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"batch", required_argument, NULL, 'b'}, {"to", required_argument, NULL, 't'},
	    {"count", required_argument, NULL, 'c'}, {"jurisdiction", required_argument, NULL, 'j'},
	    {"key", required_argument, NULL, 'k'},   {NULL, 0, NULL, 0}};
	const char *keyfile = NULL, *batch = NULL, *to = NULL, *jur = NULL;
	pl_buf toid = PL_BUF_INIT;
	uint64_t count = 0;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_entry_ref ref;
	json_t *st = NULL;
	int c, error, rc = PL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'c':
			if (pl_cli_parse_u64(&count, optarg) < 0 || count == 0 ||
			    count > 1000000000u)
				return pl_cli_usage(
				    cmd, "--count takes 1..1000000000 chips, not '%s'", optarg);
			break;
		case 'j':
			jur = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!batch || !to || !jur || !keyfile)
		return pl_cli_usage(cmd, "--batch, --to, --jurisdiction and --key are required");
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_cli_key_id(l, &toid, to)) < 0) {
		pl_error_prefix(error, "--to");
		rc = pl_cli_fail(error);
		goto done;
	}
	if ((error = pl_hardware_transfer(l, &ref, key, batch, toid.ptr, count, jur)) < 0) {
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
		json_t *ch = json_object_get(json_object_get(st, "predicate"), "chips");
		json_int_t from = json_integer_value(json_object_get(ch, "from")),
		           n = json_integer_value(json_object_get(ch, "count"));
		if (g->json) {
			pl_cli_json_print(json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "batch",
			                            batch, "to", toid.ptr, "from", from, "count", n,
			                            "jurisdiction", jur, "entry",
			                            pl_cli_ref(ref.seq, ref.leaf)));
		} else {
			printf("transfer of chips %lld..%lld of batch %s to %s appended as entry "
			       "%llu (pending until the recipient runs: provledger hardware accept "
			       "%llu)\n",
			       (long long)from, (long long)(from + n - 1), pl_cli_esc(batch),
			       pl_cli_esc(to), (unsigned long long)ref.seq,
			       (unsigned long long)ref.seq);
		}
	}
done:
	json_decref(st);
	pl_buf_free(&toid);
	pl_key_free(key);
	pl_ledger_free(l);
	return rc;
}

static int cmd_hardware_accept(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {NULL, 0, NULL, 0}};
	const char *keyfile = NULL;
	uint64_t transfer;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_entry_ref ref;
	int c, error, rc = PL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'k')
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		keyfile = optarg;
	}
	if (optind + 1 != argc || !keyfile)
		return pl_cli_usage(cmd, "expected TRANSFER-SEQ and --key");
	if (pl_cli_parse_u64(&transfer, argv[optind]) < 0)
		return pl_cli_usage(cmd, "'%s' is not an entry seq", argv[optind]);
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_hardware_accept(l, &ref, key, transfer)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	{
		char what[96];
		snprintf(what, sizeof(what), "acceptance of transfer %llu appended",
		         (unsigned long long)transfer);
		rc = appended(g, what, &ref, json_pack("{s:I}", "transfer", (json_int_t)transfer));
	}
done:
	pl_key_free(key);
	pl_ledger_free(l);
	return rc;
}

static const char *name_or_id(json_t *o, const char *name_key, const char *id_key)
{
	const char *n = json_string_value(json_object_get(o, name_key));
	return n ? n : json_string_value(json_object_get(o, id_key));
}

static int cmd_hardware_list(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	json_t *doc = NULL, *b, *h;
	size_t i, j;
	int rc, error;

	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_hardware_list(l, &doc)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(doc);
		doc = NULL;
		goto done;
	}
	printf("%-6s %-20s %-12s %8s %-10s %s\n", "SEQ", "BATCH", "MODEL", "CHIPS", "PEAK/CHIP",
	       "HOLDERS");
	json_array_foreach(json_object_get(doc, "batches"), i, b)
	{
		printf("%-6lld %-20s %-12s %8lld %-10s ",
		       (long long)json_integer_value(json_object_get(b, "seq")),
		       pl_cli_esc(json_string_value(json_object_get(b, "name"))),
		       pl_cli_esc(json_string_value(json_object_get(b, "model"))),
		       (long long)json_integer_value(json_object_get(b, "count")),
		       pl_cli_esc(json_string_value(json_object_get(b, "peak_flops"))));
		json_array_foreach(json_object_get(b, "holders"), j, h)
		{
			printf("%s%s %lld", j ? ", " : "",
			       pl_cli_esc(name_or_id(h, "name", "keyid")),
			       (long long)json_integer_value(json_object_get(h, "chips")));
			if (json_integer_value(json_object_get(h, "pending")))
				printf(" (%lld pending)", (long long)json_integer_value(
				                              json_object_get(h, "pending")));
		}
		putchar('\n');
	}
done:
	json_decref(doc);
	pl_ledger_free(l);
	return rc;
}

static int cmd_hardware_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	json_t *b = NULL, *x;
	size_t i;
	int rc, error;

	if (argc != 2)
		return pl_cli_usage(cmd, "expected one BATCH (its name or seq)");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_hardware_show(l, &b, argv[1])) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(b);
		b = NULL;
		goto done;
	}
	printf("hardware batch %s (seq %lld)\n", pl_cli_esc(pl_json_str(b, "name")),
	       (long long)json_integer_value(json_object_get(b, "seq")));
	printf("  model:        %s\n", pl_cli_esc(pl_json_str(b, "model")));
	printf("  chips:        %lld\n",
	       (long long)json_integer_value(json_object_get(b, "count")));
	printf("  peak FLOP/s:  %s per chip (dense BF16)\n",
	       pl_cli_esc(pl_json_str(b, "peak_flops")));
	printf("  vendor:       %s\n",
	       pl_cli_esc(name_or_id(json_object_get(b, "vendor"), "name", "keyid")));
	printf("  delivered to: %s\n", pl_cli_esc(pl_json_str(b, "jurisdiction")));
	printf("  registered:   %s\n", pl_cli_esc(pl_json_str(b, "created")));
	printf("  serials:      sha256 %s, merkle %s\n",
	       pl_cli_esc(pl_json_str(json_object_get(b, "serials"), "sha256")),
	       pl_cli_esc(pl_json_str(json_object_get(b, "serials"), "merkle")));
	printf("  who holds which chip:\n");
	json_array_foreach(json_object_get(b, "chips"), i, x)
	{
		printf("    %lld..%lld (%lld)  %s  in %s",
		       (long long)json_integer_value(json_object_get(x, "from")),
		       (long long)json_integer_value(json_object_get(x, "to")),
		       (long long)json_integer_value(json_object_get(x, "count")),
		       pl_cli_esc(name_or_id(x, "owner_name", "owner")),
		       pl_cli_esc(pl_json_str(x, "jurisdiction")));
		if (!json_is_null(json_object_get(x, "pending")))
			printf("  (pending: transfer %lld)",
			       (long long)json_integer_value(json_object_get(x, "pending")));
		putchar('\n');
	}
	if (json_array_size(json_object_get(b, "transfers")))
		printf("  transfers:\n");
	json_array_foreach(json_object_get(b, "transfers"), i, x)
	{
		json_int_t from = json_integer_value(json_object_get(x, "from")),
		           n = json_integer_value(json_object_get(x, "count"));
		printf("    seq %lld  %s  chips %lld..%lld to %s, into %s, ",
		       (long long)json_integer_value(json_object_get(x, "seq")),
		       pl_cli_esc(pl_json_str(x, "created")), (long long)from,
		       (long long)(from + n - 1), pl_cli_esc(name_or_id(x, "to_name", "to")),
		       pl_cli_esc(pl_json_str(x, "jurisdiction")));
		if (json_is_null(json_object_get(x, "accepted_by")))
			printf("not yet accepted\n");
		else
			printf("accepted (seq %lld)\n",
			       (long long)json_integer_value(json_object_get(x, "accepted_by")));
	}
done:
	json_decref(b);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_hardware_register = {
    "hardware register", cmd_hardware_register,
    "--name BATCH --model M --serials FILE --peak-flops F --owner KEY --jurisdiction J\n"
    "       --key VENDOR.key",
    "append a batch of accelerators (a vendor key): model, count, serials, peak FLOP/s",
    "A hardware batch entry (docs/entries.md) records, signed by a vendor key (role\n"
    "vendor, granted by an authority), a batch of accelerator chips: the model, the\n"
    "count, the peak dense BF16 FLOP/s of one chip, the first owner and the\n"
    "jurisdiction it is delivered to, and the serial numbers as digests only: FILE\n"
    "holds one serial a line (blank lines and surrounding spaces ignored, duplicates\n"
    "refused); the entry carries the SHA-256 of each serial, one hex digest a line, as\n"
    "an attachment, and the RFC 6962 Merkle root over those digests, so that a chip's\n"
    "serial can later be proven part of the batch without publishing the others.\n"
    "Chips are numbered 0..count-1 by their line.\n\n"
    "Options:\n"
    "  --name BATCH         unique batch name (printable, no space, '@', quote, backslash)\n"
    "  --model M            accelerator model, e.g. H100-SXM\n"
    "  --serials FILE       the serial numbers, one a line (at most 256 MiB)\n"
    "  --peak-flops F       dense BF16 FLOP/s of one chip (number syntax of 'provledger\n"
    "                       help model register'), e.g. 989e12\n"
    "  --owner KEY          the first owner: a registered key's name or keyid\n"
    "  --jurisdiction J     where the chips are delivered (e.g. US, EU)\n"
    "  --key VENDOR.key     the vendor's private key\n\n"
    "Refused, exit 3, nothing appended: a key without the vendor role in force; a batch\n"
    "name already registered; an empty serial list or a serial twice; an unknown\n"
    "owner; a malformed number.\n\n"
    "Example:\n"
    "  provledger hardware register --name nv-2026-0042 --model H100-SXM \\\n"
    "      --serials serials.txt --peak-flops 989e12 --owner 'Acme Lab' \\\n"
    "      --jurisdiction US --key nvidia.key\n"
    "prints: registered hardware batch nv-2026-0042 as entry 9\n"};

const pl_cli_cmd pl_cmd_hardware_transfer = {
    "hardware transfer", cmd_hardware_transfer,
    "--batch BATCH --to KEY [--count C] --jurisdiction J --key OWNER.key",
    "move chips of a batch to another key (takes effect when it accepts)",
    "A transfer entry, signed by the current owner of every chip it moves, names the\n"
    "recipient, the chips (a run from..from+count-1 of the batch's numbering) and the\n"
    "jurisdiction they go to. It takes effect when the recipient appends its\n"
    "acceptance ('provledger hardware accept SEQ'); until then the chips are pending\n"
    "and their owner cannot move them again. The rules check every transfer: chips\n"
    "are conserved (each owned by exactly one key), a transfer of chips the signer\n"
    "does not hold, or that are pending, is refused.\n\n"
    "Options:\n"
    "  --batch BATCH        the batch (its name or seq)\n"
    "  --to KEY             the recipient: a registered key's name or keyid\n"
    "  --count C            how many chips: the lowest-numbered run of at least C chips\n"
    "                       the signer holds and has not already put in a transfer\n"
    "                       (default: the whole first such run)\n"
    "  --jurisdiction J     where the chips go (export restrictions name it)\n"
    "  --key OWNER.key      the current owner's private key\n\n"
    "Refused, exit 3, nothing appended: the signer holds none of the chips, they are\n"
    "pending, the recipient is unknown or revoked, or is the signer.\n\n"
    "Example:\n"
    "  provledger hardware transfer --batch nv-2026-0042 --to 'Beta AI' --count 512 \\\n"
    "      --jurisdiction DE --key acme.key\n"};

const pl_cli_cmd pl_cmd_hardware_accept = {
    "hardware accept", cmd_hardware_accept, "TRANSFER-SEQ --key RECIPIENT.key",
    "accept a hardware transfer addressed to this key (the chips become its own)",
    "Appends the recipient's acceptance of transfer TRANSFER-SEQ, signed by the key\n"
    "the transfer names. From this entry on, the chips are the recipient's.\n\n"
    "Refused, exit 3, nothing appended: the entry is not a transfer, the signer is\n"
    "not its recipient, or it was already accepted.\n\n"
    "Example:\n"
    "  provledger hardware accept 12 --key beta.key\n"};

const pl_cli_cmd pl_cmd_hardware_list = {
    "hardware list", cmd_hardware_list, "", "list the hardware batches and who holds their chips",
    "One line per batch: seq, name, accelerator model, chip count, peak FLOP/s per\n"
    "chip, and every holder with its chip count (pending: in a transfer not yet\n"
    "accepted). --json prints {\"batches\": [BATCH...]} (docs/json.md).\n"};

const pl_cli_cmd pl_cmd_hardware_show = {
    "hardware show", cmd_hardware_show, "BATCH",
    "a hardware batch: its fields, who holds which chip, its transfers",
    "Shows batch BATCH (its name or seq): the fields of its entry, the current owner\n"
    "and jurisdiction of every chip (as runs of chip numbers), and every transfer\n"
    "with its acceptance. --json prints the batch object with \"chips\" and\n"
    "\"transfers\" (docs/json.md).\n"};
