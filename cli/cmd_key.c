/* cmd_key.c - `provledger key gen|register|grant|revoke-grant|list|allowed-signers`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "pl_dsse.h"
#include "pl_ledger.h"
#include "pl_rules.h"

static const char roles_hint[] = "authority, witness, auditor, lab, evaluator, rights-holder";

static int cmd_key_gen(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"role", required_argument, NULL, 'r'},
	                                     {"out", required_argument, NULL, 'o'},
	                                     {"from", required_argument, NULL, 'f'},
	                                     {NULL, 0, NULL, 0}};
	const char *name = NULL, *role = NULL, *prefix = NULL, *from = NULL;
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
		case 'f':
			from = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!name || !role || !prefix)
		return pl_cli_usage(cmd, "--name, --role and --out are required");
	if (pl_rules_check_key_name(name) < 0)
		return pl_cli_usage(cmd, "--name: %s", pl_error_last());
	if (!pl_role_find(role) || strcmp(role, "operator") == 0)
		return pl_cli_usage(cmd, "unknown role '%s' (%s)", role, roles_hint);
	pl_buf_printf(&path, "%s.pub", prefix);
	if (stat(path.ptr, &st) == 0) {
		pl_cli_err("%s already exists; not overwriting", path.ptr);
		rc = PL_EXIT_ERROR;
		goto done;
	}
	pl_buf_clear(&path);
	pl_buf_printf(&path, "%s.key", prefix);
	if (from) {
		/* an existing key (PEM, or OpenSSH as ssh-keygen writes it) */
		if ((rc = pl_cli_load_key(&k, from)) != 0)
			goto done;
		if ((error = pl_key_openssh(&pub, k, name)) < 0 ||
		    (error = pl_key_fingerprint(&fp, k)) < 0) {
			rc = pl_cli_fail(error);
			goto done;
		}
	} else if ((error = pl_key_generate(&k)) < 0 ||
	           (error = pl_key_save_private(k, path.ptr)) < 0 ||
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
		pl_buf_clear(&path);
		pl_buf_printf(&path, "%s.key", prefix);
		pl_cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "role", role,
		                            "keyid", fp.ptr, "public_key", pub.ptr, "private_key",
		                            from ? from : path.ptr));
	} else {
		if (!from)
			printf("%s.key  private key (PEM PKCS#8 Ed25519, mode 0600)\n",
			       pl_cli_esc(prefix));
		printf("%s.pub  public key\nkeyid  %s\n", pl_cli_esc(prefix), fp.ptr);
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
	pl_buf line = PL_BUF_INIT, comment = PL_BUF_INIT, rolebuf = PL_BUF_INIT, fp = PL_BUF_INIT,
	       path = PL_BUF_INIT, rev = PL_BUF_INIT;
	pl_entry_ref ref;
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
	if (!name) {
		rc = pl_cli_usage(cmd, "the key needs a name (--name, or the .pub comment)");
		goto done;
	}
	if (pl_rules_check_key_name(name) < 0) {
		rc = pl_cli_usage(cmd, "%s", pl_error_last());
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
	if (!pl_role_find(role) || strcmp(role, "operator") == 0) {
		rc = pl_cli_usage(cmd, "unknown role '%s' (%s)", role, roles_hint);
		goto done;
	}
	if ((rc = pl_cli_load_key(&signer, keyfile)) != 0)
		goto done;
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if (revokes && (error = pl_cli_key_id(l, &rev, revokes)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	pl_key_fingerprint(&fp, k);
	error = pl_ledger_register_key(l, &ref, signer, k, name, role, contact,
	                               revokes ? rev.ptr : NULL);
	if (error < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, PL_EXIT_OK);
	} else if (g->json) {
		pl_cli_json_print(json_pack("{s:s, s:s, s:s, s:o}", "keyid", fp.ptr, "name", name,
		                            "role", role, "entry", pl_cli_ref(ref.seq, ref.leaf)));
	} else {
		const pl_role_rule *r = pl_role_find(role);
		const char *q = strchr(name, ' ') ? "\"" : "";
		printf("registered %s key %s%s%s (%s) as entry %llu\n", pl_cli_esc(role), q,
		       pl_cli_esc(name), q, fp.ptr, (unsigned long long)ref.seq);
		pl_key_status ks;
		if (r && r->granted_by && !r->self && !g->quiet &&
		    pl_ledger_key_status(l, &ks, fp.ptr) == PL_OK && !ks.in_force)
			fprintf(
			    stderr,
			    "provledger: note: the %s role is not in force until a key of role "
			    "%s grants it: provledger key grant %s --role %s --key GRANTER.key\n",
			    role, r->granted_by, fp.ptr, role);
	}
done:
	pl_ledger_free(l);
	pl_key_free(k);
	pl_key_free(signer);
	pl_buf_free(&line);
	pl_buf_free(&comment);
	pl_buf_free(&rolebuf);
	pl_buf_free(&fp);
	pl_buf_free(&path);
	pl_buf_free(&rev);
	return rc;
}

static int grant_common(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv, int revoke)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {"role", required_argument, NULL, 'r'},
	                                     {NULL, 0, NULL, 0}};
	const char *keyfile = NULL, *role = NULL;
	pl_key *signer = NULL;
	pl_ledger *l = NULL;
	pl_buf keyid = PL_BUF_INIT, sfp = PL_BUF_INIT;
	pl_key_status st;
	pl_entry_ref ref;
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
		default:
			return pl_cli_bad_option(cmd, c, argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return pl_cli_usage(cmd, "expected one KEYID (or registered key name)");
	if (!keyfile || !role)
		return pl_cli_usage(cmd, "--role and --key are required");
	if (!pl_role_find(role) || !pl_role_find(role)->granted_by)
		return pl_cli_usage(cmd, "role '%s' cannot be granted (%s)", role, roles_hint);
	if ((rc = pl_cli_load_key(&signer, keyfile)) != 0)
		goto done;
	if ((rc = pl_cli_open(g, &l)) != 0)
		goto done;
	if ((error = pl_cli_key_id(l, &keyid, argv[optind])) < 0 ||
	    (error = pl_key_fingerprint(&sfp, signer)) < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	error = revoke ? pl_ledger_revoke_grant(l, &ref, signer, keyid.ptr, role)
	               : pl_ledger_grant(l, &ref, signer, keyid.ptr, role);
	if (error < 0) {
		rc = pl_cli_fail_append(error);
		goto done;
	}
	if (g->dry_run) {
		rc = pl_cli_dry_report(g, PL_EXIT_OK);
		goto done;
	}
	if ((error = pl_ledger_key_status(l, &st, keyid.ptr)) < 0) {
		rc = pl_cli_fail(error);
		goto done;
	}
	if (g->json) {
		pl_cli_json_print(json_pack("{s:s, s:s, s:{s:s, s:s}, s:b, s:o}", "action",
		                            revoke ? "revoke" : "grant", "role", role, "key",
		                            "keyid", keyid.ptr, "name", st.name, "in_force",
		                            st.in_force, "entry", pl_cli_ref(ref.seq, ref.leaf)));
	} else if (revoke) {
		printf("revoked the %s grant of \"%s\" (%s) as entry %llu\n", pl_cli_esc(role),
		       pl_cli_esc(st.name), pl_cli_esc(keyid.ptr), (unsigned long long)ref.seq);
	} else {
		printf("granted %s to \"%s\" (%s) as entry %llu\n", pl_cli_esc(role),
		       pl_cli_esc(st.name), pl_cli_esc(keyid.ptr), (unsigned long long)ref.seq);
	}
done:
	pl_ledger_free(l);
	pl_key_free(signer);
	pl_buf_free(&keyid);
	pl_buf_free(&sfp);
	return rc;
}

static int cmd_key_grant(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return grant_common(g, cmd, argc, argv, 0);
}

static int cmd_key_revoke_grant(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	return grant_common(g, cmd, argc, argv, 1);
}

typedef struct {
	pl_cli *g;
	pl_ledger *l;
	json_t *arr;
	int signers;
	int header;
	int error;
} list_ctx;

/* "in force (granted by NAME at seq N)" etc. */
static void status_text(pl_buf *out, const pl_key_status *st, pl_ledger *l)
{
	if (st->revoked_seq >= 0) {
		pl_buf_printf(out, "revoked at seq %lld", (long long)st->revoked_seq);
	} else if (strcmp(st->role, "operator") == 0) {
		pl_buf_puts(out, st->in_force ? "in force (entry 0)" : "not in force");
	} else if (st->grant_seq >= 0 || st->rotated_from >= 0) {
		pl_key_status gr;
		const char *by = st->granted_by;
		if (pl_ledger_key_status(l, &gr, st->granted_by) == PL_OK && gr.registered)
			by = gr.name;
		if (st->grant_seq >= 0)
			pl_buf_printf(out, "in force: granted by %s at seq %lld", by,
			              (long long)st->grant_seq);
		else
			pl_buf_printf(out, "in force: rotated from %s at seq %lld", by,
			              (long long)st->rotated_from);
	} else if (strcmp(st->role, "rights-holder") == 0) {
		pl_buf_puts(out, "in force, not vouched for");
	} else {
		pl_buf_puts(out, "not in force: not granted");
	}
}

static int list_one(void *vctx, const pl_key_info *k)
{
	list_ctx *ctx = vctx;
	pl_key_status st;
	pl_buf status = PL_BUF_INIT;
	if (ctx->signers) {
		/* git verify-commit matches by key; the principal is the key's name,
		 * quoted when it holds a space (OpenSSH reads quoted principals) */
		const char *q = strchr(k->name, ' ') ? "\"" : "";
		if (ctx->g->json) {
			pl_buf line = PL_BUF_INIT;
			pl_buf_printf(&line, "%s%s%s namespaces=\"git\" %s", q, pl_cli_esc(k->name),
			              q, pl_cli_esc(k->public_key));
			json_array_append_new(
			    ctx->arr, json_pack("{s:s, s:s, s:s, s:s}", "principal", k->name,
			                        "keyid", k->keyid, "public_key", k->public_key,
			                        "line", line.ptr ? line.ptr : ""));
			pl_buf_free(&line);
			return 0;
		}
		/* escaped: a forged name cannot add a line (a principal) to the file */
		printf("%s%s%s namespaces=\"git\" %s\n", q, pl_cli_esc(k->name), q,
		       pl_cli_esc(k->public_key));
		return 0;
	}
	if ((ctx->error = pl_ledger_key_status(ctx->l, &st, k->keyid)) < 0)
		return 1;
	status_text(&status, &st, ctx->l);
	if (ctx->g->json) {
		json_t *ref = pl_cli_ref_of(ctx->l, k->seq), *grant = json_null();
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:O?, s:b, s:b, s:s}", "keyid", k->keyid,
		              "name", k->name, "role", k->role, "public_key", k->public_key, "seq",
		              (json_int_t)k->seq, "leaf", json_object_get(ref, "leaf"), "in_force",
		              st.in_force, "vouched", st.vouched, "status", status.ptr);
		json_decref(ref);
		json_object_set_new(o, "revoked_by",
		                    st.revoked_seq >= 0
		                        ? pl_cli_ref_of(ctx->l, (uint64_t)st.revoked_seq)
		                        : json_null());
		if (st.grant_seq >= 0) {
			json_decref(grant);
			grant = pl_cli_ref_of(ctx->l, (uint64_t)st.grant_seq);
			json_object_set_new(grant, "signer",
			                    pl_cli_key_json(ctx->l, st.granted_by));
		}
		json_object_set_new(o, "grant", grant);
		json_array_append_new(ctx->arr, o);
	} else {
		if (!ctx->header) {
			printf("%-5s %-14s %-24s %-51s %s\n", "SEQ", "ROLE", "NAME", "KEYID",
			       "STATUS");
			ctx->header = 1;
		}
		printf("%-5llu %-14s %-24s %-51s %s\n", (unsigned long long)k->seq,
		       pl_cli_esc(k->role), pl_cli_esc(k->name), pl_cli_esc(k->keyid),
		       pl_cli_esc(status.ptr));
	}
	pl_buf_free(&status);
	return 0;
}

static int key_listing(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv, int signers)
{
	pl_ledger *l = NULL;
	list_ctx ctx = {g, NULL, NULL, signers, 0, 0};
	int rc, error;
	if (argc > 1)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	ctx.l = l;
	ctx.arr = json_array();
	if ((error = pl_ledger_keys(l, list_one, &ctx)) < 0 || ctx.error < 0) {
		rc = pl_cli_fail(ctx.error < 0 ? ctx.error : error);
	} else if (g->json) {
		pl_cli_json_print(
		    json_pack("{s:o}", signers ? "allowed_signers" : "keys", ctx.arr));
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
    "key gen", cmd_key_gen, "--name NAME --role ROLE --out PREFIX [--from KEYFILE]",
    "generate an Ed25519 key pair (or describe an existing one)",
    "Writes PREFIX.key (PEM PKCS#8 Ed25519, mode 0600), PREFIX.pub (an OpenSSH line\n"
    "'ssh-ed25519 AAAA... NAME') and PREFIX.role (the role, read by 'key register').\n"
    "Prints the keyid: the OpenSSH SHA256 fingerprint, as 'ssh-keygen -lf' shows it.\n"
    "With --from KEYFILE, an existing private key (PEM, or OpenSSH as ssh-keygen\n"
    "writes it) is used instead of a new one and no PREFIX.key is written.\n\n"
    "NAME may hold spaces (\"Gull Press\"); no quotes, backslashes or control\n"
    "characters. Roles: authority, witness, auditor, lab, evaluator, rights-holder.\n"
    "A role is declared by the key entry and in force only once granted: see\n"
    "'provledger help roles'.\n"
    "Refuses to overwrite an existing PREFIX.key or PREFIX.pub (exit 3).\n\n"
    "Example:\n  provledger key gen --name \"Acme Lab\" --role lab --out keys/acme\n"};

const pl_cli_cmd pl_cmd_key_register = {
    "key register", cmd_key_register,
    "PREFIX.pub --key PREFIX.key [--role ROLE] [--name NAME] [--contact C] [--revokes KEY]",
    "append a key entry (self-signed: proves possession of the private key)",
    "The key entry (SPEC 6.1) names the key, its declared role and its OpenSSH public\n"
    "line. It is signed by --key, which must be the private half of PREFIX.pub, so\n"
    "that only the holder of a key can register it. Names are unique: a second key\n"
    "with a registered name is refused. The declared role is not in force until a\n"
    "key of the granting role grants it (key grant); a rights-holder may register\n"
    "works at once, marked as not vouched for until an authority grants the role.\n\n"
    "Options:\n"
    "  --key FILE       the signing key\n"
    "  --role ROLE      default: PREFIX.role written by 'key gen'\n"
    "  --name NAME      default: the comment of PREFIX.pub\n"
    "  --contact TEXT   how to reach the key's owner\n"
    "  --revokes KEY    revoke an earlier key (keyid or name: a rotation). Such an entry\n"
    "                   is signed by the revoked key itself (the new key then inherits\n"
    "                   its role in force) or by the operator's key; entries signed by\n"
    "                   the revoked key afterwards are refused and fail 'verify'.\n"
    "  --dry-run        validate and print the entry; append nothing\n\n"
    "Errors (exit 3): the key or its name is already registered; --key is not the\n"
    "key being registered; the revoked key is unknown or already revoked; role\n"
    "operator (only entry 0 holds it).\n"};

const pl_cli_cmd pl_cmd_key_grant = {
    "key grant", cmd_key_grant, "KEY --role ROLE --key GRANTER.key",
    "grant a registered key its declared role",
    "KEY is a keyid (SHA256:...) or a registered key name. The granter's own role\n"
    "must be in force and be the one that grants ROLE: the operator grants\n"
    "authority, witness and auditor; an authority grants lab, evaluator and\n"
    "rights-holder (vouching for the holder). The key must declare ROLE.\n"
    "Example:\n"
    "  provledger key grant aisi --role authority --key .provledger/keys/operator.key\n"
    "  provledger key grant \"Acme Lab\" --role lab --key aisi.key\n\n"
    "Errors (exit 3): an unknown key; a role the key does not declare; a granter\n"
    "without the granting role in force; a grant already in force.\n"
    "--dry-run validates and prints the entry; appends nothing.\n"};

const pl_cli_cmd pl_cmd_key_revoke_grant = {
    "key revoke-grant", cmd_key_revoke_grant, "KEY --role ROLE --key SIGNER.key",
    "revoke the grant that put a key's role in force",
    "Signed by the key that made the grant, or by the operator. From the next entry\n"
    "on, the key's role is no longer in force; what it signed before stands.\n"
    "--dry-run validates and prints the entry; appends nothing.\n"};

const pl_cli_cmd pl_cmd_key_list = {
    "key list", cmd_key_list, "", "list registered keys with their role and status",
    "Columns: seq of the key entry, declared role, name, keyid, status: whether the\n"
    "role is in force and who granted it, or 'not in force: not granted', or\n"
    "'revoked at seq N'. The status is judged by the rules from signed git data.\n"};

const pl_cli_cmd pl_cmd_key_allowed_signers = {
    "key allowed-signers", cmd_key_allowed, "",
    "print a git allowed_signers file for 'git verify-commit'",
    "One line per registered key: '<name> namespaces=\"git\" ssh-ed25519 AAAA...'\n"
    "(the name quoted when it holds a space).\n"
    "Every ledger commit is signed by the operator key, so\n"
    "  provledger key allowed-signers > signers\n"
    "  git -C DIR/repo.git -c gpg.ssh.allowedSignersFile=signers verify-commit main\n"
    "prints 'Good \"git\" signature' for each commit.\n"};
