/* cmd_work.c - `provledger work register|import|list|show`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_registry.h"

#define MAX_WORK_BYTES ((size_t)1 << 30)
#define IMPORT_BATCH 64 /* works appended as one commit by work import */

static int cmd_work_register(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"title", required_argument, NULL, 't'},
	                                     {"holder", required_argument, NULL, 'h'},
	                                     {"creator", required_argument, NULL, 'c'},
	                                     {"terms", required_argument, NULL, 'T'},
	                                     {"key", required_argument, NULL, 'k'},
	                                     {"no-span-hashes", no_argument, NULL, 'S'},
	                                     {NULL, 0, NULL, 0}};
	pl_work_meta meta = {0};
	int no_spans = 0;
	const char *creators[64], *keyfile = NULL;
	pl_buf data = PL_BUF_INIT;
	pl_work_prints p = {0};
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	pl_entry_ref ref;
	int c, rc = PL_EXIT_OK, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			meta.title = optarg;
			break;
		case 'h':
			meta.holder = optarg;
			break;
		case 'T':
			meta.terms = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'S':
			no_spans = 1;
			break;
		case 'c':
			if (meta.ncreators == 64)
				return pl_cli_usage(cmd, "at most 64 --creator");
			creators[meta.ncreators++] = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	meta.creators = creators;
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "expected one FILE");
	if (!meta.title || !meta.holder || !keyfile)
		return pl_cli_usage(cmd, "--title, --holder and --key are required");
	if ((error = pl_read_file(&data, argv[optind], MAX_WORK_BYTES)) < 0 ||
	    (error = pl_work_prints_compute(&p, argv[optind], data.ptr ? data.ptr : "", data.len)) <
	        0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	p.no_spans = no_spans;
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_work_register(l, &ref, key, &p, &meta)) < 0) {
		if (error == PL_ECONFLICT || error == PL_EINVALID)
			pl_error_prefix(error, "%s", argv[optind]);
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, PL_EXIT_OK);
		goto done;
	}
	if (p.short_work)
		pl_cli_err("warning: %s has %llu words, fewer than %d: only exact copies of it can "
		           "be found",
		           argv[optind], (unsigned long long)p.tokens,
		           PL_WINNOW_K + PL_WINNOW_W - 1);
	if (g->json)
		pl_cli_json_print(json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:b, s:o}", "work", p.id, "tokens",
		    (json_int_t)p.tokens, "fingerprints", (json_int_t)p.nfp, "robust_fingerprints",
		    (json_int_t)p.nrfp, "span_hashes", (json_int_t)(no_spans ? 0 : p.nspan),
		    "short", p.short_work, "entry", pl_cli_ref(ref.seq, ref.leaf)));
	else
		printf("registered %s \"%s\" (%llu words, %zu fingerprints) as entry %llu\n", p.id,
		       pl_cli_esc(meta.title), (unsigned long long)p.tokens, p.nfp,
		       (unsigned long long)ref.seq);
done:
	pl_ledger_free(l);
	pl_key_free(key);
	pl_work_prints_free(&p);
	pl_buf_free(&data);
	return rc;
}

/* One line of `work import`, fingerprinted and validated before anything is appended. */
typedef struct {
	pl_work_prints p;
	pl_work_meta meta;
	const char *creators[64];
	json_t *obj;
} import_item;

static int parse_import_line(import_item *it, const char *file, size_t lineno, const char *line,
                             size_t len)
{
	json_t *o = NULL, *cr;
	const char *path, *text;
	pl_buf data = PL_BUF_INIT, where = PL_BUF_INIT;
	size_t i;
	int error;

	pl_buf_printf(&where, "%s: line %zu", file, lineno);
	if ((error = pl_json_parse(&o, line, len, where.ptr)) < 0)
		goto done;
	it->obj = o;
	path = json_string_value(json_object_get(o, "path"));
	text = json_string_value(json_object_get(o, "text"));
	it->meta.title = json_string_value(json_object_get(o, "title"));
	it->meta.holder = json_string_value(json_object_get(o, "holder"));
	it->meta.terms = json_string_value(json_object_get(o, "terms"));
	cr = json_object_get(o, "creators");
	if (!json_is_object(o) || (!path == !text) || !it->meta.title || !it->meta.holder ||
	    (cr && !json_is_array(cr)) || json_array_size(cr) > 64) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: expected {\"path\"|\"text\", \"title\", \"holder\", "
		                     "\"creators\"?, \"terms\"?}",
		                     where.ptr);
		goto done;
	}
	for (i = 0; i < json_array_size(cr); i++) {
		if (!(it->creators[i] = json_string_value(json_array_get(cr, i)))) {
			error =
			    pl_error_set(PL_EINVALID, "%s: creators must be strings", where.ptr);
			goto done;
		}
	}
	it->meta.creators = it->creators;
	it->meta.ncreators = i;
	if (path) {
		if ((error = pl_read_file(&data, path, MAX_WORK_BYTES)) < 0) {
			pl_error_prefix(error, "%s", where.ptr);
			goto done;
		}
		error = pl_work_prints_compute(&it->p, path, data.ptr ? data.ptr : "", data.len);
	} else {
		error = pl_work_prints_compute(&it->p, where.ptr, text, strlen(text));
	}
	if (error < 0 && path)
		pl_error_prefix(error, "%s", where.ptr);
done:
	pl_buf_free(&data);
	pl_buf_free(&where);
	return error;
}

static int cmd_work_import(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {NULL, 0, NULL, 0}};
	const char *keyfile = NULL;
	pl_buf file = PL_BUF_INIT;
	import_item *items = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	pl_key *key = NULL;
	pl_ledger *l = NULL;
	json_t *out = json_array();
	int c, rc = PL_EXIT_OK, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'k')
			keyfile = optarg;
		else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "expected one FILE.jsonl");
	if (!keyfile)
		return pl_cli_usage(cmd, "--key is required");
	if ((rc = pl_cli_load_key(&key, keyfile)) != 0 || (rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_read_file(&file, argv[optind], MAX_WORK_BYTES)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	/* Everything is read, fingerprinted and checked first: a bad line appends nothing. */
	for (char *p = file.ptr, *end = file.ptr + file.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (len && p[len - 1] == '\r')
			len--;
		if (len > 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				import_item *q = realloc(items, cap * sizeof(*q));
				if (!q) {
					rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
					goto done;
				}
				items = q;
			}
			memset(&items[n], 0, sizeof(items[n]));
			n++;
			/* parse_import_line's messages already name the file and line */
			if ((error = parse_import_line(&items[n - 1], argv[optind], lineno, p,
			                               len)) < 0) {
				rc = pl_cli_fail(error);
				goto done;
			}
			if ((error = pl_work_validate(l, key, &items[n - 1].p,
			                              &items[n - 1].meta)) < 0) {
				if (error == PL_ECONFLICT || error == PL_EINVALID)
					pl_error_prefix(error, "%s: line %zu", argv[optind],
					                lineno);
				rc = pl_cli_fail_append(error);
				goto done;
			}
			for (size_t j = 0; j + 1 < n; j++)
				if (strcmp(items[j].p.id, items[n - 1].p.id) == 0) {
					rc = pl_cli_fail(pl_error_set(
					    PL_ECONFLICT,
					    "%s: line %zu: the same text as an earlier line (%s)",
					    argv[optind], lineno, items[j].p.id));
					goto done;
				}
		}
		p = nl ? nl + 1 : NULL;
	}
	/* IMPORT_BATCH works a commit: each batch all or nothing */
	for (size_t i0 = 0; i0 < n; i0 += IMPORT_BATCH) {
		size_t nb = n - i0 < IMPORT_BATCH ? n - i0 : IMPORT_BATCH;
		const pl_work_prints *bp[IMPORT_BATCH];
		const pl_work_meta *bm[IMPORT_BATCH];
		pl_entry_ref refs[IMPORT_BATCH];
		for (size_t j = 0; j < nb; j++) {
			/* items moved when the array grew: re-point into this item */
			items[i0 + j].meta.creators = items[i0 + j].creators;
			bp[j] = &items[i0 + j].p;
			bm[j] = &items[i0 + j].meta;
		}
		if ((error = pl_work_register_batch(l, refs, key, bp, bm, nb)) < 0) {
			pl_error_prefix(error, "after %zu of %zu works were registered", i0, n);
			rc = pl_cli_fail_append(error);
			goto done;
		}
		for (size_t j = 0; j < nb; j++) {
			const import_item *it = &items[i0 + j];
			json_array_append_new(out,
			                      json_pack("{s:s, s:s, s:o}", "work", it->p.id,
			                                "title", it->meta.title, "entry",
			                                pl_cli_ref(refs[j].seq, refs[j].leaf)));
			if (!g->json)
				printf("registered %s \"%s\" as entry %llu\n", it->p.id,
				       pl_cli_esc(it->meta.title), (unsigned long long)refs[j].seq);
		}
	}
	if (g->json) {
		pl_cli_json_print(json_pack("{s:o}", "works", out));
		out = NULL;
	}
done:
	for (size_t i = 0; i < n; i++) {
		pl_work_prints_free(&items[i].p);
		json_decref(items[i].obj);
	}
	free(items);
	json_decref(out);
	pl_buf_free(&file);
	pl_key_free(key);
	pl_ledger_free(l);
	return rc;
}

typedef struct {
	pl_cli *g;
	pl_ledger *l;
	json_t *arr;
	int header, show;
} wl_ctx;

static json_t *work_json(pl_ledger *l, const pl_work_info *w)
{
	json_t *cr = NULL, *ref = pl_cli_ref_of(l, w->seq), *o;
	json_error_t je;
	cr = json_loads(w->creators, 0, &je);
	o = json_pack(
	    "{s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:O?, s:s}", "work", w->id,
	    "title", w->title, "creators", cr ? cr : json_array(), "holder", w->holder, "terms",
	    w->terms, "normalized_sha256", w->normalized_sha256, "tokens", (json_int_t)w->tokens,
	    "fingerprints", (json_int_t)w->nfp, "robust_fingerprints", (json_int_t)w->nrfp,
	    "span_hashes", w->has_spans ? json_integer((json_int_t)w->nspan) : json_null(), "seq",
	    (json_int_t)w->seq, "leaf", json_object_get(ref, "leaf"), "created", w->created);
	json_decref(ref);
	return o;
}

static int wl_one(void *vctx, const pl_work_info *w)
{
	wl_ctx *ctx = vctx;
	if (ctx->g->json) {
		json_array_append_new(ctx->arr, work_json(ctx->l, w));
	} else if (ctx->show) {
		printf("work %s\n  title:    %s\n  creators: %s\n  holder:   %s\n  terms:    %s\n"
		       "  words:    %llu\n  fingerprints: %llu (robust %llu)\n"
		       "  span hashes: %s\n"
		       "  normalized sha256: %s\n  entry:    %llu (%s)\n",
		       pl_cli_esc(w->id), pl_cli_esc(w->title), pl_cli_esc(w->creators),
		       pl_cli_esc(w->holder), pl_cli_esc(w->terms), (unsigned long long)w->tokens,
		       (unsigned long long)w->nfp, (unsigned long long)w->nrfp,
		       w->has_spans ? "yes (matches are stated exactly)"
		                    : "none (registered before them: spans are lower bounds)",
		       pl_cli_esc(w->normalized_sha256), (unsigned long long)w->seq,
		       pl_cli_esc(w->created));
	} else {
		if (!ctx->header) {
			printf("%-18s %-22s %-20s %s\n", "WORK", "TERMS", "HOLDER", "TITLE");
			ctx->header = 1;
		}
		printf("%-18s %-22s %-20s %s\n", pl_cli_esc(w->id), pl_cli_esc(w->terms),
		       pl_cli_esc(w->holder), pl_cli_esc(w->title));
	}
	return 0;
}

static int cmd_work_list(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	wl_ctx ctx = {g, NULL, json_array(), 0, 0};
	int rc, error;
	if (argc > 1) {
		json_decref(ctx.arr);
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	}
	if ((rc = pl_cli_open(g, &l)) == 0) {
		ctx.l = l;
		if ((error = pl_registry_list(l, wl_one, &ctx)) < 0)
			rc = pl_cli_fail(error);
		else if (g->json) {
			pl_cli_json_print(json_pack("{s:o}", "works", ctx.arr));
			ctx.arr = NULL;
		}
	}
	json_decref(ctx.arr);
	pl_ledger_free(l);
	return rc;
}

static int cmd_work_show(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	pl_buf id = PL_BUF_INIT;
	wl_ctx ctx = {g, NULL, json_array(), 0, 1};
	int rc, error;
	if (argc != 2) {
		json_decref(ctx.arr);
		return pl_cli_usage(cmd, "expected one work ID");
	}
	if ((rc = pl_cli_open(g, &l)) == 0 && (rc = pl_cli_work_id(l, &id, argv[1])) == 0) {
		ctx.l = l;
		if ((error = pl_registry_get(l, id.ptr, wl_one, &ctx)) < 0)
			rc = pl_cli_fail(error);
		else if (g->json)
			pl_cli_json_print(json_incref(json_array_get(ctx.arr, 0)));
	}
	json_decref(ctx.arr);
	pl_buf_free(&id);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_work_register = {
    "work register", cmd_work_register,
    "FILE --title T --holder H [--creator C]... [--terms TERMS] [--no-span-hashes] --key K",
    "fingerprint a work locally and append a work entry",
    "Reads FILE (UTF-8 text), normalizes and tokenizes it (SPEC 8), and appends a work\n"
    "entry signed by --key, a registered rights-holder key. Only digests, winnow-v1\n"
    "fingerprints (k=13 w=38, and k=8 w=17 for --robust checks) and span hashes (the\n"
    "top 16 bits of the 8-token shingle hash at every position, 2 bytes a word, so that\n"
    "check states a copy to the word) enter the ledger, never the text. The span\n"
    "hashes confirm a guessed 8-word run at a position (README: what they reveal).\n"
    "The work id is W + the first 16 hex digits of the normalized SHA-256, so\n"
    "a reflowed or re-quoted copy of the same text has the same id.\n\n"
    "Options:\n"
    "  --title T      the work's title\n"
    "  --holder H     the rights holder\n"
    "  --creator C    an author (repeatable)\n"
    "  --terms TERMS  all-rights-reserved (default), opt-out, or licensed:<URL or text>\n"
    "  --no-span-hashes  leave the span hashes out: checks then state matches of the\n"
    "                 work as lower bounds (README: what span hashes reveal)\n"
    "  --key K        the rights holder's private key\n\n"
    "A work of fewer than 50 words is registered with a warning: only exact copies of\n"
    "it can be found. Refused (exit 3): empty or binary files (invalid UTF-8, NUL bytes),\n"
    "a text already registered (the message names the existing work id), a key that is\n"
    "not a registered rights-holder key, malformed terms.\n"};

const pl_cli_cmd pl_cmd_work_import = {
    "work import", cmd_work_import, "FILE.jsonl --key K", "register many works at once",
    "One JSON object per line: {\"path\": FILE | \"text\": TEXT, \"title\", \"holder\",\n"
    "\"creators\": [..], \"terms\"}. Every line is read, fingerprinted and validated\n"
    "before anything is appended: a bad line (named by its number) appends nothing.\n"
    "Works are appended 64 to a commit (each commit all or nothing).\n"};

const pl_cli_cmd pl_cmd_work_list = {"work list", cmd_work_list, "", "list the registered works",
                                     "Columns: work id, terms, holder, title.\n"};

const pl_cli_cmd pl_cmd_work_show = {
    "work show", cmd_work_show, "ID", "show one registered work",
    "Title, creators, holder, terms, size in words, fingerprint "
    "counts, normalized\nSHA-256 and the entry that registered it.\n\n"
    "ID is a work id (W and 16 hex digits) or, as git takes commit ids, a unique\n"
    "prefix of at least 5 characters (W0123). Errors (exit 3): no such work; a\n"
    "prefix shorter than 5 characters; a prefix several works share (the message\n"
    "names them).\n"};
