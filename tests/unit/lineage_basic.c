/* Unit tests of the lineage module: the number syntax, NAME@VERSION, role
 * checks of model register and attest, and lineage through the index. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "lineage_fixture.h"
#include "pl_lineage.h"

static void num_ok(const char *in, const char *want)
{
	pl_buf b = PL_BUF_INIT;
	if (pl_lineage_parse_number(&b, in) < 0)
		pl_test_fail(__FILE__, __LINE__, "'%s' refused: %s", in, pl_error_last());
	if (strcmp(b.ptr, want) != 0)
		pl_test_fail(__FILE__, __LINE__, "'%s' -> '%s', expected '%s'", in, b.ptr, want);
	/* the canonical form parses to itself */
	CHECK_OK(pl_lineage_parse_number(&b, want));
	CHECK_STR(b.ptr, want);
	pl_buf_free(&b);
}

static void num_bad(const char *in, const char *why)
{
	pl_buf b = PL_BUF_INIT;
	int rc = pl_lineage_parse_number(&b, in);
	if (rc != PL_EINVALID)
		pl_test_fail(__FILE__, __LINE__, "'%s' accepted as '%s'", in, b.ptr ? b.ptr : "");
	CHECK_CONTAINS(pl_error_last(), why);
	pl_buf_free(&b);
}

PL_TEST(lineage, number_accepted_forms)
{
	num_ok("0", "0e0");
	num_ok("5", "5e0");
	num_ok("12", "1.2e1");
	num_ok("1000", "1e3");
	num_ok("380000000000000000000000000", "3.8e26");
	num_ok("38000000000000000000000000", "3.8e25");
	num_ok("3.8e25", "3.8e25");
	num_ok("3.8E25", "3.8e25");
	num_ok("3.8E+25", "3.8e25");
	num_ok("3.8e+25", "3.8e25");
	num_ok("38e24", "3.8e25");
	num_ok("0.38e26", "3.8e25");
	num_ok("1.2e12", "1.2e12");
	num_ok("1.20e2", "1.2e2");
	num_ok("0.5e1", "5e0");
	num_ok("10e0", "1e1");
	num_ok("0e5", "0e0");
	num_ok("0.0e3", "0e0");
	num_ok("1e999", "1e999");
	num_ok("123456789012345678901234567890", "1.2345678901234567890123456789e29");
}

PL_TEST(lineage, number_refused_forms)
{
	num_bad("", "empty");
	num_bad("-1", "no sign");
	num_bad("+1", "no sign");
	num_bad("-1e25", "no sign");
	num_bad(".5e1", "leading '.'");
	num_bad("0x10", "hexadecimal");
	num_bad("0X1F", "hexadecimal");
	num_bad("inf", "does not start with a digit");
	num_bad("nan", "does not start with a digit");
	num_bad("Infinity", "does not start with a digit");
	num_bad(" 1", "does not start with a digit");
	num_bad("1 ", "a space");
	num_bad("1 e5", "a space");
	num_bad("1e", "no digits in the exponent");
	num_bad("1e+", "no digits in the exponent");
	num_bad("1ee5", "no digits in the exponent");
	num_bad("1e-5", "negative exponent");
	num_bad("1.5", "a fraction needs an exponent");
	num_bad("1.0", "a fraction needs an exponent");
	num_bad("1.", "no digits after '.'");
	num_bad("1.e5", "no digits after '.'");
	num_bad("1.25e1", "not a whole number");
	num_bad("01", "leading zero");
	num_bad("00", "leading zero");
	num_bad("1e05", "leading zero in the exponent");
	num_bad("1e1000", "exponent above 999");
	num_bad("10e999", "1e1000 or more");
	num_bad("1,000", "trailing characters");
	num_bad("1_000", "trailing characters");
	num_bad("1e25x", "trailing characters");
	num_bad("3.8e25\n", "trailing characters");
	num_bad("\xd9\xa1", "does not start with a digit");
}

PL_TEST(lineage, number_compare_exactly)
{
	CHECK(pl_lineage_number_cmp("3.8e25", "1e25") > 0);
	CHECK(pl_lineage_number_cmp("9.99999999999999999999e24", "1e25") < 0);
	CHECK(pl_lineage_number_cmp("1e25", "1e25") == 0);
	CHECK(pl_lineage_number_cmp("1.0000000000000000000001e25", "1e25") > 0);
	CHECK(pl_lineage_number_cmp("1.45e25", "1.5e25") < 0);
	CHECK(pl_lineage_number_cmp("1.5e25", "1.45e25") > 0);
	CHECK(pl_lineage_number_cmp("0e0", "1e0") < 0);
	CHECK(pl_lineage_number_cmp("5e0", "0e0") > 0);
	CHECK(pl_lineage_number_cmp("0e0", "0e0") == 0);
	CHECK(pl_lineage_is_frontier("1e25", "1e9"));
	CHECK(pl_lineage_is_frontier("1e20", "1e12"));
	CHECK(!pl_lineage_is_frontier("9.9e24", "9.99e11"));
	CHECK(!pl_lineage_is_frontier("0e0", "0e0"));
}

PL_TEST(lineage, name_at_version)
{
	pl_buf n = PL_BUF_INIT, v = PL_BUF_INIT;
	CHECK_OK(pl_lineage_parse_ref(&n, &v, "llama@3.1-instruct"));
	CHECK_STR(n.ptr, "llama");
	CHECK_STR(v.ptr, "3.1-instruct");
	CHECK_OK(pl_lineage_parse_ref(&n, &v, "a@b"));
	CHECK_STR(n.ptr, "a");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "llama"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "'llama' is not NAME@VERSION");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "@1"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "empty name");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "a@"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "empty version");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "a@b@c"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "more than one '@'");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "a b@1"), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "offset 1");
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "a\"@1"), PL_EINVALID);
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "caf\xc3\xa9@1"), PL_EINVALID);
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, "a@1\n"), PL_EINVALID);
	CHECK_ERR(pl_lineage_parse_ref(&n, &v, NULL), PL_EINVALID);
	{
		char longname[200];
		memset(longname, 'x', 150);
		strcpy(longname + 150, "@1");
		CHECK_ERR(pl_lineage_parse_ref(&n, &v, longname), PL_EINVALID);
		CHECK_CONTAINS(pl_error_last(), "longer than 128");
	}
	CHECK_OK(pl_lineage_check_name("v1.2+build.7", "version"));
	CHECK_ERR(pl_lineage_check_name("", "name"), PL_EINVALID);
	pl_buf_free(&n);
	pl_buf_free(&v);
}

PL_TEST(lineage, policy_rule_table)
{
	static const char *const codes[] = {"unlicensed-frontier-model",
	                                    "licence-exceeded",
	                                    "licence-after-start",
	                                    "training-report-missing",
	                                    "deployment-without-safe-evaluation",
	                                    "dangerous-capability",
	                                    "hardware-not-held",
	                                    "compute-possibly-underreported",
	                                    "moratorium-violated",
	                                    "model-reserved-works",
	                                    "dataset-reserved-works",
	                                    "dataset-sketch-stale",
	                                    "export-restricted-transfer"};
	size_t n = 0;
	for (; pl_policy_rule_at(n); n++) {
		const pl_policy_rule *r = pl_policy_rule_at(n);
		CHECK(n < sizeof(codes) / sizeof(codes[0]));
		if (n < sizeof(codes) / sizeof(codes[0]))
			CHECK_STR(r->code, codes[n]);
		CHECK(strcmp(r->severity, "error") == 0 || strcmp(r->severity, "warning") == 0);
		CHECK(strcmp(r->subject_type, "model") == 0 ||
		      strcmp(r->subject_type, "dataset") == 0 ||
		      strcmp(r->subject_type, "hardware") == 0);
		CHECK(strlen(r->summary) > 0 && strlen(r->summary) <= 72);
		CHECK(strchr(r->summary, '\n') == NULL);
		for (size_t j = 0; j < n; j++)
			CHECK(strcmp(pl_policy_rule_at(j)->code, r->code) != 0);
	}
	CHECK_EQ_INT(n, sizeof(codes) / sizeof(codes[0]));
	CHECK(pl_policy_rule_at(n) == NULL);
	CHECK(pl_policy_rule_at((size_t)-1) == NULL);
}

/* A ledger with a lab, an authority, an evaluator and a rights holder, a
 * work under all-rights-reserved and a dataset whose check matched it. */
typedef struct {
	pl_ledger *l;
	pl_key *lab, *auth, *eval, *holder;
} fixture;

static void setup(fixture *f)
{
	char dir[4096];
	const char *w = "W0123456789abcdef";
	fx_shard sh = {"web-000.jsonl", 100, 20000};
	memset(f, 0, sizeof(*f));
	setenv("PROVLEDGER_TIME", "1790000000", 1);
	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(pl_ledger_init(&f->l, dir, "test/lineage", NULL, "operator"));
	CHECK_OK(fx_key(f->l, &f->lab, "acme", "lab", NULL));
	CHECK_OK(fx_key(f->l, &f->auth, "aisi", "authority", NULL));
	CHECK_OK(fx_key(f->l, &f->eval, "redteam", "evaluator", NULL));
	CHECK_OK(fx_key(f->l, &f->holder, "press", "rights-holder", NULL));
	CHECK_OK(fx_work(f->l, f->holder, w, "A Novel", "Press Ltd", "all-rights-reserved", NULL));
	CHECK_OK(fx_dataset(f->l, f->lab, "web", "1", &sh, 1, &w, 1, -1, NULL, NULL));
}

static void teardown(fixture *f)
{
	pl_key_free(f->lab);
	pl_key_free(f->auth);
	pl_key_free(f->eval);
	pl_key_free(f->holder);
	pl_ledger_free(f->l);
}

PL_TEST(lineage, role_checks)
{
	fixture f;
	const char *ds[] = {"web@1"};
	pl_model_spec m = {.name = "atlas",
	                   .version = "1",
	                   .datasets = ds,
	                   .ndatasets = 1,
	                   .training_flop = "3.8e25",
	                   .parameters = "7e10"};
	pl_attest_spec a = {.kind = "training-licence",
	                    .subject = "atlas@1",
	                    .max_training_flop = "5e25",
	                    .conditions = "none"};
	pl_entry_ref ref;
	uint64_t size, lic;

	setup(&f);
	size = pl_ledger_size(f.l);
	CHECK_ERR(pl_model_register(f.l, NULL, f.auth, &m), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "model register needs a lab key; aisi (SHA256:");
	CHECK_CONTAINS(pl_error_last(), ") is an authority key");
	CHECK_EQ_INT(pl_ledger_size(f.l), size);
	CHECK_OK(pl_model_register(f.l, &ref, f.lab, &m));
	size = pl_ledger_size(f.l);

	CHECK_ERR(pl_attest(f.l, NULL, f.lab, &a), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "attest training-licence needs an authority key; acme (");
	CHECK_CONTAINS(pl_error_last(), ") is a lab key");
	CHECK_ERR(pl_attest(f.l, NULL, f.eval, &a), PL_EVERIFY);
	CHECK_OK(pl_attest(f.l, &ref, f.auth, &a));
	lic = ref.seq;

	a = (pl_attest_spec){.kind = "evaluation", .subject = "atlas@1", .suite = "s"};
	{
		const char *res[] = {"bio=pass"};
		a.results = res;
		a.nresults = 1;
		CHECK_ERR(pl_attest(f.l, NULL, f.lab, &a), PL_EVERIFY);
		CHECK_CONTAINS(pl_error_last(), "attest evaluation needs an evaluator key");
		CHECK_ERR(pl_attest(f.l, NULL, f.auth, &a), PL_EVERIFY);
		CHECK_OK(pl_attest(f.l, NULL, f.eval, &a));
	}
	a = (pl_attest_spec){.kind = "claim",
	                     .subject = "web@1",
	                     .work = "W0123456789abcdef",
	                     .dataset = "web@1",
	                     .statement = "copied"};
	CHECK_ERR(pl_attest(f.l, NULL, f.lab, &a), PL_EVERIFY);
	CHECK_CONTAINS(pl_error_last(), "attest claim needs a rights-holder key");
	CHECK_OK(pl_attest(f.l, NULL, f.holder, &a));

	/* only the signer revokes, once */
	a = (pl_attest_spec){.kind = "revocation", .has_revokes = 1, .revokes = lic};
	size = pl_ledger_size(f.l);
	CHECK_ERR(pl_attest(f.l, NULL, f.eval, &a), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "only its signer can revoke it");
	CHECK_EQ_INT(pl_ledger_size(f.l), size);
	CHECK_OK(pl_attest(f.l, &ref, f.auth, &a));
	CHECK_ERR(pl_attest(f.l, NULL, f.auth, &a), PL_ECONFLICT);
	CHECK_CONTAINS(pl_error_last(), "already revoked by entry");
	a.revokes = ref.seq;
	CHECK_ERR(pl_attest(f.l, NULL, f.auth, &a), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "cannot be revoked");
	a.revokes = 1;
	CHECK_ERR(pl_attest(f.l, NULL, f.auth, &a), PL_ENOTFOUND);
	CHECK_CONTAINS(pl_error_last(), "entry 1 is not an attestation");
	teardown(&f);
}

PL_TEST(lineage, model_register_refusals)
{
	fixture f;
	const char *ds[] = {"web@1"}, *nods[] = {"nope@1"}, *self[] = {"atlas@1"},
	           *twice[] = {"web@1", "web@1"};
	pl_model_spec m = {.name = "atlas",
	                   .version = "1",
	                   .datasets = ds,
	                   .ndatasets = 1,
	                   .training_flop = "1e24",
	                   .parameters = "7e10"};
	pl_entry_ref ref;
	uint64_t size, seq;

	setup(&f);
	size = pl_ledger_size(f.l);
	m.datasets = nods;
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_ENOTFOUND);
	CHECK_STR(pl_error_last(), "no dataset named nope@1");
	m.datasets = twice;
	m.ndatasets = 2;
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "named twice");
	m.datasets = ds;
	m.ndatasets = 1;
	m.bases = self;
	m.nbases = 1;
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "a model cannot be its own base");
	m.bases = nods;
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_ENOTFOUND);
	CHECK_STR(pl_error_last(), "no model named nope@1");
	m.nbases = 0;
	m.training_flop = "1.5";
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "--training-flop: '1.5' is not a number");
	m.training_flop = "1e24";
	m.hardware = "H100";
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	m.hardware = "H100:0";
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	m.hardware = "H100:64";
	m.started = "2026-01-01";
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "not an RFC 3339 UTC time");
	m.started = "2026-02-01T00:00:00Z";
	m.finished = "2026-01-01T00:00:00Z";
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "is before --started");
	CHECK_EQ_INT(pl_ledger_size(f.l), size);
	m.finished = "2026-03-01T00:00:00Z";
	CHECK_OK(pl_model_register(f.l, &ref, f.lab, &m));
	CHECK_OK(pl_lineage_find(f.l, &seq, "model", "atlas@1"));
	CHECK_EQ_INT(seq, ref.seq);
	CHECK_ERR(pl_model_register(f.l, NULL, f.lab, &m), PL_ECONFLICT);
	CHECK_CONTAINS(pl_error_last(), "model atlas@1 is already registered (seq");
	CHECK_ERR(pl_lineage_find(f.l, &seq, "dataset", "atlas@1"), PL_ENOTFOUND);
	CHECK_STR(pl_error_last(), "no dataset named atlas@1");
	teardown(&f);
}

PL_TEST(lineage, findings_and_reindex)
{
	fixture f;
	const char *ds[] = {"web@1"}, *base[] = {"atlas@1"};
	pl_model_spec m = {.name = "atlas",
	                   .version = "1",
	                   .datasets = ds,
	                   .ndatasets = 1,
	                   .training_flop = "3.8e25",
	                   .parameters = "7e10"};
	json_t *doc = NULL, *doc2 = NULL, *pol = NULL;
	char dir[4096];

	setup(&f);
	CHECK_OK(pl_model_register(f.l, NULL, f.lab, &m));
	m.name = "atlas-chat";
	m.bases = base;
	m.nbases = 1;
	m.training_flop = "1e22";
	CHECK_OK(pl_model_register(f.l, NULL, f.lab, &m));
	CHECK_OK(pl_lineage_get(&doc, f.l, "atlas-chat@1"));
	CHECK_EQ_INT(json_array_size(json_object_get(doc, "base_models")), 1);
	CHECK_EQ_INT(json_array_size(json_object_get(doc, "datasets")), 1);
	CHECK_EQ_INT(json_array_size(json_object_get(doc, "works")), 1);
	{
		/* base atlas@1: unlicensed frontier + reserved works; chat: reserved; web: reserved
		 */
		json_t *fs = json_object_get(doc, "findings");
		CHECK_EQ_INT(json_array_size(fs), 4);
		CHECK_STR(json_string_value(json_object_get(json_array_get(fs, 0), "code")),
		          "model-reserved-works");
		CHECK_STR(json_string_value(json_object_get(json_array_get(fs, 1), "code")),
		          "unlicensed-frontier-model");
		CHECK_STR(json_string_value(json_object_get(json_array_get(fs, 3), "code")),
		          "dataset-reserved-works");
	}
	CHECK_OK(pl_lineage_policy(f.l, &pol));
	CHECK_EQ_INT(json_array_size(pol), 4);
	{
		/* every finding carries its rule's severity and subject type */
		json_t *fv;
		size_t fi;
		json_array_foreach(pol, fi, fv)
		{
			const pl_policy_rule *r = NULL;
			for (size_t i = 0; pl_policy_rule_at(i); i++)
				if (strcmp(pl_policy_rule_at(i)->code,
				           json_string_value(json_object_get(fv, "code"))) == 0)
					r = pl_policy_rule_at(i);
			CHECK(r != NULL);
			if (r) {
				CHECK_STR(json_string_value(json_object_get(fv, "severity")),
				          r->severity);
				CHECK_STR(json_string_value(json_object_get(fv, "subject_type")),
				          r->subject_type);
			}
		}
	}
	CHECK_ERR(pl_lineage_get(&doc2, f.l, "web@1"), PL_ENOTFOUND);
	/* reindex rebuilds the same answer from git */
	pl_ledger_free(f.l);
	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(pl_ledger_reindex(dir));
	CHECK_OK(pl_ledger_open(&f.l, dir));
	CHECK_OK(pl_lineage_get(&doc2, f.l, "atlas-chat@1"));
	CHECK(json_equal(doc, doc2));
	{
		pl_buf dot = PL_BUF_INIT;
		CHECK_OK(pl_lineage_render(&dot, doc, PL_LINEAGE_DOT));
		CHECK_CONTAINS(dot.ptr, "digraph lineage {");
		CHECK_CONTAINS(dot.ptr, "[label=\"finetune\"]");
		CHECK_CONTAINS(dot.ptr, "[label=\"trained on\"]");
		CHECK_CONTAINS(dot.ptr, "[label=\"contains\"]");
		pl_buf_free(&dot);
	}
	json_decref(doc);
	json_decref(doc2);
	json_decref(pol);
	teardown(&f);
}
