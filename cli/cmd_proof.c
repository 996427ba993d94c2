/* cmd_proof.c - `provledger checkpoint` and `provledger prove`. */
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "pl_ledger.h"
#include "pl_note.h"

static json_t *b64(const unsigned char *h)
{
	pl_buf b = PL_BUF_INIT;
	json_t *s;
	pl_base64_encode(&b, h, 32);
	s = json_string(b.ptr);
	pl_buf_free(&b);
	return s;
}

static int checkpoint_root(unsigned char root[32], const pl_buf *note)
{
	pl_checkpoint cp;
	const char *sep = note->ptr ? strstr(note->ptr, "\n\n") : NULL;
	int error;
	if (!sep)
		return pl_error_set(PL_EINVALID, "the head's checkpoint is malformed");
	if ((error = pl_checkpoint_parse(&cp, note->ptr, (size_t)(sep + 1 - note->ptr))) < 0)
		return error;
	memcpy(root, cp.root, 32);
	return PL_OK;
}

static int cmd_checkpoint(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	pl_ledger *l = NULL;
	pl_buf note = PL_BUF_INIT, vkey = PL_BUF_INIT;
	unsigned char root[32];
	int rc, error;
	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	/* the checkpoint as git holds it, its root read off its text */
	if ((error = pl_ledger_checkpoint(l, &note)) < 0 ||
	    (error = checkpoint_root(root, &note)) < 0 ||
	    (error = pl_note_verifier_key(&vkey, pl_ledger_origin(l), pl_ledger_operator(l))) < 0) {
		rc = pl_cli_fail(error);
	} else if (g->json) {
		pl_cli_json_print(json_pack("{s:s, s:I, s:o, s:s, s:s}", "origin",
		                            pl_ledger_origin(l), "size",
		                            (json_int_t)pl_ledger_size(l), "root", b64(root),
		                            "checkpoint", note.ptr, "verifier_key", vkey.ptr));
	} else {
		fwrite(note.ptr, 1, note.len, stdout);
	}
	pl_buf_free(&note);
	pl_buf_free(&vkey);
	pl_ledger_free(l);
	return rc;
}

static int cmd_prove(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"size", required_argument, NULL, 's'},
	                                     {"consistency", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	uint64_t size = 0, seq = 0, old = 0;
	int have_size = 0, consistency = 0, c, rc, error;
	pl_ledger *l = NULL;
	pl_buf proof = PL_BUF_INIT, note = PL_BUF_INIT, line = PL_BUF_INIT;
	unsigned char root[32], oldroot[32];

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (pl_cli_parse_u64(&size, optarg) < 0)
				return pl_cli_usage(cmd, "--size: %s", pl_error_last());
			have_size = 1;
			break;
		case 'c':
			if (pl_cli_parse_u64(&old, optarg) < 0)
				return pl_cli_usage(cmd, "--consistency: %s", pl_error_last());
			consistency = 1;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (consistency ? optind != argc : optind + 1 != argc)
		return pl_cli_usage(cmd, consistency ? "--consistency takes no SEQ"
		                                     : "expected one sequence number");
	if (!consistency && pl_cli_parse_u64(&seq, argv[optind]) < 0)
		return pl_cli_usage(cmd, "%s", pl_error_last());
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if (!have_size)
		size = pl_ledger_size(l);
	if (consistency) {
		if ((error = pl_ledger_prove_consistency(l, &proof, old, size)) < 0 ||
		    (error = pl_ledger_root(l, root, size)) < 0 ||
		    (error = pl_ledger_root(l, oldroot, old)) < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
	} else {
		if ((error = pl_ledger_prove_inclusion(l, &proof, seq, size)) < 0 ||
		    (error = pl_ledger_root(l, root, size)) < 0 ||
		    (error = pl_ledger_checkpoint_at(l, &note, size)) < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
	}
	if (g->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < proof.len / 32; i++)
			json_array_append_new(arr, b64((unsigned char *)proof.ptr + 32 * i));
		if (consistency)
			pl_cli_json_print(json_pack("{s:I, s:I, s:o, s:o, s:o}", "old_size",
			                            (json_int_t)old, "size", (json_int_t)size,
			                            "root", b64(root), "old_root", b64(oldroot),
			                            "proof", arr));
		else
			pl_cli_json_print(json_pack("{s:I, s:I, s:o, s:o, s:s}", "index",
			                            (json_int_t)seq, "size", (json_int_t)size,
			                            "root", b64(root), "proof", arr, "checkpoint",
			                            note.ptr));
		goto done;
	}
	if (!consistency)
		printf("c2sp.org/tlog-proof@v1\nindex %llu\n", (unsigned long long)seq);
	for (size_t i = 0; i < proof.len / 32; i++) {
		pl_buf_clear(&line);
		pl_base64_encode(&line, (unsigned char *)proof.ptr + 32 * i, 32);
		printf("%s\n", line.ptr);
	}
	if (!consistency)
		printf("\n%s", note.ptr);
done:
	pl_buf_free(&proof);
	pl_buf_free(&note);
	pl_buf_free(&line);
	pl_ledger_free(l);
	return rc;
}

const pl_cli_cmd pl_cmd_checkpoint = {
    "checkpoint", cmd_checkpoint, "", "print the latest signed checkpoint",
    "A C2SP tlog-checkpoint signed note: the origin, the tree size, the RFC 6962\n"
    "root in base64, a blank line, and the operator's signature line. Keep a copy:\n"
    "'provledger verify --since FILE' later proves nothing recorded then was rewritten.\n\n"
    "JSON: {\"origin\", \"size\", \"root\", \"checkpoint\", \"verifier_key\"}, where\n"
    "verifier_key is the operator's C2SP signed-note verifier key\n"
    "(<origin>+<hex key id>+<base64 key>), as Go's golang.org/x/mod/sumdb/note takes it.\n"};

const pl_cli_cmd pl_cmd_prove = {
    "prove", cmd_prove, "SEQ [--size N] | --consistency OLD [--size N]",
    "inclusion proof (C2SP tlog-proof) or consistency proof (RFC 9162)",
    "prove SEQ prints a C2SP tlog-proof: 'c2sp.org/tlog-proof@v1', 'index SEQ', the\n"
    "RFC 9162 inclusion path (base64, leaf upwards), a blank line, and the signed\n"
    "checkpoint for tree size N (default: the current size).\n\n"
    "prove --consistency OLD prints the RFC 9162 consistency proof from tree size OLD\n"
    "to N, one base64 hash per line; OLD = 0 or OLD = N gives an empty proof.\n\n"
    "JSON: {\"index\"|\"old_size\", \"size\", \"root\", \"old_root\", \"proof\": [...]}.\n"};
