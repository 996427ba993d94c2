/* cmd_witness.c - witness key, witness cosign (offline) and witness serve
 * (c2sp.org/tlog-witness add-checkpoint over HTTP). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "pl_key.h"
#include "pl_ledger.h"
#include "pl_note.h"
#include "pl_witness.h"

/* What the witness commands share: its key and name, the logs it follows,
 * its state directory. */
typedef struct {
	const char *key_path, *name, *state;
	pl_key *key;
	pl_witness_log logs[64];
	pl_key *log_keys[64];
	char *origins[64];
	size_t nlogs;
} wopts;

static void wopts_free(wopts *o)
{
	pl_key_free(o->key);
	for (size_t i = 0; i < o->nlogs; i++) {
		pl_key_free(o->log_keys[i]);
		free(o->origins[i]);
	}
}

/* --log ORIGIN=KEY (KEY as for --trust: a file, an OpenSSH line, a verifier
 * key) or --log VKEY (a verifier key, its name the origin). */
static int add_log(wopts *o, const pl_cli_cmd *cmd, const char *arg)
{
	const char *eq = strchr(arg, '=');
	pl_buf name = PL_BUF_INIT;
	pl_key *k = NULL;
	int error;
	if (o->nlogs == 64)
		return pl_cli_usage(cmd, "at most 64 --log");
	if (eq && eq > arg && !strchr(arg, '+')) {
		error = pl_trust_parse(&k, &name, eq + 1, NULL);
		pl_buf_clear(&name);
		pl_buf_put(&name, arg, (size_t)(eq - arg));
	} else {
		error = pl_note_parse_verifier_key(&k, &name, arg, strlen(arg));
	}
	if (error < 0) {
		pl_buf_free(&name);
		pl_error_prefix(error, "--log %s", arg);
		return pl_cli_fail(error) == PL_EXIT_USAGE ? PL_EXIT_USAGE : PL_EXIT_ERROR;
	}
	o->origins[o->nlogs] = name.ptr; /* taken */
	o->log_keys[o->nlogs] = k;
	o->logs[o->nlogs].origin = name.ptr;
	o->logs[o->nlogs].key = k;
	o->nlogs++;
	return 0;
}

/* The options every witness command shares: --key, --name, --log, --state. */
static int wopt(wopts *o, const pl_cli_cmd *cmd, int c, const char *arg)
{
	if (c == 'k')
		o->key_path = arg;
	else if (c == 'n')
		o->name = arg;
	else if (c == 's')
		o->state = arg;
	else
		return add_log(o, cmd, arg);
	return 0;
}

static const char *default_state(pl_buf *b)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	pl_buf_clear(b);
	if (xdg && *xdg)
		pl_buf_printf(b, "%s/provledger/witness", xdg);
	else
		pl_buf_printf(b, "%s/.local/state/provledger/witness", home && *home ? home : ".");
	return b->ptr;
}

/* Parse the shared options (the rest into *extra handlers); 0 or an exit code. */
static int load_key(wopts *o, const pl_cli_cmd *cmd)
{
	int error;
	if (!o->key_path)
		return pl_cli_usage(cmd, "--key W.key is required (the witness's private key)");
	if (!o->name)
		return pl_cli_usage(cmd, "--name NAME is required (the witness's name, a "
		                         "schema-less URL such as witness.example.org/w1)");
	if ((error = pl_key_load_private(&o->key, o->key_path)) < 0)
		return pl_cli_fail(error);
	return 0;
}

static int cmd_witness_key(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	wopts o = {0};
	pl_buf vk = PL_BUF_INIT;
	int c, rc, error;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'k')
			o.key_path = optarg;
		else if (c == 'n')
			o.name = optarg;
		else
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = load_key(&o, cmd)) != 0)
		goto done;
	if ((error = pl_cosig_verifier_key(&vk, o.name, o.key)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json)
		pl_cli_json_print(json_pack("{s:s, s:s}", "name", o.name, "vkey", vk.ptr));
	else
		printf("%s\n", vk.ptr);
	rc = PL_EXIT_OK;
done:
	pl_buf_free(&vk);
	wopts_free(&o);
	return rc;
}

static int open_witness(wopts *o, const pl_cli_cmd *cmd, pl_witness **w, pl_buf *sd)
{
	int rc, error;
	if ((rc = load_key(o, cmd)) != 0)
		return rc;
	if (!o->nlogs)
		return pl_cli_usage(cmd, "give the logs it witnesses: --log ORIGIN=KEY (or a "
		                         "verifier key)");
	if (!o->state) {
		o->state = default_state(sd);
		pl_mkdirs(o->state, 0700); /* pl_witness_open says when it cannot */
	}
	if ((error = pl_witness_open(w, o->state, o->name, o->key, o->logs, o->nlogs)) < 0)
		return pl_cli_fail(error);
	return 0;
}

static int cmd_witness_cosign(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},      {"name", required_argument, NULL, 'n'},
	    {"log", required_argument, NULL, 'l'},      {"state", required_argument, NULL, 's'},
	    {"old-size", required_argument, NULL, 'o'}, {"proof", required_argument, NULL, 'p'},
	    {"out", required_argument, NULL, 'O'},      {NULL, 0, NULL, 0}};
	wopts o = {0};
	pl_witness *w = NULL;
	pl_buf note = PL_BUF_INIT, proof = PL_BUF_INIT, body = PL_BUF_INIT, ans = PL_BUF_INIT,
	       sd = PL_BUF_INIT, prev = PL_BUF_INIT, text = PL_BUF_INIT, out = PL_BUF_INIT;
	const char *old_arg = NULL, *proof_path = NULL, *out_path = NULL;
	uint64_t old = 0;
	int c, rc, error, status = 0;
	int64_t now;
	pl_checkpoint cp;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'n':
		case 'l':
		case 's':
			if ((rc = wopt(&o, cmd, c, optarg)) != 0)
				goto done;
			break;
		case 'o':
			old_arg = optarg;
			break;
		case 'p':
			proof_path = optarg;
			break;
		case 'O':
			out_path = optarg;
			break;
		default:
			rc = pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
			goto done;
		}
	}
	if (optind + 1 != argc) {
		rc = pl_cli_usage(cmd, "give one CHECKPOINT file");
		goto done;
	}
	if (old_arg && pl_cli_parse_u64(&old, old_arg) < 0) {
		rc = pl_cli_usage(cmd, "--old-size takes a tree size, not '%s'", old_arg);
		goto done;
	}
	if ((rc = open_witness(&o, cmd, &w, &sd)) != 0)
		goto done;
	if ((error = pl_read_file(&note, argv[optind], 1 << 16)) < 0 ||
	    (proof_path && (error = pl_read_file(&proof, proof_path, 1 << 16)) < 0)) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (!old_arg) {
		/* the size this witness cosigned last for the checkpoint's origin */
		const char *nl = note.ptr ? strchr(note.ptr, '\n') : NULL;
		char origin[256];
		if (nl && (size_t)(nl - note.ptr) < sizeof(origin)) {
			memcpy(origin, note.ptr, (size_t)(nl - note.ptr));
			origin[nl - note.ptr] = '\0';
			if (pl_witness_state(w, &prev, origin) == PL_OK) {
				const char *sep = strstr(prev.ptr, "\n\n");
				if (sep &&
				    pl_checkpoint_parse(&cp, prev.ptr,
				                        (size_t)(sep + 1 - prev.ptr)) == PL_OK)
					old = cp.size;
			}
		}
	}
	pl_buf_printf(&body, "old %llu\n", (unsigned long long)old);
	if (proof.len) {
		pl_buf_put(&body, proof.ptr, proof.len);
		if (proof.ptr[proof.len - 1] != '\n')
			pl_buf_putc(&body, '\n');
	}
	pl_buf_putc(&body, '\n');
	pl_buf_put(&body, note.ptr ? note.ptr : "", note.len);
	now = (int64_t)time(NULL);
	{
		const char *t = getenv("PROVLEDGER_TIME");
		if (t && *t)
			now = strtoll(t, NULL, 10);
	}
	if ((error = pl_witness_add(w, body.ptr, body.len, now, &status, &ans)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	while (ans.len && ans.ptr[ans.len - 1] == '\n')
		ans.ptr[--ans.len] = '\0';
	if (status != 200) {
		if (status == 409 && ans.len && ans.ptr[0] >= '0' && ans.ptr[0] <= '9')
			pl_cli_err(
			    "refused (409): the last checkpoint cosigned for this log has size "
			    "%s, not %llu: give --old-size %s and --proof (provledger prove "
			    "--consistency %s)",
			    pl_cli_esc(ans.ptr), (unsigned long long)old, pl_cli_esc(ans.ptr),
			    pl_cli_esc(ans.ptr));
		else
			pl_cli_err("refused (%d): %s", status, pl_cli_esc(ans.ptr));
		/* a fork or a proof that fails is a finding; a malformed request bad input */
		rc = status == 409 || status == 422 || status == 403 ? PL_EXIT_FINDING
		                                                     : PL_EXIT_ERROR;
		goto done;
	}
	pl_buf_put(&out, note.ptr, note.len);
	pl_buf_put(&out, ans.ptr, ans.len);
	pl_buf_putc(&out, '\n');
	if (out_path && (error = pl_write_file_atomic(out_path, out.ptr, out.len, 0644)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		const char *sep = strstr(note.ptr, "\n\n");
		pl_checkpoint_parse(&cp, note.ptr, sep ? (size_t)(sep + 1 - note.ptr) : note.len);
		pl_base64_encode(&text, cp.root, 32);
		pl_cli_json_print(json_pack("{s:s, s:I, s:s, s:s, s:s}", "origin", cp.origin,
		                            "size", (json_int_t)cp.size, "root", text.ptr,
		                            "cosignature", ans.ptr, "checkpoint", out.ptr));
	} else if (!out_path) {
		fputs(out.ptr, stdout);
	} else if (!g->quiet) {
		printf("cosigned; the checkpoint with its cosignature is in %s\n", out_path);
	}
	rc = PL_EXIT_OK;
done:
	pl_witness_free(w);
	wopts_free(&o);
	pl_buf_free(&note);
	pl_buf_free(&proof);
	pl_buf_free(&body);
	pl_buf_free(&ans);
	pl_buf_free(&sd);
	pl_buf_free(&prev);
	pl_buf_free(&text);
	pl_buf_free(&out);
	return rc;
}

static int cmd_witness_serve(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},      {"name", required_argument, NULL, 'n'},
	    {"log", required_argument, NULL, 'l'},      {"state", required_argument, NULL, 's'},
	    {"listen", required_argument, NULL, 'L'},   {"port-file", required_argument, NULL, 'p'},
	    {"log-file", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	static volatile sig_atomic_t stop;
	wopts o = {0};
	pl_witness *w = NULL;
	pl_cli_ready ready = {NULL, g->quiet, g->json, "127.0.0.1:8081"};
	const char *logpath = NULL;
	FILE *log = NULL;
	pl_buf sd = PL_BUF_INIT;
	int c, rc, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'n':
		case 'l':
		case 's':
			if ((rc = wopt(&o, cmd, c, optarg)) != 0)
				goto done;
			break;
		case 'L':
			ready.listen = optarg;
			break;
		case 'p':
			ready.port_file = optarg;
			break;
		case 'f':
			logpath = optarg;
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
	if ((rc = open_witness(&o, cmd, &w, &sd)) != 0)
		goto done;
	if (logpath && !(log = strcmp(logpath, "-") == 0 ? stderr : fopen(logpath, "a"))) {
		pl_cli_err("%s: cannot open the log", logpath);
		rc = PL_EXIT_ERROR;
		goto done;
	}
	pl_cli_on_stop_signals(&stop);
	error = pl_witness_serve(w, ready.listen, 15, pl_cli_listening, &ready, log, &stop);
	rc = error < 0 ? pl_cli_fail(error) : PL_EXIT_OK;
done:
	if (log && log != stderr)
		fclose(log);
	pl_witness_free(w);
	wopts_free(&o);
	pl_buf_free(&sd);
	return rc;
}

/* URL=VKEY: the witness's add-checkpoint prefix and its cosignature key. */
static int cmd_witness_request(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"quorum", required_argument, NULL, 'q'},
	                                     {NULL, 0, NULL, 0}};
	pl_ledger *l = NULL;
	json_t *ok = json_array(), *failed = json_array();
	uint64_t quorum = 0;
	size_t n, nok = 0, ncfg = 0;
	const char *cfg[64], **list;
	int c, rc, fork = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'q') {
			if (pl_cli_parse_u64(&quorum, optarg) < 0 || quorum == 0) {
				rc = pl_cli_usage(cmd, "--quorum takes a count, not '%s'", optarg);
				goto done;
			}
		} else {
			rc = pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
			goto done;
		}
	}
	n = (size_t)(argc - optind);
	list = (const char **)argv + optind;
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if (n == 0) {
		/* the witnesses of the config (init --witness) */
		for (size_t i = 0; pl_ledger_witness(l, i) && i < 64; i++)
			cfg[ncfg++] = pl_ledger_witness(l, i);
		if (!quorum)
			quorum = pl_ledger_witness_quorum(l);
		list = cfg;
		n = ncfg;
	}
	if (n == 0) {
		rc = pl_cli_usage(cmd, "give the witnesses: URL=VKEY... (or init --witness)");
		goto done;
	}
	if (quorum > n) {
		rc = pl_cli_usage(cmd, "--quorum %llu of %zu witnesses", (unsigned long long)quorum,
		                  n);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (!strchr(list[i], '=')) {
			rc = pl_cli_usage(cmd, "'%s' is not URL=VKEY", list[i]);
			goto done;
		}
	for (size_t i = 0; i < n; i++) {
		char *url = strdup(list[i]), *eq = url ? strchr(url, '=') : NULL;
		pl_buf name = PL_BUF_INIT, line = PL_BUF_INIT;
		pl_key *k = NULL;
		uint64_t old = 0;
		int error;
		if (!url)
			break;
		*eq = '\0';
		if ((error = pl_cosig_parse_verifier_key(&k, &name, eq + 1, strlen(eq + 1))) ==
		    PL_OK)
			error = pl_witness_request(l, url, name.ptr, k, &old, &line);
		if (error == PL_OK) {
			nok++;
			json_array_append_new(ok, json_string(name.ptr));
			if (!g->json && !g->quiet)
				printf("cosigned by %s: size %llu\n", pl_cli_esc(name.ptr),
				       (unsigned long long)pl_ledger_size(l));
		} else {
			fork |= error == PL_EVERIFY;
			json_array_append_new(failed, json_pack("{s:s, s:s}", "witness", url,
			                                        "error", pl_error_last()));
			if (!g->json)
				pl_cli_err("%s", pl_error_last());
		}
		pl_key_free(k);
		pl_buf_free(&name);
		pl_buf_free(&line);
		free(url);
	}
	if (quorum == 0)
		quorum = n;
	if (g->json)
		pl_cli_json_print(json_pack("{s:I, s:O, s:O, s:b}", "size",
		                            (json_int_t)pl_ledger_size(l), "cosigned", ok, "failed",
		                            failed, "quorum", nok >= quorum));
	else if (nok < quorum)
		pl_cli_err("%zu of the %llu cosignatures required", nok,
		           (unsigned long long)quorum);
	rc = nok >= quorum ? PL_EXIT_OK : fork ? PL_EXIT_FINDING : PL_EXIT_ERROR;
done:
	json_decref(ok);
	json_decref(failed);
	pl_ledger_free(l);
	return rc;
}

#define WITNESS_OPTS_HELP                                                                          \
	"--key W.key      the witness's private key (`provledger key gen`)\n"                      \
	"--name NAME      the witness's name: a schema-less URL (witness.example.org/w1)\n"        \
	"--log ORIGIN=KEY a log it witnesses: its origin and the operator key (a file, an\n"       \
	"                 OpenSSH line or a verifier key); or --log VKEY. Repeatable\n"            \
	"--state DIR      the last checkpoint cosigned per log (default\n"                         \
	"                 ${XDG_STATE_HOME:-~/.local/state}/provledger/witness)\n"

const pl_cli_cmd pl_cmd_witness_key = {
    "witness key", cmd_witness_key, "--key W.key --name NAME",
    "print a witness's cosignature verifier key",
    "Prints NAME+KEYID+BASE64(0x04 || public key): the c2sp.org/tlog-cosignature/v1\n"
    "verifier key that bundles' and clients' --witness take (--json: {\"name\",\n"
    "\"vkey\"}).\n"};

const pl_cli_cmd pl_cmd_witness_cosign = {
    "witness cosign", cmd_witness_cosign,
    "CHECKPOINT --key W.key --name NAME --log ORIGIN=KEY... [--state DIR] "
    "[--old-size N --proof FILE] [--out FILE]",
    "cosign a log's checkpoint offline, as a witness",
    "What `witness serve` does for one add-checkpoint request, offline: the\n"
    "checkpoint must be signed by a key given for its origin and consistent with\n"
    "the last one this witness cosigned for that origin (the state): --old-size\n"
    "that size (default: the state's) and --proof the consistency proof from it\n"
    "(one base64 hash per line: `provledger prove --consistency N`). Then the\n"
    "state is replaced (atomically, fsync'd) and the checkpoint is printed with\n"
    "the witness's c2sp.org/tlog-cosignature/v1 line added (--out FILE: written\n"
    "there; --json: {\"origin\", \"size\", \"root\", \"cosignature\", "
    "\"checkpoint\"}).\n\n" WITNESS_OPTS_HELP
    "\nExit 1 when it is refused as the protocol refuses it: 409 a size that does\n"
    "not follow the state, or a fork (same size, another root); 422 a proof that\n"
    "fails; 403 not signed by the log's key. Exit 3 for a malformed checkpoint\n"
    "(400) or an unknown origin (404).\n"};

const pl_cli_cmd pl_cmd_witness_serve = {
    "witness serve", cmd_witness_serve,
    "--key W.key --name NAME --log ORIGIN=KEY... [--state DIR] [--listen HOST:PORT] "
    "[--port-file FILE] [--log-file FILE]",
    "run a c2sp.org/tlog-witness witness over HTTP",
    "POST /add-checkpoint (c2sp.org/tlog-witness): the body is \"old N\", the\n"
    "consistency proof lines, an empty line and the checkpoint. Answers 200 with\n"
    "the cosignature line; 409 (text/x.tlog.size: the size cosigned last) when N\n"
    "is not that size; 409 for a fork; 422 for a proof that fails; 403 for a\n"
    "checkpoint not signed by the log's key; 404 for an unknown origin; 400 for a\n"
    "malformed body; 413 over 64 KiB. The state is replaced atomically before the\n"
    "answer; requests are serialised (DIR/lock across processes).\n\n" WITNESS_OPTS_HELP
    "--listen HOST:PORT  the address (default 127.0.0.1:8081; port 0: a free one)\n"
    "--port-file FILE    write the bound port to FILE once listening\n"
    "--log-file FILE     one line per request ('-': stderr)\n\n"
    "Runs until SIGINT or SIGTERM.\n"};

const pl_cli_cmd pl_cmd_witness_request = {
    "witness request", cmd_witness_request, "URL=VKEY... [--quorum K]",
    "ask witnesses to cosign the ledger's latest checkpoint (operator)",
    "For each witness (URL: its add-checkpoint prefix; VKEY: its cosignature\n"
    "verifier key, `provledger witness key`): POST URL/add-checkpoint with the\n"
    "latest checkpoint and the consistency proof from the size the witness\n"
    "cosigned last (learnt from its 409 answer). Each cosignature is verified and\n"
    "kept with the checkpoint (DIR/cosigned/<size>), so that `export` puts it in\n"
    "bundles and `serve` answers /checkpoint with it.\n\n"
    "--quorum K   how many must cosign (default: all)\n\n"
    "Exit 0 when the quorum cosigned; 1 when fewer did and a witness refused the\n"
    "checkpoint as not consistent with what it cosigned (it saw another history);\n"
    "3 otherwise (--json: {\"size\", \"cosigned\": [names], \"failed\":\n"
    "[{\"witness\", \"error\"}], \"quorum\": reached}).\n"};
