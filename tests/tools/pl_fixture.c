/*
 * pl_fixture.c - test and bench helper: appends the fixture entries the
 * lineage tests need but no command writes yet (works, check reports,
 * datasets), and bulk ledgers for bench/lineage.sh.
 *
 *   pl_fixture LEDGER work KEY ID TITLE HOLDER TERMS            prints the seq
 *   pl_fixture LEDGER dataset KEY NAME VERSION SHARDS [W-ID...]  prints "CHECK DATASET"
 *   pl_fixture LEDGER recheck KEY NAME VERSION DATASET_SEQ SHARDS [W-ID...]
 *   pl_fixture LEDGER bulk KEY N                                appends about N entries
 *   pl_fixture LEDGER oldwork KEY FILE TITLE                    a work entry as registered
 *                                                               before span hashes
 *
 * SHARDS is PATH:RECORDS:TOKENS[,PATH:RECORDS:TOKENS...].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineage_fixture.h"
#include "pl_lineage.h"
#include "pl_registry.h"

static int fail(const char *what)
{
	fprintf(stderr, "pl_fixture: %s: %s\n", what, pl_error_last());
	return 3;
}

static size_t parse_shards(fx_shard *out, size_t cap, char *spec)
{
	size_t n = 0;
	for (char *save = NULL, *s = strtok_r(spec, ",", &save); s && n < cap;
	     s = strtok_r(NULL, ",", &save)) {
		char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			return 0;
		*c1 = *c2 = '\0';
		out[n].path = s;
		out[n].records = atoi(c1 + 1);
		out[n].tokens = atoi(c2 + 1);
		n++;
	}
	return n;
}

static int bulk(pl_ledger *l, const pl_key *k, long n)
{
	char name[64], ds[64], base[64], id[32], flop[32];
	long groups = n / 4;
	for (long i = 0; i < groups; i++) {
		fx_shard sh = {"shard-00000.jsonl", 100, 50000};
		const char *work = id;
		uint64_t cs, dss;
		const char *dsl[1] = {ds}, *bl[1] = {base};
		pl_model_spec spec = {0};
		snprintf(id, sizeof(id), "W%016lx", (unsigned long)i);
		snprintf(name, sizeof(name), "corpus-%ld", i);
		if (fx_work(l, k, id, name, "holder", i % 3 ? "licensed:CC-BY" : "opt-out", NULL) <
		    0)
			return fail("work");
		if (fx_dataset(l, k, name, "1", &sh, 1, &work, 1, -1, &cs, &dss) < 0)
			return fail("dataset");
		snprintf(ds, sizeof(ds), "corpus-%ld@1", i);
		snprintf(name, sizeof(name), "model-%ld", i);
		snprintf(base, sizeof(base), "model-%ld@1", i - 1);
		snprintf(flop, sizeof(flop), "%ld.5e24", i % 9 + 1);
		spec.name = name;
		spec.version = "1";
		spec.datasets = dsl;
		spec.ndatasets = 1;
		spec.bases = bl;
		spec.nbases = i % 25 ? 1 : 0; /* chains of 25 fine-tunes */
		spec.training_flop = flop;
		spec.parameters = "7e10";
		if (pl_model_register(l, NULL, k, &spec) < 0)
			return fail("model");
		if (i % 1000 == 0)
			fprintf(stderr, "\r%ld entries", (long)pl_ledger_size(l));
	}
	fprintf(stderr, "\r%ld entries\n", (long)pl_ledger_size(l));
	return 0;
}

/* PROVLEDGER_TIME, as the CLI honours it (the ledger must allow it). */
static int64_t pinned;
static int64_t pinned_clock(void *ctx)
{
	(void)ctx;
	return pinned;
}
/* A work entry of FILE as work register wrote it before span hashes: the two
 * fingerprint attachments only (the matcher states its spans as lower bounds). */
static int old_work(pl_ledger *l, const pl_key *k, const char *file, const char *title)
{
	pl_buf text = PL_BUF_INIT;
	pl_work_prints p;
	pl_attachment att[2];
	pl_entry_ref ref;
	char hex[65], nhex[65], sname[40], created[32];
	json_t *fp[2];
	int error;
	if ((error = pl_read_file(&text, file, (size_t)1 << 30)) < 0 ||
	    (error = pl_work_prints_compute(&p, file, text.ptr ? text.ptr : "", text.len)) < 0) {
		pl_buf_free(&text);
		return error;
	}
	for (int i = 0; i < 2; i++) {
		const pl_buf *b = i ? &p.rfp : &p.fp;
		unsigned char d[PL_HASH_LEN];
		pl_sha256(d, b->ptr ? b->ptr : "", b->len);
		pl_hex(hex, d, PL_HASH_LEN);
		fp[i] = json_pack("{s:s, s:i, s:i, s:I, s:s}", "scheme", "winnow-v1", "k",
		                  i ? PL_WINNOW_ROBUST_K : PL_WINNOW_K, "w",
		                  i ? PL_WINNOW_ROBUST_W : PL_WINNOW_W, "count",
		                  (json_int_t)(i ? p.nrfp : p.nfp), "sha256", hex);
		att[i].data = b->ptr ? b->ptr : "";
		att[i].len = b->len;
	}
	pl_hex(hex, p.sha256, PL_HASH_LEN);
	pl_hex(nhex, p.normalized_sha256, PL_HASH_LEN);
	pl_rfc3339(created, pl_ledger_time(l));
	snprintf(sname, sizeof(sname), "work:%s", p.id);
	error = pl_ledger_append_statement(
	    l, &ref, k, "work",
	    json_pack("[{s:s, s:{s:s}}]", "name", sname, "digest", "sha256", hex),
	    json_pack("{s:s, s:s, s:[], s:s, s:s, s:s, s:I, s:o, s:o}", "created", created, "title",
	              title, "creators", "holder", "Old Press", "terms", "all-rights-reserved",
	              "normalized_sha256", nhex, "tokens", (json_int_t)p.tokens, "fingerprint",
	              fp[0], "robust_fingerprint", fp[1]),
	    att, p.fp.len == 0 && p.rfp.len == 0 ? 1 : 2);
	if (error == PL_OK)
		printf("%s %llu\n", p.id, (unsigned long long)ref.seq);
	pl_work_prints_free(&p);
	pl_buf_free(&text);
	return error;
}

static int set_test_clock(pl_ledger *l)
{
	const char *t = getenv("PROVLEDGER_TIME");
	if (!t || !*t)
		return 0;
	pinned = strtoll(t, NULL, 10);
	return pl_ledger_set_clock(l, pinned_clock, NULL);
}

int main(int argc, char **argv)
{
	pl_ledger *l = NULL;
	pl_key *k = NULL;
	fx_shard shards[64];
	uint64_t a = 0, b = 0;
	int rc = 0;

	if (argc < 4) {
		fprintf(stderr,
		        "usage: pl_fixture LEDGER work|dataset|recheck|bulk|oldwork KEY ...\n");
		return 2;
	}
	if (pl_ledger_open(&l, argv[1]) < 0 || set_test_clock(l) < 0)
		return fail(argv[1]);
	if (pl_key_load_private(&k, argv[3]) < 0) {
		rc = fail(argv[3]);
		goto done;
	}
	if (strcmp(argv[2], "work") == 0 && argc == 8) {
		if (fx_work(l, k, argv[4], argv[5], argv[6], argv[7], &a) < 0)
			rc = fail("work");
		else
			printf("%llu\n", (unsigned long long)a);
	} else if (strcmp(argv[2], "dataset") == 0 && argc >= 7) {
		size_t n = parse_shards(shards, 64, argv[6]);
		if (!n ||
		    fx_dataset(l, k, argv[4], argv[5], shards, n, (const char *const *)argv + 7,
		               (size_t)(argc - 7), -1, &a, &b) < 0)
			rc = fail("dataset");
		else
			printf("%llu %llu\n", (unsigned long long)a, (unsigned long long)b);
	} else if (strcmp(argv[2], "recheck") == 0 && argc >= 8) {
		size_t n = parse_shards(shards, 64, argv[7]);
		if (!n ||
		    fx_dataset(l, k, argv[4], argv[5], shards, n, (const char *const *)argv + 8,
		               (size_t)(argc - 8), atoll(argv[6]), &a, NULL) < 0)
			rc = fail("recheck");
		else
			printf("%llu\n", (unsigned long long)a);
	} else if (strcmp(argv[2], "bulk") == 0 && argc == 5) {
		rc = bulk(l, k, atol(argv[4]));
	} else if (strcmp(argv[2], "oldwork") == 0 && argc == 6) {
		if (old_work(l, k, argv[4], argv[5]) < 0)
			rc = fail("oldwork");
	} else {
		fprintf(stderr, "pl_fixture: bad arguments\n");
		rc = 2;
	}
done:
	pl_key_free(k);
	pl_ledger_free(l);
	return rc;
}
