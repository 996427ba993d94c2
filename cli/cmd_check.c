/* cmd_check.c - `provledger check SHARD...`: match every record against the registry. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "pl_check.h"
#include "pl_check_part.h"
#include "pl_hash.h"
#include "pl_regfile.h"
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
		if (l)
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

/* --part / --task-index / --task-count: the slice this task checks. */
typedef struct {
	const char *index, *count; /* as given: a number or "env"; NULL: not given */
	const char *out;
	int for_dataset;
	uint32_t rindex, rcount; /* the registry part; rcount 0 or 1: the whole */
} part_args;

/* A task index or count from the scheduler's environment (SPEC §10: Slurm
 * job arrays, Kubernetes Indexed Jobs). 0, or the usage exit code. */
static int env_number(const pl_cli_cmd *cmd, uint64_t *v, int count)
{
	const char *s, *name;
	uint64_t min = 0;
	if (count) {
		name = "SLURM_ARRAY_TASK_COUNT";
		if (!(s = getenv(name)))
			return pl_cli_usage(cmd,
			                    "--task-count env: SLURM_ARRAY_TASK_COUNT is not set "
			                    "(give the count: --task-count N or --part I/N)");
	} else if ((s = getenv(name = "SLURM_ARRAY_TASK_ID")) != NULL) {
		const char *m = getenv("SLURM_ARRAY_TASK_MIN");
		if (m && pl_cli_parse_u64(&min, m) < 0)
			return pl_cli_usage(cmd, "SLURM_ARRAY_TASK_MIN is not a number: %s", m);
	} else if (!(s = getenv(name = "JOB_COMPLETION_INDEX"))) {
		return pl_cli_usage(cmd, "--task-index env: neither SLURM_ARRAY_TASK_ID nor "
		                         "JOB_COMPLETION_INDEX is set");
	}
	if (pl_cli_parse_u64(v, s) < 0 || *v < min)
		return pl_cli_usage(cmd, "%s is not a task number: %s", name, s);
	*v -= min;
	return 0;
}

static int part_number(const pl_cli_cmd *cmd, uint32_t *out, const char *arg, int count)
{
	uint64_t v;
	int rc;
	if (strcmp(arg, "env") == 0) {
		if ((rc = env_number(cmd, &v, count)) != 0)
			return rc;
	} else if (pl_cli_parse_u64(&v, arg) < 0) {
		return pl_cli_usage(cmd, "%s needs a number or env: %s",
		                    count ? "--task-count" : "--task-index", arg);
	}
	if (v > 1000000 || (count && v == 0))
		return pl_cli_usage(cmd, "task %s out of range: %s", count ? "count" : "index",
		                    arg);
	*out = (uint32_t)v;
	return 0;
}

/* The fingerprint sidecar, written while the slice is checked. */
typedef struct {
	FILE *f;
	pl_sha256_ctx *h;
	uint64_t count;
} fps_out;

static int put_fps(void *ctx, const pl_fps *fps)
{
	fps_out *s = ctx;
	for (size_t i = 0; i < fps->count; i++) {
		unsigned char b[8];
		uint64_t x = fps->v[i].hash;
		for (int k = 0; k < 8; k++)
			b[k] = (unsigned char)(x >> (8 * k));
		pl_sha256_update(s->h, b, 8);
		if (fwrite(b, 8, 1, s->f) != 1)
			return pl_error_set(PL_ERROR, "cannot write the fingerprints: %s",
			                    strerror(errno));
	}
	s->count += fps->count;
	return PL_OK;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Check slice pa of the list and write the part, its sidecar and its marker;
 * nothing is left behind on failure. Returns the exit code. */
static int run_part(pl_cli *g, pl_ledger *l, pl_cli_shards *shards, pl_check_opts *o,
                    const part_args *pa, uint32_t index, uint32_t count)
{
	pl_check_part_info info;
	pl_check_result res;
	pl_buf def = PL_BUF_INIT, mark = PL_BUF_INIT, fpsp = PL_BUF_INIT, tmp = PL_BUF_INIT,
	       part = PL_BUF_INIT;
	size_t *pos = NULL, np = 0;
	const char **paths = NULL, **fields = NULL;
	fps_out fo = {NULL, NULL, 0};
	unsigned char h[PL_HASH_LEN];
	char hex[66];
	int rc = PL_EXIT_ERROR, error, for_dataset;
	const char *outp = pa->out;

	memset(&res, 0, sizeof(res));
	memset(&info, 0, sizeof(info));
	if (!outp) {
		if (pa->rcount > 1)
			pl_buf_printf(&def, "check-part-%u-of-%u-registry-%u-of-%u.json", index,
			              count, pa->rindex, pa->rcount);
		else
			pl_buf_printf(&def, "check-part-%u-of-%u.json", index, count);
		outp = def.ptr;
	}
	pl_buf_printf(&mark, "%s.done", outp);
	pl_buf_printf(&fpsp, "%s.fps", outp);
	pl_buf_printf(&tmp, "%s.fps.tmp", outp);
	if (!outp || !mark.ptr || !fpsp.ptr || !tmp.ptr) {
		rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		goto done;
	}
	/* a marker from an earlier run must not vouch for what this one leaves */
	if (unlink(mark.ptr) < 0 && errno != ENOENT) {
		rc = pl_cli_fail(
		    pl_error_set(PL_ERROR, "%s: cannot remove: %s", mark.ptr, strerror(errno)));
		goto done;
	}
	if ((error = pl_check_slice(&pos, &np, shards->names, shards->n, index, count)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	paths = calloc(np ? np : 1, sizeof(*paths));
	fields = calloc(np ? np : 1, sizeof(*fields));
	if (!paths || !fields) {
		rc = pl_cli_fail(pl_error_set(PL_ENOMEM, "out of memory"));
		goto done;
	}
	for (size_t i = 0; i < np; i++) {
		paths[i] = shards->paths[pos[i]];
		fields[i] = shards->fields[pos[i]];
	}
	o->fields = fields;
	o->names = NULL;
	o->shard.no_merkle = 0; /* the part carries what a manifest needs */
	/* every registry part of a slice reads the same records: the sidecar
	 * is registry part 0's */
	for_dataset = pa->for_dataset && pa->rindex == 0;
	if (for_dataset) {
		if ((fo.f = fopen(tmp.ptr, "wb")) == NULL) {
			rc = pl_cli_fail(pl_error_set(PL_ERROR, "%s: cannot create: %s", tmp.ptr,
			                              strerror(errno)));
			goto done;
		}
		if ((error = pl_sha256_new(&fo.h)) < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
		o->on_fps = put_fps;
		o->on_fps_ctx = &fo;
	}
	if ((error = pl_check_run(&res, l, paths, np, o)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	info.index = index;
	info.count = count;
	info.names = shards->names;
	info.fields = shards->fields;
	info.nlist = shards->n;
	info.positions = pos;
	info.o = o;
	if (fo.f) {
		if (fclose(fo.f) != 0) {
			fo.f = NULL;
			rc = pl_cli_fail(pl_error_set(PL_ERROR, "%s: cannot write: %s", tmp.ptr,
			                              strerror(errno)));
			goto done;
		}
		fo.f = NULL;
		pl_sha256_final(fo.h, info.fps_sha256);
		info.fps_count = fo.count;
		info.fps_file = base_name(fpsp.ptr);
	}
	if ((error = pl_check_part_write(&part, &res, &info)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (for_dataset && rename(tmp.ptr, fpsp.ptr) < 0) {
		rc = pl_cli_fail(pl_error_set(PL_ERROR, "%s: cannot rename to %s: %s", tmp.ptr,
		                              fpsp.ptr, strerror(errno)));
		goto done;
	}
	pl_sha256(h, part.ptr, part.len);
	pl_hex(hex, h, PL_HASH_LEN);
	hex[64] = '\n';
	hex[65] = '\0';
	if ((error = pl_write_file_atomic(outp, part.ptr, part.len, 0644)) < 0 ||
	    (error = pl_write_file_atomic(mark.ptr, hex, 65, 0644)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	hex[64] = '\0';
	/* a part is a step, not the finding: exit 0 whatever it matched, so that
	 * a dependent merge job (afterok) runs; merge's exit says what matched */
	rc = PL_EXIT_OK;
	if (g->json) {
		json_t *doc = json_pack("{s:{s:i, s:i}, s:s, s:s, s:s?, s:I, s:O}", "part", "index",
		                        (int)index, "count", (int)count, "out", outp, "marker",
		                        mark.ptr, "fingerprints", for_dataset ? fpsp.ptr : NULL,
		                        "shards", (json_int_t)np, "report", res.report);
		pl_cli_json_print(doc);
	} else {
		printf(
		    "part %u/%u: checked %zu of %zu shards: %llu records, %llu bytes, %llu tokens, "
		    "%llu match%s\n",
		    index, count, np, shards->n, (unsigned long long)res.records,
		    (unsigned long long)res.bytes, (unsigned long long)res.tokens,
		    (unsigned long long)res.nmatches, res.nmatches == 1 ? "" : "es");
		printf("wrote %s (sha256 %s) and %s%s%s\n", pl_cli_esc(outp), hex,
		       pl_cli_esc(mark.ptr), for_dataset ? " and " : "",
		       for_dataset ? pl_cli_esc(fpsp.ptr) : "");
	}
done:
	if (fo.f) {
		fclose(fo.f);
		unlink(tmp.ptr);
	} else if (rc != PL_EXIT_OK && tmp.ptr) {
		unlink(tmp.ptr);
	}
	pl_sha256_free(fo.h);
	pl_check_result_free(&res);
	free(pos);
	free(paths);
	free(fields);
	pl_buf_free(&def);
	pl_buf_free(&mark);
	pl_buf_free(&fpsp);
	pl_buf_free(&tmp);
	pl_buf_free(&part);
	return rc;
}

static int cmd_check(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"robust", no_argument, NULL, 'r'},
	                                     {"min-tokens", required_argument, NULL, 'm'},
	                                     {"max-df", required_argument, NULL, 'd'},
	                                     {"jobs", required_argument, NULL, 'j'},
	                                     {"stats", no_argument, NULL, 's'},
	                                     {"excerpts", required_argument, NULL, 'x'},
	                                     {"part", required_argument, NULL, 'P'},
	                                     {"task-index", required_argument, NULL, 'I'},
	                                     {"task-count", required_argument, NULL, 'N'},
	                                     {"shard-list", required_argument, NULL, 'S'},
	                                     {"out", required_argument, NULL, 'o'},
	                                     {"for-dataset", no_argument, NULL, 'D'},
	                                     {"registry-file", required_argument, NULL, 'F'},
	                                     {"registry-part", required_argument, NULL, 'R'},
	                                     PL_SHARD_LONGOPTS,
	                                     {NULL, 0, NULL, 0}};
	pl_check_opts o;
	pl_check_result res;
	pl_cli_shards shards;
	pl_ledger *l = NULL;
	pl_progress prog;
	part_args pa = {NULL, NULL, NULL, 0, 0, 0};
	uint32_t pidx = 0, pcnt = 0;
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
		case 'P': {
			const char *sl = strchr(optarg, '/');
			if (strcmp(optarg, "env") == 0) {
				pa.index = pa.count = "env";
			} else if (!sl || sl == optarg || !sl[1]) {
				return pl_cli_usage(cmd, "--part needs I/N (or env): %s", optarg);
			} else {
				/* optarg is argv's: split it in place */
				*(char *)sl = '\0';
				pa.index = optarg;
				pa.count = sl + 1;
			}
			break;
		}
		case 'I':
			pa.index = optarg;
			break;
		case 'N':
			pa.count = optarg;
			break;
		case 'S':
			if (pl_cli_shards_files_from(&shards, optarg) < 0)
				return pl_cli_usage(cmd, "%s", pl_error_last());
			break;
		case 'o':
			pa.out = optarg;
			break;
		case 'D':
			pa.for_dataset = 1;
			break;
		case 'F':
			o.registry_file = optarg;
			break;
		case 'R':
			if (pl_cli_parse_registry_part(&pa.rindex, &pa.rcount, optarg) < 0)
				return pl_cli_usage(cmd, "%s", pl_error_last());
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
	if (pa.count && !pa.index)
		return pl_cli_usage(cmd, "--task-count needs --task-index");
	if (!pa.index && (pa.out || pa.for_dataset))
		return pl_cli_usage(cmd, "--out and --for-dataset go with --part or --task-index");
	if (pa.index && (o.excerpts || stats))
		return pl_cli_usage(cmd, "--excerpts and --stats do not go with --part");
	if (pa.rcount && o.registry_file)
		return pl_cli_usage(cmd, "--registry-part and --registry-file do not go together: "
		                         "the file is the registry part it was built as "
		                         "('registry build --registry-part')");
	if (pa.rcount > 1 && !pa.index)
		return pl_cli_usage(cmd,
		                    "--registry-part %u/%u checks against part of the "
		                    "registry: a part of the report, so give --part I/N too "
		                    "(and merge every registry part of every shard part)",
		                    pa.rindex, pa.rcount);
	if (o.registry_file && pl_regfile_part(&pa.rindex, &pa.rcount, o.registry_file) &&
	    !pa.index)
		return pl_cli_usage(cmd,
		                    "%s is registry part %u/%u: a check against it is a "
		                    "part of the report, so give --part I/N too (and merge "
		                    "every registry part of every shard part)",
		                    o.registry_file, pa.rindex, pa.rcount);
	if (!o.registry_file) {
		o.registry_part_index = pa.rindex;
		o.registry_part_count = pa.rcount;
	}
	if (pa.index) {
		if ((rc = part_number(cmd, &pidx, pa.index, 0)) != 0 ||
		    (rc = part_number(cmd, &pcnt, pa.count ? pa.count : "env", 1)) != 0)
			return rc;
		if (pidx >= pcnt)
			return pl_cli_usage(cmd, "task index %u is not below the task count %u",
			                    pidx, pcnt);
	}
	if ((rc = pl_cli_shards_collect(&shards, cmd, argv + optind, argc - optind, 0)) != 0)
		goto done;
	if (pa.index && shards.stdin_shard >= 0) {
		rc = pl_cli_usage(cmd, "with --part, '-' (stdin) cannot be a shard: every task "
		                       "reads the list's files");
		goto done;
	}
	if (shards.n == 0) {
		rc = pl_cli_usage(cmd, "no shard given");
		goto done;
	}
	if (pa.index) {
		if ((rc = pl_cli_open(g, &l)) == 0)
			rc = run_part(g, l, &shards, &o, &pa, pidx, pcnt);
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
    "[--field NAME] [--files-from FILE] [--registry-file FILE] "
    "[--part I/N [--out FILE] [--for-dataset] [--registry-part P/Q]]",
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
    "                   part of a report that enters the ledger\n"
    "  --registry-file FILE  the lookup table from FILE ('provledger registry build'),\n"
    "                   mapped read-only and shared by every check on the node, instead\n"
    "                   of building it from the index; refused when it is stale (a work\n"
    "                   registered since), for the other scheme, from another ledger, or\n"
    "                   truncated or corrupt. The report is the same.\n" PL_SHARD_OPTS_HELP "\n"
    "Job arrays (SPEC 10): task I of N checks sorted(shards)[I::N] and writes a part\n"
    "that 'provledger merge' combines with the others into the report one check over\n"
    "all shards prints (the list is sorted by name, bytewise; every task must be given\n"
    "the same list, in the same order: the part names the list by its SHA-256).\n"
    "  --part I/N       this task's slice: I from 0 to N-1; 'env' for either takes it\n"
    "                   from the scheduler (as --task-index env, --task-count env)\n"
    "  --task-index I   the same, apart: a number, or env: SLURM_ARRAY_TASK_ID minus\n"
    "                   SLURM_ARRAY_TASK_MIN (Slurm job arrays), else\n"
    "                   JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)\n"
    "  --task-count N   a number, or env: SLURM_ARRAY_TASK_COUNT (default env)\n"
    "  --shard-list F   the shards, one per line of F (as --files-from)\n"
    "  --out FILE       the part (default check-part-I-of-N.json); written atomically,\n"
    "                   then its completion marker FILE.done (the part's SHA-256)\n"
    "  --for-dataset    also write the slice's fingerprints to FILE.fps, for\n"
    "                   'provledger dataset register --from-reports' (registry part 0\n"
    "                   only: the other registry parts read the same records)\n"
    "  --registry-part P/Q  check against registry part P of Q only: the works whose\n"
    "                   index among the registered works is P mod Q (the boilerplate\n"
    "                   rule still counts the whole registry). For a registry too large\n"
    "                   for one node: N x Q tasks, each a shard part and a registry part\n"
    "                   (default --out check-part-I-of-N-registry-P-of-Q.json); merge\n"
    "                   combines them into the whole registry's report. A registry file\n"
    "                   built with 'registry build --registry-part' is that part itself\n"
    "With --part the exit is 0 once the part is written, matches or not (a dependent\n"
    "merge job runs on success); merge's exit says whether anything matched.\n\n"
    "Exit 0 when nothing matched, 1 when something did, 3 on bad input (the shard\n"
    "errors of 'provledger hash'). --json prints the report of SPEC 6.3 whole.\n"};
