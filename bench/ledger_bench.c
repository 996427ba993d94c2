/*
 * ledger_bench.c - ledger figures for `make bench`.
 *
 *   ledger_bench append DIR N [W] init a ledger in DIR, append N signed entries
 *                                 through the library; prints entries/s. With
 *                                 W > 0, every W-th entry is a work with two
 *                                 attachments (fingerprint blobs, 2 KiB each)
 *   ledger_bench prove DIR N Q    a ledger whose index holds N synthetic leaves
 *                                 (bulk-built tree nodes); prints the mean latency
 *                                 of Q inclusion and Q consistency proofs computed
 *                                 from the index (the check against the signed
 *                                 checkpoint that `prove` adds reads one checkpoint
 *                                 and one entry from git: measured separately)
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_internal.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ledger_bench: %s: %s\n", what, pl_error_last());
	exit(1);
}

/* Work entry i (a distinct text id), by the rights holder k; with attach, it
 * declares and attaches two pseudo-random fingerprint blobs (2 KiB each). */
static void append_work(pl_ledger *l, const pl_key *k, long i, int attach)
{
	static unsigned char data[2][12 * 170]; /* 170 records of 12 bytes */
	pl_attachment att[2];
	char id[64], hex[2][65], ns[65], title[64];
	unsigned char d[32];
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
	json_t *pred;
	for (int a = 0; a < 2; a++) {
		for (size_t j = 0; j < sizeof(data[a]); j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			data[a][j] = (unsigned char)x;
		}
		pl_sha256(d, data[a], sizeof(data[a]));
		pl_hex(hex[a], d, 32);
		att[a].data = data[a];
		att[a].len = sizeof(data[a]);
	}
	snprintf(title, sizeof(title), "bench work %ld", i);
	pl_sha256(d, title, strlen(title));
	pl_hex(ns, d, 32);
	snprintf(id, sizeof(id), "work:W%.16s", ns);
	pred = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:i}", "title", title, "creators", "bench",
	                 "holder", "bench", "terms", "opt-out", "normalized_sha256", ns, "tokens",
	                 1000);
	if (attach) {
		json_object_set_new(pred, "fingerprint",
		                    json_pack("{s:s, s:i, s:i, s:i, s:s}", "scheme", "winnow-v1", "k",
		                              13, "w", 38, "count", 170, "sha256", hex[0]));
		json_object_set_new(pred, "robust_fingerprint",
		                    json_pack("{s:s, s:i, s:i, s:i, s:s}", "scheme", "winnow-v1", "k",
		                              8, "w", 17, "count", 170, "sha256", hex[1]));
	}
	if (pl_ledger_append_statement(
	        l, NULL, k, "work",
	        json_pack("[{s:s, s:{s:s}}]", "name", id, "digest", "sha256", ns), pred,
	        attach ? att : NULL, attach ? 2 : 0) < 0)
		die("append work");
}

static int bench_append(const char *dir, long n, long work_every)
{
	pl_ledger *l = NULL;
	pl_key *holder = NULL;
	double t0, t1;

	if (pl_ledger_init(&l, dir, "bench.example/ledger", NULL, "operator") < 0)
		die("init");
	if (pl_key_generate(&holder) < 0 ||
	    pl_ledger_register_key(l, NULL, holder, holder, "bench", "rights-holder", NULL, NULL) <
	        0)
		die("register");
	t0 = now();
	for (long i = 0; i < n; i++)
		append_work(l, holder, i, work_every > 0 && i % work_every == 0);
	t1 = now();
	printf("%ld %.3f %.1f\n", n, t1 - t0, (double)n / (t1 - t0));
	pl_key_free(holder);
	pl_ledger_free(l);
	return 0;
}

static int bench_prove(const char *dir, long n, long q)
{
	pl_ledger *l = NULL;
	sqlite3_stmt *st = NULL;
	pl_merkle_builder mb;
	double t0, t1, t2;
	pl_buf proof = PL_BUF_INIT;
	unsigned level;

	if (pl_ledger_init(&l, dir, "bench.example/prove", NULL, "operator") < 0)
		die("init");
	/* Bulk-build the tree nodes of n synthetic leaves, as pl_index__apply would. */
	pl_index__exec(l->db, "BEGIN");
	pl_index__exec(l->db, "DELETE FROM nodes");
	sqlite3_prepare_v2(l->db, "INSERT INTO nodes(level, idx, hash) VALUES(?,?,?)", -1, &st,
			   NULL);
	pl_merkle_builder_init(&mb);
	for (long i = 0; i < n; i++) {
		unsigned char leaf[32], h[32];
		uint64_t idx = (uint64_t)i;
		pl_merkle_leaf(leaf, &idx, sizeof(idx));
		memcpy(h, leaf, 32);
		sqlite3_bind_int(st, 1, 0);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_blob(st, 3, leaf, 32, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_reset(st);
		for (level = 0; mb.size >> level & 1; level++) {
			pl_merkle_node(h, mb.stack[level], h);
			sqlite3_bind_int(st, 1, (int)level + 1);
			sqlite3_bind_int64(st, 2, (long)(((uint64_t)i + 1) >> (level + 1)) - 1);
			sqlite3_bind_blob(st, 3, h, 32, SQLITE_TRANSIENT);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		memcpy(mb.stack[level], h, 32);
		mb.size++;
	}
	sqlite3_finalize(st);
	pl_index__exec(l->db, "COMMIT");
	l->size = (uint64_t)n;
	srand(1);
	t0 = now();
	for (long i = 0; i < q; i++) {
		pl_buf_clear(&proof);
		if (pl_ledger__prove_index(l, &proof, (uint64_t)rand() % (uint64_t)n,
		                           (uint64_t)n, 0) < 0)
			die("prove");
	}
	t1 = now();
	for (long i = 0; i < q; i++) {
		pl_buf_clear(&proof);
		if (pl_ledger__prove_index(l, &proof, 1 + (uint64_t)rand() % (uint64_t)(n - 1),
		                           (uint64_t)n, 1) < 0)
			die("prove consistency");
	}
	t2 = now();
	printf("%ld %.3f %.3f\n", n, (t1 - t0) / (double)q * 1e3, (t2 - t1) / (double)q * 1e3);
	pl_buf_free(&proof);
	pl_ledger_free(l);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "append") == 0)
		return bench_append(argv[2], atol(argv[3]), argc >= 5 ? atol(argv[4]) : 0);
	if (argc >= 5 && strcmp(argv[1], "prove") == 0)
		return bench_prove(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: ledger_bench append DIR N [W] | prove DIR N Q\n");
	return 2;
}
