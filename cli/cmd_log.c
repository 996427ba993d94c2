/* cmd_log.c - `provledger log` and `provledger show SEQ`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_ledger.h"
#include "pl_lineage.h"
#include "pl_registry.h"

typedef struct {
	pl_cli *g;
	pl_ledger *l;
	json_t *arr;
	json_t *keys; /* keyid -> its key object, for --json */
	int header;
} log_ctx;

/* How text output names an entry (unescaped; cleared first): a dataset or a
 * model by the NAME@VERSION of its predicate (its index name is its first
 * subject: a shard or a weights file), a work by its id, anything else by its
 * index name (key:NAME, check:N@V, ...). */
static void entry_name(pl_buf *out, pl_ledger *l, const pl_entry_info *e)
{
	json_t *st = NULL, *p;
	pl_buf_clear(out);
	if ((strcmp(e->type, "dataset") == 0 || strcmp(e->type, "model") == 0) &&
	    pl_ledger_statement(l, &st, e->seq) == PL_OK &&
	    json_is_string(json_object_get(p = json_object_get(st, "predicate"), "name")) &&
	    json_is_string(json_object_get(p, "version"))) {
		pl_buf_printf(out, "%s@%s", json_string_value(json_object_get(p, "name")),
		              json_string_value(json_object_get(p, "version")));
	} else if (strcmp(e->type, "work") == 0 && strncmp(e->name, "work:", 5) == 0) {
		pl_buf_puts(out, e->name + 5);
	} else {
		pl_buf_puts(out, e->name);
	}
	json_decref(st);
}

/* An entry as --json names it: the name text output shows, the signer as
 * {keyid, name} (keys caches them by keyid). */
static json_t *info_json(pl_ledger *l, json_t *keys, const pl_entry_info *e)
{
	pl_buf name = PL_BUF_INIT;
	json_t *signer = json_object_get(keys, e->keyid), *o;
	char hex[65];
	if (!signer) {
		signer = pl_cli_key_json(l, e->keyid);
		json_object_set_new(keys, e->keyid, signer);
	}
	pl_hex(hex, e->leaf, 32);
	entry_name(&name, l, e);
	o = json_pack("{s:I, s:s, s:s, s:s, s:O, s:s, s:s}", "seq", (json_int_t)e->seq, "leaf", hex,
	              "type", e->type, "name", name.ptr ? name.ptr : e->name, "signer", signer,
	              "created", e->created, "commit", e->commit);
	pl_buf_free(&name);
	return o;
}

static int log_one(void *vctx, const pl_entry_info *e)
{
	log_ctx *ctx = vctx;
	pl_buf name = PL_BUF_INIT;
	if (ctx->g->json) {
		json_array_append_new(ctx->arr, info_json(ctx->l, ctx->keys, e));
		return 0;
	}
	if (!ctx->header) {
		printf("%-6s %-20s %-12s %s\n", "SEQ", "CREATED", "TYPE", "NAME");
		ctx->header = 1;
	}
	entry_name(&name, ctx->l, e);
	printf("%-6llu %-20s %-12s %s\n", (unsigned long long)e->seq, pl_cli_esc(e->created),
	       pl_cli_esc(e->type), pl_cli_esc(name.ptr));
	pl_buf_free(&name);
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
	log_ctx ctx = {g, NULL, NULL, NULL, 0};
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
	ctx.l = l;
	ctx.arr = json_array();
	ctx.keys = json_object();
	if ((error = pl_ledger_list(l, type, limit, 1, log_one, &ctx)) < 0)
		rc = pl_cli_fail(error);
	else if (g->json) {
		pl_cli_json_print(json_pack("{s:I, s:o}", "size", (json_int_t)pl_ledger_size(l),
		                            "entries", ctx.arr));
		ctx.arr = NULL;
	}
	json_decref(ctx.arr);
	json_decref(ctx.keys);
	pl_ledger_free(l);
	return rc;
}

typedef struct {
	pl_ledger *l;
	json_t *info;
	pl_buf name;
} show_ctx;

static int show_one(void *vctx, const pl_entry_info *e)
{
	show_ctx *ctx = vctx;
	json_t *keys = json_object();
	ctx->info = info_json(ctx->l, keys, e);
	json_decref(keys);
	entry_name(&ctx->name, ctx->l, e);
	return 0;
}

typedef struct {
	uint64_t seq;
} seq_ctx;

static int work_seq(void *vctx, const pl_work_info *w)
{
	((seq_ctx *)vctx)->seq = w->seq;
	return 0;
}

/* The seq that show's argument names: a seq, a dataset's or model's
 * NAME@VERSION (refused when both exist) or a work id (or a unique prefix).
 * Prints and returns an exit code on failure. */
static int show_target(pl_ledger *l, const pl_cli_cmd *cmd, uint64_t *seq, const char *arg)
{
	uint64_t ds, ms;
	int e1, e2, error, rc;

	if (*arg >= '0' && *arg <= '9') {
		if (pl_cli_parse_u64(seq, arg) < 0)
			return pl_cli_usage(cmd, "%s", pl_error_last());
		return 0;
	}
	if (strchr(arg, '@')) {
		if ((e1 = pl_lineage_find(l, &ds, "dataset", arg)) < 0 && e1 != PL_ENOTFOUND)
			return pl_cli_fail(e1);
		if ((e2 = pl_lineage_find(l, &ms, "model", arg)) < 0 && e2 != PL_ENOTFOUND)
			return pl_cli_fail(e2);
		if (e1 == PL_OK && e2 == PL_OK) {
			pl_cli_err("%s is ambiguous: it names dataset %s (seq %llu) and model %s "
			           "(seq %llu); show one by its seq",
			           arg, arg, (unsigned long long)ds, arg, (unsigned long long)ms);
			return PL_EXIT_ERROR;
		}
		if (e1 != PL_OK && e2 != PL_OK)
			return pl_cli_fail(
			    pl_error_set(PL_ENOTFOUND, "no dataset or model named %s", arg));
		*seq = e1 == PL_OK ? ds : ms;
		return 0;
	}
	if (*arg == 'W') {
		pl_buf id = PL_BUF_INIT;
		seq_ctx c = {0};
		if ((rc = pl_cli_work_id(l, &id, arg)) == 0) {
			if ((error = pl_registry_get(l, id.ptr, work_seq, &c)) < 0)
				rc = pl_cli_fail(error);
			*seq = c.seq;
		}
		pl_buf_free(&id);
		return rc;
	}
	return pl_cli_usage(cmd, "'%s' is not a SEQ, a NAME@VERSION or a work id", arg);
}

static int cmd_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	uint64_t seq;
	show_ctx ctx = {0};
	pl_buf env = PL_BUF_INIT, role = PL_BUF_INIT;
	pl_dsse d = {0};
	pl_key *signer = NULL;
	pl_key_status ks = {0};
	json_t *st = NULL;
	const char *verdict;
	int rc, error;

	if (argc != 2)
		return pl_cli_usage(cmd, "expected one SEQ, NAME@VERSION or work id");
	if (!*argv[1] || (strchr("0123456789", *argv[1]) && pl_cli_parse_u64(&seq, argv[1]) < 0))
		return pl_cli_usage(cmd, "%s", *argv[1] ? pl_error_last() : "empty argument");
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	ctx.l = l;
	if ((rc = show_target(l, cmd, &seq, argv[1])) != 0)
		goto done;
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
		json_object_set_new(json_object_get(ctx.info, "signer"), "role",
		                    role.len ? json_string(role.ptr) : json_null());
		json_object_set_new(ctx.info, "verified",
		                    json_boolean(strcmp(verdict, "verified") == 0));
		json_object_set(ctx.info, "statement", st);
		pl_cli_json_print(ctx.info);
		ctx.info = NULL;
	} else {
		char *s = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_t *i = ctx.info;
		if (pl_ledger_key_status(l, &ks, d.keyid) < 0 || !ks.registered)
			ks.name[0] = '\0';
		printf("entry %llu: %s %s\n  commit:  %s\n  leaf:    %s\n  signer:  %s%s%s (%s): "
		       "%s\n\n",
		       (unsigned long long)seq,
		       pl_cli_esc(json_string_value(json_object_get(i, "type"))),
		       pl_cli_esc(ctx.name.ptr),
		       pl_cli_esc(json_string_value(json_object_get(i, "commit"))),
		       pl_cli_esc(json_string_value(json_object_get(i, "leaf"))),
		       pl_cli_esc(ks.name), ks.name[0] ? " " : "", pl_cli_esc(d.keyid),
		       role.len ? pl_cli_esc(role.ptr) : "?", verdict);
		/* JSON escapes control characters, not C1 or bidirectional ones */
		pl_cli_put_lines(stdout, s ? s : "");
		putchar('\n');
		free(s);
	}
done:
	json_decref(ctx.info);
	json_decref(st);
	pl_dsse_clear(&d);
	pl_key_free(signer);
	pl_buf_free(&env);
	pl_buf_free(&role);
	pl_buf_free(&ctx.name);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_log = {
    "log", cmd_log, "[--type TYPE] [--limit N]", "list entries, newest first",
    "Options:\n"
    "  --type TYPE  only entries of this type (key, grant, work, check, dataset,\n"
    "               model, attestation, hardware)\n"
    "  --limit N    at most N entries\n\n"
    "JSON: {\"size\": N, \"entries\": [{\"seq\", \"leaf\", \"type\", "
    "\"name\", \"signer\": {\"keyid\", \"name\"}, \"created\", \"commit\"}]} (docs/json.md)\n"};

const pl_cli_cmd pl_cmd_show = {
    "show", cmd_show, "SEQ | NAME@VERSION | WORK-ID",
    "show one entry: its statement, signer, and whether it verifies",
    "Prints the decoded in-toto Statement of the entry, the commit that appended it,\n"
    "its leaf hash, and its signer (key name and keyid) with the result of checking\n"
    "the DSSE signature against the signer's registered key.\n\n"
    "The entry is named by its SEQ, by the NAME@VERSION of a dataset or a model, or\n"
    "by a work id (W and 16 hex digits, or a unique prefix of at least 5 characters,\n"
    "as git takes commit ids). Datasets and models are shown by NAME@VERSION, works\n"
    "by their id, keys as key:NAME.\n\n"
    "Errors (exit 3): no such entry, dataset, model or work; a NAME@VERSION that is\n"
    "both a dataset and a model (the message names both seqs: show one by its seq);\n"
    "a work id prefix shorter than 5 characters or shared by several works (the\n"
    "message names them). Anything else is a usage error (exit 2).\n"};
