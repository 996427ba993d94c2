/* cmd_key.c - `provledger key gen|register|list|allowed-signers`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_ledger.h"

static int valid_role(const char *r)
{
	static const char *const roles[] = {"operator",  "lab",     "rights-holder", "authority",
	                                    "evaluator", "witness", "auditor",       NULL};
	for (int i = 0; roles[i]; i++)
		if (strcmp(r, roles[i]) == 0)
			return 1;
	return 0;
}

static int valid_name(const char *n)
{
	if (!*n || strlen(n) > 128)
		return 0;
	for (const char *p = n; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

static int cmd_key_gen(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"role", required_argument, NULL, 'r'},
	                                     {"out", required_argument, NULL, 'o'},
	                                     {NULL, 0, NULL, 0}};
	const char *name = NULL, *role = NULL, *prefix = NULL;
	pl_key *k = NULL;
	pl_buf path = PL_BUF_INIT, pub = PL_BUF_INIT, fp = PL_BUF_INIT, meta = PL_BUF_INIT;
	int c, error, rc = PL_EXIT_OK;
	struct stat st;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!name || !role || !prefix)
		return pl_cli_usage(cmd, "--name, --role and --out are required");
	if (!valid_name(name))
		return pl_cli_usage(cmd, "--name must be one word without quotes");
	if (!valid_role(role))
		return pl_cli_usage(cmd,
		                    "unknown role '%s' (operator, lab, rights-holder, authority, "
		                    "evaluator, witness, auditor)",
		                    role);
	pl_buf_printf(&path, "%s.pub", prefix);
	if (stat(path.ptr, &st) == 0) {
		pl_cli_err("%s already exists; not overwriting", path.ptr);
		rc = PL_EXIT_ERROR;
		goto done;
	}
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s.key", prefix);
	if ((error = pl_key_generate(&k)) < 0 || (error = pl_key_save_private(k, path.ptr)) < 0 ||
	    (error = pl_key_openssh(&pub, k, name)) < 0 ||
	    (error = pl_key_fingerprint(&fp, k)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	pl_buf_putc(&pub, '\n');
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s.pub", prefix);
	if ((error = pl_write_file_atomic(path.ptr, pub.ptr, pub.len, 0644)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	/* The role travels beside the public key, for `key register`. */
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s.role", prefix);
	pl_buf_printf(&meta, "%s\n", role);
	if ((error = pl_write_file_atomic(path.ptr, meta.ptr, meta.len, 0644)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		pub.ptr[--pub.len] = '\0';
		pl_cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "role", role,
		                            "keyid", fp.ptr, "public_key", pub.ptr, "private_key",
		                            prefix));
	} else {
		printf("%s.key  private key (PEM PKCS#8 Ed25519, mode 0600)\n%s.pub  public key\n"
		       "keyid  %s\n",
		       prefix, prefix, fp.ptr);
	}
done:
	pl_key_free(k);
	pl_buf_free(&path);
	pl_buf_free(&pub);
	pl_buf_free(&fp);
	pl_buf_free(&meta);
	return rc;
}

static int cmd_key_register(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},     {"role", required_argument, NULL, 'r'},
	    {"name", required_argument, NULL, 'n'},    {"contact", required_argument, NULL, 'c'},
	    {"revokes", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0}};
	const char *keyfile = NULL, *role = NULL, *name = NULL, *contact = NULL, *revokes = NULL;
	pl_key *signer = NULL, *k = NULL;
	pl_ledger *l = NULL;
	pl_buf line = PL_BUF_INIT, comment = PL_BUF_INIT, rolebuf = PL_BUF_INIT, pub = PL_BUF_INIT,
	       fp = PL_BUF_INIT, path = PL_BUF_INIT, sname = PL_BUF_INIT;
	pl_entry_ref ref;
	json_t *subj = NULL, *pred = NULL;
	unsigned char raw[32];
	char hex[65], created[32];
	int c, error, rc = PL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'c':
			contact = optarg;
			break;
		case 'R':
			revokes = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "expected one public key file");
	if (!keyfile)
		return pl_cli_usage(cmd, "--key is required");
	if ((error = pl_read_file(&line, argv[optind], 1 << 16)) < 0 ||
	    (error = pl_key_from_openssh(&k, &comment, line.ptr, line.len)) < 0) {
		if (error != PL_ENOTFOUND)
			pl_error_prefix(error, "%s", argv[optind]);
		rc = pl_cli_fail(error);
		goto done;
	}
	if (!name)
		name = comment.len ? comment.ptr : NULL;
	if (!name || !valid_name(name)) {
		rc = pl_cli_usage(cmd,
		                  "the key needs a one-word name (--name, or the .pub comment)");
		goto done;
	}
	if (!role) {
		/* PREFIX.role, written by `key gen` beside PREFIX.pub */
		const char *pubpath = argv[optind];
		size_t n = strlen(pubpath);
		if (n > 4 && strcmp(pubpath + n - 4, ".pub") == 0)
			pl_buf_printf(&path, "%.*s.role", (int)(n - 4), pubpath);
		if (path.len && pl_read_file(&rolebuf, path.ptr, 256) == PL_OK) {
			while (rolebuf.len && (rolebuf.ptr[rolebuf.len - 1] == '\n'))
				rolebuf.ptr[--rolebuf.len] = '\0';
			role = rolebuf.ptr;
		}
	}
	if (!role) {
		rc = pl_cli_usage(cmd, "--role is required (no .role file beside the key)");
		goto done;
	}
	if (!valid_role(role)) {
		rc = pl_cli_usage(cmd, "unknown role '%s'", role);
		goto done;
	}
	if ((rc = pl_cli_load_key(&signer, keyfile)) != 0)
		goto done;
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	pl_key_raw(k, raw);
	pl_hex(hex, raw, 32);
	pl_key_openssh(&pub, k, name);
	pl_key_fingerprint(&fp, k);
	pl_rfc3339(created, pl_ledger_now());
	pl_buf_printf(&sname, "key:%s", name);
	subj = json_pack("[{s:s, s:{s:s}}]", "name", sname.ptr, "digest", "sha256", hex);
	pred = json_pack("{s:s, s:s, s:s, s:s}", "created", created, "name", name, "role", role,
	                 "public_key", pub.ptr);
	if (contact)
		json_object_set_new(pred, "contact", json_string(contact));
	if (revokes)
		json_object_set_new(pred, "revokes", json_string(revokes));
	error = pl_ledger_append_statement(l, &ref, signer, "key", subj, pred, NULL, 0);
	subj = pred = NULL;
	if (error < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(json_pack("{s:s, s:s, s:s, s:o}", "keyid", fp.ptr, "name", name,
		                            "role", role, "entry", pl_cli_ref(ref.seq, ref.leaf)));
	} else {
		printf("registered %s key %s (%s) as entry %llu\n", role, name, fp.ptr,
		       (unsigned long long)ref.seq);
	}
done:
	json_decref(subj);
	json_decref(pred);
	pl_ledger_free(l);
	pl_key_free(k);
	pl_key_free(signer);
	pl_buf_free(&line);
	pl_buf_free(&comment);
	pl_buf_free(&rolebuf);
	pl_buf_free(&pub);
	pl_buf_free(&fp);
	pl_buf_free(&path);
	pl_buf_free(&sname);
	return rc;
}

typedef struct {
	pl_cli *g;
	json_t *arr;
	int signers;
	const char *origin;
	int header;
} list_ctx;

static int list_one(void *vctx, const pl_key_info *k)
{
	list_ctx *ctx = vctx;
	if (ctx->signers) {
		/* git verify-commit matches by key; the principal is the key's name */
		printf("%s namespaces=\"git\" %s\n", k->name, k->public_key);
	} else if (ctx->g->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "keyid", k->keyid, "name",
		                      k->name, "role", k->role, "public_key", k->public_key, "seq",
		                      (json_int_t)k->seq);
		json_object_set_new(o, "revoked_seq",
		                    k->revoked_seq >= 0 ? json_integer(k->revoked_seq)
		                                        : json_null());
		json_array_append_new(ctx->arr, o);
	} else {
		if (!ctx->header) {
			printf("%-5s %-14s %-20s %-51s %s\n", "SEQ", "ROLE", "NAME", "KEYID",
			       "STATUS");
			ctx->header = 1;
		}
		printf("%-5llu %-14s %-20s %-51s %s", (unsigned long long)k->seq, k->role, k->name,
		       k->keyid, k->revoked_seq >= 0 ? "revoked at seq " : "active");
		if (k->revoked_seq >= 0)
			printf("%lld", (long long)k->revoked_seq);
		printf("\n");
	}
	return 0;
}

static int key_listing(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv, int signers)
{
	pl_ledger *l = NULL;
	list_ctx ctx = {g, NULL, signers, NULL, 0};
	int rc, error;
	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	ctx.arr = json_array();
	ctx.origin = pl_ledger_origin(l);
	if ((error = pl_ledger_keys(l, list_one, &ctx)) < 0) {
		rc = pl_cli_fail(error);
	} else if (g->json && !signers) {
		pl_cli_json_print(json_pack("{s:o}", "keys", ctx.arr));
		ctx.arr = NULL;
	}
	json_decref(ctx.arr);
	pl_ledger_free(l);
	return rc;
}

static int cmd_key_list(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return key_listing(g, cmd, argc, argv, 0);
}

static int cmd_key_allowed(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return key_listing(g, cmd, argc, argv, 1);
}

const pl_cli_cmd pl_cmd_key_gen = {
    "key gen", cmd_key_gen, "--name NAME --role ROLE --out PREFIX", "generate an Ed25519 key pair",
    "Writes PREFIX.key (PEM PKCS#8 Ed25519, mode 0600), PREFIX.pub (an OpenSSH line\n"
    "'ssh-ed25519 AAAA... NAME') and PREFIX.role (the role, read by 'key register').\n"
    "Prints the keyid: the OpenSSH SHA256 fingerprint, as 'ssh-keygen -lf' shows it.\n\n"
    "Roles: operator, lab, rights-holder, authority, evaluator, witness, auditor.\n"
    "Refuses to overwrite an existing PREFIX.key or PREFIX.pub (exit 3).\n\n"
    "Example:\n  provledger key gen --name acme-lab --role lab --out keys/acme\n"};

const pl_cli_cmd pl_cmd_key_register = {
    "key register", cmd_key_register,
    "PREFIX.pub --key PREFIX.key [--role ROLE] [--name NAME] [--contact C] [--revokes KEYID]",
    "append a key entry (self-signed: proves possession of the private key)",
    "The key entry (SPEC 6.1) names the key, its role and its OpenSSH public line.\n"
    "It is signed by --key, which must be the private half of PREFIX.pub, so that\n"
    "only the holder of a key can register it.\n\n"
    "Options:\n"
    "  --key FILE       the signing key\n"
    "  --role ROLE      default: PREFIX.role written by 'key gen'\n"
    "  --name NAME      default: the comment of PREFIX.pub\n"
    "  --contact TEXT   how to reach the key's owner\n"
    "  --revokes KEYID  revoke an earlier key (a rotation). Such an entry is signed by\n"
    "                   the revoked key itself or by the operator's key; entries signed\n"
    "                   by the revoked key after this one are refused and fail 'verify'.\n\n"
    "Errors (exit 3): the key is already registered; --key is not the key being\n"
    "registered; the revoked key is unknown or already revoked.\n"};

const pl_cli_cmd pl_cmd_key_list = {"key list", cmd_key_list, "",
                                    "list registered keys with their role and status",
                                    "Columns: seq of the key entry, role, name, keyid, status.\n"};

const pl_cli_cmd pl_cmd_key_allowed_signers = {
    "key allowed-signers", cmd_key_allowed, "",
    "print a git allowed_signers file for 'git verify-commit'",
    "One line per registered key: '<name> namespaces=\"git\" ssh-ed25519 AAAA...'.\n"
    "Every ledger commit is signed by the operator key, so\n"
    "  provledger key allowed-signers > signers\n"
    "  git -C DIR/repo.git -c gpg.ssh.allowedSignersFile=signers verify-commit main\n"
    "prints 'Good \"git\" signature' for each commit.\n"};
