/* cmd_bundle.c - `provledger export` and `provledger verify-bundle`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pl_bundle.h"
#include "pl_ledger.h"
#include "pl_note.h"

static int cmd_export(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
	                                     {"work", required_argument, NULL, 'w'},
	                                     {NULL, 0, NULL, 0}};
	const char *out = NULL, *work = NULL, *model = NULL;
	pl_ledger *l = NULL;
	pl_buf id = PL_BUF_INIT;
	pl_bundle_stats st;
	uint64_t root;
	int c, error, rc = PL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'w':
			work = optarg;
			break;
		default:
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		model = argv[optind++];
	if (optind != argc)
		return pl_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!out)
		return pl_cli_usage(cmd, "--out FILE is required");
	if (!model == !work)
		return pl_cli_usage(cmd, "name either a model NAME@VERSION or --work ID");
	if (model && !strchr(model, '@'))
		return pl_cli_usage(cmd, "'%s' is not NAME@VERSION", model);
	if ((rc = pl_cli_open(g, &l)) != 0)
		return rc;
	if (work) {
		if ((rc = pl_cli_work_id(l, &id, work)) != 0)
			goto done;
		work = id.ptr;
	}
	error = model ? pl_bundle_find_model(l, &root, model) : pl_bundle_find_work(l, &root, work);
	if (error == PL_OK)
		error =
		    pl_bundle_write(l, out, model ? PL_BUNDLE_MODEL : PL_BUNDLE_WORK, root, &st);
	if (error < 0) {
		rc = pl_cli_fail(error == PL_EUSAGE ? PL_EINVALID : error);
		goto done;
	}
	if (g->json)
		pl_cli_json_print(json_pack(
		    "{s:s, s:s, s:s, s:o, s:I, s:I, s:I}", "out", out, "subject_type",
		    model ? "model" : "work", "subject", model ? model : work, "entry",
		    pl_cli_ref_of(l, root), "entries", (json_int_t)st.entries, "attachments",
		    (json_int_t)st.attachments, "checkpoint_size", (json_int_t)st.size));
	else
		printf("wrote %s: %s %s (seq %llu), %zu entries, %zu attachments, proofs against "
		       "the checkpoint of size %llu (%zu bytes gzip)\n",
		       pl_cli_esc(out), model ? "model" : "work", pl_cli_esc(model ? model : work),
		       (unsigned long long)root, st.entries, st.attachments,
		       (unsigned long long)st.size, st.bytes);
done:
	pl_buf_free(&id);
	pl_ledger_free(l);
	return rc;
}

/* ---- verify-bundle ------------------------------------------------------- */

static const char *mark(const pl_bundle_entry *e)
{
	static char buf[64];
	if (!e->verified)
		return "[NOT VERIFIED]";
	if (e->revoked_by >= 0) {
		snprintf(buf, sizeof(buf), "[verified, REVOKED at seq %lld]",
		         (long long)e->revoked_by);
		return buf;
	}
	return "[verified]";
}

/* A string field of a bundle's entry, escaped for text output (pl_cli_esc). */
static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? pl_cli_esc(s) : "-";
}

static json_t *pred(const pl_bundle_entry *e)
{
	return json_object_get(e->statement, "predicate");
}

static const char *signer(const pl_bundle_entry *e)
{
	return pl_cli_esc(e->signer_name ? e->signer_name : (e->signer ? e->signer : "-"));
}

/* "NAME (KEYID): ROLE, granted by ..." */
static void print_signer(const char *label, const pl_bundle_entry *e)
{
	printf("    %-13s %s (%s)\n", label, signer(e), e->signer ? pl_cli_esc(e->signer) : "-");
	if (e->grants)
		printf("    %-13s %s\n", "role", pl_cli_esc(e->grants));
	if (!e->checked && e->unchecked_why)
		printf("    %-13s not every rule could be applied: %s\n", "note",
		       pl_cli_esc(e->unchecked_why));
}

static void print_refs(const char *label, const json_t *refs)
{
	size_t i;
	json_t *r;
	json_array_foreach(refs, i, r)
	{
		printf("    %-13s %s (seq %lld)\n", label, str(r, "name"),
		       (long long)json_integer_value(json_object_get(r, "seq")));
	}
}

static void print_model(const pl_bundle_entry *e)
{
	json_t *p = pred(e);
	printf("model %s@%s (seq %llu) %s\n", str(p, "name"), str(p, "version"),
	       (unsigned long long)e->seq, mark(e));
	print_signer("lab", e);
	printf("    training_flop %s, parameters %s%s\n", str(p, "training_flop"),
	       str(p, "parameters"),
	       json_is_true(json_object_get(p, "frontier")) ? ", frontier" : "");
	print_refs("base model", json_object_get(p, "base_models"));
	print_refs("dataset", json_object_get(p, "datasets"));
}

static void print_dataset(const pl_bundle_entry *e)
{
	json_t *p = pred(e), *t = json_object_get(p, "totals"), *s;
	size_t i;
	printf("dataset %s@%s (seq %llu) %s\n", str(p, "name"), str(p, "version"),
	       (unsigned long long)e->seq, mark(e));
	print_signer("lab", e);
	printf("    totals        %lld shards, %lld bytes, %lld records\n",
	       (long long)json_integer_value(json_object_get(t, "shards")),
	       (long long)json_integer_value(json_object_get(t, "bytes")),
	       (long long)json_integer_value(json_object_get(t, "records")));
	json_array_foreach(json_object_get(p, "shards"), i, s)
	{
		printf("    shard         %s (%lld bytes, %lld records, merkle %s)\n",
		       str(s, "path"), (long long)json_integer_value(json_object_get(s, "bytes")),
		       (long long)json_integer_value(json_object_get(s, "records")),
		       str(s, "merkle"));
	}
	json_array_foreach(json_object_get(e->statement, "subject"), i, s)
	{
		printf("    sha256        %s  %s\n", str(json_object_get(s, "digest"), "sha256"),
		       str(s, "name"));
	}
	if (json_object_get(p, "check"))
		printf("    check         seq %lld\n",
		       (long long)json_integer_value(
		           json_object_get(json_object_get(p, "check"), "seq")));
}

static void print_check(const pl_bundle_entry *e)
{
	json_t *p = pred(e), *m, *sc = json_object_get(p, "scanned");
	json_t *matches = json_object_get(p, "matches");
	size_t i;
	printf("check %s (seq %llu) %s\n", pl_cli_esc(e->name), (unsigned long long)e->seq,
	       mark(e));
	print_signer("by", e);
	printf("    scanned       %lld records, %lld bytes; %zu match%s\n",
	       (long long)json_integer_value(json_object_get(sc, "records")),
	       (long long)json_integer_value(json_object_get(sc, "bytes")),
	       json_array_size(matches), json_array_size(matches) == 1 ? "" : "es");
	if (json_object_get(p, "dataset"))
		printf("    recheck of    dataset seq %lld\n",
		       (long long)json_integer_value(
		           json_object_get(json_object_get(p, "dataset"), "seq")));
	json_array_foreach(matches, i, m)
	{
		printf(
		    "    match         %s record %lld: work %s, %s, %lld tokens, containment %s\n",
		    str(m, "shard"), (long long)json_integer_value(json_object_get(m, "record")),
		    str(m, "work"), str(m, "class"),
		    (long long)json_integer_value(json_object_get(m, "matched_tokens")),
		    str(m, "containment"));
	}
}

static void print_work(const pl_bundle_entry *e)
{
	json_t *p = pred(e);
	printf("work %s (seq %llu) %s\n",
	       pl_cli_esc(e->name + (strncmp(e->name, "work:", 5) ? 0 : 5)),
	       (unsigned long long)e->seq, mark(e));
	printf("    title         %s\n    holder        %s\n    terms         %s\n",
	       str(p, "title"), str(p, "holder"), str(p, "terms"));
	print_signer("registered by", e);
}

static void print_attestation(const pl_bundle_entry *e)
{
	json_t *p = pred(e), *v;
	const char *k;
	printf("attestation %s (seq %llu) %s\n", str(p, "kind"), (unsigned long long)e->seq,
	       mark(e));
	print_signer("by", e);
	printf("    subject       %s\n", str(json_object_get(p, "subject"), "name"));
	json_object_foreach(p, k, v)
	{
		char *s;
		if (!strcmp(k, "kind") || !strcmp(k, "subject") || !strcmp(k, "issuer_role"))
			continue;
		/* JSON escapes control characters, not C1 or bidirectional ones */
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
		printf("    %-13s %s\n", pl_cli_esc(k), s ? pl_cli_esc(s) : "?");
		free(s);
	}
}

static void print_key(const pl_bundle_entry *e)
{
	json_t *p = pred(e);
	printf("key %s (seq %llu) %s\n", str(p, "name"), (unsigned long long)e->seq, mark(e));
	printf("    declares      %s\n    signed by     %s (%s)\n", str(p, "role"), signer(e),
	       pl_cli_esc(e->signer));
	if (json_object_get(p, "revokes"))
		printf("    revokes       %s\n", str(p, "revokes"));
}

static void print_grant(const pl_bundle_entry *e)
{
	json_t *p = pred(e);
	printf("%s %s to %s (seq %llu) %s\n",
	       strcmp(str(p, "action"), "revoke") == 0 ? "revocation of the grant of" : "grant of",
	       str(p, "role"), str(p, "key"), (unsigned long long)e->seq, mark(e));
	print_signer("by", e);
}

static void print_hardware(const pl_bundle_entry *e)
{
	json_t *p = pred(e), *ch = json_object_get(p, "chips");
	const char *kind = str(p, "kind");
	if (strcmp(kind, "batch") == 0)
		printf("hardware batch %s (seq %llu) %s: %lld %s chips, %s FLOP/s each, first "
		       "owner %s, "
		       "in %s\n",
		       str(p, "name"), (unsigned long long)e->seq, mark(e),
		       (long long)json_integer_value(json_object_get(p, "count")), str(p, "model"),
		       str(p, "peak_flops"), str(p, "owner"), str(p, "jurisdiction"));
	else if (strcmp(kind, "transfer") == 0)
		printf("hardware transfer (seq %llu) %s: chips %lld..%lld of batch seq %lld to %s, "
		       "into %s\n",
		       (unsigned long long)e->seq, mark(e),
		       (long long)json_integer_value(json_object_get(ch, "from")),
		       (long long)(json_integer_value(json_object_get(ch, "from")) +
		                   json_integer_value(json_object_get(ch, "count")) - 1),
		       (long long)json_integer_value(
		           json_object_get(json_object_get(p, "batch"), "seq")),
		       str(p, "to"), str(p, "jurisdiction"));
	else
		printf("hardware accept (seq %llu) %s of transfer seq %lld\n",
		       (unsigned long long)e->seq, mark(e),
		       (long long)json_integer_value(
		           json_object_get(json_object_get(p, "transfer"), "seq")));
	print_signer("by", e);
}

static void print_findings(const json_t *findings)
{
	json_t *f;
	size_t i;
	if (!findings)
		return;
	putchar('\n');
	json_array_foreach(findings, i, f)
	    printf("policy: %s %s: %s\n", str(f, "severity"), str(f, "code"), str(f, "message"));
	if (!json_array_size(findings))
		printf("policy: no findings in the bundle's entries\n");
}

static void print_lineage(const char *file, const pl_bundle_report *r)
{
	static const char *const order[] = {"model",       "dataset",  "check", "work",
	                                    "attestation", "hardware", "key",   "grant"};
	pl_buf root = PL_BUF_INIT;
	pl_base64_encode(&root, r->root, PL_HASH_LEN);
	printf("bundle        %s\n", pl_cli_esc(file));
	printf("subject       %s (seq %llu)\n", pl_cli_esc(r->subject_name),
	       (unsigned long long)r->subject_seq);
	printf("checkpoint    %s, size %llu, root %s %s\n", pl_cli_esc(r->origin),
	       (unsigned long long)r->size, root.ptr,
	       r->checkpoint_verified ? "[verified: signed by the trusted operator key]"
	                              : "[NOT VERIFIED]");
	for (size_t t = 0; t < sizeof(order) / sizeof(order[0]); t++)
		for (size_t i = 0; i < r->nentries; i++) {
			const pl_bundle_entry *e = &r->entries[i];
			if (!e->statement || strcmp(e->type, order[t]) != 0)
				continue;
			putchar('\n');
			if (t == 0)
				print_model(e);
			else if (t == 1)
				print_dataset(e);
			else if (t == 2)
				print_check(e);
			else if (t == 3)
				print_work(e);
			else if (t == 4)
				print_attestation(e);
			else if (t == 5)
				print_hardware(e);
			else if (t == 6)
				print_key(e);
			else
				print_grant(e);
		}
	pl_buf_free(&root);
}

static int parse_size(size_t *out, const char *s)
{
	char *end;
	unsigned long long v, mul = 1;
	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	else if (*end)
		return -1;
	if (mul > 1 && end[1])
		return -1;
	if (v == 0 || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

static int cmd_verify_bundle(pl_cli *g, const pl_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"trust", required_argument, NULL, 't'},
	    {"trust-key", required_argument, NULL, 'T'},
	    {"max-size", required_argument, NULL, 'm'},
	    {"max-attachment", required_argument, NULL, 'a'},
	    {"max-attachments-total", required_argument, NULL, 'A'},
	    {"max-entries", required_argument, NULL, 'e'},
	    {"witness", required_argument, NULL, 'w'},
	    {"quorum", required_argument, NULL, 'q'},
	    {"witness-policy", required_argument, NULL, 'W'},
	    {NULL, 0, NULL, 0}};
	const char *trust = NULL, *trust_key = NULL, *file, *quorum = NULL;
	pl_buf tname = PL_BUF_INIT;
	pl_bundle_opts bo = {0};
	pl_cosig_policy wp = {0};
	size_t nwit, nquorum;
	pl_bundle_report r;
	pl_key *k = NULL;
	int c, error, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			trust = optarg;
			break;
		case 'T':
			trust_key = optarg;
			break;
		case 'm':
			if (parse_size(&bo.max_size, optarg) < 0)
				return pl_cli_usage(cmd,
				                    "--max-size takes bytes (or NK, NM, NG), "
				                    "not '%s'",
				                    optarg);
			break;
		case 'a':
		case 'A':
			if (parse_size(c == 'a' ? &bo.max_attachment : &bo.max_attachments_total,
			               optarg) < 0)
				return pl_cli_usage(cmd, "%s takes bytes (or NK, NM, NG), not '%s'",
				                    c == 'a' ? "--max-attachment"
				                             : "--max-attachments-total",
				                    optarg);
			break;
		case 'e': {
			uint64_t v;
			if (pl_cli_parse_u64(&v, optarg) < 0 || v == 0 || v > 100000000u)
				return pl_cli_usage(
				    cmd,
				    "--max-entries takes a count from 1 to 100000000, "
				    "not '%s'",
				    optarg);
			bo.max_entries = (size_t)v;
			break;
		}
		case 'w':
		case 'W':
			if ((error = c == 'w' ? pl_cosig_policy_add(&wp, optarg)
			                      : pl_cosig_policy_load(&wp, optarg)) < 0) {
				pl_cosig_policy_free(&wp);
				return pl_cli_fail(error);
			}
			break;
		case 'q':
			quorum = optarg;
			break;
		default:
			pl_cosig_policy_free(&wp);
			return pl_cli_bad_option(cmd, optopt ? optopt : c, argv[optind - 1]);
		}
	}
	if (quorum) {
		uint64_t q;
		if (pl_cli_parse_u64(&q, quorum) < 0 || q == 0 || q > wp.n) {
			size_t n = wp.n;
			pl_cosig_policy_free(&wp);
			return pl_cli_usage(cmd,
			                    "--quorum takes a count from 1 to the %zu --witness "
			                    "given, not '%s'",
			                    n, quorum);
		}
		wp.quorum = (size_t)q;
	}
	bo.witnesses = &wp;
	bo.tmpdir = getenv("TMPDIR");
	if (optind + 1 != argc || !trust)
		pl_cosig_policy_free(&wp);
	if (optind + 1 != argc)
		return pl_cli_usage(cmd,
		                    optind >= argc ? "which bundle? (FILE is required)"
		                                   : "unexpected argument '%s'",
		                    argv[argc - 1]);
	file = argv[optind];
	if (!trust)
		return pl_cli_usage(cmd,
		                    "--trust OPERATOR.pub is required: a bundle proves nothing "
		                    "without the operator key you trust");
	if ((error = pl_trust_parse(&k, &tname, trust, trust_key)) < 0) {
		pl_cosig_policy_free(&wp);
		return pl_cli_fail(error);
	}
	bo.trusted_name = tname.ptr;
	error = pl_bundle_verify(&r, file, k, &bo);
	nwit = wp.n;
	nquorum = wp.quorum ? wp.quorum : wp.n;
	pl_cosig_policy_free(&wp);
	pl_key_free(k);
	pl_buf_free(&tname);
	if (error < 0 && error != PL_EVERIFY)
		return pl_cli_fail(error);
	rc = error == PL_OK ? PL_EXIT_OK : PL_EXIT_FINDING;
	if (g->json) {
		json_t *ents = json_array(), *probs = json_array();
		pl_buf root = PL_BUF_INIT;
		char *save = NULL;
		pl_base64_encode(&root, r.root, PL_HASH_LEN);
		const char *sname = r.subject_name ? r.subject_name : "", *sleaf = "";
		for (size_t i = 0; i < r.nentries; i++) {
			const pl_bundle_entry *e = &r.entries[i];
			json_t *rev = json_null(), *o;
			for (size_t x = 0; e->revoked_by >= 0 && x < r.nentries; x++)
				if ((int64_t)r.entries[x].seq == e->revoked_by) {
					json_decref(rev);
					rev = json_pack("{s:I, s:s}", "seq",
					                (json_int_t)r.entries[x].seq, "leaf",
					                r.entries[x].leaf);
				}
			o = json_pack(
			    "{s:I, s:s, s:s, s:s, s:{s:s, s:s?}, s:b, s:b, s:s?, s:s?, s:o}", "seq",
			    (json_int_t)e->seq, "leaf", e->leaf, "type", e->type, "name",
			    !e->name                            ? "-"
			    : strncmp(e->name, "work:", 5) == 0 ? e->name + 5
			                                        : e->name,
			    "signer", "keyid", e->signer ? e->signer : "-", "name", e->signer_name,
			    "verified", e->verified, "checked", e->checked, "role",
			    e->role && *e->role ? e->role : NULL, "grants", e->grants, "revoked_by",
			    rev);
			json_array_append_new(ents, o);
		}
		for (size_t i = 0; i < r.nentries; i++)
			if (r.entries[i].seq == r.subject_seq)
				sleaf = r.entries[i].leaf;
		/* the subject by its name@version or work id */
		if (strncmp(sname, "model:", 6) == 0)
			sname += 6;
		else if (strncmp(sname, "work:", 5) == 0)
			sname += 5;
		for (char *p = r.problems.len ? strtok_r(r.problems.ptr, "\n", &save) : NULL; p;
		     p = strtok_r(NULL, "\n", &save))
			json_array_append_new(probs, json_string(p));
		pl_cli_json_print(json_pack(
		    "{s:b, s:{s:s, s:s, s:I, s:s}, s:{s:s, s:I, s:s, s:b}, s:b, s:o, s:I, s:o, "
		    "s:o}",
		    "verified", error == PL_OK, "subject", "type",
		    r.kind == PL_BUNDLE_MODEL ? "model" : "work", "name", sname, "seq",
		    (json_int_t)r.subject_seq, "leaf", sleaf, "checkpoint", "origin", r.origin,
		    "size", (json_int_t)r.size, "root", root.ptr, "verified", r.checkpoint_verified,
		    "subject_index_verified", r.subjects_verified, "entries", ents, "attachments",
		    (json_int_t)json_object_size(r.attachments), "findings",
		    r.findings ? json_incref(r.findings) : json_array(), "problems", probs));
		pl_buf_free(&root);
	} else {
		print_lineage(file, &r);
		print_findings(r.findings);
		putchar('\n');
		if (nwit)
			printf("witnesses     %zu of the %zu required cosigned the checkpoint "
			       "(c2sp.org/tlog-cosignature/v1; %zu witnesses given)\n",
			       r.cosignatures, nquorum, nwit);
		if (error == PL_OK) {
			printf(
			    "verified: every entry is in the log at size %llu (%zu inclusion "
			    "proofs to the checkpoint signed by the trusted key) and signed by a "
			    "key whose role was in force at its seq (%zu signatures, the rules "
			    "re-applied%s); the closure of %s at size %llu is present: the "
			    "signed subject index shows that no entry referring to its entries "
			    "was left out, and nothing unrelated is here; %zu attachment "
			    "digests\n",
			    (unsigned long long)r.size, r.nentries, r.nentries,
			    r.unchecked ? ", some only in part: see the notes" : "",
			    pl_cli_esc(r.subject_name), (unsigned long long)r.size,
			    (size_t)json_object_size(r.attachments));
		} else {
			char *save = NULL;
			for (char *p = strtok_r(r.problems.ptr, "\n", &save); p;
			     p = strtok_r(NULL, "\n", &save))
				pl_cli_err("%s", p);
			pl_cli_err("%s: verification FAILED: %zu problem%s", file, r.nproblems,
			           r.nproblems == 1 ? "" : "s");
		}
	}
	pl_bundle_report_free(&r);
	return rc;
}

const pl_cli_cmd pl_cmd_export = {
    "export", cmd_export, "(NAME@VERSION | --work ID) --out FILE",
    "write an evidence bundle for a model's lineage or for a work",
    "Writes FILE: gzip-compressed JSON holding every entry of the closure, verbatim\n"
    "(the Merkle leaf bytes), each with an RFC 9162 inclusion proof against the\n"
    "ledger's latest signed checkpoint, the attachments those entries name, and\n"
    "the operator's verifier key. See docs/verifying-evidence.md.\n\n"
    "NAME@VERSION   a model's lineage: the model, its base models (recursively),\n"
    "               their datasets, the datasets' checks and rechecks, the works\n"
    "               those checks matched, attestations on any of them\n"
    "--work ID      everything that holds work ID (or a unique prefix of it of at\n"
    "               least 5 characters): the check reports that matched it, their\n"
    "               datasets, every model trained on those datasets directly or\n"
    "               through base models, their attestations, and claims about the\n"
    "               work\n"
    "--out FILE     where to write (atomically: a temporary file, then rename)\n\n"
    "Either way, the key entry of every signer (and of a key's revocation) is\n"
    "included. The same ledger state always gives the same bytes.\n\n"
    "Exit 0 on success; 3 when the model or work is unknown or the ledger's\n"
    "references are broken.\n"};

const pl_cli_cmd pl_cmd_verify_bundle = {
    "verify-bundle", cmd_verify_bundle,
    "FILE --trust OPERATOR.pub [--trust-key NAME] [--max-size BYTES] "
    "[--max-attachment BYTES] [--max-attachments-total BYTES] [--max-entries N] "
    "[--witness VKEY... [--quorum K] | --witness-policy FILE]",
    "verify an evidence bundle offline, with no ledger",
    "Checks, trusting only the operator key given with --trust:\n"
    "  1. the checkpoint is a C2SP signed note by that key under the bundle's\n"
    "     origin, and the bundle's operator_key is that key;\n"
    "  2. every entry's RFC 9162 inclusion proof leads from SHA-256(0x00 ||\n"
    "     envelope) to the checkpoint's root;\n"
    "  3. every entry passes the rules append applies ('provledger help roles'),\n"
    "     judged from the bundle alone: its DSSE signature under a key entry in\n"
    "     the bundle whose role was in force at its seq (the grant chain of every\n"
    "     signer is in the bundle, up to the operator's key), references of the\n"
    "     right type, leaf and name, unique names, the payload's issuer_role;\n"
    "     an entry that refers to entries the closure leaves out (a work bundle\n"
    "     does not carry a model's other datasets) gets a note instead;\n"
    "  4. every attachment hashes to its name and is named by an entry; every\n"
    "     fingerprint and sketch an entry names is present;\n"
    "  5. the entries are exactly the closure of the bundle's subject: every\n"
    "     entry the lineage needs (model -> datasets and base models, dataset ->\n"
    "     check, check -> matched works, signer -> key entry) is present with the\n"
    "     leaf its reference names, and no entry outside the lineage is present\n"
    "     (a court must not be shown unrelated facts as if they were lineage);\n"
    "  6. the subject index (docs/subjects.md): a note signed by the trusted key\n"
    "     for the checkpoint's size, and for every entry of the bundle the signed\n"
    "     list of the entries that referred to it then: every claim, revocation,\n"
    "     grant, recheck and attestation among them that belongs to the closure\n"
    "     must be in the bundle. Leaving one out is detected;\n"
    "  7. with --witness: the checkpoint carries valid c2sp.org/tlog-cosignature/v1\n"
    "     cosignatures by at least K of the witnesses given (a witness cosigns\n"
    "     only a checkpoint consistent with every one it cosigned before, so the\n"
    "     operator cannot have shown another history to them).\n"
    "Then prints the lineage, each fact marked [verified], [verified, REVOKED at\n"
    "seq N] or [NOT VERIFIED], who signed it and who granted their role, and the\n"
    "policy findings (SPEC 6.7) computed from the bundle's entries; problems go\n"
    "to stderr, one line each, naming the entry.\n\n"
    "--trust KEY        the operator's public key: an OpenSSH line or a C2SP verifier\n"
    "                   key NAME+HEX8+BASE64 (whose NAME must be the bundle's\n"
    "                   origin), given as is or in a file (a .pub file, DIR/config)\n"
    "--trust-key NAME   which key, when the --trust file holds several\n"
    "--max-size BYTES   refuse bundles that decompress to more (default 1G;\n"
    "                   suffixes K, M, G). Decompression streams and stops at\n"
    "                   the cap, so a gzip bomb costs no memory.\n"
    "--max-attachment BYTES\n"
    "                   refuse a bundle with an attachment of more decoded bytes\n"
    "                   (default 256M)\n"
    "--max-attachments-total BYTES\n"
    "                   refuse a bundle whose attachments hold more decoded bytes\n"
    "                   in all (default 1G)\n"
    "--max-entries N    refuse a bundle of more than N entries (default 100000);\n"
    "                   counted as the bundle streams, before they are parsed\n"
    "--witness VKEY     a witness whose cosignature is required: its verifier key\n"
    "                   (`provledger witness key`) or a file holding it; repeatable\n"
    "--quorum K         how many of the --witness must have cosigned (default: all)\n"
    "--witness-policy FILE  the witnesses and quorum in the Sigsum policy style:\n"
    "                   lines 'witness NAME VKEY' and 'quorum K|all|any'\n"
    "Attachments are decoded and hashed as they stream, into a temporary file in\n"
    "$TMPDIR (or /tmp) that is deleted at once; memory does not grow with them.\n\n"
    "What a bundle proves is bounded by its checkpoint: an entry appended after\n"
    "that size is not covered; export again, or audit the ledger with `verify`.\n\n"
    "Exit 0 when everything verifies; 1 when a problem is found; 3 when FILE is\n"
    "missing, not gzip, truncated, not JSON, not a bundle, or over a cap.\n"};
