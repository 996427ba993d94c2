/* cmd_log.c - `provledger log` and `provledger show SEQ`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_ledger.h"

typedef struct {
	pl_cli *g;
	json_t *arr;
	int header;
} log_ctx;

static json_t *info_json(const pl_entry_info *e)
{
	char hex[65];
	pl_hex(hex, e->leaf, 32);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq, "leaf",
	                 hex, "type", e->type, "name", e->name, "signer", e->keyid, "created",
	                 e->created, "commit", e->commit);
}

static int log_one(void *vctx, const pl_entry_info *e)
{
	log_ctx *ctx = vctx;
	if (ctx->g->json) {
		json_array_append_new(ctx->arr, info_json(e));
		return 0;
	}
	if (!ctx->header) {
		printf("%-6s %-20s %-12s %s\n", "SEQ", "CREATED", "TYPE", "NAME");
		ctx->header = 1;
	}
	printf("%-6llu %-20s %-12s %s\n", (unsigned long long)e->seq, e->created, e->type, e->name);
	return 0;
}

static int cmd_log(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"type", required_argument, NULL, 't'},
	                                     {"limit", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	const char *type = NULL;
	uint64_t limit = 0;
	pl_ledger *l = NULL;
	log_ctx ctx = {g, NULL, 0};
	int c, rc, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'n':
			if (pl_cli_parse_u64(&limit, optarg) < 0)
				return pl_cli_usage(cmd, "--limit: %s", pl_error_last());
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	ctx.arr = json_array();
	if ((error = pl_ledger_list(l, type, limit, 1, log_one, &ctx)) < 0)
		rc = pl_cli_fail(error);
	else if (g->json) {
		pl_cli_json_print(json_pack("{s:I, s:o}", "size", (json_int_t)pl_ledger_size(l),
		                            "entries", ctx.arr));
		ctx.arr = NULL;
	}
	json_decref(ctx.arr);
	pl_ledger_free(l);
	return rc;
}

typedef struct {
	pl_entry_info copy;
	json_t *info;
} show_ctx;

static int show_one(void *vctx, const pl_entry_info *e)
{
	show_ctx *ctx = vctx;
	ctx->info = info_json(e);
	return 0;
}

static int cmd_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	uint64_t seq;
	show_ctx ctx = {0};
	pl_buf env = PL_BUF_INIT, role = PL_BUF_INIT;
	pl_dsse d = {0};
	pl_key *signer = NULL;
	json_t *st = NULL;
	const char *verdict;
	int rc, error;

	if (argc != 2)
		return pl_cli_usage(cmd, "expected one sequence number");
	if (pl_cli_parse_u64(&seq, argv[1]) < 0)
		return pl_cli_usage(cmd, "%s", pl_error_last());
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if ((error = pl_ledger_entry_info(l, seq, show_one, &ctx)) < 0 ||
	    (error = pl_ledger_entry(l, &env, seq)) < 0 ||
	    (error = pl_dsse_parse(&d, env.ptr, env.len)) < 0 ||
	    (error = pl_json_parse(&st, d.payload.ptr, d.payload.len, "statement")) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (pl_ledger_key(l, &signer, &role, d.keyid) < 0)
		verdict = "signer not registered";
	else if (pl_dsse_verify(&d, signer) < 0)
		verdict = "signature does NOT verify";
	else
		verdict = "verified";
	if (g->json) {
		json_object_set_new(ctx.info, "signer_role", json_string(role.len ? role.ptr : ""));
		json_object_set_new(ctx.info, "verified",
		                    json_boolean(strcmp(verdict, "verified") == 0));
		json_object_set(ctx.info, "statement", st);
		pl_cli_json_print(ctx.info);
		ctx.info = NULL;
	} else {
		char *s = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_t *i = ctx.info;
		printf("entry %llu: %s %s\n  commit:  %s\n  leaf:    %s\n  signer:  %s (%s): "
		       "%s\n\n%s\n",
		       (unsigned long long)seq, json_string_value(json_object_get(i, "type")),
		       json_string_value(json_object_get(i, "name")),
		       json_string_value(json_object_get(i, "commit")),
		       json_string_value(json_object_get(i, "leaf")), d.keyid,
		       role.len ? role.ptr : "?", verdict, s ? s : "");
		free(s);
	}
done:
	json_decref(ctx.info);
	json_decref(st);
	pl_dsse_clear(&d);
	pl_key_free(signer);
	pl_buf_free(&env);
	pl_buf_free(&role);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_log = {
    "log", cmd_log, "[--type TYPE] [--limit N]", "list entries, newest first",
    "Options:\n"
    "  --type TYPE  only entries of this type (key, work, check, dataset,\n"
    "               model, attestation)\n"
    "  --limit N    at most N entries\n\n"
    "JSON: {\"size\": N, \"entries\": [{\"seq\", \"leaf\", \"type\", "
    "\"name\", \"signer\", \"created\", \"commit\"}]}\n"};

const pl_cli_cmd pl_cmd_show = {
    "show", cmd_show, "SEQ", "show one entry: its statement, signer, and whether it verifies",
    "Prints the decoded in-toto Statement of entry SEQ, the commit that appended it,\n"
    "its leaf hash, and its signer with the result of checking the DSSE signature\n"
    "against the signer's registered key.\n"};
