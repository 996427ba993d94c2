/* cmd_init.c - `provledger init`: create a ledger. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"

static int cmd_init(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"origin", required_argument, NULL, 'o'},
	                                     {"operator-key", required_argument, NULL, 'k'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {"witness", required_argument, NULL, 'w'},
	                                     {"witness-quorum", required_argument, NULL, 'q'},
	                                     {NULL, 0, NULL, 0}};
	const char *origin = NULL, *keyfile = NULL, *name = "operator", *witnesses[64];
	size_t nw = 0;
	uint64_t quorum = 0;
	pl_ledger *l = NULL;
	pl_buf fp = PL_BUF_INIT, pub = PL_BUF_INIT;
	int c, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			origin = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'w':
			if (nw == 64)
				return pl_cli_usage(cmd, "at most 64 --witness");
			witnesses[nw++] = optarg;
			break;
		case 'q':
			if (pl_cli_parse_u64(&quorum, optarg) < 0 || quorum == 0 || quorum > 64)
				return pl_cli_usage(cmd, "--witness-quorum takes a count, not '%s'",
				                    optarg);
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	{
		pl_ledger_init_opts o = {origin, keyfile,         name, 0, NULL, NULL, witnesses,
		                         nw,     (unsigned)quorum};
		/* PROVLEDGER_TIME (tests, the demo): the ledger records that its
		 * clock may be pinned; other ledgers refuse it */
		if ((error = pl_cli_test_clock(&o.clock, &o.clock_ctx)) < 0)
			return pl_cli_fail(error);
		o.test_clock = o.clock != NULL;
		if ((error = pl_ledger_init_ex(&l, g->ledger, &o)) < 0)
			return pl_cli_fail(error);
	}
	pl_key_fingerprint(&fp, pl_ledger_operator(l));
	pl_key_openssh(&pub, pl_ledger_operator(l), name);
	if (g->json) {
		unsigned char root[32];
		pl_ledger_root(l, root, 1);
		pl_cli_json_print(json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:I}", "ledger",
		                            g->ledger, "origin", pl_ledger_origin(l), "operator",
		                            "name", name, "keyid", fp.ptr, "public_key", pub.ptr,
		                            "size", (json_int_t)pl_ledger_size(l)));
	} else {
		printf("Initialised ledger %s\n  origin:   %s\n  operator: %s (%s)\n",
		       pl_cli_esc(g->ledger), pl_cli_esc(pl_ledger_origin(l)), fp.ptr,
		       pl_cli_esc(name));
		if (!keyfile)
			printf("  key:      %s/keys/operator.key (keep it secret)\n",
			       pl_cli_esc(g->ledger));
		printf("  trust:    %s/operator.pub (what verify-bundle --trust needs)\n",
		       pl_cli_esc(g->ledger));
		printf("  entry 0:  the operator's key\n");
	}
	pl_buf_free(&fp);
	pl_buf_free(&pub);
	pl_ledger_free(l);
	return PL_EXIT_OK;
}

const pl_cli_cmd pl_cmd_init = {
    "init", cmd_init,
    "[--origin NAME] [--operator-key FILE] [--name NAME] [--witness URL=VKEY... "
    "[--witness-quorum K]]",
    "create a ledger: a bare git repository, its index and the operator's key",
    "Creates the ledger directory (--ledger DIR, $PROVLEDGER_DIR, or ./.provledger):\n"
    "  DIR/repo.git      bare git repository; refs/heads/main is the log\n"
    "  DIR/index.sqlite  derived index, rebuilt by 'provledger reindex'\n"
    "  DIR/config        origin, operator public key, operator key path\n"
    "  DIR/keys/         the generated operator key (0600)\n"
    "and appends entry 0, the operator's self-signed key entry.\n\n"
    "Options:\n"
    "  --origin NAME        checkpoint origin (default provledger/<hostname>)\n"
    "  --operator-key FILE  use this PEM PKCS#8 Ed25519 key instead of generating one\n"
    "  --name NAME          the operator's name in commits and its key entry "
    "(default operator)\n"
    "  --witness URL=VKEY   a witness (c2sp.org/tlog-witness) asked to cosign each\n"
    "                       checkpoint: kept in the config, used by `serve` and\n"
    "                       `witness request` when they are given none. Repeatable\n"
    "  --witness-quorum K   how many must cosign (default: all)\n\n"
    "Errors (exit 3): a ledger already exists in DIR; the key file is missing, not\n"
    "Ed25519, or readable by group or others.\n\n"
    "Example:\n  provledger --ledger /srv/ledger init --origin ledger.example.org\n"};
