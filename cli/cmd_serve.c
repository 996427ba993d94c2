/* cmd_serve.c - serve (the ledger over HTTP) and tiles export (a static
 * tlog-tiles copy). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_serve.h"
#include "pl_tiles.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t *stop_target = &stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	*stop_target = 1;
}

void pl_cli_listening(void *ctx, unsigned port)
{
	pl_cli_ready *r = ctx;
	if (r->json) {
		pl_cli_json_print(json_pack("{s:s, s:i}", "listen", r->listen, "port", (int)port));
		fflush(stdout);
	} else if (!r->quiet) {
		printf("serving on port %u\n", port);
		fflush(stdout);
	}
	if (r->port_file) {
		char tmp[4200];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", r->port_file);
		if ((f = fopen(tmp, "w")) != NULL) {
			fprintf(f, "%u\n", port);
			if (fclose(f) == 0)
				rename(tmp, r->port_file);
		}
	}
}

void pl_cli_on_stop_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;
	stop_target = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int count_opt(const pl_cli_cmd *cmd, unsigned *out, const char *name, const char *arg,
                     uint64_t max)
{
	uint64_t v;
	if (pl_cli_parse_u64(&v, arg) < 0 || v > max)
		return pl_cli_usage(cmd, "--%s takes a count from 0 to %llu, not '%s'", name,
		                    (unsigned long long)max, arg);
	*out = (unsigned)v;
	return 0;
}

static int cmd_serve(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
	                                     {"port-file", required_argument, NULL, 'p'},
	                                     {"tls-cert", required_argument, NULL, 'c'},
	                                     {"tls-key", required_argument, NULL, 'k'},
	                                     {"max-body", required_argument, NULL, 'b'},
	                                     {"max-blob", required_argument, NULL, 'B'},
	                                     {"max-clients", required_argument, NULL, 'C'},
	                                     {"max-per-client", required_argument, NULL, 'P'},
	                                     {"timeout", required_argument, NULL, 't'},
	                                     {"rate", required_argument, NULL, 'r'},
	                                     {"batch", required_argument, NULL, 'n'},
	                                     {"log", required_argument, NULL, 'L'},
	                                     {"witness", required_argument, NULL, 'w'},
	                                     {NULL, 0, NULL, 0}};
	const char *witnesses[64];
	int cfg_witnesses = 0;
	pl_serve_opts o = {0};
	pl_cli_ready rc = {NULL, g->quiet, g->json, NULL};
	const char *logpath = NULL;
	unsigned v = 0;
	int c, error, r;

	o.listen = "127.0.0.1:8080";
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = optarg;
			break;
		case 'p':
			rc.port_file = optarg;
			break;
		case 'c':
			o.tls_cert = optarg;
			break;
		case 'k':
			o.tls_key = optarg;
			break;
		case 'b':
			if ((r = count_opt(cmd, &v, "max-body", optarg, 65535)) != 0)
				return r;
			o.max_body = v;
			break;
		case 'B':
			if ((r = count_opt(cmd, &v, "max-blob", optarg, 1u << 30)) != 0)
				return r;
			o.max_blob = v;
			break;
		case 'C':
			if ((r = count_opt(cmd, &o.max_clients, "max-clients", optarg, 10000)) != 0)
				return r;
			break;
		case 'P':
			if ((r = count_opt(cmd, &o.max_per_ip, "max-per-client", optarg, 10000)) !=
			    0)
				return r;
			break;
		case 't':
			if ((r = count_opt(cmd, &o.timeout, "timeout", optarg, 3600)) != 0)
				return r;
			break;
		case 'r':
			if ((r = count_opt(cmd, &o.rate, "rate", optarg, 1000000)) != 0)
				return r;
			break;
		case 'n':
			if ((r = count_opt(cmd, &o.batch_max, "batch", optarg, 65536)) != 0)
				return r;
			break;
		case 'L':
			logpath = optarg;
			break;
		case 'w':
			if (o.nwitnesses == 64)
				return pl_cli_usage(cmd, "at most 64 --witness");
			witnesses[o.nwitnesses++] = optarg;
			o.witnesses = witnesses;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (logpath && !(o.log = strcmp(logpath, "-") == 0 ? stderr : fopen(logpath, "a"))) {
		pl_cli_err("%s: cannot open the log", logpath);
		return PL_EXIT_ERROR;
	}
	rc.listen = o.listen;
	if (!o.nwitnesses) {
		/* the witnesses of the config (init --witness) */
		pl_ledger *l = NULL;
		if (pl_ledger_open(&l, g->ledger) == PL_OK) {
			for (size_t i = 0; pl_ledger_witness(l, i) && o.nwitnesses < 64; i++)
				if ((witnesses[o.nwitnesses] = strdup(pl_ledger_witness(l, i))))
					o.nwitnesses++;
			o.witnesses = witnesses;
		}
		pl_ledger_free(l);
		cfg_witnesses = 1;
	}
	o.ready = pl_cli_listening;
	o.ready_ctx = &rc;
	pl_cli_on_stop_signals(&stop_flag);
	error = pl_serve(g->ledger, &o, &stop_flag);
	if (o.log && o.log != stderr)
		fclose(o.log);
	for (size_t i = 0; cfg_witnesses && i < o.nwitnesses; i++)
		free((char *)witnesses[i]);
	if (error < 0)
		return pl_cli_fail(error);
	return PL_EXIT_OK;
}

static int cmd_tiles_export(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	uint64_t n = 0;
	int error, rc;
	if (argc != 2 || argv[1][0] == '-')
		return pl_cli_usage(cmd,
		                    argc < 2 ? "which directory? (DIR is required)"
		                             : "unexpected argument '%s'",
		                    argv[argc - 1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	error = pl_tiles_export(l, argv[1], &n);
	if (error < 0) {
		rc = pl_cli_fail(error);
	} else {
		if (g->json)
			pl_cli_json_print(json_pack("{s:s, s:I, s:I}", "dir", argv[1], "size",
			                            (json_int_t)pl_ledger_size(l), "tiles_written",
			                            (json_int_t)n));
		else
			printf("exported the log of %llu entries to %s (%llu tiles written)\n",
			       (unsigned long long)pl_ledger_size(l), argv[1],
			       (unsigned long long)n);
		rc = PL_EXIT_OK;
	}
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_serve = {
    "serve", cmd_serve,
    "[--listen HOST:PORT] [--port-file FILE] [--tls-cert PEM --tls-key PEM] "
    "[--max-body N] [--max-blob N] [--max-clients N] [--max-per-client N] "
    "[--timeout S] [--rate N] [--batch N] [--log FILE] [--witness URL=VKEY...]",
    "serve the ledger over HTTP: tlog-tiles reads, client-signed appends",
    "Endpoints:\n"
    "  GET  /checkpoint                the latest signed checkpoint (C2SP)\n"
    "  GET  /tile/<L>/<N>[.p/<W>]      c2sp.org/tlog-tiles hash tiles (height 8)\n"
    "  GET  /tile/entries/<N>[.p/<W>]  entry bundles: each envelope prefixed by its\n"
    "                                  length, uint16 big-endian\n"
    "  GET  /blob/<sha256>             an attachment\n"
    "  PUT  /blob/<sha256>             upload an attachment (its digest is checked)\n"
    "                                  before the entry that names it\n"
    "  GET  /subjects/<size>           the signed subject index of that size\n"
    "  GET  /lineage/<N@V>             `lineage --json`, computed by the server\n"
    "  GET  /query/<work id>           `query --work --json`\n"
    "  GET  /export/<N@V|work id>      the evidence bundle `export` writes\n"
    "  POST /add                       a DSSE envelope signed by the client\n\n"
    "POST /add validates the envelope as a local append does (the signer\n"
    "registered, its role in force, references, names, canonical bytes, times).\n"
    "Submissions arriving together are appended as one commit: one checkpoint, one\n"
    "operator signature, fsync'd before any of them is answered. The answer (200)\n"
    "is {\"seq\", \"leaf\", \"size\", \"checkpoint\", \"proof\": [base64...],\n"
    "\"tlog_proof\", \"duplicate\"}: the inclusion proof of the entry in the\n"
    "checkpoint of size; an envelope already in the log answers its first seq with\n"
    "\"duplicate\": true. A refused request gets a 4xx and {\"error\": {\"code\",\n"
    "\"message\"}}, and nothing is appended: 400 a malformed request, 404 an unknown\n"
    "path or tile, 405 a wrong method, 413 a body over its cap, 422 an envelope the\n"
    "rules refuse, 429 over --rate.\n\n"
    "--listen HOST:PORT   the address (default 127.0.0.1:8080; port 0: a free one)\n"
    "--port-file FILE     write the bound port to FILE once listening\n"
    "--tls-cert, --tls-key  serve HTTPS with this certificate and key (PEM)\n"
    "--max-body N         POST /add bytes (default 65535: what a tile entry holds)\n"
    "--max-blob N         PUT /blob bytes (default 67108864)\n"
    "--max-clients N      connections in all (default 256)\n"
    "--max-per-client N   connections from one address (default 64)\n"
    "--timeout S          seconds a connection may stay idle (default 15)\n"
    "--rate N             submissions per second from one address (default: no limit)\n"
    "--batch N            entries per commit at most (default 1024)\n"
    "--log FILE           one line per refused request and the totals at exit ('-':\n"
    "                     stderr)\n"
    "--witness URL=VKEY   a witness (c2sp.org/tlog-witness) asked to cosign each new\n"
    "                     checkpoint in the background, with the consistency proof\n"
    "                     from the size it cosigned last; its cosignatures are kept\n"
    "                     (DIR/cosigned/) and served on /checkpoint. Repeatable\n\n"
    "Once listening it prints 'serving on port N' (--json: {\"listen\", \"port\"}).\n"
    "Runs until SIGINT or SIGTERM. Exit 0 then; 3 when it cannot start.\n"};

const pl_cli_cmd pl_cmd_tiles_export = {
    "tiles export", cmd_tiles_export, "DIR", "write the log as static c2sp.org/tlog-tiles files",
    "Writes DIR/checkpoint and DIR/tile/...: every full tile and the partial tiles\n"
    "of the current size, the same bytes `serve` answers, for any static web\n"
    "server (readers then need no provledger process). Run it again after appends:\n"
    "files that have not changed are kept.\n"};
