/* cmd_monitor.c - monitor: what a log gained since the last run that
 * concerns the watched works (checks that matched them, datasets and models
 * that hold them, sketch leads), and any split view, for a rights holder's
 * cron job. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "pl_client.h"
#include "pl_ledger.h"
#include "pl_query.h"

/* the next seq to look at, kept per log */
static void state_path(pl_buf *out, const char *given, const char *origin)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	pl_buf_clear(out);
	if (given) {
		pl_buf_puts(out, given);
		return;
	}
	if (xdg && *xdg)
		pl_buf_printf(out, "%s/provledger", xdg);
	else
		pl_buf_printf(out, "%s/.local/state/provledger", home && *home ? home : ".");
	pl_buf_puts(out, "/monitor");
	pl_mkdirs(out->ptr, 0700); /* writing the state says when it cannot */
	pl_buf_putc(out, '/');
	pl_path_escape(out, origin);
}

static void event(json_t *events, const pl_cli *g, uint64_t from, const char *type, json_t *ref,
                  const char *work, const char *what)
{
	json_int_t seq = json_integer_value(json_object_get(ref, "seq"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	if (seq < (json_int_t)from)
		return;
	json_array_append_new(events,
	                      json_pack("{s:s, s:I, s:s, s:s?, s:s, s:s}", "type", type, "seq", seq,
	                                "leaf", json_string_value(json_object_get(ref, "leaf")),
	                                "name", name, "work", work, "what", what));
	if (!g->json)
		printf("seq %-8lld %-8s %-28s %s: %s\n", (long long)seq, type,
		       pl_cli_esc(name ? name : "-"), pl_cli_esc(work), pl_cli_esc(what));
}

/* One look at the log: the events from *from on (appended to events, and
 * printed as text unless --json); *from and the state move to its size.
 * 0, PL_EXIT_FINDING for a split view (printed), or an exit code. */
static int monitor_round(const pl_cli *g, const char **works, size_t nworks, uint64_t *fromp,
                         int use_state, const char *state, json_t *events, pl_buf *origin,
                         uint64_t *size)
{
	pl_buf sp = PL_BUF_INIT, pos = PL_BUF_INIT, id = PL_BUF_INIT;
	pl_ledger *l = NULL;
	uint64_t from = *fromp;
	int rc = 0, error;
	if (g->remote) {
		/* a split view is what a monitor is for: reported, exit 1 */
		pl_remote *r;
		if ((error = pl_cli_remote_try(g, &r)) == PL_EVERIFY) {
			if (g->json)
				pl_cli_json_print(
				    json_pack("{s:s}", "split_view", pl_error_last()));
			else
				printf("SPLIT VIEW: %s\n", pl_cli_esc(pl_error_last()));
			rc = PL_EXIT_FINDING;
			goto done;
		} else if (error < 0) {
			rc = pl_cli_fail_append(error);
			goto done;
		}
	}
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	state_path(&sp, state, pl_ledger_origin(l));
	if (use_state && pl_read_file(&pos, sp.ptr, 64) == PL_OK)
		from = strtoull(pos.ptr, NULL, 10);
	for (size_t i = 0; i < nworks; i++) {
		json_t *q = NULL, *x;
		size_t k;
		if ((rc = pl_cli_work_id(l, &id, works[i])) != 0)
			goto done;
		if ((error = pl_query_work(&q, l, id.ptr)) < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
		json_array_foreach(json_object_get(q, "evidence"), k, x)
		{
			json_t *ref = json_deep_copy(json_object_get(x, "check"));
			json_t *ds = json_object_get(x, "dataset");
			json_t *m0 = json_array_get(json_object_get(x, "matches"), 0);
			char what[200];
			if (ds)
				json_object_set(ref, "name", json_object_get(ds, "name"));
			snprintf(what, sizeof(what), "a check report matched it (%zu match%s, %s)",
			         json_array_size(json_object_get(x, "matches")),
			         json_array_size(json_object_get(x, "matches")) == 1 ? "" : "es",
			         json_string_value(json_object_get(m0, "class"))
			             ? json_string_value(json_object_get(m0, "class"))
			             : "-");
			event(events, g, from, "check", ref, id.ptr, what);
			json_decref(ref);
		}
		json_array_foreach(json_object_get(q, "datasets"), k, x)
		    event(events, g, from, "dataset", x, id.ptr, "a dataset holds it");
		json_array_foreach(json_object_get(q, "models"), k, x)
		    event(events, g, from, "model", x, id.ptr, "a model was trained on it");
		json_array_foreach(json_object_get(q, "leads"), k, x)
		    event(events, g, from, "lead", json_object_get(x, "dataset"), id.ptr,
		          "a dataset's sketch says it probably holds it");
		json_decref(q);
	}
	/* next time, from what is new after this run */
	pl_buf_clear(&pos);
	pl_buf_printf(&pos, "%llu\n", (unsigned long long)pl_ledger_size(l));
	if ((error = pl_write_file_atomic(sp.ptr, pos.ptr, pos.len, 0600)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	*fromp = from;
	*size = pl_ledger_size(l);
	pl_buf_clear(origin);
	pl_buf_puts(origin, pl_ledger_origin(l));
	rc = 0;
done:
	pl_ledger_free(l);
	pl_buf_free(&sp);
	pl_buf_free(&pos);
	pl_buf_free(&id);
	return rc;
}

static int cmd_monitor(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"work", required_argument, NULL, 'w'},   {"works-from", required_argument, NULL, 'f'},
	    {"since", required_argument, NULL, 's'},  {"state", required_argument, NULL, 'S'},
	    {"follow", required_argument, NULL, 'F'}, {NULL, 0, NULL, 0}};
	static volatile sig_atomic_t stop;
	double follow = 0;
	int follow_rounds = 0;
	pl_buf origin = PL_BUF_INIT;
	const char *works[1024], *since = NULL, *state = NULL;
	size_t nworks = 0;
	pl_buf list = PL_BUF_INIT;
	json_t *events = json_array();
	uint64_t from = 0, last = 0;
	int c, rc = PL_EXIT_OK, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (nworks == 1024) {
				rc = pl_cli_usage(cmd, "at most 1024 works");
				goto done;
			}
			works[nworks++] = optarg;
			break;
		case 'f': {
			char *save = NULL;
			if ((error = pl_read_file(&list, optarg, 1 << 20)) < 0) {
				rc = pl_cli_fail(error);
				goto done;
			}
			for (char *t = list.ptr ? strtok_r(list.ptr, " \t\r\n", &save) : NULL;
			     t && nworks < 1024; t = strtok_r(NULL, " \t\r\n", &save))
				if (t[0] != '#')
					works[nworks++] = t;
			break;
		}
		case 's':
			since = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'F': {
			char *end;
			follow = strtod(optarg, &end);
			if (*end || !(follow > 0) || follow > 86400) {
				rc = pl_cli_usage(
				    cmd, "--follow takes seconds between looks, not '%s'", optarg);
				goto done;
			}
			break;
		}
		default:
			rc = pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
			goto done;
		}
	}
	if (optind != argc) {
		rc = pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (!nworks) {
		rc = pl_cli_usage(cmd, "which works? --work ID (repeatable) or --works-from FILE");
		goto done;
	}
	if (since && pl_cli_parse_u64(&from, since) < 0) {
		rc = pl_cli_usage(cmd, "--since takes a seq, not '%s'", since);
		goto done;
	}
	if (follow)
		pl_cli_on_stop_signals(&stop);
	for (;;) {
		size_t before = json_array_size(events);
		uint64_t size = 0;
		rc = monitor_round(g, works, nworks, &from, !since || follow_rounds > 0, state,
		                   events, &origin, &size);
		last = size;
		if (!follow || rc != 0)
			break;
		if (g->json) /* following: each event one line as it is seen */
			for (size_t i = before; i < json_array_size(events); i++) {
				char *line = json_dumps(json_array_get(events, i), JSON_COMPACT);
				if (line)
					printf("%s\n", line);
				free(line);
			}
		fflush(stdout);
		follow_rounds++;
		pl_cli_remote_close(); /* the next round asks for a new checkpoint */
		for (double t = 0; t < follow && !stop; t += 0.05) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (stop)
			break;
		from = size;
	}
	if (rc != 0 || follow)
		goto done;
	if (g->json)
		pl_cli_json_print(json_pack("{s:s, s:I, s:I, s:O}", "origin", origin.ptr, "from",
		                            (json_int_t)from, "size", (json_int_t)last, "events",
		                            events));
	else if (!json_array_size(events) && !g->quiet)
		printf("nothing new about the %zu work%s in entries %llu..%llu\n", nworks,
		       nworks == 1 ? "" : "s", (unsigned long long)from, (unsigned long long)last);
	rc = PL_EXIT_OK;
done:
	json_decref(events);
	pl_buf_free(&list);
	pl_buf_free(&origin);
	return rc;
}

const pl_cli_cmd pl_cmd_monitor = {
    "monitor", cmd_monitor, "--work ID... | --works-from FILE [--since SEQ] [--state FILE]",
    "what a log gained that concerns the watched works, and split views",
    "For a rights holder's cron job: reads the log (with --remote, verified as every\n"
    "client reads it: the checkpoint signed, consistent with the last one seen, every\n"
    "entry re-checked) and prints each entry from SEQ on that concerns a watched\n"
    "work, as `query --work` finds it: check reports that matched it, datasets that\n"
    "hold it, models trained on them (through base models), and datasets whose\n"
    "sketch says they probably hold it. Without --since it starts where its last run\n"
    "ended (--state FILE, default ${XDG_STATE_HOME:-~/.local/state}/provledger/\n"
    "monitor/<origin>), so each run reports what is new.\n\n"
    "A split view (the log showing a checkpoint not consistent with the last one\n"
    "this client saw) is printed as SPLIT VIEW and exits 1 (--json:\n"
    "{\"split_view\": message}).\n\n"
    "--works-from FILE  work ids, one per line (# comments)\n\n"
    "Exit 0 otherwise (--json: {\"origin\", \"from\", \"size\", \"events\": [{\"type\",\n"
    "\"seq\", \"leaf\", \"name\", \"work\", \"what\"}]}).\n"};
